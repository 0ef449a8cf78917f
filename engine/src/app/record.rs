//! `record`: keep what the caller says, save it as a recording, tell the application.

use super::{Flow, Session, Wake, audio};
use crate::media::endpoint::{FRAME, VOICE_LEVEL, energy};
use crate::store::Store;
use contract::verbs::Record;
use contract::webhook::CallEvent;
use std::time::Duration;
use std::time::Instant;

/// Why a recording ended (sent as `reason`).
fn reason_str(reason: Ended) -> &'static str {
    match reason {
        Ended::Key => "finish_on_key",
        Ended::Silence => "timeout",
        Ended::MaxLength => "max_length",
        Ended::Hangup => "hangup",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    Key,
    Silence,
    MaxLength,
    Hangup,
}

/// The length to keep: up to the last frame with voice plus a short tail, so a
/// recording ended by silence does not carry seconds of it (pure).
pub fn voiced_length(samples: &[i16]) -> usize {
    let last_voiced_frame = samples
        .chunks(FRAME)
        .rposition(|frame| energy(frame) > VOICE_LEVEL);
    match last_voiced_frame {
        None => 0,
        Some(i) => ((i + 1) * FRAME + 8 * 300).min(samples.len()),
    }
}

impl<S: Store> Session<S> {
    pub(super) async fn record(&mut self, verb: &Record) -> Flow {
        if self.answer().await.is_err() {
            return self
                .end_unanswered(
                    contract::models::calls::CallStatus::Failed,
                    500,
                    "cannot answer",
                )
                .await;
        }
        self.progressed = true;
        if verb.play_beep
            && let Err(flow) = self.play_audio(audio::beep(), 1, false).await
        {
            return flow;
        }
        let Some(answered) = &self.answered else {
            return Flow::End;
        };
        let silence = (verb.timeout > 0).then(|| Duration::from_secs(u64::from(verb.timeout)));
        answered.endpoint.start_recording(silence);
        let until = Instant::now() + Duration::from_secs(u64::from(verb.max_length));
        let mut gone = None;
        let ended = loop {
            match self.wait(Some(until)).await {
                Wake::Key(k) if verb.finish_on_key.contains(k) => break Ended::Key,
                Wake::Key(_) | Wake::PlaybackDone => {}
                Wake::Silence => break Ended::Silence,
                Wake::Timer => break Ended::MaxLength,
                Wake::Gone(flow) => {
                    gone = Some(flow);
                    break Ended::Hangup;
                }
            }
        };
        let mut samples = match &self.answered {
            Some(a) => a.endpoint.stop_recording().await,
            None => Vec::new(),
        };
        if ended == Ended::Silence {
            samples.truncate(voiced_length(&samples));
        }
        // Nothing said: no recording, no action; the document goes on.
        if voiced_length(&samples) == 0 {
            tracing::info!(sid = %self.record.sid, reason = reason_str(ended), "record: nothing said");
            return gone.unwrap_or(Flow::Next);
        }
        self.recordings_made += 1;
        let name = format!("call-{}-{}", self.record.sid, self.recordings_made);
        let saved = match self.inner.store.save_recording(&name, &samples).await {
            Ok(saved) => saved,
            Err(e) => {
                tracing::error!(sid = %self.record.sid, error = %e, "cannot save a call recording");
                let message = format!("the recording could not be saved: {e}");
                return match gone {
                    Some(flow) => flow,
                    None => self.fail("recording_failed", message, None, None).await,
                };
            }
        };
        let seconds = u32::try_from(saved.duration_ms.div_ceil(1000)).unwrap_or(u32::MAX);
        tracing::info!(sid = %self.record.sid, recording = %saved.id, seconds, reason = reason_str(ended), "call recorded");
        let mut request = self.request();
        request.recording_url = Some(saved.url.clone());
        request.recording_sid = Some(saved.id.clone());
        request.recording_duration = Some(seconds);
        request.reason = Some(reason_str(ended).to_owned());
        if let Some(callback) = &verb.recording_status_callback {
            match callback.resolve(self.document_url.as_ref()) {
                Ok(url) => {
                    self.event_to(&url, CallEvent::Recording, request.clone())
                        .await;
                }
                Err(e) => {
                    self.report_error(
                        "invalid_url",
                        &format!("recording_status_callback {callback}: {e}"),
                        None,
                        None,
                    )
                    .await;
                }
            }
        }
        match gone {
            // The caller hung up: the action still learns about the recording (a
            // voicemail app needs it), but its answer has no call to drive.
            Some(flow) => {
                self.notify_action(verb.action.as_ref(), request).await;
                flow
            }
            None => self.follow(verb.action.as_ref(), request).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_silence_is_trimmed_to_a_short_tail() {
        let mut samples: Vec<i16> = (0..8000)
            .map(|i| if i % 2 == 0 { 3000 } else { -3000 })
            .collect();
        samples.extend(vec![0i16; 8000 * 5]);
        assert_eq!(voiced_length(&samples), 8000 + 2400);
        assert_eq!(voiced_length(&vec![0i16; 8000]), 0);
        assert_eq!(voiced_length(&[]), 0);
    }
}
