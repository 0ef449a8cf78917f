//! `/v1/applications` and `/v1/numbers`.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use serde_json::json;
use switchboard_tests::{TestApp, both_backends, error_of};

async fn create_app(app: &TestApp) -> serde_json::Value {
    let (status, created) = app
        .post(
            "/v1/applications",
            json!({
                "name": "Reception",
                "voice_url": "https://app.example.com/voice",
                "status_callback": "https://app.example.com/status"
            }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    created
}

both_backends! {
    async fn webhook_timeouts_and_retries_have_defaults_and_limits(app) {
        let created = create_app(&app).await;
        let id = created["id"].as_str().unwrap().to_owned();
        assert_eq!(
            created["webhook"],
            json!({"connect_timeout_ms": 2000, "read_timeout_ms": 5000, "retries": 1, "retry_on": "network_and_5xx"})
        );
        let (status, updated) = app
            .patch(&format!("/v1/applications/{id}"), json!({"webhook": {"retries": 3, "retry_on": "network"}}))
            .await;
        assert_eq!(status, 200, "{updated}");
        assert_eq!(
            updated["webhook"],
            json!({"connect_timeout_ms": 2000, "read_timeout_ms": 5000, "retries": 3, "retry_on": "network"})
        );
        let (_, got) = app.get(&format!("/v1/applications/{id}")).await;
        assert_eq!(got["webhook"], updated["webhook"], "stored");
        let (status, body) = app
            .patch(&format!("/v1/applications/{id}"), json!({"webhook": {"retries": 9}}))
            .await;
        assert_eq!(status, 422, "{body}");
        let (code, field) = error_of(&body);
        assert_eq!((code.as_str(), field.as_deref()), ("validation_failed", Some("webhook")));
        assert!(body["error"]["message"].as_str().unwrap().contains("retries"), "{body}");
        let (status, body) = app
            .post(
                "/v1/applications",
                json!({"name": "Slow", "voice_url": "https://a.example/v", "webhook": {"read_timeout_ms": 50}}),
            )
            .await;
        assert_eq!(status, 422, "{body}");
        let (status, body) = app
            .post(
                "/v1/applications",
                json!({"name": "Typo", "voice_url": "https://a.example/v", "webhook": {"retry": 2}}),
            )
            .await;
        assert_eq!(status, 422, "{body}");
    }

    async fn applications_crud_and_secret_shown_once(app) {
        let created = create_app(&app).await;
        let id = created["id"].as_str().unwrap().to_owned();
        assert!(id.starts_with("AP") && id.len() == 34, "{id}");
        assert_eq!(created["voice_method"], "POST");
        assert!(created["fallback_url"].is_null());
        let secret = created["signing_secret"].as_str().unwrap().to_owned();
        assert!(secret.len() >= 32);

        let (status, got) = app.get(&format!("/v1/applications/{id}")).await;
        assert_eq!(status, 200);
        assert!(got.get("signing_secret").is_none(), "{got}");
        let (_, list) = app.get("/v1/applications").await;
        assert!(!list.to_string().contains(&secret));

        let (status, updated) = app
            .patch(&format!("/v1/applications/{id}"), json!({"voice_method": "GET", "fallback_url": "http://10.0.0.2:9000/fallback", "status_callback": null}))
            .await;
        assert_eq!(status, 200, "{updated}");
        assert_eq!(updated["voice_method"], "GET");
        assert_eq!(updated["fallback_url"], "http://10.0.0.2:9000/fallback");
        assert!(updated["status_callback"].is_null());

        let (status, rotated) = app.post(&format!("/v1/applications/{id}/signing-secret"), json!({})).await;
        assert_eq!(status, 200, "{rotated}");
        let new_secret = rotated["signing_secret"].as_str().unwrap();
        assert_ne!(new_secret, secret);

        assert_eq!(app.delete(&format!("/v1/applications/{id}")).await.0, 204);
        assert_eq!(app.get(&format!("/v1/applications/{id}")).await.0, 404);
    }

    async fn application_urls_are_validated(app) {
        for (body, field) in [
            (json!({"name": "x", "voice_url": "ftp://example.com/x"}), "voice_url"),
            (json!({"name": "x", "voice_url": "example.com/voice"}), "voice_url"),
            (json!({"name": "x", "voice_url": "https://a.example/v", "fallback_url": "nope"}), "fallback_url"),
            (json!({"name": "x", "voice_url": "https://a.example/v", "voice_method": "PUT"}), "voice_method"),
            (json!({"voice_url": "https://a.example/v"}), "name"),
        ] {
            let (status, err) = app.post("/v1/applications", body.clone()).await;
            assert_eq!(status, 422, "{body}");
            assert_eq!(error_of(&err), ("validation_failed".into(), Some(field.into())), "{body}");
        }
    }

    async fn numbers_route_to_destinations_or_applications(app) {
        let application = create_app(&app).await;
        let app_id = application["id"].as_str().unwrap();
        assert_eq!(app.post("/v1/extensions", json!({"number": "58101", "name": "D", "password": "abcdefgh"})).await.0, 201);

        let (status, n) = app.post("/v1/numbers", json!({"number": "+3223456789", "name": "Main", "destination": "extension:58101"})).await;
        assert_eq!(status, 201, "{n}");
        assert_eq!(n["destination"], "extension:58101");
        assert!(n["application_id"].is_null());
        assert_eq!(n["public"], false, "only identified callers, unless made public");

        let (status, n) = app.post("/v1/numbers", json!({"number": "3223456790", "application_id": app_id, "public": true})).await;
        assert_eq!(status, 201, "{n}");
        assert_eq!(n["public"], true);
        let (_, stored) = app.get("/v1/numbers/3223456790").await;
        assert_eq!(stored["public"], true, "{stored}");
        assert_eq!(n["destination"], format!("app:{app_id}"));
        assert_eq!(n["application_id"], app_id);

        // The + of an E.164 number travels in the path as %2B (or as is).
        let (status, got) = app.get("/v1/numbers/%2B3223456789").await;
        assert_eq!(status, 200, "{got}");
        assert_eq!(got["number"], "+3223456789");
        let (status, moved) = app.patch("/v1/numbers/%2B3223456789", json!({"application_id": app_id, "name": null})).await;
        assert_eq!(status, 200, "{moved}");
        assert_eq!(moved["destination"], format!("app:{app_id}"));
        assert!(moved["name"].is_null());

        // Both are routed to the application: it cannot be deleted.
        let (status, body) = app.delete(&format!("/v1/applications/{app_id}")).await;
        assert_eq!(status, 409, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("numbers/+3223456789"));

        let (status, body) = app.post("/v1/numbers", json!({"number": "+3223456789", "destination": "hangup"})).await;
        assert_eq!(status, 409);
        assert_eq!(error_of(&body), ("conflict".into(), Some("number".into())));

        let (_, list) = app.get("/v1/numbers").await;
        assert_eq!(list["data"].as_array().unwrap().len(), 2);
        assert_eq!(app.delete("/v1/numbers/%2B3223456789").await.0, 204);
        assert_eq!(app.delete("/v1/numbers/3223456790").await.0, 204);
        assert_eq!(app.delete(&format!("/v1/applications/{app_id}")).await.0, 204);
    }

    async fn number_routing_is_validated(app) {
        let app_id = "AP00000000000000000000000000000000";
        for (body, field) in [
            (json!({"number": "+32 2 345", "destination": "hangup"}), "number"),
            (json!({"number": "100"}), "destination"),
            (json!({"number": "100", "destination": "hangup", "application_id": app_id}), "application_id"),
            (json!({"number": "100", "application_id": app_id}), "application_id"),
            (json!({"number": "100", "application_id": "nope"}), "application_id"),
            (json!({"number": "100", "destination": "extension:101"}), "destination"),
            (json!({"number": "100", "destination": "voicemail:101"}), "destination"),
            (json!({"number": "100", "destination": "queue:support"}), "destination"),
            (json!({"number": "100", "destination": "daynight:1"}), "destination"),
            (json!({"number": "100", "destination": "timecondition:2"}), "destination"),
            (json!({"number": "100", "destination": "url:gopher://x"}), "destination"),
        ] {
            let (status, err) = app.post("/v1/numbers", body.clone()).await;
            assert_eq!(status, 422, "{body}: {err}");
            assert_eq!(error_of(&err), ("validation_failed".into(), Some(field.into())), "{body}");
        }
        for ok in ["hangup", "url:https://example.com/x", "number:0032223456789"] {
            let (status, n) = app.post("/v1/numbers", json!({"number": "100", "destination": ok})).await;
            assert_eq!(status, 201, "{ok}: {n}");
            assert_eq!(app.delete("/v1/numbers/100").await.0, 204);
        }
    }
}
