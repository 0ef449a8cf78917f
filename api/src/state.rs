//! What every request handler can reach.

use crate::auth::Authenticator;
use crate::config::Config;
use crate::engine_store::SqlStore;
use crate::media::store::MediaStore;
use crate::storage::Db;
use std::sync::Arc;

/// Shared, cheaply cloned application state.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub db: Db,
    pub auth: Arc<Authenticator>,
    pub media: MediaStore,
    pub config: Config,
    /// The engine: places and steers calls (`/v1/calls`), its counters (`/metrics`).
    pub engine: engine::EngineHandle<SqlStore>,
    /// Storage as the engine sees it (applications' webhooks, the dial plan).
    pub store: SqlStore,
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
        auth: Arc<Authenticator>,
        media: MediaStore,
        config: Config,
        engine: engine::EngineHandle<SqlStore>,
        store: SqlStore,
    ) -> Self {
        Self(Arc::new(Inner {
            db,
            auth,
            media,
            config,
            engine,
            store,
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
