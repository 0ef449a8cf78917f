//! `pause`: silence for a while.

use super::{Flow, Session, Wake};
use crate::store::Store;
use std::time::Duration;
use std::time::Instant;

impl<S: Store> Session<S> {
    pub(super) async fn pause(&mut self, seconds: u32) -> Flow {
        match self.pause_inner(seconds, false).await {
            Ok(_) => Flow::Next,
            Err(flow) => flow,
        }
    }

    /// `pause` as a `gather` prompt: a key ends it and is returned.
    pub(super) async fn pause_interruptible(&mut self, seconds: u32) -> Result<Option<char>, Flow> {
        self.pause_inner(seconds, true).await
    }

    async fn pause_inner(
        &mut self,
        seconds: u32,
        interruptible: bool,
    ) -> Result<Option<char>, Flow> {
        if self.answer().await.is_err() {
            return Err(self
                .end_unanswered(
                    contract::models::calls::CallStatus::Failed,
                    500,
                    "cannot answer",
                )
                .await);
        }
        self.progressed = true;
        let until = Instant::now() + Duration::from_secs(u64::from(seconds));
        loop {
            match self.wait(Some(until)).await {
                Wake::Timer => return Ok(None),
                Wake::Key(key) if interruptible => return Ok(Some(key)),
                Wake::Key(_) | Wake::PlaybackDone | Wake::Silence => {}
                Wake::Gone(flow) => return Err(flow),
            }
        }
    }
}
