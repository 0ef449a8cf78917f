//! `dial`: ring the targets (every device of an extension, a number through the dial
//! plan, a SIP URI, a trunk) while the caller hears ringback, bridge the caller to the
//! first that answers (media relayed, as between extensions), and when the dialled
//! party hangs up, go on with `action`. A dial that is all an unanswered call has left
//! connects the caller straight through instead (`crate::call::b2bua`).

use super::{Flow, Session, Wake, audio};
use crate::call::b2bua;
use crate::call::invite::{self, Attempt};
use crate::call::sdp_plan::callee_offer;
use crate::call::{final_code, new_sid, timestamp_now};
use crate::media::bridge::{self};
use crate::sdp::{AudioDescription, SessionWriter};
use crate::store::{CallRecord, SavedRecording, Store};
use contract::models::calls::CallStatus;
use contract::verbs::{Dial, DialTarget};
use contract::webhook::CallEvent;
use rsipstack::dialog::dialog::DialogState;
use rsipstack::sip::StatusCode;
use std::time::Duration;
use tokio::time::Instant;

/// One party being rung.
struct Ringing {
    attempt: Attempt,
    leg: Option<bridge::MediaLeg>,
    /// The final SIP code, once it refused or went away.
    ended: Option<u16>,
}

/// How ringing ended.
enum Rung {
    Answered(usize, AudioDescription),
    Failed(CallStatus),
    Gone(Flow),
}

/// The status of a dial nobody answered, from the devices' final codes (pure).
pub fn unanswered_status(codes: &[u16]) -> CallStatus {
    if !codes.is_empty() && codes.iter().all(|c| matches!(c, 486 | 600)) {
        CallStatus::Busy
    } else if codes.iter().any(|c| matches!(c, 408 | 480 | 487)) || codes.is_empty() {
        CallStatus::NoAnswer
    } else {
        CallStatus::Failed
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
            return self.end_unanswered(500, "cannot answer").await;
        }
        self.progressed = true;
        if let [DialTarget::Queue { queue }] = verb.targets.as_slice() {
            return self.dial_queue(verb, queue.as_str()).await;
        }
        let targets = self.resolve_targets(verb).await;
        if targets.is_empty() {
            tracing::info!(sid = %self.record.sid, "dial: no registered device to ring");
            return self.after_dial(verb, CallStatus::NoAnswer, None).await;
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
        let (states_tx, mut states) = self.inner.dialogs.new_dialog_state_channel();
        let public = self.inner.public_ip;
        let dial_id = new_sid();
        let from = verb
            .caller_id
            .as_ref()
            .map_or_else(|| self.record.from.clone(), ToString::to_string);
        let caller_name = self.caller_name.clone();
        let caller = invite::Caller {
            user: &from,
            display_name: Some(&caller_name),
        };
        let mut forks: Vec<Ringing> = Vec::new();
        for (i, target) in targets.iter().enumerate() {
            let Ok(leg) = self.inner.media.open_leg_on_runtime(&runtime) else {
                tracing::error!("no RTP ports for a dialled leg");
                continue;
            };
            let offer = SessionWriter::new(u64::from(leg.port()))
                .write(&callee_offer(&self.offer, public, leg.port()))
                .into_bytes();
            let call_id = format!("{dial_id}-{i}");
            if let Some(attempt) =
                Attempt::start(&self.inner, &caller, target, offer, call_id, &states_tx)
            {
                forks.push(Ringing {
                    attempt,
                    leg: Some(leg),
                    ended: None,
                });
            }
        }
        tracing::info!(sid = %self.record.sid, devices = forks.len(), "dial: ringing");
        let deadline = Instant::now() + Duration::from_secs(u64::from(verb.timeout));
        let rung = loop {
            if forks.iter().all(|f| f.ended.is_some()) {
                let codes: Vec<u16> = forks.iter().filter_map(|f| f.ended).collect();
                break Rung::Failed(unanswered_status(&codes));
            }
            let silence = invite::next_silence(
                forks
                    .iter()
                    .filter(|f| f.ended.is_none())
                    .map(|f| &f.attempt),
            );
            tokio::select! {
                state = states.recv() => match state {
                    Some(DialogState::Confirmed(id, response)) => {
                        if let Some(i) = forks.iter().position(|f| f.attempt.call_id == id.call_id) {
                            let answer = std::str::from_utf8(&response.body).ok().and_then(|b| AudioDescription::parse(b).ok());
                            match answer {
                                Some(a) => break Rung::Answered(i, a),
                                None => {
                                    let dialog = forks[i].attempt.dialog.clone();
                                    tokio::spawn(async move { let _ = dialog.bye().await; });
                                    forks[i].ended = Some(488);
                                }
                            }
                        }
                    }
                    Some(DialogState::Terminated(id, reason)) => {
                        if let Some(f) = forks.iter_mut().find(|f| f.attempt.call_id == id.call_id) {
                            self.inner.dialogs.remove_dialog(&id);
                            let code = final_code(&reason);
                            if !f.attempt.fail_over(&self.inner, &caller, code, &states_tx) {
                                f.ended = Some(code);
                            }
                        }
                    }
                    Some(DialogState::Updated(_, _, handle)) => { let _ = handle.reply(StatusCode::RequestPending).await; }
                    Some(_) => {}
                    None => break Rung::Failed(CallStatus::Failed),
                },
                () = invite::sleep_until(silence), if silence.is_some() => {
                    let now = Instant::now();
                    for f in forks.iter_mut().filter(|f| f.ended.is_none()) {
                        if f.attempt.went_silent(now)
                            && !f.attempt.fail_over(&self.inner, &caller, 408, &states_tx)
                        {
                            f.ended = Some(408);
                        }
                    }
                }
                wake = self.wait(Some(deadline)) => match wake {
                    Wake::Timer => break Rung::Failed(CallStatus::NoAnswer),
                    Wake::Gone(flow) => break Rung::Gone(flow),
                    Wake::Key(_) | Wake::PlaybackDone | Wake::Silence => {}
                },
            }
        };
        if let Some(answered) = self.answered.as_mut() {
            answered.endpoint.stop_playback();
            answered.playing = None;
        }
        let winner = match &rung {
            Rung::Answered(i, _) => Some(*i),
            _ => None,
        };
        // Everyone else stops ringing.
        for (i, f) in forks.iter().enumerate() {
            if Some(i) != winner && f.ended.is_none() {
                let dialog = f.attempt.dialog.clone();
                tokio::spawn(async move {
                    let _ = dialog.cancel().await;
                });
            }
        }
        let (winner, answer) = match rung {
            Rung::Answered(i, a) => (i, a),
            Rung::Failed(status) => {
                tracing::info!(sid = %self.record.sid, status = status.as_str(), "dial: not answered");
                return self.after_dial(verb, status, None).await;
            }
            Rung::Gone(flow) => {
                // The caller left while the targets rang: the action learns it
                // (`canceled`), though there is no call left to drive.
                if verb.action.is_some() {
                    let request = dial_request(self.request(), CallStatus::Canceled, None, None);
                    self.notify_action(verb.action.as_ref(), request).await;
                }
                return flow;
            }
        };
        self.bridged(verb, &mut forks[winner], &answer, &mut states)
            .await
    }

    /// The caller, not answered, is connected straight through to the first target that
    /// answers; the call ends with that conversation, or with the targets' refusal as
    /// the caller's final answer. A REST redirect takes the caller back.
    async fn dial_through(&mut self, verb: &Dial) -> Flow {
        self.progressed = true;
        let targets = self.resolve_targets(verb).await;
        if targets.is_empty() {
            tracing::info!(sid = %self.record.sid, to = %self.record.to, "dial: no registered device to ring");
            return self
                .end_unanswered(480, "no registered device to ring")
                .await;
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
        let caller_id = verb
            .caller_id
            .as_ref()
            .map_or_else(|| self.record.from.clone(), ToString::to_string);
        let inner = self.inner.clone();
        let connected = b2bua::connect(
            &inner,
            b2bua::Connect {
                inbound: self.inbound.clone(),
                caller_call_id: self.caller_call_id.clone(),
                caller_states: &mut self.states,
                commands: &mut self.commands,
                record: self.record.clone(),
                caller_id,
                caller_name: self.caller_name.clone(),
                offer: self.offer.clone(),
                targets,
                ring_time: Duration::from_secs(u64::from(verb.timeout)),
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
        fork: &mut Ringing,
        answer: &AudioDescription,
        states: &mut rsipstack::dialog::dialog::DialogStateReceiver,
    ) -> Flow {
        let Some(answered) = self.answered.as_ref() else {
            return Flow::End;
        };
        let peer_a = answered.peer;
        let Some(leg_a) = answered.endpoint.release().await else {
            return Flow::End;
        };
        let Some(leg_b) = fork.leg.take() else {
            return Flow::End;
        };
        let peer_b = super::peer_of(answer, Some(peer_a.format.codec));
        let (relay, mut media_events) = self.start_bridge(leg_a, peer_a, leg_b, peer_b);
        let recording = verb.record.then(|| relay.record());
        let mut child = CallRecord {
            sid: new_sid(),
            parent_sid: Some(self.record.sid.clone()),
            direction: "outbound",
            from: self.record.from.clone(),
            from_name: self.record.from_name.clone(),
            to: fork.attempt.number.clone(),
            status: "in-progress",
            started_at: timestamp_now(),
            answered_at: Some(timestamp_now()),
            ended_at: None,
            duration: None,
            hangup_by: None,
            hangup_code: None,
            hangup_reason: None,
            sip_call_id: fork.attempt.call_id.clone(),
        };
        if let Err(e) = self.inner.store.save_call(&child).await {
            tracing::warn!(error = %e, "cannot write a call record");
        }
        let started = std::time::Instant::now();
        tracing::info!(sid = %self.record.sid, child = %child.sid, to = %fork.attempt.number, "dial: bridged");
        let limit = verb
            .time_limit
            .map(|s| Instant::now() + Duration::from_secs(u64::from(s)));
        let mut gone = None;
        let hangup_by = loop {
            tokio::select! {
                state = states.recv() => match state {
                    Some(DialogState::Terminated(id, _)) if id.call_id == fork.attempt.call_id => break "callee",
                    Some(DialogState::Updated(_, _, handle)) => { let _ = handle.reply(StatusCode::NotAcceptableHere).await; }
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
            let dialog = fork.attempt.dialog.clone();
            tokio::spawn(async move {
                let _ = dialog.bye().await;
            });
        }
        self.inner.dialogs.remove_dialog(&fork.attempt.dialog.id());
        let (stats, leg_a, _) = relay.stop_keep_legs().await;
        let saved = match recording {
            Some(audio) => {
                self.save_dial_recording(audio.await.unwrap_or_default())
                    .await
            }
            None => None,
        };
        tracing::info!(sid = %self.record.sid, child = %child.sid, by = hangup_by, a_to_b = stats.a_to_b, b_to_a = stats.b_to_a, "dial: bridge ended");
        child.status = "completed";
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
    fn unanswered_outcomes() {
        assert_eq!(unanswered_status(&[486, 486]), CallStatus::Busy);
        assert_eq!(unanswered_status(&[486, 480]), CallStatus::NoAnswer);
        assert_eq!(unanswered_status(&[487]), CallStatus::NoAnswer);
        assert_eq!(unanswered_status(&[]), CallStatus::NoAnswer);
        assert_eq!(unanswered_status(&[503, 404]), CallStatus::Failed);
    }
}
