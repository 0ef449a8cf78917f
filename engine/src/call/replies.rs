//! Small answers shared by every kind of call: to in-dialog requests nobody acts on,
//! and the SIP code a called leg ended with.

use rsipstack::dialog::dialog::{DialogState, TerminatedReason};
use rsipstack::sip::StatusCode;

/// Answers the in-dialog requests a call does not act on: INFO and OPTIONS get 200,
/// REFER, MESSAGE, NOTIFY and PUBLISH 501. Other states need no answer.
pub(crate) async fn answer_other_request(state: DialogState) {
    match state {
        DialogState::Info(_, _, handle) | DialogState::Options(_, _, handle) => {
            let _ = handle.reply(StatusCode::OK).await;
        }
        DialogState::Refer(_, _, handle)
        | DialogState::Message(_, _, handle)
        | DialogState::Notify(_, _, handle)
        | DialogState::Publish(_, _, handle) => {
            let _ = handle.reply(StatusCode::NotImplemented).await;
        }
        _ => {}
    }
}

/// The SIP code that ended a leg we called, as far as the dialog layer tells.
pub(crate) fn final_code(reason: &TerminatedReason) -> u16 {
    match reason {
        TerminatedReason::UasOther(code) | TerminatedReason::ProxyError(code) => code.code(),
        TerminatedReason::UacCancel => 487,
        TerminatedReason::Timeout => 408,
        TerminatedReason::UasBusy => 486,
        TerminatedReason::UasDecline => 603,
        // Challenged again after we answered the challenge: our credentials were refused.
        TerminatedReason::ProxyAuthRequired => 407,
        _ => 480,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_credentials_are_407_so_the_route_fails_over() {
        assert_eq!(final_code(&TerminatedReason::ProxyAuthRequired), 407);
        assert_eq!(final_code(&TerminatedReason::Timeout), 408);
        assert_eq!(final_code(&TerminatedReason::UasBusy), 486);
    }
}
