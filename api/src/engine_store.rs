//! The engine's storage, on the API server's database.

use crate::apps::{Link, directory};
use crate::auth::secrets;
use crate::media::store::MediaStore;
use crate::media::wav;
use crate::storage::recordings::StoredRecording;
use crate::storage::{self, Db, StorageError};
use contract::models::{Recording, RecordingKind};
use contract::types::Destination;
use contract::types::{RecordingId, ResourceName};
use engine::digest::Ha1;
use engine::store::{
    AppWebhooks, Binding, CallRecord, ExtensionRecord, InboundTrunk, Origin, RingHistory,
    RouteMatch, SavedRecording, Store, StoreError, TrunkRecord,
};
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
    /// Where the built-in apps answer (for routing calls and destinations to them).
    apps: Arc<Link>,
    /// This node's id, written in the call records it runs.
    node: Arc<str>,
}

impl SqlStore {
    pub fn new(
        db: Db,
        media: MediaStore,
        outbox: Arc<Notify>,
        apps: Arc<Link>,
        node: Arc<str>,
    ) -> Self {
        Self {
            db,
            media,
            outbox,
            apps,
            node,
        }
    }

    /// Where the built-in apps answer and their signing secret.
    pub fn apps(&self) -> &Link {
        &self.apps
    }

    /// How to reach application `id` (its URLs and signing secret).
    pub async fn application(&self, id: &str) -> Result<Option<AppWebhooks>, StoreError> {
        Ok(directory::application(&self.db, id).await?)
    }
}

/// A trunk as the engine sees it.
fn trunk_record(t: &storage::trunks::StoredTrunk) -> TrunkRecord {
    TrunkRecord {
        name: t.trunk.name.to_string(),
        host: t.trunk.host.to_string(),
        port: t.trunk.port,
        transport: t.trunk.transport.as_str().to_owned(),
        username: t.trunk.username.as_ref().map(ToString::to_string),
        password: t.password.as_ref().map(|p| p.as_str().to_owned()),
        enabled: t.trunk.enabled,
        max_channels: t.trunk.max_channels,
        register: t.trunk.register,
        register_expiry: t.trunk.register_expiry,
        options_interval: t.trunk.options_interval,
        caller_id: t.trunk.caller_id.as_ref().map(ToString::to_string),
        caller_id_rule: t.trunk.caller_id_rule,
        from_user: t.trunk.from_user.as_ref().map(ToString::to_string),
        from_host: t.trunk.from_host.as_ref().map(ToString::to_string),
        asserted_identity: t.trunk.asserted_identity,
        diversion: t.trunk.diversion,
        silence_timeout: t.trunk.silence_timeout,
        application_id: t.trunk.application_id.as_ref().map(ToString::to_string),
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

    async fn route(
        &self,
        dialled: &str,
        origin: Origin<'_>,
    ) -> Result<Option<AppWebhooks>, StoreError> {
        Ok(directory::route(&self.db, &self.apps, dialled, origin).await?)
    }

    async fn inbound_trunks(&self) -> Result<Vec<InboundTrunk>, StoreError> {
        let stored = storage::trunks::inbound(&self.db).await?;
        Ok(stored
            .into_iter()
            .map(|s| InboundTrunk {
                name: s.trunk.name.to_string(),
                host: s.trunk.host.to_string(),
                auth: s.trunk.inbound_auth,
                username: s.trunk.inbound_username.map(|u| u.to_string()),
                password: s.inbound_password.map(|p| p.as_str().to_owned()),
                reach: s.trunk.inbound_reach,
                number_from: s.trunk.inbound_number,
                strip_prefix: s.trunk.inbound_strip_prefix.map(|p| p.to_string()),
                max_channels: s.trunk.max_channels,
            })
            .collect())
    }

    async fn destination(
        &self,
        destination: &Destination,
    ) -> Result<Option<AppWebhooks>, StoreError> {
        Ok(directory::destination(&self.db, &self.apps, destination).await?)
    }

    async fn route_number(&self, dialled: &str) -> Result<Option<RouteMatch>, StoreError> {
        // The same route the `number:` app checked the caller's permission against.
        let Some(route) = storage::outbound_routes::first_taking(&self.db, dialled).await? else {
            return Ok(None);
        };
        Ok(route
            .dial_patterns
            .iter()
            .find_map(|rule| rule.rewrite(dialled))
            .map(|number| RouteMatch {
                trunks: route.trunks.iter().map(ToString::to_string).collect(),
                number,
                caller_id: route.caller_id.as_ref().map(ToString::to_string),
            }))
    }

    async fn trunk(&self, name: &str) -> Result<Option<TrunkRecord>, StoreError> {
        Ok(storage::trunks::get(&self.db, name)
            .await?
            .map(|t| trunk_record(&t)))
    }

    async fn trunks(&self) -> Result<Vec<TrunkRecord>, StoreError> {
        let all = storage::trunks::enabled(&self.db).await?;
        Ok(all.iter().map(trunk_record).collect())
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
        storage::outbox::insert(self.db.pool(), &id, application_id, url, &body).await?;
        self.outbox.notify_one();
        Ok(())
    }

    async fn save_recording(
        &self,
        name: &str,
        samples: &[i16],
    ) -> Result<SavedRecording, StoreError> {
        let name =
            ResourceName::parse(name).map_err(|e| StoreError(format!("name {name}: {e}")))?;
        let wav = pcm16_wav(samples).map_err(|e| StoreError(format!("cannot encode WAV: {e}")))?;
        let id = RecordingId::from_random(secrets::random_bytes());
        let file_name = format!("{id}.wav");
        let duration_ms = samples.len() as u64 * 1000 / u64::from(wav::STORED_RATE);
        let row = StoredRecording {
            recording: Recording {
                audio_url: format!("/v1/recordings/{id}/audio"),
                id: id.clone(),
                name,
                kind: RecordingKind::Call,
                duration_ms,
                size_bytes: wav.len() as u64,
                sample_rate: wav::STORED_RATE,
                channels: 1,
                bits_per_sample: 16,
                source: None,
                created_at: storage::now(),
            },
            file_name: file_name.clone(),
        };
        // The file first, then the row: a row never points to a missing file.
        self.media.write(&file_name, wav).await.map_err(|e| {
            if MediaStore::is_full(&e) {
                StoreError(format!("the disk is full: {file_name} not written"))
            } else {
                StoreError(format!("cannot write {file_name}: {e}"))
            }
        })?;
        if let Err(e) = storage::recordings::insert(&self.db, &row).await {
            let _ = self.media.remove(&file_name).await;
            return Err(e.into());
        }
        Ok(SavedRecording {
            id: id.to_string(),
            url: row.recording.audio_url,
            duration_ms,
        })
    }

    async fn ring_history(
        &self,
        numbers: &[String],
        since: &str,
    ) -> Result<Vec<RingHistory>, StoreError> {
        Ok(storage::calls::ring_history(&self.db, numbers, since).await?)
    }

    async fn queue_join(
        &self,
        queue: &str,
        caller: &engine::store::QueueCaller,
        now_ms: u64,
    ) -> Result<engine::store::QueueJoin, StoreError> {
        Ok(storage::queue_calls::join(&self.db, queue, caller, now_ms).await?)
    }

    async fn queue_claim(
        &self,
        queue: &str,
        sid: &str,
        estimate: bool,
        now_ms: u64,
    ) -> Result<engine::store::QueueClaim, StoreError> {
        Ok(storage::queue_calls::claim(&self.db, queue, sid, estimate, now_ms).await?)
    }

    async fn queue_change(
        &self,
        queue: &str,
        sid: &str,
        change: &engine::store::QueueChange,
        now_ms: u64,
    ) -> Result<(), StoreError> {
        Ok(storage::queue_calls::change(&self.db, queue, sid, change, now_ms).await?)
    }

    async fn mailbox_counts(
        &self,
        mailboxes: &[String],
    ) -> Result<Vec<Option<(u32, u32)>>, StoreError> {
        Ok(storage::voicemail::counts_of(&self.db, mailboxes).await?)
    }

    async fn save_call(&self, record: &CallRecord) -> Result<(), StoreError> {
        storage::calls::save(&self.db, record, &self.node)
            .await
            .map_err(StoreError::from)
    }
}

/// 8 kHz mono 16-bit samples as a WAV file.
fn pcm16_wav(samples: &[i16]) -> Result<Vec<u8>, hound::Error> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: wav::STORED_RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut out = std::io::Cursor::new(Vec::with_capacity(44 + samples.len() * 2));
    let mut writer = hound::WavWriter::new(&mut out, spec)?;
    for s in samples {
        writer.write_sample(*s)?;
    }
    writer.finalize()?;
    Ok(out.into_inner())
}
