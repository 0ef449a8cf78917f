//! One continuous RTP stream per phone-facing leg, whoever feeds it (pure).
//!
//! A caller's leg is fed by several sources over its life: our endpoint (prompts,
//! ringback), then a bridged party, then our endpoint again; in a call connected
//! straight through, one device's early media and then another device's answer. Each
//! source has its own SSRC, sequence numbers and timestamps (random starts, RFC 3550
//! §5.1). Passed through as they are, the phone sees a new stream at every switch, and
//! some phones treat that as a new call leg (a fresh jitter buffer, a new recording,
//! a frame thrown away as "old").
//!
//! So every packet sent on a leg goes through that leg's [`OutStream`], which makes the
//! phone see one source for the whole call, as a translator that owns the stream it
//! sends (RFC 3550 §7.1, §8):
//!
//! - one SSRC for the leg's whole life: the first source's;
//! - within one source, the source's own sequence and timestamp spacing is kept (losses
//!   stay visible as gaps, and RFC 4733 events, whose packets share one timestamp,
//!   stay one event): each is shifted by a constant offset;
//! - at a switch (another SSRC, or [`OutStream::cut`]), the offsets are chosen anew so
//!   the sequence goes on by +1 and the timestamp by the real time elapsed since the
//!   last packet, in 8 kHz samples (at least one 20 ms packet, so the new audio never
//!   overlaps the last), and the marker bit is set: the receiver may move its playout
//!   point there (RFC 3551 §4.1).
//!
//! The first source is passed through untouched (its values are already random): a
//! call that never switches is relayed byte for byte, RTCP included.
//!
//! Per packet this is a compare and two wrapping adds: the relay's hot path.

use std::time::{Duration, Instant};

/// Samples per second of every payload we carry (G.711, RFC 4733 events, comfort
/// noise): the RTP clock of the stream.
pub const CLOCK_RATE: u64 = 8000;

/// The least timestamp step across a switch: one 20 ms packet (our ptime), so the first
/// packet of the new source plays after the last one of the old, never over it.
pub const MIN_STEP: u32 = 160;

/// The RTP header fields the stream rewrites.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub ssrc: u32,
    pub seq: u16,
    pub timestamp: u32,
    pub marker: bool,
}

impl Header {
    /// The fields of an RTP packet (None if it is shorter than a fixed header).
    pub fn read(packet: &[u8]) -> Option<Header> {
        let fixed: &[u8; 12] = packet.get(..12)?.try_into().ok()?;
        Some(Header {
            marker: fixed[1] & 0x80 != 0,
            seq: u16::from_be_bytes([fixed[2], fixed[3]]),
            timestamp: u32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]),
            ssrc: u32::from_be_bytes([fixed[8], fixed[9], fixed[10], fixed[11]]),
        })
    }

    /// Writes the fields into `packet`'s header (payload type, CSRCs and payload kept).
    pub fn write(&self, packet: &mut [u8]) {
        let Some(fixed) = packet.get_mut(..12) else {
            return;
        };
        fixed[1] = (fixed[1] & 0x7f) | if self.marker { 0x80 } else { 0 };
        fixed[2..4].copy_from_slice(&self.seq.to_be_bytes());
        fixed[4..8].copy_from_slice(&self.timestamp.to_be_bytes());
        fixed[8..12].copy_from_slice(&self.ssrc.to_be_bytes());
    }
}

/// How the current source's numbers map onto the stream's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Source {
    ssrc: u32,
    seq_offset: u16,
    timestamp_offset: u32,
}

/// The newest packet sent: the highest sequence number, its timestamp, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sent {
    seq: u16,
    timestamp: u32,
    at: Instant,
}

/// The stream a leg sends to its phone (see the module documentation).
#[derive(Debug, Clone, Default)]
pub struct OutStream {
    /// The stream's SSRC, once the first packet has fixed it.
    ssrc: Option<u32>,
    /// The source being sent; None after a cut.
    source: Option<Source>,
    newest: Option<Sent>,
}

impl OutStream {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whatever is sent next comes from another source (a bridge started or ended, the
    /// other leg was replaced), even if it happens to carry the same SSRC.
    pub fn cut(&mut self) {
        self.source = None;
    }

    /// The header to send for a packet that `input` describes, sent at `now`.
    pub fn next(&mut self, input: Header, now: Instant) -> Header {
        let (source, switched) = match self.source {
            Some(s) if s.ssrc == input.ssrc => (s, false),
            _ => (self.switch_to(input, now), self.newest.is_some()),
        };
        let seq = input.seq.wrapping_add(source.seq_offset);
        let timestamp = input.timestamp.wrapping_add(source.timestamp_offset);
        // A packet the source sent earlier, arriving late, keeps its place but does not
        // move the stream's newest point (RFC 3550 §A.1: later means sequence-later).
        let newer = match self.newest {
            Some(n) => switched || is_after(seq, n.seq),
            None => true,
        };
        if newer {
            self.newest = Some(Sent {
                seq,
                timestamp,
                at: now,
            });
        }
        Header {
            ssrc: *self.ssrc.get_or_insert(input.ssrc),
            seq,
            timestamp,
            marker: input.marker || switched,
        }
    }

    /// Rewrites an RTP packet's header in place (ignoring anything shorter than one).
    pub fn restamp(&mut self, packet: &mut [u8], now: Instant) {
        if let Some(input) = Header::read(packet) {
            self.next(input, now).write(packet);
        }
    }

    /// Maps the source `input` starts onto the stream: its first packet follows the
    /// newest one sent.
    fn switch_to(&mut self, input: Header, now: Instant) -> Source {
        let (seq, timestamp) = match self.newest {
            // The first source keeps its own (random) numbers.
            None => (input.seq, input.timestamp),
            Some(n) => {
                let elapsed = samples(now.saturating_duration_since(n.at));
                (
                    n.seq.wrapping_add(1),
                    n.timestamp.wrapping_add(elapsed.max(MIN_STEP)),
                )
            }
        };
        let source = Source {
            ssrc: input.ssrc,
            seq_offset: seq.wrapping_sub(input.seq),
            timestamp_offset: timestamp.wrapping_sub(input.timestamp),
        };
        self.source = Some(source);
        source
    }
}

/// Whether sequence number `a` comes after `b` (modulo 2^16, within half the space).
fn is_after(a: u16, b: u16) -> bool {
    a != b && a.wrapping_sub(b) < 0x8000
}

/// `elapsed` in RTP clock ticks; it wraps as timestamps do (RFC 3550 §5.1).
fn samples(elapsed: Duration) -> u32 {
    (elapsed.as_micros() * u128::from(CLOCK_RATE) / 1_000_000) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn packet(ssrc: u32, seq: u16, timestamp: u32) -> Header {
        Header {
            ssrc,
            seq,
            timestamp,
            marker: false,
        }
    }

    /// `count` packets of 20 ms from `ssrc`, from `seq`/`timestamp`, the first at `t`;
    /// the headers sent.
    fn talk(
        s: &mut OutStream,
        ssrc: u32,
        (seq, timestamp): (u16, u32),
        count: u16,
        t: Instant,
    ) -> Vec<Header> {
        (0..count)
            .map(|i| {
                s.next(
                    packet(
                        ssrc,
                        seq.wrapping_add(i),
                        timestamp.wrapping_add(160 * u32::from(i)),
                    ),
                    t + 20 * MS * u32::from(i),
                )
            })
            .collect()
    }

    #[test]
    fn the_first_source_passes_through_untouched() {
        let mut s = OutStream::new();
        let t = Instant::now();
        let sent = talk(&mut s, 7, (1000, 50_000), 3, t);
        assert_eq!(
            sent,
            vec![
                packet(7, 1000, 50_000),
                packet(7, 1001, 50_160),
                packet(7, 1002, 50_320)
            ]
        );
        let mut marked = packet(7, 1003, 50_480);
        marked.marker = true;
        assert!(
            s.next(marked, t + 60 * MS).marker,
            "the source's marker is kept"
        );
    }

    #[test]
    fn a_new_source_continues_the_stream_with_a_marker() {
        let mut s = OutStream::new();
        let t = Instant::now();
        let before = talk(&mut s, 7, (1000, 50_000), 3, t);
        let last = before[2];
        // Another phone's audio, 30 ms after our last packet.
        let after = talk(&mut s, 9, (60_000, 4_000_000_000), 2, t + 70 * MS);
        assert_eq!(after[0].ssrc, 7, "the phone keeps hearing one SSRC");
        assert_eq!(after[0].seq, last.seq + 1, "no gap, no jump");
        assert_eq!(after[0].timestamp, last.timestamp + 30 * 8, "30 ms later");
        assert!(after[0].marker, "a real discontinuity");
        assert_eq!(
            after[1],
            packet(7, last.seq + 2, last.timestamp + 240 + 160)
        );
    }

    #[test]
    fn a_switch_right_after_a_packet_still_moves_on_by_one_packet() {
        let mut s = OutStream::new();
        let t = Instant::now();
        let last = talk(&mut s, 7, (10, 800), 1, t)[0];
        let next = s.next(packet(9, 3, 3), t + 2 * MS);
        assert_eq!(next.timestamp, last.timestamp + MIN_STEP);
    }

    #[test]
    fn timestamps_cover_a_silent_handover_with_the_real_time_elapsed() {
        let mut s = OutStream::new();
        let t = Instant::now();
        let last = talk(&mut s, 7, (10, 800), 1, t)[0];
        // The bridge took 2.5 s to send its first packet.
        let next = s.next(packet(9, 3, 3), t + 2500 * MS);
        assert_eq!(next.timestamp, last.timestamp + 20_000);
        assert_eq!(next.seq, last.seq + 1);
    }

    #[test]
    fn sequence_numbers_and_timestamps_wrap_around() {
        let mut s = OutStream::new();
        let t = Instant::now();
        let before = talk(&mut s, 7, (u16::MAX - 1, u32::MAX - 159), 2, t);
        assert_eq!((before[1].seq, before[1].timestamp), (u16::MAX, 0));
        let after = s.next(packet(9, 0, 0), t + 40 * MS);
        assert_eq!((after.seq, after.timestamp), (0, 160));
    }

    #[test]
    fn the_source_s_own_spacing_is_kept_losses_and_dtmf_events_included() {
        let mut s = OutStream::new();
        let t = Instant::now();
        talk(&mut s, 7, (100, 16_000), 1, t);
        let first = s.next(packet(9, 500, 80_000), t + 20 * MS);
        // Packet 501 was lost on the way: the phone sees the gap.
        let after_loss = s.next(packet(9, 502, 80_320), t + 60 * MS);
        assert_eq!(after_loss.seq, first.seq + 2);
        assert_eq!(after_loss.timestamp, first.timestamp + 320);
        // An RFC 4733 event: three packets, one timestamp (the event's start).
        let event: Vec<Header> = (0..3)
            .map(|i| {
                s.next(
                    packet(9, 503 + i, 80_480),
                    t + (80 + 20 * u32::from(i)) * MS,
                )
            })
            .collect();
        assert!(event.iter().all(|h| h.timestamp == first.timestamp + 480));
        assert_eq!(event[2].seq, first.seq + 5);
        assert!(event.iter().all(|h| !h.marker), "no switch within a source");
    }

    #[test]
    fn a_late_packet_keeps_its_place_and_the_next_switch_follows_the_newest() {
        let mut s = OutStream::new();
        let t = Instant::now();
        talk(&mut s, 7, (100, 16_000), 1, t);
        let newest = s.next(packet(7, 102, 16_320), t + 40 * MS);
        let late = s.next(packet(7, 101, 16_160), t + 45 * MS);
        assert_eq!((late.seq, late.timestamp), (101, 16_160));
        let next = s.next(packet(9, 0, 0), t + 60 * MS);
        assert_eq!(
            next.seq,
            newest.seq + 1,
            "after the newest, not the late one"
        );
        assert_eq!(next.timestamp, newest.timestamp + 160);
    }

    #[test]
    fn a_source_that_changes_its_own_ssrc_is_a_switch_too() {
        let mut s = OutStream::new();
        let t = Instant::now();
        let last = talk(&mut s, 7, (100, 16_000), 1, t)[0];
        let restarted = s.next(packet(8, 9, 9), t + 20 * MS);
        assert_eq!((restarted.ssrc, restarted.seq), (7, last.seq + 1));
        assert!(restarted.marker);
    }

    #[test]
    fn a_cut_starts_a_new_source_even_with_the_same_ssrc() {
        let mut s = OutStream::new();
        let t = Instant::now();
        let last = talk(&mut s, 7, (100, 16_000), 1, t)[0];
        s.cut();
        let next = s.next(packet(7, 40_000, 3), t + 20 * MS);
        assert_eq!(
            (next.seq, next.timestamp),
            (last.seq + 1, last.timestamp + 160)
        );
        assert!(next.marker);
        assert!(!s.next(packet(7, 40_001, 163), t + 40 * MS).marker);
    }

    #[test]
    fn a_cut_before_anything_was_sent_changes_nothing() {
        let mut s = OutStream::new();
        s.cut();
        let first = s.next(packet(7, 100, 16_000), Instant::now());
        assert_eq!(first, packet(7, 100, 16_000));
    }

    #[test]
    fn packets_are_rewritten_in_place_keeping_payload_type_and_payload() {
        let mut s = OutStream::new();
        let t = Instant::now();
        talk(&mut s, 7, (100, 16_000), 1, t);
        let mut p = rtp_rs::RtpPacketBuilder::new()
            .payload_type(101)
            .ssrc(9)
            .sequence(rtp_rs::Seq::from(5))
            .timestamp(7)
            .payload(&[1, 0x0a, 0, 160])
            .build()
            .expect("packet");
        s.restamp(&mut p, t + 20 * MS);
        let r = rtp_rs::RtpReader::new(&p).expect("still RTP");
        assert_eq!(
            (r.ssrc(), u16::from(r.sequence_number()), r.timestamp()),
            (7, 101, 16_160)
        );
        assert_eq!((r.payload_type(), r.mark()), (101, true));
        assert_eq!(r.payload(), &[1, 0x0a, 0, 160]);
        let mut short = [0x80u8, 0, 0, 1];
        s.restamp(&mut short, t);
        assert_eq!(short, [0x80, 0, 0, 1], "not RTP: left alone");
    }
}
