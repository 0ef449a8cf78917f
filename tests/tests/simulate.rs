//! `switchboard simulate`: a call into a real webhook application without SIP, RTP or
//! phones — the same signed requests a real call sends, the keys given with `--keys`,
//! the `dial` outcome chosen with `--dial`, every step printed (`--json`: one object per
//! line).

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::json;
use switchboard_tests::switchboard_bin;
use switchboard_tests::webhook_app::{Reply, WebhookApp};

/// Runs `switchboard simulate` with `args`; its exit status and JSON steps.
fn simulate<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> (bool, Vec<serde_json::Value>, String) {
    let out = std::process::Command::new(switchboard_bin())
        .arg("simulate")
        .args(args)
        .env_remove("SWITCHBOARD_SIMULATE_SECRET")
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let steps = stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (
        out.status.success(),
        steps,
        format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_menu_runs_without_a_phone_with_the_keys_and_dial_outcome_given() {
    let hooks = WebhookApp::start().await;
    hooks.set_secret("whsec_test-secret");
    hooks.reply(
        "/voice",
        Reply::Json(json!([
            {"verb": "gather", "num_digits": 1, "action": "/menu",
             "prompts": [{"verb": "say", "text": "Press 1 for sales"}]},
            {"verb": "say", "text": "We did not get your choice"}
        ])),
    );
    hooks.reply(
        "/menu",
        Reply::Json(json!([
            {"verb": "dial", "targets": [{"type": "number", "number": "101"}], "action": "/after"}
        ])),
    );
    hooks.reply(
        "/after",
        Reply::Json(json!([{"verb": "say", "text": "Sales is busy, goodbye"}, {"verb": "hangup"}])),
    );
    let voice = format!("{}/voice", hooks.url);
    let args = [
        voice.as_str(),
        "--keys",
        "1",
        "--dial",
        "busy",
        "--json",
        "--secret",
        "whsec_test-secret",
        "--from",
        "+3222000111",
    ]
    .map(str::to_owned);
    let (ok, steps, output) = tokio::task::spawn_blocking(move || simulate(&args))
        .await
        .unwrap();
    assert!(ok, "{output}");
    let kinds: Vec<&str> = steps.iter().map(|s| s["step"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "request", "document", "answered", "says", "keys", "request", "document", "dials",
            "request", "document", "says", "ended"
        ],
        "{output}"
    );
    assert_eq!(steps[3]["text"], "Press 1 for sales");
    assert_eq!(steps[4]["digits"], "1");
    assert_eq!(steps[5]["body"]["digits"], "1", "{output}");
    assert_eq!(steps[7]["outcome"], "busy");
    assert_eq!(steps[8]["body"]["dial_call_status"], "busy", "{output}");
    assert_eq!(steps[10]["text"], "Sales is busy, goodbye");
    assert_eq!(steps[11]["status"], "completed", "{output}");

    // The application got the same signed requests a real call sends.
    let received = hooks.received();
    assert_eq!(received.len(), 3, "{received:?}");
    hooks.assert_all_signed();
    assert_eq!(received[0].body["from"], "+3222000111");
    assert_eq!(received[1].path, "/menu");
    assert_eq!(received[1].body["digits"], "1");
    assert_eq!(received[2].body["dial_call_status"], "busy");

    // No key: the gather times out and the document goes on.
    let args = [voice.as_str(), "--json", "--secret", "whsec_test-secret"].map(str::to_owned);
    let (ok, steps, output) = tokio::task::spawn_blocking(move || simulate(&args))
        .await
        .unwrap();
    assert!(ok, "{output}");
    let said: Vec<&str> = steps
        .iter()
        .filter(|s| s["step"] == "says")
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        said,
        ["Press 1 for sales", "We did not get your choice"],
        "{output}"
    );
}

#[test]
fn an_unreachable_application_fails_the_call_and_the_command() {
    let (ok, steps, output) = simulate(&["http://127.0.0.1:9/voice", "--json"]);
    assert!(!ok, "{output}");
    assert!(steps.iter().any(|s| s["step"] == "failed"), "{output}");
    assert_eq!(steps.last().unwrap()["status"], "failed", "{output}");
}

/// The IVR example (`examples/python/ivr_daynight.py`, tested with real phones in
/// `pbx_user_app`) run by the simulator: key 1 takes the path the real call takes —
/// the menu, the choice, ring group member 58102.
#[test]
fn the_ivr_example_takes_the_same_path_as_a_real_call() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let port = switchboard_tests::peers::free_sip_port();
    let mut example = std::process::Command::new("python3")
        .env("PYTHONPATH", root.join("sdk/python"))
        .arg(root.join("examples/python/ivr_daynight.py"))
        .args([&port.to_string(), "whsec_example"])
        .spawn()
        .expect("python3 runs the example");
    let url = format!("http://127.0.0.1:{port}/voice");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "the example did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let (ok, steps, output) = simulate(&[
        url.as_str(),
        "--keys",
        "1",
        "--secret",
        "whsec_example",
        "--json",
    ]);
    let _ = example.kill();
    let _ = example.wait();
    assert!(ok, "{output}");
    let requests: Vec<&str> = steps
        .iter()
        .filter(|s| s["step"] == "request")
        .map(|s| s["url"].as_str().unwrap())
        .collect();
    assert_eq!(requests.len(), 2, "{output}");
    assert!(requests[1].ends_with("/choice/0/0"), "{output}");
    let played: Vec<&str> = steps
        .iter()
        .filter(|s| s["step"] == "plays")
        .map(|s| s["audio"].as_str().unwrap())
        .collect();
    assert_eq!(played, ["recording VoicemailCenter"], "{output}");
    let dial = steps.iter().find(|s| s["step"] == "dials").unwrap();
    assert_eq!(dial["targets"][0]["number"], "58102", "{output}");
}

/// The options not used above: `--method GET` (signed over the URL, fields in the query),
/// `--to`, `--dial no-answer` and `failed`, and `--max-seconds` hanging up a call that
/// would go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_requests_the_number_called_dial_outcomes_and_the_time_limit_are_honoured() {
    let hooks = WebhookApp::start().await;
    hooks.set_secret("whsec_test-secret");
    hooks.reply(
        "/voice",
        Reply::Json(json!([
            {"verb": "dial", "targets": [{"type": "number", "number": "101"}], "action": "/after"}
        ])),
    );
    hooks.reply("/after", Reply::Json(json!([{"verb": "hangup"}])));
    hooks.reply(
        "/hold",
        Reply::Json(
            json!([{"verb": "say", "text": "Please hold"}, {"verb": "pause", "length": 60}]),
        ),
    );
    let run = |url: String, extra: &[&str]| {
        let mut args: Vec<String> = vec![
            url,
            "--json".into(),
            "--secret".into(),
            "whsec_test-secret".into(),
        ];
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        tokio::task::spawn_blocking(move || simulate(&args))
    };
    let voice = format!("{}/voice", hooks.url);

    // GET, to 6000, nobody answers the dial.
    let (ok, steps, output) = run(
        voice.clone(),
        &["--method", "GET", "--to", "6000", "--dial", "no-answer"],
    )
    .await
    .unwrap();
    assert!(ok, "{output}");
    let first = &hooks.received()[0];
    assert_eq!(
        (first.method.as_str(), &first.body["to"]),
        ("GET", &json!("6000")),
        "{output}"
    );
    assert!(first.signature_ok, "a GET is signed over its URL");
    let dialled = steps.iter().find(|s| s["step"] == "dials").unwrap();
    assert_eq!(dialled["outcome"], "no-answer", "{output}");
    let after = &hooks.received_on("/after")[0];
    assert_eq!(
        after.method, "POST",
        "as in a real call, only the voice URL is a GET"
    );
    assert_eq!(after.body["dial_call_status"], "no-answer");

    // The dial fails.
    let (ok, _, output) = run(voice, &["--dial", "failed"]).await.unwrap();
    assert!(ok, "{output}");
    let after = hooks.received_on("/after").pop().unwrap();
    assert_eq!(
        (after.method.as_str(), &after.body["dial_call_status"]),
        ("POST", &json!("failed"))
    );
    hooks.assert_all_signed();

    // A minute of pause, but the caller gives up after 5 s.
    let (ok, steps, output) = run(format!("{}/hold", hooks.url), &["--max-seconds", "5"])
        .await
        .unwrap();
    assert!(ok, "{output}");
    let ended = steps.last().unwrap();
    assert_eq!(ended["step"], "ended", "{output}");
    let at = ended["at"].as_f64().unwrap();
    assert!(
        (4.9..=5.1).contains(&at),
        "hung up at 5 s, not at the pause's end: {output}"
    );
    assert_eq!(ended["status"], "completed", "{output}");
}
