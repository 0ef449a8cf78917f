//! Time conditions: a weekly schedule in a time zone, with dated exceptions, sending
//! calls to one destination inside it and another outside; overridable by hand.

use super::common::page;
use crate::types::{
    CalendarDate, Destination, DisplayName, ResourceName, TimeOfDay, TimeZoneName, Weekday,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Days of the week × a time range: the schedule matches on those days between
/// `start` and `end` (local time). An `end` before `start` runs past midnight into
/// the next day.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:30"}))]
pub struct WeeklyRange {
    pub days: Vec<Weekday>,
    pub start: TimeOfDay,
    pub end: TimeOfDay,
}

/// Dates on which the schedule does not match (holidays): `date`, or `date` to
/// `end_date` inclusive, local time.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"date": "2026-12-25", "name": "Christmas"}))]
pub struct DatedException {
    pub date: CalendarDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<CalendarDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<DisplayName>,
}

/// Which destination an override forces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConditionState {
    Match,
    NoMatch,
}

impl ConditionState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Match => "match",
            Self::NoMatch => "no_match",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "match" => Some(Self::Match),
            "no_match" => Some(Self::NoMatch),
            _ => None,
        }
    }

    pub fn opposite(self) -> Self {
        match self {
            Self::Match => Self::NoMatch,
            Self::NoMatch => Self::Match,
        }
    }
}

/// An override in force: `state` regardless of the schedule, until `until` (the next
/// scheduled change) or for good (`until` null).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct ConditionOverride {
    pub state: ConditionState,
    #[schema(format = DateTime)]
    pub until: Option<String>,
}

/// Body of `POST /v1/time-conditions/{id}/override`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"state": "no_match", "permanent": false}))]
pub struct OverrideRequest {
    /// The state to force; `null` removes the override (the schedule rules again).
    pub state: Option<ConditionState>,
    /// Until removed (true), or until the schedule next changes by itself (false,
    /// the default).
    #[serde(default)]
    pub permanent: bool,
}

/// Body of `POST /v1/time-conditions`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "id": "2",
    "name": "Office hours",
    "time_zone": "Europe/Brussels",
    "ranges": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:30"}],
    "exceptions": [{"date": "2026-12-25", "name": "Christmas"}],
    "match_destination": "ivr:VoicemailCenter",
    "no_match_destination": "daynight:0"
}))]
pub struct TimeConditionCreate {
    /// Its name in destinations (`timecondition:2`); digits make it toggleable with
    /// `*27<id>` from a phone.
    pub id: ResourceName,
    pub name: DisplayName,
    pub time_zone: TimeZoneName,
    /// At most 32.
    #[serde(default)]
    pub ranges: Vec<WeeklyRange>,
    /// At most 366.
    #[serde(default)]
    pub exceptions: Vec<DatedException>,
    pub match_destination: Destination,
    pub no_match_destination: Destination,
}

/// Body of `PATCH /v1/time-conditions/{id}`: absent fields are kept; `ranges` and
/// `exceptions` replace the lists.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"exceptions": [{"date": "2027-01-01"}]}))]
pub struct TimeConditionUpdate {
    #[serde(default)]
    pub name: Option<DisplayName>,
    #[serde(default)]
    pub time_zone: Option<TimeZoneName>,
    #[serde(default)]
    pub ranges: Option<Vec<WeeklyRange>>,
    #[serde(default)]
    pub exceptions: Option<Vec<DatedException>>,
    #[serde(default)]
    pub match_destination: Option<Destination>,
    #[serde(default)]
    pub no_match_destination: Option<Destination>,
}

/// A time condition as returned, with its state now.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct TimeCondition {
    pub id: ResourceName,
    pub name: DisplayName,
    pub time_zone: TimeZoneName,
    pub ranges: Vec<WeeklyRange>,
    pub exceptions: Vec<DatedException>,
    pub match_destination: Destination,
    pub no_match_destination: Destination,
    pub r#override: Option<ConditionOverride>,
    /// Where calls go now (the override's state, or the schedule's).
    pub state: ConditionState,
    #[schema(format = DateTime, example = "2026-11-26T14:00:00.000Z")]
    pub created_at: String,
    #[schema(format = DateTime, example = "2026-11-26T14:00:00.000Z")]
    pub updated_at: String,
}

page!(TimeConditionList, TimeCondition, "time conditions");
