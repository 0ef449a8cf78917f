//! The seed's IVR with real phones (number 5000 leads to it): key 3 and silence replay
//! the announcement, the third invalid key leaves for the invalid destination, and key
//! 2 rings ring group 302 — round robin across successive calls, then least recent —
//! in the order the call history dictates.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::json;
use std::time::Duration;
use switchboard_tests::app_harness::{create, phone, upload_tone};
use switchboard_tests::audio::{Pcm, read_wav};
use switchboard_tests::peers::Baresip;
use switchboard_tests::{Backend, TestApp};

const LONG: Duration = Duration::from_secs(30);
const ANNOUNCEMENT: f64 = 697.0;

/// The runs of the announcement's tone in what `file` holds: each run is one playing.
fn announcements(file: &std::path::Path) -> usize {
    let pcm = read_wav(&std::fs::read(file).unwrap());
    let window = pcm.rate as usize / 10;
    let tone: Vec<bool> = pcm
        .samples
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
            total > 1e-5 && w.power_at(ANNOUNCEMENT) > 0.3 * total
        })
        .collect();
    // A run: at least 5 tone windows in a row (half a second of the 1.5 s tone).
    tone.split(|t| !t).filter(|run| run.len() >= 5).count()
}

/// Calls 5000 from `caller` and waits for the IVR to answer.
fn call_ivr(app: &TestApp, caller: &Baresip) {
    caller.forget_events();
    caller.dial(&format!("sip:5000@{}", app.sip));
    assert!(
        caller.wait_event("CALL_ESTABLISHED", LONG).is_some(),
        "{}",
        app.log()
    );
}

async fn hang_up(caller: &Baresip) {
    caller.hangup();
    assert!(caller.wait_event("CALL_CLOSED", LONG).is_some());
    tokio::time::sleep(Duration::from_millis(500)).await;
}

/// Which of `members` answered (its CALL_ESTABLISHED), forgetting their events.
async fn answered<'a>(app: &TestApp, members: &'a [(&'a str, &'a Baresip)]) -> &'a str {
    let who = tokio::time::timeout(LONG, async {
        loop {
            if let Some((n, _)) = members
                .iter()
                .find(|(_, p)| p.events().iter().any(|e| e["type"] == "CALL_ESTABLISHED"))
            {
                return *n;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no member answered; server: {}", app.log()));
    for (_, p) in members {
        p.forget_events();
    }
    who
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ivr_repeats_handles_invalid_keys_and_rings_302_in_strategy_order() {
    let app = TestApp::spawn_with(
        Backend::Postgres,
        &[("SWITCHBOARD_RTP_PORTS", "49600-49799".to_owned())],
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let caller = phone(&app, dir.path(), "58101", 440.0).await;
    let a = phone(&app, dir.path(), "58104", 1000.0).await;
    let b = phone(&app, dir.path(), "58105", 1336.0).await;
    let operator = phone(&app, dir.path(), "58106", 852.0).await;
    upload_tone(&app, "VoicemailCenter", ANNOUNCEMENT, 1.5).await;
    create(
        &app,
        "/v1/ring-groups",
        json!({"number": "302", "name": "Technical",
        "members": ["58104", "58105"], "strategy": "roundrobin", "ring_time": 5}),
    )
    .await;
    create(
        &app,
        "/v1/ivrs",
        json!({"name": "VoicemailCenter",
        "announcement": {"recording": "VoicemailCenter"}, "timeout": 4,
        "options": {"2": "ringgroup:302", "3": "repeat"},
        "invalid_destination": "extension:58106"}),
    )
    .await;
    create(
        &app,
        "/v1/numbers",
        json!({"number": "5000", "destination": "ivr:VoicemailCenter"}),
    )
    .await;

    // Key 3 replays the menu; so does silence (4 s after the announcement).
    call_ivr(&app, &caller);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    caller.command("sndcode", "3");
    // The third play starts about 5.5 s after the key (1.5 s replay, 4 s of silence);
    // hanging up 9 s after it leaves a slow call set-up under load a second of margin
    // (the fourth would come 5.5 s after the third).
    tokio::time::sleep(Duration::from_millis(9000)).await;
    hang_up(&caller).await;
    let heard = caller.received_audio().unwrap();
    assert_eq!(
        announcements(&heard),
        3,
        "first, after key 3, after the silence"
    );

    // Three invalid keys: the third leaves for the invalid destination.
    call_ivr(&app, &caller);
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(2500)).await;
        assert!(
            operator.events().is_empty(),
            "not before the third invalid key"
        );
        caller.command("sndcode", "9");
    }
    assert!(
        operator.wait_event("CALL_ESTABLISHED", LONG).is_some(),
        "the invalid destination answered; server: {}",
        app.log()
    );
    hang_up(&caller).await;
    operator.forget_events();

    // Key 2: 302 rings one member at a time, the round starting after the member that
    // answered last; then least recent first.
    let members = [("58104", &a), ("58105", &b)];
    let mut order = Vec::new();
    for round in 0..5 {
        if round == 3 {
            let (status, body) = app
                .patch("/v1/ring-groups/302", json!({"strategy": "leastrecent"}))
                .await;
            assert_eq!(status, 200, "{body}");
        }
        call_ivr(&app, &caller);
        tokio::time::sleep(Duration::from_millis(1000)).await;
        caller.command("sndcode", "2");
        order.push(answered(&app, &members).await);
        tokio::time::sleep(Duration::from_millis(1000)).await;
        hang_up(&caller).await;
    }
    assert_eq!(
        order,
        ["58104", "58105", "58104", "58105", "58104"],
        "roundrobin ×3 then leastrecent ×2"
    );
}
