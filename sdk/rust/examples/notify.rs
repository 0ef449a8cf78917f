//! An outbound notification on the Rust SDK: call a number, say a message, ask for a
//! confirmation key, and report what the person pressed. The same script as
//! `examples/python/notify.py` and `examples/node/notify.mjs`.
//!
//!     SWITCHBOARD_URL=http://127.0.0.1:8080 SWITCHBOARD_KEY=key_id:secret \
//!     cargo run -p switchboard-sdk --example notify -- 58101 "Your order has shipped."
//!
//! Options: `--from 5000` (the caller ID shown), `--listen 127.0.0.1:0` (where this
//! program takes the call's webhooks; port 0 picks a free one), `--callback-url` (how
//! Switchboard reaches that address, when it differs).
//!
//! The call is placed with inline verbs (`POST /v1/calls`), so no application is
//! needed: its webhooks are signed with the secret of URL destinations, read from
//! `GET /v1/apps` (so the key must be an admin key). Prints one JSON line `{"call_sid",
//! "status", "key"}`; exits 0 when a key was pressed, 1 when the call ended without one,
//! 2 on an error (`{"error", "message", "field"}`: the API's refusal, or why the API
//! could not be asked).

#![allow(clippy::print_stdout)] // The program's result is its one line of output.

use axum::extract::{FromRef, State};
use axum::routing::post;
use axum::{Json, Router};
use contract::models::CallCreate;
use contract::webhook::StatusCallback;
use serde_json::{Value, json};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use switchboard_sdk::Client;
use switchboard_sdk::verbs::{Document, Gather};
use switchboard_sdk::webhook::{VerifiedWebhook, WebhookSecret};
use tokio::sync::Notify;

/// Call statuses after which nothing more happens.
const FINAL: [&str; 5] = ["completed", "busy", "no-answer", "failed", "canceled"];
/// The longest the program waits for the call to end.
const GIVE_UP_AFTER: Duration = Duration::from_secs(180);

#[derive(Clone)]
struct App {
    secret: WebhookSecret,
    key: Arc<Mutex<Option<String>>>,
    status: Arc<Mutex<Option<String>>>,
    ended: Arc<Notify>,
}

impl FromRef<App> for WebhookSecret {
    fn from_ref(app: &App) -> Self {
        app.secret.clone()
    }
}

/// The gather's result: the key, and goodbye.
async fn key(State(app): State<App>, VerifiedWebhook(call): VerifiedWebhook) -> Json<Value> {
    *app.key.lock().unwrap_or_else(|e| e.into_inner()) = call.digits.filter(|d| !d.is_empty());
    Json(
        Document::new()
            .say("Thank you. Goodbye.")
            .hangup()
            .to_json(),
    )
}

/// The call's events; the last one ends the program.
async fn status(
    State(app): State<App>,
    VerifiedWebhook(event): VerifiedWebhook<StatusCallback>,
) -> Json<Value> {
    let call_status = serde_json::to_value(event.call.call_status).unwrap_or_default();
    let call_status = call_status.as_str().unwrap_or_default();
    if FINAL.contains(&call_status) {
        *app.status.lock().unwrap_or_else(|e| e.into_inner()) = Some(call_status.to_owned());
        app.ended.notify_one();
    }
    Json(json!([]))
}

struct Args {
    to: String,
    message: String,
    from: String,
    listen: String,
    callback_url: Option<String>,
}

fn args() -> Option<Args> {
    let mut args = Args {
        to: String::new(),
        message: String::new(),
        from: "5000".to_owned(),
        listen: "127.0.0.1:0".to_owned(),
        callback_url: None,
    };
    let mut positional = Vec::new();
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--from" => args.from = it.next()?,
            "--listen" => args.listen = it.next()?,
            "--callback-url" => args.callback_url = Some(it.next()?),
            _ => positional.push(arg),
        }
    }
    let [to, message]: [String; 2] = positional.try_into().ok()?;
    (args.to, args.message) = (to, message);
    Some(args)
}

#[tokio::main]
async fn main() -> ExitCode {
    let Some(args) = args() else {
        eprintln!(
            "usage: notify <to> <message> [--from N] [--listen HOST:PORT] [--callback-url URL]"
        );
        return ExitCode::from(2);
    };
    match run(args).await {
        Ok(code) => code,
        Err(e) => {
            let printed = match e.downcast_ref::<switchboard_sdk::Error>() {
                Some(switchboard_sdk::Error::Api {
                    code,
                    message,
                    field,
                    ..
                }) => json!({"error": code, "message": message, "field": field}),
                _ => json!({"error": "error", "message": e.to_string(), "field": null}),
            };
            println!("{printed}");
            ExitCode::from(2)
        }
    }
}

async fn run(args: Args) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let client = Client::new(
        &std::env::var("SWITCHBOARD_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".into()),
        &std::env::var("SWITCHBOARD_KEY")
            .map_err(|_| "SWITCHBOARD_KEY is not set (key_id:secret of an admin key)")?,
    )?;
    let app = App {
        secret: WebhookSecret(client.apps().await?.url_destinations_signing_secret),
        key: Arc::default(),
        status: Arc::default(),
        ended: Arc::default(),
    };
    let listener = tokio::net::TcpListener::bind(&args.listen).await?;
    let base = match args.callback_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => format!("http://{}", listener.local_addr()?),
    };
    let router = Router::new()
        .route("/key", post(key))
        .route("/status", post(status))
        .with_state(app.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });

    let confirm = Gather::digits(1)
        .timeout(10)
        .action(&format!("{base}/key"))
        .say("Press 1 to confirm, or 2 to be called back.");
    let document = Document::new()
        .say(&args.message)
        .gather(confirm)
        .say("We did not get your answer. Goodbye.")
        .hangup();
    let create: CallCreate = serde_json::from_value(json!({
        "from": args.from, "to": args.to, "verbs": document.to_json(),
        "status_callback": format!("{base}/status"),
    }))?;
    let call = client.calls().create(&create).await?;
    let status = match tokio::time::timeout(GIVE_UP_AFTER, app.ended.notified()).await {
        Ok(()) => app.status.lock().unwrap_or_else(|e| e.into_inner()).clone(),
        Err(_) => {
            // Gave up: no call left behind (unless it ended meanwhile).
            let sid = call.sid.to_string();
            let done = json!({"status": "completed"});
            let last = match client.calls().post(&sid, &done).await {
                Ok(call) => call,
                Err(_) => client.calls().get(&sid).await?,
            };
            serde_json::to_value(last.status)?
                .as_str()
                .map(str::to_owned)
        }
    };
    let key = app.key.lock().unwrap_or_else(|e| e.into_inner()).clone();
    println!(
        "{}",
        json!({"call_sid": call.sid, "status": status, "key": key})
    );
    Ok(ExitCode::from(if key.is_some() { 0 } else { 1 }))
}
