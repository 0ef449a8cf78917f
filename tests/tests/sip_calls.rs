//! Call edge cases, driven by SIPp on both sides: refusals (404, 480, 486), CANCEL while
//! ringing, BYE from the callee, hold by re-INVITE, parallel forking, the ring time, a
//! silent peer, and unauthenticated calls that must never ring anybody. Every case
//! checks the call record too.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::json;
use std::time::Duration;
use switchboard_tests::peers::{SipTransport, Sipp, SippResult, free_sip_port};
use switchboard_tests::{Backend, TestApp, both_backends};

const LONG: Duration = Duration::from_secs(40);

async fn extension(app: &TestApp, number: &str, ring_time: u32) {
    let (status, body) = app
        .post(
            "/v1/extensions",
            json!({
                "number": number, "name": format!("Ext {number}"),
                "password": format!("pw-{number}-secret"), "ring_time": ring_time
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

/// Registers `number` from `port` (the callee's SIPp then listens there).
fn register(app: &TestApp, number: &str, port: u16) {
    let password = format!("pw-{number}-secret");
    Sipp::start(
        "register.xml",
        app.sip,
        port,
        SipTransport::Udp,
        &[
            "-s", number, "-au", number, "-ap", &password, "-key", "expires", "300",
        ],
    )
    .wait(LONG)
    .assert_ok("register");
}

/// Runs a caller scenario from 101 to `callee`.
fn call(app: &TestApp, scenario: &str, callee: &str, extra: &[&str]) -> SippResult {
    Sipp::call(app.sip, scenario, ("101", "pw-101-secret"), callee, extra)
}

/// The caller's record of the latest call to `to`.
async fn record(app: &TestApp, to: &str) -> serde_json::Value {
    // Records are written right after the call ends; give the write a moment.
    for _ in 0..20 {
        let (_, calls) = app.get(&format!("/v1/calls?to={to}")).await;
        if let Some(c) = calls["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["direction"] == "inbound")
            && c["end_time"].is_string()
        {
            return c.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no finished record of a call to {to}");
}

async fn setup(app: &TestApp) {
    extension(app, "101", 20).await;
    extension(app, "102", 20).await;
}

/// Every call's RTP ports are back in the pool once it is over.
async fn assert_no_media_left(app: &TestApp) {
    for _ in 0..30 {
        let response = app
            .req(reqwest::Method::GET, "/metrics")
            .send()
            .await
            .unwrap();
        let text = response.text().await.unwrap();
        if text.lines().any(|l| l == "switchboard_rtp_ports_in_use 0")
            && text.lines().any(|l| l == "switchboard_calls_active 0")
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("RTP ports or calls left after the calls ended");
}

both_backends! {
    async fn unknown_numbers_are_404(app) {
        setup(&app).await;
        call(&app, "uac_404.xml", "555", &[]).assert_ok("404");
        let r = record(&app, "555").await;
        assert_eq!(r["status"], "failed");
        assert_eq!(r["hangup"]["sip_code"], 404);
    }

    async fn unregistered_callees_are_480(app) {
        setup(&app).await;
        call(&app, "uac_480.xml", "102", &[]).assert_ok("480");
        let r = record(&app, "102").await;
        assert_eq!((r["status"].as_str(), r["hangup"]["sip_code"].as_u64()), (Some("no-answer"), Some(480)));
    }

    async fn a_busy_callee_is_486(app) {
        setup(&app).await;
        let port = free_sip_port();
        register(&app, "102", port);
        let callee = Sipp::start("uas_busy.xml", app.sip, port, SipTransport::Udp, &[]);
        call(&app, "uac_486.xml", "102", &[]).assert_ok("486 to the caller");
        callee.wait(LONG).assert_ok("callee said busy");
        let r = record(&app, "102").await;
        assert_eq!(r["status"], "busy");
        assert_eq!(r["hangup"]["sip_code"], 486);
    }

    async fn the_caller_cancels_while_it_rings(app) {
        setup(&app).await;
        let port = free_sip_port();
        register(&app, "102", port);
        let callee = Sipp::start("uas_ring.xml", app.sip, port, SipTransport::Udp, &[]);
        call(&app, "uac_cancel.xml", "102", &[]).assert_ok("CANCEL → 487");
        callee.wait(LONG).assert_ok("the callee was cancelled");
        let r = record(&app, "102").await;
        assert_eq!((r["status"].as_str(), r["hangup"]["by"].as_str()), (Some("canceled"), Some("caller")));
    }

    async fn the_callee_hangs_up(app) {
        setup(&app).await;
        let port = free_sip_port();
        register(&app, "102", port);
        let callee = Sipp::start("uas_answer_then_bye.xml", app.sip, port, SipTransport::Udp, &[]);
        let caller = call(&app, "uac_wait_bye.xml", "102", &[]);
        let callee = callee.wait(LONG);
        callee.assert_ok("the callee's BYE was answered");
        caller.assert_ok("the caller got the BYE");
        // The caller saw "Caller 101" passed on? The callee saw the caller's name.
        let r = record(&app, "102").await;
        assert_eq!((r["status"].as_str(), r["hangup"]["by"].as_str()), (Some("completed"), Some("callee")));
        assert!(r["answer_time"].is_string());
    }

    async fn hold_by_reinvite_is_relayed(app) {
        setup(&app).await;
        let port = free_sip_port();
        register(&app, "102", port);
        let callee = Sipp::start("uas_answer_reinvite.xml", app.sip, port, SipTransport::Udp, &[]);
        // Both scenarios check the direction they see (check_it): sendonly reaches the
        // callee, recvonly comes back to the caller.
        call(&app, "uac_reinvite.xml", "102", &[]).assert_ok("the caller's hold was answered recvonly");
        let callee = callee.wait(LONG);
        callee.assert_ok("the callee saw the hold");
        assert!(callee.messages.contains("a=sendonly"));
        let r = record(&app, "102").await;
        assert_eq!((r["status"].as_str(), r["hangup"]["by"].as_str()), (Some("completed"), Some("caller")));
    }

    async fn every_device_rings_and_the_first_answer_wins(app) {
        setup(&app).await;
        let (ringing, answering) = (free_sip_port(), free_sip_port());
        register(&app, "102", ringing);
        register(&app, "102", answering);
        let loser = Sipp::start("uas_ring.xml", app.sip, ringing, SipTransport::Udp, &[]);
        let winner = Sipp::start("uas_answer.xml", app.sip, answering, SipTransport::Udp, &[]);
        call(&app, "uac_call.xml", "102", &["-d", "500"]).assert_ok("answered");
        winner.wait(LONG).assert_ok("the answering device got the BYE");
        loser.wait(LONG).assert_ok("the other device was cancelled");
        let r = record(&app, "102").await;
        assert_eq!(r["status"], "completed");
        let (_, calls) = app.get("/v1/calls?to=102").await;
        let child = calls["data"].as_array().unwrap().iter().find(|c| c["direction"] == "outbound").unwrap().clone();
        assert_eq!(child["parent_call_sid"], r["sid"], "the answered leg is recorded under the call");
        assert_no_media_left(&app).await;
    }

    async fn early_media_reaches_the_caller(app) {
        setup(&app).await;
        let port = free_sip_port();
        register(&app, "102", port);
        let callee = Sipp::start("uas_early_media.xml", app.sip, port, SipTransport::Udp, &[]);
        let caller = call(&app, "uac_call.xml", "102", &["-d", "300"]);
        caller.assert_ok("answered after early media");
        callee.wait(LONG).assert_ok("callee");
        let progress = caller.messages.find("SIP/2.0 183").expect("the caller got 183");
        let block = &caller.messages[progress..];
        let block = &block[..block.find("\n\n\n").unwrap_or(block.len())];
        assert!(block.contains("m=audio"), "183 carries our SDP: {block}");
        assert_no_media_left(&app).await;
    }

    async fn busy_on_every_device_is_486(app) {
        setup(&app).await;
        let (a, b) = (free_sip_port(), free_sip_port());
        register(&app, "102", a);
        register(&app, "102", b);
        let one = Sipp::start("uas_busy.xml", app.sip, a, SipTransport::Udp, &[]);
        let two = Sipp::start("uas_busy.xml", app.sip, b, SipTransport::Udp, &[]);
        call(&app, "uac_486.xml", "102", &[]).assert_ok("486");
        one.wait(LONG).assert_ok("first busy");
        two.wait(LONG).assert_ok("second busy");
    }

    async fn unauthenticated_calls_never_ring_anyone(app) {
        setup(&app).await;
        let port = free_sip_port();
        register(&app, "102", port);
        let callee = Sipp::start("uas_answer.xml", app.sip, port, SipTransport::Udp, &[]);
        let refused = Sipp::start("uac_refused.xml", app.sip, free_sip_port(), SipTransport::Udp,
            &["-s", "102", "-au", "101", "-ap", "wrong-password", "-key", "caller", "101"]).wait(LONG);
        refused.assert_ok("challenged again");
        let callee = callee.wait(Duration::from_secs(2));
        assert!(!callee.success && !callee.messages.contains("INVITE sip"), "the callee was never reached");
        let (_, calls) = app.get("/v1/calls").await;
        assert_eq!(calls["data"], json!([]), "not a call at all");
    }
}

/// The callee's ring time elapses: its phones stop ringing, the caller gets 480.
#[tokio::test]
async fn ring_time_ends_the_call_with_480() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    extension(&app, "101", 20).await;
    extension(&app, "102", 5).await;
    let port = free_sip_port();
    register(&app, "102", port);
    let callee = Sipp::start("uas_ring.xml", app.sip, port, SipTransport::Udp, &[]);
    let started = std::time::Instant::now();
    call(&app, "uac_480.xml", "102", &[]).assert_ok("480 after the ring time");
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_secs(4), "rang for {elapsed:?}");
    callee.wait(LONG).assert_ok("the phone stopped ringing");
    let r = record(&app, "102").await;
    assert_eq!(
        (r["status"].as_str(), r["hangup"]["by"].as_str()),
        (Some("no-answer"), Some("system"))
    );
}

/// A call whose peers send no RTP is hung up after the configured time.
#[tokio::test]
async fn silent_calls_are_torn_down() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[("SWITCHBOARD_RTP_TIMEOUT", "5".to_owned())],
    )
    .await;
    extension(&app, "101", 20).await;
    extension(&app, "102", 20).await;
    let port = free_sip_port();
    register(&app, "102", port);
    let callee = Sipp::start("uas_answer.xml", app.sip, port, SipTransport::Udp, &[]);
    call(&app, "uac_wait_bye.xml", "102", &[]).assert_ok("the caller got a BYE");
    callee.wait(LONG).assert_ok("the callee got a BYE");
    let r = record(&app, "102").await;
    assert_eq!(r["hangup"]["by"], "system");
    assert!(
        r["hangup"]["reason"].as_str().unwrap().contains("no RTP"),
        "{r}"
    );
}
