//! The SDP decisions of one call (pure): what we offer the callee's devices, what we
//! answer the caller once a device answered, and the media formats that follow.

use crate::media::bridge::Peer;
use crate::media::rtp::LegFormat;
use crate::sdp::{
    AudioDescription, Codec, Direction, LocalAudio, OFFER_TELEPHONE_EVENT, offer_codecs,
};
use std::net::{IpAddr, SocketAddr};

/// What was agreed with one leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegMedia {
    pub format: LegFormat,
    /// Where the peer wants RTP.
    pub remote: Option<SocketAddr>,
    pub sends: bool,
    /// Our RTP port for this leg.
    pub local_port: u16,
}

impl LegMedia {
    pub fn peer(&self) -> Peer {
        Peer {
            address: self.remote,
            format: self.format,
            sends: self.sends,
        }
    }

    /// Our description for this leg with `direction`.
    pub fn local_with(&self, address: IpAddr, direction: Direction) -> LocalAudio {
        LocalAudio {
            address,
            port: self.local_port,
            codecs: vec![(self.format.codec, self.format.codec_pt)],
            telephone_event: self.format.dtmf_pt,
            direction,
        }
    }
}

/// Our offer to a callee device: every codec we relay, the caller's preferred first.
pub fn callee_offer(caller: &AudioDescription, address: IpAddr, port: u16) -> LocalAudio {
    LocalAudio {
        address,
        port,
        codecs: offer_codecs(caller),
        telephone_event: Some(OFFER_TELEPHONE_EVENT),
        direction: caller.direction,
    }
}

/// Once a callee device answered with `callee`: the caller's media, the callee's media,
/// and our answer to the caller. The caller gets the callee's codec when it offered it
/// (no conversion), otherwise its own first choice (µ-law ↔ A-law is converted).
pub fn caller_answer(
    caller: &AudioDescription,
    callee: &AudioDescription,
    address: IpAddr,
    caller_port: u16,
) -> Option<(LegMedia, LegMedia, LocalAudio)> {
    let (callee_codec, callee_pt): (Codec, u8) = *callee.codecs.first()?;
    let caller_codec = caller.choose(Some(callee_codec)).ok()?;
    let caller_pt = caller.payload_type_of(caller_codec)?;
    let caller_media = LegMedia {
        format: LegFormat {
            codec: caller_codec,
            codec_pt: caller_pt,
            dtmf_pt: caller.telephone_event,
        },
        remote: (caller.port != 0).then(|| SocketAddr::new(caller.address, caller.port)),
        sends: caller.direction.sends(),
        local_port: caller_port,
    };
    let callee_media = LegMedia {
        format: LegFormat {
            codec: callee_codec,
            codec_pt: callee_pt,
            dtmf_pt: callee.telephone_event,
        },
        remote: (callee.port != 0).then(|| SocketAddr::new(callee.address, callee.port)),
        sends: callee.direction.sends(),
        local_port: 0,
    };
    let local = caller_media.local_with(address, callee.direction);
    Some((caller_media, callee_media, local))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sdp(port: u16, codecs: &str, extra: &str) -> AudioDescription {
        AudioDescription::parse(&format!(
            "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio {port} RTP/AVP {codecs}\r\n{extra}"
        ))
        .unwrap()
    }

    #[test]
    fn same_codec_when_the_caller_has_it() {
        let caller = sdp(4000, "0 8 101", "a=rtpmap:101 telephone-event/8000\r\n");
        let callee = sdp(5000, "8 96", "a=rtpmap:96 telephone-event/8000\r\n");
        let (a, b, local) =
            caller_answer(&caller, &callee, "192.0.2.1".parse().unwrap(), 10000).unwrap();
        assert_eq!(
            a.format,
            LegFormat {
                codec: Codec::Pcma,
                codec_pt: 8,
                dtmf_pt: Some(101)
            }
        );
        assert_eq!(
            b.format,
            LegFormat {
                codec: Codec::Pcma,
                codec_pt: 8,
                dtmf_pt: Some(96)
            }
        );
        assert_eq!(a.remote, Some("10.0.0.1:4000".parse().unwrap()));
        assert_eq!(local.codecs, vec![(Codec::Pcma, 8)]);
        assert_eq!(local.telephone_event, Some(101));
        assert_eq!(local.port, 10000);
    }

    #[test]
    fn conversion_when_the_caller_lacks_the_callees_codec() {
        let caller = sdp(4000, "0", "");
        let callee = sdp(5000, "8", "");
        let (a, b, local) =
            caller_answer(&caller, &callee, "192.0.2.1".parse().unwrap(), 10000).unwrap();
        assert_eq!(a.format.codec, Codec::Pcmu);
        assert_eq!(b.format.codec, Codec::Pcma);
        assert_eq!(
            local.telephone_event, None,
            "the caller did not offer DTMF events"
        );
    }

    #[test]
    fn offers_everything_we_relay() {
        let caller = sdp(4000, "8", "a=sendonly\r\n");
        let offer = callee_offer(&caller, "192.0.2.1".parse().unwrap(), 10002);
        assert_eq!(offer.codecs, vec![(Codec::Pcma, 8), (Codec::Pcmu, 0)]);
        assert_eq!(offer.telephone_event, Some(101));
        assert_eq!(offer.direction, Direction::SendOnly);
    }
}
