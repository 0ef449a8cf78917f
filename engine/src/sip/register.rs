//! REGISTER: authenticate, apply the registrar rules, store the bindings, answer with
//! the current contacts.

use super::auth::{self, Outcome, SipAuth};
use super::headers;
use crate::clock::unix_now;
use crate::metrics::Metrics;
use crate::registrar::{self, ExpiryPolicy, RegisterPlan, RegisterRefusal};
use crate::store::{Binding, Store, Transport};
use rsipstack::platform::CancellationToken;
use rsipstack::sip::prelude::*;
use rsipstack::sip::{Header, StatusCode};
use rsipstack::transaction::Transaction;
use std::net::SocketAddr;
use std::sync::Arc;

/// The registrar: REGISTER requests in, bindings in storage.
pub struct Registrar<S> {
    pub auth: Arc<SipAuth<S>>,
    pub store: Arc<S>,
    pub expiry: ExpiryPolicy,
    pub metrics: Arc<Metrics>,
}

impl<S> std::fmt::Debug for Registrar<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registrar").finish_non_exhaustive()
    }
}

impl<S: Store> Registrar<S> {
    /// Periodic chores until `stop`: expired bindings, the auth guard's memory.
    pub async fn housekeeping(self: Arc<Self>, stop: CancellationToken) {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                _ = tick.tick() => {}
            }
            match self.store.purge_bindings(unix_now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(bindings = n, "registrations expired"),
                Err(e) => tracing::warn!(error = %e, "cannot purge expired registrations"),
            }
            self.auth.prune(std::time::Instant::now());
        }
    }
}

impl<S: Store> Registrar<S> {
    /// A REGISTER: authenticated, checked against the registrar rules, stored; the
    /// answer lists the current contacts.
    pub async fn handle(&self, mut tx: Transaction) {
        let inner = self;
        let Some((source, transport)) = source_of(&tx) else {
            let _ = tx.reply(StatusCode::BadRequest).await;
            return;
        };
        let req = tx.original.clone();
        let Some(aor) = headers::to_user(&req) else {
            let _ = tx
                .reply_with(
                    StatusCode::BadRequest,
                    vec![reason("To header has no user")],
                    None,
                )
                .await;
            return;
        };
        let extension = match auth::check(&inner.auth, &req, source.ip(), false, None).await {
            Outcome::Authenticated(ext) => ext,
            Outcome::Trunk(trunk) => return self.register_peer(tx, &aor, &trunk, source).await,
            other => return auth::refuse(&inner.auth, &mut tx, &other, false).await,
        };
        if extension.number != aor {
            tracing::info!(user = %extension.number, %aor, %source, "REGISTER for another extension refused");
            let _ = tx.reply(StatusCode::Forbidden).await;
            return;
        }
        let Some(plan) = plan_of(&mut tx, &req, inner.expiry).await else {
            return;
        };
        let now = unix_now();
        let call_id = req
            .call_id_header()
            .map(|c| c.value().to_owned())
            .unwrap_or_default();
        let cseq = req
            .cseq_header()
            .ok()
            .and_then(|c| c.seq().ok())
            .unwrap_or(0);
        let user_agent = headers::value(&req, "User-Agent");
        let path = super::path::of(&req);
        let result = match &plan {
            RegisterPlan::Query => Ok(()),
            RegisterPlan::RemoveAll => inner.store.remove_bindings(&aor).await,
            RegisterPlan::Apply(changes) => {
                let mut result = Ok(());
                for (contact, expires) in changes {
                    let r = if *expires == 0 {
                        inner.store.remove_binding(&aor, contact).await
                    } else {
                        let binding = Binding {
                            id: String::new(),
                            aor: aor.clone(),
                            contact: contact.clone(),
                            source,
                            transport,
                            expires_at: now + u64::from(*expires),
                            call_id: call_id.clone(),
                            cseq,
                            user_agent: user_agent.clone(),
                            path: path.clone(),
                        };
                        inner.store.save_binding(&binding).await
                    };
                    if r.is_err() {
                        result = r;
                        break;
                    }
                }
                result
            }
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, %aor, "cannot store a registration");
            let _ = tx
                .reply_with(
                    StatusCode::ServiceUnavailable,
                    vec![headers::other("Retry-After", "5")],
                    None,
                )
                .await;
            return;
        }
        let current = match inner.store.bindings(&aor, now).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, %aor, "cannot read registrations");
                let _ = tx.reply(StatusCode::ServiceUnavailable).await;
                return;
            }
        };
        Metrics::add(&inner.metrics.registrations_total, 1);
        match &plan {
            RegisterPlan::Apply(changes) if changes.iter().any(|(_, e)| *e > 0) => {
                tracing::debug!(%aor, %source, transport = transport.as_str(), "registered");
            }
            RegisterPlan::Apply(_) | RegisterPlan::RemoveAll => {
                tracing::debug!(%aor, %source, "unregistered")
            }
            RegisterPlan::Query => {}
        }
        let mut headers: Vec<Header> = current
            .iter()
            .map(|b| {
                let left = b.expires_at.saturating_sub(now);
                Header::Contact(format!("<{}>;expires={left}", b.contact).into())
            })
            .collect();
        headers.extend(super::path::reply_headers(&req, &path));
        let _ = tx.reply_with(StatusCode::OK, headers, None).await;
    }
}

impl<S: Store> Registrar<S> {
    /// A REGISTER from a trunk's peer, authenticated with the trunk's inbound
    /// credentials (the seed's "register string"): where it registered from is kept in
    /// this node's memory, and its calls from there are the trunk's.
    async fn register_peer(
        &self,
        mut tx: Transaction,
        aor: &str,
        trunk: &crate::store::InboundTrunk,
        source: SocketAddr,
    ) {
        if trunk.username.as_deref() != Some(aor) {
            tracing::info!(trunk = %trunk.name, %aor, %source, "REGISTER of a trunk's peer for another user refused");
            let _ = tx.reply(StatusCode::Forbidden).await;
            return;
        }
        let req = tx.original.clone();
        let Some(plan) = plan_of(&mut tx, &req, self.expiry).await else {
            return;
        };
        let states = &self.auth.trunks;
        let granted = match &plan {
            RegisterPlan::Query => None,
            RegisterPlan::RemoveAll => {
                states.set_peer(&trunk.name, None);
                None
            }
            RegisterPlan::Apply(changes) => match changes.iter().find(|(_, e)| *e > 0) {
                Some((contact, expires)) => {
                    let peer = contract::models::PeerRegistration {
                        contact: contact.clone(),
                        source: source.to_string(),
                        expires_at: crate::clock::format_timestamp(
                            time::OffsetDateTime::now_utc()
                                + std::time::Duration::from_secs(u64::from(*expires)),
                        ),
                    };
                    let until = std::time::Instant::now()
                        + std::time::Duration::from_secs(u64::from(*expires));
                    states.set_peer(&trunk.name, Some((peer, source, until)));
                    tracing::info!(trunk = %trunk.name, %source, expires, "the trunk's peer registered");
                    Some((contact.clone(), *expires))
                }
                None => {
                    states.set_peer(&trunk.name, None);
                    tracing::info!(trunk = %trunk.name, %source, "the trunk's peer unregistered");
                    None
                }
            },
        };
        Metrics::add(&self.metrics.registrations_total, 1);
        let headers: Vec<Header> = granted
            .map(|(contact, left)| Header::Contact(format!("<{contact}>;expires={left}").into()))
            .into_iter()
            .collect();
        let _ = tx.reply_with(StatusCode::OK, headers, None).await;
    }
}

/// The registrar rules applied to `req`'s contacts and expiry (None: refused here).
async fn plan_of(
    tx: &mut Transaction,
    req: &rsipstack::sip::Request,
    expiry: ExpiryPolicy,
) -> Option<RegisterPlan> {
    let contacts = headers::contacts(req);
    let specs = registrar::parse_contacts(&contacts.iter().map(String::as_str).collect::<Vec<_>>());
    let expires_header = headers::value(req, "Expires")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|v| u32::try_from(v).unwrap_or(u32::MAX));
    match specs.and_then(|s| registrar::plan(&s, expires_header, expiry)) {
        Ok(p) => Some(p),
        Err(RegisterRefusal::IntervalTooBrief { min }) => {
            let _ = tx
                .reply_with(
                    StatusCode::IntervalTooBrief,
                    vec![Header::MinExpires(min.to_string().into())],
                    None,
                )
                .await;
            None
        }
        Err(RegisterRefusal::BadRequest(why)) => {
            let _ = tx
                .reply_with(StatusCode::BadRequest, vec![reason(why)], None)
                .await;
            None
        }
    }
}

/// Where a request came from and over what.
pub fn source_of(tx: &Transaction) -> Option<(SocketAddr, Transport)> {
    let conn = tx.connection.as_ref()?;
    let addr = conn.get_remote_addr()?.get_socketaddr().ok()?;
    let transport = if conn.is_reliable() {
        Transport::Tcp
    } else {
        Transport::Udp
    };
    Some((addr, transport))
}

fn reason(text: &str) -> Header {
    headers::other("Warning", format!("399 switchboard \"{text}\""))
}
