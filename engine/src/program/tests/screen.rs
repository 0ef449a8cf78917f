//! A dial target's `confirm`: whoever answers it must press the key before the call
//! is connected; until then the ringer and the caller hear nothing of the answer.

use super::*;
use crate::ring::{self, Stage, Target};
use serde_json::json;

/// Two targets rung together for 20 s: the mobile (confirmed) and extension 102.
fn dial(through: bool) -> serde_json::Value {
    let mut verb = json!({"verb": "dial", "targets": [
        {"type": "number", "number": "0612345678",
         "confirm": {"prompt": {"say": "Press 1."}, "timeout": 8}},
        {"type": "extension", "number": "102"},
    ], "timeout": 20});
    if through {
        verb["answer_on_bridge"] = json!(true);
    }
    verb["action"] = json!("/after");
    json!([verb])
}

fn plan() -> RingPlan {
    RingPlan {
        targets: vec![Target::single(); 2],
        stages: vec![Stage {
            targets: vec![0, 1],
            ring_time: 20 * S,
        }],
        problems: Vec::new(),
        unavailable: false,
        origins: vec![0, 1],
    }
}

fn ringing(through: bool) -> Sim {
    let mut sim = Sim::run(dial(through));
    let out = sim.out();
    let id = out
        .iter()
        .find_map(|c| match c {
            Command::Resolve { id, .. } => Some(*id),
            _ => None,
        })
        .unwrap();
    sim.event(Event::Resolved { id, plan: plan() });
    sim
}

fn said(leg: usize, said: LegSaid) -> Event {
    Event::Leg { leg, said }
}

const ANSWERED: LegSaid = LegSaid::Answered { sdp: true };

fn screened(leg: usize, result: Screening) -> Event {
    Event::Screened {
        leg,
        result: Ok(result),
    }
}

#[test]
fn an_answer_that_must_be_confirmed_is_asked_first_and_the_others_ring_on() {
    let mut sim = ringing(false);
    let out = sim.event(said(0, ANSWERED));
    assert_eq!(
        out,
        vec![Command::Screen {
            leg: 0,
            prompt: AudioSource::Speech {
                text: "Press 1.".into(),
                language: None,
                voice: None
            },
            key: '1',
            timeout: 8 * S,
        }],
        "nothing cancelled, nothing bridged yet"
    );
    let out = sim.event(screened(0, Screening::Accepted));
    assert!(out.contains(&Command::Leg(ring::Command::Cancel { leg: 1 })));
    assert!(out.contains(&Command::Bridge {
        leg: 0,
        record: false
    }));
}

#[test]
fn a_refusal_hangs_that_party_up_and_another_can_still_answer() {
    let mut sim = ringing(false);
    sim.event(said(0, ANSWERED));
    let out = sim.event(screened(0, Screening::Refused));
    assert_eq!(out, vec![Command::Leg(ring::Command::Bye { leg: 0 })]);
    let out = sim.event(said(1, ANSWERED));
    assert!(out.contains(&Command::Bridge {
        leg: 1,
        record: false
    }));
}

#[test]
fn a_refusal_by_everyone_is_busy_and_no_key_in_time_is_no_answer() {
    for (result, status) in [
        (Screening::Refused, CallStatus::Busy),
        (Screening::TimedOut, CallStatus::NoAnswer),
    ] {
        let mut sim = ringing(false);
        sim.event(said(
            1,
            LegSaid::Ended {
                code: 480,
                hung_up: false,
            },
        ));
        sim.event(said(0, ANSWERED));
        let out = sim.event(screened(0, result));
        let (url, fields) = fetch_of(&out);
        assert_eq!(url.unwrap().path(), "/after");
        assert_eq!(fields.dial_call_status, Some(status), "{result:?}");
    }
}

#[test]
fn hanging_up_on_the_prompt_is_a_refusal() {
    let mut sim = ringing(false);
    sim.event(said(
        1,
        LegSaid::Ended {
            code: 486,
            hung_up: false,
        },
    ));
    sim.event(said(0, ANSWERED));
    let out = sim.event(said(
        0,
        LegSaid::Ended {
            code: 200,
            hung_up: true,
        },
    ));
    assert_eq!(fetch_of(&out).1.dial_call_status, Some(CallStatus::Busy));
    // Its answer to the prompt, arriving after, changes nothing.
    assert!(sim.event(screened(0, Screening::Accepted)).is_empty());
}

#[test]
fn the_ring_time_running_out_during_the_prompt_hangs_the_party_up() {
    let mut sim = ringing(false);
    sim.event(said(0, ANSWERED));
    let out = sim.at(20.0);
    assert!(
        out.contains(&Command::Leg(ring::Command::Bye { leg: 0 })),
        "a BYE, not a CANCEL, for the answered party: {out:?}"
    );
    assert!(out.contains(&Command::Leg(ring::Command::Cancel { leg: 1 })));
    assert!(sim.event(screened(0, Screening::Accepted)).is_empty());
}

#[test]
fn the_other_party_answering_during_the_prompt_hangs_the_screened_one_up() {
    let mut sim = ringing(false);
    sim.event(said(0, ANSWERED));
    let out = sim.event(said(1, ANSWERED));
    assert!(out.contains(&Command::Leg(ring::Command::Bye { leg: 0 })));
    assert!(out.contains(&Command::Bridge {
        leg: 1,
        record: false
    }));
}

#[test]
fn a_prompt_that_cannot_be_played_drops_that_party_and_says_why() {
    let mut sim = ringing(false);
    sim.event(said(0, ANSWERED));
    let out = sim.event(Event::Screened {
        leg: 0,
        result: Err("no recording named \"x\"".into()),
    });
    assert_eq!(errors(&out), ["audio_unavailable"]);
    assert!(out.contains(&Command::Leg(ring::Command::Bye { leg: 0 })));
}

#[test]
fn straight_through_the_caller_hears_ringing_not_the_screened_partys_media() {
    let mut sim = ringing(true);
    // Early media of the confirmed target is not the caller's to hear.
    let out = sim.event(said(0, LegSaid::Ringing { sdp: true }));
    assert_eq!(out, vec![Command::Ringing]);
    let out = sim.event(said(0, ANSWERED));
    assert!(
        matches!(&out[..], [Command::Screen { leg: 0, .. }]),
        "{out:?}"
    );
    assert!(!sim.program.is_answered(), "the caller still hears ringing");
    let out = sim.event(screened(0, Screening::Accepted));
    assert!(out.contains(&Command::AnswerThrough {
        leg: 0,
        record: false
    }));
    assert!(out.contains(&Command::Leg(ring::Command::Cancel { leg: 1 })));
}

#[test]
fn targets_without_confirm_are_not_screened() {
    let mut sim = ringing(false);
    let out = sim.event(said(1, ANSWERED));
    assert!(!out.iter().any(|c| matches!(c, Command::Screen { .. })));
    assert!(out.contains(&Command::Bridge {
        leg: 1,
        record: false
    }));
}

#[test]
fn confirm_is_validated_and_named() {
    for (confirm, field, message) in [
        (json!({"key": "12"}), "targets[0].confirm.key", "one key"),
        (json!({"timeout": 0}), "targets[0].confirm.timeout", "1"),
        (
            json!({"promt": {"say": "x"}}),
            "targets[0].confirm",
            "promt",
        ),
    ] {
        let doc = json!([{"verb": "dial", "targets": [
            {"type": "number", "number": "0612345678", "confirm": confirm}]}]);
        let err = contract::verbs::parse_document(doc.to_string().as_bytes()).unwrap_err();
        let text = format!("{err:?}");
        assert!(text.contains(field) && text.contains(message), "{text}");
    }
}

#[test]
fn a_dial_to_a_queue_refuses_what_it_cannot_honour() {
    for (field, value) in [
        ("answer_on_bridge", json!(true)),
        ("caller_name", json!("Sales")),
        ("caller_id", json!("+3222")),
        ("time_limit", json!(60)),
        ("record", json!(true)),
    ] {
        let mut verb = json!({"verb": "dial", "targets": [{"type": "queue", "queue": "q"}]});
        verb[field] = value;
        let err =
            contract::verbs::parse_document(json!([verb]).to_string().as_bytes()).unwrap_err();
        assert!(format!("{err:?}").contains(field), "{field}: {err:?}");
    }
}
