//! Extensions: the SIP accounts phones register with, and their PBX settings.

use super::common::page;
use crate::types::{
    Announcement, ApplicationId, Destination, DisplayName, Email, ExtensionNumber, Patch, RingTime,
    SipPassword, TimeZoneName, VoicemailPin,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The variables a voicemail email's `subject` and `body` may use, as `{name}`.
pub const EMAIL_VARIABLES: [&str; 7] = [
    "caller",
    "caller_number",
    "caller_name",
    "mailbox",
    "mailbox_name",
    "date",
    "duration",
];

/// How a mailbox's emails read, and what becomes of a message once emailed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "subject": "Voicemail from {caller} ({duration})",
    "body": "{mailbox_name}, {caller} left you a message on {date}. It lasts {duration}.",
    "time_zone": "Europe/Brussels",
    "delete_after_email": true
}))]
pub struct VoicemailEmailOptions {
    /// The subject (1 to 200 characters) with `{caller}` (name and number),
    /// `{caller_number}`, `{caller_name}`, `{mailbox}`, `{mailbox_name}`, `{date}` and
    /// `{duration}` (m:ss) replaced. Default: "New voicemail from {caller} for
    /// {mailbox_name} ({mailbox})".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The text (1 to 4000 characters, same variables), sent as plain text and HTML.
    /// Default: who called, when, how long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The IANA time zone `{date}` is written in. Default: the server's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<TimeZoneName>,
    /// Delete the message (and its audio) once its email is delivered, as a PBX's
    /// "delete after email". Needs the extension's `email`. Default false.
    #[serde(default)]
    pub delete_after_email: bool,
}

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
    /// What a caller hears before the beep when the extension was busy (it reached the
    /// mailbox through the extension's `busy_destination`). Default: spoken "The person
    /// at extension … is on the phone. Leave a message after the tone."
    #[serde(default)]
    pub busy_greeting: Option<Announcement>,
    /// Where a caller goes who presses 0 during the greeting (an operator, a
    /// receptionist). Without it, 0 is ignored.
    #[serde(default)]
    pub operator_destination: Option<Destination>,
    /// How the emails read (templates, time zone) and delete-after-email.
    #[serde(default)]
    pub email_options: Option<VoicemailEmailOptions>,
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
    /// `null` goes back to the spoken default.
    #[serde(default)]
    #[schema(value_type = Option<Announcement>)]
    pub busy_greeting: Patch<Announcement>,
    #[serde(default)]
    #[schema(value_type = Option<Destination>)]
    pub operator_destination: Patch<Destination>,
    /// Replaces the email options; `null` goes back to the defaults.
    #[serde(default)]
    #[schema(value_type = Option<VoicemailEmailOptions>)]
    pub email_options: Patch<VoicemailEmailOptions>,
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
    /// When the extension was busy. None: the spoken default.
    pub busy_greeting: Option<Announcement>,
    /// Where 0 during the greeting leads.
    pub operator_destination: Option<Destination>,
    /// None: the default email, kept after sending.
    pub email_options: Option<VoicemailEmailOptions>,
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
    /// Which outbound routes its calls, follow-me and `number:` destinations may use,
    /// by their class (default `international`: every route).
    #[serde(default)]
    pub outbound: super::outbound_routes::OutboundPermission,
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
    #[serde(default)]
    pub outbound: Option<super::outbound_routes::OutboundPermission>,
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
    pub outbound: super::outbound_routes::OutboundPermission,
    #[schema(format = DateTime, example = "2026-11-26T14:00:00.000Z")]
    pub created_at: String,
    #[schema(format = DateTime, example = "2026-11-26T14:00:00.000Z")]
    pub updated_at: String,
}

page!(ExtensionList, Extension, "extensions");
