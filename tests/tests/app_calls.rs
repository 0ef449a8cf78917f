//! Calls driven by a webhook application: a softphone calls a number bound to an
//! application; Switchboard POSTs signed webhook requests to a real HTTP app written
//! here, executes the verb documents it answers, and the softphone's recording shows
//! what it heard.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use reqwest::Method;
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};
use switchboard_tests::audio::{Pcm, read_wav, tone_wav};
use switchboard_tests::peers::{Baresip, SipTransport};
use switchboard_tests::webhook_app::{Reply, WebhookApp};
use switchboard_tests::{Backend, TestApp};

/// The failure tone's frequencies (ITU-T E.180 special information tone).
const SIT: [f64; 3] = [950.0, 1400.0, 1800.0];

struct Setup {
    app: TestApp,
    hooks: WebhookApp,
    caller: Baresip,
    _dir: tempfile::TempDir,
}

/// A server with extension 101 (baresip registered, sending `mic_freq`), an application
/// whose voice URL is `/voice` on a test webhook app, and number 5000 bound to it.
async fn setup(rtp_ports: &str, fallback: bool) -> Setup {
    setup_with(rtp_ports, fallback, json!({})).await
}

/// [`setup`] with more fields for the application (`webhook` settings).
async fn setup_with(rtp_ports: &str, fallback: bool, extra: serde_json::Value) -> Setup {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[("SWITCHBOARD_RTP_PORTS", rtp_ports.to_owned())],
    )
    .await;
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

async fn wait_registered(app: &TestApp, number: &str) {
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

async fn upload_tone(app: &TestApp, name: &str, freq: f64, seconds: f64) {
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
async fn call_until_closed(s: &Setup, within: Duration) -> std::path::PathBuf {
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
fn burst_power(pcm: &Pcm, freq: f64) -> f64 {
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
fn assert_heard_failure_tone(recording: &Path) {
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
async fn error_event(hooks: &WebhookApp) -> serde_json::Value {
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

async fn last_call(app: &TestApp) -> serde_json::Value {
    let (_, calls) = app.get("/v1/calls?to=5000").await;
    calls["data"][0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)] // the webhook app runs while the test blocks on peers
async fn play_a_recording_then_hang_up() {
    let s = setup("42000-42199", false).await;
    upload_tone(&s.app, "tone1k", 1000.0, 1.5).await;
    s.hooks.reply(
        "/voice",
        Reply::Json(json!([
            {"verb": "play", "recording": "tone1k", "loop": 2},
            {"verb": "hangup"}
        ])),
    );
    let recording = call_until_closed(&s, Duration::from_secs(15)).await;
    let pcm = read_wav(&std::fs::read(&recording).unwrap());
    assert!(pcm.duration_ms() >= 2500, "heard {} ms", pcm.duration_ms());
    let candidates = [440.0, 697.0, 1000.0, 1336.0, 2000.0];
    assert_eq!(
        pcm.dominant(&candidates),
        1000.0,
        "the caller hears the recording"
    );
    assert!(pcm.rms() > 0.1, "loud enough: rms {}", pcm.rms());

    // The webhook request describes the call, and is signed.
    let requests = s.hooks.received_on("/voice");
    assert_eq!(requests.len(), 1, "{:?}\n{}", requests, s.app.log());
    let r = &requests[0].body;
    assert_eq!(
        (r["from"].as_str(), r["to"].as_str()),
        (Some("101"), Some("5000"))
    );
    assert_eq!(r["direction"], "inbound");
    assert_eq!(r["caller_name"], "Djaouad");
    assert!(r["call_sid"].as_str().unwrap().starts_with("CA"), "{r}");
    assert!(r["sip"]["call_id"].is_string(), "{r}");
    s.hooks.assert_all_signed();

    let call = last_call(&s.app).await;
    assert_eq!(call["status"], "completed", "{call}");
    assert_eq!(call["hangup"]["by"], "system", "{call}");
    assert_eq!(call["sid"], r["call_sid"]);
    assert!(call["duration"].as_u64().unwrap() >= 2, "{call}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)] // the webhook app runs while the test blocks on peers
async fn say_speaks_and_pause_waits() {
    let s = setup("42200-42399", false).await;
    s.hooks.reply(
        "/voice",
        Reply::Json(json!([
            {"verb": "pause", "length": 1},
            {"verb": "say", "text": "Welcome to Switchboard. Your call is important to us."},
            {"verb": "hangup"}
        ])),
    );
    let recording = call_until_closed(&s, Duration::from_secs(20)).await;
    let pcm = read_wav(&std::fs::read(&recording).unwrap());
    // One second of silence, then about three seconds of speech.
    assert!(pcm.duration_ms() >= 3000, "heard {} ms", pcm.duration_ms());
    let rate = pcm.rate as usize;
    let first = &pcm.samples[..rate * 8 / 10];
    let rest = &pcm.samples[rate..];
    let rms = |x: &[f64]| (x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64).sqrt();
    assert!(rms(first) < 0.01, "the pause is silent: rms {}", rms(first));
    assert!(rms(rest) > 0.03, "speech was heard: rms {}", rms(rest));
    s.hooks.assert_all_signed();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)] // the webhook app runs while the test blocks on peers
async fn failing_webhook_is_retried_then_fallback_then_the_caller_hears_the_failure() {
    let s = setup("42400-42599", true).await;
    s.hooks.reply("/voice", Reply::Status(500));
    s.hooks
        .reply("/fallback", Reply::Slow(Duration::from_secs(9), json!([])));
    s.hooks.reply("/status", Reply::Json(json!({})));
    let recording = call_until_closed(&s, Duration::from_secs(40)).await;
    // voice_url: first attempt and one retry; then the fallback (timing out) and its retry.
    assert_eq!(s.hooks.received_on("/voice").len(), 2);
    assert_eq!(s.hooks.received_on("/fallback").len(), 2);
    assert_heard_failure_tone(&recording);
    let e = &error_event(&s.hooks).await;
    assert_eq!(e["event"], "error", "{e}");
    assert_eq!(e["error"]["code"], "webhook_failed", "{e}");
    assert!(
        e["error"]["message"].as_str().unwrap().contains("attempt"),
        "{e}"
    );
    s.hooks.assert_all_signed();
    let call = last_call(&s.app).await;
    assert_eq!(call["status"], "failed", "{call}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)] // the webhook app runs while the test blocks on peers
async fn invalid_document_is_reported_with_index_and_field() {
    let s = setup("42600-42799", false).await;
    s.hooks.reply(
        "/voice",
        Reply::Json(json!([
            {"verb": "pause", "length": 1},
            {"verb": "gather", "num_digits": "two"}
        ])),
    );
    s.hooks.reply("/status", Reply::Json(json!({})));
    let recording = call_until_closed(&s, Duration::from_secs(20)).await;
    assert_heard_failure_tone(&recording);
    let e = &error_event(&s.hooks).await["error"];
    assert_eq!(e["code"], "invalid_document", "{e}");
    assert_eq!(e["document"]["index"], 1, "{e}");
    assert_eq!(e["document"]["verb"], "gather", "{e}");
    assert_eq!(e["document"]["field"], "num_digits", "{e}");
    // An invalid document is not retried.
    assert_eq!(s.hooks.received_on("/voice").len(), 1);
    let log = s.app.log();
    assert!(log.contains("num_digits"), "the log names the field: {log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)] // the webhook app runs while the test blocks on peers
async fn reject_refuses_without_answering() {
    let s = setup("42800-42999", false).await;
    s.hooks.reply(
        "/voice",
        Reply::Json(json!([{"verb": "reject", "reason": "busy"}])),
    );
    s.caller.dial(&format!("sip:5000@{}", s.app.sip));
    let closed = s
        .caller
        .wait_event("CALL_CLOSED", Duration::from_secs(15))
        .expect("the call was refused");
    assert!(
        closed.to_string().contains("486"),
        "busy: {closed}; events {:?}",
        s.caller.events()
    );
    assert!(
        s.caller
            .events()
            .iter()
            .all(|e| e["type"] != "CALL_ESTABLISHED"),
        "never answered"
    );
    let call = last_call(&s.app).await;
    assert_eq!(call["status"], "busy", "{call}");
    assert_eq!(call["answer_time"], serde_json::Value::Null, "{call}");
}

/// SIPp calls 5000 and presses 1 (RFC 4733 events from sip-tester's capture) while a
/// long prompt plays: the key stops the prompt (barge-in) and reaches `action`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gather_collects_rfc4733_keys_with_barge_in() {
    use switchboard_tests::peers::{Sipp, free_sip_port};
    let s = setup("43000-43199", false).await;
    upload_tone(&s.app, "long-prompt", 697.0, 2.0).await;
    s.hooks.reply(
        "/voice",
        Reply::Json(json!([
            {"verb": "gather", "num_digits": 1, "timeout": 10, "action": "/digits",
             "prompts": [{"verb": "play", "recording": "long-prompt", "loop": 0}]},
            {"verb": "say", "text": "We did not get your choice."}
        ])),
    );
    // Keeps the call up until the caller hangs up.
    s.hooks.reply(
        "/digits",
        Reply::Json(json!([{"verb": "pause", "length": 30}])),
    );
    let caller = tokio::task::spawn_blocking({
        let sip = s.app.sip;
        move || {
            Sipp::start(
                "uac_dtmf.xml",
                sip,
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
            .wait(Duration::from_secs(30))
        }
    })
    .await
    .unwrap();
    caller.assert_ok("the caller's call with a key press");
    // The prompt loops forever: only barge-in can have ended it before the caller's BYE.
    let digits = s.hooks.wait_for("/digits", 1, Duration::from_secs(5)).await;
    assert_eq!(
        digits.len(),
        1,
        "action reached once; server: {}",
        s.app.log()
    );
    let body = &digits[0].body;
    assert_eq!(body["digits"], "1", "{body}");
    assert_eq!(body["reason"], "num_digits", "{body}");
    assert_eq!(body["call_status"], "in-progress", "{body}");
    let voice = &s.hooks.received_on("/voice")[0].body;
    assert_eq!(body["call_sid"], voice["call_sid"]);
    s.hooks.assert_all_signed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let call = last_call(&s.app).await;
    assert_eq!(call["status"], "completed", "{call}");
    assert_eq!(call["hangup"]["by"], "caller", "{call}");
}

/// No key pressed: `gather` ends on its timeout and the call goes on with the next verb
/// (its action is never called).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gather_without_input_falls_through() {
    let s = setup("43200-43399", false).await;
    upload_tone(&s.app, "tone1k", 1000.0, 1.5).await;
    s.hooks.reply(
        "/voice",
        Reply::Json(json!([
            {"verb": "gather", "timeout": 1, "action": "/digits"},
            {"verb": "play", "recording": "tone1k"},
            {"verb": "hangup"}
        ])),
    );
    let recording = call_until_closed(&s, Duration::from_secs(15)).await;
    let pcm = read_wav(&std::fs::read(&recording).unwrap());
    assert_eq!(pcm.dominant(&[440.0, 697.0, 1000.0, 1336.0]), 1000.0);
    assert!(
        s.hooks.received_on("/digits").is_empty(),
        "no input, no action"
    );
}

/// A phone that sends keys as tones in its audio (no RFC 4733): baresip's microphone is a
/// file holding the tones of 4 then 2; `gather` hears them (Goertzel detector).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gather_hears_inband_dtmf_tones() {
    let s = setup("43400-43599", false).await;
    s.hooks.reply(
        "/voice",
        Reply::Json(json!([
            {"verb": "gather", "num_digits": 2, "timeout": 8, "action": "/digits"},
            {"verb": "hangup"}
        ])),
    );
    s.hooks
        .reply("/digits", Reply::Json(json!([{"verb": "hangup"}])));
    // A second caller whose microphone presses 4 and 2 after a second of silence.
    let dir = tempfile::tempdir().unwrap();
    let mic = dir.path().join("keys.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&mic, spec).unwrap();
    let pair = |low: f64, high: f64, ms: usize| -> Vec<i16> {
        (0..ms * 8)
            .map(|i| {
                let t = i as f64 / 8000.0;
                let v = (2.0 * std::f64::consts::PI * low * t).sin()
                    + (2.0 * std::f64::consts::PI * high * t).sin();
                (v * 0.25 * 32767.0) as i16
            })
            .collect()
    };
    let mut audio = vec![0i16; 8000];
    audio.extend(pair(770.0, 1209.0, 150)); // 4
    audio.extend(vec![0i16; 8 * 150]);
    audio.extend(pair(697.0, 1336.0, 150)); // 2
    audio.extend(vec![0i16; 8000 * 20]);
    for v in audio {
        w.write_sample(v).unwrap();
    }
    w.finalize().unwrap();
    let (status, body) = s
        .app
        .post(
            "/v1/extensions",
            json!({"number": "102", "name": "Keys", "password": "secret-102"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let keys_phone = Baresip::start("102", "secret-102", s.app.sip, SipTransport::Udp, &mic);
    wait_registered(&s.app, "102").await;
    keys_phone.dial(&format!("sip:5000@{}", s.app.sip));
    let digits = s
        .hooks
        .wait_for("/digits", 1, Duration::from_secs(15))
        .await;
    assert_eq!(
        digits.len(),
        1,
        "the tones were heard as keys; server: {}",
        s.app.log()
    );
    assert_eq!(digits[0].body["digits"], "42", "{}", digits[0].body);
    assert_eq!(digits[0].body["from"], "102");
    assert!(
        keys_phone
            .wait_event("CALL_CLOSED", Duration::from_secs(10))
            .is_some()
    );
}

/// `redirect` to a relative URL, then `play` of a WAV file fetched over HTTP (44.1 kHz
/// stereo, converted by the server), with a relative URL resolved against the document.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_then_play_a_wav_from_a_url() {
    let s = setup("43600-43799", false).await;
    s.hooks.reply(
        "/voice",
        Reply::Json(json!([{"verb": "redirect", "url": "/ivr/second"}])),
    );
    s.hooks.reply(
        "/ivr/second",
        Reply::Json(json!([{"verb": "play", "url": "media/tone.wav"}, {"verb": "hangup"}])),
    );
    s.hooks.reply(
        "/ivr/media/tone.wav",
        Reply::File("audio/wav", tone_wav(1336.0, 2.0, 44100, 2, 16, false, 0.5)),
    );
    let recording = call_until_closed(&s, Duration::from_secs(15)).await;
    let pcm = read_wav(&std::fs::read(&recording).unwrap());
    assert_eq!(pcm.dominant(&[440.0, 697.0, 1000.0, 1336.0]), 1336.0);
    assert!(pcm.duration_ms() >= 1800, "heard {} ms", pcm.duration_ms());
    let second = s.hooks.received_on("/ivr/second");
    assert_eq!(second.len(), 1, "redirected once");
    assert_eq!(second[0].body["to"], "5000");
    assert_eq!(
        s.hooks.received_on("/ivr/media/tone.wav").len(),
        1,
        "fetched once"
    );
    s.hooks.assert_all_signed();
}

/// Status callbacks (initiated, answered, completed) go through the outbox: a failing
/// callback URL does not disturb the call, and every event arrives once it recovers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_callbacks_are_retried_until_delivered() {
    let s = setup("43800-43999", false).await;
    upload_tone(&s.app, "tone1k", 1000.0, 1.0).await;
    s.hooks.reply("/status", Reply::Status(503));
    s.hooks.reply(
        "/voice",
        Reply::Json(json!([{"verb": "play", "recording": "tone1k"}, {"verb": "hangup"}])),
    );
    let recording = call_until_closed(&s, Duration::from_secs(15)).await;
    let pcm = read_wav(&std::fs::read(&recording).unwrap());
    assert_eq!(pcm.dominant(&[440.0, 1000.0]), 1000.0, "the call went on");
    let failed = s.hooks.wait_for("/status", 3, Duration::from_secs(5)).await;
    assert!(failed.len() >= 3, "three events attempted: {failed:?}");
    // The application recovers: the outbox retries until each event is delivered.
    let before = s.hooks.received_on("/status").len();
    s.hooks.reply("/status", Reply::Json(json!({})));
    let deadline = Instant::now() + Duration::from_secs(20);
    let delivered = loop {
        let after: Vec<_> = s.hooks.received_on("/status")[before..].to_vec();
        let events: std::collections::BTreeSet<String> = after
            .iter()
            .map(|r| r.body["event"].as_str().unwrap_or("").to_owned())
            .collect();
        if events.len() >= 3 || Instant::now() > deadline {
            break after;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let by_event = |name: &str| {
        delivered
            .iter()
            .find(|r| r.body["event"] == name)
            .unwrap_or_else(|| panic!("{name} was never delivered: {delivered:?}"))
            .body
            .clone()
    };
    let initiated = by_event("initiated");
    let answered = by_event("answered");
    let completed = by_event("completed");
    assert_eq!(initiated["call_sid"], completed["call_sid"]);
    assert_eq!(answered["call_status"], "in-progress", "{answered}");
    assert_eq!(completed["call_status"], "completed", "{completed}");
    assert!(completed["duration"].as_u64().is_some(), "{completed}");
    assert!(completed["timestamp"].is_string(), "{completed}");
    s.hooks.assert_all_signed();
}

/// `record`: after a beep the caller's audio (its 440 Hz tone) is recorded for
/// `max_length`, saved as a recording of kind `call`, and the action gets its URL; the
/// recording status callback gets it too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_saves_what_the_caller_says() {
    let s = setup("44000-44199", false).await;
    s.hooks.reply(
        "/voice",
        Reply::Json(json!([
            {"verb": "record", "max_length": 3, "finish_on_key": "#", "action": "/recorded",
             "recording_status_callback": "/recording-status"},
            {"verb": "say", "text": "not reached"}
        ])),
    );
    s.hooks
        .reply("/recorded", Reply::Json(json!([{"verb": "hangup"}])));
    s.hooks.reply("/recording-status", Reply::Json(json!({})));
    let heard = call_until_closed(&s, Duration::from_secs(20)).await;
    // The caller heard the beep first.
    let pcm = read_wav(&std::fs::read(&heard).unwrap());
    assert_eq!(pcm.dominant(&[440.0, 1000.0, 1400.0]), 1000.0, "the beep");

    let action = s.hooks.received_on("/recorded");
    assert_eq!(action.len(), 1, "{}", s.app.log());
    let body = &action[0].body;
    assert_eq!(body["reason"], "max_length", "{body}");
    let duration = body["recording_duration"].as_u64().unwrap();
    assert!((2..=4).contains(&duration), "{body}");
    let url = body["recording_url"].as_str().unwrap();
    assert!(
        url.starts_with("/v1/recordings/RE") && url.ends_with("/audio"),
        "{body}"
    );

    // The saved audio is the caller's tone.
    let response = s.app.send_raw(s.app.req(Method::GET, url)).await;
    assert_eq!(response.0, 200);
    let recorded = read_wav(&response.1);
    assert!(
        recorded.duration_ms() >= 2000,
        "{} ms",
        recorded.duration_ms()
    );
    assert_eq!(recorded.dominant(&[440.0, 1000.0]), 440.0);
    assert!(recorded.rms() > 0.05, "rms {}", recorded.rms());
    let sid = body["recording_sid"].as_str().unwrap();
    let (status, meta) = s.app.get(&format!("/v1/recordings/{sid}")).await;
    assert_eq!(status, 200, "{meta}");
    assert_eq!(meta["kind"], "call", "{meta}");

    let callback = s
        .hooks
        .wait_for("/recording-status", 1, Duration::from_secs(5))
        .await;
    assert_eq!(callback.len(), 1);
    assert_eq!(callback[0].body["event"], "recording");
    assert_eq!(callback[0].body["recording_url"], url);
    s.hooks.assert_all_signed();
}

/// A live call steered through the REST API: redirected to inline verbs (the caller's
/// audio changes from 697 Hz to 1336 Hz), then hung up; bad orders get clear errors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_call_redirected_then_hung_up_through_the_api() {
    let s = setup("44200-44399", false).await;
    upload_tone(&s.app, "low", 697.0, 1.0).await;
    upload_tone(&s.app, "high", 1336.0, 1.0).await;
    s.hooks.reply(
        "/voice",
        Reply::Json(json!([{"verb": "play", "recording": "low", "loop": 0}])),
    );
    s.caller.dial(&format!("sip:5000@{}", s.app.sip));
    assert!(
        s.caller
            .wait_event("CALL_ESTABLISHED", Duration::from_secs(15))
            .is_some()
    );
    let sid = s.hooks.received_on("/voice")[0].body["call_sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, live) = s.app.get(&format!("/v1/calls/{sid}")).await;
    assert_eq!(
        (status, live["status"].as_str()),
        (200, Some("in-progress")),
        "{live}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;

    // Invalid orders: precise 422s, and the call goes on.
    let (status, body) = s
        .app
        .post(
            &format!("/v1/calls/{sid}"),
            json!({"verbs": [{"verb": "play"}]}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "verbs[0].url", "{body}");
    let (status, body) = s.app.post(&format!("/v1/calls/{sid}"), json!({})).await;
    assert_eq!(status, 422, "{body}");

    let (status, body) = s
        .app
        .post(
            &format!("/v1/calls/{sid}"),
            json!({"verbs": [{"verb": "play", "recording": "high", "loop": 0}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (status, body) = s
        .app
        .post(&format!("/v1/calls/{sid}"), json!({"status": "completed"}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        s.caller
            .wait_event("CALL_CLOSED", Duration::from_secs(10))
            .is_some(),
        "the caller saw the hangup"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pcm = read_wav(&std::fs::read(s.caller.received_audio().unwrap()).unwrap());
    let half = pcm.samples.len() / 2;
    let part = |samples: &[f64]| Pcm {
        rate: pcm.rate,
        channels: 1,
        bits: pcm.bits,
        samples: samples.to_vec(),
    };
    let candidates = [440.0, 697.0, 1000.0, 1336.0];
    assert_eq!(
        part(&pcm.samples[..half]).dominant(&candidates),
        697.0,
        "before"
    );
    assert_eq!(
        part(&pcm.samples[half..]).dominant(&candidates),
        1336.0,
        "after"
    );

    let (_, ended) = s.app.get(&format!("/v1/calls/{sid}")).await;
    assert_eq!(ended["status"], "completed", "{ended}");
    assert_eq!(
        ended["hangup"]["reason"], "hung up through the API",
        "{ended}"
    );
    // The call is over: it can no longer be steered.
    let (status, body) = s
        .app
        .post(&format!("/v1/calls/{sid}"), json!({"status": "completed"}))
        .await;
    assert_eq!(status, 409, "{body}");
    let (status, _) = s
        .app
        .post("/v1/calls/CAnothere", json!({"status": "completed"}))
        .await;
    assert_eq!(status, 404);
}

/// `dial`: the application bridges the caller (linphonec at 102, sending 1000 Hz) to
/// extension 101 (baresip, sending 440 Hz); audio flows both ways; when the dialled
/// party hangs up, the action gets `dial_call_status` and the call goes on with its
/// answer. An extension without a device gives `no-answer` at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dial_bridges_the_caller_to_an_extension_then_continues() {
    use switchboard_tests::peers::Linphone;
    let s = setup("44400-44599", false).await;
    for (n, name) in [("102", "Yassir"), ("103", "Nobody")] {
        let (status, body) = s
            .app
            .post(
                "/v1/extensions",
                json!({"number": n, "name": name, "password": format!("secret-{n}")}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let dir = tempfile::tempdir().unwrap();
    let caller_mic = dir.path().join("caller.wav");
    std::fs::write(&caller_mic, tone_wav(1000.0, 40.0, 8000, 1, 16, false, 0.3)).unwrap();
    let mut caller = Linphone::start(
        "102",
        "secret-102",
        "switchboard",
        s.app.sip,
        SipTransport::Udp,
        &caller_mic,
    );
    wait_registered(&s.app, "102").await;
    s.hooks.reply(
        "/voice",
        Reply::Json(json!([
            {"verb": "dial", "targets": [{"type": "extension", "number": "103"}],
             "action": "/nobody"},
        ])),
    );
    s.hooks.reply(
        "/nobody",
        Reply::Json(json!([
            {"verb": "dial", "targets": [{"type": "extension", "number": "101"}],
             "timeout": 20, "action": "/after"}
        ])),
    );
    s.hooks.reply(
        "/after",
        Reply::Json(json!([{"verb": "pause", "length": 1}, {"verb": "hangup"}])),
    );
    caller.call(&format!("sip:5000@{}", s.app.sip));
    let callee = &s.caller; // baresip at 101 answers by itself
    assert!(
        callee
            .wait_event("CALL_ESTABLISHED", Duration::from_secs(20))
            .is_some(),
        "the dialled extension answered; caller: {}\nserver: {}",
        caller.output(),
        s.app.log()
    );
    tokio::time::sleep(Duration::from_secs(4)).await;
    callee.hangup();
    assert!(
        caller.wait_output("ended", Duration::from_secs(15)),
        "the application ended the call after the dial: {}\nserver: {}",
        caller.output(),
        s.app.log()
    );
    let nobody = s.hooks.received_on("/nobody");
    assert_eq!(nobody.len(), 1);
    assert_eq!(
        nobody[0].body["dial_call_status"], "no-answer",
        "{}",
        nobody[0].body
    );
    let after = s.hooks.received_on("/after");
    assert_eq!(after.len(), 1, "{}", s.app.log());
    let body = &after[0].body;
    assert_eq!(body["dial_call_status"], "completed", "{body}");
    let child = body["dial_call_sid"].as_str().unwrap();
    let (_, record) = s.app.get(&format!("/v1/calls/{child}")).await;
    assert_eq!(record["parent_call_sid"], body["call_sid"], "{record}");
    assert_eq!(record["to"], "101", "{record}");
    assert_eq!(record["hangup"]["by"], "callee", "{record}");

    // Audio both ways through the bridge.
    caller.command("record /dev/null"); // close the recording file
    tokio::time::sleep(Duration::from_millis(500)).await;
    let candidates = [425.0, 440.0, 1000.0];
    let heard_by_callee = read_wav(&std::fs::read(callee.received_audio().unwrap()).unwrap());
    assert_eq!(
        heard_by_callee.dominant(&candidates),
        1000.0,
        "the callee heard the caller"
    );
    assert!(
        heard_by_callee.rms() > 0.05,
        "rms {}",
        heard_by_callee.rms()
    );
    let heard_by_caller = read_wav(&std::fs::read(caller.recording()).unwrap());
    assert!(
        burst_power(&heard_by_caller, 440.0) > 20.0 * burst_power(&heard_by_caller, 1000.0),
        "the caller heard the callee"
    );
    // (Ringback plays while the devices ring; baresip answers at once, so it may be
    // too short to measure here.)
    s.hooks.assert_all_signed();
}

/// `POST /v1/calls`: Switchboard rings a registered softphone; once it answers, the
/// inline verbs play a recording it hears; the call record shows the outbound call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_api_places_an_outbound_call_that_plays_a_document() {
    let s = setup("44600-44799", false).await;
    upload_tone(&s.app, "notice", 1336.0, 1.5).await;
    s.hooks.reply("/status", Reply::Json(json!({})));
    let (_, apps) = s.app.get("/v1/applications").await;
    let app_id = apps["data"][0]["id"].as_str().unwrap().to_owned();

    // Bad requests are refused precisely.
    let (status, body) = s
        .app
        .post(
            "/v1/calls",
            json!({"from": "5000", "to": "999", "application_id": app_id}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("to")),
        "{body}"
    );
    let (status, body) = s
        .app
        .post(
            "/v1/calls",
            json!({"from": "5000", "to": "101", "application_id": app_id,
                   "verbs": [{"verb": "pause", "length": 0}]}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "verbs[0].length", "{body}");

    let (status, call) = s
        .app
        .post(
            "/v1/calls",
            json!({"from": "5000", "to": "101", "application_id": app_id,
                   "verbs": [{"verb": "play", "recording": "notice"}, {"verb": "hangup"}]}),
        )
        .await;
    assert_eq!(status, 201, "{call}");
    assert_eq!(call["direction"], "outbound", "{call}");
    // Placed at once: by the time the answer is read, the phone may already ring or talk.
    assert!(
        ["queued", "ringing", "in-progress"].contains(&call["status"].as_str().unwrap()),
        "{call}"
    );
    let sid = call["sid"].as_str().unwrap().to_owned();
    assert!(
        s.caller
            .wait_event("CALL_ESTABLISHED", Duration::from_secs(15))
            .is_some(),
        "the softphone answered; server: {}",
        s.app.log()
    );
    assert!(
        s.caller
            .wait_event("CALL_CLOSED", Duration::from_secs(15))
            .is_some(),
        "the document hung up"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pcm = read_wav(&std::fs::read(s.caller.received_audio().unwrap()).unwrap());
    assert_eq!(
        pcm.dominant(&[440.0, 1000.0, 1336.0]),
        1336.0,
        "the softphone heard the document"
    );
    let (_, record) = s.app.get(&format!("/v1/calls/{sid}")).await;
    assert_eq!(record["status"], "completed", "{record}");
    assert_eq!(record["to"], "101", "{record}");
    assert_eq!(record["from"], "5000", "{record}");
    assert!(record["answer_time"].is_string(), "{record}");
    let events: Vec<String> = s
        .hooks
        .wait_for("/status", 4, Duration::from_secs(5))
        .await
        .iter()
        .map(|r| r.body["event"].as_str().unwrap_or("").to_owned())
        .collect();
    for expected in ["initiated", "ringing", "answered", "completed"] {
        assert!(
            events.contains(&expected.to_owned()),
            "{expected} in {events:?}"
        );
    }
    s.hooks.assert_all_signed();
}

/// The application's own webhook settings apply: no retry and a short read timeout mean
/// one attempt, abandoned quickly, then the failure tone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn application_webhook_settings_apply() {
    let s = setup_with(
        "44800-44999",
        false,
        json!({"webhook": {"retries": 0, "read_timeout_ms": 800}}),
    )
    .await;
    s.hooks
        .reply("/voice", Reply::Slow(Duration::from_secs(4), json!([])));
    let recording = call_until_closed(&s, Duration::from_secs(15)).await;
    assert_eq!(s.hooks.received_on("/voice").len(), 1, "no retry");
    assert_heard_failure_tone(&recording);
    let log = s.app.log();
    assert!(
        log.contains("no answer within 2800 ms"),
        "connect + read timeout: {log}"
    );
}

/// `enqueue` and a `dial` to the queue: linphonec (102, 1000 Hz) calls 5000 and waits in
/// queue `support` hearing the `wait_url` music (697 Hz); an agent call placed through the
/// Calls API to baresip (101, 440 Hz) dials the queue and is bridged to the caller; when
/// the agent hangs up, the caller's `enqueue` action gets `bridged` and its queue time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enqueue_then_an_agent_dials_the_queue() {
    use switchboard_tests::peers::Linphone;
    let s = setup("45000-45199", false).await;
    upload_tone(&s.app, "music", 697.0, 1.0).await;
    let (status, body) = s
        .app
        .post(
            "/v1/extensions",
            json!({"number": "102", "name": "Waiting", "password": "secret-102"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    s.hooks.reply(
        "/voice",
        Reply::Json(json!([
            {"verb": "enqueue", "queue": "support", "wait_url": "/hold", "action": "/dequeued"},
            {"verb": "say", "text": "not reached"}
        ])),
    );
    s.hooks.reply(
        "/hold",
        Reply::Json(json!([{"verb": "play", "recording": "music"}])),
    );
    s.hooks
        .reply("/dequeued", Reply::Json(json!([{"verb": "hangup"}])));
    s.hooks
        .reply("/agent-after", Reply::Json(json!([{"verb": "hangup"}])));
    let dir = tempfile::tempdir().unwrap();
    let mic = dir.path().join("caller.wav");
    std::fs::write(&mic, tone_wav(1000.0, 40.0, 8000, 1, 16, false, 0.3)).unwrap();
    let mut caller = Linphone::start(
        "102",
        "secret-102",
        "switchboard",
        s.app.sip,
        SipTransport::Udp,
        &mic,
    );
    wait_registered(&s.app, "102").await;
    caller.call(&format!("sip:5000@{}", s.app.sip));
    let hold = s.hooks.wait_for("/hold", 1, Duration::from_secs(15)).await;
    assert_eq!(
        hold.len(),
        1,
        "the caller waits in the queue; server: {}",
        s.app.log()
    );
    tokio::time::sleep(Duration::from_secs(3)).await; // some music

    let (_, apps) = s.app.get("/v1/applications").await;
    let (status, agent) = s
        .app
        .post(
            "/v1/calls",
            json!({"from": "5000", "to": "101", "application_id": apps["data"][0]["id"],
                   "verbs": [{"verb": "dial", "targets": [{"type": "queue", "queue": "support"}],
                              "action": "/agent-after"}]}),
        )
        .await;
    assert_eq!(status, 201, "{agent}");
    let agent_phone = &s.caller;
    assert!(
        agent_phone
            .wait_event("CALL_ESTABLISHED", Duration::from_secs(15))
            .is_some(),
        "the agent answered"
    );
    tokio::time::sleep(Duration::from_secs(4)).await;
    agent_phone.hangup();
    assert!(
        caller.wait_output("ended", Duration::from_secs(15)),
        "the caller's call ended after the queue: {}\nserver: {}",
        caller.output(),
        s.app.log()
    );
    let dequeued = s.hooks.received_on("/dequeued");
    assert_eq!(dequeued.len(), 1, "{}", s.app.log());
    assert_eq!(
        dequeued[0].body["reason"], "bridged",
        "{}",
        dequeued[0].body
    );
    assert!(
        dequeued[0].body["queue_time"].as_u64().unwrap() >= 3,
        "{}",
        dequeued[0].body
    );

    caller.command("record /dev/null");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let heard_by_caller = read_wav(&std::fs::read(caller.recording()).unwrap());
    assert!(
        burst_power(&heard_by_caller, 697.0) > 1e-3,
        "the caller heard the hold music"
    );
    assert!(
        burst_power(&heard_by_caller, 440.0) > 20.0 * burst_power(&heard_by_caller, 1000.0),
        "the caller heard the agent"
    );
    let heard_by_agent = read_wav(&std::fs::read(agent_phone.received_audio().unwrap()).unwrap());
    assert_eq!(
        heard_by_agent.dominant(&[440.0, 697.0, 1000.0]),
        1000.0,
        "the agent heard the caller"
    );
    s.hooks.assert_all_signed();
}

/// `dial` to a SIP URI (a phone reached directly, not registered here): audio flows; a
/// `number` target that is no extension is reported to the status callback, the other
/// target still rings.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dial_a_sip_uri() {
    use switchboard_tests::peers::Linphone;
    let s = setup("45200-45399", false).await;
    let (status, body) = s
        .app
        .post(
            "/v1/extensions",
            json!({"number": "102", "name": "Remote", "password": "secret-102"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let dir = tempfile::tempdir().unwrap();
    let mic = dir.path().join("remote.wav");
    std::fs::write(&mic, tone_wav(1000.0, 40.0, 8000, 1, 16, false, 0.3)).unwrap();
    let mut remote = Linphone::start(
        "102",
        "secret-102",
        "switchboard",
        s.app.sip,
        SipTransport::Udp,
        &mic,
    );
    s.hooks.reply(
        "/voice",
        Reply::Json(json!([
            {"verb": "dial", "action": "/after", "targets": [
                {"type": "number", "number": "0032555"},
                {"type": "sip", "uri": format!("sip:remote@127.0.0.1:{}", remote.sip_port)}
            ]}
        ])),
    );
    s.hooks
        .reply("/after", Reply::Json(json!([{"verb": "hangup"}])));
    s.hooks.reply("/status", Reply::Json(json!({})));
    s.caller.dial(&format!("sip:5000@{}", s.app.sip));
    assert!(
        remote.wait_output("connected", Duration::from_secs(20)),
        "the SIP URI answered: {}\nserver: {}",
        remote.output(),
        s.app.log()
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    remote.terminate();
    assert!(
        s.caller
            .wait_event("CALL_CLOSED", Duration::from_secs(15))
            .is_some()
    );
    let after = s.hooks.wait_for("/after", 1, Duration::from_secs(5)).await;
    assert_eq!(after.len(), 1, "{}", s.app.log());
    assert_eq!(
        after[0].body["dial_call_status"], "completed",
        "{}",
        after[0].body
    );
    remote.command("record /dev/null");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let heard = read_wav(&std::fs::read(remote.recording()).unwrap());
    assert_eq!(
        heard.dominant(&[440.0, 1000.0]),
        440.0,
        "the remote phone heard the caller"
    );
    let e = error_event(&s.hooks).await;
    assert_eq!(e["error"]["code"], "unroutable_number", "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("matches no outbound route"),
        "{e}"
    );
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("targets[0]"),
        "{e}"
    );
}

/// `dial` to a number that is no extension goes through the outbound routes: the
/// matching route's trunk gets the INVITE (prefix stripped) at its host and port (SIPp
/// plays the provider and answers); the caller's hangup ends both legs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dial_through_a_trunk() {
    use switchboard_tests::peers::{Sipp, free_sip_port};
    let s = setup("45400-45599", false).await;
    let port = free_sip_port();
    let (status, body) = s
        .app
        .post(
            "/v1/trunks",
            json!({"name": "provider", "host": "127.0.0.1", "port": port, "transport": "udp"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = s
        .app
        .post(
            "/v1/outbound-routes",
            json!({"name": "international", "trunks": ["provider"],
                   "dial_patterns": [{"prefix": "9", "match_pattern": "00."}]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let provider = Sipp::start("uas_answer.xml", s.app.sip, port, SipTransport::Udp, &[]);
    s.hooks.reply(
        "/voice",
        // 90032123456: outbound route "international" strips the 9 and sends the rest
        // through trunk "provider".
        Reply::Json(json!([
            {"verb": "dial", "targets": [{"type": "number", "number": "90032123456"}]}
        ])),
    );
    s.caller.dial(&format!("sip:5000@{}", s.app.sip));
    tokio::time::sleep(Duration::from_secs(3)).await;
    s.caller.hangup();
    let provider = tokio::task::spawn_blocking(move || provider.wait(Duration::from_secs(15)))
        .await
        .unwrap();
    provider.assert_ok("the provider answered and got the BYE");
    assert!(
        provider
            .messages
            .contains("INVITE sip:0032123456@127.0.0.1"),
        "{}",
        provider.messages
    );
    let (_, calls) = s.app.get("/v1/calls?to=90032123456").await;
    let leg = &calls["data"][0];
    assert_eq!(leg["direction"], "outbound", "{calls}");
    assert_eq!(leg["status"], "completed", "{calls}");
}
