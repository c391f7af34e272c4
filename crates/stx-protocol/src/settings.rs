//! CCD settings: the names `…GetSettings`/`…SetSettings` know, the snapshot a get call
//! reads, and the spec-ordered rules a set call applies.

use crate::{Ccd, StxError};

/// Binning on both axes, each 1..=MaxBin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Binning {
    /// Horizontal factor.
    pub x: u16,
    /// Vertical factor.
    pub y: u16,
}

impl Binning {
    /// No binning.
    pub const ONE: Binning = Binning { x: 1, y: 1 };
}

/// The readout window in unbinned pixels. Not checked against the sensor until an
/// exposure starts (the spec: NumX/NumY are never changed automatically).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Subframe {
    /// First column read.
    pub start_x: u32,
    /// First row read.
    pub start_y: u32,
    /// Columns read.
    pub num_x: u32,
    /// Rows read.
    pub num_y: u32,
}

impl Subframe {
    /// Whether the window lies on a sensor of `width`×`height` pixels.
    pub fn fits(&self, width: u32, height: u32) -> bool {
        self.num_x >= 1
            && self.num_y >= 1
            && u64::from(self.start_x) + u64::from(self.num_x) <= u64::from(width)
            && u64::from(self.start_y) + u64::from(self.num_y) <= u64::from(height)
    }

    /// The image size this window gives at `binning`: `(NumX/BinX, NumY/BinY)`, integer
    /// division as the spec's byte count says.
    pub fn binned_size(&self, binning: Binning) -> (u32, u32) {
        (self.num_x / u32::from(binning.x), self.num_y / u32::from(binning.y))
    }
}

/// What a sensor is: fixed by the hardware.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SensorInfo {
    /// `CameraXSize`: width in unbinned pixels.
    pub width: u32,
    /// `CameraYSize`: height in unbinned pixels.
    pub height: u32,
    /// `PixelSizeX` in µm.
    pub pixel_size_x_um: f64,
    /// `PixelSizeY` in µm.
    pub pixel_size_y_um: f64,
    /// `ElectronsPerADU`.
    pub electrons_per_adu: f64,
    /// `FullWellCapacity` in electrons.
    pub full_well_e: u32,
    /// `MaxADU`.
    pub max_adu: u32,
    /// `MaxBinX`.
    pub max_bin_x: u16,
    /// `MaxBinY`.
    pub max_bin_y: u16,
}

/// The thermoelectric cooler as a CCD sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CoolerStatus {
    /// `CoolerState`: regulating or off.
    pub on: bool,
    /// `CCDTemperature` in °C.
    pub temperature_c: f64,
    /// `CCDTemperatureSetpoint` in °C.
    pub setpoint_c: f64,
    /// `CoolerPower` in percent.
    pub power_percent: f64,
}

/// The camera fan's mode (`FanState`, undocumented but sent by real clients).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FanMode {
    /// `0`.
    Off,
    /// `1`: on at `FanPower`.
    Manual,
    /// `2`: the camera chooses.
    Auto,
}

impl FanMode {
    /// The mode for an API number.
    pub fn from_code(code: i64) -> Option<FanMode> {
        match code {
            0 => Some(FanMode::Off),
            1 => Some(FanMode::Manual),
            2 => Some(FanMode::Auto),
            _ => None,
        }
    }

    /// The API's number for this mode.
    pub fn code(self) -> u8 {
        match self {
            FanMode::Off => 0,
            FanMode::Manual => 1,
            FanMode::Auto => 2,
        }
    }
}

/// The imager's fan, as `FanState`/`FanPower` read and set it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FanStatus {
    /// `FanState`.
    pub mode: FanMode,
    /// `FanPower`, 0..=100 percent.
    pub power_percent: u8,
}

/// Everything a get-settings call of one CCD can read, at one moment.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CcdSettings {
    /// The sensor's fixed properties.
    pub sensor: SensorInfo,
    /// Current binning.
    pub binning: Binning,
    /// Current readout window.
    pub frame: Subframe,
    /// `AmbientTemperature` in °C.
    pub ambient_c: f64,
    /// The cooler, for CCDs that read it (imager and internal guider).
    pub cooler: Option<CoolerStatus>,
    /// The fan, for the imager.
    pub fan: Option<FanStatus>,
    /// `OverScan`, for the imager.
    pub overscan: Option<bool>,
}

impl CcdSettings {
    /// The settings of `ccd` from the values of a get of `keys`, as
    /// [`SettingKey::format`] writes them; `None` if a key the CCD reads is missing or
    /// its value is not one the API can send.
    pub fn from_values(ccd: Ccd, keys: &[SettingKey], values: &[impl AsRef<str>]) -> Option<CcdSettings> {
        if keys.len() != values.len() {
            return None;
        }
        let get = |key: SettingKey| keys.iter().position(|k| *k == key).map(|i| values[i].as_ref());
        let int = |key| get(key).and_then(crate::reply::parse_int);
        let real = |key| get(key).and_then(crate::reply::parse_real);
        let sensor = SensorInfo {
            width: int(SettingKey::CameraXSize)? as u32,
            height: int(SettingKey::CameraYSize)? as u32,
            pixel_size_x_um: real(SettingKey::PixelSizeX)?,
            pixel_size_y_um: real(SettingKey::PixelSizeY)?,
            electrons_per_adu: real(SettingKey::ElectronsPerADU)?,
            full_well_e: int(SettingKey::FullWellCapacity)? as u32,
            max_adu: int(SettingKey::MaxADU)? as u32,
            max_bin_x: int(SettingKey::MaxBinX)? as u16,
            max_bin_y: int(SettingKey::MaxBinY)? as u16,
        };
        let cooler = if ccd == Ccd::ExtGuider {
            None
        } else {
            Some(CoolerStatus {
                on: int(SettingKey::CoolerState)? == 1,
                temperature_c: real(SettingKey::CCDTemperature)?,
                // The guider reads the shared cooler but has no setpoint key.
                setpoint_c: real(SettingKey::CCDTemperatureSetpoint).unwrap_or(f64::NAN),
                power_percent: real(SettingKey::CoolerPower)?,
            })
        };
        let imager = ccd == Ccd::Imager;
        Some(CcdSettings {
            sensor,
            binning: Binning { x: int(SettingKey::BinX)? as u16, y: int(SettingKey::BinY)? as u16 },
            frame: Subframe {
                start_x: int(SettingKey::StartX)? as u32,
                start_y: int(SettingKey::StartY)? as u32,
                num_x: int(SettingKey::NumX)? as u32,
                num_y: int(SettingKey::NumY)? as u32,
            },
            ambient_c: real(SettingKey::AmbientTemperature)?,
            cooler,
            fan: if imager {
                Some(FanStatus {
                    mode: FanMode::from_code(int(SettingKey::FanState)?)?,
                    power_percent: int(SettingKey::FanPower)? as u8,
                })
            } else {
                None
            },
            overscan: if imager { Some(int(SettingKey::OverScan)? == 1) } else { None },
        })
    }
}

/// A name a settings call knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // Each variant is the API parameter of the same name.
pub enum SettingKey {
    BinX,
    BinY,
    CoolerState,
    CCDTemperature,
    CCDTemperatureSetpoint,
    CoolerPower,
    CameraXSize,
    CameraYSize,
    ElectronsPerADU,
    FullWellCapacity,
    AmbientTemperature,
    MaxADU,
    MaxBinX,
    MaxBinY,
    StartX,
    StartY,
    NumX,
    NumY,
    PixelSizeX,
    PixelSizeY,
    FanState,
    FanPower,
    OverScan,
}

impl SettingKey {
    /// Every key, each once.
    pub const ALL: [SettingKey; 23] = [
        SettingKey::BinX,
        SettingKey::BinY,
        SettingKey::CoolerState,
        SettingKey::CCDTemperature,
        SettingKey::CCDTemperatureSetpoint,
        SettingKey::CoolerPower,
        SettingKey::CameraXSize,
        SettingKey::CameraYSize,
        SettingKey::ElectronsPerADU,
        SettingKey::FullWellCapacity,
        SettingKey::AmbientTemperature,
        SettingKey::MaxADU,
        SettingKey::MaxBinX,
        SettingKey::MaxBinY,
        SettingKey::StartX,
        SettingKey::StartY,
        SettingKey::NumX,
        SettingKey::NumY,
        SettingKey::PixelSizeX,
        SettingKey::PixelSizeY,
        SettingKey::FanState,
        SettingKey::FanPower,
        SettingKey::OverScan,
    ];

    /// The parameter's name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            SettingKey::BinX => "BinX",
            SettingKey::BinY => "BinY",
            SettingKey::CoolerState => "CoolerState",
            SettingKey::CCDTemperature => "CCDTemperature",
            SettingKey::CCDTemperatureSetpoint => "CCDTemperatureSetpoint",
            SettingKey::CoolerPower => "CoolerPower",
            SettingKey::CameraXSize => "CameraXSize",
            SettingKey::CameraYSize => "CameraYSize",
            SettingKey::ElectronsPerADU => "ElectronsPerADU",
            SettingKey::FullWellCapacity => "FullWellCapacity",
            SettingKey::AmbientTemperature => "AmbientTemperature",
            SettingKey::MaxADU => "MaxADU",
            SettingKey::MaxBinX => "MaxBinX",
            SettingKey::MaxBinY => "MaxBinY",
            SettingKey::StartX => "StartX",
            SettingKey::StartY => "StartY",
            SettingKey::NumX => "NumX",
            SettingKey::NumY => "NumY",
            SettingKey::PixelSizeX => "PixelSizeX",
            SettingKey::PixelSizeY => "PixelSizeY",
            SettingKey::FanState => "FanState",
            SettingKey::FanPower => "FanPower",
            SettingKey::OverScan => "OverScan",
        }
    }

    /// The key of that name (any case) that `ccd`'s get call knows.
    pub fn for_get(name: &str, ccd: Ccd) -> Option<SettingKey> {
        SettingKey::named(name).filter(|key| key.readable_on(ccd))
    }

    /// The key of that name (any case) that `ccd`'s set call takes.
    pub fn for_set(name: &str, ccd: Ccd) -> Option<SettingKey> {
        SettingKey::named(name).filter(|key| key.writable_on(ccd))
    }

    /// The key of that name, in any case.
    fn named(name: &str) -> Option<SettingKey> {
        SettingKey::ALL.into_iter().find(|k| k.name().eq_ignore_ascii_case(name))
    }

    /// Whether `ccd`'s get call lists this key (the spec's three tables, plus the
    /// imager's undocumented fan and overscan keys).
    pub fn readable_on(self, ccd: Ccd) -> bool {
        use SettingKey::*;
        match self {
            FanState | FanPower | OverScan | CCDTemperatureSetpoint => ccd == Ccd::Imager,
            CoolerState | CCDTemperature | CoolerPower => ccd != Ccd::ExtGuider,
            _ => true,
        }
    }

    /// Whether `ccd`'s set call takes this key.
    pub fn writable_on(self, ccd: Ccd) -> bool {
        use SettingKey::*;
        match self {
            BinX | BinY | StartX | StartY | NumX | NumY => true,
            CoolerState | CCDTemperatureSetpoint | FanState | FanPower | OverScan => ccd == Ccd::Imager,
            _ => false,
        }
    }

    /// The error a bad value of this key gives in a set call.
    pub fn invalid_value_error(self) -> StxError {
        match self {
            SettingKey::BinX => StxError::BinX,
            SettingKey::BinY => StxError::BinY,
            SettingKey::StartX => StxError::StartX,
            SettingKey::StartY => StxError::StartY,
            SettingKey::NumX => StxError::NumX,
            SettingKey::NumY => StxError::NumY,
            _ => StxError::BadParameter,
        }
    }

    /// This key's value in `s`, formatted as the camera sends it; `None` if the CCD has
    /// no such value (never for a key [`readable_on`](Self::readable_on) that CCD).
    pub fn format(self, s: &CcdSettings) -> Option<String> {
        use crate::reply::{int, real};
        use SettingKey::*;
        Some(match self {
            BinX => int(s.binning.x),
            BinY => int(s.binning.y),
            CoolerState => int(u8::from(s.cooler?.on)),
            CCDTemperature => real(s.cooler?.temperature_c),
            CCDTemperatureSetpoint => real(s.cooler?.setpoint_c),
            CoolerPower => real(s.cooler?.power_percent),
            CameraXSize => int(s.sensor.width),
            CameraYSize => int(s.sensor.height),
            ElectronsPerADU => real(s.sensor.electrons_per_adu),
            FullWellCapacity => int(s.sensor.full_well_e),
            AmbientTemperature => real(s.ambient_c),
            MaxADU => int(s.sensor.max_adu),
            MaxBinX => int(s.sensor.max_bin_x),
            MaxBinY => int(s.sensor.max_bin_y),
            StartX => int(s.frame.start_x),
            StartY => int(s.frame.start_y),
            NumX => int(s.frame.num_x),
            NumY => int(s.frame.num_y),
            PixelSizeX => real(s.sensor.pixel_size_x_um),
            PixelSizeY => real(s.sensor.pixel_size_y_um),
            FanState => int(s.fan?.mode.code()),
            FanPower => int(s.fan?.power_percent),
            OverScan => int(u8::from(s.overscan?)),
        })
    }
}

/// The order a set call applies its parameters in, whatever order the query has.
pub const SET_ORDER: [SettingKey; 11] = [
    SettingKey::BinX,
    SettingKey::BinY,
    SettingKey::CoolerState,
    SettingKey::CCDTemperatureSetpoint,
    SettingKey::FanState,
    SettingKey::FanPower,
    SettingKey::StartX,
    SettingKey::StartY,
    SettingKey::NumX,
    SettingKey::NumY,
    SettingKey::OverScan,
];

/// One parameter of a set call, parsed as a number but not yet range-checked (the
/// range depends on the camera and on the values set before it).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SettingChange {
    /// Which setting.
    pub key: SettingKey,
    /// The number sent; `None` if it was not a number of the key's kind.
    pub value: Option<f64>,
}

/// A set call's parameters in [`SET_ORDER`], the last occurrence of each.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SettingsUpdate {
    /// The changes, in the order they are applied.
    pub changes: Vec<SettingChange>,
}

impl SettingsUpdate {
    /// Applies the changes to `settings` in order. The first bad value stops there with
    /// its error; the changes before it stay applied, as on the camera.
    pub fn apply_to(&self, settings: &mut CcdSettings) -> Result<(), StxError> {
        for change in &self.changes {
            apply_one(settings, *change).ok_or(change.key.invalid_value_error())?;
        }
        Ok(())
    }
}

/// Applies one change; `None` if the value is out of range.
fn apply_one(s: &mut CcdSettings, change: SettingChange) -> Option<()> {
    let value = change.value?;
    let int = |lo: i64, hi: i64| -> Option<i64> {
        let n = value as i64;
        (value.fract() == 0.0 && n >= lo && n <= hi).then_some(n)
    };
    let sensor = s.sensor;
    match change.key {
        SettingKey::BinX => s.binning.x = int(1, sensor.max_bin_x.into())? as u16,
        SettingKey::BinY => s.binning.y = int(1, sensor.max_bin_y.into())? as u16,
        SettingKey::CoolerState => s.cooler.as_mut()?.on = int(0, 1)? == 1,
        SettingKey::CCDTemperatureSetpoint => {
            (-100.0..=100.0).contains(&value).then_some(())?;
            s.cooler.as_mut()?.setpoint_c = value;
        }
        SettingKey::FanState => s.fan.as_mut()?.mode = FanMode::from_code(int(0, 2)?)?,
        SettingKey::FanPower => s.fan.as_mut()?.power_percent = int(0, 100)? as u8,
        SettingKey::StartX => s.frame.start_x = int(0, i64::from(sensor.width) - 1)? as u32,
        SettingKey::StartY => s.frame.start_y = int(0, i64::from(sensor.height) - 1)? as u32,
        SettingKey::NumX => s.frame.num_x = int(1, i64::from(sensor.width - s.frame.start_x))? as u32,
        SettingKey::NumY => s.frame.num_y = int(1, i64::from(sensor.height - s.frame.start_y))? as u32,
        SettingKey::OverScan => s.overscan = Some(int(0, 1)? == 1),
        _ => return None,
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(ccd: Ccd) -> CcdSettings {
        let imager = ccd == Ccd::Imager;
        CcdSettings {
            sensor: SensorInfo {
                width: 4096,
                height: 4096,
                pixel_size_x_um: 9.0,
                pixel_size_y_um: 9.0,
                electrons_per_adu: 1.27,
                full_well_e: 100_000,
                max_adu: 65535,
                max_bin_x: 9,
                max_bin_y: 9,
            },
            binning: Binning { x: 2, y: 3 },
            frame: Subframe { start_x: 10, start_y: 20, num_x: 100, num_y: 200 },
            ambient_c: 12.5,
            cooler: (ccd != Ccd::ExtGuider).then_some(CoolerStatus {
                on: true,
                temperature_c: -19.87,
                setpoint_c: -20.0,
                power_percent: 43.21,
            }),
            fan: imager.then_some(FanStatus { mode: FanMode::Auto, power_percent: 70 }),
            overscan: imager.then_some(true),
        }
    }

    #[test]
    fn settings_read_back_as_they_are_written() {
        for ccd in [Ccd::Imager, Ccd::ExtGuider] {
            let written = settings(ccd);
            let keys: Vec<SettingKey> = SettingKey::ALL.into_iter().filter(|k| k.readable_on(ccd)).collect();
            let values: Vec<String> = keys.iter().map(|k| k.format(&written).unwrap()).collect();
            assert_eq!(CcdSettings::from_values(ccd, &keys, &values), Some(written), "{ccd}");
            assert_eq!(CcdSettings::from_values(ccd, &keys, &values[1..]), None);
        }
    }
}
