//! The party in a provisioned queue: joining, asking storage for agents (off the loop),
//! telling storage what happened, the queue events to the status callback, and the
//! node-wide wake-up that lets waiting callers ask again as soon as something changes.

use super::{Done, Driver};
use crate::acd::{QueueCaller, QueueChange, QueueExit, QueueJoin};
use crate::program::{Event, QueueNews};
use crate::store::Store;

/// Tries at joining a queue while storage fails.
const JOIN_ATTEMPTS: u32 = 3;

/// Tries at recording a queue change while storage fails.
const CHANGE_ATTEMPTS: u32 = 5;

impl<S: Store> Driver<S> {
    /// Joins `queue`: a provisioned one (in storage, served by its agents), or this
    /// node's FIFO of an application's own queue.
    pub(super) async fn join_queue(&mut self, queue: String) {
        let caller = QueueCaller {
            sid: self.record.sid.clone(),
            number: self.record.from.clone(),
            name: self.record.from_name.clone(),
        };
        // A busy database gets a few tries before the caller is turned away.
        let mut joined = self
            .calls
            .store
            .queue_join(&queue, &caller, crate::clock::unix_now_ms())
            .await;
        for attempt in 1..JOIN_ATTEMPTS {
            if joined.is_ok() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200 * u64::from(attempt))).await;
            joined = self
                .calls
                .store
                .queue_join(&queue, &caller, crate::clock::unix_now_ms())
                .await;
        }
        match joined {
            Ok(QueueJoin::Unprovisioned) => self.join_fifo(queue),
            Ok(QueueJoin::Joined { position, settings }) => {
                let rx = self.calls.queue_wakes.subscribe(&queue);
                self.queue_departures = *rx.borrow();
                self.queue_wake = Some(rx);
                self.queued
                    .push_back(Event::QueueEntered { position, settings });
            }
            Ok(QueueJoin::Refused(exit)) => self.queued.push_back(Event::QueueRefused { exit }),
            Err(e) => {
                tracing::error!(%queue, error = %e, "cannot join the queue: storage failed");
                self.queued.push_back(Event::QueueRefused {
                    exit: QueueExit::Left,
                });
            }
        }
    }

    /// Asks storage for agents, off the loop.
    pub(super) fn claim_agents(&mut self, queue: String, estimate: bool) {
        let store = self.calls.store.clone();
        let sid = self.record.sid.clone();
        let handle = self.pending.spawn(async move {
            let now_ms = crate::clock::unix_now_ms();
            let asked = std::time::Instant::now();
            let claim = match store.queue_claim(&queue, &sid, estimate, now_ms).await {
                Ok(claim) => {
                    tracing::debug!(%queue, ms = asked.elapsed().as_millis(), "storage answered a claim");
                    Some(claim)
                }
                Err(e) => {
                    tracing::warn!(%queue, error = %e, "cannot ask for agents: storage failed");
                    None
                }
            };
            Done::Event(Event::QueueClaimed { claim })
        });
        self.fallbacks
            .insert(handle.id(), Event::QueueClaimed { claim: None });
    }

    /// Tells storage (a busy database gets a few tries: an agent whose call end is
    /// lost would stay busy), then this node's other waiting callers: an agent may be
    /// free.
    pub(super) async fn queue_change(&mut self, queue: &str, change: QueueChange) {
        let started = std::time::Instant::now();
        for attempt in 1..=CHANGE_ATTEMPTS {
            let now_ms = crate::clock::unix_now_ms();
            match self
                .calls
                .store
                .queue_change(queue, &self.record.sid, &change, now_ms)
                .await
            {
                Ok(()) => break,
                Err(e) if attempt < CHANGE_ATTEMPTS => {
                    tracing::warn!(%queue, ?change, attempt, error = %e, "cannot record a queue change yet");
                    tokio::time::sleep(std::time::Duration::from_millis(50 * u64::from(attempt)))
                        .await;
                }
                Err(e) => {
                    tracing::error!(%queue, ?change, error = %e, "cannot record a queue change")
                }
            }
        }
        tracing::debug!(%queue, ?change, ms = started.elapsed().as_millis(), "queue change recorded");
        // A caller leaves the line when answered, or when it goes unanswered; once
        // answered, its leaving the queue moves nobody up.
        let departed = match &change {
            QueueChange::Answered { .. } => {
                self.queue_answered = true;
                true
            }
            QueueChange::Left(_) => !self.queue_answered,
            _ => false,
        };
        if matches!(change, QueueChange::Left(_)) {
            self.queue_wake = None;
            self.queue_answered = false;
        }
        self.calls.queue_wakes.notify(queue, departed);
    }

    /// A queue event to the status callback (through the outbox).
    pub(super) async fn queue_event(&self, news: QueueNews) {
        let Some((application, url)) = &self.status_to else {
            return;
        };
        let body = contract::webhook::QueueEvent {
            event: news.event.to_owned(),
            timestamp: crate::clock::timestamp_now(),
            queue: news.queue,
            call_sid: self.record.sid.clone(),
            caller_number: self.record.from.clone(),
            position: news.position,
            agent: news.agent,
            wait_seconds: news.wait_seconds,
            reason: news.reason.map(str::to_owned),
        };
        let Ok(json) = serde_json::to_string(&body) else {
            return;
        };
        self.calls
            .unsaved
            .enqueue_callback(&*self.calls.store, application, url.as_str(), json)
            .await;
    }
}

/// The next wake-up of the party's queue (never, when it waits in none), with how many
/// callers left the line since the last one.
pub(super) async fn woken(
    wake: &mut Option<tokio::sync::watch::Receiver<crate::call::queue::Departures>>,
    seen: &mut crate::call::queue::Departures,
) -> Option<Event> {
    match wake {
        Some(rx) => match rx.changed().await {
            Ok(()) => {
                let now = *rx.borrow_and_update();
                let departed = u32::try_from(now.saturating_sub(*seen)).unwrap_or(u32::MAX);
                *seen = now;
                Some(Event::QueueWake { departed })
            }
            Err(_) => {
                *wake = None;
                None
            }
        },
        None => std::future::pending().await,
    }
}
