use crate::models::{
    Application, ApplicationCreate, ApplicationList, ApplicationUpdate, ApplicationWithSecret,
};

super::crud_paths! {
    collection = "/v1/applications",
    item = "/v1/applications/{id}",
    tag = "applications",
    key = "id",
    key_doc = "The application id (AP…)",
    create = create_application(ApplicationCreate) -> ApplicationWithSecret, "Create an application. The signing secret is in this answer only.",
    list = list_applications -> ApplicationList, "List applications.",
    get = get_application -> Application, "Get an application.",
    update = update_application(ApplicationUpdate), "Change an application: absent fields are kept, `null` clears an optional field.",
    delete = delete_application, "Delete an application. Deleting an application that a number or destination still points to is refused (409).",
}

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
