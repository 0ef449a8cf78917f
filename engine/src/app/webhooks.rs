//! How a call talks to its application: the webhook request describing it, fetching
//! documents (and what happens when that fails), and status events through the outbox.

use super::{Flow, Session, audio, wait_for_hangup};
use crate::call::Calls;
use crate::call::timestamp_now;
use crate::outcome::{EndedBy, Outcome};
use crate::store::{CallRecord, Store};
use crate::webhook::FetchError;
use contract::models::applications::WebhookMethod;
use contract::models::calls::CallStatus;
use contract::verbs::WebhookUrl;
use contract::webhook::{CallEvent, SipInfo, StatusCallback, WebhookRequest};

impl<S: Store> Session<S> {
    /// The webhook request describing the call now.
    pub(super) fn request(&self) -> WebhookRequest {
        let mut headers = std::collections::BTreeMap::new();
        if let Some(ua) = &self.user_agent {
            headers.insert("user-agent".to_owned(), ua.clone());
        }
        let mut request = request_for(&self.record);
        request.caller_name = Some(self.caller_name.clone());
        request.sip.headers = headers;
        request
    }

    /// Fetches a document (`url`, or the voice URL) and turns failures into the failure
    /// flow.
    pub(super) async fn fetch(
        &mut self,
        url: Option<&url::Url>,
        method: WebhookMethod,
        request: WebhookRequest,
    ) -> Flow {
        let fetched = tokio::select! {
            r = self.inner.webhooks.fetch(&self.app, url, method, &request) => r,
            gone = wait_for_hangup(&mut self.states, &self.caller_call_id) => {
                self.caller_hung_up(gone);
                return Flow::End;
            }
        };
        match fetched {
            Ok(document) => Flow::Document(document),
            Err(e) => self.webhook_failed(e).await,
        }
    }

    /// Posts to an `action` URL (default: the current document's) and continues with
    /// its answer.
    pub(super) async fn follow(
        &mut self,
        action: Option<&WebhookUrl>,
        request: WebhookRequest,
    ) -> Flow {
        let url = match action {
            Some(a) => match a.resolve(self.document_url.as_ref()) {
                Ok(u) => u,
                Err(e) => {
                    return self
                        .fail("invalid_url", format!("action {a}: {e}"), None, None)
                        .await;
                }
            },
            None => match &self.document_url {
                Some(u) => u.clone(),
                None => self.app.voice_url.clone(),
            },
        };
        self.fetch(Some(&url), WebhookMethod::Post, request).await
    }

    pub(super) async fn webhook_failed(&mut self, e: FetchError) -> Flow {
        let (code, url, document) = match &e.invalid {
            Some((url, verr)) => ("invalid_document", Some(url.clone()), Some(verr.clone())),
            None => (
                "webhook_failed",
                e.attempts.last().map(|a| a.url.clone()),
                None,
            ),
        };
        self.fail(code, e.to_string(), url, document).await
    }

    /// The application failed the call: log it, tell its status callback, let the
    /// caller hear the failure tone, and end the call.
    pub(super) async fn fail(
        &mut self,
        code: &'static str,
        message: String,
        url: Option<String>,
        document: Option<contract::verbs::VerbError>,
    ) -> Flow {
        tracing::warn!(sid = %self.record.sid, application = %self.app.application_id, code, %message, "application failed the call");
        self.report_error(code, &message, url, document).await;
        if self.outcome.is_some() {
            return Flow::End;
        }
        if self.answer().await.is_err() {
            return self
                .end_unanswered(CallStatus::Failed, 500, "application failed")
                .await;
        }
        let tone = audio::failure_tone();
        if let Err(flow) = self.play_audio(tone, 1, false).await {
            return flow;
        }
        self.outcome = Some(Outcome::new(
            CallStatus::Failed,
            EndedBy::System,
            500,
            format!("application failed: {code}"),
        ));
        self.bye();
        Flow::End
    }

    /// Sends the error to the application's status callback, without holding the call.
    pub(super) async fn report_error(
        &self,
        code: &str,
        message: &str,
        url: Option<String>,
        document: Option<contract::verbs::VerbError>,
    ) {
        let error = contract::webhook::CallError {
            code: code.to_owned(),
            message: message.to_owned(),
            url,
            document,
        };
        self.event(CallEvent::Error, Some(error)).await;
    }

    /// Queues a status callback for this call's application (if it has one). The outbox
    /// stores it (one quick write) and a worker delivers it: the call never waits for
    /// the application.
    pub(super) async fn event(
        &self,
        event: CallEvent,
        error: Option<contract::webhook::CallError>,
    ) {
        let Some(callback) = self.app.status_callback.clone() else {
            return;
        };
        self.queue_event(&callback, event, self.request(), error)
            .await;
    }

    /// Queues an event with these call fields to `url` (a verb's own callback).
    pub(super) async fn event_to(&self, url: &url::Url, event: CallEvent, call: WebhookRequest) {
        self.queue_event(url, event, call, None).await;
    }

    pub(super) async fn queue_event(
        &self,
        url: &url::Url,
        event: CallEvent,
        call: WebhookRequest,
        error: Option<contract::webhook::CallError>,
    ) {
        let body = StatusCallback {
            event,
            timestamp: timestamp_now(),
            call,
            duration: (event == CallEvent::Completed)
                .then(|| self.answered_at.map_or(0, |t| t.elapsed().as_secs())),
            error,
        };
        queue_status(&self.inner, &self.app.application_id, url, &body).await;
    }

    /// Posts to an `action` URL after the call ended: the application learns the
    /// outcome; its answer has nothing left to drive.
    pub(super) async fn notify_action(&self, action: Option<&WebhookUrl>, request: WebhookRequest) {
        let url = match action.map(|a| a.resolve(self.document_url.as_ref())) {
            Some(Ok(u)) => u,
            Some(Err(_)) => return,
            None => match &self.document_url {
                Some(u) => u.clone(),
                None => return,
            },
        };
        if let Err(e) = self
            .inner
            .webhooks
            .fetch(&self.app, Some(&url), WebhookMethod::Post, &request)
            .await
        {
            tracing::info!(sid = %self.record.sid, %url, error = %e, "action after hangup not accepted");
        }
    }
}

/// Queues a status callback in the outbox (one quick write); a worker delivers it.
pub(crate) async fn queue_status<S: Store>(
    inner: &Calls<S>,
    application: &str,
    url: &url::Url,
    body: &StatusCallback,
) {
    let Ok(json) = serde_json::to_string(body) else {
        return;
    };
    if let Err(e) = inner
        .store
        .enqueue_callback(application, url.as_str(), json)
        .await
    {
        tracing::warn!(%application, %url, error = %e, "cannot queue a status callback");
    }
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
        trunk: None,
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
