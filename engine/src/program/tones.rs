//! The tones Switchboard makes itself (pure): ringback, the record beep, the failure
//! signal. 8 kHz mono samples, made once and shared.

use std::sync::{Arc, LazyLock};

/// A sine of `freq` Hz for `ms` milliseconds at `level` (0..1 of full scale).
pub fn tone(freq: f64, ms: u32, level: f64) -> Vec<i16> {
    let n = (8 * ms) as usize;
    (0..n)
        .map(|i| {
            let t = i as f64 / 8000.0;
            ((2.0 * std::f64::consts::PI * freq * t).sin() * level * f64::from(i16::MAX)) as i16
        })
        .collect()
}

/// The special information tone (ITU-T E.180: 950, 1400, 1800 Hz, 330 ms each) twice:
/// what a caller hears when the application failed — a recognised "this call cannot be
/// completed" signal, never dead air.
pub fn failure_tone() -> Arc<[i16]> {
    static TONE: LazyLock<Arc<[i16]>> = LazyLock::new(make_failure_tone);
    TONE.clone()
}

fn make_failure_tone() -> Arc<[i16]> {
    let mut out = Vec::new();
    for _ in 0..2 {
        for f in [950.0, 1400.0, 1800.0] {
            out.extend(tone(f, 330, 0.3));
        }
        out.extend(std::iter::repeat_n(0, 8 * 500));
    }
    out.into()
}

/// A 1000 Hz beep of 400 ms (before `record`).
pub fn beep() -> Arc<[i16]> {
    static BEEP: LazyLock<Arc<[i16]>> = LazyLock::new(|| tone(1000.0, 400, 0.3).into());
    BEEP.clone()
}

/// One cycle of ringback (ETSI: 425 Hz, 1 s on, 4 s off), to loop while parties ring.
pub fn ringback() -> Arc<[i16]> {
    static RINGBACK: LazyLock<Arc<[i16]>> = LazyLock::new(|| {
        let mut pattern = tone(425.0, 1000, 0.2);
        pattern.extend(std::iter::repeat_n(0, 8 * 4000));
        pattern.into()
    });
    RINGBACK.clone()
}

/// `seconds` of silence.
pub fn silence(seconds: u32) -> Arc<[i16]> {
    vec![0i16; 8000 * seconds as usize].into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tones_have_the_asked_length_and_level() {
        let t = tone(1000.0, 100, 0.5);
        assert_eq!(t.len(), 800);
        let peak = t.iter().map(|s| s.unsigned_abs()).max().unwrap();
        assert!((16_000..=16_400).contains(&peak), "{peak}");
        assert_eq!(ringback().len(), 8 * 5000);
        assert_eq!(silence(2).len(), 16_000);
        // 2 × (3 × 330 ms + 500 ms) = 2.98 s.
        assert_eq!(failure_tone().len(), 2 * (3 * 330 + 500) * 8);
    }
}
