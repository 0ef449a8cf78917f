//! Documents and the verbs that talk to the party.

use super::*;
use serde_json::json;

#[test]
fn verbs_run_in_order_and_the_end_of_the_document_hangs_up() {
    let mut sim = Sim::run(json!([
        {"verb": "play", "recording": "welcome"},
        {"verb": "pause", "length": 2},
    ]));
    let out = sim.out();
    assert_eq!(
        out,
        vec![Command::LoadAudio {
            id: 1,
            source: AudioSource::Recording("welcome".into())
        }],
        "audio is loaded before the call is answered"
    );
    let out = sim.loaded(&out);
    assert_eq!(out[0], Command::Answer);
    assert!(matches!(out[1], Command::Play { loops: 1, .. }));
    assert!(sim.played(&out).is_empty(), "the pause runs");
    assert!(sim.at(1.9).is_empty());
    let out = sim.at(2.0);
    assert_eq!(out[0], Command::HangUp);
    let o = finish(&out);
    assert_eq!(
        (o.status, o.by, o.code, o.reason.as_str()),
        (
            CallStatus::Completed,
            EndedBy::System,
            200,
            "the document ended"
        )
    );
    assert!(sim.program.is_finished());
}

#[test]
fn missing_audio_is_reported_and_skipped_without_answering() {
    let mut sim = Sim::run(json!([
        {"verb": "play", "recording": "nowhere"},
        {"verb": "reject", "reason": "busy"},
    ]));
    let out = sim.out();
    let out = sim.event(Event::AudioLoaded {
        id: load_id(&out),
        result: Err("no recording named \"nowhere\"".into()),
    });
    assert_eq!(errors(&out), ["audio_unavailable"]);
    assert!(!out.contains(&Command::Answer), "{out:?}");
    assert!(out.contains(&Command::Reject { code: 486 }));
    assert_eq!(finish(&out).status, CallStatus::Busy);
}

#[test]
fn hangup_before_answer_refuses_and_reject_after_answer_hangs_up() {
    let mut sim = Sim::run(json!([{"verb": "hangup"}]));
    let out = sim.out();
    assert_eq!(out[0], Command::Reject { code: 603 });
    assert_eq!(finish(&out).status, CallStatus::Canceled);

    let mut sim = Sim::run(json!([{"verb": "pause", "length": 1}, {"verb": "reject"}]));
    sim.out();
    let out = sim.at(1.0);
    assert_eq!(out[0], Command::HangUp, "too late to refuse");
    assert_eq!(finish(&out).reason, "reject after answer");
}

#[test]
fn gather_stops_its_prompt_at_the_first_key_and_ends_with_num_digits() {
    let mut sim = Sim::run(json!([
        {"verb": "gather", "num_digits": 2, "timeout": 5, "action": "/menu",
         "prompts": [{"verb": "say", "text": "Press two keys"}]},
        {"verb": "say", "text": "never said"},
    ]));
    let out = sim.out();
    assert_eq!(out[0], Command::Answer, "keys need the media");
    let out = sim.loaded(&out);
    play_id(&out);
    assert_eq!(sim.event(Event::Key('4')), vec![Command::StopPlayback]);
    let out = sim.event(Event::Key('2'));
    let (url, fields) = fetch_of(&out);
    assert_eq!(url.unwrap().path(), "/menu");
    assert_eq!(
        (fields.digits.as_deref(), fields.reason.as_deref()),
        (Some("42"), Some("num_digits"))
    );
    // The action's answer replaces the rest of the document.
    let out = sim.fetched(&out, "/menu", json!([{"verb": "hangup"}]));
    assert_eq!(out[0], Command::HangUp);
    assert_eq!(finish(&out).reason, "hangup verb");
}

#[test]
fn gather_finish_key_ends_the_input_and_is_not_collected() {
    let mut sim = Sim::run(json!([{"verb": "gather", "finish_on_key": "#", "timeout": 5}]));
    sim.out();
    assert!(sim.event(Event::Key('7')).is_empty());
    let (_, fields) = fetch_of(&sim.event(Event::Key('#')));
    assert_eq!(
        (fields.digits.as_deref(), fields.reason.as_deref()),
        (Some("7"), Some("finish_on_key"))
    );
}

#[test]
fn gather_timeout_counts_again_after_each_key() {
    let mut sim = Sim::run(json!([{"verb": "gather", "timeout": 3, "action": "/keys"}]));
    sim.out();
    sim.at(2.0);
    assert!(sim.event(Event::Key('1')).is_empty());
    assert!(
        sim.at(4.9).is_empty(),
        "3 s after the key, not after the start"
    );
    let (_, fields) = fetch_of(&sim.at(5.0));
    assert_eq!(
        (fields.digits.as_deref(), fields.reason.as_deref()),
        (Some("1"), Some("timeout"))
    );
}

#[test]
fn gather_without_input_goes_on_with_the_next_verb() {
    let mut sim = Sim::run(json!([
        {"verb": "gather", "timeout": 2},
        {"verb": "hangup"},
    ]));
    sim.out();
    let out = sim.at(2.0);
    assert!(
        !out.iter().any(|c| matches!(c, Command::Fetch { .. })),
        "{out:?}"
    );
    assert_eq!(out[0], Command::HangUp);
}

#[test]
fn record_beeps_records_until_the_finish_key_and_posts_the_recording() {
    let mut sim = Sim::run(json!([
        {"verb": "record", "max_length": 60, "action": "/saved", "finish_on_key": "#",
         "recording_status_callback": "/recorded"},
    ]));
    let out = sim.out();
    assert_eq!(out[0], Command::Answer);
    let out = sim.played(&out);
    assert_eq!(
        out,
        vec![Command::StartRecording {
            silence: Some(5 * S)
        }]
    );
    assert!(sim.event(Event::Key('5')).is_empty(), "not a finish key");
    let out = sim.event(Event::Key('#'));
    assert_eq!(out, vec![Command::FinishRecording { id: 2, trim: false }]);
    let recording = Recording {
        sid: "RE1".into(),
        url: "/v1/recordings/RE1/audio".into(),
        duration_ms: 2500,
    };
    let out = sim.event(Event::Recorded {
        id: 2,
        result: Ok(Some(recording.clone())),
    });
    assert!(matches!(
        &out[0],
        Command::Status { event: contract::webhook::CallEvent::Recording, url: Some(u), .. }
            if u.path() == "/recorded"
    ));
    let (url, fields) = fetch_of(&out);
    assert_eq!(url.unwrap().path(), "/saved");
    assert_eq!(fields.recording, Some(recording));
    assert_eq!(fields.reason.as_deref(), Some("finish_on_key"));
}

#[test]
fn a_caller_hanging_up_while_recording_is_still_recorded_and_the_action_told() {
    let mut sim = Sim::run(json!([
        {"verb": "record", "play_beep": false, "timeout": 0, "action": "/saved"},
        {"verb": "say", "text": "never"},
    ]));
    sim.out();
    let out = sim.event(Event::PartyGone(Gone::HungUp));
    let id = match out[..] {
        [Command::FinishRecording { id, trim: false }] => id,
        _ => panic!("{out:?}"),
    };
    let out = sim.event(Event::Recorded {
        id,
        result: Ok(Some(Recording {
            sid: "RE2".into(),
            url: "/r".into(),
            duration_ms: 900,
        })),
    });
    assert!(
        matches!(&out[0], Command::Notify { url, fields } if url.path() == "/saved"
            && fields.reason.as_deref() == Some("hangup")),
        "{out:?}"
    );
    let o = finish(&out);
    assert_eq!(
        (o.status, o.by, o.code),
        (CallStatus::Completed, EndedBy::Caller, 200)
    );
}

#[test]
fn a_recording_that_cannot_be_saved_is_reported_and_the_document_goes_on() {
    let mut sim = Sim::run(json!([
        {"verb": "record", "play_beep": false, "max_length": 5, "action": "/saved"},
        {"verb": "hangup"},
    ]));
    sim.out();
    let out = sim.at(5.0);
    let id = match out[..] {
        [Command::FinishRecording { id, trim: false }] => id,
        _ => panic!("{out:?}"),
    };
    let out = sim.event(Event::Recorded {
        id,
        result: Err("disk full".into()),
    });
    assert_eq!(errors(&out), ["recording_failed"]);
    assert!(
        !out.iter().any(|c| matches!(c, Command::Fetch { .. })),
        "no action without a recording: {out:?}"
    );
    assert!(out.contains(&Command::HangUp), "the next verb: {out:?}");
    assert_eq!(finish(&out).status, CallStatus::Completed);
}

#[test]
fn an_action_replaces_the_rest_of_the_document_and_redirect_follows_relative_urls() {
    let mut sim = Sim::with(Start::Fetch, false);
    let out = sim.out();
    assert_eq!(
        fetch_of(&out).0,
        None,
        "the voice URL, with the application's method"
    );
    let out = sim.fetched(
        &out,
        "/apps/first",
        json!([{"verb": "redirect", "url": "next"}, {"verb": "hangup"}]),
    );
    assert_eq!(
        fetch_of(&out).0.unwrap().as_str(),
        "http://app.example/apps/next"
    );
    let out = sim.fetched(
        &out,
        "/apps/next",
        json!([{"verb": "reject", "reason": "busy"}]),
    );
    assert!(
        out.contains(&Command::Reject { code: 486 }),
        "the old hangup never ran: {out:?}"
    );
}

#[test]
fn an_application_redirecting_forever_is_stopped_and_the_caller_hears_why() {
    let mut sim = Sim::with(Start::Fetch, false);
    let mut out = sim.out();
    for _ in 0..20 {
        out = sim.fetched(&out, "/loop", json!([{"verb": "redirect", "url": "/loop"}]));
        assert!(errors(&out).is_empty(), "20 documents in a row are fine");
    }
    out = sim.fetched(&out, "/loop", json!([{"verb": "redirect", "url": "/loop"}]));
    assert_eq!(
        errors(&out),
        ["loop"],
        "the 21st document in a row: {out:?}"
    );
    assert!(out.contains(&Command::Answer));
    let out = sim.played(&out);
    assert_eq!(out[0], Command::HangUp);
    assert_eq!(finish(&out).status, CallStatus::Failed);
}

#[test]
fn a_document_that_cannot_be_had_fails_the_call_with_the_failure_tone() {
    let mut sim = Sim::with(Start::Fetch, false);
    let out = sim.out();
    let out = sim.event(Event::Fetched {
        id: fetch_id(&out),
        result: Err(FetchFailure {
            code: "webhook_failed",
            message: "connection refused".into(),
            url: Some("http://app.example/voice".into()),
            document: None,
        }),
    });
    assert_eq!(errors(&out), ["webhook_failed"]);
    assert_eq!(out[1], Command::Answer);
    assert!(matches!(out[2], Command::Play { loops: 1, .. }));
    // The caller hangs up during the tone: the record says so.
    let out = sim.event(Event::PartyGone(Gone::HungUp));
    assert_eq!(finish(&out).by, EndedBy::Caller);
}

#[test]
fn the_caller_leaving_while_a_document_is_fetched_ends_the_call() {
    let mut sim = Sim::with(Start::Fetch, false);
    let out = sim.out();
    let end = sim.event(Event::PartyGone(Gone::Cancelled));
    let o = finish(&end);
    assert_eq!(
        (o.status, o.by, o.code),
        (CallStatus::Canceled, EndedBy::Caller, 487)
    );
    // The document arriving late changes nothing.
    assert!(
        sim.fetched(&out, "/voice", json!([{"verb": "hangup"}]))
            .is_empty()
    );
}

#[test]
fn no_rtp_from_the_caller_hangs_up() {
    let mut sim = Sim::run(json!([{"verb": "pause", "length": 30}]));
    sim.out();
    let out = sim.event(Event::MediaTimeout);
    assert_eq!(out[0], Command::HangUp);
    assert_eq!(finish(&out).code, 408);
}

#[test]
fn hangup_through_the_api_ends_an_answered_call_or_refuses_a_ringing_one() {
    let mut sim = Sim::run(json!([{"verb": "pause", "length": 30}]));
    sim.out();
    let out = sim.event(Event::Rest(Rest::Hangup));
    assert!(out.contains(&Command::HangUp));
    assert_eq!(finish(&out).reason, "hung up through the API");

    let mut sim = Sim::with(Start::Fetch, false);
    sim.out();
    let out = sim.event(Event::Rest(Rest::Hangup));
    assert!(out.contains(&Command::Reject { code: 603 }));
    assert_eq!(finish(&out).status, CallStatus::Canceled);
}

/// The REST API's redirect reaches every verb: it stops what it does (and wraps up
/// what must be) and the new document runs.
#[test]
fn a_rest_redirect_interrupts_every_verb() {
    let target = url("/elsewhere");
    let redirect = || Event::Rest(Rest::Redirect(url("/elsewhere")));
    let fetches_target = |out: &[Command]| {
        out.iter()
            .any(|c| matches!(c, Command::Fetch { url: Some(u), .. } if *u == target))
    };
    let documents = [
        json!([{"verb": "play", "recording": "r", "loop": 0}]),
        json!([{"verb": "say", "text": "hello"}]),
        json!([{"verb": "pause", "length": 10}]),
        json!([{"verb": "gather", "prompts": [{"verb": "play", "recording": "p"}]}]),
        json!([{"verb": "enqueue", "queue": "support"}]),
    ];
    for document in documents {
        let mut sim = Sim::run(document.clone());
        let out = sim.out();
        if out.iter().any(|c| matches!(c, Command::LoadAudio { .. })) {
            sim.loaded(&out);
        }
        let out = sim.event(redirect());
        assert!(fetches_target(&out), "{document}: {out:?}");
        assert!(!sim.program.is_finished());
        if document[0]["verb"] == "enqueue" {
            assert!(out.contains(&Command::LeaveQueue {
                queue: "support".into()
            }));
        }
    }
    // While recording: the recording is finished and saved first, its action told.
    let mut sim = Sim::run(json!([{"verb": "record", "play_beep": false, "action": "/r"}]));
    sim.out();
    let out = sim.event(redirect());
    let id = match out[..] {
        [Command::StopPlayback, Command::FinishRecording { id, .. }] => id,
        _ => panic!("{out:?}"),
    };
    let out = sim.event(Event::Recorded {
        id,
        result: Ok(None),
    });
    assert!(fetches_target(&out), "{out:?}");
}
