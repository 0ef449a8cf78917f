//! Switchboard's Rust SDK: talk to a Switchboard server from Rust.
//!
//! - [`Client`]: the REST API with typed resources (the contract's own types, from
//!   `switchboard-contract`), lists as streams over every page, errors as
//!   [`Error::Api`] carrying the server's `code`, `message` and `field`, a bearer token
//!   fetched from the API key and refreshed before it expires, idempotent requests
//!   retried on 429 and 5xx.
//! - [`verbs`]: verb documents built in code and checked by the contract's own parser.
//! - [`webhook`]: signature verification and an axum extractor that yields the
//!   verified [`WebhookRequest`](contract::webhook::WebhookRequest).
//!
//! ```no_run
//! # async fn demo() -> Result<(), switchboard_sdk::Error> {
//! use futures_util::TryStreamExt as _;
//! use switchboard_sdk::Client;
//!
//! let client = Client::new("http://127.0.0.1:8080", "key_id:secret")?;
//! let extensions: Vec<_> = client.extensions().list().try_collect().await?;
//! println!("{} extensions", extensions.len());
//! # Ok(()) }
//! ```
//!
//! HTTPS needs a rustls crypto provider installed in the process (for example
//! `rustls::crypto::ring::default_provider().install_default()`).
//!
//! # Layout
//! - this file: [`Client`], [`Resource`], [`Error`].
//! - [`verbs`]: [`verbs::Document`] and its builders.
//! - [`webhook`]: [`webhook::verify`], [`webhook::VerifiedWebhook`].

#![deny(missing_docs)]

pub mod verbs;
pub mod webhook;

use contract::models as m;
use futures_util::Stream;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// What went wrong with a request.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with an error body.
    #[error("{status} {code}: {message}{}", field.as_ref().map(|f| format!(" ({f})")).unwrap_or_default())]
    Api {
        /// The HTTP status.
        status: u16,
        /// `validation_failed`, `not_found`, `conflict`, `unauthorized`…
        code: String,
        /// What the server said.
        message: String,
        /// The field at fault (`targets[1].number`), when there is one.
        field: Option<String>,
    },
    /// The request could not be sent or its answer read.
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    /// The answer was not what the contract says.
    #[error("unexpected answer: {0}")]
    Decode(String),
    /// The API key is not `key_id:secret`.
    #[error("the API key must be key_id:secret")]
    InvalidKey,
}

/// A result of this SDK.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Attempts after the first for idempotent requests answered 429 or 5xx.
const RETRIES: u32 = 2;
/// A token is refreshed when it has less than this left.
const REFRESH_BEFORE: Duration = Duration::from_secs(60);

/// A Switchboard server's REST API.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    base: String,
    key_id: String,
    secret: String,
    http: reqwest::Client,
    /// The bearer token and when it expires.
    token: Mutex<Option<(String, Instant)>>,
}

impl Client {
    /// A client of the server at `base_url` (`http://127.0.0.1:8080`) with an API key
    /// (`key_id:secret`), exchanged for bearer tokens as needed.
    pub fn new(base_url: &str, api_key: &str) -> Result<Self> {
        let (key_id, secret) = api_key.split_once(':').ok_or(Error::InvalidKey)?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()?;
        Ok(Self {
            inner: Arc::new(Inner {
                base: base_url.trim_end_matches('/').to_owned(),
                key_id: key_id.to_owned(),
                secret: secret.to_owned(),
                http,
                token: Mutex::new(None),
            }),
        })
    }

    /// A bearer token, fetched or refreshed when it is missing or about to expire.
    async fn token(&self, fresh: bool) -> Result<String> {
        let mut token = self.inner.token.lock().await;
        if !fresh
            && let Some((value, until)) = token.as_ref()
            && *until > Instant::now() + REFRESH_BEFORE
        {
            return Ok(value.clone());
        }
        let response = self
            .inner
            .http
            .post(format!("{}/v1/auth/token", self.inner.base))
            .json(&m::TokenRequest {
                key_id: self.inner.key_id.clone(),
                secret: self.inner.secret.clone(),
            })
            .send()
            .await?;
        let got: m::TokenResponse = decode(response).await?;
        let until = Instant::now() + Duration::from_secs(got.expires_in);
        *token = Some((got.access_token.clone(), until));
        Ok(got.access_token)
    }

    /// Sends one request and decodes its answer (`()` for 204).
    pub async fn request<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&(impl Serialize + ?Sized)>,
        query: &[(&str, String)],
    ) -> Result<T> {
        let idempotent = matches!(
            method,
            reqwest::Method::GET | reqwest::Method::PUT | reqwest::Method::DELETE
        );
        let attempts = if idempotent { 1 + RETRIES } else { 1 };
        let mut refreshed = false;
        let mut attempt = 0;
        loop {
            let token = self.token(false).await?;
            let mut builder = self
                .inner
                .http
                .request(method.clone(), format!("{}{path}", self.inner.base))
                .bearer_auth(&token)
                .query(query);
            if let Some(body) = body {
                builder = builder.json(body);
            }
            let response = builder.send().await?;
            let status = response.status().as_u16();
            if status == 401 && !refreshed {
                // The token may have been revoked or outlived: one fresh one.
                refreshed = true;
                self.token(true).await?;
                continue;
            }
            attempt += 1;
            if (status == 429 || status >= 500) && attempt < attempts {
                tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
                continue;
            }
            return decode(response).await;
        }
    }

    fn resource<T, C, R>(&self, path: &'static str) -> Resource<T, C, R> {
        Resource {
            client: self.clone(),
            path,
            types: PhantomData,
        }
    }

    /// `/v1/extensions`.
    pub fn extensions(&self) -> Resource<m::Extension, m::ExtensionCreate> {
        self.resource("/v1/extensions")
    }

    /// `/v1/applications` (creating one answers with its signing secret, once).
    pub fn applications(
        &self,
    ) -> Resource<m::Application, m::ApplicationCreate, m::ApplicationWithSecret> {
        self.resource("/v1/applications")
    }

    /// `/v1/numbers`.
    pub fn numbers(&self) -> Resource<m::Number, m::NumberCreate> {
        self.resource("/v1/numbers")
    }

    /// `/v1/trunks`.
    pub fn trunks(&self) -> Resource<m::Trunk, m::TrunkCreate> {
        self.resource("/v1/trunks")
    }

    /// `/v1/outbound-routes`.
    pub fn outbound_routes(&self) -> Resource<m::OutboundRoute, m::OutboundRouteCreate> {
        self.resource("/v1/outbound-routes")
    }

    /// `/v1/ring-groups`.
    pub fn ring_groups(&self) -> Resource<m::RingGroup, m::RingGroupCreate> {
        self.resource("/v1/ring-groups")
    }

    /// `/v1/ivrs`.
    pub fn ivrs(&self) -> Resource<m::Ivr, m::IvrCreate> {
        self.resource("/v1/ivrs")
    }

    /// `/v1/queues`.
    pub fn queues(&self) -> Resource<m::Queue, m::QueueCreate> {
        self.resource("/v1/queues")
    }

    /// `/v1/calls`: place calls (`create`), read them, steer live ones (`post`).
    pub fn calls(&self) -> Resource<m::Call, m::CallCreate> {
        self.resource("/v1/calls")
    }
}

/// The answer's body as `T`, or the error body as [`Error::Api`].
async fn decode<T: DeserializeOwned>(response: reqwest::Response) -> Result<T> {
    let status = response.status().as_u16();
    let bytes = response.bytes().await?;
    if (200..300).contains(&status) {
        let text: &[u8] = if bytes.is_empty() { b"null" } else { &bytes };
        return serde_json::from_slice(text).map_err(|e| Error::Decode(e.to_string()));
    }
    match serde_json::from_slice::<contract::error::ErrorBody>(&bytes) {
        Ok(body) => Err(Error::Api {
            status,
            code: serde_json::to_value(body.error.code)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            message: body.error.message,
            field: body.error.field,
        }),
        Err(_) => Err(Error::Api {
            status,
            code: "error".to_owned(),
            message: String::from_utf8_lossy(&bytes).into_owned(),
            field: None,
        }),
    }
}

/// The types a [`Resource`] carries without holding values of them.
type Types<T, C, R> = PhantomData<fn() -> (T, C, R)>;

/// One REST collection: items `T`, created from `C`, creation answered with `R`.
#[derive(Debug)]
pub struct Resource<T, C, R = T> {
    client: Client,
    path: &'static str,
    types: Types<T, C, R>,
}

impl<T: DeserializeOwned, C: Serialize, R: DeserializeOwned> Resource<T, C, R> {
    fn item(&self, key: &str) -> String {
        let escaped: String = key
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        format!("{}/{escaped}", self.path)
    }

    /// `POST` the collection.
    pub async fn create(&self, body: &C) -> Result<R> {
        self.client
            .request(reqwest::Method::POST, self.path, Some(body), &[])
            .await
    }

    /// `GET` one item.
    pub async fn get(&self, key: &str) -> Result<T> {
        self.client
            .request(reqwest::Method::GET, &self.item(key), None::<&()>, &[])
            .await
    }

    /// `PATCH` one item: absent fields are kept, `null` clears (the contract's
    /// `…Update` bodies, given as any serializable value).
    pub async fn update(&self, key: &str, body: &(impl Serialize + ?Sized)) -> Result<T> {
        self.client
            .request(reqwest::Method::PATCH, &self.item(key), Some(body), &[])
            .await
    }

    /// `POST` to one item (`calls().post(sid, &json!({"status": "completed"}))`).
    pub async fn post(&self, key: &str, body: &(impl Serialize + ?Sized)) -> Result<T> {
        self.client
            .request(reqwest::Method::POST, &self.item(key), Some(body), &[])
            .await
    }

    /// `DELETE` one item.
    pub async fn delete(&self, key: &str) -> Result<()> {
        self.client
            .request::<serde_json::Value>(
                reqwest::Method::DELETE,
                &self.item(key),
                None::<&()>,
                &[],
            )
            .await
            .map(drop)
    }

    /// Every item, page after page (100 a page).
    pub fn list(&self) -> impl Stream<Item = Result<T>> + '_ {
        self.list_pages(100)
    }

    /// Every item, `page_size` a page.
    pub fn list_pages(&self, page_size: u32) -> impl Stream<Item = Result<T>> + '_ {
        struct State<T> {
            cursor: Option<String>,
            items: std::vec::IntoIter<T>,
            done: bool,
        }
        let start = State {
            cursor: None,
            items: Vec::new().into_iter(),
            done: false,
        };
        futures_util::stream::try_unfold(start, move |mut state| async move {
            loop {
                if let Some(item) = state.items.next() {
                    return Ok(Some((item, state)));
                }
                if state.done {
                    return Ok(None);
                }
                let mut query = vec![("limit", page_size.to_string())];
                if let Some(c) = &state.cursor {
                    query.push(("cursor", c.clone()));
                }
                let page: Page<T> = self
                    .client
                    .request(reqwest::Method::GET, self.path, None::<&()>, &query)
                    .await?;
                state.done = page.next_cursor.is_none();
                state.cursor = page.next_cursor;
                state.items = page.data.into_iter();
            }
        })
    }
}

/// A page of any collection.
#[derive(serde::Deserialize)]
struct Page<T> {
    data: Vec<T>,
    next_cursor: Option<String>,
}
