//! IVRs: a menu announced to the caller, whose keys lead to destinations.

use super::common::page;
use crate::types::{Announcement, Destination, IvrChoice, IvrKey, Patch, ResourceName};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Body of `POST /v1/ivrs`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "VoicemailCenter",
    "announcement": {"recording": "VoicemailCenter"},
    "options": {"1": "ringgroup:301", "2": "ringgroup:302", "3": "repeat"},
    "invalid_destination": "voicemail:58102"
}))]
pub struct IvrCreate {
    pub name: ResourceName,
    /// The menu, played (and replayed) until the caller presses a key.
    pub announcement: Announcement,
    /// Key → `repeat` or a destination. Keys are 1 to 4 of `0`-`9`, `*`, `#`.
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, IvrChoice>)]
    pub options: BTreeMap<IvrKey, IvrChoice>,
    /// Keys that are an extension's number (and no option) ring that extension.
    /// Default false.
    #[serde(default)]
    pub direct_dial: bool,
    /// Seconds to wait for a key after the announcement (1 to 60, default 10).
    #[serde(default)]
    pub timeout: Option<u32>,
    /// Silences in a row before `timeout_destination` (1 to 10, default 3); each
    /// silence before replays the menu.
    #[serde(default)]
    pub max_timeouts: Option<u32>,
    /// Played after a silence, before the menu is replayed.
    #[serde(default)]
    pub timeout_announcement: Option<Announcement>,
    /// Where the call goes after `max_timeouts` silences. Default `hangup`.
    #[serde(default)]
    pub timeout_destination: Option<Destination>,
    /// Invalid keys in a row before `invalid_destination` (1 to 10, default 3): the
    /// third invalid key, by default, leaves the menu.
    #[serde(default)]
    pub max_invalid: Option<u32>,
    /// Played after an invalid key. Default: "That is not a valid choice." spoken.
    #[serde(default)]
    pub invalid_announcement: Option<Announcement>,
    /// Where the call goes after `max_invalid` invalid keys. Default `hangup`.
    #[serde(default)]
    pub invalid_destination: Option<Destination>,
}

/// Body of `PATCH /v1/ivrs/{name}`: absent fields are kept, `null` clears; `options`
/// replaces all options.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"options": {"1": "ringgroup:301", "3": "repeat"}}))]
pub struct IvrUpdate {
    #[serde(default)]
    pub announcement: Option<Announcement>,
    #[serde(default)]
    #[schema(value_type = Option<BTreeMap<String, IvrChoice>>)]
    pub options: Option<BTreeMap<IvrKey, IvrChoice>>,
    #[serde(default)]
    pub direct_dial: Option<bool>,
    #[serde(default)]
    pub timeout: Option<u32>,
    #[serde(default)]
    pub max_timeouts: Option<u32>,
    #[serde(default)]
    #[schema(value_type = Option<Announcement>)]
    pub timeout_announcement: Patch<Announcement>,
    #[serde(default)]
    #[schema(value_type = Option<Destination>)]
    pub timeout_destination: Patch<Destination>,
    #[serde(default)]
    pub max_invalid: Option<u32>,
    #[serde(default)]
    #[schema(value_type = Option<Announcement>)]
    pub invalid_announcement: Patch<Announcement>,
    #[serde(default)]
    #[schema(value_type = Option<Destination>)]
    pub invalid_destination: Patch<Destination>,
}

/// An IVR as returned.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct Ivr {
    pub name: ResourceName,
    pub announcement: Announcement,
    #[schema(value_type = BTreeMap<String, IvrChoice>)]
    pub options: BTreeMap<IvrKey, IvrChoice>,
    pub direct_dial: bool,
    pub timeout: u32,
    pub max_timeouts: u32,
    pub timeout_announcement: Option<Announcement>,
    pub timeout_destination: Option<Destination>,
    pub max_invalid: u32,
    pub invalid_announcement: Option<Announcement>,
    pub invalid_destination: Option<Destination>,
    #[schema(format = DateTime, example = "2026-11-26T14:00:00.000Z")]
    pub created_at: String,
    #[schema(format = DateTime, example = "2026-11-26T14:00:00.000Z")]
    pub updated_at: String,
}

page!(IvrList, Ivr, "IVRs");
