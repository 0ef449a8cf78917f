//! Verbs without attributes.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Ends the call.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"verb": "hangup"}))]
pub struct Hangup {}

/// Takes the caller out of the queue it waits in; the call continues after its `enqueue`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"verb": "leave"}))]
pub struct Leave {}
