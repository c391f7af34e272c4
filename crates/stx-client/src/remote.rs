//! A real camera on the network behind the `Camera` trait.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use stx_camera::{
    Camera, ErrorKind as CameraErrorKind, FinishedFrame, Frame, FrameMeta, PixelPoint, PixelSize, Versions,
};
use stx_protocol::{
    AoPosition, Ccd, CcdSettings, CcdState, ExposureRequest, FilterName, FilterSlot, FilterWheelStatus,
    FitsChange, FitsSettings, FrameType, ObsDateTime, PulseRequest, RelayStatus, SettingsUpdate,
};

use crate::client::{Client, Download};
use crate::error::{Error, ErrorKind};

/// A camera reached through a [`Client`]. It remembers the exposures started through it,
/// so the frames it hands out carry their type, length and date, and it downloads each
/// finished frame once and keeps it until the CCD's next exposure starts.
#[derive(Debug)]
pub struct RemoteCamera {
    client: Client,
    ccds: Mutex<[Tracked; 3]>,
}

/// What the remote camera knows of one CCD's latest exposure.
#[derive(Clone, Debug, Default)]
struct Tracked {
    /// The exposure last started through us.
    started: Option<ExposureRequest>,
    /// When its shutter closes, on the wall clock (the camera's own clock is not
    /// read: the start call's reply is as close as we can know).
    ends: Option<SystemTime>,
    /// How many exposures were started through us (numbers the frames).
    count: u64,
    /// Started and not yet reported by `take_finished`.
    awaiting: bool,
    /// The downloaded frame of the latest exposure.
    frame: Option<Arc<Frame>>,
}

impl RemoteCamera {
    /// The camera behind `client`.
    pub fn new(client: Client) -> RemoteCamera {
        RemoteCamera { client, ccds: Mutex::new(Default::default()) }
    }

    /// The client, for calls the trait does not carry.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Records an exposure started by other means (a proxied request): the previous
    /// frame is gone, and the new one will be reported when it finishes.
    pub fn note_started(&self, ccd: Ccd, request: ExposureRequest) {
        let mut ccds = self.ccds.lock().unwrap_or_else(|e| e.into_inner());
        let t = &mut ccds[ccd.index()];
        let ends = SystemTime::now() + Duration::from_secs_f64(request.duration.secs());
        *t = Tracked {
            started: Some(request),
            ends: Some(ends),
            count: t.count + 1,
            awaiting: true,
            frame: None,
        };
    }

    /// Records an exposure aborted by other means (a proxied request): it no longer
    /// ends when it would have.
    pub fn note_aborted(&self, ccd: Ccd) {
        self.ccds.lock().unwrap_or_else(|e| e.into_inner())[ccd.index()].ends = None;
    }

    fn tracked(&self, ccd: Ccd) -> Tracked {
        self.ccds.lock().unwrap_or_else(|e| e.into_inner())[ccd.index()].clone()
    }

    /// Downloads the CCD's ready frame with its metadata.
    fn download_frame(&self, ccd: Ccd, started: Option<ExposureRequest>) -> Result<Arc<Frame>> {
        let settings = self.client.settings(ccd)?;
        let bytes = self.client.download(ccd, Download::Bin)?;
        let (width, height) = settings.frame.binned_size(settings.binning);
        let pixels: Vec<u16> = bytes.chunks_exact(2).map(|b| u16::from_le_bytes([b[0], b[1]])).collect();
        let filter = match self.client.filter_wheel() {
            Ok(wheel) => wheel.current.filter_index().map(|i| wheel.names[i].clone()),
            _ => None,
        };
        let meta = FrameMeta {
            ccd,
            frame_type: started.map_or(FrameType::Light, |s| s.frame_type),
            duration: started.map_or(Duration::ZERO, |s| Duration::from_secs_f64(s.duration.secs())),
            date_obs: started.map_or(ObsDateTime::SPEC_DEFAULT, |s| s.date_obs()),
            binning: settings.binning,
            origin: PixelPoint { x: settings.frame.start_x, y: settings.frame.start_y },
            pixel_size: PixelSize {
                x_um: settings.sensor.pixel_size_x_um,
                y_um: settings.sensor.pixel_size_y_um,
            },
            ccd_temp_c: settings.cooler.map_or(settings.ambient_c, |c| c.temperature_c),
            setpoint_c: settings.cooler.filter(|c| c.on).map(|c| c.setpoint_c),
            electrons_per_adu: settings.sensor.electrons_per_adu,
            filter,
            instrument: self.client.description()?,
            fits: self.client.fits_settings()?,
        };
        let frame = Frame::new(width, height, pixels, meta).ok_or_else(|| {
            Error::new(ErrorKind::Protocol(format!("{} bytes for a {width}x{height} frame", bytes.len())))
        })?;
        Ok(Arc::new(frame))
    }
}

impl From<Error> for stx_camera::Error {
    fn from(e: Error) -> Self {
        match e.camera_error() {
            Some(code) => stx_camera::Error::new(CameraErrorKind::Stx(code)),
            None => stx_camera::Error::new(CameraErrorKind::Unavailable(e.to_string())),
        }
    }
}

type Result<T> = std::result::Result<T, stx_camera::Error>;

impl Camera for RemoteCamera {
    fn settings(&self, ccd: Ccd) -> Result<CcdSettings> {
        Ok(self.client.settings(ccd)?)
    }

    fn set_settings(&self, ccd: Ccd, update: &SettingsUpdate) -> Result<()> {
        Ok(self.client.set_settings(ccd, update)?)
    }

    fn state(&self, ccd: Ccd) -> Result<CcdState> {
        Ok(self.client.state(ccd)?)
    }

    fn exposure_end(&self, ccd: Ccd) -> Result<Option<SystemTime>> {
        Ok(self.tracked(ccd).ends.filter(|&ends| ends > SystemTime::now()))
    }

    fn image_ready(&self, ccd: Ccd) -> Result<bool> {
        Ok(self.client.image_ready(ccd)?)
    }

    fn start_exposure(&self, ccd: Ccd, request: &ExposureRequest) -> Result<()> {
        self.client.start_exposure(ccd, request)?;
        self.note_started(ccd, *request);
        Ok(())
    }

    fn abort_exposure(&self, ccd: Ccd) -> Result<()> {
        self.client.abort_exposure(ccd)?;
        self.note_aborted(ccd);
        Ok(())
    }

    fn frame(&self, ccd: Ccd) -> Result<Option<Arc<Frame>>> {
        if !self.client.image_ready(ccd)? {
            return Ok(None);
        }
        let tracked = self.tracked(ccd);
        if let Some(frame) = tracked.frame {
            return Ok(Some(frame));
        }
        let frame = self.download_frame(ccd, tracked.started)?;
        let mut ccds = self.ccds.lock().unwrap_or_else(|e| e.into_inner());
        let t = &mut ccds[ccd.index()];
        // Keep it only if no new exposure started meanwhile.
        if t.count == tracked.count {
            t.frame = Some(frame.clone());
        }
        Ok(Some(frame))
    }

    fn filter_wheel(&self) -> Result<FilterWheelStatus> {
        Ok(self.client.filter_wheel()?)
    }

    fn change_filter(&self, slot: FilterSlot) -> Result<()> {
        Ok(self.client.change_filter(slot)?)
    }

    fn set_filter_names(&self, names: &[(FilterSlot, FilterName)]) -> Result<()> {
        Ok(self.client.set_filter_names(names)?)
    }

    fn pulse_guide(&self, request: &PulseRequest) -> Result<()> {
        Ok(self.client.pulse_guide(request)?)
    }

    fn relays(&self) -> Result<RelayStatus> {
        Ok(self.client.relays()?)
    }

    fn ao_guide(&self, x: AoPosition, y: AoPosition) -> Result<()> {
        Ok(self.client.ao_guide(x, y)?)
    }

    fn ao_moving(&self) -> Result<bool> {
        Ok(self.client.ao_moving()?)
    }

    fn fits_settings(&self) -> Result<FitsSettings> {
        Ok(self.client.fits_settings()?)
    }

    fn set_fits_settings(&self, changes: &[FitsChange]) -> Result<()> {
        Ok(self.client.set_fits_settings(changes)?)
    }

    fn description(&self) -> Result<String> {
        Ok(self.client.description()?)
    }

    fn versions(&self) -> Result<Versions> {
        Ok(self.client.versions()?)
    }

    /// Imager frames only: the guiders' are not kept, and fetching them would double the
    /// camera's traffic while guiding. Asks the camera only while an exposure started
    /// through us is under way; how often is the caller's choice (each ask is a command
    /// out of the camera's budget).
    fn take_finished(&self) -> Result<Vec<FinishedFrame>> {
        let tracked = self.tracked(Ccd::Imager);
        if !tracked.awaiting {
            return Ok(Vec::new());
        }
        // After a start through us ImageReady is 0 until that exposure's frame is read
        // out (the camera clears it at the start), so a frame here is ours.
        let Some(frame) = self.frame(Ccd::Imager)? else { return Ok(Vec::new()) };
        let mut ccds = self.ccds.lock().unwrap_or_else(|e| e.into_inner());
        let t = &mut ccds[Ccd::Imager.index()];
        if t.count != tracked.count {
            return Ok(Vec::new());
        }
        t.awaiting = false;
        Ok(vec![FinishedFrame::new(Ccd::Imager, tracked.count, move || frame.clone())])
    }
}
