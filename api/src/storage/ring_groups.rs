//! Ring groups: the group row, and its ordered members in `ring_group_members`.

use super::{Db, ListTable, PageRequest, Result, decode, finish_page, optional, text};
use contract::models::RingGroup;
use contract::types::{
    Announcement, DialString, DisplayName, ExtensionNumber, ResourceName, RingTime,
};
use contract::verbs::DialStrategy;
use sqlx::Row;
use sqlx::any::AnyRow;

const T: &str = "ring_groups";
const MEMBERS: ListTable = ListTable {
    table: "ring_group_members",
    owner: "group_number",
    value: "member",
};
const COLUMNS: &str = "number, name, strategy, ring_time, announcement, caller_name_prefix, \
    music, no_answer_destination, created_at, updated_at";

fn from_row(row: &AnyRow, members: Vec<String>) -> Result<RingGroup> {
    let ring_time: i64 = row.try_get("ring_time")?;
    Ok(RingGroup {
        number: decode(T, "number", text(row, "number")?, ExtensionNumber::parse)?,
        name: decode(T, "name", text(row, "name")?, DisplayName::parse)?,
        members: members
            .into_iter()
            .map(|m| decode(T, "member", m, DialString::parse))
            .collect::<Result<_>>()?,
        strategy: decode(T, "strategy", text(row, "strategy")?, |s| {
            serde_json::from_value::<DialStrategy>(serde_json::Value::String(s))
        })?,
        ring_time: decode(T, "ring_time", ring_time, |v| {
            RingTime::try_from(u32::try_from(v).unwrap_or(0))
        })?,
        announcement: optional(row, T, "announcement", |j| {
            serde_json::from_str::<Announcement>(&j)
        })?,
        caller_name_prefix: row.try_get("caller_name_prefix")?,
        music: optional(row, T, "music", ResourceName::parse)?,
        no_answer_destination: optional(row, T, "no_answer_destination", |d| {
            contract::types::Destination::parse(&d)
        })?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn members_of(group: &RingGroup) -> Vec<String> {
    group.members.iter().map(ToString::to_string).collect()
}

fn announcement_json(group: &RingGroup) -> Result<Option<String>> {
    group
        .announcement
        .as_ref()
        .map(|a| super::to_json(T, a))
        .transpose()
}

pub async fn insert(db: &Db, group: &RingGroup) -> Result<()> {
    let mut tx = db.pool().begin().await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO ring_groups ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    )))
    .bind(group.number.as_str())
    .bind(group.name.as_str())
    .bind(group.strategy.as_str())
    .bind(i64::from(group.ring_time.seconds()))
    .bind(announcement_json(group)?)
    .bind(group.caller_name_prefix.as_deref())
    .bind(group.music.as_ref().map(ResourceName::as_str))
    .bind(
        group
            .no_answer_destination
            .as_ref()
            .map(ToString::to_string),
    )
    .bind(&group.created_at)
    .bind(&group.updated_at)
    .execute(&mut *tx)
    .await?;
    MEMBERS
        .write(&mut tx, group.number.as_str(), &members_of(group))
        .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn update(db: &Db, group: &RingGroup) -> Result<bool> {
    let mut tx = db.pool().begin().await?;
    let done = sqlx::query(
        "UPDATE ring_groups SET name = $2, strategy = $3, ring_time = $4, announcement = $5, \
         caller_name_prefix = $6, music = $7, no_answer_destination = $8, updated_at = $9 \
         WHERE number = $1",
    )
    .bind(group.number.as_str())
    .bind(group.name.as_str())
    .bind(group.strategy.as_str())
    .bind(i64::from(group.ring_time.seconds()))
    .bind(announcement_json(group)?)
    .bind(group.caller_name_prefix.as_deref())
    .bind(group.music.as_ref().map(ResourceName::as_str))
    .bind(
        group
            .no_answer_destination
            .as_ref()
            .map(ToString::to_string),
    )
    .bind(&group.updated_at)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    MEMBERS
        .write(&mut tx, group.number.as_str(), &members_of(group))
        .await?;
    tx.commit().await?;
    Ok(true)
}

pub async fn get(db: &Db, number: &str) -> Result<Option<RingGroup>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM ring_groups WHERE number = $1"
    )))
    .bind(number)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let mut members = MEMBERS.read(db, &[number.to_owned()]).await?;
    from_row(&row, members.remove(number).unwrap_or_default()).map(Some)
}

pub async fn exists(db: &Db, number: &str) -> Result<bool> {
    let row = sqlx::query("SELECT 1 AS one FROM ring_groups WHERE number = $1")
        .bind(number)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.is_some())
}

pub async fn list(db: &Db, page: &PageRequest) -> Result<(Vec<RingGroup>, Option<String>)> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM ring_groups WHERE number > $1 ORDER BY number LIMIT $2"
    )))
    .bind(page.after.as_deref().unwrap_or(""))
    .bind(i64::from(page.limit) + 1)
    .fetch_all(db.pool())
    .await?;
    let numbers: Vec<String> = rows
        .iter()
        .map(|r| text(r, "number"))
        .collect::<Result<_>>()?;
    let mut members = MEMBERS.read(db, &numbers).await?;
    let items = rows
        .iter()
        .zip(&numbers)
        .map(|(row, n)| from_row(row, members.remove(n).unwrap_or_default()))
        .collect::<Result<Vec<_>>>()?;
    Ok(finish_page(items, page, |g| g.number.to_string()))
}

pub async fn delete(db: &Db, number: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM ring_groups WHERE number = $1")
        .bind(number)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() == 1)
}
