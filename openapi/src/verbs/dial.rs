//! `dial`: ring one or more targets and bridge the caller to the first that answers.

use super::{FieldError, WebhookUrl, in_range};
use crate::types::{
    Announcement, CallerId, DialString, DisplayName, ExtensionNumber, InvalidValue, PhoneNumber,
    ResourceName, string_newtype,
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
    Extension {
        number: ExtensionNumber,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        confirm: Option<Confirm>,
    },
    /// A number, routed by the dial plan (extensions, then outbound routes).
    Number {
        number: DialString,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        confirm: Option<Confirm>,
    },
    /// A SIP URI, called directly.
    Sip {
        uri: SipUri,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        confirm: Option<Confirm>,
    },
    /// A number sent through one named trunk.
    Trunk {
        trunk: ResourceName,
        number: PhoneNumber,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        confirm: Option<Confirm>,
    },
    /// The caller who has waited longest in a queue (see `enqueue`).
    Queue { queue: ResourceName },
}

impl DialTarget {
    /// A target without confirmation.
    pub fn number(number: DialString) -> Self {
        Self::Number {
            number,
            confirm: None,
        }
    }

    /// An extension's devices, without confirmation.
    pub fn extension(number: ExtensionNumber) -> Self {
        Self::Extension {
            number,
            confirm: None,
        }
    }

    /// Whether whoever answers must accept the call first, and how.
    pub fn confirm(&self) -> Option<&Confirm> {
        match self {
            Self::Extension { confirm, .. }
            | Self::Number { confirm, .. }
            | Self::Sip { confirm, .. }
            | Self::Trunk { confirm, .. } => confirm.as_ref(),
            Self::Queue { .. } => None,
        }
    }
}

/// Whoever answers must accept the call before it is connected (FreePBX's follow-me
/// "confirm calls"), so that a mobile's voicemail, or someone who picked up by mistake,
/// does not take it. The answered party hears `prompt` (repeated) until it presses
/// `key`: then the call is connected and the other targets stop ringing. Any other key
/// or hanging up declines (`busy`); `timeout` seconds without a key is `no-answer`.
/// Either way that party is hung up and the other targets ring on. Meanwhile the caller
/// hears ringing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"prompt": {"say": "Call for extension 101. Press 1 to accept."}}))]
pub struct Confirm {
    /// What the answered party hears. Default: "You have a call. Press <key> to accept
    /// it, any other key to refuse it."
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<Announcement>,
    /// The key that accepts (`0`-`9`, `*`, `#`). Default `1`.
    #[serde(default = "key_one")]
    pub key: String,
    /// Seconds the answered party has to press it (1 to 120). Default 10.
    #[serde(default = "ten")]
    pub timeout: u32,
}

fn key_one() -> String {
    "1".to_owned()
}

fn ten() -> u32 {
    10
}

impl Default for Confirm {
    fn default() -> Self {
        Self {
            prompt: None,
            key: key_one(),
            timeout: ten(),
        }
    }
}

impl Confirm {
    /// The accepting key.
    pub fn key(&self) -> char {
        self.key.chars().next().unwrap_or('1')
    }

    /// What the answered party hears.
    pub fn prompt(&self) -> Announcement {
        self.prompt.clone().unwrap_or_else(|| {
            Announcement::say(format!(
                "You have a call. Press {} to accept it, any other key to refuse it.",
                spoken_key(self.key())
            ))
        })
    }

    fn validate(&self, at: &str) -> Result<(), FieldError> {
        let mut keys = self.key.chars();
        let one_key = matches!((keys.next(), keys.next()), (Some(k), None)
            if k.is_ascii_digit() || k == '*' || k == '#');
        if !one_key {
            return Err(FieldError::new(
                format!("{at}.key"),
                "must be one key: 0-9, * or #",
            ));
        }
        in_range(&format!("{at}.timeout"), self.timeout, 1, 120)
    }
}

/// A key as the default prompt says it.
fn spoken_key(key: char) -> String {
    match key {
        '*' => "star".to_owned(),
        '#' => "hash".to_owned(),
        k => k.to_string(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NumberOnly<N> {
    number: N,
    #[serde(default)]
    confirm: Option<Confirm>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UriOnly {
    uri: SipUri,
    #[serde(default)]
    confirm: Option<Confirm>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TrunkAndNumber {
    trunk: ResourceName,
    number: PhoneNumber,
    #[serde(default)]
    confirm: Option<Confirm>,
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
            "extension" => {
                let t = super::nested::<NumberOnly<ExtensionNumber>>(map)?;
                Self::Extension {
                    number: t.number,
                    confirm: t.confirm,
                }
            }
            "number" => {
                let t = super::nested::<NumberOnly<DialString>>(map)?;
                Self::Number {
                    number: t.number,
                    confirm: t.confirm,
                }
            }
            "sip" => {
                let t = super::nested::<UriOnly>(map)?;
                Self::Sip {
                    uri: t.uri,
                    confirm: t.confirm,
                }
            }
            "trunk" => {
                let t = super::nested::<TrunkAndNumber>(map)?;
                Self::Trunk {
                    trunk: t.trunk,
                    number: t.number,
                    confirm: t.confirm,
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

/// How several targets are rung (Asterisk's and FreePBX's names and behaviours).
/// Strategies that ring one target at a time give each `timeout` seconds; a target that
/// refuses (busy, unavailable) gives way to the next at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DialStrategy {
    /// All at once; the first to answer wins, the others are cancelled.
    #[default]
    Ringall,
    /// One after the other, in the order listed.
    Hunt,
    /// The first, then the first two together, then the first three… (each stage for
    /// `timeout` seconds).
    Memoryhunt,
    /// Only the first target that is not on a call and has a registered device.
    Firstavailable,
    /// One at a time, starting after the target that answered last (same as `rrmemory`).
    Roundrobin,
    /// One at a time, starting after the target that answered last.
    Rrmemory,
    /// One at a time, the one that answered a call longest ago (or never) first.
    Leastrecent,
    /// One at a time, the one that answered the fewest calls in the last 24 hours first.
    Fewestcalls,
    /// One at a time, in random order.
    Random,
    /// One at a time, in the order listed (same as `hunt`).
    Linear,
}

impl DialStrategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ringall => "ringall",
            Self::Hunt => "hunt",
            Self::Memoryhunt => "memoryhunt",
            Self::Firstavailable => "firstavailable",
            Self::Roundrobin => "roundrobin",
            Self::Rrmemory => "rrmemory",
            Self::Leastrecent => "leastrecent",
            Self::Fewestcalls => "fewestcalls",
            Self::Random => "random",
            Self::Linear => "linear",
        }
    }
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
    /// Seconds to ring: the whole dial with `ringall` and `firstavailable`, each target
    /// (or stage of `memoryhunt`) with the others. Default 30.
    #[serde(default = "thirty")]
    pub timeout: u32,
    /// The number shown to the called party. Default: the caller's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_id: Option<CallerId>,
    /// The name shown to the called party (a ring group shows `Sales: Djaouad`).
    /// Default: the caller's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_name: Option<DisplayName>,
    /// Music the answered caller hears while the targets ring, instead of the ringing
    /// tone (looped; the ringing tone plays until it is loaded, and instead of it when
    /// it cannot be).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ringback: Option<Ringback>,
    /// Longest the bridged call may last, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<WebhookUrl>,
    /// Record both parties of the bridged call (saved as a recording of kind `call`).
    #[serde(default)]
    pub record: bool,
    /// Leave the caller unanswered while the targets ring (it hears their ringing or
    /// early media, as a PBX does) and answer it only when one answers; when nobody
    /// does, the call goes on unanswered with `action` (or the next verb). Default
    /// false: a `dial` answers the caller first and plays ringback — except the last
    /// verb of an unanswered call without `action`, which always connects straight
    /// through. A caller already answered (by an earlier verb) stays answered.
    #[serde(default)]
    pub answer_on_bridge: bool,
}

fn thirty() -> u32 {
    30
}

/// Music for a ringing `dial`: a stored recording or a WAV file at a URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"recording": "hold-music"}))]
pub struct Ringback {
    /// A WAV file (relative URLs resolve against the document's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<WebhookUrl>,
    /// A recording, by name or id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<String>,
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
        for (i, target) in self.targets.iter().enumerate() {
            if let Some(confirm) = target.confirm() {
                confirm.validate(&format!("targets[{i}].confirm"))?;
            }
        }
        if let Some(ringback) = &self.ringback {
            match (&ringback.url, &ringback.recording) {
                (Some(_), Some(_)) => {
                    return Err(FieldError::new(
                        "ringback",
                        "give either url or recording, not both",
                    ));
                }
                (None, None) => {
                    return Err(FieldError::new(
                        "ringback.url",
                        "is required (or give recording)",
                    ));
                }
                _ => {}
            }
            if self.answer_on_bridge {
                return Err(FieldError::new(
                    "ringback",
                    "plays to an answered caller: with answer_on_bridge the caller hears the \
                     phones' own ringing",
                ));
            }
            if queues > 0 {
                return Err(FieldError::new(
                    "ringback",
                    "a dial to a queue does not ring: nothing to play it over",
                ));
            }
        }
        if queues > 0 {
            // A dial to a queue rings nobody and shows nothing: it takes the caller who
            // waited longest, at once.
            let ignored = [
                ("answer_on_bridge", self.answer_on_bridge),
                ("caller_id", self.caller_id.is_some()),
                ("caller_name", self.caller_name.is_some()),
                ("time_limit", self.time_limit.is_some()),
                ("record", self.record),
            ];
            if let Some((field, _)) = ignored.iter().find(|(_, set)| *set) {
                return Err(FieldError::new(
                    *field,
                    "does not apply to a dial to a queue (it takes the caller who waited \
                     longest at once, rings nobody)",
                ));
            }
        }
        if let Some(limit) = self.time_limit {
            in_range("time_limit", limit, 1, 86_400)?;
        }
        Ok(())
    }
}
