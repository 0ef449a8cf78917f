//! `redirect`: continue with the document at another URL, or hand the call to a
//! destination (a built-in PBX app, another application).

use super::{FieldError, WebhookUrl};
use crate::types::Destination;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Fetches the document at `url`; it replaces the rest of the current one. With
/// `destination` instead, the call goes where a PBX setting would send it
/// (`ivr:VoicemailCenter`, `ringgroup:301`, `app:AP…`, `hangup`…): the application
/// answering there drives the call from then on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"verb": "redirect", "url": "/ivr/main"}))]
pub struct Redirect {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<WebhookUrl>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<Destination>,
}

impl Redirect {
    pub(crate) fn validate(&self) -> Result<(), FieldError> {
        match (&self.url, &self.destination) {
            (Some(_), Some(_)) => Err(FieldError::new(
                "destination",
                "give either url or destination, not both",
            )),
            (None, None) => Err(FieldError::new("url", "is required (or give destination)")),
            _ => Ok(()),
        }
    }
}
