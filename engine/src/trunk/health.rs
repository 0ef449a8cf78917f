//! A trunk's OPTIONS keepalive as a pure machine: a probe every interval; two probes in
//! a row unanswered mark the peer down (one lost datagram is not an outage), one answer
//! marks it up. The driver (`trunk::link`) sends the probes; failover skips a trunk
//! that is down.

use contract::models::HealthState;
use std::time::{Duration, Instant};

/// Unanswered probes in a row that mark a peer down.
pub const MISSES_FOR_DOWN: u32 = 2;

/// What changed with a probe's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    None,
    Up,
    Down,
}

#[derive(Debug)]
pub struct Health {
    interval: Duration,
    state: HealthState,
    since: Instant,
    misses: u32,
    next: Option<Instant>,
    last_error: Option<String>,
}

impl Health {
    /// Probes every `interval`, the first at once.
    pub fn new(interval: Duration, now: Instant) -> Self {
        Self {
            interval,
            state: HealthState::Unknown,
            since: now,
            misses: 0,
            next: Some(now),
            last_error: None,
        }
    }

    /// Whether a probe goes now; if so it is out until [`Self::handle_result`].
    pub fn poll_probe(&mut self, now: Instant) -> bool {
        match self.next {
            Some(at) if at <= now => {
                self.next = None;
                true
            }
            _ => false,
        }
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        self.next
    }

    /// How long a probe may wait for its answer: the interval, at most 5 s.
    pub fn probe_timeout(&self) -> Duration {
        self.interval.min(Duration::from_secs(5))
    }

    /// The probe's result: answered (any final response: the peer is alive), or why not.
    pub fn handle_result(&mut self, result: Result<(), String>, now: Instant) -> Change {
        self.next = Some(now + self.interval);
        match result {
            Ok(()) => {
                self.misses = 0;
                self.last_error = None;
                self.set(HealthState::Up, now)
            }
            Err(why) => {
                self.misses += 1;
                self.last_error = Some(why);
                if self.misses >= MISSES_FOR_DOWN {
                    self.set(HealthState::Down, now)
                } else {
                    Change::None
                }
            }
        }
    }

    fn set(&mut self, state: HealthState, now: Instant) -> Change {
        if self.state == state {
            return Change::None;
        }
        self.state = state;
        self.since = now;
        match state {
            HealthState::Up => Change::Up,
            HealthState::Down => Change::Down,
            HealthState::Unknown => Change::None,
        }
    }

    pub fn state(&self) -> HealthState {
        self.state
    }

    pub fn since(&self) -> Instant {
        self.since
    }

    pub fn last_error(&self) -> Option<&str> {
        self.last_error.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    #[test]
    fn one_answer_marks_the_peer_up_and_the_next_probe_waits_an_interval() {
        let t0 = Instant::now();
        let mut h = Health::new(30 * SEC, t0);
        assert!(h.poll_probe(t0));
        assert!(!h.poll_probe(t0), "one probe at a time");
        assert_eq!(h.handle_result(Ok(()), t0), Change::Up);
        assert_eq!(h.state(), HealthState::Up);
        assert_eq!(h.poll_timeout(), Some(t0 + 30 * SEC));
        assert_eq!(h.probe_timeout(), 5 * SEC);
    }

    #[test]
    fn two_missed_probes_in_a_row_mark_it_down_and_one_answer_up_again() {
        let t0 = Instant::now();
        let mut h = Health::new(SEC, t0);
        h.poll_probe(t0);
        h.handle_result(Ok(()), t0);
        h.poll_probe(t0 + SEC);
        assert_eq!(
            h.handle_result(Err("timeout".into()), t0 + 2 * SEC),
            Change::None
        );
        h.poll_probe(t0 + 3 * SEC);
        assert_eq!(
            h.handle_result(Err("timeout".into()), t0 + 4 * SEC),
            Change::Down
        );
        assert_eq!(h.state(), HealthState::Down);
        assert_eq!(h.since(), t0 + 4 * SEC);
        assert_eq!(h.last_error(), Some("timeout"));
        h.poll_probe(t0 + 5 * SEC);
        assert_eq!(
            h.handle_result(Err("timeout".into()), t0 + 6 * SEC),
            Change::None
        );
        h.poll_probe(t0 + 7 * SEC);
        assert_eq!(h.handle_result(Ok(()), t0 + 7 * SEC), Change::Up);
        assert_eq!(h.last_error(), None);
    }

    #[test]
    fn a_single_lost_probe_is_not_an_outage() {
        let t0 = Instant::now();
        let mut h = Health::new(SEC, t0);
        h.poll_probe(t0);
        h.handle_result(Ok(()), t0);
        h.poll_probe(t0 + SEC);
        h.handle_result(Err("timeout".into()), t0 + SEC);
        h.poll_probe(t0 + 2 * SEC);
        assert_eq!(h.handle_result(Ok(()), t0 + 2 * SEC), Change::None);
        assert_eq!(h.state(), HealthState::Up);
    }
}
