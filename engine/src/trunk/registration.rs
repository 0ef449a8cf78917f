//! Our registration to a trunk's peer (RFC 3261 §10), as a pure machine: when to send
//! the next REGISTER, what each answer means. The driver (`trunk::link`) sends them.
//!
//! A binding is refreshed at three quarters of what the peer granted (as rsipstack's
//! own keep-alive does); a refusal or silence is retried after 5 s, doubling up to
//! 60 s, so a peer that comes back is registered to within a minute — and at once when
//! its OPTIONS keepalive says it is back ([`Registration::peer_returned`]).

use contract::models::RegistrationState;
use std::time::{Duration, Instant};

/// The first retry after a failure.
pub const RETRY_FIRST: Duration = Duration::from_secs(5);
/// Retries never wait longer than this.
pub const RETRY_MAX: Duration = Duration::from_secs(60);

/// How a REGISTER ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// 2xx: the peer keeps the binding for `granted` seconds.
    Registered { granted: u32 },
    /// A final refusal (`403 Forbidden`, or a challenge our credentials do not meet).
    Refused(String),
    /// No answer, or the request could not be sent.
    Unreachable(String),
}

/// The registration of one trunk.
#[derive(Debug)]
pub struct Registration {
    state: RegistrationState,
    /// When the next REGISTER goes (None while one is on its way).
    next: Option<Instant>,
    failures: u32,
    expires_at: Option<Instant>,
    last_error: Option<String>,
}

/// What [`Registration::status`] reports (times as instants; the driver writes them
/// as wall-clock times).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub state: RegistrationState,
    pub expires_at: Option<Instant>,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<Instant>,
}

impl Registration {
    /// A registration whose first REGISTER goes at once.
    pub fn new(now: Instant) -> Self {
        Self {
            state: RegistrationState::Registering,
            next: Some(now),
            failures: 0,
            expires_at: None,
            last_error: None,
        }
    }

    /// Whether a REGISTER goes now; if so it is on its way until [`Self::handle_answer`].
    pub fn poll_register(&mut self, now: Instant) -> bool {
        match self.next {
            Some(at) if at <= now => {
                self.next = None;
                if self.state != RegistrationState::Registered {
                    self.state = RegistrationState::Registering;
                }
                true
            }
            _ => false,
        }
    }

    /// When [`Self::poll_register`] will say yes (None while a REGISTER is out).
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.next
    }

    /// The answer to the REGISTER on its way.
    pub fn handle_answer(&mut self, answer: Answer, now: Instant) {
        match answer {
            Answer::Registered { granted } => {
                let granted = Duration::from_secs(u64::from(granted.max(1)));
                self.state = RegistrationState::Registered;
                self.failures = 0;
                self.last_error = None;
                self.expires_at = Some(now + granted);
                self.next = Some(now + (granted * 3 / 4).max(Duration::from_secs(1)));
            }
            Answer::Refused(why) | Answer::Unreachable(why) => {
                self.failures += 1;
                self.state = RegistrationState::Failed;
                self.last_error = Some(why);
                self.next = Some(now + backoff(self.failures));
                if self.expires_at.is_some_and(|e| e <= now) {
                    self.expires_at = None;
                }
            }
        }
    }

    /// The peer answers again after being down: register now rather than at the next
    /// retry (it may have lost our binding when it restarted).
    pub fn peer_returned(&mut self, now: Instant) {
        if self.next.is_some() {
            self.next = Some(now);
        }
    }

    pub fn status(&self, now: Instant) -> Status {
        Status {
            state: self.state,
            expires_at: self.expires_at.filter(|e| *e > now),
            last_error: self.last_error.clone(),
            next_attempt_at: self.next,
        }
    }
}

/// 5 s, then doubling per consecutive failure, at most 60 s.
fn backoff(failures: u32) -> Duration {
    let doubled = RETRY_FIRST.saturating_mul(1 << failures.saturating_sub(1).min(6));
    doubled.min(RETRY_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn the_first_register_goes_at_once_and_only_once() {
        let t0 = Instant::now();
        let mut r = Registration::new(t0);
        assert!(r.poll_register(t0));
        assert!(!r.poll_register(t0), "one REGISTER at a time");
        assert_eq!(r.poll_timeout(), None);
        assert_eq!(r.status(t0).state, RegistrationState::Registering);
    }

    #[test]
    fn a_binding_is_refreshed_at_three_quarters_of_what_was_granted() {
        let t0 = Instant::now();
        let mut r = Registration::new(t0);
        r.poll_register(t0);
        r.handle_answer(Answer::Registered { granted: 120 }, t0);
        let s = r.status(t0);
        assert_eq!(s.state, RegistrationState::Registered);
        assert_eq!(s.expires_at, Some(t0 + secs(120)));
        assert_eq!(r.poll_timeout(), Some(t0 + secs(90)));
        assert!(!r.poll_register(t0 + secs(89)));
        assert!(r.poll_register(t0 + secs(90)));
        assert_eq!(
            r.status(t0 + secs(90)).state,
            RegistrationState::Registered,
            "a refresh keeps the registered state while it is out"
        );
    }

    #[test]
    fn failures_are_retried_after_5_s_doubling_to_60_s() {
        let t0 = Instant::now();
        let mut r = Registration::new(t0);
        let mut now = t0;
        let mut waits = Vec::new();
        for _ in 0..6 {
            assert!(r.poll_register(now));
            r.handle_answer(Answer::Unreachable("no answer".into()), now);
            let next = r.poll_timeout().unwrap();
            waits.push((next - now).as_secs());
            now = next;
        }
        assert_eq!(waits, [5, 10, 20, 40, 60, 60]);
        let s = r.status(now);
        assert_eq!(s.state, RegistrationState::Failed);
        assert_eq!(s.last_error.as_deref(), Some("no answer"));
    }

    #[test]
    fn a_refusal_says_why_and_success_clears_it() {
        let t0 = Instant::now();
        let mut r = Registration::new(t0);
        r.poll_register(t0);
        r.handle_answer(Answer::Refused("403 Forbidden".into()), t0);
        assert_eq!(r.status(t0).last_error.as_deref(), Some("403 Forbidden"));
        assert!(r.poll_register(t0 + secs(5)));
        r.handle_answer(Answer::Registered { granted: 60 }, t0 + secs(5));
        assert_eq!(r.status(t0 + secs(5)).last_error, None);
        assert_eq!(r.poll_timeout(), Some(t0 + secs(50)), "failures forgotten");
    }

    #[test]
    fn a_peer_back_from_down_is_registered_at_once() {
        let t0 = Instant::now();
        let mut r = Registration::new(t0);
        r.poll_register(t0);
        r.handle_answer(Answer::Unreachable("timeout".into()), t0);
        r.poll_register(t0 + secs(5));
        r.handle_answer(Answer::Unreachable("timeout".into()), t0 + secs(5));
        r.peer_returned(t0 + secs(7));
        assert!(r.poll_register(t0 + secs(7)), "not at the retry 10 s later");
    }

    #[test]
    fn an_expired_binding_is_not_reported() {
        let t0 = Instant::now();
        let mut r = Registration::new(t0);
        r.poll_register(t0);
        r.handle_answer(Answer::Registered { granted: 60 }, t0);
        r.poll_register(t0 + secs(45));
        r.handle_answer(Answer::Unreachable("timeout".into()), t0 + secs(61));
        assert_eq!(r.status(t0 + secs(61)).expires_at, None);
    }
}
