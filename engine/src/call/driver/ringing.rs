//! A `dial`'s parties: its targets resolved (registered devices, routes and trunks,
//! SIP URIs) and planned by its strategy, off the loop; its legs sent and followed;
//! and, for a call connected straight through, the party's early media and answer.

use super::media::{self, Media, Through};
use super::{Done, Driver};
use crate::call::invite::{Caller, Party};
use crate::call::legs::{Legs, Offers, Said};
use crate::call::sdp_plan::caller_answer;
use crate::call::{sdp_header, targets};
use crate::media::bridge::Side as MediaSide;
use crate::program::{Event, Presented, RingPlan};
use crate::ring;
use crate::sdp::SessionWriter;
use crate::store::Store;
use contract::verbs::{DialStrategy, DialTarget};
use rsipstack::sip::StatusCode;
use std::time::Duration;

/// The next thing a rung leg said (forever when nothing rings).
pub(super) async fn next<S: Store>(legs: &mut Option<Legs<S>>) -> Option<(ring::LegId, Said)> {
    match legs {
        Some(legs) => legs.next().await,
        None => std::future::pending().await,
    }
}

impl<S: Store> Driver<S> {
    /// Resolves the dial's targets and plans them by `strategy`, off the loop.
    pub(super) fn resolve(
        &mut self,
        id: u64,
        dial: Vec<DialTarget>,
        strategy: DialStrategy,
        ring_time: Duration,
        through: bool,
        caller: Presented,
    ) {
        let calls = self.calls.clone();
        let calling = self.caller_source.clone();
        let arrived_on = self
            .record
            .trunk
            .clone()
            .filter(|_| self.record.direction == "inbound");
        let sid = self.record.sid.clone();
        let handle = self.pending.spawn(async move {
            let mut parties = Vec::new();
            let mut origins = Vec::new();
            let mut problems = Vec::new();
            for (i, target) in dial.iter().enumerate() {
                let (found, code) = match target {
                    DialTarget::Extension { number, .. } => (
                        targets::extension(&calls, number.as_str(), calling.as_ref()).await,
                        "invalid_target",
                    ),
                    DialTarget::Number { number, .. } => (
                        targets::number(&calls, number.as_str(), calling.as_ref(), arrived_on.as_deref())
                            .await,
                        "unroutable_number",
                    ),
                    DialTarget::Sip { uri, .. } => (targets::sip_uri(uri.as_str()).await, "invalid_target"),
                    DialTarget::Trunk { trunk, number, .. } => (
                        targets::trunk(&calls, trunk.as_str(), number.as_str()).await,
                        "invalid_target",
                    ),
                    // The contract allows a queue only as the sole target (handled apart).
                    DialTarget::Queue { .. } => continue,
                };
                match found {
                    Ok(party) => {
                        parties.push(party);
                        origins.push(i);
                    }
                    Err(problem) => {
                        let message = format!("targets[{i}]: {problem}");
                        tracing::warn!(%sid, %message, "dial target skipped");
                        problems.push((code, message));
                    }
                }
            }
            let stages = crate::call::plan::ring_plan(&calls, &parties, strategy, ring_time).await;
            tracing::info!(%sid, parties = parties.len(), strategy = strategy.as_str(), "dial: ringing");
            let plan = RingPlan {
                targets: parties.iter().map(Party::ring_target).collect(),
                stages,
                problems,
                unavailable: false,
                origins,
            };
            Done::Resolved {
                id,
                plan,
                parties,
                through,
                caller,
            }
        });
        let nothing = RingPlan {
            targets: Vec::new(),
            stages: Vec::new(),
            problems: Vec::new(),
            unavailable: true,
            origins: Vec::new(),
        };
        self.fallbacks
            .insert(handle.id(), Event::Resolved { id, plan: nothing });
    }

    /// The legs of a resolved dial: each with its own sockets on the runtime of the
    /// party's (a call connected through gets its sockets now). False when nothing can
    /// be rung (no sockets for the party).
    pub(super) fn start_legs(
        &mut self,
        parties: Vec<Party>,
        through: bool,
        shown: Presented,
    ) -> bool {
        let inbound = self.record.direction == "inbound";
        let caller = Caller {
            chosen: shown.number.is_some(),
            user: shown.number.unwrap_or_else(|| self.record.from.clone()),
            display_name: Some(shown.name.unwrap_or_else(|| self.caller_name.clone())),
            first_called: inbound.then(|| self.record.to.clone()),
            max_forwards: self.max_forwards,
        };
        let (runtime, prefix) = if through {
            let leg_a = match self.calls.media.open_leg() {
                Ok(l) => l,
                Err(e) => {
                    tracing::error!(error = %e, "no RTP ports for a call");
                    return false;
                }
            };
            let runtime = leg_a.runtime().clone();
            let port = leg_a.port();
            self.media = Media::Through(Box::new(Through {
                leg_a: Some(leg_a),
                bridge: None,
                sdp: SessionWriter::new(u64::from(port)),
                port,
                answer: None,
                recording: None,
            }));
            (runtime, crate::store::new_sid())
        } else {
            let runtime = match self.media.endpoint() {
                Some(ours) => ours.endpoint.runtime().clone(),
                None => tokio::runtime::Handle::current(),
            };
            (runtime, crate::store::new_sid())
        };
        let offers = Offers::PerLeg {
            caller: self.sdp.clone(),
            runtime,
        };
        if let Some(old) = self.legs.take() {
            old.linger();
        }
        self.legs = Some(Legs::new(
            self.calls.clone(),
            parties,
            caller,
            offers,
            prefix,
        ));
        true
    }

    /// Sends an INVITE, CANCEL or BYE for a leg (a leg hung up is no longer screened).
    pub(super) fn leg(&mut self, command: ring::Command) {
        if let ring::Command::Bye { leg } | ring::Command::Cancel { leg } = command {
            self.stop_screening(leg);
        }
        let Some(legs) = self.legs.as_mut() else {
            return;
        };
        if let Some((leg, said)) = legs.execute(command) {
            self.queued.push_back(Event::Leg { leg, said });
        }
    }

    /// What a rung leg said, for the program (re-INVITEs answered here).
    pub(super) async fn on_leg(&mut self, said: Option<(ring::LegId, Said)>) -> Option<Event> {
        let (leg, said) = said?;
        let said = match said {
            Said::Offer(request, handle) => {
                if self.connected_leg == Some(leg) && matches!(self.media, Media::Through(_)) {
                    self.relay_reinvite(false, &request, handle).await;
                } else if self.connected_leg.is_none() {
                    let _ = handle.reply(StatusCode::RequestPending).await;
                } else {
                    let _ = handle.reply(StatusCode::NotAcceptableHere).await;
                }
                return None;
            }
            Said::Heard(said) => said,
        };
        if matches!(said, crate::program::LegSaid::Ended { .. }) {
            // Hung up on its prompt: its screening stops with it.
            self.stop_screening(leg);
        }
        Some(Event::Leg { leg, said })
    }

    /// 183 to the party with this leg's early media.
    pub(super) fn early_media(&mut self, leg: ring::LegId) {
        match self.connect_through(leg) {
            Some(body) => {
                if let Err(e) = self.party.ringing(Some(vec![sdp_header()]), Some(body)) {
                    tracing::debug!(error = %e, "cannot send 183");
                }
            }
            None => {
                let _ = self.party.ringing(None, None);
            }
        }
    }

    /// 200 to the party, bridged to this leg; the dialled call gets its record.
    pub(super) async fn answer_through(&mut self, leg: ring::LegId, record: bool) {
        let body = self.connect_through(leg).unwrap_or_default();
        if let Err(e) = self.party.accept(Some(vec![sdp_header()]), Some(body)) {
            tracing::warn!(error = %e, "cannot answer the caller");
        }
        if let Media::Through(t) = &mut self.media
            && record
            && t.recording.is_none()
        {
            t.recording = t
                .bridge
                .as_ref()
                .map(crate::media::bridge::BridgeHandle::record);
        }
        self.connected_leg = Some(leg);
        tracing::info!(sid = %self.record.sid, leg, "call answered");
        self.answered().await;
        let Some(child) = self.child_record(leg) else {
            return;
        };
        crate::call::save(&self.calls, &child).await;
        self.queued.push_back(Event::Bridged {
            child: child.sid.clone(),
        });
        self.child = Some((child, std::time::Instant::now()));
    }

    /// Bridges the party (not answered by us) with `leg` and returns our SDP answer
    /// for the party (None when the leg gave no usable answer).
    fn connect_through(&mut self, leg: ring::LegId) -> Option<Vec<u8>> {
        let public = self.calls.sip.public_ip;
        let Media::Through(t) = &mut self.media else {
            return None;
        };
        let legs = self.legs.as_mut()?;
        let answer = legs.legs.get(leg)?.answer.clone()?;
        let (caller_media, callee_media, local) =
            caller_answer(&self.sdp, &answer, public, t.port)?;
        let body = match &t.answer {
            // The party already has our answer (183): it stays the same.
            Some((previous, body)) if previous.format == caller_media.format => body.clone(),
            _ => t.sdp.write(&local).into_bytes(),
        };
        let (peer_a, peer_b) = (caller_media.peer(), callee_media.peer());
        if t.bridge.is_none()
            && let Some(leg_a) = t.leg_a.take()
        {
            t.bridge = Some(media::start_bridge(
                &self.calls,
                leg_a,
                peer_a,
                None,
                &self.bridge_tx,
            ));
        }
        if let Some(bridge) = &t.bridge {
            bridge.update(MediaSide::A, peer_a);
            let l = &mut legs.legs[leg];
            match l.sockets.take() {
                Some(sockets) => bridge.connect(sockets, peer_b),
                None => bridge.update(MediaSide::B, peer_b),
            }
            l.agreed = Some(callee_media);
        }
        t.answer = Some((caller_media, body.clone()));
        Some(body)
    }
}
