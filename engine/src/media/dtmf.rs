//! Keys from RFC 4733 telephone-event packets (pure).
//!
//! A key press is sent as several packets sharing one RTP timestamp (the event's start),
//! the last ones flagged "end" and usually sent three times. A key is reported once, on
//! the first packet of its event, so a prompt stops as soon as the caller presses.

/// The key of an RFC 4733 event code, if it is one (0-9, *, #, A-D).
pub fn key_of(event: u8) -> Option<char> {
    match event {
        0..=9 => Some(char::from(b'0' + event)),
        10 => Some('*'),
        11 => Some('#'),
        12..=15 => Some(char::from(b'A' + event - 12)),
        _ => None,
    }
}

/// The telephone-event code of a key.
pub fn event_of(key: char) -> Option<u8> {
    match key {
        '0'..='9' => Some(key as u8 - b'0'),
        '*' => Some(10),
        '#' => Some(11),
        'A'..='D' => Some(key as u8 - b'A' + 12),
        _ => None,
    }
}

/// Turns a stream of telephone-event packets into key presses.
#[derive(Debug, Default)]
pub struct EventReceiver {
    /// RTP timestamp of the last event reported.
    last: Option<u32>,
}

impl EventReceiver {
    /// One telephone-event payload with its packet's RTP timestamp: the key, when this
    /// packet starts a new event.
    pub fn receive(&mut self, timestamp: u32, payload: &[u8]) -> Option<char> {
        let event = *payload.first()?;
        if payload.len() < 4 || self.last == Some(timestamp) {
            return None;
        }
        let key = key_of(event)?;
        self.last = Some(timestamp);
        Some(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(event: u8, end: bool, duration: u16) -> [u8; 4] {
        let d = duration.to_be_bytes();
        [event, if end { 0x80 | 10 } else { 10 }, d[0], d[1]]
    }

    #[test]
    fn one_key_per_event_despite_repeats() {
        let mut r = EventReceiver::default();
        assert_eq!(r.receive(1000, &payload(5, false, 160)), Some('5'));
        assert_eq!(r.receive(1000, &payload(5, false, 320)), None);
        for _ in 0..3 {
            assert_eq!(r.receive(1000, &payload(5, true, 800)), None);
        }
        // The same key again is a new event (new timestamp).
        assert_eq!(r.receive(3000, &payload(5, false, 160)), Some('5'));
        assert_eq!(r.receive(5000, &payload(11, true, 800)), Some('#'));
    }

    #[test]
    fn junk_is_ignored() {
        let mut r = EventReceiver::default();
        assert_eq!(r.receive(1, &[]), None);
        assert_eq!(r.receive(1, &[1, 2]), None);
        assert_eq!(r.receive(1, &payload(40, false, 1)), None);
    }

    #[test]
    fn keys_and_codes_round_trip() {
        for key in "0123456789*#ABCD".chars() {
            assert_eq!(key_of(event_of(key).unwrap()), Some(key));
        }
        assert_eq!(event_of('x'), None);
    }
}
