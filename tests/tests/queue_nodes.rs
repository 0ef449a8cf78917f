//! Two Switchboard processes on one PostgreSQL serve one queue: callers arrive on both
//! nodes at once, the two agents (SIPp phones registered on the first node, answering,
//! talking a second and hanging up) take them all, and the call records show that no
//! caller was offered to two agents and no agent had two callers at a time.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::json;
use std::collections::HashMap;
use std::time::Duration;
use switchboard_tests::app_harness::{create, register_sipp};
use switchboard_tests::peers::{SipTransport, Sipp, free_sip_port};
use switchboard_tests::webhook_app::{Reply, WebhookApp};
use switchboard_tests::{Backend, TestApp};

const CALLERS: usize = 6;

async fn provision(app: &TestApp, hooks: &WebhookApp) {
    create(
        app,
        "/v1/extensions",
        json!({"number": "101", "name": "Callers", "password": "secret-101"}),
    )
    .await;
    let created = create(
        app,
        "/v1/applications",
        json!({"name": "Front", "voice_url": format!("{}/voice", hooks.url),
               "status_callback": format!("{}/status", hooks.url)}),
    )
    .await;
    hooks.set_secret(created["signing_secret"].as_str().unwrap());
    create(
        app,
        "/v1/numbers",
        json!({"number": "5000", "application_id": created["id"]}),
    )
    .await;
    hooks.reply(
        "/voice",
        Reply::Json(json!([{"verb": "redirect", "destination": "queue:support"}])),
    );
    hooks.reply("/status", Reply::Json(json!({})));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_on_one_database_never_offer_a_caller_twice_nor_an_agent_two_callers() {
    let a = TestApp::spawn_with(
        Backend::Postgres,
        &[("SWITCHBOARD_RTP_PORTS", "51200-51399".to_owned())],
    )
    .await;
    let b = a
        .second_node(&[("SWITCHBOARD_RTP_PORTS", "51400-51599".to_owned())])
        .await;
    let hooks = WebhookApp::start().await;
    provision(&a, &hooks).await;
    let (p201, p202) = (free_sip_port(), free_sip_port());
    register_sipp(&a, "201", p201).await;
    register_sipp(&a, "202", p202).await;
    create(
        &b,
        "/v1/queues",
        json!({"name": "support", "strategy": "leastrecent",
               "members": [{"member": "201"}, {"member": "202"}]}),
    )
    .await;
    let calls = CALLERS.to_string();
    let agents: Vec<Sipp> = [p201, p202]
        .into_iter()
        .map(|port| {
            Sipp::start(
                "uas_answer_then_bye.xml",
                a.sip,
                port,
                SipTransport::Udp,
                &["-m", &calls],
            )
        })
        .collect();
    let callers: Vec<Sipp> = (0..CALLERS)
        .map(|i| {
            let node = if i % 2 == 0 { a.sip } else { b.sip };
            Sipp::start(
                "uac_wait_bye.xml",
                node,
                free_sip_port(),
                SipTransport::Udp,
                &[
                    "-s",
                    "5000",
                    "-au",
                    "101",
                    "-ap",
                    "secret-101",
                    "-key",
                    "caller",
                    "101",
                ],
            )
        })
        .collect();
    let results = tokio::task::spawn_blocking(move || {
        callers
            .into_iter()
            .map(|c| c.wait(Duration::from_secs(60)))
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    for (i, r) in results.iter().enumerate() {
        assert!(
            r.success,
            "caller {i} was answered by an agent and hung up by it: {}\nnode A: {}\nnode B: {}",
            r.errors,
            a.log(),
            b.log()
        );
    }
    drop(agents);

    // The call records (one database): each caller's one leg to an agent, and each
    // agent's calls one after the other.
    let (_, list) = a.get("/v1/calls?limit=100").await;
    let legs: Vec<_> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["parent_call_sid"].is_string() && ["201", "202"].contains(&c["to"].as_str().unwrap())
        })
        .cloned()
        .collect();
    let mut per_caller: HashMap<String, usize> = HashMap::new();
    for leg in &legs {
        *per_caller
            .entry(leg["parent_call_sid"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    assert_eq!(
        per_caller.len(),
        CALLERS,
        "every caller reached an agent: {legs:#?}"
    );
    assert!(
        per_caller.values().all(|&n| n == 1),
        "no caller was offered twice: {per_caller:?}"
    );
    for agent in ["201", "202"] {
        let mut spans: Vec<(String, String)> = legs
            .iter()
            .filter(|l| l["to"] == agent)
            .map(|l| {
                (
                    l["start_time"].as_str().unwrap().to_owned(),
                    l["end_time"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        spans.sort();
        assert!(!spans.is_empty(), "{agent} took calls");
        for pair in spans.windows(2) {
            assert!(
                pair[1].0 >= pair[0].1,
                "{agent} was offered a caller while on another: {spans:?}"
            );
        }
    }
    let (_, agents) = b.get("/v1/queues/support/agents").await;
    let taken: u64 = agents["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["calls_taken"].as_u64().unwrap())
        .sum();
    assert_eq!(taken, CALLERS as u64);
    let (_, stats) = a.get("/v1/queues/support/stats").await;
    assert_eq!(stats["answered"], CALLERS, "{stats}");
}
