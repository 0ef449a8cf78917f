//! Toll fraud: an extension reaches only the outbound routes its `outbound` permission
//! allows, by the route's `class`. 101 (national) dialling an international route is
//! declined (603) and the provider never sees an INVITE; the emergency route is open to
//! every extension; once 101 is allowed international calls, the same number goes out.
//! SIPp plays the phone and the provider.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::json;
use std::time::Duration;
use switchboard_tests::app_harness::create;
use switchboard_tests::peers::{SipTransport, Sipp, free_sip_port};
use switchboard_tests::{Backend, TestApp, error_of};

/// 101 dials `number` with `scenario` (`uac_call.xml` or `uac_603.xml`); says whether
/// the provider on `port` received an INVITE (it answers one).
async fn dial(app: &TestApp, port: u16, number: &str, scenario: &'static str) -> bool {
    let provider = Sipp::start("uas_answer.xml", app.sip, port, SipTransport::Udp, &[]);
    let (sip, number) = (app.sip, number.to_owned());
    tokio::task::spawn_blocking(move || {
        Sipp::call(
            sip,
            scenario,
            ("101", "pw-101-secret"),
            &number,
            &["-d", "300"],
        )
    })
    .await
    .unwrap()
    .assert_ok(scenario);
    let received = tokio::task::spawn_blocking(move || provider.wait(Duration::from_secs(2)))
        .await
        .unwrap();
    received.messages.contains("INVITE sip:")
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
