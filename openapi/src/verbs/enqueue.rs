//! `enqueue`: put the caller in a queue: a provisioned one served by its agents, or an
//! application's own FIFO until someone dials it.

use super::WebhookUrl;
use crate::types::ResourceName;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Puts the caller in `queue`. While waiting, the caller hears the document returned by
/// `wait_url`, repeated (default: silence).
///
/// A queue provisioned through `/v1/queues` offers the caller to its agents by its
/// strategy (the agents ring while the caller keeps hearing the wait audio), says its
/// position when set to, and may send it on: `action` then learns `reason` `timeout`
/// (max wait), `full`, `empty`, `key` (exit key) or `left`; the application's status
/// callback receives `queue.joined`, `queue.answered` and `queue.left` events.
///
/// Any other name is the application's own queue, kept by the node the call is on: a
/// `dial` with a `queue` target takes the caller who has waited longest.
///
/// When the caller leaves the queue (bridged call over, `leave`, or sent on), `action`
/// receives `reason` (`bridged`, `leave`, …) and `queue_time`.
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
