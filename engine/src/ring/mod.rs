//! "Ring these, first answer wins", once for every way Switchboard rings somebody: a call
//! connected straight through, a `dial`, a call placed through the REST API (and ring
//! groups, follow-me and queues after them).
//!
//! [`Ringer`] is a pure state machine shaped like quinn-proto's `Connection`: the driver
//! feeds it what the SIP legs say ([`Ringer::handle`]) and the time
//! ([`Ringer::handle_timeout`], [`Ringer::poll_timeout`]), and carries out what it asks
//! ([`Ringer::poll`]): send an INVITE, CANCEL or BYE, tell the caller it rings. No
//! sockets, no tokio, no sleeping: every rule below is tested on a simulated clock.
//!
//! # Model
//! - A **target** is what a strategy orders (an extension, a number, a SIP URI). It has
//!   **branches** rung together (every registered device of an extension) and each
//!   branch has one or more **ways** tried one after the other (the trunks of an
//!   outbound route): a way that fails the call ([`fails_over`]) or says nothing at all
//!   for the silence time gives the next way.
//! - A **leg** is one INVITE: one way of one branch of one target.
//! - **Stages** say which targets ring when (the strategy's plan, [`strategy::plan`]):
//!   a stage rings its targets for its ring time; targets of the next stage that
//!   already ring keep ringing, the others are cancelled. A stage whose every leg
//!   failed ends at once. A target that failed is not rung again.
//! - The first usable answer wins: every other leg is cancelled, and a leg answering
//!   after that (a 200 crossing our CANCEL) is hung up.
//! - Ringing ends with exactly one [`Command::Done`].

pub mod strategy;
#[cfg(test)]
mod tests;

use crate::outcome::{status_of_final_code, unanswered};
use contract::models::calls::CallStatus;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

pub use strategy::{TargetStats, plan};

/// Index of a target in the list given to [`Ringer::new`].
pub type TargetId = usize;
/// Index of a leg (one INVITE), numbered as the ringer asks for them.
pub type LegId = usize;

/// How long a way that has a next way may say nothing at all (not even 100 Trying)
/// before it is given up for the next — Kamailio's `fr_timer` default. Without it a
/// dead trunk holds the call until its INVITE transaction times out (32 s), past any
/// ring time.
pub const SILENCE: Duration = Duration::from_secs(5);

/// What can be rung for one target: for each branch (rung together), how many ways
/// reach it (tried in order). No branch: nothing to ring (an extension without a
/// registered device).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Target {
    pub branches: Vec<usize>,
    /// How long each way of each branch may stay silent before the next way is rung
    /// (a trunk's own `silence_timeout`); [`SILENCE`] where none is given.
    pub silences: Vec<Vec<Duration>>,
}

impl Target {
    /// One branch reached one way (a device, a SIP URI).
    pub fn single() -> Self {
        Self {
            branches: vec![1],
            silences: Vec::new(),
        }
    }

    /// Branches reached by that many ways each, silent ways given up after [`SILENCE`].
    pub fn ways(branches: Vec<usize>) -> Self {
        Self {
            branches,
            silences: Vec::new(),
        }
    }

    fn silence(&self, branch: usize, way: usize) -> Option<Duration> {
        self.silences.get(branch)?.get(way).copied()
    }
}

/// Targets rung together for a while.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    pub targets: Vec<TargetId>,
    pub ring_time: Duration,
}

/// What a leg said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A first answer to the INVITE (100 Trying): its way is alive.
    Trying { leg: LegId },
    /// 180 or 183; `sdp` when it carried an answer (early media).
    Ringing { leg: LegId, sdp: bool },
    /// 200; `sdp` when it carried an answer.
    Answered { leg: LegId, sdp: bool },
    /// A final refusal with this code, or the INVITE could not be sent (503).
    Failed { leg: LegId, code: u16 },
}

/// How ringing ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// This leg answered: connect it.
    Connected { leg: LegId, target: TargetId },
    /// Nobody answered: the status, the SIP code to refuse a waiting caller with, and
    /// whether the ring time ran out (rather than every party refusing).
    Unanswered {
        status: CallStatus,
        code: u16,
        rang_out: bool,
    },
}

/// What the driver must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Send an INVITE for `leg` to this way of this branch of `target`.
    Invite {
        leg: LegId,
        target: TargetId,
        branch: usize,
        way: usize,
    },
    /// Stop ringing this leg (a CANCEL, sent once it has answered anything).
    Cancel { leg: LegId },
    /// Give up a way that has said nothing at all for the silence time (cancelled the
    /// same way); the next way is rung.
    Abandon { leg: LegId },
    /// Hang up a leg that answered too late or unusably.
    Bye { leg: LegId },
    /// Somebody rings (the caller may hear 180), once.
    Ringing,
    /// This leg sends early media: the caller may hear it (183).
    EarlyMedia { leg: LegId },
    /// Ringing is over; issued exactly once.
    Done(Outcome),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LegState {
    /// INVITE sent, nothing heard yet.
    Calling,
    /// 100 Trying or a ringing response heard.
    Alive,
    Answered,
    /// Ended by its own final response.
    Failed,
    /// We cancelled or hung it up: anything it says now only matters if it answers.
    Stopped,
}

#[derive(Debug, Clone)]
struct Leg {
    target: TargetId,
    branch: usize,
    way: usize,
    state: LegState,
    /// A provisional response carried an SDP answer (a 200 without one is then fine).
    answer_seen: bool,
    /// When a silent way is given up (only when a next way exists).
    silence: Option<Instant>,
}

impl Leg {
    fn live(&self) -> bool {
        matches!(self.state, LegState::Calling | LegState::Alive)
    }
}

/// Where one branch of a target stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BranchState {
    NotRung,
    Ringing(LegId),
    /// Ended with this status (its last way's answer, or `no-answer` when we stopped it).
    Ended(CallStatus),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Ringing,
    Done,
}

/// Rings targets stage by stage until one answers (see the module docs).
#[derive(Debug, Clone)]
pub struct Ringer {
    targets: Vec<Target>,
    branches: Vec<Vec<BranchState>>,
    stages: Vec<Stage>,
    /// The stage ringing now (`stages.len()` once past the last).
    stage: usize,
    stage_deadline: Option<Instant>,
    silence: Duration,
    legs: Vec<Leg>,
    phase: Phase,
    rang: bool,
    early: Option<LegId>,
    out: VecDeque<Command>,
}

impl Ringer {
    /// Starts ringing `targets` by `stages` at `now` (the first INVITEs are waiting in
    /// [`Ringer::poll`]). Without any branch to ring, ringing is over at once
    /// (`no-answer`).
    pub fn new(targets: Vec<Target>, stages: Vec<Stage>, now: Instant) -> Self {
        let branches = targets
            .iter()
            .map(|t| vec![BranchState::NotRung; t.branches.len()])
            .collect();
        let mut ringer = Self {
            targets,
            branches,
            stages,
            stage: 0,
            stage_deadline: None,
            silence: SILENCE,
            legs: Vec::new(),
            phase: Phase::Ringing,
            rang: false,
            early: None,
            out: VecDeque::new(),
        };
        ringer.enter_stage(0, now);
        ringer
    }

    /// The next thing to do.
    pub fn poll(&mut self) -> Option<Command> {
        self.out.pop_front()
    }

    /// When [`Ringer::handle_timeout`] must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.phase == Phase::Done {
            return None;
        }
        self.legs
            .iter()
            .filter(|l| l.live())
            .filter_map(|l| l.silence)
            .chain(self.stage_deadline)
            .min()
    }

    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    /// What a leg said.
    pub fn handle(&mut self, event: Event, now: Instant) {
        match event {
            Event::Trying { leg } => {
                if let Some(l) = self.legs.get_mut(leg)
                    && l.live()
                {
                    l.state = LegState::Alive;
                    l.silence = None;
                }
            }
            Event::Ringing { leg, sdp } => self.on_ringing(leg, sdp),
            Event::Answered { leg, sdp } => self.on_answered(leg, sdp, now),
            Event::Failed { leg, code } => {
                if self.legs.get(leg).is_some_and(Leg::live) {
                    self.legs[leg].state = LegState::Failed;
                    self.leg_ended(leg, code, now);
                    self.advance_if_idle(now);
                }
            }
        }
    }

    /// The time is `now`: silent ways give way to the next, stages end.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.phase == Phase::Done {
            return;
        }
        let silent: Vec<LegId> = (0..self.legs.len())
            .filter(|&l| {
                let leg = &self.legs[l];
                leg.live() && leg.silence.is_some_and(|d| d <= now)
            })
            .collect();
        for leg in silent {
            self.legs[leg].silence = None;
            if self.legs[leg].state == LegState::Calling {
                // Nothing heard at all: give this way up (408, which fails over).
                self.legs[leg].state = LegState::Stopped;
                self.out.push_back(Command::Abandon { leg });
                self.leg_ended(leg, 408, now);
            }
        }
        if self.stage_deadline.is_some_and(|d| d <= now) {
            self.stage_deadline = None;
            if self.stage + 1 >= self.stages.len() {
                // The last stage rang out: nobody answered in time.
                self.stop_all();
                self.finish(Outcome::Unanswered {
                    status: CallStatus::NoAnswer,
                    code: 480,
                    rang_out: true,
                });
                return;
            }
            self.enter_stage(self.stage + 1, now);
            return;
        }
        self.advance_if_idle(now);
    }

    /// Stop ringing (the caller left, the call is hung up or taken elsewhere): every
    /// ringing leg is cancelled; ringing is over as `canceled` unless it already was.
    pub fn abort(&mut self) {
        if self.phase == Phase::Done {
            return;
        }
        self.stop_all();
        self.finish(Outcome::Unanswered {
            status: CallStatus::Canceled,
            code: 487,
            rang_out: false,
        });
    }

    fn on_ringing(&mut self, leg: LegId, sdp: bool) {
        let Some(l) = self.legs.get_mut(leg) else {
            return;
        };
        if !l.live() {
            return;
        }
        l.state = LegState::Alive;
        l.silence = None;
        l.answer_seen |= sdp;
        if self.phase != Phase::Ringing {
            return;
        }
        if sdp && self.early.is_none() {
            self.early = Some(leg);
            self.out.push_back(Command::EarlyMedia { leg });
        } else if !self.rang && self.early.is_none() {
            self.rang = true;
            self.out.push_back(Command::Ringing);
        }
    }

    fn on_answered(&mut self, leg: LegId, sdp: bool, now: Instant) {
        let Some(l) = self.legs.get(leg) else {
            return;
        };
        match l.state {
            LegState::Answered | LegState::Failed => return,
            // Answered after we gave it up (a 200 crossing our CANCEL): hang it up.
            LegState::Stopped => {
                self.legs[leg].state = LegState::Answered;
                self.out.push_back(Command::Bye { leg });
                return;
            }
            LegState::Calling | LegState::Alive => {}
        }
        if self.phase == Phase::Done {
            self.legs[leg].state = LegState::Answered;
            self.out.push_back(Command::Bye { leg });
            return;
        }
        if !sdp && !l.answer_seen {
            // We offered: an answer without SDP (and none earlier in a 183) leaves no
            // media to connect. That party is hung up; the others keep ringing.
            self.legs[leg].state = LegState::Answered;
            self.out.push_back(Command::Bye { leg });
            self.leg_ended(leg, 488, now);
            self.advance_if_idle(now);
            return;
        }
        self.legs[leg].state = LegState::Answered;
        let target = self.legs[leg].target;
        self.stop_all();
        self.finish(Outcome::Connected { leg, target });
    }

    /// A leg is over with `code` while ringing goes on: its branch tries its next way
    /// when the code calls for it, or ends.
    fn leg_ended(&mut self, leg: LegId, code: u16, now: Instant) {
        if self.early == Some(leg) {
            // Its early media is gone: the next leg with some may be heard.
            self.early = None;
        }
        let (target, branch, way) = {
            let l = &self.legs[leg];
            (l.target, l.branch, l.way)
        };
        if self.branches[target][branch] != BranchState::Ringing(leg) {
            return;
        }
        let ways = self.targets[target].branches[branch];
        if self.phase == Phase::Ringing && fails_over(code) && way + 1 < ways {
            self.invite(target, branch, way + 1, now);
        } else {
            self.branches[target][branch] = BranchState::Ended(status_of_final_code(code));
        }
    }

    fn invite(&mut self, target: TargetId, branch: usize, way: usize, now: Instant) {
        let leg = self.legs.len();
        let has_next = way + 1 < self.targets[target].branches[branch];
        self.legs.push(Leg {
            target,
            branch,
            way,
            state: LegState::Calling,
            answer_seen: false,
            silence: has_next.then(|| {
                now + self.targets[target]
                    .silence(branch, way)
                    .unwrap_or(self.silence)
            }),
        });
        self.branches[target][branch] = BranchState::Ringing(leg);
        self.out.push_back(Command::Invite {
            leg,
            target,
            branch,
            way,
        });
    }

    /// Rings stage `index` (skipping stages with nothing left to ring), or ends.
    fn enter_stage(&mut self, index: usize, now: Instant) {
        let mut index = index;
        loop {
            let Some(stage) = self.stages.get(index).cloned() else {
                self.stage = self.stages.len();
                self.stage_deadline = None;
                self.stop_all();
                self.finish_unanswered();
                return;
            };
            self.stage = index;
            // Targets no longer in the plan stop ringing.
            let leaving: Vec<LegId> = self
                .ringing_legs()
                .filter(|&l| !stage.targets.contains(&self.legs[l].target))
                .collect();
            for leg in leaving {
                self.stop_rang_out(leg);
            }
            for &target in &stage.targets {
                let Some(branches) = self.branches.get(target) else {
                    continue;
                };
                let not_rung: Vec<usize> = branches
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| **b == BranchState::NotRung)
                    .map(|(i, _)| i)
                    .collect();
                for branch in not_rung {
                    if self.targets[target].branches[branch] > 0 {
                        self.invite(target, branch, 0, now);
                    }
                }
            }
            if self.stage_has_live_legs() {
                self.stage_deadline = Some(now + stage.ring_time);
                return;
            }
            index += 1;
        }
    }

    /// The current stage rings nobody any more: go on to the next.
    fn advance_if_idle(&mut self, now: Instant) {
        if self.phase == Phase::Ringing && !self.stage_has_live_legs() {
            self.enter_stage(self.stage + 1, now);
        }
    }

    fn stage_has_live_legs(&self) -> bool {
        self.ringing_legs().next().is_some()
    }

    fn ringing_legs(&self) -> impl Iterator<Item = LegId> + '_ {
        self.branches.iter().flatten().filter_map(|b| match b {
            BranchState::Ringing(leg) if self.legs[*leg].live() => Some(*leg),
            _ => None,
        })
    }

    /// Cancels a leg whose ring time is over: its branch did not answer.
    fn stop_rang_out(&mut self, leg: LegId) {
        self.stop(leg);
        let (target, branch) = (self.legs[leg].target, self.legs[leg].branch);
        self.branches[target][branch] = BranchState::Ended(CallStatus::NoAnswer);
        if self.early == Some(leg) {
            self.early = None;
        }
    }

    fn stop(&mut self, leg: LegId) {
        if self.legs[leg].live() {
            self.legs[leg].state = LegState::Stopped;
            self.legs[leg].silence = None;
            self.out.push_back(Command::Cancel { leg });
        }
    }

    fn stop_all(&mut self) {
        let live: Vec<LegId> = (0..self.legs.len())
            .filter(|&l| self.legs[l].live())
            .collect();
        for leg in live {
            self.stop_rang_out(leg);
        }
    }

    fn finish_unanswered(&mut self) {
        let statuses: Vec<CallStatus> = self
            .branches
            .iter()
            .flatten()
            .filter_map(|b| match b {
                BranchState::Ended(status) => Some(*status),
                _ => None,
            })
            .collect();
        let (status, code) = unanswered(statuses);
        self.finish(Outcome::Unanswered {
            status,
            code,
            rang_out: false,
        });
    }

    fn finish(&mut self, outcome: Outcome) {
        if self.phase == Phase::Done {
            return;
        }
        self.phase = Phase::Done;
        self.stage_deadline = None;
        self.out.push_back(Command::Done(outcome));
    }
}

/// Whether a refusal moves a target on to its next way (the route's next trunk): the
/// trunk (or the provider behind it) failed us — no answer at all, refused our
/// credentials, an error of its own. A busy or declining callee, a wrong number or a
/// cancelled call would fare no better elsewhere.
pub fn fails_over(code: u16) -> bool {
    matches!(code, 401 | 403 | 407 | 408 | 500..=599)
}
