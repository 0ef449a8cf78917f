use crate::error::{BadRequest, Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed};
use crate::models::{ListParams, Number, NumberCreate, NumberList, NumberUpdate};

/// Create an inbound number.
#[utoipa::path(post, path = "/v1/numbers", tag = "numbers",
    request_body = NumberCreate,
    responses(
        (status = 201, description = "Created", body = Number),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
    ))]
pub fn create_number() {}

/// List inbound numbers.
#[utoipa::path(get, path = "/v1/numbers", tag = "numbers", params(ListParams),
    responses(
        (status = 200, body = NumberList),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
    ))]
pub fn list_numbers() {}

/// Get an inbound number.
#[utoipa::path(get, path = "/v1/numbers/{number}", tag = "numbers",
    params(("number" = String, Path, description = "The inbound number, with its leading + URL-encoded as %2B")),
    responses(
        (status = 200, body = Number),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
    ))]
pub fn get_number() {}

/// Change an inbound number: absent fields are kept, `null` clears an optional field.
#[utoipa::path(patch, path = "/v1/numbers/{number}", tag = "numbers",
    params(("number" = String, Path, description = "The inbound number, with its leading + URL-encoded as %2B")),
    request_body = NumberUpdate,
    responses(
        (status = 200, body = Number),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = ValidationFailed),
    ))]
pub fn update_number() {}

/// Delete an inbound number.
#[utoipa::path(delete, path = "/v1/numbers/{number}", tag = "numbers",
    params(("number" = String, Path, description = "The inbound number, with its leading + URL-encoded as %2B")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    ))]
pub fn delete_number() {}
