//! `play`, `say` and `pause`: audio to the party (a recording, a URL, speech), loaded
//! first — audio that cannot be had is reported and skipped, without answering the
//! call for nothing — then played once answered; and silence for a while.

use super::{AudioSource, CallProgram, Command, Event, Flow, Step};
use contract::verbs::{Play, Say};
use std::time::{Duration, Instant};

/// What a `play` or a `say` sounds like.
#[derive(Debug, Clone)]
pub(super) enum Sound {
    Play(Play),
    Say(Say),
}

impl Sound {
    fn loops(&self) -> u32 {
        match self {
            Self::Play(p) => p.loop_count,
            Self::Say(s) => s.loop_count,
        }
    }
}

/// Where to load a sound's audio from, or why it cannot be had.
pub(super) fn source(program: &CallProgram, sound: &Sound) -> Result<AudioSource, String> {
    match sound {
        Sound::Say(s) => Ok(AudioSource::Speech {
            text: s.text.clone(),
            language: s.language.clone(),
            voice: s.voice.clone(),
        }),
        Sound::Play(p) => match (&p.recording, &p.url) {
            (Some(name), _) => Ok(AudioSource::Recording(name.clone())),
            (None, Some(url)) => url
                .resolve(Some(&program.document_url))
                .map(AudioSource::Url)
                .map_err(|e| format!("play url {url}: {e}")),
            (None, None) => Err("play needs `url` or `recording`".to_owned()),
        },
    }
}

/// A `play` or `say`: loading, then playing.
#[derive(Debug)]
pub(super) struct Playing {
    loading: Option<u64>,
    playback: Option<u64>,
    loops: u32,
}

impl Playing {
    pub fn start(program: &mut CallProgram, sound: &Sound) -> Flow {
        match source(program, sound) {
            Ok(source) => {
                let id = program.id();
                program.out.push_back(Command::LoadAudio { id, source });
                program.running = super::Running::Play(Self {
                    loading: Some(id),
                    playback: None,
                    loops: sound.loops(),
                });
                Flow::Next
            }
            Err(problem) => {
                program.report_error("audio_unavailable", &problem, None, None);
                Flow::Next
            }
        }
    }

    pub fn handle(&mut self, program: &mut CallProgram, event: Event) -> Step {
        match event {
            Event::AudioLoaded { id, result } if Some(id) == self.loading => {
                self.loading = None;
                match result {
                    Ok(audio) => {
                        self.playback = Some(play(program, audio, self.loops));
                        Step::Stay
                    }
                    Err(problem) => {
                        // A missing prompt should not cut the call: reported, skipped.
                        program.report_error("audio_unavailable", &problem, None, None);
                        Step::Done(Flow::Next)
                    }
                }
            }
            Event::PlaybackDone { id } if Some(id) == self.playback => Step::Done(Flow::Next),
            _ => Step::Stay,
        }
    }
}

/// Plays `audio` to the party (answering it first); returns the playback's id.
pub(super) fn play(program: &mut CallProgram, audio: super::Audio, loops: u32) -> u64 {
    program.answer();
    program.progressed = true;
    let id = program.id();
    program.out.push_back(Command::Play { id, audio, loops });
    id
}

/// A `pause`.
#[derive(Debug)]
pub(super) struct Pausing {
    pub until: Instant,
}

impl Pausing {
    pub fn start(program: &mut CallProgram, seconds: u32, now: Instant) -> Flow {
        program.answer();
        program.progressed = true;
        program.running = super::Running::Pause(Self {
            until: now + Duration::from_secs(u64::from(seconds)),
        });
        Flow::Next
    }

    pub fn handle(&self, event: &Event, now: Instant) -> Step {
        match event {
            Event::Timeout if now >= self.until => Step::Done(Flow::Next),
            _ => Step::Stay,
        }
    }
}
