//! Applications. The signing secret is stored as is: the engine needs it to sign
//! webhook requests.

use super::{Db, PageRequest, Result, decode, text};
use contract::models::{Application, RetryOn, WebhookMethod, WebhookSettings};
use contract::types::{ApplicationId, DisplayName, HttpUrl};
use sqlx::Row;
use sqlx::any::AnyRow;

const COLUMNS: &str = "id, name, voice_url, voice_method, status_callback, fallback_url, \
    signing_secret, created_at, updated_at, connect_timeout_ms, read_timeout_ms, retries, retry_on";

fn from_row(row: &AnyRow) -> Result<Application> {
    const T: &str = "applications";
    let url = |column: &str, v: Option<String>| {
        v.map(|v| decode(T, column, v, HttpUrl::parse)).transpose()
    };
    Ok(Application {
        id: decode(T, "id", text(row, "id")?, ApplicationId::parse)?,
        name: decode(T, "name", text(row, "name")?, DisplayName::parse)?,
        voice_url: decode(T, "voice_url", text(row, "voice_url")?, HttpUrl::parse)?,
        voice_method: decode(
            T,
            "voice_method",
            row.try_get::<String, _>("voice_method")?,
            |m| WebhookMethod::parse(&m).ok_or("unknown method"),
        )?,
        status_callback: url("status_callback", row.try_get("status_callback")?)?,
        fallback_url: url("fallback_url", row.try_get("fallback_url")?)?,
        webhook: WebhookSettings {
            connect_timeout_ms: decode(
                T,
                "connect_timeout_ms",
                row.try_get::<i64, _>("connect_timeout_ms")?,
                u32::try_from,
            )?,
            read_timeout_ms: decode(
                T,
                "read_timeout_ms",
                row.try_get::<i64, _>("read_timeout_ms")?,
                u32::try_from,
            )?,
            retries: decode(
                T,
                "retries",
                row.try_get::<i64, _>("retries")?,
                u32::try_from,
            )?,
            retry_on: decode(T, "retry_on", row.try_get::<String, _>("retry_on")?, |r| {
                RetryOn::parse(&r).ok_or("unknown retry_on")
            })?,
        },
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub async fn insert(db: &Db, app: &Application, signing_secret: &str) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO applications ({COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    )))
    .bind(app.id.as_str())
    .bind(app.name.as_str())
    .bind(app.voice_url.as_str())
    .bind(app.voice_method.as_str())
    .bind(app.status_callback.as_ref().map(HttpUrl::as_str))
    .bind(app.fallback_url.as_ref().map(HttpUrl::as_str))
    .bind(signing_secret)
    .bind(&app.created_at)
    .bind(&app.updated_at)
    .bind(i64::from(app.webhook.connect_timeout_ms))
    .bind(i64::from(app.webhook.read_timeout_ms))
    .bind(i64::from(app.webhook.retries))
    .bind(app.webhook.retry_on.as_str())
    .execute(db.pool())
    .await?;
    Ok(())
}

pub async fn update(db: &Db, app: &Application) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE applications SET name = $2, voice_url = $3, voice_method = $4, \
         status_callback = $5, fallback_url = $6, updated_at = $7, connect_timeout_ms = $8, \
         read_timeout_ms = $9, retries = $10, retry_on = $11 WHERE id = $1",
    )
    .bind(app.id.as_str())
    .bind(app.name.as_str())
    .bind(app.voice_url.as_str())
    .bind(app.voice_method.as_str())
    .bind(app.status_callback.as_ref().map(HttpUrl::as_str))
    .bind(app.fallback_url.as_ref().map(HttpUrl::as_str))
    .bind(&app.updated_at)
    .bind(i64::from(app.webhook.connect_timeout_ms))
    .bind(i64::from(app.webhook.read_timeout_ms))
    .bind(i64::from(app.webhook.retries))
    .bind(app.webhook.retry_on.as_str())
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_signing_secret(db: &Db, id: &str, secret: &str, updated_at: &str) -> Result<bool> {
    let done =
        sqlx::query("UPDATE applications SET signing_secret = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(secret)
            .bind(updated_at)
            .execute(db.pool())
            .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn get(db: &Db, id: &str) -> Result<Option<Application>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM applications WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The secret webhook requests to this application are signed with.
pub async fn signing_secret(db: &Db, id: &str) -> Result<Option<String>> {
    let row = sqlx::query("SELECT signing_secret FROM applications WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|r| r.try_get("signing_secret")).transpose()?)
}

pub async fn exists(db: &Db, id: &str) -> Result<bool> {
    let row = sqlx::query("SELECT 1 AS one FROM applications WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.is_some())
}

pub async fn list(db: &Db, page: &PageRequest) -> Result<(Vec<Application>, Option<String>)> {
    super::fetch_page(db, COLUMNS, "applications", "id", page, from_row, |a| {
        a.id.to_string()
    })
    .await
}

pub async fn delete(db: &Db, id: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM applications WHERE id = $1")
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() == 1)
}
