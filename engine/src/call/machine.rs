//! The B2BUA call as a pure state machine: events from the caller's leg, the callee's
//! forked legs, timers and media go in; what to do comes out. No I/O and no clock: the
//! driver turns SIP dialog states into [`Event`]s and [`Action`]s into SIP and media
//! operations. Forking, ring timeouts, busy aggregation and who hung up are decided
//! here, where they are testable without sleeping.

/// Index of a forked leg (one per registered contact of the callee).
pub type ForkId = usize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Caller,
    Callee,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// INVITEs went out to this many contacts.
    ForksStarted(usize),
    /// 180/183 from a fork; `early_media` when it carried an SDP answer.
    Provisional { fork: ForkId, early_media: bool },
    /// 200 from a fork.
    Answered { fork: ForkId },
    /// A fork ended before answering, with this status.
    ForkFailed { fork: ForkId, code: u16 },
    /// CANCEL from the caller before the answer.
    CallerCancelled,
    /// The callee's ring time elapsed.
    RingTimeout,
    /// BYE after the answer.
    Bye { from: Side },
    /// No RTP from this side for the configured time.
    MediaTimeout { side: Side },
    /// We answered the caller and no ACK came.
    CallerAckTimeout,
    /// The server is stopping.
    Shutdown,
    /// No INVITE could be sent (no media ports, no usable contact).
    CannotRing,
    /// The call is hung up through the REST API, or its `time_limit` elapsed.
    HangUp { reason: &'static str },
    /// The call's application takes the caller back (a redirect through the REST API):
    /// the callee's side ends, the caller stays.
    Release,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// 180 to the caller.
    RingCaller,
    /// 183 with our SDP to the caller; relay this fork's early media.
    EarlyMedia {
        fork: ForkId,
    },
    /// 200 with our SDP to the caller; bridge the caller with this fork.
    AnswerCaller {
        fork: ForkId,
    },
    Cancel {
        fork: ForkId,
    },
    /// A final error response to the caller.
    RejectCaller {
        code: u16,
    },
    ByeCaller,
    ByeCallee {
        fork: ForkId,
    },
    /// The call is over: record it.
    Finished(Outcome),
    /// The callee's side is over and the caller goes back to the application
    /// (answered or not, as it was).
    Released,
}

/// The final status of a call, in the vocabulary of `/v1/calls`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinalStatus {
    Completed,
    Busy,
    NoAnswer,
    Failed,
    Canceled,
}

impl FinalStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::Busy => "busy",
            Self::NoAnswer => "no-answer",
            Self::Failed => "failed",
            Self::Canceled => "canceled",
        }
    }
}

/// Who ended the call.
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub status: FinalStatus,
    pub by: EndedBy,
    /// The SIP status that ended it (200 for a normal hangup).
    pub code: u16,
    pub reason: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fork {
    Trying,
    Ringing,
    Answered,
    Failed(u16),
    Cancelled,
}

impl Fork {
    fn live(self) -> bool {
        matches!(self, Self::Trying | Self::Ringing)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Routing,
    Ringing,
    Answered(ForkId),
    Done,
}

/// One call's decisions.
#[derive(Debug, Clone)]
pub struct CallMachine {
    phase: Phase,
    forks: Vec<Fork>,
    rang: bool,
    early: Option<ForkId>,
}

impl Default for CallMachine {
    fn default() -> Self {
        Self::new()
    }
}

impl CallMachine {
    pub fn new() -> Self {
        Self {
            phase: Phase::Routing,
            forks: Vec::new(),
            rang: false,
            early: None,
        }
    }

    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    pub fn answered_fork(&self) -> Option<ForkId> {
        match self.phase {
            Phase::Answered(f) => Some(f),
            _ => None,
        }
    }

    /// The fork whose early media the caller hears, if any.
    pub fn early_fork(&self) -> Option<ForkId> {
        self.early
    }

    pub fn handle(&mut self, event: Event) -> Vec<Action> {
        let mut out = Vec::new();
        match (self.phase, event) {
            (Phase::Routing, Event::ForksStarted(n)) if n > 0 => {
                self.forks = vec![Fork::Trying; n];
                self.phase = Phase::Ringing;
            }
            (Phase::Ringing, Event::Provisional { fork, early_media }) => {
                if let Some(f) = self.forks.get_mut(fork)
                    && f.live()
                {
                    *f = Fork::Ringing;
                    if early_media && self.early.is_none() {
                        self.early = Some(fork);
                        out.push(Action::EarlyMedia { fork });
                    } else if !self.rang && self.early.is_none() {
                        self.rang = true;
                        out.push(Action::RingCaller);
                    }
                }
            }
            (Phase::Ringing, Event::Answered { fork }) if fork < self.forks.len() => {
                self.forks[fork] = Fork::Answered;
                self.phase = Phase::Answered(fork);
                self.cancel_live(&mut out);
                out.push(Action::AnswerCaller { fork });
            }
            // A second answer racing the first (or a late one): that leg is hung up.
            (Phase::Answered(winner), Event::Answered { fork }) if fork != winner => {
                out.push(Action::ByeCallee { fork });
            }
            (Phase::Done, Event::Answered { fork }) => out.push(Action::ByeCallee { fork }),
            (_, Event::ForkFailed { fork, code }) => {
                if let Some(f) = self.forks.get_mut(fork)
                    && f.live()
                {
                    *f = Fork::Failed(code);
                }
                if self.phase == Phase::Ringing && !self.forks.iter().any(|f| f.live()) {
                    let (code, status) = self.aggregate_failure();
                    out.push(Action::RejectCaller { code });
                    self.finish(
                        &mut out,
                        status,
                        EndedBy::Callee,
                        code,
                        "no device answered",
                    );
                }
            }
            (Phase::Ringing | Phase::Routing, Event::CallerCancelled) => {
                self.cancel_live(&mut out);
                self.finish(
                    &mut out,
                    FinalStatus::Canceled,
                    EndedBy::Caller,
                    487,
                    "caller canceled",
                );
            }
            (Phase::Ringing, Event::RingTimeout) => {
                self.cancel_live(&mut out);
                out.push(Action::RejectCaller { code: 480 });
                self.finish(
                    &mut out,
                    FinalStatus::NoAnswer,
                    EndedBy::System,
                    480,
                    "ring time elapsed",
                );
            }
            (Phase::Answered(fork), Event::Bye { from: Side::Caller }) => {
                out.push(Action::ByeCallee { fork });
                self.finish(
                    &mut out,
                    FinalStatus::Completed,
                    EndedBy::Caller,
                    200,
                    "caller hung up",
                );
            }
            (Phase::Answered(_), Event::Bye { from: Side::Callee }) => {
                out.push(Action::ByeCaller);
                self.finish(
                    &mut out,
                    FinalStatus::Completed,
                    EndedBy::Callee,
                    200,
                    "callee hung up",
                );
            }
            (Phase::Answered(fork), Event::MediaTimeout { side }) => {
                out.push(Action::ByeCaller);
                out.push(Action::ByeCallee { fork });
                let reason = match side {
                    Side::Caller => "no RTP from the caller",
                    Side::Callee => "no RTP from the callee",
                };
                self.finish(
                    &mut out,
                    FinalStatus::Completed,
                    EndedBy::System,
                    408,
                    reason,
                );
            }
            (Phase::Answered(fork), Event::CallerAckTimeout) => {
                out.push(Action::ByeCallee { fork });
                self.finish(
                    &mut out,
                    FinalStatus::Failed,
                    EndedBy::System,
                    408,
                    "no ACK from the caller",
                );
            }
            (Phase::Routing | Phase::Ringing, Event::Shutdown) => {
                self.cancel_live(&mut out);
                out.push(Action::RejectCaller { code: 503 });
                self.finish(
                    &mut out,
                    FinalStatus::Failed,
                    EndedBy::System,
                    503,
                    "server shutting down",
                );
            }
            (Phase::Answered(fork), Event::Shutdown) => {
                out.push(Action::ByeCaller);
                out.push(Action::ByeCallee { fork });
                self.finish(
                    &mut out,
                    FinalStatus::Completed,
                    EndedBy::System,
                    503,
                    "server shutting down",
                );
            }
            (Phase::Routing, Event::CannotRing) => {
                out.push(Action::RejectCaller { code: 503 });
                self.finish(
                    &mut out,
                    FinalStatus::Failed,
                    EndedBy::System,
                    503,
                    "no party could be rung",
                );
            }
            (Phase::Routing | Phase::Ringing, Event::HangUp { reason }) => {
                self.cancel_live(&mut out);
                out.push(Action::RejectCaller { code: 603 });
                self.finish(
                    &mut out,
                    FinalStatus::Canceled,
                    EndedBy::System,
                    603,
                    reason,
                );
            }
            (Phase::Answered(fork), Event::HangUp { reason }) => {
                out.push(Action::ByeCaller);
                out.push(Action::ByeCallee { fork });
                self.finish(
                    &mut out,
                    FinalStatus::Completed,
                    EndedBy::System,
                    200,
                    reason,
                );
            }
            (Phase::Routing | Phase::Ringing, Event::Release) => {
                self.cancel_live(&mut out);
                self.phase = Phase::Done;
                out.push(Action::Released);
            }
            (Phase::Answered(fork), Event::Release) => {
                out.push(Action::ByeCallee { fork });
                self.phase = Phase::Done;
                out.push(Action::Released);
            }
            // Anything else is late or irrelevant (a timer after the answer, a BYE
            // after the end): nothing to do.
            _ => {}
        }
        out
    }

    fn cancel_live(&mut self, out: &mut Vec<Action>) {
        for (fork, state) in self.forks.iter_mut().enumerate() {
            if state.live() {
                *state = Fork::Cancelled;
                out.push(Action::Cancel { fork });
            }
        }
    }

    fn finish(
        &mut self,
        out: &mut Vec<Action>,
        status: FinalStatus,
        by: EndedBy,
        code: u16,
        reason: &'static str,
    ) {
        self.phase = Phase::Done;
        out.push(Action::Finished(Outcome {
            status,
            by,
            code,
            reason,
        }));
    }

    /// What the caller is told when every fork failed: busy when any device was busy
    /// or declined, otherwise "temporarily unavailable".
    fn aggregate_failure(&self) -> (u16, FinalStatus) {
        let codes: Vec<u16> = self
            .forks
            .iter()
            .filter_map(|f| match f {
                Fork::Failed(c) => Some(*c),
                _ => None,
            })
            .collect();
        if codes.iter().any(|c| matches!(c, 486 | 600 | 603)) {
            (486, FinalStatus::Busy)
        } else if codes.iter().all(|c| matches!(c, 408 | 480 | 487)) {
            (480, FinalStatus::NoAnswer)
        } else {
            (480, FinalStatus::Failed)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn started(n: usize) -> CallMachine {
        let mut m = CallMachine::new();
        assert!(m.handle(Event::ForksStarted(n)).is_empty());
        m
    }

    fn outcome(actions: &[Action]) -> Option<Outcome> {
        actions.iter().find_map(|a| match a {
            Action::Finished(o) => Some(*o),
            _ => None,
        })
    }

    #[test]
    fn first_answer_wins_and_the_others_are_cancelled() {
        let mut m = started(3);
        assert_eq!(
            m.handle(Event::Provisional {
                fork: 0,
                early_media: false
            }),
            vec![Action::RingCaller]
        );
        assert!(
            m.handle(Event::Provisional {
                fork: 1,
                early_media: false
            })
            .is_empty(),
            "ring once"
        );
        let a = m.handle(Event::Answered { fork: 1 });
        assert_eq!(
            a,
            vec![
                Action::Cancel { fork: 0 },
                Action::Cancel { fork: 2 },
                Action::AnswerCaller { fork: 1 }
            ]
        );
        assert_eq!(m.answered_fork(), Some(1));
        // Fork 0 answered too, crossing our CANCEL: hang it up.
        assert_eq!(
            m.handle(Event::Answered { fork: 0 }),
            vec![Action::ByeCallee { fork: 0 }]
        );
        // Cancelled forks reporting 487 change nothing.
        assert!(
            m.handle(Event::ForkFailed { fork: 2, code: 487 })
                .is_empty()
        );
        let a = m.handle(Event::Bye { from: Side::Callee });
        assert_eq!(a[0], Action::ByeCaller);
        let o = outcome(&a).unwrap();
        assert_eq!(
            (o.status, o.by, o.code),
            (FinalStatus::Completed, EndedBy::Callee, 200)
        );
        assert!(m.is_done());
        assert!(
            m.handle(Event::Bye { from: Side::Caller }).is_empty(),
            "late BYE ignored"
        );
    }

    #[test]
    fn early_media_replaces_ringing() {
        let mut m = started(2);
        assert_eq!(
            m.handle(Event::Provisional {
                fork: 1,
                early_media: true
            }),
            vec![Action::EarlyMedia { fork: 1 }]
        );
        assert!(
            m.handle(Event::Provisional {
                fork: 0,
                early_media: false
            })
            .is_empty()
        );
        assert_eq!(m.early_fork(), Some(1));
    }

    #[test]
    fn all_busy_is_busy_and_mixed_failures_are_unavailable() {
        let mut m = started(2);
        assert!(
            m.handle(Event::ForkFailed { fork: 0, code: 486 })
                .is_empty(),
            "one fork still rings"
        );
        let a = m.handle(Event::ForkFailed { fork: 1, code: 486 });
        assert_eq!(a[0], Action::RejectCaller { code: 486 });
        assert_eq!(outcome(&a).unwrap().status, FinalStatus::Busy);

        let mut m = started(2);
        m.handle(Event::ForkFailed { fork: 0, code: 408 });
        let a = m.handle(Event::ForkFailed { fork: 1, code: 480 });
        assert_eq!(a[0], Action::RejectCaller { code: 480 });
        assert_eq!(outcome(&a).unwrap().status, FinalStatus::NoAnswer);

        let mut m = started(1);
        let a = m.handle(Event::ForkFailed { fork: 0, code: 500 });
        assert_eq!(outcome(&a).unwrap().status, FinalStatus::Failed);
    }

    #[test]
    fn ring_timeout_cancels_everything_and_tells_the_caller() {
        let mut m = started(2);
        m.handle(Event::Provisional {
            fork: 0,
            early_media: false,
        });
        let a = m.handle(Event::RingTimeout);
        assert_eq!(
            &a[..3],
            &[
                Action::Cancel { fork: 0 },
                Action::Cancel { fork: 1 },
                Action::RejectCaller { code: 480 }
            ]
        );
        let o = outcome(&a).unwrap();
        assert_eq!(
            (o.status, o.by, o.code),
            (FinalStatus::NoAnswer, EndedBy::System, 480)
        );
        assert!(
            m.handle(Event::ForkFailed { fork: 0, code: 487 })
                .is_empty()
        );
        assert!(m.handle(Event::RingTimeout).is_empty());
    }

    #[test]
    fn caller_cancel_before_answer() {
        let mut m = started(1);
        let a = m.handle(Event::CallerCancelled);
        assert_eq!(a[0], Action::Cancel { fork: 0 });
        let o = outcome(&a).unwrap();
        assert_eq!(
            (o.status, o.by, o.code),
            (FinalStatus::Canceled, EndedBy::Caller, 487)
        );
        // The callee answering now is hung up at once.
        assert_eq!(
            m.handle(Event::Answered { fork: 0 }),
            vec![Action::ByeCallee { fork: 0 }]
        );
    }

    #[test]
    fn hangups_after_answer() {
        let mut m = started(1);
        m.handle(Event::Answered { fork: 0 });
        let a = m.handle(Event::Bye { from: Side::Caller });
        assert_eq!(a[0], Action::ByeCallee { fork: 0 });
        assert_eq!(outcome(&a).unwrap().by, EndedBy::Caller);

        let mut m = started(1);
        m.handle(Event::Answered { fork: 0 });
        let a = m.handle(Event::MediaTimeout { side: Side::Callee });
        assert_eq!(&a[..2], &[Action::ByeCaller, Action::ByeCallee { fork: 0 }]);
        let o = outcome(&a).unwrap();
        assert_eq!(
            (o.by, o.reason),
            (EndedBy::System, "no RTP from the callee")
        );

        let mut m = started(1);
        m.handle(Event::Answered { fork: 0 });
        let o = outcome(&m.handle(Event::CallerAckTimeout)).unwrap();
        assert_eq!(o.status, FinalStatus::Failed);
    }

    #[test]
    fn shutdown_ends_calls_in_every_phase() {
        let mut ringing = started(1);
        let a = ringing.handle(Event::Shutdown);
        assert!(a.contains(&Action::RejectCaller { code: 503 }));
        let mut answered = started(1);
        answered.handle(Event::Answered { fork: 0 });
        let a = answered.handle(Event::Shutdown);
        assert!(a.contains(&Action::ByeCaller) && a.contains(&Action::ByeCallee { fork: 0 }));
    }

    #[test]
    fn hang_up_through_the_api() {
        let mut ringing = started(2);
        let a = ringing.handle(Event::HangUp { reason: "api" });
        assert!(a.contains(&Action::Cancel { fork: 0 }) && a.contains(&Action::Cancel { fork: 1 }));
        assert!(a.contains(&Action::RejectCaller { code: 603 }));
        assert_eq!(outcome(&a).map(|o| o.status), Some(FinalStatus::Canceled));
        let mut answered = started(1);
        answered.handle(Event::Answered { fork: 0 });
        let a = answered.handle(Event::HangUp {
            reason: "time limit",
        });
        assert!(a.contains(&Action::ByeCaller) && a.contains(&Action::ByeCallee { fork: 0 }));
        let o = outcome(&a).expect("finished");
        assert_eq!(
            (o.status, o.by, o.code),
            (FinalStatus::Completed, EndedBy::System, 200)
        );
        assert!(answered.is_done());
    }

    #[test]
    fn release_gives_the_caller_back_without_ending_the_call() {
        let mut ringing = started(2);
        ringing.handle(Event::Provisional {
            fork: 1,
            early_media: false,
        });
        let a = ringing.handle(Event::Release);
        assert_eq!(
            a,
            vec![
                Action::Cancel { fork: 0 },
                Action::Cancel { fork: 1 },
                Action::Released
            ]
        );
        assert!(ringing.is_done() && outcome(&a).is_none());
        let mut answered = started(1);
        answered.handle(Event::Answered { fork: 0 });
        let a = answered.handle(Event::Release);
        assert_eq!(a, vec![Action::ByeCallee { fork: 0 }, Action::Released]);
        // A late BYE from the released callee changes nothing.
        assert!(
            answered
                .handle(Event::Bye { from: Side::Callee })
                .is_empty()
        );
    }
}
