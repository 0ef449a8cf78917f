//! `play` and `say`: audio to the caller, from a recording, a URL or the synthesizer.

use super::{Flow, Session, Wake};
use crate::store::Store;
use contract::verbs::{Play, Prompt, Say};
use std::sync::Arc;

/// Where a verb's audio could not be found or made.
type AudioResult = Result<Arc<[i16]>, String>;

impl<S: Store> Session<S> {
    pub(super) async fn play(&mut self, verb: &Play) -> Flow {
        match self.play_interruptible_inner(verb, false).await {
            Ok(_) => Flow::Next,
            Err(flow) => flow,
        }
    }

    pub(super) async fn say(&mut self, verb: &Say) -> Flow {
        match self.say_inner(verb, false).await {
            Ok(_) => Flow::Next,
            Err(flow) => flow,
        }
    }

    /// `play` as a `gather` prompt: the first key stops it and is returned.
    pub(super) async fn play_interruptible(&mut self, verb: &Play) -> Result<Option<char>, Flow> {
        self.play_interruptible_inner(verb, true).await
    }

    pub(super) async fn say_interruptible(&mut self, verb: &Say) -> Result<Option<char>, Flow> {
        self.say_inner(verb, true).await
    }

    /// The audio of a `play` or `say` (silence for `pause`), or None after reporting
    /// why it is unavailable.
    pub(super) async fn prompt_audio(&self, prompt: &Prompt) -> Option<Arc<[i16]>> {
        let audio = match prompt {
            Prompt::Play(p) => self.play_audio_of(p).await,
            Prompt::Say(s) => {
                self.inner
                    .audio
                    .speak(&s.text, s.language.as_deref(), s.voice.as_deref())
                    .await
            }
            Prompt::Pause(p) => Ok(vec![0i16; 8000 * p.length as usize].into()),
        };
        match audio {
            Ok(a) => Some(a),
            Err(problem) => {
                tracing::warn!(sid = %self.record.sid, %problem, "audio unavailable");
                self.report_error("audio_unavailable", &problem, None, None)
                    .await;
                None
            }
        }
    }

    async fn play_audio_of(&self, verb: &Play) -> AudioResult {
        match (&verb.recording, &verb.url) {
            (Some(name), _) => self.recording_audio(name).await,
            (None, Some(url)) => match url.resolve(self.document_url.as_ref()) {
                Ok(url) => self.inner.audio.fetch(&self.inner.webhooks, &url).await,
                Err(e) => Err(format!("play url {url}: {e}")),
            },
            (None, None) => Err("play needs `url` or `recording`".to_owned()),
        }
    }

    async fn play_interruptible_inner(
        &mut self,
        verb: &Play,
        interruptible: bool,
    ) -> Result<Option<char>, Flow> {
        let audio = self.play_audio_of(verb).await;
        self.play_or_skip(audio, verb.loop_count, interruptible)
            .await
    }

    async fn say_inner(&mut self, verb: &Say, interruptible: bool) -> Result<Option<char>, Flow> {
        let audio = self
            .inner
            .audio
            .speak(&verb.text, verb.language.as_deref(), verb.voice.as_deref())
            .await;
        self.play_or_skip(audio, verb.loop_count, interruptible)
            .await
    }

    /// Plays `audio`, or reports why it cannot and goes on with the next verb (a missing
    /// prompt should not cut the call).
    async fn play_or_skip(
        &mut self,
        audio: AudioResult,
        loops: u32,
        interruptible: bool,
    ) -> Result<Option<char>, Flow> {
        match audio {
            Ok(samples) => self.play_audio(samples, loops, interruptible).await,
            Err(problem) => {
                tracing::warn!(sid = %self.record.sid, %problem, "audio unavailable, verb skipped");
                self.report_error("audio_unavailable", &problem, None, None)
                    .await;
                Ok(None)
            }
        }
    }

    async fn recording_audio(&self, name: &str) -> AudioResult {
        let path = match self.inner.store.recording_file(name).await {
            Ok(Some(path)) => path,
            Ok(None) => return Err(format!("no recording named {name:?}")),
            Err(e) => return Err(format!("cannot look up recording {name:?}: {e}")),
        };
        self.inner
            .audio
            .load(&path)
            .await
            .map_err(|e| e.to_string())
    }

    /// Plays samples to the caller (answering first if needed) until they end, or until
    /// a key when `interruptible` (the key is returned).
    pub(super) async fn play_audio(
        &mut self,
        audio: Arc<[i16]>,
        loops: u32,
        interruptible: bool,
    ) -> Result<Option<char>, Flow> {
        if self.answer().await.is_err() {
            return Err(self
                .end_unanswered(
                    contract::models::calls::CallStatus::Failed,
                    500,
                    "cannot answer",
                )
                .await);
        }
        self.progressed = true;
        if let Some(answered) = self.answered.as_mut() {
            let id = answered.endpoint.play(audio, loops);
            answered.playing = Some(id);
        }
        loop {
            match self.wait(None).await {
                Wake::PlaybackDone => return Ok(None),
                Wake::Key(key) if interruptible => {
                    if let Some(answered) = self.answered.as_mut() {
                        answered.endpoint.stop_playback();
                        answered.playing = None;
                    }
                    return Ok(Some(key));
                }
                Wake::Key(_) | Wake::Timer | Wake::Silence => {}
                Wake::Gone(flow) => return Err(flow),
            }
        }
    }
}
