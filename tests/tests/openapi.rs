//! The OpenAPI document: committed, served, complete, implemented; the docs page works
//! offline.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use reqwest::Method;
use switchboard_tests::{Backend, TestApp};

const COMMITTED: &str = include_str!("../../openapi/openapi.json");

#[tokio::test]
async fn served_document_is_the_committed_one() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let response = app
        .client
        .get(format!("{}/openapi.json", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "served without credentials");
    assert_eq!(response.headers()["content-type"], "application/json");
    let served = response.text().await.unwrap();
    assert!(
        served == COMMITTED,
        "openapi/openapi.json is stale: regenerate it with \
         `cargo run -p switchboard-api -- openapi > openapi/openapi.json`"
    );
}

#[tokio::test]
async fn document_covers_auth_errors_and_examples() {
    let doc: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["basic"]["scheme"], "basic");
    assert!(doc["components"]["schemas"]["ErrorBody"]["example"].is_object());
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            let needs_auth = !(path == "/health" || path == "/v1/auth/token");
            if needs_auth {
                assert!(
                    responses.contains_key("401"),
                    "{method} {path} documents 401"
                );
            } else {
                assert_eq!(
                    op["security"],
                    serde_json::json!([{}]),
                    "{method} {path} needs no auth"
                );
            }
            assert!(
                responses
                    .keys()
                    .any(|s| s.starts_with('4') || s.starts_with('5')),
                "{method} {path} documents its errors"
            );
            if let Some(body) = op.get("requestBody") {
                if let Some(reference) =
                    body["content"]["application/json"]["schema"]["$ref"].as_str()
                {
                    let name = reference.rsplit('/').next().unwrap();
                    assert!(
                        doc["components"]["schemas"][name]["example"].is_object(),
                        "{method} {path}: request body {name} has an example"
                    );
                } else {
                    assert!(body["content"].is_object(), "{method} {path}");
                }
            }
        }
    }
}

/// Every documented operation answers (with something other than the 404/405 of an
/// unknown route), so the document does not promise what the server lacks.
#[tokio::test]
async fn every_documented_operation_is_implemented() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let doc: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    let mut count = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let concrete = path
            .replace("{number}", "101")
            .replace("{name}", "x")
            .replace("{id}", "x")
            .replace("{key_id}", "x");
        for method in item.as_object().unwrap().keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let response = app
                .req(method.clone(), &concrete)
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            // Not every answer is JSON (/metrics, audio): only errors must be.
            let body: serde_json::Value =
                serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
            let unknown_route = body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("no route"));
            assert!(
                status != 405 && !unknown_route,
                "{method} {path} is documented but not served ({status}: {body})"
            );
            count += 1;
        }
    }
    assert!(count >= 38, "{count} operations");
}

#[tokio::test]
async fn docs_page_is_served_from_the_binary() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let page = app
        .client
        .get(format!("{}/docs/", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    for asset in [
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-initializer.js",
    ] {
        let r = app
            .client
            .get(format!("{}/docs/{asset}", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{asset} is bundled");
        let text = r.text().await.unwrap();
        assert!(text.len() > 100, "{asset}");
        if asset == "swagger-initializer.js" {
            assert!(
                text.contains("/openapi.json"),
                "the page reads our document: {text}"
            );
        }
    }
    let redirect = switchboard_tests::http_client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/docs", app.url))
        .send()
        .await
        .unwrap();
    assert!(redirect.status().is_redirection());
    let root = switchboard_tests::http_client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/", app.url))
        .send()
        .await
        .unwrap();
    assert!(root.status().is_redirection(), "/ leads to the docs");
    assert_eq!(root.headers()["location"], "/docs/");
}

/// What the document says of JSON bodies is what the server does: every `/v1`
/// operation that takes one answers a request without it (no body, no content type)
/// with the documented 415 and the error body — and one with a bad query parameter
/// with the documented 400, naming the parameter.
#[tokio::test]
async fn a_missing_json_body_gets_the_documented_415_and_a_bad_query_the_documented_400() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let doc: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/v1/") {
            continue;
        }
        for (method, operation) in item.as_object().unwrap() {
            if operation["requestBody"]["content"]["application/json"].is_null() {
                continue;
            }
            assert!(
                operation["responses"]["415"].is_object(),
                "{method} {path}: 415 not documented"
            );
            // Path parameters that parse as numbers and as names alike.
            let concrete: String = path
                .split('/')
                .map(|s| if s.starts_with('{') { "0" } else { s })
                .collect::<Vec<_>>()
                .join("/");
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let (status, body) = app.send(app.req(method.clone(), &concrete)).await;
            assert_eq!(status, 415, "{method} {path}: {body}");
            assert_eq!(
                body["error"]["code"], "unsupported_media_type",
                "{method} {path}: {body}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 30, "{checked} operations with a JSON body");
    for query in [
        "started_from=",
        "started_from=yesterday",
        "started_before=",
        "limit=abc",
    ] {
        let (status, body) = app.get(&format!("/v1/calls?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        let operation = &doc["paths"]["/v1/calls"]["get"]["responses"];
        assert!(operation["400"].is_object(), "400 documented");
    }
}
