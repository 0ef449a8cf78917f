//! IVRs: the menu row, and its keys in `ivr_options`.

use super::{Db, PageRequest, Result, decode, finish_page, get_bool, json, optional, text};
use contract::models::Ivr;
use contract::types::{Announcement, Destination, IvrChoice, IvrKey, ResourceName};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use std::collections::{BTreeMap, HashMap};

const T: &str = "ivrs";
const COLUMNS: &str = "name, announcement, CAST(direct_dial AS INTEGER) AS direct_dial, timeout, \
    max_timeouts, timeout_announcement, timeout_destination, max_invalid, invalid_announcement, \
    invalid_destination, created_at, updated_at";

type Options = BTreeMap<IvrKey, IvrChoice>;

fn count(row: &AnyRow, column: &str) -> Result<u32> {
    let v: i64 = row.try_get(column)?;
    decode(T, column, v, u32::try_from)
}

fn announcement(row: &AnyRow, column: &str) -> Result<Option<Announcement>> {
    optional(row, T, column, |j| serde_json::from_str::<Announcement>(&j))
}

fn destination(row: &AnyRow, column: &str) -> Result<Option<Destination>> {
    optional(row, T, column, |d| Destination::parse(&d))
}

fn from_row(row: &AnyRow, options: Options) -> Result<Ivr> {
    Ok(Ivr {
        name: decode(T, "name", text(row, "name")?, ResourceName::parse)?,
        announcement: json(row, T, "announcement")?,
        options,
        direct_dial: get_bool(row, "direct_dial")?,
        timeout: count(row, "timeout")?,
        max_timeouts: count(row, "max_timeouts")?,
        timeout_announcement: announcement(row, "timeout_announcement")?,
        timeout_destination: destination(row, "timeout_destination")?,
        max_invalid: count(row, "max_invalid")?,
        invalid_announcement: announcement(row, "invalid_announcement")?,
        invalid_destination: destination(row, "invalid_destination")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn announcement_json(a: Option<&Announcement>) -> Result<Option<String>> {
    a.map(|a| super::to_json(T, a)).transpose()
}

async fn write_options(tx: &mut Transaction<'_, Any>, ivr: &Ivr) -> Result<()> {
    sqlx::query("DELETE FROM ivr_options WHERE ivr_name = $1")
        .bind(ivr.name.as_str())
        .execute(&mut **tx)
        .await?;
    for (keys, choice) in &ivr.options {
        sqlx::query("INSERT INTO ivr_options (ivr_name, keys, destination) VALUES ($1, $2, $3)")
            .bind(ivr.name.as_str())
            .bind(keys.as_str())
            .bind(choice.to_string())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

async fn options_of(db: &Db, names: &[String]) -> Result<HashMap<String, Options>> {
    let mut map: HashMap<String, Options> = HashMap::new();
    if names.is_empty() {
        return Ok(map);
    }
    let placeholders: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT ivr_name, keys, destination FROM ivr_options WHERE ivr_name IN ({})",
        placeholders.join(", ")
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for name in names {
        query = query.bind(name);
    }
    for row in query.fetch_all(db.pool()).await? {
        const O: &str = "ivr_options";
        let keys = decode(O, "keys", text(&row, "keys")?, IvrKey::parse)?;
        let choice = decode(O, "destination", text(&row, "destination")?, |d| {
            IvrChoice::parse(&d)
        })?;
        map.entry(text(&row, "ivr_name")?)
            .or_default()
            .insert(keys, choice);
    }
    Ok(map)
}

pub async fn insert(db: &Db, ivr: &Ivr) -> Result<()> {
    let mut tx = db.pool().begin().await?;
    sqlx::query(
        "INSERT INTO ivrs (name, announcement, direct_dial, timeout, max_timeouts, \
         timeout_announcement, timeout_destination, max_invalid, invalid_announcement, \
         invalid_destination, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(ivr.name.as_str())
    .bind(super::to_json(T, &ivr.announcement)?)
    .bind(ivr.direct_dial)
    .bind(i64::from(ivr.timeout))
    .bind(i64::from(ivr.max_timeouts))
    .bind(announcement_json(ivr.timeout_announcement.as_ref())?)
    .bind(ivr.timeout_destination.as_ref().map(ToString::to_string))
    .bind(i64::from(ivr.max_invalid))
    .bind(announcement_json(ivr.invalid_announcement.as_ref())?)
    .bind(ivr.invalid_destination.as_ref().map(ToString::to_string))
    .bind(&ivr.created_at)
    .bind(&ivr.updated_at)
    .execute(&mut *tx)
    .await?;
    write_options(&mut tx, ivr).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn update(db: &Db, ivr: &Ivr) -> Result<bool> {
    let mut tx = db.pool().begin().await?;
    let done = sqlx::query(
        "UPDATE ivrs SET announcement = $2, direct_dial = $3, timeout = $4, max_timeouts = $5, \
         timeout_announcement = $6, timeout_destination = $7, max_invalid = $8, \
         invalid_announcement = $9, invalid_destination = $10, updated_at = $11 WHERE name = $1",
    )
    .bind(ivr.name.as_str())
    .bind(super::to_json(T, &ivr.announcement)?)
    .bind(ivr.direct_dial)
    .bind(i64::from(ivr.timeout))
    .bind(i64::from(ivr.max_timeouts))
    .bind(announcement_json(ivr.timeout_announcement.as_ref())?)
    .bind(ivr.timeout_destination.as_ref().map(ToString::to_string))
    .bind(i64::from(ivr.max_invalid))
    .bind(announcement_json(ivr.invalid_announcement.as_ref())?)
    .bind(ivr.invalid_destination.as_ref().map(ToString::to_string))
    .bind(&ivr.updated_at)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    write_options(&mut tx, ivr).await?;
    tx.commit().await?;
    Ok(true)
}

pub async fn get(db: &Db, name: &str) -> Result<Option<Ivr>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM ivrs WHERE name = $1"
    )))
    .bind(name)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let mut options = options_of(db, &[name.to_owned()]).await?;
    from_row(&row, options.remove(name).unwrap_or_default()).map(Some)
}

pub async fn exists(db: &Db, name: &str) -> Result<bool> {
    let row = sqlx::query("SELECT 1 AS one FROM ivrs WHERE name = $1")
        .bind(name)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.is_some())
}

pub async fn list(db: &Db, page: &PageRequest) -> Result<(Vec<Ivr>, Option<String>)> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM ivrs WHERE name > $1 ORDER BY name LIMIT $2"
    )))
    .bind(page.after.as_deref().unwrap_or(""))
    .bind(i64::from(page.limit) + 1)
    .fetch_all(db.pool())
    .await?;
    let names: Vec<String> = rows
        .iter()
        .map(|r| text(r, "name"))
        .collect::<Result<_>>()?;
    let mut options = options_of(db, &names).await?;
    let items = rows
        .iter()
        .zip(&names)
        .map(|(row, n)| from_row(row, options.remove(n).unwrap_or_default()))
        .collect::<Result<Vec<_>>>()?;
    Ok(finish_page(items, page, |i| i.name.to_string()))
}

pub async fn delete(db: &Db, name: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM ivrs WHERE name = $1")
        .bind(name)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() == 1)
}
