//! `dial` strategies with real phones: `hunt` rings one target at a time, `memoryhunt`
//! adds one each stage and keeps the others ringing (timings read from what the SIPp
//! phones received, audio measured on the phones that talked). And the same SIP
//! exchanges end with the same status whichever way Switchboard rings: a call connected
//! straight through, a `dial` with an `action`, a call placed through the REST API.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::{Value, json};
use std::time::Duration;
use switchboard_tests::TestApp;
use switchboard_tests::app_harness::*;
use switchboard_tests::audio::{read_wav, tone_wav};
use switchboard_tests::peers::{Baresip, SipTransport, Sipp, SippResult, free_sip_port};
use switchboard_tests::webhook_app::Reply;

const LONG: Duration = Duration::from_secs(30);
const EXT_101: (&str, &str) = ("101", "secret-101");

/// Extensions 102 and 103 (SIPp, listening on the ports returned) and 104 (baresip,
/// answering by itself, sending 1000 Hz). The folder holds 104's microphone.
async fn three_phones(s: &Setup) -> (u16, u16, Baresip, tempfile::TempDir) {
    let (p102, p103) = (free_sip_port(), free_sip_port());
    register_sipp(&s.app, "102", p102).await;
    register_sipp(&s.app, "103", p103).await;
    let (status, body) = s
        .app
        .post(
            "/v1/extensions",
            json!({"number": "104", "name": "Answers", "password": "secret-104"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let dir = tempfile::tempdir().unwrap();
    let mic = dir.path().join("mic.wav");
    std::fs::write(&mic, tone_wav(1000.0, 40.0, 8000, 1, 16, false, 0.3)).unwrap();
    let answerer = Baresip::start("104", "secret-104", s.app.sip, SipTransport::Udp, &mic);
    wait_registered(&s.app, "104").await;
    (p102, p103, answerer, dir)
}

fn dial_three(strategy: &str, action: Option<&str>) -> Value {
    let mut dial = json!({
        "verb": "dial", "strategy": strategy, "timeout": 2,
        "targets": [
            {"type": "extension", "number": "102"},
            {"type": "extension", "number": "103"},
            {"type": "extension", "number": "104"},
        ],
    });
    if let Some(action) = action {
        dial["action"] = json!(action);
    }
    json!([dial])
}

/// Waits for both ringing SIPp phones to finish (each was cancelled).
async fn cancelled(a: Sipp, b: Sipp) -> (SippResult, SippResult) {
    let (a, b) = tokio::task::spawn_blocking(move || (a.wait(LONG), b.wait(LONG)))
        .await
        .unwrap();
    a.assert_ok("102 rang, then was cancelled");
    b.assert_ok("103 rang, then was cancelled");
    (a, b)
}

/// When a phone got its INVITE and its CANCEL (seconds).
fn rang(r: &SippResult) -> (f64, f64) {
    let (invites, cancels) = (r.received("INVITE"), r.received("CANCEL"));
    assert_eq!(invites.len(), 1, "rung once: {}", r.messages);
    assert_eq!(cancels.len(), 1, "cancelled once: {}", r.messages);
    (invites[0], cancels[0])
}

fn assert_about(what: &str, seconds: f64, expected: f64) {
    assert!(
        (expected - 0.3..expected + 1.0).contains(&seconds),
        "{what}: {seconds:.2} s, expected about {expected} s"
    );
}

/// What a phone heard most, among the tones in play (ringback, the two phones).
fn heard(file: &std::path::Path) -> f64 {
    let pcm = read_wav(&std::fs::read(file).unwrap());
    assert!(
        pcm.duration_ms() > 1500,
        "{} ms recorded",
        pcm.duration_ms()
    );
    pcm.dominant(&[425.0, 440.0, 1000.0])
}

/// `hunt` as the caller's only verb: 102 rings its 2 s and is cancelled, then 103 its
/// 2 s, then 104, which answers: the caller (connected straight through) and 104 hear
/// each other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hunt_rings_one_phone_at_a_time_until_one_answers() {
    let s = setup("48000-48199", false).await;
    let (p102, p103, answerer, _dir) = three_phones(&s).await;
    s.hooks
        .reply("/voice", Reply::Json(dial_three("hunt", None)));
    let ring102 = Sipp::start("uas_ring.xml", s.app.sip, p102, SipTransport::Udp, &[]);
    let ring103 = Sipp::start("uas_ring.xml", s.app.sip, p103, SipTransport::Udp, &[]);
    s.caller.dial(&format!("sip:5000@{}", s.app.sip));
    assert!(
        answerer
            .wait_event("CALL_ESTABLISHED", Duration::from_secs(20))
            .is_some(),
        "104 answered; server: {}",
        s.app.log()
    );
    assert!(
        s.caller
            .wait_event("CALL_ESTABLISHED", Duration::from_secs(5))
            .is_some()
    );
    let (r102, r103) = cancelled(ring102, ring103).await;
    let ((invite102, cancel102), (invite103, cancel103)) = (rang(&r102), rang(&r103));
    assert_about("102 rang", cancel102 - invite102, 2.0);
    assert!(
        invite103 >= cancel102 - 0.1,
        "103 rings only once 102 is given up ({invite103} < {cancel102})"
    );
    assert_about("103 rang", cancel103 - invite103, 2.0);

    tokio::time::sleep(Duration::from_secs(3)).await;
    s.caller.hangup();
    assert!(
        answerer
            .wait_event("CALL_CLOSED", Duration::from_secs(10))
            .is_some()
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        heard(&s.caller.received_audio().unwrap()),
        1000.0,
        "the caller hears 104"
    );
    assert_eq!(
        heard(&answerer.received_audio().unwrap()),
        440.0,
        "104 hears the caller"
    );
    let record = last_call(&s.app).await;
    let (_, legs) = s
        .app
        .get(&format!(
            "/v1/calls?to=104&started_from={}",
            &record["start_time"].as_str().unwrap()[..10]
        ))
        .await;
    let leg = &legs["data"][0];
    assert_eq!(leg["parent_call_sid"], record["sid"], "{legs}");
    assert_eq!(leg["direction"], "outbound", "{leg}");
}

/// `memoryhunt` with an action (the caller is answered and hears ringback): 102 rings
/// alone, then 102 and 103 together, then all three; 104 answers and 102 and 103 — still
/// ringing, never rung twice — are cancelled then. The action learns `completed`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memoryhunt_adds_a_phone_each_stage_until_one_answers() {
    let s = setup("48200-48399", false).await;
    let (p102, p103, answerer, _dir) = three_phones(&s).await;
    s.hooks.reply(
        "/voice",
        Reply::Json(dial_three("memoryhunt", Some("/after"))),
    );
    s.hooks
        .reply("/after", Reply::Json(json!([{"verb": "hangup"}])));
    let ring102 = Sipp::start("uas_ring.xml", s.app.sip, p102, SipTransport::Udp, &[]);
    let ring103 = Sipp::start("uas_ring.xml", s.app.sip, p103, SipTransport::Udp, &[]);
    s.caller.dial(&format!("sip:5000@{}", s.app.sip));
    assert!(
        answerer
            .wait_event("CALL_ESTABLISHED", Duration::from_secs(20))
            .is_some(),
        "104 answered; server: {}",
        s.app.log()
    );
    let (r102, r103) = cancelled(ring102, ring103).await;
    let ((invite102, cancel102), (invite103, cancel103)) = (rang(&r102), rang(&r103));
    assert_about("103 joins after", invite103 - invite102, 2.0);
    assert_about(
        "102 keeps ringing while 103 joins, then 104",
        cancel102 - invite102,
        4.0,
    );
    assert!(
        (cancel103 - cancel102).abs() < 0.5,
        "102 and 103 stop together, when 104 answers"
    );

    tokio::time::sleep(Duration::from_secs(3)).await;
    answerer.hangup();
    assert!(
        s.caller
            .wait_event("CALL_CLOSED", Duration::from_secs(10))
            .is_some(),
        "the action's document hung up; server: {}",
        s.app.log()
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = s.hooks.wait_for("/after", 1, Duration::from_secs(5)).await;
    assert_eq!(
        after[0].body["dial_call_status"], "completed",
        "{}",
        after[0].body
    );
    let child = after[0].body["dial_call_sid"].as_str().unwrap();
    let (_, leg) = s.app.get(&format!("/v1/calls/{child}")).await;
    assert_eq!(leg["to"], "104", "{leg}");
    assert_eq!(
        heard(&answerer.received_audio().unwrap()),
        440.0,
        "104 hears the caller"
    );
    // The caller heard ringback, then 104.
    assert_eq!(
        heard(&s.caller.received_audio().unwrap()),
        1000.0,
        "the caller hears 104"
    );
}

/// How the three ways of ringing 102 ended: straight through (`through`, the SIPp
/// caller's scenario), with an action, and through the REST API.
async fn three_ways(s: &Setup, devices: &[(&str, u16)], through: &str) -> Vec<String> {
    let start = |devices: &[(&str, u16)]| -> Vec<Sipp> {
        devices
            .iter()
            .map(|(scenario, port)| Sipp::start(scenario, s.app.sip, *port, SipTransport::Udp, &[]))
            .collect()
    };
    let finish = |phones: Vec<Sipp>| {
        tokio::task::spawn_blocking(move || {
            for phone in phones {
                phone.wait(LONG).assert_ok("the device played its part");
            }
        })
    };
    let mut statuses = Vec::new();

    // 1. Straight through: the caller gets the devices' answer.
    s.hooks.reply(
        "/voice",
        Reply::Json(json!([{"verb": "dial", "targets": [{"type": "extension", "number": "102"}]}])),
    );
    let phones = start(devices);
    Sipp::call(s.app.sip, through, EXT_101, "5000", &[]).assert_ok("the caller was refused");
    finish(phones).await.unwrap();
    statuses.push(
        ended(&s.app, None).await["status"]
            .as_str()
            .unwrap()
            .to_owned(),
    );

    // 2. With an action: the action learns it.
    s.hooks.reply(
        "/voice",
        Reply::Json(
            json!([{"verb": "dial", "targets": [{"type": "extension", "number": "102"}],
                            "action": "/after"}]),
        ),
    );
    s.hooks
        .reply("/after", Reply::Json(json!([{"verb": "hangup"}])));
    let seen = s.hooks.received_on("/after").len();
    let phones = start(devices);
    Sipp::call(s.app.sip, "uac_wait_bye.xml", EXT_101, "5000", &[])
        .assert_ok("answered, then hung up by the action");
    finish(phones).await.unwrap();
    let after = s
        .hooks
        .wait_for("/after", seen + 1, Duration::from_secs(5))
        .await;
    statuses.push(
        after[seen].body["dial_call_status"]
            .as_str()
            .unwrap()
            .to_owned(),
    );

    // 3. A call placed through the REST API.
    let (_, apps) = s.app.get("/v1/applications").await;
    let app_id = apps["data"][0]["id"].clone();
    let phones = start(devices);
    let (status, placed) = s
        .app
        .post(
            "/v1/calls",
            json!({"from": "5000", "to": "102", "application_id": app_id,
                   "verbs": [{"verb": "hangup"}]}),
        )
        .await;
    assert_eq!(status, 201, "{placed}");
    finish(phones).await.unwrap();
    let sid = placed["sid"].as_str().unwrap();
    statuses.push(
        ended(&s.app, Some(sid)).await["status"]
            .as_str()
            .unwrap()
            .to_owned(),
    );
    statuses
}

/// The call `sid` (or the latest to 5000), once ended.
async fn ended(app: &TestApp, sid: Option<&str>) -> Value {
    for _ in 0..100 {
        let record = match sid {
            Some(sid) => app.get(&format!("/v1/calls/{sid}")).await.1,
            None => last_call(app).await,
        };
        if record["end_time"].is_string() {
            return record;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the call never ended");
}

/// Extension 102 has two devices, one busy (486) and one away (480): busy, however it
/// is rung. A device answering without SDP is hung up: failed, however it is rung.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_answers_give_the_same_status_on_every_path() {
    let s = setup("48400-48599", false).await;
    let (busy, away) = (free_sip_port(), free_sip_port());
    register_sipp(&s.app, "102", busy).await;
    register_sipp_again(&s.app, "102", away).await;
    let statuses = three_ways(
        &s,
        &[("uas_busy.xml", busy), ("uas_away.xml", away)],
        "uac_486.xml",
    )
    .await;
    assert_eq!(statuses, ["busy", "busy", "busy"], "{}", s.app.log());

    // The away device's registration is replaced by one that answers without SDP.
    let (_, registrations) = s.app.get("/v1/registrations?extension=102").await;
    for r in registrations["data"].as_array().unwrap() {
        let (status, body) = s
            .app
            .send(s.app.req(
                reqwest::Method::DELETE,
                &format!("/v1/registrations/{}", r["id"].as_str().unwrap()),
            ))
            .await;
        assert!(status < 300, "{status} {body}");
    }
    let broken = free_sip_port();
    register_sipp_again(&s.app, "102", broken).await;
    let statuses = three_ways(&s, &[("uas_answer_no_sdp.xml", broken)], "uac_480.xml").await;
    assert_eq!(statuses, ["failed", "failed", "failed"], "{}", s.app.log());
    s.hooks.assert_all_signed();
}

/// Which extension answered the `dial` of the call `sid` (its child leg's `to`).
async fn answered_leg(app: &TestApp, sid: &str) -> String {
    for _ in 0..100 {
        for number in ["102", "103"] {
            let (_, legs) = app.get(&format!("/v1/calls?to={number}")).await;
            if legs["data"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["parent_call_sid"] == sid)
            {
                return number.to_owned();
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no leg of {sid} answered: {}", app.log());
}

/// A call placed to 101 that dials 102 and 103 by `strategy` (each SIPp phone answers,
/// talks a second and hangs up); returns who answered.
async fn dial_by(
    app: &TestApp,
    app_id: &Value,
    p101: u16,
    phones: &[u16],
    strategy: &str,
) -> String {
    let _callee = Sipp::start("uas_answer.xml", app.sip, p101, SipTransport::Udp, &[]);
    let _phones: Vec<Sipp> = phones
        .iter()
        .map(|p| {
            Sipp::start(
                "uas_answer_then_bye.xml",
                app.sip,
                *p,
                SipTransport::Udp,
                &[],
            )
        })
        .collect();
    let (status, placed) = app
        .post(
            "/v1/calls",
            json!({"from": "5000", "to": "101", "application_id": app_id, "verbs": [
                {"verb": "dial", "strategy": strategy, "timeout": 5, "targets": [
                    {"type": "extension", "number": "102"},
                    {"type": "extension", "number": "103"}]},
                {"verb": "hangup"}]}),
        )
        .await;
    assert_eq!(status, 201, "{placed}");
    let sid = placed["sid"].as_str().unwrap().to_owned();
    ended(app, Some(&sid)).await;
    answered_leg(app, &sid).await
}

/// The strategies that read the call records (on both backends): `rrmemory` starts after
/// whoever answered last, `leastrecent` with whoever answered longest ago, `fewestcalls`
/// with whoever answered fewest, `firstavailable` skips an extension on a call.
async fn strategies_read_the_call_history(backend: switchboard_tests::Backend, rtp: &str) {
    let app = TestApp::spawn_with(backend, &[("SWITCHBOARD_RTP_PORTS", rtp.to_owned())]).await;
    let (p101, p102, p103) = (free_sip_port(), free_sip_port(), free_sip_port());
    for (n, p) in [("101", p101), ("102", p102), ("103", p103)] {
        register_sipp(&app, n, p).await;
    }
    let (status, created) = app
        .post(
            "/v1/applications",
            json!({"name": "Dialler", "voice_url": "http://127.0.0.1:9/voice"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].clone();
    let both = [p102, p103];
    assert_eq!(
        dial_by(&app, &id, p101, &both, "rrmemory").await,
        "102",
        "nobody answered yet: from the top"
    );
    assert_eq!(
        dial_by(&app, &id, p101, &both, "rrmemory").await,
        "103",
        "after 102"
    );
    assert_eq!(
        dial_by(&app, &id, p101, &both, "roundrobin").await,
        "102",
        "after 103"
    );
    // 102 answered twice, 103 once; 103 answered longest ago.
    assert_eq!(dial_by(&app, &id, p101, &both, "leastrecent").await, "103");
    // Now both answered twice: the listed order breaks the tie.
    assert_eq!(dial_by(&app, &id, p101, &both, "fewestcalls").await, "102");
    assert_eq!(
        dial_by(&app, &id, p101, &both, "fewestcalls").await,
        "103",
        "102 has one more"
    );

    // 102 busy on a call: `firstavailable` rings 103.
    let held = Sipp::start("uas_answer.xml", app.sip, p102, SipTransport::Udp, &[]);
    let (status, holding) = app
        .post(
            "/v1/calls",
            json!({"from": "5000", "to": "102", "application_id": id,
                   "verbs": [{"verb": "pause", "length": 30}]}),
        )
        .await;
    assert_eq!(status, 201, "{holding}");
    let holding = holding["sid"].as_str().unwrap().to_owned();
    for _ in 0..100 {
        if app.get(&format!("/v1/calls/{holding}")).await.1["status"] == "in-progress" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        dial_by(&app, &id, p101, &[p103], "firstavailable").await,
        "103"
    );
    let (status, body) = app
        .post(
            &format!("/v1/calls/{holding}"),
            json!({"status": "completed"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    drop(held);
    assert_eq!(
        dial_by(&app, &id, p101, &both, "firstavailable").await,
        "102",
        "free again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strategies_read_the_call_history_sqlite() {
    strategies_read_the_call_history(switchboard_tests::Backend::Sqlite, "48600-48799").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strategies_read_the_call_history_postgres() {
    strategies_read_the_call_history(switchboard_tests::Backend::Postgres, "48800-48999").await;
}
