//! `GET /v2/api/equipment/camera/info` and `GET /v2/api/equipment/filterwheel/info`:
//! the camera and its wheel as the widely used implementation describes a camera, with
//! its field names, order and types (dashboards and home-automation clients type-check
//! them), filled from whatever camera stands behind stxd.
//!
//! The implementation describes a camera through N.I.N.A.'s `CameraInfo`; for what a CCD
//! has not (gain, offset, USB limit, battery, colour) it sends -1, 0, `[]` or
//! `Monochrome`, and so do we. A camera that cannot be reached is shown as the
//! implementation shows a disconnected one: `Connected` false, numbers at zero, names
//! left out.

use std::sync::Mutex;
use std::time::SystemTime;

use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, FixedOffset, Local, SecondsFormat};
use serde::Serialize;
use stx_camera::Camera;
use stx_protocol::{Ccd, CcdState, ExposureDuration, FilterWheelState, FilterWheelStatus};

use super::envelope::{self, ApiError};
use super::json_number::Num;
use super::{V2State, blocking};

/// How close to the setpoint the CCD counts as at its target temperature: an STX
/// regulates to a few tenths of a degree. (The implementation compares the two doubles
/// for equality, which a regulating cooler almost never shows.)
const AT_TARGET_TOLERANCE_C: f64 = 0.5;
/// The one readout mode an STX has, named as the implementation names a camera's
/// default mode.
const READOUT_MODES: [&str; 1] = ["Default"];
/// What the wheel is called: the STX's filter wheel has no name of its own.
const FILTER_WHEEL_NAME: &str = "STX filter wheel";

/// `CameraStates` of the implementation, written by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
enum CameraState {
    NoState,
    Idle,
    Exposing,
    Reading,
    Error,
}

impl From<CcdState> for CameraState {
    fn from(state: CcdState) -> Self {
        match state {
            CcdState::Idle => CameraState::Idle,
            CcdState::Exposing => CameraState::Exposing,
            CcdState::ReadingOut => CameraState::Reading,
            CcdState::Error => CameraState::Error,
        }
    }
}

/// One of the camera's binning modes.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
struct BinningMode {
    name: String,
    x: u16,
    y: u16,
}

/// The camera, in the implementation's field order. Names the implementation leaves
/// out when it has none are `Option`s, skipped when `None` (never `null`: clients
/// reject a null name).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
struct CameraInfo {
    target_temp: Num,
    at_target_temp: bool,
    can_set_temperature: bool,
    has_shutter: bool,
    temperature: Num,
    gain: i32,
    default_gain: i32,
    #[serde(rename = "ElectronsPerADU")]
    electrons_per_adu: Num,
    bin_x: u16,
    bit_depth: u8,
    bin_y: u16,
    can_set_offset: bool,
    can_get_gain: bool,
    offset_min: i32,
    offset_max: i32,
    offset: i32,
    default_offset: i32,
    #[serde(rename = "USBLimit")]
    usb_limit: i32,
    is_sub_sample_enabled: bool,
    camera_state: CameraState,
    x_size: u32,
    y_size: u32,
    pixel_size: Num,
    has_battery: bool,
    battery: i32,
    gain_min: i32,
    gain_max: i32,
    can_set_gain: bool,
    gains: [i32; 0],
    cooler_on: bool,
    cooler_power: Num,
    has_dew_heater: bool,
    dew_heater_on: bool,
    can_sub_sample: bool,
    sub_sample_x: u32,
    sub_sample_y: u32,
    sub_sample_width: u32,
    sub_sample_height: u32,
    temperature_set_point: Num,
    #[serde(skip_serializing_if = "Option::is_none")]
    readout_modes: Option<[&'static str; 1]>,
    readout_mode: u8,
    readout_mode_for_snap_images: u8,
    readout_mode_for_normal_images: u8,
    is_exposing: bool,
    exposure_end_time: String,
    last_download_time: Num,
    sensor_type: &'static str,
    bayer_offset_x: u8,
    bayer_offset_y: u8,
    binning_modes: Vec<BinningMode>,
    exposure_max: Num,
    exposure_min: Num,
    live_view_enabled: bool,
    can_show_live_view: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    supported_actions: Option<[&'static str; 0]>,
    #[serde(rename = "CanSetUSBLimit")]
    can_set_usb_limit: bool,
    #[serde(rename = "USBLimitMin")]
    usb_limit_min: i32,
    #[serde(rename = "USBLimitMax")]
    usb_limit_max: i32,
    connected: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    device_id: Option<String>,
}

impl CameraInfo {
    /// What the implementation sends for a camera it cannot reach.
    fn disconnected(exposure_end: String) -> CameraInfo {
        CameraInfo {
            target_temp: Num(0.0),
            // The implementation's equality of two zeros.
            at_target_temp: true,
            can_set_temperature: false,
            has_shutter: false,
            temperature: Num(0.0),
            gain: -1,
            default_gain: -1,
            electrons_per_adu: Num(0.0),
            bin_x: 0,
            bit_depth: 0,
            bin_y: 0,
            can_set_offset: false,
            can_get_gain: false,
            offset_min: 0,
            offset_max: 0,
            offset: 0,
            default_offset: -1,
            usb_limit: 0,
            is_sub_sample_enabled: false,
            camera_state: CameraState::NoState,
            x_size: 0,
            y_size: 0,
            pixel_size: Num(0.0),
            has_battery: false,
            battery: 0,
            gain_min: 0,
            gain_max: 0,
            can_set_gain: false,
            gains: [],
            cooler_on: false,
            cooler_power: Num(0.0),
            has_dew_heater: false,
            dew_heater_on: false,
            can_sub_sample: false,
            sub_sample_x: 0,
            sub_sample_y: 0,
            sub_sample_width: 0,
            sub_sample_height: 0,
            temperature_set_point: Num(0.0),
            readout_modes: None,
            readout_mode: 0,
            readout_mode_for_snap_images: 0,
            readout_mode_for_normal_images: 0,
            is_exposing: false,
            exposure_end_time: exposure_end,
            last_download_time: Num(-1.0),
            sensor_type: "Monochrome",
            bayer_offset_x: 0,
            bayer_offset_y: 0,
            binning_modes: Vec::new(),
            exposure_max: Num(0.0),
            exposure_min: Num(0.0),
            live_view_enabled: false,
            can_show_live_view: false,
            supported_actions: None,
            can_set_usb_limit: false,
            usb_limit_min: 0,
            usb_limit_max: 0,
            connected: false,
            name: None,
            display_name: None,
            device_id: None,
        }
    }
}

/// When the imager's exposure ends, as the implementation reports it: set to the end
/// when an exposure starts, and kept after it ends.
#[derive(Debug, Default)]
pub struct ExposureEndMemo(Mutex<Option<DateTime<FixedOffset>>>);

impl ExposureEndMemo {
    /// The end of the exposure under way (remembered), or of the last one seen, or now
    /// when no exposure has been seen.
    fn text(&self, exposing_until: Option<SystemTime>) -> String {
        let mut last = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(end) = exposing_until {
            *last = Some(DateTime::<Local>::from(end).fixed_offset());
        }
        let end = last.unwrap_or_else(|| Local::now().fixed_offset());
        end.to_rfc3339_opts(SecondsFormat::Micros, false)
    }
}

/// `GET /v2/api/equipment/camera/info`.
pub(crate) async fn camera_info(State(state): State<V2State>) -> Result<Response, ApiError> {
    blocking("camera info", move || {
        let mut info = read_camera(state.camera.as_ref(), &state.exposure_end);
        // Frames that cannot be stored are the night's most urgent news; the plugin's
        // fields have no place for it but the camera's state (clients reject unknown
        // keys). The IMAGE-STORE-FAILED event and the log say why.
        if info.connected && state.pipeline.storage_status().held_frames > 0 {
            info.camera_state = CameraState::Error;
        }
        Ok(envelope::ok(info))
    })
    .await
}

/// The imager as the implementation describes a camera. Blocking.
fn read_camera(camera: &dyn Camera, memo: &ExposureEndMemo) -> CameraInfo {
    let read = || -> Result<CameraInfo, stx_camera::Error> {
        let settings = camera.settings(Ccd::Imager)?;
        let state = camera.state(Ccd::Imager)?;
        let name = camera.description()?;
        let exposure_end = memo.text(camera.exposure_end(Ccd::Imager)?);
        let sensor = settings.sensor;
        let frame = settings.frame;
        let full_frame = frame.start_x == 0
            && frame.start_y == 0
            && frame.num_x == sensor.width
            && frame.num_y == sensor.height;
        let cooler = settings.cooler;
        let temperature = cooler.map_or(f64::NAN, |c| c.temperature_c);
        let setpoint = cooler.map_or(f64::NAN, |c| c.setpoint_c);
        let cooler_on = cooler.is_some_and(|c| c.on);
        Ok(CameraInfo {
            target_temp: Num(setpoint),
            at_target_temp: cooler_on && (temperature - setpoint).abs() <= AT_TARGET_TOLERANCE_C,
            can_set_temperature: cooler.is_some(),
            has_shutter: true,
            temperature: Num(temperature),
            // Not the camera's e-/ADU: see docs/image-history-decisions.md.
            electrons_per_adu: Num(f64::NAN),
            bin_x: settings.binning.x,
            bit_depth: 16,
            bin_y: settings.binning.y,
            offset: -1,
            usb_limit: -1,
            is_sub_sample_enabled: !full_frame,
            camera_state: state.into(),
            x_size: sensor.width,
            y_size: sensor.height,
            pixel_size: Num(sensor.pixel_size_x_um),
            battery: -1,
            gain_min: -1,
            gain_max: -1,
            cooler_on,
            cooler_power: Num(cooler.map_or(0.0, |c| c.power_percent)),
            can_sub_sample: true,
            sub_sample_x: frame.start_x,
            sub_sample_y: frame.start_y,
            sub_sample_width: frame.num_x,
            sub_sample_height: frame.num_y,
            temperature_set_point: Num(setpoint),
            readout_modes: Some(READOUT_MODES),
            is_exposing: matches!(state, CcdState::Exposing | CcdState::ReadingOut),
            binning_modes: (1..=sensor.max_bin_x.min(sensor.max_bin_y))
                .map(|n| BinningMode { name: format!("{n}x{n}"), x: n, y: n })
                .collect(),
            exposure_max: Num(ExposureDuration::MAX_SECONDS),
            exposure_min: Num(ExposureDuration::MIN_SECONDS),
            supported_actions: Some([]),
            usb_limit_min: 0,
            usb_limit_max: 0,
            connected: true,
            display_name: Some(name.clone()),
            device_id: Some(name.clone()),
            name: Some(name),
            ..CameraInfo::disconnected(exposure_end)
        })
    };
    read().unwrap_or_else(|e| {
        tracing::debug!("camera info: camera not reachable: {e}");
        CameraInfo::disconnected(memo.text(None))
    })
}

/// A filter as the implementation names one: `Id` is the 0-based position.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct FilterJson {
    name: String,
    id: u8,
}

impl FilterJson {
    /// The filter `name` at 0-based position `id`.
    pub(crate) fn new(name: &str, id: u8) -> FilterJson {
        FilterJson { name: name.to_owned(), id }
    }

    /// The filter in the beam, if any (slot 0 is no filter).
    pub(crate) fn current(wheel: &FilterWheelStatus) -> Option<FilterJson> {
        let index = wheel.current.filter_index()?;
        Some(FilterJson::new(wheel.names[index].as_str(), index as u8))
    }
}

/// The wheel, in the implementation's field order.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
struct FilterWheelInfo {
    connected: bool,
    name: &'static str,
    display_name: &'static str,
    description: &'static str,
    driver_info: &'static str,
    driver_version: &'static str,
    device_id: &'static str,
    supported_actions: [&'static str; 0],
    is_moving: bool,
    /// Left out, not `null`, when there is none: a client fails on `null`.
    #[serde(skip_serializing_if = "Option::is_none")]
    selected_filter: Option<FilterJson>,
    available_filters: Vec<FilterJson>,
}

/// `GET /v2/api/equipment/filterwheel/info`.
pub(crate) async fn filter_wheel_info(State(state): State<V2State>) -> Result<Response, ApiError> {
    blocking("filter wheel info", move || Ok(envelope::ok(read_filter_wheel(state.camera.as_ref())))).await
}

/// The wheel as the implementation describes one. Blocking.
fn read_filter_wheel(camera: &dyn Camera) -> FilterWheelInfo {
    let wheel = camera.filter_wheel().ok().filter(|w| w.state != FilterWheelState::Error);
    let available = wheel.as_ref().map_or_else(Vec::new, |w| {
        w.names.iter().enumerate().map(|(i, name)| FilterJson::new(name.as_str(), i as u8)).collect()
    });
    FilterWheelInfo {
        connected: wheel.is_some(),
        name: FILTER_WHEEL_NAME,
        display_name: FILTER_WHEEL_NAME,
        description: "The STX camera's filter wheel, through stxd",
        driver_info: "stxd",
        driver_version: env!("CARGO_PKG_VERSION"),
        device_id: "stx-filter-wheel",
        supported_actions: [],
        is_moving: wheel.as_ref().is_some_and(|w| w.state == FilterWheelState::Moving),
        selected_filter: wheel.as_ref().and_then(FilterJson::current),
        available_filters: available,
    }
}
