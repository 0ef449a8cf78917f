//! `/v1/calls`: call records.

use super::next_cursor;
use crate::AppState;
use crate::auth::{Caller, Dialer};
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, Query, page_of};
use crate::storage;
use axum::Json;
use axum::extract::{Path, State};
use contract::models::{Call, CallCreate, CallList, CallListParams, CallUpdate};
use engine::call::live::LiveCommand;
use engine::call::outbound::{FirstDocument, OutboundCall};
use engine::store::Store as _;

pub async fn list(
    State(state): State<AppState>,
    _: Caller,
    Query(params): Query<CallListParams>,
) -> ApiResult<Json<CallList>> {
    let page = page_of(params.limit, params.cursor.as_deref())?;
    let started_from = params
        .started_from
        .as_deref()
        .map(|t| stored_time(t).map_err(|m| ApiError::bad_request(m).at("started_from")))
        .transpose()?;
    let started_before = params
        .started_before
        .as_deref()
        .map(|t| stored_time(t).map_err(|m| ApiError::bad_request(m).at("started_before")))
        .transpose()?;
    let (data, last) = storage::calls::list(
        &state.db,
        &page,
        params.status,
        params.from.as_deref(),
        params.to.as_deref(),
        (started_from.as_deref(), started_before.as_deref()),
    )
    .await?;
    Ok(Json(CallList {
        data,
        next_cursor: next_cursor(last.as_deref()),
    }))
}

/// A time filter as stored (`2026-11-26T14:00:00.000Z`, UTC, so that it compares as
/// text): from RFC 3339 (any offset) or a date (its midnight UTC).
fn stored_time(text: &str) -> Result<String, String> {
    use time::format_description::well_known::Rfc3339;
    let when = match time::OffsetDateTime::parse(text, &Rfc3339) {
        Ok(t) => t,
        Err(_) => time::Date::parse(
            text,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .map(|d| d.midnight().assume_utc())
        .map_err(|_| {
            format!("{text:?} is not a time like 2026-11-26T14:00:00Z or a date like 2026-11-26")
        })?,
    };
    Ok(storage::format_timestamp(when))
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

/// Parses inline verbs like a webhook's answer; errors name `verbs[i].field`.
fn parse_verbs(verbs: &serde_json::Value) -> ApiResult<Vec<contract::verbs::Verb>> {
    let bytes = serde_json::to_vec(verbs).unwrap_or_default();
    contract::verbs::parse_document(&bytes).map_err(|e| {
        let field = match (e.index, &e.field) {
            (Some(i), Some(f)) => format!("verbs[{i}].{f}"),
            (Some(i), None) => format!("verbs[{i}]"),
            _ => "verbs".to_owned(),
        };
        ApiError::invalid(field, e.message)
    })
}

/// The call of a script that gives only its document (`url` or `verbs`): its requests
/// are signed like those to `url:` destinations, with that secret (`GET /v1/apps`).
fn without_application(
    state: &AppState,
    body: &CallCreate,
) -> ApiResult<engine::store::AppWebhooks> {
    let voice_url = match (&body.url, &body.verbs) {
        (Some(url), _) => {
            url::Url::parse(url.as_str()).map_err(|e| ApiError::invalid("url", e.to_string()))?
        }
        // Inline verbs: their relative `action` URLs have nothing to resolve against.
        (None, Some(_)) => state.store.apps().url(""),
        (None, None) => {
            return Err(ApiError::invalid(
                "application_id",
                "give an application_id, or the call's document as url or verbs",
            ));
        }
    };
    Ok(crate::apps::directory::url_app(
        state.store.apps(),
        voice_url,
    ))
}

pub async fn create(
    State(state): State<AppState>,
    _: Dialer,
    JsonBody(body): JsonBody<CallCreate>,
) -> ApiResult<(
    axum::http::StatusCode,
    [(axum::http::header::HeaderName, String); 1],
    Json<Call>,
)> {
    let timeout = body.timeout.unwrap_or(30);
    if !(1..=600).contains(&timeout) {
        return Err(ApiError::invalid(
            "timeout",
            "must be between 1 and 600 seconds",
        ));
    }
    if body.url.is_some() && body.verbs.is_some() {
        return Err(ApiError::invalid(
            "verbs",
            "give either `url` or `verbs`, not both",
        ));
    }
    if body.to.sip_uri().is_none()
        && storage::extensions::get(&state.db, body.to.as_str())
            .await?
            .is_none()
    {
        let routed = state
            .store
            .route_number(body.to.as_str())
            .await
            .map_err(|e| ApiError::internal("cannot read the outbound routes", e))?;
        if routed.is_none() {
            return Err(ApiError::invalid(
                "to",
                format!("{} is no extension and matches no outbound route", body.to),
            ));
        }
    }
    let mut app = match &body.application_id {
        Some(id) => state
            .store
            .application(id.as_str())
            .await
            .map_err(|e| ApiError::internal("cannot read the application", e))?
            .ok_or_else(|| {
                ApiError::invalid("application_id", format!("application {id} does not exist"))
            })?,
        None => without_application(&state, &body)?,
    };
    if let Some(cb) = &body.status_callback {
        app.status_callback = Some(
            url::Url::parse(cb.as_str())
                .map_err(|e| ApiError::invalid("status_callback", e.to_string()))?,
        );
    }
    let first = match (&body.url, &body.verbs) {
        (_, Some(verbs)) => FirstDocument::Verbs(parse_verbs(verbs)?),
        (Some(url), None) => FirstDocument::Url(
            url::Url::parse(url.as_str()).map_err(|e| ApiError::invalid("url", e.to_string()))?,
        ),
        (None, None) => FirstDocument::Url(app.voice_url.clone()),
    };
    let sid = state
        .engine
        .place_call(OutboundCall {
            from: body.from.to_string(),
            to: body.to.clone(),
            app,
            first,
            timeout: std::time::Duration::from_secs(u64::from(timeout)),
        })
        .await;
    let call = storage::calls::get(&state.db, &sid)
        .await?
        .ok_or_else(|| ApiError::internal("cannot read the new call", "no record"))?;
    tracing::info!(%sid, to = %body.to, "outbound call placed through the API");
    Ok((
        axum::http::StatusCode::CREATED,
        [(axum::http::header::LOCATION, format!("/v1/calls/{sid}"))],
        Json(call),
    ))
}

pub async fn update(
    State(state): State<AppState>,
    _: Dialer,
    Path(sid): Path<String>,
    JsonBody(update): JsonBody<CallUpdate>,
) -> ApiResult<Json<Call>> {
    let command = match (update.url, update.verbs, update.status) {
        (Some(url), None, None) => {
            let url = url::Url::parse(url.as_str())
                .map_err(|e| ApiError::invalid("url", e.to_string()))?;
            LiveCommand::Redirect(url)
        }
        (None, Some(verbs), None) => LiveCommand::Verbs(parse_verbs(&verbs)?),
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
        .steer_call(&sid, command)
        .map_err(|e| ApiError::conflict(e.to_string()))?;
    Ok(Json(call))
}

#[cfg(test)]
mod tests {
    use super::stored_time;

    #[test]
    fn time_filters_compare_as_stored() {
        assert_eq!(
            stored_time("2026-11-26T15:00:00+01:00").unwrap(),
            "2026-11-26T14:00:00.000Z"
        );
        assert_eq!(
            stored_time("2026-11-26T14:00:00.25Z").unwrap(),
            "2026-11-26T14:00:00.250Z"
        );
        assert_eq!(
            stored_time("2026-11-26").unwrap(),
            "2026-11-26T00:00:00.000Z"
        );
        for bad in ["yesterday", "2026-13-01", "26/11/2026", ""] {
            assert!(stored_time(bad).is_err(), "{bad}");
        }
    }
}
