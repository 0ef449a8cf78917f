//! `/apps/queue/{name}`: a call to a queue (its number, or a `queue:` destination). The
//! caller waits in the queue (`enqueue`): the engine offers it to the queue's agents by
//! the queue's strategy, plays `…/hold` (the queue's music, or ringing) in between and
//! its position now and then; `…/after` learns why it left (`reason`) and sends it to
//! the matching destination. `/apps/feature/queue-agent` is `*45`.

use super::{AppResult, Apps, Call, Document, go, missing, tell};
use crate::storage;
use axum::extract::{Path, State};
use contract::models::QueueCreate;
use serde_json::{Value, json};

/// Where the ringing tone waiting callers hear without music is served.
pub const RINGING_PATH: &str = "/apps/sounds/ringing.wav";

/// The document of a call joining `queue`.
pub fn join(queue: &QueueCreate) -> Value {
    let name = queue.name.as_str();
    json!([
        {"verb": "enqueue", "queue": name,
         "wait_url": format!("/apps/queue/{name}/hold"),
         "action": format!("/apps/queue/{name}/after")},
        {"verb": "hangup"},
    ])
}

/// What waiting callers hear, looped: the music, or ringing.
pub fn hold(queue: &QueueCreate) -> Value {
    match &queue.music {
        Some(music) => json!([{"verb": "play", "recording": music.as_str()}]),
        None => json!([{"verb": "play", "url": RINGING_PATH}]),
    }
}

/// Where a caller goes once out of the queue for `reason`.
pub fn after(queue: &QueueCreate, reason: &str) -> Value {
    let destination = match reason {
        "timeout" => queue.timeout_destination.as_ref(),
        "full" => queue.full_destination.as_ref(),
        "empty" => queue.empty_destination.as_ref(),
        "key" => queue.exit_destination.as_ref(),
        _ => None,
    };
    match (destination, reason) {
        (Some(d), _) => go(d),
        (None, "full") => json!([{"verb": "reject", "reason": "busy"}]),
        (None, "timeout" | "empty") => {
            tell("Nobody can take your call now. Please call again later.")
        }
        _ => json!([{"verb": "hangup"}]),
    }
}

async fn load(apps: &Apps, name: &str) -> crate::error::ApiResult<QueueCreate> {
    storage::queues::get(&apps.db, name)
        .await?
        .map(|q| q.settings)
        .ok_or_else(|| missing(&format!("queue {name}")))
}

pub async fn serve_join(
    State(apps): State<Apps>,
    Path(name): Path<String>,
    Call(_): Call,
) -> AppResult {
    Ok(Document(join(&load(&apps, &name).await?)))
}

pub async fn serve_hold(
    State(apps): State<Apps>,
    Path(name): Path<String>,
    Call(_): Call,
) -> AppResult {
    Ok(Document(hold(&load(&apps, &name).await?)))
}

pub async fn serve_after(
    State(apps): State<Apps>,
    Path(name): Path<String>,
    Call(call): Call,
) -> AppResult {
    let queue = load(&apps, &name).await?;
    let reason = call.reason.unwrap_or_default();
    tracing::debug!(queue = %name, %reason, "caller out of the queue");
    Ok(Document(after(&queue, &reason)))
}

/// `*45`: the calling extension logs in to every queue where it is a dynamic member
/// (when logged in to none), or out of all.
pub async fn serve_agent_toggle(State(apps): State<Apps>, Call(call): Call) -> AppResult {
    let Some(extension) = call.from.filter(|f| !f.is_empty()) else {
        return Ok(Document(tell("Agents log in from their extension.")));
    };
    match storage::queues::toggle_agent(&apps.db, &extension).await? {
        Some(true) => {
            tracing::info!(%extension, "queue agent logged in from the phone");
            Ok(Document(tell("Agent logged in.")))
        }
        Some(false) => {
            tracing::info!(%extension, "queue agent logged out from the phone");
            Ok(Document(tell("Agent logged out.")))
        }
        None => Ok(Document(tell(
            "Your extension is not an agent of any queue.",
        ))),
    }
}

/// The ringing tone (425 Hz, 1 s on, 4 s off) as an 8 kHz WAV.
pub async fn serve_ringing() -> impl axum::response::IntoResponse {
    let samples: Vec<f32> = engine::program::tones::ringback()
        .iter()
        .map(|&s| f32::from(s) / 32768.0)
        .collect();
    (
        [(axum::http::header::CONTENT_TYPE, "audio/wav")],
        engine::media::wav::encode_pcm16(&samples),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[expect(
        clippy::needless_pass_by_value,
        reason = "call sites read as documents"
    )]
    fn queue(extra: Value) -> QueueCreate {
        let mut base = json!({"name": "support", "members": [{"member": "201"}]});
        if let (Some(b), Some(e)) = (base.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        serde_json::from_value(base).unwrap()
    }

    #[test]
    fn a_caller_joins_with_the_hold_and_after_apps() {
        let doc = join(&queue(json!({})));
        assert_eq!(doc[0]["verb"], "enqueue");
        assert_eq!(doc[0]["queue"], "support");
        assert_eq!(doc[0]["wait_url"], "/apps/queue/support/hold");
        assert_eq!(doc[0]["action"], "/apps/queue/support/after");
        contract::verbs::parse_document(doc.to_string().as_bytes()).unwrap();
    }

    #[test]
    fn waiting_callers_hear_the_music_or_ringing() {
        assert_eq!(hold(&queue(json!({"music": "moh"})))[0]["recording"], "moh");
        assert_eq!(hold(&queue(json!({})))[0]["url"], RINGING_PATH);
    }

    #[test]
    fn each_reason_leads_to_its_destination() {
        let q = queue(json!({
            "timeout_destination": "voicemail:201", "full_destination": "extension:202",
            "empty_destination": "hangup", "exit_key": "0", "exit_destination": "ivr:Main"
        }));
        assert_eq!(after(&q, "timeout")[0]["destination"], "voicemail:201");
        assert_eq!(after(&q, "full")[0]["destination"], "extension:202");
        assert_eq!(after(&q, "empty")[0]["destination"], "hangup");
        assert_eq!(after(&q, "key")[0]["destination"], "ivr:Main");
        assert_eq!(after(&q, "bridged")[0]["verb"], "hangup");
        let bare = queue(json!({}));
        assert_eq!(after(&bare, "full")[0]["reason"], "busy");
        assert_eq!(after(&bare, "timeout")[0]["verb"], "say");
    }
}
