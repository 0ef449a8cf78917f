//! The per-source flood limit ([`crate::flood`]) in front of the dispatcher: every new
//! server transaction is counted against its client's address before anything else is
//! done with it. Exempt: the peers of the trunks (a carrier's traffic all comes from a
//! few addresses; a block would silently cut the interconnection). A trusted proxy's
//! requests count against the client it reports ([`TrustedProxies`]), so one flooding
//! phone behind it does not silence the others.

use super::proxies::TrustedProxies;
use crate::flood::{Admit, FloodConfig, FloodLimiter};
use crate::metrics::Metrics;
use crate::store::Store;
use rsipstack::platform::CancellationToken;
use rsipstack::transaction::Transaction;
use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// How often the trunk peers' addresses are read again (a trunk added or changed
/// through the API is exempt within this).
const EXEMPT_REFRESH: Duration = Duration::from_secs(10);

pub struct Flood {
    limiter: Mutex<FloodLimiter>,
    /// The trunk peers' addresses.
    exempt: RwLock<HashSet<IpAddr>>,
    proxies: TrustedProxies,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for Flood {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Flood").finish_non_exhaustive()
    }
}

impl Flood {
    pub fn new(config: FloodConfig, proxies: TrustedProxies, metrics: Arc<Metrics>) -> Self {
        Self {
            limiter: Mutex::new(FloodLimiter::new(config)),
            exempt: RwLock::new(HashSet::new()),
            proxies,
            metrics,
        }
    }

    /// Is `tx` to be handled (else dropped unanswered)?
    pub fn admit(&self, tx: &Transaction) -> bool {
        let Some((source, _)) = super::register::source_of(tx) else {
            return true;
        };
        let source = source.ip();
        if self.exempt.read().is_ok_and(|e| e.contains(&source)) {
            return true;
        }
        let client = self.proxies.client(&tx.original, source);
        let now = Instant::now();
        let (verdict, config) = match self.limiter.lock() {
            Ok(mut l) => (l.admit(client, now), l.config()),
            Err(_) => return true,
        };
        match verdict {
            Admit::Yes => true,
            Admit::Drop => {
                Metrics::add(&self.metrics.flood_dropped_total, 1);
                false
            }
            Admit::Blocked => {
                Metrics::add(&self.metrics.flood_dropped_total, 1);
                tracing::warn!(
                    %client,
                    via = %source,
                    limit = config.limit,
                    block_seconds = config.block.as_secs(),
                    "SIP flood: more requests than the limit per second, ignored for the block time"
                );
                false
            }
        }
    }

    /// Until `stop`: forgets quiet addresses every second, reads the trunk peers'
    /// addresses every [`EXEMPT_REFRESH`].
    pub async fn watch<S: Store>(self: Arc<Self>, store: Arc<S>, stop: CancellationToken) {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        let mut refreshed: Option<Instant> = None;
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                _ = tick.tick() => {}
            }
            if let Ok(mut l) = self.limiter.lock() {
                l.prune(Instant::now());
            }
            if refreshed.is_none_or(|t| t.elapsed() >= EXEMPT_REFRESH) {
                refreshed = Some(Instant::now());
                self.refresh_exempt(&*store).await;
            }
        }
    }

    async fn refresh_exempt<S: Store>(&self, store: &S) {
        let trunks = match store.inbound_trunks().await {
            Ok(t) => t,
            Err(e) => {
                tracing::debug!(error = %e, "cannot read the trunks for the flood limit's exemptions");
                return;
            }
        };
        let mut peers = HashSet::new();
        for trunk in &trunks {
            peers.extend(crate::trunk::identify::addresses(&trunk.host).await);
        }
        if let Ok(mut e) = self.exempt.write() {
            *e = peers;
        }
    }
}
