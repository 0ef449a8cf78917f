//! Extensions: the SIP accounts phones register with, and their PBX settings.

use super::common::page;
use crate::types::{
    Announcement, ApplicationId, Destination, DisplayName, Email, ExtensionNumber, Patch, RingTime,
    SipPassword, VoicemailPin,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Voicemail settings in a create body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoicemailSettings {
    /// Unanswered calls may leave a message; messages are emailed to the extension's
    /// `email` when it has one.
    #[serde(default)]
    pub enabled: bool,
    /// PIN to listen to messages from a phone (`*97`).
    #[serde(default)]
    pub pin: Option<VoicemailPin>,
    /// An application whose `status_callback` receives a signed `voicemail` event
    /// (`VoicemailEvent`) for each message left, through the outbox (retried, never
    /// lost). It must have a `status_callback`.
    #[serde(default)]
    pub application_id: Option<ApplicationId>,
    /// What a caller hears before the beep. Default: spoken "The person at extension …
    /// is not available. Leave a message after the tone."
    #[serde(default)]
    pub greeting: Option<Announcement>,
    /// Where a caller goes who presses 0 during the greeting (an operator, a
    /// receptionist). Without it, 0 is ignored.
    #[serde(default)]
    pub operator_destination: Option<Destination>,
}

/// Voicemail settings in a `PATCH` body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoicemailUpdate {
    #[serde(default)]
    pub enabled: Option<bool>,
    /// `null` removes the PIN.
    #[serde(default)]
    #[schema(value_type = Option<VoicemailPin>)]
    pub pin: Patch<VoicemailPin>,
    /// `null` stops the `voicemail` events.
    #[serde(default)]
    #[schema(value_type = Option<ApplicationId>)]
    pub application_id: Patch<ApplicationId>,
    /// `null` goes back to the spoken default.
    #[serde(default)]
    #[schema(value_type = Option<Announcement>)]
    pub greeting: Patch<Announcement>,
    #[serde(default)]
    #[schema(value_type = Option<Destination>)]
    pub operator_destination: Patch<Destination>,
}

/// Voicemail settings as returned: the PIN itself is never returned.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct VoicemailInfo {
    pub enabled: bool,
    /// Whether a PIN is set.
    pub pin_set: bool,
    /// The application told of each message (`voicemail` event).
    pub application_id: Option<ApplicationId>,
    /// None: the spoken default.
    pub greeting: Option<Announcement>,
    /// Where 0 during the greeting leads.
    pub operator_destination: Option<Destination>,
}

/// Body of `POST /v1/extensions`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "number": "58101",
    "name": "Djaouad",
    "password": "s3cret-Passw0rd",
    "email": "djaouad@example.com",
    "voicemail": {"enabled": true, "pin": "4321"},
    "ring_time": 20,
    "no_answer_destination": "voicemail:58101"
}))]
pub struct ExtensionCreate {
    pub number: ExtensionNumber,
    /// Caller name shown on the called phone.
    pub name: DisplayName,
    /// SIP password of the extension's phones (write-only).
    pub password: SipPassword,
    #[serde(default)]
    pub email: Option<Email>,
    #[serde(default)]
    pub voicemail: Option<VoicemailSettings>,
    /// Default 20 seconds.
    #[serde(default)]
    pub ring_time: Option<RingTime>,
    /// Where an unanswered call goes after `ring_time`; without it the caller hears that
    /// nobody answered.
    #[serde(default)]
    pub no_answer_destination: Option<Destination>,
    /// Where a call goes when the extension is busy: every device busy, or the call
    /// declined on one. Without it the caller hears busy (486).
    #[serde(default)]
    pub busy_destination: Option<Destination>,
    /// A call arriving while the extension is on a call rings it anyway (default true);
    /// false: it is busy.
    #[serde(default = "yes")]
    pub call_waiting: bool,
}

fn yes() -> bool {
    true
}

/// Body of `PATCH /v1/extensions/{number}`: absent fields are kept, `null` clears.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"ring_time": 30, "email": null}))]
pub struct ExtensionUpdate {
    #[serde(default)]
    pub name: Option<DisplayName>,
    #[serde(default)]
    pub password: Option<SipPassword>,
    #[serde(default)]
    #[schema(value_type = Option<Email>)]
    pub email: Patch<Email>,
    #[serde(default)]
    pub voicemail: Option<VoicemailUpdate>,
    #[serde(default)]
    pub ring_time: Option<RingTime>,
    #[serde(default)]
    #[schema(value_type = Option<Destination>)]
    pub no_answer_destination: Patch<Destination>,
    #[serde(default)]
    #[schema(value_type = Option<Destination>)]
    pub busy_destination: Patch<Destination>,
    #[serde(default)]
    pub call_waiting: Option<bool>,
}

/// An extension as returned (never with its password or PIN).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct Extension {
    pub number: ExtensionNumber,
    pub name: DisplayName,
    pub email: Option<Email>,
    pub voicemail: VoicemailInfo,
    pub ring_time: RingTime,
    pub no_answer_destination: Option<Destination>,
    pub busy_destination: Option<Destination>,
    pub call_waiting: bool,
    #[schema(format = DateTime, example = "2026-11-26T14:00:00.000Z")]
    pub created_at: String,
    #[schema(format = DateTime, example = "2026-11-26T14:00:00.000Z")]
    pub updated_at: String,
}

page!(ExtensionList, Extension, "extensions");
