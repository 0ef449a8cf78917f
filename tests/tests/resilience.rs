//! A dead database: requests get a 503 with the error body (never a hang, never a
//! half-done write), and the server recovers by itself when the database returns.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::json;
use std::time::{Duration, Instant};
use switchboard_tests::{Backend, TestApp, error_of, set_database_reachable};

#[tokio::test]
async fn a_dead_database_gives_503_and_the_server_recovers() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let db_name = app.db.url.rsplit('/').next().unwrap().to_owned();
    let ext = json!({"number": "101", "name": "A", "password": "abcdefgh"});
    assert_eq!(app.get("/v1/extensions").await.0, 200);

    set_database_reachable(&db_name, false).await;
    // Whatever the pool held is gone: reads, writes and health all say 503, quickly.
    for _ in 0..3 {
        let started = Instant::now();
        let (status, body) = app.get("/v1/extensions").await;
        assert_eq!(status, 503, "{body}; log: {}", app.log());
        assert_eq!(error_of(&body).0, "service_unavailable");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "answered in {:?}",
            started.elapsed()
        );
    }
    let (status, body) = app.post("/v1/extensions", ext.clone()).await;
    assert_eq!(status, 503, "{body}");
    let health = app
        .client
        .get(format!("{}/health", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 503);
    assert!(health.headers().get("retry-after").is_some());
    assert!(
        app.log().contains("database unavailable"),
        "logged: {}",
        app.log()
    );

    set_database_reachable(&db_name, true).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if app.get("/v1/extensions").await.0 == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "the server did not recover");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The write refused during the outage was not half-done: it can be made now.
    let (_, list) = app.get("/v1/extensions").await;
    assert_eq!(list["data"], json!([]));
    assert_eq!(app.post("/v1/extensions", ext).await.0, 201);
}
