//! Extensions. SIP passwords are stored as digest HA1 values (MD5 and SHA-256) for the
//! configured realm, and voicemail PINs as salted hashes: neither can be read back.

use super::{Db, PageRequest, Result, decode, get_bool, text};
use contract::models::{Extension, VoicemailInfo};
use contract::types::{ApplicationId, Destination, DisplayName, Email, ExtensionNumber, RingTime};
use sqlx::Row;
use sqlx::any::AnyRow;

/// An extension row: the public view plus its secrets.
#[derive(Debug, Clone)]
pub struct StoredExtension {
    pub extension: Extension,
    pub sip_realm: String,
    pub sip_ha1_md5: String,
    pub sip_ha1_sha256: String,
    pub voicemail_pin_hash: Option<String>,
}

const COLUMNS: &str = "number, name, sip_realm, sip_ha1_md5, sip_ha1_sha256, email, \
    voicemail_enabled, voicemail_pin_hash, ring_time, no_answer_destination, busy_destination, \
    call_waiting, created_at, updated_at, voicemail_application_id, voicemail_greeting, \
    voicemail_operator_destination, voicemail_email_options, voicemail_busy_greeting, outbound";
/// The columns as read: booleans cast to integers, the one type both backends hand
/// to the `Any` driver alike.
const SELECT_COLUMNS: &str = "number, name, sip_realm, sip_ha1_md5, sip_ha1_sha256, email, \
    CAST(voicemail_enabled AS INTEGER) AS voicemail_enabled, voicemail_pin_hash, ring_time, \
    no_answer_destination, busy_destination, CAST(call_waiting AS INTEGER) AS call_waiting, \
    created_at, updated_at, voicemail_application_id, voicemail_greeting, \
    voicemail_operator_destination, voicemail_email_options, voicemail_busy_greeting, outbound";

fn from_row(row: &AnyRow) -> Result<StoredExtension> {
    const T: &str = "extensions";
    let pin_hash: Option<String> = row.try_get("voicemail_pin_hash")?;
    let ring_time: i64 = row.try_get("ring_time")?;
    let email: Option<String> = row.try_get("email")?;
    let destination: Option<String> = row.try_get("no_answer_destination")?;
    let busy: Option<String> = row.try_get("busy_destination")?;
    let vm_app: Option<String> = row.try_get("voicemail_application_id")?;
    let greeting: Option<String> = row.try_get("voicemail_greeting")?;
    let operator: Option<String> = row.try_get("voicemail_operator_destination")?;
    let email_options: Option<String> = row.try_get("voicemail_email_options")?;
    let busy_greeting: Option<String> = row.try_get("voicemail_busy_greeting")?;
    Ok(StoredExtension {
        extension: Extension {
            number: decode(T, "number", text(row, "number")?, ExtensionNumber::parse)?,
            name: decode(T, "name", text(row, "name")?, DisplayName::parse)?,
            email: email
                .map(|e| decode(T, "email", e, Email::parse))
                .transpose()?,
            voicemail: VoicemailInfo {
                enabled: get_bool(row, "voicemail_enabled")?,
                pin_set: pin_hash.is_some(),
                application_id: vm_app
                    .map(|a| {
                        decode(T, "voicemail_application_id", a, |a| {
                            ApplicationId::parse(&a)
                        })
                    })
                    .transpose()?,
                greeting: greeting
                    .map(|g| decode(T, "voicemail_greeting", g, |g| serde_json::from_str(&g)))
                    .transpose()?,
                busy_greeting: busy_greeting
                    .map(|g| {
                        decode(T, "voicemail_busy_greeting", g, |g| {
                            serde_json::from_str(&g)
                        })
                    })
                    .transpose()?,
                operator_destination: operator
                    .map(|d| {
                        decode(T, "voicemail_operator_destination", d, |d| {
                            Destination::parse(&d)
                        })
                    })
                    .transpose()?,
                email_options: email_options
                    .map(|o| {
                        decode(T, "voicemail_email_options", o, |o| {
                            serde_json::from_str(&o)
                        })
                    })
                    .transpose()?,
            },
            ring_time: decode(T, "ring_time", ring_time, |v| {
                RingTime::try_from(u32::try_from(v).unwrap_or(0))
            })?,
            no_answer_destination: destination
                .map(|d| decode(T, "no_answer_destination", d, |d| Destination::parse(&d)))
                .transpose()?,
            busy_destination: busy
                .map(|d| decode(T, "busy_destination", d, |d| Destination::parse(&d)))
                .transpose()?,
            call_waiting: get_bool(row, "call_waiting")?,
            outbound: decode(T, "outbound", row.try_get::<String, _>("outbound")?, |o| {
                contract::models::OutboundPermission::parse(&o).ok_or("unknown permission")
            })?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        },
        sip_realm: row.try_get("sip_realm")?,
        sip_ha1_md5: row.try_get("sip_ha1_md5")?,
        sip_ha1_sha256: row.try_get("sip_ha1_sha256")?,
        voicemail_pin_hash: pin_hash,
    })
}

fn email_options_json(e: &Extension) -> Option<String> {
    e.voicemail
        .email_options
        .as_ref()
        .and_then(|o| serde_json::to_string(o).ok())
}

fn busy_greeting_json(e: &Extension) -> Option<String> {
    e.voicemail
        .busy_greeting
        .as_ref()
        .and_then(|g| serde_json::to_string(g).ok())
}

fn greeting_json(e: &Extension) -> Option<String> {
    e.voicemail
        .greeting
        .as_ref()
        .and_then(|g| serde_json::to_string(g).ok())
}

pub async fn insert(db: &Db, row: &StoredExtension) -> Result<()> {
    let e = &row.extension;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO extensions ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
    )))
    .bind(e.number.as_str())
    .bind(e.name.as_str())
    .bind(&row.sip_realm)
    .bind(&row.sip_ha1_md5)
    .bind(&row.sip_ha1_sha256)
    .bind(e.email.as_ref().map(Email::as_str))
    .bind(e.voicemail.enabled)
    .bind(row.voicemail_pin_hash.as_deref())
    .bind(i64::from(e.ring_time.seconds()))
    .bind(e.no_answer_destination.as_ref().map(ToString::to_string))
    .bind(e.busy_destination.as_ref().map(ToString::to_string))
    .bind(e.call_waiting)
    .bind(&e.created_at)
    .bind(&e.updated_at)
    .bind(e.voicemail.application_id.as_ref().map(ApplicationId::as_str))
    .bind(greeting_json(e))
    .bind(e.voicemail.operator_destination.as_ref().map(ToString::to_string))
    .bind(email_options_json(e))
    .bind(busy_greeting_json(e))
    .bind(e.outbound.as_str())
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Writes every column of an existing extension. Returns false when it does not exist.
pub async fn update(db: &Db, row: &StoredExtension) -> Result<bool> {
    let e = &row.extension;
    let done = sqlx::query(
        "UPDATE extensions SET name = $2, sip_realm = $3, sip_ha1_md5 = $4, sip_ha1_sha256 = $5, \
         email = $6, voicemail_enabled = $7, voicemail_pin_hash = $8, ring_time = $9, \
         no_answer_destination = $10, busy_destination = $11, call_waiting = $12, updated_at = $13, \
         voicemail_application_id = $14, voicemail_greeting = $15, \
         voicemail_operator_destination = $16, voicemail_email_options = $17, \
         voicemail_busy_greeting = $18, outbound = $19 WHERE number = $1",
    )
    .bind(e.number.as_str())
    .bind(e.name.as_str())
    .bind(&row.sip_realm)
    .bind(&row.sip_ha1_md5)
    .bind(&row.sip_ha1_sha256)
    .bind(e.email.as_ref().map(Email::as_str))
    .bind(e.voicemail.enabled)
    .bind(row.voicemail_pin_hash.as_deref())
    .bind(i64::from(e.ring_time.seconds()))
    .bind(e.no_answer_destination.as_ref().map(ToString::to_string))
    .bind(e.busy_destination.as_ref().map(ToString::to_string))
    .bind(e.call_waiting)
    .bind(&e.updated_at)
    .bind(e.voicemail.application_id.as_ref().map(ApplicationId::as_str))
    .bind(greeting_json(e))
    .bind(e.voicemail.operator_destination.as_ref().map(ToString::to_string))
    .bind(email_options_json(e))
    .bind(busy_greeting_json(e))
    .bind(e.outbound.as_str())
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn get(db: &Db, number: &str) -> Result<Option<StoredExtension>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {SELECT_COLUMNS} FROM extensions WHERE number = $1"
    )))
    .bind(number)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn exists(db: &Db, number: &str) -> Result<bool> {
    let row = sqlx::query("SELECT 1 AS one FROM extensions WHERE number = $1")
        .bind(number)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.is_some())
}

/// Whether the extension exists and has voicemail enabled.
pub async fn has_voicemail(db: &Db, number: &str) -> Result<Option<bool>> {
    let row = sqlx::query("SELECT CAST(voicemail_enabled AS INTEGER) AS voicemail_enabled FROM extensions WHERE number = $1")
        .bind(number)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref()
        .map(|r| get_bool(r, "voicemail_enabled"))
        .transpose()
}

pub async fn list(db: &Db, page: &PageRequest) -> Result<(Vec<Extension>, Option<String>)> {
    super::fetch_page(
        db,
        SELECT_COLUMNS,
        "extensions",
        "number",
        page,
        |r| from_row(r).map(|s| s.extension),
        |e| e.number.to_string(),
    )
    .await
}

pub async fn delete(db: &Db, number: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM extensions WHERE number = $1")
        .bind(number)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The mailboxes whose `voicemail` events go to application `id`.
pub async fn voicemail_told(db: &Db, id: &str) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT number FROM extensions WHERE voicemail_application_id = $1 ORDER BY number",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok(format!("extensions/{}", r.try_get::<String, _>("number")?)))
        .collect()
}
