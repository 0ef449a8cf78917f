//! Softphones call each other through Switchboard: baresip and linphonec register to
//! extensions made through the REST API, one calls the other by number, each sends a
//! tone of its own and records what it hears. The recordings must hold the other
//! side's tone: audio went both ways, through Switchboard's relay.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};
use switchboard_tests::audio::tone_wav;
use switchboard_tests::peers::{Baresip, Linphone, SipTransport};
use switchboard_tests::{Backend, TestApp};

const CALLER_TONE: f64 = 440.0;
const CALLEE_TONE: f64 = 1000.0;
const CANDIDATES: [f64; 5] = [440.0, 697.0, 1000.0, 1336.0, 2000.0];

async fn extension(app: &TestApp, number: &str, name: &str) {
    let (status, body) = app
        .post(
            "/v1/extensions",
            json!({"number": number, "name": name, "password": format!("secret-{number}")}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

async fn wait_registered(app: &TestApp, number: &str, transport: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (_, list) = app
            .get(&format!("/v1/registrations?extension={number}"))
            .await;
        if list["data"]
            .as_array()
            .is_some_and(|d| d.iter().any(|r| r["transport"] == transport))
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{number} did not register over {transport}: {list}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn write_tone(dir: &Path, name: &str, freq: f64) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, tone_wav(freq, 40.0, 8000, 1, 16, false, 0.5)).unwrap();
    path
}

fn assert_heard(recording: &Path, expected: f64, who: &str) {
    switchboard_tests::audio::assert_heard(recording, expected, &CANDIDATES, who);
}

async fn assert_call_record(app: &TestApp, from: &str, to: &str, hung_up_by: &str) {
    let (_, calls) = app.get(&format!("/v1/calls?from={from}&to={to}")).await;
    let parent = calls["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["direction"] == "inbound")
        .unwrap_or_else(|| panic!("no record of the call: {calls}"))
        .clone();
    assert_eq!(parent["status"], "completed", "{parent}");
    assert_eq!(parent["hangup"]["by"], hung_up_by, "{parent}");
    assert!(parent["duration"].as_u64().unwrap() >= 2, "{parent}");
    assert!(parent["answer_time"].is_string() && parent["end_time"].is_string());
    let sid = parent["sid"].as_str().unwrap();
    let (status, one) = app.get(&format!("/v1/calls/{sid}")).await;
    assert_eq!(status, 200);
    assert_eq!(one, parent);
}

/// baresip (101) calls linphonec (102) over `transport`.
async fn baresip_calls_linphone(backend: Backend, transport: SipTransport) {
    let app = TestApp::spawn_with(
        backend,
        &[("SWITCHBOARD_RTP_PORTS", "40000-40999".to_owned())],
    )
    .await;
    extension(&app, "101", "Djaouad").await;
    extension(&app, "102", "Yassir").await;
    let dir = tempfile::tempdir().unwrap();
    let caller_mic = write_tone(dir.path(), "caller.wav", CALLER_TONE);
    let callee_mic = write_tone(dir.path(), "callee.wav", CALLEE_TONE);
    let t = if transport == SipTransport::Udp {
        "udp"
    } else {
        "tcp"
    };

    let baresip = Baresip::start("101", "secret-101", app.sip, transport, &caller_mic);
    let mut linphone = Linphone::start(
        "102",
        "secret-102",
        "switchboard",
        app.sip,
        transport,
        &callee_mic,
    );
    wait_registered(&app, "101", t).await;
    wait_registered(&app, "102", t).await;

    baresip.dial(&format!("sip:102@{}", app.sip));
    assert!(
        baresip
            .wait_event("CALL_ESTABLISHED", Duration::from_secs(15))
            .is_some(),
        "call not established; baresip: {:?}\nlinphone: {}\nserver: {}",
        baresip.events(),
        linphone.output(),
        app.log()
    );
    assert!(
        linphone.wait_output("connected", Duration::from_secs(5)),
        "{}",
        linphone.output()
    );
    assert!(
        linphone.output().contains("\"Djaouad\""),
        "caller name passed on: {}",
        linphone.output()
    );
    tokio::time::sleep(Duration::from_secs(4)).await;
    baresip.hangup();
    assert!(
        baresip
            .wait_event("CALL_CLOSED", Duration::from_secs(10))
            .is_some()
    );
    assert!(
        linphone.wait_output("ended", Duration::from_secs(10)),
        "the callee saw the hangup: {}",
        linphone.output()
    );

    // Media went through our relay: baresip received RTP from our port range.
    let log = baresip.log();
    assert!(
        log.contains("receiving from 127.0.0.1:40"),
        "anchored media: {log}"
    );
    linphone.command("record /dev/null"); // close the recording file
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_heard(
        &baresip.received_audio().expect("baresip recorded"),
        CALLEE_TONE,
        "the caller (baresip)",
    );
    assert_heard(&linphone.recording(), CALLER_TONE, "the callee (linphonec)");
    assert_call_record(&app, "101", "102", "caller").await;
}

/// linphonec (102) calls baresip (101), and the callee hangs up.
async fn linphone_calls_baresip(backend: Backend, transport: SipTransport) {
    let app = TestApp::spawn_with(
        backend,
        &[("SWITCHBOARD_RTP_PORTS", "41000-41999".to_owned())],
    )
    .await;
    extension(&app, "101", "Djaouad").await;
    extension(&app, "102", "Yassir").await;
    let dir = tempfile::tempdir().unwrap();
    let baresip_mic = write_tone(dir.path(), "b.wav", CALLER_TONE);
    let linphone_mic = write_tone(dir.path(), "l.wav", CALLEE_TONE);
    let t = if transport == SipTransport::Udp {
        "udp"
    } else {
        "tcp"
    };
    let baresip = Baresip::start("101", "secret-101", app.sip, transport, &baresip_mic);
    let mut linphone = Linphone::start(
        "102",
        "secret-102",
        "switchboard",
        app.sip,
        transport,
        &linphone_mic,
    );
    wait_registered(&app, "101", t).await;
    wait_registered(&app, "102", t).await;

    linphone.call(&format!("sip:101@{}", app.sip.ip()));
    assert!(
        baresip
            .wait_event("CALL_ESTABLISHED", Duration::from_secs(15))
            .is_some(),
        "call not established; linphone: {}\nserver: {}",
        linphone.output(),
        app.log()
    );
    tokio::time::sleep(Duration::from_secs(4)).await;
    baresip.hangup();
    assert!(
        linphone.wait_output("ended", Duration::from_secs(10)),
        "{}",
        linphone.output()
    );
    linphone.command("record /dev/null");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_heard(
        &baresip.received_audio().expect("baresip recorded"),
        CALLEE_TONE,
        "the callee (baresip)",
    );
    assert_heard(&linphone.recording(), CALLER_TONE, "the caller (linphonec)");
    assert_call_record(&app, "102", "101", "callee").await;
}

#[tokio::test]
async fn sqlite_baresip_calls_linphone_over_udp() {
    baresip_calls_linphone(Backend::Sqlite, SipTransport::Udp).await;
}

#[tokio::test]
async fn postgres_baresip_calls_linphone_over_tcp() {
    baresip_calls_linphone(Backend::Postgres, SipTransport::Tcp).await;
}

#[tokio::test]
async fn postgres_linphone_calls_baresip_over_udp() {
    linphone_calls_baresip(Backend::Postgres, SipTransport::Udp).await;
}

#[tokio::test]
async fn sqlite_linphone_calls_baresip_over_tcp() {
    linphone_calls_baresip(Backend::Sqlite, SipTransport::Tcp).await;
}

/// A phone that speaks only A-law calls one that speaks only µ-law: Switchboard
/// converts between them, and each still hears the other's tone.
#[tokio::test]
async fn alaw_and_ulaw_phones_hear_each_other() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[("SWITCHBOARD_RTP_PORTS", "38000-38999".to_owned())],
    )
    .await;
    extension(&app, "101", "A-law phone").await;
    extension(&app, "102", "u-law phone").await;
    let dir = tempfile::tempdir().unwrap();
    let alaw_mic = write_tone(dir.path(), "a.wav", CALLER_TONE);
    let ulaw_mic = write_tone(dir.path(), "u.wav", CALLEE_TONE);
    let caller = Baresip::start_with_codecs(
        "101",
        "secret-101",
        app.sip,
        SipTransport::Udp,
        &alaw_mic,
        "PCMA",
    );
    let callee = Baresip::start_with_codecs(
        "102",
        "secret-102",
        app.sip,
        SipTransport::Udp,
        &ulaw_mic,
        "PCMU",
    );
    wait_registered(&app, "101", "udp").await;
    wait_registered(&app, "102", "udp").await;
    caller.dial(&format!("sip:102@{}", app.sip));
    assert!(
        caller
            .wait_event("CALL_ESTABLISHED", Duration::from_secs(15))
            .is_some(),
        "call not established: {:?}\n{}",
        caller.events(),
        app.log()
    );
    tokio::time::sleep(Duration::from_secs(4)).await;
    caller.hangup();
    assert!(
        callee
            .wait_event("CALL_CLOSED", Duration::from_secs(10))
            .is_some()
    );
    // Each phone only offers (and accepts) its one codec, so hearing each other at all
    // means Switchboard converted every packet.
    assert_heard(
        &caller.received_audio().expect("caller recorded"),
        CALLEE_TONE,
        "the A-law caller",
    );
    assert_heard(
        &callee.received_audio().expect("callee recorded"),
        CALLER_TONE,
        "the µ-law callee",
    );
}

/// RFC 4733 events (DTMF) pressed by a caller reach the callee through the relay.
#[tokio::test]
async fn dtmf_events_are_relayed() {
    use switchboard_tests::peers::Sipp;
    let app = TestApp::spawn(Backend::Sqlite).await;
    extension(&app, "101", "Caller").await;
    extension(&app, "102", "Callee").await;
    let dir = tempfile::tempdir().unwrap();
    let mic = write_tone(dir.path(), "m.wav", CALLEE_TONE);
    let callee = Baresip::start("102", "secret-102", app.sip, SipTransport::Udp, &mic);
    wait_registered(&app, "102", "udp").await;
    let caller = tokio::task::spawn_blocking({
        let sip = app.sip;
        move || Sipp::call(sip, "uac_dtmf.xml", ("101", "secret-101"), "102", &[])
    })
    .await
    .unwrap();
    caller.assert_ok("the caller's call with DTMF");
    let event = callee.wait_event("CALL_DTMF_START", Duration::from_secs(5));
    let event = event.unwrap_or_else(|| panic!("no DTMF at the callee: {:?}", callee.events()));
    assert_eq!(event["param"], "1", "{event}");
}
