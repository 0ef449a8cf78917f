//! Recording a bridged conversation (`dial` with `record`): both directions mixed into
//! one 8 kHz track. Each direction's frames follow one another without gaps while they
//! arrive on time (network jitter does not tear the audio), and jump to their arrival
//! time after a pause (silence suppression, hold), so the two sides stay aligned.

use crate::media::rtp::LegFormat;
use crate::sdp::Codec;
use audio_codec_algorithms::{decode_alaw, decode_ulaw};
use std::time::Instant;

/// Samples per second.
const RATE: u128 = 8000;
/// How far a frame may arrive from where its direction's audio has reached and still be
/// placed right after it: 60 ms.
const CONTINUITY: usize = 480;
/// A bound on memory if a call runs away: 4 hours.
const MAX_SAMPLES: usize = 8000 * 14_400;

/// The mixed track being recorded.
#[derive(Debug)]
pub struct Mixer {
    start: Instant,
    track: Vec<i16>,
    /// Where each direction's audio has reached (A→B, B→A).
    cursors: [Option<usize>; 2],
}

impl Mixer {
    pub fn new(start: Instant) -> Self {
        Self {
            start,
            track: Vec::with_capacity(8000 * 60),
            cursors: [None, None],
        }
    }

    /// One RTP packet of direction `direction` (0 or 1) that arrived `at`: its audio is
    /// mixed in (events and unknown payloads are not audio).
    pub fn add_packet(&mut self, direction: usize, at: Instant, packet: &[u8], format: &LegFormat) {
        let Ok(reader) = rtp_rs::RtpReader::new(packet) else {
            return;
        };
        if reader.payload_type() != format.codec_pt {
            return;
        }
        let decode = match format.codec {
            Codec::Pcmu => decode_ulaw,
            Codec::Pcma => decode_alaw,
        };
        let mut frame = [0i16; 320];
        let payload = reader.payload();
        let n = payload.len().min(frame.len());
        for (sample, byte) in frame.iter_mut().zip(payload) {
            *sample = decode(*byte);
        }
        self.add(direction, at, &frame[..n]);
    }

    /// Mixes `samples` of `direction` that arrived `at`.
    pub fn add(&mut self, direction: usize, at: Instant, samples: &[i16]) {
        let arrival = usize::try_from(
            at.saturating_duration_since(self.start).as_micros() * RATE / 1_000_000,
        )
        .unwrap_or(MAX_SAMPLES);
        let position = match self.cursors[direction] {
            Some(cursor) if cursor.abs_diff(arrival) <= CONTINUITY => cursor,
            _ => arrival,
        };
        let end = position + samples.len();
        if end > MAX_SAMPLES {
            return;
        }
        if self.track.len() < end {
            self.track.resize(end, 0);
        }
        for (mixed, s) in self.track[position..end].iter_mut().zip(samples) {
            *mixed = mixed.saturating_add(*s);
        }
        self.cursors[direction] = Some(end);
    }

    /// The recording.
    pub fn finish(self) -> Vec<i16> {
        self.track
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn both_directions_are_mixed_in_time() {
        let start = Instant::now();
        let mut m = Mixer::new(start);
        let ms = |n: u64| start + Duration::from_millis(n);
        // A speaks for 40 ms from 0, B for 20 ms from 10 ms (arriving a bit late).
        m.add(0, ms(0), &[100; 160]);
        m.add(0, ms(21), &[100; 160]); // 1 ms late: placed right after, no gap
        m.add(1, ms(10), &[50; 160]);
        let track = m.finish();
        assert_eq!(track.len(), 320);
        assert_eq!(track[0], 100);
        assert_eq!(track[80], 150, "B mixed in from 10 ms");
        assert_eq!(track[240], 100, "B ended at 30 ms");
        assert_eq!(track[319], 100);
    }

    #[test]
    fn a_pause_leaves_silence_where_it_was() {
        let start = Instant::now();
        let mut m = Mixer::new(start);
        m.add(0, start, &[100; 160]);
        // Nothing for a second (hold), then audio again: it lands at 1 s.
        m.add(0, start + Duration::from_secs(1), &[100; 160]);
        let track = m.finish();
        assert_eq!(track.len(), 8000 + 160);
        assert_eq!(track[4000], 0);
        assert_eq!(track[8000], 100);
    }

    #[test]
    fn only_audio_payloads_are_recorded() {
        let format = LegFormat {
            codec: Codec::Pcmu,
            codec_pt: 0,
            dtmf_pt: Some(101),
        };
        let start = Instant::now();
        let mut m = Mixer::new(start);
        let mut packet = vec![0x80, 101, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1];
        packet.extend([1, 0, 0, 160]);
        m.add_packet(0, start, &packet, &format);
        assert!(m.finish().is_empty(), "a DTMF event is not audio");
        let mut m = Mixer::new(start);
        let mut packet = vec![0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1];
        packet.extend([0x00; 160]); // µ-law 0x00: a loud negative sample
        m.add_packet(0, start, &packet, &format);
        let track = m.finish();
        assert_eq!(track.len(), 160);
        assert!(track[0] < -8000, "{}", track[0]);
    }
}
