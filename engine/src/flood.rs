//! Limits the requests one source address may send, like Kamailio's `pike`: an address
//! that sends more than `limit` SIP requests within one `window` is ignored (its
//! requests dropped unanswered) for `block`. A flood of INVITEs or REGISTERs from one
//! address then costs a hash lookup per packet instead of a challenge, a database read
//! and a transaction, and the other users' calls go on. Answering a flood — even with
//! 403 — would only tell the sender that somebody listens.
//!
//! Pure: the caller passes the current time and decides who is exempt (trunk peers,
//! trusted proxies: see `sip::flood`).

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// The limit: `limit` requests per `window` from one address (0: no limit), then
/// `block` of silence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FloodConfig {
    pub limit: u32,
    pub window: Duration,
    pub block: Duration,
}

impl Default for FloodConfig {
    /// 100 requests a second: far above what an office of phones behind one NAT sends
    /// (each phone a REGISTER every few minutes, a handful of requests per call), far
    /// below a scanner or a flood (thousands a second).
    fn default() -> Self {
        Self {
            limit: 100,
            window: Duration::from_secs(1),
            block: Duration::from_secs(30),
        }
    }
}

/// Addresses followed at most: beyond, new addresses are let through untracked (a flood
/// from millions of spoofed addresses must not grow memory without bound; each address
/// of it sends too little to matter).
pub const MAX_TRACKED: usize = 100_000;

/// What to do with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    /// Handle it.
    Yes,
    /// Drop it: its address is blocked.
    Drop,
    /// Drop it: this request put its address over the limit (log it, once).
    Blocked,
}

#[derive(Debug)]
struct Record {
    window_start: Instant,
    requests: u32,
    blocked_until: Option<Instant>,
}

/// Request counts and blocks by source address.
#[derive(Debug)]
pub struct FloodLimiter {
    config: FloodConfig,
    records: HashMap<IpAddr, Record>,
}

impl FloodLimiter {
    pub fn new(config: FloodConfig) -> Self {
        Self {
            config,
            records: HashMap::new(),
        }
    }

    pub fn config(&self) -> FloodConfig {
        self.config
    }

    /// Counts a request from `addr` at `now` and says whether to handle it.
    pub fn admit(&mut self, addr: IpAddr, now: Instant) -> Admit {
        let config = self.config;
        if config.limit == 0 {
            return Admit::Yes;
        }
        if self.records.len() >= MAX_TRACKED && !self.records.contains_key(&addr) {
            return Admit::Yes;
        }
        let record = self.records.entry(addr).or_insert(Record {
            window_start: now,
            requests: 0,
            blocked_until: None,
        });
        if let Some(until) = record.blocked_until {
            if now < until {
                return Admit::Drop;
            }
            record.blocked_until = None;
            record.window_start = now;
            record.requests = 0;
        }
        if now.duration_since(record.window_start) >= config.window {
            record.window_start = now;
            record.requests = 0;
        }
        record.requests += 1;
        if record.requests > config.limit {
            record.blocked_until = Some(now + config.block);
            Admit::Blocked
        } else {
            Admit::Yes
        }
    }

    /// Forgets addresses neither blocked nor within their window; call now and then.
    pub fn prune(&mut self, now: Instant) {
        let window = self.config.window;
        self.records.retain(|_, r| {
            r.blocked_until.is_some_and(|u| now < u) || now.duration_since(r.window_start) < window
        });
    }

    /// Addresses blocked now.
    pub fn blocked(&self, now: Instant) -> usize {
        self.records
            .values()
            .filter(|r| r.blocked_until.is_some_and(|u| now < u))
            .count()
    }

    pub fn tracked(&self) -> usize {
        self.records.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(limit: u32) -> FloodLimiter {
        FloodLimiter::new(FloodConfig {
            limit,
            window: Duration::from_secs(1),
            block: Duration::from_secs(30),
        })
    }

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2));

    #[test]
    fn an_address_within_its_limit_is_always_handled() {
        let mut l = limiter(5);
        let t0 = Instant::now();
        for second in 0..10 {
            for _ in 0..5 {
                assert_eq!(l.admit(A, t0 + Duration::from_secs(second)), Admit::Yes);
            }
        }
    }

    #[test]
    fn an_address_over_its_limit_is_ignored_for_the_block_time_and_others_are_not() {
        let mut l = limiter(5);
        let t0 = Instant::now();
        for _ in 0..5 {
            assert_eq!(l.admit(A, t0), Admit::Yes);
        }
        assert_eq!(l.admit(A, t0), Admit::Blocked, "the sixth in a second");
        assert_eq!(l.admit(A, t0 + Duration::from_secs(29)), Admit::Drop);
        assert_eq!(l.admit(B, t0), Admit::Yes, "another address goes on");
        assert_eq!(l.blocked(t0), 1);
        assert_eq!(l.admit(A, t0 + Duration::from_secs(30)), Admit::Yes);
    }

    #[test]
    fn a_blocked_address_that_keeps_flooding_stays_blocked_only_for_its_block_time() {
        // Pike's choice too: the block is not extended by the dropped requests, so an
        // address whose flood stops is heard again `block` later.
        let mut l = limiter(5);
        let t0 = Instant::now();
        for _ in 0..6 {
            l.admit(A, t0);
        }
        for ms in (0..30_000).step_by(10) {
            assert_eq!(l.admit(A, t0 + Duration::from_millis(ms)), Admit::Drop);
        }
        assert_eq!(l.admit(A, t0 + Duration::from_secs(31)), Admit::Yes);
    }

    #[test]
    fn no_limit_when_the_limit_is_zero() {
        let mut l = limiter(0);
        let t0 = Instant::now();
        for _ in 0..10_000 {
            assert_eq!(l.admit(A, t0), Admit::Yes);
        }
        assert_eq!(l.tracked(), 0);
    }

    #[test]
    fn prune_forgets_quiet_addresses_and_keeps_blocked_ones() {
        let mut l = limiter(1);
        let t0 = Instant::now();
        l.admit(A, t0);
        l.admit(A, t0);
        l.admit(B, t0);
        l.prune(t0 + Duration::from_secs(2));
        assert_eq!(l.tracked(), 1, "A is blocked, B was quiet");
        l.prune(t0 + Duration::from_secs(31));
        assert_eq!(l.tracked(), 0);
    }

    #[test]
    fn memory_is_bounded_under_a_flood_from_many_addresses() {
        let mut l = limiter(1);
        let t0 = Instant::now();
        for i in 0..(MAX_TRACKED as u32 + 1000) {
            let addr = IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + i));
            assert_eq!(l.admit(addr, t0), Admit::Yes);
        }
        assert_eq!(l.tracked(), MAX_TRACKED);
    }
}
