//! Voicemail messages, and the emails that announce them: written together when a
//! message is left, delivered by the mailer (`crate::mailer`) in order per mailbox.

use super::{Db, Result};
use contract::models::{VoicemailFolder, VoicemailMessage};
use sqlx::Row;

/// A signed event to queue in the webhook outbox with a message.
#[derive(Debug, Clone)]
pub struct Notice {
    pub id: String,
    pub application_id: String,
    pub url: String,
    pub body: String,
}

/// A message just left in a mailbox.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub id: String,
    pub mailbox: String,
    pub recording_id: String,
    pub call_sid: String,
    pub caller_number: String,
    pub caller_name: Option<String>,
    pub duration_ms: u64,
}

/// Saves a message — its recording becomes of kind `voicemail` — and, when the mailbox
/// has an address, the email announcing it, and its `voicemail` event for the
/// application, in one transaction: once this returns, the message is on disk and in
/// the database, and neither its email nor its event can be forgotten.
pub async fn save_message(
    db: &Db,
    m: &NewMessage,
    email: Option<&str>,
    notice: Option<&Notice>,
    now: &str,
) -> Result<()> {
    let mut tx = db.pool().begin().await?;
    sqlx::query(
        "INSERT INTO voicemail_messages (id, mailbox, recording_id, call_sid, caller_number, \
         caller_name, duration_ms, folder, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'new', $8)",
    )
    .bind(&m.id)
    .bind(&m.mailbox)
    .bind(&m.recording_id)
    .bind(&m.call_sid)
    .bind(&m.caller_number)
    .bind(m.caller_name.as_deref())
    .bind(i64::try_from(m.duration_ms).unwrap_or(i64::MAX))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE recordings SET kind = 'voicemail' WHERE id = $1")
        .bind(&m.recording_id)
        .execute(&mut *tx)
        .await?;
    if let Some(to) = email {
        sqlx::query(
            "INSERT INTO mail_outbox (id, message_id, mailbox, to_address, attempts, \
             next_attempt_at, created_at) VALUES ($1, $2, $3, $4, 0, $5, $6)",
        )
        .bind(format!("ML{}", &m.id[2..]))
        .bind(&m.id)
        .bind(&m.mailbox)
        .bind(to)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    if let Some(n) = notice {
        super::outbox::insert(&mut *tx, &n.id, &n.application_id, &n.url, &n.body).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// An email to send, with what it tells.
#[derive(Debug, Clone)]
pub struct PendingMail {
    pub id: String,
    /// The message it tells of.
    pub message_id: String,
    /// The mailbox's templates, time zone and delete-after-email (None: defaults).
    pub options: Option<contract::models::VoicemailEmailOptions>,
    pub mailbox: String,
    pub mailbox_name: String,
    pub to_address: String,
    pub attempts: i64,
    pub caller_number: String,
    pub caller_name: Option<String>,
    pub duration_ms: i64,
    /// When the message was left (as stored).
    pub left_at: String,
    /// The file of its audio (None: the recording was deleted meanwhile).
    pub audio_file: Option<String>,
}

/// Emails due at `now`, oldest first; an email waits while an earlier one of its
/// mailbox is not delivered (a mailbox's messages arrive in the order they were left).
pub async fn due_mail(db: &Db, now: &str, limit: i64) -> Result<Vec<PendingMail>> {
    let rows = sqlx::query(
        "SELECT o.id, o.message_id, o.mailbox, e.name AS mailbox_name, o.to_address, \
         o.attempts, m.caller_number, m.caller_name, m.duration_ms, m.created_at, r.file_name, \
         e.voicemail_email_options \
         FROM mail_outbox o \
         JOIN voicemail_messages m ON m.id = o.message_id \
         JOIN extensions e ON e.number = o.mailbox \
         LEFT JOIN recordings r ON r.id = m.recording_id \
         WHERE o.delivered_at IS NULL AND NOT o.given_up AND o.next_attempt_at <= $1 \
         AND NOT EXISTS (SELECT 1 FROM mail_outbox p WHERE p.mailbox = o.mailbox \
           AND p.delivered_at IS NULL AND NOT p.given_up \
           AND (p.created_at < o.created_at OR (p.created_at = o.created_at AND p.id < o.id))) \
         ORDER BY o.created_at, o.id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let options: Option<String> = r.try_get("voicemail_email_options")?;
            Ok(PendingMail {
                id: r.try_get("id")?,
                message_id: r.try_get("message_id")?,
                options: options
                    .map(|o| {
                        super::decode("extensions", "voicemail_email_options", o, |o| {
                            serde_json::from_str(&o)
                        })
                    })
                    .transpose()?,
                mailbox: r.try_get("mailbox")?,
                mailbox_name: r.try_get("mailbox_name")?,
                to_address: r.try_get("to_address")?,
                attempts: r.try_get("attempts")?,
                caller_number: r.try_get("caller_number")?,
                caller_name: r.try_get("caller_name")?,
                duration_ms: r.try_get("duration_ms")?,
                left_at: r.try_get("created_at")?,
                audio_file: r.try_get("file_name")?,
            })
        })
        .collect()
}

pub async fn mail_delivered(db: &Db, id: &str, now: &str) -> Result<()> {
    sqlx::query(
        "UPDATE mail_outbox SET delivered_at = $1, attempts = attempts + 1, last_error = NULL \
         WHERE id = $2",
    )
    .bind(now)
    .bind(id)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// A failed attempt: try again at `next_attempt_at`, or give up (`None`).
pub async fn mail_failed(
    db: &Db,
    id: &str,
    error: &str,
    next_attempt_at: Option<&str>,
) -> Result<()> {
    match next_attempt_at {
        Some(next) => {
            sqlx::query(
                "UPDATE mail_outbox SET attempts = attempts + 1, last_error = $1, \
                 next_attempt_at = $2 WHERE id = $3",
            )
            .bind(error)
            .bind(next)
            .bind(id)
            .execute(db.pool())
            .await?
        }
        None => {
            sqlx::query(
                "UPDATE mail_outbox SET attempts = attempts + 1, last_error = $1, \
                 given_up = TRUE WHERE id = $2",
            )
            .bind(error)
            .bind(id)
            .execute(db.pool())
            .await?
        }
    };
    Ok(())
}

/// A stored message, and the file of its audio (None: its recording is gone).
#[derive(Debug, Clone)]
pub struct StoredMessage {
    pub message: VoicemailMessage,
    pub audio_file: Option<String>,
}

const MESSAGE_COLUMNS: &str = "m.id, m.mailbox, m.recording_id, m.call_sid, m.caller_number, \
    m.caller_name, m.duration_ms, m.folder, m.created_at, r.file_name";

fn message_from_row(row: &sqlx::any::AnyRow) -> Result<StoredMessage> {
    const T: &str = "voicemail_messages";
    let id: String = row.try_get("id")?;
    let mailbox: String = row.try_get("mailbox")?;
    let duration_ms: i64 = row.try_get("duration_ms")?;
    let folder: String = row.try_get("folder")?;
    Ok(StoredMessage {
        message: VoicemailMessage {
            audio_url: format!("/v1/voicemail/{mailbox}/messages/{id}/audio"),
            id,
            mailbox,
            folder: super::decode(T, "folder", folder, |f| {
                VoicemailFolder::parse(&f).ok_or("unknown folder")
            })?,
            caller_number: row.try_get("caller_number")?,
            caller_name: row.try_get("caller_name")?,
            duration_ms: super::decode(T, "duration_ms", duration_ms, u64::try_from)?,
            call_sid: row.try_get("call_sid")?,
            recording_id: row.try_get("recording_id")?,
            created_at: row.try_get("created_at")?,
        },
        audio_file: row.try_get("file_name")?,
    })
}

/// A page of `mailbox`'s messages, oldest first; the cursor is `<created_at> <id>`.
pub async fn list_messages(
    db: &Db,
    mailbox: &str,
    folder: Option<VoicemailFolder>,
    page: &super::PageRequest,
) -> Result<(Vec<VoicemailMessage>, Option<String>)> {
    let (after_time, after_id) = page
        .after
        .as_deref()
        .and_then(|a| a.split_once(' '))
        .unwrap_or(("", ""));
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {MESSAGE_COLUMNS} FROM voicemail_messages m \
         LEFT JOIN recordings r ON r.id = m.recording_id \
         WHERE m.mailbox = $1 AND ($2 = '' OR m.folder = $2) \
         AND (m.created_at > $3 OR (m.created_at = $3 AND m.id > $4)) \
         ORDER BY m.created_at, m.id LIMIT $5"
    )))
    .bind(mailbox)
    .bind(folder.map_or("", VoicemailFolder::as_str))
    .bind(after_time)
    .bind(after_id)
    .bind(i64::from(page.limit) + 1)
    .fetch_all(db.pool())
    .await?;
    let items = rows
        .iter()
        .map(|r| message_from_row(r).map(|m| m.message))
        .collect::<Result<Vec<_>>>()?;
    Ok(super::finish_page(items, page, |m| {
        format!("{} {}", m.created_at, m.id)
    }))
}

pub async fn get_message(db: &Db, mailbox: &str, id: &str) -> Result<Option<StoredMessage>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {MESSAGE_COLUMNS} FROM voicemail_messages m \
         LEFT JOIN recordings r ON r.id = m.recording_id WHERE m.mailbox = $1 AND m.id = $2"
    )))
    .bind(mailbox)
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(message_from_row).transpose()
}

pub async fn set_folder(db: &Db, mailbox: &str, id: &str, folder: VoicemailFolder) -> Result<bool> {
    let done =
        sqlx::query("UPDATE voicemail_messages SET folder = $1 WHERE mailbox = $2 AND id = $3")
            .bind(folder.as_str())
            .bind(mailbox)
            .bind(id)
            .execute(db.pool())
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes a message and its recording's row (an email not yet sent goes with it);
/// the caller removes the audio file after.
pub async fn delete_message(db: &Db, mailbox: &str, id: &str, recording_id: &str) -> Result<bool> {
    let mut tx = db.pool().begin().await?;
    let done = sqlx::query("DELETE FROM voicemail_messages WHERE mailbox = $1 AND id = $2")
        .bind(mailbox)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM recordings WHERE id = $1 AND kind = 'voicemail'")
        .bind(recording_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

/// How many messages `mailbox` holds: (new, saved).
pub async fn counts(db: &Db, mailbox: &str) -> Result<(i64, i64)> {
    let row = sqlx::query(
        "SELECT COALESCE(SUM(CASE WHEN folder = 'new' THEN 1 ELSE 0 END), 0) AS new_count, \
         COALESCE(SUM(CASE WHEN folder = 'saved' THEN 1 ELSE 0 END), 0) AS saved_count \
         FROM voicemail_messages WHERE mailbox = $1",
    )
    .bind(mailbox)
    .fetch_one(db.pool())
    .await?;
    Ok((row.try_get("new_count")?, row.try_get("saved_count")?))
}

/// The (new, saved) counts of each of `mailboxes`, in order; None for a number that is
/// no mailbox (no such extension, or its voicemail is off). One query for them all.
pub async fn counts_of(db: &Db, mailboxes: &[String]) -> Result<Vec<Option<(u32, u32)>>> {
    if mailboxes.is_empty() {
        return Ok(Vec::new());
    }
    let list = (1..=mailboxes.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut query = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT e.number AS number, \
         COALESCE(SUM(CASE WHEN m.folder = 'new' THEN 1 ELSE 0 END), 0) AS new_count, \
         COALESCE(SUM(CASE WHEN m.folder = 'saved' THEN 1 ELSE 0 END), 0) AS saved_count \
         FROM extensions e LEFT JOIN voicemail_messages m ON m.mailbox = e.number \
         WHERE e.voicemail_enabled = TRUE AND e.number IN ({list}) GROUP BY e.number"
    )));
    for m in mailboxes {
        query = query.bind(m);
    }
    let mut found = std::collections::HashMap::new();
    for row in query.fetch_all(db.pool()).await? {
        let new: i64 = row.try_get("new_count")?;
        let saved: i64 = row.try_get("saved_count")?;
        found.insert(
            row.try_get::<String, _>("number")?,
            (
                u32::try_from(new).unwrap_or(u32::MAX),
                u32::try_from(saved).unwrap_or(u32::MAX),
            ),
        );
    }
    Ok(mailboxes.iter().map(|m| found.get(m).copied()).collect())
}

/// Deletes a stored message with its audio: the rows first, then the file (a row never
/// points to a missing file; a file that cannot be removed is swept at the next start).
/// False when it was already gone.
pub async fn delete_with_audio(
    db: &Db,
    media: &crate::media::store::MediaStore,
    stored: &StoredMessage,
) -> Result<bool> {
    let m = &stored.message;
    if !delete_message(db, &m.mailbox, &m.id, &m.recording_id).await? {
        return Ok(false);
    }
    if let Some(file) = &stored.audio_file
        && let Err(e) = media.remove(file).await
    {
        tracing::warn!(error = %e, %file, "cannot remove a deleted message's file; it is swept at the next start");
    }
    tracing::info!(mailbox = %m.mailbox, message = %m.id, "voicemail message deleted");
    Ok(true)
}
