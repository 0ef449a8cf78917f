//! Switchboard's SIP and media engine.
//!
//! # Layout
//! Pure protocol logic (no I/O, time passed in):
//! - [`sdp`]: session descriptions and offer/answer for G.711 + RFC 4733.
//! - [`digest`]: digest authentication (MD5, SHA-256) with stateless nonces.
//! - [`registrar`]: REGISTER rules: contacts, expiry limits, wildcard removal.
//! - [`guard`]: blocking sources after repeated authentication failures.
//! - [`ports`]: RTP port-pair allocation.
//! - [`media::rtp`]: per-packet relay rules (payload types, µ-law/A-law, latching).
//! - [`media::dtmf`]: keys from RFC 4733 events; [`media::wav`]: audio conversion.
//!
//! I/O, kept thin:
//! - [`sip`]: the rsipstack endpoint (UDP + TCP) and the request dispatcher.
//! - [`media::bridge`]: the task relaying a call's RTP.
//! - [`media::endpoint`]: the task playing audio to a call we answered, reading its keys.
//! - [`app`]: calls driven by an application's verb documents.
//! - [`webhook`]: the signed webhook client (timeouts, retries, fallback URL).
//!
//! Boundaries:
//! - [`store`]: the storage the engine needs, implemented by the API server.
//! - [`config`]: the engine's settings.

pub mod call;
pub mod clock;
pub mod config;
pub mod digest;
pub mod engine;
pub mod guard;
pub mod media;
pub mod metrics;
pub mod outcome;
pub mod ports;
pub mod program;
pub mod registrar;
pub mod ring;
pub mod sdp;
pub mod sip;
pub mod store;
pub mod webhook;

pub use config::EngineConfig;
pub use engine::EngineError;
pub use engine::{Engine, EngineHandle};
pub use store::Store;
