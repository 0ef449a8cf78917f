//! The mailbox menu after the new messages (`*97`, `*98`): saved messages, recording the
//! greeting, changing the PIN — driven through the built-in apps' URLs with an admin
//! key, as a phone's calls reach them; the new greeting and PIN are what the mailbox
//! uses from then on.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::json;
use switchboard_tests::app_harness::upload_tone;
use switchboard_tests::{Backend, TestApp};

async fn doc(app: &TestApp, path: &str, body: serde_json::Value) -> serde_json::Value {
    let (status, doc) = app.post(path, body).await;
    assert_eq!(status, 200, "{path}: {doc}");
    doc
}

fn first_text(doc: &serde_json::Value) -> String {
    doc[0]["text"]
        .as_str()
        .or_else(|| doc[0]["prompts"][0]["text"].as_str())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn saved_messages_greeting_and_pin_from_the_phone_menu() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (status, body) = app
        .post(
            "/v1/extensions",
            json!({"number": "58102", "name": "Yassir", "password": "pw-58102-secret",
                   "voicemail": {"enabled": true, "pin": "4321"}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let me = json!({"from": "58102"});
    let with = |digits: &str| {
        let mut b = me.clone();
        b["digits"] = json!(digits);
        b
    };

    // After the new messages, the menu.
    let menu = doc(&app, "/apps/feature/voicemail/pin", with("4321")).await;
    let said: Vec<String> = menu
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| {
            v["text"]
                .as_str()
                .or(v["prompts"][0]["text"].as_str())
                .map(str::to_owned)
        })
        .collect();
    assert!(
        said.iter()
            .any(|t| t.contains("Press 2 for your saved messages")),
        "{said:?}"
    );
    let saved = doc(&app, "/apps/feature/voicemail/menu", with("2")).await;
    assert!(
        first_text(&saved).starts_with("You have no saved messages."),
        "{saved}"
    );

    // 3: the greeting recorded becomes the mailbox's.
    let record = doc(&app, "/apps/feature/voicemail/menu", with("3")).await;
    assert_eq!(record[2]["verb"], "record", "{record}");
    assert_eq!(record[2]["action"], "/apps/feature/voicemail/greeting");
    upload_tone(&app, "phone-greeting", 500.0, 1.0).await;
    let (_, recording) = app.get("/v1/recordings/phone-greeting").await;
    let id = recording["id"].as_str().unwrap().to_owned();
    let mut recorded = me.clone();
    recorded["recording_sid"] = json!(id);
    let done = doc(&app, "/apps/feature/voicemail/greeting", recorded).await;
    assert!(
        first_text(&done).starts_with("Your greeting is saved."),
        "{done}"
    );
    let (_, ext) = app.get("/v1/extensions/58102").await;
    assert_eq!(
        ext["voicemail"]["greeting"]["recording"],
        json!(id),
        "{ext}"
    );
    let greeting = doc(&app, "/apps/voicemail/58102", json!({"from": "101"})).await;
    assert!(
        greeting.to_string().contains(&id),
        "callers now hear it: {greeting}"
    );

    // 4: a bad PIN changes nothing; a good one replaces the old.
    let ask = doc(&app, "/apps/feature/voicemail/menu", with("4")).await;
    assert_eq!(ask[0]["action"], "/apps/feature/voicemail/new-pin");
    let bad = doc(&app, "/apps/feature/voicemail/new-pin", with("12")).await;
    assert!(first_text(&bad).contains("not valid"), "{bad}");
    let good = doc(&app, "/apps/feature/voicemail/new-pin", with("98765")).await;
    assert!(
        first_text(&good).starts_with("Your PIN is changed."),
        "{good}"
    );
    let old = doc(&app, "/apps/feature/voicemail/pin", with("4321")).await;
    assert!(first_text(&old).contains("not correct"), "{old}");
    let new = doc(&app, "/apps/feature/voicemail/pin", with("98765")).await;
    assert!(
        first_text(&new).starts_with("You have 0 new messages"),
        "{new}"
    );
}
