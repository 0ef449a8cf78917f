//! Switchboard's API server: the REST API, its storage, and the start-up of the
//! `switchboard` binary.
//!
//! # Layout
//! - [`config`]: flags, environment and TOML file → [`config::Config`].
//! - [`server`]: start-up (data directory, database, migrations, admin key,
//!   listener) and graceful shutdown.
//! - [`routes`]: the axum router, one module per REST resource.
//! - [`apps`]: the PBX features as built-in webhook apps under `/apps` (extensions,
//!   follow-me, ring groups, queues, IVRs, day/night, time conditions, feature codes,
//!   voicemail), and
//!   which app answers for a dialled number or a destination.
//! - [`auth`]: API keys, bearer tokens, and the `Caller`/`Admin` extractors.
//! - [`storage`]: the sqlx pool (SQLite or PostgreSQL) and one module per table family.
//! - [`media`]: WAV decoding, resampling to 8 kHz, crash-safe audio files.
//! - [`engine_store`]: the engine's storage on our database; [`outbox`]: the worker that
//!   delivers status callbacks; [`mailer`]: the worker that emails voicemail messages.
//! - [`destinations`]: does a destination's target exist; who points at an object.
//! - [`outbound`]: an extension's `outbound` permission against the routes its calls,
//!   follow-me and destinations would leave through.
//! - [`error`]: [`error::ApiError`], the one error type, rendered as the contract's
//!   error body.
//! - [`extract`]: JSON, query and paging extractors that fail with that error body.
//! - [`simulate`]: `switchboard simulate`, a call into an application URL without SIP
//!   (the engine's simulator), printed step by step.

pub mod apps;
pub mod auth;
pub mod config;
pub mod destinations;
pub mod email_template;
pub mod engine_store;
pub mod error;
pub mod extract;
pub mod mailer;
pub mod media;
pub mod outbound;
pub mod outbox;
pub mod routes;
pub mod server;
pub mod simulate;
pub mod state;
pub mod storage;

pub use state::AppState;
