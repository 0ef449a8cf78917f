//! The example programs with real calls: the outbound notification script in Python,
//! Node and Rust (`examples/python/notify.py`, `examples/node/notify.mjs`, the Rust
//! SDK's `examples/notify.rs`) calls a real phone, which hears the message and presses a
//! key the script then reports; and the voicemail receiver
//! (`examples/python/voicemail_receiver.py`) saves a message a real caller left, audio
//! and all.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::json;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use switchboard_tests::app_harness::{burst_power, create, phone};
use switchboard_tests::audio::read_wav;
use switchboard_tests::peers::{Baresip, free_sip_port};
use switchboard_tests::{Backend, TestApp};

const LONG: Duration = Duration::from_secs(30);

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// An example program, killed when dropped.
struct Program(Child);

impl Drop for Program {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Program {
    /// Waits for it to exit; its status code and standard output.
    fn finish(mut self, timeout: Duration) -> (Option<i32>, String) {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.0.try_wait().unwrap() {
                let mut out = String::new();
                self.0
                    .stdout
                    .take()
                    .unwrap()
                    .read_to_string(&mut out)
                    .unwrap();
                return (status.code(), out);
            }
            assert!(Instant::now() < deadline, "the example did not finish");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Waits until something listens on `port` (a program just started).
async fn listening(port: u16) {
    let deadline = Instant::now() + LONG;
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `language`'s notification script, calling `to`.
fn notify(app: &TestApp, language: &str, to: &str) -> Program {
    notify_with(app, language, to, &app.url)
}

/// [`notify`] against the API at `api`.
fn notify_with(app: &TestApp, language: &str, to: &str, api: &str) -> Program {
    let mut command = match language {
        "python" => {
            let mut c = Command::new("python3");
            c.arg(root().join("examples/python/notify.py"));
            c
        }
        "node" => {
            let mut c = Command::new("node");
            c.arg(root().join("examples/node/notify.mjs"));
            c
        }
        _ => Command::new(
            switchboard_tests::switchboard_bin()
                .parent()
                .unwrap()
                .join("examples/notify"),
        ),
    };
    let child = command
        .env("PYTHONPATH", root().join("sdk/python"))
        .env("SWITCHBOARD_URL", api)
        .env("SWITCHBOARD_KEY", format!("{}:{}", app.key_id, app.secret))
        .args([to, "Your order has shipped.", "--from", "5000"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("the example runs");
    Program(child)
}

/// 100 ms windows of `file` loud enough to be speech.
fn speech_windows(file: &Path) -> usize {
    let pcm = read_wav(&std::fs::read(file).unwrap());
    let window = pcm.rate as usize / 10;
    pcm.samples
        .chunks(window)
        .filter(|w| w.iter().map(|s| s * s).sum::<f64>() / w.len() as f64 > 1e-4)
        .count()
}

/// The phone answers the script's call, hears the message, presses `key`; what the
/// script printed and its exit code.
async fn confirmed(
    app: &TestApp,
    phone: &Baresip,
    language: &str,
    key: &str,
) -> (Option<i32>, serde_json::Value) {
    phone.forget_events();
    let script = notify(app, language, "58101");
    assert!(
        phone.wait_event("CALL_ESTABLISHED", LONG).is_some(),
        "{language}: the phone rang and answered; server: {}",
        app.log()
    );
    if !key.is_empty() {
        // The message (about 2 s), then the question (about 3 s), then 10 s for the
        // key: 6 s is well inside, even with speech synthesised slowly.
        tokio::time::sleep(Duration::from_secs(6)).await;
        phone.command("sndcode", key);
    }
    assert!(
        phone.wait_event("CALL_CLOSED", LONG).is_some(),
        "{language}: the call ended"
    );
    let (code, out) = script.finish(LONG);
    let printed =
        serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{language}: {e}: {out}"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let heard = speech_windows(&phone.received_audio().unwrap());
    assert!(
        heard >= 15,
        "{language}: the phone heard the message and the question ({heard} windows)"
    );
    (code, printed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_notification_script_reports_the_key_pressed_in_python_node_and_rust() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[("SWITCHBOARD_RTP_PORTS", "55200-55299".to_owned())],
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let phone = phone(&app, dir.path(), "58101", 440.0).await;
    for (language, key) in [("python", "1"), ("node", "2"), ("rust", "1")] {
        let (code, printed) = confirmed(&app, &phone, language, key).await;
        assert_eq!(
            (code, &printed["key"], &printed["status"]),
            (Some(0), &json!(key), &json!("completed")),
            "{language}: {printed}; server: {}",
            app.log()
        );
        let sid = printed["call_sid"].as_str().unwrap();
        let (_, call) = app.get(&format!("/v1/calls/{sid}")).await;
        assert_eq!(
            (&call["to"], &call["from"]),
            (&json!("58101"), &json!("5000")),
            "{call}"
        );
    }
    // Silence: the call ends after the question's timeout, the script says no key.
    let (code, printed) = confirmed(&app, &phone, "python", "").await;
    assert_eq!(
        (code, &printed["key"], &printed["status"]),
        (Some(1), &json!(null), &json!("completed")),
        "{printed}"
    );
    // Nobody to call: the API's error, named, and no call; no server: an error too, not
    // "no key".
    for language in ["python", "node", "rust"] {
        let (code, out) = notify(&app, language, "999").finish(LONG);
        let printed: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(
            (code, &printed["error"], &printed["field"]),
            (Some(2), &json!("validation_failed"), &json!("to")),
            "{language}: {printed}"
        );
        let (code, out) = notify_with(&app, language, "58101", "http://127.0.0.1:9").finish(LONG);
        let printed: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(code, Some(2), "{language}: {printed}");
        assert!(printed["error"].is_string(), "{language}: {printed}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_voicemail_receiver_saves_a_message_left_by_a_real_caller() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[("SWITCHBOARD_RTP_PORTS", "55300-55399".to_owned())],
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let caller = phone(&app, dir.path(), "58101", 700.0).await;
    let port = free_sip_port();
    let application = create(
        &app,
        "/v1/applications",
        json!({"name": "Voicemail receiver", "voice_url": format!("http://127.0.0.1:{port}/voice"),
               "status_callback": format!("http://127.0.0.1:{port}/voicemail")}),
    )
    .await;
    create(
        &app,
        "/v1/extensions",
        json!({"number": "58102", "name": "Pierre", "password": "pw-58102-secret",
               "voicemail": {"enabled": true, "application_id": application["id"]},
               "no_answer_destination": "voicemail:58102"}),
    )
    .await;
    let saved = dir.path().join("messages");
    let _receiver = Program(
        Command::new("python3")
            .arg(root().join("examples/python/voicemail_receiver.py"))
            .arg(port.to_string())
            .arg(application["signing_secret"].as_str().unwrap())
            .arg(&saved)
            .env("PYTHONPATH", root().join("sdk/python"))
            .env("SWITCHBOARD_URL", &app.url)
            .env("SWITCHBOARD_KEY", format!("{}:{}", app.key_id, app.secret))
            .stdout(Stdio::piped())
            .spawn()
            .expect("the example runs"),
    );
    listening(port).await;
    // A forged event is refused and saves nothing.
    let forged = switchboard_tests::http_client()
        .post(format!("http://127.0.0.1:{port}/voicemail"))
        .json(
            &json!({"event": "voicemail", "mailbox": "58102", "message_id": "VMforged",
                      "audio_url": "/v1/recordings/x/audio"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);

    // No phone answers 58102: the caller leaves a message (the 700 Hz tone).
    caller.dial(&format!("sip:58102@{}", app.sip));
    assert!(
        caller.wait_event("CALL_ESTABLISHED", LONG).is_some(),
        "{}",
        app.log()
    );
    tokio::time::sleep(Duration::from_secs(10)).await;
    caller.hangup();
    assert!(caller.wait_event("CALL_CLOSED", LONG).is_some());

    let deadline = Instant::now() + LONG;
    let details = loop {
        let found: Vec<PathBuf> = std::fs::read_dir(&saved)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        if let [one] = found.as_slice() {
            break one.clone();
        }
        assert!(found.is_empty(), "one message, saved once: {found:?}");
        assert!(
            Instant::now() < deadline,
            "nothing saved; server: {}",
            app.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let event: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&details).unwrap()).unwrap();
    assert_eq!(
        (&event["mailbox"], &event["caller_number"]),
        (&json!("58102"), &json!("58101")),
        "{event}"
    );
    let audio = read_wav(&std::fs::read(details.with_extension("wav")).unwrap());
    assert!(
        burst_power(&audio, 700.0) > 1e-3,
        "the caller's voice is in the saved audio"
    );
    let (_, message) = app
        .get(&format!(
            "/v1/voicemail/58102/messages/{}",
            event["message_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(message["duration_ms"], event["duration_ms"], "{message}");
    assert!(!saved.join("58102-VMforged.json").exists());

    // The same event delivered again (Switchboard retries until it gets a 2xx): saved
    // once, the audio untouched; nothing left pending.
    let body = serde_json::to_vec(&event).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let secret = application["signing_secret"].as_str().unwrap();
    let again = switchboard_tests::http_client()
        .post(format!("http://127.0.0.1:{port}/voicemail"))
        .header(
            contract::signature::HEADER,
            contract::signature::sign(secret.as_bytes(), now, &body),
        )
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    let wav = std::fs::read(details.with_extension("wav")).unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let files: Vec<_> = std::fs::read_dir(&saved)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        files.len(),
        3,
        "the message's .wav and .json, and pending/: {files:?}"
    );
    assert_eq!(std::fs::read(details.with_extension("wav")).unwrap(), wav);
    assert_eq!(
        std::fs::read_dir(saved.join("pending")).unwrap().count(),
        0,
        "nothing pending"
    );
}
