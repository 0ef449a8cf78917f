//! Configuration: command-line flags, then environment variables, then an optional TOML
//! file, then defaults. Every setting has the same name in all three places
//! (`--http-addr`, `SWITCHBOARD_HTTP_ADDR`, `http_addr = …`).

use clap::{Parser, Subcommand};
use contract::types::ApiKeyId;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The default log filter: Switchboard's own lines from `info`, the SIP stack's only
/// from `warn` (its `info` lines are about every connection, the server's own readiness
/// probe included).
pub const DEFAULT_LOG: &str = "info,rsipstack=warn";

/// Switchboard: a self-hosted programmable voice platform in one binary.
#[derive(Debug, Parser)]
#[command(name = "switchboard", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub settings: Settings,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Print the OpenAPI document and exit.
    Openapi,
    /// Run a call into an application URL without SIP, RTP or phones, and print what
    /// happens (the same signed requests and verbs as a real call).
    Simulate(crate::simulate::SimulateArgs),
}

/// Settings as given by flags and environment; each is optional so the TOML file and
/// the defaults can fill what is missing.
#[derive(Debug, Default, Clone, clap::Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// TOML configuration file with any of the settings below.
    #[arg(long, env = "SWITCHBOARD_CONFIG", value_name = "FILE")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// HTTP listen address [default: 0.0.0.0:8080].
    #[arg(long, env = "SWITCHBOARD_HTTP_ADDR", value_name = "ADDR")]
    pub http_addr: Option<SocketAddr>,
    /// SIP listen address [default: 0.0.0.0:5060].
    #[arg(long, env = "SWITCHBOARD_SIP_ADDR", value_name = "ADDR")]
    pub sip_addr: Option<SocketAddr>,
    /// Where the database (by default) and audio files live [default: ./data].
    #[arg(long, env = "SWITCHBOARD_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// `sqlite://FILE` or `postgres://USER@HOST/DB` [default: sqlite://DATA_DIR/switchboard.db].
    #[arg(long, env = "DATABASE_URL", value_name = "URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// `key_id:secret` of an admin API key to create (or restore) at start-up.
    #[arg(
        long,
        env = "SWITCHBOARD_ADMIN_KEY",
        value_name = "KEY_ID:SECRET",
        hide_env_values = true
    )]
    pub admin_key: Option<String>,
    /// Log filter, e.g. `info` or `switchboard=debug,info` [default: info].
    #[arg(long, env = "SWITCHBOARD_LOG", value_name = "FILTER")]
    pub log: Option<String>,
    /// Largest accepted upload in bytes [default: 20971520 (20 MB)].
    #[arg(long, env = "SWITCHBOARD_MAX_UPLOAD_BYTES", value_name = "BYTES")]
    pub max_upload_bytes: Option<u64>,
    /// Lifetime of bearer tokens from `/v1/auth/token`, in seconds [default: 3600].
    #[arg(long, env = "SWITCHBOARD_TOKEN_TTL", value_name = "SECONDS")]
    pub token_ttl: Option<u64>,
    /// Digest realm of SIP passwords [default: switchboard].
    #[arg(long, env = "SWITCHBOARD_SIP_REALM", value_name = "REALM")]
    pub sip_realm: Option<String>,
    /// Address written in SIP Contact/Via and SDP, for a wildcard bind or behind NAT
    /// [default: the bind address, or the first non-loopback address].
    #[arg(long, env = "SWITCHBOARD_PUBLIC_ADDR", value_name = "IP")]
    pub public_addr: Option<std::net::IpAddr>,
    /// UDP ports for RTP, FIRST-LAST [default: 10000-20000].
    #[arg(long, env = "SWITCHBOARD_RTP_PORTS", value_name = "FIRST-LAST")]
    pub rtp_ports: Option<String>,
    /// Seconds without RTP from a peer before its call is hung up [default: 60].
    #[arg(long, env = "SWITCHBOARD_RTP_TIMEOUT", value_name = "SECONDS")]
    pub rtp_timeout: Option<u64>,
    /// Seconds a stopping server (SIGTERM, Ctrl-C) lets calls end by themselves, new
    /// calls refused with 503, before hanging up the rest [default: 10].
    #[arg(long, env = "SWITCHBOARD_DRAIN_SECONDS", value_name = "SECONDS")]
    pub drain_seconds: Option<u64>,
    /// Shortest registration accepted, in seconds (shorter gets 423) [default: 60].
    #[arg(long, env = "SWITCHBOARD_REGISTER_MIN_EXPIRES", value_name = "SECONDS")]
    pub register_min_expires: Option<u32>,
    /// Longest registration granted, in seconds [default: 3600].
    #[arg(long, env = "SWITCHBOARD_REGISTER_MAX_EXPIRES", value_name = "SECONDS")]
    pub register_max_expires: Option<u32>,
    /// Failed SIP authentications per minute from one address before it is blocked
    /// [default: 10].
    #[arg(long, env = "SWITCHBOARD_AUTH_MAX_FAILURES", value_name = "COUNT")]
    pub auth_max_failures: Option<u32>,
    /// Failed API authentications (a wrong key or secret, a forged token) per minute from
    /// one address before it gets 429 for SWITCHBOARD_AUTH_BLOCK_SECONDS [default: 20].
    #[arg(long, env = "SWITCHBOARD_API_AUTH_MAX_FAILURES", value_name = "COUNT")]
    pub api_auth_max_failures: Option<u32>,
    /// Seconds an address stays blocked after too many failed SIP or API authentications
    /// [default: 300].
    #[arg(long, env = "SWITCHBOARD_AUTH_BLOCK_SECONDS", value_name = "SECONDS")]
    pub auth_block_seconds: Option<u64>,
    /// SIP requests one address may send per second before it is ignored (dropped
    /// unanswered) for SWITCHBOARD_SIP_FLOOD_BLOCK_SECONDS; trunk peers are exempt; 0
    /// turns the limit off [default: 100].
    #[arg(long, env = "SWITCHBOARD_SIP_FLOOD_LIMIT", value_name = "REQUESTS")]
    pub sip_flood_limit: Option<u32>,
    /// Seconds a flooding address is ignored [default: 30].
    #[arg(
        long,
        env = "SWITCHBOARD_SIP_FLOOD_BLOCK_SECONDS",
        value_name = "SECONDS"
    )]
    pub sip_flood_block_seconds: Option<u64>,
    /// Addresses of SIP proxies in front (Kamailio, OpenSIPS, an SBC), comma-separated:
    /// their requests count against the client each reports in its Via (failed logins,
    /// the flood limit), not against the proxy [default: none].
    #[arg(long, env = "SWITCHBOARD_SIP_TRUSTED_PROXIES", value_name = "IPS")]
    pub sip_trusted_proxies: Option<String>,
    /// SIP digest algorithms offered, most preferred first: `MD5`, `SHA-256,MD5`,
    /// `SHA-256` … Some phones fail on any challenge they cannot answer, so the default
    /// is the one every phone answers [default: MD5].
    #[arg(long, env = "SWITCHBOARD_SIP_DIGEST", value_name = "ALGORITHMS")]
    pub sip_digest: Option<String>,
    /// Threads relaying RTP [default: one per CPU core].
    #[arg(long, env = "SWITCHBOARD_MEDIA_THREADS", value_name = "COUNT")]
    pub media_threads: Option<usize>,
    /// Scheduling priority (nice, -20 to 19) of the RTP threads: negative relays packets
    /// ahead of other work when the machine is busy; needs CAP_SYS_NICE [default: -10].
    #[arg(
        long,
        env = "SWITCHBOARD_MEDIA_NICE",
        value_name = "NICE",
        allow_negative_numbers = true
    )]
    pub media_nice: Option<i32>,
    /// The SMTP server voicemail is emailed through: `smtp://host:25` (add
    /// `?tls=required` for STARTTLS), `smtps://user:password@host:465`.
    #[arg(
        long,
        env = "SWITCHBOARD_SMTP_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub smtp_url: Option<String>,
    /// The From address of voicemail emails (default `Switchboard <voicemail@localhost>`).
    #[arg(long, env = "SWITCHBOARD_SMTP_FROM", value_name = "ADDRESS")]
    pub smtp_from: Option<String>,
}

/// The resolved configuration the server runs with.
#[derive(Debug, Clone)]
pub struct Config {
    pub http_addr: SocketAddr,
    pub sip_addr: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub admin_key: Option<AdminKey>,
    pub log: String,
    pub max_upload_bytes: u64,
    pub token_ttl: Duration,
    pub sip_realm: String,
    pub public_addr: Option<std::net::IpAddr>,
    pub rtp_ports: (u16, u16),
    pub rtp_timeout: Duration,
    /// How long a stopping server waits for calls to end by themselves.
    pub drain: Duration,
    pub register_min_expires: u32,
    pub register_max_expires: u32,
    pub auth_max_failures: u32,
    pub auth_block: Duration,
    pub api_auth_max_failures: u32,
    pub sip_flood: engine::flood::FloodConfig,
    pub sip_trusted_proxies: Vec<std::net::IpAddr>,
    pub sip_digest: Vec<engine::digest::Algorithm>,
    pub media_threads: Option<usize>,
    pub media_nice: i32,
    /// Where voicemail is emailed (None: emails wait in the database).
    pub smtp: Option<crate::mailer::Smtp>,
}

/// An admin key given in the configuration: `key_id:secret`.
#[derive(Clone)]
pub struct AdminKey {
    pub key_id: ApiKeyId,
    pub secret: String,
}

impl std::fmt::Debug for AdminKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AdminKey({}:***)", self.key_id)
    }
}

/// A configuration that cannot be used; the message says which setting and why.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {path}: {source}")]
    ReadFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid configuration file {path}: {message}")]
    ParseFile { path: PathBuf, message: String },
    #[error("invalid {setting}: {message}")]
    Invalid {
        setting: &'static str,
        message: String,
    },
}

pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 20 * 1024 * 1024;

impl Settings {
    /// Fills settings missing here from `other` (flags and environment win over the file).
    fn or(self, other: Settings) -> Settings {
        Settings {
            config: self.config.or(other.config),
            http_addr: self.http_addr.or(other.http_addr),
            sip_addr: self.sip_addr.or(other.sip_addr),
            data_dir: self.data_dir.or(other.data_dir),
            database_url: self.database_url.or(other.database_url),
            admin_key: self.admin_key.or(other.admin_key),
            log: self.log.or(other.log),
            max_upload_bytes: self.max_upload_bytes.or(other.max_upload_bytes),
            token_ttl: self.token_ttl.or(other.token_ttl),
            sip_realm: self.sip_realm.or(other.sip_realm),
            public_addr: self.public_addr.or(other.public_addr),
            rtp_ports: self.rtp_ports.or(other.rtp_ports),
            rtp_timeout: self.rtp_timeout.or(other.rtp_timeout),
            drain_seconds: self.drain_seconds.or(other.drain_seconds),
            register_min_expires: self.register_min_expires.or(other.register_min_expires),
            register_max_expires: self.register_max_expires.or(other.register_max_expires),
            auth_max_failures: self.auth_max_failures.or(other.auth_max_failures),
            auth_block_seconds: self.auth_block_seconds.or(other.auth_block_seconds),
            api_auth_max_failures: self.api_auth_max_failures.or(other.api_auth_max_failures),
            sip_flood_limit: self.sip_flood_limit.or(other.sip_flood_limit),
            sip_flood_block_seconds: self
                .sip_flood_block_seconds
                .or(other.sip_flood_block_seconds),
            sip_trusted_proxies: self.sip_trusted_proxies.or(other.sip_trusted_proxies),
            sip_digest: self.sip_digest.or(other.sip_digest),
            media_threads: self.media_threads.or(other.media_threads),
            media_nice: self.media_nice.or(other.media_nice),
            smtp_url: self.smtp_url.or(other.smtp_url),
            smtp_from: self.smtp_from.or(other.smtp_from),
        }
    }

    /// Reads the TOML file named by `config`, if any, and resolves every setting.
    pub fn resolve(self) -> Result<Config, ConfigError> {
        let settings = match &self.config {
            Some(path) => {
                let file = read_file(path)?;
                self.or(file)
            }
            None => self,
        };
        settings.into_config()
    }

    fn into_config(self) -> Result<Config, ConfigError> {
        let (sip_flood, sip_trusted_proxies) = self.sip_limits()?;
        let data_dir = self.data_dir.unwrap_or_else(|| PathBuf::from("./data"));
        let database_url = match self.database_url {
            Some(url) if !url.trim().is_empty() => url,
            _ => default_database_url(&data_dir),
        };
        let admin_key = self.admin_key.map(|k| parse_admin_key(&k)).transpose()?;
        let max_upload_bytes = self.max_upload_bytes.unwrap_or(DEFAULT_MAX_UPLOAD_BYTES);
        if max_upload_bytes < 1024 {
            return Err(ConfigError::Invalid {
                setting: "max_upload_bytes",
                message: format!("{max_upload_bytes} is too small (at least 1024)"),
            });
        }
        let token_ttl = self.token_ttl.unwrap_or(3600);
        if !(1..=7 * 24 * 3600).contains(&token_ttl) {
            return Err(ConfigError::Invalid {
                setting: "token_ttl",
                message: format!("{token_ttl} must be 1 to 604800 seconds"),
            });
        }
        let sip_realm = self.sip_realm.unwrap_or_else(|| "switchboard".to_owned());
        if sip_realm.is_empty()
            || sip_realm.contains(['"', '\\'])
            || sip_realm.chars().any(char::is_control)
        {
            return Err(ConfigError::Invalid {
                setting: "sip_realm",
                message: "must be non-empty, without quotes, backslashes or control characters"
                    .to_owned(),
            });
        }
        let invalid =
            |setting: &'static str, message: String| ConfigError::Invalid { setting, message };
        let rtp_ports = match self.rtp_ports.as_deref() {
            None => (10000, 20000),
            Some(range) => {
                let (first, last) = engine::ports::PortPool::parse_range(range).map_err(|_| {
                    invalid(
                        "rtp_ports",
                        format!("{range:?} must be FIRST-LAST, e.g. 10000-20000"),
                    )
                })?;
                engine::ports::PortPool::new(first, last)
                    .map_err(|e| invalid("rtp_ports", e.to_string()))?;
                (first, last)
            }
        };
        let rtp_timeout = self.rtp_timeout.unwrap_or(60);
        if !(5..=3600).contains(&rtp_timeout) {
            return Err(invalid(
                "rtp_timeout",
                format!("{rtp_timeout} must be 5 to 3600 seconds"),
            ));
        }
        let drain_seconds = self.drain_seconds.unwrap_or(10);
        if drain_seconds > 3600 {
            return Err(invalid(
                "drain_seconds",
                format!("{drain_seconds} must be 0 to 3600 seconds"),
            ));
        }
        let register_min_expires = self.register_min_expires.unwrap_or(60);
        let register_max_expires = self.register_max_expires.unwrap_or(3600);
        if register_min_expires == 0 || register_min_expires > register_max_expires {
            return Err(invalid(
                "register_min_expires",
                format!(
                    "{register_min_expires} must be at least 1 and at most register_max_expires ({register_max_expires})"
                ),
            ));
        }
        let auth_max_failures = self.auth_max_failures.unwrap_or(10);
        if auth_max_failures == 0 {
            return Err(invalid(
                "auth_max_failures",
                "must be at least 1".to_owned(),
            ));
        }
        let api_auth_max_failures = self.api_auth_max_failures.unwrap_or(20);
        if api_auth_max_failures == 0 {
            return Err(invalid(
                "api_auth_max_failures",
                "must be at least 1".to_owned(),
            ));
        }
        let sip_digest = match self.sip_digest.as_deref() {
            None => vec![engine::digest::Algorithm::Md5],
            Some(list) => {
                let parsed: Option<Vec<_>> = list
                    .split(',')
                    .map(engine::digest::Algorithm::parse)
                    .collect();
                match parsed {
                    Some(algorithms) if !algorithms.is_empty() => algorithms,
                    _ => {
                        return Err(invalid(
                            "sip_digest",
                            format!("{list:?} must list MD5 and/or SHA-256, e.g. MD5,SHA-256"),
                        ));
                    }
                }
            }
        };
        if let Some(n) = self.media_threads
            && !(1..=256).contains(&n)
        {
            return Err(invalid("media_threads", format!("{n} must be 1 to 256")));
        }
        let media_nice = self.media_nice.unwrap_or(-10);
        if !(-20..=19).contains(&media_nice) {
            return Err(invalid(
                "media_nice",
                format!("{media_nice} must be -20 to 19"),
            ));
        }
        let smtp = match self.smtp_url.as_deref() {
            None | Some("") => None,
            Some(url) => {
                let from = self
                    .smtp_from
                    .as_deref()
                    .unwrap_or("Switchboard <voicemail@localhost>");
                Some(
                    crate::mailer::Smtp::new(url, from)
                        .map_err(|message| invalid("smtp_url", message))?,
                )
            }
        };
        Ok(Config {
            smtp,
            sip_flood,
            sip_trusted_proxies,
            media_nice,
            media_threads: self.media_threads,
            sip_digest,
            public_addr: self.public_addr,
            rtp_ports,
            rtp_timeout: Duration::from_secs(rtp_timeout),
            drain: Duration::from_secs(drain_seconds),
            register_min_expires,
            register_max_expires,
            auth_max_failures,
            api_auth_max_failures,
            auth_block: Duration::from_secs(self.auth_block_seconds.unwrap_or(300)),
            http_addr: self
                .http_addr
                .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 8080))),
            sip_addr: self
                .sip_addr
                .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 5060))),
            data_dir,
            database_url,
            admin_key,
            log: self.log.unwrap_or_else(|| DEFAULT_LOG.to_owned()),
            max_upload_bytes,
            token_ttl: Duration::from_secs(token_ttl),
            sip_realm,
        })
    }
}

impl Settings {
    /// The flood limit and the trusted proxies.
    fn sip_limits(
        &self,
    ) -> Result<(engine::flood::FloodConfig, Vec<std::net::IpAddr>), ConfigError> {
        let defaults = engine::flood::FloodConfig::default();
        let block = self
            .sip_flood_block_seconds
            .unwrap_or(defaults.block.as_secs());
        if !(1..=86_400).contains(&block) {
            return Err(ConfigError::Invalid {
                setting: "sip_flood_block_seconds",
                message: format!("{block} must be 1 to 86400 seconds"),
            });
        }
        let flood = engine::flood::FloodConfig {
            limit: self.sip_flood_limit.unwrap_or(defaults.limit),
            block: Duration::from_secs(block),
            ..defaults
        };
        let proxies = match self.sip_trusted_proxies.as_deref() {
            None => Vec::new(),
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(|a| {
                    a.parse().map_err(|_| ConfigError::Invalid {
                        setting: "sip_trusted_proxies",
                        message: format!("{a:?} is not an IP address"),
                    })
                })
                .collect::<Result<_, _>>()?,
        };
        Ok((flood, proxies))
    }
}

fn read_file(path: &Path) -> Result<Settings, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::ReadFile {
        path: path.to_owned(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::ParseFile {
        path: path.to_owned(),
        message: e.to_string().replace('\n', " ").trim().to_owned(),
    })
}

fn default_database_url(data_dir: &Path) -> String {
    format!("sqlite://{}", data_dir.join("switchboard.db").display())
}

fn parse_admin_key(value: &str) -> Result<AdminKey, ConfigError> {
    let invalid = |message: String| ConfigError::Invalid {
        setting: "SWITCHBOARD_ADMIN_KEY",
        message,
    };
    let (key_id, secret) = value
        .split_once(':')
        .ok_or_else(|| invalid("must be key_id:secret".to_owned()))?;
    let key_id = ApiKeyId::parse(key_id).map_err(|e| invalid(format!("key_id {e}")))?;
    if secret.len() < 16 || !secret.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid(
            "the secret must be at least 16 printable ASCII characters without spaces".to_owned(),
        ));
    }
    Ok(AdminKey {
        key_id,
        secret: secret.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let c = Settings::default().resolve().unwrap();
        assert_eq!(c.http_addr.to_string(), "0.0.0.0:8080");
        assert_eq!(c.sip_addr.to_string(), "0.0.0.0:5060");
        assert_eq!(c.data_dir, PathBuf::from("./data"));
        assert_eq!(c.database_url, "sqlite://./data/switchboard.db");
        assert_eq!(c.max_upload_bytes, 20 * 1024 * 1024);
        assert!(c.admin_key.is_none());
        assert_eq!(c.sip_flood.limit, 100);
        assert!(c.sip_trusted_proxies.is_empty());
    }

    #[test]
    fn flood_limit_and_trusted_proxies_are_checked() {
        let c = Settings {
            sip_flood_limit: Some(0),
            sip_trusted_proxies: Some("10.0.0.5, 2001:db8::1".to_owned()),
            ..Settings::default()
        }
        .resolve()
        .unwrap();
        assert_eq!(c.sip_flood.limit, 0);
        assert_eq!(c.sip_trusted_proxies.len(), 2);
        let err = Settings {
            sip_trusted_proxies: Some("10.0.0.5,kamailio".to_owned()),
            ..Settings::default()
        }
        .resolve()
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("sip_trusted_proxies") && err.contains("kamailio"),
            "{err}"
        );
        let err = Settings {
            sip_flood_block_seconds: Some(0),
            ..Settings::default()
        }
        .resolve()
        .unwrap_err()
        .to_string();
        assert!(err.contains("sip_flood_block_seconds"), "{err}");
    }

    #[test]
    fn flags_win_over_file_and_file_over_defaults() {
        let dir = std::env::temp_dir().join(format!("sb-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("switchboard.toml");
        std::fs::write(
            &file,
            "http_addr = \"127.0.0.1:9000\"\ndata_dir = \"/var/lib/sb\"\nlog = \"debug\"\n",
        )
        .unwrap();
        let flags = Settings {
            config: Some(file.clone()),
            http_addr: Some("127.0.0.1:7000".parse().unwrap()),
            ..Settings::default()
        };
        let c = flags.resolve().unwrap();
        assert_eq!(c.http_addr.to_string(), "127.0.0.1:7000");
        assert_eq!(c.data_dir, PathBuf::from("/var/lib/sb"));
        assert_eq!(c.database_url, "sqlite:///var/lib/sb/switchboard.db");
        assert_eq!(c.log, "debug");

        std::fs::write(&file, "htp_addr = \"x\"\n").unwrap();
        let err = Settings {
            config: Some(file),
            ..Settings::default()
        }
        .resolve()
        .unwrap_err()
        .to_string();
        assert!(err.contains("unknown field `htp_addr`"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn admin_key_is_checked() {
        let ok = parse_admin_key("ci-admin:0123456789abcdef").unwrap();
        assert_eq!(ok.key_id.as_str(), "ci-admin");
        assert!(parse_admin_key("nocolon").is_err());
        assert!(parse_admin_key("ci-admin:short").is_err());
        assert!(parse_admin_key("a:0123456789abcdef").is_err());
        assert!(!format!("{ok:?}").contains("0123456789abcdef"));
    }
}
