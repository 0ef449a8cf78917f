//! Every `/v1` resource through the typed client, against the real binary: what each
//! call returns is the contract's type, filled in by the server.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use contract::models as m;
use futures_util::TryStreamExt as _;
use serde_json::{from_value, json};
use switchboard_sdk::{Client, Error};
use switchboard_tests::audio::{read_wav, tone_wav};
use switchboard_tests::{Backend, TestApp};

async fn client() -> (TestApp, Client) {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let client = Client::new(&app.url, &format!("{}:{}", app.key_id, app.secret)).unwrap();
    (app, client)
}

/// Extension `number` (with `extra` fields) created through the typed client.
async fn add_extension(client: &Client, number: &str, extra: serde_json::Value) {
    let mut body = json!({"number": number, "name": format!("User {number}"),
        "password": format!("Secret-{number}-pw")});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    client
        .extensions()
        .create(&from_value(body).unwrap())
        .await
        .unwrap();
}

fn status_of(result: Result<impl std::fmt::Debug, Error>) -> u16 {
    match result {
        Err(Error::Api { status, .. }) => status,
        other => panic!("expected an error answer, got {other:?}"),
    }
}

#[tokio::test]
async fn recordings_are_uploaded_listed_renamed_downloaded_and_deleted() {
    let (_app, client) = client().await;
    let wav = tone_wav(697.0, 1.0, 16000, 2, 16, false, 0.5);
    let recording = client.upload_recording("welcome", wav).await.unwrap();
    assert_eq!(recording.name.as_str(), "welcome");
    let audio = read_wav(&client.recording_audio("welcome").await.unwrap());
    assert_eq!(audio.rate, 8000, "converted for calls");
    assert!((7900..=8100).contains(&audio.samples.len()), "one second");
    let renamed = client
        .recordings()
        .update("welcome", &json!({"name": "hello"}))
        .await
        .unwrap();
    assert_eq!(renamed.id, recording.id);
    let names: Vec<String> = client
        .recordings()
        .list()
        .map_ok(|r| r.name.to_string())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(names, ["hello"]);
    let refused = client.upload_recording("bad", b"not a wav".to_vec()).await;
    assert!(
        matches!(
            &refused,
            Err(Error::Api {
                status: 400 | 415 | 422,
                ..
            })
        ),
        "{refused:?}"
    );
    client.recordings().delete("hello").await.unwrap();
    assert_eq!(status_of(client.recording_audio("hello").await), 404);
}

#[tokio::test]
async fn pbx_resources_day_night_time_conditions_follow_me_and_feature_codes() {
    let (_app, client) = client().await;
    add_extension(&client, "101", json!({"voicemail": {"enabled": true}})).await;
    add_extension(&client, "102", json!({})).await;

    let switch: m::DayNightCreate = from_value(json!({"index": 0, "name": "Office",
        "day_destination": "extension:101", "night_destination": "voicemail:101"}))
    .unwrap();
    let created = client.daynight().create(&switch).await.unwrap();
    assert_eq!(created.mode, m::DayNightMode::Day);
    let toggled = client.toggle_daynight(0).await.unwrap();
    assert_eq!(toggled.mode, m::DayNightMode::Night);
    assert_eq!(
        client.daynight().get("0").await.unwrap().mode,
        m::DayNightMode::Night
    );

    let condition: m::TimeConditionCreate = from_value(json!({"id": "2", "name": "Hours",
        "time_zone": "Europe/Brussels", "match_destination": "extension:101",
        "no_match_destination": "daynight:0"}))
    .unwrap();
    client.time_conditions().create(&condition).await.unwrap();
    let forced = client
        .override_time_condition(
            "2",
            &m::OverrideRequest {
                state: Some(m::ConditionState::Match),
                permanent: true,
            },
        )
        .await
        .unwrap();
    assert_eq!(forced.state, m::ConditionState::Match, "{forced:?}");
    assert!(forced.r#override.is_some(), "{forced:?}");

    let follow_me: m::FollowMe = from_value(json!({"numbers": ["102"], "enabled": true})).unwrap();
    let set = client.follow_me("101").set(&follow_me).await.unwrap();
    assert_eq!(
        set.numbers
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["102"]
    );
    let off = client
        .follow_me("101")
        .update(&json!({"enabled": false}))
        .await
        .unwrap();
    assert!(!off.enabled);
    assert!(!client.follow_me("101").get().await.unwrap().enabled);
    let refused = client
        .follow_me("101")
        .update(&json!({"numbers": ["0612345678"]}))
        .await;
    assert!(
        matches!(&refused, Err(Error::Api { status: 422, field: Some(f), .. }) if f == "numbers[0]"),
        "{refused:?}"
    );
    client.follow_me("101").delete().await.unwrap();
    assert_eq!(status_of(client.follow_me("999").get().await), 404);

    let codes = client.feature_codes().await.unwrap();
    assert!(
        codes
            .iter()
            .any(|c| c.feature == m::Feature::DaynightToggle),
        "{codes:?}"
    );
    let changed = client
        .update_feature_code(m::Feature::DaynightToggle, &json!({"code": "*29"}))
        .await
        .unwrap();
    assert_eq!(changed.code.to_string(), "*29");
}

#[tokio::test]
async fn queues_agents_keys_apps_registrations_and_calls() {
    let (_app, client) = client().await;
    for n in ["201", "202"] {
        add_extension(&client, n, json!({})).await;
    }
    let queue: m::QueueCreate = from_value(json!({"name": "support", "number": "400",
        "members": [{"member": "201"}, {"member": "202", "dynamic": true}]}))
    .unwrap();
    client.queues().create(&queue).await.unwrap();
    let agents = client.queue("support").agents().await.unwrap();
    let members: Vec<&str> = agents.iter().map(|a| a.member.as_str()).collect();
    assert_eq!(members, ["201", "202"]);
    let paused = client
        .queue("support")
        .update_agent("201", &json!({"paused": true, "pause_reason": "lunch"}))
        .await
        .unwrap();
    assert_eq!(
        (paused.paused, paused.pause_reason.as_deref()),
        (true, Some("lunch"))
    );
    assert!(client.queue("support").callers().await.unwrap().is_empty());
    let stats = client.queue("support").stats(None).await.unwrap();
    assert_eq!(stats.offered, 0, "{stats:?}");
    assert_eq!(status_of(client.queue("nope").agents().await), 404);

    let key: m::ApiKeyCreate = from_value(json!({"name": "script", "role": "admin"})).unwrap();
    let created = client.api_keys().create(&key).await.unwrap();
    let scripted = Client::new(
        client.base_url(),
        &format!("{}:{}", created.key.key_id, created.secret),
    )
    .unwrap();
    let key_id = created.key.key_id.to_string();
    assert_eq!(
        scripted.api_keys().get(&key_id).await.unwrap().name,
        "script"
    );
    client.api_keys().delete(&key_id).await.unwrap();
    assert_eq!(status_of(scripted.extensions().get("201").await), 401);

    let apps = client.apps().await.unwrap();
    assert!(
        apps.apps
            .iter()
            .any(|a| a.url == "/apps/voicemail/{mailbox}"),
        "{apps:?}"
    );
    assert_ne!(apps.signing_secret, apps.url_destinations_signing_secret);
    let application: m::ApplicationCreate =
        from_value(json!({"name": "App", "voice_url": "http://127.0.0.1:9/voice"})).unwrap();
    let application = client.applications().create(&application).await.unwrap();
    let rotated = client
        .rotate_signing_secret(application.application.id.as_str())
        .await
        .unwrap();
    assert_ne!(rotated.signing_secret, application.signing_secret);

    let registrations: Vec<_> = client.registrations().list().try_collect().await.unwrap();
    assert!(registrations.is_empty(), "no phone here");
    // A call to 201, which has no phone: it ends not answered, and the filters find it.
    let call: m::CallCreate = from_value(json!({"from": "5000", "to": "201",
        "verbs": [{"verb": "hangup"}]}))
    .unwrap();
    let placed = client.calls().create(&call).await.unwrap();
    let by_status = |status: &'static str| {
        let calls = client.calls();
        async move {
            calls
                .list_where(10, vec![("status", status.into())])
                .map_ok(|c| c.sid.to_string())
                .try_collect::<Vec<_>>()
                .await
                .unwrap()
        }
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while by_status("no-answer").await.is_empty() {
        assert!(std::time::Instant::now() < deadline, "the call never ended");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(by_status("no-answer").await, [placed.sid.to_string()]);
    assert!(by_status("completed").await.is_empty());
    let bad = client
        .calls()
        .list_where(10, vec![("status", "sideways".into())])
        .try_collect::<Vec<_>>()
        .await;
    assert!(
        matches!(
            bad,
            Err(Error::Api {
                status: 400 | 422,
                ..
            })
        ),
        "{bad:?}"
    );
}

#[tokio::test]
async fn a_mailboxs_messages_are_listed_moved_downloaded_and_deleted() {
    let (_app, client) = client().await;
    add_extension(&client, "101", json!({"voicemail": {"enabled": true}})).await;
    let wav = tone_wav(900.0, 2.0, 8000, 1, 16, false, 0.5);
    let recording = client.upload_recording("message", wav).await.unwrap();
    // A message left as the engine leaves one: the built-in app told of the recording
    // (an admin key may ask it what the engine asks).
    let _: serde_json::Value = client
        .request(
            switchboard_sdk::Method::POST,
            "/apps/voicemail/101/saved",
            Some(
                &json!({"call_sid": "CA1", "from": "003222", "recording_sid": recording.id,
                "recording_duration": 2}),
            ),
            &[],
        )
        .await
        .unwrap();
    let mailbox = client.voicemail("101");
    let messages: Vec<_> = mailbox.messages.list().try_collect().await.unwrap();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let message = &messages[0];
    assert_eq!(message.caller_number, "003222", "{message:?}");
    let audio = read_wav(&mailbox.audio(&message.id).await.unwrap());
    assert!(
        (15000..=17000).contains(&audio.samples.len()),
        "two seconds at 8 kHz"
    );
    let saved = mailbox
        .messages
        .update(&message.id, &json!({"folder": "saved"}))
        .await
        .unwrap();
    assert_eq!(saved.folder, m::VoicemailFolder::Saved);
    let new: Vec<_> = mailbox
        .messages
        .list_where(10, vec![("folder", "new".into())])
        .try_collect()
        .await
        .unwrap();
    assert!(new.is_empty(), "{new:?}");
    // The token goes to the server only: not to a URL that would send it elsewhere.
    let elsewhere = client.download("@evil.example/x").await;
    assert!(
        matches!(elsewhere, Err(Error::NotOnServer(_))),
        "{elsewhere:?}"
    );
    let full = format!("{}{}", client.base_url(), message.audio_url);
    assert_eq!(
        client.download(&full).await.unwrap().len(),
        mailbox.audio(&message.id).await.unwrap().len()
    );
    mailbox.messages.delete(&message.id).await.unwrap();
    assert_eq!(status_of(mailbox.audio(&message.id).await), 404);
}
