//! API keys: only a SHA-256 of each secret is stored.

use super::{Db, PageRequest, Result, decode, now, text};
use contract::models::{ApiKey, Role};
use contract::types::ApiKeyId;
use sqlx::Row;
use sqlx::any::AnyRow;

/// A key as the authenticator needs it.
#[derive(Debug, Clone)]
pub struct StoredKey {
    pub key: ApiKey,
    pub secret_hash: String,
}

fn from_row(row: &AnyRow) -> Result<StoredKey> {
    let role: String = row.try_get("role")?;
    Ok(StoredKey {
        key: ApiKey {
            key_id: decode("api_keys", "key_id", text(row, "key_id")?, ApiKeyId::parse)?,
            name: row.try_get("name")?,
            role: decode("api_keys", "role", role, |r| {
                Role::parse(&r).ok_or("unknown role")
            })?,
            created_at: row.try_get("created_at")?,
            revoked_at: row.try_get("revoked_at")?,
        },
        secret_hash: row.try_get("secret_hash")?,
    })
}

const COLUMNS: &str = "key_id, name, role, secret_hash, created_at, revoked_at";

pub async fn insert(
    db: &Db,
    key_id: &ApiKeyId,
    name: &str,
    role: Role,
    secret_hash: &str,
) -> Result<ApiKey> {
    let created_at = now();
    sqlx::query(
        "INSERT INTO api_keys (key_id, name, role, secret_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(key_id.as_str())
    .bind(name)
    .bind(role.as_str())
    .bind(secret_hash)
    .bind(&created_at)
    .execute(db.pool())
    .await?;
    Ok(ApiKey {
        key_id: key_id.clone(),
        name: name.to_owned(),
        role,
        created_at,
        revoked_at: None,
    })
}

/// Creates the key, or makes an existing one an active admin key with this secret.
/// Returns whether the key had been revoked (and is now restored).
pub async fn upsert_admin(db: &Db, key_id: &ApiKeyId, secret_hash: &str) -> Result<bool> {
    let existing = get(db, key_id).await?;
    match existing {
        None => {
            insert(
                db,
                key_id,
                "admin key from configuration",
                Role::Admin,
                secret_hash,
            )
            .await?;
            Ok(false)
        }
        Some(stored) => {
            sqlx::query(
                "UPDATE api_keys SET role = 'admin', secret_hash = $2, revoked_at = NULL WHERE key_id = $1",
            )
            .bind(key_id.as_str())
            .bind(secret_hash)
            .execute(db.pool())
            .await?;
            Ok(stored.key.revoked_at.is_some())
        }
    }
}

pub async fn get(db: &Db, key_id: &ApiKeyId) -> Result<Option<StoredKey>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM api_keys WHERE key_id = $1"
    )))
    .bind(key_id.as_str())
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn count_active_admins(db: &Db) -> Result<i64> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM api_keys WHERE role = 'admin' AND revoked_at IS NULL",
    )
    .fetch_one(db.pool())
    .await?;
    Ok(row.try_get("n")?)
}

pub async fn count(db: &Db) -> Result<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM api_keys")
        .fetch_one(db.pool())
        .await?;
    Ok(row.try_get("n")?)
}

pub async fn list(db: &Db, page: &PageRequest) -> Result<(Vec<ApiKey>, Option<String>)> {
    super::fetch_page(
        db,
        COLUMNS,
        "api_keys",
        "key_id",
        page,
        |r| from_row(r).map(|s| s.key),
        |k| k.key_id.to_string(),
    )
    .await
}

/// Marks the key revoked, unless it is the last active admin key. Returns `Ok(None)` when
/// the key does not exist and `Err(LastAdmin)` when revoking it would lock everyone out.
pub async fn revoke(db: &Db, key_id: &ApiKeyId) -> Result<RevokeOutcome> {
    let mut tx = db.pool().begin().await?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM api_keys WHERE key_id = $1"
    )))
    .bind(key_id.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    let Some(stored) = row.as_ref().map(from_row).transpose()? else {
        return Ok(RevokeOutcome::NotFound);
    };
    if stored.key.revoked_at.is_some() {
        return Ok(RevokeOutcome::Revoked(stored.key));
    }
    if stored.key.role == Role::Admin {
        let others: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM api_keys WHERE role = 'admin' AND revoked_at IS NULL AND key_id <> $1",
        )
        .bind(key_id.as_str())
        .fetch_one(&mut *tx)
        .await?
        .try_get("n")?;
        if others == 0 {
            return Ok(RevokeOutcome::LastAdmin);
        }
    }
    let revoked_at = now();
    sqlx::query("UPDATE api_keys SET revoked_at = $2 WHERE key_id = $1")
        .bind(key_id.as_str())
        .bind(&revoked_at)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    let mut key = stored.key;
    key.revoked_at = Some(revoked_at);
    Ok(RevokeOutcome::Revoked(key))
}

#[derive(Debug)]
pub enum RevokeOutcome {
    Revoked(ApiKey),
    NotFound,
    LastAdmin,
}
