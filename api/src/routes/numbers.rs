//! `/v1/numbers`: inbound numbers and where their calls go.

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
use contract::models::{ListParams, Number, NumberCreate, NumberList, NumberUpdate};
use contract::types::{ApplicationId, Destination};

fn not_found(number: &str) -> ApiError {
    ApiError::not_found(format!("number {number} does not exist"))
}

/// The routing of a number from `destination` / `application_id`: exactly one, existing.
async fn routing(
    state: &AppState,
    destination: Option<Destination>,
    application_id: Option<ApplicationId>,
) -> ApiResult<Option<(Destination, Option<ApplicationId>)>> {
    match (destination, application_id) {
        (Some(_), Some(_)) => Err(ApiError::invalid(
            "application_id",
            "give either destination or application_id, not both",
        )),
        (Some(d), None) => {
            destinations::check(&state.db, "destination", &d).await?;
            let app = match &d {
                Destination::App(id) => Some(id.clone()),
                _ => None,
            };
            Ok(Some((d, app)))
        }
        (None, Some(id)) => {
            let d = Destination::App(id.clone());
            destinations::check(&state.db, "application_id", &d).await?;
            Ok(Some((d, Some(id))))
        }
        (None, None) => Ok(None),
    }
}

pub async fn create(
    State(state): State<AppState>,
    Admin(_): Admin,
    JsonBody(body): JsonBody<NumberCreate>,
) -> ApiResult<Response> {
    let (destination, application_id) = routing(&state, body.destination, body.application_id)
        .await?
        .ok_or_else(|| {
            ApiError::invalid("destination", "give a destination or an application_id")
        })?;
    let now = storage::now();
    let number = Number {
        number: body.number,
        name: body.name,
        destination,
        application_id,
        public: body.public,
        created_at: now.clone(),
        updated_at: now,
    };
    match storage::numbers::insert(&state.db, &number).await {
        Err(StorageError::Duplicate) => {
            Err(ApiError::conflict(format!("number {} already exists", number.number)).at("number"))
        }
        other => other.map_err(ApiError::from),
    }?;
    tracing::info!(number = %number.number, destination = %number.destination, "number created");
    Ok(created(&format!("/v1/numbers/{}", number.number), number))
}

pub async fn list(
    State(state): State<AppState>,
    _: Caller,
    Query(params): Query<ListParams>,
) -> ApiResult<Json<NumberList>> {
    let (data, last) = storage::numbers::list(&state.db, &page_request(&params)?).await?;
    Ok(Json(NumberList {
        data,
        next_cursor: next_cursor(last.as_deref()),
    }))
}

pub async fn get(
    State(state): State<AppState>,
    _: Caller,
    Path(number): Path<String>,
) -> ApiResult<Json<Number>> {
    let n = storage::numbers::get(&state.db, &number)
        .await?
        .ok_or_else(|| not_found(&number))?;
    Ok(Json(n))
}

pub async fn update(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(number): Path<String>,
    JsonBody(body): JsonBody<NumberUpdate>,
) -> ApiResult<Json<Number>> {
    let mut n = storage::numbers::get(&state.db, &number)
        .await?
        .ok_or_else(|| not_found(&number))?;
    n.name = body.name.apply(n.name.take());
    if let Some((destination, application_id)) =
        routing(&state, body.destination, body.application_id).await?
    {
        n.destination = destination;
        n.application_id = application_id;
    }
    if let Some(public) = body.public {
        n.public = public;
    }
    n.updated_at = storage::now();
    if !storage::numbers::update(&state.db, &n).await? {
        return Err(not_found(&number));
    }
    Ok(Json(n))
}

pub async fn delete(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(number): Path<String>,
) -> ApiResult<StatusCode> {
    if !storage::numbers::delete(&state.db, &number).await? {
        return Err(not_found(&number));
    }
    tracing::info!(%number, "number deleted");
    Ok(StatusCode::NO_CONTENT)
}
