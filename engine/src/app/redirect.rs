//! `redirect`: the rest of the call follows the document at another URL.

use super::{Flow, Session};
use crate::store::Store;
use contract::verbs::WebhookUrl;

impl<S: Store> Session<S> {
    pub(super) async fn redirect(&mut self, url: &WebhookUrl) -> Flow {
        let request = self.request();
        self.follow(Some(url), request).await
    }
}
