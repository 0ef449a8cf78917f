use crate::error::{BadRequest, Forbidden, NotFound, Unauthorized, ValidationFailed};
use crate::models::{
    VoicemailListParams, VoicemailMessage, VoicemailMessageList, VoicemailMessageUpdate,
};

/// List the messages of a mailbox, oldest first, optionally of one folder.
#[utoipa::path(get, path = "/v1/voicemail/{mailbox}/messages", tag = "voicemail",
    params(("mailbox" = String, Path, description = "The extension number"), VoicemailListParams),
    responses(
        (status = 200, body = VoicemailMessageList),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
    ))]
pub fn list_voicemail_messages() {}

/// Get a message.
#[utoipa::path(get, path = "/v1/voicemail/{mailbox}/messages/{id}", tag = "voicemail",
    params(("mailbox" = String, Path, description = "The extension number"),
           ("id" = String, Path, description = "The message id (VM…)")),
    responses(
        (status = 200, body = VoicemailMessage),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
    ))]
pub fn get_voicemail_message() {}

/// Download a message's audio: 8 kHz mono 16-bit PCM WAV.
#[utoipa::path(get, path = "/v1/voicemail/{mailbox}/messages/{id}/audio", tag = "voicemail",
    params(("mailbox" = String, Path, description = "The extension number"),
           ("id" = String, Path, description = "The message id (VM…)")),
    responses(
        (status = 200, description = "The WAV file", content_type = "audio/wav", body = Vec<u8>),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
    ))]
pub fn get_voicemail_message_audio() {}

/// Move a message to the `new` or `saved` folder.
#[utoipa::path(patch, path = "/v1/voicemail/{mailbox}/messages/{id}", tag = "voicemail",
    params(("mailbox" = String, Path, description = "The extension number"),
           ("id" = String, Path, description = "The message id (VM…)")),
    request_body = VoicemailMessageUpdate,
    responses(
        (status = 200, body = VoicemailMessage),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = ValidationFailed),
    ))]
pub fn update_voicemail_message() {}

/// Delete a message and its audio (an email not yet sent for it is dropped).
#[utoipa::path(delete, path = "/v1/voicemail/{mailbox}/messages/{id}", tag = "voicemail",
    params(("mailbox" = String, Path, description = "The extension number"),
           ("id" = String, Path, description = "The message id (VM…)")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ))]
pub fn delete_voicemail_message() {}
