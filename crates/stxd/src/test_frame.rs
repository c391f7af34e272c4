//! A frame for unit tests: pixels as given, circumstances that do not matter to them.

use std::sync::Arc;

use stx_camera::{Frame, FrameMeta, PixelPoint, PixelSize};
use stx_protocol::{Binning, Ccd, FitsSettings, FrameType, ObsDateTime};

/// An imager frame of `width`×`height` `pixels`, rows from the top.
pub(crate) fn frame(width: u32, height: u32, pixels: Vec<u16>) -> Arc<Frame> {
    let meta = FrameMeta {
        ccd: Ccd::Imager,
        frame_type: FrameType::Dark,
        duration: std::time::Duration::from_secs(1),
        date_obs: ObsDateTime::SPEC_DEFAULT,
        binning: Binning::ONE,
        origin: PixelPoint::default(),
        pixel_size: PixelSize { x_um: 9.0, y_um: 9.0 },
        ccd_temp_c: -20.0,
        setpoint_c: None,
        electrons_per_adu: 1.0,
        filter: None,
        instrument: "SBIG STX-16803".into(),
        fits: FitsSettings::default(),
    };
    Arc::new(Frame::new(width, height, pixels, meta).expect("width × height pixels"))
}
