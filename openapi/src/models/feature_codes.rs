//! Feature codes: what a phone dials to work a PBX feature (`*28` toggles day/night).

use crate::types::FeatureCodeString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A PBX feature reachable from phones.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    /// `*21`: the caller's follow-me on or off (spoken confirmation).
    FollowmeToggle,
    /// `*27<id>`: override time condition `<id>` until its next scheduled change, or
    /// remove the override.
    TimeconditionToggle,
    /// `*28<index>`: day/night switch `<index>` to the other mode (its PIN asked when
    /// it has one; spoken confirmation).
    DaynightToggle,
    /// `*97`: the caller's own voicemail (its PIN asked when it has one): each new
    /// message played, then 1 to hear it again, 7 to delete it, 9 or # to keep it and go on.
    VoicemailListen,
    /// `*98`: any mailbox, from any phone — its number, then its PIN (a mailbox
    /// without a PIN is only reachable from its own phone), then as `*97`.
    VoicemailOther,
    /// `*45`: the caller logs in to (or out of) every queue where it is a dynamic
    /// member (spoken confirmation).
    QueueAgentToggle,
}

impl Feature {
    pub const ALL: [Feature; 6] = [
        Feature::FollowmeToggle,
        Feature::TimeconditionToggle,
        Feature::DaynightToggle,
        Feature::VoicemailListen,
        Feature::VoicemailOther,
        Feature::QueueAgentToggle,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::FollowmeToggle => "followme_toggle",
            Self::TimeconditionToggle => "timecondition_toggle",
            Self::DaynightToggle => "daynight_toggle",
            Self::VoicemailListen => "voicemail_listen",
            Self::VoicemailOther => "voicemail_other",
            Self::QueueAgentToggle => "queue_agent_toggle",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// The code phones dial unless changed.
    pub fn default_code(self) -> &'static str {
        match self {
            Self::FollowmeToggle => "*21",
            Self::TimeconditionToggle => "*27",
            Self::DaynightToggle => "*28",
            Self::VoicemailListen => "*97",
            Self::VoicemailOther => "*98",
            Self::QueueAgentToggle => "*45",
        }
    }

    /// Whether the code is followed by a target (`*28` then the switch's index).
    pub fn takes_target(self) -> bool {
        !matches!(
            self,
            Self::FollowmeToggle
                | Self::VoicemailListen
                | Self::VoicemailOther
                | Self::QueueAgentToggle
        )
    }

    pub fn description(self) -> &'static str {
        match self {
            Self::FollowmeToggle => "Turns the caller's follow-me on or off.",
            Self::TimeconditionToggle => {
                "Followed by a time condition's id: overrides it until its next scheduled change, or removes the override."
            }
            Self::DaynightToggle => {
                "Followed by a day/night switch's index (0-9): switches it to the other mode."
            }
            Self::VoicemailListen => {
                "Plays the caller's new voicemail messages (after its PIN, when set): 1 again, 7 delete, 9 or # keep and next."
            }
            Self::VoicemailOther => {
                "Asks for a mailbox number and its PIN, then plays its new messages as *97 does."
            }
            Self::QueueAgentToggle => {
                "Logs the caller in to (or out of) every queue where it is a dynamic member."
            }
        }
    }
}

/// A feature code as returned.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct FeatureCode {
    pub feature: Feature,
    pub code: FeatureCodeString,
    pub enabled: bool,
    /// Whether the code is dialled with a target after it (`*280`).
    pub takes_target: bool,
    pub description: String,
}

/// Body of `PATCH /v1/feature-codes/{feature}`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "*29"}))]
pub struct FeatureCodeUpdate {
    /// No code may start with another (`*2` would hide `*28`).
    #[serde(default)]
    pub code: Option<FeatureCodeString>,
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// `GET /v1/feature-codes`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct FeatureCodeList {
    pub data: Vec<FeatureCode>,
}
