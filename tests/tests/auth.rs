//! API keys, tokens, roles: 401 for missing, wrong, expired or revoked credentials, 403
//! for a role that may not, 429 for an address that guessed too often, always with the
//! uniform error body.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use reqwest::Method;
use serde_json::json;
use switchboard_tests::{Backend, TestApp, both_backends, error_of};

async fn status_with_basic(app: &TestApp, key_id: &str, secret: &str) -> (u16, serde_json::Value) {
    app.send(
        app.client
            .get(format!("{}/v1/extensions", app.url))
            .basic_auth(key_id, Some(secret)),
    )
    .await
}

async fn status_with_bearer(app: &TestApp, token: &str) -> (u16, serde_json::Value) {
    app.send(
        app.client
            .get(format!("{}/v1/extensions", app.url))
            .bearer_auth(token),
    )
    .await
}

async fn token(app: &TestApp, key_id: &str, secret: &str) -> (u16, serde_json::Value) {
    app.send(
        app.client
            .post(format!("{}/v1/auth/token", app.url))
            .json(&json!({"key_id": key_id, "secret": secret})),
    )
    .await
}

both_backends! {
    async fn missing_or_malformed_credentials_are_401(app) {
        let (status, body) = app.send(app.client.get(format!("{}/v1/extensions", app.url))).await;
        assert_eq!(status, 401);
        assert_eq!(error_of(&body).0, "unauthorized");
        for header in ["Basic !!!notbase64", "Digest abc", "Bearer", "Basic Zm9v"] {
            let (status, body) = app
                .send(app.client.get(format!("{}/v1/extensions", app.url)).header("authorization", header))
                .await;
            assert_eq!(status, 401, "{header}");
            assert_eq!(error_of(&body).0, "unauthorized");
        }
        let response = app.client.get(format!("{}/v1/extensions", app.url)).send().await.unwrap();
        assert!(response.headers().get("www-authenticate").is_some());
    }

    async fn wrong_secret_and_unknown_key_get_the_same_answer(app) {
        let (s1, wrong) = status_with_basic(&app, &app.key_id, "not-the-secret").await;
        let (s2, unknown) = status_with_basic(&app, "SK00000000000000000000000000000000", "whatever").await;
        assert_eq!((s1, s2), (401, 401));
        assert_eq!(wrong, unknown, "no way to tell which key ids exist");
        let (s3, _) = token(&app, &app.key_id, "not-the-secret").await;
        assert_eq!(s3, 401);
    }

    async fn basic_and_bearer_both_work(app) {
        assert_eq!(status_with_basic(&app, &app.key_id, &app.secret).await.0, 200);
        let (status, t) = token(&app, &app.key_id, &app.secret).await;
        assert_eq!(status, 200, "{t}");
        assert_eq!(t["token_type"], "Bearer");
        assert_eq!(t["expires_in"], 3600);
        let access = t["access_token"].as_str().unwrap();
        assert_eq!(status_with_bearer(&app, access).await.0, 200);
        // A tampered token is refused.
        let mut tampered = access.to_owned();
        tampered.pop();
        tampered.push(if access.ends_with('A') { 'B' } else { 'A' });
        let (status, body) = status_with_bearer(&app, &tampered).await;
        assert_eq!(status, 401);
        assert_eq!(error_of(&body).0, "unauthorized");
        assert_eq!(status_with_bearer(&app, "not.a.jwt").await.0, 401);
    }

    async fn created_keys_show_their_secret_once_and_revocation_is_immediate(app) {
        let (status, created) = app.post("/v1/api-keys", json!({"name": "script"})).await;
        assert_eq!(status, 201, "{created}");
        let key_id = created["key_id"].as_str().unwrap().to_owned();
        let secret = created["secret"].as_str().unwrap().to_owned();
        assert_eq!(created["role"], "admin");
        assert!(created["revoked_at"].is_null());

        let (_, one) = app.get(&format!("/v1/api-keys/{key_id}")).await;
        assert!(one.get("secret").is_none(), "secret shown once: {one}");
        let (_, list) = app.get("/v1/api-keys").await;
        assert!(!list.to_string().contains(&secret), "the list never shows secrets");
        assert_eq!(list["data"].as_array().unwrap().len(), 2);

        assert_eq!(status_with_basic(&app, &key_id, &secret).await.0, 200);
        let (_, t) = token(&app, &key_id, &secret).await;
        let access = t["access_token"].as_str().unwrap().to_owned();
        assert_eq!(status_with_bearer(&app, &access).await.0, 200);

        let (status, revoked) = app.delete(&format!("/v1/api-keys/{key_id}")).await;
        assert_eq!(status, 200, "{revoked}");
        assert!(revoked["revoked_at"].is_string());
        let (status, body) = status_with_basic(&app, &key_id, &secret).await;
        assert_eq!(status, 401, "revoked key");
        assert_eq!(error_of(&body).0, "unauthorized");
        assert_eq!(status_with_bearer(&app, &access).await.0, 401, "token of a revoked key");
        assert_eq!(token(&app, &key_id, &secret).await.0, 401);
        // Revoking again is harmless; an unknown key is a 404.
        assert_eq!(app.delete(&format!("/v1/api-keys/{key_id}")).await.0, 200);
        let (status, body) = app.delete("/v1/api-keys/SK11111111111111111111111111111111").await;
        assert_eq!(status, 404);
        assert_eq!(error_of(&body).0, "not_found");
    }

    async fn the_last_admin_key_cannot_be_revoked(app) {
        let (status, body) = app.delete(&format!("/v1/api-keys/{}", app.key_id)).await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(error_of(&body).0, "conflict");
        assert_eq!(status_with_basic(&app, &app.key_id, &app.secret).await.0, 200);
    }

    async fn read_only_keys_read_but_cannot_write(app) {
        let (_, created) = app.post("/v1/api-keys", json!({"name": "dashboard", "role": "read_only"})).await;
        let key_id = created["key_id"].as_str().unwrap();
        let secret = created["secret"].as_str().unwrap();
        let as_reader = |method: Method, path: &str| {
            app.client
                .request(method, format!("{}{path}", app.url))
                .basic_auth(key_id, Some(secret))
        };
        assert_eq!(app.send(as_reader(Method::GET, "/v1/extensions")).await.0, 200);
        let (status, body) = app
            .send(as_reader(Method::POST, "/v1/extensions").json(&json!({
                "number": "101", "name": "A", "password": "abcdefgh1"
            })))
            .await;
        assert_eq!(status, 403);
        assert_eq!(error_of(&body).0, "forbidden");
        let (status, _) = app.send(as_reader(Method::GET, "/v1/api-keys")).await;
        assert_eq!(status, 403, "API keys are for admins only");
        assert_eq!(app.get("/v1/extensions/101").await.0, 404, "nothing was created");
    }

    async fn calls_keys_place_calls_and_nothing_else_and_read_only_keys_place_none(app) {
        app.post("/v1/extensions", json!({"number": "101", "name": "A", "password": "abcdefgh1"})).await;
        let key = |role: &'static str| {
            let app = &app;
            async move {
                let (status, created) = app.post("/v1/api-keys", json!({"name": role, "role": role})).await;
                assert_eq!(status, 201, "{created}");
                assert_eq!(created["role"], role);
                (created["key_id"].as_str().unwrap().to_owned(), created["secret"].as_str().unwrap().to_owned())
            }
        };
        let as_key = |(key_id, secret): &(String, String), method: Method, path: &str| {
            app.client
                .request(method, format!("{}{path}", app.url))
                .basic_auth(key_id, Some(secret))
        };
        let call = json!({"from": "5000", "to": "101", "verbs": [{"verb": "hangup"}]});
        // read_only places no call (it could before: a way around "change nothing").
        let reader = key("read_only").await;
        let (status, body) = app.send(as_key(&reader, Method::POST, "/v1/calls").json(&call)).await;
        assert_eq!((status, error_of(&body).0.as_str()), (403, "forbidden"), "{body}");
        assert_eq!(app.get("/v1/calls").await.1["data"].as_array().unwrap().len(), 0);
        // calls: places, reads and steers calls…
        let dialer = key("calls").await;
        let (status, placed) = app.send(as_key(&dialer, Method::POST, "/v1/calls").json(&call)).await;
        assert_eq!(status, 201, "{placed}");
        let sid = placed["sid"].as_str().unwrap();
        assert_eq!(app.send(as_key(&dialer, Method::GET, "/v1/calls")).await.0, 200);
        assert_eq!(app.send(as_key(&dialer, Method::GET, &format!("/v1/calls/{sid}"))).await.0, 200);
        let (status, body) = app
            .send(as_key(&dialer, Method::POST, &format!("/v1/calls/{sid}")).json(&json!({"status": "completed"})))
            .await;
        assert_ne!(status, 403, "a calls key steers calls: {body}");
        // …and nothing else, with a token too.
        for (method, path) in [
            (Method::GET, "/v1/extensions"),
            (Method::PATCH, "/v1/extensions/101"),
            (Method::GET, "/v1/trunks"),
            (Method::POST, "/v1/trunks"),
            (Method::GET, "/v1/api-keys"),
            (Method::GET, "/v1/apps"),
        ] {
            let (status, body) = app.send(as_key(&dialer, method.clone(), path).json(&json!({}))).await;
            assert_eq!((status, error_of(&body).0.as_str()), (403, "forbidden"), "{method} {path}: {body}");
        }
        let (status, issued) = token(&app, &dialer.0, &dialer.1).await;
        assert_eq!(status, 200, "{issued}");
        let (status, _) = app
            .send(app.client.get(format!("{}/v1/trunks", app.url)).bearer_auth(issued["access_token"].as_str().unwrap()))
            .await;
        assert_eq!(status, 403);
    }

    async fn a_token_with_another_algorithm_is_refused(app) {
        let (_, issued) = token(&app, &app.key_id, &app.secret).await;
        let good = issued["access_token"].as_str().unwrap();
        assert_eq!(status_with_bearer(&app, good).await.0, 200);
        let (_, rest) = good.split_once('.').unwrap();
        let (claims, signature) = rest.split_once('.').unwrap();
        // {"alg":"none","typ":"JWT"} and {"alg":"HS512","typ":"JWT"}, on valid claims.
        let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{claims}.");
        let other_alg = format!("eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.{claims}.{signature}");
        for forged in [unsigned, other_alg] {
            let (status, body) = status_with_bearer(&app, &forged).await;
            assert_eq!((status, error_of(&body).0.as_str()), (401, "unauthorized"), "{forged}: {body}");
        }
    }

    async fn bad_api_key_bodies_are_rejected(app) {
        let (status, body) = app.post("/v1/api-keys", json!({"name": "x", "role": "root"})).await;
        assert_eq!(status, 422);
        assert_eq!(error_of(&body), ("validation_failed".into(), Some("role".into())));
        let (status, body) = app.post("/v1/api-keys", json!({})).await;
        assert_eq!(status, 422);
        assert_eq!(error_of(&body).1.as_deref(), Some("name"));
    }
}

/// Tokens expire: with a one-second lifetime, a token is refused two seconds later.
#[tokio::test]
async fn expired_tokens_are_401() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[("SWITCHBOARD_TOKEN_TTL", "1".to_owned())],
    )
    .await;
    let (_, t) = token(&app, &app.key_id, &app.secret).await;
    assert_eq!(t["expires_in"], 1);
    let access = t["access_token"].as_str().unwrap().to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let (status, body) = status_with_bearer(&app, &access).await;
    assert_eq!(status, 401);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{body}"
    );
}

/// Guessing is limited per address: after 3 wrong secrets (Basic, token exchange, forged
/// token alike) the address gets 429 with Retry-After — even with the right secret —
/// while another address and requests without credentials are unaffected.
#[tokio::test]
async fn an_address_guessing_secrets_is_blocked_with_429() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[
            ("SWITCHBOARD_API_AUTH_MAX_FAILURES", "3".to_owned()),
            ("SWITCHBOARD_AUTH_BLOCK_SECONDS", "120".to_owned()),
        ],
    )
    .await;
    for _ in 0..5 {
        let (status, _) = app
            .send(app.client.get(format!("{}/v1/extensions", app.url)))
            .await;
        assert_eq!(status, 401, "no credentials is no guess");
    }
    assert_eq!(
        status_with_basic(&app, &app.key_id, "wrong-secret-1")
            .await
            .0,
        401
    );
    assert_eq!(token(&app, &app.key_id, "wrong-secret-2").await.0, 401);
    // The third guess blocks the address, and says so.
    assert_eq!(status_with_bearer(&app, "forged.token.here").await.0, 429);
    // Blocked now, whatever it sends.
    let response = app
        .client
        .get(format!("{}/v1/extensions", app.url))
        .basic_auth(&app.key_id, Some(&app.secret))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (100..=120).contains(&retry_after),
        "Retry-After {retry_after}"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error_of(&body).0, "rate_limited", "{body}");
    assert_eq!(token(&app, &app.key_id, &app.secret).await.0, 429);
    // Another address is not.
    let elsewhere = switchboard_tests::http_client_builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    let status = elsewhere
        .get(format!("{}/v1/extensions", app.url))
        .basic_auth(&app.key_id, Some(&app.secret))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 200, "another address is not blocked");
    assert!(
        app.log().contains("too many failed API authentications"),
        "logged"
    );
}

/// A revocation made by another node sharing the database takes effect within the key
/// cache's lifetime (5 s) here.
#[tokio::test]
async fn revocation_reaches_other_nodes() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let (_, created) = app.post("/v1/api-keys", json!({"name": "shared"})).await;
    let key_id = created["key_id"].as_str().unwrap().to_owned();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert_eq!(status_with_basic(&app, &key_id, &secret).await.0, 200);
    // Revoke behind this node's back, as another node would.
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&app.db.url)
        .await
        .unwrap();
    sqlx::query("UPDATE api_keys SET revoked_at = '2026-01-01T00:00:00.000Z' WHERE key_id = $1")
        .bind(&key_id)
        .execute(&mut conn)
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5200)).await;
    assert_eq!(status_with_basic(&app, &key_id, &secret).await.0, 401);
}
