//! A full disk: the server's data folder and SQLite database live on a small tmpfs that
//! the test fills up. Uploads and API writes are refused with 507, a call whose
//! recording cannot be saved goes on (an `error` event), nothing half-written is left
//! behind, and once space returns everything refused meanwhile (the call's record, its
//! status callbacks) is written, and the database checks out intact.
//!
//! Mounting a tmpfs needs root, as the test suite has in CI; without it the test fails
//! and says so.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use reqwest::Method;
use serde_json::json;
use sqlx::Connection;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use switchboard_tests::app_harness::*;
use switchboard_tests::audio::{read_wav, tone_wav};
use switchboard_tests::webhook_app::Reply;
use switchboard_tests::{Backend, TestApp, error_of};

/// A tmpfs of a few megabytes, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(megabytes: u32) -> SmallDisk {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(dir.path())
            .output()
            .expect("run mount");
        assert!(
            out.status.success(),
            "this test mounts a small tmpfs, which needs root: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        SmallDisk { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file until the disk refuses another byte; its path.
    fn fill(&self) -> PathBuf {
        let path = self.path().join("filler");
        let mut file = std::fs::File::create(&path).unwrap();
        for chunk in [1 << 16, 4096, 1] {
            let bytes = vec![0x55u8; chunk];
            while file
                .write_all(&bytes)
                .and_then(|()| file.sync_all())
                .is_ok()
            {}
        }
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// The uploads' tone (the caller's microphone sends 440 Hz; the failure tone is SIT's).
const PROMPT_HZ: f64 = 700.0;

async fn upload(app: &TestApp, name: &str) -> (u16, serde_json::Value) {
    app.send(
        app.req(Method::POST, &format!("/v1/recordings?name={name}"))
            .header("content-type", "audio/wav")
            .body(tone_wav(PROMPT_HZ, 1.0, 8000, 1, 16, false, 0.3)),
    )
    .await
}

/// Polls `GET path` until `done` holds for its body (20 s at most).
async fn wait_until(app: &TestApp, path: &str, done: impl Fn(&serde_json::Value) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, body) = app.get(path).await;
        if done(&body) {
            return;
        }
        assert!(Instant::now() < deadline, "{path}: {body}\n{}", app.log());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)] // the webhook app runs while the test blocks on peers
async fn a_full_disk_is_refused_with_507_and_nothing_is_lost_or_corrupt() {
    let disk = SmallDisk::mount(16);
    let data = disk.path().join("data");
    let db_file = data.join("switchboard.db");
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[
            ("SWITCHBOARD_RTP_PORTS", "56300-56499".to_owned()),
            ("SWITCHBOARD_DATA_DIR", data.display().to_string()),
            ("DATABASE_URL", format!("sqlite://{}", db_file.display())),
        ],
    )
    .await;
    let mut s = setup_on(app, false, json!({})).await;
    s.hooks.reply(
        "/voice",
        Reply::Json(json!([
            {"verb": "record", "play_beep": false, "max_length": 2, "action": "/recorded"},
            {"verb": "play", "recording": "before"},
            {"verb": "hangup"},
        ])),
    );
    s.hooks.reply("/status", Reply::Json(json!({})));
    assert_eq!(upload(&s.app, "before").await.0, 201);
    let stored_before = audio_files(&data);
    let filler = disk.fill();

    // An upload: 507, and no file left behind.
    let (status, body) = upload(&s.app, "refused").await;
    assert_eq!(status, 507, "{body}");
    assert_eq!(error_of(&body).0, "insufficient_storage", "{body}");
    assert_eq!(audio_files(&data), stored_before, "nothing half-written");

    // Rows: SQLite fills what its write-ahead log already holds, then refuses: 507,
    // never another error.
    let mut refused = None;
    for i in 0..2000 {
        let (status, body) = s
            .app
            .post(
                "/v1/applications",
                json!({"name": format!("filler {i}"), "voice_url": "http://127.0.0.1:9/v"}),
            )
            .await;
        match status {
            201 => continue,
            507 => {
                refused = Some(body);
                break;
            }
            _ => panic!("application {i}: {status} {body}"),
        }
    }
    let refused = refused.expect("the full database refused a write within 2000 rows");
    assert_eq!(error_of(&refused).0, "insufficient_storage", "{refused}");
    let (status, body) = s.app.get("/v1/recordings").await;
    assert_eq!(status, 200, "reading goes on: {body}");

    // A call whose recording cannot be saved goes on: the caller hears the next verb's
    // prompt, not the failure tone.
    let heard = call_until_closed(&s, Duration::from_secs(20)).await;
    assert!(
        tone_windows(&heard, PROMPT_HZ) >= 5,
        "the caller hears the prompt after the record verb: {} windows\n{}",
        tone_windows(&heard, PROMPT_HZ),
        s.app.log()
    );
    let pcm = read_wav(&std::fs::read(&heard).unwrap());
    let prompt = burst_power(&pcm, PROMPT_HZ);
    for f in SIT {
        let p = burst_power(&pcm, f);
        assert!(
            p < 0.05 * prompt,
            "no failure tone: {p} at {f} Hz, prompt {prompt}"
        );
    }
    assert!(
        s.hooks.received_on("/recorded").is_empty(),
        "no recording to act on"
    );

    // Space returns: what was refused meanwhile is written, and told.
    std::fs::remove_file(&filler).unwrap();
    let e = error_event(&s.hooks).await;
    assert_eq!(e["error"]["code"], "recording_failed", "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("disk is full"),
        "{e}"
    );
    let sid = e["call_sid"].as_str().unwrap().to_owned();
    wait_until(&s.app, &format!("/v1/calls/{sid}"), |c| {
        c["status"] == "completed"
    })
    .await;
    let completed = || {
        s.hooks
            .received_on("/status")
            .into_iter()
            .filter(|r| r.body["event"] == "completed" && r.body["call_sid"] == sid.as_str())
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while completed() == 0 {
        assert!(
            Instant::now() < deadline,
            "completed never told: {}",
            s.app.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        completed(),
        1,
        "told once: {:?}",
        s.hooks.received_on("/status")
    );
    assert_eq!(upload(&s.app, "after").await.0, 201);

    // A clean stop, then the database file checks out.
    s.app.terminate();
    assert_eq!(s.app.wait_exit(Duration::from_secs(20)), Some(0));
    assert!(
        !audio_files(&data).iter().any(|f| f.starts_with("tmp/")),
        "{:?}",
        audio_files(&data)
    );
    let mut db = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db_file.display()))
        .await
        .unwrap();
    let check: (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(check.0, "ok");
    let recordings: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM recordings")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(
        recordings.0, 2,
        "before and after; the refused one is not there"
    );
}
