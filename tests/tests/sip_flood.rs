//! Floods from one address: INVITEs and REGISTERs at a thousand a second each, from two
//! other loopback addresses, while phones on 127.0.0.1 register and call each other. The
//! flooders are ignored after the limit (`SWITCHBOARD_SIP_FLOOD_LIMIT`, 100 a second by
//! default), every legitimate call succeeds, and a trunk's peer pinging above the limit
//! is exempt. `SWITCHBOARD_FLOOD_SECONDS` and `SWITCHBOARD_FLOOD_CALLS` make the campaign
//! longer (RELIABILITY.md quotes a longer run); `SWITCHBOARD_SIP_FLOOD_LIMIT=0` runs it
//! without the limit, to compare (the test then fails on what was not dropped).

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.
#![allow(clippy::print_stdout)] // The figures of the run, for RELIABILITY.md.

use serde_json::json;
use std::time::Duration;
use switchboard_tests::peers::{SipTransport, Sipp, free_sip_port};
use switchboard_tests::{Backend, TestApp};

fn setting(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn extension(app: &TestApp, number: &str) {
    let (status, body) = app
        .post(
            "/v1/extensions",
            json!({"number": number, "name": format!("Ext {number}"),
                   "password": format!("pw-{number}-secret")}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

/// A counter of SIPp's final statistics ("Successful call", "Failed call"): its
/// cumulative column.
fn sipp_count(output: &str, row: &str) -> u64 {
    output
        .lines()
        .filter(|l| l.trim_start().starts_with(row))
        .filter_map(|l| l.split('|').nth(2)?.trim().parse().ok())
        .next_back()
        .unwrap_or(0)
}

/// CPU time the server process used so far (user + system), from /proc.
fn server_cpu_seconds(app: &TestApp) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", app.pid())).unwrap_or_default();
    // Fields after the command name (which may hold spaces): utime is the 12th, stime
    // the 13th of what follows ") ".
    let fields: Vec<&str> = stat
        .rsplit_once(") ")
        .map_or(Vec::new(), |(_, rest)| rest.split(' ').collect());
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// Starts a flooder from `ip`: `count` requests of `method` at `rate` a second.
fn flood(app: &TestApp, ip: &str, method: &str, rate: u32, count: u32) -> Sipp {
    Sipp::start_at(
        ip,
        &format!("flood_{}.xml", method.to_ascii_lowercase()),
        app.sip,
        free_sip_port(),
        SipTransport::Udp,
        &[
            "-s",
            "101",
            "-r",
            &rate.to_string(),
            "-m",
            &count.to_string(),
        ],
    )
}

#[tokio::test]
async fn flooding_sources_are_ignored_and_legitimate_calls_go_on() {
    let seconds = setting("SWITCHBOARD_FLOOD_SECONDS", 8);
    let calls = setting("SWITCHBOARD_FLOOD_CALLS", 60);
    let rate = 1000;
    let limit: Vec<_> = std::env::var("SWITCHBOARD_SIP_FLOOD_LIMIT")
        .map(|l| ("SWITCHBOARD_SIP_FLOOD_LIMIT", l))
        .into_iter()
        .collect();
    let app = TestApp::spawn_with(Backend::Sqlite, &limit).await;
    extension(&app, "101").await;
    extension(&app, "102").await;
    let callee_port = free_sip_port();
    Sipp::start(
        "register.xml",
        app.sip,
        callee_port,
        SipTransport::Udp,
        &[
            "-s",
            "102",
            "-au",
            "102",
            "-ap",
            "pw-102-secret",
            "-key",
            "expires",
            "600",
        ],
    )
    .wait(Duration::from_secs(20))
    .assert_ok("the callee registers");
    let callee = Sipp::start(
        "uas_answer.xml",
        app.sip,
        callee_port,
        SipTransport::Udp,
        &["-m", &calls.to_string(), "-timeout", "300s"],
    );

    let invites = flood(&app, "127.0.0.2", "INVITE", rate, rate * seconds);
    let registers = flood(&app, "127.0.0.3", "REGISTER", rate, rate * seconds);
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Legitimate calls, spread over the flood: 101 calls 102, each talking 500 ms.
    let cps = (calls / seconds.saturating_sub(1).max(1)).max(1);
    let caller = Sipp::start_call(
        app.sip,
        "uac_call.xml",
        ("101", "pw-101-secret"),
        "102",
        &[
            "-m",
            &calls.to_string(),
            "-r",
            &cps.to_string(),
            "-d",
            "500",
            "-timeout",
            "300s",
        ],
    );
    let caller = tokio::task::spawn_blocking(move || caller.wait(Duration::from_secs(300)))
        .await
        .unwrap();
    let invites = tokio::task::spawn_blocking(move || invites.wait(Duration::from_secs(120)))
        .await
        .unwrap();
    let registers = tokio::task::spawn_blocking(move || registers.wait(Duration::from_secs(120)))
        .await
        .unwrap();
    callee.wait(Duration::from_secs(30));

    let sent = sipp_count(&invites.output, "Successful call")
        + sipp_count(&registers.output, "Successful call");
    let succeeded = sipp_count(&caller.output, "Successful call");
    let failed = sipp_count(&caller.output, "Failed call");
    let dropped = app.metric("switchboard_sip_flood_dropped_total").await;
    let cpu = server_cpu_seconds(&app);
    println!(
        "flood: {sent} requests from 2 addresses in {seconds} s, {dropped} dropped; \
         legitimate calls: {succeeded} of {calls} succeeded, {failed} failed; \
         server CPU {cpu:.1} s"
    );
    assert_eq!(
        sent,
        u64::from(2 * rate * seconds),
        "the flooders sent everything"
    );
    assert_eq!(
        (succeeded, failed),
        (u64::from(calls), 0),
        "every legitimate call succeeds during the flood\n{}",
        caller.errors
    );
    // Each flooder is heard for at most its first second's limit, then for a second
    // after every block (30 s) ends.
    assert!(
        dropped >= sent - 2 * 100 * u64::from(seconds.div_ceil(30) + 1),
        "{dropped} of {sent} dropped"
    );
    let log = app.log();
    assert!(
        log.contains("SIP flood") && log.contains("127.0.0.2") && log.contains("127.0.0.3"),
        "each flooding address is logged once blocked"
    );
}

#[tokio::test]
async fn a_trunk_peer_is_exempt_and_another_address_is_not() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[("SWITCHBOARD_SIP_FLOOD_LIMIT", "50".to_owned())],
    )
    .await;
    let (status, body) = app
        .post(
            "/v1/trunks",
            json!({"name": "carrier", "host": "127.0.0.4", "inbound_auth": "address"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    // The exemptions are read every 10 s; the first read is at start, before the trunk.
    tokio::time::sleep(Duration::from_secs(11)).await;
    let ping = |ip: &'static str| {
        let sip = app.sip;
        tokio::task::spawn_blocking(move || {
            Sipp::start_at(
                ip,
                "options_ping.xml",
                sip,
                free_sip_port(),
                SipTransport::Udp,
                &["-r", "200", "-m", "400"],
            )
            .wait(Duration::from_secs(30))
        })
    };
    let (peer, stranger) = tokio::join!(ping("127.0.0.4"), ping("127.0.0.5"));
    let (peer, stranger) = (peer.unwrap(), stranger.unwrap());
    assert_eq!(
        sipp_count(&peer.output, "Successful call"),
        400,
        "the trunk's peer is answered every time at 200/s"
    );
    let answered = sipp_count(&stranger.output, "Successful call");
    assert!(
        (50..=55).contains(&answered),
        "another address is answered up to the limit (50), then ignored: {answered}"
    );
}
