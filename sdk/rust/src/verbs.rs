//! Verb documents built in code: each builder writes the contract's JSON and
//! [`Document::build`] checks it with the contract's own parser (the one the server
//! uses on a webhook's answer), so a document built here is one the server accepts.
//!
//! ```
//! use switchboard_sdk::verbs::{Document, Gather, Target};
//!
//! let menu = Document::new()
//!     .gather(Gather::digits(1).action("/menu").say("Press 1 for sales"))
//!     .say("We did not get your choice")
//!     .dial([Target::extension("101")], Some("/after"));
//! let verbs = menu.build().unwrap();
//! assert_eq!(verbs.len(), 3);
//! ```

use contract::verbs::{Verb, VerbError};
use serde::Serialize;
use serde_json::{Map, Value, json};

/// `value` as JSON (a value that cannot be JSON, such as a map with non-string keys,
/// becomes `null`, which the contract's parser then names).
fn to_value(value: impl Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// A `dial` target.
#[derive(Debug, Clone)]
pub struct Target(Value);

impl Target {
    /// Every registered device of an extension.
    pub fn extension(number: &str) -> Self {
        Self(json!({"type": "extension", "number": number}))
    }

    /// A number through the dial plan (an extension, else an outbound route).
    pub fn number(number: &str) -> Self {
        Self(json!({"type": "number", "number": number}))
    }

    /// A SIP URI.
    pub fn sip(uri: &str) -> Self {
        Self(json!({"type": "sip", "uri": uri}))
    }

    /// A number through one trunk, whatever the outbound routes say.
    pub fn trunk(trunk: &str, number: &str) -> Self {
        Self(json!({"type": "trunk", "trunk": trunk, "number": number}))
    }

    /// The members of a queue.
    pub fn queue(queue: &str) -> Self {
        Self(json!({"type": "queue", "queue": queue}))
    }

    /// Any other field of the target, as the contract names it
    /// (`.with("confirm", json!({"key": "1"}))`).
    pub fn with(mut self, field: &str, value: impl Serialize) -> Self {
        if let Value::Object(fields) = &mut self.0 {
            fields.insert(field.to_owned(), to_value(value));
        }
        self
    }
}

/// A `gather`: its settings and prompts.
#[derive(Debug, Clone)]
pub struct Gather(Map<String, Value>);

impl Gather {
    /// A gather of `count` keys.
    pub fn digits(count: u32) -> Self {
        let mut fields = Map::new();
        fields.insert("verb".to_owned(), json!("gather"));
        fields.insert("num_digits".to_owned(), json!(count));
        Self(fields)
    }

    /// Where the keys are posted.
    pub fn action(mut self, url: &str) -> Self {
        self.0.insert("action".to_owned(), json!(url));
        self
    }

    /// Seconds to wait for the first key.
    pub fn timeout(mut self, seconds: u32) -> Self {
        self.0.insert("timeout".to_owned(), json!(seconds));
        self
    }

    /// Speech prompt.
    pub fn say(self, text: &str) -> Self {
        self.prompt(json!({"verb": "say", "text": text}))
    }

    /// A stored recording as prompt.
    pub fn play(self, recording: &str) -> Self {
        self.prompt(json!({"verb": "play", "recording": recording}))
    }

    /// Silence as prompt.
    pub fn pause(self, seconds: u32) -> Self {
        self.prompt(json!({"verb": "pause", "length": seconds}))
    }

    /// The `say`, `play` and `pause` verbs of `prompts` as prompts, with whatever
    /// fields they were given (`Document::new().say("Bonjour").with("language", "fr")`).
    pub fn prompts(self, prompts: Document) -> Self {
        prompts.0.into_iter().fold(self, Self::prompt)
    }

    /// Any other field of the gather, as the contract names it
    /// (`.with("finish_on_key", "#")`).
    pub fn with(mut self, field: &str, value: impl Serialize) -> Self {
        self.0.insert(field.to_owned(), to_value(value));
        self
    }

    fn prompt(mut self, prompt: Value) -> Self {
        let prompts = self
            .0
            .entry("prompts")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = prompts {
            list.push(prompt);
        }
        self
    }
}

/// A verb document under construction.
#[derive(Debug, Clone, Default)]
pub struct Document(Vec<Value>);

impl Document {
    /// An empty document.
    pub fn new() -> Self {
        Self::default()
    }

    fn push(mut self, verb: Value) -> Self {
        self.0.push(verb);
        self
    }

    /// Speak `text`.
    pub fn say(self, text: &str) -> Self {
        self.push(json!({"verb": "say", "text": text}))
    }

    /// Play a stored recording.
    pub fn play(self, recording: &str) -> Self {
        self.push(json!({"verb": "play", "recording": recording}))
    }

    /// Play a WAV file fetched from `url` (relative URLs resolve against the
    /// document's).
    pub fn play_url(self, url: &str) -> Self {
        self.push(json!({"verb": "play", "url": url}))
    }

    /// Wait `seconds`.
    pub fn pause(self, seconds: u32) -> Self {
        self.push(json!({"verb": "pause", "length": seconds}))
    }

    /// Collect keys.
    pub fn gather(self, gather: Gather) -> Self {
        self.push(Value::Object(gather.0))
    }

    /// Ring `targets` (the first answer wins); `action` gets the outcome.
    pub fn dial(self, targets: impl IntoIterator<Item = Target>, action: Option<&str>) -> Self {
        let targets: Vec<Value> = targets.into_iter().map(|t| t.0).collect();
        let mut verb = json!({"verb": "dial", "targets": targets});
        if let Some(url) = action {
            verb["action"] = json!(url);
        }
        self.push(verb)
    }

    /// Record the caller for at most `max_length` seconds; `action` gets the recording.
    pub fn record(self, max_length: u32, action: &str) -> Self {
        self.push(json!({"verb": "record", "max_length": max_length, "action": action}))
    }

    /// Continue with the document at `url`.
    pub fn redirect(self, url: &str) -> Self {
        self.push(json!({"verb": "redirect", "url": url}))
    }

    /// Hand the call to a destination (`ivr:Main`, `voicemail:101`).
    pub fn redirect_to(self, destination: &str) -> Self {
        self.push(json!({"verb": "redirect", "destination": destination}))
    }

    /// Wait in `queue`.
    pub fn enqueue(self, queue: &str) -> Self {
        self.push(json!({"verb": "enqueue", "queue": queue}))
    }

    /// Leave the queue the caller waits in (in a `wait_url` document).
    pub fn leave(self) -> Self {
        self.push(json!({"verb": "leave"}))
    }

    /// Refuse the call unanswered: `busy`, `unavailable` or `rejected`.
    pub fn reject(self, reason: &str) -> Self {
        self.push(json!({"verb": "reject", "reason": reason}))
    }

    /// End the call.
    pub fn hangup(self) -> Self {
        self.push(json!({"verb": "hangup"}))
    }

    /// Any other field of the last verb, as the contract names it
    /// (`.say("Bonjour").with("language", "fr")`, `.dial(…).with("strategy", "hunt")`).
    /// Nothing happens on an empty document.
    pub fn with(mut self, field: &str, value: impl Serialize) -> Self {
        if let Some(Value::Object(verb)) = self.0.last_mut() {
            verb.insert(field.to_owned(), to_value(value));
        }
        self
    }

    /// The document as JSON (what a webhook answers).
    pub fn to_json(&self) -> Value {
        Value::Array(self.0.clone())
    }

    /// The document checked by the contract's parser: its verbs, or where it is wrong.
    pub fn build(&self) -> Result<Vec<Verb>, VerbError> {
        let bytes = serde_json::to_vec(&self.0).unwrap_or_default();
        contract::verbs::parse_document(&bytes)
    }
}
