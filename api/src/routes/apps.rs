//! `GET /v1/apps`: where the built-in PBX apps answer, and their signing secret.

use crate::AppState;
use crate::auth::Admin;
use crate::error::ApiResult;
use axum::Json;
use axum::extract::State;
use contract::models::{BuiltinApp, BuiltinApps};

/// The built-in apps, as documented (`/apps/...`, also in the OpenAPI document).
const APPS: &[(&str, &str, &str)] = &[
    (
        "extension",
        "/apps/extension/{number}",
        "A call to an extension: its phones, then its busy or no-answer destination; follow-me when on.",
    ),
    (
        "ringgroup",
        "/apps/ringgroup/{number}",
        "A call to a ring group: its announcement, then its members by its strategy.",
    ),
    (
        "ivr",
        "/apps/ivr/{name}",
        "An IVR's menu, its options, invalid keys and silences.",
    ),
    (
        "daynight",
        "/apps/daynight/{index}",
        "A day/night switch: its day or night destination.",
    ),
    (
        "timecondition",
        "/apps/timecondition/{id}",
        "A time condition: its match or no-match destination.",
    ),
    (
        "voicemail",
        "/apps/voicemail/{mailbox}",
        "A message left in a mailbox.",
    ),
    (
        "number",
        "/apps/number/{number}",
        "A number dialled through the outbound routes.",
    ),
    ("hangup", "/apps/hangup", "The end of the call."),
    (
        "feature",
        "/apps/feature/followme",
        "*21: the caller's follow-me on or off.",
    ),
    (
        "feature",
        "/apps/feature/daynight/{index}",
        "*28<index>: a day/night switch toggled (PIN asked when set).",
    ),
    (
        "feature",
        "/apps/feature/timecondition/{id}",
        "*27<id>: a time condition overridden, or its override removed.",
    ),
    (
        "feature",
        "/apps/feature/voicemail",
        "*97: the caller's own voicemail (PIN asked when set).",
    ),
    (
        "feature",
        "/apps/feature/voicemail/other",
        "*98: any mailbox, with its number and PIN.",
    ),
];

pub async fn list(State(state): State<AppState>, Admin(_): Admin) -> ApiResult<Json<BuiltinApps>> {
    let link = state.store.apps();
    Ok(Json(BuiltinApps {
        base_url: link.base.to_string(),
        signing_secret: link.secret.clone(),
        url_destinations_signing_secret: link.url_secret.clone(),
        apps: APPS
            .iter()
            .map(|(kind, url, description)| BuiltinApp {
                kind: (*kind).to_owned(),
                url: (*url).to_owned(),
                description: (*description).to_owned(),
            })
            .collect(),
    }))
}
