//! `dial` with `answer_on_bridge`: the caller stays unanswered while the dial rings, and
//! what happens to it when the bridge ends or nobody answers.

use super::dial::{dial_status, ended, hung_up, plan, resolve_id};
use super::*;
use crate::ring::{self, Target};
use serde_json::json;

/// A dial with `answer_on_bridge`: the caller unanswered while `plan(1)` rings.
fn on_bridge(document: serde_json::Value) -> Sim {
    let mut sim = Sim::run(document);
    let out = sim.out();
    assert!(
        matches!(&out[..], [Command::Resolve { through: true, .. }]),
        "not answered first: {out:?}"
    );
    sim.event(Event::Resolved {
        id: resolve_id(&out),
        plan: plan(1),
    });
    sim
}

#[test]
fn answer_on_bridge_keeps_the_caller_unanswered_and_goes_on_when_nobody_answers() {
    let mut sim = on_bridge(json!([
        {"verb": "dial", "answer_on_bridge": true, "action": "/after",
         "targets": [{"type": "extension", "number": "102"}]},
        {"verb": "say", "text": "never"},
    ]));
    assert_eq!(
        sim.event(Event::Leg {
            leg: 0,
            said: LegSaid::Ringing { sdp: false }
        }),
        vec![Command::Ringing],
        "the caller hears the callee ring"
    );
    let out = sim.event(ended(0, 486));
    assert!(
        !out.iter().any(|c| matches!(c, Command::Reject { .. })),
        "{out:?}"
    );
    assert!(
        matches!(&out[..], [Command::Unbridge { resume: false, .. }]),
        "{out:?}"
    );
    let out = sim.event(Event::Unbridged {
        recording: Ok(None),
    });
    assert_eq!(dial_status(&out), Some(CallStatus::Busy));
    assert!(!sim.program.is_answered(), "still not answered");
    // The action's document answers when it needs to.
    let out = sim.fetched(&out, "/after", json!([{"verb": "pause", "length": 1}]));
    assert_eq!(out[0], Command::Answer);
}

#[test]
fn a_caller_gone_while_the_bridge_ends_is_not_carried_on_to_the_action() {
    let mut sim = on_bridge(json!([
        {"verb": "dial", "answer_on_bridge": true, "action": "/after",
         "targets": [{"type": "extension", "number": "102"}]},
    ]));
    let out = sim.event(ended(0, 486));
    assert!(matches!(&out[..], [Command::Unbridge { .. }]), "{out:?}");
    assert!(sim.event(Event::PartyGone(Gone::HungUp)).is_empty());
    let out = sim.event(Event::Unbridged {
        recording: Ok(None),
    });
    assert!(
        matches!(&out[..], [Command::Notify { .. }, Command::Finish(o)] if o.code == 487),
        "the action is told, nothing is fetched: {out:?}"
    );
    assert!(sim.program.is_finished());
}

#[test]
fn answer_on_bridge_gives_the_caller_back_when_the_callee_hangs_up() {
    let mut sim = on_bridge(json!([
        {"verb": "dial", "answer_on_bridge": true, "time_limit": 30,
         "targets": [{"type": "extension", "number": "102"}]},
        {"verb": "say", "text": "after the call"},
    ]));
    let out = sim.event(Event::Leg {
        leg: 0,
        said: LegSaid::Answered { sdp: true },
    });
    assert!(out.contains(&Command::AnswerThrough {
        leg: 0,
        record: false
    }));
    sim.event(Event::Bridged {
        child: "CA12".into(),
    });
    let out = sim.event(hung_up(0));
    assert!(!out.contains(&Command::HangUp), "the caller stays: {out:?}");
    assert!(
        matches!(&out[..], [Command::Unbridge { resume: true, child }] if child.by == EndedBy::Callee),
        "{out:?}"
    );
    let out = sim.event(Event::Unbridged {
        recording: Ok(None),
    });
    assert!(
        matches!(&out[..], [Command::LoadAudio { .. }]),
        "the next verb runs: {out:?}"
    );
}

#[test]
fn answer_on_bridge_time_limit_ends_only_the_dialled_call() {
    let mut sim = on_bridge(json!([
        {"verb": "dial", "answer_on_bridge": true, "time_limit": 5, "action": "/after",
         "targets": [{"type": "extension", "number": "102"}]},
    ]));
    sim.event(Event::Leg {
        leg: 0,
        said: LegSaid::Answered { sdp: true },
    });
    sim.event(Event::Bridged {
        child: "CA13".into(),
    });
    let out = sim.at(5.0);
    assert_eq!(out[0], Command::Leg(ring::Command::Bye { leg: 0 }));
    assert!(!out.contains(&Command::HangUp));
    let out = sim.event(Event::Unbridged {
        recording: Ok(None),
    });
    let (_, fields) = fetch_of(&out);
    assert_eq!(
        (fields.dial_call_status, fields.dial_call_sid.as_deref()),
        (Some(CallStatus::Completed), Some("CA13"))
    );
}

#[test]
fn answer_on_bridge_caller_leaving_tells_the_action() {
    let mut sim = on_bridge(json!([
        {"verb": "dial", "answer_on_bridge": true, "action": "/after",
         "targets": [{"type": "extension", "number": "102"}]},
    ]));
    let out = sim.event(Event::PartyGone(Gone::Cancelled));
    assert!(out.contains(&Command::Leg(ring::Command::Cancel { leg: 0 })));
    let out = sim.event(Event::Unbridged {
        recording: Ok(None),
    });
    assert!(
        out.iter()
            .any(|c| matches!(c, Command::Notify { fields, .. }
            if fields.dial_call_status == Some(CallStatus::Canceled))),
        "{out:?}"
    );
    assert_eq!(finish(&out).by, EndedBy::Caller);
}

#[test]
fn straight_through_with_an_action_nobody_to_ring_goes_on_to_the_action_unanswered() {
    let mut sim = Sim::run(json!([
        {"verb": "dial", "targets": [{"type": "extension", "number": "102"}],
         "answer_on_bridge": true, "action": "/after"},
    ]));
    let out = sim.out();
    let out = sim.event(Event::Resolved {
        id: resolve_id(&out),
        plan: RingPlan {
            targets: vec![Target::default()],
            stages: Vec::new(),
            problems: Vec::new(),
            unavailable: false,
            origins: vec![0],
        },
    });
    assert!(
        !out.iter().any(|c| matches!(c, Command::Reject { .. })),
        "the caller is not refused: {out:?}"
    );
    assert_eq!(dial_status(&out), Some(CallStatus::NoAnswer));
    assert!(!sim.program.is_answered());
}
