//! The smallest apps: `number:` (dial out through the outbound routes), `hangup`, and
//! `voicemail:` (a message recorded, saved in the mailbox and emailed to its owner when
//! the extension has an address; greetings, listening and webhooks come with the rest of
//! the voicemail features).

use super::{AppResult, Apps, Call, Document, missing};
use crate::storage;
use axum::extract::{Path, State};
use serde_json::{Value, json};

/// Dials `number` through the outbound routes (straight through: the caller hears the
/// far end's own answer).
pub fn number(number: &str) -> Value {
    json!([{"verb": "dial", "targets": [{"type": "number", "number": number}]}])
}

/// What a mailbox's documents depend on.
#[derive(Debug, Clone)]
pub struct Mailbox {
    pub number: String,
    pub greeting: Option<contract::types::Announcement>,
    pub busy_greeting: Option<contract::types::Announcement>,
    /// 0 during the greeting leads to an operator.
    pub operator: bool,
}

/// The greeting (0 during it reaches the operator, when there is one), then the beep
/// and the message.
pub fn voicemail(mailbox: &Mailbox, busy: bool) -> Value {
    let (recorded, state) = if busy {
        (&mailbox.busy_greeting, "is on the phone")
    } else {
        (&mailbox.greeting, "is not available")
    };
    let greeting = match recorded {
        Some(a) => super::announce(a),
        None => json!({"verb": "say", "text": format!(
            "The person at extension {} {state}. Leave a message after the tone.",
            super::spelled(&mailbox.number)
        )}),
    };
    let mut doc = vec![if mailbox.operator {
        json!({"verb": "gather", "num_digits": 1, "timeout": 1, "prompts": [greeting],
               "action": format!("/apps/voicemail/{}/key", mailbox.number)})
    } else {
        greeting
    }];
    doc.extend(message(&mailbox.number));
    Value::Array(doc)
}

/// The beep, the message (up to two minutes; `#`, silence or hanging up ends it), and
/// the end.
fn message(mailbox: &str) -> Vec<Value> {
    vec![
        json!({"verb": "play", "url": BEEP_PATH}),
        json!({"verb": "record", "max_length": 120, "finish_on_key": "#", "timeout": 5,
               "action": format!("/apps/voicemail/{mailbox}/saved")}),
        json!({"verb": "hangup"}),
    ]
}

/// Where the beep before a message is served.
pub const BEEP_PATH: &str = "/apps/sounds/beep.wav";

/// The beep: 1 kHz for 400 ms, 8 kHz mono 16-bit PCM WAV (the usual voicemail tone).
pub fn beep_wav() -> Vec<u8> {
    const RATE: f32 = 8000.0;
    let samples: Vec<f32> = (0..3200)
        .map(|n| 0.4 * (2.0 * std::f32::consts::PI * 1000.0 * n as f32 / RATE).sin())
        .collect();
    crate::media::wav::encode_pcm16(&samples)
}

/// A number dialled out. When the caller is an extension, its `outbound` permission
/// must allow the class of the route the number leaves through (toll fraud: a phone
/// allowed national calls cannot reach an international route); refused: 603.
pub async fn serve_number(
    State(apps): State<Apps>,
    Path(dialled): Path<String>,
    Call(call): Call,
) -> AppResult {
    contract::types::DialString::parse(dialled.as_str())
        .map_err(|_| missing(&format!("number {dialled}")))?;
    if let Some(from) = call.from.as_deref()
        && let Some(caller) = storage::extensions::get(&apps.db, from).await?
        && !crate::outbound::Routes::read(&apps.db).await?.allow(
            from,
            caller.extension.outbound,
            &dialled,
            "outbound call",
        )
    {
        return Ok(Document(refused()));
    }
    Ok(Document(number(&dialled)))
}

/// An outbound call the caller may not make: declined (603), never rung.
pub fn refused() -> Value {
    json!([{"verb": "reject", "reason": "rejected"}])
}

pub async fn serve_hangup(Call(_): Call) -> AppResult {
    Ok(Document(json!([{"verb": "hangup"}])))
}

async fn load_mailbox(
    apps: &Apps,
    mailbox: &str,
) -> crate::error::ApiResult<(Mailbox, Option<contract::types::Destination>)> {
    let stored = storage::extensions::get(&apps.db, mailbox)
        .await?
        .filter(|e| e.extension.voicemail.enabled)
        .ok_or_else(|| missing(&format!("mailbox {mailbox}")))?;
    let vm = stored.extension.voicemail;
    Ok((
        Mailbox {
            number: mailbox.to_owned(),
            greeting: vm.greeting,
            busy_greeting: vm.busy_greeting,
            operator: vm.operator_destination.is_some(),
        },
        vm.operator_destination,
    ))
}

/// `?busy=true`: the caller reached the mailbox because the extension was busy.
#[derive(Debug, Default, serde::Deserialize)]
pub struct VoicemailQuery {
    #[serde(default)]
    busy: bool,
}

pub async fn serve_voicemail(
    State(apps): State<Apps>,
    Path(mailbox): Path<String>,
    axum::extract::Query(q): axum::extract::Query<VoicemailQuery>,
    Call(_): Call,
) -> AppResult {
    let (mailbox, _) = load_mailbox(&apps, &mailbox).await?;
    Ok(Document(voicemail(&mailbox, q.busy)))
}

/// A key pressed during the greeting: 0 leads to the operator; anything else, on to
/// the message.
pub async fn serve_voicemail_key(
    State(apps): State<Apps>,
    Path(mailbox): Path<String>,
    Call(call): Call,
) -> AppResult {
    let (_, operator) = load_mailbox(&apps, &mailbox).await?;
    match (call.digits.as_deref(), operator) {
        (Some("0"), Some(destination)) => Ok(Document(super::go(&destination))),
        _ => Ok(Document(Value::Array(message(&mailbox)))),
    }
}

/// The beep (media: not signed, like any audio a `play` fetches).
pub async fn serve_beep() -> impl axum::response::IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "audio/wav")],
        beep_wav(),
    )
}

/// The `record`'s action: the message, if one was left, is saved in the mailbox with
/// its email (one transaction) before the caller is thanked.
pub async fn serve_voicemail_saved(
    State(apps): State<Apps>,
    Path(mailbox): Path<String>,
    Call(call): Call,
) -> AppResult {
    if let Some(recording_id) = call.recording_sid.clone() {
        let stored = storage::extensions::get(&apps.db, &mailbox)
            .await?
            .ok_or_else(|| missing(&format!("mailbox {mailbox}")))?;
        if storage::recordings::get(&apps.db, &recording_id)
            .await?
            .is_none()
        {
            return Err(missing(&format!("recording {recording_id}")));
        }
        let email = stored.extension.email.map(|e| e.to_string());
        let message = storage::voicemail::NewMessage {
            id: format!("VM{}", &engine::store::new_sid()[2..]),
            mailbox: mailbox.clone(),
            recording_id,
            call_sid: call.call_sid.clone().unwrap_or_default(),
            caller_number: call.from.clone().unwrap_or_default(),
            caller_name: call.caller_name.clone(),
            duration_ms: u64::from(call.recording_duration.unwrap_or(0)) * 1000,
        };
        let now = storage::now();
        let notice = match &stored.extension.voicemail.application_id {
            Some(app) => notice(&apps, app.as_str(), &message, &now).await?,
            None => None,
        };
        storage::voicemail::save_message(
            &apps.db,
            &message,
            email.as_deref(),
            notice.as_ref(),
            &now,
        )
        .await?;
        tracing::info!(%mailbox, message = %message.id, from = %message.caller_number, emailed_to = ?email, "voicemail message left");
    }
    Ok(Document(json!([
        {"verb": "say", "text": "Thank you. Goodbye."},
        {"verb": "hangup"},
    ])))
}

/// The `voicemail` event of `message` for application `id` (None, with a warning, when
/// the application has no status callback any more).
async fn notice(
    apps: &Apps,
    id: &str,
    message: &storage::voicemail::NewMessage,
    now: &str,
) -> crate::error::ApiResult<Option<storage::voicemail::Notice>> {
    let url = storage::applications::get(&apps.db, id)
        .await?
        .and_then(|a| a.status_callback);
    let Some(url) = url else {
        tracing::warn!(mailbox = %message.mailbox, application = %id, "voicemail event not sent: the application has no status_callback");
        return Ok(None);
    };
    let event = contract::webhook::VoicemailEvent {
        event: "voicemail".to_owned(),
        timestamp: now.to_owned(),
        mailbox: message.mailbox.clone(),
        message_id: message.id.clone(),
        call_sid: message.call_sid.clone(),
        caller_number: message.caller_number.clone(),
        caller_name: message.caller_name.clone(),
        duration_ms: message.duration_ms,
        recording_id: message.recording_id.clone(),
        audio_url: format!(
            "/v1/voicemail/{}/messages/{}/audio",
            message.mailbox, message.id
        ),
    };
    Ok(Some(storage::voicemail::Notice {
        id: format!("WE{}", &message.id[2..]),
        application_id: id.to_owned(),
        url: url.to_string(),
        body: serde_json::to_string(&event).unwrap_or_default(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_valid() {
        let mut mailbox = Mailbox {
            number: "58102".into(),
            greeting: None,
            busy_greeting: None,
            operator: false,
        };
        let plain = voicemail(&mailbox, false);
        assert_eq!(plain[0]["verb"], "say");
        assert!(
            plain[0]["text"]
                .as_str()
                .unwrap()
                .contains("is not available")
        );
        assert_eq!(plain[1]["url"], BEEP_PATH);
        let busy = voicemail(&mailbox, true);
        assert!(
            busy[0]["text"]
                .as_str()
                .unwrap()
                .contains("is on the phone"),
            "{busy}"
        );
        mailbox.busy_greeting = Some(contract::types::Announcement::say("Pierre is busy."));
        assert_eq!(voicemail(&mailbox, true)[0]["text"], "Pierre is busy.");
        mailbox.operator = true;
        mailbox.greeting = Some(contract::types::Announcement::say("Pierre here."));
        let with_operator = voicemail(&mailbox, false);
        assert_eq!(with_operator[0]["verb"], "gather");
        assert_eq!(with_operator[0]["prompts"][0]["text"], "Pierre here.");
        assert_eq!(with_operator[0]["action"], "/apps/voicemail/58102/key");
        for doc in [
            number("0032123"),
            plain,
            with_operator,
            Value::Array(message("58102")),
        ] {
            contract::verbs::parse_document(doc.to_string().as_bytes()).expect("valid");
        }
    }
}
