//! `*97`: listening to one's own voicemail from the phone. The caller's mailbox is its
//! extension; its PIN is asked when it has one. Each new message is played (who left it,
//! then the message); 1 plays it again, 7 deletes it, 9 or # (or nothing) keeps it in
//! `saved` and goes on to the next new one. `*98`: any mailbox from any phone — its
//! number, then its PIN (required: a mailbox without one is only reachable from its own
//! phone), then the same. Stateless rounds: each document carries the message it is
//! about (and, for `*98`, the mailbox the PIN opened) in its action URL.

use super::{AppResult, Apps, Call, Document, spelled, tell};
use crate::auth::secrets;
use crate::extract::Query;
use crate::storage::{self, PageRequest};
use axum::extract::State;
use contract::models::{VoicemailFolder, VoicemailMessage};
use serde::Deserialize;
use serde_json::{Value, json};

/// The caller's mailbox and its PIN hash, if it has a mailbox.
async fn mailbox_of(
    apps: &Apps,
    call: &super::CallFields,
) -> crate::error::ApiResult<Option<(String, Option<String>)>> {
    let Some(number) = call.from.clone().filter(|f| !f.is_empty()) else {
        return Ok(None);
    };
    Ok(storage::extensions::get(&apps.db, &number)
        .await?
        .filter(|e| e.extension.voicemail.enabled)
        .map(|e| (number, e.voicemail_pin_hash)))
}

pub async fn serve(State(apps): State<Apps>, Call(call): Call) -> AppResult {
    let Some((mailbox, pin)) = mailbox_of(&apps, &call).await? else {
        return Ok(Document(tell("Your extension has no mailbox. Goodbye.")));
    };
    if pin.is_some() {
        return Ok(Document(json!([
            {"verb": "gather", "timeout": 10, "finish_on_key": "#",
             "action": "/apps/feature/voicemail/pin",
             "prompts": [{"verb": "say", "text": "Please enter your PIN, then press hash."}]},
            {"verb": "say", "text": "No PIN entered. Goodbye."},
            {"verb": "hangup"},
        ])));
    }
    summary(&apps, &mailbox, false).await
}

pub async fn serve_pin(State(apps): State<Apps>, Call(call): Call) -> AppResult {
    let Some((mailbox, pin)) = mailbox_of(&apps, &call).await? else {
        return Ok(Document(tell("Your extension has no mailbox. Goodbye.")));
    };
    if let Some(locked) = locked(&apps, &mailbox) {
        return Ok(locked);
    }
    let entered = call.digits.clone().unwrap_or_default();
    if !pin
        .as_deref()
        .is_none_or(|hash| secrets::verify_pin(&entered, hash))
    {
        wrong_pin(&apps, &mailbox, call.from.as_deref());
        return Ok(Document(tell("That PIN is not correct. Goodbye.")));
    }
    apps.pins.succeeded(&mailbox);
    summary(&apps, &mailbox, false).await
}

/// The mailbox's answer while too many wrong PINs lock it.
fn locked(apps: &Apps, mailbox: &str) -> Option<Document> {
    apps.pins
        .check(mailbox, std::time::Instant::now())
        .err()
        .map(|_| {
            tracing::warn!(%mailbox, "PIN refused: the mailbox is locked after too many wrong PINs");
            Document(tell("Too many wrong PINs. Please try again later. Goodbye."))
        })
}

/// Counts a wrong PIN (the mailbox locks after too many).
fn wrong_pin(apps: &Apps, mailbox: &str, from: Option<&str>) {
    if apps.pins.failed(mailbox, std::time::Instant::now()) {
        tracing::warn!(%mailbox, ?from, "wrong voicemail PIN: the mailbox is locked for a while");
    } else {
        tracing::warn!(%mailbox, ?from, "wrong voicemail PIN");
    }
}

/// `*98`: which mailbox?
pub async fn serve_other(Call(_): Call) -> AppResult {
    Ok(Document(json!([
        {"verb": "gather", "timeout": 10, "finish_on_key": "#",
         "action": "/apps/feature/voicemail/other/mailbox",
         "prompts": [{"verb": "say", "text": "Please enter the mailbox number, then press hash."}]},
        {"verb": "say", "text": "No mailbox entered. Goodbye."},
        {"verb": "hangup"},
    ])))
}

/// `*98`, the mailbox entered: its PIN (asked whether or not the mailbox exists, so the
/// answer does not tell).
pub async fn serve_other_mailbox(Call(call): Call) -> AppResult {
    let mailbox = call.digits.unwrap_or_default();
    if mailbox.is_empty() || !mailbox.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(Document(tell("No mailbox entered. Goodbye.")));
    }
    Ok(Document(json!([
        {"verb": "gather", "timeout": 10, "finish_on_key": "#",
         "action": format!("/apps/feature/voicemail/other/pin?mailbox={mailbox}"),
         "prompts": [{"verb": "say", "text": "Please enter the PIN, then press hash."}]},
        {"verb": "say", "text": "No PIN entered. Goodbye."},
        {"verb": "hangup"},
    ])))
}

#[derive(Debug, Deserialize)]
pub struct MailboxQuery {
    mailbox: String,
}

/// `*98`, the PIN entered: the mailbox opens only with its own PIN.
pub async fn serve_other_pin(
    State(apps): State<Apps>,
    Query(q): Query<MailboxQuery>,
    Call(call): Call,
) -> AppResult {
    let pin = storage::extensions::get(&apps.db, &q.mailbox)
        .await?
        .filter(|e| e.extension.voicemail.enabled)
        .and_then(|e| e.voicemail_pin_hash);
    if let Some(locked) = locked(&apps, &q.mailbox) {
        return Ok(locked);
    }
    let entered = call.digits.clone().unwrap_or_default();
    if !pin.is_some_and(|hash| secrets::verify_pin(&entered, &hash)) {
        wrong_pin(&apps, &q.mailbox, call.from.as_deref());
        return Ok(Document(tell(
            "That mailbox or PIN is not correct. Goodbye.",
        )));
    }
    apps.pins.succeeded(&q.mailbox);
    summary(&apps, &q.mailbox, true).await
}

/// "You have N new messages and M saved messages", then the first new one; `other`:
/// reached with `*98` (the mailbox travels in the URLs).
async fn summary(apps: &Apps, mailbox: &str, other: bool) -> AppResult {
    let (new, saved) = storage::voicemail::counts(&apps.db, mailbox).await?;
    let plural = |n: i64| if n == 1 { "message" } else { "messages" };
    let mut doc = vec![json!({"verb": "say", "text": format!(
        "You have {new} new {} and {saved} saved {}.",
        plural(new),
        plural(saved)
    )})];
    doc.extend(next_message(apps, mailbox, other).await?);
    Ok(Document(Value::Array(doc)))
}

/// The oldest new message, played with its menu; or goodbye.
async fn next_message(
    apps: &Apps,
    mailbox: &str,
    other: bool,
) -> crate::error::ApiResult<Vec<Value>> {
    let page = PageRequest {
        limit: 1,
        after: None,
    };
    let (first, _) =
        storage::voicemail::list_messages(&apps.db, mailbox, Some(VoicemailFolder::New), &page)
            .await?;
    Ok(match first.first() {
        Some(m) => play(m, other),
        None => super::mailbox_menu::menu(mailbox, other, "No more new messages."),
    })
}

/// A message with its menu; no key is the same as # (keep it, next).
fn play(m: &VoicemailMessage, other: bool) -> Vec<Value> {
    let mut action = format!("/apps/feature/voicemail/key?id={}", m.id);
    if other {
        action.push_str(&format!("&mailbox={}", m.mailbox));
    }
    vec![
        json!({"verb": "gather", "num_digits": 1, "timeout": 5, "action": action,
        "prompts": [
            {"verb": "say", "text": format!("Message from {}.", spelled(&m.caller_number))},
            {"verb": "play", "recording": m.recording_id},
            {"verb": "say", "text": "Press 1 to hear it again, 7 to delete it, 9 to keep it."},
        ]}),
        json!({"verb": "redirect", "url": action}),
    ]
}

#[derive(Debug, Deserialize)]
pub struct KeyQuery {
    id: String,
    /// Set by `*98` (opened with its PIN); otherwise the caller's own mailbox.
    mailbox: Option<String>,
}

pub async fn serve_key(
    State(apps): State<Apps>,
    Query(q): Query<KeyQuery>,
    Call(call): Call,
) -> AppResult {
    let other = q.mailbox.is_some();
    let mailbox = match q.mailbox {
        Some(m) => m,
        None => match mailbox_of(&apps, &call).await? {
            Some((m, _)) => m,
            None => return Ok(Document(tell("Your extension has no mailbox. Goodbye."))),
        },
    };
    let Some(stored) = storage::voicemail::get_message(&apps.db, &mailbox, &q.id).await? else {
        let mut doc = vec![json!({"verb": "say", "text": "That message is gone."})];
        doc.extend(next_message(&apps, &mailbox, other).await?);
        return Ok(Document(Value::Array(doc)));
    };
    let mut doc = Vec::new();
    match call.digits.as_deref() {
        Some("1") => return Ok(Document(Value::Array(play(&stored.message, other)))),
        Some("7") => {
            storage::voicemail::delete_with_audio(&apps.db, &apps.media, &stored).await?;
            doc.push(json!({"verb": "say", "text": "Message deleted."}));
        }
        digits => {
            storage::voicemail::set_folder(&apps.db, &mailbox, &q.id, VoicemailFolder::Saved)
                .await?;
            if digits == Some("9") {
                doc.push(json!({"verb": "say", "text": "Message saved."}));
            }
        }
    }
    doc.extend(next_message(&apps, &mailbox, other).await?);
    Ok(Document(Value::Array(doc)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_played_with_its_menu_and_no_key_goes_on() {
        let m = VoicemailMessage {
            id: "VM1".into(),
            mailbox: "58102".into(),
            folder: VoicemailFolder::New,
            caller_number: "101".into(),
            caller_name: None,
            duration_ms: 3000,
            call_sid: "CA1".into(),
            recording_id: "RE1".into(),
            audio_url: String::new(),
            created_at: String::new(),
        };
        let doc = Value::Array(play(&m, false));
        assert_eq!(doc[0]["prompts"][0]["text"], "Message from 1 0 1.");
        assert_eq!(doc[0]["prompts"][1]["recording"], "RE1");
        assert_eq!(doc[1]["url"], "/apps/feature/voicemail/key?id=VM1");
        contract::verbs::parse_document(doc.to_string().as_bytes()).expect("valid");
        let other = Value::Array(play(&m, true));
        assert_eq!(
            other[1]["url"],
            "/apps/feature/voicemail/key?id=VM1&mailbox=58102"
        );
    }
}
