//! The PBX features as built-in webhook apps. Each answers a call's webhook request
//! with a verb document, at a documented URL under `/apps/`, exactly as a user's
//! application would: the engine knows only verbs. The engine reaches them in-process
//! ([`local`]) with the same requests and gets the same bytes an HTTP client would;
//! an admin can `curl` any of them, and any destination can be a user's URL instead.
//!
//! # Layout
//! - this file: the `/apps` router, who may call it (a request signed with the apps'
//!   secret, or an admin API key), the request it reads, the documents it answers;
//!   [`Link`]: where the apps live and how their requests are signed.
//! - one file per app: [`extension`] (an extension's ringing, busy and no-answer
//!   destinations, follow-me), [`ring_group`], [`ivr`], [`daynight`],
//!   [`time_condition`], [`features`] (`*21`, `*27<id>`, `*28<index>`), [`queue`]
//!   (a queue's callers, `*45`), [`listen`] and [`mailbox_menu`]
//!   (`*97`, `*98`: voicemail from a phone), [`simple`]
//!   (`number:`, `hangup`, `voicemail:`).
//! - [`schedule`]: time conditions evaluated (pure); [`directory`]: which app answers
//!   for a dialled number or a destination; [`local`]: the apps handed to the engine.

pub mod daynight;
pub mod directory;
pub mod extension;
pub mod features;
pub mod ivr;
pub mod listen;
pub mod local;
pub mod mailbox_menu;
pub mod pin_guard;
pub mod queue;
pub mod ring_group;
pub mod schedule;
pub mod simple;
pub mod time_condition;

use crate::auth::Authenticator;
use crate::error::{ApiError, ApiResult};
use crate::storage::Db;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use contract::models::Role;
use contract::signature;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use url::Url;

/// How old a signed request may be (seconds), as applications are told to accept.
const SIGNATURE_TOLERANCE: u64 = 300;

/// Where the built-in apps live and the secret their requests are signed with.
#[derive(Debug, Clone)]
pub struct Link {
    /// `http://127.0.0.1:<port>/apps/`: every app's URL starts with it.
    pub base: Url,
    pub secret: String,
    /// What requests to `url:` destinations are signed with: never `secret`, or
    /// whoever runs such a URL could replay a signed request to the apps themselves.
    pub url_secret: String,
}

impl Link {
    /// The apps of the server listening on `http` (a wildcard address is reached on
    /// loopback).
    pub fn new(http: std::net::SocketAddr, secret: String, url_secret: String) -> Self {
        let ip = match http.ip() {
            ip if ip.is_unspecified() && ip.is_ipv4() => std::net::Ipv4Addr::LOCALHOST.into(),
            ip if ip.is_unspecified() => std::net::Ipv6Addr::LOCALHOST.into(),
            ip => ip,
        };
        let host = std::net::SocketAddr::new(ip, http.port());
        let base = Url::parse(&format!("http://{host}/apps/"))
            .unwrap_or_else(|_| unreachable!("a socket address always makes a valid URL"));
        Self {
            base,
            secret,
            url_secret,
        }
    }

    /// The URL of the app at `path` (relative to `/apps/`).
    pub fn url(&self, path: &str) -> Url {
        self.base.join(path).unwrap_or_else(|_| self.base.clone())
    }
}

/// What the apps share.
#[derive(Clone)]
pub struct Apps {
    pub db: Db,
    pub link: Arc<Link>,
    pub auth: Arc<Authenticator>,
    /// The time, injectable: time conditions are tested at chosen moments.
    pub clock: Arc<dyn Clock>,
    /// Audio files (a message deleted from the phone takes its file with it).
    pub media: crate::media::store::MediaStore,
    /// Wrong voicemail PINs, by mailbox.
    pub pins: Arc<pin_guard::PinGuard>,
}

impl std::fmt::Debug for Apps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Apps")
            .field("base", &self.link.base.as_str())
            .finish_non_exhaustive()
    }
}

/// Where the apps read the time.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> jiff::Timestamp;
}

/// The system's clock.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> jiff::Timestamp {
        jiff::Timestamp::now()
    }
}

/// Every built-in app, under `/apps`.
pub fn router(apps: Apps) -> Router {
    Router::new()
        .route("/apps/extension/{number}", any(extension::serve_ring))
        .route(
            "/apps/extension/{number}/after",
            any(extension::serve_after),
        )
        .route("/apps/ringgroup/{number}", any(ring_group::serve_ring))
        .route(
            "/apps/ringgroup/{number}/after",
            any(ring_group::serve_after),
        )
        .route("/apps/ivr/{name}", any(ivr::serve_menu))
        .route("/apps/ivr/{name}/choice", any(ivr::serve_choice))
        .route("/apps/ivr/{name}/silence", any(ivr::serve_silence))
        .route("/apps/daynight/{index}", any(daynight::serve))
        .route("/apps/timecondition/{id}", any(time_condition::serve))
        .route("/apps/feature/followme", any(features::serve_follow_me))
        .route(
            "/apps/feature/daynight/{index}",
            any(features::serve_daynight),
        )
        .route(
            "/apps/feature/daynight/{index}/pin",
            any(features::serve_daynight_pin),
        )
        .route(
            "/apps/feature/timecondition/{id}",
            any(features::serve_time_condition),
        )
        .route("/apps/feature/voicemail", any(listen::serve))
        .route("/apps/feature/voicemail/pin", any(listen::serve_pin))
        .route("/apps/feature/voicemail/key", any(listen::serve_key))
        .route("/apps/feature/voicemail/other", any(listen::serve_other))
        .route(
            "/apps/feature/voicemail/other/mailbox",
            any(listen::serve_other_mailbox),
        )
        .route(
            "/apps/feature/voicemail/other/pin",
            any(listen::serve_other_pin),
        )
        .route(
            "/apps/feature/voicemail/menu",
            any(mailbox_menu::serve_menu),
        )
        .route(
            "/apps/feature/voicemail/saved",
            any(mailbox_menu::serve_saved),
        )
        .route(
            "/apps/feature/voicemail/greeting",
            any(mailbox_menu::serve_greeting),
        )
        .route(
            "/apps/feature/voicemail/new-pin",
            any(mailbox_menu::serve_new_pin),
        )
        .route("/apps/queue/{name}", any(queue::serve_join))
        .route("/apps/queue/{name}/hold", any(queue::serve_hold))
        .route("/apps/queue/{name}/after", any(queue::serve_after))
        .route("/apps/feature/queue-agent", any(queue::serve_agent_toggle))
        .route(queue::RINGING_PATH, get(queue::serve_ringing))
        .route("/apps/number/{number}", any(simple::serve_number))
        .route("/apps/hangup", any(simple::serve_hangup))
        .route("/apps/voicemail/{mailbox}", any(simple::serve_voicemail))
        .route(
            "/apps/voicemail/{mailbox}/saved",
            any(simple::serve_voicemail_saved),
        )
        .route(
            "/apps/voicemail/{mailbox}/key",
            any(simple::serve_voicemail_key),
        )
        .route(simple::BEEP_PATH, get(simple::serve_beep))
        .with_state(apps)
}

/// The call fields the apps read from a webhook request (a JSON body on POST, the query
/// on GET). Everything is optional so an admin can `curl` an app with only what it
/// needs (`{"digits": "1"}`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CallFields {
    pub call_sid: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub caller_name: Option<String>,
    pub digits: Option<String>,
    pub dial_call_status: Option<String>,
    pub recording_sid: Option<String>,
    /// Seconds.
    pub recording_duration: Option<u32>,
    /// Why a verb ended (`enqueue`: `bridged`, `timeout`, `full`, `empty`, `key`…).
    pub reason: Option<String>,
}

/// A webhook request to an app, authenticated: signed with the apps' secret (the
/// engine, or anyone the secret was given to), or carrying an admin API key.
#[derive(Debug)]
pub struct Call(pub CallFields);

impl FromRequest<Apps> for Call {
    type Rejection = ApiError;

    async fn from_request(request: Request, apps: &Apps) -> Result<Self, ApiError> {
        let (parts, body) = request.into_parts();
        let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), apps)
            .await
            .map_err(|e| crate::extract::body_rejection(&e))?;
        if let Some(value) = parts.headers.get(signature::HEADER) {
            let header = value
                .to_str()
                .map_err(|_| ApiError::unauthorized("malformed signature header"))?;
            // POST signs the body; GET, which has none, signs the full URL requested.
            let signed: Vec<u8> = if parts.method == Method::GET {
                apps.link
                    .url(
                        parts
                            .uri
                            .path_and_query()
                            .map_or("", |p| p.as_str())
                            .trim_start_matches("/apps/"),
                    )
                    .as_str()
                    .as_bytes()
                    .to_vec()
            } else {
                bytes.to_vec()
            };
            let now = u64::try_from(apps.clock.now().as_second()).unwrap_or(0);
            signature::verify(
                apps.link.secret.as_bytes(),
                header,
                &signed,
                now,
                SIGNATURE_TOLERANCE,
            )
            .map_err(|e| ApiError::unauthorized(format!("signature refused: {e}")))?;
        } else {
            let caller = apps
                .auth
                .authenticate(
                    parts.headers.get(header::AUTHORIZATION),
                    crate::extract::client_ip(&parts),
                )
                .await?;
            if caller.role != Role::Admin {
                return Err(ApiError::forbidden(
                    "the built-in apps answer signed requests and admin keys only",
                ));
            }
        }
        let fields = if parts.method == Method::GET || bytes.is_empty() {
            serde_urlencoded::from_str(parts.uri.query().unwrap_or(""))
                .map_err(|e| ApiError::bad_request(format!("query: {e}")))?
        } else {
            crate::extract::parse_json::<CallFields>(&bytes)?
        };
        Ok(Self(fields))
    }
}

/// A verb document, as an app answers it.
#[derive(Debug)]
pub struct Document(pub Value);

impl IntoResponse for Document {
    fn into_response(self) -> Response {
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            self.0.to_string(),
        )
            .into_response()
    }
}

/// An app's answer: a document, or an error in the API's shape.
pub type AppResult = ApiResult<Document>;

/// The document that hands the call to `destination`.
pub fn go(destination: &contract::types::Destination) -> Value {
    json!([{"verb": "redirect", "destination": destination.to_string()}])
}

/// The document that ends a call nobody answered with the matching SIP answer (or
/// hangs up an answered one).
pub fn unanswered(status: &str) -> Value {
    let reason = if status == "busy" {
        "busy"
    } else {
        "unavailable"
    };
    json!([{"verb": "reject", "reason": reason}])
}

/// A spoken or recorded announcement as a `play`/`say` verb (or prompt).
pub fn announce(a: &contract::types::Announcement) -> Value {
    match (&a.recording, &a.say) {
        (Some(name), _) => json!({"verb": "play", "recording": name.as_str()}),
        (None, text) => {
            let mut say = json!({"verb": "say", "text": text.clone().unwrap_or_default()});
            if let Some(lang) = &a.language {
                say["language"] = json!(lang);
            }
            say
        }
    }
}

/// Says `text`, then hangs up (what a feature code answers once it is done).
pub fn tell(text: &str) -> Value {
    json!([{"verb": "say", "text": text}, {"verb": "hangup"}])
}

/// A number read digit by digit (`58102` as "5 8 1 0 2": the synthesizer says digits,
/// not a large number).
pub fn spelled(number: &str) -> String {
    number
        .chars()
        .map(String::from)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A 404 in the API's shape for an app target that does not exist.
pub fn missing(what: &str) -> ApiError {
    ApiError::not_found(format!("{what} does not exist"))
}
