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

/// The columns written, after `name` and before the timestamps, in the order
/// [`bind_fields`] binds them.
const FIELDS: [&str; 24] = [
    "host",
    "port",
    "transport",
    "username",
    "password",
    "register",
    "inbound_username",
    "inbound_password",
    "max_channels",
    "caller_id",
    "enabled",
    "inbound_auth",
    "inbound_reach",
    "inbound_number",
    "inbound_strip_prefix",
    "register_expiry",
    "options_interval",
    "caller_id_rule",
    "from_user",
    "from_host",
    "asserted_identity",
    "diversion",
    "silence_timeout",
    "application_id",
];
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
    enabled_where(
        db,
        "AND (inbound_username IS NOT NULL OR inbound_auth = 'address')",
    )
    .await
}

/// Every enabled trunk, by name.
pub async fn enabled(db: &Db) -> Result<Vec<StoredTrunk>> {
    enabled_where(db, "").await
}

async fn enabled_where(db: &Db, condition: &str) -> Result<Vec<StoredTrunk>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {SELECT_COLUMNS} FROM trunks WHERE enabled {condition} ORDER BY name"
    )))
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

type Query<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

/// Binds [`FIELDS`] of `row`, in order.
fn bind_fields<'q>(query: Query<'q>, row: &'q StoredTrunk) -> Query<'q> {
    let t = &row.trunk;
    query
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
}

pub async fn insert(db: &Db, row: &StoredTrunk) -> Result<()> {
    let n = FIELDS.len();
    let values: Vec<String> = (1..=n + 3).map(|i| format!("${i}")).collect();
    let sql = format!(
        "INSERT INTO trunks (name, {}, created_at, updated_at) VALUES ({})",
        FIELDS.join(", "),
        values.join(", ")
    );
    let query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(row.trunk.name.as_str());
    bind_fields(query, row)
        .bind(&row.trunk.created_at)
        .bind(&row.trunk.updated_at)
        .execute(db.pool())
        .await?;
    Ok(())
}

pub async fn update(db: &Db, row: &StoredTrunk) -> Result<bool> {
    let n = FIELDS.len();
    let sets: Vec<String> = FIELDS
        .iter()
        .enumerate()
        .map(|(i, f)| format!("{f} = ${}", i + 2))
        .collect();
    let sql = format!(
        "UPDATE trunks SET {}, updated_at = ${} WHERE name = $1",
        sets.join(", "),
        n + 2
    );
    let query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(row.trunk.name.as_str());
    let done = bind_fields(query, row)
        .bind(&row.trunk.updated_at)
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
