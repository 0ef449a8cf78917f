//! Outbound routes: which dialled numbers leave through which trunks.

use super::common::page;
use crate::types::{CallerId, DialRule, Patch, ResourceName};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Body of `POST /v1/outbound-routes`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "ToJulien",
    "dial_patterns": [{"prefix": "2", "match_pattern": "XXX"}],
    "trunks": ["TrunkToJulien"]
}))]
pub struct OutboundRouteCreate {
    pub name: ResourceName,
    /// At least one; a call uses the route when any pattern matches.
    pub dial_patterns: Vec<DialRule>,
    /// Trunk names, tried in this order until one takes the call. At least one.
    pub trunks: Vec<ResourceName>,
    /// Caller ID presented on calls through this route.
    #[serde(default)]
    pub caller_id: Option<CallerId>,
    /// Routes are tried by ascending priority, then by name. Default 100.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1000000)]
    pub priority: Option<u32>,
}

/// Body of `PATCH /v1/outbound-routes/{name}`: given lists replace the current ones.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"trunks": ["TrunkToJulien", "TrunkToAhmed"], "priority": 20}))]
pub struct OutboundRouteUpdate {
    #[serde(default)]
    pub dial_patterns: Option<Vec<DialRule>>,
    #[serde(default)]
    pub trunks: Option<Vec<ResourceName>>,
    #[serde(default)]
    #[schema(value_type = Option<CallerId>)]
    pub caller_id: Patch<CallerId>,
    #[serde(default)]
    pub priority: Option<u32>,
}

/// An outbound route as returned.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct OutboundRoute {
    pub name: ResourceName,
    pub priority: u32,
    pub dial_patterns: Vec<DialRule>,
    pub trunks: Vec<ResourceName>,
    pub caller_id: Option<CallerId>,
    #[schema(format = DateTime, example = "2026-11-26T14:00:00.000Z")]
    pub created_at: String,
    #[schema(format = DateTime, example = "2026-11-26T14:00:00.000Z")]
    pub updated_at: String,
}

page!(OutboundRouteList, OutboundRoute, "outbound routes");
