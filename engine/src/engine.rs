//! The engine as a whole: starts the SIP stack, the media threads and the call layer,
//! wires new INVITEs to the call layer, and gives the API server one handle
//! ([`EngineHandle`]) to place and steer calls and read the counters.

use crate::call::Calls;
use crate::call::audio::AudioCache;
use crate::call::live::{LiveCalls, LiveCommand, LiveError};
use crate::call::outbound::OutboundCall;
use crate::call::queue::Queues;
use crate::config::EngineConfig;
use crate::media::bridge::MediaSockets;
use crate::metrics::Metrics;
use crate::ports::PortPool;
use crate::sip::Sip;
use crate::store::Store;
use crate::webhook::WebhookClient;
use rsipstack::platform::CancellationToken;
use std::net::SocketAddr;
use std::sync::Arc;

/// Why the engine could not start.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Sip(#[from] crate::sip::SipError),
    #[error("invalid RTP port range: {0}")]
    Ports(#[from] crate::ports::PortsError),
    #[error("{0}")]
    Stack(String),
}

/// A running engine. Dropping it does not stop it; call [`Engine::shutdown`].
pub struct Engine<S: Store> {
    sip: Sip<S>,
    calls: Arc<Calls<S>>,
    /// Tells the trunks' supervisor to re-read them.
    trunks_changed: Arc<tokio::sync::Notify>,
    stop: CancellationToken,
}

impl<S: Store> std::fmt::Debug for Engine<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.sip.fmt(f)
    }
}

impl<S: Store> Engine<S> {
    /// Binds the SIP sockets (UDP and TCP on the same port) and starts serving.
    pub async fn start(config: EngineConfig, store: S) -> Result<Self, EngineError> {
        let pool = PortPool::new(config.rtp_ports.0, config.rtp_ports.1)?;
        let stop = CancellationToken::new();
        let store = Arc::new(store);
        let metrics = Arc::new(Metrics::default());
        let (sip, invites) =
            crate::sip::start(&config, store.clone(), metrics.clone(), &stop).await?;
        let media_threads = crate::media::bridge::start_media_threads(
            config.media_threads,
            config.media_nice,
            &stop,
        )
        .map_err(|e| EngineError::Stack(format!("cannot start media threads: {e}")))?;
        let calls = Arc::new(Calls {
            sip: sip.stack.clone(),
            auth: sip.auth.clone(),
            store,
            media: MediaSockets::new(pool, sip.stack.local.ip(), media_threads),
            rtp_timeout: config.rtp_timeout,
            metrics,
            webhooks: WebhookClient::new()
                .map_err(|e| EngineError::Stack(format!("cannot create the webhook client: {e}")))?
                .with_local(config.local_apps.clone()),
            audio: AudioCache::default(),
            live: LiveCalls::default(),
            queues: Queues::default(),
            queue_wakes: crate::call::queue::QueueWakes::default(),
            trunk_channels: crate::call::channels::TrunkChannels::default(),
            trunks: sip.auth.trunks.clone(),
            stop: stop.clone(),
            running: Arc::default(),
            unsaved: Arc::default(),
        });
        {
            let calls = calls.clone();
            let stop = stop.clone();
            tokio::spawn(async move { calls.unsaved.retry(&*calls.store, stop).await });
        }
        // Off the start-up path: spawning a program takes milliseconds.
        tokio::task::spawn_blocking(check_speech_synthesizer);
        tokio::spawn(crate::call::serve(calls.clone(), invites));
        let trunks_changed = Arc::new(tokio::sync::Notify::new());
        tokio::spawn(crate::trunk::link::supervise(
            calls.store.clone(),
            sip.stack.clone(),
            calls.trunks.clone(),
            trunks_changed.clone(),
            stop.clone(),
        ));
        Ok(Self {
            sip,
            calls,
            trunks_changed,
            stop,
        })
    }

    /// The SIP address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.sip.stack.local
    }

    /// What the API server may do with the engine.
    pub fn handle(&self) -> EngineHandle<S> {
        EngineHandle {
            calls: self.calls.clone(),
            trunks_changed: self.trunks_changed.clone(),
        }
    }

    /// Stops: new calls are refused (503) while the calls up may end by themselves for
    /// `drain`; those still up are then hung up, and each writes its record (at most
    /// [`FLUSH`] more) before the SIP stack closes. REGISTERs are answered throughout.
    pub async fn shutdown(&self, drain: std::time::Duration) {
        let running = &self.calls.running;
        running.drain();
        if running.count() > 0 {
            tracing::info!(
                calls = running.count(),
                drain_seconds = drain.as_secs(),
                "stopping: new calls refused, waiting for the calls up"
            );
        }
        if !running.until_none(drain).await {
            tracing::info!(
                calls = running.count(),
                "stopping: hanging up the calls still up"
            );
        }
        self.stop.cancel();
        if !running.until_none(FLUSH).await {
            tracing::warn!(
                calls = running.count(),
                "stopping: calls whose records may not be final"
            );
        }
        // A last try for what waits on the database (it may be back by now).
        let unsaved = &self.calls.unsaved;
        let _ = tokio::time::timeout(FLUSH, unsaved.flush(&*self.calls.store)).await;
        let (records, callbacks) = unsaved.waiting();
        if records + callbacks > 0 {
            tracing::error!(
                call_records = records,
                status_callbacks = callbacks,
                "stopping with writes the database never took: they are lost"
            );
        }
        self.sip.shutdown();
    }
}

/// How long calls hung up at shutdown get to write their records and see their
/// dialogs closed (a hung-up dialog lingers up to 5 s for the BYE's answer).
pub const FLUSH: std::time::Duration = std::time::Duration::from_secs(5);

/// The API server's handle on the engine: place calls, steer live ones, read the
/// counters, deliver status callbacks with the engine's webhook client.
pub struct EngineHandle<S: Store> {
    calls: Arc<Calls<S>>,
    trunks_changed: Arc<tokio::sync::Notify>,
}

impl<S: Store> Clone for EngineHandle<S> {
    fn clone(&self) -> Self {
        Self {
            calls: self.calls.clone(),
            trunks_changed: self.trunks_changed.clone(),
        }
    }
}

impl<S: Store> std::fmt::Debug for EngineHandle<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineHandle").finish_non_exhaustive()
    }
}

impl<S: Store> EngineHandle<S> {
    /// Starts placing `call`; returns its sid (its record is written, status `queued`).
    pub async fn place_call(&self, call: OutboundCall) -> String {
        crate::call::outbound::place(&self.calls, call).await
    }

    /// Gives a live call new orders.
    pub fn steer_call(&self, sid: &str, command: LiveCommand) -> Result<(), LiveError> {
        self.calls.live.send(sid, command)
    }

    /// The counters, in Prometheus text format.
    pub fn metrics(&self) -> String {
        self.calls.metrics.render(self.calls.media.in_use())
    }

    /// The trunks were created, changed or deleted: their registrations and keepalives
    /// follow at once.
    pub fn trunks_changed(&self) {
        self.trunks_changed.notify_one();
    }

    /// What this node knows of trunk `name` now.
    pub fn trunk_status(&self, name: &str) -> contract::models::TrunkStatus {
        let mut status = self.calls.trunks.status(name);
        status.channels_in_use = self.calls.trunk_channels.in_use(name);
        status
    }

    /// The signed webhook client (the status-callback worker shares its pools).
    pub fn webhooks(&self) -> WebhookClient {
        self.calls.webhooks.clone()
    }
}

/// `say` needs espeak-ng: say so at start-up rather than at the first call.
fn check_speech_synthesizer() {
    let found = std::process::Command::new(crate::call::audio::ESPEAK)
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        tracing::error!(
            "the `say` verb is unavailable: {} was not found (install it: apt-get install espeak-ng); calls that use `say` skip it and report the error to the application",
            crate::call::audio::ESPEAK
        );
    }
}
