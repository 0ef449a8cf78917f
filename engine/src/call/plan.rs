//! The stages a strategy rings parties in, fed by what storage knows of them — the
//! one place a ring strategy meets the call history (`dial` now; ring groups, follow-me
//! and queues after it).

use super::invite::Party;
use crate::call::Calls;
use crate::ring::strategy::{self, TargetStats};
use crate::ring::{Stage, plan};
use crate::store::Store;
use contract::verbs::DialStrategy;
use std::time::Duration;

/// The history a strategy weighs: calls answered over the last day.
const HISTORY: Duration = Duration::from_secs(24 * 3600);

/// The stages `strategy` rings `parties` in, each for `ring_time`. Strategies that
/// order by history or skip busy parties read the call records; when storage cannot
/// answer, the parties ring in the order listed (logged).
pub(crate) async fn ring_plan<S: Store>(
    inner: &Calls<S>,
    parties: &[Party],
    strategy: DialStrategy,
    ring_time: Duration,
) -> Vec<Stage> {
    let mut stats: Vec<TargetStats> = parties
        .iter()
        .map(|p| TargetStats {
            reachable: p.branches.iter().any(|b| !b.is_empty()),
            ..TargetStats::default()
        })
        .collect();
    if strategy::needs_history(strategy) || strategy::needs_presence(strategy) {
        let numbers: Vec<String> = parties.iter().map(|p| p.number.clone()).collect();
        let since = super::format_timestamp(time::OffsetDateTime::now_utc() - HISTORY);
        match inner.store.ring_history(&numbers, &since).await {
            Ok(history) => {
                for (s, h) in stats.iter_mut().zip(history) {
                    s.in_call = h.in_call;
                    s.last_answered = h.last_answered;
                    s.answered_recently = h.answered_since;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, strategy = strategy.as_str(), "cannot read the call history: ringing in the order listed");
            }
        }
    }
    let mut seed = [0u8; 8];
    let _ = getrandom::fill(&mut seed);
    plan(strategy, &stats, ring_time, u64::from_le_bytes(seed))
}
