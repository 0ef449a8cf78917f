//! The status-callback worker: delivers what the outbox holds, signed, retrying with
//! growing delays, so a slow or dead application never delays a call and a restart loses
//! nothing (ARCHITECTURE.md: the life of one call).

use crate::storage::{self, Db};
use engine::webhook::WebhookClient;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Attempts before a callback is given up (the last one about 20 minutes after the first).
const MAX_ATTEMPTS: i64 = 12;
/// How long one delivery may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The delay before attempt `n + 1` after `n` failures: 1 s, 2 s, 4 s, … at most 5 min.
pub fn backoff(failures: i64) -> Duration {
    let exponent = u32::try_from(failures.clamp(1, 20) - 1).unwrap_or(0);
    Duration::from_secs(2u64.saturating_pow(exponent).min(300))
}

/// Runs the worker until the process ends. `wake` is notified when a callback is queued.
pub fn spawn(db: Db, client: WebhookClient, wake: Arc<Notify>) {
    tokio::spawn(async move {
        loop {
            match storage::outbox::due(&db, 32).await {
                Ok(batch) if !batch.is_empty() => {
                    for pending in batch {
                        deliver(&db, &client, pending).await;
                    }
                    continue;
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "cannot read the webhook outbox"),
            }
            // Woken by a new callback, or once a second for the retries that fell due.
            let _ = tokio::time::timeout(Duration::from_secs(1), wake.notified()).await;
        }
    });
}

/// The secret that signs `application`'s callbacks: its own, or for a call placed
/// without an application, the secret of URL destinations.
async fn signing_secret(db: &Db, application: &str) -> storage::Result<Option<String>> {
    if application == storage::settings::URL_APPLICATION {
        return storage::settings::get(db, storage::settings::URL_SECRET).await;
    }
    storage::applications::signing_secret(db, application).await
}

async fn deliver(db: &Db, client: &WebhookClient, pending: storage::outbox::Pending) {
    let secret = match signing_secret(db, &pending.application_id).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            tracing::info!(application = %pending.application_id, "status callback dropped: the application was deleted");
            let _ = storage::outbox::failed(db, &pending.id, "application deleted", None).await;
            return;
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot read an application's secret");
            return;
        }
    };
    let result = match url::Url::parse(&pending.url) {
        Ok(url) => {
            client
                .post_signed(&url, &secret, pending.body.clone().into_bytes(), TIMEOUT)
                .await
        }
        Err(e) => Err(format!("invalid URL: {e}")),
    };
    let stored = match result {
        Ok(()) => {
            tracing::debug!(url = %pending.url, "status callback delivered");
            storage::outbox::delivered(db, &pending.id).await
        }
        Err(problem) => {
            let failures = pending.attempts + 1;
            if failures >= MAX_ATTEMPTS {
                tracing::error!(url = %pending.url, attempts = failures, %problem, "status callback given up");
                storage::outbox::failed(db, &pending.id, &problem, None).await
            } else {
                let delay = backoff(failures);
                tracing::warn!(url = %pending.url, attempt = failures, %problem, retry_in_s = delay.as_secs(), "status callback failed");
                let next = storage::format_timestamp(time::OffsetDateTime::now_utc() + delay);
                storage::outbox::failed(db, &pending.id, &problem, Some(&next)).await
            }
        }
    };
    if let Err(e) = stored {
        tracing::warn!(error = %e, "cannot record a status callback's delivery");
    }
}

#[cfg(test)]
mod tests {
    use super::backoff;
    use std::time::Duration;

    #[test]
    fn backoff_doubles_up_to_five_minutes() {
        let secs: Vec<u64> = (1..=12).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
        assert_eq!(backoff(0), Duration::from_secs(1));
    }
}
