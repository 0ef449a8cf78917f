//! The relay task of one call: it owns both legs' RTP and RTCP sockets, forwards what
//! arrives on one leg to the other leg's peer (translated by [`super::rtp`]), and tells
//! the call when a peer that should be sending has gone silent.

use super::rtp::{Latch, LegFormat, rewrite};
use super::stream::OutStream;
use super::tap::Mixer;
use crate::metrics::Metrics;
use crate::ports::{PortPool, PortsError};
use rsipstack::platform::CancellationToken;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;
use tokio::runtime::Handle;
use tokio::sync::{mpsc, oneshot};

/// Binds the sockets of call legs from the configured port range, on the media
/// threads: each call's relay runs on one dedicated single-threaded runtime, so a
/// packet is received and forwarded without waking another thread.
#[derive(Debug)]
pub struct MediaSockets {
    pool: Arc<Mutex<PortPool>>,
    bind_ip: IpAddr,
    runtimes: Vec<Handle>,
    next: AtomicUsize,
}

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error(transparent)]
    Ports(#[from] PortsError),
    #[error("cannot bind RTP sockets: {0}")]
    Bind(std::io::Error),
}

/// Starts `count` media threads, each running a single-threaded tokio runtime until
/// `stop` is cancelled, at scheduling priority `nice` (negative: before other threads;
/// needs CAP_SYS_NICE, and without it they run at normal priority). Returns their
/// handles.
pub fn start_media_threads(
    count: usize,
    nice: i32,
    stop: &CancellationToken,
) -> std::io::Result<Vec<Handle>> {
    let mut handles = Vec::with_capacity(count);
    for i in 0..count.max(1) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        handles.push(runtime.handle().clone());
        let stop = stop.clone();
        std::thread::Builder::new()
            .name(format!("media-{i}"))
            .spawn(move || {
                raise_priority(nice);
                runtime.block_on(stop.cancelled());
            })?;
    }
    Ok(handles)
}

/// Gives the calling thread the scheduling priority `nice`. A relayed packet waits for
/// its thread to get a CPU: on a busy machine a raised priority keeps that wait short.
fn raise_priority(nice: i32) {
    if nice == 0 {
        return;
    }
    static SAID: std::sync::Once = std::sync::Once::new();
    let tid = rustix::thread::gettid();
    if let Err(e) = rustix::process::setpriority_process(Some(tid), nice) {
        // Every media thread fails alike (a container without CAP_SYS_NICE): once is
        // enough.
        SAID.call_once(|| {
            tracing::warn!(nice, error = %e, "media threads keep the normal priority: raising it needs CAP_SYS_NICE (set SWITCHBOARD_MEDIA_NICE=0 to not ask)");
        });
    }
}

impl MediaSockets {
    /// Legs on `runtimes` (round-robin by call); none: the runtime of the caller.
    pub fn new(pool: PortPool, bind_ip: IpAddr, runtimes: Vec<Handle>) -> Self {
        Self {
            pool: Arc::new(Mutex::new(pool)),
            bind_ip,
            runtimes,
            next: AtomicUsize::new(0),
        }
    }

    /// Port pairs in use right now.
    pub fn in_use(&self) -> usize {
        self.pool.lock().map(|p| p.in_use()).unwrap_or(0)
    }

    /// Binds an RTP/RTCP socket pair for a new call. Ports taken by other programs are
    /// skipped.
    pub fn open_leg(&self) -> Result<MediaLeg, MediaError> {
        let current;
        let runtime = if self.runtimes.is_empty() {
            current = Handle::current();
            &current
        } else {
            &self.runtimes[self.next.fetch_add(1, Ordering::Relaxed) % self.runtimes.len()]
        };
        self.open_leg_on(runtime)
    }

    /// Binds a socket pair on a given media runtime (beside a leg now owned by a task).
    pub fn open_leg_on_runtime(&self, runtime: &Handle) -> Result<MediaLeg, MediaError> {
        self.open_leg_on(runtime)
    }

    fn open_leg_on(&self, runtime: &Handle) -> Result<MediaLeg, MediaError> {
        let capacity = self.pool.lock().map(|p| p.capacity()).unwrap_or(0);
        let mut last_error = None;
        // Sockets register with the reactor of the runtime entered here.
        let _entered = runtime.enter();
        for _ in 0..capacity.min(64) {
            let port = self
                .pool
                .lock()
                .map_err(|_| MediaError::Bind(std::io::Error::other("port pool poisoned")))?
                .allocate()?;
            match bind_pair(self.bind_ip, port) {
                Ok((rtp, rtcp)) => {
                    return Ok(MediaLeg {
                        rtp,
                        rtcp,
                        port,
                        out: OutStream::new(),
                        pool: self.pool.clone(),
                        runtime: runtime.clone(),
                    });
                }
                Err(e) => {
                    // Busy elsewhere: give it back (round-robin moves on, so it is not
                    // retried at once) and try the next.
                    tracing::debug!(port, error = %e, "RTP port busy, trying the next pair");
                    if let Ok(mut pool) = self.pool.lock() {
                        pool.release(port);
                    }
                    last_error = Some(e);
                }
            }
        }
        Err(MediaError::Bind(
            last_error.unwrap_or_else(|| std::io::Error::other("no port")),
        ))
    }
}

fn bind_pair(ip: IpAddr, port: u16) -> std::io::Result<(UdpSocket, UdpSocket)> {
    let rtp = std::net::UdpSocket::bind(SocketAddr::new(ip, port))?;
    let rtcp = std::net::UdpSocket::bind(SocketAddr::new(ip, port + 1))?;
    rtp.set_nonblocking(true)?;
    rtcp.set_nonblocking(true)?;
    Ok((UdpSocket::from_std(rtp)?, UdpSocket::from_std(rtcp)?))
}

/// The sockets of one leg; the port pair returns to the pool when it is dropped.
#[derive(Debug)]
pub struct MediaLeg {
    rtp: UdpSocket,
    rtcp: UdpSocket,
    port: u16,
    /// The one RTP stream the phone hears on this leg, whoever feeds it (an endpoint,
    /// then a bridge, then an endpoint again…): it lives as long as the leg.
    out: OutStream,
    pool: Arc<Mutex<PortPool>>,
    /// The media runtime whose reactor drives these sockets.
    runtime: Handle,
}

impl MediaLeg {
    /// The RTP port (RTCP is the next one).
    pub fn port(&self) -> u16 {
        self.port
    }

    pub(crate) fn rtp(&self) -> &UdpSocket {
        &self.rtp
    }

    pub(crate) fn rtcp(&self) -> &UdpSocket {
        &self.rtcp
    }

    /// Sends an RTP packet to the phone at `target` as part of the leg's one stream:
    /// its SSRC, sequence number, timestamp and marker are rewritten in place
    /// ([`OutStream`]). A UDP send only waits when the socket buffer is full: then the
    /// packet is late anyway, so it is not sent (and the phone sees it as lost).
    pub(crate) fn send_rtp(
        &mut self,
        packet: &mut [u8],
        target: SocketAddr,
        now: Instant,
    ) -> std::io::Result<usize> {
        self.out.restamp(packet, now);
        self.rtp.try_send_to(packet, target)
    }

    /// What this leg sends from now on comes from another source (see
    /// [`OutStream::cut`]).
    pub(crate) fn cut(&mut self) {
        self.out.cut();
    }

    /// The media runtime whose reactor drives these sockets: their tasks run there.
    pub(crate) fn runtime(&self) -> &Handle {
        &self.runtime
    }
}

impl Drop for MediaLeg {
    fn drop(&mut self) {
        if let Ok(mut pool) = self.pool.lock() {
            pool.release(self.port);
        }
    }
}

/// How a leg's peer is reached and what it speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    /// From the peer's SDP (RTP port; RTCP is assumed on the next one).
    pub address: Option<SocketAddr>,
    pub format: LegFormat,
    /// Whether the peer is expected to send (not on hold): silence is then a fault.
    pub sends: bool,
}

/// Which leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    A,
    B,
}

/// Orders to a running bridge.
#[derive(Debug)]
pub enum BridgeCommand {
    /// Attach (or replace) leg B.
    Connect(MediaLeg, Peer),
    /// A new SDP from a peer (re-INVITE, hold, the answer arriving).
    Update(Side, Peer),
    /// Record the conversation from now on; the mixed audio is sent when the bridge stops.
    Record(oneshot::Sender<Vec<i16>>),
}

/// What a bridge reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BridgeEvent {
    /// The peer of this side sent nothing for the configured time.
    RtpTimeout(Side),
}

/// Packet counts of a finished bridge.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BridgeStats {
    pub a_to_b: u64,
    pub b_to_a: u64,
    pub dropped: u64,
}

/// Controls a running bridge; dropping it stops the bridge and frees its ports.
#[derive(Debug)]
pub struct BridgeHandle {
    commands: mpsc::UnboundedSender<BridgeCommand>,
    task: tokio::task::JoinHandle<(BridgeStats, MediaLeg, Option<MediaLeg>)>,
}

impl BridgeHandle {
    pub fn connect(&self, leg: MediaLeg, peer: Peer) {
        let _ = self.commands.send(BridgeCommand::Connect(leg, peer));
    }

    pub fn update(&self, side: Side, peer: Peer) {
        let _ = self.commands.send(BridgeCommand::Update(side, peer));
    }

    /// Records both directions, mixed, from now until the bridge stops; the audio
    /// (8 kHz) comes through the receiver then.
    pub fn record(&self) -> oneshot::Receiver<Vec<i16>> {
        let (tx, rx) = oneshot::channel();
        let _ = self.commands.send(BridgeCommand::Record(tx));
        rx
    }

    /// Stops the relay and returns what it moved.
    pub async fn stop(self) -> BridgeStats {
        self.stop_keep_legs().await.0
    }

    /// Stops the relay, returning what it moved and both legs' sockets (to go on with
    /// each leg alone, e.g. after a dialled party hung up).
    pub async fn stop_keep_legs(self) -> (BridgeStats, Option<MediaLeg>, Option<MediaLeg>) {
        drop(self.commands);
        match self.task.await {
            Ok((stats, a, b)) => (stats, Some(a), b),
            Err(_) => (BridgeStats::default(), None, None),
        }
    }
}

struct LegState {
    leg: MediaLeg,
    peer: Peer,
    rtp: Latch,
    rtcp: Latch,
    /// Since when silence counts (start, or the last update).
    watching_since: Instant,
}

impl LegState {
    /// A leg joining the bridge: what it sends from now on is the other leg's audio.
    fn new(mut leg: MediaLeg, peer: Peer, now: Instant) -> Self {
        leg.cut();
        let rtcp_addr = peer
            .address
            .map(|a| SocketAddr::new(a.ip(), a.port().wrapping_add(1)));
        Self {
            leg,
            rtp: Latch::new(peer.address),
            rtcp: Latch::new(rtcp_addr),
            peer,
            watching_since: now,
        }
    }

    fn update(&mut self, peer: Peer, now: Instant) {
        if peer.address != self.peer.address {
            self.rtp.resignal(peer.address);
            self.rtcp.resignal(
                peer.address
                    .map(|a| SocketAddr::new(a.ip(), a.port().wrapping_add(1))),
            );
        }
        self.peer = peer;
        self.watching_since = now;
    }

    fn silent_for(&self, now: Instant) -> Duration {
        let since = match self.rtp.last_packet() {
            Some(t) if t > self.watching_since => t,
            _ => self.watching_since,
        };
        now.duration_since(since)
    }
}

/// Starts relaying for a call whose first leg is `a`. Leg B is attached later
/// ([`BridgeHandle::connect`]), when the callee answers or sends early media.
pub fn start(
    a: MediaLeg,
    peer: Peer,
    rtp_timeout: Duration,
    events: mpsc::UnboundedSender<BridgeEvent>,
    metrics: Arc<Metrics>,
) -> BridgeHandle {
    let (commands, rx) = mpsc::unbounded_channel();
    let task = a.runtime.clone().spawn(run(
        LegState::new(a, peer, Instant::now()),
        rx,
        rtp_timeout,
        events,
        metrics,
    ));
    BridgeHandle { commands, task }
}

async fn run(
    mut a: LegState,
    mut commands: mpsc::UnboundedReceiver<BridgeCommand>,
    rtp_timeout: Duration,
    events: mpsc::UnboundedSender<BridgeEvent>,
    metrics: Arc<Metrics>,
) -> (BridgeStats, MediaLeg, Option<MediaLeg>) {
    let mut b: Option<LegState> = None;
    let mut stats = BridgeStats::default();
    let (mut buf_a, mut buf_b) = ([0u8; 1500], [0u8; 1500]);
    let (mut rtcp_a, mut rtcp_b) = ([0u8; 1500], [0u8; 1500]);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut reported = (false, false);
    let mut flushed = BridgeStats::default();
    let mut recording: Option<(Mixer, oneshot::Sender<Vec<i16>>)> = None;
    loop {
        tokio::select! {
            // Packets first: the command channel and the timer are rarely ready.
            biased;
            r = a.leg.rtp.recv_from(&mut buf_a) => {
                if let Ok((n, src)) = r {
                    if let Some((mixer, _)) = recording.as_mut() {
                        mixer.add_packet(0, Instant::now(), &buf_a[..n], &a.peer.format);
                    }
                    relay(&mut buf_a[..n], src, &mut a, b.as_mut(), &mut stats, Side::A);
                }
            }
            r = async { b.as_ref().map(|s| &s.leg.rtp).expect("guarded").recv_from(&mut buf_b).await }, if b.is_some() => {
                if let (Ok((n, src)), Some(bs)) = (r, b.as_mut()) {
                    if let Some((mixer, _)) = recording.as_mut() {
                        mixer.add_packet(1, Instant::now(), &buf_b[..n], &bs.peer.format);
                    }
                    relay(&mut buf_b[..n], src, bs, Some(&mut a), &mut stats, Side::B);
                }
            }
            r = a.leg.rtcp.recv_from(&mut rtcp_a) => {
                if let Ok((n, src)) = r {
                    relay_rtcp(&rtcp_a[..n], src, &mut a, b.as_mut());
                }
            }
            r = async { b.as_ref().map(|s| &s.leg.rtcp).expect("guarded").recv_from(&mut rtcp_b).await }, if b.is_some() => {
                if let (Ok((n, src)), Some(bs)) = (r, b.as_mut()) {
                    relay_rtcp(&rtcp_b[..n], src, bs, Some(&mut a));
                }
            }
            command = commands.recv() => match command {
                None => break,
                Some(BridgeCommand::Connect(leg, peer)) => {
                    // Another party: A's phone hears a new source, on the same stream.
                    a.leg.cut();
                    b = Some(LegState::new(leg, peer, Instant::now()));
                    reported.1 = false;
                }
                Some(BridgeCommand::Update(Side::A, peer)) => {
                    a.update(peer, Instant::now());
                    reported.0 = false;
                }
                Some(BridgeCommand::Record(done)) => {
                    recording = Some((Mixer::new(Instant::now()), done));
                }
                Some(BridgeCommand::Update(Side::B, peer)) => {
                    if let Some(bs) = b.as_mut() {
                        bs.update(peer, Instant::now());
                        reported.1 = false;
                    }
                }
            },
            _ = tick.tick() => {
                flush(&metrics, &stats, &mut flushed);
                let now = Instant::now();
                if !reported.0 && a.peer.sends && a.silent_for(now) >= rtp_timeout {
                    reported.0 = true;
                    let _ = events.send(BridgeEvent::RtpTimeout(Side::A));
                }
                if let Some(bs) = &b
                    && !reported.1 && bs.peer.sends && bs.silent_for(now) >= rtp_timeout
                {
                    reported.1 = true;
                    let _ = events.send(BridgeEvent::RtpTimeout(Side::B));
                }
            }
        }
    }
    flush(&metrics, &stats, &mut flushed);
    if let Some((mixer, done)) = recording {
        let _ = done.send(mixer.finish());
    }
    (stats, a.leg, b.map(|b| b.leg))
}

/// Adds what moved since the last flush to the shared counters.
fn flush(metrics: &Metrics, stats: &BridgeStats, flushed: &mut BridgeStats) {
    let moved = (stats.a_to_b + stats.b_to_a) - (flushed.a_to_b + flushed.b_to_a);
    Metrics::add(&metrics.rtp_relayed_total, moved);
    Metrics::add(&metrics.rtp_dropped_total, stats.dropped - flushed.dropped);
    *flushed = *stats;
}

/// One RTP packet from `from`'s peer, forwarded to `to`'s peer.
fn relay(
    packet: &mut [u8],
    src: SocketAddr,
    from: &mut LegState,
    to: Option<&mut LegState>,
    stats: &mut BridgeStats,
    side: Side,
) {
    let now = Instant::now();
    if !from
        .rtp
        .accept(src, super::rtp::ssrc_of(packet, false), now)
    {
        stats.dropped += 1;
        return;
    }
    let Some(to) = to else {
        stats.dropped += 1;
        return;
    };
    let Some(target) = to.rtp.target() else {
        stats.dropped += 1;
        return;
    };
    if !rewrite(packet, &from.peer.format, &to.peer.format) {
        stats.dropped += 1;
        return;
    }
    // Not waiting for a full socket buffer keeps the other calls of this thread going.
    if to.leg.send_rtp(packet, target, now).is_ok() {
        match side {
            Side::A => stats.a_to_b += 1,
            Side::B => stats.b_to_a += 1,
        }
    } else {
        stats.dropped += 1;
    }
}

/// RTCP is passed through unchanged, so each end still sees the other's reports. (They
/// name their sender's own SSRC: once a leg's stream has switched sources, that is not
/// the SSRC the phone receives RTP from ([`super::stream`]), and the phone files them
/// under another participant, RFC 3550 §6.2.1.)
fn relay_rtcp(packet: &[u8], src: SocketAddr, from: &mut LegState, to: Option<&mut LegState>) {
    if !from
        .rtcp
        .accept(src, super::rtp::ssrc_of(packet, true), Instant::now())
    {
        return;
    }
    if let Some(to) = to
        && let Some(target) = to.rtcp.target()
    {
        let _ = to.leg.rtcp.try_send_to(packet, target);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdp::Codec;

    const ULAW: LegFormat = LegFormat {
        codec: Codec::Pcmu,
        codec_pt: 0,
        dtmf_pt: Some(101),
    };
    const ALAW: LegFormat = LegFormat {
        codec: Codec::Pcma,
        codec_pt: 8,
        dtmf_pt: Some(96),
    };

    fn rtp(pt: u8, seq: u16, payload: &[u8]) -> Vec<u8> {
        rtp_rs::RtpPacketBuilder::new()
            .payload_type(pt)
            .ssrc(1)
            .sequence(rtp_rs::Seq::from(seq))
            .timestamp(u32::from(seq) * 160)
            .payload(payload)
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn relays_both_ways_translating_and_frees_ports() {
        let sockets = MediaSockets::new(
            PortPool::new(30000, 30019).unwrap(),
            "127.0.0.1".parse().unwrap(),
            Vec::new(),
        );
        let phone_a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let phone_b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let (events, mut events_rx) = mpsc::unbounded_channel();
        let leg_a = sockets.open_leg().unwrap();
        let leg_b = sockets.open_leg().unwrap();
        let (port_a, port_b) = (leg_a.port(), leg_b.port());
        assert_eq!(sockets.in_use(), 2);
        let peer_a = Peer {
            address: Some(phone_a.local_addr().unwrap()),
            format: ULAW,
            sends: true,
        };
        let peer_b = Peer {
            address: Some(phone_b.local_addr().unwrap()),
            format: ALAW,
            sends: true,
        };
        let bridge = start(
            leg_a,
            peer_a,
            Duration::from_secs(30),
            events,
            Arc::default(),
        );
        bridge.connect(leg_b, peer_b);
        tokio::time::sleep(Duration::from_millis(20)).await;

        let ours_a: SocketAddr = format!("127.0.0.1:{port_a}").parse().unwrap();
        let ours_b: SocketAddr = format!("127.0.0.1:{port_b}").parse().unwrap();
        let mut buf = [0u8; 1500];
        for seq in 0..5u16 {
            phone_a
                .send_to(&rtp(0, seq, &[0xff; 160]), ours_a)
                .await
                .unwrap();
            let (n, from) =
                tokio::time::timeout(Duration::from_secs(2), phone_b.recv_from(&mut buf))
                    .await
                    .unwrap()
                    .unwrap();
            assert_eq!(from, ours_b, "B hears us from its own leg's port");
            let r = rtp_rs::RtpReader::new(&buf[..n]).unwrap();
            assert_eq!(r.payload_type(), 8);
            assert_eq!(u16::from(r.sequence_number()), seq);
        }
        phone_b
            .send_to(&rtp(96, 9, &[1, 0x8a, 0, 160]), ours_b)
            .await
            .unwrap();
        let (n, from) = tokio::time::timeout(Duration::from_secs(2), phone_a.recv_from(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(from, ours_a);
        assert_eq!(
            rtp_rs::RtpReader::new(&buf[..n]).unwrap().payload_type(),
            101,
            "DTMF renumbered"
        );
        assert!(events_rx.try_recv().is_err());

        let stats = bridge.stop().await;
        assert_eq!(
            stats,
            BridgeStats {
                a_to_b: 5,
                b_to_a: 1,
                dropped: 0
            }
        );
        assert_eq!(sockets.in_use(), 0, "ports back in the pool");
    }

    #[tokio::test]
    async fn reports_a_silent_peer() {
        let sockets = MediaSockets::new(
            PortPool::new(30020, 30039).unwrap(),
            "127.0.0.1".parse().unwrap(),
            Vec::new(),
        );
        let (events, mut events_rx) = mpsc::unbounded_channel();
        let peer = Peer {
            address: Some("127.0.0.1:9".parse().unwrap()),
            format: ULAW,
            sends: true,
        };
        let bridge = start(
            sockets.open_leg().unwrap(),
            peer,
            Duration::from_millis(1500),
            events,
            Arc::default(),
        );
        let event = tokio::time::timeout(Duration::from_secs(5), events_rx.recv())
            .await
            .unwrap();
        assert_eq!(event, Some(BridgeEvent::RtpTimeout(Side::A)));
        // On hold, silence is expected.
        bridge.update(
            Side::A,
            Peer {
                sends: false,
                ..peer
            },
        );
        assert!(
            tokio::time::timeout(Duration::from_millis(2500), events_rx.recv())
                .await
                .is_err()
        );
        bridge.stop().await;
    }
}
