//! The call program without sockets, on a simulated clock: what a call does for each
//! thing that happens to it, read as sentences. A `Sim` plays the driver: it feeds
//! events and keeps every command the program asked for.

#![allow(clippy::unwrap_used)]
// Helpers take their JSON documents by value: call sites read as documents.
#![allow(clippy::needless_pass_by_value)]

mod acd;
mod dial;
mod dial_on_bridge;
mod property;
mod routing;
mod screen;
mod verbs;

use super::*;
use std::time::Duration;

const S: Duration = Duration::from_secs(1);

pub(super) fn url(path: &str) -> Url {
    Url::parse(&format!("http://app.example{path}")).unwrap()
}

/// A document from its JSON.
pub(super) fn verbs(json: serde_json::Value) -> Vec<Verb> {
    contract::verbs::parse_document(json.to_string().as_bytes()).unwrap()
}

/// A program and its clock.
pub(super) struct Sim {
    pub program: CallProgram,
    pub start: Instant,
    pub now: Instant,
}

impl Sim {
    /// A call from a caller (not answered) running `document`.
    pub fn run(document: serde_json::Value) -> Self {
        Self::with(Start::Verbs(verbs(document)), false)
    }

    pub fn with(start: Start, answered: bool) -> Self {
        let now = Instant::now();
        let party = if answered {
            EndedBy::Callee
        } else {
            EndedBy::Caller
        };
        Self {
            program: CallProgram::new(start, url("/voice"), answered, party, now),
            start: now,
            now,
        }
    }

    /// What the program asked for since the last look.
    pub fn out(&mut self) -> Vec<Command> {
        std::iter::from_fn(|| self.program.poll()).collect()
    }

    pub fn event(&mut self, event: Event) -> Vec<Command> {
        self.program.handle(event, self.now);
        self.out()
    }

    /// Moves the clock to `secs` after the start, firing the timers on the way.
    pub fn at(&mut self, secs: f64) -> Vec<Command> {
        let until = self.start + Duration::from_secs_f64(secs);
        let mut out = Vec::new();
        while let Some(t) = self.program.poll_timeout().filter(|t| *t <= until) {
            self.now = t;
            self.program.handle_timeout(t);
            out.extend(self.out());
        }
        self.now = until;
        out
    }

    /// Answers the document fetch in `commands` with `document`.
    pub fn fetched(
        &mut self,
        commands: &[Command],
        path: &str,
        document: serde_json::Value,
    ) -> Vec<Command> {
        let id = fetch_id(commands);
        self.event(Event::Fetched {
            id,
            result: Ok(Document {
                url: url(path),
                verbs: verbs(document),
            }),
        })
    }

    /// Loads the audio asked for in `commands` (a second of silence).
    pub fn loaded(&mut self, commands: &[Command]) -> Vec<Command> {
        let id = load_id(commands);
        self.event(Event::AudioLoaded {
            id,
            result: Ok(vec![0i16; 8000].into()),
        })
    }

    /// The playback started in `commands` played to its end.
    pub fn played(&mut self, commands: &[Command]) -> Vec<Command> {
        let id = play_id(commands);
        self.event(Event::PlaybackDone { id })
    }
}

pub(super) fn fetch_id(commands: &[Command]) -> u64 {
    commands
        .iter()
        .find_map(|c| match c {
            Command::Fetch { id, .. } => Some(*id),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no fetch in {commands:?}"))
}

pub(super) fn load_id(commands: &[Command]) -> u64 {
    commands
        .iter()
        .find_map(|c| match c {
            Command::LoadAudio { id, .. } => Some(*id),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no audio to load in {commands:?}"))
}

pub(super) fn play_id(commands: &[Command]) -> u64 {
    commands
        .iter()
        .find_map(|c| match c {
            Command::Play { id, .. } => Some(*id),
            _ => None,
        })
        .unwrap_or_else(|| panic!("nothing played in {commands:?}"))
}

/// The URL and fields of the fetch in `commands`.
pub(super) fn fetch_of(commands: &[Command]) -> (Option<Url>, Fields) {
    commands
        .iter()
        .find_map(|c| match c {
            Command::Fetch { url, fields, .. } => Some((url.clone(), fields.clone())),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no fetch in {commands:?}"))
}

/// How the call ended, from `commands`.
pub(super) fn finish(commands: &[Command]) -> Outcome {
    commands
        .iter()
        .find_map(|c| match c {
            Command::Finish(o) => Some(o.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("the call did not end: {commands:?}"))
}

/// The error codes reported in `commands`.
pub(super) fn errors(commands: &[Command]) -> Vec<String> {
    commands
        .iter()
        .filter_map(|c| match c {
            Command::Status { error: Some(e), .. } => Some(e.code.clone()),
            _ => None,
        })
        .collect()
}
