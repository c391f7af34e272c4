//! The seam between the STX front and whatever camera stands behind it.

use std::sync::Arc;
use std::time::SystemTime;

use stx_protocol::{
    AoPosition, Ccd, CcdSettings, CcdState, ExposureRequest, FilterName, FilterSlot, FilterWheelStatus,
    FitsChange, FitsSettings, PulseRequest, RelayStatus, SettingsUpdate, StxError,
};

use crate::{FinishedFrame, Frame};

/// An STX camera: simulated, or a real one on the network. Every call of the STX API
/// maps onto one method; values are already validated against the spec's fixed ranges
/// (see `stx_protocol::command`), the camera checks what depends on itself.
///
/// Calls are quick: none may block on rendering or long I/O while holding the camera's
/// state, so a client polling one CCD is never held up by another CCD's frame.
pub trait Camera: Send + Sync + std::fmt::Debug {
    /// Everything `ccd`'s get-settings call can read, now.
    fn settings(&self, ccd: Ccd) -> Result<CcdSettings, Error>;
    /// Applies a set-settings call in spec order; the first bad value stops it.
    fn set_settings(&self, ccd: Ccd, update: &SettingsUpdate) -> Result<(), Error>;
    /// The CCD's state now.
    fn state(&self, ccd: Ccd) -> Result<CcdState, Error>;
    /// When the exposure under way ends (the shutter closes), on the wall clock; `None`
    /// when the CCD is not exposing.
    fn exposure_end(&self, ccd: Ccd) -> Result<Option<SystemTime>, Error>;
    /// Whether a finished frame can be downloaded.
    fn image_ready(&self, ccd: Ccd) -> Result<bool, Error>;
    /// Starts an exposure. By the time this returns the state is Exposing and
    /// ImageReady is false (clients poll at once).
    fn start_exposure(&self, ccd: Ccd, request: &ExposureRequest) -> Result<(), Error>;
    /// Aborts an exposure: ignored when idle, refused while reading out.
    fn abort_exposure(&self, ccd: Ccd) -> Result<(), Error>;
    /// The last finished frame of `ccd`, if ImageReady. May take time to produce (the
    /// simulated camera renders it on first request); never holds the camera's state.
    fn frame(&self, ccd: Ccd) -> Result<Option<Arc<Frame>>, Error>;
    /// The filter wheel now.
    fn filter_wheel(&self) -> Result<FilterWheelStatus, Error>;
    /// Starts a move of the filter wheel.
    fn change_filter(&self, slot: FilterSlot) -> Result<(), Error>;
    /// Renames filters; the camera keeps names across power cycles.
    fn set_filter_names(&self, names: &[(FilterSlot, FilterName)]) -> Result<(), Error>;
    /// Closes guide relays.
    fn pulse_guide(&self, request: &PulseRequest) -> Result<(), Error>;
    /// Time left on each relay.
    fn relays(&self) -> Result<RelayStatus, Error>;
    /// Moves the AO element.
    fn ao_guide(&self, x: AoPosition, y: AoPosition) -> Result<(), Error>;
    /// Whether the AO element is moving.
    fn ao_moving(&self) -> Result<bool, Error>;
    /// The FITS header settings.
    fn fits_settings(&self) -> Result<FitsSettings, Error>;
    /// Changes FITS header settings; the camera keeps them across power cycles.
    fn set_fits_settings(&self, changes: &[FitsChange]) -> Result<(), Error>;
    /// The model, e.g. `SBIG STX-16803`.
    fn description(&self) -> Result<String, Error>;
    /// The five version lines, in the spec's order.
    fn versions(&self) -> Result<Versions, Error>;
    /// Frames that finished reading out since the last call, oldest first, each
    /// reported once whichever client started it: what the server measures and keeps.
    /// A camera keeps a bounded number for a caller that does not drain them; the
    /// simulated camera's imager reports busy rather than drop one.
    fn take_finished(&self) -> Result<Vec<FinishedFrame>, Error>;
}

/// `VersionNumbers.cgi`: five lines in the spec's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Versions {
    /// Firmware version.
    pub firmware: String,
    /// Gate array version.
    pub gate_array: String,
    /// Imaging ROP version.
    pub imaging_rop: String,
    /// Tracker ROP version.
    pub tracker_rop: String,
    /// HTTP API version.
    pub http_api: String,
}

impl Versions {
    /// The lines in reply order.
    pub fn lines(&self) -> [&str; 5] {
        [&self.firmware, &self.gate_array, &self.imaging_rop, &self.tracker_rop, &self.http_api]
    }

    /// The versions from the reply's lines, as [`lines`](Self::lines) writes them;
    /// `None` unless there are five.
    pub fn from_lines(lines: &[impl AsRef<str>]) -> Option<Versions> {
        let [firmware, gate_array, imaging_rop, tracker_rop, http_api] = lines else { return None };
        let line = |l: &dyn AsRef<str>| l.as_ref().to_owned();
        Some(Versions {
            firmware: line(firmware),
            gate_array: line(gate_array),
            imaging_rop: line(imaging_rop),
            tracker_rop: line(tracker_rop),
            http_api: line(http_api),
        })
    }
}

/// Why a camera call failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct Error {
    kind: ErrorKind,
}

/// The kinds of [`Error`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The camera refused the call with one of the API's error codes.
    #[error("{0}")]
    Stx(StxError),
    /// The camera could not be reached or answered something that is not the API.
    #[error("camera unavailable: {0}")]
    Unavailable(String),
}

impl Error {
    /// An error of this kind.
    pub fn new(kind: ErrorKind) -> Error {
        Error { kind }
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }
}

impl From<StxError> for Error {
    fn from(e: StxError) -> Self {
        Error::new(ErrorKind::Stx(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_read_back_as_they_are_written() {
        let v = Versions {
            firmware: "1.2".to_owned(),
            gate_array: "3".to_owned(),
            imaging_rop: "4.5".to_owned(),
            tracker_rop: "6".to_owned(),
            http_api: "1.00.1".to_owned(),
        };
        assert_eq!(Versions::from_lines(&v.lines()), Some(v.clone()));
        assert_eq!(Versions::from_lines(&v.lines()[..4]), None);
    }
}
