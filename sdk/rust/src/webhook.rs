//! Webhooks from Switchboard: `Switchboard-Signature: t=<unix>,v1=<hex>`, HMAC-SHA256
//! with the application's signing secret over `t + "." + body` (the contract's own
//! [`contract::signature`]). [`VerifiedWebhook`] is an axum extractor that checks it and
//! yields the request, so a webhook app is a handful of lines:
//!
//! ```no_run
//! use axum::{Json, Router, routing::post};
//! use switchboard_sdk::verbs::{Document, Gather};
//! use switchboard_sdk::webhook::{VerifiedWebhook, WebhookSecret};
//!
//! async fn voice(VerifiedWebhook(call): VerifiedWebhook) -> Json<serde_json::Value> {
//!     match call.digits.as_deref() {
//!         None => Json(Document::new().gather(Gather::digits(1).action("/voice").say("Press 1")).to_json()),
//!         Some(d) => Json(Document::new().say(&format!("You pressed {d}")).hangup().to_json()),
//!     }
//! }
//!
//! # async fn run() {
//! let app = Router::new()
//!     .route("/voice", post(voice))
//!     .with_state(WebhookSecret("whsec_…".to_owned()));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await.unwrap();
//! axum::serve(listener, app).await.unwrap();
//! # }
//! ```

use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, Request};
use axum::http::StatusCode;
pub use contract::signature::{HEADER, SignatureError};
use contract::webhook::WebhookRequest;

/// Seconds a signature stays valid either side of now, by default.
pub const DEFAULT_TOLERANCE: u64 = 300;

/// Checks `header` against `body` with `secret`, within `tolerance` seconds of now.
pub fn verify(
    secret: &str,
    header: &str,
    body: &[u8],
    tolerance: u64,
) -> Result<(), SignatureError> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    contract::signature::verify(secret.as_bytes(), header, body, now, tolerance)
}

/// The application's signing secret, in the router's state.
#[derive(Debug, Clone)]
pub struct WebhookSecret(pub String);

/// A POSTed webhook whose signature was verified (401 otherwise), decoded as `T`: a
/// call's request by default; `VerifiedWebhook<StatusCallback>` for a status callback,
/// `VerifiedWebhook<VoicemailEvent>` for a voicemail event (types in
/// `contract::webhook`).
#[derive(Debug, Clone)]
pub struct VerifiedWebhook<T = WebhookRequest>(pub T);

impl<S, T> FromRequest<S> for VerifiedWebhook<T>
where
    WebhookSecret: FromRef<S>,
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = (StatusCode, String);

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let secret = WebhookSecret::from_ref(state);
        let header = req
            .headers()
            .get(HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = Bytes::from_request(req, state)
            .await
            .map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))?;
        verify(&secret.0, &header, &body, DEFAULT_TOLERANCE)
            .map_err(|e| (StatusCode::UNAUTHORIZED, e.to_string()))?;
        serde_json::from_slice(&body).map(Self).map_err(|e| {
            (
                StatusCode::BAD_REQUEST,
                format!("not a webhook request: {e}"),
            )
        })
    }
}
