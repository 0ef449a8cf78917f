//! `pause`: silence for a while.

use super::play::one;
use super::{FieldError, in_range};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Waits `length` seconds (default 1, at most 600) with the line silent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"verb": "pause", "length": 2}))]
pub struct Pause {
    #[serde(default = "one")]
    pub length: u32,
}

impl Pause {
    pub(crate) fn validate(&self) -> Result<(), FieldError> {
        in_range("length", self.length, 1, 600)
    }
}
