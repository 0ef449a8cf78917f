//! Trunks: SIP links to a provider or to another Switchboard.

use super::common::page;
use crate::types::{
    ApplicationId, CallerId, Host, Patch, PhoneNumber, ResourceName, SipPassword, SipUsername,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// SIP transport of a trunk. `tls` is refused for now (422): calls, registrations and
/// keepalives over TLS are not built yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    #[default]
    Udp,
    Tcp,
    Tls,
}

impl Transport {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Udp => "udp",
            Self::Tcp => "tcp",
            Self::Tls => "tls",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "udp" => Some(Self::Udp),
            "tcp" => Some(Self::Tcp),
            "tls" => Some(Self::Tls),
            _ => None,
        }
    }

    /// The usual port: 5061 for TLS, 5060 otherwise.
    pub fn default_port(self) -> u16 {
        match self {
            Self::Tls => 5061,
            _ => 5060,
        }
    }
}

/// How a call from the peer is recognised as coming through the trunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InboundAuth {
    /// The peer answers our digest challenge with `inbound_username` and
    /// `inbound_password` (or registered to us with them and calls from that address).
    #[default]
    Credentials,
    /// Calls from the addresses `host` resolves to are the trunk's, unchallenged (a
    /// provider that sends from fixed addresses and does not authenticate).
    Address,
}

/// What a call arriving through the trunk may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InboundReach {
    /// Only inbound numbers (`/v1/numbers`): a provider's DIDs.
    #[default]
    Numbers,
    /// What a phone of this server may dial — extensions, ring groups, queues, inbound
    /// numbers and the outbound routes (never back out through this trunk): another
    /// server of the same organisation.
    Internal,
}

/// Where the called number of an inbound call is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InboundNumber {
    /// The user part of the Request-URI.
    #[default]
    RequestUri,
    /// The user part of the `To` header (providers that send every call to the
    /// registered contact).
    To,
}

/// How a trunk's `caller_id` changes the number a call out of it presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallerIdRule {
    /// `caller_id` is presented instead of the caller's number.
    #[default]
    Replace,
    /// `caller_id` is put in front of the caller's number (`+32234567` and extension
    /// `101` present `+32234567101`: a block of DIDs).
    Prefix,
}

/// Body of `POST /v1/trunks`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "TrunkToJulien",
    "host": "192.168.212.4",
    "port": 5060,
    "transport": "udp",
    "username": "server1",
    "password": "trunk-Secret-1",
    "register": false,
    "inbound_username": "server2",
    "inbound_password": "trunk-Secret-2",
    "inbound_reach": "internal",
    "max_channels": 30
}))]
pub struct TrunkCreate {
    pub name: ResourceName,
    /// The peer's host name or IP address.
    pub host: Host,
    /// Default 5060 (5061 for TLS).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 65535)]
    pub port: Option<u16>,
    #[serde(default)]
    pub transport: Transport,
    /// User name Switchboard authenticates with towards the peer.
    #[serde(default)]
    pub username: Option<SipUsername>,
    /// Password Switchboard authenticates with towards the peer (write-only).
    #[serde(default)]
    pub password: Option<SipPassword>,
    /// Register to the peer with `username`/`password` (the seed's "register string"):
    /// refreshed before it expires, retried with back-off (5 s doubling to 60 s) when
    /// refused or unreachable, and at once when the peer answers OPTIONS again.
    #[serde(default)]
    pub register: bool,
    /// Seconds asked for each registration (60 to 86400; the peer may grant less).
    /// Default 300.
    #[serde(default)]
    #[schema(minimum = 60, maximum = 86400)]
    pub register_expiry: Option<u32>,
    /// Seconds between OPTIONS sent to the peer (1 to 3600); a peer that leaves two in
    /// a row unanswered is marked down and skipped by failover until it answers again.
    /// Null: no keepalive.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 3600)]
    pub options_interval: Option<u32>,
    /// User name the peer must authenticate with when it sends calls to us.
    #[serde(default)]
    pub inbound_username: Option<SipUsername>,
    /// Password the peer must authenticate with (write-only).
    #[serde(default)]
    pub inbound_password: Option<SipPassword>,
    /// How calls from the peer are recognised. Default `credentials`.
    #[serde(default)]
    pub inbound_auth: InboundAuth,
    /// What calls from the peer may reach. Default `numbers`.
    #[serde(default)]
    pub inbound_reach: InboundReach,
    /// Where the called number is read. Default `request_uri`.
    #[serde(default)]
    pub inbound_number: InboundNumber,
    /// Removed from the start of the called number of calls from the peer, when there
    /// (`+32` turns `+3223456789` into `23456789`).
    #[serde(default)]
    pub inbound_strip_prefix: Option<PhoneNumber>,
    /// Maximum simultaneous calls through the trunk, in and out, per Switchboard node: a
    /// call out beyond it goes to the route's next trunk (503 when there is none), a call
    /// in beyond it is refused with 503. Unlimited when absent.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 100000)]
    pub max_channels: Option<u32>,
    /// Caller ID presented on calls out of this trunk (see `caller_id_rule`), unless
    /// the route sets one; a `dial` verb's own `caller_id` wins over both. Null: the
    /// caller's number as it is.
    #[serde(default)]
    pub caller_id: Option<CallerId>,
    /// How `caller_id` applies. Default `replace`.
    #[serde(default)]
    pub caller_id_rule: CallerIdRule,
    /// The user part of the `From` of calls out of this trunk (a provider that wants
    /// its account name there); the caller ID then travels in P-Asserted-Identity.
    #[serde(default)]
    pub from_user: Option<SipUsername>,
    /// The host part of the `From` (and P-Asserted-Identity) of calls out of this
    /// trunk, e.g. the provider's domain. Default: our advertised address.
    #[serde(default)]
    pub from_host: Option<Host>,
    /// Send the caller ID in a P-Asserted-Identity header (RFC 3325) too. Default
    /// false; always sent when `from_user` is set.
    #[serde(default)]
    pub asserted_identity: bool,
    /// Send a `Diversion` header (RFC 5806) naming the number first called when a
    /// forwarded call (follow-me, a busy or unanswered extension's destination, a ring
    /// group) leaves through this trunk. Default true.
    #[serde(default)]
    pub diversion: Option<bool>,
    /// Seconds a call out of this trunk may wait for any answer (even 100 Trying)
    /// before the route's next trunk is tried (1 to 60). Default 5.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 60)]
    pub silence_timeout: Option<u32>,
    /// An application whose `status_callback` hears of the trunk's registration and
    /// health changes (`TrunkEvent`: `trunk.registered`, `trunk.registration_failed`,
    /// `trunk.down`, `trunk.up`).
    #[serde(default)]
    pub application_id: Option<ApplicationId>,
    /// Disabled trunks carry no calls. Default true.
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// Body of `PATCH /v1/trunks/{name}`: absent fields are kept, `null` clears.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"host": "192.168.212.6", "max_channels": null}))]
pub struct TrunkUpdate {
    #[serde(default)]
    pub host: Option<Host>,
    #[serde(default)]
    #[schema(value_type = Option<u16>)]
    pub port: Patch<u16>,
    #[serde(default)]
    pub transport: Option<Transport>,
    #[serde(default)]
    #[schema(value_type = Option<SipUsername>)]
    pub username: Patch<SipUsername>,
    #[serde(default)]
    #[schema(value_type = Option<SipPassword>)]
    pub password: Patch<SipPassword>,
    #[serde(default)]
    pub register: Option<bool>,
    /// Null goes back to the default (300).
    #[serde(default)]
    #[schema(value_type = Option<u32>)]
    pub register_expiry: Patch<u32>,
    #[serde(default)]
    #[schema(value_type = Option<u32>)]
    pub options_interval: Patch<u32>,
    #[serde(default)]
    #[schema(value_type = Option<SipUsername>)]
    pub inbound_username: Patch<SipUsername>,
    #[serde(default)]
    #[schema(value_type = Option<SipPassword>)]
    pub inbound_password: Patch<SipPassword>,
    #[serde(default)]
    pub inbound_auth: Option<InboundAuth>,
    #[serde(default)]
    pub inbound_reach: Option<InboundReach>,
    #[serde(default)]
    pub inbound_number: Option<InboundNumber>,
    #[serde(default)]
    #[schema(value_type = Option<PhoneNumber>)]
    pub inbound_strip_prefix: Patch<PhoneNumber>,
    #[serde(default)]
    #[schema(value_type = Option<u32>)]
    pub max_channels: Patch<u32>,
    #[serde(default)]
    #[schema(value_type = Option<CallerId>)]
    pub caller_id: Patch<CallerId>,
    #[serde(default)]
    pub caller_id_rule: Option<CallerIdRule>,
    #[serde(default)]
    #[schema(value_type = Option<SipUsername>)]
    pub from_user: Patch<SipUsername>,
    #[serde(default)]
    #[schema(value_type = Option<Host>)]
    pub from_host: Patch<Host>,
    #[serde(default)]
    pub asserted_identity: Option<bool>,
    #[serde(default)]
    pub diversion: Option<bool>,
    /// Null goes back to the default (5).
    #[serde(default)]
    #[schema(value_type = Option<u32>)]
    pub silence_timeout: Patch<u32>,
    #[serde(default)]
    #[schema(value_type = Option<ApplicationId>)]
    pub application_id: Patch<ApplicationId>,
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// A trunk as returned (passwords are never returned).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct Trunk {
    pub name: ResourceName,
    pub host: Host,
    pub port: u16,
    pub transport: Transport,
    pub username: Option<SipUsername>,
    /// Whether an outbound password is set.
    pub password_set: bool,
    pub register: bool,
    pub register_expiry: u32,
    pub options_interval: Option<u32>,
    pub inbound_username: Option<SipUsername>,
    /// Whether an inbound password is set.
    pub inbound_password_set: bool,
    pub inbound_auth: InboundAuth,
    pub inbound_reach: InboundReach,
    pub inbound_number: InboundNumber,
    pub inbound_strip_prefix: Option<PhoneNumber>,
    pub max_channels: Option<u32>,
    pub caller_id: Option<CallerId>,
    pub caller_id_rule: CallerIdRule,
    pub from_user: Option<SipUsername>,
    pub from_host: Option<Host>,
    pub asserted_identity: bool,
    pub diversion: bool,
    pub silence_timeout: u32,
    pub application_id: Option<ApplicationId>,
    pub enabled: bool,
    /// What this node knows of the trunk now (not stored).
    #[serde(default)]
    pub status: TrunkStatus,
    #[schema(format = DateTime, example = "2026-11-26T14:00:00.000Z")]
    pub created_at: String,
    #[schema(format = DateTime, example = "2026-11-26T14:00:00.000Z")]
    pub updated_at: String,
}

page!(TrunkList, Trunk, "trunks");

/// A trunk's live state on the node that answers (each node keeps its own).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct TrunkStatus {
    /// Calls through the trunk on this node now, in and out (against `max_channels`).
    pub channels_in_use: u32,
    /// The latest failed authentication of a call or registration claiming to be this
    /// trunk: why its calls are refused. A peer at the trunk's own address is never
    /// blocked by the failed-login guard, so a wrong password shows here instead of
    /// silently cutting the link.
    pub last_auth_failure: Option<AuthFailure>,
    /// Our registration to the peer (null unless `register`).
    pub registration: Option<RegistrationStatus>,
    /// The peer's answers to OPTIONS (null unless `options_interval`).
    pub health: Option<HealthStatus>,
    /// The peer's registration to us with the trunk's inbound credentials (its calls
    /// from that address are the trunk's).
    pub peer_registration: Option<PeerRegistration>,
}

/// Where our registration to a trunk's peer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationState {
    /// A REGISTER is on its way (the first, or after a failure).
    Registering,
    Registered,
    /// Refused or unanswered: `last_error` says why, `next_attempt_at` when it is tried
    /// again.
    Failed,
}

/// Our registration to a trunk's peer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct RegistrationStatus {
    pub state: RegistrationState,
    /// When the binding the peer granted runs out.
    #[schema(format = DateTime, example = "2026-11-26T14:05:00.000Z")]
    pub expires_at: Option<String>,
    /// The peer's answer (`403 Forbidden`) or why it could not be reached.
    pub last_error: Option<String>,
    /// When the next REGISTER goes (a refresh, or a retry).
    #[schema(format = DateTime, example = "2026-11-26T14:04:00.000Z")]
    pub next_attempt_at: Option<String>,
}

/// Whether a trunk's peer answers OPTIONS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthState {
    /// Not probed yet.
    Unknown,
    Up,
    /// Two probes in a row unanswered: skipped by failover.
    Down,
}

/// The OPTIONS keepalive of a trunk.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct HealthStatus {
    pub state: HealthState,
    /// Since when it is in this state.
    #[schema(format = DateTime, example = "2026-11-26T14:00:00.000Z")]
    pub since: String,
    /// Why the last probe failed (none when it was answered).
    pub last_error: Option<String>,
}

/// A trunk's peer registered to this node.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct PeerRegistration {
    pub contact: String,
    /// `IP:port` it registered from.
    pub source: String,
    #[schema(format = DateTime, example = "2026-11-26T14:05:00.000Z")]
    pub expires_at: String,
}

/// A failed authentication with a trunk's inbound credentials.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct AuthFailure {
    #[schema(format = DateTime, example = "2026-11-26T14:00:00.000Z")]
    pub at: String,
    /// `IP:port` the request came from.
    pub source: String,
    /// `REGISTER` or `INVITE`.
    pub method: String,
    /// e.g. `wrong password`.
    pub reason: String,
}
