//! Switchboard's SIP and media engine. See `ARCHITECTURE.md` at the repository's root
//! for the layers and the life of a call through them.
//!
//! # Layout
//! Arrows point one way: pure machines and types → storage traits and the clock →
//! drivers (SIP, media, HTTP) → the call layer → the [`Engine`] the API server holds.
//!
//! Pure (no I/O, time passed in):
//! - [`program`]: a call's verb executor, [`program::CallProgram`] (and the machine of a
//!   call connected straight through).
//! - [`ring`]: "ring these, first answer wins", [`ring::Ringer`], and the ring
//!   strategies as stage plans.
//! - [`outcome`]: SIP codes → call statuses, one function for every path.
//! - [`acd`]: what a caller in a queue served by agents and storage say to each other.
//! - [`sdp`], [`digest`], [`registrar`], [`guard`], [`flood`], [`ports`]: offer/answer,
//!   digest authentication, REGISTER rules, blocking failed sources, ignoring flooding
//!   sources, RTP port pairs.
//! - [`media`]'s `rtp`, `stream`, `dtmf`, `inband`, `wav`, `resample`, `tap`: what to
//!   do with one packet, one continuous stream per leg, keys, audio conversion, mixing.
//! - [`trunk`]'s `registration` and `health`: when to REGISTER to a trunk's peer and
//!   what its answers mean; when to probe it with OPTIONS and when it is down.
//!
//! Boundaries:
//! - [`store`]: what the engine needs from storage (implemented by the API server),
//!   and the records it writes; [`clock`]: time as records write it.
//! - [`config`]: the engine's settings; [`metrics`]: its counters.
//!
//! Drivers (I/O, kept thin):
//! - [`sip`]: the rsipstack endpoint (UDP + TCP), the registrar, credentials, trusted
//!   proxies, the flood limit, and the dispatcher that hands new INVITEs to whoever
//!   takes calls.
//! - [`media`]'s `bridge`, `endpoint`, `pacer`: the tasks relaying and playing RTP.
//! - [`webhook`]: the signed webhook client (timeouts, retries, fallback URL), which
//!   hands requests for the built-in apps to them in-process (`LocalService`).
//! - [`trunk`]'s `link`: the REGISTERs and OPTIONS to trunks' peers, and what this node
//!   knows of each trunk (`TrunkStates`).
//!
//! Orchestration:
//! - [`call`]: every call — routed INVITEs and calls placed through the REST API — run
//!   by one driver loop per call around its program and its ringers.
//! - [`engine`]: starts it all and gives the API server one [`EngineHandle`].
//! - [`simulate`]: a call without SIP or RTP — the same program, driven on a simulated
//!   clock, its webhook requests sent for real (`switchboard simulate`).

pub mod acd;
pub mod call;
pub mod clock;
pub mod config;
pub mod digest;
pub mod engine;
pub mod flood;
pub mod guard;
pub mod media;
pub mod metrics;
pub mod outcome;
pub mod ports;
pub mod program;
pub mod registrar;
pub mod ring;
pub mod sdp;
pub mod simulate;
pub mod sip;
pub mod store;
pub mod trunk;
pub mod webhook;

pub use config::EngineConfig;
pub use engine::EngineError;
pub use engine::{Engine, EngineHandle};
pub use store::Store;
