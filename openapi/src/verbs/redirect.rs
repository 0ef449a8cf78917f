//! `redirect`: continue with the document at another URL.

use super::WebhookUrl;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Fetches the document at `url`; it replaces the rest of the current one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"verb": "redirect", "url": "/ivr/main"}))]
pub struct Redirect {
    pub url: WebhookUrl,
}
