//! Audio fixtures and measurements: tones in WAV files, and the Goertzel detector that
//! tells which tone a file carries.

use std::f64::consts::PI;
use std::io::Cursor;

/// A WAV file holding a sine of `freq` Hz at `amplitude` (full scale 1.0) in every
/// channel, in the given format.
pub fn tone_wav(
    freq: f64,
    seconds: f64,
    rate: u32,
    channels: u16,
    bits: u16,
    float: bool,
    amplitude: f64,
) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: bits,
        sample_format: if float {
            hound::SampleFormat::Float
        } else {
            hound::SampleFormat::Int
        },
    };
    let mut cursor = Cursor::new(Vec::new());
    let mut w = hound::WavWriter::new(&mut cursor, spec).expect("wav writer");
    let frames = (f64::from(rate) * seconds) as usize;
    for i in 0..frames {
        let x = amplitude * (2.0 * PI * freq * i as f64 / f64::from(rate)).sin();
        for _ in 0..channels {
            if float {
                w.write_sample(x as f32).expect("sample");
            } else {
                let max = ((1i64 << (bits - 1)) - 1) as f64;
                w.write_sample((x * max).round() as i32).expect("sample");
            }
        }
    }
    w.finalize().expect("finalize");
    cursor.into_inner()
}

/// A decoded 16-bit mono WAV file.
#[derive(Debug)]
pub struct Pcm {
    pub rate: u32,
    pub channels: u16,
    pub bits: u16,
    pub samples: Vec<f64>,
}

pub fn read_wav(bytes: &[u8]) -> Pcm {
    let mut r = hound::WavReader::new(Cursor::new(bytes)).expect("a WAV file");
    let spec = r.spec();
    // Phones may leave the header's length ahead of the data (a file closed while the
    // call ended): keep what is there.
    let samples = r
        .samples::<i32>()
        .map_while(Result::ok)
        .map(|s| f64::from(s) / f64::from(1u32 << (spec.bits_per_sample - 1)))
        .collect();
    Pcm {
        rate: spec.sample_rate,
        channels: spec.channels,
        bits: spec.bits_per_sample,
        samples,
    }
}

impl Pcm {
    pub fn duration_ms(&self) -> u64 {
        (self.samples.len() as u64 * 1000) / u64::from(self.rate) / u64::from(self.channels)
    }

    pub fn rms(&self) -> f64 {
        (self.samples.iter().map(|x| x * x).sum::<f64>() / self.samples.len() as f64).sqrt()
    }

    /// Goertzel power at `freq`, normalised by length.
    pub fn power_at(&self, freq: f64) -> f64 {
        let w = 2.0 * PI * freq / f64::from(self.rate);
        let coeff = 2.0 * w.cos();
        let (mut s1, mut s2) = (0.0, 0.0);
        for &x in &self.samples {
            let s = x + coeff * s1 - s2;
            s2 = s1;
            s1 = s;
        }
        (s1 * s1 + s2 * s2 - coeff * s1 * s2) / (self.samples.len() as f64).powi(2)
    }

    /// The candidate frequency with the most energy.
    pub fn dominant(&self, candidates: &[f64]) -> f64 {
        candidates
            .iter()
            .copied()
            .max_by(|a, b| self.power_at(*a).total_cmp(&self.power_at(*b)))
            .expect("candidates")
    }
}

/// Asserts that `recording` holds the tone `expected` for more than 1.5 s: the loudest
/// of `candidates`, at a clear level (RMS > 0.1 of full scale), 50 times stronger than
/// the other candidates together. `who` names the listener in failures.
pub fn assert_heard(recording: &std::path::Path, expected: f64, candidates: &[f64], who: &str) {
    let pcm = read_wav(
        &std::fs::read(recording).unwrap_or_else(|e| panic!("{who} recorded nothing: {e}")),
    );
    assert!(
        pcm.duration_ms() > 1500,
        "{who} heard only {} ms",
        pcm.duration_ms()
    );
    assert_eq!(
        pcm.dominant(candidates),
        expected,
        "{who} should hear {expected} Hz"
    );
    assert!(
        pcm.rms() > 0.1,
        "{who} heard it too faintly: rms {}",
        pcm.rms()
    );
    let others: f64 = candidates
        .iter()
        .filter(|f| **f != expected)
        .map(|f| pcm.power_at(*f))
        .sum();
    assert!(
        pcm.power_at(expected) > 50.0 * others,
        "{who}: the tone is not clean"
    );
}
