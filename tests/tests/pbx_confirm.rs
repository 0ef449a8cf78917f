//! Follow-me with confirmation, with real phones: Pierre (58102) is away and his
//! follow-me rings his mobile, an outside number reached through an outbound route and
//! a trunk (a baresip standing for the mobile network). Whoever answers the mobile
//! hears "press 1 to accept" first: pressing 1 connects the caller (audio checked both
//! ways), pressing another key hangs the mobile up and the call goes to the
//! follow-me's no-answer destination (103 answers it).

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::json;
use std::time::Duration;
use switchboard_tests::app_harness::{burst_power, create, phone, tone_mic};
use switchboard_tests::audio::{Pcm, read_wav};
use switchboard_tests::peers::{Baresip, SipTransport, free_sip_port};
use switchboard_tests::{Backend, TestApp};

const LONG: Duration = Duration::from_secs(30);
const CALLER: f64 = 440.0;
const MOBILE: f64 = 1000.0;
const OPERATOR: f64 = 1500.0;
const MOBILE_NUMBER: &str = "0612345678";

fn heard(file: &std::path::Path) -> Pcm {
    read_wav(&std::fs::read(file).unwrap())
}

/// The first `seconds` of a recording.
fn head(pcm: &Pcm, seconds: f64) -> Pcm {
    let n = (f64::from(pcm.rate) * seconds) as usize;
    Pcm {
        rate: pcm.rate,
        channels: pcm.channels,
        bits: pcm.bits,
        samples: pcm.samples.iter().take(n).copied().collect(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outside_follow_me_number_must_press_1_before_the_call_is_connected() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[("SWITCHBOARD_RTP_PORTS", "50400-50599".to_owned())],
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let caller = phone(&app, dir.path(), "101", CALLER).await;
    let operator = phone(&app, dir.path(), "103", OPERATOR).await;
    // The mobile: a softphone the trunk reaches directly (it registers nowhere: its
    // registrar is a port nobody listens on).
    let nowhere = std::net::SocketAddr::from(([127, 0, 0, 1], free_sip_port()));
    let mobile = Baresip::start(
        MOBILE_NUMBER,
        "unused",
        nowhere,
        SipTransport::Udp,
        &tone_mic(dir.path(), "mobile", MOBILE),
    );
    create(
        &app,
        "/v1/trunks",
        json!({"name": "mobile-network", "host": "127.0.0.1", "port": mobile.sip_port,
               "transport": "udp"}),
    )
    .await;
    create(
        &app,
        "/v1/outbound-routes",
        json!({"name": "mobiles", "trunks": ["mobile-network"],
               "dial_patterns": [{"match_pattern": "06XXXXXXXX"}]}),
    )
    .await;
    create(
        &app,
        "/v1/extensions",
        json!({"number": "58102", "name": "Pierre", "password": "pw-58102-secret"}),
    )
    .await;
    let (status, body) = app
        .send(
            app.req(reqwest::Method::PUT, "/v1/extensions/58102/follow-me")
                .json(
                    &json!({"enabled": true, "numbers": [MOBILE_NUMBER], "initial_ring_time": 0,
                    "confirm": true, "ring_time": 20, "no_answer_destination": "extension:103"}),
                ),
        )
        .await;
    assert_eq!((status, &body["confirm"]), (200, &json!(true)), "{body}");

    // Pressing 1 connects the caller.
    caller.dial(&format!("sip:58102@{}", app.sip));
    assert!(
        mobile.wait_event("CALL_ESTABLISHED", LONG).is_some(),
        "the mobile answered; server: {}",
        app.log()
    );
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(
        caller
            .wait_event("CALL_ESTABLISHED", Duration::ZERO)
            .is_none(),
        "the caller is not connected before the key"
    );
    mobile.command("sndcode", "1");
    assert!(
        caller.wait_event("CALL_ESTABLISHED", LONG).is_some(),
        "the caller is connected once 1 is pressed; server: {}",
        app.log()
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    caller.hangup();
    assert!(mobile.wait_event("CALL_CLOSED", LONG).is_some());
    tokio::time::sleep(Duration::from_millis(500)).await;

    let at_mobile = heard(&mobile.received_audio().unwrap());
    let connected = burst_power(&at_mobile, CALLER);
    assert!(
        connected > 1e-3,
        "the mobile hears the caller once connected"
    );
    // The first 2 s are the prompt: speech, without the caller's tone (the speech's own
    // energy near 440 Hz stays far below the tone's, about 0.02 at this level).
    let prompt = head(&at_mobile, 2.0);
    assert!(
        prompt.rms() > 1e-3 && burst_power(&prompt, CALLER) < 0.25 * connected,
        "the mobile first heard the prompt, not the caller (rms {}, 440 Hz {} against {connected} once connected)",
        prompt.rms(),
        burst_power(&prompt, CALLER)
    );
    let at_caller = heard(&caller.received_audio().unwrap());
    assert!(
        burst_power(&at_caller, MOBILE) > 1e-3,
        "the caller hears the mobile"
    );
    let (_, calls) = app.get(&format!("/v1/calls?to={MOBILE_NUMBER}")).await;
    assert_eq!(
        calls["data"][0]["status"], "completed",
        "the mobile's leg is a completed call: {calls}"
    );

    // Any other key refuses: the mobile is hung up, the call goes on to 103.
    caller.forget_events();
    mobile.forget_events();
    caller.dial(&format!("sip:58102@{}", app.sip));
    assert!(mobile.wait_event("CALL_ESTABLISHED", LONG).is_some());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    mobile.command("sndcode", "2");
    assert!(
        mobile.wait_event("CALL_CLOSED", LONG).is_some(),
        "the mobile is hung up after refusing"
    );
    assert!(
        operator.wait_event("CALL_ESTABLISHED", LONG).is_some(),
        "the follow-me's no-answer destination took the call; server: {}",
        app.log()
    );
    assert!(caller.wait_event("CALL_ESTABLISHED", LONG).is_some());
    tokio::time::sleep(Duration::from_secs(2)).await;
    caller.hangup();
    assert!(operator.wait_event("CALL_CLOSED", LONG).is_some());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let at_caller = heard(&caller.received_audio().unwrap());
    assert!(
        burst_power(&at_caller, OPERATOR) > 1e-3,
        "the caller talks with 103"
    );
}
