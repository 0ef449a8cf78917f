//! `/v1/applications`: the webhooks that drive calls.

use super::{created, next_cursor};
use crate::AppState;
use crate::auth::{Admin, Caller, secrets};
use crate::destinations;
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, Query, page_request};
use crate::storage;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use contract::models::{
    Application, ApplicationCreate, ApplicationList, ApplicationUpdate, ApplicationWithSecret,
    ListParams,
};
use contract::types::{ApplicationId, Destination};

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("application {id} does not exist"))
}

pub async fn create(
    State(state): State<AppState>,
    Admin(_): Admin,
    JsonBody(body): JsonBody<ApplicationCreate>,
) -> ApiResult<Response> {
    let now = storage::now();
    let application = Application {
        id: ApplicationId::from_random(secrets::random_bytes()),
        name: body.name,
        voice_url: body.voice_url,
        voice_method: body.voice_method,
        status_callback: body.status_callback,
        fallback_url: body.fallback_url,
        webhook: body.webhook,
        created_at: now.clone(),
        updated_at: now,
    };
    let signing_secret = secrets::new_signing_secret();
    storage::applications::insert(&state.db, &application, &signing_secret).await?;
    tracing::info!(id = %application.id, "application created");
    Ok(created(
        &format!("/v1/applications/{}", application.id),
        ApplicationWithSecret {
            application,
            signing_secret,
        },
    ))
}

pub async fn list(
    State(state): State<AppState>,
    _: Caller,
    Query(params): Query<ListParams>,
) -> ApiResult<Json<ApplicationList>> {
    let (data, last) = storage::applications::list(&state.db, &page_request(&params)?).await?;
    Ok(Json(ApplicationList {
        data,
        next_cursor: next_cursor(last.as_deref()),
    }))
}

pub async fn get(
    State(state): State<AppState>,
    _: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Application>> {
    let app = storage::applications::get(&state.db, &id)
        .await?
        .ok_or_else(|| not_found(&id))?;
    Ok(Json(app))
}

pub async fn update(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ApplicationUpdate>,
) -> ApiResult<Json<Application>> {
    let mut app = storage::applications::get(&state.db, &id)
        .await?
        .ok_or_else(|| not_found(&id))?;
    if let Some(name) = body.name {
        app.name = name;
    }
    if let Some(url) = body.voice_url {
        app.voice_url = url;
    }
    if let Some(method) = body.voice_method {
        app.voice_method = method;
    }
    app.status_callback = body.status_callback.apply(app.status_callback.take());
    app.fallback_url = body.fallback_url.apply(app.fallback_url.take());
    if let Some(changes) = body.webhook {
        app.webhook = changes
            .apply(app.webhook)
            .map_err(|e| ApiError::invalid("webhook", e.to_string()))?;
    }
    app.updated_at = storage::now();
    if !storage::applications::update(&state.db, &app).await? {
        return Err(not_found(&id));
    }
    Ok(Json(app))
}

pub async fn rotate_secret(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(id): Path<String>,
) -> ApiResult<Json<ApplicationWithSecret>> {
    let mut application = storage::applications::get(&state.db, &id)
        .await?
        .ok_or_else(|| not_found(&id))?;
    let signing_secret = secrets::new_signing_secret();
    application.updated_at = storage::now();
    if !storage::applications::set_signing_secret(
        &state.db,
        &id,
        &signing_secret,
        &application.updated_at,
    )
    .await?
    {
        return Err(not_found(&id));
    }
    tracing::info!(%id, "application signing secret rotated");
    Ok(Json(ApplicationWithSecret {
        application,
        signing_secret,
    }))
}

pub async fn delete(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let parsed = ApplicationId::parse(&id).map_err(|_| not_found(&id))?;
    destinations::ensure_unreferenced(
        &state.db,
        &format!("application {id}"),
        &[Destination::App(parsed)],
        &[],
    )
    .await?;
    let mut mailboxes = storage::extensions::voicemail_told(&state.db, &id).await?;
    mailboxes.extend(storage::trunks::told(&state.db, &id).await?);
    if !mailboxes.is_empty() {
        return Err(ApiError::conflict(format!(
            "application {id} is told of the voicemail or trunk changes of {}; change those first",
            mailboxes.join(", ")
        )));
    }
    if !storage::applications::delete(&state.db, &id).await? {
        return Err(not_found(&id));
    }
    tracing::info!(%id, "application deleted");
    Ok(StatusCode::NO_CONTENT)
}
