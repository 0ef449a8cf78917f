//! Verb documents: what a webhook answers to tell Switchboard what to do with a call.
//!
//! A document is a JSON array of verbs, or an object `{"verbs": [...]}`; each verb is an
//! object `{"verb": "<name>", ...attributes}`. [`parse_document`] turns the bytes a
//! webhook returned into [`Verb`]s or into a [`VerbError`] that says which verb (its
//! index), which field, and what is wrong — the message an application developer needs
//! to fix their app, sent to the log and to the application's status callback.
//!
//! One module per verb; each owns its attributes, their defaults and their rules.

mod dial;
mod enqueue;
mod gather;
mod pause;
mod play;
mod record;
mod redirect;
mod reject;
mod say;
mod simple;
mod webhook_url;

pub use dial::{Confirm, Dial, DialStrategy, DialTarget, Ringback, SipUri};
pub use enqueue::Enqueue;
pub use gather::{Gather, GatherInput, Prompt};
pub use pause::Pause;
pub use play::Play;
pub use record::Record;
pub use redirect::Redirect;
pub use reject::{Reject, RejectReason};
pub use say::Say;
pub use simple::{Hangup, Leave};
pub use webhook_url::WebhookUrl;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The most verbs one document may hold: a guard against runaway generated documents.
pub const MAX_VERBS: usize = 256;

/// One instruction of a verb document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "verb", rename_all = "snake_case")]
pub enum Verb {
    Play(Play),
    Say(Say),
    Pause(Pause),
    Gather(Gather),
    Dial(Dial),
    Enqueue(Enqueue),
    Leave(Leave),
    Record(Record),
    Redirect(Redirect),
    Hangup(Hangup),
    Reject(Reject),
}

impl Verb {
    /// The verb's name as written in documents.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Play(_) => "play",
            Self::Say(_) => "say",
            Self::Pause(_) => "pause",
            Self::Gather(_) => "gather",
            Self::Dial(_) => "dial",
            Self::Enqueue(_) => "enqueue",
            Self::Leave(_) => "leave",
            Self::Record(_) => "record",
            Self::Redirect(_) => "redirect",
            Self::Hangup(_) => "hangup",
            Self::Reject(_) => "reject",
        }
    }
}

/// A verb document in its object form: `{"verbs": [...]}`. The bare array is accepted too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"verbs": [
    {"verb": "say", "text": "Welcome to Switchboard."},
    {"verb": "gather", "num_digits": 1, "action": "/menu", "prompts": [
        {"verb": "play", "recording": "menu-prompt"}
    ]},
    {"verb": "hangup"}
]}))]
pub struct VerbDocument {
    pub verbs: Vec<Verb>,
}

/// Why a verb document was refused: where, and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, thiserror::Error)]
#[error("{}", self.describe())]
pub struct VerbError {
    /// Index of the faulty verb in the document (0-based); absent when the document as a
    /// whole is wrong (not JSON, not a list).
    pub index: Option<usize>,
    /// The faulty verb's name, when it has a known one.
    pub verb: Option<String>,
    /// The field at fault, as a path inside the verb (`targets[1].number`).
    pub field: Option<String>,
    pub message: String,
}

impl VerbError {
    fn document(message: impl Into<String>) -> Self {
        Self {
            index: None,
            verb: None,
            field: None,
            message: message.into(),
        }
    }

    fn describe(&self) -> String {
        let mut s = String::new();
        if let Some(i) = self.index {
            s.push_str(&format!("verb {i}"));
            if let Some(v) = &self.verb {
                s.push_str(&format!(" ({v})"));
            }
            s.push_str(": ");
        }
        if let Some(f) = &self.field {
            s.push_str(&format!("{f}: "));
        }
        s.push_str(&self.message);
        s
    }
}

/// A rule broken by an attribute: which field, and the message (completing "`field`: …").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Checks a number of seconds (or any count) against an inclusive range.
pub(crate) fn in_range(field: &str, value: u32, min: u32, max: u32) -> Result<(), FieldError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            format!("must be between {min} and {max}, not {value}"),
        ))
    }
}

/// The keys a caller can press.
pub(crate) fn check_keys(field: &str, keys: &str) -> Result<(), FieldError> {
    match keys.chars().find(|c| !matches!(c, '0'..='9' | '*' | '#')) {
        None => Ok(()),
        Some(c) => Err(FieldError::new(
            field,
            format!("{c:?} is not a phone key (0-9, * and #)"),
        )),
    }
}

/// Parses the body a webhook returned into verbs.
pub fn parse_document(body: &[u8]) -> Result<Vec<Verb>, VerbError> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| VerbError::document(format!("the response is not JSON: {e}")))?;
    let items = match value {
        serde_json::Value::Array(items) => items,
        serde_json::Value::Object(mut map) => match map.remove("verbs") {
            Some(serde_json::Value::Array(items)) => items,
            Some(_) => return Err(VerbError::document("`verbs` must be an array of verbs")),
            None => {
                return Err(VerbError::document(
                    "expected an array of verbs or an object with a `verbs` array",
                ));
            }
        },
        _ => {
            return Err(VerbError::document(
                "expected an array of verbs or an object with a `verbs` array",
            ));
        }
    };
    if items.len() > MAX_VERBS {
        return Err(VerbError::document(format!(
            "a document holds at most {MAX_VERBS} verbs, this one has {}",
            items.len()
        )));
    }
    items
        .into_iter()
        .enumerate()
        .map(|(index, item)| parse_verb(item).map_err(|e| e.at(index)))
        .collect()
}

/// An error inside one verb, before its index is known.
#[derive(Debug)]
pub(crate) struct InVerb {
    verb: Option<String>,
    field: Option<String>,
    message: String,
}

impl InVerb {
    fn at(self, index: usize) -> VerbError {
        VerbError {
            index: Some(index),
            verb: self.verb,
            field: self.field,
            message: self.message,
        }
    }
}

/// Parses one verb object, naming the field at fault.
pub(crate) fn parse_verb(item: serde_json::Value) -> Result<Verb, InVerb> {
    let serde_json::Value::Object(mut map) = item else {
        return Err(InVerb {
            verb: None,
            field: None,
            message: "each verb must be an object with a `verb` field".into(),
        });
    };
    let name = match map.remove("verb") {
        Some(serde_json::Value::String(name)) => name,
        Some(_) => {
            return Err(InVerb {
                verb: None,
                field: Some("verb".into()),
                message: "must be a string".into(),
            });
        }
        None => {
            return Err(InVerb {
                verb: None,
                field: Some("verb".into()),
                message: "is missing".into(),
            });
        }
    };
    let attrs = serde_json::Value::Object(map);
    let verb = match name.as_str() {
        "play" => Verb::Play(attributes(&name, attrs, Play::validate)?),
        "say" => Verb::Say(attributes(&name, attrs, Say::validate)?),
        "pause" => Verb::Pause(attributes(&name, attrs, Pause::validate)?),
        "gather" => Verb::Gather(attributes(&name, attrs, Gather::validate)?),
        "dial" => Verb::Dial(attributes(&name, attrs, Dial::validate)?),
        "enqueue" => Verb::Enqueue(attributes(&name, attrs, |_| Ok(()))?),
        "leave" => Verb::Leave(attributes(&name, attrs, |_| Ok(()))?),
        "record" => Verb::Record(attributes(&name, attrs, Record::validate)?),
        "redirect" => Verb::Redirect(attributes(&name, attrs, Redirect::validate)?),
        "hangup" => Verb::Hangup(attributes(&name, attrs, |_| Ok(()))?),
        "reject" => Verb::Reject(attributes(&name, attrs, |_| Ok(()))?),
        _ => {
            return Err(InVerb {
                verb: None,
                field: Some("verb".into()),
                message: format!(
                    "unknown verb {name:?}; expected one of play, say, pause, gather, dial, \
                     enqueue, leave, record, redirect, hangup, reject"
                ),
            });
        }
    };
    Ok(verb)
}

/// Deserializes a verb's attributes and checks its rules, keeping the path of the field
/// at fault.
fn attributes<T: DeserializeOwned>(
    name: &str,
    attrs: serde_json::Value,
    validate: fn(&T) -> Result<(), FieldError>,
) -> Result<T, InVerb> {
    let parsed: T = serde_path_to_error::deserialize(attrs).map_err(|e| {
        let (field, message) = locate(e);
        InVerb {
            verb: Some(name.to_owned()),
            field,
            message,
        }
    })?;
    validate(&parsed).map_err(|e| InVerb {
        verb: Some(name.to_owned()),
        field: Some(e.field),
        message: e.message,
    })?;
    Ok(parsed)
}

/// Marks an error raised inside a value that serde buffers (a tagged object parsed by
/// hand): it carries the inner field's path, which [`locate`] appends to the outer one.
const NESTED: char = '\u{1f}';

/// Parses the attributes of a tagged object (after its tag was removed); an error keeps
/// the inner field's path for [`locate`].
pub(crate) fn nested<T: DeserializeOwned>(
    attrs: serde_json::Map<String, serde_json::Value>,
) -> Result<T, String> {
    serde_path_to_error::deserialize(serde_json::Value::Object(attrs)).map_err(|e| {
        let (field, message) = locate(e);
        match field {
            Some(f) => format!("{NESTED}{f}{NESTED}{message}"),
            None => message,
        }
    })
}

/// An error message naming a field of a value parsed by hand.
pub(crate) fn nested_message(field: &str, message: &str) -> String {
    format!("{NESTED}{field}{NESTED}{message}")
}

/// The field path and the message of a deserialization error.
fn locate(e: serde_path_to_error::Error<serde_json::Error>) -> (Option<String>, String) {
    let path = e.path().to_string();
    let inner = e.into_inner().to_string();
    if let Some(rest) = inner.strip_prefix(NESTED)
        && let Some((field, message)) = rest.split_once(NESTED)
    {
        return (join_path(&path, field), strip_position(message));
    }
    if let Some(f) = field_in_message(&inner, "missing field `") {
        // serde names a missing field in its message, not in the path.
        return (join_path(&path, &f), "is required".to_owned());
    }
    if let Some(f) = field_in_message(&inner, "unknown field `") {
        let field = if path.rsplit('.').next() == Some(f.as_str()) {
            Some(path)
        } else {
            join_path(&path, &f)
        };
        return (field, strip_position(&inner));
    }
    ((path != ".").then_some(path), strip_position(&inner))
}

fn field_in_message(message: &str, marker: &str) -> Option<String> {
    let start = message.find(marker)? + marker.len();
    let len = message[start..].find('`')?;
    Some(message[start..start + len].to_owned())
}

fn join_path(path: &str, field: &str) -> Option<String> {
    Some(if path == "." {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    })
}

/// serde_json appends "at line 1 column 7" to messages; inside a verb it only confuses.
fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests;
