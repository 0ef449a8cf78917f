//! The engine's storage, on the API server's database.

use crate::auth::secrets;
use crate::storage::{self, Db, StorageError};
use engine::digest::Ha1;
use engine::store::{Binding, CallRecord, ExtensionRecord, Store, StoreError};

/// [`Store`] over sqlx.
#[derive(Debug, Clone)]
pub struct SqlStore {
    db: Db,
}

impl SqlStore {
    pub fn new(db: Db) -> Self {
        Self { db }
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

    async fn save_call(&self, record: &CallRecord) -> Result<(), StoreError> {
        storage::calls::save(&self.db, record)
            .await
            .map_err(StoreError::from)
    }
}
