//! Whatever the documents, whatever the driver answers and whenever the party, the
//! REST API or the server interfere, every call ends, exactly once.

use super::*;
use crate::ring::{self, Stage, Target};
use proptest::prelude::*;
use serde_json::json;

/// The verbs documents are made of.
fn verb(i: usize) -> serde_json::Value {
    let all = [
        json!({"verb": "play", "recording": "r"}),
        json!({"verb": "say", "text": "hi", "loop": 2}),
        json!({"verb": "pause", "length": 1}),
        json!({"verb": "gather", "timeout": 2, "num_digits": 1,
               "prompts": [{"verb": "say", "text": "press"}, {"verb": "pause", "length": 1}]}),
        json!({"verb": "record", "max_length": 3, "action": "/rec"}),
        json!({"verb": "dial", "targets": [{"type": "extension", "number": "102"}], "timeout": 3}),
        json!({"verb": "dial", "targets": [{"type": "extension", "number": "102"}], "timeout": 3,
               "action": "/dialled", "time_limit": 5}),
        json!({"verb": "dial", "targets": [{"type": "queue", "queue": "q"}]}),
        json!({"verb": "dial", "targets": [{"type": "extension", "number": "102"}], "timeout": 3,
               "answer_on_bridge": true, "action": "/bridged", "time_limit": 4}),
        json!({"verb": "enqueue", "queue": "q", "wait_url": "/hold", "action": "/left"}),
        json!({"verb": "redirect", "url": "/next"}),
        json!({"verb": "hangup"}),
        json!({"verb": "reject", "reason": "busy"}),
        json!({"verb": "leave"}),
        json!({"verb": "redirect", "destination": "ivr:Main"}),
        json!({"verb": "dial", "targets": [{"type": "extension", "number": "102"}], "timeout": 3,
               "ringback": {"recording": "music"}, "caller_name": "Sales: Ann"}),
        json!({"verb": "dial", "targets": [{"type": "number", "number": "0612", "confirm": {}},
               {"type": "extension", "number": "102"}], "timeout": 3, "action": "/dialled"}),
        json!({"verb": "dial", "targets": [{"type": "number", "number": "0612", "confirm": {}}],
               "timeout": 3, "answer_on_bridge": true}),
    ];
    all[i % all.len()].clone()
}

/// What the test does next.
#[derive(Debug, Clone)]
enum Op {
    /// Answer the oldest thing the program waits for (index among them).
    Respond(usize, bool),
    Key(char),
    Silence,
    Advance(u64),
    Gone(u8),
    Rest(u8),
    MediaTimeout,
    Shutdown,
    BridgeTimeout,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..4usize, any::<bool>()).prop_map(|(i, ok)| Op::Respond(i, ok)),
        1 => prop::sample::select(vec!['1', '#', '5']).prop_map(Op::Key),
        1 => Just(Op::Silence),
        2 => (0..6000u64).prop_map(Op::Advance),
        1 => (0..3u8).prop_map(Op::Gone),
        1 => (0..3u8).prop_map(Op::Rest),
        1 => Just(Op::MediaTimeout),
        1 => Just(Op::Shutdown),
        1 => Just(Op::BridgeTimeout),
    ]
}

/// The driver's answer to a command, when it has one (`ok`: success or failure).
fn answer(
    command: &Command,
    ok: bool,
    documents: &[Vec<usize>],
    next_doc: &mut usize,
) -> Vec<Event> {
    let document = |next: &mut usize| {
        let d = &documents[*next % documents.len()];
        *next += 1;
        Document {
            url: url("/doc"),
            verbs: verbs(serde_json::Value::Array(
                d.iter().map(|&i| verb(i)).collect(),
            )),
        }
    };
    match command {
        Command::Fetch { id, .. } | Command::Route { id, .. } => vec![Event::Fetched {
            id: *id,
            result: if ok {
                Ok(document(next_doc))
            } else {
                Err(FetchFailure {
                    code: "webhook_failed",
                    message: "refused".into(),
                    url: None,
                    document: None,
                })
            },
        }],
        Command::Answer if !ok => vec![Event::AnswerFailed],
        Command::LoadAudio { id, .. } => vec![Event::AudioLoaded {
            id: *id,
            result: if ok {
                Ok(vec![0i16; 800].into())
            } else {
                Err("missing".into())
            },
        }],
        Command::Play { id, .. } => vec![Event::PlaybackDone { id: *id }],
        Command::FinishRecording { id, .. } => vec![Event::Recorded {
            id: *id,
            result: if ok {
                Ok(Some(Recording {
                    sid: "RE".into(),
                    url: "/r".into(),
                    duration_ms: 1000,
                }))
            } else {
                Ok(None)
            },
        }],
        Command::Resolve { id, .. } => vec![Event::Resolved {
            id: *id,
            plan: RingPlan {
                targets: vec![Target::single(); 2],
                stages: if ok {
                    vec![Stage {
                        targets: vec![0, 1],
                        ring_time: 3 * S,
                    }]
                } else {
                    Vec::new()
                },
                problems: Vec::new(),
                unavailable: false,
                origins: vec![0, 1],
            },
        }],
        Command::Leg(ring::Command::Invite { leg, .. }) => vec![Event::Leg {
            leg: *leg,
            said: if ok {
                LegSaid::Answered { sdp: true }
            } else {
                LegSaid::Ended {
                    code: 486,
                    hung_up: false,
                }
            },
        }],
        Command::Bridge { .. } | Command::AnswerThrough { .. } => {
            vec![Event::Bridged { child: "CA".into() }]
        }
        Command::Unbridge { .. } => vec![Event::Unbridged {
            recording: Ok(None),
        }],
        Command::JoinQueue { .. } => vec![Event::QueueJoined { position: 1 }],
        Command::TakeFromQueue { .. } => vec![Event::QueueTaken {
            caller: ok.then(|| "CA".into()),
        }],
        Command::BridgePickup => vec![Event::QueueBridgeEnded],
        Command::Screen { leg, .. } => vec![Event::Screened {
            leg: *leg,
            result: Ok(if ok {
                Screening::Accepted
            } else {
                Screening::Refused
            }),
        }],
        _ => Vec::new(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Every run finishes exactly once, and nothing comes out after the end.
    #[test]
    fn every_run_finishes_exactly_once(
        documents in prop::collection::vec(prop::collection::vec(0..18usize, 0..5), 1..4),
        fetch_first in any::<bool>(),
        answered in any::<bool>(),
        ops in prop::collection::vec(op(), 0..60),
    ) {
        let mut next_doc = 0;
        let start = if fetch_first {
            Start::Fetch
        } else {
            let d = &documents[0];
            next_doc = 1;
            Start::Verbs(verbs(serde_json::Value::Array(d.iter().map(|&i| verb(i)).collect())))
        };
        let mut sim = Sim::with(start, answered);
        let mut log = sim.out();
        // Answers the driver owes, oldest first.
        let mut owed: Vec<Event> = log.iter().flat_map(|c| answer(c, true, &documents, &mut next_doc)).collect();
        let mut elapsed = 0u64;
        let step = |sim: &mut Sim, event: Event, log: &mut Vec<Command>, owed: &mut Vec<Event>, next_doc: &mut usize, ok: bool| {
            let out = sim.event(event);
            owed.extend(out.iter().flat_map(|c| answer(c, ok, &documents, next_doc)));
            log.extend(out);
        };
        for op in ops {
            if sim.program.is_finished() {
                break;
            }
            match op {
                Op::Respond(i, ok) => {
                    if !owed.is_empty() {
                        let e = owed.remove(i % owed.len());
                        step(&mut sim, e, &mut log, &mut owed, &mut next_doc, ok);
                    }
                }
                Op::Key(k) => step(&mut sim, Event::Key(k), &mut log, &mut owed, &mut next_doc, true),
                Op::Silence => step(&mut sim, Event::Silence, &mut log, &mut owed, &mut next_doc, true),
                Op::Advance(ms) => {
                    elapsed += ms;
                    let out = sim.at(elapsed as f64 / 1000.0);
                    owed.extend(out.iter().flat_map(|c| answer(c, true, &documents, &mut next_doc)));
                    log.extend(out);
                }
                Op::Gone(g) => {
                    let gone = [Gone::HungUp, Gone::Cancelled, Gone::NoAck][g as usize % 3];
                    step(&mut sim, Event::PartyGone(gone), &mut log, &mut owed, &mut next_doc, true);
                }
                Op::Rest(r) => {
                    let order = match r {
                        0 => Rest::Hangup,
                        1 => Rest::Redirect(url("/redirected")),
                        _ => Rest::Verbs(verbs(json!([{"verb": "pause", "length": 1}]))),
                    };
                    step(&mut sim, Event::Rest(order), &mut log, &mut owed, &mut next_doc, true);
                }
                Op::MediaTimeout => step(&mut sim, Event::MediaTimeout, &mut log, &mut owed, &mut next_doc, true),
                Op::Shutdown => step(&mut sim, Event::Shutdown, &mut log, &mut owed, &mut next_doc, true),
                Op::BridgeTimeout => step(&mut sim, Event::BridgeTimeout { party: false }, &mut log, &mut owed, &mut next_doc, true),
            }
        }
        // The party hangs up; the driver answers everything it owes; time passes.
        step(&mut sim, Event::PartyGone(Gone::HungUp), &mut log, &mut owed, &mut next_doc, true);
        let mut rounds = 0;
        while !sim.program.is_finished() && rounds < 200 {
            rounds += 1;
            if owed.is_empty() {
                elapsed += 60_000;
                let out = sim.at(elapsed as f64 / 1000.0);
                owed.extend(out.iter().flat_map(|c| answer(c, true, &documents, &mut next_doc)));
                log.extend(out);
            } else {
                let e = owed.remove(0);
                step(&mut sim, e, &mut log, &mut owed, &mut next_doc, true);
            }
        }
        prop_assert!(sim.program.is_finished(), "not finished: {:?}", log);
        let finishes = log.iter().filter(|c| matches!(c, Command::Finish(_))).count();
        prop_assert_eq!(finishes, 1, "{:?}", log);
        prop_assert!(matches!(log.last(), Some(Command::Finish(_))), "nothing after the end: {:?}", log);
        // Anything more changes nothing.
        prop_assert!(sim.event(Event::PartyGone(Gone::HungUp)).is_empty());
        prop_assert!(sim.at(elapsed as f64 / 1000.0 + 3600.0).is_empty());
    }
}
