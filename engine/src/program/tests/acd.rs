//! A caller in a provisioned queue: asking for agents, ringing the members offered
//! while the hold audio goes on, the bridge, and every way out (max wait, empty queue,
//! exit key, hanging up).

use super::*;
use crate::acd::{QueueChange, QueueClaim, QueueExit, QueueSettings};
use crate::ring::{Stage, Target};
use serde_json::json;

fn settings() -> QueueSettings {
    QueueSettings {
        agent_ring_time: 15,
        retry_delay: 5,
        ..QueueSettings::default()
    }
}

/// A caller who joined queue `support` (no hold document) and asked for agents.
fn waiting(settings: QueueSettings) -> Sim {
    let mut sim = Sim::run(json!([
        {"verb": "enqueue", "queue": "support", "action": "/after"},
        {"verb": "say", "text": "never"},
    ]));
    let out = sim.out();
    assert!(out.contains(&Command::JoinQueue {
        queue: "support".into()
    }));
    let out = sim.event(Event::QueueEntered {
        position: 1,
        settings,
    });
    assert!(out.iter().any(|c| matches!(c, Command::QueueEvent(n) if n.event == "queue.joined" && n.position == Some(1))));
    assert!(asks_for_agents(&out), "{out:?}");
    sim
}

fn asks_for_agents(commands: &[Command]) -> bool {
    commands
        .iter()
        .any(|c| matches!(c, Command::ClaimAgents { queue, .. } if queue == "support"))
}

fn changes(commands: &[Command]) -> Vec<QueueChange> {
    commands
        .iter()
        .filter_map(|c| match c {
            Command::QueueChange { change, .. } => Some(change.clone()),
            _ => None,
        })
        .collect()
}

fn offer(sim: &mut Sim, members: &[&str]) -> Vec<Command> {
    sim.event(Event::QueueClaimed {
        claim: Some(QueueClaim::Offer {
            members: members.iter().map(ToString::to_string).collect(),
        }),
    })
}

fn wait(position: u32) -> Event {
    Event::QueueClaimed {
        claim: Some(QueueClaim::Wait {
            position,
            staffed: true,
            estimated_wait: Some(90),
        }),
    }
}

/// The offer in `out` resolved: one party per member, rung together.
fn rung(sim: &mut Sim, out: &[Command], n: usize) -> Vec<Command> {
    let id = out
        .iter()
        .find_map(|c| match c {
            Command::Resolve {
                id,
                targets,
                ring_time,
                ..
            } => {
                assert_eq!(targets.len(), n);
                assert_eq!(*ring_time, 15 * S, "the agents' ring time");
                Some(*id)
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no offer rung: {out:?}"));
    sim.event(Event::Resolved {
        id,
        plan: RingPlan {
            targets: vec![Target::single(); n],
            stages: vec![Stage {
                targets: (0..n).collect(),
                ring_time: 15 * S,
            }],
            problems: Vec::new(),
            unavailable: false,
            origins: (0..n).collect(),
        },
    })
}

#[test]
fn the_member_offered_is_rung_and_bridged_and_the_action_learns_bridged_when_the_agent_hangs_up() {
    let mut sim = waiting(settings());
    let out = offer(&mut sim, &["201", "202"]);
    let out = rung(&mut sim, &out, 2);
    assert!(
        !out.iter().any(|c| matches!(c, Command::Play { .. })),
        "the caller keeps its hold audio while agents ring: {out:?}"
    );
    let out = sim.event(Event::Leg {
        leg: 1,
        said: LegSaid::Answered { sdp: true },
    });
    assert!(
        out.iter()
            .any(|c| matches!(c, Command::Bridge { leg: 1, .. })),
        "{out:?}"
    );
    let out = sim.event(Event::Bridged {
        child: "CA2".into(),
    });
    assert_eq!(
        changes(&out),
        [QueueChange::Answered {
            member: "202".into()
        }],
        "the member of the leg that answered"
    );
    assert!(out.iter().any(|c| matches!(c, Command::QueueEvent(n) if n.event == "queue.answered" && n.agent.as_deref() == Some("202"))));
    let out = sim.event(Event::Leg {
        leg: 1,
        said: LegSaid::Ended {
            code: 200,
            hung_up: true,
        },
    });
    assert!(out.iter().any(|c| matches!(c, Command::Unbridge { .. })));
    let out = sim.event(Event::Unbridged {
        recording: Ok(None),
    });
    assert_eq!(
        changes(&out),
        [
            QueueChange::AgentFree {
                member: "202".into()
            },
            QueueChange::Left(QueueExit::Left)
        ],
        "the agent's wrap-up starts, the caller is out of the queue"
    );
    let (url, fields) = fetch_of(&out);
    assert_eq!(url.unwrap().path(), "/after");
    assert_eq!(fields.reason.as_deref(), Some("bridged"));
}

#[test]
fn nobody_answering_frees_the_members_and_the_caller_asks_again_after_the_retry_delay() {
    let mut sim = waiting(settings());
    let out = offer(&mut sim, &["201"]);
    rung(&mut sim, &out, 1);
    let out = sim.at(15.0);
    assert_eq!(changes(&out), [QueueChange::Released]);
    assert!(
        !asks_for_agents(&out),
        "not before the retry delay: {out:?}"
    );
    let out = sim.at(19.9);
    assert!(!asks_for_agents(&out));
    let out = sim.at(20.0);
    assert!(asks_for_agents(&out), "{out:?}");
}

#[test]
fn a_waiting_caller_asks_again_every_two_seconds_and_at_once_when_woken() {
    let mut sim = waiting(settings());
    sim.event(wait(3));
    assert!(!asks_for_agents(&sim.at(1.9)));
    assert!(asks_for_agents(&sim.at(2.0)));
    sim.event(wait(2));
    let out = sim.event(Event::QueueWake { departed: 0 });
    assert!(asks_for_agents(&out), "an agent may be free: {out:?}");
    assert!(
        !asks_for_agents(&sim.event(Event::QueueWake { departed: 0 })),
        "one question at a time"
    );
}

#[test]
fn the_position_is_announced_every_period_with_the_estimated_wait() {
    let mut sim = waiting(QueueSettings {
        announce_every: Some(30),
        announce_hold_time: true,
        ..settings()
    });
    sim.event(wait(3));
    for t in (2..30).step_by(2) {
        let out = sim.at(f64::from(t));
        assert!(out.contains(&Command::ClaimAgents {
            queue: "support".into(),
            estimate: false
        }));
        assert!(!out.iter().any(|c| matches!(c, Command::LoadAudio { .. })));
        sim.event(wait(3));
    }
    let out = sim.at(30.0);
    assert!(
        out.iter()
            .any(|c| matches!(c, Command::ClaimAgents { estimate: true, .. })),
        "the announcement asks for the estimate: {out:?}"
    );
    let out = sim.event(wait(3));
    let text = out
        .iter()
        .find_map(|c| match c {
            Command::LoadAudio {
                source: AudioSource::Speech { text, .. },
                ..
            } => Some(text.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no announcement: {out:?}"));
    assert_eq!(
        text,
        "You are caller number 3. Your estimated wait time is 2 minutes."
    );
    let out = sim.loaded(&out);
    let out = sim.played(&out);
    assert!(out.is_empty(), "no hold audio to play again: {out:?}");
}

#[test]
fn the_max_wait_sends_the_caller_on_with_timeout() {
    let mut sim = waiting(QueueSettings {
        max_wait: Some(60),
        ..settings()
    });
    sim.event(wait(1));
    let out = sim.at(60.0);
    assert_eq!(changes(&out), [QueueChange::Left(QueueExit::Timeout)]);
    assert_eq!(fetch_of(&out).1.reason.as_deref(), Some("timeout"));
}

#[test]
fn leave_when_empty_sends_the_caller_on_when_nobody_is_logged_in() {
    let mut sim = waiting(QueueSettings {
        leave_when_empty: true,
        ..settings()
    });
    let out = sim.event(Event::QueueClaimed {
        claim: Some(QueueClaim::Wait {
            position: 1,
            staffed: false,
            estimated_wait: None,
        }),
    });
    assert_eq!(changes(&out), [QueueChange::Left(QueueExit::Empty)]);
    assert_eq!(fetch_of(&out).1.reason.as_deref(), Some("empty"));
}

#[test]
fn the_exit_key_leaves_even_while_agents_ring() {
    let mut sim = waiting(QueueSettings {
        exit_key: Some("0".into()),
        ..settings()
    });
    let out = offer(&mut sim, &["201"]);
    rung(&mut sim, &out, 1);
    assert!(fetch_of_none(&sim.event(Event::Key('5'))));
    let out = sim.event(Event::Key('0'));
    assert!(
        out.iter()
            .any(|c| matches!(c, Command::Leg(crate::ring::Command::Cancel { .. }))),
        "{out:?}"
    );
    assert_eq!(
        changes(&out),
        [QueueChange::Released, QueueChange::Left(QueueExit::Key)]
    );
    assert_eq!(fetch_of(&out).1.reason.as_deref(), Some("key"));
}

fn fetch_of_none(commands: &[Command]) -> bool {
    !commands.iter().any(|c| matches!(c, Command::Fetch { .. }))
}

#[test]
fn hanging_up_while_waiting_is_abandoned_and_while_ringing_frees_the_members() {
    let mut sim = waiting(settings());
    let out = sim.event(Event::PartyGone(Gone::HungUp));
    assert_eq!(changes(&out), [QueueChange::Left(QueueExit::Abandoned)]);
    assert!(
        out.iter()
            .any(|c| matches!(c, Command::QueueEvent(n) if n.reason == Some("abandoned")))
    );

    let mut sim = waiting(settings());
    let out = offer(&mut sim, &["201"]);
    rung(&mut sim, &out, 1);
    let out = sim.event(Event::PartyGone(Gone::HungUp));
    assert_eq!(
        changes(&out),
        [
            QueueChange::Released,
            QueueChange::Left(QueueExit::Abandoned)
        ]
    );
}

#[test]
fn a_caller_the_queue_refuses_goes_to_the_action_with_the_reason() {
    let mut sim = Sim::run(json!([
        {"verb": "enqueue", "queue": "support", "action": "/after"},
    ]));
    sim.out();
    let out = sim.event(Event::QueueRefused {
        exit: QueueExit::Full,
    });
    assert_eq!(fetch_of(&out).1.reason.as_deref(), Some("full"));
    assert!(
        out.iter()
            .any(|c| matches!(c, Command::QueueEvent(n) if n.reason == Some("full")))
    );
}

#[test]
fn callers_far_back_ask_less_often_and_are_not_woken() {
    use crate::program::acd::claim_interval;
    assert_eq!(claim_interval(1), 2 * S);
    assert_eq!(claim_interval(4), 2 * S);
    assert_eq!(claim_interval(12), 6 * S);
    assert_eq!(claim_interval(500), 10 * S);
    let mut sim = waiting(settings());
    sim.event(wait(12));
    assert!(
        !asks_for_agents(&sim.event(Event::QueueWake { departed: 0 })),
        "far back"
    );
    assert!(!asks_for_agents(&sim.at(5.9)));
    assert!(asks_for_agents(&sim.at(6.0)));
    sim.event(wait(6));
    assert!(
        !asks_for_agents(&sim.event(Event::QueueWake { departed: 1 })),
        "at 5 now: still not near"
    );
    assert!(
        asks_for_agents(&sim.event(Event::QueueWake { departed: 1 })),
        "at 4: near the head, it asks"
    );
}

#[test]
fn announcements_say_minutes_or_less_than_a_minute() {
    use crate::program::acd::announcement;
    assert_eq!(announcement(1, None), "You are caller number 1.");
    assert_eq!(
        announcement(2, Some(30)),
        "You are caller number 2. Your estimated wait time is less than a minute."
    );
    assert_eq!(
        announcement(2, Some(61)),
        "You are caller number 2. Your estimated wait time is 2 minutes."
    );
}
