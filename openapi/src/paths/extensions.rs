use crate::error::{BadRequest, Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed};
use crate::models::{Extension, ExtensionCreate, ExtensionList, ExtensionUpdate, ListParams};

/// Create an extension.
#[utoipa::path(post, path = "/v1/extensions", tag = "extensions",
    request_body = ExtensionCreate,
    responses(
        (status = 201, description = "Created", body = Extension),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
    ))]
pub fn create_extension() {}

/// List extensions.
#[utoipa::path(get, path = "/v1/extensions", tag = "extensions", params(ListParams),
    responses(
        (status = 200, body = ExtensionList),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
    ))]
pub fn list_extensions() {}

/// Get an extension.
#[utoipa::path(get, path = "/v1/extensions/{number}", tag = "extensions",
    params(("number" = String, Path, description = "The extension number")),
    responses(
        (status = 200, body = Extension),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
    ))]
pub fn get_extension() {}

/// Change an extension: absent fields are kept, `null` clears an optional field.
#[utoipa::path(patch, path = "/v1/extensions/{number}", tag = "extensions",
    params(("number" = String, Path, description = "The extension number")),
    request_body = ExtensionUpdate,
    responses(
        (status = 200, body = Extension),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = ValidationFailed),
    ))]
pub fn update_extension() {}

/// Delete an extension. Deleting an extension that a destination still points to is refused (409).
#[utoipa::path(delete, path = "/v1/extensions/{number}", tag = "extensions",
    params(("number" = String, Path, description = "The extension number")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    ))]
pub fn delete_extension() {}
