use crate::error::{BadRequest, Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed};
use crate::models::{
    ApiKey, ApiKeyCreate, ApiKeyCreated, ApiKeyList, ListParams, TokenRequest, TokenResponse,
};

/// Exchange an API key for a short-lived bearer token (JWT).
#[utoipa::path(post, path = "/v1/auth/token", tag = "auth", security(()),
    request_body = TokenRequest,
    responses(
        (status = 200, description = "A bearer token", body = TokenResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 422, response = ValidationFailed),
    ))]
pub fn create_token() {}

/// Create an API key. The secret is in this answer only.
#[utoipa::path(post, path = "/v1/api-keys", tag = "api-keys",
    request_body = ApiKeyCreate,
    responses(
        (status = 201, description = "Created; the secret is shown once", body = ApiKeyCreated),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = ValidationFailed),
    ))]
pub fn create_api_key() {}

/// List API keys, revoked ones included.
#[utoipa::path(get, path = "/v1/api-keys", tag = "api-keys", params(ListParams),
    responses(
        (status = 200, body = ApiKeyList),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    ))]
pub fn list_api_keys() {}

/// Get an API key.
#[utoipa::path(get, path = "/v1/api-keys/{key_id}", tag = "api-keys",
    params(("key_id" = String, Path, description = "The key's id")),
    responses(
        (status = 200, body = ApiKey),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ))]
pub fn get_api_key() {}

/// Revoke an API key: its credentials and the tokens issued for it stop working at once.
/// The last active admin key cannot be revoked.
#[utoipa::path(delete, path = "/v1/api-keys/{key_id}", tag = "api-keys",
    params(("key_id" = String, Path, description = "The key's id")),
    responses(
        (status = 200, description = "Revoked", body = ApiKey),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    ))]
pub fn revoke_api_key() {}
