//! Recordings: uploaded prompts, call recordings and voicemail audio, stored as 8 kHz
//! mono 16-bit WAV.

use super::common::page;
use crate::types::{RecordingId, ResourceName};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Where a recording came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RecordingKind {
    /// Uploaded through the API (announcements, IVR prompts, music).
    Upload,
    /// Recorded during a call.
    Call,
    /// A voicemail message.
    Voicemail,
}

impl RecordingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Upload => "upload",
            Self::Call => "call",
            Self::Voicemail => "voicemail",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "upload" => Some(Self::Upload),
            "call" => Some(Self::Call),
            "voicemail" => Some(Self::Voicemail),
            _ => None,
        }
    }
}

/// The format of the file as it was uploaded, before conversion.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct SourceFormat {
    #[schema(example = 44100)]
    pub sample_rate: u32,
    #[schema(example = 2)]
    pub channels: u16,
    #[schema(example = 16)]
    pub bits_per_sample: u16,
    /// `pcm` (integer samples) or `float`.
    #[schema(example = "pcm")]
    pub encoding: String,
}

/// A stored recording. Its audio (`audio_url`) is always 8 kHz, mono, 16-bit PCM WAV.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct Recording {
    pub id: RecordingId,
    pub name: ResourceName,
    pub kind: RecordingKind,
    /// Length of the audio in milliseconds.
    #[schema(example = 4250)]
    pub duration_ms: u64,
    /// Size of the stored WAV file in bytes.
    #[schema(example = 68044)]
    pub size_bytes: u64,
    #[schema(example = 8000)]
    pub sample_rate: u32,
    #[schema(example = 1)]
    pub channels: u16,
    #[schema(example = 16)]
    pub bits_per_sample: u16,
    /// The uploaded format, for uploads.
    pub source: Option<SourceFormat>,
    /// Where to download the audio.
    #[schema(example = "/v1/recordings/RE0f1e2d3c4b5a69788796a5b4c3d2e1f0/audio")]
    pub audio_url: String,
    #[schema(format = DateTime, example = "2026-11-26T14:00:00.000Z")]
    pub created_at: String,
}

/// The multipart form of `POST /v1/recordings`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct RecordingUpload {
    /// Name of the recording (unique), e.g. `VoicemailCenter`.
    #[schema(value_type = String, example = "VoicemailCenter")]
    pub name: String,
    /// The WAV file: PCM 8/16/24/32-bit or 32-bit float, any sample rate, mono or stereo.
    #[schema(value_type = String, format = Binary, content_media_type = "audio/wav")]
    pub file: Vec<u8>,
}

/// Query parameters of `POST /v1/recordings` with a raw `audio/wav` body.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordingUploadParams {
    /// Name of the recording; required with a raw `audio/wav` body.
    pub name: Option<String>,
}

/// Query parameters of `GET /v1/recordings`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordingListParams {
    /// Items per page, 1 to 1000 (default 50).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Only recordings of this kind.
    pub kind: Option<RecordingKind>,
}

/// Body of `PATCH /v1/recordings/{id}`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "VoicemailCenter"}))]
pub struct RecordingUpdate {
    #[serde(default)]
    pub name: Option<ResourceName>,
}

page!(RecordingList, Recording, "recordings");
