//! Cameras 0, 1 and 2 (ICameraV4): the STX's imager, internal guide CCD and external
//! guider. Each device keeps its own binning and binned ROI, applied to the CCD in one
//! set call just before its exposure starts: the STX's settings are one global state
//! shared by every client, the Alpaca device's are its client's.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use stx_camera::Camera;
use stx_protocol::{
    Binning, Ccd, CcdSettings, CcdState, ExposureDuration, ExposureRequest, FrameType, ObsDateTime, Pulse,
    PulseDuration, PulseRequest, Relay, SensorInfo, SettingChange, SettingKey, SettingsUpdate,
};

use super::device::{Connection, Device, Failure, Outcome, StateItem, driver, model, refused};
use super::params::{Params, Verb};
use super::reply::AlpacaError;

/// One Alpaca camera onto one CCD.
#[derive(Debug)]
pub(crate) struct CameraDevice {
    ccd: Ccd,
    camera: Arc<dyn Camera>,
    connection: Connection,
    plan: Mutex<Plan>,
}

/// The device's own settings and what it last started.
#[derive(Debug)]
struct Plan {
    /// The sensor, read when a client first connects.
    sensor: Option<SensorInfo>,
    binning: Binning,
    /// `StartX`, `StartY` in binned pixels, as set (checked at `StartExposure`).
    start: (u32, u32),
    /// `NumX`, `NumY` in binned pixels, as set; the whole sensor until a client sets
    /// them.
    num: Option<(u32, u32)>,
    /// The exposure this device started last.
    last: Option<LastExposure>,
}

/// An exposure started through this device.
#[derive(Clone, Copy, Debug)]
struct LastExposure {
    /// Seconds, as the camera takes it.
    duration_s: f64,
    /// When `StartExposure` started it.
    start: DateTime<Utc>,
}

/// A camera property a client reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)] // Each variant is the ICameraV4 property of the same name.
pub(crate) enum Property {
    BinX,
    BinY,
    CameraState,
    CameraXSize,
    CameraYSize,
    CanAbortExposure,
    CanAsymmetricBin,
    CanFastReadout,
    CanGetCoolerPower,
    CanPulseGuide,
    CanSetCcdTemperature,
    CanStopExposure,
    CcdTemperature,
    CoolerOn,
    CoolerPower,
    ElectronsPerAdu,
    ExposureMax,
    ExposureMin,
    ExposureResolution,
    FullWellCapacity,
    HasShutter,
    HeatSinkTemperature,
    ImageArray,
    ImageReady,
    IsPulseGuiding,
    LastExposureDuration,
    LastExposureStartTime,
    MaxAdu,
    MaxBinX,
    MaxBinY,
    NumX,
    NumY,
    PercentCompleted,
    PixelSizeX,
    PixelSizeY,
    ReadoutMode,
    ReadoutModes,
    SensorType,
    SetCcdTemperature,
    StartX,
    StartY,
}

/// A camera property that can be set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)] // Each variant is the ICameraV4 property of the same name.
pub(crate) enum Setting {
    BinX,
    BinY,
    CoolerOn,
    NumX,
    NumY,
    ReadoutMode,
    SetCcdTemperature,
    StartX,
    StartY,
}

impl Setting {
    /// The form key that carries the new value.
    fn key(self) -> &'static str {
        match self {
            Setting::BinX => "BinX",
            Setting::BinY => "BinY",
            Setting::CoolerOn => "CoolerOn",
            Setting::NumX => "NumX",
            Setting::NumY => "NumY",
            Setting::ReadoutMode => "ReadoutMode",
            Setting::SetCcdTemperature => "SetCCDTemperature",
            Setting::StartX => "StartX",
            Setting::StartY => "StartY",
        }
    }
}

/// A camera member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Member {
    /// Reads a property.
    Get(Property),
    /// Sets a property.
    Set(Setting),
    /// `PUT startexposure`.
    StartExposure,
    /// `PUT abortexposure`.
    AbortExposure,
    /// `PUT pulseguide`.
    PulseGuide,
    /// A member a CCD camera does not have (gain, offset, fast readout, sub-exposures,
    /// Bayer offsets, the sensor's name, stopping an exposure): 0x400.
    Unsupported(&'static str),
}

/// The getters, by lower-case name. `imagearrayvariant` is `imagearray` on the wire.
const GETTERS: [(&str, Property); 42] = [
    ("binx", Property::BinX),
    ("biny", Property::BinY),
    ("camerastate", Property::CameraState),
    ("cameraxsize", Property::CameraXSize),
    ("cameraysize", Property::CameraYSize),
    ("canabortexposure", Property::CanAbortExposure),
    ("canasymmetricbin", Property::CanAsymmetricBin),
    ("canfastreadout", Property::CanFastReadout),
    ("cangetcoolerpower", Property::CanGetCoolerPower),
    ("canpulseguide", Property::CanPulseGuide),
    ("cansetccdtemperature", Property::CanSetCcdTemperature),
    ("canstopexposure", Property::CanStopExposure),
    ("ccdtemperature", Property::CcdTemperature),
    ("cooleron", Property::CoolerOn),
    ("coolerpower", Property::CoolerPower),
    ("electronsperadu", Property::ElectronsPerAdu),
    ("exposuremax", Property::ExposureMax),
    ("exposuremin", Property::ExposureMin),
    ("exposureresolution", Property::ExposureResolution),
    ("fullwellcapacity", Property::FullWellCapacity),
    ("hasshutter", Property::HasShutter),
    ("heatsinktemperature", Property::HeatSinkTemperature),
    ("imagearray", Property::ImageArray),
    ("imagearrayvariant", Property::ImageArray),
    ("imageready", Property::ImageReady),
    ("ispulseguiding", Property::IsPulseGuiding),
    ("lastexposureduration", Property::LastExposureDuration),
    ("lastexposurestarttime", Property::LastExposureStartTime),
    ("maxadu", Property::MaxAdu),
    ("maxbinx", Property::MaxBinX),
    ("maxbiny", Property::MaxBinY),
    ("numx", Property::NumX),
    ("numy", Property::NumY),
    ("percentcompleted", Property::PercentCompleted),
    ("pixelsizex", Property::PixelSizeX),
    ("pixelsizey", Property::PixelSizeY),
    ("readoutmode", Property::ReadoutMode),
    ("readoutmodes", Property::ReadoutModes),
    ("sensortype", Property::SensorType),
    ("setccdtemperature", Property::SetCcdTemperature),
    ("startx", Property::StartX),
    ("starty", Property::StartY),
];

/// The setters, by lower-case name.
const SETTERS: [(&str, Setting); 9] = [
    ("binx", Setting::BinX),
    ("biny", Setting::BinY),
    ("cooleron", Setting::CoolerOn),
    ("numx", Setting::NumX),
    ("numy", Setting::NumY),
    ("readoutmode", Setting::ReadoutMode),
    ("setccdtemperature", Setting::SetCcdTemperature),
    ("startx", Setting::StartX),
    ("starty", Setting::StartY),
];

/// Members a CCD does not have, by verb and lower-case name, with their ASCOM name.
const UNSUPPORTED: [(Verb, &str, &str); 18] = [
    (Verb::Get, "bayeroffsetx", "BayerOffsetX"),
    (Verb::Get, "bayeroffsety", "BayerOffsetY"),
    (Verb::Get, "fastreadout", "FastReadout"),
    (Verb::Put, "fastreadout", "FastReadout"),
    (Verb::Get, "gain", "Gain"),
    (Verb::Put, "gain", "Gain"),
    (Verb::Get, "gainmax", "GainMax"),
    (Verb::Get, "gainmin", "GainMin"),
    (Verb::Get, "gains", "Gains"),
    (Verb::Get, "offset", "Offset"),
    (Verb::Put, "offset", "Offset"),
    (Verb::Get, "offsetmax", "OffsetMax"),
    (Verb::Get, "offsetmin", "OffsetMin"),
    (Verb::Get, "offsets", "Offsets"),
    (Verb::Get, "subexposureduration", "SubExposureDuration"),
    (Verb::Put, "subexposureduration", "SubExposureDuration"),
    (Verb::Get, "sensorname", "SensorName"),
    // The STX can only abort: an exposure cut short keeps no image.
    (Verb::Put, "stopexposure", "StopExposure"),
];

/// The hottest setpoint accepted, exclusive: the STX API takes up to 100 °C, but the
/// conformance checker flags a camera that accepts 100.
const SETPOINT_MAX_C: f64 = 100.0;
/// Absolute zero: no setpoint below it.
const SETPOINT_MIN_C: f64 = -273.15;
/// The longest pulse Alpaca may ask of the STX's relays, in ms.
const PULSE_MAX_MS: i64 = 655_350;

impl CameraDevice {
    /// The Alpaca camera onto `ccd` of `camera`.
    pub(crate) fn new(ccd: Ccd, camera: Arc<dyn Camera>) -> CameraDevice {
        let plan = Plan { sensor: None, binning: Binning::ONE, start: (0, 0), num: None, last: None };
        CameraDevice { ccd, camera, connection: Connection::default(), plan: Mutex::new(plan) }
    }

    fn plan(&self) -> MutexGuard<'_, Plan> {
        self.plan.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn settings(&self) -> Result<CcdSettings, AlpacaError> {
        self.camera.settings(self.ccd).map_err(driver)
    }

    fn get(&self, property: Property) -> Result<Outcome, AlpacaError> {
        let value = |v: Value| Ok(Outcome::Value(v));
        let sensor = || self.settings().map(|s| s.sensor);
        let cooler = || {
            self.settings()?
                .cooler
                .ok_or(AlpacaError::NotImplemented("a cooler on this CCD (CCDTemperature)"))
        };
        match property {
            Property::BinX => value(json!(self.plan().binning.x)),
            Property::BinY => value(json!(self.plan().binning.y)),
            Property::CameraState => value(json!(camera_state(self.camera.state(self.ccd).map_err(driver)?))),
            Property::CameraXSize => value(json!(sensor()?.width)),
            Property::CameraYSize => value(json!(sensor()?.height)),
            Property::CanAbortExposure | Property::CanAsymmetricBin | Property::CanPulseGuide => {
                value(json!(true))
            }
            Property::CanFastReadout | Property::CanStopExposure => value(json!(false)),
            Property::CanGetCoolerPower => value(json!(self.settings()?.cooler.is_some())),
            Property::CanSetCcdTemperature => {
                value(json!(SettingKey::CCDTemperatureSetpoint.writable_on(self.ccd)))
            }
            Property::CcdTemperature => value(json!(cooler()?.temperature_c)),
            Property::CoolerOn => value(json!(cooler()?.on)),
            Property::CoolerPower => value(json!(cooler()?.power_percent)),
            Property::ElectronsPerAdu => value(json!(sensor()?.electrons_per_adu)),
            Property::ExposureMax => value(json!(ExposureDuration::MAX_SECONDS)),
            Property::ExposureMin => value(json!(ExposureDuration::MIN_SECONDS)),
            // The STX takes durations to the hundredth of a second.
            Property::ExposureResolution => value(json!(ExposureDuration::MIN_SECONDS)),
            Property::FullWellCapacity => value(json!(f64::from(sensor()?.full_well_e))),
            // The external guide head has no shutter; the imager and the internal
            // guider sit behind the camera's.
            Property::HasShutter => value(json!(self.ccd != Ccd::ExtGuider)),
            Property::HeatSinkTemperature => value(json!(self.settings()?.ambient_c)),
            Property::ImageArray => self.image(),
            Property::ImageReady => value(json!(self.image_ready()?)),
            Property::IsPulseGuiding => value(json!(self.camera.relays().map_err(driver)?.any_closed())),
            Property::LastExposureDuration => value(json!(self.last("LastExposureDuration")?.duration_s)),
            Property::LastExposureStartTime => {
                value(json!(utc_text(self.last("LastExposureStartTime")?.start)))
            }
            Property::MaxAdu => value(json!(sensor()?.max_adu)),
            Property::MaxBinX => value(json!(sensor()?.max_bin_x)),
            Property::MaxBinY => value(json!(sensor()?.max_bin_y)),
            Property::NumX | Property::NumY => {
                let (num_x, num_y) = self.num()?;
                value(json!(if property == Property::NumX { num_x } else { num_y }))
            }
            Property::PercentCompleted => value(json!(self.percent_completed()?)),
            Property::PixelSizeX => value(json!(sensor()?.pixel_size_x_um)),
            Property::PixelSizeY => value(json!(sensor()?.pixel_size_y_um)),
            Property::ReadoutMode => value(json!(0)),
            Property::ReadoutModes => value(json!(["Normal"])),
            // 0: monochrome.
            Property::SensorType => value(json!(0)),
            Property::SetCcdTemperature => {
                if !SettingKey::CCDTemperatureSetpoint.readable_on(self.ccd) {
                    return Err(AlpacaError::NotImplemented("SetCCDTemperature on this CCD"));
                }
                value(json!(cooler()?.setpoint_c))
            }
            Property::StartX => value(json!(self.plan().start.0)),
            Property::StartY => value(json!(self.plan().start.1)),
        }
    }

    fn set(&self, setting: Setting, params: &Params) -> Result<(), Failure> {
        let key = setting.key();
        match setting {
            Setting::BinX | Setting::BinY => {
                let bin = params.int(key)?;
                let sensor = self.sensor()?;
                let max = if setting == Setting::BinX { sensor.max_bin_x } else { sensor.max_bin_y };
                let bin = u16::try_from(bin).ok().filter(|b| (1..=max).contains(b)).ok_or_else(|| {
                    AlpacaError::InvalidValue(format!("{key} {bin} is not within 1 to {max}"))
                })?;
                let mut plan = self.plan();
                match setting {
                    Setting::BinX => plan.binning.x = bin,
                    _ => plan.binning.y = bin,
                }
            }
            Setting::StartX | Setting::StartY | Setting::NumX | Setting::NumY => {
                let n = params.int(key)?;
                let n = u32::try_from(n)
                    .map_err(|_| AlpacaError::InvalidValue(format!("{key} {n} is negative or too large")))?;
                let current = self.num()?;
                let mut plan = self.plan();
                match setting {
                    Setting::StartX => plan.start.0 = n,
                    Setting::StartY => plan.start.1 = n,
                    Setting::NumX => plan.num = Some((n, current.1)),
                    _ => plan.num = Some((current.0, n)),
                }
            }
            Setting::CoolerOn => {
                let on = params.flag(key)?;
                self.set_camera(SettingKey::CoolerState, f64::from(u8::from(on)), "CoolerOn")?;
            }
            Setting::SetCcdTemperature => {
                let c = params.real(key)?;
                if !(SETPOINT_MIN_C..SETPOINT_MAX_C).contains(&c) {
                    return Err(AlpacaError::InvalidValue(format!(
                        "SetCCDTemperature {c} °C is not within {SETPOINT_MIN_C} to below {SETPOINT_MAX_C} °C"
                    ))
                    .into());
                }
                self.set_camera(SettingKey::CCDTemperatureSetpoint, c, "SetCCDTemperature")?;
            }
            Setting::ReadoutMode => {
                let mode = params.int(key)?;
                if mode != 0 {
                    return Err(
                        AlpacaError::InvalidValue(format!("ReadoutMode {mode}: the only mode is 0")).into()
                    );
                }
            }
        }
        Ok(())
    }

    /// Sets one of the CCD's own settings (the cooler's), refused with 0x400 on a CCD
    /// that has no such setting.
    fn set_camera(&self, key: SettingKey, value: f64, member: &'static str) -> Result<(), AlpacaError> {
        if !key.writable_on(self.ccd) {
            return Err(AlpacaError::NotImplemented(member));
        }
        let update = SettingsUpdate { changes: vec![SettingChange { key, value: Some(value) }] };
        self.camera.set_settings(self.ccd, &update).map_err(|e| refused(e, AlpacaError::InvalidValue))
    }

    fn sensor(&self) -> Result<SensorInfo, AlpacaError> {
        if let Some(sensor) = self.plan().sensor {
            return Ok(sensor);
        }
        let sensor = self.settings()?.sensor;
        self.plan().sensor = Some(sensor);
        Ok(sensor)
    }

    /// `NumX`, `NumY`: as set, or the whole sensor at binning 1.
    fn num(&self) -> Result<(u32, u32), AlpacaError> {
        if let Some(num) = self.plan().num {
            return Ok(num);
        }
        let sensor = self.sensor()?;
        Ok((sensor.width, sensor.height))
    }

    fn last(&self, what: &'static str) -> Result<LastExposure, AlpacaError> {
        self.plan().last.ok_or(AlpacaError::ValueNotSet(what))
    }

    /// Whether the frame this device started is complete.
    fn image_ready(&self) -> Result<bool, AlpacaError> {
        Ok(self.plan().last.is_some() && self.camera.image_ready(self.ccd).map_err(driver)?)
    }

    fn image(&self) -> Result<Outcome, AlpacaError> {
        let none = || {
            AlpacaError::InvalidOperation(
                "No image is ready: start an exposure and wait for ImageReady".into(),
            )
        };
        if !self.image_ready()? {
            return Err(none());
        }
        self.camera.frame(self.ccd).map_err(driver)?.map(Outcome::Image).ok_or_else(none)
    }

    /// How far the exposure under way is, on the wall clock: 100 once it is read out.
    fn percent_completed(&self) -> Result<f64, AlpacaError> {
        let Some(last) = self.plan().last else { return Ok(0.0) };
        if self.camera.state(self.ccd).map_err(driver)? != CcdState::Exposing {
            return Ok(100.0);
        }
        let Some(end) = self.camera.exposure_end(self.ccd).map_err(driver)? else { return Ok(100.0) };
        let now = SystemTime::now();
        let left = end.duration_since(now).unwrap_or_default().as_secs_f64();
        let done = (Utc::now() - last.start).to_std().unwrap_or_default().as_secs_f64();
        Ok(if done + left > 0.0 { (100.0 * done / (done + left)).clamp(0.0, 100.0) } else { 100.0 })
    }

    fn start_exposure(&self, params: &Params) -> Result<(), Failure> {
        let seconds = params.real("Duration")?;
        let light = params.flag("Light")?;
        let plan = self.plan_exposure(seconds, light)?;
        if self.camera.state(self.ccd).map_err(driver)?.is_busy() {
            return Err(AlpacaError::InvalidOperation(
                "The camera is already exposing or reading out".into(),
            )
            .into());
        }
        self.camera
            .set_settings(self.ccd, &plan.update)
            .map_err(|e| refused(e, AlpacaError::InvalidValue))?;
        let start = Utc::now();
        let request = ExposureRequest {
            duration: plan.duration,
            frame_type: plan.frame_type,
            date_time: ObsDateTime::parse(&utc_text(start)),
        };
        self.camera
            .start_exposure(self.ccd, &request)
            .map_err(|e| refused(e, AlpacaError::InvalidOperation))?;
        self.plan().last = Some(LastExposure { duration_s: plan.duration.secs(), start });
        Ok(())
    }

    /// The exposure `StartExposure(seconds, light)` takes with this device's binning
    /// and ROI, checked against the sensor.
    fn plan_exposure(&self, seconds: f64, light: bool) -> Result<ExposurePlan, AlpacaError> {
        let sensor = self.sensor()?;
        let (num_x, num_y) = self.num()?;
        let plan = self.plan();
        let duration = exposure(seconds, light)?;
        let bin = plan.binning;
        let (start_x, start_y) = plan.start;
        let axes = [("X", start_x, num_x, bin.x, sensor.width), ("Y", start_y, num_y, bin.y, sensor.height)];
        for (axis, start, num, bin, size) in axes {
            let binned = size / u32::from(bin);
            if num == 0 || u64::from(start) + u64::from(num) > u64::from(binned) {
                return Err(AlpacaError::InvalidValue(format!(
                    "Start{axis} {start} + Num{axis} {num} does not fit the {binned} binned pixels of the sensor at Bin{axis} {bin}"
                )));
            }
        }
        let unbinned = |v: u32, bin: u16| Some(f64::from(v * u32::from(bin)));
        let change = |key, value| SettingChange { key, value };
        let changes = vec![
            change(SettingKey::BinX, Some(f64::from(bin.x))),
            change(SettingKey::BinY, Some(f64::from(bin.y))),
            change(SettingKey::StartX, unbinned(start_x, bin.x)),
            change(SettingKey::StartY, unbinned(start_y, bin.y)),
            change(SettingKey::NumX, unbinned(num_x, bin.x)),
            change(SettingKey::NumY, unbinned(num_y, bin.y)),
        ];
        Ok(ExposurePlan { update: SettingsUpdate { changes }, duration: duration.0, frame_type: duration.1 })
    }

    fn pulse_guide(&self, params: &Params) -> Result<(), Failure> {
        let direction = params.int("Direction")?;
        let ms = params.int("Duration")?;
        let relay = guide_relay(direction).ok_or_else(|| {
            AlpacaError::InvalidValue(format!("Direction {direction} is not 0 (N), 1 (S), 2 (E) or 3 (W)"))
        })?;
        if !(0..=PULSE_MAX_MS).contains(&ms) {
            return Err(AlpacaError::InvalidValue(format!(
                "Duration {ms} ms is not within 0 to {PULSE_MAX_MS}"
            ))
            .into());
        }
        if ms == 0 {
            return Ok(());
        }
        // The relays close for 10 ms at least: a shorter pulse is that long.
        let seconds = (ms as f64 / 1000.0).max(PulseDuration::MIN_SECONDS);
        let duration = PulseDuration::from_secs(seconds).expect("a duration within the relays' range");
        let pulse = Some(Pulse { relay, duration });
        let request = match relay {
            Relay::XPlus | Relay::XMinus => PulseRequest { x: pulse, y: None },
            Relay::YPlus | Relay::YMinus => PulseRequest { x: None, y: pulse },
        };
        self.camera.pulse_guide(&request).map_err(|e| refused(e, AlpacaError::InvalidOperation))?;
        Ok(())
    }
}

/// What a checked `StartExposure` sets and starts.
struct ExposurePlan {
    update: SettingsUpdate,
    duration: ExposureDuration,
    frame_type: FrameType,
}

/// The STX exposure of an Alpaca `StartExposure(seconds, light)`. Alpaca has no bias
/// type: a dark of at most the shortest exposure is taken, and recorded, as a BIAS (at
/// the shortest exposure). A light must be at least the shortest exposure.
fn exposure(seconds: f64, light: bool) -> Result<(ExposureDuration, FrameType), AlpacaError> {
    let out_of_range = || {
        AlpacaError::InvalidValue(format!(
            "Duration {seconds} s is not within {} to {} s",
            ExposureDuration::MIN_SECONDS,
            ExposureDuration::MAX_SECONDS
        ))
    };
    let (seconds, frame_type) = match light {
        true => (seconds, FrameType::Light),
        false if (0.0..=ExposureDuration::MIN_SECONDS).contains(&seconds) => {
            (ExposureDuration::MIN_SECONDS, FrameType::Bias)
        }
        false => (seconds, FrameType::Dark),
    };
    Ok((ExposureDuration::from_secs(seconds).ok_or_else(out_of_range)?, frame_type))
}

/// The relay a `PulseGuide` direction closes, as the SBIG driver maps them: N→Y−,
/// S→Y+, E→X+, W→X−.
fn guide_relay(direction: i64) -> Option<Relay> {
    match direction {
        0 => Some(Relay::YMinus),
        1 => Some(Relay::YPlus),
        2 => Some(Relay::XPlus),
        3 => Some(Relay::XMinus),
        _ => None,
    }
}

/// `CameraState` for the CCD's state: 0 idle, 2 exposing, 3 reading, 5 error.
fn camera_state(state: CcdState) -> u8 {
    match state {
        CcdState::Idle => 0,
        CcdState::Exposing => 2,
        CcdState::ReadingOut => 3,
        CcdState::Error => 5,
    }
}

/// A UTC time as Alpaca writes it, `CCYY-MM-DDThh:mm:ss.sss`.
pub(crate) fn utc_text(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%S%.3f").to_string()
}

impl Device for CameraDevice {
    type Member = Member;

    fn name(&self) -> String {
        format!("STX {}", self.ccd)
    }

    fn description(&self) -> String {
        let model = model(self.camera.as_ref());
        format!("The {} of the {model}, through stxd", self.ccd)
    }

    fn interface_version(&self) -> u32 {
        4
    }

    fn connection(&self) -> &Connection {
        &self.connection
    }

    fn on_connect(&self) -> Result<(), AlpacaError> {
        self.sensor().map(drop)
    }

    fn member(verb: Verb, method: &str) -> Option<Member> {
        let fixed = match (verb, method) {
            (Verb::Put, "startexposure") => Some(Member::StartExposure),
            (Verb::Put, "abortexposure") => Some(Member::AbortExposure),
            (Verb::Put, "pulseguide") => Some(Member::PulseGuide),
            _ => None,
        };
        let property = match verb {
            Verb::Get => GETTERS.iter().find(|(name, _)| *name == method).map(|(_, p)| Member::Get(*p)),
            Verb::Put => SETTERS.iter().find(|(name, _)| *name == method).map(|(_, s)| Member::Set(*s)),
        };
        let unsupported = || {
            UNSUPPORTED
                .iter()
                .find(|(v, name, _)| *v == verb && *name == method)
                .map(|(.., n)| Member::Unsupported(n))
        };
        fixed.or(property).or_else(unsupported)
    }

    fn run(&self, member: Member, params: &Params) -> Result<Outcome, Failure> {
        match member {
            Member::Get(property) => Ok(self.get(property)?),
            Member::Set(setting) => {
                self.set(setting, params)?;
                Ok(Outcome::Done)
            }
            Member::StartExposure => self.start_exposure(params).map(|()| Outcome::Done),
            Member::AbortExposure => {
                self.camera
                    .abort_exposure(self.ccd)
                    .map_err(|e| refused(e, AlpacaError::InvalidOperation))?;
                Ok(Outcome::Done)
            }
            Member::PulseGuide => self.pulse_guide(params).map(|()| Outcome::Done),
            Member::Unsupported(name) => Err(AlpacaError::NotImplemented(name).into()),
        }
    }

    fn state(&self) -> Vec<StateItem> {
        [
            ("CameraState", Property::CameraState),
            ("CCDTemperature", Property::CcdTemperature),
            ("CoolerPower", Property::CoolerPower),
            ("HeatSinkTemperature", Property::HeatSinkTemperature),
            ("ImageReady", Property::ImageReady),
            ("IsPulseGuiding", Property::IsPulseGuiding),
            ("PercentCompleted", Property::PercentCompleted),
        ]
        .into_iter()
        .filter_map(|(name, p)| match self.get(p) {
            Ok(Outcome::Value(value)) => Some(StateItem { name, value }),
            _ => None,
        })
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposures_map_onto_stx_frame_types() {
        let check = |seconds: f64, light: bool, expect: Option<(f64, FrameType)>| {
            let got = exposure(seconds, light).ok().map(|(d, t)| (d.secs(), t));
            assert_eq!(got, expect, "{seconds} s light={light}");
        };
        check(5.0, true, Some((5.0, FrameType::Light)));
        check(5.0, false, Some((5.0, FrameType::Dark)));
        check(0.0, false, Some((0.01, FrameType::Bias)));
        check(0.01, false, Some((0.01, FrameType::Bias)));
        check(0.0, true, None);
        check(-1.0, false, None);
        check(86_401.0, true, None);
    }

    #[test]
    fn guide_directions_close_the_sbig_relays() {
        let relays: Vec<Option<Relay>> = (0..5).map(guide_relay).collect();
        assert_eq!(
            relays,
            [Some(Relay::YMinus), Some(Relay::YPlus), Some(Relay::XPlus), Some(Relay::XMinus), None]
        );
    }

    #[test]
    fn every_member_name_is_lower_case_and_known_once_per_verb() {
        let names =
            GETTERS.iter().map(|(n, _)| (Verb::Get, *n)).chain(SETTERS.iter().map(|(n, _)| (Verb::Put, *n)));
        for (verb, name) in names.chain(UNSUPPORTED.iter().map(|(v, n, _)| (*v, *n))) {
            assert_eq!(name, name.to_ascii_lowercase());
            assert!(member_of(verb, name).is_some(), "{name}");
        }
        assert_eq!(member_of(Verb::Get, "BinX"), None);
        assert_eq!(member_of(Verb::Put, "camerastate"), None);
    }

    fn member_of(verb: Verb, name: &str) -> Option<Member> {
        <CameraDevice as Device>::member(verb, name)
    }
}
