//! `dial`: ring the targets (every device of an extension, a number through the dial
//! plan, a SIP URI, a trunk) by the dial's strategy while the caller hears ringback,
//! bridge the caller to the first that answers (media relayed, as between extensions),
//! and when the dialled party hangs up, go on with `action`. A dial that is all an
//! unanswered call has left connects the caller straight through instead
//! (`crate::call::b2bua`). Who rings when is the [`Ringer`]'s decision in both cases.

use super::{Flow, Session, Wake, audio};
use crate::call::b2bua;
use crate::call::invite::{Caller, Party};
use crate::call::legs::{Legs, Offers, Said};
use crate::call::plan::ring_plan;
use crate::call::{new_sid, timestamp_now};
use crate::ring::{self, Ringer, Stage};
use crate::store::{CallRecord, SavedRecording, Store};
use contract::models::calls::CallStatus;
use contract::verbs::{Dial, DialTarget};
use contract::webhook::CallEvent;
use rsipstack::dialog::dialog::TerminatedReason;
use rsipstack::sip::StatusCode;
use std::time::{Duration, Instant};

/// How ringing ended.
enum Rung {
    Answered(ring::LegId),
    Failed(CallStatus),
    Gone(Flow),
}

/// Why nothing at all can be rung: everybody on a call (`firstavailable`), or nobody
/// with a registered device.
fn nobody_to_ring(parties: &[Party]) -> (CallStatus, u16, &'static str) {
    if parties
        .iter()
        .any(|p| p.branches.iter().any(|b| !b.is_empty()))
    {
        (CallStatus::Busy, 486, "every target is on a call")
    } else {
        (CallStatus::NoAnswer, 480, "no registered device to ring")
    }
}

impl<S: Store> Session<S> {
    pub(super) async fn dial(&mut self, verb: &Dial) -> Flow {
        let to_queue = matches!(verb.targets.as_slice(), [DialTarget::Queue { .. }]);
        // A dial that is all an unanswered call has left connects the caller straight
        // through, as a PBX does (the caller hears the callee ring, gets its busy…).
        if self.answered.is_none() && self.last_verb && verb.action.is_none() && !to_queue {
            return self.dial_through(verb).await;
        }
        if self.answer().await.is_err() {
            return self
                .end_unanswered(CallStatus::Failed, 500, "cannot answer")
                .await;
        }
        self.progressed = true;
        if let [DialTarget::Queue { queue }] = verb.targets.as_slice() {
            return self.dial_queue(verb, queue.as_str()).await;
        }
        let (parties, stages) = self.dial_plan(verb).await;
        if stages.is_empty() {
            let (status, _, why) = nobody_to_ring(&parties);
            tracing::info!(sid = %self.record.sid, why, "dial: nobody to ring");
            return self.after_dial(verb, status, None).await;
        }
        let Some(runtime) = self.answered.as_ref().map(|a| a.endpoint.runtime().clone()) else {
            return Flow::End;
        };
        // Ringback while the devices ring (ETSI: 425 Hz, 1 s on, 4 s off).
        if let Some(answered) = self.answered.as_mut() {
            let mut pattern = audio::tone(425.0, 1000, 0.2);
            pattern.extend(std::iter::repeat_n(0, 8 * 4000));
            let id = answered.endpoint.play(pattern.into(), 0);
            answered.playing = Some(id);
        }
        let mut legs = Legs::new(
            self.inner.clone(),
            parties,
            self.dial_caller(verb),
            Offers::PerLeg {
                caller: self.offer.clone(),
                runtime,
            },
            new_sid(),
        );
        let mut ringer = legs.ringer(stages);
        tracing::info!(sid = %self.record.sid, parties = legs.parties().len(), strategy = verb.strategy.as_str(), "dial: ringing");
        let rung = loop {
            let done = legs.pump(&mut ringer).into_iter().find_map(|c| match c {
                ring::Command::Done(outcome) => Some(outcome),
                _ => None,
            });
            match done {
                Some(ring::Outcome::Connected { leg, .. }) => break Rung::Answered(leg),
                Some(ring::Outcome::Unanswered { status, .. }) => break Rung::Failed(status),
                None => {}
            }
            let timer = ringer.poll_timeout();
            tokio::select! {
                Some((leg, said)) = legs.next() => match said {
                    Said::Offer(_, handle) => { let _ = handle.reply(StatusCode::RequestPending).await; }
                    said => if let Some(event) = said.ring_event(leg) {
                        ringer.handle(event, Instant::now());
                    }
                },
                () = crate::call::invite::sleep_until(timer), if timer.is_some() => {
                    ringer.handle_timeout(Instant::now());
                }
                wake = self.wait(None) => match wake {
                    Wake::Gone(flow) => {
                        ringer.abort();
                        legs.pump(&mut ringer);
                        break Rung::Gone(flow);
                    }
                    Wake::Key(_) | Wake::PlaybackDone | Wake::Silence | Wake::Timer => {}
                },
            }
        };
        if let Some(answered) = self.answered.as_mut() {
            answered.endpoint.stop_playback();
            answered.playing = None;
        }
        match rung {
            Rung::Answered(leg) => self.bridged(verb, legs, ringer, leg).await,
            Rung::Failed(status) => {
                legs.linger();
                tracing::info!(sid = %self.record.sid, status = status.as_str(), "dial: not answered");
                self.after_dial(verb, status, None).await
            }
            Rung::Gone(flow) => {
                legs.linger();
                // The caller left while the targets rang: the action learns it
                // (`canceled`), though there is no call left to drive.
                if verb.action.is_some() {
                    let request = dial_request(self.request(), CallStatus::Canceled, None, None);
                    self.notify_action(verb.action.as_ref(), request).await;
                }
                flow
            }
        }
    }

    /// Whom the dial rings and when: its targets resolved into parties, and its
    /// strategy's stages over them.
    async fn dial_plan(&mut self, verb: &Dial) -> (Vec<Party>, Vec<Stage>) {
        let parties = self.resolve_targets(verb).await;
        let ring_time = Duration::from_secs(u64::from(verb.timeout));
        let stages = ring_plan(&self.inner, &parties, verb.strategy, ring_time).await;
        (parties, stages)
    }

    /// Who the dial's INVITEs say is calling.
    fn dial_caller(&self, verb: &Dial) -> Caller {
        Caller {
            user: verb
                .caller_id
                .as_ref()
                .map_or_else(|| self.record.from.clone(), ToString::to_string),
            display_name: Some(self.caller_name.clone()),
        }
    }

    /// The caller, not answered, is connected straight through to the first target that
    /// answers; the call ends with that conversation, or with the targets' refusal as
    /// the caller's final answer. A REST redirect takes the caller back.
    async fn dial_through(&mut self, verb: &Dial) -> Flow {
        self.progressed = true;
        let (parties, stages) = self.dial_plan(verb).await;
        if stages.is_empty() {
            let (status, code, why) = nobody_to_ring(&parties);
            tracing::info!(sid = %self.record.sid, to = %self.record.to, why, "dial: nobody to ring");
            return self.end_unanswered(status, code, why).await;
        }
        let inner = self.inner.clone();
        let app = self.app.clone();
        let on_answer = Box::new(move |record: &CallRecord| {
            let Some(url) = app.status_callback.clone() else {
                return;
            };
            let body = contract::webhook::StatusCallback {
                event: CallEvent::Answered,
                timestamp: timestamp_now(),
                call: super::webhooks::request_for(record),
                duration: None,
                error: None,
            };
            let inner = inner.clone();
            tokio::spawn(async move {
                super::webhooks::queue_status(&inner, &app.application_id, &url, &body).await;
            });
        });
        let caller = self.dial_caller(verb);
        let inner = self.inner.clone();
        let connected = b2bua::connect(
            &inner,
            b2bua::Connect {
                inbound: self.inbound.clone(),
                caller_call_id: self.caller_call_id.clone(),
                caller_states: &mut self.states,
                commands: &mut self.commands,
                record: self.record.clone(),
                caller,
                offer: self.offer.clone(),
                parties,
                stages,
                time_limit: verb.time_limit.map(|s| Duration::from_secs(u64::from(s))),
                record_audio: verb.record,
                on_answer,
            },
        )
        .await;
        match connected {
            b2bua::Connected::Ended {
                record,
                answered_at,
                recording,
            } => {
                self.record = record;
                self.answered_at = answered_at;
                self.dialog_ended = true;
                self.recorded_through(recording).await;
                Flow::End
            }
            b2bua::Connected::Released {
                record,
                answered_at,
                media,
                command,
                recording,
            } => {
                self.record = record;
                self.answered_at = answered_at;
                self.recorded_through(recording).await;
                if let Some(media) = media {
                    self.adopt_media(*media);
                }
                self.on_command(command)
            }
        }
    }

    /// The dialled device answered: relay media between it and the caller until one of
    /// them hangs up (or `time_limit`), then give the caller's leg back to the verbs.
    async fn bridged(
        &mut self,
        verb: &Dial,
        mut legs: Legs<S>,
        mut ringer: Ringer,
        winner: ring::LegId,
    ) -> Flow {
        let Some(answered) = self.answered.as_ref() else {
            legs.linger();
            return Flow::End;
        };
        let peer_a = answered.peer;
        let (Some(leg_b), Some(answer)) = (
            legs.legs[winner].sockets.take(),
            legs.legs[winner].answer.clone(),
        ) else {
            legs.bye(winner);
            legs.linger();
            return Flow::End;
        };
        let Some(leg_a) = answered.endpoint.release().await else {
            legs.bye(winner);
            legs.linger();
            return Flow::End;
        };
        let peer_b = super::peer_of(&answer, Some(peer_a.format.codec));
        let (relay, mut media_events) = self.start_bridge(leg_a, peer_a, leg_b, peer_b);
        let recording = verb.record.then(|| relay.record());
        let (number, call_id) = (
            legs.legs[winner].number.clone(),
            legs.legs[winner].call_id.clone(),
        );
        let mut child = CallRecord {
            sid: new_sid(),
            parent_sid: Some(self.record.sid.clone()),
            direction: "outbound",
            from: self.record.from.clone(),
            from_name: self.record.from_name.clone(),
            to: number.clone(),
            status: CallStatus::InProgress,
            started_at: timestamp_now(),
            answered_at: Some(timestamp_now()),
            ended_at: None,
            duration: None,
            hangup_by: None,
            hangup_code: None,
            hangup_reason: None,
            sip_call_id: call_id,
        };
        if let Err(e) = self.inner.store.save_call(&child).await {
            tracing::warn!(error = %e, "cannot write a call record");
        }
        let started = Instant::now();
        tracing::info!(sid = %self.record.sid, child = %child.sid, to = %number, "dial: bridged");
        let limit = verb
            .time_limit
            .map(|s| Instant::now() + Duration::from_secs(u64::from(s)));
        let mut gone = None;
        let hangup_by = loop {
            // Late answers of the other parties (crossing our CANCEL) are hung up.
            legs.pump(&mut ringer);
            tokio::select! {
                said = legs.next() => match said {
                    Some((leg, Said::Ended(TerminatedReason::UasBye | TerminatedReason::Timeout)))
                        if leg == winner => break "callee",
                    Some((leg, Said::Ended(_))) if leg == winner => break "system",
                    Some((_, Said::Offer(_, handle))) => { let _ = handle.reply(StatusCode::NotAcceptableHere).await; }
                    Some((leg, said)) if leg != winner => {
                        if let Some(event) = said.ring_event(leg) {
                            ringer.handle(event, Instant::now());
                        }
                    }
                    Some(_) => {}
                    None => break "callee",
                },
                Some(_) = media_events.recv() => break "system",
                wake = self.wait(limit) => match wake {
                    Wake::Timer => break "system",
                    Wake::Gone(flow) => { gone = Some(flow); break "caller"; }
                    Wake::Key(_) | Wake::PlaybackDone | Wake::Silence => {}
                },
            }
        };
        if hangup_by != "callee" {
            legs.bye(winner);
        }
        legs.linger();
        let (stats, leg_a, _) = relay.stop_keep_legs().await;
        let saved = match recording {
            Some(audio) => {
                self.save_dial_recording(audio.await.unwrap_or_default())
                    .await
            }
            None => None,
        };
        tracing::info!(sid = %self.record.sid, child = %child.sid, by = hangup_by, a_to_b = stats.a_to_b, b_to_a = stats.b_to_a, "dial: bridge ended");
        child.status = CallStatus::Completed;
        child.ended_at = Some(timestamp_now());
        child.duration = Some(started.elapsed().as_secs());
        child.hangup_by = Some(hangup_by);
        child.hangup_code = Some(200);
        child.hangup_reason = Some("BYE".to_owned());
        if let Err(e) = self.inner.store.save_call(&child).await {
            tracing::warn!(error = %e, "cannot write a call record");
        }
        if let Some(flow) = gone {
            // The call is over; the action still learns how the dial went (and gets its
            // recording), but its answer has nothing left to drive.
            if verb.action.is_some() {
                let request = dial_request(
                    self.request(),
                    CallStatus::Completed,
                    Some(child.sid),
                    saved,
                );
                self.notify_action(verb.action.as_ref(), request).await;
            }
            return flow;
        }
        // The caller is still here: their leg goes back to the verbs.
        match (leg_a, self.answered.as_mut()) {
            (Some(leg), Some(_)) => self.restart_endpoint(leg, peer_a),
            _ => return self.hang_up("media lost after dial").await,
        }
        let Some(action) = verb.action.clone() else {
            return Flow::Next;
        };
        let request = dial_request(
            self.request(),
            CallStatus::Completed,
            Some(child.sid),
            saved,
        );
        self.follow(Some(&action), request).await
    }

    /// A `dial` to a queue: the caller who has waited longest is bridged to this call
    /// (this call's media is handed to the waiting call, which runs the bridge) until one
    /// side hangs up. An empty queue is `no-answer` at once.
    async fn dial_queue(&mut self, verb: &Dial, queue: &str) -> Flow {
        loop {
            let Some(waiter) = self.inner.queues.take_oldest(queue) else {
                tracing::info!(sid = %self.record.sid, queue, "dial: nobody waits in the queue");
                return self.after_dial(verb, CallStatus::NoAnswer, None).await;
            };
            let Some(answered) = self.answered.as_ref() else {
                return Flow::End;
            };
            let peer = answered.peer;
            let Some(leg) = answered.endpoint.release().await else {
                return Flow::End;
            };
            let (gone_tx, agent_gone) = tokio::sync::oneshot::channel();
            let (give_back, mut returned) = tokio::sync::oneshot::channel();
            let pickup = super::queue::Pickup {
                agent_sid: self.record.sid.clone(),
                leg,
                peer,
                agent_gone,
                give_back,
            };
            if let Err(back) = waiter.pickup.send(pickup) {
                // That caller just went away: take the leg back, try the next one.
                self.restart_endpoint(back.leg, peer);
                continue;
            }
            tracing::info!(sid = %self.record.sid, queue, caller = %waiter.sid, "dial: bridged to a queued caller");
            let mut gone = None;
            let leg = loop {
                tokio::select! {
                    leg = &mut returned => break leg.ok().flatten(),
                    wake = self.wait(None), if gone.is_none() => match wake {
                        Wake::Gone(flow) => {
                            gone = Some(flow);
                            let _ = gone_tx.send(());
                            // Wait for the bridge to stop, so nothing keeps our sockets.
                            break (&mut returned).await.ok().flatten();
                        }
                        Wake::Key(_) | Wake::PlaybackDone | Wake::Silence | Wake::Timer => {}
                    },
                }
            };
            if let Some(flow) = gone {
                return flow;
            }
            match leg {
                Some(leg) => self.restart_endpoint(leg, peer),
                None => return self.hang_up("media lost after the queue").await,
            }
            return self
                .after_dial(verb, CallStatus::Completed, Some(waiter.sid))
                .await;
        }
    }

    /// Posts the dial's outcome to `action` (whose answer continues the call), or goes
    /// on with the next verb.
    async fn after_dial(&mut self, verb: &Dial, status: CallStatus, child: Option<String>) -> Flow {
        let Some(action) = verb.action.clone() else {
            return Flow::Next;
        };
        let request = dial_request(self.request(), status, child, None);
        self.follow(Some(&action), request).await
    }

    /// A call connected straight through was recorded: saved, and the application's
    /// status callback gets a `recording` event (there is no `action` to tell).
    async fn recorded_through(&mut self, recording: Option<Vec<i16>>) {
        let Some(saved) = self
            .save_dial_recording(recording.unwrap_or_default())
            .await
        else {
            return;
        };
        let Some(callback) = self.app.status_callback.clone() else {
            return;
        };
        let request = dial_request(self.request(), CallStatus::Completed, None, Some(saved));
        self.event_to(&callback, CallEvent::Recording, request)
            .await;
    }

    /// Saves a dial's recording (kind `call`, named after the call); a failure is
    /// logged and reported, and the call goes on.
    pub(super) async fn save_dial_recording(
        &mut self,
        samples: Vec<i16>,
    ) -> Option<SavedRecording> {
        if samples.is_empty() {
            return None;
        }
        self.recordings_made += 1;
        let name = format!("call-{}-{}", self.record.sid, self.recordings_made);
        match self.inner.store.save_recording(&name, &samples).await {
            Ok(saved) => {
                tracing::info!(sid = %self.record.sid, recording = %saved.id, ms = saved.duration_ms, "dial: conversation recorded");
                Some(saved)
            }
            Err(e) => {
                tracing::error!(sid = %self.record.sid, error = %e, "cannot save a dial's recording");
                let message = format!("the dial's recording could not be saved: {e}");
                self.report_error("recording_failed", &message, None, None)
                    .await;
                None
            }
        }
    }
}

/// The request telling `action` how a dial went.
fn dial_request(
    mut request: contract::webhook::WebhookRequest,
    status: CallStatus,
    child: Option<String>,
    recording: Option<SavedRecording>,
) -> contract::webhook::WebhookRequest {
    request.dial_call_status = Some(status);
    request.dial_call_sid = child;
    if let Some(saved) = recording {
        request.recording_duration =
            Some(u32::try_from(saved.duration_ms.div_ceil(1000)).unwrap_or(u32::MAX));
        request.recording_url = Some(saved.url);
        request.recording_sid = Some(saved.id);
    }
    request
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_to_ring_is_busy_only_when_someone_could_have_been_rung() {
        let nobody = Party {
            number: "101".into(),
            branches: Vec::new(),
        };
        assert_eq!(
            nobody_to_ring(std::slice::from_ref(&nobody)).0,
            CallStatus::NoAnswer
        );
        let binding = crate::store::Binding {
            id: String::new(),
            aor: "102".into(),
            contact: "sip:102@192.0.2.7".into(),
            source: "192.0.2.7:5060".parse().unwrap(),
            transport: crate::store::Transport::Udp,
            expires_at: 0,
            call_id: String::new(),
            cseq: 0,
            user_agent: None,
        };
        let on_a_call = Party::direct("102".into(), binding);
        assert_eq!(
            nobody_to_ring(&[nobody, on_a_call]),
            (CallStatus::Busy, 486, "every target is on a call")
        );
    }
}
