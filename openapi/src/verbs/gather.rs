//! `gather`: collect digits the caller presses, with prompts that the first key stops.

use super::{FieldError, Pause, Play, Say, WebhookUrl, check_keys, in_range};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What `gather` listens for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GatherInput {
    /// Keys, as RFC 4733 events or as in-band tones.
    Dtmf,
}

/// A prompt played while `gather` listens: the first key pressed stops it (barge-in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(
    tag = "verb",
    rename_all = "snake_case",
    try_from = "serde_json::Map<String, serde_json::Value>"
)]
pub enum Prompt {
    Play(Play),
    Say(Say),
    Pause(Pause),
}

/// Parsed by hand so that an error inside a prompt names its field (`prompts[0].loop`).
impl TryFrom<serde_json::Map<String, serde_json::Value>> for Prompt {
    type Error = String;

    fn try_from(mut map: serde_json::Map<String, serde_json::Value>) -> Result<Self, String> {
        let verb = match map.remove("verb") {
            Some(serde_json::Value::String(verb)) => verb,
            _ => {
                return Err(super::nested_message(
                    "verb",
                    "is required (play, say or pause)",
                ));
            }
        };
        match verb.as_str() {
            "play" => super::nested(map).map(Self::Play),
            "say" => super::nested(map).map(Self::Say),
            "pause" => super::nested(map).map(Self::Pause),
            other => Err(super::nested_message(
                "verb",
                &format!("{other:?} cannot be a prompt; expected play, say or pause"),
            )),
        }
    }
}

/// Plays its `prompts` and collects keys until `num_digits` are pressed, `finish_on_key`
/// is pressed, or `timeout` seconds pass without a key. The digits are posted to `action`
/// (as `digits`), whose answer replaces the rest of the document. With no key pressed, the
/// call goes on with the next verb.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"verb": "gather", "num_digits": 1, "timeout": 5, "action": "/menu",
    "prompts": [{"verb": "say", "text": "Press 1 for sales, 2 for support."}]}))]
pub struct Gather {
    /// Default `["dtmf"]`.
    #[serde(default = "dtmf")]
    pub input: Vec<GatherInput>,
    /// Stop after this many digits (1 to 64). Without it, only `finish_on_key` or the
    /// timeout ends the input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_digits: Option<u32>,
    /// The key that ends the input (not included in `digits`). Default `#`; `""` disables.
    #[serde(default = "hash")]
    pub finish_on_key: String,
    /// Seconds to wait for the first key after the prompts, and between keys. Default 5.
    #[serde(default = "five")]
    pub timeout: u32,
    /// Seconds to wait for the next key once one was pressed (an IVR that also takes
    /// extension numbers waits a short while after each key). Default: `timeout`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inter_digit_timeout: Option<u32>,
    /// Receives the digits. Default: the URL of the current document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<WebhookUrl>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prompts: Vec<Prompt>,
}

fn dtmf() -> Vec<GatherInput> {
    vec![GatherInput::Dtmf]
}

fn hash() -> String {
    "#".into()
}

pub(crate) fn five() -> u32 {
    5
}

impl Gather {
    pub(crate) fn validate(&self) -> Result<(), FieldError> {
        if self.input.is_empty() {
            return Err(FieldError::new("input", "must name at least one input"));
        }
        if let Some(n) = self.num_digits {
            in_range("num_digits", n, 1, 64)?;
        }
        if self.finish_on_key.chars().count() > 1 {
            return Err(FieldError::new(
                "finish_on_key",
                "must be one key, or \"\" for none",
            ));
        }
        check_keys("finish_on_key", &self.finish_on_key)?;
        in_range("timeout", self.timeout, 1, 600)?;
        if let Some(t) = self.inter_digit_timeout {
            in_range("inter_digit_timeout", t, 1, 600)?;
        }
        if self.prompts.len() > 32 {
            return Err(FieldError::new("prompts", "at most 32 prompts"));
        }
        for (i, p) in self.prompts.iter().enumerate() {
            let checked = match p {
                Prompt::Play(v) => v.validate(),
                Prompt::Say(v) => v.validate(),
                Prompt::Pause(v) => v.validate(),
            };
            checked.map_err(|e| FieldError::new(format!("prompts[{i}].{}", e.field), e.message))?;
        }
        Ok(())
    }
}
