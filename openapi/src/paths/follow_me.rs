use crate::error::{BadRequest, Forbidden, NotFound, Unauthorized, ValidationFailed};
use crate::models::{FollowMe, FollowMeUpdate};

/// Get an extension's follow-me.
#[utoipa::path(get, path = "/v1/extensions/{number}/follow-me", tag = "extensions",
    params(("number" = String, Path, description = "The extension number")),
    responses(
        (status = 200, body = FollowMe),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
    ))]
pub fn get_follow_me() {}

/// Set (create or replace) an extension's follow-me.
#[utoipa::path(put, path = "/v1/extensions/{number}/follow-me", tag = "extensions",
    params(("number" = String, Path, description = "The extension number")),
    request_body = FollowMe,
    responses(
        (status = 200, body = FollowMe),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = ValidationFailed),
    ))]
pub fn put_follow_me() {}

/// Change an extension's follow-me (`{"enabled": false}` turns it off, as `*21` does).
#[utoipa::path(patch, path = "/v1/extensions/{number}/follow-me", tag = "extensions",
    params(("number" = String, Path, description = "The extension number")),
    request_body = FollowMeUpdate,
    responses(
        (status = 200, body = FollowMe),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = ValidationFailed),
    ))]
pub fn update_follow_me() {}

/// Remove an extension's follow-me.
#[utoipa::path(delete, path = "/v1/extensions/{number}/follow-me", tag = "extensions",
    params(("number" = String, Path, description = "The extension number")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ))]
pub fn delete_follow_me() {}
