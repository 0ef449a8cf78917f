//! `dial` with the party answered: ringback while the targets ring by the dial's
//! strategy (the [`Ringer`] decides), the party bridged to the first that answers,
//! and when that call ends — or nobody answers — `action` learns how it went
//! (`dial_call_status`). A `dial` to a queue takes the caller who waited longest.

use super::screen::Screens;
use super::{CallProgram, Command, Event, Fields, Flow, LegSaid, RingPlan, Running, Step};
use crate::outcome::EndedBy;
use crate::ring::{self, Ringer};
use contract::models::calls::CallStatus;
use contract::verbs::{Dial, DialTarget};
use std::time::{Duration, Instant};

/// Starts a `dial` (the party is answered first: it hears ringback).
pub(super) fn start(program: &mut CallProgram, verb: Dial) -> Flow {
    program.answer();
    program.progressed = true;
    if let [DialTarget::Queue { queue }] = verb.targets.as_slice() {
        program.out.push_back(Command::TakeFromQueue {
            queue: queue.to_string(),
        });
        program.running = Running::DialQueue(QueueDial {
            verb,
            caller: None,
            interrupted: None,
        });
        return Flow::Next;
    }
    let id = resolve(program, &verb, false);
    let music = load_music(program, &verb);
    program.running = Running::Dial(Box::new(Dialing {
        verb,
        ringer: None,
        phase: Phase::Resolving { id },
        interrupted: None,
        music,
        screens: Screens::default(),
        origins: Vec::new(),
        ended: None,
        winner: None,
    }));
    Flow::Next
}

/// A dial run inside another verb (a queue offering its caller to agents): the party,
/// answered already, keeps hearing what plays. [`Dialing::ended`] and
/// [`Dialing::winner`] tell the verb how it went.
pub(super) fn inner(program: &mut CallProgram, verb: Dial) -> Box<Dialing> {
    let id = resolve(program, &verb, false);
    Box::new(Dialing {
        verb,
        ringer: None,
        phase: Phase::Resolving { id },
        interrupted: None,
        music: Music::Keep,
        screens: Screens::default(),
        origins: Vec::new(),
        ended: None,
        winner: None,
    })
}

/// Asks for the dial's music, if it has some (it loads while the targets resolve).
fn load_music(program: &mut CallProgram, verb: &Dial) -> Music {
    let Some(ringback) = &verb.ringback else {
        return Music::None;
    };
    let sound = super::play::Sound::Play(contract::verbs::Play {
        url: ringback.url.clone(),
        recording: ringback.recording.clone(),
        loop_count: 0,
    });
    match super::play::source(program, &sound) {
        Ok(source) => {
            let id = program.id();
            program.out.push_back(Command::LoadAudio { id, source });
            Music::Loading(id)
        }
        Err(problem) => {
            program.report_error("audio_unavailable", &problem, None, None);
            Music::None
        }
    }
}

/// What the caller hears while a dial rings: the ringing tone, or the dial's music.
#[derive(Debug)]
enum Music {
    None,
    /// Whatever plays goes on (the caller of a queue keeps its hold music).
    Keep,
    Loading(u64),
    Ready(super::Audio),
}

/// Asks the driver whom `verb` rings.
pub(super) fn resolve(program: &mut CallProgram, verb: &Dial, through: bool) -> u64 {
    let id = program.id();
    program.out.push_back(Command::Resolve {
        id,
        targets: verb.targets.clone(),
        strategy: verb.strategy,
        ring_time: Duration::from_secs(u64::from(verb.timeout)),
        through,
        caller: super::Presented {
            number: verb.caller_id.as_ref().map(ToString::to_string),
            name: verb.caller_name.as_ref().map(ToString::to_string),
        },
    });
    id
}

/// Reports the targets that could not be used; the others still ring.
pub(super) fn report_problems(program: &mut CallProgram, plan: &RingPlan) {
    for (code, message) in &plan.problems {
        program.report_error(code, message, None, None);
    }
}

/// Why nothing at all can be rung: everybody on a call (`firstavailable`), or nobody
/// with a registered device.
pub(super) fn nobody_to_ring(targets: &[ring::Target]) -> (CallStatus, u16, &'static str) {
    if targets
        .iter()
        .any(|t| t.branches.iter().any(|&ways| ways > 0))
    {
        (CallStatus::Busy, 486, "every target is on a call")
    } else {
        (CallStatus::NoAnswer, 480, "no registered device to ring")
    }
}

/// What `action` learns of a dial.
pub(super) fn dial_fields(status: CallStatus, child: Option<String>) -> Fields {
    Fields {
        dial_call_status: Some(status),
        dial_call_sid: child,
        ..Fields::default()
    }
}

#[derive(Debug)]
enum Phase {
    Resolving {
        id: u64,
    },
    Ringing,
    /// The winner answered; its bridge is being set up.
    Connecting {
        leg: ring::LegId,
    },
    Bridged {
        leg: ring::LegId,
        child: String,
        limit: Option<Instant>,
    },
    /// The bridge is ending; then `action` learns how it went.
    Unbridging {
        child: Option<String>,
    },
}

#[derive(Debug)]
pub(super) struct Dialing {
    verb: Dial,
    /// Rings the targets; kept after the answer to hang up late answers.
    ringer: Option<Ringer>,
    phase: Phase,
    /// Set when the party left (or new orders came) during the dial: what follows.
    interrupted: Option<Flow>,
    music: Music,
    /// Answers that must be accepted first (targets with `confirm`).
    screens: Screens,
    /// For each rung target, the index of the verb's target it comes from.
    origins: Vec<usize>,
    /// How the dial ended, once it has.
    ended: Option<CallStatus>,
    /// The verb's target that answered, once one has.
    winner: Option<usize>,
}

impl Dialing {
    pub fn is_resolving(&self, id: u64) -> bool {
        matches!(self.phase, Phase::Resolving { id: r } if r == id)
    }

    /// How the dial ended (None: not over, or interrupted before an answer).
    pub fn ended(&self) -> Option<CallStatus> {
        self.ended
    }

    /// The index (in the verb's targets) of the target that answered.
    pub fn winner(&self) -> Option<usize> {
        self.winner
    }

    /// Whether the party is bridged to the winner now.
    pub fn is_bridged(&self) -> bool {
        matches!(self.phase, Phase::Bridged { .. })
    }

    pub fn deadline(&self) -> Option<Instant> {
        match (&self.phase, &self.ringer) {
            (Phase::Ringing, Some(ringer)) => ringer.poll_timeout(),
            (Phase::Bridged { limit, .. }, _) => *limit,
            _ => None,
        }
    }

    pub fn handle(&mut self, program: &mut CallProgram, event: Event, now: Instant) -> Step {
        match (&mut self.phase, event) {
            (Phase::Resolving { id }, Event::Resolved { id: done, plan }) if *id == done => {
                report_problems(program, &plan);
                if plan.unavailable {
                    return self.end(CallStatus::Failed, None);
                }
                if plan.stages.is_empty() {
                    let (status, _, why) = nobody_to_ring(&plan.targets);
                    tracing::debug!(why, "dial: nobody to ring");
                    return self.end(status, None);
                }
                match &self.music {
                    Music::Keep => {}
                    Music::Ready(audio) => {
                        super::play::play(program, audio.clone(), 0);
                    }
                    _ => {
                        super::play::play(program, super::tones::ringback(), 0);
                    }
                }
                self.origins.clone_from(&plan.origins);
                self.screens = Screens::new(&self.verb, &plan.origins);
                self.ringer = Some(Ringer::new(plan.targets, plan.stages, now));
                self.phase = Phase::Ringing;
                self.pump(program)
            }
            (phase, Event::AudioLoaded { id, result }) if matches!(self.music, Music::Loading(m) if m == id) =>
            {
                self.music = Music::None;
                match result {
                    // Ringing already: the music replaces the ringing tone.
                    Ok(audio) if matches!(phase, Phase::Ringing) => {
                        super::play::play(program, audio, 0);
                    }
                    Ok(audio) => self.music = Music::Ready(audio),
                    Err(problem) => {
                        program.report_error("audio_unavailable", &problem, None, None);
                    }
                }
                Step::Stay
            }
            (Phase::Ringing, Event::Leg { leg, said }) => {
                if let Some(said) = self.screens.heard(program, leg, said)
                    && let Some(ringer) = self.ringer.as_mut()
                {
                    ringer.handle(said.ring_event(leg), now);
                }
                self.pump(program)
            }
            (_, Event::Screened { leg, result }) => {
                if let Some(said) = self.screens.screened(program, leg, result)
                    && let Some(ringer) = self.ringer.as_mut()
                {
                    ringer.handle(said.ring_event(leg), now);
                }
                if matches!(self.phase, Phase::Ringing) {
                    return self.pump(program);
                }
                Step::Stay
            }
            (Phase::Ringing, Event::Timeout) => {
                if let Some(ringer) = self.ringer.as_mut() {
                    ringer.handle_timeout(now);
                }
                self.pump(program)
            }
            (Phase::Connecting { leg }, Event::Bridged { child }) => {
                let limit = self
                    .verb
                    .time_limit
                    .map(|s| now + Duration::from_secs(u64::from(s)));
                self.phase = Phase::Bridged {
                    leg: *leg,
                    child,
                    limit,
                };
                Step::Stay
            }
            // The bridge could not be made (no usable answer): the dial failed.
            (Phase::Connecting { leg }, Event::Unbridged { .. }) => {
                let leg = *leg;
                program
                    .out
                    .push_back(Command::Leg(ring::Command::Bye { leg }));
                self.end(CallStatus::Failed, None)
            }
            (Phase::Bridged { leg: winner, .. }, Event::Leg { leg, said }) if leg == *winner => {
                match said {
                    LegSaid::Ended { hung_up: true, .. } => {
                        self.unbridge(program, EndedBy::Callee, false)
                    }
                    LegSaid::Ended { .. } => self.unbridge(program, EndedBy::System, false),
                    _ => Step::Stay,
                }
            }
            (_, Event::Leg { leg, said }) => {
                // Another party answering late (crossing our CANCEL) is hung up.
                if let Some(said) = self.screens.heard(program, leg, said)
                    && let Some(ringer) = self.ringer.as_mut()
                {
                    ringer.handle(said.ring_event(leg), now);
                    drain_legs(program, ringer, &mut self.screens);
                }
                Step::Stay
            }
            (Phase::Bridged { .. }, Event::BridgeTimeout { .. }) => {
                self.unbridge(program, EndedBy::System, true)
            }
            (Phase::Bridged { limit, .. }, Event::Timeout) if limit.is_some_and(|l| now >= l) => {
                self.unbridge(program, EndedBy::System, true)
            }
            (Phase::Unbridging { child }, Event::Unbridged { recording }) => {
                let child = child.take();
                self.unbridged(program, child, recording)
            }
            _ => Step::Stay,
        }
    }

    /// The party left, or new orders came: ringing stops or the bridge ends, and the
    /// action still learns how the dial went.
    pub fn interrupt(&mut self, program: &mut CallProgram, flow: Flow) -> Step {
        self.interrupted = Some(flow.clone());
        match self.phase {
            Phase::Resolving { .. } => Step::Done(flow),
            Phase::Ringing => {
                if let Some(ringer) = self.ringer.as_mut() {
                    ringer.abort();
                    drain_legs(program, ringer, &mut self.screens);
                }
                program.out.push_back(Command::StopPlayback);
                if self.verb.action.is_some() {
                    program.notify(
                        self.verb.action.as_ref(),
                        dial_fields(CallStatus::Canceled, None),
                    );
                }
                Step::Done(flow)
            }
            Phase::Connecting { .. } | Phase::Bridged { .. } => {
                let by = match &program.outcome {
                    Some(o) if o.by == program.party => program.party,
                    _ => EndedBy::System,
                };
                self.unbridge(program, by, true)
            }
            Phase::Unbridging { .. } => Step::Stay,
        }
    }

    /// Carries out what the ringer asks and acts on its decision.
    fn pump(&mut self, program: &mut CallProgram) -> Step {
        let Some(ringer) = self.ringer.as_mut() else {
            return Step::Stay;
        };
        match drain_legs(program, ringer, &mut self.screens) {
            Some(ring::Outcome::Connected { leg, target }) => {
                self.winner = self.origins.get(target).copied();
                program.out.push_back(Command::StopPlayback);
                program.out.push_back(Command::Bridge {
                    leg,
                    record: self.verb.record,
                });
                self.phase = Phase::Connecting { leg };
                Step::Stay
            }
            Some(ring::Outcome::Unanswered { status, .. }) => {
                program.out.push_back(Command::StopPlayback);
                tracing::debug!(status = status.as_str(), "dial: not answered");
                self.end(status, None)
            }
            None => Step::Stay,
        }
    }

    /// Ends the bridge (`hang_up`: the dialled party too).
    fn unbridge(&mut self, program: &mut CallProgram, by: EndedBy, hang_up: bool) -> Step {
        let (leg, child) = match &self.phase {
            Phase::Bridged { leg, child, .. } => (*leg, Some(child.clone())),
            Phase::Connecting { leg } => (*leg, None),
            _ => return Step::Stay,
        };
        if hang_up {
            program
                .out
                .push_back(Command::Leg(ring::Command::Bye { leg }));
        }
        program.out.push_back(Command::Unbridge {
            child: super::child_outcome(by, "BYE"),
            resume: program.outcome.is_none(),
        });
        self.phase = Phase::Unbridging { child };
        Step::Stay
    }

    fn unbridged(
        &mut self,
        program: &mut CallProgram,
        child: Option<String>,
        recording: Result<Option<super::Recording>, String>,
    ) -> Step {
        self.ended = Some(CallStatus::Completed);
        let mut fields = dial_fields(CallStatus::Completed, child);
        match recording {
            Ok(r) => fields.recording = r,
            Err(problem) => program.report_error(
                "recording_failed",
                &format!("the dial's recording could not be saved: {problem}"),
                None,
                None,
            ),
        }
        match self.interrupted.take() {
            Some(flow) => {
                // The call is over (or elsewhere): the action still learns how the dial
                // went, but its answer has nothing left to drive.
                if self.verb.action.is_some() {
                    program.notify(self.verb.action.as_ref(), fields);
                }
                Step::Done(flow)
            }
            None => match &self.verb.action {
                Some(action) => Step::Done(Flow::Follow(Some(action.clone()), fields)),
                None => Step::Done(Flow::Next),
            },
        }
    }
}

impl Dialing {
    /// The dial is over with `status`: what follows.
    fn end(&mut self, status: CallStatus, child: Option<String>) -> Step {
        self.ended = Some(status);
        after_dial(&self.verb, status, child)
    }
}

/// What follows a dial that ended with `status`.
fn after_dial(verb: &Dial, status: CallStatus, child: Option<String>) -> Step {
    Step::Done(then(verb, status, child))
}

/// Where the call goes after a dial that ended with `status`: `action`, with how the
/// dial went, or the next verb.
pub(super) fn then(verb: &Dial, status: CallStatus, child: Option<String>) -> Flow {
    match &verb.action {
        Some(action) => Flow::Follow(Some(action.clone()), dial_fields(status, child)),
        None => Flow::Next,
    }
}

/// Passes the ringer's INVITEs, CANCELs and BYEs on (through `screens`); returns its
/// decision, if it came.
pub(super) fn drain_legs(
    program: &mut CallProgram,
    ringer: &mut Ringer,
    screens: &mut Screens,
) -> Option<ring::Outcome> {
    let mut done = None;
    while let Some(command) = ringer.poll() {
        match command {
            ring::Command::Done(outcome) => done = Some(outcome),
            ring::Command::Ringing | ring::Command::EarlyMedia { .. } => {}
            leg => program.out.push_back(Command::Leg(screens.outgoing(leg))),
        }
    }
    done
}

/// A `dial` to a queue: the caller who waited longest is bridged to the party.
#[derive(Debug)]
pub(super) struct QueueDial {
    verb: Dial,
    /// The waiting caller taken (its call sid), once taken.
    caller: Option<String>,
    interrupted: Option<Flow>,
}

impl QueueDial {
    pub fn handle(&mut self, _: &mut CallProgram, event: Event) -> Step {
        match event {
            Event::QueueTaken { caller: None } => {
                after_dial(&self.verb, CallStatus::NoAnswer, None)
            }
            Event::QueueTaken { caller: Some(sid) } => {
                self.caller = Some(sid);
                Step::Stay
            }
            Event::QueueBridgeEnded if self.interrupted.is_none() => {
                after_dial(&self.verb, CallStatus::Completed, self.caller.take())
            }
            Event::Unbridged { .. } | Event::QueueBridgeEnded => {
                Step::Done(self.interrupted.take().unwrap_or(Flow::End))
            }
            _ => Step::Stay,
        }
    }

    /// The party left (or new orders came) while bridged: the waiting caller's call
    /// gives the party's media back first.
    pub fn interrupt(&mut self, program: &mut CallProgram, flow: Flow) -> Step {
        if self.caller.is_none() {
            return Step::Done(flow);
        }
        self.interrupted = Some(flow);
        program.out.push_back(Command::Unbridge {
            child: super::child_outcome(program.party, "BYE"),
            resume: program.outcome.is_none(),
        });
        Step::Stay
    }
}
