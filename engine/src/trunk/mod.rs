//! Trunks as this node lives them: our registration to each peer, the peer's answers
//! to OPTIONS, the peer's registration to us, its failed authentications — kept in
//! memory per node and shown in `GET /v1/trunks/{name}` (`status`).
//!
//! # Layout
//! - this file: [`TrunkStates`], the per-node memory of every trunk's state.
//! - [`registration`], [`health`]: pure machines — when to REGISTER and what the answers
//!   mean; when to probe with OPTIONS and when the peer is down.
//! - [`link`]: the driver — one task per trunk that registers or probes, and the
//!   supervisor that starts and stops them as trunks change.
//! - [`identify`]: which trunk, if any, a request comes from by its address
//!   (credentials are checked by `sip::auth`).

pub mod health;
pub mod identify;
pub mod link;
pub mod registration;

use contract::models::{
    AuthFailure, HealthState, HealthStatus, PeerRegistration, RegistrationStatus, TrunkStatus,
};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Instant;

/// What this node knows of each trunk now, by name.
#[derive(Debug, Default)]
pub struct TrunkStates {
    states: Mutex<HashMap<String, TrunkStatus>>,
    /// Where each trunk's peer registered from, and until when.
    peers: Mutex<HashMap<String, (SocketAddr, Instant)>>,
}

impl TrunkStates {
    /// The state of trunk `name` (the default when nothing happened yet).
    pub fn status(&self, name: &str) -> TrunkStatus {
        let mut status = self
            .states
            .lock()
            .ok()
            .and_then(|s| s.get(name).cloned())
            .unwrap_or_default();
        let registered = self
            .peers
            .lock()
            .ok()
            .and_then(|p| p.get(name).map(|(_, until)| *until > Instant::now()));
        if registered != Some(true) {
            status.peer_registration = None;
        }
        status
    }

    /// A request claiming to be trunk `name` failed to authenticate.
    pub fn auth_failed(&self, name: &str, failure: AuthFailure) {
        self.update(name, |s| s.last_auth_failure = Some(failure));
    }

    pub fn set_registration(&self, name: &str, status: Option<RegistrationStatus>) {
        self.update(name, |s| s.registration = status);
    }

    pub fn set_health(&self, name: &str, status: Option<HealthStatus>) {
        self.update(name, |s| s.health = status);
    }

    /// Is the trunk's peer down (its OPTIONS unanswered)? Failover skips it.
    pub fn is_down(&self, name: &str) -> bool {
        self.states.lock().ok().is_some_and(|s| {
            s.get(name)
                .and_then(|t| t.health.as_ref())
                .is_some_and(|h| h.state == HealthState::Down)
        })
    }

    /// Trunk `name`'s peer registered from `source` until `expires` (None: it
    /// unregistered).
    pub fn set_peer(&self, name: &str, peer: Option<(PeerRegistration, SocketAddr, Instant)>) {
        if let Ok(mut peers) = self.peers.lock() {
            match &peer {
                Some((_, source, until)) => peers.insert(name.to_owned(), (*source, *until)),
                None => peers.remove(name),
            };
        }
        self.update(name, |s| s.peer_registration = peer.map(|(p, _, _)| p));
    }

    /// The trunk whose peer is registered from `source` now.
    pub fn registered_peer(&self, source: SocketAddr, now: Instant) -> Option<String> {
        let peers = self.peers.lock().ok()?;
        peers
            .iter()
            .find(|(_, (from, until))| *from == source && *until > now)
            .map(|(name, _)| name.clone())
    }

    fn update(&self, name: &str, change: impl FnOnce(&mut TrunkStatus)) {
        if let Ok(mut states) = self.states.lock() {
            change(states.entry(name.to_owned()).or_default());
        }
    }
}
