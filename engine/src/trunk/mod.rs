//! Trunks as this node lives them: what each trunk's peer did lately (a failed
//! authentication with the trunk's credentials), kept in memory per node and shown in
//! `GET /v1/trunks/{name}` (`status`).
//!
//! # Layout
//! - this file: [`TrunkStates`], the per-node memory of every trunk's state.
//! - [`identify`]: which trunk, if any, a request comes from (pure matching of
//!   addresses; credentials are checked by `sip::auth`).

pub mod identify;

use contract::models::{AuthFailure, TrunkStatus};
use std::collections::HashMap;
use std::sync::Mutex;

/// What this node knows of each trunk now, by name.
#[derive(Debug, Default)]
pub struct TrunkStates {
    states: Mutex<HashMap<String, TrunkStatus>>,
}

impl TrunkStates {
    /// The state of trunk `name` (the default when nothing happened yet).
    pub fn status(&self, name: &str) -> TrunkStatus {
        self.states
            .lock()
            .ok()
            .and_then(|s| s.get(name).cloned())
            .unwrap_or_default()
    }

    /// A request claiming to be trunk `name` failed to authenticate.
    pub fn auth_failed(&self, name: &str, failure: AuthFailure) {
        self.update(name, |s| s.last_auth_failure = Some(failure));
    }

    fn update(&self, name: &str, change: impl FnOnce(&mut TrunkStatus)) {
        if let Ok(mut states) = self.states.lock() {
            change(states.entry(name.to_owned()).or_default());
        }
    }
}
