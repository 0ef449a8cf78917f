//! Counters an operator watches (exported by the API server at `/metrics`). Hot paths
//! add to them in batches, so the RTP relay does not touch a shared cache line per
//! packet.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct Metrics {
    pub calls_active: AtomicI64,
    pub calls_total: AtomicU64,
    pub calls_answered_total: AtomicU64,
    pub registrations_total: AtomicU64,
    pub auth_failures_total: AtomicU64,
    /// SIP requests dropped by the per-source flood limit.
    pub flood_dropped_total: AtomicU64,
    pub rtp_relayed_total: AtomicU64,
    pub rtp_dropped_total: AtomicU64,
}

impl Metrics {
    pub fn add(counter: &AtomicU64, n: u64) {
        if n > 0 {
            counter.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// Prometheus text exposition of the counters, plus `ports_in_use`.
    pub fn render(&self, ports_in_use: usize) -> String {
        let g = |v: &AtomicU64| v.load(Ordering::Relaxed);
        let mut out = String::with_capacity(1024);
        let mut line = |name: &str, kind: &str, help: &str, value: String| {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"
            ));
        };
        line(
            "switchboard_calls_active",
            "gauge",
            "Calls in progress.",
            self.calls_active.load(Ordering::Relaxed).to_string(),
        );
        line(
            "switchboard_calls_total",
            "counter",
            "Calls received.",
            g(&self.calls_total).to_string(),
        );
        line(
            "switchboard_calls_answered_total",
            "counter",
            "Calls answered.",
            g(&self.calls_answered_total).to_string(),
        );
        line(
            "switchboard_sip_registrations_total",
            "counter",
            "Successful REGISTER requests.",
            g(&self.registrations_total).to_string(),
        );
        line(
            "switchboard_sip_auth_failures_total",
            "counter",
            "Failed SIP authentications.",
            g(&self.auth_failures_total).to_string(),
        );
        line(
            "switchboard_sip_flood_dropped_total",
            "counter",
            "SIP requests dropped unanswered: their source address sent more than its limit.",
            g(&self.flood_dropped_total).to_string(),
        );
        line(
            "switchboard_rtp_packets_relayed_total",
            "counter",
            "RTP packets relayed between call legs.",
            g(&self.rtp_relayed_total).to_string(),
        );
        line(
            "switchboard_rtp_packets_dropped_total",
            "counter",
            "RTP packets not relayed (no peer yet, wrong source, not negotiated).",
            g(&self.rtp_dropped_total).to_string(),
        );
        line(
            "switchboard_rtp_ports_in_use",
            "gauge",
            "RTP port pairs in use.",
            ports_in_use.to_string(),
        );
        out
    }
}
