//! Calls driven by a webhook application: a softphone calls a number bound to an
//! application; Switchboard POSTs signed webhook requests to a real HTTP app written
//! here, executes the verb documents it answers, and the softphone's recording shows
//! what it heard.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use reqwest::Method;
use serde_json::json;
use std::time::{Duration, Instant};
use switchboard_tests::app_harness::*;
use switchboard_tests::audio::{read_wav, tone_wav};
use switchboard_tests::peers::{Baresip, SipTransport};
use switchboard_tests::webhook_app::Reply;

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
    use switchboard_tests::peers::Sipp;
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
        move || Sipp::call(sip, "uac_dtmf.xml", ("101", "secret-101"), "5000", &[])
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

/// An application fetched with GET (`voice_method`): the call's fields arrive as query
/// parameters, the signature covers the full URL (checked by the test app), and the
/// document it returns plays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_documents_are_signed_over_the_url() {
    let s = setup_with("46600-46799", false, json!({"voice_method": "GET"})).await;
    upload_tone(&s.app, "tone697", 697.0, 1.0).await;
    s.hooks.reply(
        "/voice",
        Reply::Json(json!([{"verb": "play", "recording": "tone697"}, {"verb": "hangup"}])),
    );
    let recording = call_until_closed(&s, Duration::from_secs(15)).await;
    let pcm = read_wav(&std::fs::read(&recording).unwrap());
    assert_eq!(pcm.dominant(&[440.0, 697.0, 1000.0, 1336.0]), 697.0);
    let requests = s.hooks.received_on("/voice");
    assert_eq!(requests.len(), 1, "{requests:?}");
    let r = &requests[0];
    assert_eq!(r.method, "GET");
    assert!(r.signature_ok, "signed over the URL");
    assert_eq!(
        (r.body["from"].as_str(), r.body["to"].as_str()),
        (Some("101"), Some("5000")),
        "{}",
        r.body
    );
    assert!(
        r.body["call_sid"].as_str().unwrap().starts_with("CA"),
        "{}",
        r.body
    );
    s.hooks.assert_all_signed();
}
