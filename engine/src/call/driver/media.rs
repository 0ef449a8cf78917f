//! The party's media, in whichever shape the call is in: nothing yet, our endpoint
//! (we play and listen), bridged to a rung leg, connected straight through (early
//! media, then the answer), bridged to the agent who picked a queued caller up, or
//! lent to a queued caller's call. Bridges give the party's sockets back when they
//! end: one port pair for the whole call.

use crate::call::Calls;
use crate::call::queue::Pickup;
use crate::call::sdp_plan::LegMedia;
use crate::media::bridge::{self, BridgeHandle, MediaLeg, Peer, Side as MediaSide};
use crate::media::endpoint::{self, EndpointEvent, EndpointHandle, FRAME, VOICE_LEVEL, energy};
use crate::media::rtp::LegFormat;
use crate::program::Event;
use crate::sdp::{AudioDescription, Codec, Direction, LocalAudio, SessionWriter};
use crate::store::Store;
use std::net::SocketAddr;
use tokio::sync::{mpsc, oneshot};

/// The party's media as agreed, and our side of it.
#[derive(Debug, Clone)]
pub(crate) struct PartyMedia {
    pub peer: Peer,
    /// Our session description towards the party (its version grows with each answer).
    pub sdp: SessionWriter,
    pub port: u16,
}

/// The party's media now.
pub(crate) enum Media {
    /// Nothing: not answered.
    None,
    /// Our endpoint talks to the party.
    Endpoint(Box<Ours>),
    /// The answered party is bridged to a rung leg (`dial`).
    Bridge(Box<Bridged>),
    /// The party is connected straight through to rung legs (early media, answer).
    Through(Box<Through>),
    /// The waiting party is bridged to the agent who picked it up.
    Agent(Box<Agent>),
    /// The party's sockets are lent to a queued caller's call, which bridges them.
    Lent(Box<Lent>),
}

pub(crate) struct Ours {
    pub endpoint: EndpointHandle,
    pub party: PartyMedia,
}

pub(crate) struct Bridged {
    pub handle: BridgeHandle,
    pub party: PartyMedia,
    pub recording: Option<oneshot::Receiver<Vec<i16>>>,
}

pub(crate) struct Through {
    /// The party's sockets until the bridge takes them.
    pub leg_a: Option<MediaLeg>,
    pub bridge: Option<BridgeHandle>,
    pub sdp: SessionWriter,
    pub port: u16,
    /// The answer we gave the party (183 or 200), once given.
    pub answer: Option<(LegMedia, Vec<u8>)>,
    pub recording: Option<oneshot::Receiver<Vec<i16>>>,
}

pub(crate) struct Agent {
    pub handle: Option<BridgeHandle>,
    pub party: PartyMedia,
    pub agent_gone: oneshot::Receiver<()>,
    pub give_back: Option<oneshot::Sender<Option<MediaLeg>>>,
}

pub(crate) struct Lent {
    pub party: PartyMedia,
    /// Tells the queued caller's call we are gone.
    pub gone: Option<oneshot::Sender<()>>,
    /// Where that call gives the sockets back.
    pub returned: oneshot::Receiver<Option<MediaLeg>>,
}

impl Agent {
    /// Ends the bridge to the agent: its sockets go back to its call; ours come back.
    pub async fn end(mut self: Box<Self>) -> Option<(MediaLeg, PartyMedia)> {
        let handle = self.handle.take()?;
        let (_, leg_a, agent_leg) = handle.stop_keep_legs().await;
        if let Some(give_back) = self.give_back.take() {
            let _ = give_back.send(agent_leg);
        }
        leg_a.map(|leg| (leg, self.party))
    }
}

impl Lent {
    /// Tells the queued caller's call we are gone and takes the party's sockets back
    /// (waiting at most 5 s for them).
    pub async fn take_back(mut self: Box<Self>) -> Option<(MediaLeg, PartyMedia)> {
        if let Some(gone) = self.gone.take() {
            let _ = gone.send(());
        }
        let leg = tokio::time::timeout(std::time::Duration::from_secs(5), self.returned)
            .await
            .ok()
            .and_then(Result::ok)
            .flatten()?;
        Some((leg, self.party))
    }
}

/// What a media shape reports by itself.
pub(crate) enum Wake {
    /// The agent bridged to the waiting party left.
    AgentGone,
    /// The queued caller's call gave the party's sockets back.
    Returned(Option<MediaLeg>),
}

impl Media {
    /// Opens our media for the party's `offer` and starts our endpoint; returns our
    /// SDP answer.
    pub fn answer<S: Store>(
        &mut self,
        calls: &Calls<S>,
        offer: &AudioDescription,
        events: &mpsc::UnboundedSender<EndpointEvent>,
    ) -> Result<Vec<u8>, String> {
        let leg = calls
            .media
            .open_leg()
            .map_err(|e| format!("no RTP ports: {e}"))?;
        let codec = offer
            .choose(None)
            .map_err(|e| format!("no common codec: {e}"))?;
        let peer = peer_of(offer, Some(codec));
        let local = LocalAudio {
            address: calls.sip.public_ip,
            port: leg.port(),
            codecs: vec![(codec, peer.format.codec_pt)],
            telephone_event: peer.format.dtmf_pt,
            direction: Direction::SendRecv,
        };
        let port = leg.port();
        let mut sdp = SessionWriter::new(u64::from(port));
        let body = sdp.write(&local).into_bytes();
        *self = Self::ours(calls, leg, PartyMedia { peer, sdp, port }, events);
        Ok(body)
    }

    /// Our endpoint on `leg`.
    pub fn ours<S: Store>(
        calls: &Calls<S>,
        leg: MediaLeg,
        party: PartyMedia,
        events: &mpsc::UnboundedSender<EndpointEvent>,
    ) -> Self {
        let endpoint = endpoint::start(leg, party.peer, calls.rtp_timeout, events.clone());
        Self::Endpoint(Box::new(Ours { endpoint, party }))
    }

    pub fn endpoint(&mut self) -> Option<&mut Ours> {
        match self {
            Self::Endpoint(o) => Some(o),
            _ => None,
        }
    }

    pub fn start_recording(&self, silence: Option<std::time::Duration>) {
        if let Self::Endpoint(o) = self {
            o.endpoint.start_recording(silence);
        }
    }

    /// Takes the party's sockets from our endpoint (to bridge them), with what was
    /// agreed with the party. None (and nothing changed) unless our endpoint has them.
    pub async fn release(&mut self) -> Option<(MediaLeg, PartyMedia)> {
        if !matches!(self, Self::Endpoint(_)) {
            return None;
        }
        let Self::Endpoint(o) = std::mem::replace(self, Self::None) else {
            return None;
        };
        let leg = o.endpoint.release().await?;
        Some((leg, o.party))
    }

    /// Ends whatever bridge the party's media is in: its sockets back (when they come
    /// back) with what was agreed, and the conversation's recording when one was made.
    /// `answered`: whether the party of a call connected through was answered (if
    /// not, its sockets are simply dropped).
    pub async fn unbridge(
        &mut self,
        answered: bool,
    ) -> (Option<(MediaLeg, PartyMedia)>, Option<Vec<i16>>) {
        match std::mem::replace(self, Self::None) {
            Self::Bridge(b) => {
                let Bridged {
                    handle,
                    party,
                    recording,
                } = *b;
                let (stats, leg_a, _) = handle.stop_keep_legs().await;
                tracing::debug!(a_to_b = stats.a_to_b, b_to_a = stats.b_to_a, "bridge ended");
                let audio = match recording {
                    Some(rx) => rx.await.ok(),
                    None => None,
                };
                (leg_a.map(|leg| (leg, party)), audio)
            }
            Self::Through(t) => {
                let mut t = *t;
                let leg_a = match t.bridge.take() {
                    Some(bridge) => bridge.stop_keep_legs().await.1,
                    None => t.leg_a.take(),
                };
                let audio = match t.recording.take() {
                    Some(rx) => rx.await.ok(),
                    None => None,
                };
                let back = match (leg_a, &t.answer) {
                    (Some(leg), Some((agreed, _))) if answered => Some((
                        leg,
                        PartyMedia {
                            peer: agreed.peer(),
                            sdp: t.sdp.clone(),
                            port: t.port,
                        },
                    )),
                    _ => None,
                };
                (back, audio)
            }
            Self::Agent(a) => (a.end().await, None),
            Self::Lent(l) => (l.take_back().await, None),
            other => {
                let back = match other {
                    Self::Endpoint(o) => o.endpoint.release().await.map(|leg| (leg, o.party)),
                    _ => None,
                };
                (back, None)
            }
        }
    }

    /// Stops everything: the sockets go back to the pool (or to their owners).
    pub async fn stop(&mut self) {
        match std::mem::replace(self, Self::None) {
            Self::None => {}
            Self::Endpoint(o) => o.endpoint.stop().await,
            Self::Bridge(b) => {
                b.handle.stop().await;
            }
            Self::Through(t) => {
                if let Some(bridge) = t.bridge {
                    bridge.stop().await;
                }
            }
            Self::Agent(a) => {
                a.end().await;
            }
            Self::Lent(l) => {
                l.take_back().await;
            }
        }
    }

    /// Waits for what a media shape reports by itself (forever for the others).
    pub async fn next_wake(&mut self) -> Wake {
        match self {
            Self::Agent(a) => {
                let _ = (&mut a.agent_gone).await;
                Wake::AgentGone
            }
            Self::Lent(l) => Wake::Returned((&mut l.returned).await.ok().flatten()),
            _ => std::future::pending().await,
        }
    }

    /// A bridge side went silent: what the program hears of it. `Err`: the bridge of
    /// a queued caller and its agent, which ends here; nothing for media that is in no
    /// bridge (a stopped bridge's late report).
    pub fn bridge_timeout(&self, side: MediaSide) -> Result<Option<Event>, ()> {
        match self {
            Self::Agent(_) => Err(()),
            Self::Bridge(_) | Self::Through(_) => Ok(Some(Event::BridgeTimeout {
                party: side == MediaSide::A,
            })),
            _ => Ok(None),
        }
    }
}

/// Waits for the agent's pickup of the waiting party (forever when not waiting).
pub(crate) async fn pickup(
    waiting: &mut Option<(String, oneshot::Receiver<Pickup>)>,
) -> Result<Pickup, oneshot::error::RecvError> {
    match waiting {
        Some((_, rx)) => rx.await,
        None => std::future::pending().await,
    }
}

/// Starts a bridge between the party's `leg_a` and another leg `b`.
pub(crate) fn start_bridge<S: Store>(
    calls: &Calls<S>,
    leg_a: MediaLeg,
    peer_a: Peer,
    b: Option<(MediaLeg, Peer)>,
    events: &mpsc::UnboundedSender<bridge::BridgeEvent>,
) -> BridgeHandle {
    let handle = bridge::start(
        leg_a,
        peer_a,
        calls.rtp_timeout,
        events.clone(),
        calls.metrics.clone(),
    );
    if let Some((leg, peer)) = b {
        handle.connect(leg, peer);
    }
    handle
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

/// The length of a recording to keep: up to the last frame with voice plus a short
/// tail, so a recording ended by silence does not carry seconds of it (pure).
pub(crate) fn voiced_length(samples: &[i16]) -> usize {
    let last_voiced_frame = samples
        .chunks(FRAME)
        .rposition(|frame| energy(frame) > VOICE_LEVEL);
    match last_voiced_frame {
        None => 0,
        Some(i) => ((i + 1) * FRAME + 8 * 300).min(samples.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_silence_is_trimmed_to_a_short_tail() {
        let mut samples: Vec<i16> = (0..8000)
            .map(|i| if i % 2 == 0 { 3000 } else { -3000 })
            .collect();
        samples.extend(vec![0i16; 8000 * 5]);
        assert_eq!(voiced_length(&samples), 8000 + 2400);
        assert_eq!(voiced_length(&vec![0i16; 8000]), 0);
        assert_eq!(voiced_length(&[]), 0);
    }
}
