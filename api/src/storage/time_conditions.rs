//! Time conditions: the schedule (weekly ranges and exceptions as JSON text) and the
//! override in force, if any.

use super::{Db, PageRequest, Result, decode, json, optional, text};
use contract::models::{ConditionOverride, ConditionState};
use contract::types::{Destination, DisplayName, ResourceName, TimeZoneName};
use sqlx::Row;
use sqlx::any::AnyRow;

const T: &str = "time_conditions";
const COLUMNS: &str = "id, name, time_zone, ranges, exceptions, match_destination, \
    no_match_destination, override_state, override_until, created_at, updated_at";

/// A time condition as stored (its state now is worked out by the caller, who knows
/// the time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCondition {
    pub id: ResourceName,
    pub name: DisplayName,
    pub time_zone: TimeZoneName,
    pub ranges: Vec<contract::models::WeeklyRange>,
    pub exceptions: Vec<contract::models::DatedException>,
    pub match_destination: Destination,
    pub no_match_destination: Destination,
    pub r#override: Option<ConditionOverride>,
    pub created_at: String,
    pub updated_at: String,
}

fn from_row(row: &AnyRow) -> Result<StoredCondition> {
    let destination =
        |column: &str| decode(T, column, text(row, column)?, |d| Destination::parse(&d));
    let state = optional(row, T, "override_state", |s| {
        ConditionState::parse(&s).ok_or("not match or no_match")
    })?;
    let until: Option<String> = row.try_get("override_until")?;
    Ok(StoredCondition {
        id: decode(T, "id", text(row, "id")?, ResourceName::parse)?,
        name: decode(T, "name", text(row, "name")?, DisplayName::parse)?,
        time_zone: decode(T, "time_zone", text(row, "time_zone")?, TimeZoneName::parse)?,
        ranges: json(row, T, "ranges")?,
        exceptions: json(row, T, "exceptions")?,
        match_destination: destination("match_destination")?,
        no_match_destination: destination("no_match_destination")?,
        r#override: state.map(|state| ConditionOverride { state, until }),
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub async fn insert(db: &Db, c: &StoredCondition) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO time_conditions ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    )))
    .bind(c.id.as_str())
    .bind(c.name.as_str())
    .bind(c.time_zone.as_str())
    .bind(super::to_json(T, &c.ranges)?)
    .bind(super::to_json(T, &c.exceptions)?)
    .bind(c.match_destination.to_string())
    .bind(c.no_match_destination.to_string())
    .bind(c.r#override.as_ref().map(|o| o.state.as_str()))
    .bind(c.r#override.as_ref().and_then(|o| o.until.clone()))
    .bind(&c.created_at)
    .bind(&c.updated_at)
    .execute(db.pool())
    .await?;
    Ok(())
}

pub async fn update(db: &Db, c: &StoredCondition) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE time_conditions SET name = $2, time_zone = $3, ranges = $4, exceptions = $5, \
         match_destination = $6, no_match_destination = $7, override_state = $8, \
         override_until = $9, updated_at = $10 WHERE id = $1",
    )
    .bind(c.id.as_str())
    .bind(c.name.as_str())
    .bind(c.time_zone.as_str())
    .bind(super::to_json(T, &c.ranges)?)
    .bind(super::to_json(T, &c.exceptions)?)
    .bind(c.match_destination.to_string())
    .bind(c.no_match_destination.to_string())
    .bind(c.r#override.as_ref().map(|o| o.state.as_str()))
    .bind(c.r#override.as_ref().and_then(|o| o.until.clone()))
    .bind(&c.updated_at)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn get(db: &Db, id: &str) -> Result<Option<StoredCondition>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM time_conditions WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn list(db: &Db, page: &PageRequest) -> Result<(Vec<StoredCondition>, Option<String>)> {
    super::fetch_page(db, COLUMNS, "time_conditions", "id", page, from_row, |c| {
        c.id.to_string()
    })
    .await
}

pub async fn delete(db: &Db, id: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM time_conditions WHERE id = $1")
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() == 1)
}
