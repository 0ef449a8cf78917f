//! Follow-me: one row per extension that has one, and its ordered numbers.

use super::{Db, ListTable, Result, decode, get_bool, optional};
use contract::models::{FollowMe, FollowMeStrategy};
use contract::types::{Destination, DialString, RingTime};
use sqlx::Row;

const T: &str = "follow_me";
const NUMBERS: ListTable = ListTable {
    table: "follow_me_numbers",
    owner: "extension",
    value: "number",
};

pub async fn get(db: &Db, extension: &str) -> Result<Option<FollowMe>> {
    let row = sqlx::query(
        "SELECT CAST(enabled AS INTEGER) AS enabled, initial_ring_time, strategy, ring_time, \
         CAST(confirm AS INTEGER) AS confirm, no_answer_destination FROM follow_me WHERE extension = $1",
    )
    .bind(extension)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let mut numbers = NUMBERS.read(db, &[extension.to_owned()]).await?;
    let initial: i64 = row.try_get("initial_ring_time")?;
    let ring_time: i64 = row.try_get("ring_time")?;
    let strategy: String = row.try_get("strategy")?;
    Ok(Some(FollowMe {
        enabled: get_bool(&row, "enabled")?,
        numbers: numbers
            .remove(extension)
            .unwrap_or_default()
            .into_iter()
            .map(|n| decode(T, "number", n, DialString::parse))
            .collect::<Result<_>>()?,
        initial_ring_time: decode(T, "initial_ring_time", initial, u32::try_from)?,
        strategy: decode(T, "strategy", strategy, |s| {
            FollowMeStrategy::parse(&s).ok_or("unknown strategy")
        })?,
        ring_time: decode(T, "ring_time", ring_time, |v| {
            RingTime::try_from(u32::try_from(v).unwrap_or(0))
        })?,
        confirm: get_bool(&row, "confirm")?,
        no_answer_destination: optional(&row, T, "no_answer_destination", |d| {
            Destination::parse(&d)
        })?,
    }))
}

/// Creates or replaces the follow-me of `extension`.
pub async fn put(db: &Db, extension: &str, f: &FollowMe, now: &str) -> Result<()> {
    let mut tx = db.pool().begin().await?;
    sqlx::query(
        "INSERT INTO follow_me (extension, enabled, initial_ring_time, strategy, ring_time, \
         no_answer_destination, updated_at, confirm) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (extension) DO UPDATE SET enabled = $2, initial_ring_time = $3, \
         strategy = $4, ring_time = $5, no_answer_destination = $6, updated_at = $7, \
         confirm = $8",
    )
    .bind(extension)
    .bind(f.enabled)
    .bind(i64::from(f.initial_ring_time))
    .bind(f.strategy.as_str())
    .bind(i64::from(f.ring_time.seconds()))
    .bind(f.no_answer_destination.as_ref().map(ToString::to_string))
    .bind(now)
    .bind(f.confirm)
    .execute(&mut *tx)
    .await?;
    let numbers: Vec<String> = f.numbers.iter().map(ToString::to_string).collect();
    NUMBERS.write(&mut tx, extension, &numbers).await?;
    tx.commit().await?;
    Ok(())
}

/// Turns follow-me on or off in one statement; returns the new state (None: the
/// extension has no follow-me).
pub async fn toggle(db: &Db, extension: &str, now: &str) -> Result<Option<bool>> {
    let done = sqlx::query(
        "UPDATE follow_me SET enabled = NOT enabled, updated_at = $2 WHERE extension = $1",
    )
    .bind(extension)
    .bind(now)
    .execute(db.pool())
    .await?;
    if done.rows_affected() != 1 {
        return Ok(None);
    }
    Ok(get(db, extension).await?.map(|f| f.enabled))
}

pub async fn delete(db: &Db, extension: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM follow_me WHERE extension = $1")
        .bind(extension)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() == 1)
}
