//! The engine's storage, on the API server's database.

use crate::auth::secrets;
use crate::media::store::MediaStore;
use crate::storage::{self, Db, StorageError};
use engine::digest::Ha1;
use engine::store::{AppWebhooks, Binding, CallRecord, ExtensionRecord, Store, StoreError};
use engine::webhook::WebhookPolicy;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::Notify;

/// [`Store`] over sqlx.
#[derive(Debug, Clone)]
pub struct SqlStore {
    db: Db,
    media: MediaStore,
    /// Wakes the status-callback worker.
    outbox: Arc<Notify>,
}

impl SqlStore {
    pub fn new(db: Db, media: MediaStore, outbox: Arc<Notify>) -> Self {
        Self { db, media, outbox }
    }
}

impl From<StorageError> for StoreError {
    fn from(e: StorageError) -> Self {
        StoreError(e.to_string())
    }
}

impl Store for SqlStore {
    async fn extension(&self, number: &str) -> Result<Option<ExtensionRecord>, StoreError> {
        let stored = storage::extensions::get(&self.db, number)
            .await
            .map_err(StoreError::from)?;
        Ok(stored.map(|s| ExtensionRecord {
            number: s.extension.number.to_string(),
            display_name: s.extension.name.to_string(),
            realm: s.sip_realm,
            ha1: Ha1 {
                md5: s.sip_ha1_md5,
                sha256: s.sip_ha1_sha256,
            },
            ring_time: s.extension.ring_time.seconds(),
        }))
    }

    async fn save_binding(&self, binding: &Binding) -> Result<(), StoreError> {
        let id = format!("RG{}", hex::encode(secrets::random_bytes::<16>()));
        storage::registrations::save(&self.db, binding, &id)
            .await
            .map_err(StoreError::from)
    }

    async fn remove_binding(&self, aor: &str, contact: &str) -> Result<(), StoreError> {
        storage::registrations::remove(&self.db, aor, contact)
            .await
            .map_err(StoreError::from)
    }

    async fn remove_bindings(&self, aor: &str) -> Result<(), StoreError> {
        storage::registrations::remove_all(&self.db, aor)
            .await
            .map_err(StoreError::from)
    }

    async fn bindings(&self, aor: &str, now: u64) -> Result<Vec<Binding>, StoreError> {
        storage::registrations::of(&self.db, aor, now)
            .await
            .map_err(StoreError::from)
    }

    async fn purge_bindings(&self, now: u64) -> Result<u64, StoreError> {
        storage::registrations::purge(&self.db, now)
            .await
            .map_err(StoreError::from)
    }

    async fn number_application(&self, number: &str) -> Result<Option<AppWebhooks>, StoreError> {
        let Some(n) = storage::numbers::get(&self.db, number).await? else {
            return Ok(None);
        };
        let Some(id) = n.application_id else {
            return Ok(None);
        };
        let Some(app) = storage::applications::get(&self.db, id.as_str()).await? else {
            return Ok(None);
        };
        let Some(secret) = storage::applications::signing_secret(&self.db, id.as_str()).await?
        else {
            return Ok(None);
        };
        let parse = |u: &str| url::Url::parse(u).map_err(|e| StoreError(format!("{u}: {e}")));
        Ok(Some(AppWebhooks {
            application_id: app.id.to_string(),
            voice_url: parse(app.voice_url.as_str())?,
            method: app.voice_method,
            fallback_url: app
                .fallback_url
                .as_ref()
                .map(|u| parse(u.as_str()))
                .transpose()?,
            status_callback: app
                .status_callback
                .as_ref()
                .map(|u| parse(u.as_str()))
                .transpose()?,
            secret,
            policy: WebhookPolicy::default(),
        }))
    }

    async fn recording_file(&self, id_or_name: &str) -> Result<Option<PathBuf>, StoreError> {
        let row = storage::recordings::get(&self.db, id_or_name).await?;
        Ok(row.map(|r| self.media.path(&r.file_name)))
    }

    async fn enqueue_callback(
        &self,
        application_id: &str,
        url: &str,
        body: String,
    ) -> Result<(), StoreError> {
        let id = format!("WE{}", hex::encode(secrets::random_bytes::<16>()));
        storage::outbox::insert(&self.db, &id, application_id, url, &body).await?;
        self.outbox.notify_one();
        Ok(())
    }

    async fn save_call(&self, record: &CallRecord) -> Result<(), StoreError> {
        storage::calls::save(&self.db, record)
            .await
            .map_err(StoreError::from)
    }
}
