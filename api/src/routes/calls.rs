//! `/v1/calls`: call records.

use super::next_cursor;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Query, page_of};
use crate::storage;
use axum::Json;
use axum::extract::{Path, State};
use contract::models::{Call, CallList, CallListParams};

pub async fn list(
    State(state): State<AppState>,
    _: Caller,
    Query(params): Query<CallListParams>,
) -> ApiResult<Json<CallList>> {
    let page = page_of(params.limit, params.cursor.as_deref())?;
    let (data, last) = storage::calls::list(
        &state.db,
        &page,
        params.status,
        params.from.as_deref(),
        params.to.as_deref(),
    )
    .await?;
    Ok(Json(CallList {
        data,
        next_cursor: next_cursor(last.as_deref()),
    }))
}

pub async fn get(
    State(state): State<AppState>,
    _: Caller,
    Path(sid): Path<String>,
) -> ApiResult<Json<Call>> {
    let call = storage::calls::get(&state.db, &sid)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("call {sid} does not exist")))?;
    Ok(Json(call))
}
