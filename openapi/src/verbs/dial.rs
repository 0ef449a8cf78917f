//! `dial`: ring one or more targets and bridge the caller to the first that answers.

use super::{FieldError, WebhookUrl, in_range};
use crate::types::{
    CallerId, DialString, ExtensionNumber, InvalidValue, PhoneNumber, ResourceName, string_newtype,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

string_newtype!(
    /// A SIP URI to call directly: `sip:user@host[:port]` or `sips:…`.
    SipUri,
    |s| {
        let rest = s
            .strip_prefix("sip:")
            .or_else(|| s.strip_prefix("sips:"))
            .ok_or_else(|| InvalidValue::new("must start with sip: or sips:"))?;
        if rest.is_empty() || s.len() > 256 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(InvalidValue::new("must be a SIP URI like sip:101@pbx.example.com"));
        }
        Ok(())
    },
    example = "sip:101@192.168.212.4:5060",
    pattern = Some("^sips?:"),
);

/// Something `dial` rings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(
    tag = "type",
    rename_all = "snake_case",
    try_from = "serde_json::Map<String, serde_json::Value>"
)]
pub enum DialTarget {
    /// Every registered device of an extension.
    Extension { number: ExtensionNumber },
    /// A number, routed by the dial plan (extensions, then outbound routes).
    Number { number: DialString },
    /// A SIP URI, called directly.
    Sip { uri: SipUri },
    /// A number sent through one named trunk.
    Trunk {
        trunk: ResourceName,
        number: PhoneNumber,
    },
    /// The caller who has waited longest in a queue (see `enqueue`).
    Queue { queue: ResourceName },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NumberOnly<N> {
    number: N,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UriOnly {
    uri: SipUri,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TrunkAndNumber {
    trunk: ResourceName,
    number: PhoneNumber,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QueueOnly {
    queue: ResourceName,
}

/// Parsed by hand so that an error inside a target names its field
/// (`targets[1].number`), which serde's tagged enums cannot do.
impl TryFrom<serde_json::Map<String, serde_json::Value>> for DialTarget {
    type Error = String;

    fn try_from(mut map: serde_json::Map<String, serde_json::Value>) -> Result<Self, String> {
        let kind = match map.remove("type") {
            Some(serde_json::Value::String(kind)) => kind,
            Some(_) => return Err(super::nested_message("type", "must be a string")),
            None => return Err(super::nested_message("type", "is required")),
        };
        Ok(match kind.as_str() {
            "extension" => Self::Extension {
                number: super::nested::<NumberOnly<ExtensionNumber>>(map)?.number,
            },
            "number" => Self::Number {
                number: super::nested::<NumberOnly<DialString>>(map)?.number,
            },
            "sip" => Self::Sip {
                uri: super::nested::<UriOnly>(map)?.uri,
            },
            "trunk" => {
                let t = super::nested::<TrunkAndNumber>(map)?;
                Self::Trunk {
                    trunk: t.trunk,
                    number: t.number,
                }
            }
            "queue" => Self::Queue {
                queue: super::nested::<QueueOnly>(map)?.queue,
            },
            other => {
                return Err(super::nested_message(
                    "type",
                    &format!(
                        "unknown target type {other:?}; expected extension, number, sip, trunk or queue"
                    ),
                ));
            }
        })
    }
}

/// How several targets are rung.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DialStrategy {
    /// All at once; the first to answer wins, the others are cancelled.
    #[default]
    Ringall,
    /// One after the other, each for `timeout` seconds.
    Hunt,
}

/// Rings `targets` for `timeout` seconds and bridges the caller to the one that answers.
/// When the dialled call ends (or nobody answers), `action` receives `dial_call_status`
/// (`completed`, `busy`, `no-answer`, `failed`, `canceled`) and the call goes on with its
/// answer; without `action` it goes on with the next verb.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"verb": "dial", "targets": [{"type": "extension", "number": "58102"}],
    "timeout": 20, "action": "/after-dial"}))]
pub struct Dial {
    pub targets: Vec<DialTarget>,
    #[serde(default)]
    pub strategy: DialStrategy,
    /// Seconds to ring (per target with `hunt`). Default 30.
    #[serde(default = "thirty")]
    pub timeout: u32,
    /// The number shown to the called party. Default: the caller's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_id: Option<CallerId>,
    /// Longest the bridged call may last, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<WebhookUrl>,
    /// Record both parties of the bridged call (saved as a recording of kind `call`).
    #[serde(default)]
    pub record: bool,
}

fn thirty() -> u32 {
    30
}

impl Dial {
    pub(crate) fn validate(&self) -> Result<(), FieldError> {
        if self.targets.is_empty() || self.targets.len() > 32 {
            return Err(FieldError::new("targets", "must list 1 to 32 targets"));
        }
        let queues = self
            .targets
            .iter()
            .filter(|t| matches!(t, DialTarget::Queue { .. }))
            .count();
        if queues > 0 && self.targets.len() > 1 {
            return Err(FieldError::new(
                "targets",
                "a queue target must be the only target",
            ));
        }
        in_range("timeout", self.timeout, 1, 600)?;
        if let Some(limit) = self.time_limit {
            in_range("time_limit", limit, 1, 86_400)?;
        }
        Ok(())
    }
}
