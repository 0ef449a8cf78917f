//! Calls arriving from SIP peers: who is calling — an extension (digest), a trunk's peer
//! (its address, or its inbound credentials), or nobody identified — which number it
//! called, and where that number leads for that caller (storage decides: `Store::route`
//! with the caller's [`Origin`]). A trunk's calls reach its inbound numbers, or what a
//! phone reaches when the trunk is set so; nobody identified reaches only the numbers
//! marked public, so a stranger never reaches the outbound routes (toll fraud).

use super::{Calls, Incoming, refuse_call, reply_warning, take};
use crate::call::invite::Device;
use crate::sdp::AudioDescription;
use crate::sip::auth::{self, Outcome as AuthOutcome};
use crate::sip::headers;
use crate::sip::register::source_of;
use crate::store::{CallRecord, ExtensionRecord, InboundTrunk, Origin, Store};
use crate::webhook::AppWebhooks;
use contract::models::calls::CallStatus;
use rsipstack::sip::prelude::*;
use rsipstack::sip::{Request, StatusCode};
use rsipstack::transaction::Transaction;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Who placed the call.
enum Who {
    Extension(ExtensionRecord),
    Trunk(InboundTrunk),
    /// Nobody identified, calling a public number (already routed).
    Anonymous(Box<AppWebhooks>),
}

/// Answers a new INVITE (no To tag): the whole life of the call runs here.
pub(super) async fn handle_invite<S: Store>(inner: Arc<Calls<S>>, mut tx: Transaction) {
    let Some(source) = source_of(&tx) else {
        let _ = tx.reply(StatusCode::BadRequest).await;
        return;
    };
    if inner.running.draining() {
        // RFC 3261 §21.5.4: unavailable for now; a proxy or a phone tries elsewhere.
        tracing::info!(source = %source.0, "INVITE refused: the server is stopping");
        let _ = reply_warning(&mut tx, StatusCode::ServiceUnavailable, "server stopping").await;
        return;
    }
    let req = tx.original.clone();
    if max_forwards(&req) == Some(0) {
        // RFC 3261 §16.3: a request that may not be forwarded further is a loop.
        tracing::info!(source = %source.0, "INVITE with Max-Forwards 0 refused (a loop?)");
        let _ = reply_warning(&mut tx, StatusCode::TooManyHops, "Max-Forwards reached 0").await;
        return;
    }
    let Some(who) = identify(&inner, &mut tx, &req, source).await else {
        return;
    };
    let Some(offer) = offer(&mut tx, &req).await else {
        return;
    };
    let (from_user, from_name) = headers::from_identity(&req);
    let request_user = headers::request_user(&req).unwrap_or_default();
    let (caller, default_name, dialled, trunk) = match &who {
        Who::Extension(ext) => (
            ext.number.clone(),
            ext.display_name.clone(),
            request_user,
            None,
        ),
        Who::Trunk(t) => {
            let to = headers::to_user(&req).unwrap_or_default();
            let caller = from_user.clone().unwrap_or_else(|| "anonymous".to_owned());
            let dialled = t.called_number(&request_user, &to).to_owned();
            (caller.clone(), caller, dialled, Some(t.name.clone()))
        }
        Who::Anonymous(_) => {
            let caller = from_user.clone().unwrap_or_else(|| "anonymous".to_owned());
            (caller.clone(), caller, request_user, None)
        }
    };
    let caller_name = from_name
        .filter(|n| !n.trim().is_empty())
        .unwrap_or(default_name);
    let sip_call_id = req
        .call_id_header()
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    let mut record = CallRecord::begin(
        "inbound",
        caller,
        dialled.clone(),
        CallStatus::Ringing,
        sip_call_id,
    );
    record.from_name = Some(caller_name.clone());
    record.trunk = trunk;
    // A trunk's calls in and out share its channels; this one holds one while it lives.
    let _channel = match &who {
        Who::Trunk(t) => match inner.trunk_channels.take(&t.name, t.max_channels) {
            Some(channel) => Some(channel),
            None => {
                tracing::info!(trunk = %t.name, max_channels = ?t.max_channels, "a call from the trunk refused: it carries its maximum of calls");
                return refuse_call(
                    &inner,
                    &mut tx,
                    &mut record,
                    503,
                    "the trunk carries its maximum of calls",
                )
                .await;
            }
        },
        _ => None,
    };

    // Route: the application answering for the dialled number drives the call (the
    // built-in PBX apps answer for extensions, ring groups, feature codes…).
    let origin = match &who {
        Who::Extension(_) => Origin::Extension,
        Who::Trunk(t) => Origin::Trunk {
            name: &t.name,
            reach: t.reach,
        },
        Who::Anonymous(_) => Origin::Anonymous,
    };
    let routed = match who {
        Who::Anonymous(app) => Ok(Some(*app)),
        _ => inner.store.route(&dialled, origin).await,
    };
    let app = match routed {
        Ok(Some(app)) => app,
        Ok(None) => {
            if let Some(trunk) = &record.trunk {
                tracing::info!(%trunk, number = %dialled, from = %record.from, "a call from the trunk matches no number it may reach");
            }
            return refuse_call(&inner, &mut tx, &mut record, 404, "no such number").await;
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot route a call");
            return refuse_call(&inner, &mut tx, &mut record, 503, "storage unavailable").await;
        }
    };
    let incoming = Incoming {
        record,
        app,
        caller_name,
        sip_headers: sip_headers(&req),
        max_forwards: max_forwards(&req).map(|hops| hops.saturating_sub(1)),
        offer,
        source: crate::call::invite::Calling {
            source,
            contact: headers::contacts(&req).into_iter().next(),
        },
    };
    take(inner, tx, incoming).await;
}

/// Who sends `req`: a trunk trusted by address, a public number's anonymous caller, an
/// extension or a trunk by digest. None when the INVITE was answered here (challenged,
/// refused).
async fn identify<S: Store>(
    inner: &Calls<S>,
    tx: &mut Transaction,
    req: &Request,
    source: Device,
) -> Option<Who> {
    let trunks = match inner.store.inbound_trunks().await {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the trunks");
            let _ = reply_warning(tx, StatusCode::ServiceUnavailable, "storage unavailable").await;
            return None;
        }
    };
    if let Some(trunk) = crate::trunk::identify::by_address(&trunks, source.0.ip()).await {
        return Some(Who::Trunk(trunk.clone()));
    }
    // A peer registered with the trunk's credentials calls from where it registered.
    if let Some(name) = inner
        .trunks
        .registered_peer(source.0, std::time::Instant::now())
        && let Some(trunk) = trunks.iter().find(|t| t.name == name)
    {
        return Some(Who::Trunk(trunk.clone()));
    }
    let dialled = headers::request_user(req).unwrap_or_default();
    let has_credentials = headers::credentials(req, true).is_some();
    if !has_credentials {
        match inner.store.route(&dialled, Origin::Anonymous).await {
            Ok(Some(app)) => return Some(Who::Anonymous(Box::new(app))),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, "cannot route a call");
                let _ =
                    reply_warning(tx, StatusCode::ServiceUnavailable, "storage unavailable").await;
                return None;
            }
        }
    }
    match auth::check(&inner.auth, req, source.0.ip(), true, Some(&trunks)).await {
        AuthOutcome::Authenticated(ext) => {
            let (from_user, _) = headers::from_identity(req);
            if from_user.as_deref() != Some(ext.number.as_str()) {
                // Authenticated as one extension, calling as another: caller-ID spoofing.
                tracing::info!(user = %ext.number, from = ?from_user, source = %source.0, "INVITE with a From that is not the caller refused");
                let _ = tx.reply(StatusCode::Forbidden).await;
                return None;
            }
            Some(Who::Extension(ext))
        }
        AuthOutcome::Trunk(trunk) => Some(Who::Trunk(trunk)),
        other => {
            if !has_credentials {
                tracing::info!(number = %dialled, source = %source.0, "a call from an unidentified source challenged: only extensions and trunks reach that number");
            }
            auth::refuse(&inner.auth, tx, &other, true).await;
            None
        }
    }
}

/// The caller's SDP offer (None when refused: 488, answered here).
async fn offer(tx: &mut Transaction, req: &Request) -> Option<AudioDescription> {
    let Some(body) = std::str::from_utf8(&req.body)
        .ok()
        .filter(|b| !b.trim().is_empty())
    else {
        let _ = reply_warning(
            tx,
            StatusCode::NotAcceptableHere,
            "an SDP offer is required",
        )
        .await;
        return None;
    };
    match AudioDescription::parse(body).and_then(|d| d.choose(None).map(|_| d)) {
        Ok(d) => Some(d),
        Err(e) => {
            let _ = reply_warning(tx, StatusCode::NotAcceptableHere, &e.to_string()).await;
            None
        }
    }
}

/// The INVITE's `Max-Forwards` (None when absent or unreadable).
fn max_forwards(req: &Request) -> Option<u32> {
    headers::value(req, "Max-Forwards")?.trim().parse().ok()
}

/// The headers an application sees in `sip.headers`: the caller's identity as it
/// arrived (`from`, `p-asserted-identity`, `diversion`), its `user-agent`, and every
/// `x-*` header.
fn sip_headers(req: &Request) -> BTreeMap<String, String> {
    const NAMED: [&str; 4] = ["user-agent", "from", "p-asserted-identity", "diversion"];
    let mut found = BTreeMap::new();
    for header in req.headers.iter() {
        let text = header.to_string();
        let Some((name, value)) = text.split_once(':') else {
            continue;
        };
        let name = name.trim().to_ascii_lowercase();
        let name = match name.as_str() {
            "f" => "from".to_owned(),
            _ => name,
        };
        if NAMED.contains(&name.as_str()) || name.starts_with("x-") {
            found.entry(name).or_insert_with(|| value.trim().to_owned());
        }
    }
    found
}
