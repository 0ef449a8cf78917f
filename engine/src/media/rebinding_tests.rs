//! A phone whose NAT gives it a new address mid-call (a rebinding): its packets arrive
//! from another port with the same SSRC. The bridge follows it at once — nothing it
//! sends is dropped, and the other party's audio goes to the new address from the next
//! packet — with real UDP sockets. A stranger's packets in the meantime are not relayed.

use super::bridge::{BridgeStats, MediaSockets, Peer, start};
use super::rtp::LegFormat;
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

fn packet(ssrc: u32, seq: u16) -> Vec<u8> {
    rtp_rs::RtpPacketBuilder::new()
        .payload_type(0)
        .ssrc(ssrc)
        .sequence(rtp_rs::Seq::from(seq))
        .timestamp(u32::from(seq) * 160)
        .payload(&[0xff; 160])
        .build()
        .unwrap()
}

/// The sequence number of the next packet at `phone`, and where it came from.
async fn next(phone: &UdpSocket) -> Option<(u16, SocketAddr)> {
    let mut buf = [0u8; 1500];
    let (n, from) = tokio::time::timeout(Duration::from_millis(500), phone.recv_from(&mut buf))
        .await
        .ok()?
        .ok()?;
    let reader = rtp_rs::RtpReader::new(&buf[..n]).ok()?;
    Some((u16::from(reader.sequence_number()), from))
}

#[tokio::test]
async fn a_phone_whose_nat_rebinds_keeps_its_audio_both_ways() {
    let sockets = MediaSockets::new(
        PortPool::new(30060, 30079).unwrap(),
        "127.0.0.1".parse().unwrap(),
        Vec::new(),
    );
    let before = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let after = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let stranger = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let other = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let (events, _events_rx) = mpsc::unbounded_channel();
    let (leg_a, leg_b) = (sockets.open_leg().unwrap(), sockets.open_leg().unwrap());
    let ours_a: SocketAddr = format!("127.0.0.1:{}", leg_a.port()).parse().unwrap();
    let ours_b: SocketAddr = format!("127.0.0.1:{}", leg_b.port()).parse().unwrap();
    let peer = |socket: &UdpSocket| Peer {
        address: Some(socket.local_addr().unwrap()),
        format: ULAW,
        sends: true,
    };
    let bridge = start(
        leg_a,
        peer(&before),
        Duration::from_secs(30),
        events,
        Arc::default(),
    );
    bridge.connect(leg_b, peer(&other));
    tokio::time::sleep(Duration::from_millis(20)).await;

    // 10 packets from the phone's first address, 10 from its new one: all reach the other
    // party, in order.
    for seq in 0..20u16 {
        let from = if seq < 10 { &before } else { &after };
        from.send_to(&packet(7, seq), ours_a).await.unwrap();
        assert_eq!(
            next(&other).await.map(|(s, _)| s),
            Some(seq),
            "packet {seq}"
        );
        if seq == 14 {
            // A stranger with another stream, in the middle: not relayed.
            stranger.send_to(&packet(99, 500), ours_a).await.unwrap();
            assert!(next(&other).await.is_none(), "the stranger was relayed");
        }
    }
    // The other party's audio goes to the new address from its next packet.
    other.send_to(&packet(3, 1), ours_b).await.unwrap();
    assert_eq!(next(&after).await, Some((1, ours_a)));
    assert!(next(&before).await.is_none(), "nothing to the old address");

    let stats = bridge.stop().await;
    assert_eq!(
        stats,
        BridgeStats {
            a_to_b: 20,
            b_to_a: 1,
            dropped: 1
        },
        "only the stranger's packet was dropped"
    );
}
