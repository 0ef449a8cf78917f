//! Calls out through trunks, with SIPp as the providers: an extension dials a number
//! that matches an outbound route (the built-in document `[dial the number]`); a trunk
//! in trouble (503) makes the call fail over to the route's next trunk, which
//! challenges with digest and checks the trunk's credentials. The Calls API reaches
//! numbers and SIP URIs too, and lists calls by time.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::json;
use std::time::Duration;
use switchboard_tests::app_harness::ended_call;
use switchboard_tests::peers::{SipTransport, Sipp, SippResult, free_sip_port};
use switchboard_tests::{Backend, TestApp};

const LONG: Duration = Duration::from_secs(30);

/// Extension 101 and route `out` (9 + 00…, the 9 stripped) over trunks `first` (SIPp on
/// the first port) then `second` (the second port, with credentials `password`).
async fn server(ports: &str, password: &str) -> (TestApp, u16, u16) {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[("SWITCHBOARD_RTP_PORTS", ports.to_owned())],
    )
    .await;
    let (status, body) = app
        .post(
            "/v1/extensions",
            json!({"number": "101", "name": "Djaouad", "password": "pw-101-secret"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (first, second) = (free_sip_port(), free_sip_port());
    for trunk in [
        json!({"name": "first", "host": "127.0.0.1", "port": first, "transport": "udp"}),
        json!({"name": "second", "host": "127.0.0.1", "port": second, "transport": "udp",
               "username": "trunkuser", "password": password}),
    ] {
        let (status, body) = app.post("/v1/trunks", trunk).await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, body) = app
        .post(
            "/v1/outbound-routes",
            json!({"name": "out", "trunks": ["first", "second"],
                   "dial_patterns": [{"prefix": "9", "match_pattern": "00."}]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    (app, first, second)
}

/// SIPp calls `number` as extension 101 with `scenario`, talking 1.5 s once answered.
fn call(app: &TestApp, scenario: &str, number: &str) -> SippResult {
    Sipp::call(
        app.sip,
        scenario,
        ("101", "pw-101-secret"),
        number,
        &["-d", "1500"],
    )
}

/// A provider on `port` running `scenario`; `uas_challenge_answer.xml` expects user
/// `trunkuser` with `password`.
fn provider(scenario: &str, app: &TestApp, port: u16, password: &str) -> Sipp {
    let credentials = ["-set", "user", "trunkuser", "-set", "password", password];
    let args: &[&str] = if scenario == "uas_challenge_answer.xml" {
        &credentials
    } else {
        &[]
    };
    Sipp::start(scenario, app.sip, port, SipTransport::Udp, args)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_trunk_fails_over_to_the_next_which_challenges() {
    let (app, first, second) = server("46000-46199", "trunk-secret-9").await;
    let troubled = provider("uas_unavailable.xml", &app, first, "unused");
    let challenging = provider("uas_challenge_answer.xml", &app, second, "trunk-secret-9");
    call(&app, "uac_call.xml", "90032123456").assert_ok("the call went through");
    let troubled = tokio::task::spawn_blocking(move || troubled.wait(LONG))
        .await
        .unwrap();
    troubled.assert_ok("the first trunk refused with 503");
    assert!(
        troubled
            .messages
            .contains("INVITE sip:0032123456@127.0.0.1"),
        "the route stripped the 9: {}",
        troubled.messages
    );
    let challenging = tokio::task::spawn_blocking(move || challenging.wait(LONG))
        .await
        .unwrap();
    challenging.assert_ok("the second trunk's digest challenge was answered, then the BYE");
    assert!(
        challenging.messages.contains("username=\"trunkuser\""),
        "{}",
        challenging.messages
    );

    let inbound = ended_call(&app, "90032123456", "inbound").await;
    assert_eq!(inbound["status"], "completed", "{inbound}");
    assert_eq!(inbound["from"], "101", "{inbound}");
    let leg = ended_call(&app, "90032123456", "outbound").await;
    assert_eq!(leg["parent_call_sid"], inbound["sid"], "{leg}");
    assert_eq!(leg["status"], "completed", "{leg}");
    assert!(
        app.log().contains("trying the next trunk of the route"),
        "the failover is logged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_trunk_credentials_fail_the_call_clearly() {
    let (app, first, second) = server("46200-46399", "not-what-the-provider-wants").await;
    let troubled = provider("uas_unavailable.xml", &app, first, "unused");
    // The provider expects another password: it answers 403 (and its scenario fails).
    let challenging = provider("uas_challenge_answer.xml", &app, second, "trunk-secret-9");
    call(&app, "uac_480.xml", "90032123456").assert_ok("the caller was told no");
    let _ = tokio::task::spawn_blocking(move || (troubled.wait(LONG), challenging.wait(LONG)))
        .await
        .unwrap();
    let inbound = ended_call(&app, "90032123456", "inbound").await;
    assert_eq!(inbound["status"], "failed", "{inbound}");
    assert_eq!(inbound["hangup"]["sip_code"], 480, "{inbound}");
    assert!(inbound["answer_time"].is_null(), "{inbound}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_api_reaches_numbers_and_sip_uris() {
    let (app, first, _) = server("46400-46599", "trunk-secret-9").await;
    let (status, created) = app
        .post(
            "/v1/applications",
            json!({"name": "Dialler", "voice_url": "http://127.0.0.1:9/voice"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let app_id = created["id"].as_str().unwrap().to_owned();
    let verbs = json!([{"verb": "pause", "length": 1}, {"verb": "hangup"}]);

    // A number: through route `out` and trunk `first`.
    let trunk = provider("uas_answer.xml", &app, first, "unused");
    let (status, placed) = app
        .post(
            "/v1/calls",
            json!({"from": "5000", "to": "90032123456", "application_id": app_id, "verbs": verbs}),
        )
        .await;
    assert_eq!(status, 201, "{placed}");
    let trunk = tokio::task::spawn_blocking(move || trunk.wait(LONG))
        .await
        .unwrap();
    trunk.assert_ok("the trunk answered, then got the BYE");
    assert!(
        trunk.messages.contains("INVITE sip:0032123456@127.0.0.1"),
        "{}",
        trunk.messages
    );
    let to_number = ended_call(&app, "90032123456", "outbound").await;
    assert_eq!(to_number["status"], "completed", "{to_number}");
    assert_eq!(
        to_number["trunk"], "first",
        "the record names the trunk: {to_number}"
    );

    // A SIP URI, rung directly.
    let port = free_sip_port();
    let uri = format!("sip:alice@127.0.0.1:{port}");
    let alice = provider("uas_answer.xml", &app, port, "unused");
    let (status, placed) = app
        .post(
            "/v1/calls",
            json!({"from": "5000", "to": uri, "application_id": app_id, "verbs": verbs}),
        )
        .await;
    assert_eq!(status, 201, "{placed}");
    let alice = tokio::task::spawn_blocking(move || alice.wait(LONG))
        .await
        .unwrap();
    alice.assert_ok("alice answered, then got the BYE");
    let to_uri = ended_call(&app, &uri, "outbound").await;
    assert_eq!(to_uri["status"], "completed", "{to_uri}");
    assert_eq!(to_uri["trunk"], serde_json::Value::Null, "{to_uri}");

    // Nowhere to go: a precise 422.
    for (to, field) in [("12", "to"), ("sip:", "to"), ("call me", "to")] {
        let (status, body) = app
            .post(
                "/v1/calls",
                json!({"from": "5000", "to": to, "application_id": app_id, "verbs": verbs}),
            )
            .await;
        assert_eq!(status, 422, "{to}: {body}");
        assert_eq!(body["error"]["field"], field, "{body}");
    }

    // Listing by start time: from the first call's start includes both, before it none.
    let since = to_number["start_time"].as_str().unwrap();
    let (status, listed) = app
        .get(&format!("/v1/calls?started_from={since}&status=completed"))
        .await;
    assert_eq!(status, 200, "{listed}");
    let sids: Vec<&str> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["sid"].as_str())
        .collect();
    assert!(
        sids.contains(&to_number["sid"].as_str().unwrap())
            && sids.contains(&to_uri["sid"].as_str().unwrap()),
        "{listed}"
    );
    let (_, listed) = app.get(&format!("/v1/calls?started_before={since}")).await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 0, "{listed}");
    let (status, body) = app.get("/v1/calls?started_from=yesterday").await;
    // A bad query parameter is a bad request, as documented (not 422, for bodies).
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["field"], "started_from", "{body}");
}

/// A trunk that says nothing at all (a host that is down) is given up after a few
/// seconds and the route's next trunk carries the call, well within the ring time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_trunk_is_given_up_for_the_next() {
    let (app, first, second) = server("47400-47599", "trunk-secret-9").await;
    // The first trunk's address swallows every packet: no 100 Trying, nothing.
    let _black_hole = std::net::UdpSocket::bind(("127.0.0.1", first)).unwrap();
    let challenging = provider("uas_challenge_answer.xml", &app, second, "trunk-secret-9");
    call(&app, "uac_call.xml", "90032123456").assert_ok("the call went through");
    let challenging = tokio::task::spawn_blocking(move || challenging.wait(LONG))
        .await
        .unwrap();
    challenging.assert_ok("the second trunk answered, then got the BYE");
    let inbound = ended_call(&app, "90032123456", "inbound").await;
    assert_eq!(inbound["status"], "completed", "{inbound}");
    let log = app.log();
    assert!(
        log.contains("the trunk did not answer the INVITE")
            && log.contains("trying the next trunk of the route"),
        "{log}"
    );
}

/// `max_channels`: trunk `first` carries one call at a time. While a first call is up
/// through it, a second call to the route skips it (no INVITE reaches its provider) and
/// goes out through `second`; once the first call ends, `first` carries calls again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trunk_at_its_max_channels_is_skipped_for_the_next() {
    let (app, first, second) = server("52600-52799", "trunk-secret-7").await;
    let (status, body) = app
        .patch("/v1/trunks/first", json!({"max_channels": 1}))
        .await;
    assert_eq!(status, 200, "{body}");
    // `first` answers up to two calls (it gets only one at a time), `second` one.
    let one = Sipp::start(
        "uas_answer.xml",
        app.sip,
        first,
        SipTransport::Udp,
        &["-m", "2"],
    );
    let other = provider("uas_challenge_answer.xml", &app, second, "trunk-secret-7");
    let server = app.sip;
    let long = tokio::task::spawn_blocking(move || {
        Sipp::call(
            server,
            "uac_call.xml",
            ("101", "pw-101-secret"),
            "90032111111",
            &["-d", "4000"],
        )
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    call(&app, "uac_call.xml", "90032222222").assert_ok("the second call went out");
    long.await
        .unwrap()
        .assert_ok("the first call, through `first`");
    let other = tokio::task::spawn_blocking(move || other.wait(LONG))
        .await
        .unwrap();
    other.assert_ok("the second call came out of `second`");
    assert!(
        other.messages.contains("INVITE sip:0032222222@"),
        "{}",
        other.messages
    );
    assert!(
        app.log().contains("the trunk carries its maximum of calls"),
        "the skip is logged"
    );
    // The channel is free again: a third call goes out through `first`.
    call(&app, "uac_call.xml", "90032333333").assert_ok("a third call");
    let one = tokio::task::spawn_blocking(move || one.wait(LONG))
        .await
        .unwrap();
    one.assert_ok("`first` carried the first and the third call");
    let invites = one.received("INVITE");
    assert_eq!(invites.len(), 2, "{}", one.messages);
    assert!(!one.messages.contains("0032222222"), "never the second");
}
