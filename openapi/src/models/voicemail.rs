//! Voicemail: the messages left in an extension's mailbox.

use super::common::page;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Where a message is: `new` until it is listened to or marked, then `saved`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VoicemailFolder {
    New,
    Saved,
}

impl VoicemailFolder {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Saved => "saved",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "new" => Some(Self::New),
            "saved" => Some(Self::Saved),
            _ => None,
        }
    }
}

/// A message left in a mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "VM5f0c3e1d2b4a49e8a7c6d5e4f3a2b1c0", "mailbox": "58102", "folder": "new",
    "caller_number": "58101", "caller_name": "Djaouad", "duration_ms": 12000,
    "call_sid": "CA0123456789abcdef0123456789abcdef",
    "recording_id": "RE0123456789abcdef0123456789abcdef",
    "audio_url": "/v1/voicemail/58102/messages/VM5f0c3e1d2b4a49e8a7c6d5e4f3a2b1c0/audio",
    "created_at": "2026-11-30T14:05:00.000Z"
}))]
pub struct VoicemailMessage {
    pub id: String,
    /// The extension whose mailbox holds it.
    pub mailbox: String,
    pub folder: VoicemailFolder,
    pub caller_number: String,
    pub caller_name: Option<String>,
    pub duration_ms: u64,
    /// The call that left it.
    pub call_sid: String,
    /// Its audio, a recording of kind `voicemail`.
    pub recording_id: String,
    /// Where its WAV is downloaded (with an API key).
    pub audio_url: String,
    /// When it was left.
    pub created_at: String,
}

/// Body of `PATCH /v1/voicemail/{mailbox}/messages/{id}`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"folder": "saved"}))]
pub struct VoicemailMessageUpdate {
    pub folder: VoicemailFolder,
}

/// Query parameters of `GET /v1/voicemail/{mailbox}/messages`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VoicemailListParams {
    /// Items per page, 1 to 1000 (default 50).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Only the messages of this folder.
    pub folder: Option<VoicemailFolder>,
}

page!(
    VoicemailMessageList,
    VoicemailMessage,
    "voicemail messages, oldest first"
);
