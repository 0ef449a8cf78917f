//! A caller waiting in a provisioned queue, served by its agents (part of `enqueue`).
//!
//! The caller's own call does the work: it asks storage for agents
//! ([`Command::ClaimAgents`]) when it joins, every [`CLAIM_EVERY`], and whenever this
//! node's queues change ([`Event::QueueWake`]); storage answers with members reserved
//! for it (only the oldest waiting caller of a queue gets any) or its position. The
//! members are rung by an inner `dial` while the caller keeps hearing its hold audio;
//! the first to answer is bridged. Nobody answering frees them and the caller waits
//! [`QueueSettings::retry_delay`] before asking again. Position announcements, the max
//! wait, leaving when the queue has nobody logged in and the exit key end or interrupt
//! the wait; storage hears of everything ([`Command::QueueChange`]) and so does the
//! status callback ([`Command::QueueEvent`]).

use super::dial::{self, Dialing};
use super::play::{self, Sound};
use super::{CallProgram, Command, Event, Flow, QueueNews, Step};
use crate::acd::{QueueChange, QueueClaim, QueueExit, QueueSettings};
use contract::types::DialString;
use contract::verbs::{Dial, DialStrategy, DialTarget, Say};
use std::time::{Duration, Instant};

/// How often a caller near the head of its queue asks for agents when nothing woke it
/// (changes made on another node are seen this late at most).
pub const CLAIM_EVERY: Duration = Duration::from_secs(2);

/// Callers this near the head (by their last known position) ask at every wake-up and
/// every [`CLAIM_EVERY`]; those further back ask less often (they cannot be offered
/// anything before those ahead), at most every [`CLAIM_AT_MOST`].
pub const NEAR_HEAD: u32 = 4;
pub const CLAIM_AT_MOST: Duration = Duration::from_secs(10);

/// When a caller at `position` asks again.
pub fn claim_interval(position: u32) -> Duration {
    if position <= NEAR_HEAD {
        CLAIM_EVERY
    } else {
        (CLAIM_EVERY * position / NEAR_HEAD).min(CLAIM_AT_MOST)
    }
}

/// What the caller hears between offers is for `enqueue` to play again.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum AcdStep {
    Stay,
    /// Play the hold audio again (an announcement or an offer ended).
    Replay,
    /// Out of the queue, for this reason (`bridged`, `timeout`, `empty`, `key`, `left`).
    Out(&'static str),
}

#[derive(Debug)]
struct Offer {
    members: Vec<String>,
    dial: Box<Dialing>,
    /// The member talking with the caller, once one answered.
    answered: Option<String>,
}

#[derive(Debug)]
enum Announcing {
    Loading(u64),
    Playing(u64),
}

#[derive(Debug)]
pub(super) struct Acd {
    queue: String,
    settings: QueueSettings,
    joined: Instant,
    /// Where the caller was last told it stands (1: next).
    position: u32,
    claiming: bool,
    /// The claim under way asked for the estimated wait.
    claiming_estimate: bool,
    next_claim: Instant,
    next_announce: Option<Instant>,
    /// An announcement is due: made when the claim under way says where the caller is.
    announce_due: bool,
    deadline: Option<Instant>,
    announcing: Option<Announcing>,
    offer: Option<Offer>,
    /// Set when the party left (or new orders came) during a bridge: what follows.
    interrupted: Option<Flow>,
}

impl Acd {
    pub fn new(queue: String, settings: QueueSettings, position: u32, now: Instant) -> Self {
        let every = settings
            .announce_every
            .map(|s| Duration::from_secs(u64::from(s)));
        Self {
            deadline: settings
                .max_wait
                .map(|s| now + Duration::from_secs(u64::from(s))),
            next_announce: every.map(|e| now + e),
            queue,
            settings,
            joined: now,
            position,
            claiming: false,
            claiming_estimate: false,
            next_claim: now,
            announce_due: false,
            announcing: None,
            offer: None,
            interrupted: None,
        }
    }

    fn waited(&self, now: Instant) -> u64 {
        now.duration_since(self.joined).as_secs()
    }

    fn change(&self, program: &mut CallProgram, change: QueueChange) {
        program.out.push_back(Command::QueueChange {
            queue: self.queue.clone(),
            change,
        });
    }

    /// Starts asking for agents (the hold audio is ready).
    pub fn start(&mut self, program: &mut CallProgram) {
        self.claim(program);
    }

    fn claim(&mut self, program: &mut CallProgram) {
        self.claiming = true;
        self.claiming_estimate = self.announce_due && self.settings.announce_hold_time;
        program.out.push_back(Command::ClaimAgents {
            queue: self.queue.clone(),
            estimate: self.claiming_estimate,
        });
    }

    pub fn deadline(&self) -> Option<Instant> {
        if let Some(offer) = &self.offer {
            return offer.dial.deadline();
        }
        let claim = (!self.claiming).then_some(self.next_claim);
        let announce = self.next_announce.filter(|_| self.announcing.is_none());
        [claim, announce, self.deadline].into_iter().flatten().min()
    }

    pub fn is_resolving(&self, id: u64) -> bool {
        self.offer.as_ref().is_some_and(|o| o.dial.is_resolving(id))
    }

    /// Out of the queue for `exit`: storage and the status callback hear of it.
    pub fn leave(&mut self, program: &mut CallProgram, exit: QueueExit, now: Instant) -> AcdStep {
        self.change(program, QueueChange::Left(exit));
        program.out.push_back(Command::QueueEvent(QueueNews {
            event: "queue.left",
            queue: self.queue.clone(),
            wait_seconds: Some(self.waited(now)),
            reason: Some(exit.as_str()),
            ..QueueNews::default()
        }));
        tracing::info!(queue = %self.queue, reason = exit.as_str(), "caller leaves the queue");
        AcdStep::Out(exit.as_str())
    }

    pub fn handle(&mut self, program: &mut CallProgram, event: Event, now: Instant) -> AcdStep {
        if self.offer.is_some() && !matches!(event, Event::Key(_) | Event::QueueWake { .. }) {
            return self.offering(program, event, now);
        }
        match event {
            Event::QueueClaimed { claim } => {
                self.claiming = false;
                let with_estimate = self.claiming_estimate;
                let step = self.claimed(program, claim, now);
                // The announcement wants the estimate this answer did not carry.
                if self.announce_due
                    && !with_estimate
                    && step == AcdStep::Stay
                    && self.offer.is_none()
                {
                    self.claim(program);
                }
                step
            }
            Event::QueueWake { departed } => {
                // Those who left were (almost always) ahead: the party moved up. A wrong
                // guess costs one early question; the answer says where it really is.
                self.position = self.position.saturating_sub(departed).max(1);
                if !self.claiming && self.offer.is_none() && self.position <= NEAR_HEAD {
                    self.claim(program);
                }
                AcdStep::Stay
            }
            Event::Timeout => self.timeout(program, now),
            Event::Key(key) if self.settings.exit_key.as_deref() == Some(&key.to_string()) => {
                if let Some(mut offer) = self.offer.take() {
                    if offer.answered.is_some() {
                        self.offer = Some(offer);
                        return AcdStep::Stay;
                    }
                    let _ = offer.dial.interrupt(program, Flow::Next);
                    self.change(program, QueueChange::Released);
                }
                self.leave(program, QueueExit::Key, now)
            }
            Event::AudioLoaded { id, result } if matches!(self.announcing, Some(Announcing::Loading(l)) if l == id) => {
                match result {
                    Ok(audio) => {
                        let playback = play::play(program, audio, 1);
                        self.announcing = Some(Announcing::Playing(playback));
                        AcdStep::Stay
                    }
                    Err(problem) => {
                        program.report_error("audio_unavailable", &problem, None, None);
                        self.announcing = None;
                        AcdStep::Replay
                    }
                }
            }
            Event::PlaybackDone { id } if matches!(self.announcing, Some(Announcing::Playing(p)) if p == id) =>
            {
                self.announcing = None;
                AcdStep::Replay
            }
            _ => AcdStep::Stay,
        }
    }

    fn timeout(&mut self, program: &mut CallProgram, now: Instant) -> AcdStep {
        if self.deadline.is_some_and(|d| d <= now) {
            return self.leave(program, QueueExit::Timeout, now);
        }
        if let Some(at) = self.next_announce
            && at <= now
            && self.announcing.is_none()
        {
            self.announce_due = true;
            self.next_announce = self
                .settings
                .announce_every
                .map(|s| now + Duration::from_secs(u64::from(s)));
            if !self.claiming {
                self.claim(program);
            }
        }
        if !self.claiming && self.next_claim <= now {
            self.claim(program);
        }
        AcdStep::Stay
    }

    fn claimed(
        &mut self,
        program: &mut CallProgram,
        claim: Option<QueueClaim>,
        now: Instant,
    ) -> AcdStep {
        self.next_claim = now + CLAIM_EVERY;
        match claim {
            None => AcdStep::Stay,
            Some(QueueClaim::Gone) => self.leave(program, QueueExit::Left, now),
            Some(QueueClaim::Wait {
                position,
                staffed,
                estimated_wait,
            }) => {
                tracing::debug!(queue = %self.queue, position, staffed, "no agent for the caller yet");
                self.position = position;
                self.next_claim = now + claim_interval(position);
                if !staffed && self.settings.leave_when_empty {
                    return self.leave(program, QueueExit::Empty, now);
                }
                let has_estimate = self.claiming_estimate || !self.settings.announce_hold_time;
                if self.announce_due && self.announcing.is_none() && has_estimate {
                    self.announce_due = false;
                    self.announce(program, position, estimated_wait);
                }
                AcdStep::Stay
            }
            Some(QueueClaim::Offer { members }) => {
                self.announce_due = false;
                if let Some(Announcing::Playing(_)) = self.announcing.take() {
                    program.out.push_back(Command::StopPlayback);
                }
                tracing::info!(queue = %self.queue, ?members, "offering the caller to agents");
                let dial = dial::inner(program, offer_dial(&members, &self.settings));
                self.offer = Some(Offer {
                    members,
                    dial,
                    answered: None,
                });
                AcdStep::Stay
            }
        }
    }

    /// Says the caller's position (and estimated wait) over the hold audio.
    fn announce(&mut self, program: &mut CallProgram, position: u32, estimate: Option<u32>) {
        let text = announcement(
            position,
            estimate.filter(|_| self.settings.announce_hold_time),
        );
        let sound = Sound::Say(Say {
            text,
            voice: None,
            language: None,
            loop_count: 1,
        });
        match play::source(program, &sound) {
            Ok(source) => {
                let id = program.id();
                program.out.push_back(Command::LoadAudio { id, source });
                self.announcing = Some(Announcing::Loading(id));
            }
            Err(problem) => program.report_error("audio_unavailable", &problem, None, None),
        }
    }

    /// An event while members ring or one talks with the caller: the inner dial's.
    fn offering(&mut self, program: &mut CallProgram, event: Event, now: Instant) -> AcdStep {
        let Some(offer) = self.offer.as_mut() else {
            return AcdStep::Stay;
        };
        let step = offer.dial.handle(program, event, now);
        if offer.answered.is_none()
            && offer.dial.is_bridged()
            && let Some(member) = offer.dial.winner().and_then(|i| offer.members.get(i))
        {
            let member = member.clone();
            tracing::info!(queue = %self.queue, %member, "agent answered the queue's caller");
            program.out.push_back(Command::QueueChange {
                queue: self.queue.clone(),
                change: QueueChange::Answered {
                    member: member.clone(),
                },
            });
            program.out.push_back(Command::QueueEvent(QueueNews {
                event: "queue.answered",
                queue: self.queue.clone(),
                agent: Some(member.clone()),
                wait_seconds: Some(now.duration_since(self.joined).as_secs()),
                ..QueueNews::default()
            }));
            offer.answered = Some(member);
        }
        match step {
            Step::Stay => AcdStep::Stay,
            Step::Done(_) => self.offer_over(program, now),
        }
    }

    /// The inner dial is over: the call with the agent ended, or nobody answered.
    fn offer_over(&mut self, program: &mut CallProgram, now: Instant) -> AcdStep {
        let Some(offer) = self.offer.take() else {
            return AcdStep::Stay;
        };
        if let Some(member) = offer.answered {
            self.change(program, QueueChange::AgentFree { member });
            self.change(program, QueueChange::Left(QueueExit::Left));
            return AcdStep::Out("bridged");
        }
        tracing::info!(queue = %self.queue, status = ?offer.dial.ended(), "no agent answered");
        self.change(program, QueueChange::Released);
        if self.deadline.is_some_and(|d| d <= now) {
            return self.leave(program, QueueExit::Timeout, now);
        }
        self.next_claim = now + Duration::from_secs(u64::from(self.settings.retry_delay));
        AcdStep::Replay
    }

    /// The party left or new orders came (`flow` follows): ringing stops, or the call
    /// with the agent ends (then [`Acd::interrupted_done`] finishes once unbridged).
    pub fn interrupt(&mut self, program: &mut CallProgram, flow: Flow, now: Instant) -> Step {
        let hung_up = matches!(&program.outcome, Some(o) if o.by == program.party);
        let Some(offer) = self.offer.as_mut() else {
            let exit = if hung_up {
                QueueExit::Abandoned
            } else {
                QueueExit::Left
            };
            let _ = self.leave(program, exit, now);
            return Step::Done(flow);
        };
        match offer.dial.interrupt(program, flow.clone()) {
            Step::Done(_) => {
                self.interrupted = Some(flow);
                self.interrupted_done(program, hung_up, now)
            }
            Step::Stay => {
                self.interrupted = Some(flow);
                Step::Stay
            }
        }
    }

    /// After an interrupt: an event for the inner dial still unbridging.
    pub fn handle_interrupted(
        &mut self,
        program: &mut CallProgram,
        event: Event,
        now: Instant,
    ) -> Step {
        let Some(offer) = self.offer.as_mut() else {
            return Step::Done(self.interrupted.take().unwrap_or(Flow::End));
        };
        match offer.dial.handle(program, event, now) {
            Step::Stay => Step::Stay,
            Step::Done(_) => self.interrupted_done(program, true, now),
        }
    }

    pub fn is_interrupted(&self) -> bool {
        self.interrupted.is_some()
    }

    fn interrupted_done(&mut self, program: &mut CallProgram, hung_up: bool, now: Instant) -> Step {
        let flow = self.interrupted.take().unwrap_or(Flow::End);
        match self.offer.take().and_then(|o| o.answered) {
            Some(member) => {
                self.change(program, QueueChange::AgentFree { member });
                self.change(program, QueueChange::Left(QueueExit::Left));
            }
            None => {
                self.change(program, QueueChange::Released);
                let exit = if hung_up {
                    QueueExit::Abandoned
                } else {
                    QueueExit::Left
                };
                let _ = self.leave(program, exit, now);
            }
        }
        Step::Done(flow)
    }
}

/// The inner `dial` offering the caller to `members` (together), for the agents' ring
/// time.
fn offer_dial(members: &[String], settings: &QueueSettings) -> Dial {
    Dial {
        targets: members
            .iter()
            .filter_map(|m| DialString::parse(m).ok())
            .map(|number| DialTarget::Number {
                number,
                confirm: None,
            })
            .collect(),
        strategy: DialStrategy::Ringall,
        timeout: settings.agent_ring_time.max(1),
        caller_id: None,
        caller_name: None,
        ringback: None,
        time_limit: None,
        action: None,
        record: false,
        answer_on_bridge: false,
    }
}

/// What a waiting caller is told of its place.
pub fn announcement(position: u32, estimate: Option<u32>) -> String {
    let mut text = format!("You are caller number {position}.");
    match estimate {
        Some(s) if s < 60 => text.push_str(" Your estimated wait time is less than a minute."),
        Some(s) => {
            let minutes = s.div_ceil(60);
            let unit = if minutes == 1 { "minute" } else { "minutes" };
            text.push_str(&format!(" Your estimated wait time is {minutes} {unit}."));
        }
        None => {}
    }
    text
}
