//! The media commands carried out: playing and recording on our endpoint, bridging
//! the party to a rung leg and back, and the queue's hand-overs (a waiting party
//! bridged to its agent, or the party lent to a queued caller's call).

use super::media::{self, Agent, Bridged, Lent, Media, Wake};
use super::{Done, Driver};
use crate::call::queue::Pickup;
use crate::outcome::Outcome;
use crate::program::{Audio, Event, Recording};
use crate::store::{CallRecord, Store};
use contract::models::calls::CallStatus;
use std::time::Instant;

impl<S: Store> Driver<S> {
    pub(super) fn play(&mut self, id: u64, audio: Audio, loops: u32) {
        match self.media.endpoint() {
            Some(ours) => {
                let played = ours.endpoint.play(audio, loops);
                self.playing = Some((played, id));
            }
            // Nothing to play on (the media is lost or elsewhere): never wait for it.
            None => self.queued.push_back(Event::PlaybackDone { id }),
        }
    }

    pub(super) fn stop_playback(&mut self) {
        if let Some(ours) = self.media.endpoint() {
            ours.endpoint.stop_playback();
        }
        self.playing = None;
    }

    /// Stops recording; what was said is trimmed (when asked), then saved off the loop.
    pub(super) async fn finish_recording(&mut self, id: u64, trim: bool) {
        let mut samples = match self.media.endpoint() {
            Some(ours) => ours.endpoint.stop_recording().await,
            None => Vec::new(),
        };
        if trim {
            samples.truncate(media::voiced_length(&samples));
        }
        if media::voiced_length(&samples) == 0 {
            tracing::info!(sid = %self.record.sid, "record: nothing said");
            self.queued.push_back(Event::Recorded {
                id,
                result: Ok(None),
            });
            return;
        }
        let save = self.save_audio(samples);
        let handle = self.pending.spawn(async move {
            Done::Event(Event::Recorded {
                id,
                result: save.await.map(Some),
            })
        });
        let failed = Event::Recorded {
            id,
            result: Err("the recording could not be saved".to_owned()),
        };
        self.fallbacks.insert(handle.id(), failed);
    }

    /// Saves audio recorded during the call as a recording named after it.
    pub(super) fn save_audio(
        &mut self,
        samples: Vec<i16>,
    ) -> impl Future<Output = Result<Recording, String>> + Send + 'static {
        self.recordings_made += 1;
        let name = format!("call-{}-{}", self.record.sid, self.recordings_made);
        let calls = self.calls.clone();
        let sid = self.record.sid.clone();
        async move {
            match calls.store.save_recording(&name, &samples).await {
                Ok(saved) => {
                    tracing::info!(%sid, recording = %saved.id, ms = saved.duration_ms, "call recorded");
                    Ok(Recording {
                        sid: saved.id,
                        url: saved.url,
                        duration_ms: saved.duration_ms,
                    })
                }
                Err(e) => {
                    tracing::error!(%sid, error = %e, "cannot save a call recording");
                    Err(e.to_string())
                }
            }
        }
    }

    /// Bridges the answered party to rung leg `leg` (its answer gives the format).
    pub(super) async fn bridge(&mut self, leg: usize, record: bool) {
        let rung = self.legs.as_mut().and_then(|legs| {
            let l = legs.legs.get_mut(leg)?;
            Some((l.sockets.take()?, l.answer.clone()?))
        });
        let Some((leg_b, answer)) = rung else {
            self.queued.push_back(Event::Unbridged {
                recording: Ok(None),
            });
            return;
        };
        let Some((leg_a, party)) = self.media.release().await else {
            self.queued.push_back(Event::Unbridged {
                recording: Ok(None),
            });
            return;
        };
        let peer_b = media::peer_of(&answer, Some(party.peer.format.codec));
        let handle = media::start_bridge(
            &self.calls,
            leg_a,
            party.peer,
            Some((leg_b, peer_b)),
            &self.bridge_tx,
        );
        let recording = record.then(|| handle.record());
        self.connected_leg = Some(leg);
        self.media = Media::Bridge(Box::new(Bridged {
            handle,
            party,
            recording,
        }));
        let Some(child) = self.child_record(leg) else {
            return;
        };
        tracing::info!(sid = %self.record.sid, child = %child.sid, to = %child.to, "dial: bridged");
        crate::call::save(&self.calls, &child).await;
        self.queued.push_back(Event::Bridged {
            child: child.sid.clone(),
        });
        self.child = Some((child, Instant::now()));
    }

    /// The record of the call dialled on rung leg `leg`, answered now.
    pub(super) fn child_record(&self, leg: usize) -> Option<CallRecord> {
        let l = self.legs.as_ref()?.legs.get(leg)?;
        let mut child = CallRecord::begin(
            "outbound",
            self.record.from.clone(),
            l.number.clone(),
            CallStatus::InProgress,
            l.call_id.clone(),
        );
        child.parent_sid = Some(self.record.sid.clone());
        child.from_name = self.record.from_name.clone();
        child.answered_at = Some(child.started_at.clone());
        child.trunk = l.trunk.clone();
        Some(child)
    }

    /// Ends the bridge: the party's sockets come back (to our endpoint when the call
    /// goes on, `resume`), the dialled call's record ends with `child`, the recording
    /// is saved.
    pub(super) async fn unbridge(&mut self, child: &Outcome, resume: bool) {
        self.connected_leg = None;
        let (back, audio) = self.media.unbridge(self.program.is_answered()).await;
        match back {
            Some((leg, party)) if resume => {
                self.media = Media::ours(&self.calls, leg, party, &self.endpoint_tx);
            }
            Some(_) | None if !resume => {}
            _ => {
                // The call goes on, but the party's sockets did not come back.
                tracing::warn!(sid = %self.record.sid, "the caller's media was lost in a bridge");
                self.queued.push_back(Event::MediaLost);
            }
        }
        if let Some((mut record, since)) = self.child.take() {
            record.end(child, Some(since.elapsed().as_secs()));
            crate::call::save(&self.calls, &record).await;
        }
        if let Some(legs) = self.legs.take() {
            legs.linger();
        }
        let recording = match audio.filter(|a| !a.is_empty()) {
            Some(samples) => self.save_audio(samples).await.map(Some),
            None => Ok(None),
        };
        self.queued.push_back(Event::Unbridged { recording });
    }

    /// Joins this node's FIFO of an application's own queue.
    pub(super) fn join_fifo(&mut self, queue: String) {
        let (position, pickup) = self.calls.queues.join(&queue, &self.record.sid);
        tracing::info!(sid = %self.record.sid, %queue, position, "caller waits in a queue");
        self.waiting = Some((queue, pickup));
        self.queued.push_back(Event::QueueJoined { position });
    }

    pub(super) fn leave_queue(&mut self, queue: &str) {
        self.calls.queues.leave(queue, &self.record.sid);
        self.waiting = None;
    }

    /// The agent's pickup arrived (or the queue let go of us: we join again).
    pub(super) fn on_pickup(
        &mut self,
        pickup: Result<Pickup, tokio::sync::oneshot::error::RecvError>,
    ) -> Option<Event> {
        let (queue, _) = self.waiting.take()?;
        match pickup {
            Ok(pickup) => {
                let agent = pickup.agent_sid.clone();
                self.pickup = Some(pickup);
                Some(Event::QueuePickedUp { agent })
            }
            Err(_) => {
                let (_, rx) = self.calls.queues.join(&queue, &self.record.sid);
                self.waiting = Some((queue, rx));
                None
            }
        }
    }

    /// Bridges the waiting party to the agent who picked it up.
    pub(super) async fn bridge_pickup(&mut self) {
        let Some(pickup) = self.pickup.take() else {
            self.queued.push_back(Event::QueueBridgeEnded);
            return;
        };
        let Pickup {
            agent_sid,
            leg,
            peer,
            agent_gone,
            give_back,
        } = pickup;
        let Some((leg_a, party)) = self.media.release().await else {
            let _ = give_back.send(Some(leg));
            self.queued.push_back(Event::QueueBridgeEnded);
            return;
        };
        tracing::info!(sid = %self.record.sid, agent = %agent_sid, "queued caller bridged to an agent");
        let handle = media::start_bridge(
            &self.calls,
            leg_a,
            party.peer,
            Some((leg, peer)),
            &self.bridge_tx,
        );
        self.media = Media::Agent(Box::new(Agent {
            handle: Some(handle),
            party,
            agent_gone,
            give_back: Some(give_back),
        }));
    }

    /// A `dial` to a queue: the caller who waited longest gets the party's sockets,
    /// bridged by that caller's call until one side hangs up.
    pub(super) async fn take_from_queue(&mut self, queue: &str) {
        loop {
            let Some(waiter) = self.calls.queues.take_oldest(queue) else {
                tracing::info!(sid = %self.record.sid, queue, "dial: nobody waits in the queue");
                self.queued.push_back(Event::QueueTaken { caller: None });
                return;
            };
            let Some((leg, party)) = self.media.release().await else {
                self.queued.push_back(Event::QueueTaken { caller: None });
                return;
            };
            let (gone_tx, agent_gone) = tokio::sync::oneshot::channel();
            let (give_back, returned) = tokio::sync::oneshot::channel();
            let pickup = Pickup {
                agent_sid: self.record.sid.clone(),
                leg,
                peer: party.peer,
                agent_gone,
                give_back,
            };
            if let Err(back) = waiter.pickup.send(pickup) {
                // That caller just went away: take the sockets back, try the next.
                self.media = Media::ours(&self.calls, back.leg, party, &self.endpoint_tx);
                continue;
            }
            tracing::info!(sid = %self.record.sid, queue, caller = %waiter.sid, "dial: bridged to a queued caller");
            self.media = Media::Lent(Box::new(Lent {
                party,
                gone: Some(gone_tx),
                returned,
            }));
            self.queued.push_back(Event::QueueTaken {
                caller: Some(waiter.sid),
            });
            return;
        }
    }

    /// What a media shape reported by itself: the queue's bridge is over, and the
    /// party's sockets are ours again.
    pub(super) async fn on_wake(&mut self, wake: Wake) -> Option<Event> {
        let back = match (wake, std::mem::replace(&mut self.media, Media::None)) {
            (Wake::AgentGone, Media::Agent(a)) => a.end().await,
            (Wake::Returned(leg), Media::Lent(l)) => leg.map(|leg| (leg, l.party)),
            (_, other) => {
                self.media = other;
                return None;
            }
        };
        match back {
            Some((leg, party)) => {
                self.media = Media::ours(&self.calls, leg, party, &self.endpoint_tx)
            }
            None => self.queued.push_back(Event::MediaLost),
        }
        Some(Event::QueueBridgeEnded)
    }

    /// A bridge side went silent.
    pub(super) async fn on_bridge_timeout(
        &mut self,
        side: crate::media::bridge::Side,
    ) -> Option<Event> {
        match self.media.bridge_timeout(side) {
            Ok(event) => event,
            Err(()) => self.on_wake(Wake::AgentGone).await,
        }
    }
}
