//! What every request handler can reach.

use crate::auth::Authenticator;
use crate::config::Config;
use crate::media::store::MediaStore;
use crate::storage::Db;
use std::sync::Arc;

/// Shared, cheaply cloned application state.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Inner>);

#[derive(Debug)]
pub struct Inner {
    pub db: Db,
    pub auth: Authenticator,
    pub media: MediaStore,
    pub config: Config,
}

impl AppState {
    pub fn new(db: Db, auth: Authenticator, media: MediaStore, config: Config) -> Self {
        Self(Arc::new(Inner {
            db,
            auth,
            media,
            config,
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
