//! The webhook outbox: status callbacks written with the call, delivered by a worker.

use super::{Db, Result, now};
use sqlx::Row;

/// A status callback to deliver.
#[derive(Debug, Clone)]
pub struct Pending {
    pub id: String,
    pub application_id: String,
    pub url: String,
    pub body: String,
    pub attempts: i64,
}

/// Queues a callback, on the pool or inside a caller's transaction.
pub async fn insert<'e, E>(
    executor: E,
    id: &str,
    application_id: &str,
    url: &str,
    body: &str,
) -> Result<()>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let now = now();
    sqlx::query(
        "INSERT INTO webhook_outbox (id, application_id, url, body, state, attempts, \
         next_attempt_at, last_error, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'pending', 0, $5, NULL, $6, $7)",
    )
    .bind(id)
    .bind(application_id)
    .bind(url)
    .bind(body)
    .bind(&now)
    .bind(&now)
    .bind(&now)
    .execute(executor)
    .await?;
    Ok(())
}

/// Callbacks due now, oldest first.
pub async fn due(db: &Db, limit: i64) -> Result<Vec<Pending>> {
    let rows = sqlx::query(
        "SELECT id, application_id, url, body, attempts FROM webhook_outbox \
         WHERE state = 'pending' AND next_attempt_at <= $1 \
         ORDER BY next_attempt_at, id LIMIT $2",
    )
    .bind(now())
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Pending {
                id: r.try_get("id")?,
                application_id: r.try_get("application_id")?,
                url: r.try_get("url")?,
                body: r.try_get("body")?,
                attempts: r.try_get("attempts")?,
            })
        })
        .collect()
}

pub async fn delivered(db: &Db, id: &str) -> Result<()> {
    sqlx::query(
        "UPDATE webhook_outbox SET state = 'delivered', attempts = attempts + 1, \
         last_error = NULL, updated_at = $1 WHERE id = $2",
    )
    .bind(now())
    .bind(id)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// A failed attempt: try again at `next_attempt_at`, or give up (`None`).
pub async fn failed(db: &Db, id: &str, error: &str, next_attempt_at: Option<&str>) -> Result<()> {
    let now = now();
    let (state, next) = match next_attempt_at {
        Some(t) => ("pending", t),
        None => ("failed", now.as_str()),
    };
    sqlx::query(
        "UPDATE webhook_outbox SET state = $1, attempts = attempts + 1, next_attempt_at = $2, \
         last_error = $3, updated_at = $4 WHERE id = $5",
    )
    .bind(state)
    .bind(next)
    .bind(error)
    .bind(&now)
    .bind(id)
    .execute(db.pool())
    .await?;
    Ok(())
}
