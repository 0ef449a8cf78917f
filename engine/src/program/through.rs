//! A `dial` that is all an unanswered call has left connects the caller straight
//! through, as a PBX does — the built-in document of a call to an extension is
//! `[dial the extension]`: the caller is not answered while the targets ring, hears
//! their ringing (180) or early media (183), is answered when one answers, and gets
//! their refusal as its own final answer (486, 480…). The [`Ringer`] decides who
//! answers, the [`CallMachine`] what the caller hears of it and who hung up; a REST
//! redirect takes the caller back to the program.

use super::dial::{dial_fields, drain_legs, nobody_to_ring, report_problems, resolve};
use super::machine::{Action, CallMachine, Event as MachineEvent, Side};
use super::screen::Screens;
use super::{CallProgram, Command, Event, Flow, Gone, LegSaid, Rest, Running, Step};
use crate::outcome::Outcome;
use crate::ring::{self, Ringer};
use contract::models::calls::CallStatus;
use contract::verbs::{Dial, DialTarget};
use contract::webhook::CallEvent;
use std::time::{Duration, Instant};

/// Whether `verb` connects the party straight through: the party is unanswered, the
/// dial rings parties (not a queue), and it asks to (`answer_on_bridge`) or is the
/// document's last verb without `action`.
pub(super) fn applies(program: &CallProgram, verb: &Dial, last: bool) -> bool {
    let to_queue = matches!(verb.targets.as_slice(), [DialTarget::Queue { .. }]);
    // Music while ringing needs the caller answered: never straight through.
    !program.answered
        && !to_queue
        && verb.ringback.is_none()
        && (verb.answer_on_bridge || (last && verb.action.is_none()))
}

#[derive(Debug)]
enum Phase {
    Resolving {
        id: u64,
    },
    /// Ringing, then connected: the machine decides.
    Calling,
    /// The dialled call is over; its bridge ends, then `then`.
    Unbridging {
        then: Flow,
    },
}

#[derive(Debug)]
pub(super) struct Through {
    verb: Dial,
    phase: Phase,
    ringer: Option<Ringer>,
    machine: CallMachine,
    /// The dialled call's record, once the caller is connected.
    child: Option<String>,
    /// When the connected call must end (`time_limit`).
    limit: Option<Instant>,
    /// New orders from the REST API, once the machine released the caller.
    released: Option<Flow>,
    /// Who ended the dialled call when the call goes on after it.
    continued: Option<crate::outcome::EndedBy>,
    /// What the action is told when the call ended during the dial.
    notify: Option<super::Fields>,
    /// The call goes on after the dial (it has an action, or verbs follow it).
    continues: bool,
    /// Answers that must be accepted first (targets with `confirm`).
    screens: Screens,
}

impl Through {
    pub fn is_resolving(&self, id: u64) -> bool {
        matches!(self.phase, Phase::Resolving { id: r } if r == id)
    }

    /// Starts connecting the party through; `last`: nothing follows the dial in the
    /// document (without `action` either, the call ends with the dialled call).
    pub fn start(program: &mut CallProgram, verb: Dial, last: bool) -> Flow {
        program.progressed = true;
        let id = resolve(program, &verb, true);
        let continues = !(last && verb.action.is_none());
        let machine = if continues {
            CallMachine::continuing()
        } else {
            CallMachine::new()
        };
        program.running = Running::Through(Box::new(Self {
            verb,
            phase: Phase::Resolving { id },
            ringer: None,
            machine,
            child: None,
            limit: None,
            released: None,
            continued: None,
            notify: None,
            continues,
            screens: Screens::default(),
        }));
        Flow::Next
    }

    pub fn deadline(&self) -> Option<Instant> {
        let ringing = self.ringer.as_ref().and_then(Ringer::poll_timeout);
        match (ringing, self.limit) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub fn handle(&mut self, program: &mut CallProgram, event: Event, now: Instant) -> Step {
        if let Phase::Resolving { id } = self.phase {
            return match event {
                Event::Resolved { id: done, plan } if done == id => {
                    report_problems(program, &plan);
                    let nobody = if plan.unavailable {
                        Some((CallStatus::Failed, 503, "no party could be rung"))
                    } else if plan.stages.is_empty() {
                        Some(nobody_to_ring(&plan.targets))
                    } else {
                        None
                    };
                    if let Some((status, code, why)) = nobody {
                        if !self.continues {
                            return Step::Done(program.end_unanswered(status, code, why));
                        }
                        // The call goes on unanswered (an extension's no-answer
                        // destination when it has no registered phone, for instance).
                        tracing::debug!(why, "dial: nobody to ring");
                        return Step::Done(super::dial::then(&self.verb, status, None));
                    }
                    self.screens = Screens::new(&self.verb, &plan.origins);
                    self.ringer = Some(Ringer::new(plan.targets, plan.stages, now));
                    self.phase = Phase::Calling;
                    self.pump(program, now)
                }
                // Gone (or new orders) before anybody rang.
                Event::PartyGone(gone) => {
                    program.party_left(gone);
                    Step::Done(Flow::End)
                }
                Event::Shutdown => {
                    program.shutting_down();
                    Step::Done(Flow::End)
                }
                Event::Rest(order) => Step::Done(program.rest_order(order)),
                _ => Step::Stay,
            };
        }
        if let Phase::Unbridging { then } = &mut self.phase {
            return match event {
                Event::Unbridged { recording } => {
                    let then = std::mem::replace(then, Flow::End);
                    self.unbridged(program, recording, then)
                }
                // Gone while its media leaves the bridge: the call ends there, whatever
                // was to follow (an action still learns how the dial went).
                Event::PartyGone(gone) => {
                    program.party_left(gone);
                    Step::Stay
                }
                Event::Shutdown => {
                    program.shutting_down();
                    Step::Stay
                }
                _ => Step::Stay,
            };
        }
        let machine_event = match event {
            Event::Leg {
                leg,
                said: LegSaid::Ended { hung_up: true, .. },
            } if self.machine.answered_leg() == Some(leg) => {
                Some(MachineEvent::Bye { from: Side::Callee })
            }
            Event::Leg { leg, .. } if self.machine.answered_leg() == Some(leg) => None,
            Event::Leg { leg, said } => {
                if let Some(said) = self.screens.heard(program, leg, said)
                    && let Some(ringer) = self.ringer.as_mut()
                {
                    ringer.handle(said.ring_event(leg), now);
                }
                None
            }
            Event::Screened { leg, result } => {
                if let Some(said) = self.screens.screened(program, leg, result)
                    && let Some(ringer) = self.ringer.as_mut()
                {
                    ringer.handle(said.ring_event(leg), now);
                }
                None
            }
            Event::Timeout => {
                if self.limit.is_some_and(|l| now >= l) {
                    self.limit = None;
                    Some(MachineEvent::TimeLimit)
                } else {
                    if let Some(ringer) = self.ringer.as_mut() {
                        ringer.handle_timeout(now);
                    }
                    None
                }
            }
            Event::Bridged { child } => {
                self.child = Some(child);
                None
            }
            Event::PartyGone(Gone::Cancelled) => Some(MachineEvent::CallerCancelled),
            Event::PartyGone(Gone::HungUp) => Some(MachineEvent::Bye { from: Side::Caller }),
            Event::PartyGone(Gone::NoAck) => Some(MachineEvent::CallerAckTimeout),
            Event::BridgeTimeout { party } => Some(MachineEvent::MediaTimeout {
                side: if party { Side::Caller } else { Side::Callee },
            }),
            Event::Shutdown => Some(MachineEvent::Shutdown),
            Event::Rest(Rest::Hangup) => Some(MachineEvent::HangUp {
                reason: "hung up through the API",
            }),
            Event::Rest(Rest::Redirect(url)) => {
                self.released = Some(Flow::Fetch(url));
                Some(MachineEvent::Release)
            }
            Event::Rest(Rest::Verbs(verbs)) => {
                self.released = Some(Flow::Verbs(verbs));
                Some(MachineEvent::Release)
            }
            _ => None,
        };
        if let Some(e) = machine_event {
            let actions = self.machine.handle(e);
            if let Some(step) = self.apply(program, actions, now) {
                return step;
            }
        }
        self.pump(program, now)
    }

    /// A call connected straight through hears of hangups and orders through
    /// [`Through::handle`]; anything else ending it (its answer failing) stops the
    /// ringing.
    pub fn interrupt(&mut self, program: &mut CallProgram, flow: Flow) -> Step {
        if let Some(ringer) = self.ringer.as_mut() {
            ringer.abort();
            drain_legs(program, ringer, &mut self.screens);
        }
        Step::Done(flow)
    }

    /// Carries out what the ringer asks; its decisions go through the machine.
    fn pump(&mut self, program: &mut CallProgram, now: Instant) -> Step {
        loop {
            let Some(ringer) = self.ringer.as_mut() else {
                return Step::Stay;
            };
            let mut decided = Vec::new();
            while let Some(command) = ringer.poll() {
                match command {
                    ring::Command::Ringing
                    | ring::Command::EarlyMedia { .. }
                    | ring::Command::Done(_) => decided.push(command),
                    leg => program
                        .out
                        .push_back(Command::Leg(self.screens.outgoing(leg))),
                }
            }
            if decided.is_empty() {
                return Step::Stay;
            }
            for command in decided {
                let actions = self.machine.handle(MachineEvent::Rung(command));
                if let Some(step) = self.apply(program, actions, now) {
                    return step;
                }
            }
        }
    }

    /// Carries out the machine's actions; `Some` when the verb is done with.
    fn apply(
        &mut self,
        program: &mut CallProgram,
        actions: Vec<Action>,
        now: Instant,
    ) -> Option<Step> {
        let mut finished = None;
        for action in actions {
            match action {
                Action::RingCaller => program.out.push_back(Command::Ringing),
                Action::EarlyMedia { leg } => program.out.push_back(Command::EarlyMedia { leg }),
                Action::AnswerCaller { leg } => {
                    program.answered = true;
                    program.out.push_back(Command::AnswerThrough {
                        leg,
                        record: self.verb.record,
                    });
                    self.limit = self
                        .verb
                        .time_limit
                        .map(|s| now + Duration::from_secs(u64::from(s)));
                }
                Action::StopRinging => {
                    if let Some(ringer) = self.ringer.as_mut() {
                        ringer.abort();
                        // Only CANCELs come out now: the machine is past ringing.
                        drain_legs(program, ringer, &mut self.screens);
                    }
                }
                Action::RejectCaller { code } => program.out.push_back(Command::Reject { code }),
                Action::ByeCaller => program.out.push_back(Command::HangUp),
                Action::ByeCallee { leg } => program
                    .out
                    .push_back(Command::Leg(ring::Command::Bye { leg })),
                Action::Finished(outcome) => {
                    // The call ends during the dial: its action still learns how the
                    // dial went (its answer drives nothing).
                    if self.verb.action.is_some() {
                        let status = if self.child.is_some() {
                            CallStatus::Completed
                        } else {
                            CallStatus::Canceled
                        };
                        self.notify = Some(dial_fields(status, self.child.clone()));
                    }
                    finished = Some((Some(outcome), Flow::End));
                }
                Action::Released => {
                    let then = self.released.take().unwrap_or(Flow::End);
                    finished = Some((None, then));
                }
                Action::Continue { status, by } => {
                    let then = super::dial::then(&self.verb, status, self.child.clone());
                    self.continued = Some(by);
                    finished = Some((None, then));
                }
            }
        }
        let (outcome, then) = finished?;
        let child = match (&outcome, self.continued) {
            (Some(o), _) => o.clone(),
            (None, Some(by)) => super::child_outcome(by, "BYE"),
            (None, None) => Outcome::new(
                CallStatus::Completed,
                crate::outcome::EndedBy::System,
                200,
                "redirected through the API",
            ),
        };
        if let Some(o) = outcome {
            program.set_outcome(o.status, o.by, o.code, &o.reason);
        }
        // The party's media leaves the bridge (or early media): ours again if the call
        // goes on answered, gone otherwise.
        let resume = matches!(
            then,
            Flow::Fetch(_) | Flow::Verbs(_) | Flow::Follow(..) | Flow::Next
        ) && program.answered;
        program.out.push_back(Command::Unbridge { child, resume });
        self.phase = Phase::Unbridging { then };
        self.limit = None;
        Some(Step::Stay)
    }

    /// The connected call's bridge is over: a recording is announced (there is no
    /// `action` to tell), then the call ends or the REST API's orders go on.
    fn unbridged(
        &mut self,
        program: &mut CallProgram,
        recording: Result<Option<super::Recording>, String>,
        then: Flow,
    ) -> Step {
        let mut then = then;
        if program.outcome.is_some()
            && let Flow::Follow(_, fields) = &then
        {
            // The call ended meanwhile: the action is told, its answer drives nothing.
            self.notify = Some(fields.clone());
            then = Flow::End;
        }
        if let Some(mut fields) = self.notify.take() {
            if let Ok(Some(r)) = &recording {
                fields.recording = Some(r.clone());
            }
            program.notify(self.verb.action.as_ref(), fields);
            return Step::Done(then);
        }
        match recording {
            // The action learns of the recording, as after any dial.
            Ok(Some(r)) if matches!(then, Flow::Follow(..)) => {
                if let Flow::Follow(_, fields) = &mut then {
                    fields.recording = Some(r);
                }
            }
            Ok(Some(r)) => {
                let mut fields = dial_fields(CallStatus::Completed, None);
                fields.recording = Some(r);
                program.out.push_back(Command::Status {
                    event: CallEvent::Recording,
                    fields,
                    url: None,
                    error: None,
                });
            }
            Ok(None) => {}
            Err(problem) => program.report_error(
                "recording_failed",
                &format!("the dial's recording could not be saved: {problem}"),
                None,
                None,
            ),
        }
        Step::Done(then)
    }
}
