//! Connecting a caller straight through to the parties a `dial` rings, as a PBX does:
//! the caller is not answered while they ring, hears their ringing (180) or early
//! media (183), is answered when one of them answers (media anchored in a
//! [`bridge`]), and gets their refusal as its own final answer (486, 480…).
//!
//! This is how a `dial` runs when it is all an unanswered call has left to do —
//! which is the built-in document of a call to an extension, `[dial the extension]`.
//! The [`Ringer`] decides who answers, the [`machine`] what the caller hears of it;
//! this module turns dialog states into their events and their decisions into SIP and
//! media operations.
//!
//! [`bridge`]: crate::media::bridge
//! [`machine`]: super::machine

mod actions;
mod reinvite;

use super::invite::{Caller, Party};
use super::legs::{Legs, Offers, Said};
use super::machine::{CallMachine, Event, Side};
use super::sdp_plan::LegMedia;
use crate::app::LiveCommand;
use crate::call::Calls;
use crate::media::bridge::{BridgeEvent, BridgeHandle, MediaLeg, Peer, Side as MediaSide};
use crate::ring::{Ringer, Stage};
use crate::sdp::{AudioDescription, SessionWriter};
use crate::store::{CallRecord, Store};
use rsipstack::dialog::dialog::{DialogState, DialogStateReceiver, TerminatedReason};
use rsipstack::dialog::invite_dialog::InviteDialog;
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
    /// Who the INVITEs say is calling.
    pub caller: Caller,
    pub offer: AudioDescription,
    pub parties: Vec<Party>,
    /// When each party rings (the dial's strategy).
    pub stages: Vec<Stage>,
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

/// Rings `connect.parties` and connects the caller to the first that answers, until
/// the call ends (or the application takes the caller back).
pub(crate) async fn connect<S: Store>(inner: &Arc<Calls<S>>, connect: Connect<'_>) -> Connected {
    let Connect {
        inbound,
        caller_call_id,
        caller_states,
        commands,
        record,
        caller,
        offer,
        parties,
        stages,
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
    let runtime = leg_a
        .as_ref()
        .map_or_else(tokio::runtime::Handle::current, |l| l.runtime().clone());
    let legs = Legs::new(
        inner.clone(),
        parties,
        caller,
        Offers::PerLeg {
            caller: offer.clone(),
            runtime,
        },
        record.sid.clone(),
    );
    // No media for the caller: nobody is rung.
    let ringer = legs.ringer(if leg_a.is_some() { stages } else { Vec::new() });
    tracing::info!(sid = %record.sid, from = %record.from, to = %record.to, parties = legs.parties().len(), "call ringing");
    let (media_tx, media_events) = mpsc::unbounded_channel();
    let call = Call {
        inner: inner.clone(),
        machine: CallMachine::new(),
        ringer,
        legs,
        record,
        child: None,
        inbound,
        caller_call_id,
        offer,
        caller_sdp: SessionWriter::new(u64::from(port_a)),
        leg_a,
        caller_media: None,
        bridge: None,
        media_tx,
        answered_at: None,
        caller_ended: false,
        on_answer: Some(on_answer),
        released: None,
        record_audio,
        recording: None,
    };
    call.run(caller_states, media_events, commands, time_limit)
        .await
}

struct Call<'a, S: Store> {
    inner: Arc<Calls<S>>,
    machine: CallMachine,
    ringer: Ringer,
    legs: Legs<S>,
    record: CallRecord,
    child: Option<CallRecord>,
    inbound: InviteDialog,
    caller_call_id: String,
    offer: AudioDescription,
    caller_sdp: SessionWriter,
    leg_a: Option<MediaLeg>,
    /// The answer we gave the caller, once given.
    caller_media: Option<(LegMedia, Vec<u8>)>,
    bridge: Option<BridgeHandle>,
    media_tx: mpsc::UnboundedSender<BridgeEvent>,
    answered_at: Option<Instant>,
    /// The caller's dialog has terminated.
    caller_ended: bool,
    on_answer: Option<OnAnswer<'a>>,
    /// Why the caller goes back to the application, once it does.
    released: Option<LiveCommand>,
    /// Whether to record the conversation, and its audio once the bridge stops.
    record_audio: bool,
    recording: Option<oneshot::Receiver<Vec<i16>>>,
}

impl<S: Store> Call<'_, S> {
    async fn run(
        mut self,
        caller_states: &mut DialogStateReceiver,
        mut media_events: mpsc::UnboundedReceiver<BridgeEvent>,
        commands: &mut mpsc::UnboundedReceiver<LiveCommand>,
        time_limit: Option<Duration>,
    ) -> Connected {
        let mut limit: Option<Instant> = None;
        self.pump();
        while !self.machine.is_done() {
            if self.machine.answered_leg().is_some() && limit.is_none() {
                limit = time_limit.map(|l| Instant::now() + l);
            }
            let timer = self.ringer.poll_timeout();
            let event = tokio::select! {
                state = caller_states.recv() => match state {
                    Some(state) => self.on_caller_state(state).await,
                    None => Some(Event::Bye { from: Side::Caller }),
                },
                Some((leg, said)) = self.legs.next() => self.on_leg(leg, said).await,
                () = super::invite::sleep_until(timer), if timer.is_some() => {
                    self.ringer.handle_timeout(Instant::now());
                    None
                }
                () = super::invite::sleep_until(limit) => Some(Event::HangUp { reason: "time limit reached" }),
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
                () = self.inner.stop.cancelled() => Some(Event::Shutdown),
            };
            if let Some(event) = event {
                let actions = self.machine.handle(event);
                self.apply_all(actions);
            }
            self.pump();
        }
        if let Some(command) = self.released.take() {
            return self.release(command).await;
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
        self.leg_a = None;
        self.legs.linger();
        // Let the caller's last request (BYE, the final answer's ACK) complete.
        let caller = if self.caller_ended {
            Vec::new()
        } else {
            vec![(self.caller_call_id.clone(), self.inbound.id())]
        };
        super::legs::drain(&self.inner, caller_states, &caller).await;
        self.inner.sip.dialogs.remove_dialog(&self.inbound.id());
        Connected::Ended {
            record: self.record,
            answered_at: self.answered_at,
            recording,
        }
    }

    /// Carries out what the ringer asks; what it decides for the caller goes through
    /// the machine.
    fn pump(&mut self) {
        for decided in self.legs.pump(&mut self.ringer) {
            let actions = self.machine.handle(Event::Rung(decided));
            self.apply_all(actions);
        }
    }

    /// The application takes the caller back: the callee's side ends (its dialogs are
    /// cleaned up in the background), the caller's media leaves the bridge.
    async fn release(mut self, command: LiveCommand) -> Connected {
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
            child.status = contract::models::calls::CallStatus::Completed;
            child.ended_at = Some(super::timestamp_now());
            child.duration = self.answered_at.map(|t| t.elapsed().as_secs());
            child.hangup_by = Some("system");
            child.hangup_code = Some(200);
            child.hangup_reason = Some("redirected through the API".to_owned());
        }
        self.persist();
        tracing::info!(sid = %self.record.sid, answered = media.is_some(), "the application takes the caller back from the dialled party");
        self.legs.linger();
        Connected::Released {
            record: self.record,
            answered_at: self.answered_at,
            media,
            command,
            recording,
        }
    }

    /// What the caller's dialog said, as a machine event (re-INVITEs relayed on the way).
    async fn on_caller_state(&mut self, state: DialogState) -> Option<Event> {
        match state {
            DialogState::Terminated(id, reason) => {
                self.inner.sip.dialogs.remove_dialog(&id);
                if id.call_id != self.caller_call_id {
                    return None;
                }
                self.caller_ended = true;
                match reason {
                    TerminatedReason::UacCancel => Some(Event::CallerCancelled),
                    TerminatedReason::UacBye => Some(Event::Bye { from: Side::Caller }),
                    TerminatedReason::Timeout => Some(Event::CallerAckTimeout),
                    _ => None,
                }
            }
            // The caller's ACK.
            DialogState::Confirmed(..) => None,
            DialogState::Updated(_, request, handle) => {
                self.relay_reinvite(true, &request, handle).await;
                None
            }
            other => {
                super::answer_other_request(other).await;
                None
            }
        }
    }

    /// What a rung leg said: the answered one's BYE ends the call; anything else is
    /// the ringer's to judge.
    async fn on_leg(&mut self, leg: usize, said: Said) -> Option<Event> {
        if let Said::Offer(request, handle) = said {
            if self.machine.answered_leg() == Some(leg) {
                self.relay_reinvite(false, &request, handle).await;
            } else {
                let _ = handle
                    .reply(rsipstack::sip::StatusCode::RequestPending)
                    .await;
            }
            return None;
        }
        if self.machine.answered_leg() == Some(leg) {
            return match said {
                Said::Ended(TerminatedReason::UasBye | TerminatedReason::Timeout) => {
                    Some(Event::Bye { from: Side::Callee })
                }
                _ => None,
            };
        }
        if let Some(event) = said.ring_event(leg) {
            self.ringer.handle(event, Instant::now());
        }
        None
    }
}
