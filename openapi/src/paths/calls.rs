use crate::error::{BadRequest, NotFound, Unauthorized};
use crate::models::{Call, CallList, CallListParams};

/// List call records, newest first.
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
