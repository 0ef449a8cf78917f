use crate::error::{BadRequest, Forbidden, NotFound, Unauthorized};
use crate::models::{RegistrationList, RegistrationListParams};

/// List the live registrations (registered phones), optionally of one extension.
#[utoipa::path(get, path = "/v1/registrations", tag = "registrations", params(RegistrationListParams),
    responses(
        (status = 200, body = RegistrationList),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
    ))]
pub fn list_registrations() {}

/// Remove one registration: calls stop reaching that phone until it registers again.
#[utoipa::path(delete, path = "/v1/registrations/{id}", tag = "registrations",
    params(("id" = String, Path, description = "The registration id (RG…)")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ))]
pub fn delete_registration() {}
