//! What Switchboard sends to applications: the webhook request that asks for a verb
//! document, the status callback events, and the signature that proves they came from us.

use crate::models::calls::CallStatus;
use crate::verbs::VerbError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// SIP details of the call that reached us.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SipInfo {
    pub call_id: String,
    /// Selected headers of the INVITE (lower-case names): `user-agent`, `x-*` headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

/// The body Switchboard POSTs to an application's `voice_url` (and to `action` URLs); the
/// answer is a verb document. Event fields are present only for the event that sets them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "call_sid": "CA0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    "direction": "inbound",
    "from": "58101",
    "to": "5000",
    "caller_name": "Djaouad",
    "call_status": "in-progress",
    "parent_call_sid": null,
    "trunk": null,
    "sip": {"call_id": "a84b4c76e66710@192.168.212.20", "headers": {"user-agent": "baresip"}},
    "digits": "1"
}))]
pub struct WebhookRequest {
    pub call_sid: String,
    /// `inbound` or `outbound`.
    pub direction: String,
    pub from: String,
    pub to: String,
    pub caller_name: Option<String>,
    pub call_status: CallStatus,
    pub parent_call_sid: Option<String>,
    /// The trunk the call arrived on, if any.
    pub trunk: Option<String>,
    pub sip: SipInfo,
    /// Keys collected by `gather`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digits: Option<String>,
    /// Outcome of a `dial`: `completed`, `busy`, `no-answer`, `failed`, `canceled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dial_call_status: Option<CallStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dial_call_sid: Option<String>,
    /// Where a `record`ed audio can be downloaded (`/v1/recordings/{id}/audio`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_sid: Option<String>,
    /// Seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_duration: Option<u32>,
    /// Seconds the caller waited in a queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_time: Option<u32>,
    /// Why the verb ended: `finish_on_key`, `timeout`, `max_length`, `hangup`; for
    /// `enqueue` `bridged`, `leave`, `timeout`, `full`, `empty`, `key`, `left`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A call event reported to a `status_callback`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallEvent {
    Initiated,
    Ringing,
    Answered,
    Completed,
    /// A `record` verb saved its audio (sent to its `recording_status_callback`, with the
    /// `recording_*` fields set).
    Recording,
    /// The application failed the call: its webhook could not be reached or its document
    /// was invalid. `error` says what happened.
    Error,
}

/// Why the application could not drive a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CallError {
    /// `webhook_failed` (no usable answer from `voice_url` nor `fallback_url`),
    /// `invalid_document` (the answer was not a valid verb document), `invalid_url` (a
    /// verb's URL does not resolve), `recording_failed` (a `record` verb's audio could
    /// not be saved: the disk is full, say; the call goes on with the next verb),
    /// `audio_unavailable` (a prompt could not be played), `unknown_destination`, or
    /// `loop`/`destination_loop` (the call was sent round in circles).
    pub code: String,
    pub message: String,
    /// The URL that failed or that returned the invalid document.
    pub url: Option<String>,
    /// For `invalid_document`: where the document is wrong.
    pub document: Option<VerbError>,
}

/// The body POSTed to a `status_callback`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StatusCallback {
    pub event: CallEvent,
    /// When the event happened (RFC 3339, UTC).
    pub timestamp: String,
    #[serde(flatten)]
    pub call: WebhookRequest,
    /// Seconds from answer to end, on `completed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<CallError>,
}

/// The body POSTed to an application's `status_callback` when a message is left in a
/// mailbox that names it (`voicemail.application_id`), signed like every webhook. The
/// audio is downloaded from `audio_url` with an API key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "event": "voicemail", "timestamp": "2026-11-30T14:05:12.000Z", "mailbox": "58102",
    "message_id": "VM5f0c3e1d2b4a49e8a7c6d5e4f3a2b1c0", "call_sid": "CA0123456789abcdef0123456789abcdef",
    "caller_number": "58101", "caller_name": "Djaouad", "duration_ms": 12000,
    "recording_id": "RE0123456789abcdef0123456789abcdef",
    "audio_url": "/v1/voicemail/58102/messages/VM5f0c3e1d2b4a49e8a7c6d5e4f3a2b1c0/audio"
}))]
pub struct VoicemailEvent {
    /// Always `voicemail`.
    pub event: String,
    /// When the message was left (RFC 3339, UTC).
    pub timestamp: String,
    pub mailbox: String,
    pub message_id: String,
    /// The call that left it.
    pub call_sid: String,
    pub caller_number: String,
    pub caller_name: Option<String>,
    pub duration_ms: u64,
    pub recording_id: String,
    /// The message's WAV, relative to the API's base URL.
    pub audio_url: String,
}

/// The body POSTed to a call's status callback when it joins a queue, is answered by an
/// agent, or leaves unanswered (signed like every webhook).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "event": "queue.answered", "timestamp": "2026-11-30T14:05:12.000Z", "queue": "support",
    "call_sid": "CA0123456789abcdef0123456789abcdef", "caller_number": "58101",
    "agent": "201", "wait_seconds": 12
}))]
pub struct QueueEvent {
    /// `queue.joined`, `queue.answered` or `queue.left`.
    pub event: String,
    /// When it happened (RFC 3339, UTC).
    pub timestamp: String,
    pub queue: String,
    pub call_sid: String,
    pub caller_number: String,
    /// On `queue.joined`: 1 is the next caller offered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<u32>,
    /// On `queue.answered`: the member who answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// On `queue.answered` and `queue.left`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_seconds: Option<u64>,
    /// On `queue.left`: `abandoned` (hung up), `timeout`, `full`, `empty`, `key` or
    /// `left`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The body POSTed to the status callback of a trunk's `application_id` when its
/// registration or its peer's health changes (signed like every webhook).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "event": "trunk.down", "timestamp": "2026-11-30T14:05:12.000Z", "trunk": "server2",
    "reason": "no answer to OPTIONS within 5000 ms"
}))]
pub struct TrunkEvent {
    /// `trunk.registered`, `trunk.registration_failed` (the first failure after a
    /// success, or at start), `trunk.down` (OPTIONS unanswered) or `trunk.up` (answered
    /// again after being down).
    pub event: String,
    /// When it happened (RFC 3339, UTC).
    pub timestamp: String,
    pub trunk: String,
    /// Why, on `trunk.registration_failed` and `trunk.down`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}
