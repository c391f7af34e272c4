//! What a start-exposure call asks for.

use crate::{ExposureDuration, FrameType, ObsDateTime};

/// A validated `…StartExposure.cgi` call.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ExposureRequest {
    /// `Duration`.
    pub duration: ExposureDuration,
    /// `FrameType`.
    pub frame_type: FrameType,
    /// `DateTime` for the FITS header; `None` means the spec's 2008-01-01 default.
    pub date_time: Option<ObsDateTime>,
}

impl ExposureRequest {
    /// The date the FITS header carries.
    pub fn date_obs(&self) -> ObsDateTime {
        self.date_time.unwrap_or(ObsDateTime::SPEC_DEFAULT)
    }
}
