//! `/v1/extensions`: create, read, list with paging, update, delete, validation.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::json;
use switchboard_tests::{both_backends, error_of};

fn djaouad() -> serde_json::Value {
    json!({
        "number": "58101",
        "name": "Djaouad",
        "password": "s3cret-Passw0rd",
        "email": "djaouad@example.com",
        "voicemail": {"enabled": true, "pin": "4321"},
        "ring_time": 25,
        "no_answer_destination": "voicemail:58101"
    })
}

both_backends! {
    async fn create_read_update_delete(app) {
        let (status, created) = app.post("/v1/extensions", djaouad()).await;
        assert_eq!(status, 201, "{created}");
        assert_eq!(created["number"], "58101");
        assert_eq!(created["name"], "Djaouad");
        assert_eq!(created["email"], "djaouad@example.com");
        assert_eq!(
            created["voicemail"],
            json!({"enabled": true, "pin_set": true, "application_id": null, "greeting": null, "busy_greeting": null, "operator_destination": null, "email_options": null})
        );
        assert_eq!(created["ring_time"], 25);
        assert_eq!(created["no_answer_destination"], "voicemail:58101");
        let text = created.to_string();
        assert!(!text.contains("s3cret-Passw0rd") && !text.contains("4321"), "secrets are write-only");
        assert!(created.get("password").is_none());

        let (status, got) = app.get("/v1/extensions/58101").await;
        assert_eq!(status, 200);
        assert_eq!(got, created);

        let (status, updated) = app
            .patch("/v1/extensions/58101", json!({"name": "Djaouad B.", "email": null, "ring_time": 30}))
            .await;
        assert_eq!(status, 200, "{updated}");
        assert_eq!(updated["name"], "Djaouad B.");
        assert!(updated["email"].is_null());
        assert_eq!(updated["ring_time"], 30);
        assert_eq!(updated["voicemail"]["pin_set"], true, "absent fields are kept");
        assert_eq!(updated["created_at"], created["created_at"]);
        let (_, got) = app.get("/v1/extensions/58101").await;
        assert_eq!(got, updated, "the update was stored");

        let (status, updated) = app
            .patch("/v1/extensions/58101", json!({"voicemail": {"pin": null}, "password": "an0ther-Passw0rd"}))
            .await;
        assert_eq!(status, 200, "{updated}");
        assert_eq!(
            updated["voicemail"],
            json!({"enabled": true, "pin_set": false, "application_id": null, "greeting": null, "busy_greeting": null, "operator_destination": null, "email_options": null})
        );

        let (status, body) = app.delete("/v1/extensions/58101").await;
        assert_eq!((status, body), (204, serde_json::Value::Null));
        let (status, body) = app.get("/v1/extensions/58101").await;
        assert_eq!(status, 404);
        assert_eq!(error_of(&body).0, "not_found");
        assert_eq!(app.delete("/v1/extensions/58101").await.0, 404);
        assert_eq!(app.patch("/v1/extensions/58101", json!({"name": "x"})).await.0, 404);
    }

    async fn defaults_apply(app) {
        let (status, created) = app
            .post("/v1/extensions", json!({"number": "58102", "name": "Yassir", "password": "abcdefgh"}))
            .await;
        assert_eq!(status, 201, "{created}");
        assert_eq!(created["ring_time"], 20);
        assert_eq!(
            created["voicemail"],
            json!({"enabled": false, "pin_set": false, "application_id": null, "greeting": null, "busy_greeting": null, "operator_destination": null, "email_options": null})
        );
        assert!(created["no_answer_destination"].is_null());
    }

    async fn duplicates_are_409(app) {
        assert_eq!(app.post("/v1/extensions", djaouad()).await.0, 201);
        let (status, body) = app.post("/v1/extensions", djaouad()).await;
        assert_eq!(status, 409);
        assert_eq!(error_of(&body), ("conflict".into(), Some("number".into())));
    }

    async fn invalid_fields_are_named(app) {
        let cases = [
            (json!({"number": "1a"}), "number"),
            (json!({"number": "1"}), "number"),
            (json!({"name": ""}), "name"),
            (json!({"password": "short"}), "password"),
            (json!({"password": "has space in it"}), "password"),
            (json!({"email": "not-an-email"}), "email"),
            (json!({"voicemail": {"enabled": true, "pin": "12"}}), "voicemail.pin"),
            (json!({"ring_time": 2}), "ring_time"),
            (json!({"ring_time": "20"}), "ring_time"),
            (json!({"no_answer_destination": "phone:1"}), "no_answer_destination"),
            (json!({"no_answer_destination": "extension:99999"}), "no_answer_destination"),
            (json!({"no_answer_destination": "ringgroup:301"}), "no_answer_destination"),
            (json!({"no_answer_destination": "ivr:VoicemailCenter"}), "no_answer_destination"),
            (json!({"no_answer_destination": "extension:58101"}), "no_answer_destination"),
            (json!({"no_answer_destination": "voicemail:58101", "voicemail": {"enabled": false}}), "no_answer_destination"),
            (json!({"ringtime": 20}), "ringtime"),
        ];
        for (change, field) in cases {
            let mut body = djaouad();
            for (k, v) in change.as_object().unwrap() {
                body[k] = v.clone();
            }
            let (status, err) = app.post("/v1/extensions", body.clone()).await;
            assert_eq!(status, 422, "{body} -> {err}");
            assert_eq!(error_of(&err), ("validation_failed".into(), Some(field.into())), "{body}");
        }
        let mut missing = djaouad();
        missing.as_object_mut().unwrap().remove("password");
        let (status, err) = app.post("/v1/extensions", missing).await;
        assert_eq!(status, 422);
        assert_eq!(error_of(&err).1.as_deref(), Some("password"));
        // Nothing above was stored.
        let (_, list) = app.get("/v1/extensions").await;
        assert_eq!(list["data"], json!([]));
    }

    async fn malformed_json_and_wrong_content_type(app) {
        let (status, body) = app
            .send(app.req(reqwest::Method::POST, "/v1/extensions")
                .header("content-type", "application/json")
                .body("{\"number\": "))
            .await;
        assert_eq!(status, 400);
        assert_eq!(error_of(&body).0, "bad_request");
        let (status, body) = app
            .send(app.req(reqwest::Method::POST, "/v1/extensions")
                .header("content-type", "text/plain")
                .body(djaouad().to_string()))
            .await;
        assert_eq!(status, 415);
        assert_eq!(error_of(&body).0, "unsupported_media_type");
        let (status, body) = app
            .send(app.req(reqwest::Method::POST, "/v1/extensions")
                .header("content-type", "application/json")
                .body(vec![b' '; 2 * 1024 * 1024]))
            .await;
        assert_eq!(status, 413);
        assert_eq!(error_of(&body).0, "payload_too_large");
    }

    async fn destinations_must_exist_and_referenced_extensions_stay(app) {
        assert_eq!(app.post("/v1/extensions", djaouad()).await.0, 201);
        let (status, body) = app
            .post("/v1/extensions", json!({
                "number": "58102", "name": "Yassir", "password": "abcdefgh",
                "no_answer_destination": "extension:58101"
            }))
            .await;
        assert_eq!(status, 201, "{body}");
        let (status, body) = app.delete("/v1/extensions/58101").await;
        assert_eq!(status, 409, "{body}");
        let (code, _) = error_of(&body);
        assert_eq!(code, "conflict");
        assert!(body["error"]["message"].as_str().unwrap().contains("extensions/58102"), "{body}");
        // Mailbox 58101 cannot lose voicemail while 58103 sends callers there.
        assert_eq!(app.post("/v1/extensions", json!({
            "number": "58103", "name": "Pierre", "password": "abcdefgh",
            "no_answer_destination": "voicemail:58101"
        })).await.0, 201);
        let (status, body) = app
            .patch("/v1/extensions/58101", json!({"voicemail": {"enabled": false}, "no_answer_destination": null}))
            .await;
        assert_eq!(status, 409, "{body}");
        // Once nothing points at it, it goes.
        assert_eq!(app.patch("/v1/extensions/58102", json!({"no_answer_destination": "hangup"})).await.0, 200);
        assert_eq!(app.delete("/v1/extensions/58103").await.0, 204);
        assert_eq!(app.delete("/v1/extensions/58101").await.0, 204);
    }

    async fn lists_page_with_a_cursor(app) {
        for n in 0..7 {
            let number = format!("20{n}");
            let (status, _) = app
                .post("/v1/extensions", json!({"number": number, "name": format!("Ext {n}"), "password": "abcdefgh"}))
                .await;
            assert_eq!(status, 201);
        }
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/v1/extensions?limit=3&cursor={c}"),
                None => "/v1/extensions?limit=3".to_owned(),
            };
            let (status, page) = app.get(&path).await;
            assert_eq!(status, 200, "{page}");
            let data = page["data"].as_array().unwrap();
            assert!(data.len() <= 3);
            seen.extend(data.iter().map(|e| e["number"].as_str().unwrap().to_owned()));
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        assert_eq!(seen, (0..7).map(|n| format!("20{n}")).collect::<Vec<_>>());
        for bad in ["/v1/extensions?limit=0", "/v1/extensions?limit=5000", "/v1/extensions?limit=x", "/v1/extensions?cursor=***"] {
            let (status, body) = app.get(bad).await;
            assert_eq!(status, 400, "{bad}");
            assert_eq!(error_of(&body).0, "bad_request");
        }
    }

    async fn data_survives_a_restart(app) {
        let mut app = app;
        let (_, created) = app.post("/v1/extensions", djaouad()).await;
        app.restart().await;
        let (status, got) = app.get("/v1/extensions/58101").await;
        assert_eq!(status, 200);
        assert_eq!(got, created);
    }
}
