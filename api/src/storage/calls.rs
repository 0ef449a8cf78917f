//! Call records.

use super::{Db, PageRequest, Result, finish_page, text};
use contract::models::{Call, CallStatus, Hangup};
use engine::store::CallRecord;
use sqlx::Row;
use sqlx::any::AnyRow;

const COLUMNS: &str = "sid, parent_sid, direction, from_number, from_name, to_number, status, started_at, \
    answered_at, ended_at, duration, hangup_by, hangup_code, hangup_reason, sip_call_id, trunk";

fn call(row: &AnyRow) -> Result<Call> {
    let status: String = row.try_get("status")?;
    let hangup_by: Option<String> = row.try_get("hangup_by")?;
    let hangup_code: Option<i64> = row.try_get("hangup_code")?;
    let duration: Option<i64> = row.try_get("duration")?;
    Ok(Call {
        sid: text(row, "sid")?,
        parent_call_sid: row.try_get("parent_sid")?,
        direction: text(row, "direction")?,
        from: text(row, "from_number")?,
        caller_name: row.try_get("from_name")?,
        to: text(row, "to_number")?,
        status: CallStatus::parse(&status).ok_or_else(|| super::StorageError::Corrupt {
            table: "calls",
            message: format!("status = {status:?}"),
        })?,
        start_time: text(row, "started_at")?,
        answer_time: row.try_get("answered_at")?,
        end_time: row.try_get("ended_at")?,
        duration: duration.and_then(|d| u64::try_from(d).ok()),
        hangup: hangup_by.map(|by| Hangup {
            by,
            sip_code: hangup_code.and_then(|c| u16::try_from(c).ok()),
            reason: row.try_get("hangup_reason").ok().flatten(),
        }),
        sip_call_id: text(row, "sip_call_id")?,
        trunk: row.try_get("trunk")?,
    })
}

/// Inserts or updates a call leg's record, run by `node` (this process's node id).
pub async fn save(db: &Db, r: &CallRecord, node: &str) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO calls ({COLUMNS}, node) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
         ON CONFLICT (sid) DO UPDATE SET status = $7, answered_at = $9, ended_at = $10, duration = $11, \
         hangup_by = $12, hangup_code = $13, hangup_reason = $14, trunk = $16"
    )))
    .bind(&r.sid)
    .bind(r.parent_sid.as_deref())
    .bind(r.direction)
    .bind(&r.from)
    .bind(r.from_name.as_deref())
    .bind(&r.to)
    .bind(r.status.as_str())
    .bind(&r.started_at)
    .bind(r.answered_at.as_deref())
    .bind(r.ended_at.as_deref())
    .bind(r.duration.map(|d| d as i64))
    .bind(r.hangup_by)
    .bind(r.hangup_code.map(i64::from))
    .bind(r.hangup_reason.as_deref())
    .bind(&r.sip_call_id)
    .bind(r.trunk.as_deref())
    .bind(node)
    .execute(db.pool())
    .await?;
    Ok(())
}

pub async fn get(db: &Db, sid: &str) -> Result<Option<Call>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM calls WHERE sid = $1"
    )))
    .bind(sid)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(call).transpose()
}

/// Newest first; the cursor is `<started_at>|<sid>` of the last row.
pub async fn list(
    db: &Db,
    page: &PageRequest,
    status: Option<CallStatus>,
    from: Option<&str>,
    to: Option<&str>,
    started: (Option<&str>, Option<&str>),
) -> Result<(Vec<Call>, Option<String>)> {
    let (before_time, before_sid) = match page.after.as_deref().and_then(|a| a.split_once('|')) {
        Some((t, s)) => (t.to_owned(), s.to_owned()),
        None => ("9999".to_owned(), String::new()),
    };
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM calls \
         WHERE (started_at < $1 OR (started_at = $1 AND sid < $2)) \
         AND ($3 = '' OR status = $3) AND ($4 = '' OR from_number = $4) AND ($5 = '' OR to_number = $5) \
         AND ($7 = '' OR started_at >= $7) AND ($8 = '' OR started_at < $8) \
         ORDER BY started_at DESC, sid DESC LIMIT $6"
    )))
    .bind(&before_time)
    .bind(&before_sid)
    .bind(status.map_or("", CallStatus::as_str))
    .bind(from.unwrap_or(""))
    .bind(to.unwrap_or(""))
    .bind(i64::from(page.limit) + 1)
    .bind(started.0.unwrap_or(""))
    .bind(started.1.unwrap_or(""))
    .fetch_all(db.pool())
    .await?;
    let items = rows.iter().map(call).collect::<Result<Vec<_>>>()?;
    Ok(finish_page(items, page, |c| {
        format!("{}|{}", c.start_time, c.sid)
    }))
}

/// Calls left unfinished by this node's previous run (the process stopped mid-call, e.g.
/// SIGKILL): closed as failed, so no record stays "in progress" forever. Only `node`'s
/// own calls (and those of no node, written before records named theirs): the other
/// nodes sharing the database are running theirs. A call still open that started before
/// `stale_before` is closed whatever its node — a node that never came back (its data
/// folder lost) must not leave calls in progress for ever.
pub async fn close_orphans(db: &Db, ended_at: &str, node: &str, stale_before: &str) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE calls SET status = 'failed', ended_at = $1, hangup_by = 'system', \
         hangup_reason = 'server restarted during the call' \
         WHERE status IN ('queued', 'ringing', 'in-progress') \
         AND (node = $2 OR node IS NULL OR started_at < $3)",
    )
    .bind(ended_at)
    .bind(node)
    .bind(stale_before)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected())
}

/// What the call records say of each of `numbers` (same order), for ring strategies:
/// when it last answered a call (an outbound leg to it that was answered), how many it
/// answered since `since`, and whether it is on a call now (a call to or from it in
/// progress, or one it is placing).
pub async fn ring_history(
    db: &Db,
    numbers: &[String],
    since: &str,
) -> Result<Vec<engine::store::RingHistory>> {
    let mut history = vec![engine::store::RingHistory::default(); numbers.len()];
    if numbers.is_empty() {
        return Ok(history);
    }
    let index = |n: &str| numbers.iter().position(|x| x == n);
    // $1 is `since`, the numbers follow.
    let list = (2..numbers.len() + 2)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut answered = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT to_number, MAX(answered_at) AS last, \
         SUM(CASE WHEN answered_at >= $1 THEN 1 ELSE 0 END) AS recent \
         FROM calls WHERE direction = 'outbound' AND answered_at IS NOT NULL \
         AND to_number IN ({list}) GROUP BY to_number"
    )))
    .bind(since);
    for n in numbers {
        answered = answered.bind(n);
    }
    for row in answered.fetch_all(db.pool()).await? {
        let Some(i) = index(&text(&row, "to_number")?) else {
            continue;
        };
        let last: Option<String> = row.try_get("last")?;
        let recent: Option<i64> = row.try_get("recent")?;
        history[i].last_answered = last.as_deref().and_then(unix_seconds);
        history[i].answered_since = recent.map_or(0, |r| u32::try_from(r).unwrap_or(u32::MAX));
    }
    let list = (1..=numbers.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut busy = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT from_number, to_number, status FROM calls \
         WHERE status IN ('ringing', 'in-progress') \
         AND (from_number IN ({list}) OR to_number IN ({list}))"
    )));
    for n in numbers {
        busy = busy.bind(n);
    }
    for row in busy.fetch_all(db.pool()).await? {
        let status = text(&row, "status")?;
        if let Some(i) = index(&text(&row, "from_number")?) {
            history[i].in_call = true;
        }
        // A call to a number that only rings there does not make it busy.
        if status == "in-progress"
            && let Some(i) = index(&text(&row, "to_number")?)
        {
            history[i].in_call = true;
        }
    }
    Ok(history)
}

/// A stored timestamp as Unix seconds.
fn unix_seconds(stored: &str) -> Option<u64> {
    let t =
        time::OffsetDateTime::parse(stored, &time::format_description::well_known::Rfc3339).ok()?;
    u64::try_from(t.unix_timestamp()).ok()
}
