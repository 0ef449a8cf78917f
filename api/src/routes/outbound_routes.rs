//! `/v1/outbound-routes`: which dialled numbers leave through which trunks.

use super::{created, next_cursor};
use crate::AppState;
use crate::auth::{Admin, Caller};
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, Query, page_request};
use crate::storage::{self, StorageError};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use contract::models::{
    ListParams, OutboundRoute, OutboundRouteCreate, OutboundRouteList, OutboundRouteUpdate,
};
use contract::types::{DialRule, ResourceName};

const DEFAULT_PRIORITY: u32 = 100;
const MAX_PRIORITY: u32 = 1_000_000;
const MAX_PATTERNS: usize = 200;
const MAX_TRUNKS: usize = 20;

fn not_found(name: &str) -> ApiError {
    ApiError::not_found(format!("outbound route {name} does not exist"))
}

fn check_patterns(patterns: &[DialRule]) -> ApiResult<()> {
    if patterns.is_empty() {
        return Err(ApiError::invalid(
            "dial_patterns",
            "give at least one dial pattern",
        ));
    }
    if patterns.len() > MAX_PATTERNS {
        return Err(ApiError::invalid(
            "dial_patterns",
            format!("at most {MAX_PATTERNS} dial patterns"),
        ));
    }
    Ok(())
}

/// The trunk sequence: not empty, no repeats, every trunk existing.
async fn check_trunks(state: &AppState, trunks: &[ResourceName]) -> ApiResult<()> {
    if trunks.is_empty() {
        return Err(ApiError::invalid("trunks", "give at least one trunk"));
    }
    if trunks.len() > MAX_TRUNKS {
        return Err(ApiError::invalid(
            "trunks",
            format!("at most {MAX_TRUNKS} trunks"),
        ));
    }
    for (i, trunk) in trunks.iter().enumerate() {
        if trunks[..i].contains(trunk) {
            return Err(ApiError::invalid(
                format!("trunks[{i}]"),
                format!("trunk {trunk} is already earlier in the sequence"),
            ));
        }
        if !storage::trunks::exists(&state.db, trunk.as_str()).await? {
            return Err(ApiError::invalid(
                format!("trunks[{i}]"),
                format!("trunk {trunk} does not exist"),
            ));
        }
    }
    Ok(())
}

fn check_priority(priority: u32) -> ApiResult<u32> {
    if priority > MAX_PRIORITY {
        Err(ApiError::invalid(
            "priority",
            format!("must be 0 to {MAX_PRIORITY}"),
        ))
    } else {
        Ok(priority)
    }
}

/// Turns a foreign-key refusal (a trunk deleted meanwhile) into a field error.
fn map_write_error(e: StorageError) -> ApiError {
    match e {
        StorageError::ForeignKey => {
            ApiError::invalid("trunks", "a trunk of the sequence was deleted meanwhile")
        }
        other => other.into(),
    }
}

pub async fn create(
    State(state): State<AppState>,
    Admin(_): Admin,
    JsonBody(body): JsonBody<OutboundRouteCreate>,
) -> ApiResult<Response> {
    check_patterns(&body.dial_patterns)?;
    check_trunks(&state, &body.trunks).await?;
    let now = storage::now();
    let route = OutboundRoute {
        name: body.name,
        priority: check_priority(body.priority.unwrap_or(DEFAULT_PRIORITY))?,
        dial_patterns: body.dial_patterns,
        trunks: body.trunks,
        caller_id: body.caller_id,
        class: body.class,
        created_at: now.clone(),
        updated_at: now,
    };
    match storage::outbound_routes::insert(&state.db, &route).await {
        Err(StorageError::Duplicate) => Err(ApiError::conflict(format!(
            "outbound route {} already exists",
            route.name
        ))
        .at("name")),
        other => other.map_err(map_write_error),
    }?;
    tracing::info!(name = %route.name, "outbound route created");
    Ok(created(
        &format!("/v1/outbound-routes/{}", route.name),
        route,
    ))
}

pub async fn list(
    State(state): State<AppState>,
    _: Caller,
    Query(params): Query<ListParams>,
) -> ApiResult<Json<OutboundRouteList>> {
    let (data, last) = storage::outbound_routes::list(&state.db, &page_request(&params)?).await?;
    Ok(Json(OutboundRouteList {
        data,
        next_cursor: next_cursor(last.as_deref()),
    }))
}

pub async fn get(
    State(state): State<AppState>,
    _: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<OutboundRoute>> {
    let route = storage::outbound_routes::get(&state.db, &name)
        .await?
        .ok_or_else(|| not_found(&name))?;
    Ok(Json(route))
}

pub async fn update(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<OutboundRouteUpdate>,
) -> ApiResult<Json<OutboundRoute>> {
    let mut route = storage::outbound_routes::get(&state.db, &name)
        .await?
        .ok_or_else(|| not_found(&name))?;
    if let Some(patterns) = body.dial_patterns {
        check_patterns(&patterns)?;
        route.dial_patterns = patterns;
    }
    if let Some(trunks) = body.trunks {
        check_trunks(&state, &trunks).await?;
        route.trunks = trunks;
    }
    route.caller_id = body.caller_id.apply(route.caller_id.take());
    if let Some(class) = body.class {
        route.class = class;
    }
    if let Some(priority) = body.priority {
        route.priority = check_priority(priority)?;
    }
    route.updated_at = storage::now();
    if !storage::outbound_routes::update(&state.db, &route)
        .await
        .map_err(map_write_error)?
    {
        return Err(not_found(&name));
    }
    Ok(Json(route))
}

pub async fn delete(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    if !storage::outbound_routes::delete(&state.db, &name).await? {
        return Err(not_found(&name));
    }
    tracing::info!(%name, "outbound route deleted");
    Ok(StatusCode::NO_CONTENT)
}
