//! A webhook application's answer: any bytes through the verb document parser (JSON,
//! then every verb's validation). It must answer Ok or an error naming the field, never
//! panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(verbs) = contract::verbs::parse_document(data) {
        // What was accepted serializes back (the engine logs and forwards it).
        for verb in &verbs {
            let _ = format!("{verb:?}");
        }
    }
});
