//! Storage: one sqlx `Any` pool over SQLite or PostgreSQL, chosen by `DATABASE_URL`.
//!
//! Queries are written once with `$1` placeholders and portable SQL; the two backends get
//! their own migrations (`migrations/sqlite`, `migrations/postgres`) that keep equivalent
//! schemas (a test compares them). Only text, integers, booleans and blobs cross the
//! `Any` driver, so timestamps are stored as fixed-width RFC 3339 UTC text, which sorts.
//!
//! One module per table family; each exposes plain async functions taking `&Db`.

pub mod api_keys;
pub mod applications;
pub mod calls;
pub mod daynight;
pub mod extensions;
pub mod feature_codes;
pub mod follow_me;
pub mod ivrs;
pub mod numbers;
pub mod outbound_routes;
pub mod outbox;
pub mod queue_calls;
pub mod queues;
pub mod recordings;
pub mod references;
pub mod registrations;
pub mod ring_groups;
pub mod settings;
pub mod time_conditions;
pub mod trunks;
pub mod voicemail;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Connection, Row};
use std::time::Duration;

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// The database handle shared by the whole process.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
}

/// What can go wrong talking to the database.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("unsupported DATABASE_URL {url}: it must start with sqlite:// or postgres://")]
    UnsupportedUrl { url: String },
    #[error("cannot open database {url}: {source}")]
    Connect {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("cannot apply database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A unique constraint refused the write.
    #[error("duplicate value")]
    Duplicate,
    /// A foreign key refused the write (a referenced row is missing or still used).
    #[error("a referenced row is missing or still in use")]
    ForeignKey,
    /// The disk holding the database is full (SQLite's `SQLITE_FULL`, PostgreSQL's
    /// `disk_full`); requests get 507 and nothing was written.
    #[error("the database's disk is full: {0}")]
    Full(#[source] sqlx::Error),
    /// The database cannot be reached; requests get 503.
    #[error("the database is unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    #[error("database error: {0}")]
    Query(#[source] sqlx::Error),
    /// A stored row does not decode into a valid value (edited by hand, or a bug).
    #[error("corrupt row in {table}: {message}")]
    Corrupt {
        table: &'static str,
        message: String,
    },
}

impl From<sqlx::Error> for StorageError {
    fn from(e: sqlx::Error) -> Self {
        use sqlx::error::ErrorKind;
        match &e {
            sqlx::Error::Database(db) => match db.kind() {
                ErrorKind::UniqueViolation => Self::Duplicate,
                ErrorKind::ForeignKeyViolation => Self::ForeignKey,
                _ if is_full_code(db.code().as_deref()) => Self::Full(e),
                _ if is_unavailable_code(db.code().as_deref()) => Self::Unavailable(e),
                _ => Self::Query(e),
            },
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Protocol(_) => Self::Unavailable(e),
            _ => Self::Query(e),
        }
    }
}

/// Database error codes that mean "no space left": SQLite's `SQLITE_FULL` (13, with its
/// extended codes in the upper bits) and PostgreSQL's `disk_full` (53100).
fn is_full_code(code: Option<&str>) -> bool {
    match code {
        Some("53100") => true,
        // SQLite's codes are numbers of at most four digits; PostgreSQL's are five
        // characters, so one cannot be taken for the other.
        Some(c) if c.len() < 5 => c.parse::<u32>().is_ok_and(|n| n & 0xff == 13),
        Some(_) => false,
        None => false,
    }
}

/// Database error codes that mean "the database cannot serve us right now", as opposed
/// to "this statement is wrong": PostgreSQL's connection exceptions (08…), operator
/// intervention (57P…), insufficient resources (53…), authorization failures (28…), a
/// missing or closed database (3D000, 55000); SQLite's busy, locked, I/O and cannot-open
/// codes. A retry later may succeed, so the client gets a 503.
fn is_unavailable_code(code: Option<&str>) -> bool {
    let Some(c) = code else { return false };
    ["08", "57P", "53", "28"].iter().any(|p| c.starts_with(p))
        || matches!(c, "3D000" | "55000" | "5" | "6" | "10" | "14")
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

impl Db {
    /// Opens a pool for `url` (creating the SQLite file and its folder if needed).
    pub async fn connect(url: &str) -> Result<Db> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StorageError::UnsupportedUrl { url: redact(url) });
        };
        let url_to_open = match backend {
            Backend::Sqlite => sqlite_url(url),
            Backend::Postgres => postgres_url(url),
        };
        let options = AnyPoolOptions::new()
            .acquire_timeout(Duration::from_secs(3))
            .idle_timeout(Duration::from_secs(300))
            .test_before_acquire(false);
        let options = match backend {
            // SQLite: writers serialize anyway; a few readers suffice and keep memory low.
            // WAL lets readers proceed during a write; NORMAL sync is durable in WAL mode
            // except for the last transactions on power loss.
            Backend::Sqlite => options.max_connections(4).after_connect(|conn, _meta| {
                Box::pin(async move {
                    sqlx::raw_sql(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
                    )
                    .execute(conn)
                    .await?;
                    Ok(())
                })
            }),
            Backend::Postgres => options.max_connections(16),
        };
        let pool = match options.connect(&url_to_open).await {
            Ok(pool) => pool,
            Err(pool_error) => {
                // A pool only reports "timed out": one direct connection tells the admin
                // what is wrong (refused, unknown host, bad password, missing file).
                let source = sqlx::AnyConnection::connect(&url_to_open)
                    .await
                    .err()
                    .unwrap_or(pool_error);
                return Err(StorageError::Connect {
                    url: redact(url),
                    source,
                });
            }
        };
        Ok(Db { pool, backend })
    }

    /// Applies the migrations of this backend that are not applied yet.
    pub async fn migrate(&self) -> Result<()> {
        // On a connection we hold and give back: run on the pool, the migrator detaches
        // its connection, and opening another (a TLS handshake) slows every start.
        let mut conn = self.pool.acquire().await?;
        match self.backend {
            Backend::Sqlite => {
                sqlx::migrate!("../migrations/sqlite")
                    .run(&mut *conn)
                    .await?
            }
            Backend::Postgres => {
                sqlx::migrate!("../migrations/postgres")
                    .run(&mut *conn)
                    .await?
            }
        }
        Ok(())
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Answers when the database answers a trivial query.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Adds `mode=rwc` so SQLite creates the file, and creates its folder.
fn sqlite_url(url: &str) -> String {
    let path_part = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (path, query) = path_part.split_once('?').unwrap_or((path_part, ""));
    if !path.is_empty()
        && !path.starts_with(':')
        && let Some(parent) = std::path::Path::new(path).parent()
    {
        // Errors surface when SQLite opens the file, with its own message.
        let _ = std::fs::create_dir_all(parent);
    }
    if query.split('&').any(|kv| kv.starts_with("mode=")) {
        url.to_owned()
    } else if query.is_empty() {
        format!("{url}?mode=rwc")
    } else {
        format!("{url}&mode=rwc")
    }
}

/// Loopback PostgreSQL without an explicit `sslmode` gets `sslmode=disable`.
///
/// libpq's default (`prefer`) negotiates TLS even on loopback, where it protects nothing,
/// and sqlx's TLS handshake over a socket without TCP_NODELAY costs ~100 ms per connection
/// (Nagle meets delayed ACK), which would triple start-up time. Any `sslmode` the admin
/// writes is kept as written; remote hosts keep libpq's default.
fn postgres_url(url: &str) -> String {
    let Ok(parsed) = url::Url::parse(url) else {
        return url.to_owned();
    };
    if parsed.query_pairs().any(|(k, _)| k == "sslmode") {
        return url.to_owned();
    }
    let loopback = match parsed.host() {
        None => true, // a Unix socket (host given in the query, or none at all)
        // `postgres:` is not a special scheme to the url crate: IPv4 hosts come back as
        // opaque domains.
        Some(url::Host::Domain(d)) => {
            d.eq_ignore_ascii_case("localhost")
                || d.parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
    };
    let unix_socket_in_query = parsed
        .query_pairs()
        .any(|(k, v)| k == "host" && v.starts_with('/'));
    if !(loopback || unix_socket_in_query) {
        return url.to_owned();
    }
    let separator = if parsed.query().is_some() { '&' } else { '?' };
    format!("{url}{separator}sslmode=disable")
}

/// The URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Current time as stored: `2026-11-26T14:00:00.000Z` (fixed width, sorts as text).
pub fn now() -> String {
    let now = time::OffsetDateTime::now_utc();
    format_timestamp(now)
}

pub use engine::clock::format_timestamp;

/// Reads a boolean column selected as `CAST(column AS INTEGER)`: the `Any` driver
/// cannot decode SQLite's BOOLEAN, so both backends hand booleans over as integers.
pub fn get_bool(row: &AnyRow, column: &str) -> Result<bool> {
    Ok(row.try_get::<i64, _>(column)? != 0)
}

/// Decodes a stored text value with a validating constructor, reporting a corrupt row.
pub fn decode<V: std::fmt::Debug + Clone, T, E: std::fmt::Display>(
    table: &'static str,
    column: &str,
    value: V,
    parse: impl FnOnce(V) -> std::result::Result<T, E>,
) -> Result<T> {
    parse(value.clone()).map_err(|e| StorageError::Corrupt {
        table,
        message: format!("{column} = {value:?}: {e}"),
    })
}

/// Page size and position of a list request, already validated.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub limit: u32,
    /// Return rows whose key is greater than this one.
    pub after: Option<String>,
}

/// Runs `SELECT {columns} FROM {table} WHERE {key} > $1 ORDER BY {key} LIMIT $2` for one
/// page (keyset paging: stable under inserts, an index seek whatever the page number).
pub async fn fetch_page<T>(
    db: &Db,
    columns: &str,
    table: &str,
    key_column: &str,
    page: &PageRequest,
    from_row: impl Fn(&AnyRow) -> Result<T>,
    key: impl Fn(&T) -> String,
) -> Result<(Vec<T>, Option<String>)> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {columns} FROM {table} WHERE {key_column} > $1 ORDER BY {key_column} LIMIT $2"
    )))
    .bind(page.after.as_deref().unwrap_or(""))
    .bind(i64::from(page.limit) + 1)
    .fetch_all(db.pool())
    .await?;
    let items = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
    Ok(finish_page(items, page, key))
}

/// Splits `limit + 1` fetched rows into a page and the key to continue after.
pub fn finish_page<T>(
    mut rows: Vec<T>,
    page: &PageRequest,
    key: impl Fn(&T) -> String,
) -> (Vec<T>, Option<String>) {
    if rows.len() > page.limit as usize {
        rows.truncate(page.limit as usize);
        let next = rows.last().map(key);
        (rows, next)
    } else {
        (rows, None)
    }
}

/// Reads a text column.
pub fn text(row: &AnyRow, column: &str) -> Result<String> {
    Ok(row.try_get::<String, _>(column)?)
}

/// Reads an optional text column through a validating constructor.
pub fn optional<T, E: std::fmt::Display>(
    row: &AnyRow,
    table: &'static str,
    column: &str,
    parse: impl FnOnce(String) -> std::result::Result<T, E>,
) -> Result<Option<T>> {
    let value: Option<String> = row.try_get(column)?;
    value.map(|v| decode(table, column, v, parse)).transpose()
}

/// Reads a column holding JSON text.
pub fn json<T: serde::de::DeserializeOwned>(
    row: &AnyRow,
    table: &'static str,
    column: &str,
) -> Result<T> {
    decode(table, column, text(row, column)?, |j| {
        serde_json::from_str::<T>(&j)
    })
}

/// A value as JSON text for a column.
pub fn to_json<T: serde::Serialize>(table: &'static str, value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StorageError::Corrupt {
        table,
        message: format!("cannot encode: {e}"),
    })
}

/// An ordered list kept in a child table `(owner, position, value)`.
#[derive(Debug, Clone, Copy)]
pub struct ListTable {
    pub table: &'static str,
    pub owner: &'static str,
    pub value: &'static str,
}

impl ListTable {
    /// Replaces the values of `owner`.
    pub async fn write(
        self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        owner: &str,
        values: &[String],
    ) -> Result<()> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {} WHERE {} = $1",
            self.table, self.owner
        )))
        .bind(owner)
        .execute(&mut **tx)
        .await?;
        for (position, value) in values.iter().enumerate() {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO {} ({}, position, {}) VALUES ($1, $2, $3)",
                self.table, self.owner, self.value
            )))
            .bind(owner)
            .bind(position as i64)
            .bind(value)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    /// The values of each of `owners`, in order (one query).
    pub async fn read(
        self,
        db: &Db,
        owners: &[String],
    ) -> Result<std::collections::HashMap<String, Vec<String>>> {
        let mut map: std::collections::HashMap<String, Vec<String>> = Default::default();
        if owners.is_empty() {
            return Ok(map);
        }
        let placeholders: Vec<String> = (1..=owners.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT {owner} AS o, {value} AS v FROM {table} WHERE {owner} IN ({list}) \
             ORDER BY {owner}, position",
            owner = self.owner,
            value = self.value,
            table = self.table,
            list = placeholders.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for owner in owners {
            query = query.bind(owner);
        }
        for row in query.fetch_all(db.pool()).await? {
            map.entry(text(&row, "o")?)
                .or_default()
                .push(text(&row, "v")?);
        }
        Ok(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_get_create_mode() {
        assert_eq!(sqlite_url("sqlite://x.db"), "sqlite://x.db?mode=rwc");
        assert_eq!(
            sqlite_url("sqlite://x.db?cache=shared"),
            "sqlite://x.db?cache=shared&mode=rwc"
        );
        assert_eq!(sqlite_url("sqlite://x.db?mode=ro"), "sqlite://x.db?mode=ro");
    }

    #[test]
    fn a_full_disk_is_told_apart_from_an_unavailable_database() {
        assert!(is_full_code(Some("13")), "SQLITE_FULL");
        assert!(is_full_code(Some("53100")), "PostgreSQL disk_full");
        assert!(
            !is_full_code(Some("53200")),
            "out of memory is not a full disk"
        );
        assert!(!is_full_code(Some("10")), "SQLITE_IOERR");
        assert!(!is_full_code(Some("23505")), "a unique violation");
        assert!(!is_full_code(None));
        assert!(is_unavailable_code(Some("53200")));
    }

    #[test]
    fn loopback_postgres_skips_tls_unless_asked() {
        assert_eq!(
            postgres_url("postgres://sb@127.0.0.1:5432/sb"),
            "postgres://sb@127.0.0.1:5432/sb?sslmode=disable"
        );
        assert_eq!(
            postgres_url("postgres://sb@localhost/sb?application_name=x"),
            "postgres://sb@localhost/sb?application_name=x&sslmode=disable"
        );
        assert_eq!(
            postgres_url("postgres://sb@[::1]/sb"),
            "postgres://sb@[::1]/sb?sslmode=disable"
        );
        assert_eq!(
            postgres_url("postgres://sb@127.0.0.1/sb?sslmode=require"),
            "postgres://sb@127.0.0.1/sb?sslmode=require"
        );
        assert_eq!(
            postgres_url("postgres://sb@db.example.com/sb"),
            "postgres://sb@db.example.com/sb"
        );
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://sb:hunter2@db:5432/sb"),
            "postgres://sb:***@db:5432/sb"
        );
        assert_eq!(redact("sqlite://x.db"), "sqlite://x.db");
    }

    #[test]
    fn timestamps_are_fixed_width() {
        let t = time::macros::datetime!(2026-01-02 03:04:05.006 UTC);
        assert_eq!(format_timestamp(t), "2026-01-02T03:04:05.006Z");
    }

    #[test]
    fn pages_split() {
        let page = PageRequest {
            limit: 2,
            after: None,
        };
        let (rows, next) = finish_page(vec![1, 2, 3], &page, |r| r.to_string());
        assert_eq!(rows, vec![1, 2]);
        assert_eq!(next.as_deref(), Some("2"));
        let (rows, next) = finish_page(vec![1, 2], &page, |r| r.to_string());
        assert_eq!(rows, vec![1, 2]);
        assert_eq!(next, None);
    }
}
