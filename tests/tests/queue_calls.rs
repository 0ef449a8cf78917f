//! A call-centre queue with real phones: two baresip agents (answering by themselves,
//! each sending its own tone) serve callers (SIPp, and baresip for what a caller
//! hears). `leastrecent` and `rrmemory` distribute as asserted, an agent in wrap-up is
//! not rung, a waiting caller hears the music and its position then its agent, the
//! max wait sends a caller to its failover destination, a caller who hangs up while
//! waiting is counted as abandoned, and `/stats`, `/agents` and the webhook events say
//! so.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::json;
use std::time::{Duration, Instant};
use switchboard_tests::app_harness::*;
use switchboard_tests::peers::{Baresip, SipTransport, Sipp, SippResult, free_sip_port};
use switchboard_tests::webhook_app::{Reply, WebhookApp};

const LONG: Duration = Duration::from_secs(60);

/// A SIPp caller: extension 101 calls 5000 (the queue) and waits for the server's BYE.
fn sipp_caller(s: &Setup) -> Sipp {
    Sipp::start(
        "uac_wait_bye.xml",
        s.app.sip,
        free_sip_port(),
        SipTransport::Udp,
        &[
            "-s",
            "5000",
            "-au",
            "101",
            "-ap",
            "secret-101",
            "-key",
            "caller",
            "101",
        ],
    )
}

async fn finished(caller: Sipp, what: &'static str) -> SippResult {
    let r = tokio::task::spawn_blocking(move || caller.wait(LONG))
        .await
        .unwrap();
    r.assert_ok(what);
    r
}

/// The queue events of `kind` so far, oldest first (each once: a delivery retried
/// after a slow answer would count twice).
fn events(hooks: &WebhookApp, kind: &str) -> Vec<serde_json::Value> {
    let mut got: Vec<serde_json::Value> = Vec::new();
    for body in hooks.received_on("/status").into_iter().map(|r| r.body) {
        if body["event"] == kind && !got.contains(&body) {
            got.push(body);
        }
    }
    got.sort_by(|a, b| a["timestamp"].as_str().cmp(&b["timestamp"].as_str()));
    got
}

/// Waits for the `n`th `queue.answered` event; returns the agents, in order.
async fn answered(s: &Setup, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let got = events(&s.hooks, "queue.answered");
        if got.len() >= n {
            return got
                .iter()
                .map(|e| e["agent"].as_str().unwrap().to_owned())
                .collect();
        }
        assert!(
            Instant::now() < deadline,
            "answered {} of {n}: {got:?}\nserver: {}",
            got.len(),
            s.app.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_events(s: &Setup, kind: &str, n: usize) -> Vec<serde_json::Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let got = events(&s.hooks, kind);
        if got.len() >= n {
            return got;
        }
        assert!(Instant::now() < deadline, "{kind}: {got:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn hang_up(agent: &Baresip) -> Instant {
    agent.hangup();
    Instant::now()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_agents_serve_callers_by_strategy_with_wrap_up_music_position_and_failover() {
    let s = setup("51000-51199", false).await;
    let dir = tempfile::tempdir().unwrap();
    let a201 = phone(&s.app, dir.path(), "201", 1000.0).await;
    let a202 = phone(&s.app, dir.path(), "202", 1336.0).await;
    upload_tone(&s.app, "moh", 500.0, 2.0).await;
    create(
        &s.app,
        "/v1/queues",
        json!({
            "name": "support", "strategy": "leastrecent", "music": "moh",
            "members": [{"member": "201"}, {"member": "202"}],
            "wrap_up_time": 4, "agent_ring_time": 10, "announce_position_every": 5
        }),
    )
    .await;
    s.hooks.reply(
        "/voice",
        Reply::Json(json!([{"verb": "redirect", "destination": "queue:support"}])),
    );
    s.hooks.reply("/status", Reply::Json(json!({})));

    // Both agents free and never called: the first member, then the other.
    let c1 = sipp_caller(&s);
    assert_eq!(answered(&s, 1).await, ["201"]);
    let c2 = sipp_caller(&s);
    assert_eq!(answered(&s, 2).await, ["201", "202"]);
    // 202's call ends first: once both are free, 202 is the least recent.
    hang_up(&a202);
    tokio::time::sleep(Duration::from_secs(1)).await;
    hang_up(&a201);
    finished(c1, "caller 1, hung up by the server after its agent").await;
    finished(c2, "caller 2").await;
    tokio::time::sleep(Duration::from_millis(4500)).await;
    let c3 = sipp_caller(&s);
    assert_eq!(answered(&s, 3).await[2], "202", "leastrecent");
    let c4 = sipp_caller(&s);
    assert_eq!(answered(&s, 4).await[3], "201");

    // Both busy: the baresip caller waits, hearing the music and, after 5 s, its place.
    s.caller.dial(&format!("sip:5000@{}", s.app.sip));
    let joined = wait_events(&s, "queue.joined", 5).await;
    assert_eq!(joined[4]["position"], 1, "{joined:?}");
    tokio::time::sleep(Duration::from_secs(8)).await;
    let (_, waiting) = s.app.get("/v1/queues/support/callers").await;
    let waiting: Vec<_> = waiting["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["state"] == "waiting")
        .cloned()
        .collect();
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert!(waiting[0]["wait"].as_u64().unwrap() >= 7, "{waiting:?}");
    // 201 hangs up: it is in wrap-up for 4 s, 202 (busy, then in wrap-up) is not free.
    a201.forget_events();
    let freed = hang_up(&a201);
    tokio::time::sleep(Duration::from_millis(500)).await;
    a202.forget_events();
    hang_up(&a202);
    assert!(
        a201.wait_event("CALL_ESTABLISHED", Duration::from_secs(15))
            .is_some(),
        "201 is offered the waiting caller after its wrap-up; server: {}",
        s.app.log()
    );
    let rung_after = freed.elapsed();
    assert!(
        rung_after >= Duration::from_millis(3800),
        "201 rung {rung_after:?} after its call: during its wrap-up"
    );
    assert_eq!(answered(&s, 5).await[4], "201");
    assert!(
        a202.wait_event("CALL_ESTABLISHED", Duration::from_millis(100))
            .is_none(),
        "202 was not rung in its wrap-up"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    s.caller.hangup();
    finished(c3, "caller 3").await;
    finished(c4, "caller 4").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let heard = s.caller.received_audio().unwrap();
    assert!(
        tone_windows(&heard, 500.0) >= 30,
        "the caller heard the music: {} windows",
        tone_windows(&heard, 500.0)
    );
    assert!(
        speech_windows(&heard, &[500.0, 1000.0, 440.0]) >= 5,
        "the caller heard its position: {} windows of speech",
        speech_windows(&heard, &[500.0, 1000.0, 440.0])
    );
    assert!(
        tone_windows(&heard, 1000.0) >= 10,
        "the caller heard agent 201: {} windows",
        tone_windows(&heard, 1000.0)
    );

    let (_, agents) = s.app.get("/v1/queues/support/agents").await;
    let taken: Vec<_> = agents["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["member"].as_str().unwrap().to_owned(),
                a["calls_taken"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(taken, [("201".to_owned(), 3), ("202".to_owned(), 2)]);

    // Nobody free: one caller hangs up after 2 s (abandoned), the other reaches the max
    // wait and goes to its failover destination, extension 202.
    for member in ["201", "202"] {
        let (status, _) = s
            .app
            .patch(
                &format!("/v1/queues/support/agents/{member}"),
                json!({"paused": true, "pause_reason": "test"}),
            )
            .await;
        assert_eq!(status, 200);
    }
    let (status, q) = s
        .app
        .patch(
            "/v1/queues/support",
            json!({"max_wait": 10, "timeout_destination": "extension:202", "wrap_up_time": 0,
                   "announce_position_every": null}),
        )
        .await;
    assert_eq!(status, 200, "{q}");
    a202.forget_events();
    let abandoning = Sipp::start(
        "uac_call.xml",
        s.app.sip,
        free_sip_port(),
        SipTransport::Udp,
        &[
            "-s",
            "5000",
            "-au",
            "101",
            "-ap",
            "secret-101",
            "-key",
            "caller",
            "101",
            "-d",
            "2000",
        ],
    );
    let started = Instant::now();
    let c6 = sipp_caller(&s);
    assert!(
        a202.wait_event("CALL_ESTABLISHED", Duration::from_secs(20))
            .is_some(),
        "the max wait sends the caller to extension 202; server: {}",
        s.app.log()
    );
    let waited = started.elapsed();
    assert!(
        (Duration::from_secs(10)..Duration::from_secs(13)).contains(&waited),
        "failover after {waited:?}"
    );
    finished(abandoning, "the caller who gave up").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    hang_up(&a202);
    finished(c6, "the caller sent to 202").await;
    let left = wait_events(&s, "queue.left", 2).await;
    let reasons: Vec<_> = left.iter().map(|e| e["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons, ["abandoned", "timeout"]);

    // rrmemory: round robin from where it left off.
    for member in ["201", "202"] {
        s.app
            .patch(
                &format!("/v1/queues/support/agents/{member}"),
                json!({"paused": false}),
            )
            .await;
    }
    s.app
        .patch(
            "/v1/queues/support",
            json!({"strategy": "rrmemory", "max_wait": null}),
        )
        .await;
    for (n, expected) in [(6, "201"), (7, "202"), (8, "201")] {
        let caller = sipp_caller(&s);
        let agents = answered(&s, n).await;
        assert_eq!(agents[n - 1], expected, "rrmemory: {agents:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
        hang_up(if expected == "201" { &a201 } else { &a202 });
        finished(caller, "a round-robin caller").await;
    }

    let (_, stats) = s.app.get("/v1/queues/support/stats").await;
    assert_eq!(stats["offered"], 10, "{stats}");
    assert_eq!(stats["answered"], 8, "{stats}");
    assert_eq!(stats["abandoned"], 1, "{stats}");
    assert_eq!(stats["redirected"], 1, "{stats}");
    assert_eq!(stats["waiting"], 0, "{stats}");
    assert!(stats["longest_wait"].as_u64().unwrap() >= 9, "{stats}");
    s.hooks.assert_all_signed();
}

/// A dynamic agent logs in with `*45` (and hears so); a queue with nobody logged in
/// refuses callers to its empty destination when `join_empty` is off; once it holds its
/// `max_callers`, the next caller goes to its full destination. Callers dial the
/// queue's own number.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn star_45_logs_agents_in_and_empty_or_full_queues_send_callers_on() {
    let s = setup("51600-51799", false).await;
    let dir = tempfile::tempdir().unwrap();
    let a201 = phone(&s.app, dir.path(), "201", 1000.0).await;
    let a202 = phone(&s.app, dir.path(), "202", 1336.0).await;
    create(
        &s.app,
        "/v1/queues",
        json!({
            "name": "sales", "number": "410", "members": [{"member": "201", "dynamic": true}],
            "join_empty": false, "empty_destination": "extension:202",
            "max_callers": 1, "full_destination": "extension:202"
        }),
    )
    .await;
    let dial_410 = |extra: &[&'static str]| {
        let mut args = vec![
            "-s",
            "410",
            "-au",
            "101",
            "-ap",
            "secret-101",
            "-key",
            "caller",
            "101",
        ];
        args.extend_from_slice(extra);
        Sipp::start(
            "uac_call.xml",
            s.app.sip,
            free_sip_port(),
            SipTransport::Udp,
            &args,
        )
    };

    // Nobody logged in: the caller is sent to extension 202.
    let refused = dial_410(&["-d", "1000"]);
    assert!(
        a202.wait_event("CALL_ESTABLISHED", Duration::from_secs(10))
            .is_some(),
        "the empty queue sends its caller to 202; server: {}",
        s.app.log()
    );
    finished(refused, "the caller sent on by the empty queue").await;
    a202.forget_events();

    // *45 from 201: logged in (spoken), then it can be offered callers.
    a201.forget_events();
    a201.dial(&format!("sip:*45@{}", s.app.sip));
    assert!(
        a201.wait_event("CALL_CLOSED", Duration::from_secs(15))
            .is_some(),
        "*45 says so and hangs up"
    );
    let said = a201.received_audio().unwrap();
    assert!(
        speech_windows(&said, &[1000.0]) >= 5,
        "201 heard the confirmation"
    );
    let (_, agents) = s.app.get("/v1/queues/sales/agents").await;
    assert_eq!(agents["data"][0]["state"], "idle", "{agents}");

    // Paused, 201 leaves the queue staffed but nobody free: the first caller waits, the
    // second finds the queue full.
    let (status, _) = s
        .app
        .patch("/v1/queues/sales", json!({"join_empty": true}))
        .await;
    assert_eq!(status, 200);
    s.app
        .patch("/v1/queues/sales/agents/201", json!({"paused": true}))
        .await;
    let waiting = dial_410(&["-d", "6000"]);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let full = dial_410(&["-d", "1000"]);
    assert!(
        a202.wait_event("CALL_ESTABLISHED", Duration::from_secs(10))
            .is_some(),
        "the full queue sends the second caller to 202; server: {}",
        s.app.log()
    );
    finished(full, "the caller sent on by the full queue").await;
    finished(waiting, "the caller who waited, then hung up").await;
    // The stay is written as the server handles the caller's BYE, which SIPp may see
    // answered a moment before: read until the three callers are counted (or 10 s).
    let deadline = Instant::now() + Duration::from_secs(10);
    let stats = loop {
        let (_, stats) = s.app.get("/v1/queues/sales/stats").await;
        if stats["offered"] == 3 || Instant::now() > deadline {
            break stats;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        (
            stats["offered"].as_u64(),
            stats["redirected"].as_u64(),
            stats["abandoned"].as_u64()
        ),
        (Some(3), Some(2), Some(1)),
        "{stats}"
    );

    // *45 again: logged out.
    a201.forget_events();
    a201.dial(&format!("sip:*45@{}", s.app.sip));
    assert!(
        a201.wait_event("CALL_CLOSED", Duration::from_secs(15))
            .is_some()
    );
    let (_, agents) = s.app.get("/v1/queues/sales/agents").await;
    assert_eq!(agents["data"][0]["logged_in"], false, "{agents}");
}
