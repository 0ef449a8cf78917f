//! `/v1/calls`: call records.

use super::next_cursor;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, Query, page_of};
use crate::storage;
use axum::Json;
use axum::extract::{Path, State};
use contract::models::{Call, CallList, CallListParams, CallUpdate};
use engine::app::LiveCommand;

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

pub async fn update(
    State(state): State<AppState>,
    _: Caller,
    Path(sid): Path<String>,
    JsonBody(update): JsonBody<CallUpdate>,
) -> ApiResult<Json<Call>> {
    let command = match (update.url, update.verbs, update.status) {
        (Some(url), None, None) => {
            let url = url::Url::parse(url.as_str())
                .map_err(|e| ApiError::invalid("url", e.to_string()))?;
            LiveCommand::Redirect(url)
        }
        (None, Some(verbs), None) => {
            let bytes = serde_json::to_vec(&verbs).unwrap_or_default();
            let verbs = contract::verbs::parse_document(&bytes).map_err(|e| {
                let field = match (e.index, &e.field) {
                    (Some(i), Some(f)) => format!("verbs[{i}].{f}"),
                    (Some(i), None) => format!("verbs[{i}]"),
                    _ => "verbs".to_owned(),
                };
                ApiError::invalid(field, e.message)
            })?;
            LiveCommand::Verbs(verbs)
        }
        (None, None, Some(_)) => LiveCommand::Hangup,
        (None, None, None) => {
            return Err(ApiError::invalid(
                "url",
                "give one of `url`, `verbs` or `status: completed`",
            ));
        }
        _ => {
            return Err(ApiError::invalid(
                "url",
                "give only one of `url`, `verbs` or `status`",
            ));
        }
    };
    let call = storage::calls::get(&state.db, &sid)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("call {sid} does not exist")))?;
    state
        .engine
        .live
        .send(&sid, command)
        .map_err(|e| ApiError::conflict(e.to_string()))?;
    Ok(Json(call))
}
