//! Reading uploaded WAV files and writing the 8 kHz mono 16-bit files we store.

use super::resample::resample;
use contract::models::SourceFormat;
use std::io::Cursor;

/// The format every stored recording has.
pub const STORED_RATE: u32 = 8000;

/// Why an upload was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WavError {
    /// Not a RIFF/WAVE file at all (an MP3, a text file, …): 415.
    #[error("not a WAV file (no RIFF/WAVE header)")]
    NotWav,
    /// A WAV file whose encoding we do not decode (compressed WAV): 415.
    #[error("unsupported WAV encoding: {0}")]
    Unsupported(String),
    /// A WAV file that is broken or truncated: 422.
    #[error("corrupt WAV file: {0}")]
    Corrupt(String),
}

/// An upload converted to the stored format.
#[derive(Debug)]
pub struct Converted {
    /// The complete WAV file to store.
    pub wav: Vec<u8>,
    /// Number of 8 kHz samples.
    pub samples: usize,
    pub source: SourceFormat,
}

impl Converted {
    pub fn duration_ms(&self) -> u64 {
        (self.samples as u64 * 1000) / u64::from(STORED_RATE)
    }
}

/// Whether `bytes` starts like a WAV file.
pub fn looks_like_wav(bytes: &[u8]) -> bool {
    bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WAVE"
}

/// Decodes any PCM (8/16/24/32-bit) or 32-bit float WAV, mixes it to mono and converts it
/// to 8 kHz 16-bit.
pub fn convert(bytes: &[u8]) -> Result<Converted, WavError> {
    if !looks_like_wav(bytes) {
        return Err(WavError::NotWav);
    }
    let mut reader = hound::WavReader::new(Cursor::new(bytes)).map_err(|e| match e {
        hound::Error::Unsupported => WavError::Unsupported(
            "only PCM and 32-bit float WAV files are accepted; convert with e.g. \
             `sox in.wav -e signed-integer -b 16 out.wav`"
                .to_owned(),
        ),
        other => WavError::Corrupt(other.to_string()),
    })?;
    let spec = reader.spec();
    if spec.channels == 0 {
        return Err(WavError::Corrupt(
            "the file declares zero channels".to_owned(),
        ));
    }
    if !(1000..=384_000).contains(&spec.sample_rate) {
        return Err(WavError::Corrupt(format!(
            "sample rate {} Hz is outside 1000 to 384000 Hz",
            spec.sample_rate
        )));
    }
    let channels = usize::from(spec.channels);
    let interleaved: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => {
            if spec.bits_per_sample != 32 {
                return Err(WavError::Unsupported(format!(
                    "{}-bit float samples (only 32-bit float is accepted)",
                    spec.bits_per_sample
                )));
            }
            reader
                .samples::<f32>()
                .collect::<Result<_, _>>()
                .map_err(sample_error)?
        }
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample.clamp(1, 32) - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.map(|v| v as f32 * scale))
                .collect::<Result<_, _>>()
                .map_err(sample_error)?
        }
    };
    if interleaved.len() < channels {
        return Err(WavError::Corrupt(
            "the file has no audio samples".to_owned(),
        ));
    }
    let mono: Vec<f32> = interleaved
        .chunks_exact(channels)
        .map(|frame| frame.iter().sum::<f32>() / channels as f32)
        .collect();
    let converted = resample(&mono, spec.sample_rate, STORED_RATE);
    let wav = encode_pcm16(&converted);
    Ok(Converted {
        wav,
        samples: converted.len(),
        source: SourceFormat {
            sample_rate: spec.sample_rate,
            channels: spec.channels,
            bits_per_sample: spec.bits_per_sample,
            encoding: match spec.sample_format {
                hound::SampleFormat::Float => "float".to_owned(),
                hound::SampleFormat::Int => "pcm".to_owned(),
            },
        },
    })
}

fn sample_error(e: hound::Error) -> WavError {
    match e {
        hound::Error::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            WavError::Corrupt("the audio data is truncated".to_owned())
        }
        other => WavError::Corrupt(other.to_string()),
    }
}

/// An 8 kHz mono 16-bit PCM WAV file of `samples` (full scale ±1.0, clipped).
pub fn encode_pcm16(samples: &[f32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(44 + samples.len() * 2);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + samples.len() as u32 * 2).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&STORED_RATE.to_le_bytes());
    out.extend_from_slice(&(STORED_RATE * 2).to_le_bytes()); // byte rate
    out.extend_from_slice(&2u16.to_le_bytes()); // block align
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(samples.len() as u32 * 2).to_le_bytes());
    for &s in samples {
        let v = (s * 32767.0).round().clamp(-32768.0, 32767.0) as i16;
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::resample::tests::{goertzel, sine};

    fn wav(rate: u32, channels: u16, bits: u16, float: bool, frames: &[f32]) -> Vec<u8> {
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
        let mut w = hound::WavWriter::new(&mut cursor, spec).unwrap();
        for &s in frames {
            for _ in 0..channels {
                if float {
                    w.write_sample(s).unwrap();
                } else {
                    let max = ((1i64 << (bits - 1)) - 1) as f32;
                    w.write_sample((s * max).round() as i32).unwrap();
                }
            }
        }
        w.finalize().unwrap();
        cursor.into_inner()
    }

    fn decoded(bytes: &[u8]) -> (hound::WavSpec, Vec<f32>) {
        let mut r = hound::WavReader::new(Cursor::new(bytes)).unwrap();
        let spec = r.spec();
        let s = r
            .samples::<i16>()
            .map(|s| f32::from(s.unwrap()) / 32768.0)
            .collect();
        (spec, s)
    }

    #[test]
    fn every_pcm_layout_becomes_8k_mono_16bit_with_the_tone_kept() {
        for (rate, channels, bits, float) in [
            (44_100, 2, 16, false),
            (48_000, 1, 24, false),
            (8000, 1, 8, false),
            (16_000, 2, 32, false),
            (22_050, 1, 32, true),
            (8000, 1, 16, false),
        ] {
            let tone = sine(1000.0, rate, 0.5, 0.5);
            let out = convert(&wav(rate, channels, bits, float, &tone)).unwrap();
            assert_eq!(out.source.sample_rate, rate);
            assert_eq!(out.source.channels, channels);
            assert_eq!(out.duration_ms(), 500, "{rate}/{channels}/{bits}");
            let (spec, samples) = decoded(&out.wav);
            assert_eq!(
                (spec.sample_rate, spec.channels, spec.bits_per_sample),
                (8000, 1, 16)
            );
            let mid = &samples[200..3800];
            let on = goertzel(mid, 8000, 1000.0);
            assert!(
                on > 100.0 * goertzel(mid, 8000, 1700.0),
                "{rate}/{channels}/{bits}"
            );
            let rms =
                (mid.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>() / mid.len() as f64).sqrt();
            // 8-bit input carries quantisation noise; the level still holds.
            assert!(
                (rms - 0.3536).abs() < 0.01,
                "{rate}/{channels}/{bits}: rms {rms}"
            );
        }
    }

    #[test]
    fn refusals_are_classified() {
        assert_eq!(
            convert(b"ID3\x03 this is an mp3").unwrap_err(),
            WavError::NotWav
        );
        assert_eq!(convert(b"").unwrap_err(), WavError::NotWav);
        let good = wav(8000, 1, 16, false, &sine(440.0, 8000, 0.2, 0.5));
        // Header intact, data cut short.
        let truncated = &good[..good.len() / 2];
        assert!(
            matches!(convert(truncated), Err(WavError::Corrupt(_))),
            "{:?}",
            convert(truncated)
        );
        // A RIFF/WAVE header followed by garbage.
        let mut garbage = good[..12].to_vec();
        garbage.extend_from_slice(&[0xAB; 64]);
        assert!(matches!(convert(&garbage), Err(WavError::Corrupt(_))));
        // No samples at all.
        let empty = wav(8000, 1, 16, false, &[]);
        assert!(matches!(convert(&empty), Err(WavError::Corrupt(_))));
        // A-law WAV (format tag 6): a WAV we do not decode.
        let mut alaw = good.clone();
        alaw[20] = 6;
        alaw[34] = 8;
        assert!(matches!(
            convert(&alaw),
            Err(WavError::Unsupported(_)) | Err(WavError::Corrupt(_))
        ));
    }
}
