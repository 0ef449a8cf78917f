//! Day/night switches: a manual switch (0 to 9) sending calls to its day or its night
//! destination, toggled through the API or with `*28<index>` from a phone.

use super::common::page;
use crate::types::{Destination, DisplayName, Patch, VoicemailPin};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The mode of a day/night switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DayNightMode {
    #[default]
    Day,
    Night,
}

impl DayNightMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Night => "night",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "day" => Some(Self::Day),
            "night" => Some(Self::Night),
            _ => None,
        }
    }

    pub fn toggled(self) -> Self {
        match self {
            Self::Day => Self::Night,
            Self::Night => Self::Day,
        }
    }
}

/// Body of `POST /v1/daynight`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "index": 0,
    "name": "Pierre",
    "day_destination": "ivr:VoicemailCenter",
    "night_destination": "voicemail:57443"
}))]
pub struct DayNightCreate {
    /// 0 to 9: the digit after `*28` that toggles it from a phone.
    pub index: u8,
    pub name: DisplayName,
    /// Default `day`.
    #[serde(default)]
    pub mode: DayNightMode,
    pub day_destination: Destination,
    pub night_destination: Destination,
    /// Asked before `*28<index>` toggles the switch (write-only).
    #[serde(default)]
    pub pin: Option<VoicemailPin>,
}

/// Body of `PATCH /v1/daynight/{index}`: absent fields are kept, `null` clears.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"mode": "night"}))]
pub struct DayNightUpdate {
    #[serde(default)]
    pub name: Option<DisplayName>,
    #[serde(default)]
    pub mode: Option<DayNightMode>,
    #[serde(default)]
    pub day_destination: Option<Destination>,
    #[serde(default)]
    pub night_destination: Option<Destination>,
    #[serde(default)]
    #[schema(value_type = Option<VoicemailPin>)]
    pub pin: Patch<VoicemailPin>,
}

/// A day/night switch as returned (never with its PIN).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct DayNight {
    pub index: u8,
    pub name: DisplayName,
    pub mode: DayNightMode,
    pub day_destination: Destination,
    pub night_destination: Destination,
    /// Whether `*28<index>` asks for a PIN.
    pub pin_set: bool,
    #[schema(format = DateTime, example = "2026-11-26T14:00:00.000Z")]
    pub created_at: String,
    #[schema(format = DateTime, example = "2026-11-26T14:00:00.000Z")]
    pub updated_at: String,
}

page!(DayNightList, DayNight, "day/night switches");
