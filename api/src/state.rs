//! What every request handler can reach.

use crate::auth::Authenticator;
use crate::config::Config;
use crate::media::store::MediaStore;
use crate::storage::Db;
use std::sync::Arc;

/// Shared, cheaply cloned application state.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub db: Db,
    pub auth: Authenticator,
    pub media: MediaStore,
    pub config: Config,
    /// The engine's counters in Prometheus text format.
    pub metrics: Box<dyn Fn() -> String + Send + Sync>,
    /// Application calls in progress (steered by `POST /v1/calls/{sid}`).
    pub engine: Arc<engine::sip::Inner<crate::engine_store::SqlStore>>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("db", &self.db)
            .finish_non_exhaustive()
    }
}

impl AppState {
    pub fn new(
        db: Db,
        auth: Authenticator,
        media: MediaStore,
        config: Config,
        metrics: Box<dyn Fn() -> String + Send + Sync>,
        engine: Arc<engine::sip::Inner<crate::engine_store::SqlStore>>,
    ) -> Self {
        Self(Arc::new(Inner {
            db,
            auth,
            media,
            config,
            metrics,
            engine,
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
