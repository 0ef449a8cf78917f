//! Live application calls, by sid: how the REST API steers a call while it runs.

use std::collections::HashMap;
use std::sync::Mutex;
use tokio::sync::mpsc;

/// An order to a running call (the program's [`Rest`](crate::program::Rest)).
pub use crate::program::Rest as LiveCommand;

/// Why a call could not be steered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LiveError {
    #[error("call {0} is not in progress on this server")]
    NotLive(String),
}

/// The running application calls.
#[derive(Debug, Default)]
pub struct LiveCalls {
    calls: Mutex<HashMap<String, mpsc::UnboundedSender<LiveCommand>>>,
}

impl LiveCalls {
    /// Registers a call; its commands arrive on the receiver until [`LiveCalls::remove`].
    pub(crate) fn add(&self, sid: &str) -> mpsc::UnboundedReceiver<LiveCommand> {
        let (tx, rx) = mpsc::unbounded_channel();
        if let Ok(mut calls) = self.calls.lock() {
            calls.insert(sid.to_owned(), tx);
        }
        rx
    }

    pub(crate) fn remove(&self, sid: &str) {
        if let Ok(mut calls) = self.calls.lock() {
            calls.remove(sid);
        }
    }

    /// Sends `command` to the live call `sid`.
    pub fn send(&self, sid: &str, command: LiveCommand) -> Result<(), LiveError> {
        let calls = self
            .calls
            .lock()
            .map_err(|_| LiveError::NotLive(sid.to_owned()))?;
        calls
            .get(sid)
            .and_then(|tx| tx.send(command).ok())
            .ok_or_else(|| LiveError::NotLive(sid.to_owned()))
    }
}
