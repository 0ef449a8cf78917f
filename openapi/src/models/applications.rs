//! Applications: the webhooks that drive calls.

use super::common::page;
use crate::types::{ApplicationId, DisplayName, HttpUrl, InvalidValue, Patch};
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

/// When a failed webhook request is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RetryOn {
    /// Only when no answer came (connection refused or reset, timeout).
    Network,
    /// Also on 5xx and 429 answers.
    #[default]
    #[serde(rename = "network_and_5xx")]
    NetworkAnd5xx,
}

impl RetryOn {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Network => "network",
            Self::NetworkAnd5xx => "network_and_5xx",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "network" => Some(Self::Network),
            "network_and_5xx" => Some(Self::NetworkAnd5xx),
            _ => None,
        }
    }
}

/// How an application's webhooks are requested: timeouts and retries per URL (the
/// `fallback_url` gets the same). Every field has a default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(try_from = "WebhookSettingsInput")]
pub struct WebhookSettings {
    /// Milliseconds to connect, 100 to 10000. Default 2000.
    pub connect_timeout_ms: u32,
    /// Milliseconds from request sent to answer received, 100 to 60000. Default 5000.
    pub read_timeout_ms: u32,
    /// Attempts after the first, 0 to 5. Default 1.
    pub retries: u32,
    /// Default `network_and_5xx`.
    pub retry_on: RetryOn,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            connect_timeout_ms: 2000,
            read_timeout_ms: 5000,
            retries: 1,
            retry_on: RetryOn::NetworkAnd5xx,
        }
    }
}

/// [`WebhookSettings`] as sent: absent fields keep their current (or default) value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettingsInput {
    #[serde(default)]
    pub connect_timeout_ms: Option<u32>,
    #[serde(default)]
    pub read_timeout_ms: Option<u32>,
    #[serde(default)]
    pub retries: Option<u32>,
    #[serde(default)]
    pub retry_on: Option<RetryOn>,
}

impl WebhookSettingsInput {
    /// These changes over `base`, checked.
    pub fn apply(self, base: WebhookSettings) -> Result<WebhookSettings, InvalidValue> {
        let check = |name: &str, v: u32, min: u32, max: u32| {
            if (min..=max).contains(&v) {
                Ok(v)
            } else {
                Err(InvalidValue(format!(
                    "{name} must be {min} to {max} (got {v})"
                )))
            }
        };
        Ok(WebhookSettings {
            connect_timeout_ms: check(
                "connect_timeout_ms",
                self.connect_timeout_ms.unwrap_or(base.connect_timeout_ms),
                100,
                10_000,
            )?,
            read_timeout_ms: check(
                "read_timeout_ms",
                self.read_timeout_ms.unwrap_or(base.read_timeout_ms),
                100,
                60_000,
            )?,
            retries: check("retries", self.retries.unwrap_or(base.retries), 0, 5)?,
            retry_on: self.retry_on.unwrap_or(base.retry_on),
        })
    }
}

impl TryFrom<WebhookSettingsInput> for WebhookSettings {
    type Error = InvalidValue;
    fn try_from(input: WebhookSettingsInput) -> Result<Self, InvalidValue> {
        input.apply(WebhookSettings::default())
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
    /// Timeouts and retries (defaults when absent).
    #[serde(default)]
    pub webhook: WebhookSettings,
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
    /// Changes to the timeouts and retries (absent fields kept).
    #[serde(default)]
    pub webhook: Option<WebhookSettingsInput>,
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
    pub webhook: WebhookSettings,
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
