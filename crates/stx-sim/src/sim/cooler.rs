//! The thermoelectric cooler shared by the imager and the internal guider, and the
//! ambient air around the camera.
//!
//! The CCD temperature follows a first-order approach to a target with the preset's
//! time constant. It is evaluated in closed form from the last change (an "anchor"),
//! never stepped, so it is exact at any clock reading and costs nothing between calls.

use std::f64::consts::TAU;

use stx_protocol::CoolerStatus;

use crate::SimTime;
use crate::preset::CoolerPreset;

/// Seconds in a day: the period of the ambient temperature's swing.
const DAY_S: f64 = 86_400.0;
/// How far above its setpoint a stuck cooler leaves the CCD, °C.
const STUCK_ABOVE_SETPOINT_C: f64 = 5.0;
/// The spec's default `CCDTemperatureSetpoint`, °C.
const DEFAULT_SETPOINT_C: f64 = 25.0;

/// The cooler's controls, its fault, and where the temperature last stood.
#[derive(Clone, Debug)]
pub(super) struct Cooler {
    preset: CoolerPreset,
    on: bool,
    setpoint_c: f64,
    stuck: bool,
    /// The moment of the last change of controls or fault.
    anchor_at: SimTime,
    /// The CCD temperature at `anchor_at`.
    anchor_temp_c: f64,
}

impl Cooler {
    /// A cooler as the camera powers up: off (the spec's default), the setpoint at the
    /// spec's 25.0 °C, the CCD at ambient.
    pub(super) fn new(preset: &CoolerPreset) -> Cooler {
        let mut cooler = Cooler {
            preset: preset.clone(),
            on: false,
            setpoint_c: DEFAULT_SETPOINT_C,
            stuck: false,
            anchor_at: SimTime::ZERO,
            anchor_temp_c: 0.0,
        };
        cooler.anchor_temp_c = cooler.ambient_c(SimTime::ZERO);
        cooler
    }

    /// The ambient temperature at `at`: a slow daily swing that starts at the preset's
    /// ambient and drift rate. A sinusoid rather than a straight line keeps a server
    /// that runs for weeks on a fast clock within a few degrees of the preset.
    pub(super) fn ambient_c(&self, at: SimTime) -> f64 {
        let amplitude = self.preset.ambient_drift_c_per_hour * 24.0 / TAU;
        self.preset.ambient_c + amplitude * (TAU * at.secs() / DAY_S).sin()
    }

    /// The CCD temperature at `at` (not before the last change).
    pub(super) fn temperature_c(&self, at: SimTime) -> f64 {
        let elapsed = at.since(self.anchor_at).max(0.0);
        let tau = self.preset.time_constant_s;
        let decay = if tau > 0.0 { (-elapsed / tau).exp() } else { 0.0 };
        // Exact while the target holds still; with ambient drifting (under 0.6 °C/h)
        // the lag it ignores is a few hundredths of a degree.
        self.target_c(at) + (self.anchor_temp_c - self.target_c(self.anchor_at)) * decay
    }

    /// What the API reads at `at`.
    pub(super) fn status(&self, at: SimTime) -> CoolerStatus {
        CoolerStatus {
            on: self.on,
            temperature_c: self.temperature_c(at),
            setpoint_c: self.setpoint_c,
            power_percent: self.power_percent(at),
        }
    }

    /// The setpoint, if the cooler is regulating (`SET-TEMP` in FITS headers).
    pub(super) fn regulating_setpoint_c(&self) -> Option<f64> {
        self.on.then_some(self.setpoint_c)
    }

    /// Switches the cooler and moves its setpoint at `at`.
    pub(super) fn set(&mut self, at: SimTime, on: bool, setpoint_c: f64) {
        self.reanchor(at);
        self.on = on;
        self.setpoint_c = setpoint_c;
    }

    /// Sticks or frees the cooler at `at` (a fault on demand).
    pub(super) fn set_stuck(&mut self, at: SimTime, stuck: bool) {
        self.reanchor(at);
        self.stuck = stuck;
    }

    /// Whether the cooler is stuck.
    pub(super) fn is_stuck(&self) -> bool {
        self.stuck
    }

    /// Starts a new segment of the curve at `at`, continuous with the old one.
    fn reanchor(&mut self, at: SimTime) {
        self.anchor_temp_c = self.temperature_c(at);
        self.anchor_at = at;
    }

    /// Where the temperature is heading at `at`. Off: ambient. On: the setpoint, but no
    /// lower than the cooler can hold below ambient and no higher than ambient (the
    /// cooler does not heat). Stuck: short of the setpoint.
    fn target_c(&self, at: SimTime) -> f64 {
        let ambient = self.ambient_c(at);
        if !self.on {
            return ambient;
        }
        let floor = ambient - self.preset.max_delta_c;
        let wanted = if self.stuck { self.setpoint_c + STUCK_ABOVE_SETPOINT_C } else { self.setpoint_c };
        wanted.max(floor).min(ambient)
    }

    /// Cooler power at `at`, percent. Heat leaks in in proportion to the difference from
    /// ambient; in a first-order model the pump power that produces the approach to the
    /// target is the one that holds the target: `(ambient − target) / max ΔT`. So power
    /// rises with the load and reads 100 % whenever the setpoint is out of reach. A
    /// stuck cooler runs flat out.
    fn power_percent(&self, at: SimTime) -> f64 {
        if !self.on {
            return 0.0;
        }
        if self.stuck {
            return 100.0;
        }
        let held = self.ambient_c(at) - self.target_c(at);
        if self.preset.max_delta_c > 0.0 {
            (100.0 * held / self.preset.max_delta_c).clamp(0.0, 100.0)
        } else {
            100.0
        }
    }
}
