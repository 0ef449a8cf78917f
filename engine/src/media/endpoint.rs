//! The media of a call Switchboard answers itself (an application call): one leg whose
//! far end is us. It plays audio to the caller paced at 20 ms (silence between prompts,
//! so the stream never stops) and reports the keys the caller presses, as RFC 4733 events
//! or, for phones that send none, as tones in the audio.

use super::bridge::{MediaLeg, Peer};
use super::dtmf::EventReceiver;
use super::inband::InbandDetector;
use super::rtp::Latch;
use crate::sdp::Codec;
use audio_codec_algorithms::{decode_alaw, decode_ulaw, encode_alaw, encode_ulaw};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// Samples in one 20 ms frame at 8 kHz.
pub const FRAME: usize = 160;

/// Orders to a running endpoint.
#[derive(Debug)]
pub enum EndpointCommand {
    /// Play `audio` (8 kHz mono) `loops` times (0: until stopped); replaces what plays.
    Play {
        id: u64,
        audio: Arc<[i16]>,
        loops: u32,
    },
    /// Stop playing (silence follows).
    StopPlayback,
    /// A new SDP from the peer (re-INVITE).
    Update(Peer),
    /// Start keeping what the caller says; report [`EndpointEvent::Silence`] after
    /// `silence` without voice, if given.
    StartRecording { silence: Option<Duration> },
    /// Stop, and send what was recorded (8 kHz samples).
    StopRecording(oneshot::Sender<Vec<i16>>),
    /// End, handing the leg's sockets back (to bridge them to another leg).
    Release(oneshot::Sender<MediaLeg>),
}

/// What an endpoint reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointEvent {
    /// The audio of `Play { id }` played to its end.
    PlaybackDone { id: u64 },
    /// The caller pressed a key (an RFC 4733 event, or tones in the audio).
    Key(char),
    /// The peer sent nothing for the configured time.
    RtpTimeout,
    /// While recording: no voice for the asked time.
    Silence,
}

/// Controls a running endpoint; dropping it stops the endpoint and frees its ports.
#[derive(Debug)]
pub struct EndpointHandle {
    commands: mpsc::UnboundedSender<EndpointCommand>,
    task: tokio::task::JoinHandle<()>,
    next_id: u64,
    runtime: tokio::runtime::Handle,
}

impl EndpointHandle {
    /// Starts playing `audio`; returns the id its [`EndpointEvent::PlaybackDone`] carries.
    pub fn play(&mut self, audio: Arc<[i16]>, loops: u32) -> u64 {
        self.next_id += 1;
        let id = self.next_id;
        let _ = self
            .commands
            .send(EndpointCommand::Play { id, audio, loops });
        id
    }

    pub fn stop_playback(&self) {
        let _ = self.commands.send(EndpointCommand::StopPlayback);
    }

    pub fn update(&self, peer: Peer) {
        let _ = self.commands.send(EndpointCommand::Update(peer));
    }

    pub fn start_recording(&self, silence: Option<Duration>) {
        let _ = self
            .commands
            .send(EndpointCommand::StartRecording { silence });
    }

    /// What was recorded since [`EndpointHandle::start_recording`].
    pub async fn stop_recording(&self) -> Vec<i16> {
        let (tx, rx) = oneshot::channel();
        if self
            .commands
            .send(EndpointCommand::StopRecording(tx))
            .is_err()
        {
            return Vec::new();
        }
        rx.await.unwrap_or_default()
    }

    /// Stops the media and waits until its sockets are closed.
    pub async fn stop(self) {
        drop(self.commands);
        let _ = self.task.await;
    }

    /// Ends the endpoint and returns its leg (None if it had already ended). The
    /// handle stays usable: orders to an ended endpoint are ignored.
    pub async fn release(&self) -> Option<MediaLeg> {
        let (tx, rx) = oneshot::channel();
        self.commands.send(EndpointCommand::Release(tx)).ok()?;
        rx.await.ok()
    }

    /// The media runtime this endpoint's sockets live on.
    pub fn runtime(&self) -> &tokio::runtime::Handle {
        &self.runtime
    }
}

/// Starts the endpoint of `leg` towards `peer` on the leg's media thread.
pub fn start(
    leg: MediaLeg,
    peer: Peer,
    rtp_timeout: Duration,
    events: mpsc::UnboundedSender<EndpointEvent>,
) -> EndpointHandle {
    let (commands, rx) = mpsc::unbounded_channel();
    let runtime = leg.runtime().clone();
    let task = runtime.spawn(run(leg, peer, rtp_timeout, rx, events));
    EndpointHandle {
        commands,
        task,
        next_id: 0,
        runtime,
    }
}

/// A frame louder than this (mean square, 16-bit scale; about -40 dBFS) is voice.
pub const VOICE_LEVEL: f64 = 1.0e5;

/// Mean square of a frame.
pub fn energy(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    samples.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / samples.len() as f64
}

/// What the caller says while `record` runs.
struct Recorder {
    samples: Vec<i16>,
    silence: Option<Duration>,
    last_voice: Instant,
    reported: bool,
}

/// What is being played.
struct Playing {
    id: u64,
    audio: Arc<[i16]>,
    position: usize,
    loops_left: Option<u32>,
}

impl Playing {
    /// The next frame, or None at the end. A short last frame is padded with silence.
    fn next_frame(&mut self, frame: &mut [i16; FRAME]) -> bool {
        if self.audio.is_empty() {
            return false;
        }
        if self.position >= self.audio.len() {
            match &mut self.loops_left {
                Some(0) | Some(1) => return false,
                Some(n) => *n -= 1,
                None => {}
            }
            self.position = 0;
        }
        let end = (self.position + FRAME).min(self.audio.len());
        let chunk = &self.audio[self.position..end];
        frame[..chunk.len()].copy_from_slice(chunk);
        frame[chunk.len()..].fill(0);
        self.position = end;
        true
    }
}

/// Sequence number, timestamp and SSRC of the audio this endpoint makes: one source,
/// which the leg's stream ([`super::stream`]) maps onto what the phone has heard so far.
struct Sender {
    seq: u16,
    timestamp: u32,
    ssrc: u32,
    marker: bool,
}

impl Sender {
    fn new() -> Self {
        let mut seed = [0u8; 10];
        let _ = getrandom::fill(&mut seed);
        Self {
            seq: u16::from_be_bytes([seed[0], seed[1]]),
            timestamp: u32::from_be_bytes([seed[2], seed[3], seed[4], seed[5]]),
            ssrc: u32::from_be_bytes([seed[6], seed[7], seed[8], seed[9]]),
            marker: true,
        }
    }

    /// One RTP packet carrying `frame` encoded with `codec`.
    fn packet(&mut self, codec: Codec, pt: u8, frame: &[i16; FRAME], out: &mut Vec<u8>) {
        out.clear();
        out.push(0x80);
        out.push(if self.marker { 0x80 | pt } else { pt });
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        let encode = match codec {
            Codec::Pcmu => encode_ulaw,
            Codec::Pcma => encode_alaw,
        };
        out.extend(frame.iter().map(|s| encode(*s)));
        self.marker = false;
        self.seq = self.seq.wrapping_add(1);
        self.timestamp = self.timestamp.wrapping_add(FRAME as u32);
    }
}

/// Sends the next 20 ms: the current playback's next frame, or silence.
#[allow(clippy::too_many_arguments)] // The loop's state, borrowed piecewise.
fn send_frame(
    playing: &mut Option<Playing>,
    frame: &mut [i16; FRAME],
    sender: &mut Sender,
    out: &mut Vec<u8>,
    leg: &mut MediaLeg,
    latch: &Latch,
    peer: &Peer,
    events: &mpsc::UnboundedSender<EndpointEvent>,
) {
    let mut finished = None;
    let has_audio = match playing.as_mut() {
        Some(p) => {
            let more = p.next_frame(frame);
            if !more {
                finished = Some(p.id);
            }
            more
        }
        None => false,
    };
    if let Some(id) = finished {
        let _ = events.send(EndpointEvent::PlaybackDone { id });
        *playing = None;
    }
    if !has_audio {
        frame.fill(0);
    }
    if let Some(target) = latch.target() {
        sender.packet(peer.format.codec, peer.format.codec_pt, frame, out);
        let _ = leg.send_rtp(out, target, Instant::now());
    }
}

async fn run(
    mut leg: MediaLeg,
    mut peer: Peer,
    rtp_timeout: Duration,
    mut commands: mpsc::UnboundedReceiver<EndpointCommand>,
    events: mpsc::UnboundedSender<EndpointEvent>,
) {
    // What we play now is a new source for the phone (after a bridge, or a previous
    // endpoint on this leg), on the same stream.
    leg.cut();
    let mut latch = Latch::new(peer.address);
    let mut keys = EventReceiver::default();
    let mut inband = InbandDetector::default();
    let mut rfc4733_seen = false;
    let mut heard: Vec<i16> = Vec::with_capacity(FRAME);
    let mut inband_keys = Vec::new();
    let mut recorder: Option<Recorder> = None;
    let mut sender = Sender::new();
    let mut playing: Option<Playing> = None;
    let mut frame = [0i16; FRAME];
    let mut out = Vec::with_capacity(12 + FRAME);
    let mut buf = [0u8; 1500];
    let mut rtcp_buf = [0u8; 1500];
    // Paced by the shared pacer (`super::pacer`): tokio timers would add up to 1 ms of
    // jitter to every frame.
    let mut tick = super::pacer::shared().clock();
    let mut watching_since = Instant::now();
    let mut reported_silence = false;
    let mut ticks: u32 = 0;
    loop {
        tokio::select! {
            biased;
            r = leg.rtp().recv_from(&mut buf) => {
                let Ok((n, source)) = r else { continue };
                if !latch.accept(source, super::rtp::ssrc_of(&buf[..n], false), Instant::now()) {
                    continue;
                }
                let Ok(reader) = rtp_rs::RtpReader::new(&buf[..n]) else { continue };
                let pt = reader.payload_type();
                if Some(pt) == peer.format.dtmf_pt {
                    // A phone that sends events may also leave the tones in its audio:
                    // from now on only the events count.
                    rfc4733_seen = true;
                    if let Some(key) = keys.receive(reader.timestamp(), reader.payload()) {
                        let _ = events.send(EndpointEvent::Key(key));
                    }
                } else if pt == peer.format.codec_pt && (!rfc4733_seen || recorder.is_some()) {
                    let decode = match peer.format.codec {
                        Codec::Pcmu => decode_ulaw,
                        Codec::Pcma => decode_alaw,
                    };
                    heard.clear();
                    heard.extend(reader.payload().iter().map(|b| decode(*b)));
                    if let Some(r) = recorder.as_mut() {
                        // A runaway recording is bounded by the verb's max_length; this
                        // guards memory if the verb's timer ever failed (4 h at 8 kHz).
                        if r.samples.len() < 8000 * 14_400 {
                            r.samples.extend_from_slice(&heard);
                        }
                        if energy(&heard) > VOICE_LEVEL {
                            r.last_voice = Instant::now();
                        }
                    }
                    if !rfc4733_seen {
                        inband_keys.clear();
                        inband.feed(&heard, &mut inband_keys);
                        for key in inband_keys.drain(..) {
                            let _ = events.send(EndpointEvent::Key(key));
                        }
                    }
                }
            }
            // RTCP: read and ignore, so the socket's buffer never fills.
            _ = leg.rtcp().recv_from(&mut rtcp_buf) => {}
            () = tick.tick() => {
                send_frame(&mut playing, &mut frame, &mut sender, &mut out, &mut leg, &latch, &peer, &events);
                if let Some(r) = recorder.as_mut()
                    && let Some(limit) = r.silence
                    && !r.reported
                    && r.last_voice.elapsed() >= limit
                {
                    r.reported = true;
                    let _ = events.send(EndpointEvent::Silence);
                }
                ticks = ticks.wrapping_add(1);
                if ticks.is_multiple_of(50) && peer.sends && !reported_silence {
                    let now = Instant::now();
                    let since = latch.last_packet().filter(|t| *t > watching_since).unwrap_or(watching_since);
                    if now.duration_since(since) >= rtp_timeout {
                        reported_silence = true;
                        let _ = events.send(EndpointEvent::RtpTimeout);
                    }
                }
            }
            command = commands.recv() => match command {
                None => break,
                Some(EndpointCommand::Play { id, audio, loops }) => {
                    if let Some(p) = playing.take() {
                        let _ = events.send(EndpointEvent::PlaybackDone { id: p.id });
                    }
                    playing = Some(Playing { id, audio, position: 0, loops_left: (loops > 0).then_some(loops) });
                    // The first frame goes now, not at the next tick (up to 20 ms later):
                    // a prompt starts the moment it is asked for; pacing restarts here.
                    sender.marker = true;
                    send_frame(&mut playing, &mut frame, &mut sender, &mut out, &mut leg, &latch, &peer, &events);
                    tick = super::pacer::shared().clock();
                }
                Some(EndpointCommand::StopPlayback) => {
                    if let Some(p) = playing.take() {
                        let _ = events.send(EndpointEvent::PlaybackDone { id: p.id });
                    }
                }
                Some(EndpointCommand::Release(reply)) => {
                    let _ = reply.send(leg);
                    return;
                }
                Some(EndpointCommand::StartRecording { silence }) => {
                    recorder = Some(Recorder {
                        samples: Vec::with_capacity(8000 * 10),
                        silence,
                        last_voice: Instant::now(),
                        reported: false,
                    });
                }
                Some(EndpointCommand::StopRecording(reply)) => {
                    let samples = recorder.take().map(|r| r.samples).unwrap_or_default();
                    let _ = reply.send(samples);
                }
                Some(EndpointCommand::Update(new_peer)) => {
                    if new_peer.address != peer.address {
                        latch.resignal(new_peer.address);
                    }
                    peer = new_peer;
                    watching_since = Instant::now();
                    reported_silence = false;
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn playback_frames_loops_and_padding() {
        let audio: Arc<[i16]> = (0..200).map(|i| i as i16).collect::<Vec<_>>().into();
        let mut p = Playing {
            id: 1,
            audio,
            position: 0,
            loops_left: Some(2),
        };
        let mut frame = [0i16; FRAME];
        assert!(p.next_frame(&mut frame));
        assert_eq!(frame[159], 159);
        assert!(p.next_frame(&mut frame));
        assert_eq!((frame[0], frame[39], frame[40]), (160, 199, 0));
        assert!(p.next_frame(&mut frame), "second loop");
        assert_eq!(frame[0], 0);
        assert!(p.next_frame(&mut frame));
        assert!(!p.next_frame(&mut frame), "two loops played");
    }

    #[test]
    fn packets_are_rtp_with_running_sequence_and_timestamp() {
        let mut s = Sender::new();
        let mut out = Vec::new();
        let frame = [0i16; FRAME];
        s.packet(Codec::Pcmu, 0, &frame, &mut out);
        let first = rtp_rs::RtpReader::new(&out).unwrap();
        assert_eq!(
            (first.payload_type(), first.mark(), first.payload().len()),
            (0, true, 160)
        );
        assert!(first.payload().iter().all(|b| *b == 0xff), "µ-law silence");
        let (seq, ts) = (first.sequence_number(), first.timestamp());
        s.packet(Codec::Pcma, 8, &frame, &mut out);
        let second = rtp_rs::RtpReader::new(&out).unwrap();
        assert_eq!(second.sequence_number(), seq.next());
        assert_eq!(second.timestamp(), ts.wrapping_add(160));
        assert!(!second.mark());
        assert!(second.payload().iter().all(|b| *b == 0xd5), "A-law silence");
    }
}
