//! What goes in and out of a [`CallProgram`](super::CallProgram): plain data, no I/O.

use crate::outcome::{EndedBy, Outcome};
use crate::ring;
use contract::models::calls::CallStatus;
use contract::verbs::{DialStrategy, DialTarget, Verb, VerbError};
use contract::webhook::{CallError, CallEvent};
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// Audio, 8 kHz mono 16-bit samples.
pub type Audio = Arc<[i16]>;

/// How a call's program starts.
#[derive(Debug, Clone, PartialEq)]
pub enum Start {
    /// Ask the application (its voice URL, with its method).
    Fetch,
    /// Fetch this document (POST).
    FetchUrl(Url),
    /// Run these verbs (a built-in document, or verbs given to the REST API).
    Verbs(Vec<Verb>),
}

/// Orders to a live call from the REST API.
#[derive(Debug, Clone, PartialEq)]
pub enum Rest {
    /// Stop what it does and continue with the document at this URL.
    Redirect(Url),
    /// Stop what it does and continue with these verbs.
    Verbs(Vec<Verb>),
    /// End it.
    Hangup,
}

/// The fields a webhook request carries for one event (the driver adds the call's).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields {
    pub digits: Option<String>,
    pub dial_call_status: Option<CallStatus>,
    pub dial_call_sid: Option<String>,
    pub recording: Option<Recording>,
    pub queue_time: Option<u32>,
    pub reason: Option<String>,
}

/// A recording saved during the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    pub sid: String,
    /// Where the API serves its audio.
    pub url: String,
    pub duration_ms: u64,
}

/// A verb document and the URL it came from (relative URLs inside resolve against it).
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub url: Url,
    pub verbs: Vec<Verb>,
}

/// Why no usable document came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchFailure {
    /// `webhook_failed`, `invalid_document`, `invalid_url`, `loop`,
    /// `unknown_destination`, `destination_loop`.
    pub code: &'static str,
    pub message: String,
    /// The URL that failed or answered the invalid document.
    pub url: Option<String>,
    pub document: Option<VerbError>,
}

/// Audio a verb needs loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AudioSource {
    /// A stored recording, by name or id.
    Recording(String),
    /// A WAV file at a URL.
    Url(Url),
    /// Speech synthesized from text.
    Speech {
        text: String,
        language: Option<String>,
        voice: Option<String>,
    },
}

/// How the party (the caller, or the callee of a call we placed) went away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gone {
    /// CANCEL before the answer.
    Cancelled,
    /// BYE.
    HungUp,
    /// We answered and no ACK came.
    NoAck,
}

/// What a rung leg's dialog said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegSaid {
    /// 100 Trying.
    Trying,
    /// 180 or 183; `sdp` when it carried an answer.
    Ringing { sdp: bool },
    /// 200; `sdp` when it carried an answer.
    Answered { sdp: bool },
    /// Its dialog ended with `code`; `hung_up` when it was the party's BYE (or a dead
    /// dialog) after the answer.
    Ended { code: u16, hung_up: bool },
}

impl LegSaid {
    /// The ringer's view of it.
    pub fn ring_event(self, leg: ring::LegId) -> ring::Event {
        match self {
            Self::Trying => ring::Event::Trying { leg },
            Self::Ringing { sdp } => ring::Event::Ringing { leg, sdp },
            Self::Answered { sdp } => ring::Event::Answered { leg, sdp },
            Self::Ended { code, .. } => ring::Event::Failed { leg, code },
        }
    }
}

/// Whom a `dial` rings and when: one ringer target per party (no branch: nothing to
/// ring, like an extension without a registered device) and the strategy's stages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RingPlan {
    pub targets: Vec<ring::Target>,
    pub stages: Vec<ring::Stage>,
    /// Targets that could not be used: error code and message (reported, skipped).
    pub problems: Vec<(&'static str, String)>,
    /// Nothing can be rung at all (no media sockets for the party): the dial fails.
    pub unavailable: bool,
    /// For each of `targets`, the index of the verb's target it comes from (targets
    /// that could not be used have no entry).
    pub origins: Vec<usize>,
}

/// How a screened leg answered its prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screening {
    /// It pressed the accepting key.
    Accepted,
    /// It pressed another key.
    Refused,
    /// No key in time.
    TimedOut,
}

/// Who a dial's INVITEs say is calling; what is None is the party's own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Presented {
    pub number: Option<String>,
    pub name: Option<String>,
}

/// What happened to the call.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The document fetch `id` answered (or failed for good).
    Fetched {
        id: u64,
        result: Result<Document, FetchFailure>,
    },
    /// The party could not be answered (no media ports, no common codec).
    AnswerFailed,
    AudioLoaded {
        id: u64,
        result: Result<Audio, String>,
    },
    /// Playback `id` played to its end.
    PlaybackDone {
        id: u64,
    },
    /// The party pressed a key.
    Key(char),
    /// While recording: no voice for the asked time.
    Silence,
    /// The recording `id` is over: saved, nothing said (None), or not saved.
    Recorded {
        id: u64,
        result: Result<Option<Recording>, String>,
    },
    /// The targets of the dial `id`, resolved.
    Resolved {
        id: u64,
        plan: RingPlan,
    },
    /// A rung leg said something.
    Leg {
        leg: ring::LegId,
        said: LegSaid,
    },
    /// The answered leg being screened ([`Command::Screen`]) answered the prompt.
    Screened {
        leg: ring::LegId,
        result: Result<Screening, String>,
    },
    /// The party's media is bridged (to a dialled leg, or through): the dialled call's
    /// record is `child`.
    Bridged {
        child: String,
    },
    /// A bridge carries no RTP from the party (`party`) or from the other side.
    BridgeTimeout {
        party: bool,
    },
    /// The bridge is over (the party's media is ours again, if answered), with the
    /// conversation's recording when one was asked.
    Unbridged {
        recording: Result<Option<Recording>, String>,
    },
    /// The party joined a queue at `position` (1: next).
    QueueJoined {
        position: usize,
    },
    /// An agent picked the waiting party up (the driver holds its media).
    QueuePickedUp {
        agent: String,
    },
    /// A `dial` to a queue took this waiting caller (None: nobody waits).
    QueueTaken {
        caller: Option<String>,
    },
    /// The other side of a queue bridge left: the party's media is ours again.
    QueueBridgeEnded,
    /// The party joined a provisioned queue at `position` (1: next), served by its
    /// agents.
    QueueEntered {
        position: u32,
        settings: crate::acd::QueueSettings,
    },
    /// A provisioned queue did not let the party in.
    QueueRefused {
        exit: crate::acd::QueueExit,
    },
    /// The answer to [`Command::ClaimAgents`] (None: storage failed; try again later).
    QueueClaimed {
        claim: Option<crate::acd::QueueClaim>,
    },
    /// Something changed in the party's queue on this node (an agent is free, a caller
    /// left): a waiting party near the head asks for agents now rather than at its next
    /// turn. `departed` callers left the line since the last wake: the party moved up.
    QueueWake {
        departed: u32,
    },
    PartyGone(Gone),
    /// No RTP from the party for the configured time.
    MediaTimeout,
    /// The party's media did not come back from a bridge: nothing can be played.
    MediaLost,
    /// Orders from the REST API.
    Rest(Rest),
    /// The server is stopping.
    Shutdown,
    /// The running verb's timer fired (the program makes this from
    /// [`CallProgram::handle_timeout`](super::CallProgram::handle_timeout)).
    Timeout,
}

/// What the driver must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Fetch a document from `url` (POST), or from the application's voice URL with
    /// its method (None); the answer comes back as [`Event::Fetched`].
    Fetch {
        id: u64,
        url: Option<Url>,
        fields: Fields,
    },
    /// Find the application answering at `destination` and fetch its document (with
    /// its method); from then on it drives the call. The answer comes back as
    /// [`Event::Fetched`] (a destination that leads nowhere, as a failure).
    Route {
        id: u64,
        destination: contract::types::Destination,
    },
    /// POST to `url` without waiting for the answer (an action after the call ended).
    Notify {
        url: Url,
        fields: Fields,
    },
    /// Queue a status event to `url` (None: the application's status callback).
    Status {
        event: CallEvent,
        fields: Fields,
        url: Option<Url>,
        error: Option<CallError>,
    },
    /// Answer the party (once); a failure comes back as [`Event::AnswerFailed`].
    Answer,
    /// 180 to the unanswered party.
    Ringing,
    /// A final refusal to the unanswered party.
    Reject {
        code: u16,
    },
    /// BYE to the party.
    HangUp,
    LoadAudio {
        id: u64,
        source: AudioSource,
    },
    /// Play `audio` `loops` times (0: until stopped), replacing what plays.
    Play {
        id: u64,
        audio: Audio,
        loops: u32,
    },
    StopPlayback,
    /// Keep what the party says; report [`Event::Silence`] after `silence` without voice.
    StartRecording {
        silence: Option<Duration>,
    },
    /// Stop recording and save it (trailing silence trimmed when `trim`).
    FinishRecording {
        id: u64,
        trim: bool,
    },
    /// Resolve a dial's targets into a [`RingPlan`]; `through`: the party is not
    /// answered and will be connected straight through; `caller`: who the INVITEs
    /// say is calling (None: the party).
    Resolve {
        id: u64,
        targets: Vec<DialTarget>,
        strategy: DialStrategy,
        ring_time: Duration,
        through: bool,
        caller: Presented,
    },
    /// An INVITE, CANCEL or BYE for a rung leg.
    Leg(ring::Command),
    /// Play `prompt` (looped) to the answered `leg` alone and report the first key it
    /// presses within `timeout` as [`Event::Screened`] (its media stays its own, ready
    /// to be bridged; the ringer has not heard of the answer yet).
    Screen {
        leg: ring::LegId,
        prompt: AudioSource,
        key: char,
        timeout: Duration,
    },
    /// 183 to the unanswered party with this leg's early media.
    EarlyMedia {
        leg: ring::LegId,
    },
    /// 200 to the unanswered party, bridged to this leg (answered for it).
    AnswerThrough {
        leg: ring::LegId,
        record: bool,
    },
    /// Bridge the answered party to this leg.
    Bridge {
        leg: ring::LegId,
        record: bool,
    },
    /// End the bridge; the dialled call's record ends with `child`. `resume`: the
    /// call goes on and the party's media is ours again (otherwise it is over).
    Unbridge {
        child: Outcome,
        resume: bool,
    },
    JoinQueue {
        queue: String,
    },
    LeaveQueue {
        queue: String,
    },
    /// Bridge the waiting party to the agent who picked it up.
    BridgePickup,
    /// Ask storage for free members of provisioned `queue` for the waiting party
    /// (reserved for it when it is next); the answer is [`Event::QueueClaimed`]. With
    /// `estimate`, a wait answer carries the estimated wait.
    ClaimAgents {
        queue: String,
        estimate: bool,
    },
    /// Tell storage (and this node's other waiting callers) what happened to the party
    /// in provisioned `queue`.
    QueueChange {
        queue: String,
        change: crate::acd::QueueChange,
    },
    /// A queue event (`queue.joined`, `queue.answered`, `queue.left`) to the status
    /// callback.
    QueueEvent(QueueNews),
    /// Take the caller who waited longest in `queue` and bridge the party to it.
    TakeFromQueue {
        queue: String,
    },
    /// The call is over: its record ends with this outcome.
    Finish(Outcome),
}

impl Command {
    /// An `error` status event.
    pub(super) fn error(
        code: &str,
        message: &str,
        url: Option<String>,
        document: Option<VerbError>,
    ) -> Self {
        Self::Status {
            event: CallEvent::Error,
            fields: Fields::default(),
            url: None,
            error: Some(CallError {
                code: code.to_owned(),
                message: message.to_owned(),
                url,
                document,
            }),
        }
    }
}

/// What a queue event tells the status callback.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueNews {
    /// `queue.joined`, `queue.answered` or `queue.left`.
    pub event: &'static str,
    pub queue: String,
    pub position: Option<u32>,
    pub agent: Option<String>,
    pub wait_seconds: Option<u64>,
    pub reason: Option<&'static str>,
}

/// Who hung up, for a dialled call's record.
pub(super) fn child_outcome(by: EndedBy, reason: &str) -> Outcome {
    Outcome::new(CallStatus::Completed, by, 200, reason)
}
