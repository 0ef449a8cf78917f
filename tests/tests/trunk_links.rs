//! The links between a trunk and its peer: registration (refreshed, retried, shown),
//! the peer's registration seen from the other side, and the OPTIONS keepalive that
//! marks a silent peer down so failover skips it at once. Each server is a real
//! Switchboard process; SIPp plays phones and a backup provider.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::json;
use std::time::{Duration, Instant};
use switchboard_tests::app_harness::create;
use switchboard_tests::peers::{SipTransport, Sipp, free_sip_port};
use switchboard_tests::webhook_app::{Reply, WebhookApp};
use switchboard_tests::{Backend, TestApp};

const SECRET: &str = "same-Secret-everywhere";

/// A server on a SIP port of its own that stays the same across restarts.
async fn server(ports: &str) -> TestApp {
    server_on(Backend::Sqlite, ports).await
}

async fn server_on(backend: Backend, ports: &str) -> TestApp {
    TestApp::spawn_with(
        backend,
        &[
            ("SWITCHBOARD_RTP_PORTS", ports.to_owned()),
            (
                "SWITCHBOARD_SIP_ADDR",
                format!("127.0.0.1:{}", free_sip_port()),
            ),
        ],
    )
    .await
}

/// Waits until `check` holds for trunk `name`'s JSON on `app` (at most `within`).
async fn wait_trunk(
    app: &TestApp,
    name: &str,
    within: Duration,
    what: &str,
    check: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + within;
    loop {
        let (status, trunk) = app.get(&format!("/v1/trunks/{name}")).await;
        assert_eq!(status, 200, "{trunk}");
        if check(&trunk) {
            return trunk;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: trunk {name} is {trunk}\n{}",
            app.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Server 2 takes server 1's registrations and calls as trunk `server1`.
async fn accept_server1(s2: &TestApp) {
    create(
        s2,
        "/v1/trunks",
        json!({"name": "server1", "host": "127.0.0.1", "port": 5060,
               "inbound_username": "server1", "inbound_password": SECRET,
               "inbound_reach": "internal"}),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_registers_to_another_and_again_when_it_comes_back() {
    let s1 = server("53800-53899").await;
    let mut s2 = server("53900-53999").await;
    accept_server1(&s2).await;
    let backup_port = free_sip_port();
    // An application hears of the trunk's changes.
    let hooks = WebhookApp::start().await;
    hooks.reply("/events", Reply::Json(json!({})));
    let application = create(
        &s1,
        "/v1/applications",
        json!({"name": "NOC", "voice_url": format!("{}/voice", hooks.url),
               "status_callback": format!("{}/events", hooks.url)}),
    )
    .await;
    hooks.set_secret(application["signing_secret"].as_str().unwrap());
    create(
        &s1,
        "/v1/trunks",
        json!({"name": "server2", "host": "127.0.0.1", "port": s2.sip.port(),
               "username": "server1", "password": SECRET, "register": true,
               "register_expiry": 60, "options_interval": 1,
               "application_id": application["id"]}),
    )
    .await;
    create(
        &s1,
        "/v1/trunks",
        json!({"name": "backup", "host": "127.0.0.1", "port": backup_port}),
    )
    .await;
    create(
        &s1,
        "/v1/outbound-routes",
        json!({"name": "to2", "trunks": ["server2", "backup"],
               "dial_patterns": [{"prefix": "2", "match_pattern": "XXX"}]}),
    )
    .await;

    let trunk = wait_trunk(&s1, "server2", Duration::from_secs(10), "registered", |t| {
        t["status"]["registration"]["state"] == "registered"
    })
    .await;
    let registration = &trunk["status"]["registration"];
    assert!(registration["expires_at"].is_string(), "{trunk}");
    assert!(
        registration["next_attempt_at"].is_string(),
        "a refresh is planned: {trunk}"
    );
    assert_eq!(
        registration["last_error"],
        serde_json::Value::Null,
        "{trunk}"
    );
    wait_trunk(&s1, "server2", Duration::from_secs(10), "up", |t| {
        t["status"]["health"]["state"] == "up"
    })
    .await;
    let peer = wait_trunk(&s2, "server1", Duration::from_secs(5), "peer seen", |t| {
        t["status"]["peer_registration"].is_object()
    })
    .await;
    assert_eq!(
        peer["status"]["peer_registration"]["source"],
        s1.sip.to_string(),
        "{peer}"
    );

    // Server 2 stops: OPTIONS go unanswered, the trunk is down before any call.
    s2.kill();
    let down = wait_trunk(&s1, "server2", Duration::from_secs(10), "down", |t| {
        t["status"]["health"]["state"] == "down"
    })
    .await;
    assert!(down["status"]["health"]["last_error"].is_string(), "{down}");
    // A call to server 2's users goes straight to the next trunk of the route.
    let backup = Sipp::start(
        "uas_answer.xml",
        s1.sip,
        backup_port,
        SipTransport::Udp,
        &[],
    );
    create(
        &s1,
        "/v1/extensions",
        json!({"number": "201", "name": "Julien", "password": "pw-201-secret"}),
    )
    .await;
    let sip = s1.sip;
    tokio::task::spawn_blocking(move || {
        Sipp::call(
            sip,
            "uac_call.xml",
            ("201", "pw-201-secret"),
            "2101",
            &["-d", "500"],
        )
    })
    .await
    .unwrap()
    .assert_ok("the call fails over to the backup trunk");
    backup
        .wait(Duration::from_secs(10))
        .assert_ok("the backup provider answers");
    let log = s1.log();
    assert!(log.contains("trunk server2 is down"), "{log}");
    let (_, calls) = s1.get("/v1/calls?to=2101").await;
    let out = calls["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["direction"] == "outbound")
        .cloned()
        .unwrap();
    assert_eq!(out["trunk"], "backup", "{out}");

    // Server 2 back (it forgot server 1's registration): up again and registered at
    // once, not at the next retry.
    s2.start_again().await;
    wait_trunk(&s1, "server2", Duration::from_secs(10), "up again", |t| {
        t["status"]["health"]["state"] == "up"
    })
    .await;
    wait_trunk(
        &s2,
        "server1",
        Duration::from_secs(5),
        "registered again",
        |t| t["status"]["peer_registration"].is_object(),
    )
    .await;
    wait_trunk(
        &s1,
        "server2",
        Duration::from_secs(5),
        "registered again",
        |t| t["status"]["registration"]["state"] == "registered",
    )
    .await;

    // The application heard it all, in order, signed.
    let events = hooks.wait_for("/events", 4, Duration::from_secs(10)).await;
    hooks.assert_all_signed();
    let names: Vec<&str> = events
        .iter()
        .map(|e| e.body["event"].as_str().unwrap())
        .collect();
    assert_eq!(names[0], "trunk.registered", "{names:?}");
    let down = names
        .iter()
        .position(|n| *n == "trunk.down")
        .unwrap_or_else(|| panic!("{names:?}"));
    let up = names
        .iter()
        .position(|n| *n == "trunk.up")
        .unwrap_or_else(|| panic!("{names:?}"));
    assert!(down < up, "{names:?}");
    assert!(
        events[down].body["reason"].is_string(),
        "{:?}",
        events[down].body
    );
    assert!(events.iter().all(|e| e.body["trunk"] == "server2"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_with_a_wrong_password_fails_with_the_peers_reason() {
    // On PostgreSQL: the trunks are read through the other backend.
    let s1 = server_on(Backend::Postgres, "54000-54099").await;
    let s2 = server_on(Backend::Postgres, "54100-54199").await;
    accept_server1(&s2).await;
    create(
        &s1,
        "/v1/trunks",
        json!({"name": "server2", "host": "127.0.0.1", "port": s2.sip.port(),
               "username": "server1", "password": "not-The-secret-1", "register": true}),
    )
    .await;
    let trunk = wait_trunk(&s1, "server2", Duration::from_secs(10), "failed", |t| {
        t["status"]["registration"]["state"] == "failed"
    })
    .await;
    let registration = &trunk["status"]["registration"];
    assert_eq!(registration["last_error"], "401 Unauthorized", "{trunk}");
    assert!(
        registration["next_attempt_at"].is_string(),
        "retried: {trunk}"
    );
    assert_eq!(
        registration["expires_at"],
        serde_json::Value::Null,
        "{trunk}"
    );
    // Server 2 says why in its own trunk's status.
    let peer = wait_trunk(
        &s2,
        "server1",
        Duration::from_secs(5),
        "failure seen",
        |t| t["status"]["last_auth_failure"].is_object(),
    )
    .await;
    let failure = &peer["status"]["last_auth_failure"];
    assert_eq!(failure["method"], "REGISTER", "{peer}");
    assert_eq!(failure["reason"], "wrong password", "{peer}");
    assert_eq!(peer["status"]["peer_registration"], serde_json::Value::Null);

    // The password put right: registered at the next attempt.
    let (status, body) = s1
        .patch("/v1/trunks/server2", json!({"password": SECRET}))
        .await;
    assert_eq!(status, 200, "{body}");
    wait_trunk(&s1, "server2", Duration::from_secs(10), "registered", |t| {
        t["status"]["registration"]["state"] == "registered"
    })
    .await;
}
