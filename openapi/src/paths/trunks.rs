use crate::error::{BadRequest, Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed};
use crate::models::{ListParams, Trunk, TrunkCreate, TrunkList, TrunkUpdate};

/// Create a trunk.
#[utoipa::path(post, path = "/v1/trunks", tag = "trunks",
    request_body = TrunkCreate,
    responses(
        (status = 201, description = "Created", body = Trunk),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
    ))]
pub fn create_trunk() {}

/// List trunks.
#[utoipa::path(get, path = "/v1/trunks", tag = "trunks", params(ListParams),
    responses(
        (status = 200, body = TrunkList),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
    ))]
pub fn list_trunks() {}

/// Get a trunk.
#[utoipa::path(get, path = "/v1/trunks/{name}", tag = "trunks",
    params(("name" = String, Path, description = "The trunk name")),
    responses(
        (status = 200, body = Trunk),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
    ))]
pub fn get_trunk() {}

/// Change a trunk: absent fields are kept, `null` clears an optional field.
#[utoipa::path(patch, path = "/v1/trunks/{name}", tag = "trunks",
    params(("name" = String, Path, description = "The trunk name")),
    request_body = TrunkUpdate,
    responses(
        (status = 200, body = Trunk),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = ValidationFailed),
    ))]
pub fn update_trunk() {}

/// Delete a trunk. Deleting a trunk that an outbound route uses is refused (409).
#[utoipa::path(delete, path = "/v1/trunks/{name}", tag = "trunks",
    params(("name" = String, Path, description = "The trunk name")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    ))]
pub fn delete_trunk() {}
