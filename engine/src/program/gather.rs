//! `gather`: prompts that the first key interrupts (barge-in), then keys until a rule
//! ends the input — `num_digits`, the finish key, or `timeout` seconds without a key
//! (counted again after each key, `inter_digit_timeout` when given) — and the digits go
//! to `action`.

use super::play::{self, Sound};
use super::{CallProgram, Command, Event, Fields, Flow, Running, Step};
use contract::verbs::{Gather, Prompt};
use std::time::{Duration, Instant};

/// Why a gather ended (sent to the app as `reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    /// `num_digits` keys were pressed.
    NumDigits,
    /// The finish key was pressed.
    OnKey,
    /// No key for `timeout` seconds.
    Timeout,
}

impl Finish {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NumDigits => "num_digits",
            Self::OnKey => "finish_on_key",
            Self::Timeout => "timeout",
        }
    }
}

/// The keys collected so far, and the rules that end the input.
#[derive(Debug, Clone)]
pub struct Collector {
    num_digits: Option<usize>,
    finish_on_key: Option<char>,
    pub digits: String,
}

impl Collector {
    pub fn new(num_digits: Option<u32>, finish_on_key: &str) -> Self {
        Self {
            num_digits: num_digits.map(|n| n as usize),
            finish_on_key: finish_on_key.chars().next(),
            digits: String::new(),
        }
    }

    /// A key pressed: `Some` when it ends the input.
    pub fn key(&mut self, key: char) -> Option<Finish> {
        if Some(key) == self.finish_on_key {
            return Some(Finish::OnKey);
        }
        self.digits.push(key);
        (Some(self.digits.len()) == self.num_digits).then_some(Finish::NumDigits)
    }
}

/// Where the gather stands.
#[derive(Debug)]
enum Phase {
    /// Prompt `index`: its audio loading (`loading`), playing (`playback`) or, for a
    /// `pause` prompt, silent until `until`.
    Prompt {
        index: usize,
        loading: Option<u64>,
        playback: Option<u64>,
        until: Option<Instant>,
    },
    /// Waiting for keys until `deadline`.
    Keys { deadline: Instant },
}

#[derive(Debug)]
pub(super) struct Gathering {
    verb: Gather,
    collector: Collector,
    phase: Phase,
}

impl Gathering {
    pub fn start(program: &mut CallProgram, verb: Gather, now: Instant) -> Flow {
        // Keys arrive over the media: the call must be answered to hear them.
        program.answer();
        program.progressed = true;
        let mut gathering = Self {
            collector: Collector::new(verb.num_digits, &verb.finish_on_key),
            verb,
            phase: Phase::Keys { deadline: now },
        };
        match gathering.prompt(program, 0, now) {
            Step::Stay => {
                program.running = Running::Gather(gathering);
                Flow::Next
            }
            Step::Done(flow) => flow,
        }
    }

    pub fn deadline(&self) -> Option<Instant> {
        match self.phase {
            Phase::Prompt { until, .. } => until,
            Phase::Keys { deadline } => Some(deadline),
        }
    }

    pub fn handle(&mut self, program: &mut CallProgram, event: Event, now: Instant) -> Step {
        match (&mut self.phase, event) {
            (_, Event::Key(key)) => {
                if let Phase::Prompt {
                    playback: Some(_), ..
                } = self.phase
                {
                    program.out.push_back(Command::StopPlayback);
                }
                match self.collector.key(key) {
                    Some(finish) => self.finish(program, finish),
                    None => self.wait_keys(now),
                }
            }
            (Phase::Prompt { index, loading, .. }, Event::AudioLoaded { id, result })
                if Some(id) == *loading =>
            {
                let index = *index;
                match result {
                    Ok(audio) => {
                        let loops = match &self.verb.prompts[index] {
                            Prompt::Play(p) => p.loop_count,
                            Prompt::Say(s) => s.loop_count,
                            Prompt::Pause(_) => 1,
                        };
                        self.phase = Phase::Prompt {
                            index,
                            loading: None,
                            playback: Some(play::play(program, audio, loops)),
                            until: None,
                        };
                        Step::Stay
                    }
                    Err(problem) => {
                        program.report_error("audio_unavailable", &problem, None, None);
                        self.prompt(program, index + 1, now)
                    }
                }
            }
            (
                Phase::Prompt {
                    index,
                    playback: Some(p),
                    ..
                },
                Event::PlaybackDone { id },
            ) if id == *p => {
                let next = *index + 1;
                self.prompt(program, next, now)
            }
            (
                Phase::Prompt {
                    index,
                    until: Some(until),
                    ..
                },
                Event::Timeout,
            ) if now >= *until => {
                let next = *index + 1;
                self.prompt(program, next, now)
            }
            (Phase::Keys { deadline }, Event::Timeout) if now >= *deadline => {
                self.finish(program, Finish::Timeout)
            }
            _ => Step::Stay,
        }
    }

    /// Starts prompt `index`, or waits for keys after the last.
    fn prompt(&mut self, program: &mut CallProgram, index: usize, now: Instant) -> Step {
        let Some(prompt) = self.verb.prompts.get(index) else {
            return self.wait_keys(now);
        };
        let sound = match prompt {
            Prompt::Play(p) => Sound::Play(p.clone()),
            Prompt::Say(s) => Sound::Say(s.clone()),
            Prompt::Pause(p) => {
                self.phase = Phase::Prompt {
                    index,
                    loading: None,
                    playback: None,
                    until: Some(now + Duration::from_secs(u64::from(p.length))),
                };
                return Step::Stay;
            }
        };
        match play::source(program, &sound) {
            Ok(source) => {
                let id = program.id();
                program.out.push_back(Command::LoadAudio { id, source });
                self.phase = Phase::Prompt {
                    index,
                    loading: Some(id),
                    playback: None,
                    until: None,
                };
                Step::Stay
            }
            Err(problem) => {
                program.report_error("audio_unavailable", &problem, None, None);
                self.prompt(program, index + 1, now)
            }
        }
    }

    /// Waits for a key: `timeout` for the first, `inter_digit_timeout` (when given)
    /// for each after it.
    fn wait_keys(&mut self, now: Instant) -> Step {
        let seconds = match self.verb.inter_digit_timeout {
            Some(t) if !self.collector.digits.is_empty() => t,
            _ => self.verb.timeout,
        };
        self.phase = Phase::Keys {
            deadline: now + Duration::from_secs(u64::from(seconds)),
        };
        Step::Stay
    }

    fn finish(&mut self, _program: &mut CallProgram, finish: Finish) -> Step {
        if self.collector.digits.is_empty() {
            // No input: the document goes on.
            return Step::Done(Flow::Next);
        }
        let fields = Fields {
            digits: Some(std::mem::take(&mut self.collector.digits)),
            reason: Some(finish.as_str().to_owned()),
            ..Fields::default()
        };
        Step::Done(Flow::Follow(self.verb.action.clone(), fields))
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn num_digits_ends_the_input() {
        let mut c = Collector::new(Some(3), "#");
        assert_eq!(c.key('1'), None);
        assert_eq!(c.key('2'), None);
        assert_eq!(c.key('3'), Some(Finish::NumDigits));
        assert_eq!(c.digits, "123");
    }

    #[test]
    fn finish_key_ends_and_is_not_collected() {
        let mut c = Collector::new(None, "#");
        assert_eq!(c.key('4'), None);
        assert_eq!(c.key('*'), None);
        assert_eq!(c.key('#'), Some(Finish::OnKey));
        assert_eq!(c.digits, "4*");
    }

    #[test]
    fn no_finish_key_collects_everything() {
        let mut c = Collector::new(Some(2), "");
        assert_eq!(c.key('#'), None);
        assert_eq!(c.key('#'), Some(Finish::NumDigits));
        assert_eq!(c.digits, "##");
    }
}
