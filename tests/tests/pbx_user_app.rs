//! The promise: any PBX feature can be replaced by the user's own webhook app. The
//! seed's day/night switch and IVR, written as a short Python app
//! (`examples/python/ivr_daynight.py`, `examples/node/ivr_daynight.mjs` and the Rust
//! SDK's `examples/ivr_daynight.rs`), give the same call flow as the built-in apps: the
//! same scenario runs against both and measures the same things.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::json;
use std::process::{Child, Command};
use std::time::Duration;
use switchboard_tests::app_harness::{burst_power, create, phone, tone_windows, upload_tone};
use switchboard_tests::audio::read_wav;
use switchboard_tests::peers::{Baresip, free_sip_port};
use switchboard_tests::{Backend, TestApp};

const LONG: Duration = Duration::from_secs(30);
const ANNOUNCEMENT: f64 = 697.0;

struct Phones {
    caller: Baresip,
    member: Baresip,
    operator: Baresip,
}

/// How night mode is turned on.
enum Night {
    /// `*280` from the caller's phone (the built-in switch).
    FeatureCode,
    /// The user's app's own switch.
    Toggle(String),
}

/// What a caller of `number` goes through, day then night; returns what was measured.
async fn day_then_night(app: &TestApp, phones: &Phones, number: &str, night: Night) -> Vec<String> {
    let mut seen = Vec::new();
    let call = |caller: &Baresip| {
        caller.forget_events();
        caller.dial(&format!("sip:{number}@{}", app.sip));
        assert!(
            caller.wait_event("CALL_ESTABLISHED", LONG).is_some(),
            "{}",
            app.log()
        );
    };
    let hang_up = |caller: &Baresip| {
        caller.hangup();
        assert!(caller.wait_event("CALL_CLOSED", LONG).is_some());
    };
    // Day: the announcement, key 1, the member answers, both hear each other.
    call(&phones.caller);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    phones.caller.command("sndcode", "1");
    assert!(
        phones.member.wait_event("CALL_ESTABLISHED", LONG).is_some(),
        "{}",
        app.log()
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    hang_up(&phones.caller);
    assert!(phones.member.wait_event("CALL_CLOSED", LONG).is_some());
    phones.member.forget_events();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let heard = phones.caller.received_audio().unwrap();
    seen.push(format!(
        "announcement: {}",
        tone_windows(&heard, ANNOUNCEMENT) >= 10
    ));
    let pcm = read_wav(&std::fs::read(&heard).unwrap());
    seen.push(format!(
        "caller hears the member: {}",
        burst_power(&pcm, 1000.0) > 1e-3
    ));
    let pcm = read_wav(&std::fs::read(phones.member.received_audio().unwrap()).unwrap());
    seen.push(format!(
        "member hears the caller: {}",
        burst_power(&pcm, 440.0) > 1e-3
    ));

    // Three invalid keys: the operator.
    call(&phones.caller);
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(2500)).await;
        phones.caller.command("sndcode", "9");
    }
    seen.push(format!(
        "third invalid key reaches the operator: {}",
        phones
            .operator
            .wait_event("CALL_ESTABLISHED", LONG)
            .is_some()
    ));
    hang_up(&phones.caller);
    phones.operator.forget_events();

    // Night: a message is left, no IVR.
    match night {
        Night::FeatureCode => {
            phones.caller.forget_events();
            phones.caller.dial(&format!("sip:*280@{}", app.sip));
            assert!(phones.caller.wait_event("CALL_CLOSED", LONG).is_some());
            let (_, switch) = app.get("/v1/daynight/0").await;
            assert_eq!(switch["mode"], "night");
        }
        Night::Toggle(url) => {
            let r = switchboard_tests::http_client()
                .post(url)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
        }
    }
    call(&phones.caller);
    tokio::time::sleep(Duration::from_secs(8)).await;
    hang_up(&phones.caller);
    tokio::time::sleep(Duration::from_millis(800)).await;
    seen.push(format!(
        "announcement at night: {}",
        tone_windows(&phones.caller.received_audio().unwrap(), ANNOUNCEMENT) > 0
    ));
    let (_, calls) = app.get(&format!("/v1/calls?from=58101&to={number}")).await;
    let sid = calls["data"][0]["sid"].as_str().unwrap().to_owned();
    let (_, recordings) = app.get("/v1/recordings").await;
    seen.push(format!(
        "message recorded: {}",
        recordings["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"]
                .as_str()
                .unwrap()
                .starts_with(&format!("call-{sid}")))
    ));
    seen
}

/// The user's app, running until dropped.
struct UserApp(Child);

impl Drop for UserApp {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_app_replaces_the_built_in_ivr_and_day_night_with_the_same_call_flow() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[("SWITCHBOARD_RTP_PORTS", "50000-50199".to_owned())],
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let phones = Phones {
        caller: phone(&app, dir.path(), "58101", 440.0).await,
        member: phone(&app, dir.path(), "58102", 1000.0).await,
        operator: phone(&app, dir.path(), "58106", 852.0).await,
    };
    create(&app, "/v1/extensions", json!({"number": "57443", "name": "Pierre", "password": "pw-57443-secret", "voicemail": {"enabled": true}})).await;
    upload_tone(&app, "VoicemailCenter", ANNOUNCEMENT, 1.5).await;
    // The built-in way: ring group, IVR, day/night switch, number 5000.
    create(
        &app,
        "/v1/ring-groups",
        json!({"number": "301", "name": "Info", "members": ["58102"]}),
    )
    .await;
    create(&app, "/v1/ivrs", json!({"name": "VoicemailCenter", "announcement": {"recording": "VoicemailCenter"},
        "timeout": 4, "options": {"1": "ringgroup:301", "3": "repeat"}, "invalid_destination": "extension:58106"})).await;
    create(
        &app,
        "/v1/daynight",
        json!({"index": 0, "name": "Pierre", "day_destination": "ivr:VoicemailCenter",
        "night_destination": "voicemail:57443"}),
    )
    .await;
    create(
        &app,
        "/v1/numbers",
        json!({"number": "5000", "destination": "daynight:0"}),
    )
    .await;
    // The user's way: the same as a webhook app on the SDKs (the examples), in Python on
    // number 6000 and in Node on 6001.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut user_apps = Vec::new();
    // The Rust example is built with the workspace, next to the binary.
    let rust_example = switchboard_tests::switchboard_bin()
        .parent()
        .unwrap()
        .join("examples/ivr_daynight");
    let rust_example = rust_example.to_str().unwrap();
    for (number, program, script) in [
        ("6000", "python3", "examples/python/ivr_daynight.py"),
        ("6001", "node", "examples/node/ivr_daynight.mjs"),
        ("6002", rust_example, ""),
    ] {
        let port = free_sip_port();
        let application = create(
            &app,
            "/v1/applications",
            json!({"name": format!("IVR in {program}"),
            "voice_url": format!("http://127.0.0.1:{port}/voice")}),
        )
        .await;
        create(
            &app,
            "/v1/numbers",
            json!({"number": number, "application_id": application["id"]}),
        )
        .await;
        let mut command = Command::new(program);
        if !script.is_empty() {
            command.arg(root.join(script));
        }
        user_apps.push((
            number,
            port,
            UserApp(
                command
                    .env("PYTHONPATH", root.join("sdk/python"))
                    .arg(port.to_string())
                    .arg(application["signing_secret"].as_str().unwrap())
                    .spawn()
                    .expect("the example runs"),
            ),
        ));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    let built_in = day_then_night(&app, &phones, "5000", Night::FeatureCode).await;
    let mut users = Vec::new();
    for (number, port, _) in &user_apps {
        users.push(
            day_then_night(
                &app,
                &phones,
                number,
                Night::Toggle(format!("http://127.0.0.1:{port}/toggle")),
            )
            .await,
        );
    }
    assert_eq!(
        built_in,
        [
            "announcement: true",
            "caller hears the member: true",
            "member hears the caller: true",
            "third invalid key reaches the operator: true",
            "announcement at night: false",
            "message recorded: true",
        ],
        "the built-in apps"
    );
    assert_eq!(
        users[0], built_in,
        "the Python app gives the same call flow"
    );
    assert_eq!(users[1], built_in, "the Node app gives the same call flow");
    assert_eq!(users[2], built_in, "the Rust app gives the same call flow");
}
