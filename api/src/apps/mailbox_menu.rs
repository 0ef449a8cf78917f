//! The mailbox menu of `*97`/`*98` once the new messages are heard: 2 plays the saved
//! messages (1 again, 7 delete, 9 or no key the next one), 3 records the mailbox's
//! greeting (after a beep, `#` ends it), 4 changes its PIN (4 to 8 digits, then `#`).
//! The mailbox travels in the URLs when `*98` opened it (its PIN was given); otherwise
//! it is the caller's own.

use super::{AppResult, Apps, Call, CallFields, Document, spelled, tell};
use crate::auth::secrets;
use crate::extract::Query;
use crate::storage::{self, PageRequest};
use axum::extract::State;
use contract::models::{VoicemailFolder, VoicemailMessage};
use contract::types::{Announcement, RecordingId, ResourceName, VoicemailPin};
use serde::Deserialize;
use serde_json::{Value, json};

/// Where `path` continues for `mailbox` (`other`: opened with `*98`).
fn link(path: &str, mailbox: &str, other: bool, extra: &str) -> String {
    let mut url = format!("/apps/feature/voicemail/{path}");
    let mut params: Vec<String> = Vec::new();
    if !extra.is_empty() {
        params.push(extra.to_owned());
    }
    if other {
        params.push(format!("mailbox={mailbox}"));
    }
    if !params.is_empty() {
        url.push('?');
        url.push_str(&params.join("&"));
    }
    url
}

/// The menu, after `lead` (what was just said).
pub fn menu(mailbox: &str, other: bool, lead: &str) -> Vec<Value> {
    vec![
        json!({"verb": "gather", "num_digits": 1, "timeout": 5,
        "action": link("menu", mailbox, other, ""),
        "prompts": [{"verb": "say", "text": format!(
            "{lead} Press 2 for your saved messages, 3 to record your greeting, \
             4 to change your PIN."
        )}]}),
        json!({"verb": "say", "text": "Goodbye."}),
        json!({"verb": "hangup"}),
    ]
}

/// A saved message with its menu; no key goes on to the next one.
pub fn play_saved(m: &VoicemailMessage, other: bool) -> Vec<Value> {
    let action = link("saved", &m.mailbox, other, &format!("id={}", m.id));
    vec![
        json!({"verb": "gather", "num_digits": 1, "timeout": 5, "action": action,
        "prompts": [
            {"verb": "say", "text": format!("Saved message from {}.", spelled(&m.caller_number))},
            {"verb": "play", "recording": m.recording_id},
            {"verb": "say", "text": "Press 1 to hear it again, 7 to delete it, 9 for the next one."},
        ]}),
        json!({"verb": "redirect", "url": action}),
    ]
}

/// Recording the greeting: a beep, then until `#` or a minute.
pub fn record_greeting(mailbox: &str, other: bool) -> Vec<Value> {
    vec![
        json!({"verb": "say", "text": "Record your greeting after the tone, then press hash."}),
        json!({"verb": "play", "url": super::simple::BEEP_PATH}),
        json!({"verb": "record", "max_length": 60, "finish_on_key": "#", "timeout": 5,
               "play_beep": false, "action": link("greeting", mailbox, other, "")}),
    ]
}

/// Asking the new PIN.
pub fn ask_pin(mailbox: &str, other: bool) -> Vec<Value> {
    vec![
        json!({"verb": "gather", "timeout": 10, "finish_on_key": "#",
               "action": link("new-pin", mailbox, other, ""),
               "prompts": [{"verb": "say", "text": "Enter your new PIN, 4 to 8 digits, then press hash."}]}),
        json!({"verb": "redirect", "url": link("menu", mailbox, other, "")}),
    ]
}

#[derive(Debug, Default, Deserialize)]
pub struct MenuQuery {
    /// Set by `*98`.
    mailbox: Option<String>,
    id: Option<String>,
}

/// Whose mailbox (and whether `*98` opened it): the one `*98` opened, or the
/// caller's; or what a caller without a mailbox is told.
async fn whose(
    apps: &Apps,
    q: &MenuQuery,
    call: &CallFields,
) -> crate::error::ApiResult<Result<(String, bool), Document>> {
    if let Some(m) = &q.mailbox {
        return Ok(Ok((m.clone(), true)));
    }
    let from = call.from.as_deref().filter(|f| !f.is_empty()).unwrap_or("");
    let found = storage::extensions::get(&apps.db, from)
        .await?
        .filter(|e| e.extension.voicemail.enabled)
        .map(|_| (from.to_owned(), false));
    Ok(found.ok_or_else(|| Document(tell("Your extension has no mailbox. Goodbye."))))
}

/// The saved message after `after` (a list cursor), or None.
async fn saved_after(
    apps: &Apps,
    mailbox: &str,
    after: Option<String>,
) -> crate::error::ApiResult<Option<VoicemailMessage>> {
    let page = PageRequest { limit: 1, after };
    let (found, _) =
        storage::voicemail::list_messages(&apps.db, mailbox, Some(VoicemailFolder::Saved), &page)
            .await?;
    Ok(found.into_iter().next())
}

pub async fn serve_menu(
    State(apps): State<Apps>,
    Query(q): Query<MenuQuery>,
    Call(call): Call,
) -> AppResult {
    let (mailbox, other) = match whose(&apps, &q, &call).await? {
        Ok(found) => found,
        Err(refused) => return Ok(refused),
    };
    let doc = match call.digits.as_deref() {
        Some("2") => match saved_after(&apps, &mailbox, None).await? {
            Some(m) => play_saved(&m, other),
            None => menu(&mailbox, other, "You have no saved messages."),
        },
        Some("3") => record_greeting(&mailbox, other),
        Some("4") => ask_pin(&mailbox, other),
        _ => vec![
            json!({"verb": "say", "text": "Goodbye."}),
            json!({"verb": "hangup"}),
        ],
    };
    Ok(Document(Value::Array(doc)))
}

/// A key after a saved message.
pub async fn serve_saved(
    State(apps): State<Apps>,
    Query(q): Query<MenuQuery>,
    Call(call): Call,
) -> AppResult {
    let (mailbox, other) = match whose(&apps, &q, &call).await? {
        Ok(found) => found,
        Err(refused) => return Ok(refused),
    };
    let id = q.id.clone().unwrap_or_default();
    let Some(stored) = storage::voicemail::get_message(&apps.db, &mailbox, &id).await? else {
        return Ok(Document(Value::Array(menu(
            &mailbox,
            other,
            "That message is gone.",
        ))));
    };
    let cursor = format!("{} {}", stored.message.created_at, stored.message.id);
    let mut lead = "";
    match call.digits.as_deref() {
        Some("1") => return Ok(Document(Value::Array(play_saved(&stored.message, other)))),
        Some("7") => {
            storage::voicemail::delete_with_audio(&apps.db, &apps.media, &stored).await?;
            lead = "Message deleted.";
        }
        _ => {}
    }
    let doc = match saved_after(&apps, &mailbox, Some(cursor)).await? {
        Some(m) => {
            let mut doc = Vec::new();
            if !lead.is_empty() {
                doc.push(json!({"verb": "say", "text": lead}));
            }
            doc.extend(play_saved(&m, other));
            doc
        }
        None => menu(&mailbox, other, &format!("{lead} No more saved messages.")),
    };
    Ok(Document(Value::Array(doc)))
}

/// The greeting recorded: it becomes the mailbox's greeting.
pub async fn serve_greeting(
    State(apps): State<Apps>,
    Query(q): Query<MenuQuery>,
    Call(call): Call,
) -> AppResult {
    let (mailbox, other) = match whose(&apps, &q, &call).await? {
        Ok(found) => found,
        Err(refused) => return Ok(refused),
    };
    let recording = call
        .recording_sid
        .as_deref()
        .and_then(|r| RecordingId::parse(r).ok());
    let (Some(recording), Some(mut row)) = (
        recording,
        storage::extensions::get(&apps.db, &mailbox).await?,
    ) else {
        return Ok(Document(Value::Array(menu(
            &mailbox,
            other,
            "Nothing was recorded.",
        ))));
    };
    let name = ResourceName::parse(recording.as_str())
        .map_err(|e| crate::error::ApiError::internal("a recording id as a name", e))?;
    row.extension.voicemail.greeting = Some(Announcement {
        recording: Some(name),
        say: None,
        language: None,
    });
    row.extension.updated_at = storage::now();
    storage::extensions::update(&apps.db, &row).await?;
    tracing::info!(%mailbox, %recording, "voicemail greeting recorded from the phone");
    Ok(Document(Value::Array(menu(
        &mailbox,
        other,
        "Your greeting is saved.",
    ))))
}

/// The new PIN entered.
pub async fn serve_new_pin(
    State(apps): State<Apps>,
    Query(q): Query<MenuQuery>,
    Call(call): Call,
) -> AppResult {
    let (mailbox, other) = match whose(&apps, &q, &call).await? {
        Ok(found) => found,
        Err(refused) => return Ok(refused),
    };
    let entered = call.digits.clone().unwrap_or_default();
    let Ok(pin) = VoicemailPin::parse(&entered) else {
        return Ok(Document(Value::Array(menu(
            &mailbox,
            other,
            "That PIN is not valid: use 4 to 8 digits. Your PIN is unchanged.",
        ))));
    };
    let Some(mut row) = storage::extensions::get(&apps.db, &mailbox).await? else {
        return Ok(Document(tell("That mailbox is gone. Goodbye.")));
    };
    row.voicemail_pin_hash = Some(secrets::hash_pin(pin.as_str()));
    row.extension.voicemail.pin_set = true;
    row.extension.updated_at = storage::now();
    storage::extensions::update(&apps.db, &row).await?;
    tracing::info!(%mailbox, "voicemail PIN changed from the phone");
    Ok(Document(Value::Array(menu(
        &mailbox,
        other,
        "Your PIN is changed.",
    ))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_menu_offers_saved_messages_the_greeting_and_the_pin() {
        let doc = Value::Array(menu("58102", false, "No more new messages."));
        assert_eq!(doc[0]["action"], "/apps/feature/voicemail/menu");
        assert!(
            doc[0]["prompts"][0]["text"]
                .as_str()
                .unwrap()
                .starts_with("No more new messages. Press 2")
        );
        let other = Value::Array(menu("58102", true, ""));
        assert_eq!(
            other[0]["action"],
            "/apps/feature/voicemail/menu?mailbox=58102"
        );
        let greeting = Value::Array(record_greeting("58102", true));
        assert_eq!(
            greeting[2]["action"],
            "/apps/feature/voicemail/greeting?mailbox=58102"
        );
        let pin = Value::Array(ask_pin("58102", false));
        assert_eq!(pin[0]["action"], "/apps/feature/voicemail/new-pin");
        for doc in [doc, other, greeting, pin] {
            contract::verbs::parse_document(doc.to_string().as_bytes()).expect("valid");
        }
    }
}
