//! Audio the verbs play: recordings read from their WAV files (cached in memory), and
//! the tones Switchboard makes itself.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The most decoded files kept in memory (8 kHz 16-bit: one minute is ~1 MB).
const CACHE_ENTRIES: usize = 128;

/// Why audio could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: hound::Error },
    #[error("{path} is not 8 kHz mono 16-bit PCM ({rate} Hz, {channels} channel(s), {bits} bits)")]
    Format {
        path: PathBuf,
        rate: u32,
        channels: u16,
        bits: u16,
    },
}

/// Decoded WAV files by path, shared by every call.
#[derive(Debug, Default)]
pub struct AudioCache {
    entries: Mutex<HashMap<PathBuf, Arc<[i16]>>>,
    /// Audio fetched from URLs and synthesized speech, by URL or by text and voice.
    made: Mutex<HashMap<String, Arc<[i16]>>>,
}

/// The largest WAV file `play` fetches from a URL.
const MAX_FETCHED_BYTES: usize = 20 << 20;

/// The speech synthesizer's program.
pub const ESPEAK: &str = "espeak-ng";

impl AudioCache {
    /// The samples of a stored recording (8 kHz mono 16-bit, as the API converts them).
    pub async fn load(&self, path: &Path) -> Result<Arc<[i16]>, AudioError> {
        if let Some(hit) = self.entries.lock().ok().and_then(|e| e.get(path).cloned()) {
            return Ok(hit);
        }
        let owned = path.to_owned();
        let samples = tokio::task::spawn_blocking(move || read_8k_mono(&owned))
            .await
            .unwrap_or_else(|e| {
                Err(AudioError::Read {
                    path: path.to_owned(),
                    source: hound::Error::IoError(std::io::Error::other(e)),
                })
            })?;
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= CACHE_ENTRIES {
                entries.clear();
            }
            entries.insert(path.to_owned(), samples.clone());
        }
        Ok(samples)
    }
}

impl AudioCache {
    fn made(&self, key: &str) -> Option<Arc<[i16]>> {
        self.made.lock().ok().and_then(|m| m.get(key).cloned())
    }

    fn keep(&self, key: String, samples: Arc<[i16]>) {
        if let Ok(mut made) = self.made.lock() {
            if made.len() >= CACHE_ENTRIES {
                made.clear();
            }
            made.insert(key, samples);
        }
    }

    /// A WAV file from an http(s) URL, converted to 8 kHz mono and cached by URL.
    pub async fn fetch(
        &self,
        client: &crate::webhook::WebhookClient,
        url: &url::Url,
    ) -> Result<Arc<[i16]>, String> {
        let key = format!("url:{url}");
        if let Some(hit) = self.made(&key) {
            return Ok(hit);
        }
        let bytes = client
            .get_bytes(url, MAX_FETCHED_BYTES)
            .await
            .map_err(|e| format!("cannot fetch {url}: {e}"))?;
        let samples = tokio::task::spawn_blocking(move || decode_any(&bytes))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("{url}: {e}"))?;
        self.keep(key, samples.clone());
        Ok(samples)
    }

    /// `text` spoken by espeak-ng in `language` (default `en`) with `voice`, cached.
    pub async fn speak(
        &self,
        text: &str,
        language: Option<&str>,
        voice: Option<&str>,
    ) -> Result<Arc<[i16]>, String> {
        let language = language.unwrap_or("en");
        let voice_arg = match voice {
            Some(v) => format!("{language}+{v}"),
            None => language.to_owned(),
        };
        let key = format!("say:{voice_arg}:{text}");
        if let Some(hit) = self.made(&key) {
            return Ok(hit);
        }
        let mut child = tokio::process::Command::new(ESPEAK)
            .args(["-v", &voice_arg, "--stdout", "--stdin"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                format!("speech synthesis is unavailable: cannot run {ESPEAK} ({e}); install it with `apt-get install espeak-ng`")
            })?;
        if let Some(mut stdin) = child.stdin.take() {
            use tokio::io::AsyncWriteExt;
            stdin
                .write_all(text.as_bytes())
                .await
                .map_err(|e| format!("{ESPEAK}: {e}"))?;
        }
        let output =
            tokio::time::timeout(std::time::Duration::from_secs(30), child.wait_with_output())
                .await
                .map_err(|_| format!("{ESPEAK} took more than 30 s"))?
                .map_err(|e| format!("{ESPEAK}: {e}"))?;
        if !output.status.success() || output.stdout.is_empty() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            return Err(format!(
                "{ESPEAK} failed for voice {voice_arg:?}: {}",
                stderr.lines().next().unwrap_or("no output")
            ));
        }
        let mut wav = output.stdout;
        fix_streamed_sizes(&mut wav);
        let samples = tokio::task::spawn_blocking(move || decode_any(&wav))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("{ESPEAK} output: {e}"))?;
        self.keep(key, samples.clone());
        Ok(samples)
    }
}

/// Any PCM WAV to 8 kHz mono samples.
fn decode_any(bytes: &[u8]) -> Result<Arc<[i16]>, crate::media::wav::WavError> {
    let converted = crate::media::wav::convert(bytes)?;
    let reader = hound::WavReader::new(std::io::Cursor::new(converted.wav))
        .map_err(|e| crate::media::wav::WavError::Corrupt(e.to_string()))?;
    let samples: Result<Vec<i16>, _> = reader.into_samples::<i16>().collect();
    Ok(samples
        .map_err(|e| crate::media::wav::WavError::Corrupt(e.to_string()))?
        .into())
}

/// A WAV written to a pipe has placeholder sizes (its writer cannot seek back): set the
/// RIFF and `data` sizes from the bytes actually there.
fn fix_streamed_sizes(wav: &mut [u8]) {
    if wav.len() < 12 || &wav[0..4] != b"RIFF" {
        return;
    }
    let riff = u32::try_from(wav.len() - 8).unwrap_or(u32::MAX);
    wav[4..8].copy_from_slice(&riff.to_le_bytes());
    let mut at = 12;
    while at + 8 <= wav.len() {
        let size =
            u32::from_le_bytes([wav[at + 4], wav[at + 5], wav[at + 6], wav[at + 7]]) as usize;
        if &wav[at..at + 4] == b"data" {
            let actual = u32::try_from(wav.len() - at - 8).unwrap_or(u32::MAX);
            wav[at + 4..at + 8].copy_from_slice(&actual.to_le_bytes());
            return;
        }
        at += 8 + size + (size & 1);
    }
}

fn read_8k_mono(path: &Path) -> Result<Arc<[i16]>, AudioError> {
    let read_error = |source| AudioError::Read {
        path: path.to_owned(),
        source,
    };
    let mut reader = hound::WavReader::open(path).map_err(read_error)?;
    let spec = reader.spec();
    if spec.sample_rate != 8000
        || spec.channels != 1
        || spec.bits_per_sample != 16
        || spec.sample_format != hound::SampleFormat::Int
    {
        return Err(AudioError::Format {
            path: path.to_owned(),
            rate: spec.sample_rate,
            channels: spec.channels,
            bits: spec.bits_per_sample,
        });
    }
    let samples: Result<Vec<i16>, _> = reader.samples::<i16>().collect();
    Ok(samples.map_err(read_error)?.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn speech_is_synthesized_when_espeak_is_installed() {
        // CI installs espeak-ng (scripts/test); a missing one must fail here, loudly.
        let cache = AudioCache::default();
        let samples = cache
            .speak("Welcome to Switchboard", None, None)
            .await
            .unwrap();
        let seconds = samples.len() as f64 / 8000.0;
        assert!((0.8..5.0).contains(&seconds), "{seconds} s of speech");
        let rms = (samples.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>()
            / samples.len() as f64)
            .sqrt();
        assert!(rms > 300.0, "speech is not silent: rms {rms}");
        let e = cache
            .speak("x", Some("zz-nonexistent"), None)
            .await
            .unwrap_err();
        assert!(e.contains("espeak-ng failed"), "{e}");
    }

    #[test]
    fn streamed_wav_sizes_are_fixed() {
        let mut wav = b"RIFF\xff\xff\xff\x7fWAVEfmt \x10\x00\x00\x00".to_vec();
        wav.extend_from_slice(&[1, 0, 1, 0, 0x40, 0x1f, 0, 0, 0x80, 0x3e, 0, 0, 2, 0, 16, 0]);
        wav.extend_from_slice(b"data\x00\xf0\xff\x7f");
        wav.extend_from_slice(&[0, 1, 0, 2]);
        fix_streamed_sizes(&mut wav);
        let samples = decode_any(&wav).unwrap();
        assert_eq!(samples.len(), 2);
    }

    #[tokio::test]
    async fn only_8k_mono_16_bit_files_load() {
        let dir = std::env::temp_dir().join(format!("sb-audio-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let write = |name: &str, rate: u32| {
            let path = dir.join(name);
            let spec = hound::WavSpec {
                channels: 1,
                sample_rate: rate,
                bits_per_sample: 16,
                sample_format: hound::SampleFormat::Int,
            };
            let mut w = hound::WavWriter::create(&path, spec).unwrap();
            for s in crate::program::tones::tone(440.0, 50, 0.5) {
                w.write_sample(s).unwrap();
            }
            w.finalize().unwrap();
            path
        };
        let cache = AudioCache::default();
        let good = write("good.wav", 8000);
        assert_eq!(cache.load(&good).await.unwrap().len(), 400);
        let bad = write("bad.wav", 16000);
        assert!(matches!(
            cache.load(&bad).await,
            Err(AudioError::Format { rate: 16000, .. })
        ));
        assert!(cache.load(&dir.join("missing.wav")).await.is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
