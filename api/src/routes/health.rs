use crate::AppState;
use crate::error::ApiResult;
use axum::Json;
use axum::extract::State;
use contract::models::Health;

pub async fn health(State(state): State<AppState>) -> ApiResult<Json<Health>> {
    state.db.ping().await?;
    Ok(Json(Health {
        status: "ok".to_owned(),
        database: state.db.backend().as_str().to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    }))
}

/// The engine's counters in Prometheus text format (authenticated like the API).
pub async fn metrics(
    State(state): State<AppState>,
    _: crate::auth::Caller,
) -> impl axum::response::IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        state.engine.metrics(),
    )
}
