use crate::error::ServiceUnavailable;
use crate::models::Health;

/// Liveness and readiness: answers 200 when the database answers.
#[utoipa::path(get, path = "/health", tag = "system", security(()),
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, response = ServiceUnavailable),
    ))]
pub fn health() {}
