//! Authenticating a request against the extensions' credentials and the trunks'
//! inbound credentials, with the failure guard in front. Unknown users, wrong passwords
//! and forged nonces all get the same fresh challenge, so nothing tells an attacker
//! which extensions exist.
//!
//! A trunk's peer is not an attacker: its failures (a wrong password during set-up) are
//! not counted against its own address — blocking it would silently cut the
//! interconnection — but written in the trunk's status, which says why its calls are
//! refused. The same failures from any other address count as usual.

use super::headers;
use crate::clock::unix_now;
use crate::digest::{Credentials, DigestAuthority, Refusal};
use crate::guard::{AuthGuard, GuardConfig, Verdict};
use crate::metrics::Metrics;
use crate::store::{ExtensionRecord, InboundAuth, InboundTrunk, Store};
use crate::trunk::TrunkStates;
use rsipstack::sip::{Header, Request, StatusCode};
use rsipstack::transaction::Transaction;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Who sends a request: digest credentials checked against the extensions, with the
/// failure guard in front. Shared by REGISTER and INVITE handling.
pub struct SipAuth<S> {
    store: Arc<S>,
    digest: DigestAuthority,
    guard: Mutex<AuthGuard>,
    guard_config: GuardConfig,
    realm: String,
    metrics: Arc<Metrics>,
    /// Where a trunk's failed authentications are written.
    pub trunks: Arc<TrunkStates>,
    /// Whose requests count against the client they report.
    proxies: super::proxies::TrustedProxies,
}

impl<S> std::fmt::Debug for SipAuth<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SipAuth")
            .field("realm", &self.realm)
            .finish_non_exhaustive()
    }
}

impl<S: Store> SipAuth<S> {
    pub fn new(
        store: Arc<S>,
        digest: DigestAuthority,
        guard_config: GuardConfig,
        realm: String,
        metrics: Arc<Metrics>,
        trunks: Arc<TrunkStates>,
        proxies: super::proxies::TrustedProxies,
    ) -> Self {
        Self {
            store,
            digest,
            guard: Mutex::new(AuthGuard::new(guard_config)),
            guard_config,
            realm,
            metrics,
            trunks,
            proxies,
        }
    }

    /// Forgets failures old enough not to count any more.
    pub fn prune(&self, now: Instant) {
        if let Ok(mut guard) = self.guard.lock() {
            guard.prune(now);
        }
    }
}

/// The result of checking a request's credentials.
#[derive(Debug)]
pub enum Outcome {
    Authenticated(ExtensionRecord),
    /// The peer of this trunk, with its inbound credentials.
    Trunk(InboundTrunk),
    /// Send a (fresh) challenge.
    Challenge {
        stale: bool,
    },
    /// The source is blocked after too many failures.
    Blocked,
    /// The store failed: answer 503.
    Unavailable,
}

/// Checks `req`'s `Authorization` (or, for `proxy`, `Proxy-Authorization`). `trunks`:
/// the inbound trunks when the caller already read them (an INVITE), else they are
/// read here if the user is no extension. `source`: where the packet came from; behind
/// a trusted proxy, failures count against the client the proxy reports instead.
pub async fn check<S: Store>(
    inner: &SipAuth<S>,
    req: &Request,
    source: IpAddr,
    proxy: bool,
    trunks: Option<&[InboundTrunk]>,
) -> Outcome {
    let source = inner.proxies.client(req, source);
    let now = Instant::now();
    if inner
        .guard
        .lock()
        .map(|g| g.is_blocked(source, now))
        .unwrap_or(false)
    {
        return Outcome::Blocked;
    }
    let Some(raw) = headers::credentials(req, proxy) else {
        // A first request without credentials is normal; it does not count as a failure.
        return Outcome::Challenge { stale: false };
    };
    let Some(credentials) = Credentials::parse(&raw) else {
        fail(inner, source, "", "malformed credentials");
        return Outcome::Challenge { stale: false };
    };
    let extension = match inner.store.extension(&credentials.username).await {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read credentials");
            return Outcome::Unavailable;
        }
    };
    if let Some(ext) = &extension
        && ext.realm != inner.realm
    {
        tracing::error!(
            extension = %ext.number,
            stored_realm = %ext.realm,
            realm = %inner.realm,
            "the extension's password was set for another SIP realm; set it again"
        );
    }
    let method = req.method.to_string();
    if extension.is_none() {
        match trunk_named(inner, &credentials.username, trunks).await {
            Ok(Some(trunk)) => {
                return check_trunk(inner, &credentials, &method, trunk, source).await;
            }
            Ok(None) => {}
            Err(()) => return Outcome::Unavailable,
        }
    }
    match inner.digest.verify(
        &credentials,
        &method,
        extension.as_ref().map(|e| &e.ha1),
        unix_now(),
    ) {
        Ok(()) => match extension {
            Some(ext) => Outcome::Authenticated(ext),
            None => Outcome::Challenge { stale: false },
        },
        Err(Refusal::Stale) => Outcome::Challenge { stale: true },
        Err(Refusal::Invalid(why)) => {
            fail(inner, source, &credentials.username, why);
            Outcome::Challenge { stale: false }
        }
    }
}

/// The trunk whose inbound user name is `username`, if any, among `known` (read from
/// storage when not given).
async fn trunk_named<S: Store>(
    inner: &SipAuth<S>,
    username: &str,
    known: Option<&[InboundTrunk]>,
) -> Result<Option<InboundTrunk>, ()> {
    let find = |trunks: &[InboundTrunk]| {
        trunks
            .iter()
            .find(|t| t.auth == InboundAuth::Credentials && t.username.as_deref() == Some(username))
            .cloned()
    };
    if let Some(trunks) = known {
        return Ok(find(trunks));
    }
    match inner.store.inbound_trunks().await {
        Ok(trunks) => Ok(find(&trunks)),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the trunks' credentials");
            Err(())
        }
    }
}

/// Credentials claiming to be `trunk`'s peer.
async fn check_trunk<S: Store>(
    inner: &SipAuth<S>,
    credentials: &Credentials,
    method: &str,
    trunk: InboundTrunk,
    source: IpAddr,
) -> Outcome {
    let (Some(user), Some(password)) = (&trunk.username, &trunk.password) else {
        return Outcome::Challenge { stale: false };
    };
    let ha1 = crate::digest::ha1(user, &inner.realm, password);
    match inner
        .digest
        .verify(credentials, method, Some(&ha1), unix_now())
    {
        Ok(()) => Outcome::Trunk(trunk),
        Err(Refusal::Stale) => Outcome::Challenge { stale: true },
        Err(Refusal::Invalid(why)) => {
            let reason = if why == "wrong response" {
                "wrong password"
            } else {
                why
            };
            inner.trunks.auth_failed(
                &trunk.name,
                contract::models::AuthFailure {
                    at: crate::clock::timestamp_now(),
                    source: source.to_string(),
                    method: method.to_owned(),
                    reason: reason.to_owned(),
                },
            );
            if crate::trunk::identify::is_peer(&trunk, source).await {
                Metrics::add(&inner.metrics.auth_failures_total, 1);
                tracing::warn!(trunk = %trunk.name, %source, %method, reason, "the trunk's peer failed to authenticate (not blocked: see the trunk's status)");
            } else {
                fail(inner, source, user, why);
            }
            Outcome::Challenge { stale: false }
        }
    }
}

fn fail<S: Store>(inner: &SipAuth<S>, source: IpAddr, user: &str, why: &str) {
    Metrics::add(&inner.metrics.auth_failures_total, 1);
    let verdict = inner
        .guard
        .lock()
        .map(|mut g| g.failure(source, Instant::now()));
    match verdict {
        Ok(Verdict::Blocked) => tracing::warn!(
            %source,
            user,
            block_secs = inner.guard_config.block.as_secs(),
            "too many failed SIP authentications: source blocked"
        ),
        Ok(Verdict::Counted(n)) => {
            tracing::info!(%source, user, reason = why, failures = n, "SIP authentication failed")
        }
        Err(_) => {}
    }
}

/// Answers with the outcome that is not `Authenticated`: 401/407 with challenges, 403
/// for a blocked source or a trunk's credentials where an extension's are needed, 503
/// when the store failed.
pub async fn refuse<S: Store>(
    inner: &SipAuth<S>,
    tx: &mut Transaction,
    outcome: &Outcome,
    proxy: bool,
) {
    let result = match outcome {
        Outcome::Challenge { stale } => {
            let challenges = inner.digest.challenges(unix_now(), *stale);
            let headers: Vec<Header> = challenges
                .into_iter()
                .map(|c| {
                    if proxy {
                        Header::ProxyAuthenticate(c.into())
                    } else {
                        Header::WwwAuthenticate(c.into())
                    }
                })
                .collect();
            let code = if proxy {
                StatusCode::ProxyAuthenticationRequired
            } else {
                StatusCode::Unauthorized
            };
            tx.reply_with(code, headers, None).await
        }
        Outcome::Blocked => tx.reply(StatusCode::Forbidden).await,
        Outcome::Unavailable => {
            tx.reply_with(
                StatusCode::ServiceUnavailable,
                vec![headers::other("Retry-After", "5")],
                None,
            )
            .await
        }
        // A trunk's credentials where only an extension may act (a SUBSCRIBE).
        Outcome::Trunk(_) => tx.reply(StatusCode::Forbidden).await,
        Outcome::Authenticated(_) => Ok(()),
    };
    if let Err(e) = result {
        tracing::debug!(error = %e, "cannot send an authentication refusal");
    }
}
