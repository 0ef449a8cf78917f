//! `/v1/daynight`: day/night switches, their destinations and their mode.

use super::{created, next_cursor};
use crate::AppState;
use crate::auth::{Admin, Caller, secrets};
use crate::destinations;
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, Query, page_request};
use crate::storage::{self, StorageError, daynight::StoredDayNight};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use contract::models::{DayNight, DayNightCreate, DayNightList, DayNightUpdate, ListParams};
use contract::types::{Destination, Patch};

fn not_found(index: &str) -> ApiError {
    ApiError::not_found(format!("day/night switch {index} does not exist"))
}

fn index_of(s: &str) -> ApiResult<u8> {
    s.parse::<u8>()
        .ok()
        .filter(|i| *i <= 9)
        .ok_or_else(|| not_found(s))
}

async fn check(state: &AppState, switch: &DayNight) -> ApiResult<()> {
    for (field, d) in [
        ("day_destination", &switch.day_destination),
        ("night_destination", &switch.night_destination),
    ] {
        match d {
            Destination::DayNight(i) if *i == switch.index => {
                return Err(ApiError::invalid(
                    field,
                    "a day/night switch cannot send calls to itself (they would go round forever)",
                ));
            }
            other => destinations::check(&state.db, field, other).await?,
        }
    }
    Ok(())
}

pub async fn create(
    State(state): State<AppState>,
    Admin(_): Admin,
    JsonBody(body): JsonBody<DayNightCreate>,
) -> ApiResult<Response> {
    if body.index > 9 {
        return Err(ApiError::invalid(
            "index",
            "must be 0 to 9 (the digit after *28)",
        ));
    }
    let now = storage::now();
    let row = StoredDayNight {
        switch: DayNight {
            index: body.index,
            name: body.name,
            mode: body.mode,
            day_destination: body.day_destination,
            night_destination: body.night_destination,
            pin_set: body.pin.is_some(),
            created_at: now.clone(),
            updated_at: now,
        },
        pin_hash: body.pin.map(|p| secrets::hash_pin(p.as_str())),
    };
    check(&state, &row.switch).await?;
    match storage::daynight::insert(&state.db, &row).await {
        Err(StorageError::Duplicate) => Err(ApiError::conflict(format!(
            "day/night switch {} already exists",
            row.switch.index
        ))
        .at("index")),
        other => other.map_err(ApiError::from),
    }?;
    tracing::info!(index = row.switch.index, "day/night switch created");
    Ok(created(
        &format!("/v1/daynight/{}", row.switch.index),
        row.switch,
    ))
}

pub async fn list(
    State(state): State<AppState>,
    _: Caller,
    Query(params): Query<ListParams>,
) -> ApiResult<Json<DayNightList>> {
    let (data, last) = storage::daynight::list(&state.db, &page_request(&params)?).await?;
    Ok(Json(DayNightList {
        data,
        next_cursor: next_cursor(last.as_deref()),
    }))
}

pub async fn get(
    State(state): State<AppState>,
    _: Caller,
    Path(index): Path<String>,
) -> ApiResult<Json<DayNight>> {
    let row = storage::daynight::get(&state.db, index_of(&index)?)
        .await?
        .ok_or_else(|| not_found(&index))?;
    Ok(Json(row.switch))
}

pub async fn update(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(index): Path<String>,
    JsonBody(body): JsonBody<DayNightUpdate>,
) -> ApiResult<Json<DayNight>> {
    let mut row = storage::daynight::get(&state.db, index_of(&index)?)
        .await?
        .ok_or_else(|| not_found(&index))?;
    let s = &mut row.switch;
    if let Some(name) = body.name {
        s.name = name;
    }
    if let Some(mode) = body.mode {
        s.mode = mode;
    }
    if let Some(d) = body.day_destination {
        s.day_destination = d;
    }
    if let Some(d) = body.night_destination {
        s.night_destination = d;
    }
    match body.pin {
        Patch::Keep => {}
        Patch::Clear => row.pin_hash = None,
        Patch::Set(pin) => row.pin_hash = Some(secrets::hash_pin(pin.as_str())),
    }
    row.switch.pin_set = row.pin_hash.is_some();
    check(&state, &row.switch).await?;
    row.switch.updated_at = storage::now();
    if !storage::daynight::update(&state.db, &row).await? {
        return Err(not_found(&index));
    }
    tracing::info!(
        index = row.switch.index,
        mode = row.switch.mode.as_str(),
        "day/night switch changed"
    );
    Ok(Json(row.switch))
}

/// `POST /v1/daynight/{index}/toggle`: the other mode, at once.
pub async fn toggle(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(index): Path<String>,
) -> ApiResult<Json<DayNight>> {
    let row = storage::daynight::toggle(&state.db, index_of(&index)?, &storage::now())
        .await?
        .ok_or_else(|| not_found(&index))?;
    tracing::info!(
        index = row.switch.index,
        mode = row.switch.mode.as_str(),
        "day/night switch toggled"
    );
    Ok(Json(row.switch))
}

pub async fn delete(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(index): Path<String>,
) -> ApiResult<StatusCode> {
    let i = index_of(&index)?;
    destinations::ensure_unreferenced(
        &state.db,
        &format!("day/night switch {i}"),
        &[Destination::DayNight(i)],
        &[],
    )
    .await?;
    if !storage::daynight::delete(&state.db, i).await? {
        return Err(not_found(&index));
    }
    tracing::info!(index = i, "day/night switch deleted");
    Ok(StatusCode::NO_CONTENT)
}
