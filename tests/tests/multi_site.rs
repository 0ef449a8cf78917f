//! The seed's last chapter: four servers, each with its own users, each reaching the
//! users of the three others by a prefix (server 2's 101 is `2101`), provisioned only
//! through the REST API by the example script users run
//! (`examples/multi-site/provision.sh`). A baresip phone on server 1 calls a linphonec
//! phone on server 2 (tones checked both ways, the callee hangs up), and every server
//! reaches every other (the 12 directed pairs, SIPp). The trunks run over TCP here
//! (UDP trunks are tested in `trunk_inbound` and `trunk_links`).

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use std::path::Path;
use std::time::{Duration, Instant};
use switchboard_tests::app_harness::{ended_call, tone_mic};
use switchboard_tests::audio::read_wav;
use switchboard_tests::peers::{Baresip, Linphone, SipTransport, Sipp, free_sip_port};
use switchboard_tests::{Backend, TestApp};

const CALLER_TONE: f64 = 440.0;
const CALLEE_TONE: f64 = 1000.0;
const LONG: Duration = Duration::from_secs(60);

async fn four_servers() -> Vec<TestApp> {
    let mut servers = Vec::new();
    for ports in ["54500-54599", "54600-54699", "54700-54799", "54800-54899"] {
        servers.push(
            TestApp::spawn_with(
                Backend::Sqlite,
                &[("SWITCHBOARD_RTP_PORTS", ports.to_owned())],
            )
            .await,
        );
    }
    servers
}

/// Runs the example script against `servers` (each with its own admin key, given in
/// its URL).
fn provision(servers: &[TestApp]) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/multi-site/provision.sh");
    let args: Vec<String> = servers
        .iter()
        .map(|s| {
            let url = s
                .url
                .replacen("http://", &format!("http://{}:{}@", s.key_id, s.secret), 1);
            format!("{url}={}", s.sip)
        })
        .collect();
    let out = std::process::Command::new("bash")
        .arg(&script)
        .args(&args)
        .env_remove("SWITCHBOARD_KEY")
        .env("TRUNK_TRANSPORT", "tcp")
        .env("KEEPALIVE", "2")
        .output()
        .expect("bash runs the script");
    assert!(
        out.status.success(),
        "the example script failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every trunk of every server registered to its peer, and its peer up.
async fn wait_linked(servers: &[TestApp]) {
    let deadline = Instant::now() + Duration::from_secs(30);
    for (i, s) in servers.iter().enumerate() {
        loop {
            let (_, trunks) = s.get("/v1/trunks").await;
            let trunks = trunks["data"].as_array().unwrap().clone();
            assert_eq!(trunks.len(), 3, "server {}: {trunks:?}", i + 1);
            let linked = trunks.iter().all(|t| {
                t["status"]["registration"]["state"] == "registered"
                    && t["status"]["health"]["state"] == "up"
                    && t["status"]["peer_registration"].is_object()
            });
            if linked {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "server {} is not linked: {trunks:#?}\n{}",
                i + 1,
                s.log()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

fn assert_heard(recording: &Path, expected: f64, who: &str) {
    let pcm = read_wav(
        &std::fs::read(recording).unwrap_or_else(|e| panic!("{who} recorded nothing: {e}")),
    );
    assert!(
        pcm.duration_ms() > 1500,
        "{who} heard only {} ms",
        pcm.duration_ms()
    );
    assert_eq!(
        pcm.dominant(&[CALLER_TONE, 697.0, CALLEE_TONE, 1336.0, 2000.0]),
        expected,
        "{who} should hear {expected} Hz"
    );
    assert!(pcm.rms() > 0.05, "{who}: level {}", pcm.rms());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_servers_provisioned_by_the_example_reach_each_others_users() {
    let servers = four_servers().await;
    provision(&servers);
    wait_linked(&servers).await;

    // A real phone on server 1 calls a real phone on server 2: 2 + 101.
    let dir = tempfile::tempdir().unwrap();
    let baresip = Baresip::start(
        "101",
        "Phone-1-101",
        servers[0].sip,
        SipTransport::Udp,
        &tone_mic(dir.path(), "caller", CALLER_TONE),
    );
    let mut linphone = Linphone::start(
        "101",
        "Phone-2-101",
        "switchboard",
        servers[1].sip,
        SipTransport::Udp,
        &tone_mic(dir.path(), "callee", CALLEE_TONE),
    );
    for s in &servers[..2] {
        let deadline = Instant::now() + Duration::from_secs(15);
        while s.get("/v1/registrations?extension=101").await.1["data"]
            .as_array()
            .is_none_or(Vec::is_empty)
        {
            assert!(Instant::now() < deadline, "101 did not register");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    baresip.dial(&format!("sip:2101@{}", servers[0].sip));
    assert!(
        baresip
            .wait_event("CALL_ESTABLISHED", Duration::from_secs(15))
            .is_some(),
        "not established; linphone: {}\nserver 1: {}\nserver 2: {}",
        linphone.output(),
        servers[0].log(),
        servers[1].log()
    );
    assert!(linphone.wait_output("connected", Duration::from_secs(5)));
    tokio::time::sleep(Duration::from_secs(4)).await;
    linphone.terminate();
    assert!(
        baresip
            .wait_event("CALL_CLOSED", Duration::from_secs(10))
            .is_some(),
        "the callee's hang-up reached the caller"
    );
    linphone.command("record /dev/null");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_heard(
        &baresip.received_audio().expect("baresip recorded"),
        CALLEE_TONE,
        "the caller on server 1",
    );
    assert_heard(&linphone.recording(), CALLER_TONE, "the callee on server 2");
    let out = ended_call(&servers[0], "2101", "outbound").await;
    assert_eq!(out["trunk"], "server2", "{out}");
    let inbound = ended_call(&servers[1], "101", "inbound").await;
    assert_eq!(inbound["trunk"], "server1", "{inbound}");
    assert_eq!(inbound["from"], "101", "{inbound}");
    assert_eq!(inbound["hangup"]["by"], "callee", "{inbound}");

    // Every server reaches every other: SIPp answers as 102 on each, and 103 of each
    // calls 102 of the three others.
    let mut callees = Vec::new();
    for (i, s) in servers.iter().enumerate() {
        let port = free_sip_port();
        let password = format!("Phone-{}-102", i + 1);
        let sip = s.sip;
        tokio::task::spawn_blocking(move || {
            Sipp::start(
                "register.xml",
                sip,
                port,
                SipTransport::Udp,
                &[
                    "-s", "102", "-au", "102", "-ap", &password, "-key", "expires", "300",
                ],
            )
            .wait(Duration::from_secs(30))
            .assert_ok("102 registers");
        })
        .await
        .unwrap();
        callees.push(Sipp::start(
            "uas_answer.xml",
            s.sip,
            port,
            SipTransport::Udp,
            &["-m", "3"],
        ));
    }
    for a in 1..=4 {
        for b in (1..=4).filter(|b| *b != a) {
            let sip = servers[a - 1].sip;
            let password = format!("Phone-{a}-103");
            let number = format!("{b}102");
            tokio::task::spawn_blocking(move || {
                Sipp::call(
                    sip,
                    "uac_call.xml",
                    ("103", &password),
                    &number,
                    &["-d", "200"],
                )
            })
            .await
            .unwrap()
            .assert_ok(&format!("103 on server {a} calls {b}102"));
        }
    }
    for (i, callee) in callees.into_iter().enumerate() {
        tokio::task::spawn_blocking(move || callee.wait(LONG))
            .await
            .unwrap()
            .assert_ok(&format!("102 on server {} answers three calls", i + 1));
    }
    for (i, s) in servers.iter().enumerate() {
        let (_, calls) = s.get("/v1/calls?to=102").await;
        let mut trunks: Vec<String> = calls["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["direction"] == "inbound" && c["status"] == "completed")
            .map(|c| c["trunk"].as_str().unwrap_or("none").to_owned())
            .collect();
        trunks.sort();
        let expected: Vec<String> = (1..=4)
            .filter(|a| *a != i + 1)
            .map(|a| format!("server{a}"))
            .collect();
        assert_eq!(
            trunks,
            expected,
            "server {} took calls from each other",
            i + 1
        );
    }
}
