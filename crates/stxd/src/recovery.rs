//! After a crash: an image file the history holds no record of (the process stopped
//! between putting the file in place and recording it) is measured again from the file
//! and recorded, so a frame that reached the disk is never lost.

use std::sync::Arc;

use chrono::{DateTime, Local};
use stx_camera::fits::{self, FitsImage, Pixels};
use stx_camera::{Frame, FrameMeta};
use stx_history::{History, ImageType};
use stx_protocol::{Binning, Ccd, FitsChange, FitsKey, FitsSettings, FrameType, ObsDateTime};

use crate::pipeline::{image_info, measure};

/// Reads, measures and records one orphan; a file that cannot be read as one of our
/// frames is removed (it holds nothing a user can use, and would be reported forever).
pub(crate) fn adopt_orphan(history: &History, filename: &str) -> Result<(), stx_history::Error> {
    let path = history.image_path(filename);
    let parsed = std::fs::read(&path).ok().and_then(|bytes| fits::read(&bytes).ok());
    let Some((frame, fits)) = parsed.and_then(|image| frame_of(&image)) else {
        tracing::warn!("unreadable image file without a record removed: {filename}");
        return history.remove_orphan(filename);
    };
    // The name records the type it was stored as; the header says Light for a SNAPSHOT.
    let image_type =
        History::image_type_of(filename).unwrap_or_else(|| ImageType::from(frame.meta().frame_type));
    let analysis = measure(&frame, image_type);
    let mut info = image_info(&frame, &analysis, &fits, image_type);
    // The file's own time is when it was saved; the record's Date is that moment.
    if let Ok(modified) = std::fs::metadata(&path).and_then(|m| m.modified()) {
        info.date = DateTime::<Local>::from(modified).fixed_offset();
    }
    history.adopt(filename, info)?;
    tracing::info!("recovered a frame saved just before a crash: {filename}");
    Ok(())
}

/// The frame and FITS settings our encoder wrote into a file.
fn frame_of(image: &FitsImage) -> Option<(Arc<Frame>, FitsSettings)> {
    let Pixels::U16(pixels) = &image.pixels else { return None };
    let text = |key| image.value(key).unwrap_or("").to_owned();
    let frame_type = FrameType::from_fits_imagetyp(image.value("IMAGETYP")?).unwrap_or(FrameType::Light);
    let bin = |key| image.number(key).map_or(1, |b| b as u16);
    let meta = FrameMeta {
        ccd: Ccd::Imager,
        frame_type,
        duration_s: image.number("EXPTIME").unwrap_or(f64::NAN),
        date_obs: image.value("DATE-OBS").and_then(ObsDateTime::parse).unwrap_or(ObsDateTime::SPEC_DEFAULT),
        binning: Binning { x: bin("XBINNING"), y: bin("YBINNING") },
        origin: (
            image.number("XORGSUBF").unwrap_or(0.0) as u32,
            image.number("YORGSUBF").unwrap_or(0.0) as u32,
        ),
        pixel_size_um: (
            image.number("XPIXSZ").unwrap_or(f64::NAN),
            image.number("YPIXSZ").unwrap_or(f64::NAN),
        ),
        ccd_temp_c: image.number("CCD-TEMP").unwrap_or(f64::NAN),
        setpoint_c: image.number("SET-TEMP"),
        electrons_per_adu: image.number("EGAIN").unwrap_or(f64::NAN),
        filter: image.value("FILTER").map(str::to_owned),
        instrument: text("INSTRUME"),
    };
    let mut fits = FitsSettings::default();
    for (key, card) in
        [(FitsKey::ObjectName, "OBJECT"), (FitsKey::Telescope, "TELESCOP"), (FitsKey::FL, "FOCALLEN")]
    {
        if let Some(change) = image.value(card).and_then(|v| FitsChange::parse(key, v)) {
            change.apply_to(&mut fits);
        }
    }
    let frame = Frame::new(image.width as u32, image.height as u32, pixels.clone(), meta)?;
    Some((Arc::new(frame), fits))
}
