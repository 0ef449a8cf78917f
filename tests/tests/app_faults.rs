//! A webhook application that misbehaves in the ways the other tests do not cover: it
//! answers garbage (not JSON), or announces a body and closes the connection part way
//! through it. Either way the caller hears the failure tone (never silence, never a
//! hang), the application's status callback gets an `error` event saying what went
//! wrong, and the call record reads `failed`. (A 500, a slow answer and an invalid
//! document are in `app_calls.rs`.)

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::json;
use std::time::Duration;
use switchboard_tests::app_harness::*;
use switchboard_tests::webhook_app::Reply;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)] // the webhook app runs while the test blocks on peers
async fn a_garbage_answer_is_an_invalid_document_not_retried() {
    let s = setup("55600-55799", false).await;
    s.hooks.reply(
        "/voice",
        Reply::Raw("<html>502 Bad Gateway</html>".to_owned()),
    );
    s.hooks.reply("/status", Reply::Json(json!({})));
    let recording = call_until_closed(&s, Duration::from_secs(20)).await;
    assert_heard_failure_tone(&recording);
    let e = &error_event(&s.hooks).await["error"];
    assert_eq!(e["code"], "invalid_document", "{e}");
    assert!(e["message"].as_str().unwrap().contains("not JSON"), "{e}");
    assert_eq!(
        s.hooks.received_on("/voice").len(),
        1,
        "garbage is not retried"
    );
    assert_eq!(last_call(&s.app).await["status"], "failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)] // the webhook app runs while the test blocks on peers
async fn an_answer_cut_off_mid_body_is_retried_then_fails_cleanly() {
    let s = setup("55800-55999", false).await;
    s.hooks.reply("/voice", Reply::CutOff);
    s.hooks.reply("/status", Reply::Json(json!({})));
    let recording = call_until_closed(&s, Duration::from_secs(30)).await;
    assert_heard_failure_tone(&recording);
    let e = &error_event(&s.hooks).await["error"];
    assert_eq!(e["code"], "webhook_failed", "{e}");
    assert_eq!(
        s.hooks.received_on("/voice").len(),
        2,
        "the first attempt and one retry"
    );
    assert_eq!(last_call(&s.app).await["status"], "failed");
    assert!(!s.app.log().contains("panicked"), "{}", s.app.log());
}
