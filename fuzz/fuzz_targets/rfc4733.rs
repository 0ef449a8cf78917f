//! RFC 4733 telephone-event payloads from a peer: a stream of (RTP timestamp, payload)
//! records turned into key presses. Input: records of 4 timestamp bytes, 1 length byte,
//! then that many payload bytes.
#![no_main]

use engine::media::dtmf::{EventReceiver, event_of, key_of};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut receiver = EventReceiver::default();
    let mut rest = data;
    while rest.len() >= 5 {
        let timestamp = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
        let len = usize::from(rest[4]).min(rest.len() - 5);
        let payload = &rest[5..5 + len];
        if let Some(key) = receiver.receive(timestamp, payload) {
            assert_eq!(
                key_of(event_of(key).expect("a key has an event")),
                Some(key)
            );
        }
        rest = &rest[5 + len..];
    }
});
