//! The caller's media in an application call: answering with our SDP, following
//! re-INVITEs, and lending the leg to a bridge (dial, queue) and taking it back.

use super::{Answered, Session};
use crate::call::timestamp_now;
use crate::media::bridge::{self, BridgeEvent, BridgeHandle, MediaLeg, Peer};
use crate::media::endpoint;
use crate::media::rtp::LegFormat;
use crate::sdp::{AudioDescription, Codec, Direction, LocalAudio, SessionWriter};
use crate::store::Store;
use contract::webhook::CallEvent;
use rsipstack::sip::Header;
use std::net::SocketAddr;
use tokio::sync::mpsc;

impl<S: Store> Session<S> {
    /// Answers the call (once): opens the media, sends 200 OK with our SDP.
    pub(super) async fn answer(&mut self) -> Result<(), ()> {
        if self.answered.is_some() {
            return Ok(());
        }
        if self.outcome.is_some() {
            return Err(());
        }
        let leg = self.inner.media.open_leg().map_err(|e| {
            tracing::error!(error = %e, "no RTP ports for an application call");
        })?;
        let codec = self.offer.choose(None).map_err(|e| {
            tracing::info!(error = %e, "no common codec");
        })?;
        let peer = peer_of(&self.offer, Some(codec));
        let format = peer.format;
        let local = LocalAudio {
            address: self.inner.sip.public_ip,
            port: leg.port(),
            codecs: vec![(codec, format.codec_pt)],
            telephone_event: format.dtmf_pt,
            direction: Direction::SendRecv,
        };
        let port = leg.port();
        let mut sdp = SessionWriter::new(u64::from(port));
        let body = sdp.write(&local);
        let endpoint = endpoint::start(leg, peer, self.inner.rtp_timeout, self.events_tx.clone());
        if let Err(e) = self.inbound.accept(
            Some(vec![Header::ContentType("application/sdp".into())]),
            Some(body.into_bytes()),
        ) {
            tracing::warn!(error = %e, "cannot answer the caller");
            endpoint.stop().await;
            return Err(());
        }
        self.answered = Some(Answered {
            endpoint,
            peer,
            sdp,
            port,
            playing: None,
        });
        self.answered_at = Some(std::time::Instant::now());
        crate::metrics::Metrics::add(&self.inner.metrics.calls_answered_total, 1);
        self.record.status = contract::models::calls::CallStatus::InProgress;
        self.record.answered_at = Some(timestamp_now());
        self.save().await;
        self.event(CallEvent::Answered, None).await;
        tracing::info!(sid = %self.record.sid, codec = codec.name(), "call answered by the application");
        Ok(())
    }

    /// Our SDP after a re-INVITE, and the endpoint pointed at the new address.
    pub(super) fn reanswer(&mut self) -> String {
        let public = self.inner.sip.public_ip;
        let offer = &self.offer;
        let Some(answered) = self.answered.as_mut() else {
            return String::new();
        };
        let peer = peer_of(offer, None);
        let (codec, format) = (peer.format.codec, peer.format);
        answered.peer = peer;
        answered.endpoint.update(peer);
        answered.sdp.write(&LocalAudio {
            address: public,
            port: answered.port,
            codecs: vec![(codec, format.codec_pt)],
            telephone_event: format.dtmf_pt,
            direction: offer.direction.reversed(),
        })
    }
}

impl<S: Store> Session<S> {
    /// Relays media between the caller's leg `a` and another leg `b`; the receiver
    /// reports a silent side.
    pub(super) fn start_bridge(
        &self,
        a: MediaLeg,
        peer_a: Peer,
        b: MediaLeg,
        peer_b: Peer,
    ) -> (BridgeHandle, mpsc::UnboundedReceiver<BridgeEvent>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let relay = bridge::start(
            a,
            peer_a,
            self.inner.rtp_timeout,
            tx,
            self.inner.metrics.clone(),
        );
        relay.connect(b, peer_b);
        (relay, rx)
    }

    /// Takes over the caller's media after a call connected straight through was
    /// answered and then handed back to the application.
    pub(super) fn adopt_media(&mut self, media: crate::call::b2bua::CallerMedia) {
        let port = media.leg.port();
        let endpoint = endpoint::start(
            media.leg,
            media.peer,
            self.inner.rtp_timeout,
            self.events_tx.clone(),
        );
        self.answered = Some(Answered {
            endpoint,
            peer: media.peer,
            sdp: media.sdp,
            port,
            playing: None,
        });
    }

    /// Our endpoint again on `leg` (after a bridge gave it back).
    pub(super) fn restart_endpoint(&mut self, leg: MediaLeg, peer: Peer) {
        if let Some(answered) = self.answered.as_mut() {
            answered.endpoint =
                endpoint::start(leg, peer, self.inner.rtp_timeout, self.events_tx.clone());
        }
    }
}

/// The far end as its session description says: where to send, which codec (the
/// `preferred` one when it offers it), which payload types.
pub(crate) fn peer_of(description: &AudioDescription, preferred: Option<Codec>) -> Peer {
    let codec = description.choose(preferred).unwrap_or(Codec::Pcmu);
    Peer {
        address: (description.port != 0)
            .then(|| SocketAddr::new(description.address, description.port)),
        format: LegFormat {
            codec,
            codec_pt: description
                .payload_type_of(codec)
                .unwrap_or(codec.payload_type()),
            dtmf_pt: description.telephone_event,
        },
        sends: description.direction.sends(),
    }
}
