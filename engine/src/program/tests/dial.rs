//! `dial`: ringing by the ringer, the bridge, what `action` learns; a call connected
//! straight through; a dial to a queue.

use super::*;
use crate::ring::{self, Stage, Target};
use serde_json::json;

/// A plan with `n` single-device targets rung together for 20 s.
pub(super) fn plan(n: usize) -> RingPlan {
    RingPlan {
        targets: vec![Target::single(); n],
        stages: vec![Stage {
            targets: (0..n).collect(),
            ring_time: 20 * S,
        }],
        problems: Vec::new(),
        unavailable: false,
        origins: (0..n).collect(),
    }
}

pub(super) fn resolve_id(commands: &[Command]) -> u64 {
    commands
        .iter()
        .find_map(|c| match c {
            Command::Resolve { id, .. } => Some(*id),
            _ => None,
        })
        .unwrap_or_else(|| panic!("nothing resolved in {commands:?}"))
}

pub(super) fn invites(commands: &[Command]) -> usize {
    commands
        .iter()
        .filter(|c| matches!(c, Command::Leg(ring::Command::Invite { .. })))
        .count()
}

/// The party on `leg` hung up after answering (a BYE).
pub(super) fn hung_up(leg: usize) -> Event {
    Event::Leg {
        leg,
        said: LegSaid::Ended {
            code: 200,
            hung_up: true,
        },
    }
}

pub(super) fn ended(leg: usize, code: u16) -> Event {
    Event::Leg {
        leg,
        said: LegSaid::Ended {
            code,
            hung_up: false,
        },
    }
}

/// A dial with an action, resolved into `plan`: the party answered, ringback playing.
pub(super) fn dialing(plan: RingPlan) -> (Sim, Vec<Command>) {
    let mut sim = Sim::run(json!([
        {"verb": "dial", "targets": [{"type": "extension", "number": "102"}], "action": "/after"},
        {"verb": "say", "text": "never"},
    ]));
    let out = sim.out();
    assert_eq!(out[0], Command::Answer, "the caller hears ringback");
    let out = sim.event(Event::Resolved {
        id: resolve_id(&out),
        plan,
    });
    (sim, out)
}

/// What `action` learned, from the commands that follow a dial.
pub(super) fn dial_status(out: &[Command]) -> Option<CallStatus> {
    let (url, fields) = fetch_of(out);
    assert_eq!(url.unwrap().path(), "/after");
    fields.dial_call_status
}

#[test]
fn the_dial_status_matrix_reaches_the_action() {
    // Every device refusing: the ringer's aggregate.
    for (codes, expected) in [
        (vec![486, 480], CallStatus::Busy),
        (vec![503, 480], CallStatus::NoAnswer),
        (vec![404, 503], CallStatus::Failed),
    ] {
        let (mut sim, out) = dialing(plan(2));
        assert_eq!(invites(&out), 2);
        assert!(
            matches!(
                out.iter().find(|c| matches!(c, Command::Play { .. })),
                Some(Command::Play { loops: 0, .. })
            ),
            "ringback loops"
        );
        assert!(sim.event(ended(0, codes[0])).is_empty());
        let out = sim.event(ended(1, codes[1]));
        assert_eq!(out[0], Command::StopPlayback, "ringback stops");
        assert_eq!(dial_status(&out), Some(expected), "{codes:?}");
    }
    // Nobody answering in time.
    let (mut sim, _) = dialing(plan(1));
    let out = sim.at(20.0);
    assert!(out.contains(&Command::Leg(ring::Command::Cancel { leg: 0 })));
    assert_eq!(dial_status(&out), Some(CallStatus::NoAnswer));
    // Nothing to ring at all.
    let (_, out) = dialing(RingPlan {
        targets: vec![Target::default()],
        stages: Vec::new(),
        problems: vec![("invalid_target", "targets[1]: no trunk named x".into())],
        unavailable: false,
        origins: vec![0],
    });
    assert_eq!(errors(&out), ["invalid_target"]);
    assert_eq!(dial_status(&out), Some(CallStatus::NoAnswer));
}

#[test]
fn an_answered_dial_bridges_then_the_action_learns_completed_and_the_child() {
    let (mut sim, _) = dialing(plan(2));
    let out = sim.event(Event::Leg {
        leg: 1,
        said: LegSaid::Answered { sdp: true },
    });
    assert_eq!(
        out,
        vec![
            Command::Leg(ring::Command::Cancel { leg: 0 }),
            Command::StopPlayback,
            Command::Bridge {
                leg: 1,
                record: false
            },
        ]
    );
    assert!(
        sim.event(Event::Bridged {
            child: "CA2".into()
        })
        .is_empty()
    );
    // The other device answering late is hung up.
    assert_eq!(
        sim.event(Event::Leg {
            leg: 0,
            said: LegSaid::Answered { sdp: true }
        }),
        vec![Command::Leg(ring::Command::Bye { leg: 0 })]
    );
    let out = sim.event(hung_up(1));
    match &out[..] {
        [Command::Unbridge { child, .. }] => assert_eq!(child.by, EndedBy::Callee),
        _ => panic!("{out:?}"),
    }
    let out = sim.event(Event::Unbridged {
        recording: Ok(None),
    });
    let (_, fields) = fetch_of(&out);
    assert_eq!(fields.dial_call_status, Some(CallStatus::Completed));
    assert_eq!(fields.dial_call_sid.as_deref(), Some("CA2"));
}

#[test]
fn a_dial_recording_that_cannot_be_saved_is_reported_and_the_call_goes_on() {
    let mut sim = Sim::run(json!([
        {"verb": "dial", "targets": [{"type": "extension", "number": "102"}], "record": true},
        {"verb": "hangup"},
    ]));
    let out = sim.out();
    sim.event(Event::Resolved {
        id: resolve_id(&out),
        plan: plan(1),
    });
    let out = sim.event(Event::Leg {
        leg: 0,
        said: LegSaid::Answered { sdp: true },
    });
    assert!(
        out.contains(&Command::Bridge {
            leg: 0,
            record: true
        }),
        "{out:?}"
    );
    sim.event(Event::Bridged {
        child: "CA4".into(),
    });
    sim.event(hung_up(0));
    let out = sim.event(Event::Unbridged {
        recording: Err("disk full".into()),
    });
    assert_eq!(errors(&out), ["recording_failed"]);
    assert!(out.contains(&Command::HangUp), "the next verb: {out:?}");
    assert_eq!(finish(&out).status, CallStatus::Completed);
}

#[test]
fn time_limit_ends_the_bridge() {
    let mut sim = Sim::run(json!([
        {"verb": "dial", "targets": [{"type": "extension", "number": "102"}], "time_limit": 10},
        {"verb": "hangup"},
    ]));
    let out = sim.out();
    sim.event(Event::Resolved {
        id: resolve_id(&out),
        plan: plan(1),
    });
    sim.event(Event::Leg {
        leg: 0,
        said: LegSaid::Answered { sdp: true },
    });
    sim.at(2.0);
    sim.event(Event::Bridged {
        child: "CA3".into(),
    });
    assert!(sim.at(11.9).is_empty());
    let out = sim.at(12.0);
    assert_eq!(out[0], Command::Leg(ring::Command::Bye { leg: 0 }));
    assert!(matches!(&out[1], Command::Unbridge { child, .. } if child.by == EndedBy::System));
    let out = sim.event(Event::Unbridged {
        recording: Ok(None),
    });
    assert_eq!(out[0], Command::HangUp, "no action: the next verb");
}

#[test]
fn the_caller_leaving_while_the_dial_rings_cancels_it_and_the_action_learns_canceled() {
    let (mut sim, _) = dialing(plan(1));
    let out = sim.event(Event::PartyGone(Gone::HungUp));
    assert_eq!(out[0], Command::Leg(ring::Command::Cancel { leg: 0 }));
    assert!(
        out.iter()
            .any(|c| matches!(c, Command::Notify { fields, .. }
        if fields.dial_call_status == Some(CallStatus::Canceled)))
    );
    assert_eq!(finish(&out).by, EndedBy::Caller);
}

#[test]
fn a_rest_redirect_during_a_dial_ends_it_and_runs_the_new_document() {
    let target = url("/elsewhere");
    // While ringing.
    let (mut sim, _) = dialing(plan(1));
    let out = sim.event(Event::Rest(Rest::Redirect(target.clone())));
    assert!(out.contains(&Command::Leg(ring::Command::Cancel { leg: 0 })));
    assert_eq!(fetch_of(&out).0.as_ref(), Some(&target));
    // While bridged: the bridge ends first, the action is told, then the redirect.
    let (mut sim, _) = dialing(plan(1));
    sim.event(Event::Leg {
        leg: 0,
        said: LegSaid::Answered { sdp: true },
    });
    sim.event(Event::Bridged {
        child: "CA4".into(),
    });
    let out = sim.event(Event::Rest(Rest::Redirect(target.clone())));
    assert!(out.contains(&Command::Leg(ring::Command::Bye { leg: 0 })));
    assert!(out.iter().any(|c| matches!(c, Command::Unbridge { .. })));
    let out = sim.event(Event::Unbridged {
        recording: Ok(None),
    });
    assert!(matches!(&out[0], Command::Notify { fields, .. }
        if fields.dial_call_status == Some(CallStatus::Completed)));
    assert_eq!(fetch_of(&out).0.as_ref(), Some(&target));
}

/// The built-in document of a call to an extension: `[dial the extension]`.
fn through() -> (Sim, Vec<Command>) {
    let mut sim = Sim::run(json!([
        {"verb": "dial", "targets": [{"type": "extension", "number": "102"}], "timeout": 20},
    ]));
    let out = sim.out();
    assert!(
        matches!(&out[..], [Command::Resolve { through: true, .. }]),
        "not answered first: {out:?}"
    );
    let out = sim.event(Event::Resolved {
        id: resolve_id(&out),
        plan: plan(2),
    });
    (sim, out)
}

#[test]
fn a_final_dial_connects_the_caller_straight_through() {
    let (mut sim, out) = through();
    assert_eq!(invites(&out), 2);
    assert_eq!(
        sim.event(Event::Leg {
            leg: 0,
            said: LegSaid::Ringing { sdp: false }
        }),
        vec![Command::Ringing]
    );
    let out = sim.event(Event::Leg {
        leg: 1,
        said: LegSaid::Answered { sdp: true },
    });
    assert!(out.contains(&Command::Leg(ring::Command::Cancel { leg: 0 })));
    assert!(out.contains(&Command::AnswerThrough {
        leg: 1,
        record: false
    }));
    assert!(sim.program.is_answered());
    sim.event(Event::Bridged {
        child: "CA5".into(),
    });
    let out = sim.event(hung_up(1));
    assert_eq!(out[0], Command::HangUp, "the caller gets the BYE");
    assert!(matches!(&out[1], Command::Unbridge { child, .. } if child.by == EndedBy::Callee));
    let out = sim.event(Event::Unbridged {
        recording: Ok(None),
    });
    let o = finish(&out);
    assert_eq!(
        (o.status, o.by, o.code),
        (CallStatus::Completed, EndedBy::Callee, 200)
    );
}

#[test]
fn straight_through_the_callees_refusal_is_the_callers_answer() {
    let (mut sim, _) = through();
    sim.event(ended(0, 486));
    let out = sim.event(ended(1, 480));
    assert!(out.contains(&Command::Reject { code: 486 }), "{out:?}");
    let out = [
        out,
        sim.event(Event::Unbridged {
            recording: Ok(None),
        }),
    ]
    .concat();
    let o = finish(&out);
    assert_eq!(
        (o.status, o.by, o.code),
        (CallStatus::Busy, EndedBy::Callee, 486)
    );
}

#[test]
fn straight_through_the_caller_cancelling_cancels_every_device() {
    let (mut sim, _) = through();
    let out = sim.event(Event::PartyGone(Gone::Cancelled));
    assert!(out.contains(&Command::Leg(ring::Command::Cancel { leg: 0 })));
    assert!(out.contains(&Command::Leg(ring::Command::Cancel { leg: 1 })));
    let out = [
        out,
        sim.event(Event::Unbridged {
            recording: Ok(None),
        }),
    ]
    .concat();
    let o = finish(&out);
    assert_eq!((o.status, o.by), (CallStatus::Canceled, EndedBy::Caller));
}

#[test]
fn a_rest_redirect_takes_a_caller_connected_through_back() {
    let (mut sim, _) = through();
    sim.event(Event::Leg {
        leg: 0,
        said: LegSaid::Answered { sdp: true },
    });
    sim.event(Event::Bridged {
        child: "CA6".into(),
    });
    let out = sim.event(Event::Rest(Rest::Verbs(verbs(json!([{"verb": "hangup"}])))));
    assert_eq!(out[0], Command::Leg(ring::Command::Bye { leg: 0 }));
    assert!(
        matches!(&out[1], Command::Unbridge { child, .. } if child.reason == "redirected through the API")
    );
    let out = sim.event(Event::Unbridged {
        recording: Ok(None),
    });
    assert_eq!(
        out[0],
        Command::HangUp,
        "the new verbs run; the caller was answered"
    );
}

#[test]
fn a_dial_to_an_empty_queue_is_no_answer_and_a_taken_caller_completes() {
    let mut sim = Sim::run(json!([
        {"verb": "dial", "targets": [{"type": "queue", "queue": "support"}], "action": "/after"},
    ]));
    let out = sim.out();
    assert!(out.contains(&Command::TakeFromQueue {
        queue: "support".into()
    }));
    let out = sim.event(Event::QueueTaken { caller: None });
    assert_eq!(dial_status(&out), Some(CallStatus::NoAnswer));

    let mut sim = Sim::run(json!([
        {"verb": "dial", "targets": [{"type": "queue", "queue": "support"}], "action": "/after"},
    ]));
    sim.out();
    assert!(
        sim.event(Event::QueueTaken {
            caller: Some("CA7".into())
        })
        .is_empty()
    );
    let out = sim.event(Event::QueueBridgeEnded);
    let (_, fields) = fetch_of(&out);
    assert_eq!(
        (fields.dial_call_status, fields.dial_call_sid.as_deref()),
        (Some(CallStatus::Completed), Some("CA7"))
    );
}

#[test]
fn enqueue_waits_with_hold_audio_and_the_action_learns_how_it_ended() {
    let mut sim = Sim::run(json!([
        {"verb": "enqueue", "queue": "support", "wait_url": "/hold", "action": "/out"},
    ]));
    let out = sim.out();
    assert!(out.contains(&Command::JoinQueue {
        queue: "support".into()
    }));
    let out = sim.event(Event::QueueJoined { position: 2 });
    let (url, fields) = fetch_of(&out);
    assert_eq!(url.unwrap().path(), "/hold");
    assert_eq!(fields.reason.as_deref(), Some("queue_position=2"));
    let out = sim.fetched(
        &out,
        "/hold",
        json!([{"verb": "say", "text": "please wait"}, {"verb": "pause", "length": 1}]),
    );
    let out = sim.loaded(&out);
    assert!(
        matches!(out[..], [Command::Play { loops: 0, ref audio, .. }] if audio.len() == 16_000)
    );
    sim.at(7.0);
    let out = sim.event(Event::QueuePickedUp {
        agent: "CA8".into(),
    });
    assert_eq!(out, vec![Command::StopPlayback, Command::BridgePickup]);
    let out = sim.event(Event::QueueBridgeEnded);
    let (_, fields) = fetch_of(&out);
    assert_eq!(
        (fields.reason.as_deref(), fields.queue_time),
        (Some("bridged"), Some(7))
    );
}

#[test]
fn the_party_media_comes_back_only_when_the_call_goes_on() {
    // The callee hangs up: the caller's media is ours again for the next verb.
    let (mut sim, _) = dialing(plan(1));
    sim.event(Event::Leg {
        leg: 0,
        said: LegSaid::Answered { sdp: true },
    });
    sim.event(Event::Bridged {
        child: "CA9".into(),
    });
    let out = sim.event(hung_up(0));
    assert!(
        matches!(&out[..], [Command::Unbridge { resume: true, .. }]),
        "{out:?}"
    );
    // The caller hangs up: nothing to resume.
    let (mut sim, _) = dialing(plan(1));
    sim.event(Event::Leg {
        leg: 0,
        said: LegSaid::Answered { sdp: true },
    });
    sim.event(Event::Bridged {
        child: "CA10".into(),
    });
    let out = sim.event(Event::PartyGone(Gone::HungUp));
    assert!(
        out.iter()
            .any(|c| matches!(c, Command::Unbridge { resume: false, .. })),
        "{out:?}"
    );
}

#[test]
fn no_media_for_the_party_fails_the_dial_rather_than_calling_anyone_busy() {
    let mut sim = Sim::run(json!([
        {"verb": "dial", "targets": [{"type": "extension", "number": "102"}]},
    ]));
    let out = sim.out();
    let out = sim.event(Event::Resolved {
        id: resolve_id(&out),
        plan: RingPlan {
            unavailable: true,
            ..plan(1)
        },
    });
    assert!(out.contains(&Command::Reject { code: 503 }), "{out:?}");
    assert_eq!(finish(&out).status, CallStatus::Failed);
}

#[test]
fn media_lost_after_a_bridge_hangs_up_rather_than_playing_to_nobody() {
    let (mut sim, _) = dialing(plan(1));
    sim.event(Event::Leg {
        leg: 0,
        said: LegSaid::Answered { sdp: true },
    });
    sim.event(Event::Bridged {
        child: "CA11".into(),
    });
    sim.event(hung_up(0));
    let out = sim.event(Event::MediaLost);
    assert_eq!(out[0], Command::HangUp);
    assert_eq!(
        finish(
            &[
                out,
                sim.event(Event::Unbridged {
                    recording: Ok(None)
                })
            ]
            .concat()
        )
        .reason,
        "media lost"
    );
}
