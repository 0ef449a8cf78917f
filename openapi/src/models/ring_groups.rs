//! Ring groups: a number that rings several phones (extensions, outside numbers) by a
//! strategy.

use super::common::page;
use crate::types::{
    Announcement, Destination, DialString, DisplayName, ExtensionNumber, Patch, ResourceName,
    RingTime,
};
use crate::verbs::DialStrategy;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Body of `POST /v1/ring-groups`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "number": "301",
    "name": "Info",
    "members": ["58102", "58103"],
    "strategy": "ringall",
    "ring_time": 20,
    "caller_name_prefix": "Info: ",
    "no_answer_destination": "voicemail:58102"
}))]
pub struct RingGroupCreate {
    /// The number phones dial to reach the group (not an extension's).
    pub number: ExtensionNumber,
    pub name: DisplayName,
    /// Extension numbers, and outside numbers (dialled through the outbound routes):
    /// 1 to 32, no repeats.
    pub members: Vec<DialString>,
    /// Default `ringall`.
    #[serde(default)]
    pub strategy: DialStrategy,
    /// Seconds the members ring: the whole group with `ringall`/`firstavailable`, each
    /// member (or stage) otherwise. Default 20.
    #[serde(default)]
    pub ring_time: Option<RingTime>,
    /// Played to the caller (who is answered for it) before the members ring.
    #[serde(default)]
    pub announcement: Option<Announcement>,
    /// Put before the caller's name on the members' phones (`Sales: `).
    #[serde(default)]
    pub caller_name_prefix: Option<String>,
    /// A recording played (looped) to the caller while the members ring, instead of
    /// the ringing they send back.
    #[serde(default)]
    pub music: Option<ResourceName>,
    /// Where the call goes when nobody answers; without it the caller is told nobody
    /// answered (480).
    #[serde(default)]
    pub no_answer_destination: Option<Destination>,
}

/// Body of `PATCH /v1/ring-groups/{number}`: absent fields are kept, `null` clears.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"strategy": "rrmemory", "members": ["58102", "58103", "58104"]}))]
pub struct RingGroupUpdate {
    #[serde(default)]
    pub name: Option<DisplayName>,
    #[serde(default)]
    pub members: Option<Vec<DialString>>,
    #[serde(default)]
    pub strategy: Option<DialStrategy>,
    #[serde(default)]
    pub ring_time: Option<RingTime>,
    #[serde(default)]
    #[schema(value_type = Option<Announcement>)]
    pub announcement: Patch<Announcement>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub caller_name_prefix: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<ResourceName>)]
    pub music: Patch<ResourceName>,
    #[serde(default)]
    #[schema(value_type = Option<Destination>)]
    pub no_answer_destination: Patch<Destination>,
}

/// A ring group as returned.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct RingGroup {
    pub number: ExtensionNumber,
    pub name: DisplayName,
    pub members: Vec<DialString>,
    pub strategy: DialStrategy,
    pub ring_time: RingTime,
    pub announcement: Option<Announcement>,
    pub caller_name_prefix: Option<String>,
    pub music: Option<ResourceName>,
    pub no_answer_destination: Option<Destination>,
    #[schema(format = DateTime, example = "2026-11-26T14:00:00.000Z")]
    pub created_at: String,
    #[schema(format = DateTime, example = "2026-11-26T14:00:00.000Z")]
    pub updated_at: String,
}

page!(RingGroupList, RingGroup, "ring groups");
