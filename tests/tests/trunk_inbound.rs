//! Calls coming in through trunks: another Switchboard identified by the trunk's
//! inbound credentials (digest), a provider identified by its address, the called
//! number looked up in what the trunk may reach, strangers limited to public numbers,
//! loops refused. SIPp plays the phones and the providers; each server is a real
//! Switchboard process with its own database.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::json;
use std::time::Duration;
use switchboard_tests::app_harness::{create, ended_call, register_sipp};
use switchboard_tests::peers::{SipTransport, Sipp, free_sip_port};
use switchboard_tests::webhook_app::{Reply, WebhookApp};
use switchboard_tests::{Backend, TestApp};

const LONG: Duration = Duration::from_secs(30);
const SECRET: &str = "same-Secret-everywhere";

async fn server(ports: &str) -> TestApp {
    server_on(Backend::Sqlite, ports).await
}

async fn server_on(backend: Backend, ports: &str) -> TestApp {
    TestApp::spawn_with(backend, &[("SWITCHBOARD_RTP_PORTS", ports.to_owned())]).await
}

/// Server 1 reaches server 2 through trunk `server2` (as user `server1`, `password`)
/// with `2` + three digits; server 2 knows it as trunk `server1` (inbound credentials,
/// reaching what a phone reaches).
async fn link(s1: &TestApp, s2: &TestApp, password: &str) {
    create(
        s1,
        "/v1/trunks",
        json!({"name": "server2", "host": "127.0.0.1", "port": s2.sip.port(),
               "username": "server1", "password": password}),
    )
    .await;
    create(
        s1,
        "/v1/outbound-routes",
        json!({"name": "to2", "trunks": ["server2"],
               "dial_patterns": [{"prefix": "2", "match_pattern": "XXX"}]}),
    )
    .await;
    create(
        s2,
        "/v1/trunks",
        json!({"name": "server1", "host": "127.0.0.1", "port": s1.sip.port(),
               "inbound_username": "server1", "inbound_password": SECRET,
               "inbound_reach": "internal"}),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_on_one_server_reaches_an_extension_of_another_through_the_trunk() {
    let s1 = server("53000-53099").await;
    let s2 = server("53100-53199").await;
    link(&s1, &s2, SECRET).await;
    let callee_port = free_sip_port();
    register_sipp(&s2, "101", callee_port).await;
    let callee = Sipp::start(
        "uas_answer.xml",
        s2.sip,
        callee_port,
        SipTransport::Udp,
        &[],
    );
    create(
        &s1,
        "/v1/extensions",
        json!({"number": "201", "name": "Julien", "password": "pw-201-secret"}),
    )
    .await;
    let caller = tokio::task::spawn_blocking(move || {
        Sipp::call(
            s1.sip,
            "uac_call.xml",
            ("201", "pw-201-secret"),
            "2101",
            &["-d", "1000"],
        )
    });
    let result = caller.await.unwrap();
    result.assert_ok("201 on server 1 calls 2 + 101");
    callee.wait(LONG).assert_ok("101 on server 2 answers");

    // Server 2: an inbound call from 201 to 101 that came in on trunk server1.
    let inbound = ended_call(&s2, "101", "inbound").await;
    assert_eq!(inbound["from"], "201", "{inbound}");
    assert_eq!(inbound["trunk"], "server1", "{inbound}");
    assert_eq!(inbound["status"], "completed", "{inbound}");
    // Server 1: the dialled call went out through trunk server2.
    let (_, calls) = s1.get("/v1/calls?to=2101").await;
    let out = calls["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["direction"] == "outbound")
        .cloned()
        .unwrap_or_else(|| panic!("no dialled call on server 1: {calls}"));
    assert_eq!(out["trunk"], "server2", "{out}");
    let (_, parent) = s1.get("/v1/calls?to=2101").await;
    let parent = parent["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["direction"] == "inbound")
        .cloned()
        .unwrap();
    assert_eq!(
        parent["trunk"],
        serde_json::Value::Null,
        "a phone's call: {parent}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_with_a_wrong_password_is_shown_in_the_trunk_status_and_never_blocked() {
    let s1 = server("53200-53299").await;
    let s2 = server("53300-53399").await;
    link(&s1, &s2, "a-Wrong-password-1").await;
    let callee_port = free_sip_port();
    register_sipp(&s2, "101", callee_port).await;
    create(
        &s1,
        "/v1/extensions",
        json!({"number": "201", "name": "Julien", "password": "pw-201-secret"}),
    )
    .await;
    // More failures than the brute-force guard allows one address (10 per minute).
    for attempt in 0..11 {
        let sip = s1.sip;
        let result = tokio::task::spawn_blocking(move || {
            Sipp::call(
                sip,
                "uac_call.xml",
                ("201", "pw-201-secret"),
                "2101",
                &["-d", "500"],
            )
        })
        .await
        .unwrap();
        assert!(!result.success, "attempt {attempt} was connected");
    }
    let (status, trunk) = s2.get("/v1/trunks/server1").await;
    assert_eq!(status, 200, "{trunk}");
    let failure = &trunk["status"]["last_auth_failure"];
    assert_eq!(failure["reason"], "wrong password", "{trunk}");
    assert_eq!(failure["method"], "INVITE", "{trunk}");
    assert_eq!(failure["source"], "127.0.0.1", "{trunk}");
    assert!(
        s2.log().contains("the trunk's peer failed to authenticate"),
        "{}",
        s2.log()
    );

    // The password put right, the very next call goes through: the peer was not blocked.
    let (status, body) = s1
        .patch("/v1/trunks/server2", json!({"password": SECRET}))
        .await;
    assert_eq!(status, 200, "{body}");
    let callee = Sipp::start(
        "uas_answer.xml",
        s2.sip,
        callee_port,
        SipTransport::Udp,
        &[],
    );
    let sip = s1.sip;
    tokio::task::spawn_blocking(move || {
        Sipp::call(
            sip,
            "uac_call.xml",
            ("201", "pw-201-secret"),
            "2101",
            &["-d", "500"],
        )
    })
    .await
    .unwrap()
    .assert_ok("the call after the password was fixed");
    callee.wait(LONG).assert_ok("101 answers");
}

/// A provider calling from 127.0.0.2 (its own address) to `number`, with `scenario`.
async fn provider_calls(app: &TestApp, scenario: &str, number: &str) -> bool {
    let (sip, scenario, number) = (app.sip, scenario.to_owned(), number.to_owned());
    tokio::task::spawn_blocking(move || {
        let result = Sipp::start_at(
            "127.0.0.2",
            &scenario,
            sip,
            free_sip_port(),
            SipTransport::Udp,
            &["-s", &number, "-key", "caller", "+3222000111", "-d", "1000"],
        )
        .wait(LONG);
        if !result.success {
            eprintln!(
                "{scenario} to {number}: {}\n{}",
                result.errors, result.messages
            );
        }
        result.success
    })
    .await
    .unwrap()
}

/// On PostgreSQL: the trunks' identification and the numbers' lookup read the same
/// columns through the other backend.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_providers_dids_reach_an_application_and_an_ivr() {
    let app = server_on(Backend::Postgres, "53400-53499").await;
    let hooks = WebhookApp::start().await;
    hooks.reply(
        "/voice",
        Reply::Json(json!([{"verb": "pause", "length": 5}])),
    );
    let application = create(
        &app,
        "/v1/applications",
        json!({"name": "Sales", "voice_url": format!("{}/voice", hooks.url)}),
    )
    .await;
    hooks.set_secret(application["signing_secret"].as_str().unwrap());
    create(
        &app,
        "/v1/numbers",
        json!({"number": "23456789", "application_id": application["id"]}),
    )
    .await;
    create(
        &app,
        "/v1/ivrs",
        json!({"name": "Main", "announcement": {"say": "Welcome"}, "timeout": 5,
               "options": {"1": "hangup"}}),
    )
    .await;
    create(
        &app,
        "/v1/numbers",
        json!({"number": "23456700", "destination": "ivr:Main"}),
    )
    .await;
    create(
        &app,
        "/v1/extensions",
        json!({"number": "101", "name": "Djaouad", "password": "pw-101-secret"}),
    )
    .await;
    create(
        &app,
        "/v1/trunks",
        json!({"name": "carrier", "host": "127.0.0.2", "port": 5060,
               "inbound_auth": "address", "inbound_strip_prefix": "+32"}),
    )
    .await;

    // The DID reaches the application, which learns the trunk and the caller's identity.
    assert!(provider_calls(&app, "uac_provider.xml", "+3223456789").await);
    let request = hooks.wait_for("/voice", 1, LONG).await.remove(0);
    assert!(request.signature_ok);
    assert_eq!(request.body["trunk"], "carrier", "{}", request.body);
    assert_eq!(request.body["to"], "23456789", "{}", request.body);
    assert_eq!(request.body["from"], "+3222000111", "{}", request.body);
    let pai = request.body["sip"]["headers"]["p-asserted-identity"]
        .as_str()
        .unwrap_or_default();
    assert!(
        pai.contains("+3222000111@provider.example"),
        "{}",
        request.body
    );
    let record = ended_call(&app, "23456789", "inbound").await;
    assert_eq!(record["trunk"], "carrier", "{record}");

    // The other DID reaches the IVR.
    assert!(provider_calls(&app, "uac_provider.xml", "+3223456700").await);
    let record = ended_call(&app, "23456700", "inbound").await;
    assert_eq!(record["trunk"], "carrier", "{record}");
    assert!(
        record["answer_time"].is_string(),
        "the IVR answered: {record}"
    );

    // A number that is no DID, and an extension (the trunk reaches numbers only): 404.
    assert!(provider_calls(&app, "uac_provider_404.xml", "+3299999999").await);
    assert!(provider_calls(&app, "uac_provider_404.xml", "101").await);
    let log = app.log();
    assert!(
        log.contains("a call from the trunk matches no number it may reach")
            && log.contains("99999999"),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unidentified_callers_reach_public_numbers_only() {
    let app = server("53500-53599").await;
    let provider_port = free_sip_port();
    let provider = Sipp::start(
        "uas_answer.xml",
        app.sip,
        provider_port,
        SipTransport::Udp,
        &[],
    );
    create(
        &app,
        "/v1/trunks",
        json!({"name": "carrier", "host": "127.0.0.1", "port": provider_port}),
    )
    .await;
    create(
        &app,
        "/v1/outbound-routes",
        json!({"name": "out", "trunks": ["carrier"],
               "dial_patterns": [{"prefix": "9", "match_pattern": "X."}]}),
    )
    .await;
    let hooks = WebhookApp::start().await;
    hooks.reply(
        "/voice",
        Reply::Json(json!([{"verb": "pause", "length": 5}])),
    );
    let application = create(
        &app,
        "/v1/applications",
        json!({"name": "Info line", "voice_url": format!("{}/voice", hooks.url)}),
    )
    .await;
    hooks.set_secret(application["signing_secret"].as_str().unwrap());
    create(
        &app,
        "/v1/numbers",
        json!({"number": "5000", "application_id": application["id"]}),
    )
    .await;

    // An outside number, and a number that is not public: challenged, never placed.
    assert!(provider_calls(&app, "uac_provider_407.xml", "900123456").await);
    assert!(provider_calls(&app, "uac_provider_407.xml", "5000").await);
    assert!(hooks.received_on("/voice").is_empty());
    let log = app.log();
    assert!(
        log.contains("a call from an unidentified source challenged") && log.contains("900123456"),
        "{log}"
    );
    let result = provider.wait(Duration::from_secs(1));
    assert!(
        !result.messages.contains("INVITE sip:"),
        "the provider was never called: {}",
        result.messages
    );

    // Made public, the number takes the stranger's call.
    let (status, body) = app.patch("/v1/numbers/5000", json!({"public": true})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["public"], true);
    assert!(provider_calls(&app, "uac_provider.xml", "5000").await);
    let request = hooks.wait_for("/voice", 1, LONG).await.remove(0);
    assert_eq!(request.body["trunk"], serde_json::Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loops_are_refused() {
    let s1 = server("53600-53699").await;
    let s2 = server("53700-53799").await;
    // Server 1 sends 2 + anything to server 2; server 2 sends 1 + three digits back
    // to server 1 through the very trunk such calls come in on.
    create(
        &s1,
        "/v1/trunks",
        json!({"name": "server2", "host": "127.0.0.1", "port": s2.sip.port(),
               "username": "server1", "password": SECRET}),
    )
    .await;
    create(
        &s1,
        "/v1/outbound-routes",
        json!({"name": "to2", "trunks": ["server2"],
               "dial_patterns": [{"prefix": "2", "match_pattern": "X."}]}),
    )
    .await;
    create(
        &s2,
        "/v1/trunks",
        json!({"name": "server1", "host": "127.0.0.1", "port": s1.sip.port(),
               "inbound_username": "server1", "inbound_password": SECRET,
               "inbound_reach": "internal"}),
    )
    .await;
    create(
        &s2,
        "/v1/outbound-routes",
        json!({"name": "to1", "trunks": ["server1"],
               "dial_patterns": [{"match_pattern": "1XXX"}]}),
    )
    .await;
    create(
        &s1,
        "/v1/extensions",
        json!({"number": "201", "name": "Julien", "password": "pw-201-secret"}),
    )
    .await;
    let sip = s1.sip;
    let result = tokio::task::spawn_blocking(move || {
        Sipp::call(
            sip,
            "uac_call.xml",
            ("201", "pw-201-secret"),
            "21201",
            &["-d", "500"],
        )
    })
    .await
    .unwrap();
    assert!(!result.success, "a looping call was connected");
    let record = ended_call(&s2, "1201", "inbound").await;
    assert_eq!(record["trunk"], "server1", "{record}");
    assert!(
        s2.log()
            .contains("not sent back out through the trunk it came in on"),
        "{}",
        s2.log()
    );
    let (_, back) = s1.get("/v1/calls?to=201").await;
    assert!(
        back["data"].as_array().unwrap().is_empty(),
        "nothing came back to server 1: {back}"
    );

    // Max-Forwards 0: a loop through proxies we cannot see.
    assert!(provider_calls(&s2, "uac_provider_483.xml", "101").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trunk_at_its_max_channels_refuses_the_next_call_in() {
    let app = server("55000-55099").await;
    let hooks = WebhookApp::start().await;
    hooks.reply(
        "/voice",
        Reply::Json(json!([{"verb": "pause", "length": 10}])),
    );
    let application = create(
        &app,
        "/v1/applications",
        json!({"name": "Sales", "voice_url": format!("{}/voice", hooks.url)}),
    )
    .await;
    hooks.set_secret(application["signing_secret"].as_str().unwrap());
    create(
        &app,
        "/v1/numbers",
        json!({"number": "23456789", "application_id": application["id"]}),
    )
    .await;
    create(
        &app,
        "/v1/trunks",
        json!({"name": "carrier", "host": "127.0.0.2", "inbound_auth": "address",
               "max_channels": 1}),
    )
    .await;
    let sip = app.sip;
    let first = Sipp::start_at(
        "127.0.0.2",
        "uac_provider.xml",
        sip,
        free_sip_port(),
        SipTransport::Udp,
        &[
            "-s",
            "23456789",
            "-key",
            "caller",
            "+3222000111",
            "-d",
            "4000",
        ],
    );
    hooks.wait_for("/voice", 1, LONG).await;
    let (_, trunk) = app.get("/v1/trunks/carrier").await;
    assert_eq!(trunk["status"]["channels_in_use"], 1, "{trunk}");
    assert!(provider_calls(&app, "uac_provider_503.xml", "23456789").await);
    tokio::task::spawn_blocking(move || first.wait(LONG))
        .await
        .unwrap()
        .assert_ok("the first call held its channel and ended normally");
    let log = app.log();
    assert!(
        log.contains("a call from the trunk refused: it carries its maximum of calls"),
        "{log}"
    );
    // The channel is free again once the call ended.
    for _ in 0..50 {
        let (_, trunk) = app.get("/v1/trunks/carrier").await;
        if trunk["status"]["channels_in_use"] == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the channel was never released");
}
