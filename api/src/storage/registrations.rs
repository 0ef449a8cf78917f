//! The location service: registered contacts of extensions.

use super::{Db, PageRequest, Result, finish_page, format_timestamp, now, text};
use contract::models::Registration;
use engine::store::{Binding, Transport};
use sqlx::Row;
use sqlx::any::AnyRow;

const COLUMNS: &str = "id, aor, contact, source, transport, expires_at, call_id, cseq, user_agent, path, created_at, updated_at";

fn binding(row: &AnyRow) -> Result<Binding> {
    let source: String = row.try_get("source")?;
    let transport: String = row.try_get("transport")?;
    let corrupt = |what: &str| super::StorageError::Corrupt {
        table: "registrations",
        message: what.to_owned(),
    };
    Ok(Binding {
        id: text(row, "id")?,
        aor: text(row, "aor")?,
        contact: text(row, "contact")?,
        source: source
            .parse()
            .map_err(|_| corrupt("source is not ip:port"))?,
        transport: Transport::parse(&transport).ok_or_else(|| corrupt("unknown transport"))?,
        expires_at: u64::try_from(row.try_get::<i64, _>("expires_at")?).unwrap_or(0),
        call_id: text(row, "call_id")?,
        cseq: u32::try_from(row.try_get::<i64, _>("cseq")?).unwrap_or(0),
        user_agent: row.try_get("user_agent")?,
        path: row
            .try_get::<Option<String>, _>("path")?
            .map(|p| p.lines().map(str::to_owned).collect())
            .unwrap_or_default(),
    })
}

fn registration(row: &AnyRow, now_unix: u64) -> Result<Registration> {
    let b = binding(row)?;
    let expires_at = time::OffsetDateTime::from_unix_timestamp(b.expires_at as i64)
        .map(format_timestamp)
        .unwrap_or_default();
    Ok(Registration {
        id: b.id,
        extension: b.aor,
        contact: b.contact,
        source: b.source.to_string(),
        transport: b.transport.as_str().to_owned(),
        expires_at,
        expires_in: b.expires_at.saturating_sub(now_unix),
        user_agent: b.user_agent,
        registered_at: text(row, "created_at")?,
        updated_at: text(row, "updated_at")?,
    })
}

/// Creates or refreshes the binding of (`aor`, `contact`), keeping its id.
pub async fn save(db: &Db, b: &Binding, new_id: &str) -> Result<()> {
    let stamp = now();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO registrations ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) \
         ON CONFLICT (aor, contact) DO UPDATE SET source = $4, transport = $5, expires_at = $6, \
         call_id = $7, cseq = $8, user_agent = $9, path = $10, updated_at = $11"
    )))
    .bind(new_id)
    .bind(&b.aor)
    .bind(&b.contact)
    .bind(b.source.to_string())
    .bind(b.transport.as_str())
    .bind(b.expires_at as i64)
    .bind(&b.call_id)
    .bind(i64::from(b.cseq))
    .bind(b.user_agent.as_deref())
    // One entry per line: a header value holds no line break.
    .bind((!b.path.is_empty()).then(|| b.path.join("\n")))
    .bind(&stamp)
    .execute(db.pool())
    .await?;
    Ok(())
}

pub async fn remove(db: &Db, aor: &str, contact: &str) -> Result<()> {
    sqlx::query("DELETE FROM registrations WHERE aor = $1 AND contact = $2")
        .bind(aor)
        .bind(contact)
        .execute(db.pool())
        .await?;
    Ok(())
}

pub async fn remove_all(db: &Db, aor: &str) -> Result<()> {
    sqlx::query("DELETE FROM registrations WHERE aor = $1")
        .bind(aor)
        .execute(db.pool())
        .await?;
    Ok(())
}

pub async fn delete(db: &Db, id: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM registrations WHERE id = $1")
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Live bindings of `aor`.
pub async fn of(db: &Db, aor: &str, now_unix: u64) -> Result<Vec<Binding>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM registrations WHERE aor = $1 AND expires_at > $2 ORDER BY created_at, id"
    )))
    .bind(aor)
    .bind(now_unix as i64)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(binding).collect()
}

pub async fn purge(db: &Db, now_unix: u64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM registrations WHERE expires_at <= $1")
        .bind(now_unix as i64)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}

pub async fn list(
    db: &Db,
    page: &PageRequest,
    extension: Option<&str>,
    now_unix: u64,
) -> Result<(Vec<Registration>, Option<String>)> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM registrations WHERE id > $1 AND ($2 = '' OR aor = $2) AND expires_at > $3 \
         ORDER BY id LIMIT $4"
    )))
    .bind(page.after.as_deref().unwrap_or(""))
    .bind(extension.unwrap_or(""))
    .bind(now_unix as i64)
    .bind(i64::from(page.limit) + 1)
    .fetch_all(db.pool())
    .await?;
    let items = rows
        .iter()
        .map(|r| registration(r, now_unix))
        .collect::<Result<Vec<_>>>()?;
    Ok(finish_page(items, page, |r| r.id.clone()))
}
