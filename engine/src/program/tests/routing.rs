//! Destinations (a `redirect` to `ivr:Main`, the loop guard), a dial's music and the
//! name it shows, the IVR's inter-digit timeout, and the `unavailable` refusal.

use super::*;
use crate::ring::{Stage, Target};
use contract::types::Destination;
use serde_json::json;

/// The destination and id of the route in `commands`.
fn route_of(commands: &[Command]) -> (u64, Destination) {
    commands
        .iter()
        .find_map(|c| match c {
            Command::Route {
                id, destination, ..
            } => Some((*id, destination.clone())),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no route in {commands:?}"))
}

/// The app at the destination answers `document`.
fn routed(sim: &mut Sim, commands: &[Command], document: serde_json::Value) -> Vec<Command> {
    let (id, destination) = route_of(commands);
    sim.event(Event::Fetched {
        id,
        result: Ok(Document {
            url: url(&format!("/apps/{}", destination.target())),
            verbs: verbs(document),
        }),
    })
}

#[test]
fn a_redirect_to_a_destination_asks_the_driver_to_route_the_call() {
    let mut sim = Sim::run(json!([
        {"verb": "redirect", "destination": "ivr:VoicemailCenter"},
        {"verb": "say", "text": "never"},
    ]));
    let out = sim.out();
    let (_, destination) = route_of(&out);
    assert_eq!(destination.to_string(), "ivr:VoicemailCenter");
    // The app there answers; its relative URLs resolve against its own URL.
    let out = routed(&mut sim, &out, json!([{"verb": "redirect", "url": "next"}]));
    let (url, _) = fetch_of(&out);
    assert_eq!(url.unwrap().path(), "/apps/next");
}

#[test]
fn destinations_that_lead_nowhere_fail_audibly() {
    let mut sim = Sim::run(json!([{"verb": "redirect", "destination": "ringgroup:301"}]));
    let out = sim.out();
    let (id, _) = route_of(&out);
    let out = sim.event(Event::Fetched {
        id,
        result: Err(FetchFailure {
            code: "unknown_destination",
            message: "destination ringgroup:301 does not exist".into(),
            url: None,
            document: None,
        }),
    });
    assert_eq!(errors(&out), ["unknown_destination"]);
    assert!(
        out.contains(&Command::Answer),
        "the failure tone plays: {out:?}"
    );
}

#[test]
fn a_loop_of_destinations_is_cut_with_the_failure_tone_and_an_error() {
    // daynight:0 → daynight:1 → daynight:0 …, each answering straight away.
    let mut sim = Sim::run(json!([{"verb": "redirect", "destination": "daynight:0"}]));
    let mut out = sim.out();
    let mut hops = 0;
    while out.iter().any(|c| matches!(c, Command::Route { .. })) {
        hops += 1;
        let next = if hops % 2 == 0 {
            "daynight:0"
        } else {
            "daynight:1"
        };
        out = routed(
            &mut sim,
            &out,
            json!([{"verb": "redirect", "destination": next}]),
        );
        assert!(hops <= MAX_DESTINATION_HOPS, "never cut: {out:?}");
    }
    assert_eq!(hops, MAX_DESTINATION_HOPS);
    assert_eq!(errors(&out), ["destination_loop"]);
    let out = sim.played(&out);
    assert_eq!(finish(&out).status, CallStatus::Failed);
}

#[test]
fn a_key_pressed_starts_a_new_path_of_destinations() {
    // An IVR whose option leads back to itself: the caller choosing is no loop.
    let menu = json!([
        {"verb": "gather", "num_digits": 1, "timeout": 5, "action": "/choice"},
        {"verb": "hangup"},
    ]);
    let mut sim = Sim::run(json!([{"verb": "redirect", "destination": "ivr:Main"}]));
    let mut out = sim.out();
    for _ in 0..(MAX_DESTINATION_HOPS * 2) {
        routed(&mut sim, &out, menu.clone());
        let choice = sim.event(Event::Key('3'));
        out = sim.fetched(
            &choice,
            "/choice",
            json!([{"verb": "redirect", "destination": "ivr:Main"}]),
        );
        assert!(errors(&out).is_empty(), "{out:?}");
    }
}

#[test]
fn a_dial_plays_its_music_instead_of_the_ringing_tone_and_shows_its_name() {
    let mut sim = Sim::run(json!([{"verb": "dial",
        "targets": [{"type": "extension", "number": "102"}],
        "ringback": {"recording": "hold-music"}, "caller_name": "Info: Ann"}]));
    let out = sim.out();
    assert_eq!(out[0], Command::Answer, "music needs the caller answered");
    let Some(Command::Resolve {
        id,
        caller,
        through,
        ..
    }) = out
        .iter()
        .find(|c| matches!(c, Command::Resolve { .. }))
        .cloned()
    else {
        panic!("{out:?}")
    };
    assert!(!through);
    assert_eq!(caller.name.as_deref(), Some("Info: Ann"));
    assert!(out.iter().any(|c| matches!(c, Command::LoadAudio { source: AudioSource::Recording(r), .. } if r == "hold-music")));
    let plan = RingPlan {
        targets: vec![Target::single()],
        stages: vec![Stage {
            targets: vec![0],
            ring_time: 20 * S,
        }],
        problems: Vec::new(),
        unavailable: false,
        origins: vec![0],
    };
    let ringing = sim.event(Event::Resolved { id, plan });
    let tone = match ringing.iter().find(|c| matches!(c, Command::Play { .. })) {
        Some(Command::Play {
            audio, loops: 0, ..
        }) => audio.clone(),
        other => panic!("no looped ringing tone: {other:?} in {ringing:?}"),
    };
    let music = sim.loaded(&out);
    match &music[..] {
        [
            Command::Play {
                audio, loops: 0, ..
            },
        ] => assert_ne!(audio, &tone, "the music replaces the tone"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn after_a_key_the_inter_digit_timeout_counts() {
    let mut sim = Sim::run(json!([
        {"verb": "gather", "timeout": 10, "inter_digit_timeout": 3, "action": "/keys"},
    ]));
    sim.out();
    sim.event(Event::Key('5'));
    // Three seconds after the key (not ten), the digits go to the action.
    assert!(sim.at(2.9).is_empty());
    let out = sim.at(3.0);
    let (_, fields) = fetch_of(&out);
    assert_eq!(fields.digits.as_deref(), Some("5"));
}

#[test]
fn reject_unavailable_refuses_with_480_as_no_answer() {
    let mut sim = Sim::run(json!([{"verb": "reject", "reason": "unavailable"}]));
    let out = sim.out();
    assert!(out.contains(&Command::Reject { code: 480 }), "{out:?}");
    assert_eq!(finish(&out).status, CallStatus::NoAnswer);
}
