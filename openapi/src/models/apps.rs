//! The built-in PBX apps, as `GET /v1/apps` lists them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One built-in app.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct BuiltinApp {
    /// The destination kind it answers for (`ivr`), or `feature` for feature codes.
    pub kind: String,
    /// Its URL pattern (`/apps/ivr/{name}`).
    pub url: String,
    pub description: String,
}

/// `GET /v1/apps`: where the built-in apps answer, the secret their requests are signed
/// with, and the different secret requests to `url:` destinations are signed with.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[schema(example = json!({
    "base_url": "http://127.0.0.1:8080/apps/",
    "signing_secret": "whsec_…",
    "url_destinations_signing_secret": "whsec_…",
    "apps": [{"kind": "ivr", "url": "/apps/ivr/{name}", "description": "An IVR's menu."}]
}))]
pub struct BuiltinApps {
    pub base_url: String,
    /// Signs the requests to the built-in apps (keep it to the server).
    pub signing_secret: String,
    /// Signs the requests to `url:` destinations: give it to whoever runs them.
    pub url_destinations_signing_secret: String,
    pub apps: Vec<BuiltinApp>,
}
