//! The party's side of the call: its dialog (answers, 180, refusals, BYE, what it
//! sends us) and the call's record, which this driver alone writes — `initiated`,
//! `answered` and `completed` status events follow the record's life.

use super::{Driver, Media};
use crate::call::{save, sdp_header};
use crate::clock::timestamp_now;
use crate::metrics::Metrics;
use crate::outcome::{EndedBy, Outcome};
use crate::program::{Event, Fields, Gone};
use crate::store::Store;
use contract::models::calls::CallStatus;
use contract::webhook::CallEvent;
use rsipstack::dialog::dialog::{DialogState, TerminatedReason};
use rsipstack::sip::StatusCode;
use std::time::Instant;

impl<S: Store> Driver<S> {
    /// What the party's dialog said, as a program event (re-INVITEs answered here).
    pub(super) async fn on_party_state(&mut self, state: DialogState) -> Option<Event> {
        match state {
            DialogState::Terminated(id, reason) => {
                self.calls.sip.dialogs.remove_dialog(&id);
                if id.call_id != self.party_call_id {
                    return None;
                }
                self.party_ended = true;
                let gone = match reason {
                    TerminatedReason::UacCancel => Gone::Cancelled,
                    TerminatedReason::Timeout if self.record.direction == "inbound" => Gone::NoAck,
                    _ => Gone::HungUp,
                };
                tracing::debug!(sid = %self.record.sid, ?reason, "the party's dialog ended");
                Some(Event::PartyGone(gone))
            }
            // The party's ACK, or its answer to our INVITE.
            DialogState::Confirmed(..) => None,
            DialogState::Updated(_, request, handle) => {
                self.party_offer(&request, handle).await;
                None
            }
            other => {
                crate::call::answer_other_request(other).await;
                None
            }
        }
    }

    /// Answers the party: our media, 200 with our SDP, the record `in-progress`.
    pub(super) async fn answer(&mut self) {
        if matches!(self.media, Media::Endpoint(_)) {
            return;
        }
        let body = match self.media.answer(&self.calls, &self.sdp, &self.endpoint_tx) {
            Ok(body) => body,
            Err(problem) => {
                tracing::warn!(sid = %self.record.sid, %problem, "cannot answer the call");
                self.queued.push_back(Event::AnswerFailed);
                return;
            }
        };
        if let Err(e) = self.party.accept(Some(vec![sdp_header()]), Some(body)) {
            tracing::warn!(sid = %self.record.sid, error = %e, "cannot answer the caller");
            self.media.stop().await;
            self.queued.push_back(Event::AnswerFailed);
            return;
        }
        tracing::info!(sid = %self.record.sid, "call answered by the application");
        self.answered().await;
    }

    /// The party is answered (by us or through a dialled party): the record says so.
    pub(super) async fn answered(&mut self) {
        self.answered_at = Some(Instant::now());
        Metrics::add(&self.calls.metrics.calls_answered_total, 1);
        self.record.status = CallStatus::InProgress;
        self.record.answered_at = Some(timestamp_now());
        save(&self.calls, &self.record).await;
        self.lifecycle(CallEvent::Answered).await;
    }

    pub(super) fn ringing(&mut self) {
        if let Err(e) = self.party.ringing(None, None) {
            tracing::debug!(error = %e, "cannot send 180");
        }
    }

    pub(super) fn reject(&mut self, code: u16) {
        if let Err(e) = self.party.reject(Some(StatusCode::from(code)), None) {
            tracing::debug!(error = %e, "cannot reject the caller");
        }
    }

    pub(super) fn hang_up(&mut self) {
        let dialog = self.party.clone();
        tokio::spawn(async move {
            let _ = dialog.bye().await;
        });
    }

    /// The call is over: notifications still under way are let through, the record
    /// ends with `outcome`, the application hears `completed`.
    pub(super) async fn finish(&mut self, outcome: Outcome) {
        // Over: the REST API can no longer steer it.
        self.calls.live.remove(&self.record.sid);
        self.record
            .end(&outcome, self.answered_at.map(|t| t.elapsed().as_secs()));
        // What the application is still being told (an action after a hangup) goes
        // first, as before the record ends: as long as the application's own timeouts
        // and retries allow. Nothing else is waited for.
        self.pending.abort_all();
        let policy = self.app.policy;
        let per_url = (policy.connect_timeout + policy.read_timeout) * (policy.retries + 1);
        let linger = per_url * 2 + std::time::Duration::from_secs(1);
        let _ = tokio::time::timeout(linger, async {
            while self.notifying.join_next().await.is_some() {}
        })
        .await;
        save(&self.calls, &self.record).await;
        self.lifecycle(CallEvent::Completed).await;
        if outcome.by == EndedBy::System && outcome.code >= 500 {
            tracing::warn!(sid = %self.record.sid, reason = %outcome.reason, "call ended");
        } else {
            tracing::info!(sid = %self.record.sid, status = outcome.status.as_str(), by = outcome.by.as_str(), reason = %outcome.reason, "call ended");
        }
    }

    /// After the program finished: the media stops, the legs and the party's dialog
    /// are let end, the call leaves the live calls.
    pub(super) async fn close(mut self) {
        if let Some((queue, _)) = self.waiting.take() {
            self.calls.queues.leave(&queue, &self.record.sid);
        }
        self.media.stop().await;
        if let Some(legs) = self.legs.take() {
            legs.linger();
        }
        let party = if self.party_ended {
            Vec::new()
        } else {
            vec![(self.party_call_id.clone(), self.party.id())]
        };
        crate::call::legs::drain(&self.calls, &mut self.party_states, &party).await;
        self.calls.sip.dialogs.remove_dialog(&self.party.id());
    }

    /// A status event of the record's life (`initiated`, `answered`, `completed`).
    pub(super) async fn lifecycle(&self, event: CallEvent) {
        self.status(event, Fields::default(), None, None).await;
    }
}
