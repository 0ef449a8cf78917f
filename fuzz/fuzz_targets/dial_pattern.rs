//! Dial patterns of outbound routes (`_9NXXXXXX.`) and destinations (`ivr:Main`,
//! `extension:101`): parsed, then a number matched. Input: pattern, line break, number.
#![no_main]

use contract::types::{Destination, DialPattern};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (pattern, number) = text.split_once('\n').unwrap_or((text, ""));
    if let Ok(p) = DialPattern::parse(pattern) {
        let _ = p.matches(number);
    }
    let _ = Destination::parse(pattern);
});
