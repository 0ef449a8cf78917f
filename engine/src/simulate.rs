//! A call without SIP, RTP or phones: the same [`CallProgram`] real calls run, driven
//! on a simulated clock by a driver that sends the same signed webhook requests and
//! reports what would happen instead of doing it — what the caller would hear, the
//! keys it presses (given in advance), how each `dial` ends (chosen in advance), every
//! request and document. `switchboard simulate` prints these steps.
//!
//! Time is simulated: a 10 s pause takes no time; speech lasts an estimate of its
//! spoken length (70 ms per character), a recording or URL one second.

use crate::call::driver::request_for;
use crate::outcome::EndedBy;
use crate::program::{
    AudioSource, CallProgram, Command, Document, Event, Fields, Gone, LegSaid, RingPlan, Start,
};
use crate::ring;
use crate::store::{AppWebhooks, CallRecord};
use crate::webhook::WebhookClient;
use contract::models::applications::WebhookMethod;
use contract::models::calls::CallStatus;
use serde::Serialize;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// How a simulated `dial` ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DialOutcome {
    /// The first target answers, talks for 5 s and hangs up.
    Answered,
    Busy,
    NoAnswer,
    Failed,
}

impl DialOutcome {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "answered" => Some(Self::Answered),
            "busy" => Some(Self::Busy),
            "no-answer" => Some(Self::NoAnswer),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// The keys the caller presses at each `gather`.
pub enum Keys {
    /// Given in advance, in order (`"1"`, `"42#"`); none left: the gather times out.
    Given(VecDeque<String>),
    /// Asked when a `gather` waits (someone at a terminal); None: no keys.
    Ask(Box<dyn FnMut() -> Option<String> + Send>),
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Given(k) => f.debug_tuple("Given").field(k).finish(),
            Self::Ask(_) => f.write_str("Ask"),
        }
    }
}

/// What to simulate.
#[derive(Debug)]
pub struct Simulation {
    /// The application: its voice URL, method, fallback and signing secret.
    pub app: AppWebhooks,
    pub from: String,
    pub to: String,
    pub keys: Keys,
    pub dial: DialOutcome,
    /// The call is hung up when it lasts this long (simulated).
    pub max_duration: Duration,
}

/// One thing that happened, in order.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// A signed webhook request went to `url`.
    Request {
        at: f64,
        url: String,
        body: serde_json::Value,
    },
    /// The verb document it answered.
    Document {
        at: f64,
        url: String,
        verbs: serde_json::Value,
    },
    /// No usable document: the caller hears the failure tone.
    Failed { at: f64, message: String },
    /// The call is answered.
    Answered { at: f64 },
    /// The caller hears speech.
    Says { at: f64, text: String },
    /// The caller hears a recording or a file.
    Plays { at: f64, audio: String },
    /// The caller presses keys.
    Keys { at: f64, digits: String },
    /// A `dial` rings its targets; `outcome` is how it ends.
    Dials {
        at: f64,
        targets: serde_json::Value,
        outcome: DialOutcome,
    },
    /// The caller is recorded.
    Records { at: f64 },
    /// The caller is refused with a SIP status.
    Rejected { at: f64, code: u16 },
    /// The call is over.
    Ended {
        at: f64,
        status: CallStatus,
        reason: String,
    },
}

/// Runs the call and reports each step to `report` as it happens; returns how the
/// call ended.
pub async fn run(sim: Simulation, mut report: impl FnMut(&Step)) -> CallStatus {
    let client = match WebhookClient::new() {
        Ok(c) => c,
        Err(e) => {
            let step = Step::Failed {
                at: 0.0,
                message: format!("cannot make an HTTP client: {e}"),
            };
            report(&step);
            return CallStatus::Failed;
        }
    };
    let start = Instant::now();
    let mut driver = Sim {
        program: CallProgram::new(
            Start::Fetch,
            sim.app.voice_url.clone(),
            false,
            EndedBy::Caller,
            start,
        ),
        record: CallRecord::begin(
            "inbound",
            sim.from.clone(),
            sim.to.clone(),
            CallStatus::Ringing,
            format!("simulated-{}", crate::store::new_sid()),
        ),
        client,
        sim,
        start,
        now: start,
        queued: VecDeque::new(),
        playing: Vec::new(),
        legs: Vec::new(),
        keys_done: false,
        status: CallStatus::Failed,
    };
    driver.run(&mut report).await;
    driver.status
}

struct Sim {
    program: CallProgram,
    record: CallRecord,
    client: WebhookClient,
    sim: Simulation,
    start: Instant,
    now: Instant,
    /// Events to hand over now, in order.
    queued: VecDeque<Event>,
    /// Playbacks that end at a time: (id, end).
    playing: Vec<(u64, Instant)>,
    /// Rung legs and when each says what it says next.
    legs: Vec<(ring::LegId, Instant, LegSaid)>,
    /// The running gather got its last keys (or none): its timer runs.
    keys_done: bool,
    status: CallStatus,
}

impl Sim {
    fn at(&self) -> f64 {
        (self.now - self.start).as_secs_f64()
    }

    async fn run(&mut self, report: &mut impl FnMut(&Step)) {
        loop {
            while let Some(command) = self.program.poll() {
                self.carry_out(command, report).await;
            }
            if self.program.is_finished() && self.queued.is_empty() {
                return;
            }
            if let Some(event) = self.queued.pop_front() {
                self.program.handle(event, self.now);
                continue;
            }
            if !self.program.is_gathering() {
                self.keys_done = false;
            }
            if self.program.is_gathering()
                && self.playing.is_empty()
                && !self.keys_done
                && let Some(digits) = self.next_keys()
            {
                report(&Step::Keys {
                    at: self.at(),
                    digits: digits.clone(),
                });
                for key in digits.chars() {
                    self.program.handle(Event::Key(key), self.now);
                }
                continue;
            }
            self.advance();
        }
    }

    /// The keys pressed at this `gather` (None: none, it times out). Asked once per
    /// gather: a gather that goes on after keys (more digits) gets the next answer.
    fn next_keys(&mut self) -> Option<String> {
        let keys = match &mut self.sim.keys {
            Keys::Given(keys) => keys.pop_front(),
            Keys::Ask(ask) => ask(),
        };
        if keys.is_none() {
            // Nothing more for this gather: let its timer run.
            self.keys_done = true;
        }
        keys.filter(|k| !k.is_empty())
    }

    /// Moves the clock to the next thing due (a playback's end, a leg's answer, a
    /// timer), or ends a call that waits for nothing (the caller hangs up).
    fn advance(&mut self) {
        let playback = self.playing.iter().map(|(_, t)| *t).min();
        let leg = self.legs.iter().map(|(_, t, _)| *t).min();
        let timer = self.program.poll_timeout();
        let next = [playback, leg, timer].into_iter().flatten().min();
        let limit = self.start + self.sim.max_duration;
        match next {
            Some(t) if t <= limit => {
                self.now = self.now.max(t);
                if let Some(i) = self.playing.iter().position(|(_, end)| *end <= self.now) {
                    let (id, _) = self.playing.remove(i);
                    self.queued.push_back(Event::PlaybackDone { id });
                } else if let Some(i) = self.legs.iter().position(|(_, at, _)| *at <= self.now) {
                    let (leg, _, said) = self.legs.remove(i);
                    self.queued.push_back(Event::Leg { leg, said });
                } else {
                    self.program.handle_timeout(self.now);
                }
            }
            _ => {
                // Nothing more will happen by itself (music on hold, a pause past the
                // limit): the caller hangs up.
                self.now = self.now.max(limit.min(next.unwrap_or(limit)));
                self.playing.clear();
                self.legs.clear();
                self.queued.push_back(Event::PartyGone(Gone::HungUp));
            }
        }
    }

    async fn carry_out(&mut self, command: Command, report: &mut impl FnMut(&Step)) {
        match command {
            Command::Fetch { id, url, fields } => {
                let event = self.fetch(id, url, fields, report).await;
                self.queued.push_back(event);
            }
            Command::Route { id, destination } => {
                let message = format!("destination {destination} exists only on a server");
                report(&Step::Failed {
                    at: self.at(),
                    message: message.clone(),
                });
                self.queued.push_back(Event::Fetched {
                    id,
                    result: Err(crate::program::FetchFailure {
                        code: "unknown_destination",
                        message,
                        url: None,
                        document: None,
                    }),
                });
            }
            Command::Answer => {
                self.record.status = CallStatus::InProgress;
                report(&Step::Answered { at: self.at() });
            }
            Command::Reject { code } => report(&Step::Rejected {
                at: self.at(),
                code,
            }),
            Command::LoadAudio { id, source } => {
                let (step, length) = self.audio(&source);
                report(&step);
                let samples = usize::try_from(length.as_millis() * 8).unwrap_or(8000);
                let audio: crate::program::Audio = vec![0i16; samples].into();
                self.queued.push_back(Event::AudioLoaded {
                    id,
                    result: Ok(audio),
                });
            }
            // Looped until stopped (loops 0): it ends when something stops it.
            Command::Play { id, audio, loops } if loops > 0 => {
                let one = Duration::from_millis(audio.len() as u64 / 8);
                self.playing.push((id, self.now + one * loops));
            }
            Command::StopPlayback => self.playing.clear(),
            Command::StartRecording { .. } => report(&Step::Records { at: self.at() }),
            Command::FinishRecording { id, .. } => {
                self.queued.push_back(Event::Recorded {
                    id,
                    result: Ok(None),
                });
            }
            Command::Resolve {
                id,
                targets,
                ring_time,
                ..
            } => {
                report(&Step::Dials {
                    at: self.at(),
                    targets: serde_json::to_value(&targets).unwrap_or_default(),
                    outcome: self.sim.dial,
                });
                let plan = RingPlan {
                    targets: vec![ring::Target::single()],
                    stages: vec![ring::Stage {
                        targets: vec![0],
                        ring_time,
                    }],
                    problems: Vec::new(),
                    unavailable: false,
                    origins: vec![0],
                };
                self.queued.push_back(Event::Resolved { id, plan });
            }
            Command::Leg(ring::Command::Invite { leg, .. }) => self.ring(leg),
            Command::Leg(_) => {}
            Command::Bridge { .. } | Command::AnswerThrough { .. } => {
                if matches!(command, Command::AnswerThrough { .. }) {
                    report(&Step::Answered { at: self.at() });
                }
                self.queued.push_back(Event::Bridged {
                    child: crate::store::new_sid(),
                });
            }
            Command::Unbridge { .. } => {
                self.queued.push_back(Event::Unbridged {
                    recording: Ok(None),
                });
            }
            Command::Finish(outcome) => {
                self.status = outcome.status;
                report(&Step::Ended {
                    at: self.at(),
                    status: outcome.status,
                    reason: outcome.reason,
                });
            }
            // Signals to the party, status events, queues: nothing to simulate.
            _ => {}
        }
    }

    /// A rung leg: what it says, and when, by the chosen outcome.
    fn ring(&mut self, leg: ring::LegId) {
        let now = self.now;
        let s = Duration::from_secs;
        match self.sim.dial {
            DialOutcome::Answered => {
                self.legs.push((leg, now, LegSaid::Ringing { sdp: false }));
                self.legs
                    .push((leg, now + s(2), LegSaid::Answered { sdp: true }));
                self.legs.push((
                    leg,
                    now + s(7),
                    LegSaid::Ended {
                        code: 200,
                        hung_up: true,
                    },
                ));
            }
            DialOutcome::Busy => self.legs.push((
                leg,
                now + s(1),
                LegSaid::Ended {
                    code: 486,
                    hung_up: false,
                },
            )),
            DialOutcome::Failed => self.legs.push((
                leg,
                now + s(1),
                LegSaid::Ended {
                    code: 503,
                    hung_up: false,
                },
            )),
            DialOutcome::NoAnswer => self.legs.push((leg, now, LegSaid::Ringing { sdp: false })),
        }
    }

    /// What the caller hears of `source`, and for how long.
    fn audio(&self, source: &AudioSource) -> (Step, Duration) {
        let at = self.at();
        match source {
            AudioSource::Speech { text, .. } => (
                Step::Says {
                    at,
                    text: text.clone(),
                },
                Duration::from_millis(70 * text.chars().count().max(5) as u64),
            ),
            AudioSource::Recording(name) => (
                Step::Plays {
                    at,
                    audio: format!("recording {name}"),
                },
                Duration::from_secs(1),
            ),
            AudioSource::Url(url) => (
                Step::Plays {
                    at,
                    audio: url.to_string(),
                },
                Duration::from_secs(1),
            ),
        }
    }

    /// A signed request to the application, as a real call sends it.
    async fn fetch(
        &mut self,
        id: u64,
        url: Option<url::Url>,
        fields: Fields,
        report: &mut impl FnMut(&Step),
    ) -> Event {
        let mut request = request_for(&self.record);
        request.digits = fields.digits;
        request.dial_call_status = fields.dial_call_status;
        request.dial_call_sid = fields.dial_call_sid;
        request.reason = fields.reason;
        let method = if url.is_some() {
            WebhookMethod::Post
        } else {
            self.sim.app.method
        };
        let target = url
            .clone()
            .unwrap_or_else(|| self.sim.app.voice_url.clone());
        report(&Step::Request {
            at: self.at(),
            url: target.to_string(),
            body: serde_json::to_value(&request).unwrap_or_default(),
        });
        let result = self
            .client
            .fetch(&self.sim.app, url.as_ref(), method, &request)
            .await;
        match result {
            Ok(d) => {
                report(&Step::Document {
                    at: self.at(),
                    url: d.url.to_string(),
                    verbs: serde_json::to_value(&d.verbs).unwrap_or_default(),
                });
                Event::Fetched {
                    id,
                    result: Ok(Document {
                        url: d.url,
                        verbs: d.verbs,
                    }),
                }
            }
            Err(e) => {
                report(&Step::Failed {
                    at: self.at(),
                    message: e.to_string(),
                });
                Event::Fetched {
                    id,
                    result: Err(crate::call::driver::failure(&e)),
                }
            }
        }
    }
}
