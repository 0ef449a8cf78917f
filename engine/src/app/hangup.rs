//! `reject` (`hangup` is [`Session::hang_up`]): refuse an unanswered call.

use super::{Flow, Session};
use crate::store::Store;
use contract::models::calls::CallStatus;
use contract::verbs::RejectReason;

impl<S: Store> Session<S> {
    pub(super) async fn reject(&mut self, reason: RejectReason) -> Flow {
        if self.answered.is_some() {
            // Too late to refuse: the call was answered by an earlier verb.
            return self.hang_up("reject after answer").await;
        }
        let (status, code) = match reason {
            RejectReason::Busy => (CallStatus::Busy, 486),
            RejectReason::Rejected => (CallStatus::Canceled, 603),
        };
        tracing::info!(sid = %self.record.sid, code, "call rejected by the application");
        self.end_unanswered(status, code, "rejected by the application")
            .await
    }
}
