//! Inbound numbers.

use super::{Db, PageRequest, Result, decode, get_bool, text};
use contract::models::Number;
use contract::types::{Destination, DisplayName, PhoneNumber};
use sqlx::Row;
use sqlx::any::AnyRow;

const COLUMNS: &str = "number, name, destination, public, created_at, updated_at";
/// The columns as read: the boolean cast to an integer, the one type both backends
/// hand to the `Any` driver alike.
const SELECT_COLUMNS: &str =
    "number, name, destination, CAST(public AS INTEGER) AS public, created_at, updated_at";

fn from_row(row: &AnyRow) -> Result<Number> {
    const T: &str = "numbers";
    let name: Option<String> = row.try_get("name")?;
    let destination = decode(
        T,
        "destination",
        row.try_get::<String, _>("destination")?,
        |d| Destination::parse(&d),
    )?;
    let application_id = match &destination {
        Destination::App(id) => Some(id.clone()),
        _ => None,
    };
    Ok(Number {
        number: decode(T, "number", text(row, "number")?, PhoneNumber::parse)?,
        name: name
            .map(|n| decode(T, "name", n, DisplayName::parse))
            .transpose()?,
        destination,
        application_id,
        public: get_bool(row, "public")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub async fn insert(db: &Db, n: &Number) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO numbers ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"
    )))
    .bind(n.number.as_str())
    .bind(n.name.as_ref().map(DisplayName::as_str))
    .bind(n.destination.to_string())
    .bind(n.public)
    .bind(&n.created_at)
    .bind(&n.updated_at)
    .execute(db.pool())
    .await?;
    Ok(())
}

pub async fn update(db: &Db, n: &Number) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE numbers SET name = $2, destination = $3, public = $4, updated_at = $5 WHERE number = $1",
    )
    .bind(n.number.as_str())
    .bind(n.name.as_ref().map(DisplayName::as_str))
    .bind(n.destination.to_string())
    .bind(n.public)
    .bind(&n.updated_at)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn get(db: &Db, number: &str) -> Result<Option<Number>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {SELECT_COLUMNS} FROM numbers WHERE number = $1"
    )))
    .bind(number)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn list(db: &Db, page: &PageRequest) -> Result<(Vec<Number>, Option<String>)> {
    super::fetch_page(
        db,
        SELECT_COLUMNS,
        "numbers",
        "number",
        page,
        from_row,
        |n| n.number.to_string(),
    )
    .await
}

pub async fn delete(db: &Db, number: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM numbers WHERE number = $1")
        .bind(number)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() == 1)
}
