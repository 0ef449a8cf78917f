//! Wrong voicemail PINs are limited: after five wrong PINs for a mailbox (`*98`, or the
//! owner's `*97`), the mailbox opens to no PIN for a while — the right one included —
//! and other mailboxes are not affected. Driven through the built-in apps' URLs with an
//! admin key, as a phone's calls reach them.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::json;
use switchboard_tests::{Backend, TestApp};

async fn said(app: &TestApp, path: &str, body: serde_json::Value) -> String {
    let (status, doc) = app.post(path, body).await;
    assert_eq!(status, 200, "{doc}");
    doc[0]["text"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn five_wrong_pins_lock_a_mailbox() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    for number in ["58102", "58103"] {
        let (status, body) = app
            .post(
                "/v1/extensions",
                json!({"number": number, "name": "Mailbox", "password": format!("pw-{number}-secret"),
                       "voicemail": {"enabled": true, "pin": "4321"}}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let other = "/apps/feature/voicemail/other/pin?mailbox=58102";
    for _ in 0..5 {
        let text = said(&app, other, json!({"from": "101", "digits": "0000"})).await;
        assert!(text.contains("not correct"), "{text}");
    }
    let text = said(&app, other, json!({"from": "101", "digits": "4321"})).await;
    assert!(
        text.contains("Too many wrong PINs"),
        "locked, even for the right PIN: {text}"
    );
    let text = said(
        &app,
        "/apps/feature/voicemail/pin",
        json!({"from": "58102", "digits": "4321"}),
    )
    .await;
    assert!(text.contains("Too many wrong PINs"), "*97 too: {text}");
    let text = said(
        &app,
        "/apps/feature/voicemail/other/pin?mailbox=58103",
        json!({"from": "101", "digits": "4321"}),
    )
    .await;
    assert!(text.starts_with("You have 0 new messages"), "{text}");
    assert!(app.log().contains("the mailbox is locked"), "logged");
}
