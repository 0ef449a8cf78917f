//! How calls and the legs they ring end, in the contract's vocabulary (pure). Every
//! path that rings somebody or ends a call maps SIP codes to statuses here, so the same
//! SIP exchange gives the same status whichever way the call was made.

use contract::models::calls::CallStatus;

/// Who ended a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndedBy {
    Caller,
    Callee,
    System,
}

impl EndedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Caller => "caller",
            Self::Callee => "callee",
            Self::System => "system",
        }
    }
}

/// How a call ended: what its record and status callbacks say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub status: CallStatus,
    pub by: EndedBy,
    /// The SIP status that ended it (200 for a normal hangup).
    pub code: u16,
    pub reason: String,
}

impl Outcome {
    pub fn new(status: CallStatus, by: EndedBy, code: u16, reason: impl Into<String>) -> Self {
        Self {
            status,
            by,
            code,
            reason: reason.into(),
        }
    }
}

/// The status a leg's final SIP response gives it: answered is `completed`; a busy or
/// declining party is `busy` (Twilio counts 603 Decline as busy too); a party that did
/// not answer in time, is temporarily unavailable or was cancelled is `no-answer`;
/// anything else (wrong number, a server's or a trunk's error) is `failed`.
pub fn status_of_final_code(code: u16) -> CallStatus {
    match code {
        200..=299 => CallStatus::Completed,
        486 | 600 | 603 => CallStatus::Busy,
        408 | 480 | 487 => CallStatus::NoAnswer,
        _ => CallStatus::Failed,
    }
}

/// How ringing that nobody answered ends, from the final status of every party rung:
/// `busy` when any was busy, else `no-answer` when any did not answer, else `failed`
/// (nobody rung at all is `no-answer`). Returns the status and the SIP code a caller
/// waiting on it is refused with: 486 for busy, 480 otherwise.
pub fn unanswered(statuses: impl IntoIterator<Item = CallStatus>) -> (CallStatus, u16) {
    let mut any = false;
    let mut no_answer = false;
    for status in statuses {
        any = true;
        match status {
            CallStatus::Busy => return (CallStatus::Busy, 486),
            CallStatus::NoAnswer | CallStatus::Canceled => no_answer = true,
            _ => {}
        }
    }
    if no_answer || !any {
        (CallStatus::NoAnswer, 480)
    } else {
        (CallStatus::Failed, 480)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_codes_map_to_statuses() {
        assert_eq!(status_of_final_code(200), CallStatus::Completed);
        for code in [486, 600, 603] {
            assert_eq!(status_of_final_code(code), CallStatus::Busy, "{code}");
        }
        for code in [408, 480, 487] {
            assert_eq!(status_of_final_code(code), CallStatus::NoAnswer, "{code}");
        }
        for code in [403, 404, 484, 488, 500, 503] {
            assert_eq!(status_of_final_code(code), CallStatus::Failed, "{code}");
        }
    }

    #[test]
    fn busy_wins_then_no_answer_then_failed() {
        let of = |codes: &[u16]| unanswered(codes.iter().map(|c| status_of_final_code(*c)));
        assert_eq!(of(&[486, 486]), (CallStatus::Busy, 486));
        assert_eq!(of(&[486, 480]), (CallStatus::Busy, 486));
        assert_eq!(of(&[503, 480]), (CallStatus::NoAnswer, 480));
        assert_eq!(of(&[487]), (CallStatus::NoAnswer, 480));
        assert_eq!(of(&[]), (CallStatus::NoAnswer, 480));
        assert_eq!(of(&[503, 404]), (CallStatus::Failed, 480));
    }
}
