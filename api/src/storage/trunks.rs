//! Trunks. Their passwords are stored as given: Switchboard must answer the peer's digest
//! challenges with them.

use super::{Db, PageRequest, Result, decode, get_bool, text};
use contract::models::{Transport, Trunk, TrunkStatus};
use contract::types::{
    ApplicationId, CallerId, Host, PhoneNumber, ResourceName, SipPassword, SipUsername,
};
use sqlx::Row;
use sqlx::any::AnyRow;

/// A trunk row: the public view plus its passwords.
#[derive(Debug, Clone)]
pub struct StoredTrunk {
    pub trunk: Trunk,
    pub password: Option<SipPassword>,
    pub inbound_password: Option<SipPassword>,
}

impl StoredTrunk {
    /// Keeps the `…_set` flags of the public view in line with the passwords.
    pub fn sync_flags(&mut self) {
        self.trunk.password_set = self.password.is_some();
        self.trunk.inbound_password_set = self.inbound_password.is_some();
    }
}

const COLUMNS: &str = "name, host, port, transport, username, password, register, \
    inbound_username, inbound_password, max_channels, caller_id, enabled, created_at, updated_at, \
    inbound_auth, inbound_reach, inbound_number, inbound_strip_prefix, register_expiry, options_interval, \
    caller_id_rule, from_user, from_host, asserted_identity, diversion, silence_timeout, application_id";
/// The columns as read: booleans cast to integers, the one type both backends hand
/// to the `Any` driver alike.
const SELECT_COLUMNS: &str = "name, host, port, transport, username, password, CAST(register AS INTEGER) AS register, \
    inbound_username, inbound_password, max_channels, caller_id, CAST(enabled AS INTEGER) AS enabled, created_at, updated_at, \
    inbound_auth, inbound_reach, inbound_number, inbound_strip_prefix, register_expiry, options_interval, \
    caller_id_rule, from_user, from_host, CAST(asserted_identity AS INTEGER) AS asserted_identity, \
    CAST(diversion AS INTEGER) AS diversion, silence_timeout, application_id";

fn from_row(row: &AnyRow) -> Result<StoredTrunk> {
    const T: &str = "trunks";
    let opt = |column: &'static str| -> Result<Option<String>> { Ok(row.try_get(column)?) };
    let user = |column: &'static str| -> Result<Option<SipUsername>> {
        opt(column)?
            .map(|v| decode(T, column, v, SipUsername::parse))
            .transpose()
    };
    let pass = |column: &'static str| -> Result<Option<SipPassword>> {
        opt(column)?
            .map(|v| decode(T, column, v, SipPassword::parse))
            .transpose()
    };
    let port: i64 = row.try_get("port")?;
    let max_channels: Option<i64> = row.try_get("max_channels")?;
    let register_expiry: i64 = row.try_get("register_expiry")?;
    let options_interval: Option<i64> = row.try_get("options_interval")?;
    let silence_timeout: i64 = row.try_get("silence_timeout")?;
    let password = pass("password")?;
    let inbound_password = pass("inbound_password")?;
    Ok(StoredTrunk {
        trunk: Trunk {
            name: decode(T, "name", text(row, "name")?, ResourceName::parse)?,
            host: decode(T, "host", text(row, "host")?, Host::parse)?,
            port: decode(T, "port", port, u16::try_from)?,
            transport: decode(
                T,
                "transport",
                row.try_get::<String, _>("transport")?,
                |t| Transport::parse(&t).ok_or("unknown transport"),
            )?,
            username: user("username")?,
            password_set: password.is_some(),
            register: get_bool(row, "register")?,
            register_expiry: decode(T, "register_expiry", register_expiry, u32::try_from)?,
            options_interval: options_interval
                .map(|i| decode(T, "options_interval", i, u32::try_from))
                .transpose()?,
            inbound_username: user("inbound_username")?,
            inbound_password_set: inbound_password.is_some(),
            max_channels: max_channels
                .map(|m| decode(T, "max_channels", m, u32::try_from))
                .transpose()?,
            caller_id: opt("caller_id")?
                .map(|v| decode(T, "caller_id", v, CallerId::parse))
                .transpose()?,
            inbound_auth: decode(T, "inbound_auth", text(row, "inbound_auth")?, |v| {
                serde_plain(&v)
            })?,
            inbound_reach: decode(T, "inbound_reach", text(row, "inbound_reach")?, |v| {
                serde_plain(&v)
            })?,
            inbound_number: decode(T, "inbound_number", text(row, "inbound_number")?, |v| {
                serde_plain(&v)
            })?,
            inbound_strip_prefix: opt("inbound_strip_prefix")?
                .map(|v| decode(T, "inbound_strip_prefix", v, PhoneNumber::parse))
                .transpose()?,
            caller_id_rule: decode(T, "caller_id_rule", text(row, "caller_id_rule")?, |v| {
                serde_plain(&v)
            })?,
            from_user: user("from_user")?,
            from_host: opt("from_host")?
                .map(|v| decode(T, "from_host", v, Host::parse))
                .transpose()?,
            asserted_identity: get_bool(row, "asserted_identity")?,
            diversion: get_bool(row, "diversion")?,
            silence_timeout: decode(T, "silence_timeout", silence_timeout, u32::try_from)?,
            application_id: opt("application_id")?
                .map(|v| decode(T, "application_id", v, |v| ApplicationId::parse(&v)))
                .transpose()?,
            enabled: get_bool(row, "enabled")?,
            status: TrunkStatus::default(),
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        },
        password,
        inbound_password,
    })
}

/// An enum's wire name (`request_uri`), as stored.
fn plain<T: serde::Serialize>(value: T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// An enum from its stored wire name.
fn serde_plain<T: serde::de::DeserializeOwned>(value: &str) -> std::result::Result<T, String> {
    serde_json::from_value(serde_json::Value::String(value.to_owned())).map_err(|e| e.to_string())
}

/// Trunks that identify calls from their peer: by inbound credentials, or by address.
pub async fn inbound(db: &Db) -> Result<Vec<StoredTrunk>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {SELECT_COLUMNS} FROM trunks WHERE enabled AND \
         (inbound_username IS NOT NULL OR inbound_auth = 'address') ORDER BY name"
    )))
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

/// Every enabled trunk, by name.
pub async fn enabled(db: &Db) -> Result<Vec<StoredTrunk>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {SELECT_COLUMNS} FROM trunks WHERE enabled ORDER BY name"
    )))
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn insert(db: &Db, row: &StoredTrunk) -> Result<()> {
    let t = &row.trunk;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO trunks ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27)"
    )))
    .bind(t.name.as_str())
    .bind(t.host.as_str())
    .bind(i64::from(t.port))
    .bind(t.transport.as_str())
    .bind(t.username.as_ref().map(SipUsername::as_str))
    .bind(row.password.as_ref().map(SipPassword::as_str))
    .bind(t.register)
    .bind(t.inbound_username.as_ref().map(SipUsername::as_str))
    .bind(row.inbound_password.as_ref().map(SipPassword::as_str))
    .bind(t.max_channels.map(i64::from))
    .bind(t.caller_id.as_ref().map(CallerId::as_str))
    .bind(t.enabled)
    .bind(&t.created_at)
    .bind(&t.updated_at)
    .bind(plain(t.inbound_auth))
    .bind(plain(t.inbound_reach))
    .bind(plain(t.inbound_number))
    .bind(t.inbound_strip_prefix.as_ref().map(PhoneNumber::as_str))
    .bind(i64::from(t.register_expiry))
    .bind(t.options_interval.map(i64::from))
    .bind(plain(t.caller_id_rule))
    .bind(t.from_user.as_ref().map(SipUsername::as_str))
    .bind(t.from_host.as_ref().map(Host::as_str))
    .bind(t.asserted_identity)
    .bind(t.diversion)
    .bind(i64::from(t.silence_timeout))
    .bind(t.application_id.as_ref().map(ApplicationId::as_str))
    .execute(db.pool())
    .await?;
    Ok(())
}

pub async fn update(db: &Db, row: &StoredTrunk) -> Result<bool> {
    let t = &row.trunk;
    let done = sqlx::query(
        "UPDATE trunks SET host = $2, port = $3, transport = $4, username = $5, password = $6, \
         register = $7, inbound_username = $8, inbound_password = $9, max_channels = $10, \
         caller_id = $11, enabled = $12, updated_at = $13, inbound_auth = $14, \
         inbound_reach = $15, inbound_number = $16, inbound_strip_prefix = $17, \
         register_expiry = $18, options_interval = $19, caller_id_rule = $20, from_user = $21, \
         from_host = $22, asserted_identity = $23, diversion = $24, silence_timeout = $25, application_id = $26 \
         WHERE name = $1",
    )
    .bind(t.name.as_str())
    .bind(t.host.as_str())
    .bind(i64::from(t.port))
    .bind(t.transport.as_str())
    .bind(t.username.as_ref().map(SipUsername::as_str))
    .bind(row.password.as_ref().map(SipPassword::as_str))
    .bind(t.register)
    .bind(t.inbound_username.as_ref().map(SipUsername::as_str))
    .bind(row.inbound_password.as_ref().map(SipPassword::as_str))
    .bind(t.max_channels.map(i64::from))
    .bind(t.caller_id.as_ref().map(CallerId::as_str))
    .bind(t.enabled)
    .bind(&t.updated_at)
    .bind(plain(t.inbound_auth))
    .bind(plain(t.inbound_reach))
    .bind(plain(t.inbound_number))
    .bind(t.inbound_strip_prefix.as_ref().map(PhoneNumber::as_str))
    .bind(i64::from(t.register_expiry))
    .bind(t.options_interval.map(i64::from))
    .bind(plain(t.caller_id_rule))
    .bind(t.from_user.as_ref().map(SipUsername::as_str))
    .bind(t.from_host.as_ref().map(Host::as_str))
    .bind(t.asserted_identity)
    .bind(t.diversion)
    .bind(i64::from(t.silence_timeout))
    .bind(t.application_id.as_ref().map(ApplicationId::as_str))
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn get(db: &Db, name: &str) -> Result<Option<StoredTrunk>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {SELECT_COLUMNS} FROM trunks WHERE name = $1"
    )))
    .bind(name)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn exists(db: &Db, name: &str) -> Result<bool> {
    let row = sqlx::query("SELECT 1 AS one FROM trunks WHERE name = $1")
        .bind(name)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.is_some())
}

pub async fn list(db: &Db, page: &PageRequest) -> Result<(Vec<Trunk>, Option<String>)> {
    super::fetch_page(
        db,
        SELECT_COLUMNS,
        "trunks",
        "name",
        page,
        |r| from_row(r).map(|s| s.trunk),
        |t| t.name.to_string(),
    )
    .await
}

/// Routes whose trunk sequence includes this trunk.
pub async fn used_by_routes(db: &Db, name: &str) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT DISTINCT route_name FROM outbound_route_trunks WHERE trunk_name = $1 ORDER BY route_name",
    )
    .bind(name)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok(r.try_get::<String, _>("route_name")?))
        .collect()
}

/// The trunks that tell application `id` of their changes (`trunks/<name>`).
pub async fn told(db: &Db, id: &str) -> Result<Vec<String>> {
    let rows = sqlx::query("SELECT name FROM trunks WHERE application_id = $1 ORDER BY name")
        .bind(id)
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|r| Ok(format!("trunks/{}", r.try_get::<String, _>("name")?)))
        .collect()
}

pub async fn delete(db: &Db, name: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM trunks WHERE name = $1")
        .bind(name)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() == 1)
}
