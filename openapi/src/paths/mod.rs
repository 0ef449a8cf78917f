//! OpenAPI declarations of the REST endpoints, one module per resource.
//!
//! These functions have no body on purpose: they exist to carry `#[utoipa::path]`
//! attributes, so the contract (paths, parameters, bodies, responses) is written once,
//! here, beside the models. The `api` crate implements every path declared here, and its
//! tests call each one to prove it.

pub mod api_keys;
pub mod applications;
pub mod apps;
pub mod calls;
pub mod daynight;
pub mod extensions;
pub mod feature_codes;
pub mod follow_me;
pub mod health;
pub mod ivrs;
pub mod numbers;
pub mod outbound_routes;
pub mod queues;
pub mod recordings;
pub mod registrations;
pub mod ring_groups;
pub mod time_conditions;
pub mod trunks;
pub mod voicemail;

/// Declares the five operations of a resource with the usual shape: `POST` and `GET` on
/// the collection, `GET`, `PATCH` and `DELETE` on an item named by one path parameter.
macro_rules! crud_paths {
    (
        collection = $collection:literal,
        item = $item:literal,
        tag = $tag:literal,
        key = $key:literal,
        key_doc = $key_doc:literal,
        create = $create:ident($create_body:ty) -> $created:ty, $create_doc:literal,
        list = $list:ident -> $page:ty, $list_doc:literal,
        get = $get:ident -> $model:ty, $get_doc:literal,
        update = $update:ident($update_body:ty), $update_doc:literal,
        delete = $delete:ident, $delete_doc:literal $(,)?
    ) => {
        use crate::error::{
            BadRequest, Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed,
        };
        use crate::models::ListParams;

        #[doc = $create_doc]
        #[utoipa::path(post, path = $collection, tag = $tag,
                                    request_body = $create_body,
                                    responses(
                                        (status = 201, description = "Created", body = $created),
                                        (status = 400, response = BadRequest),
                                        (status = 401, response = Unauthorized),
                                        (status = 403, response = Forbidden),
                                        (status = 409, response = Conflict),
                                        (status = 422, response = ValidationFailed),
                                    ))]
        pub fn $create() {}

        #[doc = $list_doc]
        #[utoipa::path(get, path = $collection, tag = $tag, params(ListParams),
                                    responses(
                                        (status = 200, body = $page),
                                        (status = 400, response = BadRequest),
                                        (status = 401, response = Unauthorized),
                                    ))]
        pub fn $list() {}

        #[doc = $get_doc]
        #[utoipa::path(get, path = $item, tag = $tag,
                                    params(($key = String, Path, description = $key_doc)),
                                    responses(
                                        (status = 200, body = $model),
                                        (status = 401, response = Unauthorized),
                                        (status = 404, response = NotFound),
                                    ))]
        pub fn $get() {}

        #[doc = $update_doc]
        #[utoipa::path(patch, path = $item, tag = $tag,
                                    params(($key = String, Path, description = $key_doc)),
                                    request_body = $update_body,
                                    responses(
                                        (status = 200, body = $model),
                                        (status = 400, response = BadRequest),
                                        (status = 401, response = Unauthorized),
                                        (status = 403, response = Forbidden),
                                        (status = 404, response = NotFound),
                                        (status = 422, response = ValidationFailed),
                                    ))]
        pub fn $update() {}

        #[doc = $delete_doc]
        #[utoipa::path(delete, path = $item, tag = $tag,
                                    params(($key = String, Path, description = $key_doc)),
                                    responses(
                                        (status = 204, description = "Deleted"),
                                        (status = 401, response = Unauthorized),
                                        (status = 403, response = Forbidden),
                                        (status = 404, response = NotFound),
                                        (status = 409, response = Conflict),
                                    ))]
        pub fn $delete() {}
    };
}
pub(crate) use crud_paths;
