//! Sample-rate conversion with a windowed-sinc low-pass filter: pure, allocation-light,
//! good enough for telephony prompts (stop-band well below the G.711 noise floor).

use std::f64::consts::PI;

/// Zero crossings of the sinc kept on each side; more is sharper and slower.
const ZERO_CROSSINGS: f64 = 16.0;

/// Converts `input` sampled at `from` Hz to `to` Hz. Frequencies above 0.95 of the lower
/// Nyquist frequency are removed, so nothing aliases.
pub fn resample(input: &[f32], from: u32, to: u32) -> Vec<f32> {
    if from == to || input.is_empty() {
        return input.to_vec();
    }
    let ratio = f64::from(to) / f64::from(from);
    // Cut-off in cycles per input sample.
    let cutoff = 0.5 * ratio.min(1.0) * 0.95;
    let half_width = ZERO_CROSSINGS / (2.0 * cutoff);
    let out_len = ((input.len() as f64) * ratio).round().max(1.0) as usize;
    let mut out = Vec::with_capacity(out_len);
    let last = input.len() as isize - 1;
    for n in 0..out_len {
        let t = n as f64 / ratio; // position in input samples
        let first = (t - half_width).ceil().max(0.0) as isize;
        let end = ((t + half_width).floor() as isize).min(last);
        let mut acc = 0.0f64;
        for k in first..=end {
            let x = k as f64 - t;
            acc += f64::from(input[k as usize]) * kernel(x, cutoff, half_width);
        }
        out.push(acc as f32);
    }
    out
}

/// Low-pass impulse response at offset `x` input samples: `2·fc·sinc(2·fc·x)` shaped by
/// a Blackman window of half-width `half_width`.
fn kernel(x: f64, cutoff: f64, half_width: f64) -> f64 {
    let arg = 2.0 * cutoff * x;
    let sinc = if arg.abs() < 1e-12 {
        1.0
    } else {
        (PI * arg).sin() / (PI * arg)
    };
    let w = 0.5 + 0.5 * x / half_width; // 0..1 across the window
    let blackman = 0.42 - 0.5 * (2.0 * PI * w).cos() + 0.08 * (4.0 * PI * w).cos();
    2.0 * cutoff * sinc * blackman
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sine(freq: f64, rate: u32, seconds: f64, amplitude: f32) -> Vec<f32> {
        let n = (f64::from(rate) * seconds) as usize;
        (0..n)
            .map(|i| amplitude * (2.0 * PI * freq * i as f64 / f64::from(rate)).sin() as f32)
            .collect()
    }

    /// Goertzel power of `freq` in `samples`, normalised by length.
    pub(crate) fn goertzel(samples: &[f32], rate: u32, freq: f64) -> f64 {
        let w = 2.0 * PI * freq / f64::from(rate);
        let coeff = 2.0 * w.cos();
        let (mut s1, mut s2) = (0.0f64, 0.0f64);
        for &x in samples {
            let s = f64::from(x) + coeff * s1 - s2;
            s2 = s1;
            s1 = s;
        }
        (s1 * s1 + s2 * s2 - coeff * s1 * s2) / (samples.len() as f64).powi(2)
    }

    fn rms(samples: &[f32]) -> f64 {
        (samples.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / samples.len() as f64).sqrt()
    }

    #[test]
    fn keeps_in_band_tones_at_level() {
        for from in [44_100, 48_000, 16_000, 22_050, 11_025] {
            let input = sine(1000.0, from, 1.0, 0.5);
            let out = resample(&input, from, 8000);
            assert!(
                (out.len() as i64 - 8000).abs() <= 1,
                "{from}: {}",
                out.len()
            );
            // Skip the edges, where the filter sees zeros.
            let mid = &out[400..7600];
            let level = rms(mid);
            assert!(
                (level - 0.5 / 2f64.sqrt()).abs() < 0.01,
                "{from}: rms {level}"
            );
            assert!(goertzel(mid, 8000, 1000.0) > 100.0 * goertzel(mid, 8000, 1500.0));
        }
    }

    #[test]
    fn removes_what_would_alias() {
        // 6 kHz at 48 kHz would fold to 2 kHz at 8 kHz without the low-pass filter.
        let input = sine(6000.0, 48_000, 1.0, 0.5);
        let out = resample(&input, 48_000, 8000);
        assert!(rms(&out[400..7600]) < 0.005, "rms {}", rms(&out[400..7600]));
    }

    #[test]
    fn upsamples() {
        let input = sine(440.0, 4000, 1.0, 0.5);
        let out = resample(&input, 4000, 8000);
        assert_eq!(out.len(), 8000);
        let mid = &out[400..7600];
        assert!(goertzel(mid, 8000, 440.0) > 100.0 * goertzel(mid, 8000, 3560.0));
    }
}
