//! The webhook client: asks an application for a verb document, signed, with timeouts,
//! retries and a fallback URL, and reports precisely why it could not get one.
//!
//! Requests for URLs under a [`LocalService`]'s base (the built-in PBX apps served by
//! this process) are the same requests — method, URL, headers, signed body — handed to
//! the service in-process instead of through a socket.

use contract::models::applications::WebhookMethod;
use contract::signature;
use contract::verbs::{Verb, VerbError, parse_document};
use contract::webhook::WebhookRequest;
use std::collections::HashMap;
use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use url::Url;

pub use crate::store::{AppWebhooks, RetryOn, WebhookPolicy};

/// One failed attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub url: String,
    pub problem: String,
}

/// Why no verb document could be obtained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchError {
    /// Every attempt, in order.
    pub attempts: Vec<Attempt>,
    /// The last invalid document received, if the failure was (also) a bad document.
    pub invalid: Option<(String, VerbError)>,
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some((url, e)) = &self.invalid {
            return write!(f, "invalid verb document from {url}: {e}");
        }
        match self.attempts.last() {
            Some(a) => write!(
                f,
                "no answer after {} attempt(s); last: {}: {}",
                self.attempts.len(),
                a.url,
                a.problem
            ),
            None => f.write_str("no webhook URL"),
        }
    }
}

impl std::error::Error for FetchError {}

/// A verb document and the URL it came from (relative URLs inside resolve against it).
#[derive(Debug, Clone)]
pub struct Document {
    pub url: Url,
    pub verbs: Vec<Verb>,
}

/// The longest webhook answer we read: a verb document is small.
const MAX_DOCUMENT_BYTES: usize = 1 << 20;

/// An HTTP service in this process (the built-in apps): it answers requests for URLs
/// under its base without a socket.
pub trait LocalService: Send + Sync + 'static {
    fn call(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Pin<Box<dyn Future<Output = http::Response<Vec<u8>>> + Send>>;
}

/// A [`LocalService`] and the URLs it answers for.
#[derive(Clone)]
pub struct Local {
    /// Requests whose URL starts with this go to `service`.
    pub base: Url,
    pub service: Arc<dyn LocalService>,
}

impl fmt::Debug for Local {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Local")
            .field("base", &self.base.as_str())
            .finish()
    }
}

/// Sends webhook requests. Cheap to clone (shared connection pools).
#[derive(Debug, Clone)]
pub struct WebhookClient {
    http: reqwest::Client,
    /// One client per connect timeout an application asked for (reqwest sets it per
    /// client); few distinct values exist in practice.
    by_connect_timeout: Arc<Mutex<HashMap<Duration, reqwest::Client>>>,
    local: Option<Local>,
}

enum Outcome {
    Document(Document),
    /// A definitive failure for this URL (no retry helps): 4xx, bad document.
    Refused(String, Option<VerbError>),
    /// A failure a retry may cure.
    Transient(String),
}

impl WebhookClient {
    pub fn new() -> Result<Self, reqwest::Error> {
        // One crypto provider for the whole process (sqlx's TLS uses ring too); another
        // part of the process may have installed it already.
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
        let http = build_client(WebhookPolicy::default().connect_timeout)?;
        Ok(Self {
            http,
            by_connect_timeout: Arc::default(),
            local: None,
        })
    }

    /// Hands requests under `local.base` to `local.service` in-process.
    pub fn with_local(mut self, local: Option<Local>) -> Self {
        self.local = local;
        self
    }

    /// The in-process service answering for `url`, if one does.
    fn local_for(&self, url: &Url) -> Option<&Local> {
        self.local
            .as_ref()
            .filter(|l| url.as_str().starts_with(l.base.as_str()))
    }

    /// The client that connects within `timeout`.
    fn client(&self, timeout: Duration) -> reqwest::Client {
        if timeout == WebhookPolicy::default().connect_timeout {
            return self.http.clone();
        }
        let Ok(mut clients) = self.by_connect_timeout.lock() else {
            return self.http.clone();
        };
        if let Some(c) = clients.get(&timeout) {
            return c.clone();
        }
        match build_client(timeout) {
            Ok(c) => {
                clients.insert(timeout, c.clone());
                c
            }
            Err(_) => self.http.clone(),
        }
    }

    /// Asks `app` what to do: `url` (default: its voice URL) then, when that fails, its
    /// fallback URL, each with the application's retries.
    pub async fn fetch(
        &self,
        app: &AppWebhooks,
        url: Option<&Url>,
        method: WebhookMethod,
        request: &WebhookRequest,
    ) -> Result<Document, FetchError> {
        let primary = url.unwrap_or(&app.voice_url);
        let mut error = FetchError {
            attempts: Vec::new(),
            invalid: None,
        };
        let mut urls = vec![(primary, method)];
        if let Some(fallback) = &app.fallback_url
            && fallback != primary
        {
            urls.push((fallback, app.method));
        }
        for (url, method) in urls {
            for attempt in 0..=app.policy.retries {
                if attempt > 0 {
                    // A short pause so a restarting app gets a chance; grows per attempt.
                    tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
                }
                match self.once(app, url, method, request).await {
                    Outcome::Document(d) => return Ok(d),
                    Outcome::Refused(problem, invalid) => {
                        tracing::warn!(application = %app.application_id, %url, %problem, "webhook refused");
                        error.attempts.push(Attempt {
                            url: url.to_string(),
                            problem,
                        });
                        if let Some(e) = invalid {
                            error.invalid = Some((url.to_string(), e));
                        }
                        break;
                    }
                    Outcome::Transient(problem) => {
                        tracing::warn!(application = %app.application_id, %url, attempt = attempt + 1, %problem, "webhook failed");
                        error.attempts.push(Attempt {
                            url: url.to_string(),
                            problem,
                        });
                    }
                }
            }
        }
        Err(error)
    }

    async fn once(
        &self,
        app: &AppWebhooks,
        url: &Url,
        method: WebhookMethod,
        request: &WebhookRequest,
    ) -> Outcome {
        let body = match serde_json::to_vec(request) {
            Ok(b) => b,
            Err(e) => return Outcome::Refused(format!("cannot encode the request: {e}"), None),
        };
        let http = self.client(app.policy.connect_timeout);
        let builder = match method {
            WebhookMethod::Post => http
                .post(url.clone())
                .header("content-type", "application/json")
                .body(body.clone()),
            // GET: the same fields as query parameters.
            WebhookMethod::Get => http.get(url.clone()).query(&flat_query(request)),
        };
        let total = app.policy.connect_timeout + app.policy.read_timeout;
        let mut built = match builder
            .header("accept", "application/json")
            .timeout(total)
            .build()
        {
            Ok(r) => r,
            Err(e) => return Outcome::Refused(format!("cannot build the request: {e}"), None),
        };
        // POST signs the body; GET, which has none, signs the full URL it requests.
        let signed: Vec<u8> = match method {
            WebhookMethod::Post => body,
            WebhookMethod::Get => built.url().as_str().as_bytes().to_vec(),
        };
        let header = signature::sign(app.secret.as_bytes(), crate::clock::unix_now(), &signed);
        if let Ok(value) = reqwest::header::HeaderValue::from_str(&header) {
            built.headers_mut().insert(signature::HEADER, value);
        }
        if let Some(local) = self.local_for(url) {
            return match tokio::time::timeout(total, local.service.call(in_process(&built))).await {
                Ok(response) => {
                    let (parts, body) = response.into_parts();
                    judge(app, parts.status, url.clone(), Ok(body))
                }
                Err(_) => Outcome::Transient(format!("no answer within {} ms", total.as_millis())),
            };
        }
        let response = match http.execute(built).await {
            Ok(r) => r,
            Err(e) if e.is_timeout() => {
                return Outcome::Transient(format!("no answer within {} ms", total.as_millis()));
            }
            Err(e) if e.is_connect() => {
                return Outcome::Transient(format!("cannot connect: {}", root_cause(&e)));
            }
            Err(e) => return Outcome::Transient(root_cause(&e)),
        };
        let status = response.status();
        if !status.is_success() {
            return judge(app, status, url.clone(), Ok(Vec::new()));
        }
        let final_url = response.url().clone();
        let bytes = read_limited(response, MAX_DOCUMENT_BYTES).await;
        judge(app, status, final_url, bytes)
    }
}

/// The same request, for a service in this process.
fn in_process(built: &reqwest::Request) -> http::Request<Vec<u8>> {
    let body = built
        .body()
        .and_then(reqwest::Body::as_bytes)
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    let mut request = http::Request::new(body);
    *request.method_mut() = built.method().clone();
    if let Ok(uri) = built.url().as_str().parse() {
        *request.uri_mut() = uri;
    }
    *request.headers_mut() = built.headers().clone();
    request
}

/// What an answer (its status, the URL it came from, its body or why it could not be
/// read) means for the call.
fn judge(
    app: &AppWebhooks,
    status: reqwest::StatusCode,
    final_url: Url,
    bytes: Result<Vec<u8>, String>,
) -> Outcome {
    if !status.is_success() {
        let problem = format!("HTTP {status}");
        let retry = match app.policy.retry_on {
            RetryOn::Network => false,
            RetryOn::NetworkAnd5xx => status.is_server_error() || status.as_u16() == 429,
        };
        return if retry {
            Outcome::Transient(problem)
        } else {
            Outcome::Refused(problem, None)
        };
    }
    let bytes = match bytes {
        Ok(b) if b.len() > MAX_DOCUMENT_BYTES => {
            return Outcome::Transient(format!("answer larger than {MAX_DOCUMENT_BYTES} bytes"));
        }
        Ok(b) => b,
        Err(problem) => return Outcome::Transient(problem),
    };
    match parse_document(&bytes) {
        Ok(verbs) => Outcome::Document(Document {
            url: final_url,
            verbs,
        }),
        Err(e) => Outcome::Refused(format!("invalid verb document: {e}"), Some(e)),
    }
}

impl WebhookClient {
    /// Downloads a file (audio for `play`), at most `limit` bytes.
    pub async fn get_bytes(&self, url: &Url, limit: usize) -> Result<Vec<u8>, String> {
        let response = self
            .http
            .get(url.clone())
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .map_err(|e| root_cause(&e))?;
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status()));
        }
        read_limited(response, limit).await
    }

    /// POSTs `body` (JSON) to `url`, signed with `secret`; one attempt within `timeout`.
    /// Retries are the caller's (the status-callback outbox).
    pub async fn post_signed(
        &self,
        url: &Url,
        secret: &str,
        body: Vec<u8>,
        timeout: Duration,
    ) -> Result<(), String> {
        let header = signature::sign(secret.as_bytes(), crate::clock::unix_now(), &body);
        let response = self
            .http
            .post(url.clone())
            .header("content-type", "application/json")
            .header(signature::HEADER, header)
            .timeout(timeout)
            .body(body)
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    format!("no answer within {} ms", timeout.as_millis())
                } else {
                    root_cause(&e)
                }
            })?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("HTTP {}", response.status()))
        }
    }
}

fn build_client(connect_timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .user_agent(concat!("Switchboard/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::limited(3))
        .connect_timeout(connect_timeout)
        .build()
}

async fn read_limited(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if out.len() + chunk.len() > limit {
                    return Err(format!("answer larger than {limit} bytes"));
                }
                out.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(out),
            Err(e) if e.is_timeout() => return Err("answer not complete in time".into()),
            Err(e) => return Err(root_cause(&e)),
        }
    }
}

/// The innermost error's message: reqwest's own says only "error sending request".
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut current = e;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

/// The request's scalar fields as query pairs (for `GET` webhooks).
fn flat_query(request: &WebhookRequest) -> Vec<(String, String)> {
    let Ok(serde_json::Value::Object(map)) = serde_json::to_value(request) else {
        return Vec::new();
    };
    map.into_iter()
        .filter_map(|(k, v)| match v {
            serde_json::Value::String(s) => Some((k, s)),
            serde_json::Value::Number(n) => Some((k, n.to_string())),
            serde_json::Value::Bool(b) => Some((k, b.to_string())),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use contract::models::calls::CallStatus;
    use contract::webhook::SipInfo;

    /// Keeps the request it was handed and answers a one-verb document.
    struct Recorder(Mutex<Option<http::Request<Vec<u8>>>>);

    impl LocalService for Recorder {
        fn call(
            &self,
            request: http::Request<Vec<u8>>,
        ) -> Pin<Box<dyn Future<Output = http::Response<Vec<u8>>> + Send>> {
            *self.0.lock().unwrap() = Some(request);
            Box::pin(async { http::Response::new(br#"[{"verb": "hangup"}]"#.to_vec()) })
        }
    }

    #[tokio::test]
    async fn requests_under_the_local_base_are_handed_over_signed_as_they_would_be_sent() {
        let recorder = Arc::new(Recorder(Mutex::new(None)));
        let base = Url::parse("http://127.0.0.1:9/apps/").unwrap();
        let client = WebhookClient::new().unwrap().with_local(Some(Local {
            base: base.clone(),
            service: recorder.clone(),
        }));
        let app = AppWebhooks {
            application_id: "builtin".into(),
            voice_url: base.join("ivr/Main").unwrap(),
            method: WebhookMethod::Post,
            fallback_url: None,
            status_callback: None,
            secret: "s3cret".into(),
            policy: WebhookPolicy::default(),
        };
        let request = WebhookRequest {
            call_sid: "CA1".into(),
            direction: "inbound".into(),
            from: "101".into(),
            to: "5000".into(),
            caller_name: None,
            call_status: CallStatus::InProgress,
            parent_call_sid: None,
            trunk: None,
            sip: SipInfo::default(),
            digits: Some("1".into()),
            dial_call_status: None,
            dial_call_sid: None,
            recording_url: None,
            recording_sid: None,
            recording_duration: None,
            queue_time: None,
            reason: None,
        };
        let document = client
            .fetch(&app, None, WebhookMethod::Post, &request)
            .await
            .unwrap();
        assert_eq!(document.url.as_str(), "http://127.0.0.1:9/apps/ivr/Main");
        assert_eq!(document.verbs.len(), 1);
        let got = recorder.0.lock().unwrap().take().unwrap();
        assert_eq!(got.method(), http::Method::POST);
        assert_eq!(got.uri().to_string(), "http://127.0.0.1:9/apps/ivr/Main");
        assert_eq!(got.headers()["content-type"], "application/json");
        assert_eq!(got.body(), &serde_json::to_vec(&request).unwrap());
        let header = got.headers()[signature::HEADER].to_str().unwrap();
        signature::verify(b"s3cret", header, got.body(), crate::clock::unix_now(), 60).unwrap();
    }
}
