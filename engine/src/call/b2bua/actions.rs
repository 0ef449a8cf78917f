//! The machine's decisions carried out: SIP answers to the caller, the legs' BYEs, the
//! media bridge, the call records.

use super::super::sdp_plan::caller_answer;
use super::super::{new_sid, save, sdp_header, timestamp_now};
use super::Call;
use crate::call::machine::Action;
use crate::media::bridge::{self, BridgeHandle, Side as MediaSide};
use crate::outcome::EndedBy;
use crate::store::{CallRecord, Store};
use contract::models::calls::CallStatus;
use rsipstack::sip::StatusCode;
use std::time::Instant;

impl<S: Store> Call<'_, S> {
    pub(super) fn apply_all(&mut self, actions: Vec<Action>) {
        for action in actions {
            self.apply(action);
        }
    }

    fn apply(&mut self, action: Action) {
        match action {
            Action::RingCaller => {
                if let Err(e) = self.inbound.ringing(None, None) {
                    tracing::debug!(error = %e, "cannot send 180");
                }
            }
            Action::EarlyMedia { leg } => match self.connect(leg) {
                Some(body) => {
                    if let Err(e) = self.inbound.ringing(Some(vec![sdp_header()]), Some(body)) {
                        tracing::debug!(error = %e, "cannot send 183");
                    }
                }
                None => {
                    let _ = self.inbound.ringing(None, None);
                }
            },
            Action::AnswerCaller { leg } => self.answer(leg),
            Action::StopRinging => {
                self.ringer.abort();
                self.pump();
            }
            Action::RejectCaller { code } => {
                if let Err(e) = self.inbound.reject(Some(StatusCode::from(code)), None) {
                    tracing::debug!(error = %e, "cannot reject the caller");
                }
            }
            Action::ByeCaller => {
                let dialog = self.inbound.clone();
                tokio::spawn(async move {
                    let _ = dialog.bye().await;
                });
            }
            Action::ByeCallee { leg } => self.legs.bye(leg),
            // `run` sees the machine is done and hands the caller back.
            Action::Released => {}
            Action::Finished(outcome) => {
                let now = timestamp_now();
                let duration = self.answered_at.map(|t| t.elapsed().as_secs());
                for record in std::iter::once(&mut self.record).chain(self.child.as_mut()) {
                    record.status = outcome.status;
                    record.ended_at = Some(now.clone());
                    record.duration = duration;
                    record.hangup_by = Some(outcome.by.as_str());
                    record.hangup_code = Some(outcome.code);
                    record.hangup_reason = Some(outcome.reason.clone());
                }
                if outcome.by == EndedBy::System && outcome.code >= 500 {
                    tracing::warn!(sid = %self.record.sid, reason = %outcome.reason, "call ended");
                } else {
                    tracing::info!(sid = %self.record.sid, status = outcome.status.as_str(), by = outcome.by.as_str(), reason = %outcome.reason, "call ended");
                }
                self.persist();
            }
        }
    }

    /// 200 to the caller with our answer, media bridged to `leg`, records written.
    fn answer(&mut self, leg: usize) {
        let body = self.connect(leg).unwrap_or_default();
        if let Err(e) = self.inbound.accept(Some(vec![sdp_header()]), Some(body)) {
            tracing::warn!(error = %e, "cannot answer the caller");
        }
        self.answered_at = Some(Instant::now());
        if self.record_audio && self.recording.is_none() {
            self.recording = self.bridge.as_ref().map(BridgeHandle::record);
        }
        crate::metrics::Metrics::add(&self.inner.metrics.calls_answered_total, 1);
        let now = timestamp_now();
        self.record.status = CallStatus::InProgress;
        self.record.answered_at = Some(now.clone());
        let mut child = self.record.clone();
        child.sid = new_sid();
        child.parent_sid = Some(self.record.sid.clone());
        child.direction = "outbound";
        child.sip_call_id = self.legs.legs[leg].call_id.clone();
        child.to = self.legs.legs[leg].number.clone();
        child.started_at = now;
        self.child = Some(child);
        self.persist();
        if let Some(on_answer) = self.on_answer.take() {
            on_answer(&self.record);
        }
        tracing::info!(sid = %self.record.sid, leg, "call answered");
    }

    /// Writes the records without holding up the call.
    pub(super) fn persist(&self) {
        let inner = self.inner.clone();
        let records: Vec<CallRecord> = std::iter::once(self.record.clone())
            .chain(self.child.clone())
            .collect();
        tokio::spawn(async move {
            for r in &records {
                save(&inner, r).await;
            }
        });
    }

    /// Bridges the caller with `leg` and returns our SDP answer for the caller (None
    /// when the leg gave no usable answer).
    fn connect(&mut self, leg: usize) -> Option<Vec<u8>> {
        let public = self.inner.sip.public_ip;
        let answer = self.legs.legs[leg].answer.clone()?;
        let port_a = match (&self.leg_a, &self.caller_media) {
            (Some(l), _) => l.port(),
            (None, Some((media, _))) => media.local_port,
            (None, None) => return None,
        };
        let (caller_media, callee_media, local) =
            caller_answer(&self.offer, &answer, public, port_a)?;
        let body = match &self.caller_media {
            // The caller already has our answer (183): it stays the same.
            Some((previous, body)) if previous.format == caller_media.format => body.clone(),
            _ => self.caller_sdp.write(&local).into_bytes(),
        };
        let peer_a = caller_media.peer();
        let peer_b = callee_media.peer();
        if self.bridge.is_none()
            && let Some(leg_a) = self.leg_a.take()
        {
            self.bridge = Some(bridge::start(
                leg_a,
                peer_a,
                self.inner.rtp_timeout,
                self.media_tx.clone(),
                self.inner.metrics.clone(),
            ));
        }
        if let Some(bridge) = &self.bridge {
            bridge.update(MediaSide::A, peer_a);
            let l = &mut self.legs.legs[leg];
            match l.sockets.take() {
                Some(sockets) => bridge.connect(sockets, peer_b),
                None => bridge.update(MediaSide::B, peer_b),
            }
            l.agreed = Some(callee_media);
        }
        self.caller_media = Some((caller_media, body.clone()));
        Some(body)
    }
}
