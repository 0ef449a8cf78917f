//! What a call out of a trunk says: the caller ID by the trunk's rule (or the route's,
//! or the one the caller chose), the From user and host a provider asks for,
//! P-Asserted-Identity, Diversion on forwarded calls, Max-Forwards one less than it
//! came with; and how long a silent trunk is waited for (its own `silence_timeout`).
//! SIPp plays the caller and the providers, whose traces show the INVITEs as received.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::json;
use std::time::Duration;
use switchboard_tests::app_harness::create;
use switchboard_tests::peers::{SipTransport, Sipp, free_sip_port};
use switchboard_tests::{Backend, TestApp};

const LONG: Duration = Duration::from_secs(30);

/// Extension 101 and route `out` (9 + anything, the 9 stripped) over trunk `carrier`
/// (SIPp on the returned port, with `trunk` settings).
async fn server(ports: &str, trunk: serde_json::Value) -> (TestApp, u16) {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[("SWITCHBOARD_RTP_PORTS", ports.to_owned())],
    )
    .await;
    create(
        &app,
        "/v1/extensions",
        json!({"number": "101", "name": "Djaouad", "password": "pw-101-secret"}),
    )
    .await;
    let port = free_sip_port();
    let mut body = json!({"name": "carrier", "host": "127.0.0.1", "port": port});
    for (k, v) in trunk.as_object().unwrap() {
        body[k] = v.clone();
    }
    create(&app, "/v1/trunks", body).await;
    create(
        &app,
        "/v1/outbound-routes",
        json!({"name": "out", "trunks": ["carrier"],
               "dial_patterns": [{"prefix": "9", "match_pattern": "X."}]}),
    )
    .await;
    (app, port)
}

/// 101 dials `number`; the provider on `port` answers. Returns the INVITE the provider
/// received (its header lines).
async fn invite_received(app: &TestApp, port: u16, number: &str) -> String {
    let provider = Sipp::start("uas_answer.xml", app.sip, port, SipTransport::Udp, &[]);
    let (sip, number) = (app.sip, number.to_owned());
    tokio::task::spawn_blocking(move || {
        Sipp::call(
            sip,
            "uac_call.xml",
            ("101", "pw-101-secret"),
            &number,
            &["-d", "300"],
        )
    })
    .await
    .unwrap()
    .assert_ok("101 calls out");
    let received = tokio::task::spawn_blocking(move || provider.wait(LONG))
        .await
        .unwrap();
    received.assert_ok("the provider answers");
    let start = received
        .messages
        .find("INVITE sip:")
        .unwrap_or_else(|| panic!("no INVITE: {}", received.messages));
    let invite = &received.messages[start..];
    invite[..invite.find("\n\n").unwrap_or(invite.len())].to_owned()
}

/// The value of header `name` in `message` (None when absent).
fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    message.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_out_carry_the_trunks_caller_id_rule_from_and_identity_headers() {
    let (app, port) = server(
        "54200-54299",
        json!({"caller_id": "+3223456", "caller_id_rule": "prefix",
               "from_host": "sip.carrier.example", "asserted_identity": true}),
    )
    .await;
    // A block of DIDs: the extension's number after the trunk's prefix.
    let invite = invite_received(&app, port, "90612345678").await;
    assert!(invite.starts_with("INVITE sip:0612345678@"), "{invite}");
    let from = header(&invite, "From").unwrap();
    assert!(
        from.contains("<sip:+3223456101@sip.carrier.example>"),
        "{invite}"
    );
    assert_eq!(
        header(&invite, "P-Asserted-Identity"),
        Some("<sip:+3223456101@sip.carrier.example>"),
        "{invite}"
    );
    assert_eq!(
        header(&invite, "Diversion"),
        None,
        "not forwarded: {invite}"
    );
    assert_eq!(header(&invite, "Max-Forwards"), Some("69"), "{invite}");

    // The provider's account in From, the caller ID in P-Asserted-Identity.
    let (status, body) = app
        .patch(
            "/v1/trunks/carrier",
            json!({"caller_id": "+3223456700", "caller_id_rule": "replace",
                   "from_user": "account42", "asserted_identity": false}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let invite = invite_received(&app, port, "90612345678").await;
    let from = header(&invite, "From").unwrap();
    assert!(
        from.contains("<sip:account42@sip.carrier.example>"),
        "{invite}"
    );
    assert_eq!(
        header(&invite, "P-Asserted-Identity"),
        Some("<sip:+3223456700@sip.carrier.example>"),
        "sent whenever From carries the account: {invite}"
    );

    // The route's caller ID wins over the trunk's.
    let (status, body) = app
        .patch(
            "/v1/outbound-routes/out",
            json!({"caller_id": "+3223450000"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let invite = invite_received(&app, port, "90612345678").await;
    assert_eq!(
        header(&invite, "P-Asserted-Identity"),
        Some("<sip:+3223450000@sip.carrier.example>"),
        "{invite}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forwarded_call_leaves_with_a_diversion_header() {
    let (app, port) = server("54300-54399", json!({})).await;
    // Number 5000 forwards to an outside number.
    create(
        &app,
        "/v1/numbers",
        json!({"number": "5000", "destination": "number:90612345678"}),
    )
    .await;
    let invite = invite_received(&app, port, "5000").await;
    assert!(invite.starts_with("INVITE sip:0612345678@"), "{invite}");
    let diversion = header(&invite, "Diversion").unwrap_or_else(|| panic!("{invite}"));
    assert!(diversion.starts_with("<sip:5000@"), "{invite}");
    assert!(diversion.ends_with(";reason=unknown"), "{invite}");
    let from = header(&invite, "From").unwrap();
    assert!(from.contains("<sip:101@"), "the caller's number: {invite}");

    // Turned off on the trunk: no Diversion.
    let (status, body) = app
        .patch("/v1/trunks/carrier", json!({"diversion": false}))
        .await;
    assert_eq!(status, 200, "{body}");
    let invite = invite_received(&app, port, "5000").await;
    assert_eq!(header(&invite, "Diversion"), None, "{invite}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_trunk_is_given_up_after_its_own_silence_timeout() {
    let (app, first) = server("54400-54499", json!({"silence_timeout": 1})).await;
    let second = free_sip_port();
    create(
        &app,
        "/v1/trunks",
        json!({"name": "second", "host": "127.0.0.1", "port": second}),
    )
    .await;
    let (status, body) = app
        .patch(
            "/v1/outbound-routes/out",
            json!({"trunks": ["carrier", "second"]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // The first trunk's address swallows every packet: no 100 Trying, nothing.
    let _black_hole = std::net::UdpSocket::bind(("127.0.0.1", first)).unwrap();
    let provider = Sipp::start("uas_answer.xml", app.sip, second, SipTransport::Udp, &[]);
    let sip = app.sip;
    let caller = tokio::task::spawn_blocking(move || {
        Sipp::call(
            sip,
            "uac_call.xml",
            ("101", "pw-101-secret"),
            "90612345678",
            &["-d", "0"],
        )
    })
    .await
    .unwrap();
    caller.assert_ok("the call went out through the second trunk");
    tokio::task::spawn_blocking(move || provider.wait(LONG))
        .await
        .unwrap()
        .assert_ok("the second trunk answers");
    // From the caller's first answer (407) to its last (the BYE's 200): the second
    // trunk was tried after the first's 1 s of silence, not after the default 5 s.
    let answers = caller.received("SIP/2.0");
    let span = answers.last().unwrap() - answers.first().unwrap();
    assert!((0.9..3.5).contains(&span), "{span} s: {}", caller.messages);
    let log = app.log();
    assert!(log.contains("the trunk did not answer the INVITE"), "{log}");
}
