//! The camera's non-volatile "flash": the filter names and FITS header settings, which
//! the real camera keeps across power cycles. The simulated camera keeps them in one
//! TOML file under its data directory.
//!
//! Reading never fails: a missing or unreadable file gives the defaults, and a field
//! that breaks the API's rules gives that field's default, so a damaged file cannot
//! stop the camera. Writing replaces the file atomically (a temporary file in the same
//! directory, flushed to disk, renamed over the old one, the directory flushed), so a
//! crash leaves the old file or the new one, never a mix.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde::{Deserialize, Serialize};
use stx_protocol::{FilterName, FitsSettings, FitsText};

/// The file's name under the data directory.
pub const FLASH_FILE_NAME: &str = "camera-flash.toml";

/// What the flash holds.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct FlashContents {
    /// `Filter1Name`..`Filter8Name`.
    pub(super) filter_names: [FilterName; 8],
    /// The FITS header settings.
    pub(super) fits: FitsSettings,
}

impl Default for FlashContents {
    /// A new camera's flash: every filter `Empty`, the spec's FITS defaults.
    fn default() -> Self {
        FlashContents {
            filter_names: std::array::from_fn(|_| FilterName::empty()),
            fits: FitsSettings::default(),
        }
    }
}

/// The flash file of one data directory.
#[derive(Debug)]
pub(super) struct FlashFile {
    path: PathBuf,
    /// Serialises writers, so the last change made is the last one written.
    writes: Mutex<()>,
}

/// Permission to write the flash, held from taking the snapshot to the rename.
pub(super) struct FlashWriter<'a> {
    file: &'a FlashFile,
    _turn: MutexGuard<'a, ()>,
}

impl FlashFile {
    /// The flash in `dir`, creating the directory if needed.
    pub(super) fn open(dir: &Path) -> io::Result<FlashFile> {
        fs::create_dir_all(dir)?;
        Ok(FlashFile { path: dir.join(FLASH_FILE_NAME), writes: Mutex::new(()) })
    }

    /// The file's path.
    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// What the file holds; the defaults for whatever is missing or damaged.
    pub(super) fn load(&self) -> FlashContents {
        fs::read_to_string(&self.path)
            .ok()
            .and_then(|text| toml::from_str::<FileForm>(&text).ok())
            .map(FileForm::into_contents)
            .unwrap_or_default()
    }

    /// Waits for the turn to write. Take it before reading the state to be written, so
    /// that two concurrent changes are written in the order they were made.
    pub(super) fn writer(&self) -> FlashWriter<'_> {
        FlashWriter { file: self, _turn: self.writes.lock().unwrap_or_else(PoisonError::into_inner) }
    }
}

impl FlashWriter<'_> {
    /// Replaces the file with `contents`, atomically and durably.
    pub(super) fn save(&self, contents: &FlashContents) -> io::Result<()> {
        let text = toml::to_string(&FileForm::from_contents(contents)).map_err(io::Error::other)?;
        crate::durable::write_atomically(&self.file.path, text.as_bytes())
    }
}

/// The file's layout: plain strings and numbers, checked on the way in.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct FileForm {
    filters: FiltersForm,
    fits: FitsForm,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct FiltersForm {
    names: Vec<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct FitsForm {
    object_name: Option<String>,
    observer: Option<String>,
    telescope: Option<String>,
    focal_length_mm: Option<f64>,
    aperture_mm: Option<f64>,
    area_mm2: Option<f64>,
}

impl FileForm {
    fn from_contents(c: &FlashContents) -> FileForm {
        let text = |t: &FitsText| Some(t.as_str().to_owned());
        FileForm {
            filters: FiltersForm { names: c.filter_names.iter().map(|n| n.as_str().to_owned()).collect() },
            fits: FitsForm {
                object_name: text(&c.fits.object_name),
                observer: text(&c.fits.observer),
                telescope: text(&c.fits.telescope),
                focal_length_mm: Some(c.fits.focal_length_mm),
                aperture_mm: Some(c.fits.aperture_mm),
                area_mm2: Some(c.fits.area_mm2),
            },
        }
    }

    /// The contents, each value checked by the rules the API applies to it.
    fn into_contents(self) -> FlashContents {
        let defaults = FlashContents::default();
        let names = self.filters.names;
        let filter_names = std::array::from_fn(|i| {
            names.get(i).and_then(|n| FilterName::new(n)).unwrap_or_else(|| defaults.filter_names[i].clone())
        });
        let text =
            |t: Option<String>, default: FitsText| t.and_then(|t| FitsText::new(&t)).unwrap_or(default);
        let real = |v: Option<f64>, default: f64| v.filter(|v| v.is_finite()).unwrap_or(default);
        let (f, d) = (self.fits, defaults.fits);
        FlashContents {
            filter_names,
            fits: FitsSettings {
                object_name: text(f.object_name, d.object_name),
                observer: text(f.observer, d.observer),
                telescope: text(f.telescope, d.telescope),
                focal_length_mm: real(f.focal_length_mm, d.focal_length_mm),
                aperture_mm: real(f.aperture_mm, d.aperture_mm),
                area_mm2: real(f.area_mm2, d.area_mm2),
            },
        }
    }
}
