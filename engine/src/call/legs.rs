//! The legs a [`Ringer`] rings, for real: its INVITEs sent (each with its own media
//! sockets and offer, or one shared offer), its CANCELs and BYEs carried out, and what
//! their dialogs say turned back into events. A `dial` (answered, or straight through)
//! and a call placed through the REST API all ring through this one piece.

use super::invite::{self, Caller, Party};
use super::sdp_plan::{LegMedia, callee_offer};
use crate::call::Calls;
use crate::media::bridge::MediaLeg;
use crate::program::LegSaid;
use crate::ring::{self, LegId, Ringer};
use crate::sdp::{AudioDescription, SessionWriter};
use crate::store::Store;
use rsipstack::dialog::DialogId;
use rsipstack::dialog::dialog::{
    DialogState, DialogStateReceiver, DialogStateSender, TerminatedReason, TransactionHandle,
};
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::{Request, StatusCode};
use std::sync::Arc;
use std::time::Instant;

/// What the INVITEs offer.
pub(crate) enum Offers {
    /// Each leg gets media sockets of its own on `runtime` (bridged to the caller's
    /// leg later) and an offer made from the caller's.
    PerLeg {
        caller: AudioDescription,
        runtime: tokio::runtime::Handle,
    },
    /// Every leg gets this offer: the media sockets are the caller's own (a call placed
    /// from here, whose first answer gets them).
    Shared(Vec<u8>),
}

/// One INVITE sent.
pub(crate) struct Leg {
    /// None when it could not be sent.
    pub dialog: Option<InviteDialog>,
    pub call_id: String,
    /// The number rung (records, logs).
    pub number: String,
    /// Its own media sockets ([`Offers::PerLeg`]) until a bridge takes them.
    pub sockets: Option<MediaLeg>,
    /// The media formats agreed with it, once connected.
    pub agreed: Option<LegMedia>,
    /// Our session description towards it ([`Offers::PerLeg`]).
    pub sdp: Option<SessionWriter>,
    /// Its SDP answer (from a 183 or the 200).
    pub answer: Option<AudioDescription>,
    pub ended: bool,
    /// The trunk channel it holds while its dialog lives.
    pub channel: Option<super::channels::Channel>,
    /// The trunk it goes out through (records).
    pub trunk: Option<String>,
}

/// What a leg's dialog said: news for the ringer and the program, or an offer (a
/// re-INVITE or UPDATE) for the driver to answer.
pub(crate) enum Said {
    Heard(LegSaid),
    Offer(Box<Request>, TransactionHandle),
}

/// The legs of one ringer.
pub(crate) struct Legs<S: Store> {
    inner: Arc<Calls<S>>,
    parties: Vec<Party>,
    caller: Caller,
    offers: Offers,
    /// Leg `n`'s Call-ID is `<prefix>-<n>`.
    prefix: String,
    states_tx: DialogStateSender,
    states: DialogStateReceiver,
    pub legs: Vec<Leg>,
}

impl<S: Store> Legs<S> {
    pub fn new(
        inner: Arc<Calls<S>>,
        parties: Vec<Party>,
        caller: Caller,
        offers: Offers,
        prefix: String,
    ) -> Self {
        let (states_tx, states) = inner.sip.dialogs.new_dialog_state_channel();
        Self {
            inner,
            parties,
            caller,
            offers,
            prefix,
            states_tx,
            states,
            legs: Vec::new(),
        }
    }

    /// A ringer for these parties by `stages`, starting now.
    pub fn ringer(&self, stages: Vec<ring::Stage>) -> Ringer {
        let targets = self.parties.iter().map(Party::ring_target).collect();
        Ringer::new(targets, stages, Instant::now())
    }

    /// Carries out what the ringer asks about legs; returns what is for the caller
    /// (ringing, early media, done), in order.
    pub fn pump(&mut self, ringer: &mut Ringer) -> Vec<ring::Command> {
        let mut out = Vec::new();
        while let Some(command) = ringer.poll() {
            match command {
                ring::Command::Ringing
                | ring::Command::EarlyMedia { .. }
                | ring::Command::Done(_) => {
                    out.push(command);
                }
                leg => {
                    if let Some((leg, failed)) = self.execute(leg) {
                        ringer.handle(failed.ring_event(leg), Instant::now());
                    }
                }
            }
        }
        out
    }

    /// Sends an INVITE, CANCEL or BYE the ringer asked for; an INVITE that could not be
    /// sent comes back as its failure (503).
    pub fn execute(&mut self, command: ring::Command) -> Option<(LegId, LegSaid)> {
        match command {
            ring::Command::Invite {
                leg,
                target,
                branch,
                way,
            } => (!self.invite(leg, target, branch, way)).then_some((
                leg,
                LegSaid::Ended {
                    code: 503,
                    hung_up: false,
                },
            )),
            ring::Command::Cancel { leg } => {
                self.cancel(leg);
                None
            }
            ring::Command::Abandon { leg } => {
                if let Some(l) = self.legs.get(leg) {
                    tracing::info!(number = %l.number, "the trunk did not answer the INVITE");
                }
                self.cancel(leg);
                None
            }
            ring::Command::Bye { leg } => {
                self.bye(leg);
                None
            }
            ring::Command::Ringing | ring::Command::EarlyMedia { .. } | ring::Command::Done(_) => {
                None
            }
        }
    }

    fn invite(&mut self, leg: LegId, target: usize, branch: usize, way: usize) -> bool {
        debug_assert_eq!(leg, self.legs.len(), "legs are numbered in order");
        let reach = &self.parties[target].branches[branch][way];
        let call_id = format!("{}-{leg}", self.prefix);
        let channel = match &reach.trunk {
            Some(out) => match self.inner.trunk_channels.take(&out.name, out.max_channels) {
                Some(channel) => Some(channel),
                None => {
                    tracing::info!(trunk = %out.name, max_channels = ?out.max_channels, number = %self.parties[target].number, "the trunk carries its maximum of calls: skipped");
                    self.legs.push(Leg {
                        dialog: None,
                        call_id,
                        number: self.parties[target].number.clone(),
                        sockets: None,
                        agreed: None,
                        sdp: None,
                        answer: None,
                        ended: true,
                        channel: None,
                        trunk: Some(out.name.clone()),
                    });
                    return false;
                }
            },
            None => None,
        };
        let mut entry = Leg {
            dialog: None,
            call_id: call_id.clone(),
            number: self.parties[target].number.clone(),
            sockets: None,
            agreed: None,
            sdp: None,
            answer: None,
            ended: true,
            channel,
            trunk: reach.trunk.as_ref().map(|out| out.name.clone()),
        };
        let offer = match &self.offers {
            Offers::PerLeg { caller, runtime } => {
                match self.inner.media.open_leg_on_runtime(runtime) {
                    Ok(media) => {
                        let mut sdp = SessionWriter::new(u64::from(media.port()));
                        let offer = sdp
                            .write(&callee_offer(
                                caller,
                                self.inner.sip.public_ip,
                                media.port(),
                            ))
                            .into_bytes();
                        entry.sockets = Some(media);
                        entry.sdp = Some(sdp);
                        offer
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "no RTP ports for a leg to ring");
                        self.legs.push(entry);
                        return false;
                    }
                }
            }
            Offers::Shared(offer) => offer.clone(),
        };
        if way > 0 {
            tracing::info!(number = %entry.number, next = %reach.label, "the trunk failed the call: trying the next trunk of the route");
        }
        match invite::send(
            &self.inner,
            &self.caller,
            (&self.parties[target].number, reach),
            offer,
            call_id,
            &self.states_tx,
        ) {
            Ok(dialog) => {
                entry.dialog = Some(dialog);
                entry.ended = false;
                self.legs.push(entry);
                true
            }
            Err(problem) => {
                tracing::warn!(%problem, "cannot ring");
                entry.sockets = None;
                entry.channel = None;
                self.legs.push(entry);
                false
            }
        }
    }

    /// Stops ringing a leg: CANCEL (rsipstack sends it once the INVITE has an answer;
    /// a 200 that crosses it is hung up by the dialog layer).
    pub fn cancel(&mut self, leg: LegId) {
        let Some(entry) = self.legs.get_mut(leg) else {
            return;
        };
        entry.sockets = None;
        if let Some(dialog) = entry.dialog.clone() {
            tokio::spawn(async move {
                if let Err(e) = dialog.cancel().await {
                    tracing::debug!(error = %e, "cannot cancel a leg");
                }
            });
        }
    }

    pub fn bye(&mut self, leg: LegId) {
        let Some(entry) = self.legs.get_mut(leg) else {
            return;
        };
        entry.sockets = None;
        if let Some(dialog) = entry.dialog.clone() {
            tokio::spawn(async move {
                let _ = dialog.bye().await;
            });
        }
    }

    /// The next thing a leg said (requests nobody acts on are answered on the way).
    /// None when the channel closed.
    pub async fn next(&mut self) -> Option<(LegId, Said)> {
        loop {
            let state = self.states.recv().await?;
            if let Some(said) = self.on_state(state).await {
                return Some(said);
            }
        }
    }

    async fn on_state(&mut self, state: DialogState) -> Option<(LegId, Said)> {
        let (leg, said) = match state {
            DialogState::Trying(id) => (self.leg_of(&id)?, Said::Heard(LegSaid::Trying)),
            DialogState::Early(id, response) => {
                let leg = self.leg_of(&id)?;
                let answer = super::parse_sdp(&response.body);
                let sdp = answer.is_some();
                if answer.is_some() {
                    self.legs[leg].answer = answer;
                }
                (leg, Said::Heard(LegSaid::Ringing { sdp }))
            }
            DialogState::Confirmed(id, response) => {
                let leg = self.leg_of(&id)?;
                let answer = super::parse_sdp(&response.body);
                let sdp = answer.is_some();
                if answer.is_some() {
                    self.legs[leg].answer = answer;
                }
                (leg, Said::Heard(LegSaid::Answered { sdp }))
            }
            DialogState::Terminated(id, reason) => {
                self.inner.sip.dialogs.remove_dialog(&id);
                let leg = self.leg_of(&id)?;
                self.legs[leg].ended = true;
                self.legs[leg].sockets = None;
                self.legs[leg].channel = None;
                let said = LegSaid::Ended {
                    code: super::final_code(&reason),
                    hung_up: matches!(reason, TerminatedReason::UasBye | TerminatedReason::Timeout),
                };
                (leg, Said::Heard(said))
            }
            DialogState::Updated(id, request, handle) => {
                (self.leg_of(&id)?, Said::Offer(Box::new(request), handle))
            }
            other => {
                super::answer_other_request(other).await;
                return None;
            }
        };
        Some((leg, said))
    }

    fn leg_of(&self, id: &DialogId) -> Option<LegId> {
        self.legs.iter().position(|l| l.call_id == id.call_id)
    }

    /// The answered leg becomes a call of its own (a call placed through the REST API):
    /// its dialog's states go to the receiver returned. The other legs are followed in
    /// the background — a late answer is hung up — until they end, and the whole lot is
    /// forgotten once the answered call is over too (or 5 s after it, at most).
    pub fn hand_over(mut self, winner: LegId, mut ringer: Ringer) -> DialogStateReceiver {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let winner_call_id = self.legs[winner].call_id.clone();
        tokio::spawn(async move {
            // Until the answered call is over, its states go on; the others' late
            // answers are hung up.
            loop {
                let state = tokio::select! {
                    state = self.states.recv() => state,
                    () = tx.closed() => break,
                };
                let Some(state) = state else {
                    break;
                };
                if state_call_id(&state) == Some(winner_call_id.as_str()) {
                    let _ = tx.send(state);
                } else if let Some((leg, Said::Heard(said))) = self.on_state(state).await {
                    ringer.handle(said.ring_event(leg), Instant::now());
                    self.pump(&mut ringer);
                }
            }
            let open: Vec<(String, DialogId)> = self
                .legs
                .iter()
                .enumerate()
                .filter(|(i, l)| *i != winner && !l.ended)
                .filter_map(|(_, l)| l.dialog.as_ref().map(|d| (l.call_id.clone(), d.id())))
                .collect();
            drain(&self.inner, &mut self.states, &open).await;
            if let Some(dialog) = &self.legs[winner].dialog {
                self.inner.sip.dialogs.remove_dialog(&dialog.id());
            }
        });
        rx
    }

    /// Ringing and talking are over: legs still in a dialog are left to end (their
    /// CANCEL or BYE completing) in the background, then forgotten.
    pub fn linger(self) {
        let pending: Vec<(String, DialogId)> = self
            .legs
            .iter()
            .filter(|l| !l.ended)
            .filter_map(|l| l.dialog.as_ref().map(|d| (l.call_id.clone(), d.id())))
            .collect();
        let (inner, mut states) = (self.inner, self.states);
        tokio::spawn(async move {
            drain(&inner, &mut states, &pending).await;
        });
    }
}

/// The one "let the last requests complete" loop: up to 5 s for every dialog of
/// `pending` (Call-ID, id) to terminate, late re-INVITEs answered 481; then every one of
/// them is removed from the dialog layer.
pub(crate) async fn drain<S: Store>(
    inner: &Calls<S>,
    states: &mut DialogStateReceiver,
    pending: &[(String, DialogId)],
) {
    let mut open: std::collections::HashSet<&str> =
        pending.iter().map(|(c, _)| c.as_str()).collect();
    let linger = tokio::time::sleep(std::time::Duration::from_secs(5));
    tokio::pin!(linger);
    while !open.is_empty() {
        tokio::select! {
            state = states.recv() => match state {
                Some(DialogState::Terminated(id, _)) => {
                    inner.sip.dialogs.remove_dialog(&id);
                    open.remove(id.call_id.as_str());
                }
                Some(DialogState::Updated(_, _, handle)) => {
                    let _ = handle.reply(StatusCode::CallTransactionDoesNotExist).await;
                }
                Some(_) => {}
                None => break,
            },
            () = &mut linger => break,
        }
    }
    for (_, id) in pending {
        inner.sip.dialogs.remove_dialog(id);
    }
}

/// The Call-ID of the dialog a state is about.
fn state_call_id(state: &DialogState) -> Option<&str> {
    let id = match state {
        DialogState::Calling(id)
        | DialogState::Trying(id)
        | DialogState::Early(id, _)
        | DialogState::WaitAck(id, _)
        | DialogState::Confirmed(id, _)
        | DialogState::Updated(id, _, _)
        | DialogState::Publish(id, _, _)
        | DialogState::Notify(id, _, _)
        | DialogState::Refer(id, _, _)
        | DialogState::Message(id, _, _)
        | DialogState::Info(id, _, _)
        | DialogState::Options(id, _, _)
        | DialogState::Terminated(id, _) => id,
    };
    Some(id.call_id.as_str())
}
