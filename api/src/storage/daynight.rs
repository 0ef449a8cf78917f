//! Day/night switches. The mode is a column: it survives restarts and every node sees
//! the same. The PIN is stored hashed.

use super::{Db, PageRequest, Result, decode, text};
use contract::models::{DayNight, DayNightMode};
use contract::types::{Destination, DisplayName};
use sqlx::Row;
use sqlx::any::AnyRow;

const T: &str = "daynight";
const COLUMNS: &str = "switch_index, name, mode, day_destination, night_destination, pin_hash, \
    created_at, updated_at";

/// A switch row: the public view and its PIN hash.
#[derive(Debug, Clone)]
pub struct StoredDayNight {
    pub switch: DayNight,
    pub pin_hash: Option<String>,
}

fn from_row(row: &AnyRow) -> Result<StoredDayNight> {
    let pin_hash: Option<String> = row.try_get("pin_hash")?;
    let destination =
        |column: &str| decode(T, column, text(row, column)?, |d| Destination::parse(&d));
    Ok(StoredDayNight {
        switch: DayNight {
            index: decode(T, "switch_index", text(row, "switch_index")?, |i| {
                i.parse::<u8>()
            })?,
            name: decode(T, "name", text(row, "name")?, DisplayName::parse)?,
            mode: decode(T, "mode", text(row, "mode")?, |m| {
                DayNightMode::parse(&m).ok_or("not day or night")
            })?,
            day_destination: destination("day_destination")?,
            night_destination: destination("night_destination")?,
            pin_set: pin_hash.is_some(),
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        },
        pin_hash,
    })
}

pub async fn insert(db: &Db, row: &StoredDayNight) -> Result<()> {
    let s = &row.switch;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO daynight ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    )))
    .bind(s.index.to_string())
    .bind(s.name.as_str())
    .bind(s.mode.as_str())
    .bind(s.day_destination.to_string())
    .bind(s.night_destination.to_string())
    .bind(row.pin_hash.as_deref())
    .bind(&s.created_at)
    .bind(&s.updated_at)
    .execute(db.pool())
    .await?;
    Ok(())
}

pub async fn update(db: &Db, row: &StoredDayNight) -> Result<bool> {
    let s = &row.switch;
    let done = sqlx::query(
        "UPDATE daynight SET name = $2, mode = $3, day_destination = $4, night_destination = $5, \
         pin_hash = $6, updated_at = $7 WHERE switch_index = $1",
    )
    .bind(s.index.to_string())
    .bind(s.name.as_str())
    .bind(s.mode.as_str())
    .bind(s.day_destination.to_string())
    .bind(s.night_destination.to_string())
    .bind(row.pin_hash.as_deref())
    .bind(&s.updated_at)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Switches `index` to the other mode in one statement (two toggles at once give two
/// changes, never a lost one); returns the switch as it is now.
pub async fn toggle(db: &Db, index: u8, now: &str) -> Result<Option<StoredDayNight>> {
    let done = sqlx::query(
        "UPDATE daynight SET mode = CASE mode WHEN 'day' THEN 'night' ELSE 'day' END, \
         updated_at = $2 WHERE switch_index = $1",
    )
    .bind(index.to_string())
    .bind(now)
    .execute(db.pool())
    .await?;
    if done.rows_affected() != 1 {
        return Ok(None);
    }
    get(db, index).await
}

pub async fn get(db: &Db, index: u8) -> Result<Option<StoredDayNight>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM daynight WHERE switch_index = $1"
    )))
    .bind(index.to_string())
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn list(db: &Db, page: &PageRequest) -> Result<(Vec<DayNight>, Option<String>)> {
    super::fetch_page(
        db,
        COLUMNS,
        "daynight",
        "switch_index",
        page,
        |r| from_row(r).map(|s| s.switch),
        |s| s.index.to_string(),
    )
    .await
}

pub async fn delete(db: &Db, index: u8) -> Result<bool> {
    let done = sqlx::query("DELETE FROM daynight WHERE switch_index = $1")
        .bind(index.to_string())
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() == 1)
}
