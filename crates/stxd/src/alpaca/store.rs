//! What the Alpaca face keeps in the data directory (`alpaca.json`): each device's
//! UniqueID, made once and kept forever (clients know a device by it), and the filter
//! wheel's focus offsets, which the STX has no place for. Written atomically
//! (`stx_sim::durable`); a file that cannot be read is set aside, not overwritten.

use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use stx_protocol::FilterSlot;

/// The file's name under the data directory.
pub(crate) const FILE_NAME: &str = "alpaca.json";

/// The number of filter wheel positions: the STX API's slots 1 to 8.
pub(crate) const WHEEL_POSITIONS: usize = FilterSlot::MAX as usize;

/// The file's layout.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct FileForm {
    /// UniqueID by device (`Camera/0`).
    #[serde(default)]
    unique_ids: BTreeMap<String, String>,
    /// Focus offsets of wheel positions 0 to 7, in focuser steps.
    #[serde(default)]
    focus_offsets: Vec<i32>,
}

/// The Alpaca face's persisted state.
#[derive(Debug)]
pub(crate) struct AlpacaStore {
    path: PathBuf,
    contents: Mutex<FileForm>,
}

impl AlpacaStore {
    /// The state in `dir`, with a UniqueID for each of `devices` (made and written now
    /// for any that has none).
    pub(crate) fn open(dir: &Path, devices: &[String]) -> io::Result<AlpacaStore> {
        let path = dir.join(FILE_NAME);
        let mut contents = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).or_else(|e| {
                let aside = dir.join(format!("{FILE_NAME}.unreadable"));
                tracing::error!("{} cannot be read ({e}); set aside as {}", path.display(), aside.display());
                std::fs::rename(&path, &aside).map(|()| FileForm::default())
            })?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => FileForm::default(),
            Err(e) => return Err(e),
        };
        let before = contents.clone();
        for device in devices {
            contents.unique_ids.entry(device.clone()).or_insert_with(new_unique_id);
        }
        contents.focus_offsets.resize(WHEEL_POSITIONS, 0);
        let store = AlpacaStore { path, contents: Mutex::new(contents) };
        if *store.lock() != before {
            store.save()?;
        }
        Ok(store)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FileForm> {
        self.contents.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn save(&self) -> io::Result<()> {
        let contents = self.lock();
        let text = serde_json::to_vec_pretty(&*contents).map_err(io::Error::other)?;
        stx_sim::durable::write_atomically(&self.path, &text)
    }

    /// The UniqueID of `device` (one of those the store was opened with).
    pub(crate) fn unique_id(&self, device: &str) -> String {
        self.lock().unique_ids.get(device).cloned().unwrap_or_default()
    }

    /// The focus offsets of wheel positions 0 to 7.
    pub(crate) fn focus_offsets(&self) -> Vec<i32> {
        self.lock().focus_offsets.clone()
    }

    /// Replaces the focus offsets; in force once written.
    pub(crate) fn set_focus_offsets(&self, offsets: [i32; WHEEL_POSITIONS]) -> io::Result<()> {
        let old = std::mem::replace(&mut self.lock().focus_offsets, offsets.to_vec());
        self.save().inspect_err(|_| self.lock().focus_offsets = old)
    }
}

/// A random UniqueID of 128 bits in the UUID form. The bits come from the standard
/// library's per-process random hash keys (seeded from the OS): no dependency for 16
/// bytes made once per device.
fn new_unique_id() -> String {
    let random = || std::collections::hash_map::RandomState::new().build_hasher().finish();
    let (a, b) = (random(), random());
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_made_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let devices = ["Camera/0".to_owned(), "FilterWheel/0".to_owned()];
        let first = AlpacaStore::open(dir.path(), &devices).unwrap();
        let id = first.unique_id("Camera/0");
        assert_eq!(id.len(), 36);
        assert_ne!(id, first.unique_id("FilterWheel/0"));
        first.set_focus_offsets([1, 2, 3, 4, 5, 6, 7, 8]).unwrap();
        let again = AlpacaStore::open(dir.path(), &devices).unwrap();
        assert_eq!(again.unique_id("Camera/0"), id);
        assert_eq!(again.focus_offsets(), [1, 2, 3, 4, 5, 6, 7, 8]);
    }

    #[test]
    fn an_unreadable_file_is_set_aside() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), "not json").unwrap();
        let store = AlpacaStore::open(dir.path(), &["Camera/0".to_owned()]).unwrap();
        assert_eq!(store.focus_offsets(), [0; 8]);
        assert!(dir.path().join("alpaca.json.unreadable").exists());
    }
}
