//! RTP port allocation: even ports for RTP, the next odd one for RTCP (RFC 3550 §11),
//! handed out round-robin from the configured range so a port just freed is not reused
//! at once (late packets of the old call would land in the new one). Pure bookkeeping:
//! the caller binds the sockets and reports ports it could not bind.

use std::collections::HashSet;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortsError {
    #[error(
        "RTP port range {0}-{1} is invalid: it needs at least one even/odd pair, within 1024-65535"
    )]
    BadRange(u16, u16),
    #[error("no free RTP port pair in {0}-{1}")]
    Exhausted(u16, u16),
}

/// The pool of RTP port pairs.
#[derive(Debug)]
pub struct PortPool {
    first: u16,
    last: u16,
    next: u16,
    in_use: HashSet<u16>,
}

impl PortPool {
    /// Pairs from `first` to `last` inclusive (`first` is rounded up to even).
    pub fn new(first: u16, last: u16) -> Result<Self, PortsError> {
        let start = first + (first % 2);
        if first < 1024 || start >= last {
            return Err(PortsError::BadRange(first, last));
        }
        Ok(Self {
            first: start,
            last,
            next: start,
            in_use: HashSet::new(),
        })
    }

    /// Parses `10000-20000`.
    pub fn parse_range(s: &str) -> Result<(u16, u16), PortsError> {
        let bad = || PortsError::BadRange(0, 0);
        let (a, b) = s.split_once('-').ok_or_else(bad)?;
        let a = a.trim().parse().map_err(|_| bad())?;
        let b = b.trim().parse().map_err(|_| bad())?;
        Ok((a, b))
    }

    pub fn capacity(&self) -> usize {
        usize::from((self.last - self.first).div_ceil(2))
    }

    pub fn in_use(&self) -> usize {
        self.in_use.len()
    }

    /// The next free RTP port (even); RTCP is the port after it.
    pub fn allocate(&mut self) -> Result<u16, PortsError> {
        for _ in 0..self.capacity() {
            let candidate = self.next;
            self.next = if candidate + 3 > self.last {
                self.first
            } else {
                candidate + 2
            };
            if self.in_use.insert(candidate) {
                return Ok(candidate);
            }
        }
        Err(PortsError::Exhausted(self.first, self.last))
    }

    /// Returns a pair to the pool.
    pub fn release(&mut self, rtp_port: u16) {
        self.in_use.remove(&rtp_port);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_even_round_robin_and_reusable() {
        let mut p = PortPool::new(10001, 10009).unwrap();
        assert_eq!(p.capacity(), 4);
        let a = p.allocate().unwrap();
        let b = p.allocate().unwrap();
        assert_eq!((a, b), (10002, 10004));
        p.release(a);
        assert_eq!(
            p.allocate().unwrap(),
            10006,
            "a freed pair is not reused at once"
        );
        assert_eq!(p.allocate().unwrap(), 10008);
        assert_eq!(
            p.allocate().unwrap(),
            10002,
            "wraps around to the freed pair"
        );
        assert_eq!(
            p.allocate().unwrap_err(),
            PortsError::Exhausted(10002, 10009)
        );
        assert_eq!(p.in_use(), 4);
    }

    #[test]
    fn ranges_are_checked() {
        assert!(PortPool::new(10000, 10000).is_err());
        assert!(PortPool::new(80, 1000).is_err());
        assert_eq!(
            PortPool::parse_range("10000-20000").unwrap(),
            (10000, 20000)
        );
        assert!(PortPool::parse_range("10000").is_err());
        assert_eq!(PortPool::new(10000, 20000).unwrap().capacity(), 5000);
    }
}
