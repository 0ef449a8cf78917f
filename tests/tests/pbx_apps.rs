//! The built-in PBX apps as webhooks: who may call them, that the engine's in-process
//! requests get the same bytes an HTTP client gets, and time conditions read at
//! injected times (never by waiting for real time).

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use engine::webhook::LocalService;
use serde_json::json;
use sqlx::Connection;
use std::sync::Arc;
use switchboard::apps::{self, Apps, Clock, Link};
use switchboard::auth::Authenticator;
use switchboard::storage::Db;
use switchboard_tests::{Backend, TestApp};

/// The secret the server signs its apps' requests with, as `GET /v1/apps` tells an
/// admin (the one stored in the database).
async fn apps_secret(app: &TestApp) -> String {
    let (status, apps) = app.get("/v1/apps").await;
    assert_eq!(status, 200, "{apps}");
    let secret = apps["signing_secret"].as_str().unwrap().to_owned();
    assert!(
        apps["base_url"].as_str().unwrap().ends_with("/apps/"),
        "{apps}"
    );
    assert!(
        apps["apps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["url"] == "/apps/ivr/{name}")
    );
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&app.db.url).await.unwrap();
    let row: (String,) =
        sqlx::query_as("SELECT value FROM settings WHERE name = 'apps_signing_secret'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(row.0, secret);
    secret
}

/// A webhook request as the engine sends it.
fn call_request(digits: Option<&str>) -> Vec<u8> {
    let mut body = json!({
        "call_sid": "CA0123456789abcdef0123456789abcdef", "direction": "inbound",
        "from": "58101", "to": "57443", "caller_name": "Djaouad", "call_status": "in-progress",
        "parent_call_sid": null, "trunk": null, "sip": {"call_id": "x@y", "headers": {}}
    });
    if let Some(d) = digits {
        body["digits"] = json!(d);
    }
    serde_json::to_vec(&body).unwrap()
}

fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The apps of `app`'s database, in this process, at `clock`'s time.
async fn local_apps(app: &TestApp, secret: &str, clock: Arc<dyn Clock>) -> apps::local::LocalApps {
    let db = Db::connect(&app.db.url).await.unwrap();
    let auth = Arc::new(
        Authenticator::new(
            db.clone(),
            std::time::Duration::from_secs(60),
            engine::guard::GuardConfig::default(),
        )
        .await
        .unwrap(),
    );
    let base: std::net::SocketAddr = app.url.trim_start_matches("http://").parse().unwrap();
    apps::local::LocalApps(apps::router(Apps {
        db,
        link: Arc::new(Link::new(base, secret.to_owned(), "unused".to_owned())),
        auth,
        clock,
        media: switchboard::media::store::MediaStore::open(app.data_dir.path()).unwrap(),
        pins: Arc::default(),
    }))
}

/// A clock stopped at one moment.
struct At(jiff::Timestamp);

impl Clock for At {
    fn now(&self) -> jiff::Timestamp {
        self.0
    }
}

async fn seed_menu(app: &TestApp) {
    for (path, body) in [
        (
            "/v1/extensions",
            json!({"number": "58102", "name": "Yassir", "password": "pw-58102-secret", "voicemail": {"enabled": true}}),
        ),
        (
            "/v1/ring-groups",
            json!({"number": "301", "name": "Info", "members": ["58102"], "caller_name_prefix": "Info: "}),
        ),
        (
            "/v1/ivrs",
            json!({"name": "VoicemailCenter", "announcement": {"say": "Press 1 for info."},
            "options": {"1": "ringgroup:301", "3": "repeat"}, "invalid_destination": "voicemail:58102"}),
        ),
        (
            "/v1/daynight",
            json!({"index": 0, "name": "Pierre", "day_destination": "ivr:VoicemailCenter", "night_destination": "voicemail:58102"}),
        ),
    ] {
        let (status, b) = app.post(path, body).await;
        assert_eq!(status, 201, "{path}: {b}");
    }
}

#[tokio::test]
async fn the_apps_answer_signed_requests_and_admin_keys_only() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    seed_menu(&app).await;
    let url = format!("{}/apps/daynight/0", app.url);
    let anonymous = app
        .client
        .post(&url)
        .body(call_request(None))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let (_, key) = app
        .post("/v1/api-keys", json!({"name": "ro", "role": "read_only"}))
        .await;
    let read_only = app
        .client
        .post(&url)
        .basic_auth(key["key_id"].as_str().unwrap(), key["secret"].as_str())
        .body(call_request(None))
        .send()
        .await
        .unwrap();
    assert_eq!(read_only.status(), 403);
    // An admin reads what the app answers, with curl's GET and query parameters.
    let (status, doc) = app.get("/apps/daynight/0").await;
    assert_eq!(status, 200, "{doc}");
    assert_eq!(
        doc,
        json!([{"verb": "redirect", "destination": "ivr:VoicemailCenter"}])
    );
    let (_, doc) = app.get("/apps/ivr/VoicemailCenter/choice?digits=1").await;
    assert_eq!(doc[0]["destination"], "ringgroup:301");
    // Signed as the engine signs: accepted; a wrong signature or an old one: refused.
    let secret = apps_secret(&app).await;
    let body = call_request(Some("3"));
    let sign = |secret: &str, t: u64| contract::signature::sign(secret.as_bytes(), t, &body);
    let post = |signature: String| {
        app.client
            .post(format!("{}/apps/ivr/VoicemailCenter/choice", app.url))
            .header(contract::signature::HEADER, signature)
            .body(body.clone())
            .send()
    };
    let ok = post(sign(&secret, now_unix())).await.unwrap();
    assert_eq!(ok.status(), 200);
    let doc: serde_json::Value = ok.json().await.unwrap();
    assert_eq!(doc[0]["verb"], "gather", "3 repeats the menu: {doc}");
    assert_eq!(
        post(sign("not-the-secret", now_unix()))
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        post(sign(&secret, now_unix() - 3600))
            .await
            .unwrap()
            .status(),
        401
    );
    // A request signed for a `url:` destination (whose owner holds that secret) never
    // passes for the server here.
    let (_, listing) = app.get("/v1/apps").await;
    let url_secret = listing["url_destinations_signing_secret"].as_str().unwrap();
    assert_ne!(url_secret, secret);
    assert_eq!(
        post(sign(url_secret, now_unix())).await.unwrap().status(),
        401
    );
    assert!(
        listing["apps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["url"] == "/apps/feature/voicemail"),
        "{listing}"
    );
    // What does not exist is a 404 in the API's error shape.
    let (status, body) = app.get("/apps/ivr/Nope").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
}

#[tokio::test]
async fn in_process_answers_are_the_bytes_an_http_client_gets() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    seed_menu(&app).await;
    let secret = apps_secret(&app).await;
    let local = local_apps(&app, &secret, Arc::new(apps::SystemClock)).await;
    let cases = [
        ("extension/58102", None),
        ("ringgroup/301", None),
        ("ivr/VoicemailCenter", None),
        ("ivr/VoicemailCenter/choice?timeouts=0&invalid=0", Some("1")),
        ("ivr/VoicemailCenter/choice?timeouts=0&invalid=2", Some("9")),
        ("ivr/VoicemailCenter/silence?timeouts=1&invalid=0", None),
        ("daynight/0", None),
        ("voicemail/58102", None),
        ("ivr/Nope", None),
    ];
    for (path, digits) in cases {
        let body = call_request(digits);
        let signature = contract::signature::sign(secret.as_bytes(), now_unix(), &body);
        let url = format!("{}/apps/{path}", app.url);
        let http = app
            .client
            .post(&url)
            .header("content-type", "application/json")
            .header(contract::signature::HEADER, &signature)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let http_status = http.status().as_u16();
        let http_bytes = http.bytes().await.unwrap().to_vec();
        let mut request = axum::http::Request::new(body);
        *request.method_mut() = axum::http::Method::POST;
        *request.uri_mut() = url.parse().unwrap();
        request
            .headers_mut()
            .insert("content-type", "application/json".parse().unwrap());
        request
            .headers_mut()
            .insert(contract::signature::HEADER, signature.parse().unwrap());
        let response = local.call(request).await;
        assert_eq!(response.status().as_u16(), http_status, "{path}");
        assert_eq!(
            String::from_utf8_lossy(response.body()),
            String::from_utf8_lossy(&http_bytes),
            "{path}: the same bytes in-process and over HTTP"
        );
        assert!(!http_bytes.is_empty(), "{path}");
    }
}

#[tokio::test]
async fn time_conditions_follow_the_injected_clock_and_their_overrides() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let (status, c) = app
        .post(
            "/v1/time-conditions",
            json!({
                "id": "2", "name": "Office", "time_zone": "Europe/Brussels",
                "ranges": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:30"}],
                "exceptions": [{"date": "2026-12-25", "name": "Christmas"}],
                "match_destination": "hangup", "no_match_destination": "number:900"
            }),
        )
        .await;
    assert_eq!(status, 201, "{c}");
    let secret = apps_secret(&app).await;
    // The app at `path` of the apps running at `time`, signed at that time (the
    // injected clock judges the signature's age too).
    let ask = |time: &'static str, path: &'static str| {
        let secret = secret.clone();
        let app = &app;
        async move {
            let t: jiff::Timestamp = time.parse().unwrap();
            let local = local_apps(app, &secret, Arc::new(At(t))).await;
            let body = call_request(None);
            let when = u64::try_from(t.as_second()).unwrap();
            let signature = contract::signature::sign(secret.as_bytes(), when, &body);
            let mut request = axum::http::Request::new(body);
            *request.method_mut() = axum::http::Method::POST;
            *request.uri_mut() = format!("{}/apps/{path}", app.url).parse().unwrap();
            request
                .headers_mut()
                .insert(contract::signature::HEADER, signature.parse().unwrap());
            let response = local.call(request).await;
            assert_eq!(response.status(), 200, "{path} at {time}");
            serde_json::from_slice::<serde_json::Value>(response.body()).unwrap()
        }
    };
    for (time, expected) in [
        ("2026-11-30T09:00:00Z", "hangup"),     // Monday 10:00 in Brussels
        ("2026-11-30T07:59:00Z", "number:900"), // Monday 08:59
        ("2026-12-05T10:00:00Z", "number:900"), // Saturday
        ("2026-12-25T10:00:00Z", "number:900"), // Christmas, a Friday
        ("2026-06-29T07:00:00Z", "hangup"),     // Monday 09:00 in summer time
    ] {
        let doc = ask(time, "timecondition/2").await;
        assert_eq!(doc[0]["destination"], expected, "at {time}: {doc}");
    }
    // *27 2 on Monday at 10:00 overrides it until 17:30; a second one removes it.
    let monday: &'static str = "2026-11-30T09:00:00Z";
    let doc = ask(monday, "feature/timecondition/2").await;
    assert_eq!(doc[0]["verb"], "say", "{doc}");
    let (_, c) = app.get("/v1/time-conditions/2").await;
    assert_eq!(
        c["override"],
        json!({"state": "no_match", "until": "2026-11-30T16:30:00.000Z"})
    );
    let doc = ask(monday, "timecondition/2").await;
    assert_eq!(doc[0]["destination"], "number:900", "overridden");
    // Past the next scheduled change the schedule rules again (Tuesday 10:00).
    let doc = ask("2026-12-01T09:00:00Z", "timecondition/2").await;
    assert_eq!(doc[0]["destination"], "hangup");
    ask(monday, "feature/timecondition/2").await;
    let (_, c) = app.get("/v1/time-conditions/2").await;
    assert!(c["override"].is_null(), "{c}");
}
