//! Switchboard's SIP and media engine.

pub mod digest;
pub mod guard;
pub mod media;
pub mod ports;
pub mod sdp;
