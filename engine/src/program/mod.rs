//! The verb executor as a pure state machine: a call's program. What happened goes in
//! ([`CallProgram::handle`], [`CallProgram::handle_timeout`] with the time); what to do
//! comes out ([`CallProgram::poll`]): fetch a document, answer, play, record, ring,
//! bridge, send a status event, hang up, finish. No sockets, no tokio, no sleeping: one
//! driver loop (`crate::call::driver`) owns the SIP dialogs, the media and the HTTP
//! client and carries the commands out. The same program runs every call — an
//! application's, a built-in document, a call placed through the REST API.
//!
//! # Layout
//! - this file: documents (fetch, `action`, `redirect`, the redirect loop guard), the
//!   order of verbs, orders from the REST API, the party hanging up, the end.
//! - one file per verb family: [`play`] (`play`, `say`, `pause`), [`gather`],
//!   [`record`], [`dial`] (`dial` with ringback and `action`, `dial` to a queue),
//!   [`through`] (a `dial` that connects an unanswered caller straight through),
//!   [`enqueue`]. `hangup`, `reject`, `redirect` and `leave` are a few lines here.
//!
//! Semantics are Twilio's: an `action` answer replaces the rest of the document; a
//! document that runs out of verbs hangs up; a failed application gets an `error`
//! status event and the caller hears the special information tone, never dead air.

mod acd;
mod dial;
mod enqueue;
mod gather;
pub mod machine;
mod play;
mod record;
mod screen;
mod through;
pub mod tones;
mod types;

#[cfg(test)]
mod tests;

pub use gather::{Collector, Finish};
pub use types::*;

use crate::outcome::{EndedBy, Outcome};
use contract::models::calls::CallStatus;
use contract::types::Destination;
use contract::verbs::{Verb, WebhookUrl};
use std::collections::VecDeque;
use std::time::Instant;
use url::Url;

/// Documents fetched in a row without any verb that takes time (play, pause, gather…):
/// beyond this, the application is looping on redirects.
const MAX_DOCUMENTS_WITHOUT_PROGRESS: u32 = 20;

/// Destinations followed without the caller pressing a key: beyond this, PBX settings
/// send the call round in a loop (an extension's no-answer destination ringing another
/// whose no-answer destination rings the first…). Real chains are short: a number → a
/// time condition → a day/night switch → an IVR is three.
pub const MAX_DESTINATION_HOPS: u32 = 10;

/// What the call does after a verb.
#[derive(Debug, Clone, PartialEq)]
enum Flow {
    /// The next verb of the current document.
    Next,
    /// Post to an action URL (None: the current document's) and run its answer.
    Follow(Option<WebhookUrl>, Fields),
    /// Fetch this URL (a redirect ordered through the REST API) and run its answer.
    Fetch(Url),
    /// Hand the call to a destination: the application answering there drives it.
    Route(Destination),
    /// These verbs replace the rest of the document (orders from the REST API).
    Verbs(Vec<Verb>),
    /// The call is over.
    End,
}

/// What a running verb says after an event.
#[derive(Debug)]
enum Step {
    /// Still running.
    Stay,
    /// Done: go on with this.
    Done(Flow),
}

impl Step {
    /// The verb as it stays, or the flow it ended with.
    fn stay_or(self, keep: impl FnOnce() -> Running) -> After {
        match self {
            Self::Stay => After::Keep(keep()),
            Self::Done(flow) => After::Go(flow),
        }
    }
}

/// What follows an event given to the running verb. Only ever a return value on the
/// stack, so the size of its variants does not matter.
#[allow(clippy::large_enum_variant)]
enum After {
    /// It keeps running.
    Keep(Running),
    /// It is done: go on with this.
    Go(Flow),
}

/// The verb running now.
#[derive(Debug)]
enum Running {
    /// Nothing: waiting for a document (or the call is over).
    Idle,
    Play(play::Playing),
    Pause(play::Pausing),
    Gather(gather::Gathering),
    Record(record::Recording),
    Dial(Box<dial::Dialing>),
    DialQueue(dial::QueueDial),
    Through(Box<through::Through>),
    Enqueue(Box<enqueue::Queued>),
    /// The application failed: the failure tone plays, then the call ends.
    Failing {
        playback: u64,
    },
}

/// A call's program (see the module docs).
#[derive(Debug)]
pub struct CallProgram {
    running: Running,
    /// A document being fetched (its id): its answer replaces the rest.
    fetching: Option<u64>,
    /// Verbs left in the current document.
    verbs: VecDeque<Verb>,
    /// The URL of the document being executed (relative URLs resolve against it).
    document_url: Url,
    /// Whether the party is answered (by us, or through a dialled party).
    answered: bool,
    /// Who the party is in records: the caller, or the callee of a call we placed.
    party: EndedBy,
    /// A verb that takes time ran since the last document was fetched.
    progressed: bool,
    documents_in_a_row: u32,
    /// Destinations followed since the caller last pressed a key.
    hops: u32,
    /// Set once the call is over (the party left, or we ended it).
    outcome: Option<Outcome>,
    finished: bool,
    next_id: u64,
    out: VecDeque<Command>,
}

impl CallProgram {
    /// A program for a call whose application answers at `voice_url`, starting with
    /// `start` at `now`. `answered`: the party is already answered (a call we placed).
    pub fn new(start: Start, voice_url: Url, answered: bool, party: EndedBy, now: Instant) -> Self {
        let mut program = Self {
            running: Running::Idle,
            fetching: None,
            verbs: VecDeque::new(),
            document_url: voice_url.clone(),
            answered,
            party,
            progressed: false,
            documents_in_a_row: 0,
            hops: 0,
            outcome: None,
            finished: false,
            next_id: 0,
            out: VecDeque::new(),
        };
        match start {
            Start::Fetch => program.fetch(None, Fields::default()),
            Start::FetchUrl(url) => program.fetch(Some(url), Fields::default()),
            Start::Verbs(verbs) => program.document(
                Document {
                    url: voice_url,
                    verbs,
                },
                now,
            ),
        }
        program
    }

    /// The next thing to do.
    pub fn poll(&mut self) -> Option<Command> {
        self.out.pop_front()
    }

    /// When [`CallProgram::handle_timeout`] must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match &self.running {
            Running::Pause(p) => Some(p.until),
            Running::Gather(g) => g.deadline(),
            Running::Record(r) => r.deadline(),
            Running::Dial(d) => d.deadline(),
            Running::Through(t) => t.deadline(),
            Running::Enqueue(q) => q.deadline(),
            _ => None,
        }
    }

    /// The call is over: after the commands waiting in [`CallProgram::poll`], nothing
    /// more will come.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Whether a `gather` waits for keys now.
    pub fn is_gathering(&self) -> bool {
        matches!(self.running, Running::Gather(_))
    }

    /// Whether the party is answered.
    pub fn is_answered(&self) -> bool {
        self.answered
    }

    /// Whether the document being fetched is `id` (an answer the program gave up on is
    /// not to be acted on).
    pub fn is_fetching(&self, id: u64) -> bool {
        self.fetching == Some(id)
    }

    /// Whether the dial being resolved is `id` (a resolution the program gave up on is
    /// not to be acted on).
    pub fn is_resolving(&self, id: u64) -> bool {
        match &self.running {
            Running::Dial(d) => d.is_resolving(id),
            Running::Through(t) => t.is_resolving(id),
            Running::Enqueue(q) => q.is_resolving(id),
            _ => false,
        }
    }

    /// What happened, at `now`.
    pub fn handle(&mut self, event: Event, now: Instant) {
        if self.finished {
            return;
        }
        // A call connected straight through: its machine decides about hangups.
        if matches!(self.running, Running::Through(_))
            && matches!(
                event,
                Event::PartyGone(_)
                    | Event::Shutdown
                    | Event::Rest(_)
                    | Event::BridgeTimeout { .. }
            )
        {
            return self.deliver(event, now);
        }
        match event {
            Event::Fetched { id, result } if self.fetching == Some(id) => {
                self.fetching = None;
                match result {
                    Ok(document) => self.document(document, now),
                    Err(failure) => self.fail(failure),
                }
            }
            Event::PartyGone(gone) => {
                self.party_left(gone);
                self.interrupt(Flow::End, now);
            }
            Event::MediaLost => {
                let flow = self.hang_up("media lost");
                self.interrupt(flow, now);
            }
            Event::MediaTimeout => {
                if self.outcome.is_none() {
                    self.set_outcome(
                        CallStatus::Completed,
                        EndedBy::System,
                        408,
                        "no RTP from the caller",
                    );
                    self.out.push_back(Command::HangUp);
                }
                self.interrupt(Flow::End, now);
            }
            Event::Shutdown => {
                self.shutting_down();
                self.interrupt(Flow::End, now);
            }
            Event::Rest(order) => {
                let flow = self.rest_order(order);
                self.interrupt(flow, now);
            }
            Event::Key(key) => {
                // The caller chose: destinations followed from here are a new path.
                self.hops = 0;
                self.deliver(Event::Key(key), now);
            }
            Event::AnswerFailed => {
                self.answered = false;
                if self.outcome.is_none() {
                    self.end_unanswered(CallStatus::Failed, 500, "cannot answer");
                }
                self.interrupt(Flow::End, now);
            }
            other => self.deliver(other, now),
        }
    }

    /// The time is `now`: the running verb's timer fired.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.poll_timeout().is_some_and(|t| t <= now) {
            self.deliver(Event::Timeout, now);
        }
    }

    /// Hands an event to the running verb.
    fn deliver(&mut self, event: Event, now: Instant) {
        let step = match std::mem::replace(&mut self.running, Running::Idle) {
            Running::Idle => return,
            Running::Play(mut p) => p.handle(self, event).stay_or(|| Running::Play(p)),
            Running::Pause(p) => p.handle(&event, now).stay_or(|| Running::Pause(p)),
            Running::Gather(mut g) => g.handle(self, event, now).stay_or(|| Running::Gather(g)),
            Running::Record(mut r) => r.handle(self, event, now).stay_or(|| Running::Record(r)),
            Running::Dial(mut d) => d.handle(self, event, now).stay_or(|| Running::Dial(d)),
            Running::DialQueue(mut d) => d.handle(self, event).stay_or(|| Running::DialQueue(d)),
            Running::Through(mut t) => t.handle(self, event, now).stay_or(|| Running::Through(t)),
            Running::Enqueue(mut q) => q.handle(self, event, now).stay_or(|| Running::Enqueue(q)),
            Running::Failing { playback } => match event {
                Event::PlaybackDone { id } if id == playback => {
                    self.set_outcome(
                        CallStatus::Failed,
                        EndedBy::System,
                        500,
                        "application failed",
                    );
                    self.out.push_back(Command::HangUp);
                    After::Go(Flow::End)
                }
                _ => After::Keep(Running::Failing { playback }),
            },
        };
        match step {
            After::Keep(running) => self.running = running,
            After::Go(flow) => self.go(flow, now),
        }
    }

    /// The party left (or the REST API or the server ended the call, or gave new
    /// orders): the running verb wraps up (a recording is saved, an action told), then
    /// `flow` goes on — the end, or the REST API's orders.
    fn interrupt(&mut self, flow: Flow, now: Instant) {
        self.fetching = None;
        let step = match std::mem::replace(&mut self.running, Running::Idle) {
            Running::Idle | Running::Pause(_) | Running::Failing { .. } => After::Go(flow),
            Running::Play(_) | Running::Gather(_) => After::Go(flow),
            Running::Record(mut r) => r.interrupt(self, flow).stay_or(|| Running::Record(r)),
            Running::Dial(mut d) => d.interrupt(self, flow).stay_or(|| Running::Dial(d)),
            Running::DialQueue(mut d) => d.interrupt(self, flow).stay_or(|| Running::DialQueue(d)),
            Running::Through(mut t) => t.interrupt(self, flow).stay_or(|| Running::Through(t)),
            Running::Enqueue(mut q) => q.interrupt(self, flow, now).stay_or(|| Running::Enqueue(q)),
        };
        match step {
            After::Keep(running) => self.running = running,
            After::Go(flow) => self.go(flow, now),
        }
    }

    /// Goes on with `flow` after a verb, until a verb waits for something.
    fn go(&mut self, mut flow: Flow, now: Instant) {
        loop {
            if self.outcome.is_some() {
                // Over: whatever the flow said, nothing more runs.
                return self.end();
            }
            match flow {
                Flow::Next => {}
                Flow::End => return self.end(),
                Flow::Follow(action, fields) => return self.follow(action.as_ref(), fields),
                Flow::Fetch(url) => return self.fetch(Some(url), Fields::default()),
                Flow::Route(destination) => return self.route(destination),
                Flow::Verbs(verbs) => {
                    let url = self.document_url.clone();
                    return self.document(Document { url, verbs }, now);
                }
            }
            let Some(verb) = self.verbs.pop_front() else {
                // The document ran out of verbs: the call ends, as with Twilio.
                flow = self.hang_up("the document ended");
                continue;
            };
            flow = self.start_verb(verb, now);
            if !matches!(self.running, Running::Idle) {
                return;
            }
        }
    }

    /// Starts `verb`; the flow after it when it is done at once.
    fn start_verb(&mut self, verb: Verb, now: Instant) -> Flow {
        let last = self.verbs.is_empty();
        match verb {
            Verb::Play(v) => play::Playing::start(self, &play::Sound::Play(v)),
            Verb::Say(v) => play::Playing::start(self, &play::Sound::Say(v)),
            Verb::Pause(v) => play::Pausing::start(self, v.length, now),
            Verb::Gather(v) => gather::Gathering::start(self, v, now),
            Verb::Record(v) => record::Recording::start(self, v, now),
            Verb::Dial(v) if through::applies(self, &v, last) => {
                through::Through::start(self, v, last)
            }
            Verb::Dial(v) => dial::start(self, v),
            Verb::Enqueue(v) => enqueue::Queued::start(self, v),
            Verb::Redirect(v) => match (v.destination, v.url) {
                (Some(destination), _) => Flow::Route(destination),
                (None, url) => Flow::Follow(url, Fields::default()),
            },
            Verb::Hangup(_) => self.hang_up("hangup verb"),
            Verb::Reject(v) => {
                if self.answered {
                    // Too late to refuse: the call was answered by an earlier verb.
                    return self.hang_up("reject after answer");
                }
                let (status, code) = match v.reason {
                    contract::verbs::RejectReason::Busy => (CallStatus::Busy, 486),
                    contract::verbs::RejectReason::Rejected => (CallStatus::Canceled, 603),
                    contract::verbs::RejectReason::Unavailable => (CallStatus::NoAnswer, 480),
                };
                self.end_unanswered(status, code, "rejected by the application")
            }
            // Outside a queue's wait document there is no queue to leave.
            Verb::Leave(_) => Flow::Next,
        }
    }

    /// A new document replaces the rest of the current one.
    fn document(&mut self, document: Document, now: Instant) {
        if self.outcome.is_some() {
            return self.end();
        }
        self.documents_in_a_row = if self.progressed {
            1
        } else {
            self.documents_in_a_row + 1
        };
        self.progressed = false;
        if self.documents_in_a_row > MAX_DOCUMENTS_WITHOUT_PROGRESS {
            return self.fail(FetchFailure {
                code: "loop",
                message: format!(
                    "{MAX_DOCUMENTS_WITHOUT_PROGRESS} documents in a row did nothing but redirect"
                ),
                url: Some(document.url.to_string()),
                document: None,
            });
        }
        self.document_url = document.url;
        self.verbs = document.verbs.into();
        self.go(Flow::Next, now);
    }

    /// Fetches a document: `url` (POST), or the application's voice URL.
    fn fetch(&mut self, url: Option<Url>, fields: Fields) {
        let id = self.id();
        self.fetching = Some(id);
        self.verbs.clear();
        self.out.push_back(Command::Fetch { id, url, fields });
    }

    /// Hands the call to `destination`: the driver finds the application answering
    /// there and fetches its document, which replaces the rest of this one. A path of
    /// destinations too long without the caller choosing anything is a loop: it fails.
    fn route(&mut self, destination: Destination) {
        self.hops += 1;
        if self.hops > MAX_DESTINATION_HOPS {
            return self.fail(FetchFailure {
                code: "destination_loop",
                message: format!(
                    "{MAX_DESTINATION_HOPS} destinations followed without the caller pressing a \
                     key; the last was {destination}: the PBX settings send calls round in a loop"
                ),
                url: None,
                document: None,
            });
        }
        let id = self.id();
        self.fetching = Some(id);
        self.verbs.clear();
        self.out.push_back(Command::Route { id, destination });
    }

    /// Posts to an `action` URL (default: the current document's) and continues with
    /// its answer.
    fn follow(&mut self, action: Option<&WebhookUrl>, fields: Fields) {
        match action.map(|a| (a, a.resolve(Some(&self.document_url)))) {
            Some((_, Ok(url))) => self.fetch(Some(url), fields),
            Some((a, Err(e))) => self.fail(FetchFailure {
                code: "invalid_url",
                message: format!("action {a}: {e}"),
                url: None,
                document: None,
            }),
            None => {
                let url = self.document_url.clone();
                self.fetch(Some(url), fields);
            }
        }
    }

    /// Tells an `action` URL how a verb ended after the call is over: its answer has
    /// nothing left to drive.
    fn notify(&mut self, action: Option<&WebhookUrl>, fields: Fields) {
        let url = match action.map(|a| a.resolve(Some(&self.document_url))) {
            Some(Ok(u)) => u,
            Some(Err(_)) => return,
            None => self.document_url.clone(),
        };
        self.out.push_back(Command::Notify { url, fields });
    }

    /// The application failed the call: an `error` event, then the failure tone and the
    /// end (a SIP refusal when the party cannot be answered).
    fn fail(&mut self, failure: FetchFailure) {
        let FetchFailure {
            code,
            message,
            url,
            document,
        } = failure;
        self.report_error(code, &message, url, document);
        if self.outcome.is_some() {
            return self.end();
        }
        self.answer();
        let playback = self.id();
        self.out.push_back(Command::Play {
            id: playback,
            audio: tones::failure_tone(),
            loops: 1,
        });
        self.running = Running::Failing { playback };
    }

    /// The party left: how the call ended, unless it already had.
    fn party_left(&mut self, gone: Gone) {
        if self.outcome.is_none() {
            let (status, code, why) = match (gone, self.answered) {
                (Gone::Cancelled, _) => (CallStatus::Canceled, 487, "caller cancelled"),
                (_, true) => (CallStatus::Completed, 200, "caller hung up"),
                (_, false) => (CallStatus::Canceled, 487, "caller went away"),
            };
            self.set_outcome(status, self.party, code, why);
        }
    }

    /// The server stops: the party is hung up or refused.
    fn shutting_down(&mut self) {
        if self.outcome.is_none() {
            let status = if self.answered {
                self.out.push_back(Command::HangUp);
                CallStatus::Completed
            } else {
                self.out.push_back(Command::Reject { code: 503 });
                CallStatus::Failed
            };
            self.set_outcome(status, EndedBy::System, 503, "server shutting down");
        }
    }

    /// An order from the REST API: what plays stops; the call ends, or goes on with
    /// the new document.
    fn rest_order(&mut self, order: Rest) -> Flow {
        if self.answered {
            self.out.push_back(Command::StopPlayback);
        }
        match order {
            Rest::Hangup => {
                if self.outcome.is_none() {
                    if self.answered {
                        self.set_outcome(
                            CallStatus::Completed,
                            EndedBy::System,
                            200,
                            "hung up through the API",
                        );
                        self.out.push_back(Command::HangUp);
                    } else {
                        self.out.push_back(Command::Reject { code: 603 });
                        self.set_outcome(
                            CallStatus::Canceled,
                            EndedBy::System,
                            603,
                            "hung up through the API",
                        );
                    }
                }
                Flow::End
            }
            Rest::Redirect(url) => Flow::Fetch(url),
            Rest::Verbs(verbs) => Flow::Verbs(verbs),
        }
    }

    /// Answers the party if it is not yet (a failure comes back as an event).
    fn answer(&mut self) {
        if !self.answered {
            self.answered = true;
            self.out.push_back(Command::Answer);
        }
    }

    /// Ends the call from our side: BYE when answered, a refusal (603) otherwise.
    fn hang_up(&mut self, reason: &str) -> Flow {
        if self.outcome.is_some() {
            return Flow::End;
        }
        if self.answered {
            self.set_outcome(CallStatus::Completed, EndedBy::System, 200, reason);
            self.out.push_back(Command::HangUp);
            Flow::End
        } else {
            // Nothing was answered: the caller gets a final answer instead.
            self.end_unanswered(CallStatus::Canceled, 603, reason)
        }
    }

    /// Refuses the unanswered party with `code`; the call ends as `status`.
    fn end_unanswered(&mut self, status: CallStatus, code: u16, reason: &str) -> Flow {
        self.out.push_back(Command::Reject { code });
        self.set_outcome(status, EndedBy::System, code, reason);
        Flow::End
    }

    fn set_outcome(&mut self, status: CallStatus, by: EndedBy, code: u16, reason: &str) {
        if self.outcome.is_none() {
            self.outcome = Some(Outcome::new(status, by, code, reason));
        }
    }

    /// The call is over.
    fn end(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        self.verbs.clear();
        let outcome = self
            .outcome
            .take()
            .unwrap_or_else(|| Outcome::new(CallStatus::Completed, EndedBy::System, 200, "ended"));
        self.out.push_back(Command::Finish(outcome));
    }

    /// Reports an error to the application's status callback; the call goes on.
    fn report_error(
        &mut self,
        code: &str,
        message: &str,
        url: Option<String>,
        document: Option<contract::verbs::VerbError>,
    ) {
        self.out
            .push_back(Command::error(code, message, url, document));
    }

    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
}
