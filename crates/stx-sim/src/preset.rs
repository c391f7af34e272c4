//! Camera model presets: data, not code. Built-in presets are TOML files under
//! `presets/`; a user may point `--model` at a file of their own.

use std::path::Path;

use serde::Deserialize;
use stx_protocol::{Ccd, SensorInfo};

/// One camera model: its three CCDs and everything around them.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelPreset {
    /// Short model name used by `--model`, e.g. `stx-16803`.
    pub model: String,
    /// `Description.cgi`, e.g. `SBIG STX-16803`.
    pub description: String,
    /// Hardware version lines of `VersionNumbers.cgi` (firmware is the server's own).
    pub versions: VersionsPreset,
    /// The imaging CCD.
    pub imager: SensorPreset,
    /// The internal guide CCD.
    pub guider: SensorPreset,
    /// The external guide head.
    pub ext_guider: SensorPreset,
    /// The thermoelectric cooler of the imager and internal guider.
    pub cooler: CoolerPreset,
    /// The filter wheel, if this configuration has one.
    pub filter_wheel: Option<FilterWheelPreset>,
    /// The adaptive-optics unit, if fitted.
    pub ao: Option<AoPreset>,
    /// The mount the camera rides on.
    pub mount: MountPreset,
    /// The sky it looks at.
    pub sky: SkyPreset,
}

/// Hardware version lines.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionsPreset {
    /// Gate array version.
    pub gate_array: String,
    /// Imaging ROP version.
    pub imaging_rop: String,
    /// Tracker ROP version.
    pub tracker_rop: String,
}

/// One CCD.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensorPreset {
    /// Active columns.
    pub width: u32,
    /// Active rows.
    pub height: u32,
    /// Pixel width, µm.
    pub pixel_size_x_um: f64,
    /// Pixel height, µm.
    pub pixel_size_y_um: f64,
    /// Gain, e-/ADU.
    pub gain_e_per_adu: f64,
    /// Read noise, e- RMS per read pixel.
    pub read_noise_e: f64,
    /// Full well, e-.
    pub full_well_e: u32,
    /// Largest ADU the converter gives.
    pub max_adu: u32,
    /// Largest binning factor on each axis.
    pub max_bin: u16,
    /// Bias level, ADU.
    pub bias_adu: f64,
    /// Dark current at `dark_reference_c`, e-/pixel/s.
    pub dark_current_e_per_s: f64,
    /// Temperature of `dark_current_e_per_s`, °C.
    pub dark_reference_c: f64,
    /// Dark current doubles every this many °C.
    pub dark_doubling_c: f64,
    /// Fraction of pixels that are hot.
    pub hot_pixel_fraction: f64,
    /// Quantum efficiency at the band's peak, 0..1.
    pub quantum_efficiency: f64,
    /// Pixels digitised per second (readout time = pixels read / this).
    pub readout_pixels_per_s: f64,
    /// Centre of this CCD in the focal plane relative to the imager's centre, mm (x, y).
    pub field_offset_mm: [f64; 2],
    /// Whether the camera's cooler cools this CCD.
    pub cooled: bool,
}

impl SensorPreset {
    /// The sensor as the API reports it.
    pub fn info(&self) -> SensorInfo {
        SensorInfo {
            width: self.width,
            height: self.height,
            pixel_size_x_um: self.pixel_size_x_um,
            pixel_size_y_um: self.pixel_size_y_um,
            electrons_per_adu: self.gain_e_per_adu,
            full_well_e: self.full_well_e,
            max_adu: self.max_adu,
            max_bin_x: self.max_bin,
            max_bin_y: self.max_bin,
        }
    }
}

/// The cooler.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoolerPreset {
    /// Largest temperature difference below ambient it can hold, °C.
    pub max_delta_c: f64,
    /// First-order time constant of the approach to the setpoint, s.
    pub time_constant_s: f64,
    /// Ambient temperature at start, °C.
    pub ambient_c: f64,
    /// Slow drift of ambient over the night, °C per hour (negative: cooling night).
    pub ambient_drift_c_per_hour: f64,
}

/// The filter wheel.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterWheelPreset {
    /// Seconds to travel one slot.
    pub seconds_per_slot: f64,
    /// Number of positions on the wheel (moves take the shorter way round).
    pub slots: u8,
    /// The eight filters' optics, slot 1 first.
    pub filters: Vec<FilterPreset>,
}

/// One filter's optics.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterPreset {
    /// Default name before the user names it (the camera's default is `Empty`).
    pub kind: String,
    /// Fraction of star light passed, 0..1.
    pub transmission: f64,
    /// Sky brightness through this filter, mag/arcsec².
    pub sky_mag_per_arcsec2: f64,
}

/// The adaptive-optics element.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AoPreset {
    /// Image shift at full travel (0 → 100) on the sky, arcsec.
    pub travel_arcsec: f64,
    /// Seconds per unit (of 0..100) of travel.
    pub seconds_per_unit: f64,
}

/// The mount's tracking and guiding.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MountPreset {
    /// Guide rate of a closed relay, arcsec/s.
    pub guide_rate_arcsec_per_s: f64,
    /// Constant tracking drift (polar misalignment, rate error), arcsec/s (x, y).
    pub drift_arcsec_per_s: [f64; 2],
    /// Periodic error amplitude in x (RA), arcsec.
    pub periodic_error_arcsec: f64,
    /// Periodic error period, s (the worm period).
    pub periodic_period_s: f64,
}

/// The sky and atmosphere.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkyPreset {
    /// Seeing FWHM, arcsec.
    pub seeing_fwhm_arcsec: f64,
    /// Moffat β of the PSF.
    pub moffat_beta: f64,
    /// Sky brightness with no filter, mag/arcsec².
    pub sky_mag_per_arcsec2: f64,
    /// Stars per square degree brighter than `limiting_mag`.
    pub stars_per_sq_deg: f64,
    /// Faintest magnitude simulated.
    pub limiting_mag: f64,
    /// Photons/s/cm² at the telescope from a magnitude-0 star in the band.
    pub photons_mag0_per_s_cm2: f64,
}

/// Why a preset could not be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PresetError {
    /// Neither a built-in model nor a readable file.
    #[error("unknown model '{0}': give one of {BUILTIN_NAMES} or the path of a preset file")]
    Unknown(String),
    /// The file could not be read.
    #[error("cannot read preset {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a valid preset.
    #[error("invalid preset {path}: {message}")]
    Invalid {
        /// The file (or built-in name).
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// The longest side of a sensor a preset may have, pixels: twice the largest STX's
/// (a 8192² frame is 128 MiB of pixels).
const MAX_SENSOR_SIDE: f64 = 8192.0;

const BUILTIN: [(&str, &str); 2] = [
    ("stx-16803", include_str!("../presets/stx-16803.toml")),
    ("stxl-6303e", include_str!("../presets/stxl-6303e.toml")),
];
const BUILTIN_NAMES: &str = "stx-16803, stxl-6303e";

impl ModelPreset {
    /// A built-in model by name (any case), or else a preset file at that path.
    pub fn resolve(name_or_path: &str) -> Result<ModelPreset, PresetError> {
        if let Some((name, text)) = BUILTIN.iter().find(|(n, _)| n.eq_ignore_ascii_case(name_or_path)) {
            return ModelPreset::parse(text, name);
        }
        let path = Path::new(name_or_path);
        if !path.exists() {
            return Err(PresetError::Unknown(name_or_path.to_owned()));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|source| PresetError::Io { path: name_or_path.to_owned(), source })?;
        ModelPreset::parse(&text, name_or_path)
    }

    /// Parses and checks a preset's TOML text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<ModelPreset, PresetError> {
        let invalid = |message: String| PresetError::Invalid { path: origin.to_owned(), message };
        let preset: ModelPreset = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        preset.check().map_err(invalid)?;
        Ok(preset)
    }

    /// The preset of one CCD.
    pub fn sensor(&self, ccd: Ccd) -> &SensorPreset {
        match ccd {
            Ccd::Imager => &self.imager,
            Ccd::Guider => &self.guider,
            Ccd::ExtGuider => &self.ext_guider,
        }
    }

    /// What a preset may say: the camera's own limits, and bounds on everything the
    /// renderer's work grows with (sensor size, hot pixels, the sky's star density and
    /// PSF), so a preset file cannot make a frame's render unbounded either.
    fn check(&self) -> Result<(), String> {
        let within = |what: &str, value: f64, range: std::ops::RangeInclusive<f64>| {
            if range.contains(&value) {
                Ok(())
            } else {
                Err(format!("{what} must be within {} to {}, not {value}", range.start(), range.end()))
            }
        };
        for ccd in Ccd::ALL {
            let s = self.sensor(ccd);
            within(&format!("{ccd}: width"), f64::from(s.width), 1.0..=MAX_SENSOR_SIDE)?;
            within(&format!("{ccd}: height"), f64::from(s.height), 1.0..=MAX_SENSOR_SIDE)?;
            within(&format!("{ccd}: pixel size x"), s.pixel_size_x_um, 0.5..=100.0)?;
            within(&format!("{ccd}: pixel size y"), s.pixel_size_y_um, 0.5..=100.0)?;
            within(&format!("{ccd}: hot pixel fraction"), s.hot_pixel_fraction, 0.0..=0.01)?;
            within(&format!("{ccd}: quantum efficiency"), s.quantum_efficiency, 0.0..=1.0)?;
            if s.width == 0 || s.height == 0 || s.max_bin == 0 || s.max_adu == 0 || s.max_adu > 65535 {
                return Err(format!("{ccd}: size, max_bin and max_adu (1..=65535) must be set"));
            }
            if !(s.gain_e_per_adu > 0.0 && s.readout_pixels_per_s > 0.0 && s.dark_doubling_c > 0.0) {
                return Err(format!("{ccd}: gain, readout rate and dark doubling must be positive"));
            }
        }
        within("sky: seeing FWHM", self.sky.seeing_fwhm_arcsec, 0.1..=30.0)?;
        within("sky: Moffat beta", self.sky.moffat_beta, 1.1..=20.0)?;
        within("sky: stars per square degree", self.sky.stars_per_sq_deg, 0.0..=1e6)?;
        within("sky: limiting magnitude", self.sky.limiting_mag, 4.0..=30.0)?;
        within("sky: photons of a magnitude-0 star", self.sky.photons_mag0_per_s_cm2, 0.0..=1e9)?;
        within("sky: brightness", self.sky.sky_mag_per_arcsec2, 0.0..=30.0)?;
        for drift in self.mount.drift_arcsec_per_s {
            within("mount: drift", drift, -100.0..=100.0)?;
        }
        within("mount: guide rate", self.mount.guide_rate_arcsec_per_s, 0.0..=100.0)?;
        within("mount: periodic error", self.mount.periodic_error_arcsec, 0.0..=3600.0)?;
        if let Some(w) = &self.filter_wheel
            && (w.filters.len() != 8 || w.slots < 9)
        {
            return Err("filter_wheel: give 8 filters and at least 9 slots (slot 0 is open)".to_owned());
        }
        Ok(())
    }
}
