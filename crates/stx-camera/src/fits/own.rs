//! Reading back a frame from a file our encoder wrote: its circumstances from the cards
//! `encode` writes, so a frame that reached the disk can be measured and recorded again.

use std::time::Duration;

use stx_protocol::{Binning, Ccd, FilterName, FitsChange, FitsKey, FitsSettings, FrameType, ObsDateTime};

use super::{FitsImage, Pixels};
use crate::{Frame, FrameMeta, PixelPoint, PixelSize};

/// The frame in a file `encode` wrote, with the FITS settings its header holds (object,
/// telescope, focal length); `None` if the image is not 16-bit camera data with an
/// exposure time. Other cards a file lacks take the value a camera reports when it does
/// not know (NaN, no filter, the spec's date).
pub fn frame_of(image: &FitsImage) -> Option<Frame> {
    let Pixels::U16(pixels) = &image.pixels else { return None };
    let text = |key| image.value(key).unwrap_or("").to_owned();
    let frame_type = FrameType::from_fits_imagetyp(image.value("IMAGETYP")?).unwrap_or(FrameType::Light);
    let bin = |key| image.number(key).map_or(1, |b| b as u16);
    let binning = Binning { x: bin("XBINNING"), y: bin("YBINNING") };
    // XPIXSZ and YPIXSZ are written binned (the SBIG convention); the frame holds them unbinned.
    let unbinned =
        |key, factor: u16| image.number(key).map_or(f64::NAN, |size| size / f64::from(factor.max(1)));
    let meta = FrameMeta {
        ccd: Ccd::Imager,
        frame_type,
        duration: Duration::try_from_secs_f64(image.number("EXPTIME")?).ok()?,
        date_obs: image.value("DATE-OBS").and_then(ObsDateTime::parse).unwrap_or(ObsDateTime::SPEC_DEFAULT),
        binning,
        origin: PixelPoint {
            x: image.number("XORGSUBF").unwrap_or(0.0) as u32,
            y: image.number("YORGSUBF").unwrap_or(0.0) as u32,
        },
        pixel_size: PixelSize { x_um: unbinned("XPIXSZ", binning.x), y_um: unbinned("YPIXSZ", binning.y) },
        ccd_temp_c: image.number("CCD-TEMP").unwrap_or(f64::NAN),
        setpoint_c: image.number("SET-TEMP"),
        electrons_per_adu: image.number("EGAIN").unwrap_or(f64::NAN),
        filter: image.value("FILTER").and_then(FilterName::new),
        instrument: text("INSTRUME"),
        fits: fits_settings(image),
    };
    Frame::new(image.width as u32, image.height as u32, pixels.clone(), meta)
}

/// The FITS settings a header holds; the spec's defaults for what it lacks.
fn fits_settings(image: &FitsImage) -> FitsSettings {
    let mut fits = FitsSettings::default();
    for (key, card) in
        [(FitsKey::ObjectName, "OBJECT"), (FitsKey::Telescope, "TELESCOP"), (FitsKey::FL, "FOCALLEN")]
    {
        if let Some(change) = image.value(card).and_then(|v| FitsChange::parse(key, v)) {
            change.apply_to(&mut fits);
        }
    }
    fits
}
