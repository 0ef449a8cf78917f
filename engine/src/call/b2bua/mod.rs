//! Connecting a caller straight through to the parties a `dial` rings, as a PBX does:
//! the caller is not answered while they ring, hears their ringing (180) or early
//! media (183), is answered when one of them answers (media anchored in a
//! [`bridge`]), and gets their refusal as its own final answer (486, 480…).
//!
//! This is how a `dial` runs when it is all an unanswered call has left to do —
//! which is the built-in document of a call to an extension, `[dial the extension]`.
//! The [`machine`] decides; this module turns dialog states into its events and its
//! actions into SIP and media operations.
//!
//! [`bridge`]: crate::media::bridge
//! [`machine`]: super::machine

mod reinvite;

use super::invite::{self, Attempt, Target};
use super::machine::{Action, CallMachine, EndedBy, Event, Side};
use super::sdp_plan::{LegMedia, callee_offer, caller_answer};
use super::{
    answer_other_request, final_code, new_sid, parse_sdp, save, sdp_header, timestamp_now,
};
use crate::app::LiveCommand;
use crate::media::bridge::{self, BridgeEvent, BridgeHandle, MediaLeg, Peer, Side as MediaSide};
use crate::sdp::{AudioDescription, SessionWriter};
use crate::sip::Inner;
use crate::store::{CallRecord, Store};
use rsipstack::dialog::DialogId;
use rsipstack::dialog::dialog::{
    DialogState, DialogStateReceiver, DialogStateSender, TerminatedReason,
};
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::StatusCode;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// An unanswered caller handed over by `dial`, and whom to ring.
pub(crate) struct Connect<'a> {
    pub inbound: InviteDialog,
    pub caller_call_id: String,
    /// The caller's dialog states (its BYE, CANCEL, re-INVITEs).
    pub caller_states: &'a mut DialogStateReceiver,
    /// Orders from the REST API.
    pub commands: &'a mut mpsc::UnboundedReceiver<LiveCommand>,
    pub record: CallRecord,
    /// The user part of the From of our INVITEs.
    pub caller_id: String,
    pub caller_name: String,
    pub offer: AudioDescription,
    pub targets: Vec<Target>,
    pub ring_time: Duration,
    pub time_limit: Option<Duration>,
    /// Record the conversation (both directions, mixed) once answered.
    pub record_audio: bool,
    /// Told when the caller is answered (status callbacks).
    pub on_answer: OnAnswer<'a>,
}

/// Called once when the caller is answered, with the call's record.
pub(crate) type OnAnswer<'a> = Box<dyn FnOnce(&CallRecord) + Send + 'a>;

/// The caller's media after a release from an answered bridge.
pub(crate) struct CallerMedia {
    pub leg: MediaLeg,
    pub peer: Peer,
    pub sdp: SessionWriter,
}

/// How connecting ended.
pub(crate) enum Connected {
    /// The call is over; `record` holds its final state.
    Ended {
        record: CallRecord,
        answered_at: Option<Instant>,
        /// The conversation, when asked to record it (8 kHz).
        recording: Option<Vec<i16>>,
    },
    /// The application takes the caller back (the REST API gave new orders): the
    /// callee's side is over, the caller's goes on with `command`.
    Released {
        record: CallRecord,
        answered_at: Option<Instant>,
        media: Option<Box<CallerMedia>>,
        command: LiveCommand,
        recording: Option<Vec<i16>>,
    },
}

/// Rings `connect.targets` and connects the caller to the first that answers, until
/// the call ends (or the application takes the caller back).
pub(crate) async fn connect<S: Store>(inner: &Arc<Inner<S>>, connect: Connect<'_>) -> Connected {
    let Connect {
        inbound,
        caller_call_id,
        caller_states,
        commands,
        record,
        caller_id,
        caller_name,
        offer,
        targets,
        ring_time,
        time_limit,
        record_audio,
        on_answer,
    } = connect;
    let leg_a = match inner.media.open_leg() {
        Ok(l) => Some(l),
        Err(e) => {
            tracing::error!(error = %e, "no RTP ports for a call");
            None
        }
    };
    let port_a = leg_a.as_ref().map_or(0, MediaLeg::port);
    let (media_tx, media_events) = mpsc::unbounded_channel();
    let (fork_states_tx, fork_states) = inner.dialogs.new_dialog_state_channel();
    let mut call = Call {
        inner: inner.clone(),
        machine: CallMachine::new(),
        record,
        child: None,
        inbound,
        caller_call_id,
        caller_id,
        caller_name,
        offer,
        caller_sdp: SessionWriter::new(u64::from(port_a)),
        leg_a,
        caller_media: None,
        bridge: None,
        media_tx,
        forks: Vec::new(),
        answered_at: None,
        ended: std::collections::HashSet::new(),
        on_answer: Some(on_answer),
        released: None,
        fork_states_tx,
        record_audio,
        recording: None,
    };
    if call.leg_a.is_some() {
        call.start_forks(&targets);
    }
    let ring_deadline = tokio::time::Instant::now() + ring_time;
    call.run(
        caller_states,
        fork_states,
        media_events,
        commands,
        ring_deadline,
        time_limit,
    )
    .await
}

/// One forked leg towards a registered contact of the callee.
struct Fork {
    /// The INVITE out to it (and the route's next trunks, if any).
    attempt: Attempt,
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

struct Call<'a, S: Store> {
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
    on_answer: Option<OnAnswer<'a>>,
    /// Why the caller goes back to the application, once it does.
    released: Option<LiveCommand>,
    /// Where the forks' dialogs report (kept to ring the next trunk of a route).
    fork_states_tx: DialogStateSender,
    /// Whether to record the conversation, and its audio once the bridge stops.
    record_audio: bool,
    recording: Option<oneshot::Receiver<Vec<i16>>>,
}

impl<S: Store> Call<'_, S> {
    fn start_forks(&mut self, targets: &[Target]) {
        let public = self.inner.public_ip;
        for target in targets {
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
            let offer = sdp
                .write(&callee_offer(&self.offer, public, leg.port()))
                .into_bytes();
            let call_id = format!("{}-{}", self.record.sid, self.forks.len());
            let caller = invite::Caller {
                user: &self.caller_id,
                display_name: Some(&self.caller_name),
            };
            if let Some(attempt) = Attempt::start(
                &self.inner,
                &caller,
                target,
                offer,
                call_id,
                &self.fork_states_tx,
            ) {
                self.forks.push(Fork {
                    attempt,
                    leg: Some(leg),
                    sdp,
                    answer: None,
                    media: None,
                    connected: false,
                });
            }
        }
        tracing::info!(sid = %self.record.sid, from = %self.caller_id, to = %self.record.to, devices = self.forks.len(), "call ringing");
        let actions = self.machine.handle(Event::ForksStarted(self.forks.len()));
        self.apply_all(actions);
    }

    /// A fork's trunk failed it (`code`): ring the same party through the next trunk
    /// of its route, if there is one. True when a new INVITE went out.
    fn fail_over(&mut self, fork: usize, code: u16) -> bool {
        let caller = invite::Caller {
            user: &self.caller_id,
            display_name: Some(&self.caller_name),
        };
        self.forks[fork]
            .attempt
            .fail_over(&self.inner, &caller, code, &self.fork_states_tx)
    }

    /// INVITEs whose trunk said nothing at all in time are given up: the route's next
    /// trunk is tried, or the fork fails (408).
    fn check_silent_trunks(&mut self) {
        let now = tokio::time::Instant::now();
        for fork in 0..self.forks.len() {
            if self.forks[fork].attempt.went_silent(now) && !self.fail_over(fork, 408) {
                let actions = self.machine.handle(Event::ForkFailed { fork, code: 408 });
                self.apply_all(actions);
            }
        }
    }

    async fn run(
        mut self,
        caller_states: &mut DialogStateReceiver,
        mut fork_states: DialogStateReceiver,
        mut media_events: mpsc::UnboundedReceiver<BridgeEvent>,
        commands: &mut mpsc::UnboundedReceiver<LiveCommand>,
        ring_deadline: tokio::time::Instant,
        time_limit: Option<Duration>,
    ) -> Connected {
        if self.forks.is_empty() {
            // Nothing could be rung (no media ports, no usable contact).
            let actions = self.machine.handle(Event::CannotRing);
            self.apply_all(actions);
        }
        let mut limit: Option<tokio::time::Instant> = None;
        while !self.machine.is_done() {
            let ringing = self.machine.answered_fork().is_none();
            let silence = if ringing {
                invite::next_silence(self.forks.iter().map(|f| &f.attempt))
            } else {
                None
            };
            if !ringing && limit.is_none() {
                limit = time_limit.map(|l| tokio::time::Instant::now() + l);
            }
            let event = tokio::select! {
                state = caller_states.recv() => match state {
                    Some(state) => self.on_state(state).await,
                    None => Some(Event::Bye { from: Side::Caller }),
                },
                Some(state) = fork_states.recv() => self.on_state(state).await,
                () = tokio::time::sleep_until(ring_deadline), if ringing => Some(Event::RingTimeout),
                () = invite::sleep_until(silence), if silence.is_some() => {
                    self.check_silent_trunks();
                    None
                }
                () = invite::sleep_until(limit) => Some(Event::HangUp { reason: "time limit reached" }),
                Some(BridgeEvent::RtpTimeout(side)) = media_events.recv() => Some(Event::MediaTimeout {
                    side: match side { MediaSide::A => Side::Caller, MediaSide::B => Side::Callee },
                }),
                Some(command) = commands.recv() => Some(match command {
                    LiveCommand::Hangup => Event::HangUp { reason: "hung up through the API" },
                    other => {
                        self.released = Some(other);
                        Event::Release
                    }
                }),
                () = self.inner.token.cancelled() => Some(Event::Shutdown),
            };
            if let Some(event) = event {
                let actions = self.machine.handle(event);
                self.apply_all(actions);
            }
        }
        if let Some(command) = self.released.take() {
            return self.release(fork_states, command).await;
        }
        // The call is over: the media stops now, its ports go back to the pool.
        if let Some(bridge) = self.bridge.take() {
            let stats = bridge.stop().await;
            tracing::debug!(sid = %self.record.sid, a_to_b = stats.a_to_b, b_to_a = stats.b_to_a, dropped = stats.dropped, "media stopped");
        }
        let recording = match self.recording.take() {
            Some(audio) => audio.await.ok(),
            None => None,
        };
        self.forks.iter_mut().for_each(|f| f.leg = None);
        self.leg_a = None;
        // Let the last requests (BYE, CANCEL) complete and their dialogs end (a round
        // trip, usually), then make sure none stays registered.
        let linger = tokio::time::sleep(Duration::from_secs(5));
        tokio::pin!(linger);
        while !self.all_dialogs_ended() {
            let state = tokio::select! {
                Some(state) = caller_states.recv() => state,
                Some(state) = fork_states.recv() => state,
                () = &mut linger => break,
                else => break,
            };
            match state {
                DialogState::Terminated(id, _) => {
                    self.inner.dialogs.remove_dialog(&id);
                    self.ended.insert(id.call_id);
                }
                DialogState::Updated(_, _, handle) => {
                    let _ = handle.reply(StatusCode::CallTransactionDoesNotExist).await;
                }
                _ => {}
            }
        }
        self.inner.dialogs.remove_dialog(&self.inbound.id());
        for fork in &self.forks {
            self.inner.dialogs.remove_dialog(&fork.attempt.dialog.id());
        }
        Connected::Ended {
            record: self.record,
            answered_at: self.answered_at,
            recording,
        }
    }

    /// The application takes the caller back: the callee's side ends (its dialogs are
    /// cleaned up in the background), the caller's media leaves the bridge.
    async fn release(
        mut self,
        mut fork_states: DialogStateReceiver,
        command: LiveCommand,
    ) -> Connected {
        let media = match self.bridge.take() {
            Some(bridge) => {
                let (_, leg_a, _) = bridge.stop_keep_legs().await;
                match (leg_a, &self.caller_media) {
                    (Some(leg), Some((media, _))) => Some(Box::new(CallerMedia {
                        leg,
                        peer: media.peer(),
                        sdp: self.caller_sdp.clone(),
                    })),
                    _ => None,
                }
            }
            None => None,
        };
        let recording = match self.recording.take() {
            Some(audio) => audio.await.ok(),
            None => None,
        };
        if let Some(child) = self.child.as_mut() {
            child.status = "completed";
            child.ended_at = Some(timestamp_now());
            child.duration = self.answered_at.map(|t| t.elapsed().as_secs());
            child.hangup_by = Some("system");
            child.hangup_code = Some(200);
            child.hangup_reason = Some("redirected through the API".to_owned());
        }
        self.persist();
        tracing::info!(sid = %self.record.sid, answered = media.is_some(), "the application takes the caller back from the dialled party");
        let inner = self.inner.clone();
        let forks: Vec<DialogId> = self.forks.iter().map(|f| f.attempt.dialog.id()).collect();
        let mut live: std::collections::HashSet<String> = self
            .forks
            .iter()
            .map(|f| f.attempt.call_id.clone())
            .filter(|c| !self.ended.contains(c))
            .collect();
        tokio::spawn(async move {
            let linger = tokio::time::sleep(Duration::from_secs(5));
            tokio::pin!(linger);
            while !live.is_empty() {
                tokio::select! {
                    state = fork_states.recv() => match state {
                        Some(DialogState::Terminated(id, _)) => { live.remove(&id.call_id); }
                        Some(DialogState::Updated(_, _, handle)) => { let _ = handle.reply(StatusCode::CallTransactionDoesNotExist).await; }
                        Some(_) => {}
                        None => break,
                    },
                    () = &mut linger => break,
                }
            }
            for id in &forks {
                inner.dialogs.remove_dialog(id);
            }
        });
        Connected::Released {
            record: self.record.clone(),
            answered_at: self.answered_at,
            media,
            command,
            recording,
        }
    }

    fn all_dialogs_ended(&self) -> bool {
        self.ended.contains(&self.caller_call_id)
            && self
                .forks
                .iter()
                .all(|f| self.ended.contains(&f.attempt.call_id))
    }

    fn fork_of(&self, id: &DialogId) -> Option<usize> {
        self.forks
            .iter()
            .position(|f| f.attempt.call_id == id.call_id)
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
                let code = final_code(&reason);
                if !self.machine.is_done() && self.fail_over(fork, code) {
                    return None;
                }
                Some(Event::ForkFailed { fork, code })
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
                if self.record_audio && self.recording.is_none() {
                    self.recording = self.bridge.as_ref().map(BridgeHandle::record);
                }
                crate::metrics::Metrics::add(&self.inner.metrics.calls_answered_total, 1);
                let now = timestamp_now();
                self.record.status = "in-progress";
                self.record.answered_at = Some(now.clone());
                let mut child = self.record.clone();
                child.sid = new_sid();
                child.parent_sid = Some(self.record.sid.clone());
                child.direction = "outbound";
                child.sip_call_id = self.forks[fork].attempt.call_id.clone();
                child.to = self.forks[fork].attempt.number.clone();
                child.started_at = now;
                self.child = Some(child);
                self.persist();
                if let Some(on_answer) = self.on_answer.take() {
                    on_answer(&self.record);
                }
                tracing::info!(sid = %self.record.sid, fork, "call answered");
            }
            Action::Cancel { fork } => {
                let dialog = self.forks[fork].attempt.dialog.clone();
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
                let dialog = self.forks[fork].attempt.dialog.clone();
                tokio::spawn(async move {
                    let _ = dialog.bye().await;
                });
            }
            // `run` sees the machine is done and hands the caller back.
            Action::Released => {}
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
}
