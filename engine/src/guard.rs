//! Limits failed authentications per source address: after `max_failures` within
//! `window`, the address is blocked for `block` (requests from it are refused before any
//! credential is checked). Stops password guessing; legitimate phones with a stale
//! nonce or a first unauthenticated request never count, only wrong answers do. Pure:
//! the caller passes the current time.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct GuardConfig {
    pub max_failures: u32,
    pub window: Duration,
    pub block: Duration,
}

impl Default for GuardConfig {
    fn default() -> Self {
        Self {
            max_failures: 10,
            window: Duration::from_secs(60),
            block: Duration::from_secs(300),
        }
    }
}

#[derive(Debug)]
struct Record {
    window_start: Instant,
    failures: u32,
    blocked_until: Option<Instant>,
}

/// Failure counts and blocks by source address.
#[derive(Debug)]
pub struct AuthGuard {
    config: GuardConfig,
    records: HashMap<IpAddr, Record>,
}

/// What happened to an address after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Counted(u32),
    /// This failure blocked the address (log it once).
    Blocked,
}

impl AuthGuard {
    pub fn new(config: GuardConfig) -> Self {
        Self {
            config,
            records: HashMap::new(),
        }
    }

    /// Is `addr` blocked now?
    pub fn is_blocked(&self, addr: IpAddr, now: Instant) -> bool {
        self.records
            .get(&addr)
            .and_then(|r| r.blocked_until)
            .is_some_and(|until| now < until)
    }

    /// How much longer `addr` stays blocked (None: it is not blocked).
    pub fn blocked_for(&self, addr: IpAddr, now: Instant) -> Option<Duration> {
        self.records
            .get(&addr)
            .and_then(|r| r.blocked_until)
            .filter(|until| now < *until)
            .map(|until| until - now)
    }

    /// Records a failed authentication from `addr`.
    pub fn failure(&mut self, addr: IpAddr, now: Instant) -> Verdict {
        let config = self.config;
        let record = self.records.entry(addr).or_insert(Record {
            window_start: now,
            failures: 0,
            blocked_until: None,
        });
        if now.duration_since(record.window_start) > config.window {
            record.window_start = now;
            record.failures = 0;
        }
        record.failures += 1;
        if record.failures >= config.max_failures {
            record.blocked_until = Some(now + config.block);
            record.failures = 0;
            record.window_start = now;
            Verdict::Blocked
        } else {
            Verdict::Counted(record.failures)
        }
    }

    /// Forgets addresses that are neither blocked nor counting; call now and then.
    pub fn prune(&mut self, now: Instant) {
        let window = self.config.window;
        self.records.retain(|_, r| {
            r.blocked_until.is_some_and(|u| now < u) || now.duration_since(r.window_start) <= window
        });
    }

    pub fn tracked(&self) -> usize {
        self.records.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_too_many_failures_and_unblocks_later() {
        let mut g = AuthGuard::new(GuardConfig {
            max_failures: 3,
            ..GuardConfig::default()
        });
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let t0 = Instant::now();
        assert_eq!(g.failure(a, t0), Verdict::Counted(1));
        assert_eq!(g.failure(a, t0), Verdict::Counted(2));
        assert!(!g.is_blocked(a, t0));
        assert_eq!(g.failure(a, t0), Verdict::Blocked);
        assert!(g.is_blocked(a, t0 + Duration::from_secs(299)));
        assert_eq!(
            g.blocked_for(a, t0 + Duration::from_secs(100)),
            Some(Duration::from_secs(200))
        );
        assert_eq!(g.blocked_for(b, t0), None);
        assert!(!g.is_blocked(b, t0), "others are not affected");
        assert!(!g.is_blocked(a, t0 + Duration::from_secs(301)));
    }

    #[test]
    fn failures_spread_over_time_do_not_block() {
        let mut g = AuthGuard::new(GuardConfig {
            max_failures: 3,
            ..GuardConfig::default()
        });
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let t0 = Instant::now();
        g.failure(a, t0);
        g.failure(a, t0 + Duration::from_secs(30));
        assert_eq!(
            g.failure(a, t0 + Duration::from_secs(90)),
            Verdict::Counted(1)
        );
        g.prune(t0 + Duration::from_secs(500));
        assert_eq!(g.tracked(), 0);
    }
}
