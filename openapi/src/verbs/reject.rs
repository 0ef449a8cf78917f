//! `reject`: refuse a call that has not been answered.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The SIP answer a rejected caller gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// 486 Busy Here.
    Busy,
    /// 480 Temporarily Unavailable: nobody answered (the call's status is `no-answer`).
    Unavailable,
    /// 603 Decline.
    #[default]
    Rejected,
}

/// Refuses the call without answering it. After the call was answered (by an earlier
/// verb), it hangs up instead.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"verb": "reject", "reason": "busy"}))]
pub struct Reject {
    #[serde(default)]
    pub reason: RejectReason,
}
