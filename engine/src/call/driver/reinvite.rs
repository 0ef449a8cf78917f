//! Re-INVITEs during a call: relayed from one side to the other of a call connected
//! straight through (hold, resume, a new address) and answered with what the other
//! side accepted; answered by us when our endpoint talks to the party.

use super::Driver;
use super::media::{Media, peer_of};
use crate::call::{parse_sdp, sdp_header};
use crate::media::bridge::Side as MediaSide;
use crate::sdp::{AudioDescription, LocalAudio, SessionWriter};
use crate::store::Store;
use rsipstack::dialog::dialog::TransactionHandle;
use rsipstack::sip::{Request, StatusCode};

impl<S: Store> Driver<S> {
    /// A re-INVITE (or UPDATE) from the party: relayed through a call connected
    /// straight through; otherwise answered here, our side kept and theirs followed
    /// (hold, a new address) by whoever sends to the party — our endpoint or a bridge.
    pub(super) async fn party_offer(&mut self, request: &Request, handle: TransactionHandle) {
        if matches!(self.media, Media::Through(_)) {
            return self.relay_reinvite(true, request, handle).await;
        }
        let offer = AudioDescription::parse(std::str::from_utf8(&request.body).unwrap_or(""));
        let public = self.calls.sip.public_ip;
        let party = match &mut self.media {
            Media::Endpoint(o) => Some((&mut o.party, None)),
            Media::Bridge(b) => Some((&mut b.party, Some(&b.handle))),
            Media::Agent(a) => Some((&mut a.party, a.handle.as_ref())),
            Media::Lent(l) => Some((&mut l.party, None)),
            Media::None | Media::Through(_) => None,
        };
        let (Ok(offer), Some((party, bridge))) = (offer, party) else {
            let _ = handle.reply(StatusCode::NotAcceptableHere).await;
            return;
        };
        // The codec agreed stays, when the new offer keeps it.
        let peer = peer_of(&offer, Some(party.peer.format.codec));
        party.peer = peer;
        if let Some(bridge) = bridge {
            bridge.update(crate::media::bridge::Side::A, peer);
        }
        let body = party.sdp.write(&LocalAudio {
            address: public,
            port: party.port,
            codecs: vec![(peer.format.codec, peer.format.codec_pt)],
            telephone_event: peer.format.dtmf_pt,
            direction: offer.direction.reversed(),
        });
        if let Some(ours) = self.media.endpoint() {
            ours.endpoint.update(peer);
        }
        self.sdp = offer;
        let _ = handle
            .respond(
                StatusCode::OK,
                Some(vec![sdp_header()]),
                Some(body.into_bytes()),
            )
            .await;
    }

    /// Relays a re-INVITE (hold, resume, a new address) from one side of a call
    /// connected through to the other and answers it with what the other side
    /// accepted.
    pub(super) async fn relay_reinvite(
        &mut self,
        from_caller: bool,
        request: &Request,
        handle: TransactionHandle,
    ) {
        let public = self.calls.sip.public_ip;
        let new_offer = parse_sdp(&request.body);
        let (Some(winner), Media::Through(through), Some(legs)) =
            (self.connected_leg, &self.media, &self.legs)
        else {
            let _ = handle.reply(StatusCode::RequestPending).await;
            return;
        };
        let callee = &legs.legs[winner];
        let caller_sdp = through.sdp.clone();
        let (Some((caller_media, _)), Some(callee_media), Some(callee_dialog)) =
            (through.answer.clone(), callee.agreed, callee.dialog.clone())
        else {
            let _ = handle.reply(StatusCode::ServerInternalError).await;
            return;
        };
        let callee_sdp = callee
            .sdp
            .clone()
            .unwrap_or_else(|| SessionWriter::new(u64::from(callee_media.local_port)));
        // Our offer to the other side: its agreed codec, our port, the sender's direction.
        let (other_dialog, other_media, mut other_sdp) = if from_caller {
            (callee_dialog, callee_media, callee_sdp)
        } else {
            (self.party.clone(), caller_media, caller_sdp)
        };
        let direction = new_offer
            .as_ref()
            .map_or(crate::sdp::Direction::SendRecv, |o| o.direction);
        let offer = other_sdp.write(&other_media.local_with(public, direction));
        let result = other_dialog
            .reinvite(Some(vec![sdp_header()]), Some(offer.into_bytes()))
            .await;
        let (Media::Through(through), Some(legs)) = (&mut self.media, self.legs.as_mut()) else {
            let _ = handle.reply(StatusCode::ServerInternalError).await;
            return;
        };
        if from_caller {
            legs.legs[winner].sdp = Some(other_sdp);
        } else {
            through.sdp = other_sdp;
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
        let relayed = Relayed {
            from_caller,
            winner,
            caller_media,
            callee_media,
            offer: new_offer,
            answer: parse_sdp(&response.body),
            direction,
        };
        let Some(body) = self.follow_reinvite(&relayed) else {
            let _ = handle.reply(StatusCode::ServerInternalError).await;
            return;
        };
        let _ = handle
            .respond(
                StatusCode::OK,
                Some(vec![sdp_header()]),
                Some(body.into_bytes()),
            )
            .await;
        tracing::info!(sid = %self.record.sid, from_caller, direction = direction.attribute(), "re-INVITE relayed");
    }

    /// Both ends of the bridge follow a relayed re-INVITE: the sender may have moved,
    /// the other side's answer says whether it will send. Returns our answer to the
    /// sender.
    fn follow_reinvite(&mut self, r: &Relayed) -> Option<String> {
        let public = self.calls.sip.public_ip;
        let (Media::Through(through), Some(legs)) = (&mut self.media, self.legs.as_mut()) else {
            return None;
        };
        let (mut sender_media, mut other_media, sender_side, other_side) = if r.from_caller {
            (r.caller_media, r.callee_media, MediaSide::A, MediaSide::B)
        } else {
            (r.callee_media, r.caller_media, MediaSide::B, MediaSide::A)
        };
        if let Some(o) = &r.offer {
            sender_media.remote = o
                .port
                .ne(&0)
                .then(|| std::net::SocketAddr::new(o.address, o.port));
            sender_media.sends = o.direction.sends();
        }
        if let Some(a) = &r.answer {
            other_media.sends = a.direction.sends();
        }
        let answer_direction = r
            .answer
            .as_ref()
            .map_or(r.direction.reversed(), |a| a.direction);
        let local = sender_media.local_with(public, answer_direction);
        let body = if r.from_caller {
            through.sdp.write(&local)
        } else {
            legs.legs[r.winner]
                .sdp
                .get_or_insert_with(|| SessionWriter::new(u64::from(sender_media.local_port)))
                .write(&local)
        };
        if let Some(bridge) = &through.bridge {
            bridge.update(sender_side, sender_media.peer());
            bridge.update(other_side, other_media.peer());
        }
        let (caller, callee) = if r.from_caller {
            (sender_media, other_media)
        } else {
            (other_media, sender_media)
        };
        if let Some((m, _)) = through.answer.as_mut() {
            *m = caller;
        }
        legs.legs[r.winner].agreed = Some(callee);
        Some(body)
    }
}

/// A re-INVITE relayed and answered by the other side.
struct Relayed {
    from_caller: bool,
    winner: usize,
    caller_media: crate::call::sdp_plan::LegMedia,
    callee_media: crate::call::sdp_plan::LegMedia,
    /// The sender's new offer, and the other side's answer to ours.
    offer: Option<AudioDescription>,
    answer: Option<AudioDescription>,
    direction: crate::sdp::Direction,
}
