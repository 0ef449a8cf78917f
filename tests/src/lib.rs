//! Test harness: start the real `switchboard` binary against a fresh database and talk
//! to it over HTTP, like a user would.
//!
//! # Layout
//! - [`Backend`] and [`TestDb`]: a per-test database, a SQLite file in a temporary folder
//!   or a new PostgreSQL database (dropped afterwards).
//! - [`TestApp`]: a running `switchboard` process on a free port, with an admin key and
//!   an HTTP client.
//! - [`both_backends!`]: writes each test once and runs it against SQLite and PostgreSQL.
//! - [`audio`]: WAV files with tones, and measuring tones in WAV files.
//! - [`peers`]: real softphones (baresip, linphonec) and SIPp.
//! - [`webhook_app`]: a real HTTP webhook application that checks signatures.
//! - [`app_harness`]: the set-up and measurements shared by the application-call tests.
//! - [`smtp`]: a real SMTP server that keeps the emails it receives.
//! - [`kamailio`]: Kamailio as a record-routing proxy (with Path) in front of the server.
//!
//! PostgreSQL is required: when it cannot be reached the tests fail (they never skip).
//! `SWITCHBOARD_TEST_POSTGRES_URL` points at it (default
//! `postgres://postgres@127.0.0.1:5432/postgres`, a user allowed to create databases).

pub mod app_harness;
pub mod audio;
mod db;
pub mod kamailio;
pub mod peers;
mod process;
pub mod smtp;
pub mod webhook_app;

pub use db::{Backend, TestDb, postgres_admin_url, set_database_reachable};

/// An HTTP client builder. reqwest is built with rustls without a bundled crypto
/// provider (the server picks ring for the whole process); tests install the same one.
pub fn http_client_builder() -> reqwest::ClientBuilder {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    reqwest::Client::builder()
}

/// An HTTP client with default settings.
pub fn http_client() -> reqwest::Client {
    http_client_builder().build().expect("an HTTP client")
}
pub use process::{
    Started, TestApp, error_of, run_to_exit, run_to_exit_unprivileged, switchboard_bin,
};

/// Runs each test body once with SQLite and once with PostgreSQL, in modules `sqlite` and
/// `postgres`. Inside the body, `app` is a started [`TestApp`].
#[macro_export]
macro_rules! both_backends {
    ($(async fn $name:ident($app:ident) $body:block)*) => {
        mod sqlite {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test]
                async fn $name() {
                    let $app = $crate::TestApp::spawn($crate::Backend::Sqlite).await;
                    $body
                }
            )*
        }
        mod postgres {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test]
                async fn $name() {
                    let $app = $crate::TestApp::spawn($crate::Backend::Postgres).await;
                    $body
                }
            )*
        }
    };
}
