//! The SDK against the real binary: typed resources, paging, errors naming the field,
//! documents the server accepts, and an axum webhook app verified by the extractor,
//! answering calls run by `switchboard simulate`.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use axum::routing::post;
use axum::{Json, Router};
use contract::models::{CallCreate, CallTo, ExtensionCreate};
use futures_util::TryStreamExt as _;
use switchboard_sdk::verbs::{Document, Gather, Target};
use switchboard_sdk::webhook::{VerifiedWebhook, WebhookSecret};
use switchboard_sdk::{Client, Error};
use switchboard_tests::{Backend, TestApp, switchboard_bin};

fn extension(number: &str) -> ExtensionCreate {
    serde_json::from_value(serde_json::json!({
        "number": number, "name": format!("User {number}"), "password": format!("Secret-{number}-pw")
    }))
    .unwrap()
}

async fn client() -> (TestApp, Client) {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let client = Client::new(&app.url, &format!("{}:{}", app.key_id, app.secret)).unwrap();
    (app, client)
}

#[tokio::test]
async fn typed_resources_pages_and_errors() {
    let (_app, client) = client().await;
    for n in 101..=105 {
        client
            .extensions()
            .create(&extension(&n.to_string()))
            .await
            .unwrap();
    }
    let got = client.extensions().get("103").await.unwrap();
    assert_eq!(got.name.as_str(), "User 103");
    let changed = client
        .extensions()
        .update("103", &serde_json::json!({"name": "Julien"}))
        .await
        .unwrap();
    assert_eq!(changed.name.as_str(), "Julien");
    let all: Vec<_> = client
        .extensions()
        .list_pages(2)
        .try_collect()
        .await
        .unwrap();
    let numbers: Vec<String> = all.iter().map(|e| e.number.to_string()).collect();
    assert_eq!(numbers, ["101", "102", "103", "104", "105"]);
    client.extensions().delete("105").await.unwrap();
    match client.extensions().get("105").await {
        Err(Error::Api {
            status: 404, code, ..
        }) => assert_eq!(code, "not_found"),
        other => panic!("{other:?}"),
    }
    // The server's error, field and all.
    match client
        .extensions()
        .update("101", &serde_json::json!({"password": "short"}))
        .await
    {
        Err(Error::Api {
            status: 422,
            code,
            field,
            ..
        }) => {
            assert_eq!(code, "validation_failed");
            assert_eq!(field.as_deref(), Some("password"));
        }
        other => panic!("{other:?}"),
    }
    // A wrong key: refused when the token is asked for.
    let stranger = Client::new(&_app.url, "test-admin:not-the-secret-000").unwrap();
    match stranger.extensions().get("101").await {
        Err(Error::Api { status: 401, .. }) => {}
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn built_documents_are_accepted_by_the_server() {
    let (_app, client) = client().await;
    client.extensions().create(&extension("101")).await.unwrap();
    let document = Document::new()
        .say("Hello")
        .pause(1)
        .gather(
            Gather::digits(1)
                .action("/menu")
                .timeout(5)
                .say("Press 1")
                .play("welcome"),
        )
        .dial(
            [
                Target::extension("101"),
                Target::number("0032123456"),
                Target::sip("sip:a@b.example"),
            ],
            Some("/after"),
        )
        .record(60, "/saved")
        .redirect_to("ivr:Main")
        .enqueue("support")
        .hangup();
    let verbs = document.build().unwrap();
    assert_eq!(verbs.len(), 8);
    let call = CallCreate {
        from: contract::types::CallerId::parse("5000").unwrap(),
        to: CallTo::parse("101").unwrap(),
        application_id: None,
        url: None,
        verbs: Some(document.to_json()),
        status_callback: None,
        timeout: None,
    };
    let placed = client.calls().create(&call).await.unwrap();
    assert!(placed.sid.starts_with("CA"));
    // A bad document is caught before it leaves, naming the verb.
    let bad = Document::new().say("ok").gather(Gather::digits(0));
    let err = bad.build().unwrap_err();
    assert_eq!(err.index, Some(1));
}

async fn voice(VerifiedWebhook(call): VerifiedWebhook) -> Json<serde_json::Value> {
    Json(match call.digits.as_deref() {
        None => Document::new()
            .gather(Gather::digits(1).action("/voice").say("Press 1 for sales"))
            .to_json(),
        Some(d) => Document::new()
            .say(&format!("You pressed {d}"))
            .hangup()
            .to_json(),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_axum_app_with_the_extractor_answers_a_simulated_call() {
    let app = Router::new()
        .route("/voice", post(voice))
        .with_state(WebhookSecret("whsec_rust-test".to_owned()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/voice", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let run = |secret: &'static str, url: String| {
        tokio::task::spawn_blocking(move || {
            let out = std::process::Command::new(switchboard_bin())
                .args([
                    "simulate", &url, "--json", "--keys", "1", "--secret", secret,
                ])
                .output()
                .unwrap();
            let steps: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            (out.status.success(), steps)
        })
    };
    let (ok, steps) = run("whsec_rust-test", url.clone()).await.unwrap();
    assert!(ok, "{steps:?}");
    let said: Vec<&str> = steps
        .iter()
        .filter(|s| s["step"] == "says")
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    assert_eq!(said, ["Press 1 for sales", "You pressed 1"]);
    // Another secret: 401 from the extractor, and the call fails.
    let (ok, steps) = run("whsec_wrong", url).await.unwrap();
    assert!(!ok);
    assert_eq!(steps.last().unwrap()["status"], "failed");
}
