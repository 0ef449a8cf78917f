use crate::error::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType,
    ValidationFailed,
};
use crate::models::{
    Recording, RecordingList, RecordingListParams, RecordingUpdate, RecordingUpload,
    RecordingUploadParams,
};

/// Upload a recording: a WAV file (PCM 8/16/24/32-bit or float, any sample rate, mono or
/// stereo), converted to 8 kHz mono 16-bit. Send `multipart/form-data` with the fields
/// `name` and `file`, or a raw `audio/wav` body with `?name=`.
#[utoipa::path(post, path = "/v1/recordings", tag = "recordings",
    params(RecordingUploadParams),
    request_body(content(
        (RecordingUpload = "multipart/form-data"),
        (Vec<u8> = "audio/wav"),
    )),
    responses(
        (status = 201, description = "Stored", body = Recording),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = ValidationFailed),
    ))]
pub fn create_recording() {}

/// List recordings, optionally of one kind.
#[utoipa::path(get, path = "/v1/recordings", tag = "recordings", params(RecordingListParams),
    responses(
        (status = 200, body = RecordingList),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
    ))]
pub fn list_recordings() {}

/// Get a recording by id or by name.
#[utoipa::path(get, path = "/v1/recordings/{id}", tag = "recordings",
    params(("id" = String, Path, description = "The recording id (RE…) or name")),
    responses(
        (status = 200, body = Recording),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
    ))]
pub fn get_recording() {}

/// Download a recording's audio: 8 kHz mono 16-bit PCM WAV.
#[utoipa::path(get, path = "/v1/recordings/{id}/audio", tag = "recordings",
    params(("id" = String, Path, description = "The recording id (RE…) or name")),
    responses(
        (status = 200, description = "The WAV file", content_type = "audio/wav", body = Vec<u8>),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
    ))]
pub fn get_recording_audio() {}

/// Rename a recording.
#[utoipa::path(patch, path = "/v1/recordings/{id}", tag = "recordings",
    params(("id" = String, Path, description = "The recording id (RE…) or name")),
    request_body = RecordingUpdate,
    responses(
        (status = 200, body = Recording),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
    ))]
pub fn update_recording() {}

/// Delete a recording and its audio file.
#[utoipa::path(delete, path = "/v1/recordings/{id}", tag = "recordings",
    params(("id" = String, Path, description = "The recording id (RE…) or name")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ))]
pub fn delete_recording() {}
