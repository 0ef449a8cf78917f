//! Follow-me: an extension's calls that it does not answer ring a list of numbers.

use crate::types::{Destination, DialString, Patch, RingTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How the follow-me list rings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FollowMeStrategy {
    /// Every number at once.
    #[default]
    Ringall,
    /// One after the other, each for `ring_time`.
    Hunt,
}

impl FollowMeStrategy {
    /// Its name, as in JSON and as the `dial` strategy of the same name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ringall => "ringall",
            Self::Hunt => "hunt",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Ringall, Self::Hunt]
            .into_iter()
            .find(|f| f.as_str() == s)
    }
}

/// An extension's follow-me, as returned and as written with `PUT`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "enabled": true,
    "numbers": ["57444"],
    "initial_ring_time": 10,
    "strategy": "ringall",
    "ring_time": 20,
    "confirm": true,
    "no_answer_destination": "daynight:0"
}))]
pub struct FollowMe {
    /// Default false. `*21` from the extension's phone toggles it.
    #[serde(default)]
    pub enabled: bool,
    /// Extension numbers, and outside numbers (dialled through the outbound routes),
    /// 1 to 10. List the extension itself to keep its phones ringing.
    pub numbers: Vec<DialString>,
    /// Seconds the extension rings alone first (0 to 60; 0 goes straight to the
    /// list). Default 7, as FreePBX.
    #[serde(default = "seven")]
    pub initial_ring_time: u32,
    #[serde(default)]
    pub strategy: FollowMeStrategy,
    /// Seconds the list rings (each number with `hunt`). Default 20.
    #[serde(default)]
    pub ring_time: RingTime,
    /// Outside numbers (those that are not extensions) must accept the call before it
    /// is connected: whoever answers hears "You have a call for extension …, press 1
    /// to accept it" and has 10 seconds to press 1, so a mobile's voicemail never takes
    /// the call. Default false.
    #[serde(default)]
    pub confirm: bool,
    /// Where the call goes when nobody answers. Default: the extension's
    /// `no_answer_destination`, else the caller is told nobody answered.
    #[serde(default)]
    pub no_answer_destination: Option<Destination>,
}

fn seven() -> u32 {
    7
}

/// Body of `PATCH /v1/extensions/{number}/follow-me`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"enabled": false}))]
pub struct FollowMeUpdate {
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub numbers: Option<Vec<DialString>>,
    #[serde(default)]
    pub initial_ring_time: Option<u32>,
    #[serde(default)]
    pub strategy: Option<FollowMeStrategy>,
    #[serde(default)]
    pub ring_time: Option<RingTime>,
    #[serde(default)]
    pub confirm: Option<bool>,
    #[serde(default)]
    #[schema(value_type = Option<Destination>)]
    pub no_answer_destination: Patch<Destination>,
}
