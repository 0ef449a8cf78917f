//! Talking to the application: documents fetched (signed, with the application's
//! timeouts, retries and fallback URL), actions notified, status events queued in the
//! outbox, and the audio verbs play (recordings, URLs, speech).

use super::{Done, Driver};
use crate::call::Calls;
use crate::program::{AudioSource, Document, Event, FetchFailure, Fields};
use crate::store::{AppWebhooks, CallRecord, Store};
use crate::webhook::FetchError;
use contract::models::applications::WebhookMethod;
use contract::types::Destination;
use contract::webhook::{CallError, CallEvent, SipInfo, StatusCallback, WebhookRequest};
use std::sync::Arc;
use url::Url;

impl<S: Store> Driver<S> {
    /// The webhook request describing the call now, with an event's `fields`.
    pub(super) fn request(&self, fields: Fields) -> WebhookRequest {
        let mut request = request_for(&self.record);
        request.caller_name = Some(self.caller_name.clone());
        request.sip.headers.clone_from(&self.sip_headers);
        request.digits = fields.digits;
        request.dial_call_status = fields.dial_call_status;
        request.dial_call_sid = fields.dial_call_sid;
        if let Some(r) = fields.recording {
            request.recording_duration =
                Some(u32::try_from(r.duration_ms.div_ceil(1000)).unwrap_or(u32::MAX));
            request.recording_url = Some(r.url);
            request.recording_sid = Some(r.sid);
        }
        request.queue_time = fields.queue_time;
        request.reason = fields.reason;
        request
    }

    /// Fetches a document off the loop: `url` (POST), or the voice URL with the
    /// application's method.
    pub(super) fn fetch(&mut self, id: u64, url: Option<Url>, fields: Fields) {
        let request = self.request(fields);
        let calls = self.calls.clone();
        let app = self.app.clone();
        if url.is_none() {
            tracing::info!(sid = %self.record.sid, from = %self.record.from, to = %self.record.to, application = %app.application_id, "call to an application");
        }
        let handle = self.pending.spawn(async move {
            let method = if url.is_some() {
                WebhookMethod::Post
            } else {
                app.method
            };
            let result = calls
                .webhooks
                .fetch(&app, url.as_ref(), method, &request)
                .await
                .map(|d| Document {
                    url: d.url,
                    verbs: d.verbs,
                })
                .map_err(|e| failure(&e));
            Done::Event(Event::Fetched { id, result })
        });
        let failed = FetchFailure {
            code: "webhook_failed",
            message: "the request failed inside Switchboard".to_owned(),
            url: None,
            document: None,
        };
        self.fallbacks.insert(
            handle.id(),
            Event::Fetched {
                id,
                result: Err(failed),
            },
        );
    }

    /// Hands the call to `destination`, off the loop: the application answering there
    /// is found, then asked for its document (with its own method, secret, timeouts).
    pub(super) fn route(&mut self, id: u64, destination: Destination) {
        let request = self.request(Fields::default());
        let calls = self.calls.clone();
        let sid = self.record.sid.clone();
        let handle = self.pending.spawn(async move {
            let nowhere = |message: String| {
                Done::Event(Event::Fetched {
                    id,
                    result: Err(FetchFailure {
                        code: "unknown_destination",
                        message,
                        url: None,
                        document: None,
                    }),
                })
            };
            let app = match calls.store.destination(&destination).await {
                Ok(Some(app)) => app,
                Ok(None) => {
                    return nowhere(format!("destination {destination} does not exist"));
                }
                Err(e) => return nowhere(format!("cannot look up destination {destination}: {e}")),
            };
            tracing::info!(%sid, %destination, url = %app.voice_url, "call handed to a destination");
            let result = calls
                .webhooks
                .fetch(&app, None, app.method, &request)
                .await
                .map(|d| Document {
                    url: d.url,
                    verbs: d.verbs,
                })
                .map_err(|e| failure(&e));
            Done::Routed {
                app: Box::new(app),
                event: Event::Fetched { id, result },
            }
        });
        let failed = FetchFailure {
            code: "webhook_failed",
            message: "the request failed inside Switchboard".to_owned(),
            url: None,
            document: None,
        };
        self.fallbacks.insert(
            handle.id(),
            Event::Fetched {
                id,
                result: Err(failed),
            },
        );
    }

    /// From now on `app` drives the call; status events follow it if it has a status
    /// callback.
    pub(super) fn switch_app(&mut self, app: AppWebhooks) {
        if let Some(to) = status_of(&app) {
            self.status_to = Some(to);
        }
        self.app = app;
    }

    /// Posts to an action after the call ended: the application learns the outcome;
    /// its answer has nothing left to drive.
    pub(super) fn notify(&mut self, url: Url, fields: Fields) {
        let request = self.request(fields);
        let calls = self.calls.clone();
        let app = self.app.clone();
        let sid = self.record.sid.clone();
        self.notifying.spawn(async move {
            if let Err(e) = calls
                .webhooks
                .fetch(&app, Some(&url), WebhookMethod::Post, &request)
                .await
            {
                tracing::info!(%sid, %url, error = %e, "action after hangup not accepted");
            }
        });
    }

    /// Queues a status event (to `url`, or the application's status callback) in the
    /// outbox: one quick write; a worker delivers it, the call never waits for the
    /// application.
    pub(super) async fn status(
        &self,
        event: CallEvent,
        fields: Fields,
        url: Option<Url>,
        error: Option<CallError>,
    ) {
        if let Some(e) = &error {
            tracing::warn!(sid = %self.record.sid, application = %self.app.application_id, code = %e.code, message = %e.message, "application failed the call");
        }
        // A verb's own status URL belongs to the application driving the call now.
        let (application, url) = match (url, &self.status_to) {
            (Some(url), _) => (self.app.application_id.clone(), url),
            (None, Some((application, url))) => (application.clone(), url.clone()),
            (None, None) => return,
        };
        let body = StatusCallback {
            event,
            timestamp: crate::clock::timestamp_now(),
            call: self.request(fields),
            duration: (event == CallEvent::Completed)
                .then(|| self.answered_at.map_or(0, |t| t.elapsed().as_secs())),
            error,
        };
        queue_status(&self.calls, &application, &url, &body).await;
    }

    /// Loads audio off the loop.
    pub(super) fn load_audio(&mut self, id: u64, source: AudioSource) {
        let calls = self.calls.clone();
        let handle = self.pending.spawn(async move {
            let result = load(&calls, source).await;
            Done::Event(Event::AudioLoaded { id, result })
        });
        let failed = Event::AudioLoaded {
            id,
            result: Err("the audio could not be loaded".to_owned()),
        };
        self.fallbacks.insert(handle.id(), failed);
    }
}

/// The audio of a `play` or `say`, or why it cannot be had.
pub(super) async fn load<S: Store>(
    calls: &Arc<Calls<S>>,
    source: AudioSource,
) -> Result<crate::program::Audio, String> {
    match source {
        AudioSource::Recording(name) => {
            let path = match calls.store.recording_file(&name).await {
                Ok(Some(path)) => path,
                Ok(None) => return Err(format!("no recording named {name:?}")),
                Err(e) => return Err(format!("cannot look up recording {name:?}: {e}")),
            };
            calls.audio.load(&path).await.map_err(|e| e.to_string())
        }
        AudioSource::Url(url) => calls.audio.fetch(&calls.webhooks, &url).await,
        AudioSource::Speech {
            text,
            language,
            voice,
        } => {
            calls
                .audio
                .speak(&text, language.as_deref(), voice.as_deref())
                .await
        }
    }
}

/// Where `app` wants status events: its id and status callback.
pub(super) fn status_of(app: &AppWebhooks) -> Option<(String, Url)> {
    app.status_callback
        .clone()
        .map(|url| (app.application_id.clone(), url))
}

/// Why a document could not be had, as the program reports it.
pub(crate) fn failure(e: &FetchError) -> FetchFailure {
    match &e.invalid {
        Some((url, verr)) => FetchFailure {
            code: "invalid_document",
            message: e.to_string(),
            url: Some(url.clone()),
            document: Some(verr.clone()),
        },
        None => FetchFailure {
            code: "webhook_failed",
            message: e.to_string(),
            url: e.attempts.last().map(|a| a.url.clone()),
            document: None,
        },
    }
}

/// Queues a status callback in the outbox (one quick write); a worker delivers it.
pub(crate) async fn queue_status<S: Store>(
    calls: &Calls<S>,
    application: &str,
    url: &Url,
    body: &StatusCallback,
) {
    let Ok(json) = serde_json::to_string(body) else {
        return;
    };
    calls
        .unsaved
        .enqueue_callback(&*calls.store, application, url.as_str(), json)
        .await;
}

/// The webhook request describing a call as its record stands, without event fields.
pub(crate) fn request_for(record: &CallRecord) -> WebhookRequest {
    WebhookRequest {
        call_sid: record.sid.clone(),
        direction: record.direction.to_owned(),
        from: record.from.clone(),
        to: record.to.clone(),
        caller_name: record.from_name.clone(),
        call_status: record.status,
        parent_call_sid: record.parent_sid.clone(),
        trunk: record.trunk.clone(),
        sip: SipInfo {
            call_id: record.sip_call_id.clone(),
            headers: std::collections::BTreeMap::new(),
        },
        digits: None,
        dial_call_status: None,
        dial_call_sid: None,
        recording_url: None,
        recording_sid: None,
        recording_duration: None,
        queue_time: None,
        reason: None,
    }
}
