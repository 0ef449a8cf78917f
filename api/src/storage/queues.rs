//! Queues as the REST API sees them: the settings (one JSON column, with the
//! destinations repeated in columns of their own for the reference checks), the members
//! and their live state, the callers waiting now and the statistics. What a call does in
//! a queue (join, offers, hand-off) is in [`super::queue_calls`].

use super::{Db, PageRequest, Result, finish_page, get_bool, json, text};
use contract::models::{
    AgentState, Queue, QueueAgent, QueueCaller, QueueCreate, QueueMember, QueueStats,
};
use sqlx::Row;
use sqlx::any::AnyRow;

const T: &str = "queues";
const COLUMNS: &str = "settings, created_at, updated_at";

fn from_row(row: &AnyRow) -> Result<Queue> {
    Ok(Queue {
        settings: json::<QueueCreate>(row, T, "settings")?,
        created_at: text(row, "created_at")?,
        updated_at: text(row, "updated_at")?,
    })
}

fn destination(d: Option<&contract::types::Destination>) -> Option<String> {
    d.map(ToString::to_string)
}

/// Unix milliseconds now.
pub fn now_ms() -> i64 {
    i64::try_from(engine::clock::unix_now_ms()).unwrap_or(i64::MAX)
}

pub async fn insert(db: &Db, queue: &Queue) -> Result<()> {
    let s = &queue.settings;
    let mut tx = db.pool().begin().await?;
    sqlx::query(
        "INSERT INTO queues (name, number, settings, timeout_destination, full_destination, \
         empty_destination, exit_destination, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(s.name.as_str())
    .bind(s.number.as_ref().map(ToString::to_string))
    .bind(super::to_json(T, s)?)
    .bind(destination(s.timeout_destination.as_ref()))
    .bind(destination(s.full_destination.as_ref()))
    .bind(destination(s.empty_destination.as_ref()))
    .bind(destination(s.exit_destination.as_ref()))
    .bind(&queue.created_at)
    .bind(&queue.updated_at)
    .execute(&mut *tx)
    .await?;
    write_members(&mut tx, s.name.as_str(), &s.members).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn update(db: &Db, queue: &Queue) -> Result<bool> {
    let s = &queue.settings;
    let mut tx = db.pool().begin().await?;
    let done = sqlx::query(
        "UPDATE queues SET number = $2, settings = $3, timeout_destination = $4, \
         full_destination = $5, empty_destination = $6, exit_destination = $7, updated_at = $8 \
         WHERE name = $1",
    )
    .bind(s.name.as_str())
    .bind(s.number.as_ref().map(ToString::to_string))
    .bind(super::to_json(T, s)?)
    .bind(destination(s.timeout_destination.as_ref()))
    .bind(destination(s.full_destination.as_ref()))
    .bind(destination(s.empty_destination.as_ref()))
    .bind(destination(s.exit_destination.as_ref()))
    .bind(&queue.updated_at)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    write_members(&mut tx, s.name.as_str(), &s.members).await?;
    tx.commit().await?;
    Ok(true)
}

/// Members who stay keep their live state; new ones start idle (a dynamic one logged
/// out); the others are removed.
async fn write_members(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    queue: &str,
    members: &[QueueMember],
) -> Result<()> {
    let rows = sqlx::query("SELECT member FROM queue_members WHERE queue = $1")
        .bind(queue)
        .fetch_all(&mut **tx)
        .await?;
    for row in rows {
        let member = text(&row, "member")?;
        if !members.iter().any(|m| m.member.as_str() == member) {
            sqlx::query("DELETE FROM queue_members WHERE queue = $1 AND member = $2")
                .bind(queue)
                .bind(&member)
                .execute(&mut **tx)
                .await?;
        }
    }
    for (position, m) in members.iter().enumerate() {
        sqlx::query(
            "INSERT INTO queue_members (queue, member, position, penalty, dynamic, logged_in, \
             paused, state, calls_taken) VALUES ($1, $2, $3, $4, $5, $6, FALSE, 'idle', 0) \
             ON CONFLICT (queue, member) DO UPDATE SET position = $3, penalty = $4, \
             dynamic = $5, logged_in = CASE WHEN $5 THEN queue_members.logged_in ELSE TRUE END",
        )
        .bind(queue)
        .bind(m.member.as_str())
        .bind(i64::try_from(position).unwrap_or(i64::MAX))
        .bind(i64::from(m.penalty))
        .bind(m.dynamic)
        .bind(!m.dynamic)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

pub async fn get(db: &Db, name: &str) -> Result<Option<Queue>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM queues WHERE name = $1"
    )))
    .bind(name)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn exists(db: &Db, name: &str) -> Result<bool> {
    let row = sqlx::query("SELECT 1 AS one FROM queues WHERE name = $1")
        .bind(name)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.is_some())
}

/// The queue a number dials, if one does.
pub async fn by_number(db: &Db, number: &str) -> Result<Option<String>> {
    let row = sqlx::query("SELECT name FROM queues WHERE number = $1")
        .bind(number)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(|r| text(r, "name")).transpose()
}

pub async fn list(db: &Db, page: &PageRequest) -> Result<(Vec<Queue>, Option<String>)> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT name, {COLUMNS} FROM queues WHERE name > $1 ORDER BY name LIMIT $2"
    )))
    .bind(page.after.as_deref().unwrap_or(""))
    .bind(i64::from(page.limit) + 1)
    .fetch_all(db.pool())
    .await?;
    let items = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
    Ok(finish_page(items, page, |q| q.settings.name.to_string()))
}

pub async fn delete(db: &Db, name: &str) -> Result<bool> {
    let mut tx = db.pool().begin().await?;
    for table in ["queue_members", "queue_callers"] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE queue = $1"
        )))
        .bind(name)
        .execute(&mut *tx)
        .await?;
    }
    let done = sqlx::query("DELETE FROM queues WHERE name = $1")
        .bind(name)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

const AGENT_COLUMNS: &str = "member, penalty, CAST(dynamic AS INTEGER) AS dynamic, \
    CAST(logged_in AS INTEGER) AS logged_in, CAST(paused AS INTEGER) AS paused, pause_reason, \
    state, caller, state_until, calls_taken, last_call_at";

/// What a member row says it is doing at `now_ms` (a wrap-up or an offer whose time
/// has passed is over).
fn agent_from_row(row: &AnyRow, now_ms: i64) -> Result<QueueAgent> {
    let logged_in = get_bool(row, "logged_in")?;
    let paused = get_bool(row, "paused")?;
    let until: Option<i64> = row.try_get("state_until")?;
    let expired = until.is_some_and(|u| u <= now_ms);
    let mut caller: Option<String> = row.try_get("caller")?;
    let state = match text(row, "state")?.as_str() {
        "ringing" if !expired => AgentState::Ringing,
        "busy" => AgentState::Busy,
        "wrapup" if !expired => AgentState::WrapUp,
        _ if !logged_in => AgentState::LoggedOut,
        _ if paused => AgentState::Paused,
        _ => AgentState::Idle,
    };
    if !matches!(state, AgentState::Ringing | AgentState::Busy) {
        caller = None;
    }
    let penalty: i64 = row.try_get("penalty")?;
    let calls: i64 = row.try_get("calls_taken")?;
    Ok(QueueAgent {
        member: text(row, "member")?,
        penalty: u32::try_from(penalty).unwrap_or(0),
        dynamic: get_bool(row, "dynamic")?,
        logged_in,
        paused,
        pause_reason: row.try_get("pause_reason")?,
        state,
        caller_sid: caller,
        calls_taken: u64::try_from(calls).unwrap_or(0),
        last_call_at: row.try_get("last_call_at")?,
    })
}

pub async fn agents(db: &Db, queue: &str) -> Result<Vec<QueueAgent>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {AGENT_COLUMNS} FROM queue_members WHERE queue = $1 ORDER BY position"
    )))
    .bind(queue)
    .fetch_all(db.pool())
    .await?;
    let now = now_ms();
    rows.iter().map(|r| agent_from_row(r, now)).collect()
}

pub async fn agent(db: &Db, queue: &str, member: &str) -> Result<Option<QueueAgent>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {AGENT_COLUMNS} FROM queue_members WHERE queue = $1 AND member = $2"
    )))
    .bind(queue)
    .bind(member)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref()
        .map(|r| agent_from_row(r, now_ms()))
        .transpose()
}

/// Logs a member in or out, pauses or unpauses it; false when it is not a member.
pub async fn set_agent(
    db: &Db,
    queue: &str,
    member: &str,
    logged_in: Option<bool>,
    paused: Option<bool>,
    pause_reason: Option<&str>,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE queue_members SET logged_in = COALESCE($3, logged_in), \
         paused = COALESCE($4, paused), \
         pause_reason = CASE WHEN COALESCE($4, paused) THEN COALESCE($5, pause_reason) ELSE NULL END \
         WHERE queue = $1 AND member = $2",
    )
    .bind(queue)
    .bind(member)
    .bind(logged_in)
    .bind(paused)
    .bind(pause_reason)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// `*45`: logs `extension` in to every queue where it is a dynamic member when it is
/// logged in to none of them, else out of all. None: it is a dynamic member of none.
pub async fn toggle_agent(db: &Db, extension: &str) -> Result<Option<bool>> {
    let rows = sqlx::query(
        "SELECT CAST(logged_in AS INTEGER) AS logged_in FROM queue_members \
         WHERE member = $1 AND dynamic = TRUE",
    )
    .bind(extension)
    .fetch_all(db.pool())
    .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let mut any_in = false;
    for row in &rows {
        any_in |= get_bool(row, "logged_in")?;
    }
    let now_in = !any_in;
    sqlx::query("UPDATE queue_members SET logged_in = $2 WHERE member = $1 AND dynamic = TRUE")
        .bind(extension)
        .bind(now_in)
        .execute(db.pool())
        .await?;
    Ok(Some(now_in))
}

/// Callers in `queue` now, oldest first (rows of dead nodes left out).
pub async fn callers(db: &Db, queue: &str) -> Result<Vec<QueueCaller>> {
    let now = now_ms();
    let rows = sqlx::query(
        "SELECT sid, caller_number, caller_name, state, agent, joined_ms, joined_at \
         FROM queue_callers WHERE queue = $1 AND seen_ms > $2 ORDER BY joined_ms, sid",
    )
    .bind(queue)
    .bind(now - super::queue_calls::STALE_MS)
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let joined: i64 = row.try_get("joined_ms")?;
        out.push(QueueCaller {
            call_sid: text(row, "sid")?,
            position: u32::try_from(i + 1).unwrap_or(u32::MAX),
            caller_number: text(row, "caller_number")?,
            caller_name: row.try_get("caller_name")?,
            state: text(row, "state")?,
            agent: row.try_get("agent")?,
            joined_at: text(row, "joined_at")?,
            wait: u64::try_from((now - joined) / 1000).unwrap_or(0),
        });
    }
    Ok(out)
}

/// The statistics of the callers who joined `queue` since `since_ms`.
pub async fn stats(db: &Db, queue: &str, since_ms: i64, service_level: u32) -> Result<QueueStats> {
    let rows = sqlx::query(
        "SELECT outcome, wait_ms FROM queue_calls WHERE queue = $1 AND joined_ms >= $2",
    )
    .bind(queue)
    .bind(since_ms)
    .fetch_all(db.pool())
    .await?;
    let waiting = callers(db, queue)
        .await?
        .iter()
        .filter(|c| c.state != "answered")
        .count() as u64;
    let (mut answered, mut abandoned, mut redirected) = (0u64, 0u64, 0u64);
    let (mut total_wait, mut longest, mut within) = (0i64, 0i64, 0u64);
    for row in &rows {
        let wait: i64 = row.try_get("wait_ms")?;
        match text(row, "outcome")?.as_str() {
            "answered" => {
                answered += 1;
                total_wait += wait;
                if wait <= i64::from(service_level) * 1000 {
                    within += 1;
                }
                longest = longest.max(wait);
            }
            "abandoned" => {
                abandoned += 1;
                longest = longest.max(wait);
            }
            _ => redirected += 1,
        }
    }
    #[expect(
        clippy::cast_precision_loss,
        reason = "counts and milliseconds of a day"
    )]
    let average_wait = if answered == 0 {
        0.0
    } else {
        total_wait as f64 / answered as f64 / 1000.0
    };
    #[expect(clippy::cast_precision_loss, reason = "counts")]
    let level = if answered == 0 {
        0.0
    } else {
        within as f64 / answered as f64
    };
    Ok(QueueStats {
        since: super::format_timestamp(
            time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(since_ms) * 1_000_000)
                .unwrap_or(time::OffsetDateTime::UNIX_EPOCH),
        ),
        offered: rows.len() as u64 + waiting,
        answered,
        abandoned,
        redirected,
        waiting,
        average_wait,
        longest_wait: u64::try_from(longest / 1000).unwrap_or(0),
        service_level: level,
        service_level_seconds: service_level,
    })
}
