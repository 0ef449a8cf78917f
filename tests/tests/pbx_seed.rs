//! The reference scenario's call routing, end to end with real phones and nothing but
//! the REST API: 58101 calls Pierre (57443), nobody answers → Pierre's follow-me rings
//! 57444 → the day/night switch → by day the IVR VoicemailCenter plays the uploaded
//! announcement; key 1 rings ring group 301 (baresip and linphone, ringall), one
//! answers and both hear each other. `*280` from a phone switches to night mode and
//! the same call reaches the night destination, Pierre's mailbox.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::json;
use std::time::Duration;
use switchboard_tests::app_harness::{
    burst_power, create, register_sipp_again, tone_mic, tone_windows, upload_tone, wait_registered,
};
use switchboard_tests::audio::read_wav;
use switchboard_tests::peers::{Baresip, Linphone, SipTransport, Sipp, SippResult, free_sip_port};
use switchboard_tests::{Backend, TestApp};

const LONG: Duration = Duration::from_secs(30);
/// The announcement's tone (the uploaded "VoicemailCenter" recording).
const ANNOUNCEMENT: f64 = 697.0;
const CALLER: f64 = 440.0;
const YASSIR: f64 = 1000.0;
const LINPHONE: f64 = 1336.0;

/// The seed's extensions, announcement, ring group 301, IVR, day/night switch and
/// Pierre's follow-me, written through the REST API as an admin would.
async fn build_the_call_centre(app: &TestApp) {
    for (number, name, voicemail) in [
        ("58101", "Djaouad", false),
        ("58102", "Yassir", true),
        ("58103", "Julien", false),
        ("57443", "Pierre", true),
        ("57444", "Pierre (mobile)", false),
    ] {
        create(
            app,
            "/v1/extensions",
            json!({"number": number, "name": name,
            "password": format!("pw-{number}-secret"), "voicemail": {"enabled": voicemail}}),
        )
        .await;
    }
    upload_tone(app, "VoicemailCenter", ANNOUNCEMENT, 1.5).await;
    create(
        app,
        "/v1/ring-groups",
        json!({"number": "301", "name": "Info",
        "members": ["58102", "58103"], "strategy": "ringall", "ring_time": 15,
        "caller_name_prefix": "Info: "}),
    )
    .await;
    create(
        app,
        "/v1/ivrs",
        json!({"name": "VoicemailCenter",
        "announcement": {"recording": "VoicemailCenter"}, "timeout": 4,
        "options": {"1": "ringgroup:301", "3": "repeat"}}),
    )
    .await;
    create(
        app,
        "/v1/daynight",
        json!({"index": 0, "name": "Pierre",
        "day_destination": "ivr:VoicemailCenter", "night_destination": "voicemail:57443"}),
    )
    .await;
    let (status, body) = app
        .send(
            app.req(reqwest::Method::PUT, "/v1/extensions/57443/follow-me")
                .json(&json!({
                    "enabled": true, "numbers": ["57444"], "initial_ring_time": 2, "ring_time": 5,
                    "no_answer_destination": "daynight:0"
                })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

/// Pierre's phone and 57444 ring (SIPp) until cancelled.
fn ringers(app: &TestApp, pierre: u16, other: u16) -> (Sipp, Sipp) {
    (
        Sipp::start("uas_ring.xml", app.sip, pierre, SipTransport::Udp, &[]),
        Sipp::start("uas_ring.xml", app.sip, other, SipTransport::Udp, &[]),
    )
}

/// When a ringer got its INVITE and its CANCEL.
fn rang(r: &SippResult, who: &str) -> (f64, f64) {
    r.assert_ok(who);
    let (invites, cancels) = (r.received("INVITE"), r.received("CANCEL"));
    assert_eq!(
        (invites.len(), cancels.len()),
        (1, 1),
        "{who}: {}",
        r.messages
    );
    (invites[0], cancels[0])
}

fn heard(file: &std::path::Path, freq: f64) -> f64 {
    burst_power(&read_wav(&std::fs::read(file).unwrap()), freq)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_call_flow_from_pierre_to_ring_group_301_then_night() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[("SWITCHBOARD_RTP_PORTS", "49400-49599".to_owned())],
    )
    .await;
    build_the_call_centre(&app).await;
    let (p57443, p57444) = (free_sip_port(), free_sip_port());
    register_sipp_again(&app, "57443", p57443).await;
    register_sipp_again(&app, "57444", p57444).await;
    let dir = tempfile::tempdir().unwrap();
    let caller = Baresip::start(
        "58101",
        "pw-58101-secret",
        app.sip,
        SipTransport::Udp,
        &tone_mic(dir.path(), "caller", CALLER),
    );
    let yassir = Baresip::start(
        "58102",
        "pw-58102-secret",
        app.sip,
        SipTransport::Udp,
        &tone_mic(dir.path(), "yassir", YASSIR),
    );
    let julien = Linphone::start(
        "58103",
        "pw-58103-secret",
        "switchboard",
        app.sip,
        SipTransport::Udp,
        &tone_mic(dir.path(), "julien", LINPHONE),
    );
    for n in ["58101", "58102", "58103"] {
        wait_registered(&app, n).await;
    }

    // Day: Pierre rings alone 2 s, then 57444 for 5 s, then the IVR answers.
    let (ring_pierre, ring_other) = ringers(&app, p57443, p57444);
    caller.dial(&format!("sip:57443@{}", app.sip));
    assert!(
        caller.wait_event("CALL_ESTABLISHED", LONG).is_some(),
        "the IVR answers after the follow-me; server: {}",
        app.log()
    );
    let (pierre, other) =
        tokio::task::spawn_blocking(move || (ring_pierre.wait(LONG), ring_other.wait(LONG)))
            .await
            .unwrap();
    let ((p_in, p_out), (o_in, o_out)) = (rang(&pierre, "Pierre"), rang(&other, "57444"));
    assert!(
        (1.7..3.0).contains(&(p_out - p_in)),
        "Pierre alone {:.2} s",
        p_out - p_in
    );
    assert!(o_in >= p_out - 0.1, "57444 rings after Pierre");
    assert!(
        (4.7..6.0).contains(&(o_out - o_in)),
        "the list rings {:.2} s",
        o_out - o_in
    );

    // The announcement plays; key 1 rings 301: one of its phones answers.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    caller.command("sndcode", "1");
    let answered = tokio::time::timeout(LONG, async {
        loop {
            if yassir
                .events()
                .iter()
                .any(|e| e["type"] == "CALL_ESTABLISHED")
            {
                return "58102";
            }
            if julien.output().contains("connected") {
                return "58103";
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("nobody in 301 answered; server: {}", app.log()));
    let shown = yassir
        .events()
        .iter()
        .any(|e| e["peerdisplayname"] == "Info: Djaouad")
        || julien.output().contains("Info: Djaouad");
    assert!(
        shown,
        "the members see the group's prefix: {:?}\n{}",
        yassir.events(),
        julien.output()
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    caller.hangup();
    assert!(caller.wait_event("CALL_CLOSED", LONG).is_some());
    tokio::time::sleep(Duration::from_millis(500)).await;

    let heard_by_caller = caller.received_audio().unwrap();
    assert!(
        heard(&heard_by_caller, ANNOUNCEMENT) > 1e-3,
        "the caller heard the announcement"
    );
    let (member_tone, member_heard) = match answered {
        "58102" => (YASSIR, yassir.received_audio().unwrap()),
        _ => (LINPHONE, julien.recording()),
    };
    assert!(
        heard(&heard_by_caller, member_tone) > 1e-3,
        "the caller hears {answered}"
    );
    assert!(
        heard(&member_heard, CALLER) > 1e-3,
        "{answered} hears the caller"
    );

    // *280 from a phone: night mode, said aloud.
    caller.forget_events();
    caller.dial(&format!("sip:*280@{}", app.sip));
    assert!(
        caller.wait_event("CALL_ESTABLISHED", LONG).is_some(),
        "{}",
        app.log()
    );
    assert!(
        caller.wait_event("CALL_CLOSED", LONG).is_some(),
        "the app hangs up after saying it"
    );
    let (_, switch) = app.get("/v1/daynight/0").await;
    assert_eq!(switch["mode"], "night");
    let said = read_wav(&std::fs::read(caller.received_audio().unwrap()).unwrap());
    assert!(
        said.rms() > 0.02 && said.duration_ms() > 1000,
        "the new mode is spoken (rms {}, {} ms)",
        said.rms(),
        said.duration_ms()
    );

    // Night: the same call ends in Pierre's mailbox (a message is recorded).
    let (ring_pierre, ring_other) = ringers(&app, p57443, p57444);
    caller.forget_events();
    caller.dial(&format!("sip:57443@{}", app.sip));
    assert!(
        caller.wait_event("CALL_ESTABLISHED", LONG).is_some(),
        "{}",
        app.log()
    );
    // The greeting (about 4 s), the beep, then 3 s of message.
    tokio::time::sleep(Duration::from_secs(9)).await;
    caller.hangup();
    assert!(caller.wait_event("CALL_CLOSED", LONG).is_some());
    drop((ring_pierre, ring_other));
    tokio::time::sleep(Duration::from_millis(800)).await;
    let announced = tone_windows(&caller.received_audio().unwrap(), ANNOUNCEMENT);
    assert_eq!(announced, 0, "no IVR at night");
    let (_, calls) = app.get("/v1/calls?from=58101&to=57443").await;
    let sid = calls["data"][0]["sid"].as_str().unwrap().to_owned();
    let (_, recordings) = app.get("/v1/recordings").await;
    assert!(
        recordings["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"]
                .as_str()
                .unwrap()
                .starts_with(&format!("call-{sid}"))),
        "the caller left a message: {recordings}\nserver: {}",
        app.log()
    );
}
