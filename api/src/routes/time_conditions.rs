//! `/v1/time-conditions`: schedules that send calls one way inside them and another
//! outside, with an override.

use super::{created, next_cursor};
use crate::AppState;
use crate::apps::schedule::{self, Schedule};
use crate::auth::{Admin, Caller};
use crate::destinations;
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, Query, page_request};
use crate::storage::{self, StorageError, time_conditions::StoredCondition};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use contract::models::{
    ConditionOverride, ListParams, OverrideRequest, TimeCondition, TimeConditionCreate,
    TimeConditionList, TimeConditionUpdate,
};
use contract::types::{Destination, ResourceName};

const MAX_RANGES: usize = 32;
const MAX_EXCEPTIONS: usize = 366;

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("time condition {id} does not exist"))
}

/// The schedule, or a field-named 422 saying what is wrong with it.
fn schedule_of(c: &StoredCondition) -> ApiResult<Schedule> {
    schedule::time_zone(c.time_zone.as_str()).map_err(|e| ApiError::invalid("time_zone", e))?;
    if c.ranges.len() > MAX_RANGES {
        return Err(ApiError::invalid(
            "ranges",
            format!("at most {MAX_RANGES} ranges"),
        ));
    }
    for (i, r) in c.ranges.iter().enumerate() {
        if r.days.is_empty() {
            return Err(ApiError::invalid(
                format!("ranges[{i}].days"),
                "name at least one day",
            ));
        }
        if r.start == r.end {
            return Err(ApiError::invalid(
                format!("ranges[{i}].end"),
                "must differ from start (00:00 to 24:00 is the whole day)",
            ));
        }
    }
    if c.exceptions.len() > MAX_EXCEPTIONS {
        return Err(ApiError::invalid(
            "exceptions",
            format!("at most {MAX_EXCEPTIONS} exceptions"),
        ));
    }
    for (i, e) in c.exceptions.iter().enumerate() {
        let single = Schedule::new("UTC", &[], std::slice::from_ref(e));
        single.map_err(|m| ApiError::invalid(format!("exceptions[{i}]"), m))?;
    }
    Schedule::new(c.time_zone.as_str(), &c.ranges, &c.exceptions)
        .map_err(|e| ApiError::invalid("time_zone", e))
}

async fn check(state: &AppState, c: &StoredCondition) -> ApiResult<Schedule> {
    let schedule = schedule_of(c)?;
    for (field, d) in [
        ("match_destination", &c.match_destination),
        ("no_match_destination", &c.no_match_destination),
    ] {
        match d {
            Destination::TimeCondition(id) if *id == c.id => {
                return Err(ApiError::invalid(
                    field,
                    "a time condition cannot send calls to itself (they would go round forever)",
                ));
            }
            other => destinations::check(&state.db, field, other).await?,
        }
    }
    Ok(schedule)
}

/// The condition as returned: with its state now.
fn view(c: StoredCondition, schedule: &Schedule) -> TimeCondition {
    let state = schedule::state(schedule, c.r#override.as_ref(), jiff::Timestamp::now());
    TimeCondition {
        id: c.id,
        name: c.name,
        time_zone: c.time_zone,
        ranges: c.ranges,
        exceptions: c.exceptions,
        match_destination: c.match_destination,
        no_match_destination: c.no_match_destination,
        r#override: c.r#override,
        state,
        created_at: c.created_at,
        updated_at: c.updated_at,
    }
}

async fn load(state: &AppState, id: &str) -> ApiResult<StoredCondition> {
    storage::time_conditions::get(&state.db, id)
        .await?
        .ok_or_else(|| not_found(id))
}

pub async fn create(
    State(state): State<AppState>,
    Admin(_): Admin,
    JsonBody(body): JsonBody<TimeConditionCreate>,
) -> ApiResult<Response> {
    let now = storage::now();
    let c = StoredCondition {
        id: body.id,
        name: body.name,
        time_zone: body.time_zone,
        ranges: body.ranges,
        exceptions: body.exceptions,
        match_destination: body.match_destination,
        no_match_destination: body.no_match_destination,
        r#override: None,
        created_at: now.clone(),
        updated_at: now,
    };
    let schedule = check(&state, &c).await?;
    match storage::time_conditions::insert(&state.db, &c).await {
        Err(StorageError::Duplicate) => {
            Err(ApiError::conflict(format!("time condition {} already exists", c.id)).at("id"))
        }
        other => other.map_err(ApiError::from),
    }?;
    tracing::info!(id = %c.id, "time condition created");
    let location = format!("/v1/time-conditions/{}", c.id);
    Ok(created(&location, view(c, &schedule)))
}

pub async fn list(
    State(state): State<AppState>,
    _: Caller,
    Query(params): Query<ListParams>,
) -> ApiResult<Json<TimeConditionList>> {
    let (rows, last) = storage::time_conditions::list(&state.db, &page_request(&params)?).await?;
    let mut data = Vec::with_capacity(rows.len());
    for c in rows {
        let schedule = crate::apps::time_condition::schedule_of(&c)?;
        data.push(view(c, &schedule));
    }
    Ok(Json(TimeConditionList {
        data,
        next_cursor: next_cursor(last.as_deref()),
    }))
}

pub async fn get(
    State(state): State<AppState>,
    _: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<TimeCondition>> {
    let c = load(&state, &id).await?;
    let schedule = crate::apps::time_condition::schedule_of(&c)?;
    Ok(Json(view(c, &schedule)))
}

pub async fn update(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<TimeConditionUpdate>,
) -> ApiResult<Json<TimeCondition>> {
    let mut c = load(&state, &id).await?;
    if let Some(name) = body.name {
        c.name = name;
    }
    if let Some(tz) = body.time_zone {
        c.time_zone = tz;
    }
    if let Some(ranges) = body.ranges {
        c.ranges = ranges;
    }
    if let Some(exceptions) = body.exceptions {
        c.exceptions = exceptions;
    }
    if let Some(d) = body.match_destination {
        c.match_destination = d;
    }
    if let Some(d) = body.no_match_destination {
        c.no_match_destination = d;
    }
    let schedule = check(&state, &c).await?;
    c.updated_at = storage::now();
    if !storage::time_conditions::update(&state.db, &c).await? {
        return Err(not_found(&id));
    }
    Ok(Json(view(c, &schedule)))
}

/// `POST /v1/time-conditions/{id}/override`: force a state until the schedule next
/// changes (or for good), or remove the override.
pub async fn set_override(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<OverrideRequest>,
) -> ApiResult<Json<TimeCondition>> {
    let mut c = load(&state, &id).await?;
    let schedule = crate::apps::time_condition::schedule_of(&c)?;
    c.r#override = body.state.map(|forced| ConditionOverride {
        state: forced,
        until: if body.permanent {
            None
        } else {
            schedule
                .next_change(jiff::Timestamp::now())
                .map(schedule::stored)
        },
    });
    c.updated_at = storage::now();
    if !storage::time_conditions::update(&state.db, &c).await? {
        return Err(not_found(&id));
    }
    tracing::info!(%id, state = ?body.state, permanent = body.permanent, "time condition override set");
    Ok(Json(view(c, &schedule)))
}

pub async fn delete(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let parsed = ResourceName::parse(&id).map_err(|_| not_found(&id))?;
    destinations::ensure_unreferenced(
        &state.db,
        &format!("time condition {id}"),
        &[Destination::TimeCondition(parsed)],
        &[],
    )
    .await?;
    if !storage::time_conditions::delete(&state.db, &id).await? {
        return Err(not_found(&id));
    }
    tracing::info!(%id, "time condition deleted");
    Ok(StatusCode::NO_CONTENT)
}
