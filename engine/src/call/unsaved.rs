//! Writes the database refused — it is down, restarting, failing over — kept in memory
//! and retried until it answers, so an outage loses neither a call's record nor a status
//! callback. A call record waiting is replaced by the same call's newer state (the
//! newest wins, as it would have in the table); status callbacks wait in order, and
//! while any waits, new ones queue behind it rather than overtake it.
//!
//! Bounded: past [`MAX_WAITING`] of either, the oldest is given up with an error in the
//! log (an outage that long needs an operator, not more memory).

use crate::store::{CallRecord, Store};
use rsipstack::platform::CancellationToken;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

/// Records or callbacks kept at most while the database is away.
pub const MAX_WAITING: usize = 100_000;
/// How often the database is tried again.
const RETRY_EVERY: Duration = Duration::from_secs(1);

/// A status callback: application id, URL, JSON body.
type Callback = (String, String, String);

#[derive(Debug, Default)]
pub struct Unsaved {
    records: Mutex<BTreeMap<String, CallRecord>>,
    callbacks: Mutex<VecDeque<Callback>>,
}

impl Unsaved {
    /// Writes `record`, or keeps it to retry (replacing an older state of the same call
    /// still waiting, which must not be written after it).
    pub async fn save_call<S: Store>(&self, store: &S, record: &CallRecord) {
        if let Ok(mut waiting) = self.records.lock()
            && let Some(older) = waiting.get_mut(&record.sid)
        {
            *older = record.clone();
            return;
        }
        if let Err(e) = store.save_call(record).await {
            tracing::warn!(error = %e, sid = %record.sid, "cannot write a call record: kept, and written once the database answers");
            if let Ok(mut waiting) = self.records.lock() {
                if waiting.len() >= MAX_WAITING
                    && let Some(oldest) = waiting.keys().next().cloned()
                {
                    waiting.remove(&oldest);
                    tracing::error!(sid = %oldest, "too many call records waiting for the database: one given up");
                }
                waiting.insert(record.sid.clone(), record.clone());
            }
        }
    }

    /// Queues a status callback in the outbox, or keeps it to retry, in order.
    pub async fn enqueue_callback<S: Store>(
        &self,
        store: &S,
        application: &str,
        url: &str,
        body: String,
    ) {
        if let Ok(mut waiting) = self.callbacks.lock()
            && !waiting.is_empty()
        {
            push_bounded(&mut waiting, (application.to_owned(), url.to_owned(), body));
            return;
        }
        if let Err(e) = store.enqueue_callback(application, url, body.clone()).await {
            tracing::warn!(%application, %url, error = %e, "cannot queue a status callback: kept, and queued once the database answers");
            if let Ok(mut waiting) = self.callbacks.lock() {
                push_bounded(&mut waiting, (application.to_owned(), url.to_owned(), body));
            }
        }
    }

    /// How many records and callbacks wait.
    pub fn waiting(&self) -> (usize, usize) {
        (
            self.records.lock().map_or(0, |r| r.len()),
            self.callbacks.lock().map_or(0, |c| c.len()),
        )
    }

    /// Until `stop`: tries the database again every second while anything waits.
    pub async fn retry<S: Store>(&self, store: &S, stop: CancellationToken) {
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep(RETRY_EVERY) => {}
            }
            self.flush(store).await;
        }
    }

    /// One attempt at everything waiting; stops at the first refusal (the database is
    /// still away).
    pub async fn flush<S: Store>(&self, store: &S) {
        let (records, callbacks) = self.waiting();
        if records + callbacks == 0 {
            return;
        }
        let snapshot: Vec<CallRecord> = self
            .records
            .lock()
            .map(|r| r.values().cloned().collect())
            .unwrap_or_default();
        for record in snapshot {
            if store.save_call(&record).await.is_err() {
                return;
            }
            if let Ok(mut waiting) = self.records.lock()
                && waiting.get(&record.sid) == Some(&record)
            {
                waiting.remove(&record.sid);
            }
        }
        while let Some((application, url, body)) =
            self.callbacks.lock().ok().and_then(|c| c.front().cloned())
        {
            if store
                .enqueue_callback(&application, &url, body)
                .await
                .is_err()
            {
                return;
            }
            if let Ok(mut waiting) = self.callbacks.lock() {
                waiting.pop_front();
            }
        }
        tracing::info!(
            call_records = records,
            status_callbacks = callbacks,
            "the database answers again: what waited is written"
        );
    }
}

fn push_bounded(waiting: &mut VecDeque<Callback>, callback: Callback) {
    if waiting.len() >= MAX_WAITING {
        waiting.pop_front();
        tracing::error!("too many status callbacks waiting for the database: the oldest given up");
    }
    waiting.push_back(callback);
}
