//! `/v1/registrations`: phones registered to extensions.

use super::next_cursor;
use crate::AppState;
use crate::auth::{Admin, Caller};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Query, page_of};
use crate::storage;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use contract::models::{RegistrationList, RegistrationListParams};

pub async fn list(
    State(state): State<AppState>,
    _: Caller,
    Query(params): Query<RegistrationListParams>,
) -> ApiResult<Json<RegistrationList>> {
    let page = page_of(params.limit, params.cursor.as_deref())?;
    let now = engine::clock::unix_now();
    let (data, last) =
        storage::registrations::list(&state.db, &page, params.extension.as_deref(), now).await?;
    Ok(Json(RegistrationList {
        data,
        next_cursor: next_cursor(last.as_deref()),
    }))
}

pub async fn delete(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    if !storage::registrations::delete(&state.db, &id).await? {
        return Err(ApiError::not_found(format!(
            "registration {id} does not exist"
        )));
    }
    tracing::info!(%id, "registration removed");
    Ok(StatusCode::NO_CONTENT)
}
