//! What a call does in a provisioned queue, for the engine ([`engine::store::Store`]'s
//! `queue_*`): join, be offered members, answered, leave. Every node on the database
//! works on the same rows, so the hand-off is decided by the database:
//!
//! - only the oldest waiting caller of a queue claims members, so callers are served in
//!   order whichever node holds them;
//! - the others only read (their row is refreshed every [`REFRESH_MS`]);
//! - the next caller's claim runs in one transaction that first writes its row, still
//!   `waiting` (on SQLite that takes the database's write lock: claims run one at a
//!   time), then on PostgreSQL locks the free members with `FOR UPDATE SKIP LOCKED`
//!   (two nodes never reserve the same member), and marks the chosen members `ringing`
//!   for that caller and the caller `offered` — a member is never offered two callers,
//!   a caller never offered twice.
//!
//! A node that dies leaves rows behind: a caller row not refreshed for [`STALE_MS`] is
//! ignored, and a member's offer expires (`state_until`).

use super::{Backend, Db, Result, text};
use contract::models::{QueueCreate, QueueStrategy};
use engine::store::{QueueCaller, QueueChange, QueueClaim, QueueExit, QueueJoin, QueueSettings};
use sqlx::Row;
use std::collections::HashSet;

/// A waiting caller's row not refreshed for this long belongs to a node that died.
pub const STALE_MS: i64 = 60_000;

/// A waiting caller's row is refreshed this often (well within [`STALE_MS`]).
const REFRESH_MS: i64 = 15_000;

/// Offers outlive the ring time by this much before they count as stale.
const OFFER_GRACE_MS: i64 = 10_000;

type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

fn ms(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

async fn settings(tx: &mut Tx<'_>, queue: &str) -> Result<Option<(QueueCreate, i64)>> {
    let row = sqlx::query("SELECT settings, rr_last FROM queues WHERE name = $1")
        .bind(queue)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let s = super::json::<QueueCreate>(&row, "queues", "settings")?;
    Ok(Some((s, row.try_get("rr_last")?)))
}

/// What the engine needs of a queue's settings.
fn for_engine(s: &QueueCreate) -> QueueSettings {
    QueueSettings {
        agent_ring_time: s.agent_ring_time.map_or(15, |t| t.seconds()),
        retry_delay: s.retry_delay,
        announce_every: s.announce_position_every,
        announce_hold_time: s.announce_hold_time,
        max_wait: s.max_wait,
        leave_when_empty: s.leave_when_empty,
        exit_key: s.exit_key.as_ref().map(ToString::to_string),
    }
}

/// Members logged in and not paused, busy or not.
async fn staffed(tx: &mut Tx<'_>, queue: &str) -> Result<bool> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM queue_members WHERE queue = $1 AND logged_in = TRUE \
         AND paused = FALSE",
    )
    .bind(queue)
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get::<i64, _>("n")? > 0)
}

/// Callers alive in `queue` (waiting or offered) who joined before `(joined, sid)`.
async fn ahead(
    tx: &mut Tx<'_>,
    queue: &str,
    joined: i64,
    sid: &str,
    now: i64,
) -> Result<(u32, u32)> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, SUM(CASE WHEN state = 'waiting' THEN 1 ELSE 0 END) AS w \
         FROM queue_callers WHERE queue = $1 AND state <> 'answered' AND seen_ms > $2 \
         AND (joined_ms < $3 OR (joined_ms = $3 AND sid < $4))",
    )
    .bind(queue)
    .bind(now - STALE_MS)
    .bind(joined)
    .bind(sid)
    .fetch_one(&mut **tx)
    .await?;
    let n: i64 = row.try_get("n")?;
    let w: Option<i64> = row.try_get("w")?;
    Ok((
        u32::try_from(n).unwrap_or(u32::MAX),
        u32::try_from(w.unwrap_or(0)).unwrap_or(u32::MAX),
    ))
}

/// Writes a caller's stay in the history.
#[expect(clippy::too_many_arguments, reason = "one row's columns")]
async fn history(
    tx: &mut Tx<'_>,
    queue: &str,
    sid: &str,
    joined: i64,
    number: &str,
    outcome: &str,
    agent: Option<&str>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO queue_calls (sid, queue, joined_ms, caller_number, outcome, agent, \
         wait_ms, ended_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (sid, queue, joined_ms) DO NOTHING",
    )
    .bind(sid)
    .bind(queue)
    .bind(joined)
    .bind(number)
    .bind(outcome)
    .bind(agent)
    .bind((now - joined).max(0))
    .bind(super::now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn join(db: &Db, queue: &str, caller: &QueueCaller, now_ms: u64) -> Result<QueueJoin> {
    let now = ms(now_ms);
    let mut tx = db.pool().begin().await?;
    // A write first: on SQLite the transaction holds the write lock from here on.
    sqlx::query("DELETE FROM queue_callers WHERE sid = $1")
        .bind(&caller.sid)
        .execute(&mut *tx)
        .await?;
    let Some((s, _)) = settings(&mut tx, queue).await? else {
        return Ok(QueueJoin::Unprovisioned);
    };
    let (waiting, _) = ahead(&mut tx, queue, i64::MAX, "", now).await?;
    let refused = if s.max_callers.is_some_and(|max| waiting >= max) {
        Some(QueueExit::Full)
    } else if !s.join_empty && !staffed(&mut tx, queue).await? {
        Some(QueueExit::Empty)
    } else {
        None
    };
    if let Some(exit) = refused {
        history(
            &mut tx,
            queue,
            &caller.sid,
            now,
            &caller.number,
            exit.as_str(),
            None,
            now,
        )
        .await?;
        tx.commit().await?;
        return Ok(QueueJoin::Refused(exit));
    }
    sqlx::query(
        "INSERT INTO queue_callers (sid, queue, caller_number, caller_name, state, joined_ms, \
         joined_at, seen_ms) VALUES ($1, $2, $3, $4, 'waiting', $5, $6, $5)",
    )
    .bind(&caller.sid)
    .bind(queue)
    .bind(&caller.number)
    .bind(caller.name.as_deref())
    .bind(now)
    .bind(super::now())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(QueueJoin::Joined {
        position: waiting + 1,
        settings: for_engine(&s),
    })
}

/// A member free to be offered a caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub member: String,
    pub position: i64,
    pub penalty: i64,
    pub calls_taken: i64,
    pub last_call_ms: Option<i64>,
}

/// Whom of `free` to offer a caller to, by `strategy`: the members of the lowest
/// penalty present, all of them for `ringall`, else the one the strategy picks.
/// `rr_last` is the position offered last (rrmemory), `random` a random number.
pub fn choose(
    strategy: QueueStrategy,
    free: &[Candidate],
    rr_last: i64,
    random: u64,
) -> Vec<String> {
    let Some(lowest) = free.iter().map(|c| c.penalty).min() else {
        return Vec::new();
    };
    let mut tier: Vec<&Candidate> = free.iter().filter(|c| c.penalty == lowest).collect();
    tier.sort_by_key(|c| c.position);
    let pick = match strategy {
        QueueStrategy::Ringall => return tier.iter().map(|c| c.member.clone()).collect(),
        QueueStrategy::Linear => tier.first().copied(),
        QueueStrategy::Leastrecent => tier
            .iter()
            .min_by_key(|c| (c.last_call_ms.unwrap_or(i64::MIN), c.position))
            .copied(),
        QueueStrategy::Fewestcalls => tier
            .iter()
            .min_by_key(|c| (c.calls_taken, c.position))
            .copied(),
        QueueStrategy::Random => {
            let i = usize::try_from(random % tier.len() as u64).unwrap_or(0);
            tier.get(i).copied()
        }
        QueueStrategy::Rrmemory => tier
            .iter()
            .find(|c| c.position > rr_last)
            .or_else(|| tier.first())
            .copied(),
    };
    pick.map(|c| vec![c.member.clone()]).unwrap_or_default()
}

pub async fn claim(
    db: &Db,
    queue: &str,
    sid: &str,
    estimate: bool,
    now_ms: u64,
) -> Result<QueueClaim> {
    let now = ms(now_ms);
    // A look first, reading only: most callers are not next in line and write nothing
    // (on SQLite, reads do not wait for the one writer).
    let mut look = db.pool().begin().await?;
    let row = sqlx::query("SELECT state, joined_ms, seen_ms FROM queue_callers WHERE sid = $1")
        .bind(sid)
        .fetch_optional(&mut *look)
        .await?;
    let Some(row) = row else {
        return Ok(QueueClaim::Gone);
    };
    let state = text(&row, "state")?;
    let joined: i64 = row.try_get("joined_ms")?;
    let seen: i64 = row.try_get("seen_ms")?;
    let Some((s, rr_last)) = settings(&mut look, queue).await? else {
        return Ok(QueueClaim::Gone);
    };
    let (before, waiting_before) = ahead(&mut look, queue, joined, sid, now).await?;
    let is_staffed = staffed(&mut look, queue).await?;
    look.commit().await?;
    let wait = Waiting {
        position: before + 1,
        staffed: is_staffed,
        estimate,
    };
    if state != "waiting" || waiting_before > 0 {
        if now - seen >= REFRESH_MS {
            sqlx::query("UPDATE queue_callers SET seen_ms = $2 WHERE sid = $1")
                .bind(sid)
                .bind(now)
                .execute(db.pool())
                .await?;
        }
        return wait.answer(db, queue).await;
    }
    // Who is on a call, read before the writing transaction: that transaction holds
    // SQLite's one write lock and must not wait for another connection meanwhile.
    let on_a_call = if s.ring_in_use {
        HashSet::new()
    } else {
        members_on_a_call(db, queue).await?
    };
    // Next in line: members are reserved in one transaction that writes first.
    let mut tx = db.pool().begin().await?;
    let still =
        sqlx::query("UPDATE queue_callers SET seen_ms = $2 WHERE sid = $1 AND state = 'waiting'")
            .bind(sid)
            .bind(now)
            .execute(&mut *tx)
            .await?;
    if still.rows_affected() != 1 {
        tx.commit().await?;
        return wait.answer(db, queue).await;
    }
    let mut free = free_members(&mut tx, db.backend(), queue, now).await?;
    free.retain(|c| !on_a_call.contains(&c.member));
    let mut random = [0u8; 8];
    let _ = getrandom::fill(&mut random);
    let chosen = choose(s.strategy, &free, rr_last, u64::from_le_bytes(random));
    let rr = free
        .iter()
        .find(|c| chosen.first() == Some(&c.member))
        .map(|c| c.position);
    if chosen.is_empty() {
        tx.commit().await?;
        return wait.answer(db, queue).await;
    }
    let ring_ms = i64::from(s.agent_ring_time.map_or(15, |t| t.seconds())) * 1000;
    for member in &chosen {
        sqlx::query(
            "UPDATE queue_members SET state = 'ringing', caller = $3, state_until = $4 \
             WHERE queue = $1 AND member = $2",
        )
        .bind(queue)
        .bind(member)
        .bind(sid)
        .bind(now + ring_ms + OFFER_GRACE_MS)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("UPDATE queue_callers SET state = 'offered', agent = $2 WHERE sid = $1")
        .bind(sid)
        .bind(&chosen[0])
        .execute(&mut *tx)
        .await?;
    if s.strategy == QueueStrategy::Rrmemory
        && let Some(position) = rr
    {
        sqlx::query("UPDATE queues SET rr_last = $2 WHERE name = $1")
            .bind(queue)
            .bind(position)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(QueueClaim::Offer { members: chosen })
}

/// A caller who is not offered members now: where it stands.
struct Waiting {
    position: u32,
    staffed: bool,
    estimate: bool,
}

impl Waiting {
    async fn answer(self, db: &Db, queue: &str) -> Result<QueueClaim> {
        let estimated_wait = if self.estimate {
            estimated(db, queue, self.position).await?
        } else {
            None
        };
        Ok(QueueClaim::Wait {
            position: self.position,
            staffed: self.staffed,
            estimated_wait,
        })
    }
}

/// Members logged in, unpaused, idle (or whose wrap-up or offer is over, or busy with a
/// caller no longer in any queue: its end was not recorded), locked for
/// this transaction on PostgreSQL (skipping those another node holds).
async fn free_members(
    tx: &mut Tx<'_>,
    backend: Backend,
    queue: &str,
    now: i64,
) -> Result<Vec<Candidate>> {
    let lock = match backend {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT member, position, penalty, calls_taken, last_call_ms FROM queue_members \
         WHERE queue = $1 AND logged_in = TRUE AND paused = FALSE \
         AND (state = 'idle' OR (state IN ('wrapup', 'ringing') AND state_until <= $2) \
           OR (state = 'busy' AND NOT EXISTS (SELECT 1 FROM queue_callers c \
             WHERE c.sid = queue_members.caller))){lock}"
    )))
    .bind(queue)
    .bind(now)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Candidate {
                member: text(r, "member")?,
                position: r.try_get("position")?,
                penalty: r.try_get("penalty")?,
                calls_taken: r.try_get("calls_taken")?,
                last_call_ms: r.try_get("last_call_ms")?,
            })
        })
        .collect()
}

/// The members of `queue` on a call (answered, or ringing) according to the call records.
async fn members_on_a_call(db: &Db, queue: &str) -> Result<HashSet<String>> {
    let rows = sqlx::query("SELECT member FROM queue_members WHERE queue = $1")
        .bind(queue)
        .fetch_all(db.pool())
        .await?;
    let members = rows
        .iter()
        .map(|r| text(r, "member"))
        .collect::<Result<Vec<_>>>()?;
    let history = super::calls::ring_history(db, &members, &super::now()).await?;
    Ok(members
        .into_iter()
        .zip(history)
        .filter(|(_, h)| h.in_call)
        .map(|(m, _)| m)
        .collect())
}

/// Seconds the caller at `position` may wait: the average wait of the callers answered
/// in the last hour, times the position. None without any.
async fn estimated(db: &Db, queue: &str, position: u32) -> Result<Option<u32>> {
    let since = super::queues::now_ms() - 3_600_000;
    let row = sqlx::query(
        "SELECT AVG(wait_ms) AS avg FROM queue_calls WHERE queue = $1 AND outcome = 'answered' \
         AND joined_ms >= $2",
    )
    .bind(queue)
    .bind(since)
    .fetch_one(db.pool())
    .await?;
    let avg: Option<f64> = row.try_get("avg").ok().flatten();
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "seconds"
    )]
    Ok(avg.map(|a| ((a / 1000.0) * f64::from(position)).round().max(0.0) as u32))
}

pub async fn change(
    db: &Db,
    queue: &str,
    sid: &str,
    change: &QueueChange,
    now_ms: u64,
) -> Result<()> {
    let now = ms(now_ms);
    // Read before the transaction: on SQLite a transaction that reads first and then
    // writes fails at once (SQLITE_BUSY) when another writer came in between.
    let wrap_up_ms = match change {
        QueueChange::AgentFree { .. } => {
            let row = sqlx::query("SELECT settings FROM queues WHERE name = $1")
                .bind(queue)
                .fetch_optional(db.pool())
                .await?;
            match row {
                Some(row) => {
                    i64::from(super::json::<QueueCreate>(&row, "queues", "settings")?.wrap_up_time)
                        * 1000
                }
                None => 0,
            }
        }
        _ => 0,
    };
    let mut tx = db.pool().begin().await?;
    match change {
        QueueChange::Answered { member } => answered(&mut tx, queue, sid, member, now).await?,
        QueueChange::Released => {
            release(&mut tx, queue, sid).await?;
            sqlx::query("UPDATE queue_callers SET state = 'waiting', agent = NULL WHERE sid = $1")
                .bind(sid)
                .execute(&mut *tx)
                .await?;
        }
        QueueChange::AgentFree { member } => {
            agent_free(&mut tx, queue, sid, member, wrap_up_ms, now).await?;
        }
        QueueChange::Left(exit) => {
            release(&mut tx, queue, sid).await?;
            let row = sqlx::query(
                "SELECT state, joined_ms, caller_number FROM queue_callers WHERE sid = $1",
            )
            .bind(sid)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = row
                && text(&row, "state")? != "answered"
            {
                let joined: i64 = row.try_get("joined_ms")?;
                let number = text(&row, "caller_number")?;
                history(
                    &mut tx,
                    queue,
                    sid,
                    joined,
                    &number,
                    exit.as_str(),
                    None,
                    now,
                )
                .await?;
            }
            sqlx::query("DELETE FROM queue_callers WHERE sid = $1")
                .bind(sid)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Members still ringing for `sid` are free again.
async fn release(tx: &mut Tx<'_>, queue: &str, sid: &str) -> Result<()> {
    sqlx::query(
        "UPDATE queue_members SET state = 'idle', caller = NULL, state_until = NULL \
         WHERE queue = $1 AND caller = $2 AND state = 'ringing'",
    )
    .bind(queue)
    .bind(sid)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn answered(tx: &mut Tx<'_>, queue: &str, sid: &str, member: &str, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE queue_members SET state = 'busy', caller = $3, state_until = NULL \
         WHERE queue = $1 AND member = $2",
    )
    .bind(queue)
    .bind(member)
    .bind(sid)
    .execute(&mut **tx)
    .await?;
    release(tx, queue, sid).await?;
    let row = sqlx::query("SELECT joined_ms, caller_number FROM queue_callers WHERE sid = $1")
        .bind(sid)
        .fetch_optional(&mut **tx)
        .await?;
    if let Some(row) = row {
        let joined: i64 = row.try_get("joined_ms")?;
        let number = text(&row, "caller_number")?;
        history(
            tx,
            queue,
            sid,
            joined,
            &number,
            "answered",
            Some(member),
            now,
        )
        .await?;
    }
    sqlx::query("UPDATE queue_callers SET state = 'answered', agent = $2 WHERE sid = $1")
        .bind(sid)
        .bind(member)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn agent_free(
    tx: &mut Tx<'_>,
    queue: &str,
    sid: &str,
    member: &str,
    wrap_up_ms: i64,
    now: i64,
) -> Result<()> {
    let (state, until) = if wrap_up_ms > 0 {
        ("wrapup", Some(now + wrap_up_ms))
    } else {
        ("idle", None)
    };
    sqlx::query(
        "UPDATE queue_members SET state = $4, caller = NULL, state_until = $5, \
         calls_taken = calls_taken + 1, last_call_ms = $6, last_call_at = $7 \
         WHERE queue = $1 AND member = $2 AND caller = $3 AND state = 'busy'",
    )
    .bind(queue)
    .bind(member)
    .bind(sid)
    .bind(state)
    .bind(until)
    .bind(now)
    .bind(super::now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(member: &str, position: i64, penalty: i64, calls: i64, last: Option<i64>) -> Candidate {
        Candidate {
            member: member.to_owned(),
            position,
            penalty,
            calls_taken: calls,
            last_call_ms: last,
        }
    }

    #[test]
    fn ringall_offers_every_free_member_of_the_lowest_penalty() {
        let free = [
            c("201", 0, 1, 0, None),
            c("202", 1, 0, 0, None),
            c("203", 2, 0, 0, None),
        ];
        assert_eq!(choose(QueueStrategy::Ringall, &free, -1, 0), ["202", "203"]);
    }

    #[test]
    fn leastrecent_offers_whoever_finished_a_call_longest_ago_never_called_first() {
        let free = [
            c("201", 0, 0, 3, Some(500)),
            c("202", 1, 0, 1, Some(100)),
            c("203", 2, 0, 0, None),
        ];
        assert_eq!(choose(QueueStrategy::Leastrecent, &free, -1, 0), ["203"]);
        assert_eq!(
            choose(QueueStrategy::Leastrecent, &free[..2], -1, 0),
            ["202"]
        );
    }

    #[test]
    fn fewestcalls_linear_and_random() {
        let free = [c("201", 0, 0, 3, None), c("202", 1, 0, 1, None)];
        assert_eq!(choose(QueueStrategy::Fewestcalls, &free, -1, 0), ["202"]);
        assert_eq!(choose(QueueStrategy::Linear, &free, -1, 0), ["201"]);
        assert_eq!(choose(QueueStrategy::Random, &free, -1, 3), ["202"]);
        assert_eq!(choose(QueueStrategy::Random, &free, -1, 4), ["201"]);
    }

    #[test]
    fn rrmemory_goes_on_after_the_member_offered_last_and_wraps() {
        let free = [
            c("201", 0, 0, 0, None),
            c("202", 1, 0, 0, None),
            c("203", 2, 0, 0, None),
        ];
        assert_eq!(choose(QueueStrategy::Rrmemory, &free, -1, 0), ["201"]);
        assert_eq!(choose(QueueStrategy::Rrmemory, &free, 0, 0), ["202"]);
        assert_eq!(choose(QueueStrategy::Rrmemory, &free, 2, 0), ["201"]);
        // 202 is busy: after 201 comes 203.
        assert_eq!(
            choose(
                QueueStrategy::Rrmemory,
                &[free[0].clone(), free[2].clone()],
                0,
                0
            ),
            ["203"]
        );
    }

    #[test]
    fn nobody_free_is_nobody_offered() {
        assert!(choose(QueueStrategy::Ringall, &[], -1, 0).is_empty());
    }
}
