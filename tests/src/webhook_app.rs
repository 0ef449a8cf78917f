//! A real HTTP webhook application for tests: it verifies the `Switchboard-Signature` of
//! every request it receives, records them, and answers what the test scripted per path
//! (a verb document, an error status, or silence for a while).

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What a path answers.
#[derive(Debug, Clone)]
pub enum Reply {
    /// 200 with this JSON body.
    Json(serde_json::Value),
    /// 200 with this raw body (for invalid documents).
    Raw(String),
    /// An HTTP error status.
    Status(u16),
    /// Wait this long, then answer 200 with the JSON (for timeouts).
    Slow(Duration, serde_json::Value),
    /// A file (audio for `play`), served to any request: media fetches are not signed.
    File(&'static str, Vec<u8>),
    /// 200 announcing a 1000-byte JSON body, then the connection closes after the
    /// first few bytes of it.
    CutOff,
}

/// One request received.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub body: serde_json::Value,
    pub signature_ok: bool,
}

#[derive(Debug, Default)]
struct Shared {
    /// `http://127.0.0.1:<port>`: GET requests are signed over the full URL.
    base_url: Mutex<String>,
    secret: Mutex<String>,
    replies: Mutex<HashMap<String, Reply>>,
    received: Mutex<Vec<Received>>,
}

/// A running webhook application.
#[derive(Debug, Clone)]
pub struct WebhookApp {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    shared: Arc<Shared>,
}

impl WebhookApp {
    pub async fn start() -> WebhookApp {
        let shared = Arc::new(Shared::default());
        let router = Router::new().fallback(handle).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the webhook app");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        url.clone_into(&mut shared.base_url.lock().expect("lock"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        WebhookApp { url, shared }
    }

    /// The application's signing secret (shown once when it was created).
    pub fn set_secret(&self, secret: &str) {
        *self.shared.secret.lock().expect("lock") = secret.to_owned();
    }

    /// What `path` answers from now on.
    pub fn reply(&self, path: &str, reply: Reply) {
        self.shared
            .replies
            .lock()
            .expect("lock")
            .insert(path.to_owned(), reply);
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().expect("lock").clone()
    }

    /// Requests received on `path`.
    pub fn received_on(&self, path: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    /// Waits until `path` received `count` requests.
    pub async fn wait_for(&self, path: &str, count: usize, timeout: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let got = self.received_on(path);
            if got.len() >= count || tokio::time::Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Every webhook request (POST, or GET with call fields) carried a valid signature.
    /// (Media fetches, GETs without fields, are not signed.)
    pub fn assert_all_signed(&self) {
        let received = self.received();
        assert!(!received.is_empty(), "the app received nothing");
        let webhook = |r: &&Received| {
            r.method == "POST"
                || r.body
                    .as_object()
                    .is_some_and(|o| o.contains_key("call_sid"))
        };
        for r in received.iter().filter(webhook) {
            assert!(r.signature_ok, "bad signature on {} {}", r.path, r.body);
        }
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: axum::http::Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let secret = shared.secret.lock().expect("lock").clone();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    // POST signs its body; GET, which has none, signs the full URL it requested.
    let get = method == axum::http::Method::GET;
    let full_url = format!("{}{uri}", shared.base_url.lock().expect("lock"));
    let signed: &[u8] = if get { full_url.as_bytes() } else { &body };
    let signature_ok = headers
        .get(contract::signature::HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|h| {
            contract::signature::verify(secret.as_bytes(), h, signed, now, 300).is_ok()
        });
    let path = uri.path().to_owned();
    // A GET's fields are its query parameters: recorded like a POST's body.
    let fields = if get {
        axum::extract::Query::<std::collections::BTreeMap<String, String>>::try_from_uri(&uri)
            .map(|q| serde_json::to_value(q.0).unwrap_or_default())
            .unwrap_or_default()
    } else {
        serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null)
    };
    shared.received.lock().expect("lock").push(Received {
        method: method.to_string(),
        path: path.clone(),
        body: fields,
        signature_ok,
    });
    let reply = shared.replies.lock().expect("lock").get(&path).cloned();
    if let Some(Reply::File(content_type, bytes)) = reply {
        return ([("content-type", content_type)], bytes).into_response();
    }
    if !signature_ok {
        return (StatusCode::UNAUTHORIZED, "bad signature").into_response();
    }
    match reply {
        None => (StatusCode::NOT_FOUND, "no reply scripted").into_response(),
        Some(Reply::Json(v)) => axum::Json(v).into_response(),
        Some(Reply::Raw(s)) => s.into_response(),
        Some(Reply::Status(code)) => StatusCode::from_u16(code)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            .into_response(),
        Some(Reply::Slow(delay, v)) => {
            tokio::time::sleep(delay).await;
            axum::Json(v).into_response()
        }
        Some(Reply::File(..)) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        Some(Reply::CutOff) => Response::builder()
            .header("content-type", "application/json")
            .header("content-length", "1000")
            .body(axum::body::Body::from("[{\"verb\": \"sa"))
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response()),
    }
}
