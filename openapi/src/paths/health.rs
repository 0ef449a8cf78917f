use crate::error::ServiceUnavailable;
use crate::models::Health;

/// Liveness and readiness: answers 200 when the database answers.
#[utoipa::path(get, path = "/health", tag = "system", security(()),
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, response = ServiceUnavailable),
    ))]
pub fn health() {}

/// Counters in Prometheus text format: calls active and total, registrations, failed
/// SIP authentications, RTP packets relayed and dropped, RTP ports in use.
#[utoipa::path(get, path = "/metrics", tag = "system",
    responses(
        (status = 200, description = "Prometheus text exposition", content_type = "text/plain", body = String,
            example = "# TYPE switchboard_calls_active gauge\nswitchboard_calls_active 3\n"),
        (status = 401, response = crate::error::Unauthorized),
    ))]
pub fn metrics() {}
