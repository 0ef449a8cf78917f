//! Keys sent as audio (in-band DTMF), for phones that do not send RFC 4733 events: a
//! Goertzel detector over 205-sample blocks (25.6 ms at 8 kHz, the classic size that
//! separates the DTMF frequencies), pure.
//!
//! A key is reported when its pair of tones is present in two blocks in a row, and not
//! again until the line has been free of it for two blocks: a 40 ms press is seen once.
//! The checks follow ITU-T Q.24 in spirit: one row and one column tone clearly above the
//! other tones of their group, together carrying most of the block's energy, with a
//! limited level difference (twist) between them.

const BLOCK: usize = 205;
const ROWS: [f64; 4] = [697.0, 770.0, 852.0, 941.0];
const COLUMNS: [f64; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
const KEYS: [[char; 4]; 4] = [
    ['1', '2', '3', 'A'],
    ['4', '5', '6', 'B'],
    ['7', '8', '9', 'C'],
    ['*', '0', '#', 'D'],
];
/// Below this block energy (mean square, 16-bit scale) the line is taken as silent:
/// about -45 dBm0.
const MIN_ENERGY: f64 = 4.0e4;

/// Power of `freq` in `samples` (Goertzel), scaled like the block's energy.
fn goertzel(samples: &[f64], freq: f64) -> f64 {
    let w = 2.0 * std::f64::consts::PI * freq / 8000.0;
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0, 0.0);
    for &x in samples {
        let s = x + coeff * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    let n = samples.len() as f64;
    // A full-scale sine of amplitude A gives (A·n/2)²; ×2/n² turns it into A²/2, the
    // sine's mean square, comparable with the block energy.
    2.0 * (s1 * s1 + s2 * s2 - coeff * s1 * s2) / (n * n)
}

/// The key whose tones fill this block, if any.
fn classify(block: &[f64]) -> Option<char> {
    let energy = block.iter().map(|x| x * x).sum::<f64>() / block.len() as f64;
    if energy < MIN_ENERGY {
        return None;
    }
    let rows: Vec<f64> = ROWS.iter().map(|f| goertzel(block, *f)).collect();
    let cols: Vec<f64> = COLUMNS.iter().map(|f| goertzel(block, *f)).collect();
    let best = |p: &[f64]| {
        let (i, max) = p
            .iter()
            .copied()
            .enumerate()
            .fold((0, 0.0), |a, (i, v)| if v > a.1 { (i, v) } else { a });
        let second = p
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, v)| *v)
            .fold(0.0, f64::max);
        (i, max, second)
    };
    let (r, row, row_second) = best(&rows);
    let (c, col, col_second) = best(&cols);
    // Each tone 6 dB above its neighbours; twist within 8 dB either way; the pair carries
    // most of the energy (speech and music spread theirs).
    let clear = row > 4.0 * row_second && col > 4.0 * col_second;
    let twist = row / col;
    let balanced = (0.16..=6.3).contains(&twist);
    let pure = row + col > 0.6 * energy;
    (clear && balanced && pure).then_some(KEYS[r][c])
}

/// Finds keys in a stream of 8 kHz samples.
#[derive(Debug, Default)]
pub struct InbandDetector {
    buffer: Vec<f64>,
    /// The key seen in the previous block.
    last: Option<char>,
    /// The key reported and not yet released.
    held: Option<char>,
    /// Blocks without the held key.
    free_blocks: u8,
}

impl InbandDetector {
    /// Feeds samples; returns the keys that started in them.
    pub fn feed(&mut self, samples: &[i16], keys: &mut Vec<char>) {
        for &s in samples {
            self.buffer.push(f64::from(s));
            if self.buffer.len() == BLOCK {
                let seen = classify(&self.buffer);
                self.buffer.clear();
                self.block(seen, keys);
            }
        }
    }

    fn block(&mut self, seen: Option<char>, keys: &mut Vec<char>) {
        if seen.is_some() && seen == self.last && self.held != seen {
            keys.push(seen.unwrap_or_default());
            self.held = seen;
            self.free_blocks = 0;
        }
        if self.held.is_some() && seen != self.held {
            self.free_blocks += 1;
            if self.free_blocks >= 2 {
                self.held = None;
            }
        } else {
            self.free_blocks = 0;
        }
        self.last = seen;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tones(freqs: &[f64], ms: usize, level: f64) -> Vec<i16> {
        (0..ms * 8)
            .map(|i| {
                let t = i as f64 / 8000.0;
                let v: f64 = freqs
                    .iter()
                    .map(|f| (2.0 * std::f64::consts::PI * f * t).sin())
                    .sum();
                (v * level * 32767.0) as i16
            })
            .collect()
    }

    fn silence(ms: usize) -> Vec<i16> {
        vec![0; ms * 8]
    }

    fn detect(audio: &[i16]) -> String {
        let mut d = InbandDetector::default();
        let mut keys = Vec::new();
        // In 20 ms frames, as RTP delivers them.
        for frame in audio.chunks(160) {
            d.feed(frame, &mut keys);
        }
        keys.into_iter().collect()
    }

    fn key(k: char, ms: usize) -> Vec<i16> {
        let (r, c) = KEYS
            .iter()
            .enumerate()
            .find_map(|(r, row)| row.iter().position(|x| *x == k).map(|c| (r, c)))
            .unwrap();
        tones(&[ROWS[r], COLUMNS[c]], ms, 0.2)
    }

    #[test]
    fn every_key_is_detected_once() {
        let mut audio = silence(100);
        for k in "123A456B789C*0#D".chars() {
            audio.extend(key(k, 80));
            audio.extend(silence(80));
        }
        assert_eq!(detect(&audio), "123A456B789C*0#D");
    }

    #[test]
    fn a_long_press_is_one_key_and_repeats_need_a_gap() {
        let mut audio = key('5', 600);
        audio.extend(silence(60));
        audio.extend(key('5', 100));
        assert_eq!(detect(&audio), "55");
    }

    #[test]
    fn quiet_noise_music_and_single_tones_are_not_keys() {
        assert_eq!(
            detect(&tones(&[697.0, 1209.0], 300, 0.0005)),
            "",
            "too quiet"
        );
        assert_eq!(detect(&tones(&[440.0], 500, 0.3)), "", "a tone");
        assert_eq!(detect(&tones(&[697.0], 500, 0.3)), "", "a row tone alone");
        assert_eq!(
            detect(&tones(&[440.0, 554.0, 659.0, 1209.0], 500, 0.15)),
            "",
            "a chord"
        );
        let mut seed = 1u32;
        let noise: Vec<i16> = (0..8000)
            .map(|_| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                ((seed >> 16) as i16) / 4
            })
            .collect();
        assert_eq!(detect(&noise), "", "noise");
    }

    #[test]
    fn keys_survive_g711() {
        use audio_codec_algorithms::{decode_ulaw, encode_ulaw};
        let audio: Vec<i16> = key('9', 100)
            .into_iter()
            .map(|s| decode_ulaw(encode_ulaw(s)))
            .collect();
        assert_eq!(detect(&audio), "9");
    }
}
