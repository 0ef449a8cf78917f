//! `/v1/ivrs`: menus announced to callers, whose keys lead to destinations.

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
use contract::models::{Ivr, IvrCreate, IvrList, IvrUpdate, ListParams};
use contract::types::{Destination, ResourceName};

const MAX_OPTIONS: usize = 40;

fn not_found(name: &str) -> ApiError {
    ApiError::not_found(format!("IVR {name} does not exist"))
}

fn in_range(field: &str, value: u32, min: u32, max: u32) -> ApiResult<u32> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(ApiError::invalid(field, format!("must be {min} to {max}")))
    }
}

/// A destination of the IVR: it may lead back to the IVR itself (a menu that returns
/// to itself), anything else must exist.
async fn check_destination(
    state: &AppState,
    ivr: &Ivr,
    field: &str,
    d: &Destination,
) -> ApiResult<()> {
    match d {
        Destination::Ivr(name) if *name == ivr.name => Ok(()),
        other => destinations::check(&state.db, field, other).await,
    }
}

async fn check(state: &AppState, ivr: &Ivr) -> ApiResult<()> {
    in_range("timeout", ivr.timeout, 1, 60)?;
    in_range("max_timeouts", ivr.max_timeouts, 1, 10)?;
    in_range("max_invalid", ivr.max_invalid, 1, 10)?;
    destinations::check_announcement(&state.db, "announcement", &ivr.announcement).await?;
    for (field, a) in [
        ("timeout_announcement", &ivr.timeout_announcement),
        ("invalid_announcement", &ivr.invalid_announcement),
    ] {
        if let Some(a) = a {
            destinations::check_announcement(&state.db, field, a).await?;
        }
    }
    if ivr.options.len() > MAX_OPTIONS {
        return Err(ApiError::invalid(
            "options",
            format!("at most {MAX_OPTIONS} options"),
        ));
    }
    for (key, choice) in &ivr.options {
        if let Some(d) = choice.destination() {
            check_destination(state, ivr, &format!("options.{key}"), d).await?;
        }
    }
    for (field, d) in [
        ("timeout_destination", &ivr.timeout_destination),
        ("invalid_destination", &ivr.invalid_destination),
    ] {
        if let Some(d) = d {
            check_destination(state, ivr, field, d).await?;
        }
    }
    Ok(())
}

pub async fn create(
    State(state): State<AppState>,
    Admin(_): Admin,
    JsonBody(body): JsonBody<IvrCreate>,
) -> ApiResult<Response> {
    let now = storage::now();
    let ivr = Ivr {
        name: body.name,
        announcement: body.announcement,
        options: body.options,
        direct_dial: body.direct_dial,
        timeout: body.timeout.unwrap_or(10),
        max_timeouts: body.max_timeouts.unwrap_or(3),
        timeout_announcement: body.timeout_announcement,
        timeout_destination: body.timeout_destination,
        max_invalid: body.max_invalid.unwrap_or(3),
        invalid_announcement: body.invalid_announcement,
        invalid_destination: body.invalid_destination,
        created_at: now.clone(),
        updated_at: now,
    };
    check(&state, &ivr).await?;
    match storage::ivrs::insert(&state.db, &ivr).await {
        Err(StorageError::Duplicate) => {
            Err(ApiError::conflict(format!("IVR {} already exists", ivr.name)).at("name"))
        }
        other => other.map_err(ApiError::from),
    }?;
    tracing::info!(name = %ivr.name, "IVR created");
    Ok(created(&format!("/v1/ivrs/{}", ivr.name), ivr))
}

pub async fn list(
    State(state): State<AppState>,
    _: Caller,
    Query(params): Query<ListParams>,
) -> ApiResult<Json<IvrList>> {
    let (data, last) = storage::ivrs::list(&state.db, &page_request(&params)?).await?;
    Ok(Json(IvrList {
        data,
        next_cursor: next_cursor(last.as_deref()),
    }))
}

pub async fn get(
    State(state): State<AppState>,
    _: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<Ivr>> {
    let ivr = storage::ivrs::get(&state.db, &name)
        .await?
        .ok_or_else(|| not_found(&name))?;
    Ok(Json(ivr))
}

pub async fn update(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<IvrUpdate>,
) -> ApiResult<Json<Ivr>> {
    let mut ivr = storage::ivrs::get(&state.db, &name)
        .await?
        .ok_or_else(|| not_found(&name))?;
    if let Some(a) = body.announcement {
        ivr.announcement = a;
    }
    if let Some(options) = body.options {
        ivr.options = options;
    }
    if let Some(d) = body.direct_dial {
        ivr.direct_dial = d;
    }
    if let Some(t) = body.timeout {
        ivr.timeout = t;
    }
    if let Some(n) = body.max_timeouts {
        ivr.max_timeouts = n;
    }
    if let Some(n) = body.max_invalid {
        ivr.max_invalid = n;
    }
    ivr.timeout_announcement = body
        .timeout_announcement
        .apply(ivr.timeout_announcement.take());
    ivr.timeout_destination = body
        .timeout_destination
        .apply(ivr.timeout_destination.take());
    ivr.invalid_announcement = body
        .invalid_announcement
        .apply(ivr.invalid_announcement.take());
    ivr.invalid_destination = body
        .invalid_destination
        .apply(ivr.invalid_destination.take());
    check(&state, &ivr).await?;
    ivr.updated_at = storage::now();
    if !storage::ivrs::update(&state.db, &ivr).await? {
        return Err(not_found(&name));
    }
    Ok(Json(ivr))
}

pub async fn delete(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    let parsed = ResourceName::parse(&name).map_err(|_| not_found(&name))?;
    destinations::ensure_unreferenced(
        &state.db,
        &format!("IVR {name}"),
        &[Destination::Ivr(parsed)],
        &[format!("ivrs/{name}")],
    )
    .await?;
    if !storage::ivrs::delete(&state.db, &name).await? {
        return Err(not_found(&name));
    }
    tracing::info!(%name, "IVR deleted");
    Ok(StatusCode::NO_CONTENT)
}
