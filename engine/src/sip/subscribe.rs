//! Message waiting (RFC 3842): a phone SUBSCRIBEs to `message-summary` for its own
//! mailbox and gets a NOTIFY saying whether messages wait (`Messages-Waiting: yes`,
//! `Voice-Message: new/old`) at once and whenever that changes, so its voicemail lamp
//! follows the mailbox.
//!
//! Subscriptions live on the node the phone subscribed to (they are dialogs). The node
//! reads the counts of every subscribed mailbox from storage every [`CHECK_EVERY`] and
//! notifies those that changed: a message left, read or deleted on any node, through
//! the REST API or from a phone, reaches the lamp within that time.

use super::auth::{self, Outcome, SipAuth};
use super::headers;
use crate::store::Store;
use rsipstack::dialog::DialogId;
use rsipstack::dialog::dialog::DialogState;
use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::dialog::subscription::ServerSubscriptionDialog;
use rsipstack::platform::CancellationToken;
use rsipstack::sip::{Header, StatusCode};
use rsipstack::transaction::Transaction;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often subscribed mailboxes are read for changes.
pub const CHECK_EVERY: Duration = Duration::from_secs(2);

/// The event package (RFC 3842 §3).
const EVENT: &str = "message-summary";

/// Subscription lengths granted (seconds): asked for, within these; 3600 when the
/// phone does not say (RFC 3842 §4.1 suggests an hour).
const MIN_EXPIRES: u32 = 60;
const MAX_EXPIRES: u32 = 3600;

/// How long a subscription lasts for a requested `Expires` (None: not given); 0 ends it.
pub fn granted(requested: Option<u32>) -> u32 {
    match requested {
        Some(0) => 0,
        Some(s) => s.clamp(MIN_EXPIRES, MAX_EXPIRES),
        None => MAX_EXPIRES,
    }
}

/// The `application/simple-message-summary` body (RFC 3842 §5.2) for `account`, with
/// `new` and `old` voice messages.
pub fn summary(account: &str, new: u32, old: u32) -> String {
    let waiting = if new > 0 { "yes" } else { "no" };
    format!(
        "Messages-Waiting: {waiting}\r\nMessage-Account: {account}\r\nVoice-Message: {new}/{old} (0/0)\r\n"
    )
}

struct Subscription {
    mailbox: String,
    account: String,
    dialog: ServerSubscriptionDialog,
    expires_at: Instant,
    /// The counts last told.
    told: Option<(u32, u32)>,
}

/// The message-waiting subscriptions of this node.
pub struct Mwi<S> {
    pub auth: Arc<SipAuth<S>>,
    pub store: Arc<S>,
    pub dialogs: Arc<DialogLayer>,
    /// The host of the `Message-Account` URIs (the address we advertise).
    domain: String,
    subscriptions: Mutex<HashMap<String, Subscription>>,
}

impl<S> std::fmt::Debug for Mwi<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mwi").finish_non_exhaustive()
    }
}

fn expires_of(req: &rsipstack::sip::Request) -> Option<u32> {
    headers::value(req, "Expires").and_then(|v| v.trim().parse().ok())
}

fn event_of(req: &rsipstack::sip::Request) -> Option<String> {
    headers::value(req, "Event")
        .or_else(|| headers::value(req, "o"))
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
}

impl<S: Store> Mwi<S> {
    pub fn new(
        auth: Arc<SipAuth<S>>,
        store: Arc<S>,
        dialogs: Arc<DialogLayer>,
        domain: String,
    ) -> Self {
        Self {
            auth,
            store,
            dialogs,
            domain,
            subscriptions: Mutex::new(HashMap::new()),
        }
    }

    /// A new SUBSCRIBE (no To tag): authenticated as the mailbox's own extension,
    /// accepted with the time granted, then told the counts at once.
    pub async fn handle(self: &Arc<Self>, mut tx: Transaction) {
        let req = tx.original.clone();
        if event_of(&req).as_deref() != Some(EVENT) {
            let _ = tx
                .reply_with(
                    StatusCode::BadEvent,
                    vec![headers::other("Allow-Events", EVENT)],
                    None,
                )
                .await;
            return;
        }
        let Some((source, _)) = super::register::source_of(&tx) else {
            let _ = tx.reply(StatusCode::BadRequest).await;
            return;
        };
        let extension = match auth::check(&self.auth, &req, source.ip(), false, None).await {
            Outcome::Authenticated(ext) => ext,
            other => return auth::refuse(&self.auth, &mut tx, &other, false).await,
        };
        let mailbox = headers::to_user(&req).unwrap_or_default();
        if mailbox != extension.number {
            tracing::info!(user = %extension.number, %mailbox, "message-summary SUBSCRIBE for another mailbox refused");
            let _ = tx.reply(StatusCode::Forbidden).await;
            return;
        }
        let counts = match self
            .store
            .mailbox_counts(std::slice::from_ref(&mailbox))
            .await
        {
            Ok(c) => c.into_iter().next().flatten(),
            Err(e) => {
                tracing::warn!(%mailbox, error = %e, "cannot read the mailbox for a subscription");
                let _ = tx.reply(StatusCode::ServerInternalError).await;
                return;
            }
        };
        let Some((new, old)) = counts else {
            let _ = tx.reply(StatusCode::NotFound).await;
            return;
        };
        let expires = granted(expires_of(&req));
        let (state_tx, state_rx) = self.dialogs.new_dialog_state_channel();
        let dialog = match self
            .dialogs
            .get_or_create_server_subscription(&tx, state_tx, None, None)
        {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "cannot make a subscription dialog");
                let _ = tx.reply(StatusCode::ServerInternalError).await;
                return;
            }
        };
        if let Err(e) = dialog.accept(Some(vec![Header::Expires(expires.into())]), None) {
            tracing::warn!(error = %e, "cannot accept a subscription");
            return;
        }
        // The transaction sends the 200 (and its retransmissions) from here.
        tokio::spawn(async move { while tx.receive().await.is_some() {} });
        let account = format!("sip:{mailbox}@{}", self.domain);
        let id = dialog.id().to_string();
        tracing::info!(%mailbox, expires, "phone subscribed to its mailbox's message waiting");
        notify(&dialog, &account, (new, old), expires).await;
        if expires == 0 {
            return;
        }
        if let Ok(mut subs) = self.subscriptions.lock() {
            subs.insert(
                id.clone(),
                Subscription {
                    mailbox,
                    account,
                    dialog,
                    expires_at: Instant::now() + Duration::from_secs(u64::from(expires)),
                    told: Some((new, old)),
                },
            );
        }
        tokio::spawn(self.clone().follow(id, state_rx));
    }

    /// Refreshes and unsubscriptions arriving in the dialog.
    async fn follow(
        self: Arc<Self>,
        id: String,
        mut states: rsipstack::dialog::dialog::DialogStateReceiver,
    ) {
        while let Some(state) = states.recv().await {
            match state {
                DialogState::Updated(_, req, handle) => {
                    let expires = granted(expires_of(&req));
                    let _ = handle
                        .respond(
                            StatusCode::OK,
                            Some(vec![Header::Expires(expires.into())]),
                            None,
                        )
                        .await;
                    let found = self.refresh(&id, expires);
                    if let Some((dialog, account, counts)) = found {
                        notify(&dialog, &account, counts, expires).await;
                    }
                    if expires == 0 {
                        break;
                    }
                }
                DialogState::Terminated(..) => break,
                _ => {}
            }
        }
        self.forget(&id);
    }

    /// A refresh of subscription `id` for `expires` seconds (0: it ends).
    fn refresh(
        &self,
        id: &str,
        expires: u32,
    ) -> Option<(ServerSubscriptionDialog, String, (u32, u32))> {
        let mut subs = self.subscriptions.lock().ok()?;
        let sub = subs.get_mut(id)?;
        sub.expires_at = Instant::now() + Duration::from_secs(u64::from(expires));
        let found = (
            sub.dialog.clone(),
            sub.account.clone(),
            sub.told.unwrap_or((0, 0)),
        );
        if expires == 0 {
            subs.remove(id);
        }
        Some(found)
    }

    fn forget(&self, id: &str) {
        if let Ok(mut subs) = self.subscriptions.lock() {
            subs.remove(id);
        }
    }

    /// Until `stop`: ends expired subscriptions, reads the subscribed mailboxes and
    /// notifies the phones whose counts changed.
    pub async fn watch(self: Arc<Self>, stop: CancellationToken) {
        let mut tick = tokio::time::interval(CHECK_EVERY);
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                _ = tick.tick() => {}
            }
            self.check().await;
        }
    }

    async fn check(&self) {
        let now = Instant::now();
        let (mailboxes, expired) = {
            let Ok(mut subs) = self.subscriptions.lock() else {
                return;
            };
            let expired: Vec<String> = subs
                .iter()
                .filter(|(_, s)| s.expires_at <= now)
                .map(|(id, _)| id.clone())
                .collect();
            for id in &expired {
                subs.remove(id);
            }
            let mut mailboxes: Vec<String> = subs.values().map(|s| s.mailbox.clone()).collect();
            mailboxes.sort();
            mailboxes.dedup();
            (mailboxes, expired.len())
        };
        if expired > 0 {
            tracing::debug!(expired, "message-waiting subscriptions expired");
        }
        if mailboxes.is_empty() {
            return;
        }
        let counts = match self.store.mailbox_counts(&mailboxes).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the subscribed mailboxes");
                return;
            }
        };
        let by_mailbox: HashMap<&str, (u32, u32)> = mailboxes
            .iter()
            .zip(counts)
            .map(|(m, c)| (m.as_str(), c.unwrap_or((0, 0))))
            .collect();
        let changed: Vec<(ServerSubscriptionDialog, String, (u32, u32), u32)> = {
            let Ok(mut subs) = self.subscriptions.lock() else {
                return;
            };
            subs.values_mut()
                .filter_map(|s| {
                    let now_counts = *by_mailbox.get(s.mailbox.as_str())?;
                    if s.told == Some(now_counts) {
                        return None;
                    }
                    s.told = Some(now_counts);
                    let left = s.expires_at.saturating_duration_since(now).as_secs();
                    Some((
                        s.dialog.clone(),
                        s.account.clone(),
                        now_counts,
                        u32::try_from(left).unwrap_or(MAX_EXPIRES),
                    ))
                })
                .collect()
        };
        for (dialog, account, counts, left) in changed {
            tracing::info!(%account, new = counts.0, old = counts.1, "message waiting changed");
            notify(&dialog, &account, counts, left).await;
        }
    }

    /// The subscription count, for tests and metrics.
    pub fn len(&self) -> usize {
        self.subscriptions.lock().map_or(0, |s| s.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// NOTIFY with the counts; `expires` 0 terminates the subscription.
async fn notify(
    dialog: &ServerSubscriptionDialog,
    account: &str,
    (new, old): (u32, u32),
    expires: u32,
) {
    let state = if expires == 0 {
        "terminated;reason=timeout".to_owned()
    } else {
        format!("active;expires={expires}")
    };
    let headers = vec![
        headers::other("Event", EVENT),
        headers::other("Subscription-State", &state),
        Header::ContentType("application/simple-message-summary".into()),
    ];
    let body = summary(account, new, old).into_bytes();
    if let Err(e) = dialog.notify(Some(headers), Some(body)).await {
        tracing::debug!(id = %DialogId::to_string(&dialog.id()), error = %e, "message-summary NOTIFY failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_says_whether_new_messages_wait_with_the_counts() {
        assert_eq!(
            summary("sip:58102@pbx", 2, 1),
            "Messages-Waiting: yes\r\nMessage-Account: sip:58102@pbx\r\nVoice-Message: 2/1 (0/0)\r\n"
        );
        assert!(summary("sip:58102@pbx", 0, 3).starts_with("Messages-Waiting: no\r\n"));
    }

    #[test]
    fn subscriptions_last_an_hour_unless_asked_otherwise_within_bounds() {
        assert_eq!(granted(None), 3600);
        assert_eq!(granted(Some(0)), 0);
        assert_eq!(granted(Some(10)), 60);
        assert_eq!(granted(Some(600)), 600);
        assert_eq!(granted(Some(86_400)), 3600);
    }
}
