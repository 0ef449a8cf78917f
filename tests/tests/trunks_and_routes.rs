//! `/v1/trunks` and `/v1/outbound-routes`, with the seed's server interconnection:
//! trunks to the other servers, prefix + `XXX` match patterns.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::json;
use switchboard_tests::{TestApp, both_backends, error_of};

async fn trunk(app: &TestApp, name: &str, host: &str) {
    let (status, body) = app
        .post(
            "/v1/trunks",
            json!({
                "name": name, "host": host,
                "username": "server1", "password": "trunk-Secret-1",
                "inbound_username": "server2", "inbound_password": "trunk-Secret-2",
                "max_channels": 30
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

both_backends! {
    async fn trunks_crud_with_write_only_passwords(app) {
        trunk(&app, "TrunkToJulien", "192.168.212.4").await;
        let (status, t) = app.get("/v1/trunks/TrunkToJulien").await;
        assert_eq!(status, 200);
        assert_eq!(t["port"], 5060);
        assert_eq!(t["transport"], "udp");
        assert_eq!(t["password_set"], true);
        assert_eq!(t["inbound_password_set"], true);
        assert_eq!(t["enabled"], true);
        assert!(!t.to_string().contains("trunk-Secret"), "passwords are write-only: {t}");
        // How its peer's calls are taken: the defaults.
        assert_eq!(t["inbound_auth"], "credentials");
        assert_eq!(t["inbound_reach"], "numbers");
        assert_eq!(t["inbound_number"], "request_uri");
        assert_eq!(t["inbound_strip_prefix"], serde_json::Value::Null);
        assert_eq!(t["status"]["channels_in_use"], 0, "{t}");
        assert_eq!(t["register_expiry"], 300);
        assert_eq!(t["silence_timeout"], 5);
        assert_eq!(t["caller_id_rule"], "replace");
        assert_eq!((&t["from_user"], &t["from_host"]), (&serde_json::Value::Null, &serde_json::Value::Null));
        assert_eq!((&t["asserted_identity"], &t["diversion"]), (&json!(false), &json!(true)));
        assert_eq!(t["options_interval"], serde_json::Value::Null, "no keepalive unless asked");
        assert_eq!(t["status"]["registration"], serde_json::Value::Null, "{t}");
        assert_eq!(t["status"]["health"], serde_json::Value::Null, "{t}");
        assert_eq!(t["status"]["last_auth_failure"], serde_json::Value::Null, "{t}");
        let (status, t) = app
            .patch("/v1/trunks/TrunkToJulien", json!({"inbound_auth": "address", "inbound_reach": "internal",
                "inbound_number": "to", "inbound_strip_prefix": "+32"}))
            .await;
        assert_eq!(status, 200, "{t}");
        assert_eq!(
            (&t["inbound_auth"], &t["inbound_reach"], &t["inbound_number"], &t["inbound_strip_prefix"]),
            (&json!("address"), &json!("internal"), &json!("to"), &json!("+32"))
        );
        let (_, again) = app.get("/v1/trunks/TrunkToJulien").await;
        assert_eq!(again["inbound_strip_prefix"], "+32", "stored: {again}");
        let (status, t) = app
            .patch("/v1/trunks/TrunkToJulien", json!({"register_expiry": 120, "options_interval": 30}))
            .await;
        assert_eq!(status, 200, "{t}");
        assert_eq!((&t["register_expiry"], &t["options_interval"]), (&json!(120), &json!(30)));
        let (_, t) = app
            .patch("/v1/trunks/TrunkToJulien", json!({"register_expiry": null, "options_interval": null}))
            .await;
        assert_eq!((&t["register_expiry"], &t["options_interval"]), (&json!(300), &serde_json::Value::Null));
        let (status, t) = app
            .patch("/v1/trunks/TrunkToJulien", json!({"silence_timeout": 2, "caller_id_rule": "prefix",
                "from_user": "acct", "from_host": "sip.example.net", "asserted_identity": true, "diversion": false}))
            .await;
        assert_eq!(status, 200, "{t}");
        let (_, t) = app.get("/v1/trunks/TrunkToJulien").await;
        assert_eq!(
            (&t["silence_timeout"], &t["caller_id_rule"], &t["from_user"], &t["from_host"], &t["asserted_identity"], &t["diversion"]),
            (&json!(2), &json!("prefix"), &json!("acct"), &json!("sip.example.net"), &json!(true), &json!(false)),
            "stored: {t}"
        );
        let (_, t) = app.patch("/v1/trunks/TrunkToJulien", json!({"silence_timeout": null})).await;
        assert_eq!(t["silence_timeout"], 5, "back to the default");

        // The application told of the trunk's changes must exist and have a status callback.
        let (_, quiet) = app.post("/v1/applications", json!({"name": "Quiet", "voice_url": "http://127.0.0.1:9/voice"})).await;
        let (status, err) = app.patch("/v1/trunks/TrunkToJulien", json!({"application_id": quiet["id"]})).await;
        assert_eq!(status, 422, "{err}");
        assert_eq!(error_of(&err), ("validation_failed".into(), Some("application_id".into())));
        let (status, err) = app.patch("/v1/trunks/TrunkToJulien", json!({"application_id": "AP00000000000000000000000000000000"})).await;
        assert_eq!(status, 422, "{err}");
        let (_, noc) = app.post("/v1/applications", json!({"name": "NOC", "voice_url": "http://127.0.0.1:9/voice",
            "status_callback": "http://127.0.0.1:9/events"})).await;
        let (status, t) = app.patch("/v1/trunks/TrunkToJulien", json!({"application_id": noc["id"]})).await;
        assert_eq!(status, 200, "{t}");
        assert_eq!(t["application_id"], noc["id"]);
        let (status, err) = app.delete(&format!("/v1/applications/{}", noc["id"].as_str().unwrap())).await;
        assert_eq!(status, 409, "{err}");
        assert!(err["error"]["message"].as_str().unwrap().contains("trunks/TrunkToJulien"), "{err}");
        let (status, _) = app.patch("/v1/trunks/TrunkToJulien", json!({"application_id": null})).await;
        assert_eq!(status, 200);

        let (status, t) = app
            .patch("/v1/trunks/TrunkToJulien", json!({"transport": "tcp", "port": 5070}))
            .await;
        assert_eq!(status, 200, "{t}");
        assert_eq!((&t["transport"], &t["port"]), (&json!("tcp"), &json!(5070)));
        let (status, t) = app
            .patch("/v1/trunks/TrunkToJulien", json!({"port": null, "password": null, "username": null, "enabled": false}))
            .await;
        assert_eq!(status, 200, "{t}");
        assert_eq!(t["port"], 5060, "back to the transport's default port");
        // TLS is not built yet: refused rather than accepted and ignored.
        let (status, err) = app.patch("/v1/trunks/TrunkToJulien", json!({"transport": "tls"})).await;
        assert_eq!(status, 422, "{err}");
        assert_eq!(error_of(&err), ("validation_failed".into(), Some("transport".into())));
        assert_eq!(t["password_set"], false);
        assert_eq!(t["enabled"], false);

        let (status, body) = app.post("/v1/trunks", json!({"name": "TrunkToJulien", "host": "x.example"})).await;
        assert_eq!(status, 409);
        assert_eq!(error_of(&body), ("conflict".into(), Some("name".into())));
        assert_eq!(app.delete("/v1/trunks/TrunkToJulien").await.0, 204);
        assert_eq!(app.get("/v1/trunks/TrunkToJulien").await.0, 404);
    }

    async fn trunk_fields_are_validated(app) {
        for (body, field) in [
            (json!({"name": "t", "host": "sip://x"}), "host"),
            (json!({"name": "t", "host": "999.1.1.1"}), "host"),
            (json!({"name": "t", "host": "x.example", "port": 70000}), "port"),
            (json!({"name": "t", "host": "x.example", "port": 0}), "port"),
            (json!({"name": "t", "host": "x.example", "transport": "sctp"}), "transport"),
            (json!({"name": "t t", "host": "x.example"}), "name"),
            (json!({"name": "t", "host": "x.example", "register": true}), "register"),
            (json!({"name": "t", "host": "x.example", "password": "abcdefgh"}), "username"),
            (json!({"name": "t", "host": "x.example", "inbound_username": "peer"}), "inbound_password"),
            (json!({"name": "t", "host": "x.example", "inbound_password": "abcdefgh"}), "inbound_username"),
            (json!({"name": "t", "host": "x.example", "max_channels": 0}), "max_channels"),
            (json!({"name": "t", "host": "x.example", "caller_id": "abc"}), "caller_id"),
            (json!({"name": "t", "host": "x.example", "inbound_auth": "magic"}), "inbound_auth"),
            (json!({"name": "t", "host": "x.example", "inbound_reach": "everything"}), "inbound_reach"),
            (json!({"name": "t", "host": "x.example", "inbound_number": "from"}), "inbound_number"),
            (json!({"name": "t", "host": "x.example", "inbound_strip_prefix": "0x"}), "inbound_strip_prefix"),
            (json!({"name": "t", "host": "x.example", "register_expiry": 59}), "register_expiry"),
            (json!({"name": "t", "host": "x.example", "silence_timeout": 0}), "silence_timeout"),
            (json!({"name": "t", "host": "x.example", "silence_timeout": 61}), "silence_timeout"),
            (json!({"name": "t", "host": "x.example", "caller_id_rule": "keep"}), "caller_id_rule"),
            (json!({"name": "t", "host": "x.example", "from_host": "a b"}), "from_host"),
            (json!({"name": "t", "host": "x.example", "from_user": "a b"}), "from_user"),
            (json!({"name": "t", "host": "x.example", "options_interval": 0}), "options_interval"),
            (json!({"name": "t", "host": "x.example", "options_interval": 3601}), "options_interval"),
        ] {
            let (status, err) = app.post("/v1/trunks", body.clone()).await;
            assert_eq!(status, 422, "{body}: {err}");
            assert_eq!(error_of(&err), ("validation_failed".into(), Some(field.into())), "{body}");
        }
    }

    async fn routes_with_prefixes_patterns_and_trunk_sequences(app) {
        trunk(&app, "TrunkToJulien", "192.168.212.4").await;
        trunk(&app, "TrunkToAhmed", "192.168.212.5").await;
        let (status, route) = app
            .post("/v1/outbound-routes", json!({
                "name": "ToJulien",
                "dial_patterns": [{"prefix": "2", "match_pattern": "XXX"}, {"prepend": "0032", "prefix": "9", "match_pattern": "0[1-9]XXXXXXX."}],
                "trunks": ["TrunkToJulien", "TrunkToAhmed"],
                "caller_id": "+3223456700",
                "priority": 10
            }))
            .await;
        assert_eq!(status, 201, "{route}");
        assert_eq!(route["trunks"], json!(["TrunkToJulien", "TrunkToAhmed"]));
        assert_eq!(route["dial_patterns"][1]["match_pattern"], "0[1-9]XXXXXXX.");
        let (_, got) = app.get("/v1/outbound-routes/ToJulien").await;
        assert_eq!(got, route);

        let (status, _) = app
            .post("/v1/outbound-routes", json!({"name": "Fallback", "dial_patterns": [{"match_pattern": "."}], "trunks": ["TrunkToAhmed"]}))
            .await;
        assert_eq!(status, 201);
        let (_, list) = app.get("/v1/outbound-routes").await;
        let names: Vec<_> = list["data"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap().to_owned()).collect();
        assert_eq!(names, ["ToJulien", "Fallback"], "ordered by priority");
        let (_, page1) = app.get("/v1/outbound-routes?limit=1").await;
        let cursor = page1["next_cursor"].as_str().unwrap();
        let (_, page2) = app.get(&format!("/v1/outbound-routes?limit=1&cursor={cursor}")).await;
        assert_eq!(page2["data"][0]["name"], "Fallback");
        assert!(page2["next_cursor"].is_null());

        // A trunk in a route's sequence cannot be deleted.
        let (status, body) = app.delete("/v1/trunks/TrunkToAhmed").await;
        assert_eq!(status, 409, "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("Fallback") && message.contains("ToJulien"), "{message}");

        let (status, updated) = app.patch("/v1/outbound-routes/ToJulien", json!({"trunks": ["TrunkToJulien"], "caller_id": null})).await;
        assert_eq!(status, 200, "{updated}");
        assert_eq!(updated["trunks"], json!(["TrunkToJulien"]));
        assert_eq!(app.get("/v1/outbound-routes/ToJulien").await.1["trunks"], json!(["TrunkToJulien"]));
        assert_eq!(app.delete("/v1/outbound-routes/Fallback").await.0, 204);
        assert_eq!(app.delete("/v1/trunks/TrunkToAhmed").await.0, 204);
        assert_eq!(app.delete("/v1/outbound-routes/ToJulien").await.0, 204);
        assert_eq!(app.delete("/v1/trunks/TrunkToJulien").await.0, 204);
    }

    async fn route_fields_are_validated(app) {
        trunk(&app, "TrunkToJulien", "192.168.212.4").await;
        let base = || json!({"name": "r", "dial_patterns": [{"match_pattern": "XXX"}], "trunks": ["TrunkToJulien"]});
        let cases = [
            (json!({"dial_patterns": []}), "dial_patterns"),
            (json!({"dial_patterns": [{"match_pattern": "X.X"}]}), "dial_patterns[0].match_pattern"),
            (json!({"dial_patterns": [{"match_pattern": "XXX"}, {"match_pattern": "[5-1]"}]}), "dial_patterns[1].match_pattern"),
            (json!({"dial_patterns": [{"match_pattern": "XXA"}]}), "dial_patterns[0].match_pattern"),
            (json!({"dial_patterns": [{"prefix": "a", "match_pattern": "XXX"}]}), "dial_patterns[0].prefix"),
            (json!({"dial_patterns": [{"prepend": "++1", "match_pattern": "XXX"}]}), "dial_patterns[0].prepend"),
            (json!({"dial_patterns": [{"pattern": "XXX"}]}), "dial_patterns[0].pattern"),
            (json!({"trunks": []}), "trunks"),
            (json!({"trunks": ["TrunkToJulien", "Nope"]}), "trunks[1]"),
            (json!({"trunks": ["TrunkToJulien", "TrunkToJulien"]}), "trunks[1]"),
            (json!({"priority": 2000000}), "priority"),
        ];
        for (change, field) in cases {
            let mut body = base();
            for (k, v) in change.as_object().unwrap() {
                body[k] = v.clone();
            }
            let (status, err) = app.post("/v1/outbound-routes", body.clone()).await;
            assert_eq!(status, 422, "{body}: {err}");
            assert_eq!(error_of(&err), ("validation_failed".into(), Some(field.into())), "{body}");
        }
        let (_, list) = app.get("/v1/outbound-routes").await;
        assert_eq!(list["data"], json!([]));
    }
}
