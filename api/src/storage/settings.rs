//! Server-wide values kept in the database (so every node and every restart agree).

use super::{Db, Result};
use sqlx::Row;

/// The secret that signs requests to `url:` destinations and to calls placed without
/// an application (`GET /v1/apps`, `url_destinations_signing_secret`).
pub const URL_SECRET: &str = "url_destinations_signing_secret";

/// The application id those requests go by (in logs and in the webhook outbox).
pub const URL_APPLICATION: &str = "url";

/// Returns the value of `name`, storing `make()` first if there is none. Concurrent
/// first starts agree on one value: the insert that loses the race is ignored.
pub async fn get_or_insert(db: &Db, name: &str, make: impl FnOnce() -> String) -> Result<String> {
    if let Some(value) = get(db, name).await? {
        return Ok(value);
    }
    sqlx::query("INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
        .bind(name)
        .bind(make())
        .execute(db.pool())
        .await?;
    get(db, name)
        .await?
        .ok_or_else(|| super::StorageError::Corrupt {
            table: "settings",
            message: format!("{name} vanished right after it was written"),
        })
}

pub async fn get(db: &Db, name: &str) -> Result<Option<String>> {
    let row = sqlx::query("SELECT value FROM settings WHERE name = $1")
        .bind(name)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|r| r.try_get::<String, _>("value")).transpose()?)
}
