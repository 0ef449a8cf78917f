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

/// Asks for a message for `mailbox`, records it (up to two minutes, `#` ends it).
pub fn voicemail(mailbox: &str) -> Value {
    let spaced: Vec<String> = mailbox.chars().map(String::from).collect();
    json!([
        {"verb": "say", "text": format!(
            "Extension {} is not available. Leave a message after the tone.",
            spaced.join(" ")
        )},
        {"verb": "record", "max_length": 120, "finish_on_key": "#", "timeout": 5,
         "action": format!("/apps/voicemail/{mailbox}/saved")},
        {"verb": "hangup"},
    ])
}

pub async fn serve_number(Path(dialled): Path<String>, Call(_): Call) -> AppResult {
    contract::types::DialString::parse(dialled.as_str())
        .map_err(|_| missing(&format!("number {dialled}")))?;
    Ok(Document(number(&dialled)))
}

pub async fn serve_hangup(Call(_): Call) -> AppResult {
    Ok(Document(json!([{"verb": "hangup"}])))
}

pub async fn serve_voicemail(
    State(apps): State<Apps>,
    Path(mailbox): Path<String>,
    Call(_): Call,
) -> AppResult {
    if storage::extensions::has_voicemail(&apps.db, &mailbox).await? != Some(true) {
        return Err(missing(&format!("mailbox {mailbox}")));
    }
    Ok(Document(voicemail(&mailbox)))
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
        for doc in [number("0032123"), voicemail("58102")] {
            contract::verbs::parse_document(doc.to_string().as_bytes()).expect("valid");
        }
    }
}
