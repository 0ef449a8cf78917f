//! Values of the PBX resources: announcements, IVR keys and choices, times of day,
//! dates, time zones, weekdays and feature codes.

use super::{Destination, InvalidValue, ResourceName, string_newtype};
use serde::{Deserialize, Serialize};
use std::fmt;
use utoipa::ToSchema;

/// What a PBX feature says to the caller: a stored recording, or text spoken by the
/// speech synthesizer. Give exactly one of `recording` and `say`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "AnnouncementFields")]
#[schema(example = json!({"recording": "VoicemailCenter"}))]
pub struct Announcement {
    /// A recording's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<ResourceName>,
    /// Text to speak.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub say: Option<String>,
    /// The language of `say` (`en`, `fr`…). Default: the synthesizer's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnnouncementFields {
    #[serde(default)]
    recording: Option<ResourceName>,
    #[serde(default)]
    say: Option<String>,
    #[serde(default)]
    language: Option<String>,
}

impl TryFrom<AnnouncementFields> for Announcement {
    type Error = InvalidValue;
    fn try_from(f: AnnouncementFields) -> Result<Self, InvalidValue> {
        match (&f.recording, &f.say) {
            (Some(_), Some(_)) => return Err(InvalidValue::new("give recording or say, not both")),
            (None, None) => return Err(InvalidValue::new("give recording or say")),
            (None, Some(text)) if text.trim().is_empty() || text.chars().count() > 1000 => {
                return Err(InvalidValue::new("say must be 1 to 1000 characters"));
            }
            _ => {}
        }
        if let Some(lang) = &f.language {
            let ok = (1..=16).contains(&lang.len())
                && lang.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if !ok {
                return Err(InvalidValue::new(
                    "language must be a language code like en or fr-be",
                ));
            }
            if f.recording.is_some() {
                return Err(InvalidValue::new("language goes with say, not recording"));
            }
        }
        Ok(Self {
            recording: f.recording,
            say: f.say,
            language: f.language,
        })
    }
}

impl Announcement {
    /// Spoken text.
    pub fn say(text: impl Into<String>) -> Self {
        Self {
            recording: None,
            say: Some(text.into()),
            language: None,
        }
    }
}

string_newtype!(
    /// A key (or keys) a caller presses in an IVR: 1 to 4 of `0`-`9`, `*`, `#`.
    IvrKey,
    |s| {
        if (1..=4).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit() || b == b'*' || b == b'#') {
            Ok(())
        } else {
            Err(InvalidValue::new("must be 1 to 4 keys among 0-9, * and #"))
        }
    },
    example = "1",
    pattern = Some("^[0-9*#]{1,4}$"),
);

/// What an IVR option does: `repeat` plays the menu again, anything else is a
/// [`Destination`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IvrChoice {
    Repeat,
    Go(Destination),
}

impl IvrChoice {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        if s == "repeat" {
            Ok(Self::Repeat)
        } else {
            Destination::parse(s).map(Self::Go)
        }
    }

    pub fn destination(&self) -> Option<&Destination> {
        match self {
            Self::Repeat => None,
            Self::Go(d) => Some(d),
        }
    }
}

impl fmt::Display for IvrChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Repeat => f.write_str("repeat"),
            Self::Go(d) => d.fmt(f),
        }
    }
}

impl Serialize for IvrChoice {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for IvrChoice {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for IvrChoice {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "`repeat` (play the menu again) or a destination (`ringgroup:301`, …).",
            ))
            .examples([
                serde_json::json!("ringgroup:301"),
                serde_json::json!("repeat"),
            ])
            .into()
    }
}

impl ToSchema for IvrChoice {}

string_newtype!(
    /// A time of day, `HH:MM` (24-hour); `24:00` is the end of the day.
    TimeOfDay,
    |s| {
        let ok = s.len() == 5
            && s.as_bytes()[2] == b':'
            && s[..2].bytes().chain(s[3..].bytes()).all(|b| b.is_ascii_digit())
            && match (s[..2].parse::<u32>(), s[3..].parse::<u32>()) {
                (Ok(24), Ok(0)) => true,
                (Ok(h), Ok(m)) => h < 24 && m < 60,
                _ => false,
            };
        if ok { Ok(()) } else { Err(InvalidValue::new("must be a time of day HH:MM, 00:00 to 24:00")) }
    },
    example = "09:00",
    pattern = Some("^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$"),
);

impl TimeOfDay {
    /// Minutes since midnight (0 to 1440).
    pub fn minutes(&self) -> u32 {
        let h: u32 = self.as_str()[..2].parse().unwrap_or(0);
        let m: u32 = self.as_str()[3..].parse().unwrap_or(0);
        h * 60 + m
    }
}

string_newtype!(
    /// A calendar date, `YYYY-MM-DD`.
    CalendarDate,
    |s| {
        let b = s.as_bytes();
        let shape = s.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && s.bytes().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
        let month: u32 = if shape { s[5..7].parse().unwrap_or(0) } else { 0 };
        let day: u32 = if shape { s[8..].parse().unwrap_or(0) } else { 0 };
        if shape && (1..=12).contains(&month) && (1..=31).contains(&day) {
            Ok(())
        } else {
            Err(InvalidValue::new("must be a date YYYY-MM-DD"))
        }
    },
    example = "2026-12-25",
    pattern = Some("^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
);

string_newtype!(
    /// An IANA time zone name (`Europe/Brussels`, `America/New_York`, `UTC`).
    TimeZoneName,
    |s| {
        let ok = (1..=64).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'+'));
        if ok { Ok(()) } else { Err(InvalidValue::new("must be an IANA time zone name like Europe/Brussels")) }
    },
    example = "Europe/Brussels",
    pattern = None,
);

/// A day of the week.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    /// Monday is 0.
    pub fn index(self) -> u8 {
        self as u8
    }

    /// The day before.
    pub fn previous(self) -> Self {
        const ALL: [Weekday; 7] = [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ];
        ALL[(usize::from(self.index()) + 6) % 7]
    }
}

string_newtype!(
    /// A feature code dialled from a phone: `*` then 1 to 4 digits (`*28`).
    FeatureCodeString,
    |s| {
        let ok = s.len() >= 2 && s.len() <= 5 && s.starts_with('*') && s[1..].bytes().all(|b| b.is_ascii_digit());
        if ok { Ok(()) } else { Err(InvalidValue::new("must be * followed by 1 to 4 digits")) }
    },
    example = "*28",
    pattern = Some("^\\*[0-9]{1,4}$"),
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announcements_need_one_source() {
        let a: Announcement = serde_json::from_str(r#"{"recording": "Menu"}"#).unwrap();
        assert_eq!(a.recording.unwrap().as_str(), "Menu");
        assert!(serde_json::from_str::<Announcement>(r#"{}"#).is_err());
        assert!(serde_json::from_str::<Announcement>(r#"{"recording": "a", "say": "b"}"#).is_err());
        assert!(serde_json::from_str::<Announcement>(r#"{"say": "Hi", "language": "fr"}"#).is_ok());
        assert!(serde_json::from_str::<Announcement>(r#"{"say": "Hi", "colour": 1}"#).is_err());
    }

    #[test]
    fn times_dates_keys_and_codes() {
        assert_eq!(TimeOfDay::parse("09:30").unwrap().minutes(), 570);
        assert_eq!(TimeOfDay::parse("24:00").unwrap().minutes(), 1440);
        for bad in ["9:30", "24:01", "12:60", "ab:cd"] {
            assert!(TimeOfDay::parse(bad).is_err(), "{bad}");
        }
        assert!(CalendarDate::parse("2026-12-25").is_ok());
        assert!(CalendarDate::parse("2026-13-01").is_err());
        assert!(IvrKey::parse("*").is_ok());
        assert!(IvrKey::parse("12345").is_err());
        assert!(FeatureCodeString::parse("*28").is_ok());
        assert!(FeatureCodeString::parse("28").is_err());
        assert_eq!(IvrChoice::parse("repeat").unwrap(), IvrChoice::Repeat);
        assert!(matches!(
            IvrChoice::parse("ringgroup:301").unwrap(),
            IvrChoice::Go(_)
        ));
        assert_eq!(Weekday::Mon.previous(), Weekday::Sun);
    }
}
