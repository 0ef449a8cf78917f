//! Audio files: decoding uploads, converting them to the one format the media engine
//! plays (8 kHz, mono, 16-bit PCM WAV), and keeping them on disk without ever leaving a
//! half-written file behind.

pub mod store;

/// Conversion lives in the engine, which also converts audio fetched by `play`.
pub use engine::media::{resample, wav};
