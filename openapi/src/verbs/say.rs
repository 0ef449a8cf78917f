//! `say`: text spoken by the speech synthesizer (espeak-ng).

use super::play::one;
use super::{FieldError, in_range};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The longest text one `say` may speak.
pub const MAX_SAY_CHARS: usize = 4000;

/// Speaks `text`. `language` picks the synthesizer's language (default `en`), `voice` one
/// of its variants (`f3`, `m2`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"verb": "say", "text": "Press 1 for sales.", "language": "en"}))]
pub struct Say {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// How many times to say it; 0 repeats until the call ends or the verb is interrupted.
    #[serde(rename = "loop", default = "one")]
    pub loop_count: u32,
}

impl Say {
    pub(crate) fn validate(&self) -> Result<(), FieldError> {
        let chars = self.text.chars().count();
        if self.text.trim().is_empty() || chars > MAX_SAY_CHARS {
            return Err(FieldError::new(
                "text",
                format!("must be 1 to {MAX_SAY_CHARS} characters of text"),
            ));
        }
        if let Some(l) = &self.language {
            let ok = l.len() <= 16
                && l.split('-')
                    .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()));
            if !ok {
                return Err(FieldError::new(
                    "language",
                    "must be a language tag like `en`, `fr` or `en-us`",
                ));
            }
        }
        if let Some(v) = &self.voice {
            let ok = !v.is_empty()
                && v.len() <= 32
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !ok {
                return Err(FieldError::new(
                    "voice",
                    "must be a voice name like `f3` or `m2`",
                ));
            }
        }
        in_range("loop", self.loop_count, 0, 1000)
    }
}
