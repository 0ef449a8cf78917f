//! Wrong voicemail PINs are limited like wrong SIP passwords: after
//! [`MAX_FAILURES`] wrong PINs for a mailbox within [`WINDOW`], the mailbox opens to no
//! PIN (the right one included) for [`LOCKOUT`], so a script calling `*98` cannot try
//! the ten thousand PINs of four digits. Kept by this node (each node counts its own).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Wrong PINs allowed within [`WINDOW`].
pub const MAX_FAILURES: u32 = 5;
pub const WINDOW: Duration = Duration::from_secs(600);
pub const LOCKOUT: Duration = Duration::from_secs(900);

#[derive(Debug, Clone, Copy)]
struct Record {
    failures: u32,
    since: Instant,
    locked_until: Option<Instant>,
}

/// Wrong PINs by mailbox.
#[derive(Debug, Default)]
pub struct PinGuard {
    records: Mutex<HashMap<String, Record>>,
}

impl PinGuard {
    /// Whether `mailbox` may be tried at `now` (Err: locked until then).
    pub fn check(&self, mailbox: &str, now: Instant) -> Result<(), Instant> {
        let Ok(records) = self.records.lock() else {
            return Ok(());
        };
        match records.get(mailbox).and_then(|r| r.locked_until) {
            Some(until) if until > now => Err(until),
            _ => Ok(()),
        }
    }

    /// A wrong PIN for `mailbox` at `now`; true when it locks the mailbox.
    pub fn failed(&self, mailbox: &str, now: Instant) -> bool {
        let Ok(mut records) = self.records.lock() else {
            return false;
        };
        // Forget what is old, so the map does not grow with every number ever tried.
        records.retain(|_, r| {
            r.locked_until.is_some_and(|u| u > now) || now.duration_since(r.since) < WINDOW
        });
        let record = records.entry(mailbox.to_owned()).or_insert(Record {
            failures: 0,
            since: now,
            locked_until: None,
        });
        if now.duration_since(record.since) >= WINDOW || record.locked_until.is_some() {
            *record = Record {
                failures: 0,
                since: now,
                locked_until: None,
            };
        }
        record.failures += 1;
        if record.failures >= MAX_FAILURES {
            record.locked_until = Some(now + LOCKOUT);
            return true;
        }
        false
    }

    /// The right PIN: the count starts again.
    pub fn succeeded(&self, mailbox: &str) {
        if let Ok(mut records) = self.records.lock() {
            records.remove(mailbox);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_wrong_pins_lock_the_mailbox_for_a_while_and_the_right_one_resets_the_count() {
        let guard = PinGuard::default();
        let t = Instant::now();
        for i in 0..4 {
            assert!(!guard.failed("58102", t + Duration::from_secs(i)));
        }
        assert!(guard.check("58102", t).is_ok());
        assert!(
            guard.failed("58102", t + Duration::from_secs(5)),
            "the fifth locks"
        );
        assert!(guard.check("58102", t + Duration::from_secs(6)).is_err());
        assert!(
            guard.check("58103", t).is_ok(),
            "other mailboxes are not locked"
        );
        assert!(
            guard
                .check("58102", t + LOCKOUT + Duration::from_secs(6))
                .is_ok()
        );

        let guard = PinGuard::default();
        for i in 0..4 {
            guard.failed("58102", t + Duration::from_secs(i));
        }
        guard.succeeded("58102");
        assert!(!guard.failed("58102", t + Duration::from_secs(5)));
    }

    #[test]
    fn failures_spread_over_more_than_the_window_do_not_lock() {
        let guard = PinGuard::default();
        let t = Instant::now();
        for i in 0..10 {
            assert!(!guard.failed("58102", t + WINDOW / 4 * i));
        }
    }
}
