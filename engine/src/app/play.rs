//! `play` and `say`: audio to the caller, from a recording, a URL or the synthesizer.

use super::{Flow, Session, Wake};
use crate::store::Store;
use contract::verbs::{Play, Say};
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

    async fn play_interruptible_inner(
        &mut self,
        verb: &Play,
        interruptible: bool,
    ) -> Result<Option<char>, Flow> {
        let audio = match (&verb.recording, &verb.url) {
            (Some(name), _) => self.recording_audio(name).await,
            (None, Some(url)) => match url.resolve(self.document_url.as_ref()) {
                Ok(url) => self.inner.audio.fetch(&self.inner.webhooks, &url).await,
                Err(e) => Err(format!("play url {url}: {e}")),
            },
            (None, None) => Err("play needs `url` or `recording`".to_owned()),
        };
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
            return Err(self.end_unanswered(500, "cannot answer").await);
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
