//! `record`: a beep, then what the party says until the finish key, silence or
//! `max_length`; saved as a recording, announced to `recording_status_callback`, and
//! posted to `action`. A party that hangs up while recording is still recorded (a
//! voicemail app needs it): the action is told, though its answer drives nothing. Audio
//! that cannot be saved (a full disk) is reported as an `error` event and the document
//! goes on.

use super::{CallProgram, Command, Event, Fields, Flow, Running, Step};
use contract::verbs::Record;
use contract::webhook::CallEvent;
use std::time::{Duration, Instant};

/// Why a recording ended (sent as `reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    Key,
    Silence,
    MaxLength,
    Hangup,
}

impl Ended {
    fn as_str(self) -> &'static str {
        match self {
            Self::Key => "finish_on_key",
            Self::Silence => "timeout",
            Self::MaxLength => "max_length",
            Self::Hangup => "hangup",
        }
    }
}

#[derive(Debug)]
enum Phase {
    Beep { playback: u64 },
    Recording { until: Instant },
    Saving { id: u64, ended: Ended },
}

#[derive(Debug)]
pub(super) struct Recording {
    verb: Record,
    phase: Phase,
    /// Set when the party left (or new orders came) while recording: what follows.
    interrupted: Option<Flow>,
}

impl Recording {
    pub fn start(program: &mut CallProgram, verb: Record, now: Instant) -> Flow {
        program.answer();
        program.progressed = true;
        let mut recording = Self {
            phase: Phase::Recording { until: now },
            verb,
            interrupted: None,
        };
        if recording.verb.play_beep {
            let playback = super::play::play(program, super::tones::beep(), 1);
            recording.phase = Phase::Beep { playback };
        } else {
            recording.record(program, now);
        }
        program.running = Running::Record(recording);
        Flow::Next
    }

    pub fn deadline(&self) -> Option<Instant> {
        match self.phase {
            Phase::Recording { until } => Some(until),
            _ => None,
        }
    }

    fn record(&mut self, program: &mut CallProgram, now: Instant) {
        let silence =
            (self.verb.timeout > 0).then(|| Duration::from_secs(u64::from(self.verb.timeout)));
        program.out.push_back(Command::StartRecording { silence });
        self.phase = Phase::Recording {
            until: now + Duration::from_secs(u64::from(self.verb.max_length)),
        };
    }

    fn stop(&mut self, program: &mut CallProgram, ended: Ended) -> Step {
        let id = program.id();
        program.out.push_back(Command::FinishRecording {
            id,
            trim: ended == Ended::Silence,
        });
        self.phase = Phase::Saving { id, ended };
        Step::Stay
    }

    pub fn handle(&mut self, program: &mut CallProgram, event: Event, now: Instant) -> Step {
        match (&self.phase, event) {
            (Phase::Beep { playback }, Event::PlaybackDone { id }) if id == *playback => {
                self.record(program, now);
                Step::Stay
            }
            (Phase::Recording { .. }, Event::Key(k)) if self.verb.finish_on_key.contains(k) => {
                self.stop(program, Ended::Key)
            }
            (Phase::Recording { .. }, Event::Silence) => self.stop(program, Ended::Silence),
            (Phase::Recording { until }, Event::Timeout) if now >= *until => {
                self.stop(program, Ended::MaxLength)
            }
            (Phase::Saving { id, ended }, Event::Recorded { id: done, result }) if *id == done => {
                let ended = *ended;
                self.saved(program, ended, result)
            }
            _ => Step::Stay,
        }
    }

    /// The party left, or new orders came: what was said so far is still kept.
    pub fn interrupt(&mut self, program: &mut CallProgram, flow: Flow) -> Step {
        self.interrupted = Some(flow.clone());
        match self.phase {
            Phase::Beep { .. } => Step::Done(flow),
            Phase::Recording { .. } => self.stop(program, Ended::Hangup),
            Phase::Saving { .. } => Step::Stay,
        }
    }

    fn saved(
        &mut self,
        program: &mut CallProgram,
        ended: Ended,
        result: Result<Option<super::Recording>, String>,
    ) -> Step {
        let recording = match result {
            // Nothing said: no recording, no action; the document goes on.
            Ok(None) => return Step::Done(self.interrupted.take().unwrap_or(Flow::Next)),
            Ok(Some(r)) => r,
            // The audio is lost, not the call (a full disk must not hang up on the
            // party): the application hears of it in an `error` event, the action is not
            // called (there is nothing to act on) and the document goes on.
            Err(problem) => {
                let message = format!("the recording could not be saved: {problem}");
                program.report_error("recording_failed", &message, None, None);
                return Step::Done(self.interrupted.take().unwrap_or(Flow::Next));
            }
        };
        let fields = Fields {
            recording: Some(recording),
            reason: Some(ended.as_str().to_owned()),
            ..Fields::default()
        };
        if let Some(callback) = &self.verb.recording_status_callback {
            match callback.resolve(Some(&program.document_url)) {
                Ok(url) => program.out.push_back(Command::Status {
                    event: CallEvent::Recording,
                    fields: fields.clone(),
                    url: Some(url),
                    error: None,
                }),
                Err(e) => program.report_error(
                    "invalid_url",
                    &format!("recording_status_callback {callback}: {e}"),
                    None,
                    None,
                ),
            }
        }
        match self.interrupted.take() {
            Some(flow) => {
                program.notify(self.verb.action.as_ref(), fields);
                Step::Done(flow)
            }
            None => Step::Done(Flow::Follow(self.verb.action.clone(), fields)),
        }
    }
}
