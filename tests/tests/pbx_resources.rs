//! The PBX resources through the REST API: ring groups, IVRs, day/night switches, time
//! conditions, feature codes, follow-me, an extension's busy destination and call
//! waiting — created, read, listed, changed, deleted; validated with the field at fault;
//! and never deleted while something still points at them (409 naming who).

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::json;
use switchboard_tests::app_harness::upload_tone;
use switchboard_tests::{TestApp, both_backends, error_of};

async fn extension(app: &TestApp, number: &str, extra: serde_json::Value) {
    let mut body = json!({"number": number, "name": format!("Ext {number}"), "password": format!("pw-{number}-secret")});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let (status, body) = app.post("/v1/extensions", body).await;
    assert_eq!(status, 201, "{body}");
}

/// `status` and the field named by the error of a request.
async fn refused(
    app: &TestApp,
    method: &str,
    path: &str,
    body: serde_json::Value,
) -> (u16, Option<String>) {
    let (status, body) = match method {
        "POST" => app.post(path, body).await,
        "PATCH" => app.patch(path, body).await,
        "DELETE" => app.delete(path).await,
        _ => unreachable!(),
    };
    (status, error_of(&body).1)
}

both_backends! {
    async fn ring_groups_crud_validation_and_references(app) {
        extension(&app, "58102", json!({})).await;
        extension(&app, "58103", json!({"voicemail": {"enabled": true}})).await;
        upload_tone(&app, "hold-music", 440.0, 1.0).await;
        let (status, g) = app.post("/v1/ring-groups", json!({
            "number": "301", "name": "Info", "members": ["58102", "58103"],
            "strategy": "rrmemory", "caller_name_prefix": "Info: ", "music": "hold-music",
            "no_answer_destination": "voicemail:58103"
        })).await;
        assert_eq!(status, 201, "{g}");
        assert_eq!(g["ring_time"], 20, "default ring time");
        assert_eq!(g["members"], json!(["58102", "58103"]));
        let (_, got) = app.get("/v1/ring-groups/301").await;
        assert_eq!(got, g);
        let (_, list) = app.get("/v1/ring-groups").await;
        assert_eq!(list["data"].as_array().unwrap().len(), 1);

        for (body, field) in [
            (json!({"number": "302", "name": "T", "members": []}), "members"),
            (json!({"number": "302", "name": "T", "members": ["58102", "58102"]}), "members[1]"),
            (json!({"number": "302", "name": "T", "members": ["59999"]}), "members[0]"),
            (json!({"number": "302", "name": "T", "members": ["58102"], "strategy": "loudest"}), "strategy"),
            (json!({"number": "302", "name": "T", "members": ["58102"], "music": "nope"}), "music"),
            (json!({"number": "302", "name": "T", "members": ["58102"], "announcement": {"recording": "nope"}}), "announcement.recording"),
            (json!({"number": "302", "name": "T", "members": ["58102"], "no_answer_destination": "ringgroup:302"}), "no_answer_destination"),
            (json!({"number": "302", "name": "T", "members": ["58102"], "no_answer_destination": "ivr:Nope"}), "no_answer_destination"),
            (json!({"number": "302", "name": "T", "members": ["58102"], "ring_time": 2}), "ring_time"),
        ] {
            assert_eq!(refused(&app, "POST", "/v1/ring-groups", body.clone()).await, (422, Some(field.into())), "{body}");
        }
        // Phones dial extensions and ring groups alike: one number, one meaning.
        assert_eq!(refused(&app, "POST", "/v1/ring-groups", json!({"number": "58102", "name": "T", "members": ["58103"]})).await, (409, Some("number".into())));
        assert_eq!(refused(&app, "POST", "/v1/extensions", json!({"number": "301", "name": "T", "password": "pw-301-secret"})).await, (409, Some("number".into())));
        assert_eq!(refused(&app, "POST", "/v1/ring-groups", json!({"number": "301", "name": "T", "members": ["58103"]})).await.0, 409);

        let (status, g) = app.patch("/v1/ring-groups/301", json!({"strategy": "leastrecent", "music": null, "members": ["58103"]})).await;
        assert_eq!(status, 200, "{g}");
        assert_eq!((g["strategy"].as_str(), g["music"].is_null(), g["members"].clone()), (Some("leastrecent"), true, json!(["58103"])));

        // In use: a member cannot go, nor the group while a number points at it, nor the
        // mailbox the group falls back to.
        let (status, body) = app.delete("/v1/extensions/58103").await;
        assert_eq!(status, 409, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("ring-groups/301"), "{body}");
        assert_eq!(app.post("/v1/numbers", json!({"number": "3000", "destination": "ringgroup:301"})).await.0, 201);
        let (status, body) = app.delete("/v1/ring-groups/301").await;
        assert_eq!(status, 409);
        assert!(body["error"]["message"].as_str().unwrap().contains("numbers/3000"), "{body}");
        assert_eq!(app.delete("/v1/numbers/3000").await.0, 204);
        assert_eq!(app.delete("/v1/ring-groups/301").await.0, 204);
        assert_eq!(app.get("/v1/ring-groups/301").await.0, 404);
        assert_eq!(app.delete("/v1/extensions/58103").await.0, 204);
    }

    async fn ivrs_crud_validation_and_references(app) {
        extension(&app, "58102", json!({"voicemail": {"enabled": true}})).await;
        upload_tone(&app, "VoicemailCenter", 697.0, 1.0).await;
        assert_eq!(app.post("/v1/ring-groups", json!({"number": "301", "name": "Info", "members": ["58102"]})).await.0, 201);
        let (status, ivr) = app.post("/v1/ivrs", json!({
            "name": "VoicemailCenter",
            "announcement": {"recording": "VoicemailCenter"},
            "options": {"1": "ringgroup:301", "3": "repeat", "0": "ivr:VoicemailCenter"},
            "invalid_destination": "voicemail:58102"
        })).await;
        assert_eq!(status, 201, "{ivr}");
        assert_eq!((ivr["timeout"].as_u64(), ivr["max_timeouts"].as_u64(), ivr["max_invalid"].as_u64()), (Some(10), Some(3), Some(3)), "documented defaults");
        assert_eq!(ivr["options"]["3"], "repeat");
        assert_eq!(app.get("/v1/ivrs/VoicemailCenter").await.1, ivr);

        for (body, field) in [
            (json!({"name": "B", "announcement": {}}), "announcement"),
            (json!({"name": "B", "announcement": {"recording": "Nope"}}), "announcement.recording"),
            (json!({"name": "B", "announcement": {"say": "Hi"}, "options": {"12345": "hangup"}}), "options"),
            (json!({"name": "B", "announcement": {"say": "Hi"}, "options": {"1": "ringgroup:999"}}), "options.1"),
            (json!({"name": "B", "announcement": {"say": "Hi"}, "options": {"1": "repeats"}}), "options"),
            (json!({"name": "B", "announcement": {"say": "Hi"}, "timeout": 0}), "timeout"),
            (json!({"name": "B", "announcement": {"say": "Hi"}, "max_invalid": 11}), "max_invalid"),
            (json!({"name": "B", "announcement": {"say": "Hi"}, "timeout_destination": "daynight:4"}), "timeout_destination"),
        ] {
            let (status, field_at) = refused(&app, "POST", "/v1/ivrs", body.clone()).await;
            assert_eq!(status, 422, "{body}");
            assert!(field_at.as_deref().is_some_and(|f| f.starts_with(field)), "{body}: {field_at:?}");
        }
        let (status, ivr) = app.patch("/v1/ivrs/VoicemailCenter", json!({"options": {"2": "hangup"}, "direct_dial": true, "invalid_destination": null})).await;
        assert_eq!(status, 200, "{ivr}");
        assert_eq!(ivr["options"], json!({"2": "hangup"}));
        assert!(ivr["invalid_destination"].is_null());

        // The menu's recording is in use; the ring group is an option's destination.
        assert_eq!(app.patch("/v1/ivrs/VoicemailCenter", json!({"options": {"1": "ringgroup:301"}})).await.0, 200);
        let (status, body) = app.delete("/v1/recordings/VoicemailCenter").await;
        assert_eq!(status, 409, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("ivrs/VoicemailCenter"));
        assert_eq!(app.patch("/v1/recordings/VoicemailCenter", json!({"name": "Renamed"})).await.0, 409);
        let (status, body) = app.delete("/v1/ring-groups/301").await;
        assert_eq!(status, 409);
        assert!(body["error"]["message"].as_str().unwrap().contains("ivrs/VoicemailCenter"), "{body}");
        assert_eq!(app.delete("/v1/ivrs/VoicemailCenter").await.0, 204);
        assert_eq!(app.delete("/v1/ring-groups/301").await.0, 204);
        assert_eq!(app.delete("/v1/recordings/VoicemailCenter").await.0, 204);
    }

    async fn daynight_switches_toggle_and_keep_their_mode_across_a_restart(app) {
        let mut app = app;
        extension(&app, "57443", json!({"voicemail": {"enabled": true}})).await;
        let (status, d) = app.post("/v1/daynight", json!({
            "index": 0, "name": "Pierre", "day_destination": "extension:57443",
            "night_destination": "voicemail:57443", "pin": "1234"
        })).await;
        assert_eq!(status, 201, "{d}");
        assert_eq!((d["mode"].as_str(), d["pin_set"].as_bool()), (Some("day"), Some(true)));
        assert!(!d.to_string().contains("1234"), "the PIN is write-only");
        for (body, field) in [
            (json!({"index": 10, "name": "X", "day_destination": "hangup", "night_destination": "hangup"}), "index"),
            (json!({"index": 1, "name": "X", "day_destination": "daynight:1", "night_destination": "hangup"}), "day_destination"),
            (json!({"index": 1, "name": "X", "day_destination": "hangup", "night_destination": "ivr:Nope"}), "night_destination"),
            (json!({"index": 1, "name": "X", "day_destination": "hangup", "night_destination": "hangup", "pin": "12"}), "pin"),
        ] {
            assert_eq!(refused(&app, "POST", "/v1/daynight", body.clone()).await, (422, Some(field.into())), "{body}");
        }
        let (status, d) = app.post("/v1/daynight/0/toggle", json!({})).await;
        assert_eq!((status, d["mode"].as_str()), (200, Some("night")));
        app.restart().await;
        assert_eq!(app.get("/v1/daynight/0").await.1["mode"], "night", "the mode survives a restart");
        let (_, d) = app.patch("/v1/daynight/0", json!({"mode": "day", "pin": null})).await;
        assert_eq!((d["mode"].as_str(), d["pin_set"].as_bool()), (Some("day"), Some(false)));
        assert_eq!(app.post("/v1/numbers", json!({"number": "3000", "destination": "daynight:0"})).await.0, 201);
        assert_eq!(app.delete("/v1/daynight/0").await.0, 409);
        assert_eq!(app.delete("/v1/numbers/3000").await.0, 204);
        assert_eq!(app.delete("/v1/daynight/0").await.0, 204);
        assert_eq!(app.get("/v1/daynight/0").await.0, 404);
    }

    async fn time_conditions_validate_schedules_and_take_overrides(app) {
        let always = json!([{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "end": "24:00"}]);
        let (status, c) = app.post("/v1/time-conditions", json!({
            "id": "2", "name": "Always", "time_zone": "Europe/Brussels", "ranges": always,
            "match_destination": "hangup", "no_match_destination": "hangup"
        })).await;
        assert_eq!(status, 201, "{c}");
        assert_eq!(c["state"], "match", "all week, all day");
        assert!(c["override"].is_null());
        for (body, field) in [
            (json!({"id": "3", "name": "X", "time_zone": "Mars/Olympus", "match_destination": "hangup", "no_match_destination": "hangup"}), "time_zone"),
            (json!({"id": "3", "name": "X", "time_zone": "UTC", "ranges": [{"days": [], "start": "09:00", "end": "17:00"}], "match_destination": "hangup", "no_match_destination": "hangup"}), "ranges[0].days"),
            (json!({"id": "3", "name": "X", "time_zone": "UTC", "ranges": [{"days": ["mon"], "start": "09:00", "end": "09:00"}], "match_destination": "hangup", "no_match_destination": "hangup"}), "ranges[0].end"),
            (json!({"id": "3", "name": "X", "time_zone": "UTC", "ranges": [{"days": ["mon"], "start": "9:00", "end": "17:00"}], "match_destination": "hangup", "no_match_destination": "hangup"}), "ranges[0].start"),
            (json!({"id": "3", "name": "X", "time_zone": "UTC", "exceptions": [{"date": "2026-02-30"}], "match_destination": "hangup", "no_match_destination": "hangup"}), "exceptions[0]"),
            (json!({"id": "3", "name": "X", "time_zone": "UTC", "match_destination": "timecondition:3", "no_match_destination": "hangup"}), "match_destination"),
        ] {
            assert_eq!(refused(&app, "POST", "/v1/time-conditions", body.clone()).await, (422, Some(field.into())), "{body}");
        }
        // Forced not to match until the schedule next changes: it never does, so the
        // override has no end; a permanent one likewise; null removes it.
        let (status, c) = app.post("/v1/time-conditions/2/override", json!({"state": "no_match"})).await;
        assert_eq!(status, 200, "{c}");
        assert_eq!((c["state"].as_str(), c["override"]["state"].as_str()), (Some("no_match"), Some("no_match")));
        let (_, c) = app.post("/v1/time-conditions/2/override", json!({"state": null})).await;
        assert_eq!((c["state"].as_str(), c["override"].is_null()), (Some("match"), true));
        let (status, c) = app.patch("/v1/time-conditions/2", json!({"ranges": [], "time_zone": "America/New_York"})).await;
        assert_eq!(status, 200, "{c}");
        assert_eq!(c["state"], "no_match", "no range: never matches");
        assert_eq!(app.post("/v1/numbers", json!({"number": "3000", "destination": "timecondition:2"})).await.0, 201);
        assert_eq!(app.delete("/v1/time-conditions/2").await.0, 409);
        assert_eq!(app.delete("/v1/numbers/3000").await.0, 204);
        assert_eq!(app.delete("/v1/time-conditions/2").await.0, 204);
    }

    async fn feature_codes_are_listed_and_changeable(app) {
        let (status, list) = app.get("/v1/feature-codes").await;
        assert_eq!(status, 200);
        let codes: Vec<(String, String)> = list["data"].as_array().unwrap().iter()
            .map(|c| (c["feature"].as_str().unwrap().to_owned(), c["code"].as_str().unwrap().to_owned()))
            .collect();
        assert_eq!(codes, [("followme_toggle".into(), "*21".into()), ("timecondition_toggle".into(), "*27".into()), ("daynight_toggle".into(), "*28".into()), ("voicemail_listen".into(), "*97".into()), ("voicemail_other".into(), "*98".into()), ("queue_agent_toggle".into(), "*45".into())]);
        let (status, c) = app.patch("/v1/feature-codes/daynight_toggle", json!({"code": "*48"})).await;
        assert_eq!((status, c["code"].as_str()), (200, Some("*48")));
        // A code that starts another (or that another starts) would hide one of them.
        assert_eq!(refused(&app, "PATCH", "/v1/feature-codes/followme_toggle", json!({"code": "*4"})).await, (409, Some("code".into())));
        assert_eq!(refused(&app, "PATCH", "/v1/feature-codes/followme_toggle", json!({"code": "28"})).await, (422, Some("code".into())));
        assert_eq!(app.patch("/v1/feature-codes/nope", json!({})).await.0, 404);
        let (_, c) = app.patch("/v1/feature-codes/followme_toggle", json!({"enabled": false})).await;
        assert_eq!(c["enabled"], false);
        let (_, list) = app.get("/v1/feature-codes").await;
        assert_eq!(list["data"][2]["code"], "*48", "kept");
    }

    async fn follow_me_and_the_extension_settings(app) {
        extension(&app, "57443", json!({"call_waiting": false})).await;
        extension(&app, "57444", json!({})).await;
        let (_, e) = app.get("/v1/extensions/57443").await;
        assert_eq!((e["call_waiting"].as_bool(), e["busy_destination"].is_null()), (Some(false), true));
        assert_eq!(app.get("/v1/extensions/57443/follow-me").await.0, 404);
        assert_eq!(app.post("/v1/daynight", json!({"index": 0, "name": "Pierre", "day_destination": "hangup", "night_destination": "hangup"})).await.0, 201);
        let (status, f) = app.send(app.req(reqwest::Method::PUT, "/v1/extensions/57443/follow-me").json(&json!({
            "enabled": true, "numbers": ["57444"], "no_answer_destination": "daynight:0"
        }))).await;
        assert_eq!(status, 200, "{f}");
        assert_eq!((f["initial_ring_time"].as_u64(), f["ring_time"].as_u64(), f["strategy"].as_str()), (Some(7), Some(20), Some("ringall")), "documented defaults");
        let (_, f) = app.patch("/v1/extensions/57443/follow-me", json!({"enabled": false, "strategy": "hunt"})).await;
        assert_eq!((f["enabled"].as_bool(), f["strategy"].as_str()), (Some(false), Some("hunt")));
        for (body, field) in [
            (json!({"numbers": []}), "numbers"),
            (json!({"numbers": ["99999"]}), "numbers[0]"),
            (json!({"initial_ring_time": 61}), "initial_ring_time"),
            (json!({"no_answer_destination": "extension:57443"}), "no_answer_destination"),
        ] {
            assert_eq!(refused(&app, "PATCH", "/v1/extensions/57443/follow-me", body.clone()).await, (422, Some(field.into())), "{body}");
        }
        // 57444 is on 57443's list; the switch is its destination.
        let (status, body) = app.delete("/v1/extensions/57444").await;
        assert_eq!(status, 409);
        assert!(body["error"]["message"].as_str().unwrap().contains("follow-me/57443"), "{body}");
        assert_eq!(app.delete("/v1/daynight/0").await.0, 409);
        let (_, e) = app.patch("/v1/extensions/57443", json!({"busy_destination": "extension:57444", "call_waiting": true})).await;
        assert_eq!((e["busy_destination"].as_str(), e["call_waiting"].as_bool()), (Some("extension:57444"), Some(true)));
        assert_eq!(refused(&app, "PATCH", "/v1/extensions/57443", json!({"busy_destination": "extension:57443"})).await, (422, Some("busy_destination".into())));
        // Deleting 57443 takes its own follow-me with it.
        assert_eq!(app.delete("/v1/extensions/57443").await.0, 204);
        assert_eq!(app.delete("/v1/extensions/57444").await.0, 204);
        assert_eq!(app.delete("/v1/daynight/0").await.0, 204);
    }
}
