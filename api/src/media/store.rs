//! Audio files under the data directory.
//!
//! A file is written to `tmp/`, flushed to disk, then renamed into `recordings/`: a crash
//! leaves either nothing or a complete file. The database row is written after the file
//! and removed before it, so a row never points to a missing file; a file whose row was
//! never written (a crash in between) is swept at the next start.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct MediaStore {
    recordings: PathBuf,
    tmp: PathBuf,
}

impl MediaStore {
    /// Creates the folders under `data_dir`.
    pub fn open(data_dir: &Path) -> std::io::Result<Self> {
        let store = Self {
            recordings: data_dir.join("recordings"),
            tmp: data_dir.join("tmp"),
        };
        std::fs::create_dir_all(&store.recordings)?;
        std::fs::create_dir_all(&store.tmp)?;
        Ok(store)
    }

    pub fn path(&self, file_name: &str) -> PathBuf {
        self.recordings.join(file_name)
    }

    /// Writes a complete file named `file_name`, durably.
    pub async fn write(&self, file_name: &str, bytes: Vec<u8>) -> std::io::Result<()> {
        let tmp = self.tmp.join(format!("{file_name}.part"));
        let target = self.path(file_name);
        tokio::task::spawn_blocking(move || {
            let result = (|| {
                let mut file = std::fs::File::create(&tmp)?;
                file.write_all(&bytes)?;
                file.sync_all()?;
                std::fs::rename(&tmp, &target)
            })();
            if result.is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
            result
        })
        .await
        .map_err(std::io::Error::other)?
    }

    /// Whether a write failed for want of space (a full disk, or a quota reached).
    pub fn is_full(error: &std::io::Error) -> bool {
        use std::io::ErrorKind;
        matches!(
            error.kind(),
            ErrorKind::StorageFull | ErrorKind::QuotaExceeded
        )
    }

    pub async fn remove(&self, file_name: &str) -> std::io::Result<()> {
        match tokio::fs::remove_file(self.path(file_name)).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Removes leftovers of interrupted writes and files without a row. Returns how
    /// many files were removed.
    pub fn sweep(&self, known: &HashSet<String>) -> std::io::Result<usize> {
        let mut removed = 0;
        for entry in std::fs::read_dir(&self.tmp)? {
            std::fs::remove_file(entry?.path())?;
            removed += 1;
        }
        for entry in std::fs::read_dir(&self.recordings)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.file_type()?.is_file() && !known.contains(&name) {
                tracing::warn!(file = %entry.path().display(), "removing audio file without a database row");
                std::fs::remove_file(entry.path())?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}
