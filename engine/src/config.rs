//! The engine's settings, resolved by the binary from flags, environment and file.

use crate::flood::FloodConfig;
use crate::guard::GuardConfig;
use crate::registrar::ExpiryPolicy;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Where SIP listens, on UDP and TCP (port 0: any free port, the same for both).
    pub sip_addr: SocketAddr,
    /// The address written in Via, Contact and SDP. None: the bind address, or the
    /// machine's first non-loopback address when bound to a wildcard.
    pub public_ip: Option<IpAddr>,
    /// RTP port range, inclusive.
    pub rtp_ports: (u16, u16),
    /// Digest realm.
    pub realm: String,
    /// Key of the nonce HMAC; the same on every node sharing the database.
    pub nonce_secret: Vec<u8>,
    pub expiry: ExpiryPolicy,
    pub guard: GuardConfig,
    /// Requests per second one address may send before it is ignored for a while.
    pub flood: FloodConfig,
    /// Proxies (Kamailio, an SBC) whose requests count against the client they report
    /// in Via, not against the proxy's own address.
    pub trusted_proxies: Vec<IpAddr>,
    /// A call whose peer sends no RTP for this long is hung up.
    pub rtp_timeout: Duration,
    /// Threads relaying RTP (each call's media stays on one of them).
    pub media_threads: usize,
    /// Scheduling priority (nice value) of the media threads; 0 leaves them normal.
    pub media_nice: i32,
    /// Digest algorithms offered, most preferred first.
    pub digest_algorithms: Vec<crate::digest::Algorithm>,
    pub user_agent: String,
    /// The built-in apps, served in this process: their webhooks are answered without
    /// a socket (see [`crate::webhook::LocalService`]).
    pub local_apps: Option<crate::webhook::Local>,
}

impl EngineConfig {
    /// Settings for `sip_addr` with every other value at its default.
    pub fn new(sip_addr: SocketAddr, realm: impl Into<String>, nonce_secret: Vec<u8>) -> Self {
        Self {
            sip_addr,
            public_ip: None,
            rtp_ports: (10000, 20000),
            realm: realm.into(),
            nonce_secret,
            expiry: ExpiryPolicy::default(),
            guard: GuardConfig::default(),
            flood: FloodConfig::default(),
            trusted_proxies: Vec::new(),
            rtp_timeout: Duration::from_secs(60),
            // One per core: a packet burst of many calls is shared out, and the threads
            // sleep in epoll when there is nothing to relay.
            media_threads: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            media_nice: -10,
            digest_algorithms: vec![crate::digest::Algorithm::Md5],
            user_agent: format!("Switchboard/{}", env!("CARGO_PKG_VERSION")),
            local_apps: None,
        }
    }
}
