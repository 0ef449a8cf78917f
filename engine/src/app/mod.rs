//! Application calls: a call answered by Switchboard and driven by the verb documents
//! an application returns (DESIGN.md §3).
//!
//! [`run`] asks the application's `voice_url` what to do, executes the verbs in order
//! (one module per verb), follows `action` and `redirect` answers (which replace the
//! rest of the document), and hangs up when the document ends. A webhook that cannot be
//! reached or answers an invalid document is reported and the caller hears the special
//! information tone before the call ends: never dead air.

mod audio;
mod dial;
mod enqueue;
mod gather;
mod hangup;
mod live;
mod media;
mod outbound;
mod pause;
mod play;
mod queue;
mod record;
mod redirect;
mod targets;
mod webhooks;

pub use audio::{AudioCache, ESPEAK};
pub use live::{LiveCalls, LiveCommand, LiveError};
pub(crate) use media::peer_of;
pub use outbound::{FirstDocument, OutboundCall, place};
pub use queue::Queues;

use crate::call::Calls;
use crate::call::timestamp_now;
use crate::media::bridge::Peer;
use crate::media::endpoint::{EndpointEvent, EndpointHandle};
use crate::outcome::{EndedBy, Outcome};
use crate::sdp::{AudioDescription, SessionWriter};
use crate::store::{AppWebhooks, CallRecord, Store};
use crate::webhook::Document;
use contract::models::applications::WebhookMethod;
use contract::models::calls::CallStatus;
use contract::verbs::Verb;
use contract::webhook::CallEvent;
use rsipstack::dialog::dialog::{DialogState, DialogStateReceiver, TerminatedReason};
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::{Header, StatusCode};
use rsipstack::transaction::Transaction;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;

/// Documents fetched in a row without any verb that takes time (play, pause, gather…):
/// beyond this, the application is looping on redirects.
const MAX_DOCUMENTS_WITHOUT_PROGRESS: u32 = 20;

/// Everything known about a call routed to an application.
#[derive(Debug)]
pub(crate) struct AppCall {
    pub record: CallRecord,
    pub caller_name: String,
    pub offer: AudioDescription,
    pub app: AppWebhooks,
    pub user_agent: Option<String>,
    /// The calling device (never rung by a `dial` of its own extension).
    pub caller_source: Option<(std::net::SocketAddr, crate::store::Transport)>,
    /// A built-in document to run instead of asking the application.
    pub document: Option<Vec<Verb>>,
}

/// What the call does after a verb.
#[derive(Debug)]
pub(crate) enum Flow {
    /// The next verb of the current document.
    Next,
    /// A new document replaces the rest of the current one.
    Document(Document),
    /// The document at this URL replaces the rest of the current one (a redirect
    /// ordered through the REST API).
    Fetch(url::Url),
    /// The call is over.
    End,
}

/// What interrupted a wait.
#[derive(Debug)]
pub(crate) enum Wake {
    Key(char),
    PlaybackDone,
    /// While recording: no voice for the verb's silence timeout.
    Silence,
    Timer,
    /// The caller hung up or the media died: the flow to return.
    Gone(Flow),
}

/// The media of the answered call.
struct Answered {
    endpoint: EndpointHandle,
    /// The caller's media as agreed (for bridging it to a dialled party).
    peer: Peer,
    /// Our session description (its version grows with each answer).
    sdp: SessionWriter,
    port: u16,
    /// Which playback is current (its `PlaybackDone` matters; older ones do not).
    playing: Option<u64>,
}

/// A call being driven by verbs.
pub(crate) struct Session<S: Store> {
    inner: Arc<Calls<S>>,
    app: AppWebhooks,
    record: CallRecord,
    caller_name: String,
    user_agent: Option<String>,
    inbound: InviteDialog,
    caller_call_id: String,
    offer: AudioDescription,
    states: DialogStateReceiver,
    answered: Option<Answered>,
    events: mpsc::UnboundedReceiver<EndpointEvent>,
    events_tx: mpsc::UnboundedSender<EndpointEvent>,
    /// The URL of the document being executed (relative URLs resolve against it).
    document_url: Option<url::Url>,
    answered_at: Option<Instant>,
    /// Set once the call is over.
    outcome: Option<Outcome>,
    /// Whether a verb that takes time ran since the last document was fetched.
    progressed: bool,
    /// Recordings made by `record` so far (they are named after the call and this).
    recordings_made: u32,
    /// Orders from the REST API.
    commands: mpsc::UnboundedReceiver<LiveCommand>,
    /// Who the far end is in call records: the caller (it called us) or the callee (we
    /// called it, through the Calls API).
    remote_side: EndedBy,
    caller_source: Option<(std::net::SocketAddr, crate::store::Transport)>,
    /// Whether the verb running is the last of its document.
    last_verb: bool,
    /// Set when a call connected straight through ended: the B2BUA wrote its final
    /// record and cleaned up its dialogs.
    dialog_ended: bool,
}

/// Answers an INVITE for an application and runs the call to its end.
pub(crate) async fn run<S: Store>(inner: Arc<Calls<S>>, mut tx: Transaction, call: AppCall) {
    let (states_tx, states) = inner.sip.dialogs.new_dialog_state_channel();
    let inbound = match inner.sip.dialogs.get_or_create_server_invite(
        &tx,
        states_tx,
        None,
        Some(inner.sip.contact.clone()),
    ) {
        Ok(d) => d,
        Err(e) => {
            tracing::info!(error = %e, "cannot create the caller's dialog");
            let _ = tx.reply(StatusCode::BadRequest).await;
            return;
        }
    };
    let mut driver = inbound.clone();
    tokio::spawn(async move {
        if let Err(e) = driver.handle(&mut tx).await {
            tracing::debug!(error = %e, "caller's INVITE transaction ended with an error");
        }
    });
    let (events_tx, events) = mpsc::unbounded_channel();
    let sid = call.record.sid.clone();
    let caller_call_id = call.record.sip_call_id.clone();
    let mut session = Session {
        inner: inner.clone(),
        app: call.app,
        record: call.record,
        caller_name: call.caller_name,
        user_agent: call.user_agent,
        inbound,
        caller_call_id,
        offer: call.offer,
        states,
        answered: None,
        events,
        events_tx,
        document_url: None,
        answered_at: None,
        outcome: None,
        progressed: false,
        recordings_made: 0,
        commands: inner.live.add(&sid),
        remote_side: EndedBy::Caller,
        caller_source: call.caller_source,
        last_verb: false,
        dialog_ended: false,
    };
    let _active = crate::call::ActiveCall::new(&inner.metrics);
    session.save().await;
    session.event(CallEvent::Initiated, None).await;
    let flow = match call.document {
        Some(verbs) => {
            tracing::debug!(sid = %session.record.sid, from = %session.record.from, to = %session.record.to, "call with a built-in document");
            Flow::Document(Document {
                url: session.app.voice_url.clone(),
                verbs,
            })
        }
        None => {
            tracing::info!(sid = %session.record.sid, from = %session.record.from, to = %session.record.to, application = %session.app.application_id, "call to an application");
            let first = session.request();
            session.fetch(None, session.app.method, first).await
        }
    };
    session.drive(flow).await;
    inner.live.remove(&sid);
    session.finish().await;
}

impl<S: Store> Session<S> {
    /// Runs documents, from `flow`, until the call ends.
    async fn drive(&mut self, mut flow: Flow) {
        let mut documents_in_a_row = 0;
        'documents: loop {
            let document = match flow {
                Flow::Document(d) => d,
                Flow::Fetch(url) => {
                    let request = self.request();
                    flow = self.fetch(Some(&url), WebhookMethod::Post, request).await;
                    continue;
                }
                Flow::Next | Flow::End => break,
            };
            documents_in_a_row = if self.progressed {
                1
            } else {
                documents_in_a_row + 1
            };
            self.progressed = false;
            if documents_in_a_row > MAX_DOCUMENTS_WITHOUT_PROGRESS {
                tracing::warn!(sid = %self.record.sid, "the application keeps redirecting without doing anything");
                flow = self
                    .fail(
                        "loop",
                        format!("{MAX_DOCUMENTS_WITHOUT_PROGRESS} documents in a row did nothing but redirect"),
                        Some(document.url.to_string()),
                        None,
                    )
                    .await;
                continue;
            }
            self.document_url = Some(document.url.clone());
            let count = document.verbs.len();
            for (i, verb) in document.verbs.into_iter().enumerate() {
                self.last_verb = i + 1 == count;
                match self.execute(verb).await {
                    Flow::Next => {}
                    next @ (Flow::Document(_) | Flow::Fetch(_) | Flow::End) => {
                        flow = next;
                        continue 'documents;
                    }
                }
            }
            // The document ran out of verbs: the call ends, as with Twilio.
            flow = self.hang_up("the document ended").await;
        }
    }

    /// Executes one verb.
    async fn execute(&mut self, verb: Verb) -> Flow {
        tracing::debug!(sid = %self.record.sid, verb = verb.name(), "verb");
        match verb {
            Verb::Play(v) => self.play(&v).await,
            Verb::Say(v) => self.say(&v).await,
            Verb::Pause(v) => self.pause(v.length).await,
            Verb::Gather(v) => self.gather(&v).await,
            Verb::Redirect(v) => self.redirect(&v.url).await,
            Verb::Hangup(_) => self.hang_up("hangup verb").await,
            Verb::Reject(v) => self.reject(v.reason).await,
            Verb::Record(v) => self.record(&v).await,
            Verb::Dial(v) => self.dial(&v).await,
            Verb::Enqueue(v) => self.enqueue(&v).await,
            // Outside a queue's wait document there is no queue to leave.
            Verb::Leave(_) => Flow::Next,
        }
    }

    /// Waits for the next thing that matters: a key, the end of the current playback,
    /// `deadline`, or the end of the call.
    async fn wait(&mut self, deadline: Option<Instant>) -> Wake {
        loop {
            let event = tokio::select! {
                state = self.states.recv() => match state {
                    Some(state) => match self.on_state(state).await {
                        Some(flow) => return Wake::Gone(flow),
                        None => continue,
                    },
                    None => {
                        self.caller_hung_up(Some(TerminatedReason::UacBye));
                        return Wake::Gone(Flow::End);
                    }
                },
                event = self.events.recv() => event,
                Some(command) = self.commands.recv() => return Wake::Gone(self.on_command(command)),
                () = crate::call::invite::sleep_until(deadline) => return Wake::Timer,
                () = self.inner.stop.cancelled() => {
                    self.outcome = Some(Outcome::new(CallStatus::Completed, EndedBy::System, 503, "shutdown"));
                    self.bye();
                    return Wake::Gone(Flow::End);
                }
            };
            match event {
                Some(EndpointEvent::Key(key)) => return Wake::Key(key),
                Some(EndpointEvent::PlaybackDone { id }) => {
                    let current = self.answered.as_ref().and_then(|a| a.playing);
                    if current == Some(id) {
                        if let Some(a) = self.answered.as_mut() {
                            a.playing = None;
                        }
                        return Wake::PlaybackDone;
                    }
                }
                Some(EndpointEvent::Silence) => return Wake::Silence,
                Some(EndpointEvent::RtpTimeout) => {
                    tracing::info!(sid = %self.record.sid, "no RTP from the caller: hanging up");
                    self.outcome = Some(Outcome::new(
                        CallStatus::Completed,
                        EndedBy::System,
                        408,
                        "no RTP from the caller",
                    ));
                    self.bye();
                    return Wake::Gone(Flow::End);
                }
                None => {}
            }
        }
    }

    /// An order from the REST API: what the call does next.
    fn on_command(&mut self, command: LiveCommand) -> Flow {
        if let Some(answered) = self.answered.as_mut() {
            answered.endpoint.stop_playback();
            answered.playing = None;
        }
        match command {
            LiveCommand::Hangup => {
                tracing::info!(sid = %self.record.sid, "hung up through the API");
                if self.answered.is_some() {
                    self.outcome = Some(Outcome::new(
                        CallStatus::Completed,
                        EndedBy::System,
                        200,
                        "hung up through the API",
                    ));
                    self.bye();
                } else {
                    if let Err(e) = self.inbound.reject(Some(StatusCode::Decline), None) {
                        tracing::debug!(error = %e, "cannot reject the caller");
                    }
                    self.outcome = Some(Outcome::new(
                        CallStatus::Canceled,
                        EndedBy::System,
                        603,
                        "hung up through the API",
                    ));
                }
                Flow::End
            }
            LiveCommand::Redirect(url) => {
                tracing::info!(sid = %self.record.sid, %url, "redirected through the API");
                Flow::Fetch(url)
            }
            LiveCommand::Verbs(verbs) => {
                tracing::info!(sid = %self.record.sid, verbs = verbs.len(), "new verbs through the API");
                let url = self
                    .document_url
                    .clone()
                    .unwrap_or_else(|| self.app.voice_url.clone());
                Flow::Document(Document { url, verbs })
            }
        }
    }

    /// A dialog event: `Some(flow)` when it ends the call.
    async fn on_state(&mut self, state: DialogState) -> Option<Flow> {
        match state {
            DialogState::Terminated(id, reason) if id.call_id == self.caller_call_id => {
                self.caller_hung_up(Some(reason));
                Some(Flow::End)
            }
            DialogState::Updated(_, request, handle) => {
                // A re-INVITE (hold, new address): keep our side, follow theirs.
                match AudioDescription::parse(std::str::from_utf8(&request.body).unwrap_or("")) {
                    Ok(offer) if self.answered.is_some() => {
                        self.offer = offer;
                        let body = self.reanswer();
                        let _ = handle
                            .respond(
                                StatusCode::OK,
                                Some(vec![Header::ContentType("application/sdp".into())]),
                                Some(body.into_bytes()),
                            )
                            .await;
                    }
                    _ => {
                        let _ = handle.reply(StatusCode::NotAcceptableHere).await;
                    }
                }
                None
            }
            other => {
                crate::call::answer_other_request(other).await;
                None
            }
        }
    }

    fn caller_hung_up(&mut self, reason: Option<TerminatedReason>) {
        if self.outcome.is_some() {
            return;
        }
        let (status, code, why) = match (reason, self.answered.is_some()) {
            (Some(TerminatedReason::UacCancel), _) => {
                (CallStatus::Canceled, 487, "caller cancelled")
            }
            (_, true) => (CallStatus::Completed, 200, "caller hung up"),
            (_, false) => (CallStatus::Canceled, 487, "caller went away"),
        };
        tracing::info!(sid = %self.record.sid, status = status.as_str(), "caller ended the call");
        self.outcome = Some(Outcome::new(status, self.remote_side, code, why));
    }

    /// Ends the call from our side: BYE when answered, 603/486 otherwise.
    async fn hang_up(&mut self, reason: &str) -> Flow {
        if self.outcome.is_some() {
            return Flow::End;
        }
        if self.answered.is_some() {
            self.outcome = Some(Outcome::new(
                CallStatus::Completed,
                EndedBy::System,
                200,
                reason,
            ));
            self.bye();
            Flow::End
        } else {
            // Nothing was answered: the caller gets a final answer instead.
            self.end_unanswered(CallStatus::Canceled, 603, reason).await
        }
    }

    /// Refuses the unanswered caller with `code`; the call ends as `status`.
    async fn end_unanswered(&mut self, status: CallStatus, code: u16, reason: &str) -> Flow {
        if let Err(e) = self.inbound.reject(Some(StatusCode::from(code)), None) {
            tracing::debug!(error = %e, "cannot reject the caller");
        }
        self.outcome = Some(Outcome::new(status, EndedBy::System, code, reason));
        Flow::End
    }

    fn bye(&self) {
        let dialog = self.inbound.clone();
        tokio::spawn(async move {
            let _ = dialog.bye().await;
        });
    }

    async fn save(&self) {
        if let Err(e) = self.inner.store.save_call(&self.record).await {
            tracing::warn!(error = %e, sid = %self.record.sid, "cannot write a call record");
        }
    }

    /// The call is over: stop the media, write the record, let the dialog end.
    async fn finish(mut self) {
        if let Some(answered) = self.answered.take() {
            answered.endpoint.stop().await;
        }
        if self.dialog_ended {
            // Connected straight through: the B2BUA wrote the final record and let the
            // dialogs end; the application still hears that the call completed.
            self.event(CallEvent::Completed, None).await;
            return;
        }
        let outcome = self
            .outcome
            .take()
            .unwrap_or_else(|| Outcome::new(CallStatus::Completed, EndedBy::System, 200, "ended"));
        self.record.status = outcome.status;
        self.record.ended_at = Some(timestamp_now());
        self.record.duration = self.answered_at.map(|t| t.elapsed().as_secs());
        self.record.hangup_by = Some(outcome.by.as_str());
        self.record.hangup_code = Some(outcome.code);
        self.record.hangup_reason = Some(outcome.reason);
        self.save().await;
        self.event(CallEvent::Completed, None).await;
        tracing::info!(sid = %self.record.sid, status = outcome.status.as_str(), by = outcome.by.as_str(), "call ended");
        // Let the BYE complete and the dialog end, then make sure it is gone.
        let caller = [(self.caller_call_id.clone(), self.inbound.id())];
        crate::call::legs::drain(&self.inner, &mut self.states, &caller).await;
    }
}

/// Resolves when the caller's dialog ends (while we wait for a webhook).
async fn wait_for_hangup(
    states: &mut DialogStateReceiver,
    caller_call_id: &str,
) -> Option<TerminatedReason> {
    loop {
        match states.recv().await {
            Some(DialogState::Terminated(id, reason)) if id.call_id == caller_call_id => {
                return Some(reason);
            }
            Some(DialogState::Updated(_, _, handle)) => {
                let _ = handle.reply(StatusCode::RequestPending).await;
            }
            Some(_) => {}
            None => return None,
        }
    }
}
