//! The reference scenario's tail, end to end with real phones: a caller reaches the IVR,
//! presses 1, ring group 301 rings and nobody answers, so the call goes to the group's
//! mailbox (58102's); the caller speaks (a 700 Hz tone) for a few seconds. Then: one
//! email reaches 58102's address naming the caller with the WAV attached (tone
//! checked), the application named by the mailbox receives the signed `voicemail` event
//! and downloads the same audio, 58102's phone gets the message-waiting NOTIFY, and
//! `*97` from that phone plays the message back (tone checked at the phone).

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::json;
use std::time::Duration;
use switchboard_tests::app_harness::{
    burst_power, create, phone, register_sipp, tone_mic, upload_tone, wait_registered,
};
use switchboard_tests::audio::read_wav;
use switchboard_tests::peers::{Baresip, SipTransport, Sipp, free_sip_port};
use switchboard_tests::smtp::{SmtpSink, wait_emails};
use switchboard_tests::webhook_app::{Reply, WebhookApp};
use switchboard_tests::{Backend, TestApp};

const LONG: Duration = Duration::from_secs(30);
const ANNOUNCEMENT: f64 = 697.0;
const VOICE: f64 = 700.0;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ivr_key_1_ring_group_301_unanswered_voicemail_email_webhook_lamp_and_star_97() {
    let smtp_port = free_sip_port();
    let out = tempfile::tempdir().unwrap();
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[
            ("SWITCHBOARD_RTP_PORTS", "52200-52399".to_owned()),
            (
                "SWITCHBOARD_SMTP_URL",
                format!("smtp://127.0.0.1:{smtp_port}"),
            ),
        ],
    )
    .await;
    let _smtp = SmtpSink::start(smtp_port, out.path());
    let hooks = WebhookApp::start().await;
    hooks.reply("/status", Reply::Json(json!({})));
    let told = create(
        &app,
        "/v1/applications",
        json!({"name": "Voicemail inbox", "voice_url": format!("{}/voice", hooks.url),
               "status_callback": format!("{}/status", hooks.url)}),
    )
    .await;
    hooks.set_secret(told["signing_secret"].as_str().unwrap());
    let dir = tempfile::tempdir().unwrap();

    // The seed's pieces: the caller, the mailbox owner (with its phone watching the
    // lamp), 58103 ringing in group 301 without answering, the IVR.
    let caller = phone(&app, dir.path(), "58101", VOICE).await;
    create(
        &app,
        "/v1/extensions",
        json!({"number": "58102", "name": "Yassir", "password": "pw-58102-secret",
               "email": "yassir@example.com",
               "voicemail": {"enabled": true, "application_id": told["id"]}}),
    )
    .await;
    let owner = Baresip::start_with_mwi(
        "58102",
        "pw-58102-secret",
        app.sip,
        &tone_mic(dir.path(), "58102", 900.0),
    );
    wait_registered(&app, "58102").await;
    let p58103 = free_sip_port();
    register_sipp(&app, "58103", p58103).await;
    upload_tone(&app, "VoicemailCenter", ANNOUNCEMENT, 1.5).await;
    create(
        &app,
        "/v1/ring-groups",
        json!({"number": "301", "name": "Info", "members": ["58103"], "ring_time": 5,
               "no_answer_destination": "voicemail:58102"}),
    )
    .await;
    create(
        &app,
        "/v1/ivrs",
        json!({"name": "VoicemailCenter", "announcement": {"recording": "VoicemailCenter"},
               "options": {"1": "ringgroup:301"}}),
    )
    .await;
    create(
        &app,
        "/v1/numbers",
        json!({"number": "5555", "destination": "ivr:VoicemailCenter"}),
    )
    .await;

    // The call: the announcement, key 1, 301 rings 5 s, the greeting, the message.
    let ringing = Sipp::start("uas_ring.xml", app.sip, p58103, SipTransport::Udp, &[]);
    caller.dial(&format!("sip:5555@{}", app.sip));
    assert!(caller.wait_event("CALL_ESTABLISHED", LONG).is_some());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    caller.command("sndcode", "1");
    // 5 s of ringing, about 5 s of greeting and the beep, then about 5 s of message.
    tokio::time::sleep(Duration::from_secs(16)).await;
    caller.hangup();
    assert!(caller.wait_event("CALL_CLOSED", LONG).is_some());
    tokio::task::spawn_blocking(move || ringing.wait(LONG))
        .await
        .unwrap()
        .assert_ok("58103 rang, then was cancelled");

    // The email.
    let mails = wait_emails(out.path(), 1, LONG).await;
    assert_eq!(mails.len(), 1, "one email; server: {}", app.log());
    let mail = &mails[0];
    assert_eq!(mail["rcpt_tos"], json!(["yassir@example.com"]));
    assert!(mail["text"].as_str().unwrap().contains("58101"), "{mail}");
    let attached = &mail["attachments"][0];
    assert_eq!(attached["content_type"], "audio/wav");
    let emailed = read_wav(&std::fs::read(attached["path"].as_str().unwrap()).unwrap());
    assert!(
        emailed.duration_ms() >= 3000,
        "{} ms of message",
        emailed.duration_ms()
    );
    assert!(
        burst_power(&emailed, VOICE) > 1e-3,
        "the email holds the tone"
    );

    // The webhook, and the same audio downloaded with an API key.
    let events = hooks.wait_for("/status", 1, LONG).await;
    let event = events
        .iter()
        .find(|r| r.body["event"] == "voicemail")
        .unwrap_or_else(|| panic!("{events:?}"));
    assert!(event.signature_ok);
    assert_eq!(event.body["mailbox"], "58102");
    assert_eq!(event.body["caller_number"], "58101");
    let (status, audio) = app
        .send_raw(app.req(
            reqwest::Method::GET,
            event.body["audio_url"].as_str().unwrap(),
        ))
        .await;
    assert_eq!(status, 200);
    assert!(
        burst_power(&read_wav(&audio), VOICE) > 1e-3,
        "the same tone"
    );

    // The lamp.
    let mut lit = false;
    for _ in 0..100 {
        if owner.log().contains("Messages-Waiting: yes") {
            lit = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(lit, "the lamp NOTIFY reached the phone: {}", owner.log());

    // *97 from the owner's phone: the summary, then the message itself.
    owner.forget_events();
    owner.dial(&format!("sip:*97@{}", app.sip));
    assert!(owner.wait_event("CALL_ESTABLISHED", LONG).is_some());
    tokio::time::sleep(Duration::from_secs(14)).await;
    owner.hangup();
    assert!(owner.wait_event("CALL_CLOSED", LONG).is_some());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let heard = read_wav(&std::fs::read(owner.received_audio().unwrap()).unwrap());
    assert!(
        burst_power(&heard, VOICE) > 1e-3,
        "*97 played the message back to the owner"
    );
}
