//! The ringer on a simulated clock: every rule as a sentence, every strategy's order and
//! timing, and a property test over arbitrary SIP exchanges.

#![allow(clippy::unwrap_used)]

use super::strategy::{TargetStats, order, plan};
use super::*;
use contract::verbs::DialStrategy;
use proptest::prelude::*;

const S: Duration = Duration::from_secs(1);

/// A ringer and its clock.
struct Sim {
    ringer: Ringer,
    start: Instant,
    now: Instant,
}

impl Sim {
    fn new(targets: Vec<Target>, stages: Vec<Stage>) -> Self {
        let start = Instant::now();
        Self {
            ringer: Ringer::new(targets, stages, start),
            start,
            now: start,
        }
    }

    /// `n` single-device targets rung by `strategy`, `ring` seconds each stage.
    fn strategy(strategy: DialStrategy, n: usize, ring: u64) -> Self {
        let stats = vec![
            TargetStats {
                reachable: true,
                ..TargetStats::default()
            };
            n
        ];
        let stages = plan(strategy, &stats, Duration::from_secs(ring), 0);
        Self::new(vec![Target::single(); n], stages)
    }

    fn out(&mut self) -> Vec<Command> {
        std::iter::from_fn(|| self.ringer.poll()).collect()
    }

    fn event(&mut self, event: Event) -> Vec<Command> {
        self.ringer.handle(event, self.now);
        self.out()
    }

    /// Moves the clock to `secs` after the start, firing every timer on the way.
    fn at(&mut self, secs: f64) -> Vec<Command> {
        let until = self.start + Duration::from_secs_f64(secs);
        let mut out = Vec::new();
        while let Some(t) = self.ringer.poll_timeout().filter(|t| *t <= until) {
            self.now = t;
            self.ringer.handle_timeout(t);
            out.extend(self.out());
        }
        self.now = until;
        out
    }
}

fn invite(leg: LegId, target: TargetId) -> Command {
    invite_way(leg, target, 0, 0)
}

fn invite_way(leg: LegId, target: TargetId, branch: usize, way: usize) -> Command {
    Command::Invite {
        leg,
        target,
        branch,
        way,
    }
}

fn connected(leg: LegId, target: TargetId) -> Command {
    Command::Done(Outcome::Connected { leg, target })
}

fn unanswered(status: CallStatus, code: u16) -> Command {
    Command::Done(Outcome::Unanswered {
        status,
        code,
        rang_out: false,
    })
}

fn rang_out() -> Command {
    Command::Done(Outcome::Unanswered {
        status: CallStatus::NoAnswer,
        code: 480,
        rang_out: true,
    })
}

#[test]
fn ringall_rings_everyone_and_the_first_answer_wins() {
    let mut sim = Sim::strategy(DialStrategy::Ringall, 3, 20);
    assert_eq!(sim.out(), vec![invite(0, 0), invite(1, 1), invite(2, 2)]);
    assert_eq!(
        sim.event(Event::Ringing { leg: 0, sdp: false }),
        vec![Command::Ringing]
    );
    assert!(
        sim.event(Event::Ringing { leg: 2, sdp: false }).is_empty(),
        "the caller hears ringing once"
    );
    assert_eq!(
        sim.event(Event::Answered { leg: 1, sdp: true }),
        vec![
            Command::Cancel { leg: 0 },
            Command::Cancel { leg: 2 },
            connected(1, 1)
        ]
    );
    assert!(sim.ringer.is_done());
    assert_eq!(sim.ringer.poll_timeout(), None, "no timer after the answer");
    // Leg 2 answered too, its 200 crossing our CANCEL: it is hung up.
    assert_eq!(
        sim.event(Event::Answered { leg: 2, sdp: true }),
        vec![Command::Bye { leg: 2 }]
    );
    // The cancelled leg's 487 changes nothing.
    assert!(sim.event(Event::Failed { leg: 0, code: 487 }).is_empty());
}

#[test]
fn ringall_that_rings_out_is_no_answer() {
    let mut sim = Sim::strategy(DialStrategy::Ringall, 2, 20);
    sim.out();
    assert!(sim.at(19.9).is_empty());
    assert_eq!(
        sim.at(20.0),
        vec![
            Command::Cancel { leg: 0 },
            Command::Cancel { leg: 1 },
            rang_out()
        ]
    );
}

#[test]
fn everybody_refusing_is_busy_when_one_was_busy() {
    let mut sim = Sim::strategy(DialStrategy::Ringall, 2, 20);
    sim.out();
    assert!(
        sim.event(Event::Failed { leg: 0, code: 486 }).is_empty(),
        "one still rings"
    );
    assert_eq!(
        sim.event(Event::Failed { leg: 1, code: 480 }),
        vec![unanswered(CallStatus::Busy, 486)]
    );
    let mut sim = Sim::strategy(DialStrategy::Ringall, 2, 20);
    sim.out();
    sim.event(Event::Failed { leg: 0, code: 404 });
    assert_eq!(
        sim.event(Event::Failed { leg: 1, code: 503 }),
        vec![unanswered(CallStatus::Failed, 480)]
    );
}

#[test]
fn hunt_rings_one_target_at_a_time_for_its_ring_time() {
    let mut sim = Sim::strategy(DialStrategy::Hunt, 3, 5);
    assert_eq!(sim.out(), vec![invite(0, 0)]);
    assert!(sim.at(4.9).is_empty());
    assert_eq!(sim.at(5.0), vec![Command::Cancel { leg: 0 }, invite(1, 1)]);
    assert_eq!(sim.at(10.0), vec![Command::Cancel { leg: 1 }, invite(2, 2)]);
    assert_eq!(
        sim.event(Event::Answered { leg: 2, sdp: true }),
        vec![connected(2, 2)]
    );
}

#[test]
fn a_refusal_moves_hunt_on_at_once() {
    let mut sim = Sim::strategy(DialStrategy::Hunt, 3, 5);
    sim.out();
    sim.at(1.0);
    assert_eq!(
        sim.event(Event::Failed { leg: 0, code: 486 }),
        vec![invite(1, 1)]
    );
    // The new stage has its own full ring time.
    assert!(sim.at(5.9).is_empty());
    assert_eq!(sim.at(6.0), vec![Command::Cancel { leg: 1 }, invite(2, 2)]);
    // The last one rings out: someone was busy, but the dial ended ringing.
    assert_eq!(sim.at(11.0), vec![Command::Cancel { leg: 2 }, rang_out()]);
}

#[test]
fn memoryhunt_adds_a_target_each_stage_and_keeps_the_others_ringing() {
    let mut sim = Sim::strategy(DialStrategy::Memoryhunt, 3, 4);
    assert_eq!(sim.out(), vec![invite(0, 0)]);
    assert_eq!(sim.at(4.0), vec![invite(1, 1)], "the first keeps ringing");
    assert_eq!(sim.at(8.0), vec![invite(2, 2)]);
    assert_eq!(
        sim.event(Event::Answered { leg: 0, sdp: true }),
        vec![
            Command::Cancel { leg: 1 },
            Command::Cancel { leg: 2 },
            connected(0, 0)
        ]
    );
}

#[test]
fn a_busy_target_is_not_rung_again_by_memoryhunt() {
    let mut sim = Sim::strategy(DialStrategy::Memoryhunt, 2, 4);
    sim.out();
    // Busy: the stage has nobody left, the next one starts now without it.
    assert_eq!(
        sim.event(Event::Failed { leg: 0, code: 486 }),
        vec![invite(1, 1)]
    );
}

#[test]
fn a_target_with_several_devices_rings_them_together() {
    let targets = vec![Target::ways(vec![1, 1]), Target::single()];
    let stats = vec![
        TargetStats {
            reachable: true,
            ..TargetStats::default()
        };
        2
    ];
    let mut sim = Sim::new(targets, plan(DialStrategy::Hunt, &stats, 5 * S, 0));
    assert_eq!(
        sim.out(),
        vec![invite_way(0, 0, 0, 0), invite_way(1, 0, 1, 0)]
    );
    // One device busy, the other still rings: the stage goes on.
    assert!(sim.event(Event::Failed { leg: 0, code: 486 }).is_empty());
    assert_eq!(
        sim.event(Event::Failed { leg: 1, code: 480 }),
        vec![invite(2, 1)]
    );
}

#[test]
fn a_trunk_error_fails_over_to_the_next_way_and_a_busy_callee_does_not() {
    let targets = vec![Target::ways(vec![3])];
    let stages = vec![Stage {
        targets: vec![0],
        ring_time: 30 * S,
    }];
    let mut sim = Sim::new(targets.clone(), stages.clone());
    assert_eq!(sim.out(), vec![invite_way(0, 0, 0, 0)]);
    assert_eq!(
        sim.event(Event::Failed { leg: 0, code: 503 }),
        vec![invite_way(1, 0, 0, 1)]
    );
    assert_eq!(
        sim.event(Event::Failed { leg: 1, code: 407 }),
        vec![invite_way(2, 0, 0, 2)]
    );
    assert_eq!(
        sim.event(Event::Failed { leg: 2, code: 503 }),
        vec![unanswered(CallStatus::Failed, 480)],
        "no way left"
    );
    let mut sim = Sim::new(targets, stages);
    sim.out();
    assert_eq!(
        sim.event(Event::Failed { leg: 0, code: 486 }),
        vec![unanswered(CallStatus::Busy, 486)],
        "busy is busy through any trunk"
    );
}

#[test]
fn a_silent_way_is_given_up_for_the_next_after_the_silence_time() {
    let targets = vec![Target::ways(vec![2])];
    let stages = vec![Stage {
        targets: vec![0],
        ring_time: 30 * S,
    }];
    let mut sim = Sim::new(targets.clone(), stages.clone());
    sim.out();
    assert!(sim.at(4.9).is_empty());
    assert_eq!(
        sim.at(5.0),
        vec![Command::Abandon { leg: 0 }, invite_way(1, 0, 0, 1)]
    );
    // The last way has no silence timer: the ring time decides.
    assert_eq!(sim.ringer.poll_timeout(), Some(sim.start + 30 * S));

    // A 100 Trying is enough to keep the way.
    let mut sim = Sim::new(targets, stages);
    sim.out();
    assert!(sim.event(Event::Trying { leg: 0 }).is_empty());
    assert!(sim.at(10.0).is_empty());
}

#[test]
fn an_answer_without_sdp_is_hung_up_and_the_others_keep_ringing() {
    let mut sim = Sim::strategy(DialStrategy::Ringall, 2, 20);
    sim.out();
    assert_eq!(
        sim.event(Event::Answered { leg: 0, sdp: false }),
        vec![Command::Bye { leg: 0 }]
    );
    assert!(!sim.ringer.is_done());
    assert_eq!(
        sim.event(Event::Failed { leg: 1, code: 486 }),
        vec![unanswered(CallStatus::Busy, 486)]
    );
    // With its answer given earlier in a 183, a 200 without SDP connects.
    let mut sim = Sim::strategy(DialStrategy::Ringall, 1, 20);
    sim.out();
    assert_eq!(
        sim.event(Event::Ringing { leg: 0, sdp: true }),
        vec![Command::EarlyMedia { leg: 0 }]
    );
    assert_eq!(
        sim.event(Event::Answered { leg: 0, sdp: false }),
        vec![connected(0, 0)]
    );
}

#[test]
fn early_media_replaces_ringing_and_passes_on_when_its_leg_ends() {
    let mut sim = Sim::strategy(DialStrategy::Hunt, 2, 5);
    sim.out();
    assert_eq!(
        sim.event(Event::Ringing { leg: 0, sdp: true }),
        vec![Command::EarlyMedia { leg: 0 }]
    );
    assert_eq!(sim.at(5.0), vec![Command::Cancel { leg: 0 }, invite(1, 1)]);
    assert_eq!(
        sim.event(Event::Ringing { leg: 1, sdp: true }),
        vec![Command::EarlyMedia { leg: 1 }],
        "the next target's early media is heard"
    );
}

#[test]
fn abort_while_ringing_cancels_every_leg() {
    let mut sim = Sim::strategy(DialStrategy::Ringall, 2, 20);
    sim.out();
    sim.event(Event::Failed { leg: 1, code: 486 });
    sim.ringer.abort();
    assert_eq!(
        sim.out(),
        vec![
            Command::Cancel { leg: 0 },
            unanswered(CallStatus::Canceled, 487)
        ]
    );
    sim.ringer.abort();
    assert!(sim.out().is_empty(), "done once");
    assert_eq!(
        sim.event(Event::Answered { leg: 0, sdp: true }),
        vec![Command::Bye { leg: 0 }],
        "an answer crossing the CANCEL is hung up"
    );
}

#[test]
fn nothing_to_ring_is_no_answer_at_once() {
    let mut sim = Sim::new(
        vec![Target::default()],
        vec![Stage {
            targets: vec![0],
            ring_time: 20 * S,
        }],
    );
    assert_eq!(sim.out(), vec![unanswered(CallStatus::NoAnswer, 480)]);
    let mut sim = Sim::new(Vec::new(), Vec::new());
    assert_eq!(sim.out(), vec![unanswered(CallStatus::NoAnswer, 480)]);
}

fn stats(entries: &[(bool, bool, Option<u64>, u32)]) -> Vec<TargetStats> {
    entries
        .iter()
        .map(
            |&(reachable, in_call, last_answered, answered_recently)| TargetStats {
                reachable,
                in_call,
                last_answered,
                answered_recently,
            },
        )
        .collect()
}

#[test]
fn every_strategy_orders_its_targets() {
    let s = stats(&[
        (true, true, Some(300), 5),
        (true, false, None, 1),
        (false, false, Some(900), 0),
        (true, false, Some(100), 3),
    ]);
    // Target 2 has nothing to ring: no strategy rings it.
    assert_eq!(order(DialStrategy::Ringall, &s, 0), vec![0, 1, 3]);
    assert_eq!(order(DialStrategy::Hunt, &s, 0), vec![0, 1, 3]);
    assert_eq!(order(DialStrategy::Linear, &s, 0), vec![0, 1, 3]);
    assert_eq!(order(DialStrategy::Memoryhunt, &s, 0), vec![0, 1, 3]);
    assert_eq!(
        order(DialStrategy::Firstavailable, &s, 0),
        vec![1],
        "0 is on a call"
    );
    // Target 0 answered last (at 300): start after it.
    assert_eq!(order(DialStrategy::Rrmemory, &s, 0), vec![1, 3, 0]);
    assert_eq!(order(DialStrategy::Roundrobin, &s, 0), vec![1, 3, 0]);
    assert_eq!(order(DialStrategy::Leastrecent, &s, 0), vec![1, 3, 0]);
    assert_eq!(order(DialStrategy::Fewestcalls, &s, 0), vec![1, 3, 0]);
    let mut shuffled = order(DialStrategy::Random, &s, 7);
    assert_eq!(shuffled, order(DialStrategy::Random, &s, 7), "same seed");
    shuffled.sort_unstable();
    assert_eq!(shuffled, vec![0, 1, 3]);
}

#[test]
fn round_robin_moves_on_after_each_answer() {
    let mut s = stats(&[
        (true, false, None, 0),
        (true, false, None, 0),
        (true, false, None, 0),
    ]);
    assert_eq!(order(DialStrategy::Rrmemory, &s, 0), vec![0, 1, 2]);
    s[0].last_answered = Some(10);
    assert_eq!(order(DialStrategy::Rrmemory, &s, 0), vec![1, 2, 0]);
    s[1].last_answered = Some(20);
    assert_eq!(order(DialStrategy::Rrmemory, &s, 0), vec![2, 0, 1]);
    s[2].last_answered = Some(30);
    assert_eq!(order(DialStrategy::Rrmemory, &s, 0), vec![0, 1, 2]);
}

#[test]
fn random_orders_differ_between_seeds() {
    let s = stats(&[(true, false, None, 0); 6]);
    let orders: std::collections::HashSet<Vec<TargetId>> = (0..20)
        .map(|seed| order(DialStrategy::Random, &s, seed))
        .collect();
    assert!(orders.len() > 10, "{orders:?}");
}

#[test]
fn plans_give_each_strategy_its_stages() {
    let s = stats(&[(true, false, None, 0); 3]);
    let stages = |strategy| {
        plan(strategy, &s, 7 * S, 0)
            .into_iter()
            .map(|st| {
                assert_eq!(st.ring_time, 7 * S);
                st.targets
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(stages(DialStrategy::Ringall), vec![vec![0, 1, 2]]);
    assert_eq!(
        stages(DialStrategy::Memoryhunt),
        vec![vec![0], vec![0, 1], vec![0, 1, 2]]
    );
    for one_at_a_time in [
        DialStrategy::Hunt,
        DialStrategy::Linear,
        DialStrategy::Rrmemory,
        DialStrategy::Roundrobin,
        DialStrategy::Leastrecent,
        DialStrategy::Fewestcalls,
    ] {
        assert_eq!(
            stages(one_at_a_time),
            vec![vec![0], vec![1], vec![2]],
            "{one_at_a_time:?}"
        );
    }
    assert_eq!(stages(DialStrategy::Random).len(), 3);
    assert_eq!(stages(DialStrategy::Firstavailable), vec![vec![0]]);
    let nobody = stats(&[(false, false, None, 0)]);
    assert!(plan(DialStrategy::Ringall, &nobody, S, 0).is_empty());
}

/// What the property test does to the ringer.
#[derive(Debug, Clone)]
enum Op {
    Trying(usize),
    Ringing(usize, bool),
    Answered(usize, bool),
    Failed(usize, u16),
    Advance(u64),
    Abort,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..8usize).prop_map(Op::Trying),
        (0..8usize, any::<bool>()).prop_map(|(l, s)| Op::Ringing(l, s)),
        (0..8usize, any::<bool>()).prop_map(|(l, s)| Op::Answered(l, s)),
        (
            0..8usize,
            prop::sample::select(vec![404u16, 407, 408, 480, 486, 487, 503, 603])
        )
            .prop_map(|(l, c)| Op::Failed(l, c)),
        (0..8000u64).prop_map(Op::Advance),
        Just(Op::Abort),
    ]
}

fn strategy_value() -> impl Strategy<Value = DialStrategy> {
    prop::sample::select(vec![
        DialStrategy::Ringall,
        DialStrategy::Hunt,
        DialStrategy::Memoryhunt,
        DialStrategy::Firstavailable,
        DialStrategy::Roundrobin,
        DialStrategy::Rrmemory,
        DialStrategy::Leastrecent,
        DialStrategy::Fewestcalls,
        DialStrategy::Random,
        DialStrategy::Linear,
    ])
}

proptest! {
    /// Whatever the legs say and whenever, ringing ends in exactly one `Done`, no leg is
    /// left ringing, and every leg that answered and lost is hung up.
    #[test]
    fn any_exchange_ends_once_and_leaves_no_leg_ringing(
        shape in prop::collection::vec(prop::collection::vec(1..3usize, 0..3), 0..4),
        strategy in strategy_value(),
        ring in 1..6u64,
        ops in prop::collection::vec(op(), 0..40),
    ) {
        let targets: Vec<Target> = shape.iter().map(|b| Target::ways(b.clone())).collect();
        let stats: Vec<TargetStats> = targets
            .iter()
            .map(|t| TargetStats { reachable: !t.branches.is_empty(), ..TargetStats::default() })
            .collect();
        let stages = plan(strategy, &stats, Duration::from_secs(ring), 1);
        let mut sim = Sim::new(targets, stages);
        let mut log = sim.out();
        // What each leg told the ringer: the model only sends what SIP allows (nothing
        // after a final answer).
        let mut finished: Vec<bool> = Vec::new();
        let mut answered: Vec<bool> = Vec::new();
        let invited = |log: &[Command]| log.iter().filter(|c| matches!(c, Command::Invite { .. })).count();
        let mut elapsed = 0u64;
        for op in ops {
            let n = invited(&log);
            finished.resize(n, false);
            answered.resize(n, false);
            let pick = |l: usize, finished: &[bool]| (n > 0).then(|| l % n).filter(|&l| !finished[l]);
            let event = match op {
                Op::Trying(l) => pick(l, &finished).map(|leg| Event::Trying { leg }),
                Op::Ringing(l, sdp) => pick(l, &finished).map(|leg| Event::Ringing { leg, sdp }),
                Op::Answered(l, sdp) => pick(l, &finished).map(|leg| {
                    finished[leg] = true;
                    answered[leg] = true;
                    Event::Answered { leg, sdp }
                }),
                Op::Failed(l, code) => pick(l, &finished).map(|leg| {
                    finished[leg] = true;
                    Event::Failed { leg, code }
                }),
                Op::Advance(ms) => {
                    elapsed += ms;
                    log.extend(sim.at(elapsed as f64 / 1000.0));
                    None
                }
                Op::Abort => {
                    sim.ringer.abort();
                    log.extend(sim.out());
                    None
                }
            };
            if let Some(event) = event {
                log.extend(sim.event(event));
            }
        }
        // Nobody says anything more: time alone must end it.
        log.extend(sim.at(elapsed as f64 / 1000.0 + 3600.0));
        let n = invited(&log);
        finished.resize(n, false);
        answered.resize(n, false);

        let dones: Vec<&Command> = log.iter().filter(|c| matches!(c, Command::Done(_))).collect();
        prop_assert_eq!(dones.len(), 1, "{:?}", log);
        let done_at = log.iter().position(|c| matches!(c, Command::Done(_))).unwrap();
        prop_assert!(
            log[done_at..].iter().all(|c| !matches!(c, Command::Invite { .. } | Command::Ringing | Command::EarlyMedia { .. })),
            "nothing rings after done: {:?}", log
        );
        prop_assert!(log.iter().filter(|c| matches!(c, Command::Ringing)).count() <= 1);
        let winner = match dones[0] {
            Command::Done(Outcome::Connected { leg, .. }) => {
                prop_assert!(answered[*leg], "the winner answered");
                Some(*leg)
            }
            _ => None,
        };
        for leg in 0..n {
            let cancelled =
                log.contains(&Command::Cancel { leg }) || log.contains(&Command::Abandon { leg });
            let hung_up = log.contains(&Command::Bye { leg });
            if Some(leg) == winner {
                prop_assert!(!cancelled && !hung_up, "the winner stays: {:?}", log);
            } else if answered[leg] {
                prop_assert!(hung_up, "leg {} answered and lost: hung up: {:?}", leg, log);
            } else {
                prop_assert!(finished[leg] || cancelled, "leg {} left ringing: {:?}", leg, log);
            }
        }
    }
}
