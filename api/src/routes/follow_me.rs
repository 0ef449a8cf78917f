//! `/v1/extensions/{number}/follow-me`: the numbers an extension's unanswered calls
//! ring next.

use crate::AppState;
use crate::auth::{Admin, Caller};
use crate::destinations;
use crate::error::{ApiError, ApiResult};
use crate::extract::JsonBody;
use crate::outbound;
use crate::storage;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use contract::models::{FollowMe, FollowMeUpdate, OutboundPermission};
use contract::types::Destination;

const MAX_NUMBERS: usize = 10;

fn no_follow_me(number: &str) -> ApiError {
    ApiError::not_found(format!("extension {number} has no follow-me"))
}

async fn extension_exists(state: &AppState, number: &str) -> ApiResult<()> {
    permission(state, number).await.map(|_| ())
}

/// The extension's `outbound` permission (404 when there is no such extension).
async fn permission(state: &AppState, number: &str) -> ApiResult<OutboundPermission> {
    storage::extensions::get(&state.db, number)
        .await?
        .map(|e| e.extension.outbound)
        .ok_or_else(|| ApiError::not_found(format!("extension {number} does not exist")))
}

/// What a request sets. The extension's `outbound` permission is checked only on
/// those: a follow-me that a later route change put partly out of reach (its calls skip
/// that number) can still be switched off or changed elsewhere.
struct Sets {
    numbers: bool,
    no_answer_destination: bool,
}

const EVERYTHING: Sets = Sets {
    numbers: true,
    no_answer_destination: true,
};

async fn check(state: &AppState, number: &str, f: &FollowMe, sets: Sets) -> ApiResult<()> {
    destinations::check_members(&state.db, "numbers", &f.numbers, MAX_NUMBERS).await?;
    let permission = permission(state, number).await?;
    if sets.numbers {
        outbound::check_numbers(&state.db, "numbers", permission, &f.numbers).await?;
    }
    if sets.no_answer_destination
        && let Some(d) = &f.no_answer_destination
    {
        outbound::check_destination(&state.db, "no_answer_destination", permission, d).await?;
    }
    if f.initial_ring_time > 60 {
        return Err(ApiError::invalid(
            "initial_ring_time",
            "must be 0 to 60 seconds",
        ));
    }
    match &f.no_answer_destination {
        Some(Destination::Extension(n)) if n.as_str() == number => Err(ApiError::invalid(
            "no_answer_destination",
            "follow-me cannot send calls back to its own extension (it would ring forever)",
        )),
        Some(d) => destinations::check(&state.db, "no_answer_destination", d).await,
        None => Ok(()),
    }
}

pub async fn get(
    State(state): State<AppState>,
    _: Caller,
    Path(number): Path<String>,
) -> ApiResult<Json<FollowMe>> {
    extension_exists(&state, &number).await?;
    storage::follow_me::get(&state.db, &number)
        .await?
        .map(Json)
        .ok_or_else(|| no_follow_me(&number))
}

/// `PUT`: creates or replaces the follow-me.
pub async fn put(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(number): Path<String>,
    JsonBody(body): JsonBody<FollowMe>,
) -> ApiResult<Json<FollowMe>> {
    extension_exists(&state, &number).await?;
    check(&state, &number, &body, EVERYTHING).await?;
    storage::follow_me::put(&state.db, &number, &body, &storage::now()).await?;
    tracing::info!(%number, enabled = body.enabled, "follow-me set");
    Ok(Json(body))
}

pub async fn update(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(number): Path<String>,
    JsonBody(body): JsonBody<FollowMeUpdate>,
) -> ApiResult<Json<FollowMe>> {
    extension_exists(&state, &number).await?;
    let mut f = storage::follow_me::get(&state.db, &number)
        .await?
        .ok_or_else(|| no_follow_me(&number))?;
    if let Some(on) = body.enabled {
        f.enabled = on;
    }
    let sets = Sets {
        numbers: body.numbers.is_some(),
        no_answer_destination: !body.no_answer_destination.is_keep(),
    };
    if let Some(numbers) = body.numbers {
        f.numbers = numbers;
    }
    if let Some(t) = body.initial_ring_time {
        f.initial_ring_time = t;
    }
    if let Some(s) = body.strategy {
        f.strategy = s;
    }
    if let Some(t) = body.ring_time {
        f.ring_time = t;
    }
    if let Some(c) = body.confirm {
        f.confirm = c;
    }
    f.no_answer_destination = body
        .no_answer_destination
        .apply(f.no_answer_destination.take());
    check(&state, &number, &f, sets).await?;
    storage::follow_me::put(&state.db, &number, &f, &storage::now()).await?;
    tracing::info!(%number, enabled = f.enabled, "follow-me changed");
    Ok(Json(f))
}

pub async fn delete(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(number): Path<String>,
) -> ApiResult<StatusCode> {
    extension_exists(&state, &number).await?;
    if !storage::follow_me::delete(&state.db, &number).await? {
        return Err(no_follow_me(&number));
    }
    tracing::info!(%number, "follow-me removed");
    Ok(StatusCode::NO_CONTENT)
}
