//! `POST /v1/calls` for a script that only wants "call and say this": no application,
//! just the call's document (inline `verbs`, or a `url` whose requests are signed with
//! the secret of `url:` destinations, `GET /v1/apps`).

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::json;
use std::time::Duration;
use switchboard_tests::app_harness::register_sipp;
use switchboard_tests::peers::{SipTransport, Sipp, free_sip_port};
use switchboard_tests::webhook_app::{Reply, WebhookApp};
use switchboard_tests::{Backend, TestApp, error_of};

const LONG: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_needs_no_application_when_it_brings_its_document() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[("SWITCHBOARD_RTP_PORTS", "55100-55199".to_owned())],
    )
    .await;
    let port = free_sip_port();
    register_sipp(&app, "101", port).await;

    // Inline verbs: placed, answered, run, hung up.
    let callee = Sipp::start("uas_answer.xml", app.sip, port, SipTransport::Udp, &[]);
    let (status, placed) = app
        .post(
            "/v1/calls",
            json!({"from": "5000", "to": "101",
                   "verbs": [{"verb": "pause", "length": 1}, {"verb": "hangup"}]}),
        )
        .await;
    assert_eq!(status, 201, "{placed}");
    tokio::task::spawn_blocking(move || callee.wait(LONG))
        .await
        .unwrap()
        .assert_ok("101 answered, then got the BYE");

    // A URL: its requests and its status callbacks are signed with the url:
    // destinations' secret (the callbacks were once dropped for want of an application).
    let (_, apps) = app.get("/v1/apps").await;
    let hooks = WebhookApp::start().await;
    hooks.set_secret(apps["url_destinations_signing_secret"].as_str().unwrap());
    hooks.reply("/notify", Reply::Json(json!([{"verb": "hangup"}])));
    hooks.reply("/status", Reply::Json(json!({})));
    let callee = Sipp::start("uas_answer.xml", app.sip, port, SipTransport::Udp, &[]);
    let (status, placed) = app
        .post(
            "/v1/calls",
            json!({"from": "5000", "to": "101", "url": format!("{}/notify", hooks.url),
                   "status_callback": format!("{}/status", hooks.url)}),
        )
        .await;
    assert_eq!(status, 201, "{placed}");
    let request = hooks.wait_for("/notify", 1, LONG).await.remove(0);
    assert!(request.signature_ok, "signed with the url: secret");
    assert_eq!(request.body["call_sid"], placed["sid"], "{}", request.body);
    tokio::task::spawn_blocking(move || callee.wait(LONG))
        .await
        .unwrap()
        .assert_ok("101 answered");
    let events = hooks.wait_for("/status", 4, LONG).await;
    let names: Vec<&str> = events
        .iter()
        .map(|e| e.body["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["initiated", "ringing", "answered", "completed"],
        "{}",
        app.log()
    );
    hooks.assert_all_signed();

    // Neither an application nor a document: nothing to run.
    let (status, err) = app
        .post("/v1/calls", json!({"from": "5000", "to": "101"}))
        .await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(
        error_of(&err),
        ("validation_failed".into(), Some("application_id".into()))
    );
}
