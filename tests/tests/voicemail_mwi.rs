//! The voicemail lamp: a phone (baresip with its `mwi` module) subscribes to its
//! mailbox's `message-summary` once registered and is told at once that nothing waits
//! (what the phone received is read from its log, where the module prints each NOTIFY);
//! a message left makes it `Messages-Waiting: yes` with the count, and deleting it
//! (through the REST API) turns the lamp off again.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::json;
use std::time::Duration;
use switchboard_tests::app_harness::{phone, tone_mic, wait_registered};
use switchboard_tests::peers::Baresip;
use switchboard_tests::{Backend, TestApp};

const LONG: Duration = Duration::from_secs(30);

/// The bodies of the message-summary NOTIFYs the phone received so far (baresip's
/// `mwi` module prints each under `----- MWI for <account> -----`).
fn notified(phone: &Baresip) -> Vec<String> {
    phone
        .log()
        .split("----- MWI for ")
        .skip(1)
        .map(|block| {
            block
                .lines()
                .skip(1)
                .take_while(|l| !l.trim().is_empty())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect()
}

/// Waits until a NOTIFY body containing `text` arrives.
async fn wait_notified(phone: &Baresip, text: &str, app: &TestApp) -> String {
    for _ in 0..150 {
        if let Some(body) = notified(phone).into_iter().find(|b| b.contains(text)) {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "no NOTIFY with {text:?}: {:?}\nphone: {}\nserver: {}",
        notified(phone),
        phone.log(),
        app.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_voicemail_lamp_follows_the_mailbox() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[("SWITCHBOARD_RTP_PORTS", "51800-51999".to_owned())],
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let caller = phone(&app, dir.path(), "101", 700.0).await;
    let (status, body) = app
        .post(
            "/v1/extensions",
            json!({"number": "58102", "name": "Pierre", "password": "pw-58102-secret",
                   "voicemail": {"enabled": true}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let owner = Baresip::start_with_mwi(
        "58102",
        "pw-58102-secret",
        app.sip,
        &tone_mic(dir.path(), "58102", 900.0),
    );
    wait_registered(&app, "58102").await;
    let first = wait_notified(&owner, "Messages-Waiting: no", &app).await;
    assert!(first.contains("Voice-Message: 0/0"), "{first}");

    // A message left through a number leading to the mailbox.
    let (status, _) = app
        .post(
            "/v1/numbers",
            json!({"number": "5900", "destination": "voicemail:58102"}),
        )
        .await;
    assert_eq!(status, 201);
    caller.dial(&format!("sip:5900@{}", app.sip));
    assert!(caller.wait_event("CALL_ESTABLISHED", LONG).is_some());
    // The spoken greeting, the beep, then a few seconds of message.
    tokio::time::sleep(Duration::from_secs(10)).await;
    caller.hangup();
    let lit = wait_notified(&owner, "Messages-Waiting: yes", &app).await;
    assert!(lit.contains("Voice-Message: 1/0"), "{lit}");
    assert!(lit.contains("Message-Account: sip:58102@"), "{lit}");

    // Deleted through the REST API: the lamp goes off.
    let (_, messages) = app.get("/v1/voicemail/58102/messages").await;
    let id = messages["data"][0]["id"].as_str().unwrap().to_owned();
    let (status, _) = app
        .delete(&format!("/v1/voicemail/58102/messages/{id}"))
        .await;
    assert_eq!(status, 204);
    let off = notified(&owner).len();
    for _ in 0..100 {
        if notified(&owner).len() > off {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let last = notified(&owner).pop().unwrap();
    assert!(
        last.contains("Messages-Waiting: no") && last.contains("Voice-Message: 0/0"),
        "{last}"
    );
}
