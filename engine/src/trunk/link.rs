//! The links to trunks' peers, driven: for each enabled trunk that registers or is
//! probed, a task that sends the REGISTERs and OPTIONS its machines ask for
//! ([`Registration`](super::registration::Registration),
//! [`Health`](super::health::Health)), writes what happens in the node's
//! [`TrunkStates`] and tells the trunk's application of the changes (`TrunkEvent`,
//! through the outbox). The supervisor reads the trunks when told they changed (and
//! every 10 s, for changes made through another node) and restarts a trunk's tasks when
//! its settings change.

use super::TrunkStates;
use super::health::{Change, Health};
use super::registration::{Answer, Registration};
use crate::sip::SipStack;
use crate::store::{Store, TrunkRecord};
use contract::models::{HealthStatus, RegistrationStatus};
use rsipstack::dialog::authenticate::Credential;
use rsipstack::platform::CancellationToken;
use rsipstack::sip::{Method, SipMessage, Uri};
use rsipstack::transaction::key::{TransactionKey, TransactionRole};
use rsipstack::transaction::transaction::Transaction;
use rsipstack::transport::SipAddr;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// How long a REGISTER may wait for its final answer before it counts as unanswered.
const REGISTER_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the supervisor re-reads the trunks without being told.
const RESCAN: Duration = Duration::from_secs(10);

/// Keeps every trunk's link up until `stop`; `changed` says the trunks were edited.
pub async fn supervise<S: Store>(
    store: Arc<S>,
    sip: Arc<SipStack>,
    states: Arc<TrunkStates>,
    changed: Arc<Notify>,
    stop: CancellationToken,
) {
    let mut running: HashMap<String, (TrunkRecord, CancellationToken)> = HashMap::new();
    loop {
        match store.trunks().await {
            Ok(trunks) => {
                let wanted: HashMap<String, TrunkRecord> = trunks
                    .into_iter()
                    .filter(|t| t.register || t.options_interval.is_some())
                    .map(|t| (t.name.clone(), t))
                    .collect();
                running.retain(|name, (config, token)| {
                    let keep = wanted.get(name) == Some(config);
                    if !keep {
                        token.cancel();
                        states.set_registration(name, None);
                        states.set_health(name, None);
                    }
                    keep
                });
                for (name, trunk) in wanted {
                    if running.contains_key(&name) {
                        continue;
                    }
                    let token = stop.child_token();
                    let events = Events {
                        store: store.clone(),
                        application: trunk.application_id.clone(),
                        trunk: trunk.name.clone(),
                    };
                    start_link(&sip, &states, &trunk, events, &token);
                    running.insert(name, (trunk, token));
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot read the trunks to keep their links"),
        }
        tokio::select! {
            () = stop.cancelled() => break,
            () = changed.notified() => {}
            () = tokio::time::sleep(RESCAN) => {}
        }
    }
}

/// Where a trunk's changes are told: its application's status callback.
struct Events<S> {
    store: Arc<S>,
    application: Option<String>,
    trunk: String,
}

impl<S: Store> Events<S> {
    /// Queues `event` (with `reason`) for the trunk's application, if it has one.
    async fn tell(&self, event: &str, reason: Option<String>) {
        let Some(id) = &self.application else {
            return;
        };
        let Ok(parsed) = contract::types::ApplicationId::parse(id.as_str()) else {
            return;
        };
        let app = match self
            .store
            .destination(&contract::types::Destination::App(parsed))
            .await
        {
            Ok(Some(app)) => app,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(trunk = %self.trunk, error = %e, "cannot tell the trunk's application");
                return;
            }
        };
        let Some(url) = app.status_callback else {
            return;
        };
        let body = contract::webhook::TrunkEvent {
            event: event.to_owned(),
            timestamp: crate::clock::timestamp_now(),
            trunk: self.trunk.clone(),
            reason,
        };
        let Ok(json) = serde_json::to_string(&body) else {
            return;
        };
        if let Err(e) = self
            .store
            .enqueue_callback(&app.application_id, url.as_str(), json)
            .await
        {
            tracing::warn!(trunk = %self.trunk, error = %e, "cannot queue a trunk event");
        }
    }
}

/// What one trunk's registration and keepalive tasks share.
struct Link<S> {
    sip: Arc<SipStack>,
    states: Arc<TrunkStates>,
    trunk: String,
    /// The peer (`sip:host:port`).
    server: Uri,
    /// Told when the peer answers OPTIONS again after being down.
    returned: Notify,
    events: Events<S>,
    stop: CancellationToken,
}

/// Starts `trunk`'s registration and keepalive tasks (as it asks), until `token`.
fn start_link<S: Store>(
    sip: &Arc<SipStack>,
    states: &Arc<TrunkStates>,
    trunk: &TrunkRecord,
    events: Events<S>,
    token: &CancellationToken,
) {
    let Some(server) = peer_uri(trunk) else {
        tracing::warn!(trunk = %trunk.name, transport = %trunk.transport, "the trunk's peer cannot be reached over its transport yet: not registered nor probed");
        return;
    };
    let link = Arc::new(Link {
        sip: sip.clone(),
        states: states.clone(),
        trunk: trunk.name.clone(),
        server,
        returned: Notify::new(),
        events,
        stop: token.clone(),
    });
    if let Some(interval) = trunk.options_interval {
        tokio::spawn(keep_probing(
            link.clone(),
            Duration::from_secs(u64::from(interval)),
        ));
    }
    if trunk.register
        && let (Some(username), Some(password)) = (&trunk.username, &trunk.password)
    {
        let credential = Credential {
            username: username.clone(),
            password: password.clone(),
            realm: None,
            auth_username: None,
        };
        tokio::spawn(keep_registered(link, credential, trunk.register_expiry));
    }
}

/// The trunk's peer as a URI to REGISTER and probe (None over TLS).
fn peer_uri(trunk: &TrunkRecord) -> Option<Uri> {
    Uri::try_from(trunk.peer_uri(None)?.as_str()).ok()
}

/// Registers `trunk` to its peer and keeps it registered until `stop` (then
/// unregisters, best effort).
async fn keep_registered<S: Store>(link: Arc<Link<S>>, credential: Credential, expiry: u32) {
    let Link {
        sip,
        states,
        trunk,
        server,
        returned,
        events,
        stop,
    } = &*link;
    let mut machine = Registration::new(Instant::now());
    let mut client = rsipstack::dialog::registration::Registration::new(
        sip.dialogs.endpoint.clone(),
        Some(credential),
    );
    let mut registered = false;
    // The first failure after a success (or at start) is told, not every retry.
    let mut failure_told = false;
    loop {
        publish_registration(states, trunk, &machine);
        let now = Instant::now();
        if machine.poll_register(now) {
            let answer = register_once(&mut client, server, expiry).await;
            match &answer {
                Answer::Registered { granted } if !registered => {
                    tracing::info!(%trunk, granted, "registered to the trunk's peer");
                    events.tell("trunk.registered", None).await;
                    failure_told = false;
                }
                Answer::Registered { .. } => {}
                Answer::Refused(why) | Answer::Unreachable(why) => {
                    tracing::warn!(%trunk, reason = %why, "registration to the trunk's peer failed");
                    if !failure_told {
                        events
                            .tell("trunk.registration_failed", Some(why.clone()))
                            .await;
                        failure_told = true;
                    }
                }
            }
            registered = matches!(answer, Answer::Registered { .. });
            machine.handle_answer(answer, Instant::now());
            continue;
        }
        tokio::select! {
            () = stop.cancelled() => break,
            () = returned.notified() => machine.peer_returned(Instant::now()),
            () = crate::call::invite::sleep_until(machine.poll_timeout()) => {}
        }
    }
    if registered {
        let _ = tokio::time::timeout(
            Duration::from_secs(2),
            client.register(server.clone(), Some(0)),
        )
        .await;
        tracing::info!(%trunk, "unregistered from the trunk's peer");
    }
}

/// One REGISTER (digest answered by rsipstack) and what it came to.
async fn register_once(
    client: &mut rsipstack::dialog::registration::Registration,
    server: &Uri,
    expiry: u32,
) -> Answer {
    match tokio::time::timeout(
        REGISTER_TIMEOUT,
        client.register(server.clone(), Some(expiry)),
    )
    .await
    {
        Err(_) => Answer::Unreachable(format!("no answer within {} s", REGISTER_TIMEOUT.as_secs())),
        Ok(Err(e)) => Answer::Unreachable(e.to_string()),
        Ok(Ok(response)) => {
            let code = response.status_code.code();
            if (200..300).contains(&code) {
                Answer::Registered {
                    granted: client.expires(),
                }
            } else {
                Answer::Refused(format!("{code} {}", response.status_code.text()))
            }
        }
    }
}

fn publish_registration(states: &TrunkStates, trunk: &str, machine: &Registration) {
    let now = Instant::now();
    let s = machine.status(now);
    states.set_registration(
        trunk,
        Some(RegistrationStatus {
            state: s.state,
            expires_at: s.expires_at.map(|t| wall_clock(t, now)),
            last_error: s.last_error,
            next_attempt_at: s.next_attempt_at.map(|t| wall_clock(t, now)),
        }),
    );
}

/// Probes the trunk's peer with OPTIONS every `interval` until `stop`; tells
/// `returned` when a peer that was down answers again.
async fn keep_probing<S: Store>(link: Arc<Link<S>>, interval: Duration) {
    let Link {
        sip,
        states,
        trunk,
        server,
        returned,
        events,
        stop,
    } = &*link;
    let mut machine = Health::new(interval, Instant::now());
    let mut was_down = false;
    loop {
        publish_health(states, trunk, &machine);
        if machine.poll_probe(Instant::now()) {
            let timeout = machine.probe_timeout();
            let result = tokio::time::timeout(timeout, probe(sip, server))
                .await
                .unwrap_or_else(|_| {
                    Err(format!(
                        "no answer to OPTIONS within {} ms",
                        timeout.as_millis()
                    ))
                });
            match machine.handle_result(result, Instant::now()) {
                Change::Down => {
                    was_down = true;
                    tracing::warn!(%trunk, reason = ?machine.last_error(), "the trunk's peer is down: failover skips it");
                    let reason = machine.last_error().map(str::to_owned);
                    events.tell("trunk.down", reason).await;
                }
                Change::Up => {
                    tracing::info!(%trunk, "the trunk's peer answers OPTIONS: up");
                    if was_down {
                        returned.notify_one();
                        events.tell("trunk.up", None).await;
                    }
                    was_down = false;
                }
                Change::None => {}
            }
            continue;
        }
        tokio::select! {
            () = stop.cancelled() => break,
            () = crate::call::invite::sleep_until(machine.poll_timeout()) => {}
        }
    }
}

/// One OPTIONS to `server`: Ok once any final answer comes.
async fn probe(sip: &SipStack, server: &Uri) -> Result<(), String> {
    let endpoint = &sip.dialogs.endpoint;
    let target = SipAddr::try_from(server).map_err(|e| e.to_string())?;
    let via = match endpoint.transport_layer.lookup(&target, None).await {
        Ok((connection, _)) => endpoint.get_via(Some(connection.get_addr().clone()), None),
        Err(_) => endpoint.get_via(None, None),
    }
    .map_err(|e| e.to_string())?;
    let from = rsipstack::sip::typed::From {
        display_name: None,
        uri: sip.contact.clone(),
        params: vec![],
    }
    .with_tag(rsipstack::transaction::make_tag());
    let to = rsipstack::sip::typed::To {
        display_name: None,
        uri: server.clone(),
        params: vec![],
    };
    let request = endpoint.make_request(Method::Options, server.clone(), via, from, to, 1, None);
    let key = TransactionKey::from_request(&request, TransactionRole::Client)
        .map_err(|e| e.to_string())?;
    let mut tx = Transaction::new_client(key, request, endpoint.clone(), None);
    tx.send().await.map_err(|e| e.to_string())?;
    while let Some(message) = tx.receive().await {
        if let SipMessage::Response(response) = message
            && response.status_code.code() >= 200
        {
            return Ok(());
        }
    }
    Err("the OPTIONS transaction ended without an answer".to_owned())
}

fn publish_health(states: &TrunkStates, trunk: &str, machine: &Health) {
    let now = Instant::now();
    states.set_health(
        trunk,
        Some(HealthStatus {
            state: machine.state(),
            since: wall_clock(machine.since(), now),
            last_error: machine.last_error().map(str::to_owned),
        }),
    );
}

/// `at` as a wall-clock timestamp, `now` being now.
fn wall_clock(at: Instant, now: Instant) -> String {
    let wall = time::OffsetDateTime::now_utc();
    let t = if at >= now {
        wall + (at - now)
    } else {
        wall - (now - at)
    };
    crate::clock::format_timestamp(t)
}
