//! An uploaded recording: any bytes through the WAV check and conversion to the 8 kHz
//! audio calls play (decoding, mixing to mono, resampling).
//!
//! The resampler is also driven directly, as `convert` drives it: from any rate the
//! upload accepts (1 to 384 kHz, here in 1 kHz steps from the first two bytes) to 8 kHz,
//! on samples from the rest (at most 4096: a longer input only takes longer).
#![no_main]

use engine::media::{resample::resample, wav};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if wav::looks_like_wav(data) {
        let _ = wav::convert(data);
    }
    if data.len() >= 2 {
        let from = 1000 * (1 + u32::from(u16::from_le_bytes([data[0], data[1]])) % 384);
        let samples: Vec<f32> = data[2..]
            .iter()
            .take(4096)
            .map(|b| f32::from(*b as i8) / 128.0)
            .collect();
        let out = resample(&samples, from, wav::STORED_RATE);
        assert!(
            out.iter().all(|s| s.is_finite()),
            "resampling made a NaN or infinity"
        );
    }
});
