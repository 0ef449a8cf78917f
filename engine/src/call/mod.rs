//! The call layer: every call, whichever way it came, runs its verb document through
//! its [`CallProgram`](crate::program::CallProgram), carried out by one [`driver`].
//!
//! # Layout
//! - this file: what calls share ([`Calls`]), and calls arriving from SIP peers — the
//!   INVITE authenticated and routed: storage says which application answers for the
//!   dialled number (a built-in PBX app for an extension, a ring group, a feature code,
//!   the outbound routes; an inbound number's destination), and its document runs.
//! - [`outbound`]: calls placed through the REST API (rung first, then driven).
//! - [`driver`]: the loop that runs a call's program.
//! - [`invite`], [`legs`], [`targets`], [`plan`]: whom a `dial` rings and how — the
//!   parties, their INVITEs, the strategy's stages.
//! - [`audio`], [`live`], [`queue`]: what calls share — audio to play, live calls the
//!   REST API steers, callers waiting in queues.
//! - [`sdp_plan`], [`replies`]: SDP decisions and small SIP answers (pure).

pub mod audio;
pub mod channels;
pub(crate) mod driver;
pub(crate) mod invite;
pub(crate) mod legs;
pub mod live;
pub mod outbound;
pub(crate) mod plan;
pub mod queue;
mod replies;
pub(crate) mod sdp_plan;
pub(crate) mod targets;

pub(crate) use replies::{answer_other_request, final_code};

pub use crate::clock::{format_timestamp, timestamp_now};
use crate::media::bridge::MediaSockets;
use crate::outcome::EndedBy;
use crate::program::{CallProgram, Start};
use crate::sdp::AudioDescription;
use crate::sip::SipStack;
use crate::sip::auth::{self, Outcome as AuthOutcome, SipAuth};
use crate::sip::headers;
use crate::sip::register::source_of;
pub use crate::store::new_sid;
use crate::store::{CallRecord, Store};
use crate::webhook::AppWebhooks;
use contract::models::calls::CallStatus;
use rsipstack::platform::CancellationToken;
use rsipstack::sip::prelude::*;
use rsipstack::sip::{Header, StatusCode};
use rsipstack::transaction::Transaction;
use std::sync::Arc;

pub(crate) fn sdp_header() -> Header {
    Header::ContentType("application/sdp".into())
}

/// What calls need: the SIP stack to send and follow requests, credentials, media
/// sockets, storage, the applications' webhooks, audio, live calls and queues.
pub struct Calls<S> {
    pub sip: Arc<SipStack>,
    pub auth: Arc<SipAuth<S>>,
    pub store: Arc<S>,
    pub media: MediaSockets,
    /// A call whose peer sends no RTP for this long is hung up.
    pub rtp_timeout: std::time::Duration,
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Asks applications for verb documents.
    pub webhooks: crate::webhook::WebhookClient,
    /// Audio that verbs play.
    pub audio: audio::AudioCache,
    /// Calls in progress, steerable through the REST API.
    pub live: live::LiveCalls,
    /// Callers waiting in applications' own queues (`enqueue` to a name that is not a
    /// provisioned queue).
    pub queues: queue::Queues,
    /// Told whenever a caller's stay in a provisioned queue changes on this node: the
    /// callers near the head of that queue here ask for agents at once.
    pub queue_wakes: queue::QueueWakes,
    /// Calls out through each trunk now, against its `max_channels`.
    pub trunk_channels: channels::TrunkChannels,
    /// Cancelled when the server stops.
    pub stop: CancellationToken,
}

impl<S> std::fmt::Debug for Calls<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Calls").finish_non_exhaustive()
    }
}

/// Takes the new INVITEs the SIP layer hands over, each call in a task of its own.
pub(crate) async fn serve<S: Store>(calls: Arc<Calls<S>>, mut invites: crate::sip::Invites) {
    while let Some(tx) = invites.recv().await {
        tokio::spawn(handle_invite(calls.clone(), tx));
    }
}

/// Answers a new INVITE (no To tag): the whole life of the call runs here.
async fn handle_invite<S: Store>(inner: Arc<Calls<S>>, mut tx: Transaction) {
    let Some((source, source_transport)) = source_of(&tx) else {
        let _ = tx.reply(StatusCode::BadRequest).await;
        return;
    };
    let req = tx.original.clone();
    let caller = match auth::check(&inner.auth, &req, source.ip(), true).await {
        AuthOutcome::Authenticated(ext) => ext,
        other => return auth::refuse(&inner.auth, &mut tx, &other, true).await,
    };
    let (from_user, from_name) = headers::from_identity(&req);
    if from_user.as_deref() != Some(caller.number.as_str()) {
        // Authenticated as one extension, calling as another: caller-ID spoofing.
        tracing::info!(user = %caller.number, from = ?from_user, %source, "INVITE with a From that is not the caller refused");
        let _ = tx.reply(StatusCode::Forbidden).await;
        return;
    }
    let offer = match std::str::from_utf8(&req.body)
        .ok()
        .filter(|b| !b.trim().is_empty())
    {
        None => {
            let _ = reply_warning(
                &mut tx,
                StatusCode::NotAcceptableHere,
                "an SDP offer is required",
            )
            .await;
            return;
        }
        Some(body) => match AudioDescription::parse(body).and_then(|d| d.choose(None).map(|_| d)) {
            Ok(d) => d,
            Err(e) => {
                let _ = reply_warning(&mut tx, StatusCode::NotAcceptableHere, &e.to_string()).await;
                return;
            }
        },
    };
    let dialled = headers::request_user(&req).unwrap_or_default();
    let caller_name = from_name
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| caller.display_name.clone());
    let sip_call_id = req
        .call_id_header()
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    let mut record = CallRecord::begin(
        "inbound",
        caller.number.clone(),
        dialled.clone(),
        CallStatus::Ringing,
        sip_call_id,
    );
    record.from_name = Some(caller_name.clone());

    // Route: the application answering for the dialled number drives the call (the
    // built-in PBX apps answer for extensions, ring groups, feature codes…).
    let user_agent = req.user_agent_header().map(|h| h.value().to_owned());
    let app = match inner.store.route(&dialled).await {
        Ok(Some(app)) => app,
        Ok(None) => {
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
        user_agent,
        offer,
        source: (source, source_transport),
    };
    take(inner, tx, incoming).await;
}

/// A routed call from a SIP peer, before its dialog exists.
struct Incoming {
    record: CallRecord,
    app: AppWebhooks,
    caller_name: String,
    user_agent: Option<String>,
    offer: AudioDescription,
    source: invite::Device,
}

/// Takes the call: its dialog, its program, its driver, until it ends.
async fn take<S: Store>(inner: Arc<Calls<S>>, mut tx: Transaction, call: Incoming) {
    let (states_tx, party_states) = inner.sip.dialogs.new_dialog_state_channel();
    let party = match inner.sip.dialogs.get_or_create_server_invite(
        &tx,
        states_tx,
        None,
        Some(inner.sip.contact.clone()),
    ) {
        Ok(d) => d,
        Err(e) => {
            tracing::info!(error = %e, "cannot create the caller's dialog");
            let _ = tx.reply(StatusCode::BadRequest).await;
            return;
        }
    };
    let mut driving = party.clone();
    tokio::spawn(async move {
        if let Err(e) = driving.handle(&mut tx).await {
            tracing::debug!(error = %e, "caller's INVITE transaction ended with an error");
        }
    });
    let Incoming {
        record,
        app,
        caller_name,
        user_agent,
        offer,
        source,
    } = call;
    let program = CallProgram::new(
        Start::Fetch,
        app.voice_url.clone(),
        false,
        EndedBy::Caller,
        std::time::Instant::now(),
    );
    let driver = driver::Driver::new(
        inner.clone(),
        driver::Start {
            record,
            app,
            caller_name,
            user_agent,
            party,
            party_states,
            sdp: offer,
            caller_source: Some(source),
            answered: None,
        },
        program,
    );
    driver.run_new_call().await;
}

/// A final answer to a call we will not place, recorded as failed.
async fn refuse_call<S: Store>(
    inner: &Calls<S>,
    tx: &mut Transaction,
    record: &mut CallRecord,
    code: u16,
    reason: &'static str,
) {
    let _ = reply_warning(tx, StatusCode::from(code), reason).await;
    let outcome = crate::outcome::Outcome::new(
        crate::outcome::status_of_final_code(code),
        EndedBy::System,
        code,
        reason,
    );
    record.end(&outcome, None);
    tracing::info!(sid = %record.sid, from = %record.from, to = %record.to, code, reason, "call refused");
    save(inner, record).await;
}

async fn reply_warning(
    tx: &mut Transaction,
    code: StatusCode,
    text: &str,
) -> rsipstack::Result<()> {
    let warning = headers::other(
        "Warning",
        format!("399 switchboard \"{}\"", text.replace('"', "'")),
    );
    tx.reply_with(code, vec![warning], None).await
}

pub(crate) async fn save<S: Store>(inner: &Calls<S>, record: &CallRecord) {
    if let Err(e) = inner.store.save_call(record).await {
        tracing::warn!(error = %e, sid = %record.sid, "cannot write a call record");
    }
}

/// Counts a call as active while it lives.
pub(crate) struct ActiveCall(Arc<crate::metrics::Metrics>);

impl ActiveCall {
    pub(crate) fn new(metrics: &Arc<crate::metrics::Metrics>) -> Self {
        crate::metrics::Metrics::add(&metrics.calls_total, 1);
        metrics
            .calls_active
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Self(metrics.clone())
    }
}

impl Drop for ActiveCall {
    fn drop(&mut self) {
        self.0
            .calls_active
            .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

pub(crate) fn parse_sdp(body: &[u8]) -> Option<AudioDescription> {
    let text = std::str::from_utf8(body).ok()?;
    if text.trim().is_empty() {
        return None;
    }
    AudioDescription::parse(text).ok()
}
