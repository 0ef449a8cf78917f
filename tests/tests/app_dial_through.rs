//! A `dial` that is all an unanswered call has left connects the caller straight
//! through, as a PBX does (and as every call to an extension does: its built-in
//! document is `[dial the extension]`): the caller is not answered while the callee
//! rings, hears its 180, gets its busy as a 486, and a REST redirect takes the caller
//! back from a connected call.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::json;
use std::time::Duration;
use switchboard_tests::app_harness::*;
use switchboard_tests::audio::{Pcm, read_wav};
use switchboard_tests::peers::{SipTransport, Sipp, free_sip_port};
use switchboard_tests::webhook_app::Reply;

const LONG: Duration = Duration::from_secs(30);
/// Extension 101 as `setup` creates it.
const EXT_101: (&str, &str) = ("101", "secret-101");

/// The latest call to 5000, once it has ended.
async fn ended_call(s: &Setup) -> serde_json::Value {
    for _ in 0..50 {
        let record = last_call(&s.app).await;
        if record["end_time"].is_string() {
            return record;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the call to 5000 never ended: {}", last_call(&s.app).await);
}

/// The status events received for `sid`, in order.
fn events_of(s: &Setup, sid: &str) -> Vec<String> {
    s.hooks
        .received_on("/status")
        .iter()
        .filter(|r| r.body["call_sid"] == sid)
        .map(|r| r.body["event"].as_str().unwrap_or("").to_owned())
        .collect()
}

/// The application's last verb is a `dial`: the caller is never answered by
/// Switchboard; the callee's 180 reaches it, and its 486 becomes the caller's. A `dial`
/// with an `action` answers first: `busy` reaches the action, and so does `canceled`
/// when the caller hangs up while the target rings.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_final_dial_relays_ringing_and_busy_to_the_caller() {
    let s = setup("47000-47199", false).await;
    s.hooks.reply("/status", Reply::Json(json!({})));
    s.hooks.reply(
        "/voice",
        Reply::Json(json!([
            {"verb": "dial", "targets": [{"type": "extension", "number": "102"}], "timeout": 20}
        ])),
    );
    let port = free_sip_port();
    register_sipp(&s.app, "102", port).await;

    // Busy: the callee's 486 is the caller's final answer.
    let callee = Sipp::start("uas_busy.xml", s.app.sip, port, SipTransport::Udp, &[]);
    Sipp::call(s.app.sip, "uac_486.xml", EXT_101, "5000", &[]).assert_ok("486 to the caller");
    callee.wait(LONG).assert_ok("the callee said busy");
    let record = ended_call(&s).await;
    assert_eq!(record["status"], "busy", "{record}");
    assert_eq!(record["hangup"]["sip_code"], 486, "{record}");
    assert!(record["answer_time"].is_null(), "never answered: {record}");
    let sid = record["sid"].as_str().unwrap().to_owned();

    // Ringing: the caller hears the callee's 180 (not a 200 from Switchboard), cancels,
    // and the callee is cancelled too.
    let callee = Sipp::start("uas_ring.xml", s.app.sip, port, SipTransport::Udp, &[]);
    Sipp::call(s.app.sip, "uac_cancel.xml", EXT_101, "5000", &[])
        .assert_ok("180, then CANCEL → 487");
    callee.wait(LONG).assert_ok("the callee was cancelled");
    let record = ended_call(&s).await;
    assert_eq!(
        (record["status"].as_str(), record["hangup"]["by"].as_str()),
        (Some("canceled"), Some("caller")),
        "{record}"
    );

    s.hooks.wait_for("/status", 4, Duration::from_secs(5)).await;
    let events = events_of(&s, &sid);
    assert_eq!(events, ["initiated", "completed"], "busy call: {events:?}");

    // With an action, the dial answers first, and `busy` reaches the action, whose
    // answer goes on with the call (here: hang up).
    s.hooks.reply(
        "/voice",
        Reply::Json(json!([
            {"verb": "dial", "targets": [{"type": "extension", "number": "102"}],
             "action": "/after"}
        ])),
    );
    s.hooks
        .reply("/after", Reply::Json(json!([{"verb": "hangup"}])));
    let callee = Sipp::start("uas_busy.xml", s.app.sip, port, SipTransport::Udp, &[]);
    Sipp::call(s.app.sip, "uac_wait_bye.xml", EXT_101, "5000", &[])
        .assert_ok("answered, then hung up by the action's document");
    callee.wait(LONG).assert_ok("the callee said busy");
    let after = s.hooks.wait_for("/after", 1, Duration::from_secs(5)).await;
    assert_eq!(after.len(), 1, "{}", s.app.log());
    assert_eq!(
        after[0].body["dial_call_status"], "busy",
        "{}",
        after[0].body
    );

    // The caller hangs up while the target rings: the target is cancelled and the
    // action still learns it (`canceled`).
    let callee = Sipp::start("uas_ring.xml", s.app.sip, port, SipTransport::Udp, &[]);
    Sipp::call(s.app.sip, "uac_call.xml", EXT_101, "5000", &["-d", "1500"])
        .assert_ok("answered, then hung up while the target rang");
    callee.wait(LONG).assert_ok("the target was cancelled");
    let after = s.hooks.wait_for("/after", 2, Duration::from_secs(5)).await;
    assert_eq!(after.len(), 2, "{}", s.app.log());
    assert_eq!(
        after[1].body["dial_call_status"], "canceled",
        "{}",
        after[1].body
    );
    s.hooks.assert_all_signed();
}

/// A call connected straight through (linphonec 102 → application → baresip 101) is
/// taken back by a REST redirect: the callee is hung up, the caller stays and hears
/// the new verbs (1336 Hz after the callee's 440 Hz), then a REST hangup ends it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connected_call_is_taken_back_by_a_rest_redirect() {
    let s = setup("47200-47399", false).await;
    s.hooks.reply("/status", Reply::Json(json!({})));
    upload_tone(&s.app, "high", 1336.0, 1.0).await;
    let (mut caller, _phone_dir) = linphone_102(&s.app, "Yassir").await;
    s.hooks.reply(
        "/voice",
        Reply::Json(json!([
            {"verb": "dial", "targets": [{"type": "extension", "number": "101"}]}
        ])),
    );
    caller.call(&format!("sip:5000@{}", s.app.sip));
    let callee = &s.caller; // baresip at 101 answers by itself
    assert!(
        callee
            .wait_event("CALL_ESTABLISHED", Duration::from_secs(20))
            .is_some(),
        "the dialled extension answered; server: {}",
        s.app.log()
    );
    let sid = s.hooks.received_on("/voice")[0].body["call_sid"]
        .as_str()
        .unwrap()
        .to_owned();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (_, live) = s.app.get(&format!("/v1/calls/{sid}")).await;
    assert_eq!(live["status"], "in-progress", "{live}");

    let (status, body) = s
        .app
        .post(
            &format!("/v1/calls/{sid}"),
            json!({"verbs": [{"verb": "play", "recording": "high", "loop": 0}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        callee
            .wait_event("CALL_CLOSED", Duration::from_secs(10))
            .is_some(),
        "the callee was hung up; server: {}",
        s.app.log()
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (status, body) = s
        .app
        .post(&format!("/v1/calls/{sid}"), json!({"status": "completed"}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        caller.wait_output("ended", Duration::from_secs(15)),
        "the caller was hung up: {}\nserver: {}",
        caller.output(),
        s.app.log()
    );
    caller.command("record /dev/null"); // close the recording file
    tokio::time::sleep(Duration::from_millis(500)).await;

    // The caller heard the callee, then the new verbs.
    let heard = read_wav(&std::fs::read(caller.recording()).unwrap());
    let half = heard.samples.len() / 2;
    let part = |samples: &[f64]| Pcm {
        rate: heard.rate,
        channels: 1,
        bits: heard.bits,
        samples: samples.to_vec(),
    };
    let (first, second) = (part(&heard.samples[..half]), part(&heard.samples[half..]));
    assert!(
        burst_power(&first, 440.0) > 10.0 * burst_power(&first, 1336.0),
        "first the callee (440 Hz)"
    );
    assert!(
        burst_power(&second, 1336.0) > 10.0 * burst_power(&second, 440.0),
        "then the redirect's tone (1336 Hz)"
    );

    let (_, record) = s.app.get(&format!("/v1/calls/{sid}")).await;
    assert_eq!(record["status"], "completed", "{record}");
    assert_eq!(record["hangup"]["by"], "system", "{record}");
    assert!(record["answer_time"].is_string(), "{record}");
    let (_, children) = s.app.get("/v1/calls?to=101").await;
    let child = children["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["parent_call_sid"] == sid.as_str())
        .unwrap_or_else(|| panic!("a child record: {children}"));
    assert_eq!(child["status"], "completed", "{child}");
    assert_eq!(
        child["hangup"]["reason"], "redirected through the API",
        "{child}"
    );
    s.hooks.wait_for("/status", 3, Duration::from_secs(5)).await;
    let events = events_of(&s, &sid);
    assert_eq!(events, ["initiated", "answered", "completed"], "{events:?}");
    s.hooks.assert_all_signed();
}

/// `dial` with `record`: the conversation (both directions mixed) is saved as a
/// recording. With an `action` (the caller answered first), the action gets its URL; a
/// dial straight through (no action) reports it to the status callback instead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dial_records_the_conversation() {
    let s = setup("46800-46999", false).await;
    s.hooks.reply("/status", Reply::Json(json!({})));
    let (mut caller, _phone_dir) = linphone_102(&s.app, "Yassir").await;
    let callee = &s.caller; // baresip at 101 (440 Hz) answers by itself

    // 1. Answered first, then dialled, with an action.
    s.hooks.reply(
        "/voice",
        Reply::Json(json!([
            {"verb": "dial", "targets": [{"type": "extension", "number": "101"}],
             "record": true, "action": "/after"}
        ])),
    );
    s.hooks
        .reply("/after", Reply::Json(json!([{"verb": "hangup"}])));
    caller.call(&format!("sip:5000@{}", s.app.sip));
    assert!(
        callee
            .wait_event("CALL_ESTABLISHED", Duration::from_secs(20))
            .is_some(),
        "server: {}",
        s.app.log()
    );
    tokio::time::sleep(Duration::from_secs(4)).await;
    callee.hangup();
    let after = s.hooks.wait_for("/after", 1, Duration::from_secs(10)).await;
    assert_eq!(after.len(), 1, "{}", s.app.log());
    let body = &after[0].body;
    assert_eq!(body["dial_call_status"], "completed", "{body}");
    assert!(body["recording_duration"].as_u64().unwrap() >= 3, "{body}");
    let id = body["recording_sid"].as_str().unwrap().to_owned();
    assert!(
        body["recording_url"].as_str().unwrap().contains(&id),
        "{body}"
    );
    assert_heard_both(&s, &id).await;
    assert!(caller.wait_output("ended", Duration::from_secs(15)));

    // 2. Straight through (no action): the recording is reported to the status callback.
    s.hooks.reply(
        "/voice",
        Reply::Json(json!([
            {"verb": "dial", "targets": [{"type": "extension", "number": "101"}], "record": true}
        ])),
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    caller.call(&format!("sip:5000@{}", s.app.sip));
    assert!(
        callee
            .wait_event("CALL_ESTABLISHED", Duration::from_secs(20))
            .is_some(),
        "server: {}",
        s.app.log()
    );
    tokio::time::sleep(Duration::from_secs(4)).await;
    callee.hangup();
    let mut event = None;
    for _ in 0..100 {
        event = s
            .hooks
            .received_on("/status")
            .into_iter()
            .find(|r| r.body["event"] == "recording");
        if event.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let event = event.unwrap_or_else(|| panic!("no recording event; server: {}", s.app.log()));
    let id = event.body["recording_sid"].as_str().unwrap().to_owned();
    assert_heard_both(&s, &id).await;
    s.hooks.assert_all_signed();
}

/// The saved recording holds both the caller's 1000 Hz and the callee's 440 Hz.
async fn assert_heard_both(s: &Setup, id: &str) {
    let (status, wav) = s
        .app
        .send_raw(
            s.app
                .req(reqwest::Method::GET, &format!("/v1/recordings/{id}/audio")),
        )
        .await;
    assert_eq!(status, 200);
    let pcm = read_wav(&wav);
    assert!(pcm.duration_ms() >= 3000, "{} ms", pcm.duration_ms());
    let (low, high, off) = (
        burst_power(&pcm, 440.0),
        burst_power(&pcm, 1000.0),
        burst_power(&pcm, 1336.0),
    );
    assert!(
        low > 20.0 * off && high > 20.0 * off,
        "both sides in the recording: 440 Hz {low}, 1000 Hz {high}, 1336 Hz {off}"
    );
}

/// `answer_on_bridge`: the caller is not answered while the target rings (it gets the
/// target's 180); nobody answering, the call goes on unanswered with `action`, whose
/// document answers it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answer_on_bridge_leaves_the_caller_ringing_until_the_action_answers() {
    let s = setup("49200-49399", false).await;
    s.hooks.reply(
        "/voice",
        Reply::Json(json!([
            {"verb": "dial", "targets": [{"type": "extension", "number": "102"}],
             "answer_on_bridge": true, "timeout": 2, "action": "/after"},
            {"verb": "say", "text": "never said: the action's answer replaces it"}
        ])),
    );
    s.hooks.reply(
        "/after",
        Reply::Json(json!([{"verb": "pause", "length": 1}, {"verb": "hangup"}])),
    );
    let port = free_sip_port();
    register_sipp(&s.app, "102", port).await;
    let callee = Sipp::start("uas_ring.xml", s.app.sip, port, SipTransport::Udp, &[]);
    let caller = Sipp::call(s.app.sip, "uac_wait_bye.xml", EXT_101, "5000", &[]);
    caller.assert_ok("rung, then answered by the action's document, then hung up");
    callee
        .wait(LONG)
        .assert_ok("the target rang, then was cancelled");
    let (ringing, answered) = (
        caller.received("SIP/2.0 180"),
        caller.received("SIP/2.0 200"),
    );
    assert!(
        !ringing.is_empty(),
        "the target's 180 reached the caller: {}",
        caller.messages
    );
    assert!(
        answered[0] - ringing[0] > 1.5,
        "answered only after the ring time: 180 at {}, 200 at {}",
        ringing[0],
        answered[0]
    );
    let after = s.hooks.wait_for("/after", 1, Duration::from_secs(5)).await;
    assert_eq!(
        after[0].body["dial_call_status"], "no-answer",
        "{}",
        after[0].body
    );
    assert_eq!(
        after[0].body["call_status"], "ringing",
        "the action hears of a call still unanswered: {}",
        after[0].body
    );
    let record = ended_call(&s).await;
    assert_eq!(record["status"], "completed", "{record}");
}
