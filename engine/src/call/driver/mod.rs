//! The one driver loop of a call: it owns the party's SIP dialog, the media (our
//! endpoint, or a bridge), the legs a `dial` rings, the HTTP requests to the
//! application and the timers, feeds what happens to the call's pure
//! [`CallProgram`] and carries out what the program asks. Nothing here decides what
//! the call does; it only does it.
//!
//! - [`party`]: the party's dialog (answers, refusals, BYE) and the call's record.
//! - [`media`]: the shapes of the party's media (nothing, our endpoint, a bridge to a
//!   rung leg, straight through, a queue's hand-overs); [`bridges`]: playing and
//!   recording on our endpoint, bridging and unbridging, the queue's hand-overs.
//! - [`reinvite`]: re-INVITEs from the party or a connected leg.
//! - [`app`]: documents, actions and status events to and from the application.
//! - [`ringing`]: a `dial`'s targets resolved, its legs, and a call connected straight
//!   through (early media, the answer); [`screen`]: an answered leg asked to accept
//!   the call before the ringer hears of it.

mod acd;
mod app;
mod bridges;
mod media;
mod party;
mod reinvite;
mod ringing;
mod screen;

use super::Calls;
use super::legs::Legs;
use crate::media::bridge::BridgeEvent;
use crate::media::endpoint::EndpointEvent;
use crate::program::{CallProgram, Command, Event};
use crate::sdp::AudioDescription;
use crate::store::{AppWebhooks, CallRecord, Store};
use rsipstack::dialog::dialog::DialogStateReceiver;
use rsipstack::dialog::invite_dialog::InviteDialog;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

pub(crate) use app::{failure, queue_status, request_for};
pub(crate) use media::{Media, PartyMedia, peer_of};

pub(crate) use super::invite::Calling;

/// Everything a call starts with.
pub(crate) struct Start {
    pub record: CallRecord,
    pub app: AppWebhooks,
    pub caller_name: String,
    /// Headers of the INVITE that reached us, for webhooks (`sip.headers`).
    pub sip_headers: std::collections::BTreeMap<String, String>,
    /// The Max-Forwards the legs of this call carry (the caller's less one; None: 70).
    pub max_forwards: Option<u32>,
    /// The party's dialog (the caller's, or the callee's of a call we placed).
    pub party: InviteDialog,
    pub party_states: DialogStateReceiver,
    /// The party's session description (its offer, or its answer to ours).
    pub sdp: AudioDescription,
    pub caller_source: Option<Calling>,
    /// The party's media when it is already answered (a call we placed).
    pub answered: Option<(crate::media::bridge::MediaLeg, PartyMedia)>,
}

/// Work done off the loop (HTTP, storage, audio) and what it gives back.
pub(super) enum Done {
    Event(Event),
    /// A destination's document (in `event`), from the application answering there.
    Routed {
        app: Box<AppWebhooks>,
        event: Event,
    },
    /// A dial's targets, with the parties behind them (the legs to make).
    Resolved {
        id: u64,
        plan: crate::program::RingPlan,
        parties: Vec<super::invite::Party>,
        through: bool,
        caller: crate::program::Presented,
    },
    /// A screened leg's answer, and its sockets back.
    Screened {
        leg: crate::ring::LegId,
        result: Result<crate::program::Screening, String>,
        sockets: Option<crate::media::bridge::MediaLeg>,
    },
}

/// A call being driven.
pub(crate) struct Driver<S: Store> {
    calls: Arc<Calls<S>>,
    program: CallProgram,
    /// The application driving the call now (a destination may hand it to another).
    app: AppWebhooks,
    /// Where status events go: the first application on the call's path that has a
    /// status callback (its id and URL) keeps them until another with one takes over.
    status_to: Option<(String, url::Url)>,
    record: CallRecord,
    /// The record of the dialled call the party is bridged to, while it lasts, and
    /// since when.
    child: Option<(CallRecord, Instant)>,
    /// An agent's pickup of the waiting party, until bridged.
    pickup: Option<crate::call::queue::Pickup>,
    caller_name: String,
    sip_headers: std::collections::BTreeMap<String, String>,
    max_forwards: Option<u32>,
    party: InviteDialog,
    party_call_id: String,
    party_states: DialogStateReceiver,
    party_ended: bool,
    sdp: AudioDescription,
    caller_source: Option<Calling>,
    media: Media,
    endpoint_tx: mpsc::UnboundedSender<EndpointEvent>,
    endpoint_rx: mpsc::UnboundedReceiver<EndpointEvent>,
    bridge_tx: mpsc::UnboundedSender<BridgeEvent>,
    bridge_rx: mpsc::UnboundedReceiver<BridgeEvent>,
    /// The legs of the dial in progress.
    legs: Option<Legs<S>>,
    /// The program's playback ids by the endpoint's.
    playing: Option<(u64, u64)>,
    answered_at: Option<Instant>,
    recordings_made: u32,
    /// Work under way off the loop, and what the program hears if it dies.
    pending: JoinSet<Done>,
    fallbacks: std::collections::HashMap<tokio::task::Id, Event>,
    /// Notifications to the application under way (let through before the end).
    notifying: JoinSet<()>,
    /// Events made while carrying out commands, handed to the program next.
    queued: VecDeque<Event>,
    /// The queue this call waits in, and where its pickup will arrive.
    waiting: Option<(
        String,
        tokio::sync::oneshot::Receiver<crate::call::queue::Pickup>,
    )>,
    /// Wakes the party waiting in a provisioned queue when this node's queues change.
    queue_wake: Option<tokio::sync::watch::Receiver<crate::call::queue::Departures>>,
    /// The departures of that queue already told to the program.
    queue_departures: crate::call::queue::Departures,
    /// The party was answered by an agent of that queue.
    queue_answered: bool,
    /// Orders from the REST API.
    orders: mpsc::UnboundedReceiver<crate::program::Rest>,
    shutdown_told: bool,
    /// The rung leg the party is bridged or connected to.
    connected_leg: Option<crate::ring::LegId>,
    /// Answered legs hearing a confirmation prompt (their tasks, to stop them).
    screening: std::collections::HashMap<crate::ring::LegId, tokio::task::AbortHandle>,
}

impl<S: Store> Driver<S> {
    pub fn new(calls: Arc<Calls<S>>, start: Start, program: CallProgram) -> Self {
        let (endpoint_tx, endpoint_rx) = mpsc::unbounded_channel();
        let (bridge_tx, bridge_rx) = mpsc::unbounded_channel();
        let orders = calls.live.add(&start.record.sid);
        let party_call_id = start.record.sip_call_id.clone();
        let answered_at = start.answered.is_some().then(Instant::now);
        let status_to = app::status_of(&start.app);
        let mut driver = Self {
            calls,
            program,
            status_to,
            app: start.app,
            record: start.record,
            child: None,
            pickup: None,
            caller_name: start.caller_name,
            sip_headers: start.sip_headers,
            max_forwards: start.max_forwards,
            party: start.party,
            party_call_id,
            party_states: start.party_states,
            party_ended: false,
            sdp: start.sdp,
            caller_source: start.caller_source,
            media: Media::None,
            endpoint_tx,
            endpoint_rx,
            bridge_tx,
            bridge_rx,
            legs: None,
            playing: None,
            answered_at,
            recordings_made: 0,
            pending: JoinSet::new(),
            fallbacks: std::collections::HashMap::new(),
            notifying: JoinSet::new(),
            queued: VecDeque::new(),
            waiting: None,
            queue_wake: None,
            queue_departures: 0,
            queue_answered: false,
            orders,
            shutdown_told: false,
            connected_leg: None,
            screening: std::collections::HashMap::new(),
        };
        if let Some((leg, party)) = start.answered {
            driver.media = Media::ours(&driver.calls, leg, party, &driver.endpoint_tx);
        }
        driver
    }

    /// Runs a call that just arrived: its record is written, the application hears
    /// `initiated`, then the call runs to its end.
    pub async fn run_new_call(self) {
        let active = super::ActiveCall::new(&self.calls.metrics);
        crate::call::save(&self.calls, &self.record).await;
        self.lifecycle(contract::webhook::CallEvent::Initiated)
            .await;
        self.run(active).await;
    }

    /// Runs the call to its end (counted as active by `_active` until then). Every
    /// line it logs carries the call's sid.
    pub async fn run(self, _active: super::ActiveCall) {
        let span = tracing::info_span!("call", sid = %self.record.sid);
        tracing::Instrument::instrument(self.drive(), span).await;
    }

    async fn drive(mut self) {
        loop {
            while let Some(command) = self.program.poll() {
                self.execute(command).await;
            }
            if self.program.is_finished() {
                break;
            }
            if let Some(event) = self.queued.pop_front() {
                self.program.handle(event, Instant::now());
                continue;
            }
            if let Some(event) = self.next_event().await {
                self.program.handle(event, Instant::now());
            }
        }
        self.close().await;
    }

    /// Waits for the next thing that happens to the call.
    async fn next_event(&mut self) -> Option<Event> {
        let timer = self.program.poll_timeout();
        let stop = self.calls.stop.clone();
        tokio::select! {
            state = self.party_states.recv(), if !self.party_ended => match state {
                Some(state) => self.on_party_state(state).await,
                None => {
                    self.party_ended = true;
                    Some(Event::PartyGone(crate::program::Gone::HungUp))
                }
            },
            said = ringing::next(&mut self.legs) => self.on_leg(said).await,
            Some(done) = self.pending.join_next_with_id(), if !self.pending.is_empty() => match done {
                Ok((id, done)) => {
                    self.fallbacks.remove(&id);
                    self.on_done(done)
                }
                Err(e) => {
                    // The work died (a panic) or was stopped (a leg's screening): the
                    // program hears it failed, never waits.
                    if e.is_cancelled() {
                        tracing::debug!(sid = %self.record.sid, "a call's task was stopped");
                    } else {
                        tracing::error!(sid = %self.record.sid, error = %e, "a call's task failed");
                    }
                    self.fallbacks.remove(&e.id())
                }
            },
            Some(event) = self.endpoint_rx.recv() => self.on_endpoint(event),
            Some(BridgeEvent::RtpTimeout(side)) = self.bridge_rx.recv() => {
                self.on_bridge_timeout(side).await
            }
            wake = self.media.next_wake() => self.on_wake(wake).await,
            pickup = media::pickup(&mut self.waiting) => self.on_pickup(pickup),
            Some(wake) = acd::woken(&mut self.queue_wake, &mut self.queue_departures) => Some(wake),
            Some(order) = self.orders.recv() => Some(Event::Rest(order)),
            () = super::invite::sleep_until(timer), if timer.is_some() => {
                self.program.handle_timeout(Instant::now());
                None
            }
            () = stop.cancelled(), if !self.shutdown_told => {
                self.shutdown_told = true;
                Some(Event::Shutdown)
            }
        }
    }

    /// Carries out one command of the program.
    async fn execute(&mut self, command: Command) {
        match command {
            Command::Fetch { id, url, fields } => self.fetch(id, url, fields),
            Command::Route { id, destination } => self.route(id, destination),
            Command::Notify { url, fields } => self.notify(url, fields),
            Command::Status {
                event,
                fields,
                url,
                error,
            } => self.status(event, fields, url, error).await,
            Command::Answer => self.answer().await,
            Command::Ringing => self.ringing(),
            Command::Reject { code } => self.reject(code),
            Command::HangUp => self.hang_up(),
            Command::LoadAudio { id, source } => self.load_audio(id, source),
            Command::Play { id, audio, loops } => self.play(id, audio, loops),
            Command::StopPlayback => self.stop_playback(),
            Command::StartRecording { silence } => self.media.start_recording(silence),
            Command::FinishRecording { id, trim } => self.finish_recording(id, trim).await,
            Command::Resolve {
                id,
                targets,
                strategy,
                ring_time,
                through,
                caller,
            } => self.resolve(id, targets, strategy, ring_time, through, caller),
            Command::Leg(command) => self.leg(command),
            Command::Screen {
                leg,
                prompt,
                key,
                timeout,
            } => self.screen(leg, prompt, key, timeout),
            Command::EarlyMedia { leg } => self.early_media(leg),
            Command::AnswerThrough { leg, record } => self.answer_through(leg, record).await,
            Command::Bridge { leg, record } => self.bridge(leg, record).await,
            Command::Unbridge { child, resume } => self.unbridge(&child, resume).await,
            Command::JoinQueue { queue } => self.join_queue(queue).await,
            Command::ClaimAgents { queue, estimate } => self.claim_agents(queue, estimate),
            Command::QueueChange { queue, change } => self.queue_change(&queue, change).await,
            Command::QueueEvent(news) => self.queue_event(news).await,
            Command::LeaveQueue { queue } => self.leave_queue(&queue),
            Command::BridgePickup => self.bridge_pickup().await,
            Command::TakeFromQueue { queue } => self.take_from_queue(&queue).await,
            Command::Finish(outcome) => self.finish(outcome).await,
        }
    }

    fn on_done(&mut self, done: Done) -> Option<Event> {
        match done {
            Done::Event(event) => Some(event),
            Done::Routed { app, event } => {
                // The program takes the document only if it still waits for it; only
                // then does the application answering there drive the call.
                if matches!(&event, Event::Fetched { id, result: Ok(_) } if self.program.is_fetching(*id))
                {
                    self.switch_app(*app);
                }
                Some(event)
            }
            Done::Resolved {
                id,
                mut plan,
                parties,
                through,
                caller,
            } => {
                // A dial the program gave up on (new orders came) is not acted on.
                if !self.program.is_resolving(id) {
                    return None;
                }
                if !self.start_legs(parties, through, caller) {
                    // No sockets for the party: nobody can be rung.
                    plan.unavailable = true;
                }
                Some(Event::Resolved { id, plan })
            }
            Done::Screened {
                leg,
                result,
                sockets,
            } => Some(self.screened(leg, result, sockets)),
        }
    }

    fn on_endpoint(&mut self, event: EndpointEvent) -> Option<Event> {
        match event {
            EndpointEvent::Key(key) => Some(Event::Key(key)),
            EndpointEvent::PlaybackDone { id } => match self.playing {
                Some((ours, program)) if ours == id => {
                    self.playing = None;
                    Some(Event::PlaybackDone { id: program })
                }
                _ => None,
            },
            EndpointEvent::Silence => Some(Event::Silence),
            EndpointEvent::RtpTimeout => {
                tracing::info!(sid = %self.record.sid, "no RTP from the caller: hanging up");
                Some(Event::MediaTimeout)
            }
        }
    }
}
