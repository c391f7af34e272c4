//! A finished frame: pixels as read out, and what the FITS header needs to know of them.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use stx_protocol::{Binning, Ccd, FilterName, FitsSettings, FrameType, ObsDateTime};

/// A point on the sensor in unbinned pixels, from the top left.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PixelPoint {
    /// Column.
    pub x: u32,
    /// Row.
    pub y: u32,
}

/// The size of one unbinned pixel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PixelSize {
    /// Width, µm.
    pub x_um: f64,
    /// Height, µm.
    pub y_um: f64,
}

/// The circumstances of a frame, fixed when its exposure ends.
#[derive(Clone, Debug, PartialEq)]
pub struct FrameMeta {
    /// The CCD that took it.
    pub ccd: Ccd,
    /// Light, dark, bias or flat.
    pub frame_type: FrameType,
    /// Exposure length.
    pub duration: Duration,
    /// `DATE-OBS`: the start-exposure call's `DateTime`, or the spec's default.
    pub date_obs: ObsDateTime,
    /// On-chip binning.
    pub binning: Binning,
    /// Top-left corner of the window (`XORGSUBF`, `YORGSUBF`).
    pub origin: PixelPoint,
    /// Unbinned pixel size.
    pub pixel_size: PixelSize,
    /// CCD temperature at the end of the exposure, °C.
    pub ccd_temp_c: f64,
    /// Cooler setpoint, °C, if the CCD is cooled and regulating.
    pub setpoint_c: Option<f64>,
    /// Gain, e-/ADU.
    pub electrons_per_adu: f64,
    /// The filter in the beam, by name; `None` for no filter or no wheel.
    pub filter: Option<FilterName>,
    /// The camera model, e.g. `SBIG STX-16803` (`INSTRUME`).
    pub instrument: String,
    /// The FITS header settings (object, observer, telescope, optics) as they were when
    /// the exposure ended, not as they are when the frame is written.
    pub fits: FitsSettings,
}

/// Pixels of one frame: row-major from the top, `width × height` u16 values.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    width: u32,
    height: u32,
    pixels: Vec<u16>,
    meta: FrameMeta,
}

impl Frame {
    /// A frame, if `pixels` holds exactly `width × height` values.
    pub fn new(width: u32, height: u32, pixels: Vec<u16>, meta: FrameMeta) -> Option<Frame> {
        (pixels.len() as u64 == u64::from(width) * u64::from(height)).then_some(Frame {
            width,
            height,
            pixels,
            meta,
        })
    }

    /// Columns (binned pixels).
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Rows (binned pixels).
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The pixels, row-major from the top.
    pub fn pixels(&self) -> &[u16] {
        &self.pixels
    }

    /// The circumstances.
    pub fn meta(&self) -> &FrameMeta {
        &self.meta
    }

    /// The `.bin` download: little-endian u16, rows from the top, no header.
    pub fn to_le_bytes(&self) -> Vec<u8> {
        self.pixels.iter().flat_map(|p| p.to_le_bytes()).collect()
    }

    /// The `.bin` download as shared bytes: on a little-endian machine the frame's own
    /// pixels, so every client downloading the frame shares one copy of it.
    pub fn le_bytes(self: &Arc<Self>) -> Bytes {
        if cfg!(target_endian = "little") {
            Bytes::from_owner(LePixels(Arc::clone(self)))
        } else {
            Bytes::from(self.to_le_bytes())
        }
    }
}

/// A frame's pixels seen as their little-endian bytes (on a little-endian machine).
struct LePixels(Arc<Frame>);

impl AsRef<[u8]> for LePixels {
    fn as_ref(&self) -> &[u8] {
        bytemuck::cast_slice(&self.0.pixels)
    }
}

/// A frame that has just finished reading out, reported once by
/// [`Camera::take_finished`](crate::Camera::take_finished). Its pixels may not exist yet
/// (the simulated camera renders on first use): [`FinishedFrame::frame`] produces them,
/// so call it off any request path.
#[derive(Clone)]
pub struct FinishedFrame {
    ccd: Ccd,
    number: u64,
    produce: Arc<dyn Fn() -> Arc<Frame> + Send + Sync>,
}

impl FinishedFrame {
    /// Frame `number` of `ccd` (numbers are unique for the camera's run), produced by
    /// `produce` when first asked for.
    pub fn new(
        ccd: Ccd,
        number: u64,
        produce: impl Fn() -> Arc<Frame> + Send + Sync + 'static,
    ) -> FinishedFrame {
        FinishedFrame { ccd, number, produce: Arc::new(produce) }
    }

    /// The CCD that took it.
    pub fn ccd(&self) -> Ccd {
        self.ccd
    }

    /// Its number, unique among the camera's frames since it started.
    pub fn number(&self) -> u64 {
        self.number
    }

    /// The frame (rendered or downloaded on first call).
    pub fn frame(&self) -> Arc<Frame> {
        (self.produce)()
    }
}

impl std::fmt::Debug for FinishedFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FinishedFrame").field("ccd", &self.ccd).field("number", &self.number).finish()
    }
}
