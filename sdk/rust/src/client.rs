//! [`Client`]: a server's REST API: the bearer token, retries, and one request sent
//! with a JSON or audio body, answered with JSON or bytes.

use crate::{Error, Result};
use contract::models as m;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

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

/// What a request carries.
pub(crate) enum Body<'a, B: ?Sized> {
    None,
    Json(&'a B),
    /// A WAV file (`audio/wav`).
    Wav(Vec<u8>),
}

impl Client {
    /// A client of the server at `base_url` (`http://127.0.0.1:8080`) with an API key
    /// (`key_id:secret`), exchanged for bearer tokens as needed.
    pub fn new(base_url: &str, api_key: &str) -> Result<Self> {
        let (key_id, secret) = api_key.split_once(':').ok_or(Error::InvalidKey)?;
        // reqwest's rustls needs one crypto provider per process; the program may have
        // chosen its own already.
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
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

    /// The server's base URL, as given to [`Client::new`] (no trailing `/`).
    pub fn base_url(&self) -> &str {
        &self.inner.base
    }

    /// A bearer token (`POST /v1/auth/token`), fetched or refreshed when it is missing
    /// or about to expire. The client does this itself; this is for code that talks to
    /// the API with another HTTP client.
    pub async fn token(&self) -> Result<String> {
        self.bearer(false).await
    }

    async fn bearer(&self, fresh: bool) -> Result<String> {
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

    /// Sends one request with a JSON body (or none) and decodes its answer (`()` for
    /// 204).
    pub async fn request<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&(impl Serialize + ?Sized)>,
        query: &[(&str, String)],
    ) -> Result<T> {
        let body = body.map_or(Body::None, Body::Json);
        decode(self.send(method, path, body, query).await?).await
    }

    /// `GET`s a binary answer (a recording's or a message's WAV, or a voicemail
    /// webhook's `audio_url`): a path on the server (`/v1/…`) or a URL under the base
    /// URL; anything else is refused, so the bearer token never leaves for another host.
    pub async fn download(&self, path: &str) -> Result<Vec<u8>> {
        let path = path.strip_prefix(self.inner.base.as_str()).unwrap_or(path);
        if !path.starts_with('/') {
            return Err(Error::NotOnServer(path.to_owned()));
        }
        let response = self
            .send(reqwest::Method::GET, path, Body::<()>::None, &[])
            .await?;
        if response.status().is_success() {
            return Ok(response.bytes().await?.to_vec());
        }
        decode::<serde_json::Value>(response)
            .await
            .map(|_| Vec::new())
    }

    /// Sends a request, with a fresh token once if the server refused the one it had,
    /// and again on 429 and 5xx when repeating it changes nothing.
    pub(crate) async fn send<B: Serialize + ?Sized>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Body<'_, B>,
        query: &[(&str, String)],
    ) -> Result<reqwest::Response> {
        let idempotent = matches!(
            method,
            reqwest::Method::GET | reqwest::Method::PUT | reqwest::Method::DELETE
        );
        let attempts = if idempotent { 1 + RETRIES } else { 1 };
        let mut refreshed = false;
        let mut attempt = 0;
        loop {
            let token = self.bearer(false).await?;
            let mut builder = self
                .inner
                .http
                .request(method.clone(), format!("{}{path}", self.inner.base))
                .bearer_auth(&token)
                .query(query);
            builder = match &body {
                Body::None => builder,
                Body::Json(value) => builder.json(value),
                Body::Wav(bytes) => builder
                    .header(reqwest::header::CONTENT_TYPE, "audio/wav")
                    .body(bytes.clone()),
            };
            let response = builder.send().await?;
            let status = response.status().as_u16();
            if status == 401 && !refreshed {
                // The token may have been revoked or outlived: one fresh one.
                refreshed = true;
                self.bearer(true).await?;
                continue;
            }
            attempt += 1;
            if (status == 429 || status >= 500) && attempt < attempts {
                tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
                continue;
            }
            return Ok(response);
        }
    }
}

/// The answer's body as `T`, or the error body as [`Error::Api`].
pub(crate) async fn decode<T: DeserializeOwned>(response: reqwest::Response) -> Result<T> {
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
