//! `record`: record what the caller says.

use super::gather::five;
use super::{FieldError, WebhookUrl, check_keys, in_range};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Records the caller (after a beep by default) until `finish_on_key`, `timeout` seconds
/// of silence, `max_length` seconds, or hangup. The audio is saved as a recording of kind
/// `call` before `action` receives `recording_url` and `recording_duration`. Audio that
/// cannot be saved (a full disk) is reported as an `error` event (`recording_failed`):
/// `action` is not called and the document goes on with the next verb.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"verb": "record", "max_length": 120, "finish_on_key": "#",
    "action": "/voicemail-saved"}))]
pub struct Record {
    /// Seconds. Default 3600, at most 14400.
    #[serde(default = "hour")]
    pub max_length: u32,
    #[serde(default = "yes")]
    pub play_beep: bool,
    /// Keys that end the recording. Default `1234567890*#`; `""` disables.
    #[serde(default = "all_keys")]
    pub finish_on_key: String,
    /// Seconds of silence that end the recording; 0 disables. Default 5.
    #[serde(default = "five")]
    pub timeout: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<WebhookUrl>,
    /// Receives the recording when it is saved, without affecting the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_status_callback: Option<WebhookUrl>,
}

fn hour() -> u32 {
    3600
}

fn yes() -> bool {
    true
}

fn all_keys() -> String {
    "1234567890*#".into()
}

impl Record {
    pub(crate) fn validate(&self) -> Result<(), FieldError> {
        in_range("max_length", self.max_length, 1, 14_400)?;
        check_keys("finish_on_key", &self.finish_on_key)?;
        in_range("timeout", self.timeout, 0, 3600)
    }
}
