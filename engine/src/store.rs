//! What the engine needs from storage. The engine never touches a database: the API
//! server implements [`Store`] with sqlx, and tests may implement it in memory.

use crate::digest::Ha1;
pub use contract::models::RetryOn;
use contract::models::applications::WebhookMethod;
use contract::models::calls::CallStatus;
pub use contract::models::{CallerIdRule, InboundAuth, InboundNumber, InboundReach};
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use url::Url;

/// A storage failure, reported to the SIP peer as `500`/`503` and logged.
#[derive(Debug, thiserror::Error)]
#[error("storage: {0}")]
pub struct StoreError(pub String);

/// An extension as the engine sees it.
#[derive(Debug, Clone)]
pub struct ExtensionRecord {
    pub number: String,
    pub display_name: String,
    /// The realm the HA1 values were computed for.
    pub realm: String,
    pub ha1: Ha1,
    /// Seconds the extension's phones ring.
    pub ring_time: u32,
}

/// SIP transport of a binding or call leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    Udp,
    Tcp,
}

impl Transport {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Udp => "udp",
            Self::Tcp => "tcp",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "udp" => Some(Self::Udp),
            "tcp" => Some(Self::Tcp),
            _ => None,
        }
    }
}

/// A registered contact of an extension (a location-service entry, RFC 3261 §10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// `RG` + 32 hex digits, stable across refreshes of the same contact.
    pub id: String,
    /// The extension number (address of record).
    pub aor: String,
    /// The Contact URI as the phone wrote it.
    pub contact: String,
    /// Where the REGISTER came from: where requests for this contact are sent (the
    /// phone may be behind a NAT that rewrote its address).
    pub source: SocketAddr,
    pub transport: Transport,
    /// Unix seconds.
    pub expires_at: u64,
    pub call_id: String,
    pub cseq: u32,
    pub user_agent: Option<String>,
    /// The REGISTER's `Path` entries (RFC 3327), in order: the proxies requests for this
    /// contact go back through. Empty for a phone registered directly.
    pub path: Vec<String>,
}

/// A call leg's record (`/v1/calls`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    /// `CA` + 32 hex digits.
    pub sid: String,
    pub parent_sid: Option<String>,
    /// `inbound` (a call that reached us) or `outbound` (a leg we placed).
    pub direction: &'static str,
    pub from: String,
    pub from_name: Option<String>,
    pub to: String,
    pub status: CallStatus,
    /// RFC 3339 UTC with milliseconds.
    pub started_at: String,
    pub answered_at: Option<String>,
    pub ended_at: Option<String>,
    /// Seconds from answer to end.
    pub duration: Option<u64>,
    /// `caller`, `callee` or `system`.
    pub hangup_by: Option<&'static str>,
    /// The SIP status that ended the call (200 for a normal hangup).
    pub hangup_code: Option<u16>,
    pub hangup_reason: Option<String>,
    pub sip_call_id: String,
    /// The trunk the call came in on (inbound) or went out through (outbound).
    pub trunk: Option<String>,
}

impl CallRecord {
    /// A call leg starting now, with a new sid: `direction` is `inbound` (it reached
    /// us) or `outbound` (we placed it).
    pub fn begin(
        direction: &'static str,
        from: String,
        to: String,
        status: CallStatus,
        sip_call_id: String,
    ) -> Self {
        Self {
            sid: new_sid(),
            parent_sid: None,
            direction,
            from,
            from_name: None,
            to,
            status,
            started_at: crate::clock::timestamp_now(),
            answered_at: None,
            ended_at: None,
            duration: None,
            hangup_by: None,
            hangup_code: None,
            hangup_reason: None,
            sip_call_id,
            trunk: None,
        }
    }

    /// The call is over: ended now, after `duration` seconds answered, as `outcome` says.
    pub fn end(&mut self, outcome: &crate::outcome::Outcome, duration: Option<u64>) {
        self.status = outcome.status;
        self.ended_at = Some(crate::clock::timestamp_now());
        self.duration = duration;
        self.hangup_by = Some(outcome.by.as_str());
        self.hangup_code = Some(outcome.code);
        self.hangup_reason = Some(outcome.reason.clone());
    }
}

/// A new call sid: `CA` and 32 hex digits.
pub fn new_sid() -> String {
    let mut bytes = [0u8; 16];
    let _ = getrandom::fill(&mut bytes);
    let mut s = String::with_capacity(34);
    s.push_str("CA");
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Timeouts and retries of one application's webhooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookPolicy {
    pub connect_timeout: Duration,
    /// From the request sent to the whole answer received.
    pub read_timeout: Duration,
    /// Attempts after the first, per URL.
    pub retries: u32,
    pub retry_on: RetryOn,
}

impl Default for WebhookPolicy {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(2),
            read_timeout: Duration::from_secs(5),
            retries: 1,
            retry_on: RetryOn::NetworkAnd5xx,
        }
    }
}

/// Where and how an application is reached.
#[derive(Debug, Clone)]
pub struct AppWebhooks {
    pub application_id: String,
    pub voice_url: Url,
    pub method: WebhookMethod,
    pub fallback_url: Option<Url>,
    pub status_callback: Option<Url>,
    pub secret: String,
    pub policy: WebhookPolicy,
}

/// A SIP trunk, as `dial` needs it to call out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrunkRecord {
    pub name: String,
    pub host: String,
    pub port: u16,
    /// `udp`, `tcp` or `tls` (not supported for calls yet).
    pub transport: String,
    pub username: Option<String>,
    pub password: Option<String>,
    pub enabled: bool,
    /// Calls out of this node through it at once, at most (None: unlimited).
    pub max_channels: Option<u32>,
    /// Register to the peer with `username`/`password`, asking for `register_expiry`
    /// seconds.
    pub register: bool,
    pub register_expiry: u32,
    /// Seconds between OPTIONS probes of the peer (None: never).
    pub options_interval: Option<u32>,
    /// The caller ID of calls out of it and how it applies.
    pub caller_id: Option<String>,
    pub caller_id_rule: CallerIdRule,
    /// The `From` user and host of calls out of it (None: the caller ID, our address).
    pub from_user: Option<String>,
    pub from_host: Option<String>,
    /// Send P-Asserted-Identity (also whenever `from_user` is set).
    pub asserted_identity: bool,
    /// Send Diversion on forwarded calls.
    pub diversion: bool,
    /// Seconds a silent INVITE is waited for before the route's next trunk.
    pub silence_timeout: u32,
    /// The application told of its registration and health changes.
    pub application_id: Option<String>,
}

impl TrunkRecord {
    /// `sip:[user@]host:port` of the trunk's peer (`;transport=tcp` over TCP, an IPv6
    /// host in brackets); None over a transport calls cannot use yet (TLS).
    pub fn peer_uri(&self, user: Option<&str>) -> Option<String> {
        let transport = match self.transport.as_str() {
            "udp" => "",
            "tcp" => ";transport=tcp",
            _ => return None,
        };
        let host = if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let user = user.map(|u| format!("{u}@")).unwrap_or_default();
        Some(format!("sip:{user}{host}:{}{transport}", self.port))
    }
}

/// How a dialled number leaves through the outbound routes ([`Store::route_number`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    /// The route's trunks, in order.
    pub trunks: Vec<String>,
    /// The number to send (prefix stripped, prepend added).
    pub number: String,
    /// The route's caller ID (over the trunks').
    pub caller_id: Option<String>,
}

/// A trunk that recognises calls from its peer ([`Store::inbound_trunks`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundTrunk {
    pub name: String,
    /// The peer's host: its addresses are trusted with [`InboundAuth::Address`].
    pub host: String,
    pub auth: InboundAuth,
    /// The credentials the peer authenticates with ([`InboundAuth::Credentials`]).
    pub username: Option<String>,
    pub password: Option<String>,
    pub reach: InboundReach,
    pub number_from: InboundNumber,
    /// Removed from the called number when it starts with it.
    pub strip_prefix: Option<String>,
    /// Calls through it at once on this node, in and out (None: unlimited).
    pub max_channels: Option<u32>,
}

impl InboundTrunk {
    /// The called number as this trunk's peer sends it: the Request-URI's or the To
    /// header's user, without the trunk's prefix.
    pub fn called_number<'a>(&self, request_uri: &'a str, to: &'a str) -> &'a str {
        let number = match self.number_from {
            InboundNumber::RequestUri => request_uri,
            InboundNumber::To => to,
        };
        match &self.strip_prefix {
            Some(prefix) => number.strip_prefix(prefix.as_str()).unwrap_or(number),
            None => number,
        }
    }
}

/// Who placed a call that reached us: what it may reach depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin<'a> {
    /// An authenticated extension: everything a phone may dial.
    Extension,
    /// An identified trunk: inbound numbers, or also what a phone may dial (never
    /// back out through the same trunk) when its reach is `internal`.
    Trunk { name: &'a str, reach: InboundReach },
    /// Nobody identified: only the inbound numbers marked public.
    Anonymous,
}

/// What call records say of a number, for ring strategies ([`Store::ring_history`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RingHistory {
    /// When it last answered a call (Unix seconds).
    pub last_answered: Option<u64>,
    /// Calls it answered since the time asked.
    pub answered_since: u32,
    /// It is on a call now (answered, or placing one).
    pub in_call: bool,
}

/// A recording saved by [`Store::save_recording`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedRecording {
    pub id: String,
    /// Where the API serves its audio (`/v1/recordings/{id}/audio`).
    pub url: String,
    pub duration_ms: u64,
}
use std::path::PathBuf;

pub use crate::acd::{QueueCaller, QueueChange, QueueClaim, QueueExit, QueueJoin, QueueSettings};

/// Storage the engine relies on. Methods are async and must not block.
pub trait Store: Send + Sync + 'static {
    fn extension(
        &self,
        number: &str,
    ) -> impl Future<Output = Result<Option<ExtensionRecord>, StoreError>> + Send;

    /// Creates or refreshes the binding with the same `aor` and `contact`.
    fn save_binding(
        &self,
        binding: &Binding,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn remove_binding(
        &self,
        aor: &str,
        contact: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn remove_bindings(&self, aor: &str) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Live bindings of `aor` at Unix time `now`.
    fn bindings(
        &self,
        aor: &str,
        now: u64,
    ) -> impl Future<Output = Result<Vec<Binding>, StoreError>> + Send;

    /// Deletes bindings that expired before `now`; returns how many.
    fn purge_bindings(&self, now: u64) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Where a number dialled by `origin` leads — an extension, a ring group, a
    /// feature code, an inbound number's destination, the outbound routes, as far as
    /// `origin` may reach — as the application whose `voice_url` answers for it (a
    /// built-in PBX app, or a user's). None: the number leads nowhere `origin` may go.
    fn route(
        &self,
        dialled: &str,
        origin: Origin<'_>,
    ) -> impl Future<Output = Result<Option<AppWebhooks>, StoreError>> + Send;

    /// The enabled trunks that recognise calls from their peer (by credentials or by
    /// address).
    fn inbound_trunks(&self) -> impl Future<Output = Result<Vec<InboundTrunk>, StoreError>> + Send;

    /// The application whose `voice_url` answers for `destination` (`ivr:Main` is the
    /// built-in IVR app's URL for that menu, `app:<id>` that application's). None: it
    /// does not exist.
    fn destination(
        &self,
        destination: &contract::types::Destination,
    ) -> impl Future<Output = Result<Option<AppWebhooks>, StoreError>> + Send;

    /// How a dialled number leaves through the outbound routes: the first route (by
    /// priority) with a matching dial pattern gives its trunk sequence and the number
    /// to send (prefix stripped, prepend added).
    fn route_number(
        &self,
        dialled: &str,
    ) -> impl Future<Output = Result<Option<RouteMatch>, StoreError>> + Send;

    /// A trunk by name.
    fn trunk(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<TrunkRecord>, StoreError>> + Send;

    /// Every enabled trunk (the links to keep: registrations, keepalives).
    fn trunks(&self) -> impl Future<Output = Result<Vec<TrunkRecord>, StoreError>> + Send;

    /// The audio file (WAV, 8 kHz mono 16-bit) of a recording, by id or name.
    fn recording_file(
        &self,
        id_or_name: &str,
    ) -> impl Future<Output = Result<Option<PathBuf>, StoreError>> + Send;

    /// Queues a status callback (JSON `body`) for `application_id` at `url`: stored
    /// before this returns, delivered (signed, with retries) by a worker.
    fn enqueue_callback(
        &self,
        application_id: &str,
        url: &str,
        body: String,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Saves audio recorded during a call (8 kHz mono samples) as a recording of kind
    /// `call` named `name`: the file, then its row.
    fn save_recording(
        &self,
        name: &str,
        samples: &[i16],
    ) -> impl Future<Output = Result<SavedRecording, StoreError>> + Send;

    /// What the call records say of each of `numbers` (same order): when it last
    /// answered, how many calls it answered since `since` (RFC 3339 UTC, as stored) and
    /// whether it is on a call now.
    fn ring_history(
        &self,
        numbers: &[String],
        since: &str,
    ) -> impl Future<Output = Result<Vec<RingHistory>, StoreError>> + Send;

    /// Puts `caller` in provisioned queue `queue` at `now_ms` (Unix ms), or says why
    /// not, or that no such queue is provisioned.
    fn queue_join(
        &self,
        queue: &str,
        caller: &QueueCaller,
        now_ms: u64,
    ) -> impl Future<Output = Result<QueueJoin, StoreError>> + Send;

    /// When the caller `sid` is the next waiting in `queue` and members are free,
    /// reserves them (by the queue's strategy) for it, atomically across every node on
    /// the database: a member is never offered two callers, a caller never offered
    /// twice. Also tells the store the caller is still there.
    fn queue_claim(
        &self,
        queue: &str,
        sid: &str,
        estimate: bool,
        now_ms: u64,
    ) -> impl Future<Output = Result<QueueClaim, StoreError>> + Send;

    /// Records what happened to caller `sid` in `queue`.
    fn queue_change(
        &self,
        queue: &str,
        sid: &str,
        change: &QueueChange,
        now_ms: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The (new, saved) message counts of each of `mailboxes`, in order (None: no
    /// such mailbox), for message-waiting subscriptions.
    fn mailbox_counts(
        &self,
        mailboxes: &[String],
    ) -> impl Future<Output = Result<Vec<Option<(u32, u32)>>, StoreError>> + Send;

    /// Inserts or updates a call record (by `sid`).
    fn save_call(&self, record: &CallRecord)
    -> impl Future<Output = Result<(), StoreError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trunk(number_from: InboundNumber, strip: Option<&str>) -> InboundTrunk {
        InboundTrunk {
            name: "carrier".into(),
            host: "192.0.2.1".into(),
            auth: InboundAuth::Address,
            username: None,
            password: None,
            reach: InboundReach::Numbers,
            number_from,
            strip_prefix: strip.map(str::to_owned),
            max_channels: None,
        }
    }

    #[test]
    fn the_called_number_comes_from_the_request_uri_or_to_without_the_prefix() {
        let by_uri = trunk(InboundNumber::RequestUri, Some("+32"));
        assert_eq!(by_uri.called_number("+3223456789", "account42"), "23456789");
        assert_eq!(
            by_uri.called_number("0223456789", "x"),
            "0223456789",
            "no prefix: as is"
        );
        let by_to = trunk(InboundNumber::To, None);
        assert_eq!(
            by_to.called_number("account42", "+3223456789"),
            "+3223456789"
        );
    }

    #[test]
    fn a_trunks_peer_uri_names_its_transport_and_brackets_ipv6() {
        let mut t = TrunkRecord {
            name: "t".into(),
            host: "2001:db8::1".into(),
            port: 5070,
            transport: "tcp".into(),
            username: None,
            password: None,
            enabled: true,
            max_channels: None,
            register: false,
            register_expiry: 300,
            options_interval: None,
            caller_id: None,
            caller_id_rule: CallerIdRule::Replace,
            from_user: None,
            from_host: None,
            asserted_identity: false,
            diversion: true,
            silence_timeout: 5,
            application_id: None,
        };
        assert_eq!(
            t.peer_uri(Some("101")).as_deref(),
            Some("sip:101@[2001:db8::1]:5070;transport=tcp")
        );
        t.transport = "udp".into();
        t.host = "sip.example.net".into();
        assert_eq!(
            t.peer_uri(None).as_deref(),
            Some("sip:sip.example.net:5070")
        );
        t.transport = "tls".into();
        assert_eq!(t.peer_uri(None), None);
    }
}
