//! sdk-overhead: what the Rust SDK adds to a webhook round trip, per request — verify
//! the `Switchboard-Signature` of a typical request body, decode it into the contract's
//! `WebhookRequest`, build the answer (a gather with a spoken prompt, then a say) and
//! serialise it; measured over ITERATIONS requests.
//!
//! usage: sdk-overhead [ITERATIONS]   prints one JSON object (microseconds per request)

#![allow(clippy::print_stdout)] // A command-line tool: its result goes to stdout.

use std::time::Instant;
use switchboard_sdk::verbs::{Document, Gather};

/// A webhook request as a real call sends it (with a `digits` field).
const BODY: &str = r#"{"call_sid":"CA0f1e2d3c4b5a69788796a5b4c3d2e1f0","direction":"inbound","from":"58101","to":"5000","caller_name":"Djaouad","call_status":"in-progress","parent_call_sid":null,"trunk":null,"sip":{"call_id":"a84b4c76e66710@192.168.212.20","headers":{"user-agent":"baresip"}},"digits":"1"}"#;

fn main() {
    let iterations: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let secret = "whsec_0123456789abcdef0123456789abcdef";
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let header = contract::signature::sign(secret.as_bytes(), now, BODY.as_bytes());
    let mut sink = 0usize;
    let start = Instant::now();
    let (mut verify_ns, mut decode_ns, mut build_ns) = (0u128, 0u128, 0u128);
    for _ in 0..iterations {
        let t0 = Instant::now();
        switchboard_sdk::webhook::verify(secret, &header, BODY.as_bytes(), 300)
            .unwrap_or_else(|e| panic!("{e}"));
        let t1 = Instant::now();
        let request: contract::webhook::WebhookRequest =
            serde_json::from_str(BODY).unwrap_or_else(|e| panic!("{e}"));
        let t2 = Instant::now();
        let answer = Document::new()
            .gather(Gather::digits(1).action("/menu").say("Press 1 for sales"))
            .say(&format!(
                "You pressed {}",
                request.digits.unwrap_or_default()
            ))
            .to_json()
            .to_string();
        let t3 = Instant::now();
        sink += answer.len();
        verify_ns += (t1 - t0).as_nanos();
        decode_ns += (t2 - t1).as_nanos();
        build_ns += (t3 - t2).as_nanos();
    }
    let total = start.elapsed().as_nanos();
    let per = |ns: u128| ns as f64 / 1000.0 / f64::from(iterations);
    println!(
        "{}",
        serde_json::json!({
            "iterations": iterations,
            "us_per_request": per(total),
            "verify_us": per(verify_ns),
            "decode_us": per(decode_ns),
            "build_and_serialise_us": per(build_ns),
            "bytes": sink / iterations as usize,
        })
    );
}
