//! Outbound routes: which dialled numbers leave through which trunks.

use super::common::page;
use crate::types::{CallerId, DialRule, Patch, ResourceName};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a route's numbers are, for the extensions' `outbound` permission: `emergency`
/// (every extension may call them, whatever its permission), `local`, `national`
/// (default), `international`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RouteClass {
    Emergency,
    Local,
    #[default]
    National,
    International,
}

impl RouteClass {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Emergency => "emergency",
            Self::Local => "local",
            Self::National => "national",
            Self::International => "international",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Emergency,
            Self::Local,
            Self::National,
            Self::International,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// Which outbound routes an extension's calls may use, by their `class`: `none`
/// (internal calls only), `local`, `national`, `international` (default: every route).
/// Emergency routes are open to every extension. It covers the calls its phones place
/// (refused: 603), its follow-me's outside numbers and its `number:` no-answer and busy
/// destinations (refused when saved: 422; a number a later route change puts out of
/// reach is skipped when the call comes, and logged).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum OutboundPermission {
    None,
    Local,
    National,
    #[default]
    International,
}

impl OutboundPermission {
    /// May an extension with this permission call through a route of `class`?
    pub fn allows(self, class: RouteClass) -> bool {
        match class {
            RouteClass::Emergency => true,
            RouteClass::Local => self >= Self::Local,
            RouteClass::National => self >= Self::National,
            RouteClass::International => self >= Self::International,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Local => "local",
            Self::National => "national",
            Self::International => "international",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::None, Self::Local, Self::National, Self::International]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

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
    /// What its numbers are, for the extensions' `outbound` permission.
    #[serde(default)]
    pub class: RouteClass,
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
    #[serde(default)]
    pub class: Option<RouteClass>,
}

/// An outbound route as returned.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct OutboundRoute {
    pub name: ResourceName,
    pub priority: u32,
    pub dial_patterns: Vec<DialRule>,
    pub trunks: Vec<ResourceName>,
    pub caller_id: Option<CallerId>,
    pub class: RouteClass,
    #[schema(format = DateTime, example = "2026-11-26T14:00:00.000Z")]
    pub created_at: String,
    #[schema(format = DateTime, example = "2026-11-26T14:00:00.000Z")]
    pub updated_at: String,
}

page!(OutboundRouteList, OutboundRoute, "outbound routes");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_permission_reaches_its_classes_and_everyone_reaches_emergency() {
        use OutboundPermission as P;
        use RouteClass as C;
        let reach = |p: P| {
            [C::Emergency, C::Local, C::National, C::International]
                .into_iter()
                .filter(|c| p.allows(*c))
                .collect::<Vec<_>>()
        };
        assert_eq!(reach(P::None), [C::Emergency]);
        assert_eq!(reach(P::Local), [C::Emergency, C::Local]);
        assert_eq!(reach(P::National), [C::Emergency, C::Local, C::National]);
        assert_eq!(reach(P::International).len(), 4);
        for c in [C::Emergency, C::Local, C::National, C::International] {
            assert_eq!(C::parse(c.as_str()), Some(c));
        }
        assert_eq!(P::parse("none"), Some(P::None));
    }
}
