//! The three SDKs agree with the OpenAPI document the server serves: a document built
//! with every verb and every option of each SDK (Rust here, Python's and Node's by
//! `sdk/agreement/every_verb.*`) is checked by `sdk/agreement/check.py` against the
//! served `/openapi.json` — each verb valid, and every field the schema has buildable.
//! A contract change the SDKs miss (a field renamed, a verb added) fails here.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::{Value, json};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use switchboard_sdk::verbs::{Document, Gather, Target};
use switchboard_tests::{Backend, TestApp};

fn agreement() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../agreement")
}

/// Every verb and option, on the Rust SDK.
fn every_verb() -> Document {
    let confirm = json!({"key": "1", "timeout": 10,
        "prompt": {"say": "Press 1 to take the call.", "language": "en"}});
    let menu = Gather::digits(1)
        .action("/menu")
        .timeout(5)
        .with("finish_on_key", "#")
        .with("input", ["dtmf"])
        .with("inter_digit_timeout", 3)
        .prompts(
            Document::new()
                .say("Welcome")
                .with("language", "en")
                .with("voice", "en-us")
                .with("loop", 1)
                .play("menu")
                .with("loop", 2)
                .play_url("/audio/menu.wav"),
        )
        .pause(1);
    Document::new()
        .say("Hello")
        .with("language", "en")
        .with("voice", "en-us")
        .with("loop", 2)
        .play("welcome")
        .with("loop", 1)
        .play_url("https://example.com/hello.wav")
        .pause(2)
        .gather(menu)
        .dial(
            [
                Target::extension("101").with("confirm", &confirm),
                Target::number("0612345678")
                    .with("confirm", json!({"prompt": {"recording": "take-the-call"}})),
                Target::sip("sip:alice@example.com").with("confirm", &confirm),
                Target::trunk("provider", "003222").with("confirm", &confirm),
            ],
            Some("/after"),
        )
        .with("timeout", 20)
        .with("strategy", "hunt")
        .with("caller_id", "5000")
        .with("caller_name", "Reception")
        .with("answer_on_bridge", true)
        .with("record", true)
        .with("time_limit", 3600)
        .dial([Target::extension("102")], None)
        .with("ringback", json!({"recording": "ringing"}))
        .dial([Target::extension("103")], None)
        .with("ringback", json!({"url": "/ringing.wav"}))
        .dial([Target::queue("support")], None)
        .record(60, "/saved")
        .with("finish_on_key", "#")
        .with("timeout", 5)
        .with("play_beep", true)
        .with("recording_status_callback", "/recorded")
        .enqueue("support")
        .with("wait_url", "/hold")
        .with("action", "/left")
        .leave()
        .redirect("/next")
        .redirect_to("ivr:Main")
        .reject("busy")
        .hangup()
}

/// What `program` prints (one JSON document).
fn built_by(program: &str, script: &str) -> Value {
    let out = Command::new(program)
        .arg(agreement().join(script))
        .output()
        .unwrap_or_else(|e| panic!("{program} runs: {e}"));
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Runs `check.py` on `documents` (SDK name → document); its success and report.
fn check(openapi: &Path, documents: &Value) -> (bool, String) {
    let mut child = Command::new("python3")
        .arg(agreement().join("check.py"))
        .arg(openapi)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs check.py");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(documents.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), report)
}

#[tokio::test]
async fn every_verb_and_field_the_sdks_build_matches_the_served_schema() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let served = switchboard_tests::http_client()
        .get(format!("{}/openapi.json", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let openapi = dir.path().join("openapi.json");
    std::fs::write(&openapi, served).unwrap();

    let rust = every_verb();
    rust.build()
        .expect("the contract's parser takes the Rust SDK's document");
    let documents = json!({
        "rust": rust.to_json(),
        "python": built_by("python3", "every_verb.py"),
        "node": built_by("node", "every_verb.mjs"),
    });
    let (ok, report) = check(&openapi, &documents);
    assert!(ok, "{report}");
    for sdk in ["rust", "python", "node"] {
        // Every field path of today's contract (82), none left out.
        let line = format!("{sdk}: 16 verbs, 82 of 82 field paths built");
        assert!(report.contains(&line), "{report}");
        // And the server's own parser takes each (it checks what a schema cannot, such
        // as a queue target being alone).
        let bytes = documents[sdk].to_string();
        contract::verbs::parse_document(bytes.as_bytes())
            .unwrap_or_else(|e| panic!("{sdk}: the server refuses its document: {e}"));
    }

    // The check can fail: a field the schema does not have, and a verb left out.
    let mut mutant = rust.to_json();
    mutant[0]["colour"] = json!("red");
    mutant
        .as_array_mut()
        .unwrap()
        .retain(|v| v["verb"] != "leave");
    let (ok, report) = check(&openapi, &json!({"mutant": mutant}));
    assert!(!ok, "{report}");
    assert!(report.contains("'colour' was unexpected"), "{report}");
    assert!(
        report.contains("cannot build <verb=leave>.verb"),
        "{report}"
    );
}
