//! `enqueue`: wait in a FIFO queue, hearing the `wait_url` document, until an agent's
//! `dial` to the queue picks the call up (bridged), the caller leaves, or hangs up.

use super::queue::Pickup;
use super::{Flow, Session, Wake};
use crate::store::Store;
use contract::models::applications::WebhookMethod;
use contract::verbs::{Enqueue, Prompt, Verb};
use std::sync::Arc;

/// How the wait ended.
enum Waited {
    Picked(Pickup),
    Left,
    Gone(Flow),
}

impl<S: Store> Session<S> {
    pub(super) async fn enqueue(&mut self, verb: &Enqueue) -> Flow {
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
        let queue = verb.queue.to_string();
        let sid = self.record.sid.clone();
        let (position, mut pickup) = self.inner.queues.join(&queue, &sid);
        let joined = std::time::Instant::now();
        tracing::info!(%sid, %queue, position, "caller waits in a queue");
        let (hold, leaves) = self.hold_audio(verb, position).await;
        if let Some(answered) = self.answered.as_mut()
            && !hold.is_empty()
        {
            let id = answered.endpoint.play(hold, if leaves { 1 } else { 0 });
            answered.playing = Some(id);
        }
        let waited = loop {
            tokio::select! {
                p = &mut pickup => match p {
                    Ok(p) => break Waited::Picked(p),
                    Err(_) => break Waited::Left,
                },
                wake = self.wait(None) => match wake {
                    Wake::Gone(flow) => break Waited::Gone(flow),
                    Wake::PlaybackDone if leaves => break Waited::Left,
                    Wake::PlaybackDone | Wake::Key(_) | Wake::Silence | Wake::Timer => {}
                },
            }
        };
        if let Some(answered) = self.answered.as_mut() {
            answered.endpoint.stop_playback();
            answered.playing = None;
        }
        let queue_time = u32::try_from(joined.elapsed().as_secs()).unwrap_or(u32::MAX);
        let result = match waited {
            Waited::Gone(flow) => {
                self.inner.queues.leave(&queue, &sid);
                return flow;
            }
            Waited::Left => {
                self.inner.queues.leave(&queue, &sid);
                "leave"
            }
            Waited::Picked(p) => match self.bridge_to_agent(p).await {
                Some(flow) => return flow,
                None => "bridged",
            },
        };
        tracing::info!(%sid, %queue, result, queue_time, "caller out of the queue");
        let Some(action) = verb.action.clone() else {
            return Flow::Next;
        };
        let mut request = self.request();
        request.queue_time = Some(queue_time);
        request.reason = Some(result.to_owned());
        self.follow(Some(&action), request).await
    }

    /// The hold audio from `wait_url`'s document (its `play`, `say` and `pause` verbs, in
    /// order), and whether that document ends with `leave`.
    async fn hold_audio(&mut self, verb: &Enqueue, position: usize) -> (Arc<[i16]>, bool) {
        let Some(wait_url) = &verb.wait_url else {
            return (Arc::from(Vec::new()), false);
        };
        let url = match wait_url.resolve(self.document_url.as_ref()) {
            Ok(u) => u,
            Err(e) => {
                self.report_error(
                    "invalid_url",
                    &format!("wait_url {wait_url}: {e}"),
                    None,
                    None,
                )
                .await;
                return (Arc::from(Vec::new()), false);
            }
        };
        let mut request = self.request();
        request.reason = Some(format!("queue_position={position}"));
        let document = match self
            .inner
            .webhooks
            .fetch(&self.app, Some(&url), WebhookMethod::Post, &request)
            .await
        {
            Ok(d) => d,
            Err(e) => {
                self.report_error(
                    "webhook_failed",
                    &format!("wait_url: {e}"),
                    Some(url.to_string()),
                    None,
                )
                .await;
                return (Arc::from(Vec::new()), false);
            }
        };
        let mut audio: Vec<i16> = Vec::new();
        let mut leaves = false;
        for v in document.verbs {
            let piece = match v {
                Verb::Play(p) => self.prompt_audio(&Prompt::Play(p)).await,
                Verb::Say(s) => self.prompt_audio(&Prompt::Say(s)).await,
                Verb::Pause(p) => Some(vec![0i16; 8000 * p.length as usize].into()),
                Verb::Leave(_) => {
                    leaves = true;
                    break;
                }
                other => {
                    tracing::info!(
                        verb = other.name(),
                        "wait_url: only play, say, pause and leave are used"
                    );
                    None
                }
            };
            if let Some(p) = piece {
                audio.extend_from_slice(&p);
            }
        }
        (audio.into(), leaves)
    }

    /// A waiting caller picked up by an agent: bridge until one side hangs up. `Some`
    /// when the caller's call is over.
    async fn bridge_to_agent(&mut self, pickup: Pickup) -> Option<Flow> {
        let Pickup {
            agent_sid,
            leg,
            peer,
            mut agent_gone,
            give_back,
        } = pickup;
        let Some(answered) = self.answered.as_ref() else {
            let _ = give_back.send(Some(leg));
            return Some(Flow::End);
        };
        let peer_a = answered.peer;
        let Some(leg_a) = answered.endpoint.release().await else {
            let _ = give_back.send(Some(leg));
            return Some(Flow::End);
        };
        tracing::info!(sid = %self.record.sid, agent = %agent_sid, "queued caller bridged to an agent");
        let (relay, mut media_events) = self.start_bridge(leg_a, peer_a, leg, peer);
        let mut gone = None;
        loop {
            tokio::select! {
                _ = &mut agent_gone => break,
                Some(_) = media_events.recv() => break,
                wake = self.wait(None) => match wake {
                    Wake::Gone(flow) => { gone = Some(flow); break; }
                    Wake::Key(_) | Wake::PlaybackDone | Wake::Silence | Wake::Timer => {}
                },
            }
        }
        let (_, leg_a, leg_b) = relay.stop_keep_legs().await;
        let _ = give_back.send(leg_b);
        if gone.is_some() {
            return gone;
        }
        match (leg_a, self.answered.as_mut()) {
            (Some(leg), Some(_)) => {
                self.restart_endpoint(leg, peer_a);
                None
            }
            _ => Some(self.hang_up("media lost after the queue").await),
        }
    }
}
