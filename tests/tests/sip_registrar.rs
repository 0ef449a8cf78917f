//! The registrar, driven by SIPp: digest authentication, bindings visible in the API
//! and kept across restarts, expiry rules, several devices, removal, and the same
//! answer for an unknown user as for a wrong password.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::json;
use std::time::{Duration, Instant};
use switchboard_tests::peers::{SipTransport, Sipp, free_sip_port};
use switchboard_tests::{Backend, TestApp, both_backends};

const LONG: Duration = Duration::from_secs(30);

async fn extension(app: &TestApp, number: &str) {
    let (status, body) = app
        .post("/v1/extensions", json!({"number": number, "name": format!("Ext {number}"), "password": format!("pw-{number}-secret")}))
        .await;
    assert_eq!(status, 201, "{body}");
}

fn register(
    app: &TestApp,
    number: &str,
    password: &str,
    port: u16,
    transport: SipTransport,
    expires: u32,
) -> switchboard_tests::peers::SippResult {
    let expires = expires.to_string();
    Sipp::start(
        "register.xml",
        app.sip,
        port,
        transport,
        &[
            "-s", number, "-au", number, "-ap", password, "-key", "expires", &expires,
        ],
    )
    .wait(LONG)
}

async fn registrations(app: &TestApp, number: &str) -> Vec<serde_json::Value> {
    let (status, list) = app
        .get(&format!("/v1/registrations?extension={number}"))
        .await;
    assert_eq!(status, 200);
    list["data"].as_array().unwrap().clone()
}

both_backends! {
    async fn phones_register_over_udp_and_tcp_and_show_in_the_api(app) {
        extension(&app, "101").await;
        let (udp, tcp) = (free_sip_port(), free_sip_port());
        register(&app, "101", "pw-101-secret", udp, SipTransport::Udp, 120).assert_ok("UDP register");
        register(&app, "101", "pw-101-secret", tcp, SipTransport::Tcp, 300).assert_ok("TCP register");
        let list = registrations(&app, "101").await;
        assert_eq!(list.len(), 2, "two devices: {list:?}");
        let by_transport = |t: &str| list.iter().find(|r| r["transport"] == t).unwrap().clone();
        let u = by_transport("udp");
        assert_eq!(u["source"], format!("127.0.0.1:{udp}"));
        assert!(u["contact"].as_str().unwrap().contains(&format!("127.0.0.1:{udp}")));
        assert_eq!(u["user_agent"], "SIPp");
        let e = u["expires_in"].as_u64().unwrap();
        assert!((115..=120).contains(&e), "{e}");
        assert_eq!(by_transport("tcp")["source"], format!("127.0.0.1:{tcp}"));

        // A refresh of the same contact updates it, it does not add one.
        register(&app, "101", "pw-101-secret", udp, SipTransport::Udp, 600).assert_ok("refresh");
        let list = registrations(&app, "101").await;
        assert_eq!(list.len(), 2);
        let refreshed = list.iter().find(|r| r["transport"] == "udp").unwrap();
        assert_eq!(refreshed["id"], u["id"], "same binding");
        assert!(refreshed["expires_in"].as_u64().unwrap() > 590);

        // Expires: 0 unregisters that contact only.
        register(&app, "101", "pw-101-secret", udp, SipTransport::Udp, 0).assert_ok("unregister");
        let list = registrations(&app, "101").await;
        assert_eq!(list.len(), 1);
        assert_eq!(list[0]["transport"], "tcp");

        // DELETE removes a binding through the API.
        let id = list[0]["id"].as_str().unwrap();
        assert_eq!(app.delete(&format!("/v1/registrations/{id}")).await.0, 204);
        assert!(registrations(&app, "101").await.is_empty());
        assert_eq!(app.delete(&format!("/v1/registrations/{id}")).await.0, 404);
    }

    async fn contact_star_removes_every_device(app) {
        extension(&app, "101").await;
        register(&app, "101", "pw-101-secret", free_sip_port(), SipTransport::Udp, 600).assert_ok("first device");
        register(&app, "101", "pw-101-secret", free_sip_port(), SipTransport::Udp, 600).assert_ok("second device");
        assert_eq!(registrations(&app, "101").await.len(), 2);
        Sipp::start("register_wildcard.xml", app.sip, free_sip_port(), SipTransport::Udp, &["-s", "101", "-au", "101", "-ap", "pw-101-secret"])
            .wait(LONG)
            .assert_ok("Contact: *");
        assert!(registrations(&app, "101").await.is_empty());
    }

    async fn expiry_limits_are_enforced(app) {
        extension(&app, "101").await;
        let port = free_sip_port();
        let run = Sipp::start("register_too_brief.xml", app.sip, port, SipTransport::Udp, &["-s", "101", "-au", "101", "-ap", "pw-101-secret", "-key", "expires", "10"])
            .wait(LONG);
        run.assert_ok("423 for 10 s");
        assert!(run.messages.contains("Min-Expires: 60"), "{}", run.messages);
        assert!(registrations(&app, "101").await.is_empty());
        // Asking for a day gets the maximum (an hour).
        register(&app, "101", "pw-101-secret", port, SipTransport::Udp, 86_400).assert_ok("long register");
        let list = registrations(&app, "101").await;
        let e = list[0]["expires_in"].as_u64().unwrap();
        assert!((3590..=3600).contains(&e), "{e}");
    }

    async fn wrong_passwords_and_unknown_users_get_the_same_challenge(app) {
        extension(&app, "101").await;
        let wrong = Sipp::start("register_refused.xml", app.sip, free_sip_port(), SipTransport::Udp, &["-s", "101", "-au", "101", "-ap", "not-the-password"]).wait(LONG);
        wrong.assert_ok("wrong password challenged again");
        let unknown = Sipp::start("register_refused.xml", app.sip, free_sip_port(), SipTransport::Udp, &["-s", "999", "-au", "999", "-ap", "whatever"]).wait(LONG);
        unknown.assert_ok("unknown user challenged again");
        assert!(registrations(&app, "101").await.is_empty());
        // Both final answers are the same 401 with a fresh challenge.
        let last_401 = |messages: &str| {
            let i = messages.rfind("SIP/2.0 401").unwrap();
            let block = &messages[i..];
            block[..block.find("\n\n").unwrap_or(block.len())]
                .lines()
                .filter(|l| l.starts_with("WWW-Authenticate"))
                .map(|l| l.split("nonce=").next().unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(last_401(&wrong.messages), last_401(&unknown.messages));
        assert!(app.log().contains("SIP authentication failed"), "failures are logged");
    }

    async fn bindings_survive_a_restart(app) {
        let mut app = app;
        extension(&app, "101").await;
        register(&app, "101", "pw-101-secret", free_sip_port(), SipTransport::Udp, 600).assert_ok("register");
        let before = registrations(&app, "101").await;
        app.restart().await;
        let after = registrations(&app, "101").await;
        assert_eq!(after.len(), 1);
        assert_eq!(after[0]["id"], before[0]["id"]);
        assert_eq!(after[0]["contact"], before[0]["contact"]);
    }

    async fn deleting_an_extension_removes_its_registrations(app) {
        extension(&app, "101").await;
        register(&app, "101", "pw-101-secret", free_sip_port(), SipTransport::Udp, 600).assert_ok("register");
        assert_eq!(app.delete("/v1/extensions/101").await.0, 204);
        let (_, list) = app.get("/v1/registrations").await;
        assert_eq!(list["data"], json!([]));
    }
}

/// Bindings disappear when they expire, without anyone asking.
#[tokio::test]
async fn expired_bindings_disappear_on_time() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[("SWITCHBOARD_REGISTER_MIN_EXPIRES", "1".to_owned())],
    )
    .await;
    extension(&app, "101").await;
    register(
        &app,
        "101",
        "pw-101-secret",
        free_sip_port(),
        SipTransport::Udp,
        2,
    )
    .assert_ok("register for 2 s");
    assert_eq!(registrations(&app, "101").await.len(), 1);
    let started = Instant::now();
    while !registrations(&app, "101").await.is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(6),
            "the binding did not expire"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The API hides an expired binding at once; the reaper deletes it within a second.
    let deadline = Instant::now() + Duration::from_secs(3);
    while !app.log().contains("registrations expired") {
        assert!(Instant::now() < deadline, "expiry is logged: {}", app.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// REGISTER hijack: extension 101, with its own right credentials, cannot bind its
/// contact to extension 102's address of record (403), and 102 keeps no binding.
#[tokio::test]
async fn binding_another_extensions_address_is_refused() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    extension(&app, "101").await;
    extension(&app, "102").await;
    Sipp::start(
        "register_hijack.xml",
        app.sip,
        free_sip_port(),
        SipTransport::Udp,
        &[
            "-s",
            "102",
            "-au",
            "101",
            "-ap",
            "pw-101-secret",
            "-key",
            "expires",
            "300",
        ],
    )
    .wait(LONG)
    .assert_ok("101's credentials for 102's address: 403");
    assert!(registrations(&app, "102").await.is_empty());
    assert!(registrations(&app, "101").await.is_empty());
    assert!(
        app.log().contains("REGISTER for another extension refused"),
        "{}",
        app.log()
    );
}

/// Repeated failures from one address block it; the block is logged.
#[tokio::test]
async fn repeated_failures_block_the_source() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[
            ("SWITCHBOARD_AUTH_MAX_FAILURES", "3".to_owned()),
            ("SWITCHBOARD_AUTH_BLOCK_SECONDS", "60".to_owned()),
        ],
    )
    .await;
    extension(&app, "101").await;
    for _ in 0..3 {
        Sipp::start(
            "register_refused.xml",
            app.sip,
            free_sip_port(),
            SipTransport::Udp,
            &["-s", "101", "-au", "101", "-ap", "guess"],
        )
        .wait(LONG)
        .assert_ok("wrong guess");
    }
    // Blocked now, even with the right password.
    Sipp::start(
        "register_blocked.xml",
        app.sip,
        free_sip_port(),
        SipTransport::Udp,
        &["-s", "101"],
    )
    .wait(LONG)
    .assert_ok("blocked");
    assert!(registrations(&app, "101").await.is_empty());
    assert!(app.log().contains("source blocked"), "{}", app.log());
}

/// RFC 8760: with SHA-256 offered first, a SHA-256 answer registers.
#[tokio::test]
async fn sha256_digest_registers() {
    use std::net::UdpSocket;
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[("SWITCHBOARD_SIP_DIGEST", "SHA-256,MD5".to_owned())],
    )
    .await;
    extension(&app, "101").await;
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let local = socket.local_addr().unwrap();
    let register = |cseq: u32, auth: &str| {
        format!(
            "REGISTER sip:{server} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bK-sha{cseq}\r\n\
             From: <sip:101@{ip}>;tag=sha256test\r\nTo: <sip:101@{ip}>\r\nCall-ID: sha256-{port}\r\n\
             CSeq: {cseq} REGISTER\r\nContact: <sip:101@{local}>\r\nExpires: 120\r\nMax-Forwards: 70\r\n{auth}Content-Length: 0\r\n\r\n",
            server = app.sip,
            ip = app.sip.ip(),
            port = local.port(),
        )
    };
    let mut buf = [0u8; 4096];
    socket.send_to(register(1, "").as_bytes(), app.sip).unwrap();
    let (n, _) = socket.recv_from(&mut buf).unwrap();
    let challenge = String::from_utf8_lossy(&buf[..n]).to_string();
    let first = challenge
        .lines()
        .find(|l| l.starts_with("WWW-Authenticate"))
        .unwrap();
    assert!(
        first.contains("algorithm=SHA-256"),
        "SHA-256 offered first: {challenge}"
    );
    let nonce = first
        .split("nonce=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let sha = |s: String| {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(s.as_bytes()))
    };
    let uri = format!("sip:{}", app.sip);
    let ha1 = sha("101:switchboard:pw-101-secret".to_owned());
    let ha2 = sha(format!("REGISTER:{uri}"));
    let response = sha(format!("{ha1}:{nonce}:00000001:c0ffee:auth:{ha2}"));
    let auth = format!(
        "Authorization: Digest username=\"101\", realm=\"switchboard\", nonce=\"{nonce}\", uri=\"{uri}\", \
         response=\"{response}\", algorithm=SHA-256, qop=auth, nc=00000001, cnonce=\"c0ffee\"\r\n"
    );
    socket
        .send_to(register(2, &auth).as_bytes(), app.sip)
        .unwrap();
    let (n, _) = socket.recv_from(&mut buf).unwrap();
    let answer = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(answer.starts_with("SIP/2.0 200"), "{answer}");
    assert_eq!(registrations(&app, "101").await.len(), 1);
}
