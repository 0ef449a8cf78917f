//! SDP (RFC 4566) for audio calls, and the offer/answer rules of RFC 3264 that an
//! anchoring B2BUA needs: read what a peer offers or answers, choose a codec, and write
//! our own session descriptions pointing at our RTP ports. Pure: text in, text out.

use std::fmt::Write as _;
use std::net::IpAddr;

/// The codecs the media engine relays (and converts between).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// G.711 µ-law, static payload type 0.
    Pcmu,
    /// G.711 A-law, static payload type 8.
    Pcma,
}

impl Codec {
    pub fn payload_type(self) -> u8 {
        match self {
            Self::Pcmu => 0,
            Self::Pcma => 8,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Pcmu => "PCMU",
            Self::Pcma => "PCMA",
        }
    }

    fn from_rtpmap(name: &str, rate: u32) -> Option<Self> {
        match (name.to_ascii_uppercase().as_str(), rate) {
            ("PCMU", 8000) => Some(Self::Pcmu),
            ("PCMA", 8000) => Some(Self::Pcma),
            _ => None,
        }
    }
}

/// Media direction (RFC 3264 §5.1); hold is `SendOnly` or `Inactive` from the holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    #[default]
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    pub fn attribute(self) -> &'static str {
        match self {
            Self::SendRecv => "sendrecv",
            Self::SendOnly => "sendonly",
            Self::RecvOnly => "recvonly",
            Self::Inactive => "inactive",
        }
    }

    /// The direction to answer with, seen from the other side.
    pub fn reversed(self) -> Self {
        match self {
            Self::SendOnly => Self::RecvOnly,
            Self::RecvOnly => Self::SendOnly,
            other => other,
        }
    }

    /// Does the side that wrote this direction send media?
    pub fn sends(self) -> bool {
        matches!(self, Self::SendRecv | Self::SendOnly)
    }
}

/// What a peer's SDP says about its audio stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioDescription {
    /// Where the peer wants RTP (address from `c=`, port from `m=`). Port 0 means the
    /// stream is rejected or disabled.
    pub address: IpAddr,
    pub port: u16,
    /// Codecs we can relay, in the peer's order of preference, with their payload types.
    pub codecs: Vec<(Codec, u8)>,
    /// RFC 4733 `telephone-event/8000` payload type, if offered.
    pub telephone_event: Option<u8>,
    pub direction: Direction,
    pub ptime: Option<u32>,
    /// Number of other media lines (video, …) that we will refuse.
    pub other_media: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdpError {
    #[error("SDP has no audio stream")]
    NoAudio,
    #[error("SDP has no usable connection address")]
    NoAddress,
    #[error("malformed SDP line: {0}")]
    Malformed(String),
    #[error("none of the offered codecs is supported (PCMU or PCMA at 8 kHz are)")]
    NoCommonCodec,
}

impl AudioDescription {
    /// Reads the first audio stream of an SDP body.
    pub fn parse(body: &str) -> Result<Self, SdpError> {
        let mut session_addr: Option<IpAddr> = None;
        let mut session_direction = Direction::SendRecv;
        let mut audio: Option<RawMedia> = None;
        let mut other_media = 0;
        let mut current: Option<RawMedia> = None;
        let mut in_audio = false;

        for line in body.lines() {
            let line = line.trim_end_matches('\r');
            if line.is_empty() {
                continue;
            }
            let (kind, value) = line
                .split_once('=')
                .ok_or_else(|| SdpError::Malformed(line.to_owned()))?;
            match kind {
                "m" => {
                    if let Some(done) = current.take() {
                        if in_audio && audio.is_none() {
                            audio = Some(done);
                        } else {
                            other_media += 1;
                        }
                    }
                    let media = RawMedia::from_m_line(value)?;
                    in_audio = media.is_audio;
                    current = Some(media);
                }
                "c" => {
                    let addr = parse_connection(value)?;
                    match current.as_mut() {
                        Some(m) => m.address = Some(addr),
                        None => session_addr = Some(addr),
                    }
                }
                "a" => {
                    let direction = match value {
                        "sendrecv" => Some(Direction::SendRecv),
                        "sendonly" => Some(Direction::SendOnly),
                        "recvonly" => Some(Direction::RecvOnly),
                        "inactive" => Some(Direction::Inactive),
                        _ => None,
                    };
                    match (current.as_mut(), direction) {
                        (Some(m), Some(d)) => m.direction = Some(d),
                        (None, Some(d)) => session_direction = d,
                        (Some(m), None) => m.attribute(value),
                        (None, None) => {}
                    }
                }
                _ => {}
            }
        }
        if let Some(done) = current.take() {
            if in_audio && audio.is_none() {
                audio = Some(done);
            } else {
                other_media += 1;
            }
        }
        let raw = audio.ok_or(SdpError::NoAudio)?;
        let address = raw.address.or(session_addr).ok_or(SdpError::NoAddress)?;
        let mut codecs = Vec::new();
        let mut telephone_event = None;
        for pt in &raw.payload_types {
            let mapped = raw.rtpmap.iter().find(|(p, _, _)| p == pt);
            match mapped {
                Some((_, name, rate))
                    if name.eq_ignore_ascii_case("telephone-event") && *rate == 8000 =>
                {
                    telephone_event.get_or_insert(*pt);
                }
                Some((_, name, rate)) => {
                    if let Some(codec) = Codec::from_rtpmap(name, *rate) {
                        codecs.push((codec, *pt));
                    }
                }
                // Static payload types need no rtpmap.
                None if *pt == 0 => codecs.push((Codec::Pcmu, 0)),
                None if *pt == 8 => codecs.push((Codec::Pcma, 8)),
                None => {}
            }
        }
        Ok(AudioDescription {
            address,
            port: raw.port,
            codecs,
            telephone_event,
            direction: raw.direction.unwrap_or(session_direction),
            ptime: raw.ptime,
            other_media,
        })
    }

    /// The payload type this description uses for `codec`.
    pub fn payload_type_of(&self, codec: Codec) -> Option<u8> {
        self.codecs
            .iter()
            .find(|(c, _)| *c == codec)
            .map(|(_, pt)| *pt)
    }

    /// The codec we answer an offer with: `preferred` when the offer has it (so the two
    /// legs of a call need no conversion), else the offer's first supported codec.
    pub fn choose(&self, preferred: Option<Codec>) -> Result<Codec, SdpError> {
        if let Some(p) = preferred
            && self.payload_type_of(p).is_some()
        {
            return Ok(p);
        }
        self.codecs
            .first()
            .map(|(c, _)| *c)
            .ok_or(SdpError::NoCommonCodec)
    }
}

/// One `m=` section while parsing.
#[derive(Debug, Default)]
struct RawMedia {
    is_audio: bool,
    port: u16,
    payload_types: Vec<u8>,
    address: Option<IpAddr>,
    direction: Option<Direction>,
    rtpmap: Vec<(u8, String, u32)>,
    ptime: Option<u32>,
}

impl RawMedia {
    fn from_m_line(value: &str) -> Result<Self, SdpError> {
        let bad = || SdpError::Malformed(format!("m={value}"));
        let mut parts = value.split_whitespace();
        let media = parts.next().ok_or_else(bad)?;
        let port_part = parts.next().ok_or_else(bad)?;
        let port = port_part
            .split('/')
            .next()
            .unwrap_or("")
            .parse::<u16>()
            .map_err(|_| bad())?;
        let proto = parts.next().ok_or_else(bad)?;
        // Plain RTP only: SRTP (RTP/SAVP…) streams count as streams we refuse.
        let is_audio = media == "audio" && matches!(proto, "RTP/AVP" | "RTP/AVPF");
        let payload_types = parts.filter_map(|p| p.parse::<u8>().ok()).collect();
        Ok(Self {
            is_audio,
            port,
            payload_types,
            ..Self::default()
        })
    }

    fn attribute(&mut self, value: &str) {
        if let Some(rest) = value.strip_prefix("rtpmap:") {
            let mut it = rest.splitn(2, ' ');
            let (Some(pt), Some(enc)) = (it.next(), it.next()) else {
                return;
            };
            let Ok(pt) = pt.trim().parse::<u8>() else {
                return;
            };
            let mut enc = enc.trim().split('/');
            let name = enc.next().unwrap_or("").to_owned();
            let rate = enc.next().and_then(|r| r.parse().ok()).unwrap_or(0);
            self.rtpmap.push((pt, name, rate));
        } else if let Some(p) = value.strip_prefix("ptime:") {
            self.ptime = p.trim().parse().ok();
        }
    }
}

fn parse_connection(value: &str) -> Result<IpAddr, SdpError> {
    // c=IN IP4 192.0.2.1  (a multicast TTL suffix "/127" is ignored)
    let mut parts = value.split_whitespace();
    let (Some("IN"), Some(_), Some(addr)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(SdpError::Malformed(format!("c={value}")));
    };
    addr.split('/')
        .next()
        .unwrap_or("")
        .parse()
        .map_err(|_| SdpError::Malformed(format!("c={value}")))
}

/// Our side of a stream: what we write in an offer or an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalAudio {
    pub address: IpAddr,
    pub port: u16,
    /// Codecs with the payload types to announce, in order of preference.
    pub codecs: Vec<(Codec, u8)>,
    pub telephone_event: Option<u8>,
    pub direction: Direction,
}

/// Writes SDP session descriptions with a stable origin: the version goes up with each
/// new description of the same session (RFC 3264 §8).
#[derive(Debug, Clone)]
pub struct SessionWriter {
    session_id: u64,
    version: u64,
}

impl SessionWriter {
    pub fn new(session_id: u64) -> Self {
        Self {
            session_id,
            version: session_id,
        }
    }

    pub fn write(&mut self, local: &LocalAudio) -> String {
        let version = self.version;
        self.version += 1;
        let ip_kind = if local.address.is_ipv4() {
            "IP4"
        } else {
            "IP6"
        };
        let mut payload_types: Vec<String> =
            local.codecs.iter().map(|(_, pt)| pt.to_string()).collect();
        if let Some(te) = local.telephone_event {
            payload_types.push(te.to_string());
        }
        let mut sdp = String::with_capacity(320);
        let _ = write!(
            sdp,
            "v=0\r\no=switchboard {} {} IN {ip_kind} {}\r\ns=switchboard\r\nc=IN {ip_kind} {}\r\nt=0 0\r\nm=audio {} RTP/AVP {}\r\n",
            self.session_id,
            version,
            local.address,
            local.address,
            local.port,
            payload_types.join(" "),
        );
        for (codec, pt) in &local.codecs {
            let _ = write!(sdp, "a=rtpmap:{pt} {}/8000\r\n", codec.name());
        }
        if let Some(te) = local.telephone_event {
            let _ = write!(
                sdp,
                "a=rtpmap:{te} telephone-event/8000\r\na=fmtp:{te} 0-16\r\n"
            );
        }
        let _ = write!(sdp, "a=ptime:20\r\na={}\r\n", local.direction.attribute());
        sdp
    }
}

/// The payload type we announce for telephone-event when we make the offer.
pub const OFFER_TELEPHONE_EVENT: u8 = 101;

/// Our offer towards a callee: the codecs we relay, in the caller's order of preference
/// (so the callee is likely to pick what the caller has, and nothing is converted).
pub fn offer_codecs(caller: &AudioDescription) -> Vec<(Codec, u8)> {
    let mut codecs: Vec<(Codec, u8)> = caller
        .codecs
        .iter()
        .map(|(c, _)| (*c, c.payload_type()))
        .collect();
    for c in [Codec::Pcmu, Codec::Pcma] {
        if !codecs.iter().any(|(x, _)| *x == c) {
            codecs.push((c, c.payload_type()));
        }
    }
    codecs.dedup_by_key(|(c, _)| *c);
    codecs
}

#[cfg(test)]
mod tests {
    use super::*;

    const BARESIP_OFFER: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
        m=audio 10004 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n\
        a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\na=sendrecv\r\n";

    #[test]
    fn reads_a_softphone_offer() {
        let d = AudioDescription::parse(BARESIP_OFFER).unwrap();
        assert_eq!(d.address, "127.0.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(d.port, 10004);
        assert_eq!(d.codecs, vec![(Codec::Pcmu, 0), (Codec::Pcma, 8)]);
        assert_eq!(d.telephone_event, Some(101));
        assert_eq!(d.direction, Direction::SendRecv);
        assert_eq!(d.ptime, Some(20));
    }

    #[test]
    fn media_level_values_win_and_other_streams_are_counted() {
        let sdp = "v=0\no=- 1 1 IN IP4 10.0.0.1\ns=-\nc=IN IP4 10.0.0.1\nt=0 0\na=sendonly\n\
            m=video 9000 RTP/AVP 96\na=rtpmap:96 H264/90000\n\
            m=audio 4000 RTP/AVP 8 96\nc=IN IP4 10.0.0.2\na=rtpmap:96 telephone-event/8000\na=inactive\n";
        let d = AudioDescription::parse(sdp).unwrap();
        assert_eq!(d.address, "10.0.0.2".parse::<IpAddr>().unwrap());
        assert_eq!(
            d.codecs,
            vec![(Codec::Pcma, 8)],
            "static type 8 without rtpmap"
        );
        assert_eq!(d.telephone_event, Some(96));
        assert_eq!(d.direction, Direction::Inactive);
        assert_eq!(d.other_media, 1);
    }

    #[test]
    fn refusals() {
        assert_eq!(
            AudioDescription::parse("v=0\r\n").unwrap_err(),
            SdpError::NoAudio
        );
        let opus =
            "v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 5000 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n";
        let d = AudioDescription::parse(opus).unwrap();
        assert_eq!(d.choose(None).unwrap_err(), SdpError::NoCommonCodec);
        assert!(matches!(
            AudioDescription::parse("garbage"),
            Err(SdpError::Malformed(_))
        ));
        let no_c = "v=0\r\nm=audio 5000 RTP/AVP 0\r\n";
        assert_eq!(
            AudioDescription::parse(no_c).unwrap_err(),
            SdpError::NoAddress
        );
    }

    #[test]
    fn choosing_prefers_the_other_legs_codec() {
        let d = AudioDescription::parse(BARESIP_OFFER).unwrap();
        assert_eq!(d.choose(None).unwrap(), Codec::Pcmu);
        assert_eq!(d.choose(Some(Codec::Pcma)).unwrap(), Codec::Pcma);
        let only_alaw = "v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 5000 RTP/AVP 8\r\n";
        let d = AudioDescription::parse(only_alaw).unwrap();
        assert_eq!(d.choose(Some(Codec::Pcmu)).unwrap(), Codec::Pcma);
    }

    #[test]
    fn writes_what_it_reads_back() {
        let mut w = SessionWriter::new(42);
        let local = LocalAudio {
            address: "192.0.2.7".parse().unwrap(),
            port: 10000,
            codecs: vec![(Codec::Pcma, 8), (Codec::Pcmu, 0)],
            telephone_event: Some(101),
            direction: Direction::SendOnly,
        };
        let first = w.write(&local);
        let second = w.write(&local);
        assert!(first.contains("o=switchboard 42 42 IN IP4 192.0.2.7"));
        assert!(
            second.contains("o=switchboard 42 43 IN IP4 192.0.2.7"),
            "version goes up"
        );
        let d = AudioDescription::parse(&first).unwrap();
        assert_eq!(d.port, 10000);
        assert_eq!(d.codecs, local.codecs);
        assert_eq!(d.telephone_event, Some(101));
        assert_eq!(d.direction, Direction::SendOnly);
    }

    #[test]
    fn offers_follow_the_callers_preference() {
        let only_alaw =
            AudioDescription::parse("v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 5000 RTP/AVP 8\r\n")
                .unwrap();
        assert_eq!(
            offer_codecs(&only_alaw),
            vec![(Codec::Pcma, 8), (Codec::Pcmu, 0)]
        );
        assert_eq!(Direction::SendOnly.reversed(), Direction::RecvOnly);
    }
}
