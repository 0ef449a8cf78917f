//! Trunks: SIP links to a provider or to another Switchboard.

use super::common::page;
use crate::types::{CallerId, Host, Patch, ResourceName, SipPassword, SipUsername};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// SIP transport of a trunk.
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
    /// Register to the peer with `username`/`password`.
    #[serde(default)]
    pub register: bool,
    /// User name the peer must authenticate with when it sends calls to us.
    #[serde(default)]
    pub inbound_username: Option<SipUsername>,
    /// Password the peer must authenticate with (write-only).
    #[serde(default)]
    pub inbound_password: Option<SipPassword>,
    /// Maximum simultaneous calls out through the trunk, per Switchboard node; a call
    /// beyond it goes to the route's next trunk (503 when there is none). Unlimited when
    /// absent. (Calls coming in from the trunk are not counted yet.)
    #[serde(default)]
    #[schema(minimum = 1, maximum = 100000)]
    pub max_channels: Option<u32>,
    /// Caller ID presented on calls out of this trunk, unless a route sets one.
    #[serde(default)]
    pub caller_id: Option<CallerId>,
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
    #[serde(default)]
    #[schema(value_type = Option<SipUsername>)]
    pub inbound_username: Patch<SipUsername>,
    #[serde(default)]
    #[schema(value_type = Option<SipPassword>)]
    pub inbound_password: Patch<SipPassword>,
    #[serde(default)]
    #[schema(value_type = Option<u32>)]
    pub max_channels: Patch<u32>,
    #[serde(default)]
    #[schema(value_type = Option<CallerId>)]
    pub caller_id: Patch<CallerId>,
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
    pub inbound_username: Option<SipUsername>,
    /// Whether an inbound password is set.
    pub inbound_password_set: bool,
    pub max_channels: Option<u32>,
    pub caller_id: Option<CallerId>,
    pub enabled: bool,
    #[schema(format = DateTime, example = "2026-11-26T14:00:00.000Z")]
    pub created_at: String,
    #[schema(format = DateTime, example = "2026-11-26T14:00:00.000Z")]
    pub updated_at: String,
}

page!(TrunkList, Trunk, "trunks");
