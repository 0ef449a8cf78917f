//! PostgreSQL goes away while a call is up and stays away as the call ends: the call
//! goes on and ends normally (the phone gets its BYE), and its final record and its
//! status callback — refused by the database at that moment — are kept and written once
//! the database is back: nothing lost. Meanwhile metrics still answer (the API key is
//! known from before the outage).

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::json;
use std::time::{Duration, Instant};
use switchboard_tests::app_harness::{call_in_progress, register_sipp};
use switchboard_tests::peers::{SipTransport, Sipp, free_sip_port};
use switchboard_tests::webhook_app::{Reply, WebhookApp};
use switchboard_tests::{Backend, TestApp, set_database_reachable};

const LONG: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_ending_while_the_database_is_down_loses_neither_record_nor_callback() {
    let app = TestApp::spawn_with(
        Backend::Postgres,
        &[("SWITCHBOARD_RTP_PORTS", "56000-56099".to_owned())],
    )
    .await;
    let db_name = app.db.url.rsplit('/').next().unwrap().to_owned();
    let hooks = WebhookApp::start().await;
    hooks.reply("/status", Reply::Json(json!({})));
    let (status, application) = app
        .post(
            "/v1/applications",
            json!({"name": "Outage", "voice_url": format!("{}/voice", hooks.url),
                   "status_callback": format!("{}/status", hooks.url)}),
        )
        .await;
    assert_eq!(status, 201, "{application}");
    hooks.set_secret(application["signing_secret"].as_str().unwrap());
    let port = free_sip_port();
    register_sipp(&app, "101", port).await;
    let callee = Sipp::start("uas_answer.xml", app.sip, port, SipTransport::Udp, &[]);
    let sid = call_in_progress(
        &app,
        json!({"from": "5000", "to": "101", "application_id": application["id"],
               "verbs": [{"verb": "pause", "length": 4}]}),
    )
    .await;

    // The database goes away; the call ends (its pause is over) while it is away.
    set_database_reachable(&db_name, false).await;
    let callee = tokio::task::spawn_blocking(move || callee.wait(LONG))
        .await
        .unwrap();
    callee.assert_ok("the call went on and ended with a BYE while the database was down");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        app.get(&format!("/v1/calls/{sid}")).await.0,
        503,
        "still away"
    );
    // The admin key was checked before the outage, more than the cache's 5 s ago: it is
    // still known, so metrics answer and the rest says 503, not 401.
    let (status, metrics) = app
        .send_raw(app.req(reqwest::Method::GET, "/metrics"))
        .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&metrics));
    assert!(String::from_utf8_lossy(&metrics).contains("switchboard_calls_active"));
    assert!(
        app.log().contains("cannot write a call record: kept"),
        "the refused write was kept: {}",
        app.log()
    );

    set_database_reachable(&db_name, true).await;
    let deadline = Instant::now() + LONG;
    let call = loop {
        let (status, call) = app.get(&format!("/v1/calls/{sid}")).await;
        if status == 200 && call["status"] == "completed" {
            break call;
        }
        assert!(Instant::now() < deadline, "{status} {call}\n{}", app.log());
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(call["end_time"].is_string(), "{call}");
    let events = hooks.wait_for("/status", 1, LONG).await;
    assert!(
        events
            .iter()
            .any(|e| e.body["event"] == "completed" && e.body["call_sid"] == sid.as_str()),
        "the completed event reached the application: {events:?}"
    );
    assert!(
        app.log().contains("the database answers again"),
        "{}",
        app.log()
    );
}
