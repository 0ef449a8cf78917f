//! The caller hears one continuous RTP stream for the whole call: prompts played by
//! Switchboard, the dialled party's audio through the bridge, and prompts again after
//! it, all with one SSRC and running sequence numbers and timestamps. baresip says in
//! its log when the stream it receives restarts (a new SSRC, timestamps jumping back),
//! and its recording of what it heard must be one file holding every part, in order.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::json;
use std::time::Duration;
use switchboard_tests::app_harness::*;
use switchboard_tests::audio::{Pcm, read_wav};
use switchboard_tests::webhook_app::Reply;

/// Tones that may be heard: the caller's own (440 Hz, not echoed back), ringback
/// (425 Hz), the first prompt, the dialled party's microphone, the last prompt.
const CANDIDATES: [f64; 5] = [425.0, 440.0, 697.0, 1000.0, 1336.0];
/// A tone at least this strong (Goertzel power; full-scale sine: 0.25) is clearly
/// heard. The prompts are at 0.5 of full scale (0.0625), linphonec's tone at 0.3.
const LEVEL: f64 = 1e-3;

/// What the recording holds, 100 ms at a time: the strongest candidate of each window
/// if it is clearly heard; then runs of one tone, with their lengths in windows.
fn tone_runs(pcm: &Pcm) -> Vec<(f64, usize)> {
    let window = pcm.rate as usize / 10;
    let mut runs: Vec<(f64, usize)> = Vec::new();
    for chunk in pcm.samples.chunks(window).filter(|c| c.len() == window) {
        let part = Pcm {
            rate: pcm.rate,
            channels: 1,
            bits: pcm.bits,
            samples: chunk.to_vec(),
        };
        let tone = part.dominant(&CANDIDATES);
        if part.power_at(tone) < LEVEL {
            continue;
        }
        match runs.last_mut() {
            Some((last, n)) if *last == tone => *n += 1,
            _ => runs.push((tone, 1)),
        }
    }
    runs
}

/// play → dial (bridged to linphonec at 102, which hangs up after 3 s) → the action's
/// play → hangup: baresip, the caller, writes exactly one recording for the call, and
/// it holds the first prompt (697 Hz), then the dialled party (1000 Hz), then the last
/// prompt (1336 Hz), each for most of its length.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_caller_hears_one_stream_through_play_dial_and_play() {
    let s = setup("49000-49199", false).await;
    upload_tone(&s.app, "first", 697.0, 2.0).await;
    upload_tone(&s.app, "last", 1336.0, 2.0).await;
    let (mut callee, _phone_dir) = linphone_102(&s.app, "Yassir").await;
    s.hooks.reply("/status", Reply::Json(json!({})));
    s.hooks.reply(
        "/voice",
        Reply::Json(json!([
            {"verb": "play", "recording": "first"},
            {"verb": "dial", "targets": [{"type": "extension", "number": "102"}],
             "timeout": 20, "action": "/after"},
        ])),
    );
    s.hooks.reply(
        "/after",
        Reply::Json(json!([{"verb": "play", "recording": "last"}, {"verb": "hangup"}])),
    );
    s.caller.dial(&format!("sip:5000@{}", s.app.sip));
    assert!(
        s.caller
            .wait_event("CALL_ESTABLISHED", Duration::from_secs(15))
            .is_some(),
        "not answered; baresip: {:?}\nserver: {}",
        s.caller.events(),
        s.app.log()
    );
    assert!(
        callee.wait_output("connected", Duration::from_secs(20)),
        "the dialled extension answered: {}\nserver: {}",
        callee.output(),
        s.app.log()
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    callee.terminate();
    assert!(
        s.caller
            .wait_event("CALL_CLOSED", Duration::from_secs(20))
            .is_some(),
        "the application played the last prompt and hung up; server: {}",
        s.app.log()
    );
    let after = s.hooks.wait_for("/after", 1, Duration::from_secs(5)).await;
    assert_eq!(
        after[0].body["dial_call_status"], "completed",
        "{}",
        after[0].body
    );
    tokio::time::sleep(Duration::from_millis(300)).await;

    // What baresip itself says about the stream it received: a new SSRC means it
    // restarted (its jitter buffer and decoder state start afresh), and a frame
    // discarded as "old" means the timestamps jumped backwards.
    let log = s.caller.log();
    let restarts: Vec<&str> = ["SSRC changed", "discard old frame"]
        .iter()
        .flat_map(|needle| log.match_indices(needle))
        .map(|(at, _)| log[at..].lines().next().unwrap_or_default())
        .collect();
    assert!(
        restarts.is_empty(),
        "the caller's phone saw its received stream restart: {restarts:#?}"
    );
    let files = s.caller.received_audio_files();
    assert_eq!(
        files.len(),
        1,
        "one received stream for the whole call, not one per part: {files:?}\nbaresip: {}",
        s.caller.log()
    );
    let pcm = read_wav(&std::fs::read(&files[0]).unwrap());
    // Short runs are the edges between parts (two tones in one window) and ringback.
    let heard: Vec<(f64, usize)> = tone_runs(&pcm)
        .into_iter()
        .filter(|(tone, n)| [697.0, 1000.0, 1336.0].contains(tone) && *n >= 3)
        .collect();
    let order: Vec<f64> = heard.iter().map(|(tone, _)| *tone).collect();
    assert_eq!(
        order,
        [697.0, 1000.0, 1336.0],
        "the prompt, the dialled party, the last prompt, in that order (runs of 100 ms \
         windows: {heard:?}; all: {:?})",
        tone_runs(&pcm)
    );
    // Each part is heard for most of its length (2 s, about 3 s, 2 s), not cut short.
    for ((tone, windows), least) in heard.iter().zip([15, 20, 15]) {
        assert!(
            *windows >= least,
            "{tone} Hz heard for {windows} × 100 ms, expected at least {least}: {heard:?}"
        );
    }
}
