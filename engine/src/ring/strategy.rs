//! Ring strategies as data: a pure ordering of the targets (fed by what storage knows of
//! them) and a plan of [`Stage`]s over that order. The names and behaviours are
//! Asterisk's and FreePBX's, so an admin's ring group or queue means the same here.
//!
//! | strategy | order | stages |
//! |---|---|---|
//! | `ringall` | as listed | one: everybody at once |
//! | `hunt`, `linear` | as listed | one target at a time |
//! | `memoryhunt` | as listed | the first, then the first two, then the first three… |
//! | `firstavailable` | the first target not on a call | that one only |
//! | `roundrobin`, `rrmemory` | starting after the target that answered last | one at a time |
//! | `leastrecent` | the one that answered longest ago (or never) first | one at a time |
//! | `fewestcalls` | the one that answered fewest calls in the last day first | one at a time |
//! | `random` | shuffled | one at a time |
//!
//! Every stage rings for the ring time. Targets with nothing to ring (an extension
//! without a registered device) are left out of every plan.

use super::{Stage, TargetId};
use contract::verbs::DialStrategy;
use std::time::Duration;

/// What is known of a target when its turn is decided.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetStats {
    /// It has something to ring (a registered device, a usable trunk).
    pub reachable: bool,
    /// It is on a call now (`firstavailable` skips it).
    pub in_call: bool,
    /// When it last answered a call (Unix seconds), if ever.
    pub last_answered: Option<u64>,
    /// How many calls it answered in the last 24 hours.
    pub answered_recently: u32,
}

/// Whether the strategy orders by the targets' call history (which storage then reads).
pub fn needs_history(strategy: DialStrategy) -> bool {
    matches!(
        strategy,
        DialStrategy::Roundrobin
            | DialStrategy::Rrmemory
            | DialStrategy::Leastrecent
            | DialStrategy::Fewestcalls
    )
}

/// Whether the strategy needs to know who is on a call now.
pub fn needs_presence(strategy: DialStrategy) -> bool {
    strategy == DialStrategy::Firstavailable
}

/// The targets in the order the strategy rings them (indexes into `stats`), those with
/// nothing to ring left out. `seed` drives `random`.
pub fn order(strategy: DialStrategy, stats: &[TargetStats], seed: u64) -> Vec<TargetId> {
    let mut order: Vec<TargetId> = (0..stats.len()).filter(|&t| stats[t].reachable).collect();
    match strategy {
        DialStrategy::Ringall
        | DialStrategy::Hunt
        | DialStrategy::Linear
        | DialStrategy::Memoryhunt => {}
        DialStrategy::Firstavailable => {
            order.retain(|&t| !stats[t].in_call);
            order.truncate(1);
        }
        DialStrategy::Roundrobin | DialStrategy::Rrmemory => {
            // Resume after the one that answered most recently (the list order breaks
            // ties); nobody answered yet: from the top.
            let last = order
                .iter()
                .enumerate()
                .filter_map(|(i, &t)| stats[t].last_answered.map(|at| (at, i)))
                .max_by_key(|&(at, i)| (at, std::cmp::Reverse(i)));
            if let Some((_, i)) = last {
                order.rotate_left(i + 1);
            }
        }
        // Stable sorts: ties keep the listed order.
        DialStrategy::Leastrecent => order.sort_by_key(|&t| stats[t].last_answered),
        DialStrategy::Fewestcalls => order.sort_by_key(|&t| stats[t].answered_recently),
        DialStrategy::Random => shuffle(&mut order, seed),
    }
    order
}

/// The stages the strategy rings `stats`' targets in, each for `ring_time`.
pub fn plan(
    strategy: DialStrategy,
    stats: &[TargetStats],
    ring_time: Duration,
    seed: u64,
) -> Vec<Stage> {
    let order = order(strategy, stats, seed);
    let stage = |targets: Vec<TargetId>| Stage { targets, ring_time };
    match strategy {
        DialStrategy::Ringall | DialStrategy::Firstavailable => {
            if order.is_empty() {
                Vec::new()
            } else {
                vec![stage(order)]
            }
        }
        DialStrategy::Memoryhunt => (1..=order.len())
            .map(|n| stage(order[..n].to_vec()))
            .collect(),
        DialStrategy::Hunt
        | DialStrategy::Linear
        | DialStrategy::Roundrobin
        | DialStrategy::Rrmemory
        | DialStrategy::Leastrecent
        | DialStrategy::Fewestcalls
        | DialStrategy::Random => order.into_iter().map(|t| stage(vec![t])).collect(),
    }
}

/// Fisher–Yates with SplitMix64: the same seed gives the same order (testable), the
/// driver seeds it from the OS.
fn shuffle(items: &mut [TargetId], seed: u64) {
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    for i in (1..items.len()).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}
