//! Behind a proxy: Kamailio in front of Switchboard, every phone's request arriving
//! from the proxy's address. Phones register through it and call each other (both ways,
//! tones measured in what each recorded); a phone guessing passwords behind it blocks
//! only itself (`SWITCHBOARD_SIP_TRUSTED_PROXIES`), and so does one flooding through it;
//! a phone over TCP reaches an application and a queue whose agent is behind the proxy
//! over UDP; and a REGISTER's `Path` is stored, echoed and followed (RFC 3327), checked
//! with SIPp playing the proxy.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};
use switchboard_tests::app_harness::{create, tone_windows, upload_tone};
use switchboard_tests::audio::{read_wav, tone_wav};
use switchboard_tests::kamailio::Kamailio;
use switchboard_tests::peers::{Baresip, SipTransport, Sipp, free_sip_port};
use switchboard_tests::webhook_app::{Reply, WebhookApp};
use switchboard_tests::{Backend, TestApp};

const LONG: Duration = Duration::from_secs(30);
const TONES: [f64; 5] = [440.0, 697.0, 1000.0, 1336.0, 2000.0];
const PROXY_IP: &str = "127.0.0.10";

/// Extensions 101 and 102, passwords `secret-101` and `secret-102`.
async fn extensions(app: &TestApp) {
    for number in ["101", "102"] {
        create(
            app,
            "/v1/extensions",
            json!({"number": number, "name": format!("Ext {number}"),
                   "password": format!("secret-{number}")}),
        )
        .await;
    }
}

async fn behind_a_proxy(extra: &[(&'static str, String)]) -> (TestApp, Kamailio) {
    let mut env = vec![("SWITCHBOARD_SIP_TRUSTED_PROXIES", PROXY_IP.to_owned())];
    env.extend(extra.iter().cloned());
    let app = TestApp::spawn_with(Backend::Sqlite, &env).await;
    extensions(&app).await;
    let proxy = Kamailio::start(PROXY_IP, app.sip);
    (app, proxy)
}

/// The registrations of `number`, once there are `count`.
async fn registrations(app: &TestApp, number: &str, count: usize) -> Vec<serde_json::Value> {
    let deadline = Instant::now() + LONG;
    loop {
        let (_, list) = app
            .get(&format!("/v1/registrations?extension={number}"))
            .await;
        let data = list["data"].as_array().cloned().unwrap_or_default();
        if data.len() >= count {
            return data;
        }
        assert!(
            Instant::now() < deadline,
            "{number} did not register: {list}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn tone(dir: &Path, freq: f64) -> std::path::PathBuf {
    let path = dir.join(format!("{freq}.wav"));
    std::fs::write(&path, tone_wav(freq, 40.0, 8000, 1, 16, false, 0.5)).unwrap();
    path
}

/// 101 (440 Hz, over `transport` to the proxy) and 102 (1000 Hz, over UDP), both
/// registered through the proxy; their files in `dir`.
async fn phones(
    app: &TestApp,
    proxy: &Kamailio,
    dir: &Path,
    transport: SipTransport,
) -> (Baresip, Baresip) {
    let a = Baresip::start(
        "101",
        "secret-101",
        proxy.addr,
        transport,
        &tone(dir, 440.0),
    );
    let b = Baresip::start(
        "102",
        "secret-102",
        proxy.addr,
        SipTransport::Udp,
        &tone(dir, 1000.0),
    );
    for number in ["101", "102"] {
        let found = registrations(app, number, 1).await;
        assert!(
            found[0]["source"].as_str().unwrap().starts_with(PROXY_IP),
            "registered through the proxy: {found:?}"
        );
    }
    (a, b)
}

fn assert_heard(phone: &Baresip, expected: f64, who: &str) {
    let recording = phone
        .received_audio()
        .unwrap_or_else(|| panic!("{who} recorded nothing"));
    switchboard_tests::audio::assert_heard(&recording, expected, &TONES, who);
}

/// `from` calls `to` (by number, through the proxy; `params` after the proxy's address,
/// `;transport=tcp` say), they talk 3 s, `from` hangs up.
async fn call(
    from: &Baresip,
    to: &Baresip,
    number: &str,
    params: &str,
    proxy: &Kamailio,
    app: &TestApp,
) {
    from.forget_events();
    to.forget_events();
    from.dial(&format!("sip:{number}@{}{params}", proxy.addr));
    assert!(
        from.wait_event("CALL_ESTABLISHED", LONG).is_some(),
        "not established; caller: {:?}\nserver: {}\nproxy: {}",
        from.events(),
        app.log(),
        proxy.log()
    );
    assert!(
        to.wait_event("CALL_ESTABLISHED", LONG).is_some(),
        "{:?}",
        to.events()
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    from.hangup();
    assert!(from.wait_event("CALL_CLOSED", LONG).is_some());
    assert!(
        to.wait_event("CALL_CLOSED", LONG).is_some(),
        "the BYE went through the proxy"
    );
}

#[tokio::test]
async fn phones_behind_kamailio_register_and_call_each_other_with_audio() {
    let (app, proxy) = behind_a_proxy(&[]).await;
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = phones(&app, &proxy, dir.path(), SipTransport::Udp).await;
    // Both phones have the proxy's address: before bindings were told apart by
    // contact, the engine took the callee's binding for the caller's and answered 480.
    call(&a, &b, "102", "", &proxy, &app).await;
    assert_heard(&a, 1000.0, "the caller (101)");
    assert_heard(&b, 440.0, "the callee (102)");
    call(&b, &a, "101", "", &proxy, &app).await;
    let (_, calls) = app.get("/v1/calls?limit=10").await;
    let completed = calls["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "completed")
        .count();
    assert_eq!(completed, 4, "two calls, two legs each: {calls}");
}

#[tokio::test]
async fn a_phone_guessing_passwords_behind_the_proxy_blocks_only_itself() {
    let (app, proxy) = behind_a_proxy(&[
        ("SWITCHBOARD_AUTH_MAX_FAILURES", "3".to_owned()),
        ("SWITCHBOARD_AUTH_BLOCK_SECONDS", "60".to_owned()),
    ])
    .await;
    let from = |ip: &str, scenario: &str, args: &[&str]| {
        Sipp::start_at(
            ip,
            scenario,
            proxy.addr,
            free_sip_port(),
            SipTransport::Udp,
            args,
        )
        .wait(LONG)
    };
    for _ in 0..3 {
        from(
            "127.0.0.2",
            "register_refused.xml",
            &["-s", "101", "-au", "101", "-ap", "guess"],
        )
        .assert_ok("a wrong guess, through the proxy");
    }
    from("127.0.0.2", "register_blocked.xml", &["-s", "101"])
        .assert_ok("the guessing phone is blocked");
    // Another phone behind the same proxy registers as usual.
    from(
        "127.0.0.1",
        "register.xml",
        &[
            "-s",
            "102",
            "-au",
            "102",
            "-ap",
            "secret-102",
            "-key",
            "expires",
            "300",
        ],
    )
    .assert_ok("another phone behind the proxy is not blocked");
    let log = app.log();
    assert!(
        log.contains("source blocked") && log.contains("127.0.0.2"),
        "the guessing phone's own address is blocked:\n{log}"
    );
}

/// Beyond phone to phone: 101 over TCP to the proxy calls an application (and hears its
/// prompt), a queue whose agent, 102, is behind the proxy over UDP (each hears the
/// other), and an extension without a phone (its voicemail keeps 101's message).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)] // the webhook app runs while the test blocks on peers
async fn an_application_a_queue_and_voicemail_work_through_the_proxy_over_tcp_and_udp() {
    let (app, proxy) = behind_a_proxy(&[]).await;
    let hooks = WebhookApp::start().await;
    upload_tone(&app, "prompt", 1336.0, 2.0).await;
    hooks.reply(
        "/voice",
        Reply::Json(json!([{"verb": "play", "recording": "prompt"}, {"verb": "hangup"}])),
    );
    let application = create(
        &app,
        "/v1/applications",
        json!({"name": "Prompt", "voice_url": format!("{}/voice", hooks.url)}),
    )
    .await;
    hooks.set_secret(application["signing_secret"].as_str().unwrap());
    create(
        &app,
        "/v1/numbers",
        json!({"number": "5000", "application_id": application["id"]}),
    )
    .await;
    create(
        &app,
        "/v1/queues",
        json!({"name": "sales", "number": "410", "members": [{"member": "102"}]}),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = phones(&app, &proxy, dir.path(), SipTransport::Tcp).await;

    // The application: its prompt, then its hangup reaches the phone over TCP.
    a.dial(&format!("sip:5000@{};transport=tcp", proxy.addr));
    assert!(
        a.wait_event("CALL_ESTABLISHED", LONG).is_some(),
        "{:?}
{}
{}",
        a.events(),
        app.log(),
        proxy.log()
    );
    assert!(
        a.wait_event("CALL_CLOSED", LONG).is_some(),
        "the application's hangup came back through the proxy"
    );
    assert_heard(&a, 1336.0, "101 calling the application");
    assert_eq!(hooks.received_on("/voice").len(), 1);

    // The queue: its agent behind the proxy answers; each hears the other.
    call(&a, &b, "410", ";transport=tcp", &proxy, &app).await;
    let heard_by_agent = b.received_audio().unwrap();
    let heard_by_caller = a.received_audio().unwrap();
    assert!(
        tone_windows(&heard_by_agent, 440.0) >= 20,
        "the agent hears the caller's tone for 2 s or more"
    );
    assert!(
        tone_windows(&heard_by_caller, 1000.0) >= 20,
        "the caller hears the agent's tone for 2 s or more"
    );
    let (_, calls) = app.get("/v1/calls?to=410").await;
    assert_eq!(calls["data"][0]["status"], "completed", "{calls}");

    // Voicemail: 103 has no phone; its mailbox takes the caller's message.
    create(
        &app,
        "/v1/extensions",
        json!({"number": "103", "name": "Away", "password": "secret-103",
               "no_answer_destination": "voicemail:103", "voicemail": {"enabled": true}}),
    )
    .await;
    a.forget_events();
    a.dial(&format!("sip:103@{};transport=tcp", proxy.addr));
    assert!(
        a.wait_event("CALL_ESTABLISHED", LONG).is_some(),
        "{}",
        app.log()
    );
    tokio::time::sleep(Duration::from_secs(10)).await;
    a.hangup();
    assert!(a.wait_event("CALL_CLOSED", LONG).is_some());
    let deadline = Instant::now() + LONG;
    let message = loop {
        let (_, messages) = app.get("/v1/voicemail/103/messages").await;
        if let Some(m) = messages["data"].as_array().and_then(|d| d.first()) {
            break m.clone();
        }
        assert!(Instant::now() < deadline, "no message: {}", app.log());
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let (_, audio) = app
        .send_raw(app.req(reqwest::Method::GET, message["audio_url"].as_str().unwrap()))
        .await;
    let recorded = read_wav(&audio);
    assert!(recorded.duration_ms() >= 2000, "{message}");
    assert_eq!(
        recorded.dominant(&TONES),
        440.0,
        "the message is the caller's tone"
    );
}

/// A flood through the proxy is counted against the address the proxy reports, not
/// the proxy's own: the flooder is ignored, the phones behind the same proxy call on.
#[tokio::test]
async fn a_flood_through_the_proxy_blocks_only_the_flooder() {
    let (app, proxy) = behind_a_proxy(&[]).await;
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = phones(&app, &proxy, dir.path(), SipTransport::Udp).await;
    // 500 INVITEs a second for 6 s from 127.0.0.3, through the proxy (limit: 100 a second).
    let flooder = Sipp::start_at(
        "127.0.0.3",
        "flood_invite.xml",
        proxy.addr,
        free_sip_port(),
        SipTransport::Udp,
        &["-s", "101", "-r", "500", "-m", "3000"],
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    call(&a, &b, "102", "", &proxy, &app).await;
    assert_heard(&b, 440.0, "the callee (102), during the flood");
    flooder.wait(LONG).assert_ok("the flooder sent everything");
    let dropped = app.metric("switchboard_sip_flood_dropped_total").await;
    assert!(dropped > 1000, "the flood was dropped: {dropped}");
    let log = plain(&app.log());
    let flood_lines: Vec<&str> = log.lines().filter(|l| l.contains("SIP flood")).collect();
    assert!(
        flood_lines.iter().any(|l| l.contains("client=127.0.0.3 ")),
        "the flooder's address is blocked:\n{log}"
    );
    assert!(
        !flood_lines
            .iter()
            .any(|l| l.contains(&format!("client={PROXY_IP} "))),
        "not the proxy's: {flood_lines:?}"
    );
}

/// `text` without its terminal colours (the server's log has them).
fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            chars.by_ref().find(|c| *c == 'm');
        } else {
            out.push(c);
        }
    }
    out
}

#[tokio::test]
async fn a_register_path_is_echoed_and_calls_to_the_phone_follow_it() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    extensions(&app).await;
    let (phone_port, hop_port) = (free_sip_port(), free_sip_port());
    let (phone, hop) = (phone_port.to_string(), hop_port.to_string());
    Sipp::start(
        "register_path.xml",
        app.sip,
        free_sip_port(),
        SipTransport::Udp,
        &[
            "-s",
            "102",
            "-au",
            "102",
            "-ap",
            "secret-102",
            "-key",
            "phone_port",
            &phone,
            "-key",
            "hop_port",
            &hop,
        ],
    )
    .wait(LONG)
    .assert_ok("the 200 echoes the Path and says Supported: path");
    // The REGISTER came from a port nobody listens on now; the INVITE must go to the
    // Path's hop, with the Path as its Route and the phone's contact as its target.
    let hop = Sipp::start(
        "uas_path_hop.xml",
        app.sip,
        hop_port,
        SipTransport::Udp,
        &[],
    );
    Sipp::call(app.sip, "uac_486.xml", ("101", "secret-101"), "102", &[])
        .assert_ok("the proxy named in the Path got the call");
    hop.wait(LONG)
        .assert_ok("the INVITE carried the Path as its Route");
}
