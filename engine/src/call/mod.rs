//! Calls between extensions: the B2BUA driver. It authenticates and routes an INVITE,
//! forks it to every registered contact of the callee, anchors the media in a
//! [`bridge`], and runs the [`machine`] over the dialogs' states until the call ends.
//!
//! [`bridge`]: crate::media::bridge

pub mod machine;
mod replies;
pub(crate) mod sdp_plan;

pub(crate) use replies::{answer_other_request, final_code};

use crate::media::bridge::{self, BridgeEvent, BridgeHandle, MediaLeg, Side as MediaSide};
use crate::sdp::{AudioDescription, SessionWriter};
use crate::sip::auth::{self, Outcome as AuthOutcome};
use crate::sip::register::source_of;
use crate::sip::{Inner, headers, unix_now};
use crate::store::{Binding, CallRecord, Store, Transport};
use machine::{Action, CallMachine, EndedBy, Event, Side};
use rsipstack::dialog::DialogId;
use rsipstack::dialog::dialog::{
    DialogState, DialogStateReceiver, TerminatedReason, TransactionHandle,
};
use rsipstack::dialog::invitation::InviteOption;
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::prelude::*;
use rsipstack::sip::{Header, Request, StatusCode, Uri};
use rsipstack::transaction::Transaction;
use rsipstack::transport::SipAddr;
use sdp_plan::{LegMedia, callee_offer, caller_answer};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

fn sdp_header() -> Header {
    Header::ContentType("application/sdp".into())
}

/// Answers a new INVITE (no To tag): the whole life of the call runs here.
pub async fn handle_invite<S: Store>(inner: Arc<Inner<S>>, mut tx: Transaction) {
    let Some((source, source_transport)) = source_of(&tx) else {
        let _ = tx.reply(StatusCode::BadRequest).await;
        return;
    };
    let req = tx.original.clone();
    let caller = match auth::check(&inner, &req, source.ip(), true).await {
        AuthOutcome::Authenticated(ext) => ext,
        other => return auth::refuse(&inner, &mut tx, &other, true).await,
    };
    let (from_user, from_name) = headers::from_identity(&req);
    if from_user.as_deref() != Some(caller.number.as_str()) {
        // Authenticated as one extension, calling as another: caller-ID spoofing.
        tracing::info!(user = %caller.number, from = ?from_user, %source, "INVITE with a From that is not the caller refused");
        let _ = tx.reply(StatusCode::Forbidden).await;
        return;
    }
    let offer = match std::str::from_utf8(&req.body)
        .ok()
        .filter(|b| !b.trim().is_empty())
    {
        None => {
            let _ = reply_warning(
                &mut tx,
                StatusCode::NotAcceptableHere,
                "an SDP offer is required",
            )
            .await;
            return;
        }
        Some(body) => match AudioDescription::parse(body).and_then(|d| d.choose(None).map(|_| d)) {
            Ok(d) => d,
            Err(e) => {
                let _ = reply_warning(&mut tx, StatusCode::NotAcceptableHere, &e.to_string()).await;
                return;
            }
        },
    };
    let dialled = headers::request_user(&req).unwrap_or_default();
    let caller_name = from_name
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| caller.display_name.clone());
    let sip_call_id = req
        .call_id_header()
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    let mut record = CallRecord {
        sid: new_sid(),
        parent_sid: None,
        direction: "inbound",
        from: caller.number.clone(),
        from_name: Some(caller_name.clone()),
        to: dialled.clone(),
        status: "ringing",
        started_at: timestamp_now(),
        answered_at: None,
        ended_at: None,
        duration: None,
        hangup_by: None,
        hangup_code: None,
        hangup_reason: None,
        sip_call_id: sip_call_id.clone(),
    };

    // Route: an extension with registered devices.
    let callee = match inner.store.extension(&dialled).await {
        Ok(Some(c)) => c,
        Ok(None) => match inner.store.number_application(&dialled).await {
            Ok(Some(app)) => {
                let user_agent = req.user_agent_header().map(|h| h.value().to_owned());
                let call = crate::app::AppCall {
                    record,
                    caller_name,
                    offer,
                    app,
                    user_agent,
                };
                return crate::app::run(inner, tx, call).await;
            }
            Ok(None) => {
                return refuse_call(&inner, &mut tx, &mut record, 404, "no such number").await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot route a call");
                return refuse_call(&inner, &mut tx, &mut record, 503, "storage unavailable").await;
            }
        },
        Err(e) => {
            tracing::warn!(error = %e, "cannot route a call");
            return refuse_call(&inner, &mut tx, &mut record, 503, "storage unavailable").await;
        }
    };
    let bindings: Vec<Binding> = match inner.store.bindings(&callee.number, unix_now()).await {
        Ok(b) => b
            .into_iter()
            // Never ring the very device that is calling.
            .filter(|b| !(b.source == source && b.transport == source_transport))
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read registrations");
            return refuse_call(&inner, &mut tx, &mut record, 503, "storage unavailable").await;
        }
    };
    if bindings.is_empty() {
        return refuse_call(
            &inner,
            &mut tx,
            &mut record,
            480,
            "the callee has no registered device",
        )
        .await;
    }
    let leg_a = match inner.media.open_leg() {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(error = %e, "no RTP ports for a call");
            return refuse_call(&inner, &mut tx, &mut record, 503, "no media ports").await;
        }
    };

    let (states_tx, states) = inner.dialogs.new_dialog_state_channel();
    let inbound = match inner.dialogs.get_or_create_server_invite(
        &tx,
        states_tx.clone(),
        None,
        Some(inner.contact.clone()),
    ) {
        Ok(d) => d,
        Err(e) => {
            tracing::info!(error = %e, "cannot create the caller's dialog");
            let _ = reply_warning(&mut tx, StatusCode::BadRequest, &e.to_string()).await;
            return;
        }
    };
    save(&inner, &record).await;
    let mut inbound_driver = inbound.clone();
    tokio::spawn(async move {
        if let Err(e) = inbound_driver.handle(&mut tx).await {
            tracing::debug!(error = %e, "caller's INVITE transaction ended with an error");
        }
    });

    let (media_tx, media_events) = mpsc::unbounded_channel();
    let mut call = Call {
        inner: inner.clone(),
        machine: CallMachine::new(),
        record,
        child: None,
        inbound,
        caller_call_id: sip_call_id,
        caller_id: caller.number.clone(),
        caller_name,
        offer,
        caller_sdp: SessionWriter::new(u64::from(leg_a.port())),
        leg_a: Some(leg_a),
        caller_media: None,
        bridge: None,
        media_tx,
        forks: Vec::new(),
        answered_at: None,
        ended: std::collections::HashSet::new(),
    };
    tracing::info!(sid = %call.record.sid, from = %call.caller_id, to = %callee.number, devices = bindings.len(), "call ringing");
    let _active = ActiveCall::new(&inner.metrics);
    call.start_forks(&bindings, &callee.number, &states_tx);
    drop(states_tx);
    let ring_deadline =
        tokio::time::Instant::now() + Duration::from_secs(u64::from(callee.ring_time));
    call.run(states, media_events, ring_deadline).await;
}

/// A final answer to a call we will not place, recorded as failed.
async fn refuse_call<S: Store>(
    inner: &Inner<S>,
    tx: &mut Transaction,
    record: &mut CallRecord,
    code: u16,
    reason: &'static str,
) {
    let _ = reply_warning(tx, StatusCode::from(code), reason).await;
    record.status = match code {
        480 => "no-answer",
        _ => "failed",
    };
    record.ended_at = Some(timestamp_now());
    record.hangup_by = Some("system");
    record.hangup_code = Some(code);
    record.hangup_reason = Some(reason.to_owned());
    tracing::info!(sid = %record.sid, from = %record.from, to = %record.to, code, reason, "call refused");
    save(inner, record).await;
}

async fn reply_warning(
    tx: &mut Transaction,
    code: StatusCode,
    text: &str,
) -> rsipstack::Result<()> {
    let warning = headers::other(
        "Warning",
        format!("399 switchboard \"{}\"", text.replace('"', "'")),
    );
    tx.reply_with(code, vec![warning], None).await
}

async fn save<S: Store>(inner: &Inner<S>, record: &CallRecord) {
    if let Err(e) = inner.store.save_call(record).await {
        tracing::warn!(error = %e, sid = %record.sid, "cannot write a call record");
    }
}

/// One forked leg towards a registered contact of the callee.
struct Fork {
    dialog: InviteDialog,
    call_id: String,
    /// Its media sockets until the bridge takes them.
    leg: Option<MediaLeg>,
    /// Our session description towards this leg.
    sdp: SessionWriter,
    /// Its SDP answer (from 183 or 200).
    answer: Option<AudioDescription>,
    /// The media formats agreed with it.
    media: Option<LegMedia>,
    connected: bool,
}

struct Call<S: Store> {
    inner: Arc<Inner<S>>,
    machine: CallMachine,
    record: CallRecord,
    child: Option<CallRecord>,
    inbound: InviteDialog,
    caller_call_id: String,
    caller_id: String,
    caller_name: String,
    offer: AudioDescription,
    caller_sdp: SessionWriter,
    leg_a: Option<MediaLeg>,
    /// The answer we gave the caller, once given.
    caller_media: Option<(LegMedia, Vec<u8>)>,
    bridge: Option<BridgeHandle>,
    media_tx: mpsc::UnboundedSender<BridgeEvent>,
    forks: Vec<Fork>,
    answered_at: Option<Instant>,
    /// Call-IDs of the dialogs (caller's, forks') that have terminated.
    ended: std::collections::HashSet<String>,
}

impl<S: Store> Call<S> {
    fn start_forks(
        &mut self,
        bindings: &[Binding],
        callee: &str,
        states_tx: &rsipstack::dialog::dialog::DialogStateSender,
    ) {
        let public = self.inner.public_ip;
        for binding in bindings {
            let opened = match &self.leg_a {
                Some(a) => self.inner.media.open_leg_beside(a),
                None => self.inner.media.open_leg(),
            };
            let leg = match opened {
                Ok(l) => l,
                Err(e) => {
                    tracing::error!(error = %e, "no RTP ports for a forked leg");
                    continue;
                }
            };
            let mut sdp = SessionWriter::new(u64::from(leg.port()));
            let offer = sdp.write(&callee_offer(&self.offer, public, leg.port()));
            let (Ok(caller_uri), Ok(callee_uri)) = (
                Uri::try_from(format!("sip:{}@{}", self.caller_id, public).as_str()),
                Uri::try_from(binding.contact.as_str()),
            ) else {
                tracing::warn!(contact = %binding.contact, "cannot use a registered contact");
                continue;
            };
            let transport = match binding.transport {
                Transport::Udp => rsipstack::sip::Transport::Udp,
                Transport::Tcp => rsipstack::sip::Transport::Tcp,
            };
            let call_id = format!("{}-{}", self.record.sid, self.forks.len());
            let option = InviteOption {
                caller_display_name: Some(self.caller_name.clone()),
                caller: caller_uri,
                callee: callee_uri,
                destination: Some(SipAddr::new(transport, binding.source.into())),
                contact: self.inner.contact.clone(),
                offer: Some(offer.into_bytes()),
                call_id: Some(call_id.clone()),
                ..InviteOption::default()
            };
            match self
                .inner
                .dialogs
                .do_invite_async(option, states_tx.clone())
            {
                Ok((dialog, _running)) => self.forks.push(Fork {
                    dialog,
                    call_id,
                    leg: Some(leg),
                    sdp,
                    answer: None,
                    media: None,
                    connected: false,
                }),
                Err(e) => {
                    tracing::warn!(error = %e, contact = %binding.contact, "cannot send an INVITE")
                }
            }
        }
        tracing::debug!(sid = %self.record.sid, %callee, forks = self.forks.len(), "forked");
        let actions = self.machine.handle(Event::ForksStarted(self.forks.len()));
        self.apply_all(actions);
    }

    async fn run(
        mut self,
        mut states: DialogStateReceiver,
        mut media_events: mpsc::UnboundedReceiver<BridgeEvent>,
        ring_deadline: tokio::time::Instant,
    ) {
        if self.forks.is_empty() {
            let actions = self.machine.handle(Event::Shutdown);
            self.apply_all(actions);
        }
        while !self.machine.is_done() {
            let ringing = self.machine.answered_fork().is_none();
            let event = tokio::select! {
                state = states.recv() => match state {
                    Some(state) => self.on_state(state).await,
                    None => Some(Event::Shutdown),
                },
                () = tokio::time::sleep_until(ring_deadline), if ringing => Some(Event::RingTimeout),
                Some(BridgeEvent::RtpTimeout(side)) = media_events.recv() => Some(Event::MediaTimeout {
                    side: match side { MediaSide::A => Side::Caller, MediaSide::B => Side::Callee },
                }),
                () = self.inner.token.cancelled() => Some(Event::Shutdown),
            };
            if let Some(event) = event {
                let actions = self.machine.handle(event);
                self.apply_all(actions);
            }
        }
        // The call is over: the media stops now, its ports go back to the pool.
        if let Some(bridge) = self.bridge.take() {
            let stats = bridge.stop().await;
            tracing::debug!(sid = %self.record.sid, a_to_b = stats.a_to_b, b_to_a = stats.b_to_a, dropped = stats.dropped, "media stopped");
        }
        self.forks.iter_mut().for_each(|f| f.leg = None);
        self.leg_a = None;
        // Let the last requests (BYE, CANCEL) complete and their dialogs end (a round
        // trip, usually), then make sure none stays registered.
        let linger = tokio::time::sleep(Duration::from_secs(5));
        tokio::pin!(linger);
        while !self.all_dialogs_ended() {
            tokio::select! {
                state = states.recv() => match state {
                    Some(DialogState::Terminated(id, _)) => {
                        self.inner.dialogs.remove_dialog(&id);
                        self.ended.insert(id.call_id);
                    }
                    Some(DialogState::Updated(_, _, handle)) => { let _ = handle.reply(StatusCode::CallTransactionDoesNotExist).await; }
                    Some(_) => {}
                    None => break,
                },
                () = &mut linger => break,
            }
        }
        self.inner.dialogs.remove_dialog(&self.inbound.id());
        for fork in &self.forks {
            self.inner.dialogs.remove_dialog(&fork.dialog.id());
        }
    }

    fn all_dialogs_ended(&self) -> bool {
        self.ended.contains(&self.caller_call_id)
            && self.forks.iter().all(|f| self.ended.contains(&f.call_id))
    }

    fn fork_of(&self, id: &DialogId) -> Option<usize> {
        self.forks.iter().position(|f| f.call_id == id.call_id)
    }

    /// Turns a dialog state into a machine event (handling re-INVITEs on the way).
    async fn on_state(&mut self, state: DialogState) -> Option<Event> {
        match state {
            DialogState::Terminated(id, reason) => {
                self.inner.dialogs.remove_dialog(&id);
                self.ended.insert(id.call_id.clone());
                if id.call_id == self.caller_call_id {
                    return match reason {
                        TerminatedReason::UacCancel => Some(Event::CallerCancelled),
                        TerminatedReason::UacBye => Some(Event::Bye { from: Side::Caller }),
                        TerminatedReason::Timeout => Some(Event::CallerAckTimeout),
                        _ => None,
                    };
                }
                let fork = self.fork_of(&id)?;
                if self.machine.answered_fork() == Some(fork) {
                    return matches!(reason, TerminatedReason::UasBye | TerminatedReason::Timeout)
                        .then_some(Event::Bye { from: Side::Callee });
                }
                Some(Event::ForkFailed {
                    fork,
                    code: final_code(&reason),
                })
            }
            DialogState::Early(id, response) => {
                let fork = self.fork_of(&id)?;
                let answer = parse_sdp(&response.body);
                let early_media = answer.is_some();
                if let Some(a) = answer {
                    self.forks[fork].answer = Some(a);
                }
                Some(Event::Provisional { fork, early_media })
            }
            DialogState::Confirmed(id, response) => {
                if id.call_id == self.caller_call_id {
                    return None; // the caller's ACK
                }
                let fork = self.fork_of(&id)?;
                if let Some(a) = parse_sdp(&response.body) {
                    self.forks[fork].answer = Some(a);
                }
                Some(Event::Answered { fork })
            }
            DialogState::Updated(id, request, handle) => {
                self.relay_reinvite(&id, &request, handle).await;
                None
            }
            other => {
                answer_other_request(other).await;
                None
            }
        }
    }

    fn apply_all(&mut self, actions: Vec<Action>) {
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
            Action::EarlyMedia { fork } => match self.connect(fork) {
                Some(body) => {
                    if let Err(e) = self.inbound.ringing(Some(vec![sdp_header()]), Some(body)) {
                        tracing::debug!(error = %e, "cannot send 183");
                    }
                }
                None => {
                    let _ = self.inbound.ringing(None, None);
                }
            },
            Action::AnswerCaller { fork } => {
                let body = self.connect(fork).unwrap_or_default();
                if let Err(e) = self.inbound.accept(Some(vec![sdp_header()]), Some(body)) {
                    tracing::warn!(error = %e, "cannot answer the caller");
                }
                self.answered_at = Some(Instant::now());
                crate::metrics::Metrics::add(&self.inner.metrics.calls_answered_total, 1);
                let now = timestamp_now();
                self.record.status = "in-progress";
                self.record.answered_at = Some(now.clone());
                let mut child = self.record.clone();
                child.sid = new_sid();
                child.parent_sid = Some(self.record.sid.clone());
                child.direction = "outbound";
                child.sip_call_id = self.forks[fork].call_id.clone();
                child.started_at = now;
                self.child = Some(child);
                self.persist();
                tracing::info!(sid = %self.record.sid, fork, "call answered");
            }
            Action::Cancel { fork } => {
                let dialog = self.forks[fork].dialog.clone();
                tokio::spawn(async move {
                    if let Err(e) = dialog.cancel().await {
                        tracing::debug!(error = %e, "cannot cancel a forked leg");
                    }
                });
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
            Action::ByeCallee { fork } => {
                let dialog = self.forks[fork].dialog.clone();
                tokio::spawn(async move {
                    let _ = dialog.bye().await;
                });
            }
            Action::Finished(outcome) => {
                let now = timestamp_now();
                let duration = self.answered_at.map(|t| t.elapsed().as_secs());
                for record in std::iter::once(&mut self.record).chain(self.child.as_mut()) {
                    record.status = outcome.status.as_str();
                    record.ended_at = Some(now.clone());
                    record.duration = duration;
                    record.hangup_by = Some(outcome.by.as_str());
                    record.hangup_code = Some(outcome.code);
                    record.hangup_reason = Some(outcome.reason.to_owned());
                }
                if outcome.by == EndedBy::System && outcome.code >= 500 {
                    tracing::warn!(sid = %self.record.sid, reason = outcome.reason, "call ended");
                } else {
                    tracing::info!(sid = %self.record.sid, status = outcome.status.as_str(), by = outcome.by.as_str(), reason = outcome.reason, "call ended");
                }
                self.persist();
            }
        }
    }

    /// Writes the records without holding up the call.
    fn persist(&self) {
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

    /// Bridges the caller with `fork` and returns our SDP answer for the caller.
    fn connect(&mut self, fork: usize) -> Option<Vec<u8>> {
        let public = self.inner.public_ip;
        let answer = self.forks[fork].answer.clone()?;
        let port_a = match (&self.leg_a, &self.caller_media) {
            (Some(leg), _) => leg.port(),
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
                self.inner.config.rtp_timeout,
                self.media_tx.clone(),
                self.inner.metrics.clone(),
            ));
        }
        if let Some(bridge) = &self.bridge {
            bridge.update(MediaSide::A, peer_a);
            let f = &mut self.forks[fork];
            match f.leg.take() {
                Some(leg) => bridge.connect(leg, peer_b),
                None => bridge.update(MediaSide::B, peer_b),
            }
            f.connected = true;
            f.media = Some(callee_media);
        }
        self.caller_media = Some((caller_media, body.clone()));
        Some(body)
    }

    /// Relays a re-INVITE (hold, resume, a new address) from one side to the other and
    /// answers it with what the other side accepted.
    async fn relay_reinvite(
        &mut self,
        id: &DialogId,
        request: &Request,
        handle: TransactionHandle,
    ) {
        let Some(winner) = self.machine.answered_fork() else {
            let _ = handle.reply(StatusCode::RequestPending).await;
            return;
        };
        let from_caller = id.call_id == self.caller_call_id;
        if !from_caller && self.fork_of(id) != Some(winner) {
            let _ = handle.reply(StatusCode::CallTransactionDoesNotExist).await;
            return;
        }
        let public = self.inner.public_ip;
        let new_offer = parse_sdp(&request.body);
        let (Some((caller_media, _)), Some(callee_media)) =
            (self.caller_media.clone(), self.forks[winner].media)
        else {
            let _ = handle.reply(StatusCode::ServerInternalError).await;
            return;
        };
        // Our offer to the other side: its agreed codec, our port, the sender's direction.
        let (other_dialog, other_media, mut other_sdp) = if from_caller {
            (
                self.forks[winner].dialog.clone(),
                callee_media,
                self.forks[winner].sdp.clone(),
            )
        } else {
            (self.inbound.clone(), caller_media, self.caller_sdp.clone())
        };
        let direction = new_offer
            .as_ref()
            .map_or(crate::sdp::Direction::SendRecv, |o| o.direction);
        let offer = other_sdp.write(&other_media.local_with(public, direction));
        let result = other_dialog
            .reinvite(Some(vec![sdp_header()]), Some(offer.into_bytes()))
            .await;
        if from_caller {
            self.forks[winner].sdp = other_sdp;
        } else {
            self.caller_sdp = other_sdp;
        }
        let response = match result {
            Ok(Some(r)) if r.status_code == StatusCode::OK => r,
            Ok(Some(r)) => {
                let _ = handle.reply(r.status_code).await;
                return;
            }
            Ok(None) | Err(_) => {
                let _ = handle.reply(StatusCode::ServerInternalError).await;
                return;
            }
        };
        let their_answer = parse_sdp(&response.body);
        // Update both ends of the bridge: the sender may have moved, the other side's
        // answer says whether it will send.
        let (sender_media, sender_side, other_side) = if from_caller {
            (caller_media, MediaSide::A, MediaSide::B)
        } else {
            (callee_media, MediaSide::B, MediaSide::A)
        };
        let mut sender_media = sender_media;
        if let Some(o) = &new_offer {
            sender_media.remote = o
                .port
                .ne(&0)
                .then(|| std::net::SocketAddr::new(o.address, o.port));
            sender_media.sends = o.direction.sends();
        }
        let mut other_media = other_media;
        if let Some(a) = &their_answer {
            other_media.sends = a.direction.sends();
        }
        let answer_direction = their_answer
            .as_ref()
            .map_or(direction.reversed(), |a| a.direction);
        let body = if from_caller {
            self.caller_sdp
                .write(&sender_media.local_with(public, answer_direction))
        } else {
            self.forks[winner]
                .sdp
                .write(&sender_media.local_with(public, answer_direction))
        };
        if let Some(bridge) = &self.bridge {
            bridge.update(sender_side, sender_media.peer());
            bridge.update(other_side, other_media.peer());
        }
        if from_caller {
            if let Some((m, _)) = self.caller_media.as_mut() {
                *m = sender_media;
            }
            self.forks[winner].media = Some(other_media);
        } else {
            self.forks[winner].media = Some(sender_media);
            if let Some((m, _)) = self.caller_media.as_mut() {
                *m = other_media;
            }
        }
        let _ = handle
            .respond(
                StatusCode::OK,
                Some(vec![sdp_header()]),
                Some(body.into_bytes()),
            )
            .await;
        tracing::info!(sid = %self.record.sid, from_caller, direction = direction.attribute(), "re-INVITE relayed");
    }
}

/// Counts a call as active while it lives.
pub(crate) struct ActiveCall<'a>(&'a crate::metrics::Metrics);

impl<'a> ActiveCall<'a> {
    pub(crate) fn new(metrics: &'a crate::metrics::Metrics) -> Self {
        crate::metrics::Metrics::add(&metrics.calls_total, 1);
        metrics
            .calls_active
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Self(metrics)
    }
}

impl Drop for ActiveCall<'_> {
    fn drop(&mut self) {
        self.0
            .calls_active
            .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

fn parse_sdp(body: &[u8]) -> Option<AudioDescription> {
    let text = std::str::from_utf8(body).ok()?;
    if text.trim().is_empty() {
        return None;
    }
    AudioDescription::parse(text).ok()
}

/// A new call sid: `CA` and 32 hex digits.
pub fn new_sid() -> String {
    let mut bytes = [0u8; 16];
    let _ = getrandom::fill(&mut bytes);
    let mut s = String::with_capacity(34);
    s.push_str("CA");
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Now as stored: `2026-11-26T14:00:00.000Z`.
pub fn timestamp_now() -> String {
    let t = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}
