//! The error body: `{"error": {"code": "...", "message": "...", "field": "..."}}`.
//!
//! Every non-2xx answer of the REST API has exactly this shape, whatever produced it
//! (validation, auth, storage, an unknown route), so clients need one error handler.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Machine-readable error codes. The HTTP status is implied by the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: the request could not be read (malformed JSON, bad query string, bad cursor).
    BadRequest,
    /// 401: missing, wrong, expired or revoked credentials.
    Unauthorized,
    /// 403: the credentials are valid but their role does not allow this.
    Forbidden,
    /// 404: no such resource or route.
    NotFound,
    /// 405: the route exists but not with this method.
    MethodNotAllowed,
    /// 409: a duplicate, or the resource is still referenced elsewhere.
    Conflict,
    /// 413: the body is larger than the configured limit.
    PayloadTooLarge,
    /// 415: the body's media type is not one this endpoint accepts.
    UnsupportedMediaType,
    /// 422: the body was read but a field is invalid; `field` names it.
    ValidationFailed,
    /// 429: too many requests from this source.
    RateLimited,
    /// 503: a dependency (the database) is unavailable; retry later.
    ServiceUnavailable,
    /// 507: the disk holding the database or the audio files is full; nothing was
    /// written. Retry once space is freed.
    InsufficientStorage,
    /// 500: a bug; the server log has the details.
    Internal,
}

impl ErrorCode {
    /// The HTTP status code that goes with this error code.
    pub fn http_status(self) -> u16 {
        match self {
            Self::BadRequest => 400,
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::Conflict => 409,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::ValidationFailed => 422,
            Self::RateLimited => 429,
            Self::ServiceUnavailable => 503,
            Self::InsufficientStorage => 507,
            Self::Internal => 500,
        }
    }
}

/// The error body of every failed request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"error": {"code": "validation_failed", "message": "must be 2 to 15 digits", "field": "number"}}))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    /// A sentence for humans; stable enough to log, not to parse.
    pub message: String,
    /// The request field at fault (`dial_patterns[0].match_pattern`), or null.
    pub field: Option<String>,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>, field: Option<String>) -> Self {
        Self {
            error: ErrorDetail {
                code,
                message: message.into(),
                field,
            },
        }
    }
}

// Reusable error responses of the OpenAPI document. Each has the `ErrorBody` shape.

/// The request could not be read: malformed JSON, a bad query parameter or cursor.
#[derive(Debug, utoipa::ToResponse)]
#[response(example = json!({"error": {"code": "bad_request", "message": "malformed JSON: expected `,` or `}` at line 1 column 12", "field": null}}))]
pub struct BadRequest(#[allow(dead_code)] ErrorBody);

/// Missing, wrong, expired or revoked credentials.
#[derive(Debug, utoipa::ToResponse)]
#[response(example = json!({"error": {"code": "unauthorized", "message": "missing credentials: send 'Authorization: Bearer <token>' or HTTP Basic key_id:secret", "field": null}}))]
pub struct Unauthorized(#[allow(dead_code)] ErrorBody);

/// The credentials are valid but their role does not allow this request.
#[derive(Debug, utoipa::ToResponse)]
#[response(example = json!({"error": {"code": "forbidden", "message": "this API key is read_only", "field": null}}))]
pub struct Forbidden(#[allow(dead_code)] ErrorBody);

/// No such resource.
#[derive(Debug, utoipa::ToResponse)]
#[response(example = json!({"error": {"code": "not_found", "message": "extension 101 does not exist", "field": null}}))]
pub struct NotFound(#[allow(dead_code)] ErrorBody);

/// A duplicate, or the resource is still used by another one.
#[derive(Debug, utoipa::ToResponse)]
#[response(example = json!({"error": {"code": "conflict", "message": "extension 101 already exists", "field": "number"}}))]
pub struct Conflict(#[allow(dead_code)] ErrorBody);

/// A field is invalid or points to something that does not exist; `field` names it.
#[derive(Debug, utoipa::ToResponse)]
#[response(example = json!({"error": {"code": "validation_failed", "message": "ivr VoicemailCenter does not exist", "field": "no_answer_destination"}}))]
pub struct ValidationFailed(#[allow(dead_code)] ErrorBody);

/// The body is larger than the configured limit.
#[derive(Debug, utoipa::ToResponse)]
#[response(example = json!({"error": {"code": "payload_too_large", "message": "the upload is larger than the limit of 20971520 bytes", "field": null}}))]
pub struct PayloadTooLarge(#[allow(dead_code)] ErrorBody);

/// The body's media type is not accepted here.
#[derive(Debug, utoipa::ToResponse)]
#[response(example = json!({"error": {"code": "unsupported_media_type", "message": "not a WAV file (no RIFF/WAVE header)", "field": "file"}}))]
pub struct UnsupportedMediaType(#[allow(dead_code)] ErrorBody);

/// Too many failed authentications from this address (wrong keys or secrets, forged
/// tokens): every request from it is refused until the block ends; `Retry-After` says
/// in how many seconds.
#[derive(Debug, utoipa::ToResponse)]
#[response(
    example = json!({"error": {"code": "rate_limited", "message": "too many failed authentications from this address: blocked for 300 s more", "field": null}}),
    headers(("Retry-After" = u64, description = "Seconds until the block ends"))
)]
pub struct RateLimited(#[allow(dead_code)] ErrorBody);

/// The database is unavailable; retry later.
#[derive(Debug, utoipa::ToResponse)]
#[response(example = json!({"error": {"code": "service_unavailable", "message": "the database is unavailable, retry later", "field": null}}))]
pub struct ServiceUnavailable(#[allow(dead_code)] ErrorBody);

/// The disk holding the database or the audio files is full: nothing was written (no
/// half-written file, no row). Retry once space is freed.
#[derive(Debug, utoipa::ToResponse)]
#[response(example = json!({"error": {"code": "insufficient_storage", "message": "the disk is full: the recording was not stored", "field": null}}))]
pub struct InsufficientStorage(#[allow(dead_code)] ErrorBody);
