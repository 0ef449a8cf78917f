//! `/v1/ring-groups`: numbers that ring several phones by a strategy.

use super::{created, next_cursor};
use crate::AppState;
use crate::auth::{Admin, Caller};
use crate::destinations;
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, Query, page_request};
use crate::storage::{self, StorageError};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use contract::models::{ListParams, RingGroup, RingGroupCreate, RingGroupList, RingGroupUpdate};
use contract::types::{Destination, ExtensionNumber};

const MAX_MEMBERS: usize = 32;
const MAX_PREFIX: usize = 20;

fn not_found(number: &str) -> ApiError {
    ApiError::not_found(format!("ring group {number} does not exist"))
}

/// Every setting of `group` that names something must name something that exists.
async fn check(state: &AppState, group: &RingGroup) -> ApiResult<()> {
    destinations::check_members(&state.db, "members", &group.members, MAX_MEMBERS).await?;
    if let Some(i) = group
        .members
        .iter()
        .position(|m| m.as_str() == group.number.as_str())
    {
        return Err(ApiError::invalid(
            format!("members[{i}]"),
            "a ring group cannot ring itself",
        ));
    }
    if let Some(a) = &group.announcement {
        destinations::check_announcement(&state.db, "announcement", a).await?;
    }
    if let Some(m) = &group.music {
        destinations::check_recording(&state.db, "music", m).await?;
    }
    if let Some(prefix) = &group.caller_name_prefix {
        let chars = prefix.chars().count();
        if chars == 0 || chars > MAX_PREFIX || prefix.chars().any(char::is_control) {
            return Err(ApiError::invalid(
                "caller_name_prefix",
                format!("must be 1 to {MAX_PREFIX} characters without control characters"),
            ));
        }
    }
    match &group.no_answer_destination {
        Some(Destination::RingGroup(n)) if *n == group.number => Err(ApiError::invalid(
            "no_answer_destination",
            "a ring group cannot send unanswered calls back to itself (it would ring forever)",
        )),
        Some(d) => destinations::check(&state.db, "no_answer_destination", d).await,
        None => Ok(()),
    }
}

pub async fn create(
    State(state): State<AppState>,
    Admin(_): Admin,
    JsonBody(body): JsonBody<RingGroupCreate>,
) -> ApiResult<Response> {
    destinations::not_an_extension(&state.db, &body.number, "number").await?;
    destinations::not_a_queue(&state.db, &body.number, "number", None).await?;
    let now = storage::now();
    let group = RingGroup {
        number: body.number,
        name: body.name,
        members: body.members,
        strategy: body.strategy,
        ring_time: body.ring_time.unwrap_or_default(),
        announcement: body.announcement,
        caller_name_prefix: body.caller_name_prefix,
        music: body.music,
        no_answer_destination: body.no_answer_destination,
        created_at: now.clone(),
        updated_at: now,
    };
    check(&state, &group).await?;
    match storage::ring_groups::insert(&state.db, &group).await {
        Err(StorageError::Duplicate) => Err(ApiError::conflict(format!(
            "ring group {} already exists",
            group.number
        ))
        .at("number")),
        other => other.map_err(ApiError::from),
    }?;
    tracing::info!(number = %group.number, "ring group created");
    Ok(created(&format!("/v1/ring-groups/{}", group.number), group))
}

pub async fn list(
    State(state): State<AppState>,
    _: Caller,
    Query(params): Query<ListParams>,
) -> ApiResult<Json<RingGroupList>> {
    let (data, last) = storage::ring_groups::list(&state.db, &page_request(&params)?).await?;
    Ok(Json(RingGroupList {
        data,
        next_cursor: next_cursor(last.as_deref()),
    }))
}

pub async fn get(
    State(state): State<AppState>,
    _: Caller,
    Path(number): Path<String>,
) -> ApiResult<Json<RingGroup>> {
    let group = storage::ring_groups::get(&state.db, &number)
        .await?
        .ok_or_else(|| not_found(&number))?;
    Ok(Json(group))
}

pub async fn update(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(number): Path<String>,
    JsonBody(body): JsonBody<RingGroupUpdate>,
) -> ApiResult<Json<RingGroup>> {
    let mut group = storage::ring_groups::get(&state.db, &number)
        .await?
        .ok_or_else(|| not_found(&number))?;
    if let Some(name) = body.name {
        group.name = name;
    }
    if let Some(members) = body.members {
        group.members = members;
    }
    if let Some(strategy) = body.strategy {
        group.strategy = strategy;
    }
    if let Some(ring_time) = body.ring_time {
        group.ring_time = ring_time;
    }
    group.announcement = body.announcement.apply(group.announcement.take());
    group.caller_name_prefix = body
        .caller_name_prefix
        .apply(group.caller_name_prefix.take());
    group.music = body.music.apply(group.music.take());
    group.no_answer_destination = body
        .no_answer_destination
        .apply(group.no_answer_destination.take());
    check(&state, &group).await?;
    group.updated_at = storage::now();
    if !storage::ring_groups::update(&state.db, &group).await? {
        return Err(not_found(&number));
    }
    Ok(Json(group))
}

pub async fn delete(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(number): Path<String>,
) -> ApiResult<StatusCode> {
    let parsed = ExtensionNumber::parse(&number).map_err(|_| not_found(&number))?;
    destinations::ensure_unreferenced(
        &state.db,
        &format!("ring group {number}"),
        &[Destination::RingGroup(parsed)],
        &[],
    )
    .await?;
    if !storage::ring_groups::delete(&state.db, &number).await? {
        return Err(not_found(&number));
    }
    tracing::info!(%number, "ring group deleted");
    Ok(StatusCode::NO_CONTENT)
}
