use crate::error::{BadRequest, Conflict, NotFound, Unauthorized, ValidationFailed};
use crate::models::{Call, CallCreate, CallList, CallListParams, CallUpdate};

/// List call records, newest first, filtered by `status`, `from`, `to` and start time
/// (`started_from` inclusive, `started_before` exclusive).
#[utoipa::path(get, path = "/v1/calls", tag = "calls", params(CallListParams),
    responses(
        (status = 200, body = CallList),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
    ))]
pub fn list_calls() {}

/// Get a call record.
#[utoipa::path(get, path = "/v1/calls/{sid}", tag = "calls",
    params(("sid" = String, Path, description = "The call sid (CA…)")),
    responses(
        (status = 200, body = Call),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
    ))]
pub fn get_call() {}

/// Steer a live call: replace what it is doing with the document at `url` or with inline
/// `verbs`, or hang it up with `status: completed`. 409 when the call is not in progress.
#[utoipa::path(post, path = "/v1/calls/{sid}", tag = "calls",
    params(("sid" = String, Path, description = "The call sid (CA…)")),
    request_body = CallUpdate,
    responses(
        (status = 200, body = Call, description = "The order was given to the call"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
    ))]
pub fn update_call() {}

/// Place a call: ring an extension's devices, a number through the outbound routes
/// (the route's trunks in turn when one fails) or a SIP URI and, once answered, run the
/// verb document (`verbs`, `url`, or the application's `voice_url`). Returns at once with the
/// call record (status `queued`); follow it with `GET /v1/calls/{sid}` or the status
/// callback.
#[utoipa::path(post, path = "/v1/calls", tag = "calls",
    request_body = CallCreate,
    responses(
        (status = 201, body = Call, description = "The call is being placed"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 422, response = ValidationFailed),
    ))]
pub fn create_call() {}
