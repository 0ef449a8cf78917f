//! Toll fraud: an extension reaches only the outbound routes its `outbound` permission
//! allows, by the route's `class`. 101 (national) dialling an international route is
//! declined (603) and the provider never sees an INVITE; the emergency route is open to
//! every extension; once 101 is allowed international calls, the same number goes out.
//! The permission also covers what goes out on an extension's behalf: its follow-me's
//! outside numbers and its `number:` destinations, refused with a 422 when saved and
//! skipped when a route changed since. SIPp plays the phones and the provider.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::json;
use std::time::Duration;
use switchboard_tests::app_harness::create;
use switchboard_tests::peers::{SipTransport, Sipp, free_sip_port};
use switchboard_tests::{Backend, TestApp, error_of};

/// 101 dials `number` with `scenario` (`uac_call.xml` or `uac_603.xml`); says whether
/// the provider on `port` received an INVITE (it answers one).
async fn dial(app: &TestApp, port: u16, number: &str, scenario: &'static str) -> bool {
    let received = dial_as(app, port, ("101", "pw-101-secret"), number, scenario).await;
    received.contains("INVITE sip:")
}

/// `caller` dials `number` with `scenario`; what the provider on `port` received.
async fn dial_as(
    app: &TestApp,
    port: u16,
    caller: (&'static str, &'static str),
    number: &str,
    scenario: &'static str,
) -> String {
    let provider = Sipp::start("uas_answer.xml", app.sip, port, SipTransport::Udp, &[]);
    let (sip, number) = (app.sip, number.to_owned());
    tokio::task::spawn_blocking(move || Sipp::call(sip, scenario, caller, &number, &["-d", "300"]))
        .await
        .unwrap()
        .assert_ok(scenario);
    tokio::task::spawn_blocking(move || provider.wait(Duration::from_secs(2)))
        .await
        .unwrap()
        .messages
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_extension_reaches_only_the_route_classes_it_is_allowed() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[("SWITCHBOARD_RTP_PORTS", "56100-56199".to_owned())],
    )
    .await;
    let ext = create(
        &app,
        "/v1/extensions",
        json!({"number": "101", "name": "Djaouad", "password": "pw-101-secret",
               "outbound": "national"}),
    )
    .await;
    assert_eq!(ext["outbound"], "national", "{ext}");
    let port = free_sip_port();
    create(
        &app,
        "/v1/trunks",
        json!({"name": "carrier", "host": "127.0.0.1", "port": port}),
    )
    .await;
    let abroad = create(
        &app,
        "/v1/outbound-routes",
        json!({"name": "abroad", "trunks": ["carrier"], "class": "international",
               "dial_patterns": [{"match_pattern": "00X."}]}),
    )
    .await;
    assert_eq!(abroad["class"], "international", "{abroad}");
    create(
        &app,
        "/v1/outbound-routes",
        json!({"name": "emergency", "trunks": ["carrier"], "class": "emergency",
               "dial_patterns": [{"match_pattern": "112"}]}),
    )
    .await;
    let (_, national) = app
        .post(
            "/v1/outbound-routes",
            json!({"name": "national", "trunks": ["carrier"],
                   "dial_patterns": [{"match_pattern": "0[1-9]XXXXXXXX"}]}),
        )
        .await;
    assert_eq!(
        national["class"], "national",
        "the default class: {national}"
    );

    assert!(
        !dial(&app, port, "0033123456789", "uac_603.xml").await,
        "an international number is declined and never reaches the provider"
    );
    assert!(app.log().contains("outbound call refused"), "{}", app.log());
    assert!(
        dial(&app, port, "0612345678", "uac_call.xml").await,
        "national is allowed"
    );
    assert!(
        dial(&app, port, "112", "uac_call.xml").await,
        "emergency is always allowed"
    );

    let (status, none) = app
        .patch("/v1/extensions/101", json!({"outbound": "none"}))
        .await;
    assert_eq!((status, &none["outbound"]), (200, &json!("none")), "{none}");
    assert!(
        !dial(&app, port, "0612345678", "uac_603.xml").await,
        "internal only"
    );
    assert!(
        dial(&app, port, "112", "uac_call.xml").await,
        "emergency still"
    );

    let (status, _) = app
        .patch("/v1/extensions/101", json!({"outbound": "international"}))
        .await;
    assert_eq!(status, 200);
    assert!(
        dial(&app, port, "0033123456789", "uac_call.xml").await,
        "now allowed"
    );

    let (status, body) = app
        .patch("/v1/outbound-routes/abroad", json!({"class": "premium"}))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(error_of(&body).1.as_deref(), Some("class"), "{body}");
}

/// `PATCH path body`, which must succeed.
async fn changed(app: &TestApp, path: &str, body: serde_json::Value) {
    let (status, answer) = app.patch(path, body).await;
    assert_eq!(status, 200, "PATCH {path}: {answer}");
}

/// 101 may make national calls; 102 calls it. A carrier with an international route
/// (`00…`), a national one (`01…`–`05…`) and `mobiles` (`06…`–`09…`), national at
/// first.
async fn forwarding_pbx() -> (TestApp, u16) {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[("SWITCHBOARD_RTP_PORTS", "56200-56299".to_owned())],
    )
    .await;
    for (number, outbound) in [("101", "national"), ("102", "international")] {
        create(
            &app,
            "/v1/extensions",
            json!({"number": number, "name": format!("Phone {number}"),
                   "password": format!("pw-{number}-secret"), "outbound": outbound,
                   "ring_time": 5}),
        )
        .await;
    }
    let port = free_sip_port();
    create(
        &app,
        "/v1/trunks",
        json!({"name": "carrier", "host": "127.0.0.1", "port": port}),
    )
    .await;
    for (name, class, pattern) in [
        ("abroad", "international", "00X."),
        ("national", "national", "0[1-5]XXXXXXXX"),
        ("mobiles", "national", "0[6-9]XXXXXXXX"),
    ] {
        create(
            &app,
            "/v1/outbound-routes",
            json!({"name": name, "trunks": ["carrier"], "class": class,
                   "dial_patterns": [{"match_pattern": pattern}]}),
        )
        .await;
    }
    (app, port)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_me_and_destinations_leave_only_through_routes_the_extension_may_use() {
    let (app, port) = forwarding_pbx().await;
    let abroad = json!({"enabled": true, "initial_ring_time": 0,
                        "numbers": ["102", "0033123456789"]});
    let (status, body) = app.put("/v1/extensions/101/follow-me", abroad).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(error_of(&body).1.as_deref(), Some("numbers[1]"), "{body}");
    assert!(
        body.to_string().contains("route abroad (international)"),
        "{body}"
    );
    let (status, body) = app
        .patch(
            "/v1/extensions/101",
            json!({"no_answer_destination": "number:0033123456789"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        error_of(&body).1.as_deref(),
        Some("no_answer_destination"),
        "{body}"
    );

    let list = json!({"enabled": true, "initial_ring_time": 0,
                      "numbers": ["0212345678", "0612345678"]});
    let (status, body) = app.put("/v1/extensions/101/follow-me", list).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .patch("/v1/extensions/101", json!({"outbound": "local"}))
        .await;
    assert_eq!(status, 422, "narrowing would strand the follow-me: {body}");
    assert_eq!(error_of(&body).1.as_deref(), Some("outbound"), "{body}");

    // The administrator reclassifies mobiles as international: 101's follow-me keeps
    // the landline and skips the mobile.
    changed(
        &app,
        "/v1/outbound-routes/mobiles",
        json!({"class": "international"}),
    )
    .await;
    let received = dial_as(&app, port, ("102", "pw-102-secret"), "101", "uac_call.xml").await;
    assert!(received.contains("INVITE sip:0212345678@"), "{received}");
    assert!(!received.contains("INVITE sip:0612345678@"), "{received}");
    assert!(
        app.log().contains("follow-me number refused"),
        "{}",
        app.log()
    );

    // Follow-me off, a no-answer destination on a mobile: reclassified, it is skipped
    // and the caller gets 480 (nobody is registered on 101), no call goes out.
    changed(
        &app,
        "/v1/extensions/101/follow-me",
        json!({"enabled": false}),
    )
    .await;
    changed(
        &app,
        "/v1/outbound-routes/mobiles",
        json!({"class": "national"}),
    )
    .await;
    changed(
        &app,
        "/v1/extensions/101",
        json!({"no_answer_destination": "number:0612345678"}),
    )
    .await;
    changed(
        &app,
        "/v1/outbound-routes/mobiles",
        json!({"class": "international"}),
    )
    .await;
    let received = dial_as(&app, port, ("102", "pw-102-secret"), "101", "uac_480.xml").await;
    assert!(!received.contains("INVITE sip:"), "{received}");
    assert!(app.log().contains("destination refused"), "{}", app.log());
}
