//! Calls placed through the REST API (`POST /v1/calls`): Switchboard rings an
//! extension's devices, a number through the outbound routes (failing over along the
//! route's trunks) or a SIP URI and, once answered, drives the call with verbs like any
//! application call.

use super::driver::{Driver, PartyMedia};
use super::invite::{Caller, Party};
use super::legs::{Legs, Offers, Said};
use super::{ActiveCall, Calls, save, timestamp_now};
use crate::outcome::{EndedBy, Outcome};
use crate::program::{CallProgram, Start};
use crate::ring::{self, Stage};
use crate::sdp::{Codec, Direction, LocalAudio, OFFER_TELEPHONE_EVENT, SessionWriter};
use crate::store::{AppWebhooks, CallRecord, Store};
use contract::models::calls::CallStatus;
use contract::verbs::Verb;
use contract::webhook::CallEvent;
use rsipstack::sip::StatusCode;
use std::sync::Arc;
use std::time::Duration;

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

/// Starts placing `call`: its record is written (status `queued`), then the call
/// proceeds in the background; its record and status callbacks tell how it goes.
/// Returns its sid.
pub async fn place<S: Store>(inner: &Arc<Calls<S>>, call: OutboundCall) -> String {
    let mut record = CallRecord::begin(
        "outbound",
        call.from.clone(),
        call.to.to_string(),
        CallStatus::Queued,
        String::new(),
    );
    record.sip_call_id = format!("{}-0", record.sid);
    let sid = record.sid.clone();
    save(inner, &record).await;
    // Counted until its record is final: a stopping server waits for it.
    let counted = inner.running.enter();
    let inner = inner.clone();
    tokio::spawn(async move {
        run(inner, call, record).await;
        drop(counted);
    });
    sid
}

async fn run<S: Store>(inner: Arc<Calls<S>>, call: OutboundCall, mut record: CallRecord) {
    let active = ActiveCall::new(&inner.metrics);
    status_event(&inner, &call, &record, CallEvent::Initiated, None).await;
    let (party, leg) = match prepare(&inner, &call).await {
        Ok(ready) => ready,
        Err(outcome) => {
            tracing::info!(sid = %record.sid, to = %call.to, reason = %outcome.reason, "outbound call cannot be placed");
            return end_unanswered(&inner, &call, record, outcome).await;
        }
    };
    let mut sdp = SessionWriter::new(u64::from(leg.port()));
    let offer = sdp
        .write(&LocalAudio {
            address: inner.sip.public_ip,
            port: leg.port(),
            codecs: vec![(Codec::Pcmu, 0), (Codec::Pcma, 8)],
            telephone_event: Some(OFFER_TELEPHONE_EVENT),
            direction: Direction::SendRecv,
        })
        .into_bytes();
    let Some(answered) = ring(&inner, &call, &mut record, party, offer).await else {
        return;
    };
    let peer = super::driver::peer_of(&answered.sdp, None);
    let port = leg.port();
    record.status = CallStatus::InProgress;
    record.answered_at = Some(timestamp_now());
    record.sip_call_id = answered.call_id;
    crate::metrics::Metrics::add(&inner.metrics.calls_answered_total, 1);
    save(&inner, &record).await;
    status_event(&inner, &call, &record, CallEvent::Answered, None).await;
    tracing::info!(sid = %record.sid, to = %call.to, "outbound call answered");
    let start = match call.first {
        FirstDocument::Url(url) => Start::FetchUrl(url),
        FirstDocument::Verbs(verbs) => Start::Verbs(verbs),
    };
    let program = CallProgram::new(
        start,
        call.app.voice_url.clone(),
        true,
        EndedBy::Callee,
        std::time::Instant::now(),
    );
    let driver = Driver::new(
        inner.clone(),
        super::driver::Start {
            record,
            app: call.app,
            caller_name: call.from,
            sip_headers: Default::default(),
            max_forwards: None,
            party: answered.dialog,
            party_states: answered.states,
            sdp: answered.sdp,
            caller_source: None,
            answered: Some((leg, PartyMedia { peer, sdp, port })),
        },
        program,
    );
    driver.run(active).await;
}

/// Whom to ring and the media the call will have, or why it cannot be placed.
async fn prepare<S: Store>(
    inner: &Calls<S>,
    call: &OutboundCall,
) -> Result<(Party, crate::media::bridge::MediaLeg), Outcome> {
    let party = match call.to.sip_uri() {
        Some(uri) => super::targets::sip_uri(uri).await,
        None => super::targets::number(inner, call.to.as_str(), None, None).await,
    }
    .map_err(|problem| Outcome::new(CallStatus::Failed, EndedBy::Callee, 404, problem))?;
    if party.branches.is_empty() {
        return Err(Outcome::new(
            CallStatus::NoAnswer,
            EndedBy::Callee,
            480,
            "no registered device",
        ));
    }
    let leg = inner.media.open_leg().map_err(|e| {
        tracing::error!(error = %e, "no RTP ports for an outbound call");
        Outcome::new(CallStatus::Failed, EndedBy::System, 503, "no media ports")
    })?;
    Ok((party, leg))
}

/// The party that answered a call placed from here.
struct Answered {
    dialog: rsipstack::dialog::invite_dialog::InviteDialog,
    states: rsipstack::dialog::dialog::DialogStateReceiver,
    call_id: String,
    /// Its SDP answer.
    sdp: crate::sdp::AudioDescription,
}

/// Rings every device (or trunk) of `party` with the same `offer` — the first to
/// answer gets the call's one media leg — for the call's timeout. None when nobody
/// answered (the record says how it ended).
async fn ring<S: Store>(
    inner: &Arc<Calls<S>>,
    call: &OutboundCall,
    record: &mut CallRecord,
    party: Party,
    offer: Vec<u8>,
) -> Option<Answered> {
    let caller = Caller {
        user: call.from.clone(),
        chosen: true,
        ..Caller::default()
    };
    let mut legs = Legs::new(
        inner.clone(),
        vec![party],
        caller,
        Offers::Shared(offer),
        record.sid.clone(),
    );
    let mut ringer = legs.ringer(vec![Stage {
        targets: vec![0],
        ring_time: call.timeout,
    }]);
    record.status = CallStatus::Ringing;
    save(inner, record).await;
    status_event(inner, call, record, CallEvent::Ringing, None).await;
    tracing::info!(sid = %record.sid, to = %call.to, "outbound call ringing");
    let mut stopping = false;
    let outcome = loop {
        let done = legs.pump(&mut ringer).into_iter().find_map(|c| match c {
            ring::Command::Done(outcome) => Some(outcome),
            _ => None,
        });
        if let Some(outcome) = done {
            break outcome;
        }
        let timer = ringer.poll_timeout();
        tokio::select! {
            said = legs.next() => match said {
                Some((_, Said::Offer(_, handle))) => { let _ = handle.reply(StatusCode::RequestPending).await; }
                Some((leg, Said::Heard(said))) => ringer.handle(said.ring_event(leg), std::time::Instant::now()),
                None => ringer.abort(),
            },
            () = crate::call::invite::sleep_until(timer), if timer.is_some() => {
                ringer.handle_timeout(std::time::Instant::now());
            }
            () = inner.stop.cancelled(), if !stopping => {
                stopping = true;
                ringer.abort();
            }
        }
    };
    let winner = match outcome {
        ring::Outcome::Connected { leg, .. } => leg,
        ring::Outcome::Unanswered { status, code, .. } => {
            legs.linger();
            let outcome = if stopping {
                Outcome::new(
                    CallStatus::Failed,
                    EndedBy::System,
                    503,
                    "server shutting down",
                )
            } else {
                Outcome::new(status, EndedBy::Callee, code, "not answered")
            };
            end_unanswered(inner, call, record.clone(), outcome).await;
            return None;
        }
    };
    let (Some(dialog), Some(sdp)) = (
        legs.legs[winner].dialog.clone(),
        legs.legs[winner].answer.clone(),
    ) else {
        legs.bye(winner);
        legs.linger();
        let outcome = Outcome::new(CallStatus::Failed, EndedBy::System, 488, "no usable answer");
        end_unanswered(inner, call, record.clone(), outcome).await;
        return None;
    };
    let call_id = legs.legs[winner].call_id.clone();
    // The record names the trunk the answered leg went out through.
    record.trunk.clone_from(&legs.legs[winner].trunk);
    Some(Answered {
        dialog,
        states: legs.hand_over(winner, ringer),
        call_id,
        sdp,
    })
}

/// The call ended before anyone answered.
async fn end_unanswered<S: Store>(
    inner: &Calls<S>,
    call: &OutboundCall,
    mut record: CallRecord,
    outcome: Outcome,
) {
    tracing::info!(sid = %record.sid, to = %call.to, status = outcome.status.as_str(), reason = %outcome.reason, "outbound call not answered");
    record.end(&outcome, None);
    save(inner, &record).await;
    status_event(
        inner,
        call,
        &record,
        CallEvent::Completed,
        Some(&outcome.reason),
    )
    .await;
}

/// Queues a status callback about a call that has no session (not answered yet).
async fn status_event<S: Store>(
    inner: &Calls<S>,
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
            let mut request = super::driver::request_for(record);
            request.reason = reason.map(str::to_owned);
            request
        },
        duration: (event == CallEvent::Completed).then_some(0),
        error: None,
    };
    super::driver::queue_status(inner, &call.app.application_id, url, &body).await;
}
