//! Application calls that reach other parties or are driven from outside: `dial` to
//! extensions, SIP URIs, trunks and queues, `enqueue`, and the Calls API (placing and
//! steering calls), with real softphones and SIPp.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::json;
use std::time::Duration;
use switchboard_tests::app_harness::*;
use switchboard_tests::audio::{Pcm, read_wav, tone_wav};
use switchboard_tests::peers::SipTransport;
use switchboard_tests::webhook_app::Reply;

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

/// `enqueue` and a `dial` to the queue: linphonec (102, 1000 Hz) calls 5000 and waits in
/// queue `support` hearing the `wait_url` music (697 Hz); an agent call placed through the
/// Calls API to baresip (101, 440 Hz) dials the queue and is bridged to the caller; when
/// the agent hangs up, the caller's `enqueue` action gets `bridged` and its queue time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enqueue_then_an_agent_dials_the_queue() {
    let s = setup("45000-45199", false).await;
    upload_tone(&s.app, "music", 697.0, 1.0).await;
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
    let (mut caller, _phone_dir) = linphone_102(&s.app, "Waiting").await;
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
