//! Media: RTP relayed between the two legs of a call through sockets we own (anchored
//! media), with the per-leg codec and DTMF payload types translated.
//!
//! - [`rtp`]: what to do with one packet (pure): payload-type mapping, G.711 µ-law ↔
//!   A-law conversion, symmetric-RTP latching.
//! - [`dtmf`]: keys from RFC 4733 telephone-event packets (pure).
//! - [`inband`]: keys sent as tones in the audio (Goertzel), for phones without RFC 4733.
//! - [`wav`], [`resample`]: any PCM WAV to the 8 kHz mono 16-bit the engine plays (pure).
//! - [`stream`]: one continuous RTP stream per phone-facing leg, whoever feeds it: SSRC,
//!   sequence numbers and timestamps rewritten across switches (pure).
//! - [`bridge`]: the task that owns a call's sockets and moves packets (I/O).
//! - [`endpoint`]: the task of a leg that ends at us (application calls): plays audio,
//!   reports keys (I/O).
//! - [`pacer`]: the one high-resolution thread that paces played audio at 20 ms.
//! - [`tap`]: both directions of a bridge mixed into one recording (pure).

pub mod bridge;
#[cfg(test)]
mod continuity_tests;
pub mod dtmf;
pub mod endpoint;
pub mod inband;
pub mod pacer;
#[cfg(test)]
mod rebinding_tests;
pub mod resample;
pub mod rtp;
pub mod stream;
pub mod tap;
pub mod wav;
