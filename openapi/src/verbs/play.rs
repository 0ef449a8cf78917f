//! `play`: an audio file, from the recordings store or from an http(s) URL.

use super::{FieldError, WebhookUrl, in_range};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Plays a stored recording (`recording`: its name or id) or a WAV file fetched from `url`
/// (converted to 8 kHz mono and cached). Exactly one of the two.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"verb": "play", "recording": "welcome", "loop": 2}))]
pub struct Play {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<WebhookUrl>,
    /// The name or id of a recording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<String>,
    /// How many times to play it; 0 repeats until the call ends or the verb is
    /// interrupted. Default 1, at most 1000.
    #[serde(rename = "loop", default = "one")]
    pub loop_count: u32,
}

pub(crate) fn one() -> u32 {
    1
}

impl Play {
    pub(crate) fn validate(&self) -> Result<(), FieldError> {
        match (&self.url, &self.recording) {
            (None, None) => {
                return Err(FieldError::new(
                    "url",
                    "one of `url` or `recording` is required",
                ));
            }
            (Some(_), Some(_)) => {
                return Err(FieldError::new(
                    "recording",
                    "give either `url` or `recording`, not both",
                ));
            }
            (None, Some(r)) if r.trim().is_empty() || r.len() > 64 => {
                return Err(FieldError::new(
                    "recording",
                    "must be a recording's name or id",
                ));
            }
            _ => {}
        }
        in_range("loop", self.loop_count, 0, 1000)
    }
}
