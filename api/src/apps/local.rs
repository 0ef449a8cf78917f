//! The apps handed to the engine in-process: a request the engine would send over HTTP
//! (method, URL, headers, signed body) goes through the same router, and the engine
//! reads the same response bytes, without a socket or a connection pool in between.

use axum::Router;
use std::future::Future;
use std::pin::Pin;
use tower::ServiceExt;

/// The largest answer read back (a verb document is small).
const MAX_ANSWER: usize = 1 << 20;

/// The `/apps` router as the engine's [`engine::webhook::LocalService`].
#[derive(Debug, Clone)]
pub struct LocalApps(pub Router);

impl engine::webhook::LocalService for LocalApps {
    fn call(
        &self,
        request: axum::http::Request<Vec<u8>>,
    ) -> Pin<Box<dyn Future<Output = axum::http::Response<Vec<u8>>> + Send>> {
        let router = self.0.clone();
        Box::pin(async move {
            let request = request.map(axum::body::Body::from);
            let response = match router.oneshot(request).await {
                Ok(r) => r,
                Err(never) => match never {},
            };
            let (parts, body) = response.into_parts();
            match axum::body::to_bytes(body, MAX_ANSWER).await {
                Ok(bytes) => axum::http::Response::from_parts(parts, bytes.to_vec()),
                Err(e) => {
                    tracing::error!(error = %e, "a built-in app's answer could not be read");
                    let mut failed = axum::http::Response::new(Vec::new());
                    *failed.status_mut() = axum::http::StatusCode::INTERNAL_SERVER_ERROR;
                    failed
                }
            }
        })
    }
}
