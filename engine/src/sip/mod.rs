//! The SIP side of the engine: one rsipstack endpoint listening on UDP and TCP, and the
//! dispatcher that hands each new server transaction to the registrar, the
//! message-waiting subscriptions ([`subscribe`]), the dialog it belongs to, or — for a
//! new INVITE — to whoever takes calls ([`Invites`]). This
//! layer knows nothing of calls: the engine hands INVITEs to the call layer.

pub mod auth;
pub mod flood;
pub mod headers;
pub mod path;
pub mod proxies;
pub mod register;
pub mod subscribe;

use crate::config::EngineConfig;
use crate::digest::DigestAuthority;
use crate::metrics::Metrics;
use crate::store::Store;
use auth::SipAuth;
use register::Registrar;
use rsipstack::EndpointBuilder;
use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::platform::CancellationToken;
use rsipstack::sip::{Method, StatusCode, Uri};
use rsipstack::transaction::{Endpoint, Transaction};
use rsipstack::transport::udp::UdpConnection;
use rsipstack::transport::{TcpListenerConnection, TransportLayer};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use subscribe::Mwi;
use tokio::sync::mpsc;

/// Why the SIP stack could not start.
#[derive(Debug, thiserror::Error)]
pub enum SipError {
    #[error("cannot listen for SIP on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("SIP stack: {0}")]
    Stack(String),
}

/// What a call needs of the SIP stack: the dialog layer to send and follow requests,
/// and the addresses we speak from.
pub struct SipStack {
    pub dialogs: Arc<DialogLayer>,
    /// The address we bound (the real port when 0 was asked).
    pub local: SocketAddr,
    /// The address we advertise (Via, Contact, SDP).
    pub public_ip: IpAddr,
    /// Our Contact for dialogs.
    pub contact: Uri,
}

impl std::fmt::Debug for SipStack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SipStack")
            .field("local", &self.local)
            .field("public_ip", &self.public_ip)
            .finish_non_exhaustive()
    }
}

/// A started SIP stack.
pub struct Sip<S> {
    pub stack: Arc<SipStack>,
    /// Checks credentials (REGISTER here; INVITEs where calls are taken).
    pub auth: Arc<SipAuth<S>>,
    endpoint: Endpoint,
}

impl<S> std::fmt::Debug for Sip<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.stack.fmt(f)
    }
}

impl<S> Sip<S> {
    pub fn shutdown(&self) {
        self.endpoint.shutdown();
    }
}

/// New INVITEs (no To tag), for whoever takes calls.
pub type Invites = mpsc::UnboundedReceiver<Transaction>;

/// Binds the SIP sockets (UDP and TCP on the same port) and starts serving until
/// `stop`: REGISTERs go to the registrar, in-dialog requests to their dialog, new
/// INVITEs to the receiver returned.
pub async fn start<S: Store>(
    config: &EngineConfig,
    store: Arc<S>,
    metrics: Arc<Metrics>,
    stop: &CancellationToken,
) -> Result<(Sip<S>, Invites), SipError> {
    let (udp, local) = bind_udp_and_check_tcp(config.sip_addr, stop).await?;
    let public_ip = config
        .public_ip
        .unwrap_or_else(|| advertised_ip(local.ip()));
    let public = SocketAddr::new(public_ip, local.port());
    let transport = TransportLayer::new(stop.child_token());
    transport.add_transport(udp.into());
    let tcp = TcpListenerConnection::new(local, Some(public))
        .await
        .map_err(|e| SipError::Stack(e.to_string()))?;
    transport.add_transport(tcp.into());
    // Phones registered over TCP must stay reachable between refreshes.
    transport.set_stream_idle_timeout(std::time::Duration::ZERO);
    let endpoint = EndpointBuilder::new()
        .with_user_agent(&config.user_agent)
        .with_cancel_token(stop.child_token())
        .with_transport_layer(transport)
        .build();
    let incoming = endpoint
        .incoming_transactions()
        .map_err(|e| SipError::Stack(e.to_string()))?;
    let ep = endpoint.inner.clone();
    let contact = Uri::try_from(format!("sip:switchboard@{public}").as_str())
        .map_err(|e| SipError::Stack(e.to_string()))?;
    let stack = Arc::new(SipStack {
        dialogs: Arc::new(DialogLayer::new(ep.clone())),
        local,
        public_ip,
        contact,
    });
    let proxies = proxies::TrustedProxies::new(config.trusted_proxies.clone());
    let flood = Arc::new(flood::Flood::new(
        config.flood,
        proxies.clone(),
        metrics.clone(),
    ));
    let auth = Arc::new(SipAuth::new(
        store.clone(),
        DigestAuthority::new(config.realm.clone(), &config.nonce_secret, 300)
            .with_algorithms(config.digest_algorithms.clone()),
        config.guard,
        config.realm.clone(),
        metrics.clone(),
        Arc::new(crate::trunk::TrunkStates::default()),
        proxies,
    ));
    let mwi = Arc::new(Mwi::new(
        auth.clone(),
        store.clone(),
        stack.dialogs.clone(),
        public_ip.to_string(),
    ));
    tokio::spawn(flood.clone().watch(store.clone(), stop.clone()));
    let registrar = Arc::new(Registrar {
        auth: auth.clone(),
        store,
        expiry: config.expiry,
        metrics,
    });
    tokio::spawn(async move {
        if let Err(e) = ep.serve().await {
            tracing::error!(error = %e, "SIP endpoint stopped");
        }
    });
    let (invites_tx, invites) = mpsc::unbounded_channel();
    let dispatcher = Arc::new(Dispatcher {
        dialogs: stack.dialogs.clone(),
        registrar: registrar.clone(),
        mwi: mwi.clone(),
        invites: invites_tx,
    });
    tokio::spawn(dispatch(dispatcher, flood, incoming));
    tokio::spawn(mwi.watch(stop.clone()));
    tokio::spawn(registrar.housekeeping(stop.clone()));
    wait_for_tcp_listener(local).await;
    tracing::debug!(sip = %local, public = %public, "SIP listening on UDP and TCP");
    Ok((
        Sip {
            stack,
            auth,
            endpoint,
        },
        invites,
    ))
}

/// Binds UDP (resolving port 0) and makes sure TCP can bind the same port: rsipstack
/// binds its TCP listener later and would only log a failure.
async fn bind_udp_and_check_tcp(
    addr: SocketAddr,
    token: &CancellationToken,
) -> Result<(UdpConnection, SocketAddr), SipError> {
    let attempts = if addr.port() == 0 { 10 } else { 1 };
    let mut last = None;
    for _ in 0..attempts {
        let bind_error = |source| SipError::Bind { addr, source };
        let socket = std::net::UdpSocket::bind(addr).map_err(bind_error)?;
        socket.set_nonblocking(true).map_err(bind_error)?;
        widen_receive_buffer(&socket);
        let socket = tokio::net::UdpSocket::from_std(socket).map_err(bind_error)?;
        let udp = UdpConnection::from_socket(Arc::new(socket), None, Some(token.child_token()))
            .await
            .map_err(|e| SipError::Bind {
                addr,
                source: std::io::Error::other(e.to_string()),
            })?;
        let port = udp
            .get_addr()
            .get_socketaddr()
            .map_err(|e| SipError::Stack(e.to_string()))?
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
    Err(SipError::Bind {
        addr,
        source: last.unwrap_or_else(|| std::io::Error::other("TCP bind failed")),
    })
}

/// The receive buffer asked for the SIP UDP socket. Linux's default (208 KiB) holds three
/// 64 KB datagrams: under a flood of large messages a phone's responses were lost with
/// the rest (RELIABILITY.md, mutated messages), and a phone that treats our retransmitted
/// INVITE as a new request lost the call. 8 MiB holds about a quarter of a second of that
/// flood (2,000 messages a second, many of them 64 KB); the kernel dropped nothing since.
const RECEIVE_BUFFER: usize = 8 << 20;

/// Asks for [`RECEIVE_BUFFER`]: beyond `net.core.rmem_max` when allowed (root or
/// CAP_NET_ADMIN), else up to it. Failure is not fatal (the default buffer still works).
fn widen_receive_buffer(socket: &std::net::UdpSocket) {
    use rustix::net::sockopt;
    let _ = sockopt::set_socket_recv_buffer_size_force(socket, RECEIVE_BUFFER)
        .or_else(|_| sockopt::set_socket_recv_buffer_size(socket, RECEIVE_BUFFER));
    // Linux reports twice what it grants (the other half is its bookkeeping).
    let granted = sockopt::socket_recv_buffer_size(socket).unwrap_or(0) / 2;
    if granted < RECEIVE_BUFFER / 2 {
        tracing::info!(
            granted_kib = granted / 1024,
            wanted_kib = RECEIVE_BUFFER / 1024,
            "the SIP UDP receive buffer is smaller than wanted: a flood can drop SIP messages \
             (raise net.core.rmem_max, or run with CAP_NET_ADMIN)"
        );
    } else {
        tracing::debug!(granted_kib = granted / 1024, "SIP UDP receive buffer");
    }
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

/// Where each new server transaction goes.
struct Dispatcher<S> {
    dialogs: Arc<DialogLayer>,
    registrar: Arc<Registrar<S>>,
    mwi: Arc<Mwi<S>>,
    invites: mpsc::UnboundedSender<Transaction>,
}

/// Hands each new server transaction to its handler, each in its own task — unless its
/// source is over the flood limit: then it is dropped here, unanswered.
async fn dispatch<S: Store>(
    dispatcher: Arc<Dispatcher<S>>,
    flood: Arc<flood::Flood>,
    mut incoming: rsipstack::transaction::TransactionReceiver,
) {
    while let Some(tx) = incoming.recv().await {
        if !flood.admit(&tx) {
            continue;
        }
        let dispatcher = dispatcher.clone();
        tokio::spawn(async move { dispatcher.route(tx).await });
    }
}

impl<S: Store> Dispatcher<S> {
    async fn route(&self, mut tx: Transaction) {
        let method = tx.original.method;
        if tx.original.version != rsipstack::sip::Version::V2 {
            // A version we do not speak: 505, written in the one we do.
            tx.original.version = rsipstack::sip::Version::V2;
            if method != Method::Ack {
                let _ = tx.reply(StatusCode::VersionNotSupported).await;
            }
            return;
        }
        if let Some(why) = headers::malformed(&tx.original) {
            tracing::debug!(%method, why, "malformed request refused");
            if method != Method::Ack {
                let _ = tx
                    .reply_with(
                        StatusCode::BadRequest,
                        vec![headers::other(
                            "Warning",
                            format!("399 switchboard \"{why}\""),
                        )],
                        None,
                    )
                    .await;
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
            if let Some(mut dialog) = self.dialogs.match_dialog(&tx) {
                if let Err(e) = dialog.handle(&mut tx).await {
                    tracing::debug!(error = %e, %method, "in-dialog request failed");
                }
            } else if method != Method::Ack {
                let _ = tx.reply(StatusCode::CallTransactionDoesNotExist).await;
            }
            return;
        }
        match method {
            Method::Register => self.registrar.handle(tx).await,
            Method::Subscribe => self.mwi.handle(tx).await,
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
            Method::Invite => {
                if let Err(refused) = self.invites.send(tx) {
                    // Nobody takes calls (the engine is stopping).
                    let mut tx = refused.0;
                    let _ = tx.reply(StatusCode::ServiceUnavailable).await;
                }
            }
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
}
