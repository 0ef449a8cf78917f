//! A clean stop (SIGTERM) with 50 calls up: new calls are refused with 503 while the
//! calls up may end by themselves (`SWITCHBOARD_DRAIN_SECONDS`), REGISTERs are still
//! answered, the calls still up are then hung up (BYE), every record is written, and the
//! process exits 0. Restarted on the same data, every call reads `completed`, never
//! `failed` ("server restarted during the call"), which a stop without draining left.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::json;
use std::time::{Duration, Instant};
use switchboard_tests::app_harness::{call_in_progress, register_sipp, register_sipp_again};
use switchboard_tests::peers::{SipTransport, Sipp, free_sip_port};
use switchboard_tests::{Backend, TestApp};

const LONG: Duration = Duration::from_secs(30);
const DRAIN: u64 = 4;
const CALLS: usize = 50;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_refuses_new_calls_drains_and_writes_every_record() {
    let mut app = TestApp::spawn_with(
        Backend::Sqlite,
        &[
            ("SWITCHBOARD_RTP_PORTS", "56500-56799".to_owned()),
            ("SWITCHBOARD_DRAIN_SECONDS", DRAIN.to_string()),
        ],
    )
    .await;
    let port = free_sip_port();
    register_sipp(&app, "101", port).await;
    // 101 answers every call and keeps each until it gets its BYE.
    let calls = CALLS.to_string();
    let callee = Sipp::start(
        "uas_answer.xml",
        app.sip,
        port,
        SipTransport::Udp,
        &["-m", &calls],
    );
    let mut sids = Vec::new();
    for _ in 0..CALLS {
        sids.push(
            call_in_progress(
                &app,
                json!({"from": "5000", "to": "101", "verbs": [{"verb": "pause", "length": 60}]}),
            )
            .await,
        );
    }

    let stopping = Instant::now();
    app.terminate();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // While draining: a new call is refused with 503 (before any challenge)…
    let sip = app.sip;
    tokio::task::spawn_blocking(move || {
        Sipp::start(
            "uac_provider_503.xml",
            sip,
            free_sip_port(),
            SipTransport::Udp,
            &["-s", "101", "-key", "caller", "0470000000"],
        )
        .wait(Duration::from_secs(10))
        .assert_ok("a new call refused with 503 while stopping")
    })
    .await
    .unwrap();
    // …and a phone can still register.
    register_sipp_again(&app, "101", free_sip_port()).await;

    let (code, mut app) = tokio::task::spawn_blocking(move || (app.wait_exit(LONG), app))
        .await
        .unwrap();
    let took = stopping.elapsed();
    eprintln!("SIGTERM to exit: {took:?}"); // RELIABILITY.md quotes it
    assert_eq!(code, Some(0), "a clean stop: {}", app.log());
    assert!(
        took >= Duration::from_secs(DRAIN) - Duration::from_millis(500),
        "the call was given the drain time: stopped after {took:?}"
    );
    assert!(
        app.log().contains("hanging up the calls still up"),
        "{}",
        app.log()
    );
    tokio::task::spawn_blocking(move || callee.wait(LONG))
        .await
        .unwrap()
        .assert_ok("101 got the BYE of every call");

    app.start_again().await;
    for sid in &sids {
        let (_, call) = app.get(&format!("/v1/calls/{sid}")).await;
        assert_eq!(call["status"], "completed", "{call}");
        assert!(call["end_time"].is_string(), "{call}");
        assert_eq!(call["hangup"]["reason"], "server shutting down", "{call}");
        assert!(
            call["duration"].as_u64().unwrap() >= DRAIN - 1,
            "talked through the drain: {call}"
        );
    }
    let (_, up) = app.get("/v1/calls?status=in-progress").await;
    assert_eq!(up["data"], json!([]), "none left in progress");
}

/// SIGKILL with a call up, while a second node shares the database: the second node's
/// start leaves the first node's call alone (it is running it); the first, restarted on
/// its data folder, closes its own unfinished call as failed — no record stays "in
/// progress" for ever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_then_restart_closes_only_this_nodes_unfinished_calls() {
    let mut app = TestApp::spawn_with(
        Backend::Postgres,
        &[("SWITCHBOARD_RTP_PORTS", "55500-55549".to_owned())],
    )
    .await;
    let port = free_sip_port();
    register_sipp(&app, "101", port).await;
    let callee = Sipp::start("uas_answer.xml", app.sip, port, SipTransport::Udp, &[]);
    let sid = call_in_progress(
        &app,
        json!({"from": "5000", "to": "101", "verbs": [{"verb": "pause", "length": 60}]}),
    )
    .await;

    let other = app
        .second_node(&[("SWITCHBOARD_RTP_PORTS", "55550-55599".to_owned())])
        .await;
    let (_, call) = other.get(&format!("/v1/calls/{sid}")).await;
    assert_eq!(
        call["status"], "in-progress",
        "another node's start leaves the call alone: {call}"
    );

    app.kill();
    app.start_again().await;
    let (_, call) = app.get(&format!("/v1/calls/{sid}")).await;
    assert_eq!(call["status"], "failed", "{call}");
    assert_eq!(
        call["hangup"]["reason"], "server restarted during the call",
        "{call}"
    );
    assert!(call["end_time"].is_string(), "{call}");
    assert!(
        app.log()
            .contains("closed calls left unfinished by this node's previous run"),
        "{}",
        app.log()
    );
    drop(callee);
}
