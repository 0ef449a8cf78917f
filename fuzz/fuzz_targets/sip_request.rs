//! The SIP request path, from bytes to what the engine decides with them: rsipstack's
//! parser, then every reading of the request the dispatcher, the registrar, the
//! authentication, the proxy support and the call routing make before any I/O.
#![no_main]

use engine::registrar::{self, ExpiryPolicy};
use engine::sdp::AudioDescription;
use engine::sip::{headers, path, proxies::TrustedProxies};
use libfuzzer_sys::fuzz_target;
use rsipstack::sip::SipMessage;

fuzz_target!(|data: &[u8]| {
    let Ok(SipMessage::Request(req)) = SipMessage::try_from(data) else {
        return;
    };
    // The dispatcher: in a dialog or not.
    let _ = headers::has_to_tag(&req);
    // Who calls whom.
    let _ = headers::from_identity(&req);
    let _ = headers::to_user(&req);
    let _ = headers::request_user(&req);
    let _ = headers::value(&req, "Max-Forwards");
    // Credentials.
    for proxy in [false, true] {
        if let Some(raw) = headers::credentials(&req, proxy) {
            let _ = engine::digest::Credentials::parse(&raw);
        }
    }
    // The registrar's plan.
    let contacts = headers::contacts(&req);
    let refs: Vec<&str> = contacts.iter().map(String::as_str).collect();
    if let Ok(specs) = registrar::parse_contacts(&refs) {
        let expires = headers::value(&req, "Expires").and_then(|v| v.trim().parse().ok());
        let _ = registrar::plan(&specs, expires, ExpiryPolicy::default());
    }
    // A proxy in front: Path, and the client a trusted proxy reports.
    let entries = path::of(&req);
    let _ = path::reply_headers(&req, &entries);
    let source = std::net::IpAddr::from([192, 0, 2, 1]);
    let _ = TrustedProxies::new(vec![source]).client(&req, source);
    // The offer.
    if let Ok(body) = std::str::from_utf8(&req.body) {
        let _ = AudioDescription::parse(body);
    }
});
