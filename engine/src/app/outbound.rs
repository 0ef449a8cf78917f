//! Calls placed through the REST API (`POST /v1/calls`): Switchboard rings an
//! extension's devices, a number through the outbound routes (failing over along the
//! route's trunks) or a SIP URI and, once answered, drives the call with verbs like any
//! application call.

use super::{Answered, Flow, Session};
use crate::call::invite::{self, Attempt};
use crate::call::{ActiveCall, final_code, new_sid, timestamp_now};
use crate::media::endpoint;
use crate::sdp::{
    AudioDescription, Codec, Direction, LocalAudio, OFFER_TELEPHONE_EVENT, SessionWriter,
};
use crate::sip::Inner;
use crate::store::{AppWebhooks, CallRecord, Store};
use crate::webhook::Document;
use contract::models::applications::WebhookMethod;
use contract::verbs::Verb;
use contract::webhook::CallEvent;
use rsipstack::dialog::dialog::DialogState;
use rsipstack::sip::StatusCode;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// What the answered call does first.
#[derive(Debug, Clone)]
pub enum FirstDocument {
    /// Fetch the document at this URL (signed with the application's secret).
    Url(url::Url),
    /// Run these verbs.
    Verbs(Vec<Verb>),
}

/// A call to place.
#[derive(Debug, Clone)]
pub struct OutboundCall {
    /// The caller ID shown to the called phone.
    pub from: String,
    /// Whom to ring: an extension (all its registered devices), a number through the
    /// outbound routes, or a SIP URI.
    pub to: contract::models::calls::CallTo,
    pub app: AppWebhooks,
    pub first: FirstDocument,
    /// How long to ring.
    pub timeout: Duration,
}

/// One party being rung (a device, or a number through a route's trunks).
struct Fork {
    attempt: Attempt,
    /// The final SIP code, once it refused or went away.
    ended: Option<u16>,
}

/// Starts placing `call`: its record is written (status `queued`), then the call
/// proceeds in the background; its record and status callbacks tell how it goes.
/// Returns its sid.
pub async fn place<S: Store>(inner: &Arc<Inner<S>>, call: OutboundCall) -> String {
    let sid = new_sid();
    let record = CallRecord {
        sid: sid.clone(),
        parent_sid: None,
        direction: "outbound",
        from: call.from.clone(),
        from_name: None,
        to: call.to.to_string(),
        status: "queued",
        started_at: timestamp_now(),
        answered_at: None,
        ended_at: None,
        duration: None,
        hangup_by: None,
        hangup_code: None,
        hangup_reason: None,
        sip_call_id: format!("{sid}-0"),
    };
    save(inner, &record).await;
    tokio::spawn(run(inner.clone(), call, record));
    sid
}

async fn save<S: Store>(inner: &Inner<S>, record: &CallRecord) {
    if let Err(e) = inner.store.save_call(record).await {
        tracing::warn!(error = %e, sid = %record.sid, "cannot write a call record");
    }
}

async fn run<S: Store>(inner: Arc<Inner<S>>, call: OutboundCall, mut record: CallRecord) {
    let _active = ActiveCall::new(&inner.metrics);
    status_event(&inner, &call, &record, CallEvent::Initiated, None).await;
    let targets = match call.to.sip_uri() {
        Some(uri) => super::targets::sip_uri(uri).await.map(|t| vec![t]),
        None => super::targets::number(&inner, call.to.as_str(), None).await,
    };
    let targets = match targets {
        Ok(t) => t,
        Err(problem) => {
            tracing::info!(sid = %record.sid, to = %call.to, %problem, "outbound call cannot be placed");
            return end_unanswered(&inner, &call, record, "failed", 404, &problem).await;
        }
    };
    let leg = match inner.media.open_leg() {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(error = %e, "no RTP ports for an outbound call");
            return end_unanswered(&inner, &call, record, "failed", 503, "no media ports").await;
        }
    };
    if targets.is_empty() {
        return end_unanswered(
            &inner,
            &call,
            record,
            "no-answer",
            480,
            "no registered device",
        )
        .await;
    }
    let public = inner.public_ip;
    let mut sdp = SessionWriter::new(u64::from(leg.port()));
    let offer = sdp
        .write(&LocalAudio {
            address: public,
            port: leg.port(),
            codecs: vec![(Codec::Pcmu, 0), (Codec::Pcma, 8)],
            telephone_event: Some(OFFER_TELEPHONE_EVENT),
            direction: Direction::SendRecv,
        })
        .into_bytes();
    let (states_tx, mut states) = inner.dialogs.new_dialog_state_channel();
    let caller = invite::Caller {
        user: &call.from,
        display_name: None,
    };
    // Every device (or trunk) rings with the same offer: the first to answer gets the
    // one media leg.
    let mut forks: Vec<Fork> = Vec::new();
    for (i, target) in targets.iter().enumerate() {
        let call_id = format!("{}-{i}", record.sid);
        if let Some(attempt) =
            Attempt::start(&inner, &caller, target, offer.clone(), call_id, &states_tx)
        {
            forks.push(Fork {
                attempt,
                ended: None,
            });
        }
    }
    record.status = "ringing";
    save(&inner, &record).await;
    status_event(&inner, &call, &record, CallEvent::Ringing, None).await;
    tracing::info!(sid = %record.sid, to = %call.to, devices = forks.len(), "outbound call ringing");
    let deadline = tokio::time::Instant::now() + call.timeout;
    let answered = loop {
        if forks.iter().all(|f| f.ended.is_some()) {
            break None;
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
                        if let Some(a) = answer {
                            break Some((i, a));
                        }
                        let dialog = forks[i].attempt.dialog.clone();
                        tokio::spawn(async move { let _ = dialog.bye().await; });
                        forks[i].ended = Some(488);
                    }
                }
                Some(DialogState::Terminated(id, reason)) => {
                    if let Some(f) = forks.iter_mut().find(|f| f.attempt.call_id == id.call_id) {
                        inner.dialogs.remove_dialog(&id);
                        let code = final_code(&reason);
                        if !f.attempt.fail_over(&inner, &caller, code, &states_tx) {
                            f.ended = Some(code);
                        }
                    }
                }
                Some(DialogState::Updated(_, _, handle)) => { let _ = handle.reply(StatusCode::RequestPending).await; }
                Some(_) => {}
                None => break None,
            },
            () = invite::sleep_until(silence), if silence.is_some() => {
                let now = tokio::time::Instant::now();
                for f in forks.iter_mut().filter(|f| f.ended.is_none()) {
                    if f.attempt.went_silent(now)
                        && !f.attempt.fail_over(&inner, &caller, 408, &states_tx)
                    {
                        f.ended = Some(408);
                    }
                }
            }
            () = tokio::time::sleep_until(deadline) => break None,
        }
    };
    let winner = answered.as_ref().map(|(i, _)| *i);
    for (i, f) in forks.iter().enumerate() {
        if Some(i) != winner && f.ended.is_none() {
            let dialog = f.attempt.dialog.clone();
            tokio::spawn(async move {
                let _ = dialog.cancel().await;
            });
        }
    }
    let Some((winner, answer)) = answered else {
        let codes: Vec<u16> = forks.iter().filter_map(|f| f.ended).collect();
        let status = super::dial::unanswered_status(&codes);
        return end_unanswered(&inner, &call, record, status.as_str(), 480, "not answered").await;
    };
    let Attempt {
        dialog, call_id, ..
    } = forks.swap_remove(winner).attempt;
    let peer = super::peer_of(&answer, None);
    let (events_tx, events) = mpsc::unbounded_channel();
    let port = leg.port();
    let endpoint = endpoint::start(leg, peer, inner.config.rtp_timeout, events_tx.clone());
    record.status = "in-progress";
    record.answered_at = Some(timestamp_now());
    record.sip_call_id = call_id.clone();
    crate::metrics::Metrics::add(&inner.metrics.calls_answered_total, 1);
    let sid = record.sid.clone();
    let mut session = Session {
        inner: inner.clone(),
        app: call.app.clone(),
        record,
        caller_name: call.from.clone(),
        user_agent: None,
        inbound: dialog,
        caller_call_id: call_id,
        offer: answer,
        states,
        answered: Some(Answered {
            endpoint,
            peer,
            sdp,
            port,
            playing: None,
        }),
        events,
        events_tx,
        document_url: None,
        answered_at: Some(std::time::Instant::now()),
        outcome: None,
        progressed: false,
        recordings_made: 0,
        commands: inner.live.add(&sid),
        remote_side: "callee",
        caller_source: None,
        last_verb: false,
        dialog_ended: false,
    };
    session.save().await;
    session.event(CallEvent::Answered, None).await;
    tracing::info!(sid = %sid, to = %call.to, "outbound call answered");
    let flow = match call.first {
        FirstDocument::Url(url) => {
            let request = session.request();
            session
                .fetch(Some(&url), WebhookMethod::Post, request)
                .await
        }
        FirstDocument::Verbs(verbs) => Flow::Document(Document {
            url: call.app.voice_url.clone(),
            verbs,
        }),
    };
    session.drive(flow).await;
    inner.live.remove(&sid);
    session.finish().await;
}

/// The call ended before anyone answered.
async fn end_unanswered<S: Store>(
    inner: &Inner<S>,
    call: &OutboundCall,
    mut record: CallRecord,
    status: &'static str,
    code: u16,
    reason: &str,
) {
    tracing::info!(sid = %record.sid, to = %call.to, status, reason, "outbound call not answered");
    record.status = status;
    record.ended_at = Some(timestamp_now());
    record.hangup_by = Some("callee");
    record.hangup_code = Some(code);
    record.hangup_reason = Some(reason.to_owned());
    save(inner, &record).await;
    status_event(inner, call, &record, CallEvent::Completed, Some(reason)).await;
}

/// Queues a status callback about a call that has no session (not answered yet).
async fn status_event<S: Store>(
    inner: &Inner<S>,
    call: &OutboundCall,
    record: &CallRecord,
    event: CallEvent,
    reason: Option<&str>,
) {
    let Some(url) = &call.app.status_callback else {
        return;
    };
    let body = contract::webhook::StatusCallback {
        event,
        timestamp: timestamp_now(),
        call: {
            let mut request = super::webhooks::request_for(record);
            request.reason = reason.map(str::to_owned);
            request
        },
        duration: (event == CallEvent::Completed).then_some(0),
        error: None,
    };
    super::webhooks::queue_status(inner, &call.app.application_id, url, &body).await;
}
