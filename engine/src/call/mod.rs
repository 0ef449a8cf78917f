//! The call layer: every call, whichever way it came, runs its verb document through
//! its [`CallProgram`](crate::program::CallProgram), carried out by one [`driver`].
//!
//! # Layout
//! - this file: what calls share ([`Calls`]), and a routed call taken: its dialog, its
//!   program, its driver.
//! - [`incoming`]: calls arriving from SIP peers — the caller identified (an extension,
//!   a trunk's peer, nobody) and routed: storage says which application answers for
//!   the dialled number as far as that caller may reach (a built-in PBX app for an
//!   extension, a ring group, a feature code, the outbound routes; an inbound number's
//!   destination), and its document runs.
//! - [`outbound`]: calls placed through the REST API (rung first, then driven).
//! - [`driver`]: the loop that runs a call's program.
//! - [`invite`], [`legs`], [`targets`], [`plan`]: whom a `dial` rings and how — the
//!   parties, their INVITEs, the strategy's stages.
//! - [`audio`], [`live`], [`queue`], [`running`], [`unsaved`]: what calls share — audio
//!   to play, live calls the REST API steers, callers waiting in queues, the calls a
//!   stopping server waits for, the writes waiting for the database to come back.
//! - [`sdp_plan`], [`replies`]: SDP decisions and small SIP answers (pure).

pub mod audio;
pub mod channels;
pub(crate) mod driver;
mod incoming;
pub(crate) mod invite;
pub(crate) mod legs;
pub mod live;
pub mod outbound;
pub(crate) mod plan;
pub mod queue;
mod replies;
pub mod running;
pub(crate) mod sdp_plan;
pub(crate) mod targets;
pub mod unsaved;

pub(crate) use replies::{answer_other_request, final_code};

pub use crate::clock::{format_timestamp, timestamp_now};
use crate::media::bridge::MediaSockets;
use crate::outcome::EndedBy;
use crate::program::{CallProgram, Start};
use crate::sdp::AudioDescription;
use crate::sip::SipStack;
use crate::sip::auth::SipAuth;
use crate::sip::headers;
pub use crate::store::new_sid;
use crate::store::{CallRecord, Store};
use crate::webhook::AppWebhooks;
use rsipstack::platform::CancellationToken;
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
    /// What each trunk's peer did lately on this node.
    pub trunks: Arc<crate::trunk::TrunkStates>,
    /// Cancelled when the server stops.
    pub stop: CancellationToken,
    /// Every call until its record is written; turns new calls away while stopping.
    pub running: Arc<running::Running>,
    /// Call records and status callbacks the database refused, retried until it answers.
    pub unsaved: Arc<unsaved::Unsaved>,
}

impl<S> std::fmt::Debug for Calls<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Calls").finish_non_exhaustive()
    }
}

/// Takes the new INVITEs the SIP layer hands over, each call in a task of its own.
pub(crate) async fn serve<S: Store>(calls: Arc<Calls<S>>, mut invites: crate::sip::Invites) {
    while let Some(tx) = invites.recv().await {
        // Counted from the INVITE until the record is written: a stopping server waits.
        let counted = calls.running.enter();
        let calls = calls.clone();
        tokio::spawn(async move {
            incoming::handle_invite(calls, tx).await;
            drop(counted);
        });
    }
}

/// A routed call from a SIP peer, before its dialog exists.
pub(super) struct Incoming {
    record: CallRecord,
    app: AppWebhooks,
    caller_name: String,
    sip_headers: std::collections::BTreeMap<String, String>,
    /// What the legs' Max-Forwards say (the caller's less one).
    max_forwards: Option<u32>,
    offer: AudioDescription,
    source: invite::Calling,
}

/// Takes the call: its dialog, its program, its driver, until it ends.
pub(super) async fn take<S: Store>(inner: Arc<Calls<S>>, mut tx: Transaction, call: Incoming) {
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
        sip_headers,
        max_forwards,
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
            sip_headers,
            max_forwards,
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
pub(super) async fn refuse_call<S: Store>(
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

pub(super) async fn reply_warning(
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

/// Writes a call's record — or, while the database is away, keeps it to write once it
/// answers ([`unsaved`]).
pub(crate) async fn save<S: Store>(inner: &Calls<S>, record: &CallRecord) {
    inner.unsaved.save_call(&*inner.store, record).await;
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
