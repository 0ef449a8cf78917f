//! SDP offers and answers from SIP peers: parsed, a codec chosen, an offer's codecs
//! listed for the other leg.
#![no_main]

use engine::sdp::{AudioDescription, offer_codecs};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(audio) = AudioDescription::parse(text) {
        let _ = audio.choose(None);
        let _ = offer_codecs(&audio);
    }
});
