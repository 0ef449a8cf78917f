//! Digest credentials (`Authorization` / `Proxy-Authorization`, RFC 7616): parsed, then
//! checked against a known password by the same authority that challenges phones.
#![no_main]

use engine::digest::{Credentials, DigestAuthority, ha1};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(credentials) = Credentials::parse(text) {
        let authority = DigestAuthority::new("switchboard", b"fuzz-secret", 300);
        let known = ha1(&credentials.username, "switchboard", "pw");
        let _ = authority.verify(&credentials, "REGISTER", Some(&known), 1_764_000_000);
    }
});
