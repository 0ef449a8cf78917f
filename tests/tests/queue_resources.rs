//! Queues through the REST API: created, read, changed (members keep their state),
//! deleted only when nothing points at them; every setting validated with the field at
//! fault; agents logged in, out and paused; the waiting callers and the statistics of a
//! queue nobody called; `*45` among the feature codes.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::json;
use switchboard_tests::app_harness::upload_tone;
use switchboard_tests::{TestApp, both_backends, error_of};

async fn extension(app: &TestApp, number: &str) {
    let (status, body) = app
        .post(
            "/v1/extensions",
            json!({"number": number, "name": format!("Ext {number}"), "password": format!("pw-{number}-secret")}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

fn agent<'a>(list: &'a serde_json::Value, member: &str) -> &'a serde_json::Value {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["member"] == member)
        .unwrap_or_else(|| panic!("{member} in {list}"))
}

both_backends! {
    async fn queues_crud_validation_agents_and_references(app) {
        extension(&app, "201").await;
        extension(&app, "202").await;
        upload_tone(&app, "moh", 500.0, 1.0).await;
        let base = json!({"name": "support", "members": [{"member": "201"}]});
        let with = |extra: serde_json::Value| {
            let mut b = base.clone();
            for (k, v) in extra.as_object().unwrap() {
                b[k] = v.clone();
            }
            b
        };
        for (body, status, field) in [
            (with(json!({"members": [{"member": "201"}, {"member": "999"}]})), 422, "members[1].member"),
            (with(json!({"members": [{"member": "201"}, {"member": "201"}]})), 422, "members[1].member"),
            (with(json!({"members": [{"member": "201", "penalty": 101}]})), 422, "members[0].penalty"),
            (with(json!({"strategy": "loudest"})), 422, "strategy"),
            (with(json!({"max_wait": 5})), 422, "max_wait"),
            (with(json!({"max_callers": 0})), 422, "max_callers"),
            (with(json!({"announce_position_every": 2})), 422, "announce_position_every"),
            (with(json!({"wrap_up_time": 601})), 422, "wrap_up_time"),
            (with(json!({"exit_key": "0"})), 422, "exit_destination"),
            (with(json!({"exit_key": "12", "exit_destination": "hangup"})), 422, "exit_key"),
            (with(json!({"music": "nope"})), 422, "music"),
            (with(json!({"timeout_destination": "ivr:Nope"})), 422, "timeout_destination"),
            (with(json!({"full_destination": "queue:support"})), 422, "full_destination"),
            (with(json!({"number": "201"})), 409, "number"),
        ] {
            let (got, err) = app.post("/v1/queues", body.clone()).await;
            assert_eq!(got, status, "{body}: {err}");
            assert_eq!(error_of(&err).1.as_deref(), Some(field), "{body}: {err}");
        }
        let (status, q) = app.post("/v1/queues", with(json!({
            "number": "400", "strategy": "leastrecent", "music": "moh",
            "members": [{"member": "201"}, {"member": "202", "dynamic": true, "penalty": 1}],
            "wrap_up_time": 5, "max_wait": 300, "timeout_destination": "extension:201",
            "exit_key": "0", "exit_destination": "hangup"
        }))).await;
        assert_eq!(status, 201, "{q}");
        assert_eq!(q["agent_ring_time"], json!(null), "default ring time (15 s) is not stored");
        assert_eq!(q["retry_delay"], 5);
        assert_eq!(q["join_empty"], true);
        assert_eq!(q["service_level"], 20);
        let (_, got) = app.get("/v1/queues/support").await;
        assert_eq!(got, q);
        let (_, list) = app.get("/v1/queues").await;
        assert_eq!(list["data"].as_array().unwrap().len(), 1);
        let (status, _) = app.post("/v1/queues", with(json!({}))).await;
        assert_eq!(status, 409, "the name is taken");

        // Agents: a static member is logged in, a dynamic one starts logged out.
        let (_, agents) = app.get("/v1/queues/support/agents").await;
        assert_eq!(agent(&agents, "201")["state"], "idle");
        assert_eq!(agent(&agents, "202")["state"], "logged_out");
        assert_eq!(agent(&agents, "202")["penalty"], 1);
        let (status, a) = app.patch("/v1/queues/support/agents/202", json!({"logged_in": true})).await;
        assert_eq!((status, a["state"].as_str()), (200, Some("idle")), "{a}");
        let (status, err) = app.patch("/v1/queues/support/agents/201", json!({"logged_in": false})).await;
        assert_eq!((status, error_of(&err).1.as_deref()), (422, Some("logged_in")));
        let (status, err) = app.patch("/v1/queues/support/agents/201", json!({"pause_reason": "lunch"})).await;
        assert_eq!((status, error_of(&err).1.as_deref()), (422, Some("pause_reason")));
        let (_, a) = app.patch("/v1/queues/support/agents/201", json!({"paused": true, "pause_reason": "lunch"})).await;
        assert_eq!((a["state"].as_str(), a["pause_reason"].as_str()), (Some("paused"), Some("lunch")));
        let (_, a) = app.patch("/v1/queues/support/agents/201", json!({"paused": false})).await;
        assert_eq!((a["state"].as_str(), &a["pause_reason"]), (Some("idle"), &json!(null)));
        let (status, _) = app.patch("/v1/queues/support/agents/203", json!({"paused": true})).await;
        assert_eq!(status, 404);

        // PATCH: absent fields kept, null clears; members who stay keep their state.
        let (status, q) = app.patch("/v1/queues/support", json!({
            "strategy": "rrmemory", "max_wait": null, "timeout_destination": null,
            "members": [{"member": "202", "dynamic": true}, {"member": "201"}]
        })).await;
        assert_eq!(status, 200, "{q}");
        assert_eq!((q["strategy"].as_str(), &q["max_wait"], q["music"].as_str()), (Some("rrmemory"), &json!(null), Some("moh")));
        let (_, agents) = app.get("/v1/queues/support/agents").await;
        assert_eq!(agent(&agents, "202")["logged_in"], true, "still logged in: {agents}");
        assert_eq!(agent(&agents, "202")["penalty"], 0);
        for (body, status, field) in [
            (json!({"name": "other"}), 422, Some("name")),
            (json!({"bogus": 1}), 400, None),
            (json!({"max_wait": 1}), 422, Some("max_wait")),
        ] {
            let (got, err) = app.patch("/v1/queues/support", body.clone()).await;
            assert_eq!((got, error_of(&err).1.as_deref()), (status, field), "{body}: {err}");
        }

        // Nobody called: no callers, empty statistics.
        let (_, callers) = app.get("/v1/queues/support/callers").await;
        assert_eq!(callers["data"], json!([]));
        let (status, stats) = app.get("/v1/queues/support/stats").await;
        assert_eq!(status, 200, "{stats}");
        assert_eq!((stats["offered"].as_u64(), stats["answered"].as_u64(), stats["service_level_seconds"].as_u64()), (Some(0), Some(0), Some(20)));
        let (status, _) = app.get("/v1/queues/support/stats?since=yesterday").await;
        assert_eq!(status, 400);

        // The number is the queue's: no extension or ring group may take it.
        let (status, err) = app.post("/v1/extensions", json!({"number": "400", "name": "X", "password": "pw-400-secret"})).await;
        assert_eq!((status, error_of(&err).1.as_deref()), (409, Some("number")));
        let (status, _) = app.post("/v1/ring-groups", json!({"number": "400", "name": "X", "members": ["201"]})).await;
        assert_eq!(status, 409);

        // References: a member, a destination and the music are not deleted from under it.
        let (status, err) = app.delete("/v1/extensions/201").await;
        assert_eq!(status, 409, "{err}");
        assert!(err["error"]["message"].as_str().unwrap().contains("queues/support"), "{err}");
        let (status, err) = app.delete("/v1/recordings/moh").await;
        assert_eq!(status, 409, "{err}");
        let (status, _) = app.post("/v1/numbers", json!({"number": "+3222222222", "destination": "queue:support"})).await;
        assert_eq!(status, 201);
        let (status, err) = app.delete("/v1/queues/support").await;
        assert_eq!(status, 409, "{err}");
        assert!(err["error"]["message"].as_str().unwrap().contains("numbers/+3222222222"), "{err}");
        let (status, _) = app.delete("/v1/numbers/+3222222222").await;
        assert_eq!(status, 204);
        let (status, _) = app.delete("/v1/queues/support").await;
        assert_eq!(status, 204);
        let (status, _) = app.get("/v1/queues/support").await;
        assert_eq!(status, 404);
        let (status, _) = app.delete("/v1/extensions/201").await;
        assert_eq!(status, 204, "no longer a member of anything");

        // *45 is a feature code like the others.
        let (_, codes) = app.get("/v1/feature-codes").await;
        let code = codes["data"].as_array().unwrap().iter().find(|c| c["feature"] == "queue_agent_toggle").unwrap();
        assert_eq!((code["code"].as_str(), code["takes_target"].as_bool()), (Some("*45"), Some(false)));
    }
}
