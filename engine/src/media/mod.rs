//! Media: RTP relayed between the two legs of a call through sockets we own (anchored
//! media), with the per-leg codec and DTMF payload types translated.
//!
//! - [`rtp`]: what to do with one packet (pure): payload-type mapping, G.711 µ-law ↔
//!   A-law conversion, symmetric-RTP latching.
//! - [`bridge`]: the task that owns a call's sockets and moves packets (I/O).

pub mod bridge;
pub mod rtp;
