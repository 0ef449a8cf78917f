//! Shared set-up for the tests of application calls: a server with extension 101
//! (baresip registered), a webhook app in the test, number 5000 bound to its application;
//! and helpers to measure what a phone heard.

#![allow(clippy::unwrap_used)] // Test set-up fails loudly on the first surprise.

use crate::audio::{Pcm, read_wav, tone_wav};
use crate::peers::{Baresip, SipTransport};
use crate::webhook_app::WebhookApp;
use crate::{Backend, TestApp};
use reqwest::Method;
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};

/// The failure tone's frequencies (ITU-T E.180 special information tone).
pub const SIT: [f64; 3] = [950.0, 1400.0, 1800.0];

#[derive(Debug)]
pub struct Setup {
    pub app: TestApp,
    pub hooks: WebhookApp,
    pub caller: Baresip,
    _dir: tempfile::TempDir,
}

/// A server with extension 101 (baresip registered, sending `mic_freq`), an application
/// whose voice URL is `/voice` on a test webhook app, and number 5000 bound to it.
pub async fn setup(rtp_ports: &str, fallback: bool) -> Setup {
    setup_with(rtp_ports, fallback, json!({})).await
}

/// [`setup`] with more fields for the application (`webhook` settings).
pub async fn setup_with(rtp_ports: &str, fallback: bool, extra: serde_json::Value) -> Setup {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[("SWITCHBOARD_RTP_PORTS", rtp_ports.to_owned())],
    )
    .await;
    setup_on(app, fallback, extra).await
}

/// [`setup_with`] on a server started by the caller (its data on a small disk, say).
pub async fn setup_on(app: TestApp, fallback: bool, extra: serde_json::Value) -> Setup {
    let hooks = WebhookApp::start().await;
    let (status, body) = app
        .post(
            "/v1/extensions",
            json!({"number": "101", "name": "Djaouad", "password": "secret-101"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let mut application = json!({
        "name": "Test app",
        "voice_url": format!("{}/voice", hooks.url),
        "status_callback": format!("{}/status", hooks.url),
    });
    if fallback {
        application["fallback_url"] = json!(format!("{}/fallback", hooks.url));
    }
    for (k, v) in extra.as_object().unwrap() {
        application[k] = v.clone();
    }
    let (status, created) = app.post("/v1/applications", application).await;
    assert_eq!(status, 201, "{created}");
    hooks.set_secret(created["signing_secret"].as_str().unwrap());
    let (status, body) = app
        .post(
            "/v1/numbers",
            json!({"number": "5000", "application_id": created["id"]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let dir = tempfile::tempdir().unwrap();
    let mic = dir.path().join("mic.wav");
    std::fs::write(&mic, tone_wav(440.0, 40.0, 8000, 1, 16, false, 0.3)).unwrap();
    let caller = Baresip::start("101", "secret-101", app.sip, SipTransport::Udp, &mic);
    wait_registered(&app, "101").await;
    Setup {
        app,
        hooks,
        caller,
        _dir: dir,
    }
}

/// Places a call through the API (`POST /v1/calls` with `body`) and waits (30 s at
/// most) until it is in progress: its sid.
pub async fn call_in_progress(app: &TestApp, body: serde_json::Value) -> String {
    let (status, placed) = app.post("/v1/calls", body).await;
    assert_eq!(status, 201, "{placed}");
    let sid = placed["sid"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    while app.get(&format!("/v1/calls/{sid}")).await.1["status"] != "in-progress" {
        assert!(Instant::now() < deadline, "{}", app.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    sid
}

/// Creates extension `number` and registers SIPp as it from `port` (a SIPp callee then
/// listens there).
pub async fn register_sipp(app: &TestApp, number: &str, port: u16) {
    let password = format!("pw-{number}-secret");
    let (status, body) = app
        .post(
            "/v1/extensions",
            json!({"number": number, "name": "SIPp", "password": password}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    register_sipp_again(app, number, port).await;
}

/// Registers SIPp as existing extension `number` (password `pw-<number>-secret`) from
/// `port`: another device of it.
pub async fn register_sipp_again(app: &TestApp, number: &str, port: u16) {
    let password = format!("pw-{number}-secret");
    let number = number.to_owned();
    let sip = app.sip;
    tokio::task::spawn_blocking(move || {
        crate::peers::Sipp::start(
            "register.xml",
            sip,
            port,
            SipTransport::Udp,
            &[
                "-s", &number, "-au", &number, "-ap", &password, "-key", "expires", "300",
            ],
        )
        .wait(Duration::from_secs(30))
        .assert_ok("register");
    })
    .await
    .unwrap();
}

pub async fn wait_registered(app: &TestApp, number: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (_, list) = app
            .get(&format!("/v1/registrations?extension={number}"))
            .await;
        if list["data"].as_array().is_some_and(|d| !d.is_empty()) {
            return;
        }
        assert!(Instant::now() < deadline, "{number} did not register");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn upload_tone(app: &TestApp, name: &str, freq: f64, seconds: f64) {
    // 16 kHz stereo: the server converts it to 8 kHz mono on upload.
    let (status, body) = app
        .send(
            app.req(Method::POST, &format!("/v1/recordings?name={name}"))
                .header("content-type", "audio/wav")
                .body(tone_wav(freq, seconds, 16000, 2, 16, false, 0.5)),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

/// Calls 5000 and waits until the server hangs up; returns the caller's recording.
pub async fn call_until_closed(s: &Setup, within: Duration) -> std::path::PathBuf {
    s.caller.dial(&format!("sip:5000@{}", s.app.sip));
    assert!(
        s.caller.wait_event("CALL_ESTABLISHED", within).is_some(),
        "not answered; baresip: {:?}\nserver: {}",
        s.caller.events(),
        s.app.log()
    );
    assert!(
        s.caller.wait_event("CALL_CLOSED", within).is_some(),
        "the application did not end the call; server: {}",
        s.app.log()
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    s.caller.received_audio().expect("baresip recorded")
}

/// The highest power at `freq` over 100 ms windows: a tone heard in several bursts
/// (whose phases may cancel over the whole file) shows in each burst.
pub fn burst_power(pcm: &Pcm, freq: f64) -> f64 {
    let window = pcm.rate as usize / 10;
    pcm.samples
        .chunks(window)
        .filter(|c| c.len() == window)
        .map(|c| {
            Pcm {
                rate: pcm.rate,
                channels: 1,
                bits: pcm.bits,
                samples: c.to_vec(),
            }
            .power_at(freq)
        })
        .fold(0.0, f64::max)
}

/// The caller heard every tone of the failure signal, clearly above the others.
pub fn assert_heard_failure_tone(recording: &Path) {
    let pcm = read_wav(&std::fs::read(recording).unwrap());
    let background = burst_power(&pcm, 440.0).max(burst_power(&pcm, 1000.0));
    for f in SIT {
        let p = burst_power(&pcm, f);
        assert!(
            p > 20.0 * background && p > 1e-3,
            "the caller hears the failure tone at {f} Hz: power {p}, background {background}"
        );
    }
}

/// The `error` event the status callback received.
pub async fn error_event(hooks: &WebhookApp) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found = hooks
            .received_on("/status")
            .into_iter()
            .find(|r| r.body["event"] == "error");
        if let Some(r) = found {
            return r.body;
        }
        assert!(
            Instant::now() < deadline,
            "no error event: {:?}",
            hooks.received_on("/status")
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn last_call(app: &TestApp) -> serde_json::Value {
    let (_, calls) = app.get("/v1/calls?to=5000").await;
    calls["data"][0].clone()
}

/// Extension 102 (`name`, password `secret-102`) with linphonec registered to it, its
/// microphone a 1000 Hz tone. The folder holds the phone's files: keep it while the
/// phone runs.
pub async fn linphone_102(
    app: &TestApp,
    name: &str,
) -> (crate::peers::Linphone, tempfile::TempDir) {
    let (status, body) = app
        .post(
            "/v1/extensions",
            json!({"number": "102", "name": name, "password": "secret-102"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let dir = tempfile::tempdir().expect("temporary folder");
    let mic = dir.path().join("caller.wav");
    std::fs::write(&mic, tone_wav(1000.0, 40.0, 8000, 1, 16, false, 0.3)).expect("mic file");
    let phone = crate::peers::Linphone::start(
        "102",
        "secret-102",
        "switchboard",
        app.sip,
        SipTransport::Udp,
        &mic,
    );
    wait_registered(app, "102").await;
    (phone, dir)
}

/// POSTs `body` to `path`, expects 201, and returns what was created.
pub async fn create(app: &TestApp, path: &str, body: serde_json::Value) -> serde_json::Value {
    let (status, b) = app.post(path, body).await;
    assert_eq!(status, 201, "{path}: {b}");
    b
}

/// An 8 kHz tone at `freq` for two minutes in `dir`: a phone's microphone.
pub fn tone_mic(dir: &Path, name: &str, freq: f64) -> std::path::PathBuf {
    let path = dir.join(format!("{name}.wav"));
    std::fs::write(&path, tone_wav(freq, 120.0, 8000, 1, 16, false, 0.3)).expect("microphone");
    path
}

/// Baresip registered as a new extension `number` (password `pw-<number>-secret`),
/// its microphone a tone at `freq`; `extra` fields go into the extension's body.
pub async fn phone_with(
    app: &TestApp,
    dir: &Path,
    number: &str,
    freq: f64,
    extra: serde_json::Value,
) -> Baresip {
    let password = format!("pw-{number}-secret");
    let mut body =
        json!({"number": number, "name": format!("Phone {number}"), "password": password});
    if let Some(fields) = extra.as_object() {
        for (k, v) in fields {
            body[k] = v.clone();
        }
    }
    create(app, "/v1/extensions", body).await;
    let p = Baresip::start(
        number,
        &password,
        app.sip,
        SipTransport::Udp,
        &tone_mic(dir, number, freq),
    );
    wait_registered(app, number).await;
    p
}

/// [`phone_with`] without extra fields.
pub async fn phone(app: &TestApp, dir: &Path, number: &str, freq: f64) -> Baresip {
    phone_with(app, dir, number, freq, json!({})).await
}

/// `file` cut in 100 ms windows, each with its power (mean square).
fn windows(file: &Path) -> Vec<(Pcm, f64)> {
    let pcm = read_wav(&std::fs::read(file).expect("recording"));
    let window = pcm.rate as usize / 10;
    pcm.samples
        .chunks(window)
        .filter(|c| c.len() == window)
        .map(|c| {
            let w = Pcm {
                rate: pcm.rate,
                channels: 1,
                bits: pcm.bits,
                samples: c.to_vec(),
            };
            let total = w.rms().powi(2);
            (w, total)
        })
        .collect()
}

/// How many 100 ms windows of `file` are mostly a tone at `freq` (its length heard).
pub fn tone_windows(file: &Path, freq: f64) -> usize {
    windows(file)
        .iter()
        .filter(|(w, total)| *total > 1e-5 && w.power_at(freq) > 0.3 * total)
        .count()
}

/// How many 100 ms windows of `file` are speech: sound that is none of `tones`.
pub fn speech_windows(file: &Path, tones: &[f64]) -> usize {
    windows(file)
        .iter()
        .filter(|(w, total)| *total > 2e-5 && tones.iter().all(|f| w.power_at(*f) < 0.1 * total))
        .count()
}

/// The latest ended record of a call to `to` in `direction` (`inbound`, `outbound`) on
/// `app`, once it has ended (waits up to 10 s).
pub async fn ended_call(app: &TestApp, to: &str, direction: &str) -> serde_json::Value {
    for _ in 0..100 {
        let (_, calls) = app.get(&format!("/v1/calls?to={to}")).await;
        if let Some(c) = calls["data"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["direction"] == direction && c["end_time"].is_string())
        {
            return c.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no ended {direction} call to {to}:\n{}", app.log());
}

/// The files under a data folder's `recordings/` and `tmp/` (`recordings/RE….wav`),
/// sorted; a missing folder holds none.
pub fn audio_files(data_dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    for dir in ["recordings", "tmp"] {
        if let Ok(entries) = std::fs::read_dir(data_dir.join(dir)) {
            files.extend(
                entries.map(|e| format!("{dir}/{}", e.unwrap().file_name().to_string_lossy())),
            );
        }
    }
    files.sort();
    files
}
