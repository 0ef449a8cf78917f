//! `/v1/auth/token` and `/v1/api-keys`.

use super::{created, next_cursor};
use crate::AppState;
use crate::auth::{Admin, secrets};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ClientIp, JsonBody, Query, page_request};
use crate::storage::api_keys::{self, RevokeOutcome};
use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use contract::models::{
    ApiKey, ApiKeyCreate, ApiKeyCreated, ApiKeyList, ListParams, TokenRequest, TokenResponse,
};
use contract::types::ApiKeyId;

pub async fn create_token(
    State(state): State<AppState>,
    ClientIp(source): ClientIp,
    JsonBody(body): JsonBody<TokenRequest>,
) -> ApiResult<Json<TokenResponse>> {
    Ok(Json(
        state
            .auth
            .issue_token(&body.key_id, &body.secret, source)
            .await?,
    ))
}

pub async fn create(
    State(state): State<AppState>,
    Admin(caller): Admin,
    JsonBody(body): JsonBody<ApiKeyCreate>,
) -> ApiResult<Response> {
    let key_id = ApiKeyId::from_random(secrets::random_bytes());
    let secret = secrets::new_api_secret();
    let key = api_keys::insert(
        &state.db,
        &key_id,
        body.name.as_str(),
        body.role,
        &secrets::hash_api_secret(&secret),
    )
    .await?;
    tracing::info!(key_id = %key.key_id, role = key.role.as_str(), by = %caller.key_id, "API key created");
    Ok(created(
        &format!("/v1/api-keys/{key_id}"),
        ApiKeyCreated { key, secret },
    ))
}

pub async fn list(
    State(state): State<AppState>,
    Admin(_): Admin,
    Query(params): Query<ListParams>,
) -> ApiResult<Json<ApiKeyList>> {
    let (data, last) = api_keys::list(&state.db, &page_request(&params)?).await?;
    Ok(Json(ApiKeyList {
        data,
        next_cursor: next_cursor(last.as_deref()),
    }))
}

fn not_found(key_id: &str) -> ApiError {
    ApiError::not_found(format!("API key {key_id} does not exist"))
}

pub async fn get(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(key_id): Path<String>,
) -> ApiResult<Json<ApiKey>> {
    let id = ApiKeyId::parse(&key_id).map_err(|_| not_found(&key_id))?;
    let stored = api_keys::get(&state.db, &id)
        .await?
        .ok_or_else(|| not_found(&key_id))?;
    Ok(Json(stored.key))
}

pub async fn revoke(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path(key_id): Path<String>,
) -> ApiResult<Json<ApiKey>> {
    let id = ApiKeyId::parse(&key_id).map_err(|_| not_found(&key_id))?;
    match api_keys::revoke(&state.db, &id).await? {
        RevokeOutcome::NotFound => Err(not_found(&key_id)),
        RevokeOutcome::LastAdmin => Err(ApiError::conflict(format!(
            "API key {key_id} is the last active admin key; create another admin key first"
        ))),
        RevokeOutcome::Revoked(key) => {
            state.auth.forget(id.as_str());
            tracing::info!(key_id = %id, by = %caller.key_id, "API key revoked");
            Ok(Json(key))
        }
    }
}
