//! PBX features with real phones: an extension's busy destination, call waiting off,
//! a ring group dialled straight from a phone, `*21` and `*28<index>` with its PIN.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::json;
use std::time::Duration;
use switchboard_tests::app_harness::{burst_power, create, phone_with, register_sipp, upload_tone};
use switchboard_tests::audio::read_wav;
use switchboard_tests::peers::{Baresip, SipTransport, Sipp, free_sip_port};
use switchboard_tests::{Backend, TestApp};

const LONG: Duration = Duration::from_secs(30);

/// `caller` dials `number`, which the server answers, then hangs up itself.
fn feature(app: &TestApp, caller: &Baresip, number: &str) {
    caller.forget_events();
    caller.dial(&format!("sip:{number}@{}", app.sip));
    assert!(
        caller.wait_event("CALL_ESTABLISHED", LONG).is_some(),
        "{}",
        app.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_destinations_call_waiting_ring_groups_and_feature_codes_from_phones() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[("SWITCHBOARD_RTP_PORTS", "49800-49999".to_owned())],
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let caller = phone_with(&app, dir.path(), "101", 440.0, json!({})).await;
    let answerer = phone_with(&app, dir.path(), "103", 440.0, json!({})).await;
    let busy_port = free_sip_port();
    register_sipp(&app, "102", busy_port).await;
    let (status, body) = app
        .patch(
            "/v1/extensions/102",
            json!({"busy_destination": "extension:103"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // 102's phone is busy (486): the call goes to its busy destination, 103.
    let busy = Sipp::start("uas_busy.xml", app.sip, busy_port, SipTransport::Udp, &[]);
    caller.dial(&format!("sip:102@{}", app.sip));
    assert!(
        answerer.wait_event("CALL_ESTABLISHED", LONG).is_some(),
        "103 answered; server: {}",
        app.log()
    );
    let busy = tokio::task::spawn_blocking(move || busy.wait(LONG))
        .await
        .unwrap();
    busy.assert_ok("102 refused busy");
    caller.hangup();
    assert!(answerer.wait_event("CALL_CLOSED", LONG).is_some());
    answerer.forget_events();

    // Call waiting off: 104 on a call is busy at once (486 to the next caller, no
    // second ringing).
    let waiting_off = phone_with(
        &app,
        dir.path(),
        "104",
        440.0,
        json!({"call_waiting": false}),
    )
    .await;
    feature(&app, &caller, "104");
    let first = waiting_off.wait_event("CALL_ESTABLISHED", LONG).unwrap()["id"].clone();
    let sip = app.sip;
    tokio::task::spawn_blocking(move || {
        Sipp::call(sip, "uac_486.xml", ("103", "pw-103-secret"), "104", &[])
            .assert_ok("486 while 104 is on a call");
    })
    .await
    .unwrap();
    assert!(
        waiting_off.events().iter().all(|e| e["id"] == first),
        "104 was not offered a second call: {:?}",
        waiting_off.events()
    );
    caller.hangup();
    assert!(caller.wait_event("CALL_CLOSED", LONG).is_some());

    // A ring group is dialled like an extension.
    create(
        &app,
        "/v1/ring-groups",
        json!({"number": "301", "name": "Info", "members": ["103"]}),
    )
    .await;
    feature(&app, &caller, "301");
    assert!(
        answerer.wait_event("CALL_ESTABLISHED", LONG).is_some(),
        "{}",
        app.log()
    );
    caller.hangup();
    assert!(caller.wait_event("CALL_CLOSED", LONG).is_some());
    answerer.forget_events();

    // A time condition matching all week sends a number's calls to its match
    // destination: 301, whose member answers.
    let all_week = json!([{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "end": "24:00"}]);
    create(&app, "/v1/time-conditions", json!({"id": "1", "name": "Always", "time_zone": "UTC",
        "ranges": all_week, "match_destination": "ringgroup:301", "no_match_destination": "hangup"})).await;
    create(
        &app,
        "/v1/numbers",
        json!({"number": "7000", "destination": "timecondition:1"}),
    )
    .await;
    feature(&app, &caller, "7000");
    assert!(
        answerer.wait_event("CALL_ESTABLISHED", LONG).is_some(),
        "{}",
        app.log()
    );
    caller.hangup();
    assert!(caller.wait_event("CALL_CLOSED", LONG).is_some());

    // A ring group with music: the caller is answered and hears it while 102 rings,
    // until the ring time runs out.
    upload_tone(&app, "hold-music", 852.0, 2.0).await;
    create(
        &app,
        "/v1/ring-groups",
        json!({"number": "302", "name": "Music", "members": ["102"],
        "music": "hold-music", "ring_time": 5}),
    )
    .await;
    let ringing = Sipp::start("uas_ring.xml", app.sip, busy_port, SipTransport::Udp, &[]);
    feature(&app, &caller, "302");
    assert!(
        caller.wait_event("CALL_CLOSED", LONG).is_some(),
        "hung up after the ring time"
    );
    let ringing = tokio::task::spawn_blocking(move || ringing.wait(LONG))
        .await
        .unwrap();
    ringing.assert_ok("102 rang, then was cancelled");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let heard = read_wav(&std::fs::read(caller.received_audio().unwrap()).unwrap());
    assert!(
        burst_power(&heard, 852.0) > 1e-3
            && burst_power(&heard, 852.0) > 10.0 * burst_power(&heard, 425.0),
        "the caller heard the music, not the ringing tone"
    );

    // *21 turns 101's follow-me on, then off.
    let (status, body) = app
        .send(
            app.req(reqwest::Method::PUT, "/v1/extensions/101/follow-me")
                .json(&json!({"numbers": ["103"]})),
        )
        .await;
    assert_eq!(
        (status, body["enabled"].as_bool()),
        (200, Some(false)),
        "{body}"
    );
    for expected in [true, false] {
        feature(&app, &caller, "*21");
        assert!(
            caller.wait_event("CALL_CLOSED", LONG).is_some(),
            "the app says it and hangs up"
        );
        let (_, f) = app.get("/v1/extensions/101/follow-me").await;
        assert_eq!(f["enabled"], expected);
    }

    // *281 asks switch 1's PIN: a wrong one changes nothing, the right one switches it.
    create(
        &app,
        "/v1/daynight",
        json!({"index": 1, "name": "Office", "day_destination": "hangup",
        "night_destination": "hangup", "pin": "4321"}),
    )
    .await;
    for (pin, expected) in [("1111#", "day"), ("4321#", "night")] {
        feature(&app, &caller, "*281");
        tokio::time::sleep(Duration::from_millis(1500)).await;
        caller.command("sndcode", pin);
        assert!(
            caller.wait_event("CALL_CLOSED", LONG).is_some(),
            "{}",
            app.log()
        );
        let (_, switch) = app.get("/v1/daynight/1").await;
        assert_eq!(switch["mode"], expected, "after PIN {pin}");
    }
}

/// Destinations that send calls round in a loop (switch 1 → switch 2 → switch 1…) are
/// cut: the caller hears the failure tone, the application that handed the call over
/// gets an `error` event saying so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loop_of_destinations_is_cut_with_the_failure_tone_and_an_error_event() {
    use switchboard_tests::app_harness::{
        assert_heard_failure_tone, call_until_closed, error_event, setup,
    };
    use switchboard_tests::webhook_app::Reply;
    let s = setup("50200-50399", false).await;
    create(&s.app, "/v1/daynight", json!({"index": 1, "name": "A", "day_destination": "hangup", "night_destination": "hangup"})).await;
    create(&s.app, "/v1/daynight", json!({"index": 2, "name": "B", "day_destination": "daynight:1", "night_destination": "hangup"})).await;
    let (status, body) = s
        .app
        .patch("/v1/daynight/1", json!({"day_destination": "daynight:2"}))
        .await;
    assert_eq!(status, 200, "{body}");
    s.hooks.reply(
        "/voice",
        Reply::Json(json!([{"verb": "redirect", "destination": "daynight:1"}])),
    );
    let heard = call_until_closed(&s, LONG).await;
    assert_heard_failure_tone(&heard);
    let error = error_event(&s.hooks).await;
    assert_eq!(error["error"]["code"], "destination_loop", "{error}");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("daynight:"),
        "{error}"
    );
}
