//! Leaving a message with real phones: the mailbox's own greeting (an uploaded
//! recording), the beep, the message kept in the mailbox; 0 during the greeting reaches
//! the operator instead; a busy extension's mailbox plays its busy greeting.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::json;
use std::time::Duration;
use switchboard_tests::app_harness::{
    burst_power, phone, register_sipp_again, upload_tone, wait_registered,
};
use switchboard_tests::audio::{read_wav, tone_wav};
use switchboard_tests::peers::{Baresip, SipTransport, Sipp, free_sip_port};
use switchboard_tests::{Backend, TestApp};

const LONG: Duration = Duration::from_secs(30);
const GREETING: f64 = 500.0;
const BEEP: f64 = 1000.0;
const CALLER: f64 = 700.0;
const OPERATOR: f64 = 1500.0;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn greeting_beep_message_0_to_the_operator_and_star_97_plays_it_back() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[("SWITCHBOARD_RTP_PORTS", "50840-50999".to_owned())],
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let caller = phone(&app, dir.path(), "101", CALLER).await;
    let operator = phone(&app, dir.path(), "103", OPERATOR).await;
    upload_tone(&app, "pierre-greeting", GREETING, 1.5).await;
    let (status, body) = app
        .post(
            "/v1/extensions",
            json!({"number": "58102", "name": "Pierre", "password": "pw-58102-secret",
                   "no_answer_destination": "voicemail:58102",
                   "voicemail": {"enabled": true, "greeting": {"recording": "pierre-greeting"},
                                 "operator_destination": "extension:103"}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["voicemail"]["operator_destination"], "extension:103");
    // The greeting's recording is in use.
    let (status, _) = app.delete("/v1/recordings/pierre-greeting").await;
    assert_eq!(status, 409);

    // Greeting, beep, message.
    caller.dial(&format!("sip:58102@{}", app.sip));
    assert!(
        caller.wait_event("CALL_ESTABLISHED", LONG).is_some(),
        "{}",
        app.log()
    );
    tokio::time::sleep(Duration::from_secs(7)).await;
    caller.hangup();
    assert!(caller.wait_event("CALL_CLOSED", LONG).is_some());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let heard = read_wav(&std::fs::read(caller.received_audio().unwrap()).unwrap());
    assert!(
        burst_power(&heard, GREETING) > 1e-3,
        "the greeting was played"
    );
    assert!(burst_power(&heard, BEEP) > 1e-3, "then the beep");
    let mut messages = serde_json::Value::Null;
    for _ in 0..50 {
        messages = app.get("/v1/voicemail/58102/messages").await.1;
        if messages["data"].as_array().is_some_and(|d| !d.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(messages["data"].as_array().unwrap().len(), 1, "{messages}");
    let (_, audio) = app
        .send_raw(app.req(
            reqwest::Method::GET,
            messages["data"][0]["audio_url"].as_str().unwrap(),
        ))
        .await;
    let message = read_wav(&audio);
    assert!(
        burst_power(&message, CALLER) > 1e-3,
        "the message holds the caller"
    );
    assert!(
        burst_power(&message, GREETING) < 0.1 * burst_power(&message, CALLER),
        "recorded after the greeting"
    );

    // 0 during the greeting: the operator answers, nothing is recorded.
    caller.forget_events();
    caller.dial(&format!("sip:58102@{}", app.sip));
    assert!(caller.wait_event("CALL_ESTABLISHED", LONG).is_some());
    tokio::time::sleep(Duration::from_millis(500)).await;
    caller.command("sndcode", "0");
    assert!(
        operator.wait_event("CALL_ESTABLISHED", LONG).is_some(),
        "the operator took the call; server: {}",
        app.log()
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    caller.hangup();
    assert!(operator.wait_event("CALL_CLOSED", LONG).is_some());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let heard = read_wav(&std::fs::read(caller.received_audio().unwrap()).unwrap());
    assert!(
        burst_power(&heard, OPERATOR) > 1e-3,
        "the caller talks with 103"
    );
    let (_, after) = app.get("/v1/voicemail/58102/messages").await;
    assert_eq!(
        after["data"].as_array().unwrap().len(),
        1,
        "no second message"
    );

    // *97 from Pierre's own phone: the PIN, the message played back, 7 deletes it.
    let (status, body) = app
        .patch(
            "/v1/extensions/58102",
            json!({"voicemail": {"pin": "4321"}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let owner_mic = dir.path().join("owner.wav");
    std::fs::write(&owner_mic, tone_wav(300.0, 120.0, 8000, 1, 16, false, 0.3)).unwrap();
    let owner = Baresip::start(
        "58102",
        "pw-58102-secret",
        app.sip,
        SipTransport::Udp,
        &owner_mic,
    );
    wait_registered(&app, "58102").await;
    owner.dial(&format!("sip:*97@{}", app.sip));
    assert!(
        owner.wait_event("CALL_ESTABLISHED", LONG).is_some(),
        "{}",
        app.log()
    );
    tokio::time::sleep(Duration::from_millis(2500)).await;
    owner.command("sndcode", "4321#");
    // The summary, "message from 1 0 1", then the message (about 2 s of 700 Hz).
    tokio::time::sleep(Duration::from_secs(10)).await;
    owner.command("sndcode", "7");
    let mut left = 1;
    for _ in 0..100 {
        left = app.get("/v1/voicemail/58102/messages").await.1["data"]
            .as_array()
            .unwrap()
            .len();
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(left, 0, "7 deleted the message; server: {}", app.log());
    assert!(
        owner.wait_event("CALL_CLOSED", LONG).is_some(),
        "goodbye, then hung up"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let played = read_wav(&std::fs::read(owner.received_audio().unwrap()).unwrap());
    assert!(
        burst_power(&played, CALLER) > 1e-3,
        "the owner heard the message (the caller's tone)"
    );
}

/// Busy: 58102's phone refuses the call (486) and its busy destination is its own
/// mailbox, so the caller hears the mailbox's busy greeting (an uploaded 600 Hz
/// recording), not its unavailable one (500 Hz).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_extension_s_mailbox_plays_its_busy_greeting() {
    const BUSY_GREETING: f64 = 600.0;
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[("SWITCHBOARD_RTP_PORTS", "52400-52599".to_owned())],
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let caller = phone(&app, dir.path(), "101", CALLER).await;
    upload_tone(&app, "away", GREETING, 1.5).await;
    upload_tone(&app, "busy", BUSY_GREETING, 1.5).await;
    let (status, body) = app
        .post(
            "/v1/extensions",
            json!({"number": "58102", "name": "Pierre", "password": "pw-58102-secret",
                   "busy_destination": "voicemail:58102",
                   "voicemail": {"enabled": true, "greeting": {"recording": "away"},
                                 "busy_greeting": {"recording": "busy"}}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["voicemail"]["busy_greeting"]["recording"], "busy");
    let (status, _) = app.delete("/v1/recordings/busy").await;
    assert_eq!(status, 409, "the busy greeting's recording is in use");
    let port = free_sip_port();
    register_sipp_again(&app, "58102", port).await;
    let busy = Sipp::start("uas_busy.xml", app.sip, port, SipTransport::Udp, &[]);
    caller.dial(&format!("sip:58102@{}", app.sip));
    assert!(
        caller.wait_event("CALL_ESTABLISHED", LONG).is_some(),
        "{}",
        app.log()
    );
    tokio::time::sleep(Duration::from_secs(4)).await;
    caller.hangup();
    assert!(caller.wait_event("CALL_CLOSED", LONG).is_some());
    tokio::task::spawn_blocking(move || busy.wait(LONG))
        .await
        .unwrap()
        .assert_ok("58102's phone said busy");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let heard = read_wav(&std::fs::read(caller.received_audio().unwrap()).unwrap());
    assert!(
        burst_power(&heard, BUSY_GREETING) > 1e-3
            && burst_power(&heard, BUSY_GREETING) > 10.0 * burst_power(&heard, GREETING),
        "the busy greeting, not the unavailable one"
    );
}
