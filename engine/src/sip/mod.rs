//! The SIP side of the engine: one rsipstack endpoint listening on UDP and TCP, and the
//! dispatcher that hands each new server transaction to the registrar, the call logic
//! or the dialog it belongs to.

pub mod auth;
pub mod headers;
pub mod register;

use crate::config::EngineConfig;
use crate::digest::DigestAuthority;
use crate::guard::AuthGuard;
use crate::media::bridge::MediaSockets;
use crate::ports::PortPool;
use crate::store::Store;
use rsipstack::EndpointBuilder;
use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::platform::CancellationToken;
use rsipstack::sip::{Method, StatusCode, Uri};
use rsipstack::transaction::endpoint::EndpointInnerRef;
use rsipstack::transaction::{Endpoint, Transaction};
use rsipstack::transport::udp::UdpConnection;
use rsipstack::transport::{TcpListenerConnection, TransportLayer};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

/// Why the engine could not start.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("cannot listen for SIP on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("invalid RTP port range: {0}")]
    Ports(#[from] crate::ports::PortsError),
    #[error("SIP stack: {0}")]
    Stack(String),
}

/// Everything the handlers share.
pub struct Inner<S: Store> {
    pub config: EngineConfig,
    pub store: S,
    pub endpoint: EndpointInnerRef,
    pub dialogs: Arc<DialogLayer>,
    pub digest: DigestAuthority,
    pub guard: Mutex<AuthGuard>,
    pub media: MediaSockets,
    /// The address we bound (the real port when 0 was asked).
    pub local: SocketAddr,
    /// The address we advertise.
    pub public_ip: IpAddr,
    /// Our Contact for dialogs.
    pub contact: Uri,
    pub token: CancellationToken,
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Asks applications for verb documents.
    pub webhooks: crate::webhook::WebhookClient,
    /// Audio that verbs play.
    pub audio: crate::app::AudioCache,
    /// Application calls in progress, steerable through the REST API.
    pub live: crate::app::LiveCalls,
    /// Callers waiting in queues (`enqueue`).
    pub queues: crate::app::Queues,
}

impl<S: Store> std::fmt::Debug for Inner<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("local", &self.local)
            .field("public_ip", &self.public_ip)
            .finish_non_exhaustive()
    }
}

/// A running engine. Dropping it does not stop it; call [`Engine::shutdown`].
pub struct Engine<S: Store> {
    inner: Arc<Inner<S>>,
    endpoint: Endpoint,
}

impl<S: Store> std::fmt::Debug for Engine<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

impl<S: Store> Engine<S> {
    /// Binds the SIP sockets (UDP and TCP on the same port) and starts serving.
    pub async fn start(config: EngineConfig, store: S) -> Result<Self, EngineError> {
        let pool = PortPool::new(config.rtp_ports.0, config.rtp_ports.1)?;
        let token = CancellationToken::new();
        let (udp, local) = bind_udp_and_check_tcp(config.sip_addr, &token).await?;
        let public_ip = config
            .public_ip
            .unwrap_or_else(|| advertised_ip(local.ip()));
        let public = SocketAddr::new(public_ip, local.port());
        let transport = TransportLayer::new(token.child_token());
        transport.add_transport(udp.into());
        let tcp = TcpListenerConnection::new(local, Some(public))
            .await
            .map_err(|e| EngineError::Stack(e.to_string()))?;
        transport.add_transport(tcp.into());
        // Phones registered over TCP must stay reachable between refreshes.
        transport.set_stream_idle_timeout(std::time::Duration::ZERO);
        let endpoint = EndpointBuilder::new()
            .with_user_agent(&config.user_agent)
            .with_cancel_token(token.child_token())
            .with_transport_layer(transport)
            .build();
        let incoming = endpoint
            .incoming_transactions()
            .map_err(|e| EngineError::Stack(e.to_string()))?;
        let ep = endpoint.inner.clone();
        let dialogs = Arc::new(DialogLayer::new(ep.clone()));
        let contact = Uri::try_from(format!("sip:switchboard@{public}").as_str())
            .map_err(|e| EngineError::Stack(e.to_string()))?;
        let bind_ip = local.ip();
        let media_threads = crate::media::bridge::start_media_threads(
            config.media_threads,
            config.media_nice,
            &token,
        )
        .map_err(|e| EngineError::Stack(format!("cannot start media threads: {e}")))?;
        let inner = Arc::new(Inner {
            digest: DigestAuthority::new(config.realm.clone(), &config.nonce_secret, 300)
                .with_algorithms(config.digest_algorithms.clone()),
            guard: Mutex::new(AuthGuard::new(config.guard)),
            media: MediaSockets::new(pool, bind_ip, media_threads),
            config,
            store,
            endpoint: ep.clone(),
            dialogs,
            local,
            public_ip,
            contact,
            token: token.clone(),
            metrics: Arc::default(),
            webhooks: crate::webhook::WebhookClient::new().map_err(|e| {
                EngineError::Stack(format!("cannot create the webhook client: {e}"))
            })?,
            audio: crate::app::AudioCache::default(),
            live: crate::app::LiveCalls::default(),
            queues: crate::app::Queues::default(),
        });
        // Off the start-up path: spawning a program takes milliseconds.
        tokio::task::spawn_blocking(check_speech_synthesizer);
        let serving = ep.clone();
        tokio::spawn(async move {
            if let Err(e) = serving.serve().await {
                tracing::error!(error = %e, "SIP endpoint stopped");
            }
        });
        tokio::spawn(dispatch(inner.clone(), incoming));
        tokio::spawn(housekeeping(inner.clone()));
        wait_for_tcp_listener(local).await;
        tracing::debug!(sip = %local, public = %public, "SIP listening on UDP and TCP");
        Ok(Self { inner, endpoint })
    }

    /// The SIP address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.inner.local
    }

    pub fn inner(&self) -> &Arc<Inner<S>> {
        &self.inner
    }

    /// The counters, in Prometheus text format.
    pub fn metrics(&self) -> String {
        self.inner.metrics.render(self.inner.media.in_use())
    }

    pub fn shutdown(&self) {
        self.endpoint.shutdown();
        self.inner.token.cancel();
    }
}

/// Binds UDP (resolving port 0) and makes sure TCP can bind the same port: rsipstack
/// binds its TCP listener later and would only log a failure.
async fn bind_udp_and_check_tcp(
    addr: SocketAddr,
    token: &CancellationToken,
) -> Result<(UdpConnection, SocketAddr), EngineError> {
    let attempts = if addr.port() == 0 { 10 } else { 1 };
    let mut last = None;
    for _ in 0..attempts {
        let udp = UdpConnection::create_connection(addr, None, Some(token.child_token()))
            .await
            .map_err(|e| EngineError::Bind {
                addr,
                source: std::io::Error::other(e.to_string()),
            })?;
        let port = udp
            .get_addr()
            .get_socketaddr()
            .map_err(|e| EngineError::Stack(e.to_string()))?
            .port();
        let local = SocketAddr::new(addr.ip(), port);
        match std::net::TcpListener::bind(local) {
            Ok(probe) => {
                drop(probe);
                return Ok((udp, local));
            }
            Err(e) => last = Some(e),
        }
    }
    Err(EngineError::Bind {
        addr,
        source: last.unwrap_or_else(|| std::io::Error::other("TCP bind failed")),
    })
}

/// rsipstack binds its TCP listener in a task of its own: wait (briefly) until it
/// accepts connections, so that "listening" means a phone can connect over TCP at once.
async fn wait_for_tcp_listener(local: SocketAddr) {
    let target = if local.ip().is_unspecified() {
        SocketAddr::new(
            if local.is_ipv4() {
                IpAddr::from([127, 0, 0, 1])
            } else {
                IpAddr::from(std::net::Ipv6Addr::LOCALHOST)
            },
            local.port(),
        )
    } else {
        local
    };
    // Usually bound after a yield or two: poll often, for at most a second.
    for _ in 0..1000 {
        if tokio::net::TcpStream::connect(target).await.is_ok() {
            return;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    tracing::warn!(sip = %local, "the SIP TCP listener is not accepting connections yet");
}

/// The address to advertise when none is configured: the bind address, or for a
/// wildcard bind the first non-loopback IPv4 address (loopback when there is none).
fn advertised_ip(bound: IpAddr) -> IpAddr {
    if !bound.is_unspecified() {
        return bound;
    }
    // Connecting a UDP socket sends nothing; it only asks the kernel for a route.
    std::net::UdpSocket::bind("0.0.0.0:0")
        .and_then(|s| {
            s.connect("192.0.2.1:9")?;
            s.local_addr()
        })
        .map(|a| a.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]))
}

/// `say` needs espeak-ng: say so at start-up rather than at the first call.
fn check_speech_synthesizer() {
    let found = std::process::Command::new(crate::app::ESPEAK)
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        tracing::error!(
            "the `say` verb is unavailable: {} was not found (install it: apt-get install espeak-ng); calls that use `say` skip it and report the error to the application",
            crate::app::ESPEAK
        );
    }
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Hands each new server transaction to its handler, each in its own task.
async fn dispatch<S: Store>(
    inner: Arc<Inner<S>>,
    mut incoming: rsipstack::transaction::TransactionReceiver,
) {
    while let Some(tx) = incoming.recv().await {
        let inner = inner.clone();
        tokio::spawn(async move { route(inner, tx).await });
    }
}

async fn route<S: Store>(inner: Arc<Inner<S>>, mut tx: Transaction) {
    let method = tx.original.method;
    if tx.original.version != rsipstack::sip::Version::V2 {
        // A version we do not speak: 505, written in the one we do.
        tx.original.version = rsipstack::sip::Version::V2;
        if method != Method::Ack {
            let _ = tx.reply(StatusCode::VersionNotSupported).await;
        }
        return;
    }
    let in_dialog = headers::has_to_tag(&tx.original);
    if in_dialog
        || matches!(
            method,
            Method::Bye | Method::Ack | Method::Info | Method::Update | Method::PRack
        )
    {
        if let Some(mut dialog) = inner.dialogs.match_dialog(&tx) {
            if let Err(e) = dialog.handle(&mut tx).await {
                tracing::debug!(error = %e, %method, "in-dialog request failed");
            }
        } else if method != Method::Ack {
            let _ = tx.reply(StatusCode::CallTransactionDoesNotExist).await;
        }
        return;
    }
    match method {
        Method::Register => register::handle(&inner, tx).await,
        Method::Options => {
            let _ = tx
                .reply_with(
                    StatusCode::OK,
                    vec![
                        headers::other("Allow", headers::ALLOW),
                        headers::other("Accept", "application/sdp"),
                    ],
                    None,
                )
                .await;
        }
        Method::Invite => crate::call::handle_invite(inner, tx).await,
        _ => {
            let _ = tx
                .reply_with(
                    StatusCode::MethodNotAllowed,
                    vec![headers::other("Allow", headers::ALLOW)],
                    None,
                )
                .await;
        }
    }
}

/// Periodic chores: expired bindings, the auth guard's memory.
async fn housekeeping<S: Store>(inner: Arc<Inner<S>>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        tokio::select! {
            () = inner.token.cancelled() => break,
            _ = tick.tick() => {}
        }
        match inner.store.purge_bindings(unix_now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(bindings = n, "registrations expired"),
            Err(e) => tracing::warn!(error = %e, "cannot purge expired registrations"),
        }
        if let Ok(mut guard) = inner.guard.lock() {
            guard.prune(std::time::Instant::now());
        }
    }
}
