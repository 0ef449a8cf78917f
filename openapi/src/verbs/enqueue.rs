//! `enqueue`: put the caller in a FIFO queue until someone dials it.

use super::WebhookUrl;
use crate::types::ResourceName;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Puts the caller in `queue`. While waiting, the caller hears the document returned by
/// `wait_url`, repeated (default: silence). A `dial` with a `queue` target takes the
/// caller who has waited longest. When the caller leaves the queue (bridged call over,
/// `leave`), `action` receives the outcome and `queue_time`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"verb": "enqueue", "queue": "support", "wait_url": "/hold-music"}))]
pub struct Enqueue {
    pub queue: ResourceName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_url: Option<WebhookUrl>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<WebhookUrl>,
}
