//! Request extractors whose rejections use the API's error body: JSON bodies (with the
//! failing field named), query strings, list paging, and the client's address.

use crate::error::ApiError;
use crate::storage::PageRequest;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use contract::models::ListParams;
use serde::de::DeserializeOwned;

/// A JSON request body. Malformed JSON is a 400; a well-formed body with a bad field is a
/// 422 whose `field` is the path to it (`dial_patterns[0].match_pattern`).
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                let mime = ct
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                mime == "application/json" || mime.ends_with("+json")
            });
        if !is_json {
            return Err(ApiError::unsupported_media_type(
                "expected a JSON body with 'Content-Type: application/json'",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|r| body_rejection(&r))?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// Parses a JSON body, turning serde's error into a 400 or a field-named 422.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let message = strip_position(&inner.to_string());
        match inner.classify() {
            serde_json::error::Category::Data => {
                let field = field_of(&path, &message);
                ApiError::invalid(field, message)
            }
            _ => ApiError::bad_request(format!("malformed JSON: {message}")),
        }
    })
}

/// serde_json appends " at line L column C"; the field name says more.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// The field a data error is about. serde reports a missing field against its parent
/// object, so its name is taken from the message; other errors (an unknown field
/// included) carry the full path already.
fn field_of(path: &str, message: &str) -> String {
    let parent = if path == "." { "" } else { path };
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    match missing {
        Some(name) if parent.is_empty() => name.to_owned(),
        Some(name) => format!("{parent}.{name}"),
        None if parent.is_empty() => "body".to_owned(),
        None => parent.to_owned(),
    }
}

pub fn body_rejection(rejection: &BytesRejection) -> ApiError {
    if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            contract::ErrorCode::PayloadTooLarge,
            "the request body is larger than this endpoint accepts",
        )
    } else {
        ApiError::bad_request(format!("cannot read the request body: {rejection}"))
    }
}

/// Query parameters, with a 400 naming the parameter when one does not parse.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(Query)
            .map_err(|err| {
                let field = err.path().to_string();
                let message = err.into_inner().to_string();
                let e = ApiError::bad_request(format!("invalid query string: {message}"));
                if field == "." { e } else { e.at(field) }
            })
    }
}

/// Validates `limit` and decodes `cursor`.
pub fn page_request(params: &ListParams) -> Result<PageRequest, ApiError> {
    page_of(params.limit, params.cursor.as_deref())
}

pub fn page_of(limit: Option<u32>, cursor: Option<&str>) -> Result<PageRequest, ApiError> {
    let limit = limit.unwrap_or(50);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request("limit must be 1 to 1000").at("limit"));
    }
    let after = match cursor {
        None | Some("") => None,
        Some(c) => Some(decode_cursor(c).ok_or_else(|| {
            ApiError::bad_request("invalid cursor: pass back a next_cursor unchanged").at("cursor")
        })?),
    };
    Ok(PageRequest { limit, after })
}

pub fn encode_cursor(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(key)
}

fn decode_cursor(cursor: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use contract::models::ExtensionCreate;

    #[test]
    fn errors_name_the_field() {
        let e =
            parse_json::<ExtensionCreate>(br#"{"number":"1a","name":"x","password":"abcdefgh"}"#)
                .unwrap_err();
        assert_eq!(e.code, contract::ErrorCode::ValidationFailed);
        assert_eq!(e.field.as_deref(), Some("number"));
        assert_eq!(e.message, "must be 2 to 15 digits (0-9)");

        let e =
            parse_json::<ExtensionCreate>(br#"{"name":"x","password":"abcdefgh"}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("number"));

        let e = parse_json::<ExtensionCreate>(
            br#"{"number":"101","name":"x","password":"abcdefgh","ringtime":3}"#,
        )
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("ringtime"));

        let e = parse_json::<ExtensionCreate>(
            br#"{"number":"101","name":"x","password":"abcdefgh","voicemail":{"pin":"12"}}"#,
        )
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("voicemail.pin"));

        let e = parse_json::<ExtensionCreate>(br#"{"number":"#).unwrap_err();
        assert_eq!(e.code, contract::ErrorCode::BadRequest);
    }

    #[test]
    fn cursors_round_trip_and_limits_are_checked() {
        let c = encode_cursor("+3223");
        assert_eq!(
            page_of(None, Some(&c)).unwrap().after.as_deref(),
            Some("+3223")
        );
        assert!(page_of(Some(0), None).is_err());
        assert!(page_of(Some(1001), None).is_err());
        assert!(page_of(None, Some("!!")).is_err());
    }
}

/// The address the request came from, when the server was started with it (the served
/// router always is; a router driven in-process is not).
pub fn client_ip(parts: &Parts) -> Option<std::net::IpAddr> {
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip())
}

/// A path parameter that does not parse (`/apps/feature/daynight/x` for a number) is a
/// 400 with the error body, like every other refusal.
#[derive(Debug)]
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Self(p.0))
            .map_err(|e| ApiError::bad_request(e.body_text()))
    }
}

/// [`client_ip`] as an extractor.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(client_ip(parts)))
    }
}
