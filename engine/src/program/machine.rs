//! The caller's side of a call connected straight through, as a pure state machine:
//! what the [`Ringer`](crate::ring::Ringer) decided about the parties rung, the caller's
//! hangups, timers and media go in; what to tell the caller and the answered party
//! comes out. No I/O and no clock: the driver turns SIP dialog states into [`Event`]s
//! and [`Action`]s into SIP and media operations. The ringer decides who answers; this
//! machine decides what the caller hears of it and who hung up.

use crate::outcome::{EndedBy, Outcome};
use crate::ring::{self, LegId};
use contract::models::calls::CallStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Caller,
    Callee,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// What the ringer says for the caller: ringing, early media, done.
    Rung(ring::Command),
    /// CANCEL from the caller before the answer.
    CallerCancelled,
    /// BYE after the answer.
    Bye { from: Side },
    /// No RTP from this side for the configured time.
    MediaTimeout { side: Side },
    /// We answered the caller and no ACK came.
    CallerAckTimeout,
    /// The server is stopping.
    Shutdown,
    /// The call is hung up through the REST API, or its `time_limit` elapsed.
    HangUp { reason: &'static str },
    /// The call's application takes the caller back (a redirect through the REST API):
    /// the callee's side ends, the caller stays.
    Release,
    /// The connected call reached the dial's `time_limit`.
    TimeLimit,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// 180 to the caller.
    RingCaller,
    /// 183 with our SDP to the caller; relay this leg's early media.
    EarlyMedia {
        leg: LegId,
    },
    /// 200 with our SDP to the caller; bridge the caller with this leg.
    AnswerCaller {
        leg: LegId,
    },
    /// Stop ringing every party ([`ring::Ringer::abort`]).
    StopRinging,
    /// A final error response to the caller.
    RejectCaller {
        code: u16,
    },
    ByeCaller,
    ByeCallee {
        leg: LegId,
    },
    /// The call is over: record it.
    Finished(Outcome),
    /// The callee's side is over and the caller goes back to the application
    /// (answered or not, as it was).
    Released,
    /// The dial is over and the call goes on (a dial with something after it): nobody
    /// answered (`status`), or the answered callee's side ended (`completed`).
    Continue {
        status: CallStatus,
        by: EndedBy,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Ringing,
    Answered(LegId),
    Done,
}

/// One call's decisions.
#[derive(Debug, Clone)]
pub struct CallMachine {
    phase: Phase,
    /// The call goes on after the dial (`answer_on_bridge` with an action or more
    /// verbs): nobody answering, the callee hanging up or the time limit give the
    /// caller back instead of ending the call.
    continues: bool,
}

impl Default for CallMachine {
    fn default() -> Self {
        Self::new()
    }
}

impl CallMachine {
    pub fn new() -> Self {
        Self {
            phase: Phase::Ringing,
            continues: false,
        }
    }

    /// A machine for a dial the call goes on after.
    pub fn continuing() -> Self {
        Self {
            phase: Phase::Ringing,
            continues: true,
        }
    }

    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    pub fn answered_leg(&self) -> Option<LegId> {
        match self.phase {
            Phase::Answered(leg) => Some(leg),
            _ => None,
        }
    }

    pub fn handle(&mut self, event: Event) -> Vec<Action> {
        let mut out = Vec::new();
        match (self.phase, event) {
            (Phase::Ringing, Event::Rung(command)) => self.rung(command, &mut out),
            // The callee's side ends and the call goes on.
            (Phase::Answered(_), Event::Bye { from: Side::Callee }) if self.continues => {
                self.phase = Phase::Done;
                out.push(Action::Continue {
                    status: CallStatus::Completed,
                    by: EndedBy::Callee,
                });
            }
            (Phase::Answered(leg), Event::TimeLimit) if self.continues => {
                out.push(Action::ByeCallee { leg });
                self.phase = Phase::Done;
                out.push(Action::Continue {
                    status: CallStatus::Completed,
                    by: EndedBy::System,
                });
            }
            (Phase::Answered(leg), Event::TimeLimit) => {
                out.push(Action::ByeCaller);
                out.push(Action::ByeCallee { leg });
                self.finish(
                    &mut out,
                    CallStatus::Completed,
                    EndedBy::System,
                    200,
                    "time limit reached",
                );
            }
            (Phase::Ringing, Event::CallerCancelled) => {
                out.push(Action::StopRinging);
                self.finish(
                    &mut out,
                    CallStatus::Canceled,
                    EndedBy::Caller,
                    487,
                    "caller canceled",
                );
            }
            // The caller's dialog ended some other way before the answer: gone too.
            (Phase::Ringing, Event::Bye { from: Side::Caller } | Event::CallerAckTimeout) => {
                out.push(Action::StopRinging);
                self.finish(
                    &mut out,
                    CallStatus::Canceled,
                    EndedBy::Caller,
                    487,
                    "caller went away",
                );
            }
            (Phase::Answered(leg), Event::Bye { from: Side::Caller }) => {
                out.push(Action::ByeCallee { leg });
                self.finish(
                    &mut out,
                    CallStatus::Completed,
                    EndedBy::Caller,
                    200,
                    "caller hung up",
                );
            }
            (Phase::Answered(_), Event::Bye { from: Side::Callee }) => {
                out.push(Action::ByeCaller);
                self.finish(
                    &mut out,
                    CallStatus::Completed,
                    EndedBy::Callee,
                    200,
                    "callee hung up",
                );
            }
            (Phase::Answered(leg), Event::MediaTimeout { side }) => {
                out.push(Action::ByeCaller);
                out.push(Action::ByeCallee { leg });
                let reason = match side {
                    Side::Caller => "no RTP from the caller",
                    Side::Callee => "no RTP from the callee",
                };
                self.finish(
                    &mut out,
                    CallStatus::Completed,
                    EndedBy::System,
                    408,
                    reason,
                );
            }
            (Phase::Answered(leg), Event::CallerAckTimeout) => {
                out.push(Action::ByeCallee { leg });
                self.finish(
                    &mut out,
                    CallStatus::Failed,
                    EndedBy::System,
                    408,
                    "no ACK from the caller",
                );
            }
            (Phase::Ringing, Event::Shutdown) => {
                out.push(Action::StopRinging);
                out.push(Action::RejectCaller { code: 503 });
                self.finish(
                    &mut out,
                    CallStatus::Failed,
                    EndedBy::System,
                    503,
                    "server shutting down",
                );
            }
            (Phase::Answered(leg), Event::Shutdown) => {
                out.push(Action::ByeCaller);
                out.push(Action::ByeCallee { leg });
                self.finish(
                    &mut out,
                    CallStatus::Completed,
                    EndedBy::System,
                    503,
                    "server shutting down",
                );
            }
            (Phase::Ringing, Event::HangUp { reason }) => {
                out.push(Action::StopRinging);
                out.push(Action::RejectCaller { code: 603 });
                self.finish(&mut out, CallStatus::Canceled, EndedBy::System, 603, reason);
            }
            (Phase::Answered(leg), Event::HangUp { reason }) => {
                out.push(Action::ByeCaller);
                out.push(Action::ByeCallee { leg });
                self.finish(
                    &mut out,
                    CallStatus::Completed,
                    EndedBy::System,
                    200,
                    reason,
                );
            }
            (Phase::Ringing, Event::Release) => {
                out.push(Action::StopRinging);
                self.phase = Phase::Done;
                out.push(Action::Released);
            }
            (Phase::Answered(leg), Event::Release) => {
                out.push(Action::ByeCallee { leg });
                self.phase = Phase::Done;
                out.push(Action::Released);
            }
            // Anything else is late or irrelevant (the ringer's `done` after we stopped
            // it, a BYE after the end): nothing to do.
            _ => {}
        }
        out
    }

    /// What the ringer decided, for the caller.
    fn rung(&mut self, command: ring::Command, out: &mut Vec<Action>) {
        match command {
            ring::Command::Ringing => out.push(Action::RingCaller),
            ring::Command::EarlyMedia { leg } => out.push(Action::EarlyMedia { leg }),
            ring::Command::Done(ring::Outcome::Connected { leg, .. }) => {
                self.phase = Phase::Answered(leg);
                out.push(Action::AnswerCaller { leg });
            }
            ring::Command::Done(ring::Outcome::Unanswered { status, .. }) if self.continues => {
                self.phase = Phase::Done;
                out.push(Action::Continue {
                    status,
                    by: EndedBy::Callee,
                });
            }
            ring::Command::Done(ring::Outcome::Unanswered {
                status,
                code,
                rang_out,
            }) => {
                out.push(Action::RejectCaller { code });
                let (by, reason) = if rang_out {
                    (EndedBy::System, "ring time elapsed")
                } else {
                    (EndedBy::Callee, "no device answered")
                };
                self.finish(out, status, by, code, reason);
            }
            // Legs are the driver's business (the ringer's INVITEs, CANCELs, BYEs).
            ring::Command::Invite { .. }
            | ring::Command::Cancel { .. }
            | ring::Command::Abandon { .. }
            | ring::Command::Bye { .. } => {}
        }
    }

    fn finish(
        &mut self,
        out: &mut Vec<Action>,
        status: CallStatus,
        by: EndedBy,
        code: u16,
        reason: &'static str,
    ) {
        self.phase = Phase::Done;
        out.push(Action::Finished(Outcome::new(status, by, code, reason)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(actions: &[Action]) -> Option<Outcome> {
        actions.iter().find_map(|a| match a {
            Action::Finished(o) => Some(o.clone()),
            _ => None,
        })
    }

    fn connected(leg: LegId) -> Event {
        Event::Rung(ring::Command::Done(ring::Outcome::Connected {
            leg,
            target: 0,
        }))
    }

    fn unanswered(status: CallStatus, code: u16, rang_out: bool) -> Event {
        Event::Rung(ring::Command::Done(ring::Outcome::Unanswered {
            status,
            code,
            rang_out,
        }))
    }

    fn answered(leg: LegId) -> CallMachine {
        let mut m = CallMachine::new();
        assert_eq!(m.handle(connected(leg)), vec![Action::AnswerCaller { leg }]);
        m
    }

    #[test]
    fn the_caller_hears_ringing_and_early_media_as_the_ringer_says() {
        let mut m = CallMachine::new();
        assert_eq!(
            m.handle(Event::Rung(ring::Command::Ringing)),
            vec![Action::RingCaller]
        );
        assert_eq!(
            m.handle(Event::Rung(ring::Command::EarlyMedia { leg: 1 })),
            vec![Action::EarlyMedia { leg: 1 }]
        );
        assert_eq!(
            m.handle(connected(1)),
            vec![Action::AnswerCaller { leg: 1 }]
        );
        assert_eq!(m.answered_leg(), Some(1));
    }

    #[test]
    fn nobody_answering_refuses_the_caller_with_the_ringers_code() {
        let mut m = CallMachine::new();
        let a = m.handle(unanswered(CallStatus::Busy, 486, false));
        assert_eq!(a[0], Action::RejectCaller { code: 486 });
        let o = outcome(&a).unwrap();
        assert_eq!(
            (o.status, o.by, o.code),
            (CallStatus::Busy, EndedBy::Callee, 486)
        );
        assert!(m.is_done());

        let mut m = CallMachine::new();
        let o = outcome(&m.handle(unanswered(CallStatus::NoAnswer, 480, true))).unwrap();
        assert_eq!(
            (o.status, o.by, o.reason.as_str()),
            (CallStatus::NoAnswer, EndedBy::System, "ring time elapsed")
        );
    }

    #[test]
    fn a_caller_gone_any_other_way_before_the_answer_stops_the_ringing_too() {
        let mut m = CallMachine::new();
        let a = m.handle(Event::Bye { from: Side::Caller });
        assert_eq!(a[0], Action::StopRinging);
        let o = outcome(&a).unwrap();
        assert_eq!((o.status, o.by), (CallStatus::Canceled, EndedBy::Caller));
    }

    #[test]
    fn caller_cancel_before_answer_stops_the_ringing() {
        let mut m = CallMachine::new();
        let a = m.handle(Event::CallerCancelled);
        assert_eq!(a[0], Action::StopRinging);
        let o = outcome(&a).unwrap();
        assert_eq!(
            (o.status, o.by, o.code),
            (CallStatus::Canceled, EndedBy::Caller, 487)
        );
        // The stopped ringer's own `done` changes nothing.
        assert!(
            m.handle(unanswered(CallStatus::Canceled, 487, false))
                .is_empty()
        );
    }

    #[test]
    fn hangups_after_answer() {
        let mut m = answered(0);
        let a = m.handle(Event::Bye { from: Side::Caller });
        assert_eq!(a[0], Action::ByeCallee { leg: 0 });
        assert_eq!(outcome(&a).unwrap().by, EndedBy::Caller);
        assert!(
            m.handle(Event::Bye { from: Side::Callee }).is_empty(),
            "late BYE ignored"
        );

        let mut m = answered(2);
        let a = m.handle(Event::Bye { from: Side::Callee });
        assert_eq!(a[0], Action::ByeCaller);
        let o = outcome(&a).unwrap();
        assert_eq!(
            (o.status, o.by, o.code),
            (CallStatus::Completed, EndedBy::Callee, 200)
        );

        let mut m = answered(0);
        let a = m.handle(Event::MediaTimeout { side: Side::Callee });
        assert_eq!(&a[..2], &[Action::ByeCaller, Action::ByeCallee { leg: 0 }]);
        let o = outcome(&a).unwrap();
        assert_eq!(
            (o.by, o.reason.as_str()),
            (EndedBy::System, "no RTP from the callee")
        );

        let mut m = answered(0);
        let o = outcome(&m.handle(Event::CallerAckTimeout)).unwrap();
        assert_eq!(o.status, CallStatus::Failed);
    }

    #[test]
    fn shutdown_ends_calls_in_every_phase() {
        let mut ringing = CallMachine::new();
        let a = ringing.handle(Event::Shutdown);
        assert!(
            a.contains(&Action::StopRinging) && a.contains(&Action::RejectCaller { code: 503 })
        );
        let mut m = answered(0);
        let a = m.handle(Event::Shutdown);
        assert!(a.contains(&Action::ByeCaller) && a.contains(&Action::ByeCallee { leg: 0 }));
    }

    #[test]
    fn hang_up_through_the_api_or_the_time_limit() {
        let mut ringing = CallMachine::new();
        let a = ringing.handle(Event::HangUp { reason: "api" });
        assert!(
            a.contains(&Action::StopRinging) && a.contains(&Action::RejectCaller { code: 603 })
        );
        assert_eq!(outcome(&a).map(|o| o.status), Some(CallStatus::Canceled));
        let mut m = answered(0);
        let a = m.handle(Event::HangUp {
            reason: "time limit",
        });
        assert!(a.contains(&Action::ByeCaller) && a.contains(&Action::ByeCallee { leg: 0 }));
        let o = outcome(&a).expect("finished");
        assert_eq!(
            (o.status, o.by, o.code),
            (CallStatus::Completed, EndedBy::System, 200)
        );
        assert!(m.is_done());
    }

    #[test]
    fn release_gives_the_caller_back_without_ending_the_call() {
        let mut ringing = CallMachine::new();
        let a = ringing.handle(Event::Release);
        assert_eq!(a, vec![Action::StopRinging, Action::Released]);
        assert!(ringing.is_done() && outcome(&a).is_none());
        let mut m = answered(1);
        let a = m.handle(Event::Release);
        assert_eq!(a, vec![Action::ByeCallee { leg: 1 }, Action::Released]);
        assert!(m.handle(Event::Bye { from: Side::Callee }).is_empty());
    }
}
