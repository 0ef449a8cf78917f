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
//! HTTP goes through reqwest with rustls: [`Client::new`] installs rustls's `ring`
//! crypto provider for the process unless another one was installed first.
//!
//! # Layout
//! - this file: [`Error`].
//! - `client.rs`: [`Client`]: authentication, retries, JSON and audio requests.
//! - `resource.rs`: [`Resource`], one collection: create, get, update, delete, list.
//! - `resources.rs`: every `/v1` resource on [`Client`], and the operations that are
//!   not plain collections (uploads, audio, toggles, overrides, queue agents…).
//! - [`verbs`]: [`verbs::Document`] and its builders.
//! - [`webhook`]: [`webhook::verify`], [`webhook::VerifiedWebhook`].

#![deny(missing_docs)]

mod client;
mod resource;
mod resources;
pub mod verbs;
pub mod webhook;

pub use client::Client;
/// The HTTP method of [`Client::request`].
pub use reqwest::Method;
pub use resource::{NoCreate, Resource};
pub use resources::{FollowMe, Mailbox, Queue};

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
    /// A download was asked of something that is not a path on the server.
    #[error("{0} is not a path on the server (downloads stay on the base URL)")]
    NotOnServer(String),
}

/// A result of this SDK.
pub type Result<T, E = Error> = std::result::Result<T, E>;
