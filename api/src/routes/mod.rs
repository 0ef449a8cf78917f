//! The HTTP routes: one module per REST resource, plus health and docs.

mod api_keys;
mod applications;
mod apps;
mod calls;
mod daynight;
mod docs;
mod extensions;
mod feature_codes;
mod follow_me;
mod health;
mod ivrs;
mod numbers;
mod outbound_routes;
mod queues;
mod recordings;
mod registrations;
mod ring_groups;
mod time_conditions;
mod trunks;
mod voicemail;

use crate::AppState;
use crate::error::ApiError;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Request, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// Bodies other than uploads: generous for JSON, small enough to refuse floods.
const JSON_BODY_LIMIT: usize = 1024 * 1024;

/// Every route of the server, with its state.
pub fn router(state: AppState) -> Router {
    let upload_limit = usize::try_from(state.config.max_upload_bytes)
        .unwrap_or(usize::MAX)
        // Room for the multipart boundaries and headers around the file.
        .saturating_add(64 * 1024);
    let v1 = Router::new()
        .route("/auth/token", post(api_keys::create_token))
        .route("/api-keys", post(api_keys::create).get(api_keys::list))
        .route(
            "/api-keys/{key_id}",
            get(api_keys::get).delete(api_keys::revoke),
        )
        .route(
            "/extensions",
            post(extensions::create).get(extensions::list),
        )
        .route(
            "/extensions/{number}",
            get(extensions::get)
                .patch(extensions::update)
                .delete(extensions::delete),
        )
        .route(
            "/recordings",
            post(recordings::create)
                .layer(DefaultBodyLimit::max(upload_limit))
                .get(recordings::list),
        )
        .route(
            "/recordings/{id}",
            get(recordings::get)
                .patch(recordings::update)
                .delete(recordings::delete),
        )
        .route("/recordings/{id}/audio", get(recordings::audio))
        .route("/voicemail/{mailbox}/messages", get(voicemail::list))
        .route(
            "/voicemail/{mailbox}/messages/{id}",
            get(voicemail::get)
                .patch(voicemail::update)
                .delete(voicemail::delete),
        )
        .route(
            "/voicemail/{mailbox}/messages/{id}/audio",
            get(voicemail::audio),
        )
        .route(
            "/applications",
            post(applications::create).get(applications::list),
        )
        .route(
            "/applications/{id}",
            get(applications::get)
                .patch(applications::update)
                .delete(applications::delete),
        )
        .route(
            "/applications/{id}/signing-secret",
            post(applications::rotate_secret),
        )
        .route("/numbers", post(numbers::create).get(numbers::list))
        .route(
            "/numbers/{number}",
            get(numbers::get)
                .patch(numbers::update)
                .delete(numbers::delete),
        )
        .route("/trunks", post(trunks::create).get(trunks::list))
        .route(
            "/trunks/{name}",
            get(trunks::get)
                .patch(trunks::update)
                .delete(trunks::delete),
        )
        .route(
            "/outbound-routes",
            post(outbound_routes::create).get(outbound_routes::list),
        )
        .route(
            "/outbound-routes/{name}",
            get(outbound_routes::get)
                .patch(outbound_routes::update)
                .delete(outbound_routes::delete),
        )
        .route(
            "/extensions/{number}/follow-me",
            get(follow_me::get)
                .put(follow_me::put)
                .patch(follow_me::update)
                .delete(follow_me::delete),
        )
        .route("/queues", post(queues::create).get(queues::list))
        .route(
            "/queues/{name}",
            get(queues::get)
                .patch(queues::update)
                .delete(queues::delete),
        )
        .route("/queues/{name}/agents", get(queues::agents))
        .route(
            "/queues/{name}/agents/{member}",
            axum::routing::patch(queues::update_agent),
        )
        .route("/queues/{name}/callers", get(queues::callers))
        .route("/queues/{name}/stats", get(queues::stats))
        .route(
            "/ring-groups",
            post(ring_groups::create).get(ring_groups::list),
        )
        .route(
            "/ring-groups/{number}",
            get(ring_groups::get)
                .patch(ring_groups::update)
                .delete(ring_groups::delete),
        )
        .route("/ivrs", post(ivrs::create).get(ivrs::list))
        .route(
            "/ivrs/{name}",
            get(ivrs::get).patch(ivrs::update).delete(ivrs::delete),
        )
        .route("/daynight", post(daynight::create).get(daynight::list))
        .route(
            "/daynight/{index}",
            get(daynight::get)
                .patch(daynight::update)
                .delete(daynight::delete),
        )
        .route("/daynight/{index}/toggle", post(daynight::toggle))
        .route(
            "/time-conditions",
            post(time_conditions::create).get(time_conditions::list),
        )
        .route(
            "/time-conditions/{id}",
            get(time_conditions::get)
                .patch(time_conditions::update)
                .delete(time_conditions::delete),
        )
        .route(
            "/time-conditions/{id}/override",
            post(time_conditions::set_override),
        )
        .route("/apps", get(apps::list))
        .route("/feature-codes", get(feature_codes::list))
        .route(
            "/feature-codes/{feature}",
            axum::routing::patch(feature_codes::update),
        )
        .route("/registrations", get(registrations::list))
        .route(
            "/registrations/{id}",
            axum::routing::delete(registrations::delete),
        )
        .route("/calls", get(calls::list).post(calls::create))
        .route("/calls/{sid}", get(calls::get).post(calls::update));

    Router::new()
        // A browser pointed at the server lands on the docs.
        .route("/", get(|| async { axum::response::Redirect::temporary("/docs/") }))
        .route("/health", get(health::health))
        .route("/metrics", get(health::metrics))
        .route("/openapi.json", get(docs::openapi_json))
        .merge(docs::swagger_ui())
        .nest("/v1", v1)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                let id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::debug_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %id)
            }),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(format!("no route for {}; see /docs", uri.path()))
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        contract::ErrorCode::MethodNotAllowed,
        format!("{method} is not allowed on {}; see /docs", uri.path()),
    )
}

/// `201 Created` with a `Location` header and the created resource.
pub(crate) fn created<T: serde::Serialize>(location: &str, body: T) -> axum::response::Response {
    let mut response = (axum::http::StatusCode::CREATED, axum::Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// The `next_cursor` of a list page, from the key of its last item.
pub(crate) fn next_cursor(last_key: Option<&str>) -> Option<String> {
    last_key.map(crate::extract::encode_cursor)
}
