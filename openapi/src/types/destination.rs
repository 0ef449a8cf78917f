//! Destinations: where a PBX setting sends a call (`extension:101`, `ivr:VoicemailCenter`,
//! `hangup`, …). One string type used by every resource that points somewhere.

use super::{ApplicationId, DialString, ExtensionNumber, HttpUrl, InvalidValue, ResourceName};
use std::fmt;

/// Where a call goes. Written `kind:target` (or just `hangup`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Destination {
    /// Ring an extension's phones: `extension:101`.
    Extension(ExtensionNumber),
    /// Ring a ring group: `ringgroup:301`.
    RingGroup(ExtensionNumber),
    /// Put the caller in a queue: `queue:support`.
    Queue(ResourceName),
    /// Play an IVR menu: `ivr:VoicemailCenter`.
    Ivr(ResourceName),
    /// Leave a message in a mailbox: `voicemail:101`.
    Voicemail(ExtensionNumber),
    /// Follow a day/night switch (index 0 to 9, toggled with `*28N`): `daynight:1`.
    DayNight(u8),
    /// Follow a time condition: `timecondition:2`.
    TimeCondition(ResourceName),
    /// Hand the call to an application: `app:AP…`.
    App(ApplicationId),
    /// Hand the call to a webhook URL: `url:https://…`.
    Url(HttpUrl),
    /// Hang up.
    Hangup,
    /// Dial a number through the outbound routes: `number:0032…`.
    Number(DialString),
}

/// The kind of a [`Destination`], for messages and lookups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DestinationKind {
    Extension,
    RingGroup,
    Queue,
    Ivr,
    Voicemail,
    DayNight,
    TimeCondition,
    App,
    Url,
    Hangup,
    Number,
}

impl DestinationKind {
    /// The prefix written before the colon.
    pub fn prefix(self) -> &'static str {
        match self {
            Self::Extension => "extension",
            Self::RingGroup => "ringgroup",
            Self::Queue => "queue",
            Self::Ivr => "ivr",
            Self::Voicemail => "voicemail",
            Self::DayNight => "daynight",
            Self::TimeCondition => "timecondition",
            Self::App => "app",
            Self::Url => "url",
            Self::Hangup => "hangup",
            Self::Number => "number",
        }
    }

    /// What the kind is called in a sentence ("an extension", "a ring group").
    pub fn noun(self) -> &'static str {
        match self {
            Self::Extension => "extension",
            Self::RingGroup => "ring group",
            Self::Queue => "queue",
            Self::Ivr => "IVR",
            Self::Voicemail => "mailbox",
            Self::DayNight => "day/night switch",
            Self::TimeCondition => "time condition",
            Self::App => "application",
            Self::Url => "URL",
            Self::Hangup => "hangup",
            Self::Number => "number",
        }
    }
}

const KINDS: &str = "extension, ringgroup, queue, ivr, voicemail, daynight, timecondition, app, url, hangup, number";

impl Destination {
    pub fn kind(&self) -> DestinationKind {
        match self {
            Self::Extension(_) => DestinationKind::Extension,
            Self::RingGroup(_) => DestinationKind::RingGroup,
            Self::Queue(_) => DestinationKind::Queue,
            Self::Ivr(_) => DestinationKind::Ivr,
            Self::Voicemail(_) => DestinationKind::Voicemail,
            Self::DayNight(_) => DestinationKind::DayNight,
            Self::TimeCondition(_) => DestinationKind::TimeCondition,
            Self::App(_) => DestinationKind::App,
            Self::Url(_) => DestinationKind::Url,
            Self::Hangup => DestinationKind::Hangup,
            Self::Number(_) => DestinationKind::Number,
        }
    }

    /// The target after the colon (`101` for `extension:101`); empty for `hangup`.
    pub fn target(&self) -> String {
        match self {
            Self::Extension(n) | Self::RingGroup(n) | Self::Voicemail(n) => n.to_string(),
            Self::Queue(n) | Self::Ivr(n) | Self::TimeCondition(n) => n.to_string(),
            Self::DayNight(i) => i.to_string(),
            Self::App(id) => id.to_string(),
            Self::Url(u) => u.to_string(),
            Self::Hangup => String::new(),
            Self::Number(n) => n.to_string(),
        }
    }

    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        if s == "hangup" {
            return Ok(Self::Hangup);
        }
        let Some((kind, target)) = s.split_once(':') else {
            return Err(InvalidValue(format!(
                "must be 'kind:target' (kinds: {KINDS}) or 'hangup'"
            )));
        };
        let within = |e: InvalidValue| InvalidValue(format!("{kind} target {e}"));
        Ok(match kind {
            "extension" => Self::Extension(ExtensionNumber::parse(target).map_err(within)?),
            "ringgroup" => Self::RingGroup(ExtensionNumber::parse(target).map_err(within)?),
            "queue" => Self::Queue(ResourceName::parse(target).map_err(within)?),
            "ivr" => Self::Ivr(ResourceName::parse(target).map_err(within)?),
            "voicemail" => Self::Voicemail(ExtensionNumber::parse(target).map_err(within)?),
            "daynight" => match target.parse::<u8>() {
                Ok(i) if i <= 9 => Self::DayNight(i),
                _ => {
                    return Err(InvalidValue::new(
                        "daynight target must be a switch index from 0 to 9",
                    ));
                }
            },
            "timecondition" => Self::TimeCondition(ResourceName::parse(target).map_err(within)?),
            "app" => Self::App(ApplicationId::parse(target).map_err(within)?),
            "url" => Self::Url(HttpUrl::parse(target).map_err(within)?),
            "number" => Self::Number(DialString::parse(target).map_err(within)?),
            other => {
                return Err(InvalidValue(format!(
                    "unknown destination kind '{other}' (kinds: {KINDS})"
                )));
            }
        })
    }
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Hangup => f.write_str("hangup"),
            other => write!(f, "{}:{}", other.kind().prefix(), other.target()),
        }
    }
}

impl std::str::FromStr for Destination {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Destination {
    type Error = InvalidValue;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl serde::Serialize for Destination {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Destination {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for Destination {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "Where a call goes: `extension:<number>`, `ringgroup:<number>`, `queue:<name>`, \
                 `ivr:<name>`, `voicemail:<mailbox>`, `daynight:<0-9>`, `timecondition:<id>`, \
                 `app:<application id>`, `url:<http(s) URL>`, `number:<digits>` (dialled through \
                 the outbound routes) or `hangup`. The target must exist.",
            ))
            .pattern(Some(
                "^(hangup|(extension|ringgroup|queue|ivr|voicemail|daynight|timecondition|app|url|number):.+)$",
            ))
            .examples([
                serde_json::json!("ivr:VoicemailCenter"),
                serde_json::json!("voicemail:101"),
            ])
            .into()
    }
}

impl utoipa::ToSchema for Destination {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips() {
        for s in [
            "extension:101",
            "ringgroup:301",
            "queue:support",
            "ivr:VoicemailCenter",
            "voicemail:101",
            "daynight:1",
            "timecondition:2",
            "app:AP0123456789abcdef0123456789abcdef",
            "url:https://example.com/x",
            "hangup",
            "number:0032223456789",
        ] {
            let d = Destination::parse(s).unwrap();
            assert_eq!(d.to_string(), s);
        }
    }

    #[test]
    fn precise_errors() {
        let e = Destination::parse("extension:1a").unwrap_err().to_string();
        assert!(e.contains("extension target must be 2 to 15 digits"), "{e}");
        let e = Destination::parse("phone:101").unwrap_err().to_string();
        assert!(e.contains("unknown destination kind 'phone'"), "{e}");
        let e = Destination::parse("101").unwrap_err().to_string();
        assert!(e.contains("kind:target"), "{e}");
        assert!(Destination::parse("daynight:10").is_err());
        assert!(Destination::parse("url:ftp://x").is_err());
    }
}
