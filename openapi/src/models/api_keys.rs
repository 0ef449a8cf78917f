//! API keys and the tokens they exchange for.

use super::common::page;
use crate::types::{ApiKeyId, DisplayName};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including managing API keys.
    #[default]
    Admin,
    /// Read everything except API keys; change nothing (and place no call).
    ReadOnly,
    /// Place, steer and read calls (`/v1/calls`), nothing else: what a notification
    /// script needs, and no more.
    Calls,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::ReadOnly => "read_only",
            Self::Calls => "calls",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(Self::Admin),
            "read_only" => Some(Self::ReadOnly),
            "calls" => Some(Self::Calls),
            _ => None,
        }
    }
}

/// Body of `POST /v1/api-keys`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "provisioning script", "role": "admin"}))]
pub struct ApiKeyCreate {
    /// What the key is for.
    pub name: DisplayName,
    #[serde(default)]
    pub role: Role,
}

/// An API key (without its secret).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct ApiKey {
    pub key_id: ApiKeyId,
    #[schema(example = "provisioning script")]
    pub name: String,
    pub role: Role,
    #[schema(format = DateTime, example = "2026-11-26T14:00:00.000Z")]
    pub created_at: String,
    /// When the key was revoked; null while it is active.
    #[schema(format = DateTime)]
    pub revoked_at: Option<String>,
}

/// A new API key, with its secret. The secret is shown only in this answer; only a hash
/// is stored.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct ApiKeyCreated {
    #[serde(flatten)]
    pub key: ApiKey,
    /// The secret. Use `key_id:secret` as HTTP Basic credentials, or exchange it for a
    /// token at `POST /v1/auth/token`.
    #[schema(example = "7Nq2mZ5cV1xR8tK3wH6pL9sD4fG0jB2y")]
    pub secret: String,
}

page!(ApiKeyList, ApiKey, "API keys");

/// Body of `POST /v1/auth/token`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"key_id": "SK0f1e2d3c4b5a69788796a5b4c3d2e1f0", "secret": "7Nq2mZ5cV1xR8tK3wH6pL9sD4fG0jB2y"}))]
pub struct TokenRequest {
    #[schema(example = "SK0f1e2d3c4b5a69788796a5b4c3d2e1f0")]
    pub key_id: String,
    #[schema(example = "7Nq2mZ5cV1xR8tK3wH6pL9sD4fG0jB2y")]
    pub secret: String,
}

/// A short-lived bearer token (a JWT): send it as `Authorization: Bearer <access_token>`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds until the token expires.
    #[schema(example = 3600)]
    pub expires_in: u64,
    #[schema(format = DateTime)]
    pub expires_at: String,
}
