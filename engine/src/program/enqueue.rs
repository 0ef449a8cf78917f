//! `enqueue`: wait in a queue hearing the `wait_url` document's audio (its `play`,
//! `say` and `pause` verbs, looped; a `leave` in it ends the wait after one round).
//! A provisioned queue offers the caller to its agents ([`super::acd`]); any other
//! name is an application's FIFO, kept by this node, until an agent's `dial` to the
//! queue picks the call up. The wait ends bridged, or the party leaves or hangs up, or
//! the queue sends it on. `action` learns `reason` (`bridged`, `leave`, and for a
//! provisioned queue `timeout`, `full`, `empty`, `key`, `left`) and `queue_time`.

use super::acd::{Acd, AcdStep};
use super::play::{self, Sound};
use super::{CallProgram, Command, Event, Fields, Flow, QueueNews, Running, Step};
use contract::verbs::{Enqueue, Verb};
use std::time::Instant;

/// A piece of hold audio.
#[derive(Debug)]
enum Piece {
    Sound(Sound),
    Silence(u32),
}

#[derive(Debug)]
enum Phase {
    Joining,
    /// Fetching the `wait_url` document.
    Fetching {
        id: u64,
    },
    /// Loading the hold audio, piece by piece.
    Loading {
        pieces: Vec<Piece>,
        loading: u64,
    },
    Waiting {
        playback: Option<u64>,
    },
    /// Bridged to an agent.
    WithAgent,
    /// The bridge is ending because the party left.
    Unbridging,
}

#[derive(Debug)]
pub(super) struct Queued {
    verb: Enqueue,
    phase: Phase,
    joined: Option<Instant>,
    /// The hold audio made so far, and whether the wait document ends with `leave`.
    hold: Vec<i16>,
    leaves: bool,
    interrupted: Option<Flow>,
    /// A provisioned queue's agents serve the caller.
    acd: Option<Acd>,
    /// The hold audio, to play again after announcements and offers.
    held: Option<super::Audio>,
}

impl Queued {
    pub fn start(program: &mut CallProgram, verb: Enqueue) -> Flow {
        program.answer();
        program.progressed = true;
        program.out.push_back(Command::JoinQueue {
            queue: verb.queue.to_string(),
        });
        program.running = Running::Enqueue(Box::new(Self {
            verb,
            phase: Phase::Joining,
            joined: None,
            hold: Vec::new(),
            leaves: false,
            interrupted: None,
            acd: None,
            held: None,
        }));
        Flow::Next
    }

    pub fn deadline(&self) -> Option<Instant> {
        match (&self.phase, &self.acd) {
            (Phase::Waiting { .. }, Some(acd)) => acd.deadline(),
            _ => None,
        }
    }

    pub fn is_resolving(&self, id: u64) -> bool {
        self.acd.as_ref().is_some_and(|a| a.is_resolving(id))
    }

    /// An event for the agents' side of a provisioned queue.
    fn served(&mut self, program: &mut CallProgram, event: Event, now: Instant) -> Step {
        let Some(acd) = self.acd.as_mut() else {
            return Step::Stay;
        };
        if acd.is_interrupted() {
            return acd.handle_interrupted(program, event, now);
        }
        if let (Phase::Waiting { playback }, Event::PlaybackDone { id }) = (&self.phase, &event)
            && *playback == Some(*id)
            && self.leaves
        {
            let _ = acd.leave(program, crate::acd::QueueExit::Left, now);
            return self.after(program, "leave", now);
        }
        match acd.handle(program, event, now) {
            AcdStep::Stay => Step::Stay,
            AcdStep::Replay => {
                self.replay(program);
                Step::Stay
            }
            AcdStep::Out(reason) => self.after(program, reason, now),
        }
    }

    /// The hold audio again, from the start.
    fn replay(&mut self, program: &mut CallProgram) {
        let playback = self.held.clone().map(|audio| {
            let loops = if self.leaves { 1 } else { 0 };
            play::play(program, audio, loops)
        });
        self.phase = Phase::Waiting { playback };
    }

    pub fn handle(&mut self, program: &mut CallProgram, event: Event, now: Instant) -> Step {
        if self.acd.is_some() && matches!(self.phase, Phase::Waiting { .. }) {
            return self.served(program, event, now);
        }
        match (&mut self.phase, event) {
            (Phase::Joining, Event::QueueJoined { position }) => {
                self.joined = Some(now);
                self.fetch_hold(program, position)
            }
            (Phase::Joining, Event::QueueEntered { position, settings }) => {
                self.joined = Some(now);
                let queue = self.verb.queue.to_string();
                tracing::info!(%queue, position, "caller waits in a queue served by agents");
                program.out.push_back(Command::QueueEvent(QueueNews {
                    event: "queue.joined",
                    queue: queue.clone(),
                    position: Some(position),
                    ..QueueNews::default()
                }));
                self.acd = Some(Acd::new(queue, settings, position, now));
                self.fetch_hold(program, position as usize)
            }
            (Phase::Joining, Event::QueueRefused { exit }) => {
                tracing::info!(queue = %self.verb.queue, reason = exit.as_str(), "the queue refused the caller");
                program.out.push_back(Command::QueueEvent(QueueNews {
                    event: "queue.left",
                    queue: self.verb.queue.to_string(),
                    wait_seconds: Some(0),
                    reason: Some(exit.as_str()),
                    ..QueueNews::default()
                }));
                self.joined = Some(now);
                self.after(program, exit.as_str(), now)
            }
            (Phase::Fetching { id }, Event::Fetched { id: done, result }) if *id == done => {
                match result {
                    Ok(document) => {
                        let mut pieces = Vec::new();
                        for verb in document.verbs {
                            match verb {
                                Verb::Play(p) => pieces.push(Piece::Sound(Sound::Play(p))),
                                Verb::Say(s) => pieces.push(Piece::Sound(Sound::Say(s))),
                                Verb::Pause(p) => pieces.push(Piece::Silence(p.length)),
                                Verb::Leave(_) => {
                                    self.leaves = true;
                                    break;
                                }
                                other => tracing::info!(
                                    verb = other.name(),
                                    "wait_url: only play, say, pause and leave are used"
                                ),
                            }
                        }
                        self.load_next(program, pieces)
                    }
                    Err(failure) => {
                        program.report_error(
                            "webhook_failed",
                            &format!("wait_url: {}", failure.message),
                            failure.url,
                            None,
                        );
                        self.wait(program)
                    }
                }
            }
            (Phase::Loading { pieces, loading }, Event::AudioLoaded { id, result })
                if *loading == id =>
            {
                match result {
                    Ok(audio) => self.hold.extend_from_slice(&audio),
                    Err(problem) => {
                        program.report_error("audio_unavailable", &problem, None, None);
                    }
                }
                let pieces = std::mem::take(pieces);
                self.load_next(program, pieces)
            }
            (Phase::Waiting { playback }, Event::PlaybackDone { id })
                if *playback == Some(id) && self.leaves =>
            {
                program.out.push_back(Command::LeaveQueue {
                    queue: self.verb.queue.to_string(),
                });
                self.after(program, "leave", now)
            }
            (
                Phase::Joining
                | Phase::Fetching { .. }
                | Phase::Loading { .. }
                | Phase::Waiting { .. },
                Event::QueuePickedUp { agent },
            ) => {
                tracing::debug!(%agent, "queued caller picked up");
                program.out.push_back(Command::StopPlayback);
                program.out.push_back(Command::BridgePickup);
                self.phase = Phase::WithAgent;
                Step::Stay
            }
            (Phase::WithAgent, Event::QueueBridgeEnded) => self.after(program, "bridged", now),
            (Phase::Unbridging, Event::Unbridged { .. } | Event::QueueBridgeEnded) => {
                Step::Done(self.interrupted.take().unwrap_or(Flow::End))
            }
            _ => Step::Stay,
        }
    }

    /// The party left (or new orders came): out of the queue, or out of the bridge.
    pub fn interrupt(&mut self, program: &mut CallProgram, flow: Flow, now: Instant) -> Step {
        if let Some(acd) = self.acd.as_mut() {
            return acd.interrupt(program, flow, now);
        }
        match self.phase {
            Phase::WithAgent => {
                self.interrupted = Some(flow);
                program.out.push_back(Command::Unbridge {
                    child: super::child_outcome(program.party, "BYE"),
                    resume: program.outcome.is_none(),
                });
                self.phase = Phase::Unbridging;
                Step::Stay
            }
            Phase::Unbridging => Step::Stay,
            _ => {
                program.out.push_back(Command::LeaveQueue {
                    queue: self.verb.queue.to_string(),
                });
                Step::Done(flow)
            }
        }
    }

    /// The hold document from `wait_url`, if any.
    fn fetch_hold(&mut self, program: &mut CallProgram, position: usize) -> Step {
        let Some(wait_url) = self.verb.wait_url.clone() else {
            return self.wait(program);
        };
        match wait_url.resolve(Some(&program.document_url)) {
            Ok(url) => {
                let id = program.id();
                program.out.push_back(Command::Fetch {
                    id,
                    url: Some(url),
                    fields: Fields {
                        reason: Some(format!("queue_position={position}")),
                        ..Fields::default()
                    },
                });
                self.phase = Phase::Fetching { id };
                Step::Stay
            }
            Err(e) => {
                program.report_error(
                    "invalid_url",
                    &format!("wait_url {wait_url}: {e}"),
                    None,
                    None,
                );
                self.wait(program)
            }
        }
    }

    /// Loads the next piece of hold audio, or starts waiting once all are loaded.
    fn load_next(&mut self, program: &mut CallProgram, mut pieces: Vec<Piece>) -> Step {
        while !pieces.is_empty() {
            let piece = match pieces.remove(0) {
                Piece::Silence(seconds) => {
                    self.hold.extend_from_slice(&super::tones::silence(seconds));
                    continue;
                }
                Piece::Sound(sound) => sound,
            };
            match play::source(program, &piece) {
                Ok(source) => {
                    let id = program.id();
                    program.out.push_back(Command::LoadAudio { id, source });
                    self.phase = Phase::Loading {
                        pieces,
                        loading: id,
                    };
                    return Step::Stay;
                }
                Err(problem) => program.report_error("audio_unavailable", &problem, None, None),
            }
        }
        self.wait(program)
    }

    /// Plays the hold audio (looped, or once before leaving) and waits; a provisioned
    /// queue starts looking for agents.
    fn wait(&mut self, program: &mut CallProgram) -> Step {
        if !self.hold.is_empty() {
            self.held = Some(std::mem::take(&mut self.hold).into());
        }
        self.replay(program);
        if let Some(acd) = self.acd.as_mut() {
            acd.start(program);
        }
        Step::Stay
    }

    fn after(&mut self, _: &mut CallProgram, reason: &str, now: Instant) -> Step {
        let queue_time = self.joined.map_or(0, |t| {
            u32::try_from(now.duration_since(t).as_secs()).unwrap_or(u32::MAX)
        });
        tracing::debug!(queue = %self.verb.queue, reason, queue_time, "caller out of the queue");
        let Some(action) = self.verb.action.clone() else {
            return Step::Done(Flow::Next);
        };
        Step::Done(Flow::Follow(
            Some(action),
            Fields {
                queue_time: Some(queue_time),
                reason: Some(reason.to_owned()),
                ..Fields::default()
            },
        ))
    }
}
