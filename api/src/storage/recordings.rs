//! Recording metadata. The audio itself is a file under the data directory
//! (`recordings/<id>.wav`), written before its row and removed after it.

use super::{Db, PageRequest, Result, decode, finish_page, text};
use contract::models::{Recording, RecordingKind, SourceFormat};
use contract::types::{RecordingId, ResourceName};
use sqlx::Row;
use sqlx::any::AnyRow;

const COLUMNS: &str = "id, name, kind, file_name, duration_ms, size_bytes, source_sample_rate, \
    source_channels, source_bits, source_encoding, created_at";

/// A recording row: the public view plus the file it lives in.
#[derive(Debug, Clone)]
pub struct StoredRecording {
    pub recording: Recording,
    pub file_name: String,
}

fn from_row(row: &AnyRow) -> Result<StoredRecording> {
    const T: &str = "recordings";
    let id = decode(T, "id", text(row, "id")?, RecordingId::parse)?;
    let rate: Option<i64> = row.try_get("source_sample_rate")?;
    let channels: Option<i64> = row.try_get("source_channels")?;
    let bits: Option<i64> = row.try_get("source_bits")?;
    let encoding: Option<String> = row.try_get("source_encoding")?;
    let source = match (rate, channels, bits, encoding) {
        (Some(rate), Some(channels), Some(bits), Some(encoding)) => Some(SourceFormat {
            sample_rate: decode(T, "source_sample_rate", rate, u32::try_from)?,
            channels: decode(T, "source_channels", channels, u16::try_from)?,
            bits_per_sample: decode(T, "source_bits", bits, u16::try_from)?,
            encoding,
        }),
        _ => None,
    };
    let duration_ms: i64 = row.try_get("duration_ms")?;
    let size_bytes: i64 = row.try_get("size_bytes")?;
    Ok(StoredRecording {
        recording: Recording {
            audio_url: format!("/v1/recordings/{id}/audio"),
            id,
            name: decode(T, "name", text(row, "name")?, ResourceName::parse)?,
            kind: decode(T, "kind", row.try_get::<String, _>("kind")?, |k| {
                RecordingKind::parse(&k).ok_or("unknown kind")
            })?,
            duration_ms: decode(T, "duration_ms", duration_ms, u64::try_from)?,
            size_bytes: decode(T, "size_bytes", size_bytes, u64::try_from)?,
            sample_rate: 8000,
            channels: 1,
            bits_per_sample: 16,
            source,
            created_at: row.try_get("created_at")?,
        },
        file_name: row.try_get("file_name")?,
    })
}

pub async fn insert(db: &Db, row: &StoredRecording) -> Result<()> {
    let r = &row.recording;
    let source = r.source.as_ref();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO recordings ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    )))
    .bind(r.id.as_str())
    .bind(r.name.as_str())
    .bind(r.kind.as_str())
    .bind(&row.file_name)
    .bind(i64::try_from(r.duration_ms).unwrap_or(i64::MAX))
    .bind(i64::try_from(r.size_bytes).unwrap_or(i64::MAX))
    .bind(source.map(|s| i64::from(s.sample_rate)))
    .bind(source.map(|s| i64::from(s.channels)))
    .bind(source.map(|s| i64::from(s.bits_per_sample)))
    .bind(source.map(|s| s.encoding.clone()))
    .bind(&r.created_at)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Finds a recording by id or, failing that, by name.
pub async fn get(db: &Db, id_or_name: &str) -> Result<Option<StoredRecording>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM recordings WHERE id = $1 OR name = $1 ORDER BY CASE WHEN id = $1 THEN 0 ELSE 1 END LIMIT 1"
    )))
    .bind(id_or_name)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn rename(db: &Db, id: &str, name: &str) -> Result<bool> {
    let done = sqlx::query("UPDATE recordings SET name = $2 WHERE id = $1")
        .bind(id)
        .bind(name)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn list(
    db: &Db,
    page: &PageRequest,
    kind: Option<RecordingKind>,
) -> Result<(Vec<Recording>, Option<String>)> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM recordings WHERE id > $1 AND ($2 = '' OR kind = $2) ORDER BY id LIMIT $3"
    )))
    .bind(page.after.as_deref().unwrap_or(""))
    .bind(kind.map_or("", RecordingKind::as_str))
    .bind(i64::from(page.limit) + 1)
    .fetch_all(db.pool())
    .await?;
    let items = rows
        .iter()
        .map(|r| from_row(r).map(|s| s.recording))
        .collect::<Result<Vec<_>>>()?;
    Ok(finish_page(items, page, |r| r.id.to_string()))
}

/// Every stored file name, to find files that lost their row.
pub async fn file_names(db: &Db) -> Result<std::collections::HashSet<String>> {
    let rows = sqlx::query("SELECT file_name FROM recordings")
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|r| Ok(r.try_get::<String, _>("file_name")?))
        .collect()
}

pub async fn delete(db: &Db, id: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM recordings WHERE id = $1")
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() == 1)
}
