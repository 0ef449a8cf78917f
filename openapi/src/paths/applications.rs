use crate::error::{BadRequest, Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed};
use crate::models::{
    Application, ApplicationCreate, ApplicationList, ApplicationUpdate, ApplicationWithSecret,
    ListParams,
};

/// Create an application. The signing secret is in this answer only.
#[utoipa::path(post, path = "/v1/applications", tag = "applications",
    request_body = ApplicationCreate,
    responses(
        (status = 201, description = "Created", body = ApplicationWithSecret),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
    ))]
pub fn create_application() {}

/// List applications.
#[utoipa::path(get, path = "/v1/applications", tag = "applications", params(ListParams),
    responses(
        (status = 200, body = ApplicationList),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
    ))]
pub fn list_applications() {}

/// Get an application.
#[utoipa::path(get, path = "/v1/applications/{id}", tag = "applications",
    params(("id" = String, Path, description = "The application id (AP…)")),
    responses(
        (status = 200, body = Application),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
    ))]
pub fn get_application() {}

/// Change an application: absent fields are kept, `null` clears an optional field.
#[utoipa::path(patch, path = "/v1/applications/{id}", tag = "applications",
    params(("id" = String, Path, description = "The application id (AP…)")),
    request_body = ApplicationUpdate,
    responses(
        (status = 200, body = Application),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = ValidationFailed),
    ))]
pub fn update_application() {}

/// Delete an application. Deleting an application that a number or destination still points to is refused (409).
#[utoipa::path(delete, path = "/v1/applications/{id}", tag = "applications",
    params(("id" = String, Path, description = "The application id (AP…)")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    ))]
pub fn delete_application() {}

/// Replace the application's signing secret; the old one stops working at once. The new
/// secret is in this answer only.
#[utoipa::path(post, path = "/v1/applications/{id}/signing-secret", tag = "applications",
    params(("id" = String, Path, description = "The application id (AP…)")),
    responses(
        (status = 200, body = ApplicationWithSecret),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ))]
pub fn rotate_application_secret() {}
