//! Applications: the webhooks that drive calls.

use super::common::page;
use crate::types::{ApplicationId, DisplayName, HttpUrl, Patch};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// HTTP method used to fetch a webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum WebhookMethod {
    #[default]
    Post,
    Get,
}

impl WebhookMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Post => "POST",
            Self::Get => "GET",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "POST" => Some(Self::Post),
            "GET" => Some(Self::Get),
            _ => None,
        }
    }
}

/// Body of `POST /v1/applications`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Reception",
    "voice_url": "https://app.example.com/voice",
    "status_callback": "https://app.example.com/status",
    "fallback_url": "https://backup.example.com/voice"
}))]
pub struct ApplicationCreate {
    pub name: DisplayName,
    /// Fetched when a call reaches the application; answers with a verb document.
    pub voice_url: HttpUrl,
    /// Default `POST`.
    #[serde(default)]
    pub voice_method: WebhookMethod,
    /// Receives call status events.
    #[serde(default)]
    pub status_callback: Option<HttpUrl>,
    /// Fetched when `voice_url` fails.
    #[serde(default)]
    pub fallback_url: Option<HttpUrl>,
}

/// Body of `PATCH /v1/applications/{id}`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"voice_url": "https://app.example.com/v2/voice", "fallback_url": null}))]
pub struct ApplicationUpdate {
    #[serde(default)]
    pub name: Option<DisplayName>,
    #[serde(default)]
    pub voice_url: Option<HttpUrl>,
    #[serde(default)]
    pub voice_method: Option<WebhookMethod>,
    #[serde(default)]
    #[schema(value_type = Option<HttpUrl>)]
    pub status_callback: Patch<HttpUrl>,
    #[serde(default)]
    #[schema(value_type = Option<HttpUrl>)]
    pub fallback_url: Patch<HttpUrl>,
}

/// An application as returned (without its signing secret).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct Application {
    pub id: ApplicationId,
    pub name: DisplayName,
    pub voice_url: HttpUrl,
    pub voice_method: WebhookMethod,
    pub status_callback: Option<HttpUrl>,
    pub fallback_url: Option<HttpUrl>,
    #[schema(format = DateTime, example = "2026-11-26T14:00:00.000Z")]
    pub created_at: String,
    #[schema(format = DateTime, example = "2026-11-26T14:00:00.000Z")]
    pub updated_at: String,
}

/// An application with its signing secret, returned only when the application is created
/// and when its secret is rotated. Webhook requests carry
/// `Switchboard-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct ApplicationWithSecret {
    #[serde(flatten)]
    pub application: Application,
    #[schema(example = "whsec_3b8f0c6d1e2a4f5b7c9d0e1f2a3b4c5d6e7f8a9b")]
    pub signing_secret: String,
}

page!(ApplicationList, Application, "applications");
