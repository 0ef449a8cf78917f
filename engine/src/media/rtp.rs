//! Per-packet rules of the relay, without I/O.

use crate::sdp::Codec;
use audio_codec_algorithms::{convert_alaw_to_ulaw, convert_ulaw_to_alaw};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// The media format negotiated on one leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegFormat {
    pub codec: Codec,
    /// Payload type of `codec` on this leg.
    pub codec_pt: u8,
    /// Payload type of RFC 4733 telephone-event on this leg, if negotiated.
    pub dtmf_pt: Option<u8>,
}

/// Comfort noise (RFC 3389), static payload type 13: passed through unchanged.
const COMFORT_NOISE: u8 = 13;

/// What to do with a packet going from one leg to the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forward {
    /// Not something the other leg negotiated.
    Drop,
    /// Send with this payload type (same codec both sides).
    Retag(u8),
    /// Convert the G.711 payload and send with this payload type.
    Convert { pt: u8, to: Codec },
}

impl Forward {
    pub fn plan(from: &LegFormat, to: &LegFormat, pt: u8) -> Forward {
        if pt == from.codec_pt {
            if from.codec == to.codec {
                Forward::Retag(to.codec_pt)
            } else {
                Forward::Convert {
                    pt: to.codec_pt,
                    to: to.codec,
                }
            }
        } else if Some(pt) == from.dtmf_pt {
            // A leg that did not negotiate telephone-event cannot receive it.
            to.dtmf_pt.map_or(Forward::Drop, Forward::Retag)
        } else if pt == COMFORT_NOISE {
            Forward::Retag(COMFORT_NOISE)
        } else {
            Forward::Drop
        }
    }
}

/// Applies `forward` to an RTP packet in place. Returns false when the packet must be
/// dropped (not RTP, or not for the other leg).
pub fn rewrite(packet: &mut [u8], from: &LegFormat, to: &LegFormat) -> bool {
    let Ok(reader) = rtp_rs::RtpReader::new(packet) else {
        return false;
    };
    let payload_offset = reader.payload_offset();
    let payload_len = reader.payload().len();
    match Forward::plan(from, to, reader.payload_type()) {
        Forward::Drop => false,
        Forward::Retag(pt) => {
            set_payload_type(packet, pt);
            true
        }
        Forward::Convert { pt, to } => {
            let convert = match to {
                Codec::Pcma => convert_ulaw_to_alaw,
                Codec::Pcmu => convert_alaw_to_ulaw,
            };
            for b in &mut packet[payload_offset..payload_offset + payload_len] {
                *b = convert(*b);
            }
            set_payload_type(packet, pt);
            true
        }
    }
}

fn set_payload_type(packet: &mut [u8], pt: u8) {
    packet[1] = (packet[1] & 0x80) | (pt & 0x7f);
}

/// Symmetric RTP (RFC 4961): send to where the peer's packets come from, which behind a
/// NAT is not what its SDP says. The first source is latched; another source takes over
/// when its packets carry the latched stream's SSRC (the peer's NAT gave it a new
/// address mid-call: followed at once, nothing lost), or when the latched source has
/// been silent for [`Latch::RELATCH_AFTER`] — so a stray sender cannot hijack a live
/// stream without knowing its SSRC.
#[derive(Debug, Clone)]
pub struct Latch {
    /// From the SDP: where to send until a packet arrives.
    signalled: Option<SocketAddr>,
    latched: Option<SocketAddr>,
    /// The SSRC of the latched source's stream.
    ssrc: Option<u32>,
    last_packet: Option<Instant>,
}

/// The SSRC of an RTP packet (or the sender SSRC of an RTCP one): bytes 8–11, resp.
/// 4–7, of a version 2 header.
pub fn ssrc_of(packet: &[u8], rtcp: bool) -> Option<u32> {
    let at = if rtcp { 4 } else { 8 };
    if packet.len() < at + 4 || packet[0] >> 6 != 2 {
        return None;
    }
    Some(u32::from_be_bytes([
        packet[at],
        packet[at + 1],
        packet[at + 2],
        packet[at + 3],
    ]))
}

impl Latch {
    pub const RELATCH_AFTER: Duration = Duration::from_secs(2);

    pub fn new(signalled: Option<SocketAddr>) -> Self {
        Self {
            signalled,
            latched: None,
            ssrc: None,
            last_packet: None,
        }
    }

    /// A new SDP (re-INVITE): the peer may have moved, so latch afresh.
    pub fn resignal(&mut self, signalled: Option<SocketAddr>) {
        self.signalled = signalled;
        self.latched = None;
        self.ssrc = None;
    }

    /// A packet with `ssrc` (when it has one) arrived from `source`: accept it?
    pub fn accept(&mut self, source: SocketAddr, ssrc: Option<u32>, now: Instant) -> bool {
        match self.latched {
            Some(addr) if addr == source => {}
            // The same stream from a new address: the peer's NAT rebound.
            Some(_) if ssrc.is_some() && ssrc == self.ssrc => self.latched = Some(source),
            Some(_)
                if self
                    .last_packet
                    .is_some_and(|t| now.duration_since(t) < Self::RELATCH_AFTER) =>
            {
                return false;
            }
            _ => self.latched = Some(source),
        }
        if ssrc.is_some() {
            self.ssrc = ssrc;
        }
        self.last_packet = Some(now);
        true
    }

    /// Where packets for this peer go.
    pub fn target(&self) -> Option<SocketAddr> {
        self.latched.or(self.signalled)
    }

    pub fn last_packet(&self) -> Option<Instant> {
        self.last_packet
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use audio_codec_algorithms::{decode_alaw, decode_ulaw, encode_ulaw};

    fn packet(pt: u8, payload: &[u8]) -> Vec<u8> {
        rtp_rs::RtpPacketBuilder::new()
            .payload_type(pt)
            .ssrc(7)
            .sequence(rtp_rs::Seq::from(1))
            .timestamp(160)
            .payload(payload)
            .build()
            .unwrap()
    }

    const ULAW_101: LegFormat = LegFormat {
        codec: Codec::Pcmu,
        codec_pt: 0,
        dtmf_pt: Some(101),
    };
    const ULAW_96: LegFormat = LegFormat {
        codec: Codec::Pcmu,
        codec_pt: 0,
        dtmf_pt: Some(96),
    };
    const ALAW_NO_DTMF: LegFormat = LegFormat {
        codec: Codec::Pcma,
        codec_pt: 8,
        dtmf_pt: None,
    };

    #[test]
    fn same_codec_passes_and_dtmf_is_renumbered() {
        let mut p = packet(0, &[0xff; 160]);
        assert!(rewrite(&mut p, &ULAW_101, &ULAW_96));
        assert_eq!(rtp_rs::RtpReader::new(&p).unwrap().payload_type(), 0);
        let mut e = packet(101, &[5, 0x8a, 0, 160]);
        assert!(rewrite(&mut e, &ULAW_101, &ULAW_96));
        let r = rtp_rs::RtpReader::new(&e).unwrap();
        assert_eq!(r.payload_type(), 96);
        assert_eq!(r.payload(), &[5, 0x8a, 0, 160], "event payload untouched");
        let mut marked = packet(101, &[5, 0x8a, 0, 160]);
        marked[1] |= 0x80;
        assert!(rewrite(&mut marked, &ULAW_101, &ULAW_96));
        assert_eq!(marked[1], 0x80 | 96, "marker bit kept");
    }

    #[test]
    fn ulaw_is_converted_to_alaw_keeping_the_sound() {
        let samples: Vec<i16> = (0..160)
            .map(|i| ((i as f64 / 8.0).sin() * 8000.0) as i16)
            .collect();
        let ulaw: Vec<u8> = samples.iter().map(|&s| encode_ulaw(s)).collect();
        let mut p = packet(0, &ulaw);
        assert!(rewrite(&mut p, &ULAW_101, &ALAW_NO_DTMF));
        let r = rtp_rs::RtpReader::new(&p).unwrap();
        assert_eq!(r.payload_type(), 8);
        for (i, &a) in r.payload().iter().enumerate() {
            let before = i32::from(decode_ulaw(ulaw[i]));
            let after = i32::from(decode_alaw(a));
            assert!(
                (before - after).abs() <= before.abs() / 16 + 16,
                "sample {i}: {before} vs {after}"
            );
        }
    }

    #[test]
    fn what_the_other_leg_cannot_take_is_dropped() {
        let mut dtmf = packet(101, &[1, 0, 0, 80]);
        assert!(!rewrite(&mut dtmf, &ULAW_101, &ALAW_NO_DTMF));
        let mut video = packet(97, &[0; 10]);
        assert!(!rewrite(&mut video, &ULAW_101, &ULAW_96));
        let mut cn = packet(13, &[40]);
        assert!(rewrite(&mut cn, &ULAW_101, &ALAW_NO_DTMF));
        assert!(!rewrite(&mut [0u8; 5], &ULAW_101, &ULAW_96), "not RTP");
    }

    #[test]
    fn latching_follows_the_peer_but_resists_hijack() {
        let sdp: SocketAddr = "10.0.0.5:4000".parse().unwrap();
        let nat: SocketAddr = "203.0.113.9:61000".parse().unwrap();
        let intruder: SocketAddr = "198.51.100.1:5000".parse().unwrap();
        let t = Instant::now();
        let mut l = Latch::new(Some(sdp));
        assert_eq!(l.target(), Some(sdp));
        assert!(l.accept(nat, Some(7), t));
        assert_eq!(l.target(), Some(nat));
        assert!(!l.accept(intruder, Some(99), t + Duration::from_millis(20)));
        assert!(!l.accept(intruder, None, t + Duration::from_millis(40)));
        assert_eq!(l.target(), Some(nat));
        assert!(
            l.accept(intruder, Some(99), t + Duration::from_secs(3)),
            "the old source went quiet"
        );
        l.resignal(Some(sdp));
        assert_eq!(l.target(), Some(sdp));
    }

    #[test]
    fn a_nat_rebinding_is_followed_at_once_by_its_ssrc() {
        let before: SocketAddr = "203.0.113.9:61000".parse().unwrap();
        let after: SocketAddr = "203.0.113.9:61222".parse().unwrap();
        let t = Instant::now();
        let mut l = Latch::new(None);
        assert!(l.accept(before, Some(7), t));
        assert!(
            l.accept(after, Some(7), t + Duration::from_millis(20)),
            "same stream"
        );
        assert_eq!(l.target(), Some(after), "answers go to the new address");
        assert!(
            !l.accept(before, Some(8), t + Duration::from_millis(40)),
            "the old address with another stream is a stranger now"
        );
    }

    #[test]
    fn the_ssrc_is_read_from_rtp_and_rtcp_headers() {
        let rtp = [0x80, 0, 0, 1, 0, 0, 0, 160, 0xde, 0xad, 0xbe, 0xef];
        assert_eq!(ssrc_of(&rtp, false), Some(0xdead_beef));
        let rtcp = [0x80, 200, 0, 6, 0, 0, 0, 42];
        assert_eq!(ssrc_of(&rtcp, true), Some(42));
        assert_eq!(ssrc_of(&rtp[..11], false), None, "too short");
        assert_eq!(ssrc_of(&[0x40; 12], false), None, "not version 2");
    }
}
