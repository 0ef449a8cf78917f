//! The stream a phone hears on its leg, across everything that feeds the leg over a
//! call: our endpoint, a bridge to one party, then to another, our endpoint again.
//! The rules are [`super::stream`]'s (pure, tested there); this checks that the endpoint
//! and the bridge both send through them, with real UDP sockets.

use super::bridge::{MediaSockets, Peer, start};
use super::endpoint;
use super::rtp::LegFormat;
use super::stream::{Header, MIN_STEP};
use crate::ports::PortPool;
use crate::sdp::Codec;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

const ULAW: LegFormat = LegFormat {
    codec: Codec::Pcmu,
    codec_pt: 0,
    dtmf_pt: Some(101),
};

/// A phone at `ssrc`'s packet number `seq` (20 ms of µ-law each).
fn from_phone(ssrc: u32, seq: u16) -> Vec<u8> {
    rtp_rs::RtpPacketBuilder::new()
        .payload_type(0)
        .ssrc(ssrc)
        .sequence(rtp_rs::Seq::from(seq))
        .timestamp(u32::from(seq).wrapping_mul(160).wrapping_add(ssrc))
        .payload(&[0xff; 160])
        .build()
        .unwrap()
}

/// The header of the next packet `phone` receives.
async fn heard(phone: &UdpSocket) -> Header {
    let mut buf = [0u8; 1500];
    let (n, _) = tokio::time::timeout(Duration::from_secs(2), phone.recv_from(&mut buf))
        .await
        .expect("a packet")
        .unwrap();
    Header::read(&buf[..n]).expect("RTP")
}

/// The header of the last packet waiting at `phone` once nothing more comes
/// (`last` if none is).
async fn last_heard(phone: &UdpSocket, mut last: Header) -> Header {
    let mut buf = [0u8; 1500];
    while let Ok(Ok((n, _))) =
        tokio::time::timeout(Duration::from_millis(100), phone.recv_from(&mut buf)).await
    {
        last = Header::read(&buf[..n]).expect("RTP");
    }
    last
}

/// The caller's leg goes from our endpoint to one party, to another, and back to an
/// endpoint: its phone hears one SSRC throughout, sequence numbers by +1, timestamps
/// moving forward, and the marker bit exactly where the source changed.
#[tokio::test]
async fn the_phone_hears_one_stream_from_every_source_of_its_leg() {
    let sockets = MediaSockets::new(
        PortPool::new(30040, 30059).unwrap(),
        "127.0.0.1".parse().unwrap(),
        Vec::new(),
    );
    let phones = [
        UdpSocket::bind("127.0.0.1:0").await.unwrap(),
        UdpSocket::bind("127.0.0.1:0").await.unwrap(),
        UdpSocket::bind("127.0.0.1:0").await.unwrap(),
    ];
    let [caller, first, second] = &phones;
    let peer = |phone: &UdpSocket| Peer {
        address: Some(phone.local_addr().unwrap()),
        format: ULAW,
        sends: true,
    };
    let (endpoint_events, _endpoint_events) = mpsc::unbounded_channel();
    let (bridge_events, _bridge_events) = mpsc::unbounded_channel();
    let timeout = Duration::from_secs(30);

    // Our endpoint plays to the caller (silence, paced), then lends the leg.
    let ours = endpoint::start(
        sockets.open_leg().unwrap(),
        peer(caller),
        timeout,
        endpoint_events.clone(),
    );
    let opening = heard(caller).await;
    let leg = ours.release().await.unwrap();
    let played = last_heard(caller, opening).await;
    assert_eq!(played.ssrc, opening.ssrc);

    // Bridged to a first party.
    let bridge = start(leg, peer(caller), timeout, bridge_events, Arc::default());
    let leg_first = sockets.open_leg().unwrap();
    let to_first: SocketAddr = format!("127.0.0.1:{}", leg_first.port()).parse().unwrap();
    bridge.connect(leg_first, peer(first));
    tokio::time::sleep(Duration::from_millis(20)).await;
    first.send_to(&from_phone(111, 40), to_first).await.unwrap();
    let switched = heard(caller).await;
    assert_eq!(
        (switched.ssrc, switched.seq, switched.marker),
        (opening.ssrc, played.seq.wrapping_add(1), true),
        "the first party's audio continues the stream, marked"
    );
    let ahead = switched.timestamp.wrapping_sub(played.timestamp);
    assert!(
        (MIN_STEP..40_000).contains(&ahead),
        "by the time elapsed: {ahead} samples"
    );
    first.send_to(&from_phone(111, 41), to_first).await.unwrap();
    let next = heard(caller).await;
    assert_eq!(
        (next.ssrc, next.seq, next.timestamp, next.marker),
        (
            opening.ssrc,
            switched.seq.wrapping_add(1),
            switched.timestamp.wrapping_add(160),
            false
        ),
        "within one source, its own spacing"
    );

    // Another party takes over (another device answered).
    let leg_second = sockets.open_leg().unwrap();
    let to_second: SocketAddr = format!("127.0.0.1:{}", leg_second.port()).parse().unwrap();
    bridge.connect(leg_second, peer(second));
    tokio::time::sleep(Duration::from_millis(20)).await;
    second
        .send_to(&from_phone(222, 9000), to_second)
        .await
        .unwrap();
    let other = heard(caller).await;
    assert_eq!(
        (other.ssrc, other.seq, other.marker),
        (opening.ssrc, next.seq.wrapping_add(1), true)
    );

    // The bridge ends; our endpoint plays on the same leg again.
    let (_, leg, _) = bridge.stop_keep_legs().await;
    let ours = endpoint::start(leg.unwrap(), peer(caller), timeout, endpoint_events);
    let again = heard(caller).await;
    assert_eq!(
        (again.ssrc, again.seq, again.marker),
        (opening.ssrc, other.seq.wrapping_add(1), true)
    );
    assert!(again.timestamp.wrapping_sub(other.timestamp) >= MIN_STEP);
    let then = heard(caller).await;
    assert_eq!(
        (then.seq, then.timestamp, then.marker),
        (
            again.seq.wrapping_add(1),
            again.timestamp.wrapping_add(160),
            false
        )
    );
    ours.stop().await;
}
