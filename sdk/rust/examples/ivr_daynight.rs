//! The seed's day/night switch and IVR as a webhook app on the Rust SDK: the same menu
//! and result as `examples/python/ivr_daynight.py` and `examples/node/ivr_daynight.mjs`.
//!
//!     cargo run -p switchboard-sdk --example ivr_daynight -- <port> <signing secret> [<host>]
//!
//! By day a call hears the menu (recording VoicemailCenter): 1 rings 58102, 3 repeats,
//! other keys are invalid (the third reaches 58106), silence repeats (the third hangs
//! up). By night the caller leaves a message. POST /toggle switches day and night; every
//! other request must carry a valid Switchboard-Signature (`VerifiedWebhook`: 401
//! otherwise).

use axum::extract::{FromRef, Path, State};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use switchboard_sdk::verbs::{Document, Gather, Target};
use switchboard_sdk::webhook::{VerifiedWebhook, WebhookSecret};

const MEMBERS: [&str; 1] = ["58102"]; // ring group 301
const INVALID_DESTINATION: &str = "58106";

#[derive(Clone)]
struct App {
    secret: WebhookSecret,
    night: Arc<AtomicBool>,
}

impl FromRef<App> for WebhookSecret {
    fn from_ref(app: &App) -> Self {
        app.secret.clone()
    }
}

/// The menu; its counts travel in its URLs (the app keeps no state per call).
fn menu(timeouts: u32, invalid: u32, before: Option<&str>) -> Document {
    let mut gather = Gather::digits(1)
        .timeout(4)
        .action(&format!("/choice/{timeouts}/{invalid}"));
    if let Some(text) = before {
        gather = gather.say(text);
    }
    Document::new()
        .gather(gather.play("VoicemailCenter"))
        .redirect(&format!("/silence/{timeouts}/{invalid}"))
}

fn ring(numbers: &[&str]) -> Document {
    Document::new().dial(numbers.iter().map(|n| Target::extension(n)), None)
}

async fn voice(State(app): State<App>, VerifiedWebhook(_): VerifiedWebhook) -> Json<Value> {
    Json(if app.night.load(Ordering::Relaxed) {
        Document::new()
            .say("Pierre is not available. Leave a message after the tone.")
            .record(120, "/saved")
            .hangup()
            .to_json()
    } else {
        menu(0, 0, None).to_json()
    })
}

async fn choice(
    Path((timeouts, invalid)): Path<(u32, u32)>,
    VerifiedWebhook(call): VerifiedWebhook,
) -> Json<Value> {
    Json(
        match call.digits.as_deref() {
            Some("1") => ring(&MEMBERS),
            Some("3") => menu(0, 0, None),
            _ if invalid + 1 >= 3 => ring(&[INVALID_DESTINATION]),
            _ => menu(timeouts, invalid + 1, Some("That is not a valid choice.")),
        }
        .to_json(),
    )
}

async fn silence(
    Path((timeouts, invalid)): Path<(u32, u32)>,
    VerifiedWebhook(_): VerifiedWebhook,
) -> Json<Value> {
    Json(
        if timeouts + 1 >= 3 {
            Document::new().hangup()
        } else {
            menu(timeouts + 1, invalid, None)
        }
        .to_json(),
    )
}

async fn saved(VerifiedWebhook(_): VerifiedWebhook) -> Json<Value> {
    Json(
        Document::new()
            .say("Thank you. Goodbye.")
            .hangup()
            .to_json(),
    )
}

/// The admin's switch, not a webhook.
async fn toggle(State(app): State<App>) -> Json<Value> {
    let night = !app.night.fetch_xor(true, Ordering::Relaxed);
    Json(serde_json::json!({"mode": if night { "night" } else { "day" }}))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(port), Some(secret)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: ivr_daynight <port> <signing secret> [<host>]");
        std::process::exit(2);
    };
    let host = args.get(3).map_or("127.0.0.1", String::as_str);
    let app = App {
        secret: WebhookSecret(secret.clone()),
        night: Arc::new(AtomicBool::new(false)),
    };
    let router = Router::new()
        .route("/voice", post(voice))
        .route("/choice/{timeouts}/{invalid}", post(choice))
        .route("/silence/{timeouts}/{invalid}", post(silence))
        .route("/saved", post(saved))
        .route("/toggle", post(toggle))
        .with_state(app);
    let listener = match tokio::net::TcpListener::bind(format!("{host}:{port}")).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on {host}:{port}: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = axum::serve(listener, router).await {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
