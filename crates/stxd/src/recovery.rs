//! After a crash: an image file the history holds no record of (the process stopped
//! between putting the file in place and recording it) is measured again from the file
//! and recorded, so a frame that reached the disk is never lost.

use chrono::{DateTime, Local};
use stx_camera::fits;
use stx_history::{History, ImageType};

use crate::pipeline::{image_info, measure};

/// Reads, measures and records one orphan; a file that cannot be read as one of our
/// frames is removed (it holds nothing a user can use, and would be reported forever).
pub(crate) fn adopt_orphan(history: &History, filename: &str) -> Result<(), stx_history::Error> {
    let path = history.image_path(filename);
    let parsed = std::fs::read(&path).ok().and_then(|bytes| fits::read(&bytes).ok());
    let Some(frame) = parsed.and_then(|image| fits::frame_of(&image)) else {
        tracing::warn!("unreadable image file without a record removed: {filename}");
        return history.remove_orphan(filename);
    };
    // The name records the type it was stored as; the header says Light for a SNAPSHOT.
    let image_type =
        History::image_type_of(filename).unwrap_or_else(|| ImageType::from(frame.meta().frame_type));
    let analysis = measure(&frame, image_type);
    let mut info = image_info(&frame, &analysis, image_type);
    // The file's own time is when it was saved; the record's Date is that moment.
    if let Ok(modified) = std::fs::metadata(&path).and_then(|m| m.modified()) {
        info.date = DateTime::<Local>::from(modified).fixed_offset();
    }
    history.adopt(filename, info)?;
    tracing::info!("recovered a frame saved just before a crash: {filename}");
    Ok(())
}
