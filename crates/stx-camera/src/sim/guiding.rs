//! Mount motion, guide relays and the AO element: where the sky is at any moment.

use stx_protocol::{AoPosition, Relay, RelayStatus};

use crate::SimTime;
use crate::preset::{AoPreset, MountPreset};

/// The mount and everything that moves the image: tracking drift, periodic error, guide
/// pulses through the relays, and the AO element's tilt.
#[derive(Debug)]
pub struct Guiding {
    _private: (),
}

impl Guiding {
    /// A mount at rest with the AO centred, its periodic-error phase from `seed`.
    pub fn new(_mount: &MountPreset, _ao: Option<&AoPreset>, _seed: u64) -> Guiding {
        todo!("issue 3: mount model")
    }

    /// Closes `relay` at `at` for `duration_s`: restarts it if already closed, opens the
    /// opposite relay of the axis.
    pub fn pulse(&mut self, _at: SimTime, _relay: Relay, _duration_s: f64) {
        todo!("issue 3: mount model")
    }

    /// Time left on each relay at `at`.
    pub fn relays(&self, _at: SimTime) -> RelayStatus {
        todo!("issue 3: mount model")
    }

    /// Starts a move of the AO element at `at`.
    pub fn ao_move(&mut self, _at: SimTime, _x: AoPosition, _y: AoPosition) {
        todo!("issue 3: mount model")
    }

    /// Whether the AO element is moving at `at`.
    pub fn ao_moving(&self, _at: SimTime) -> bool {
        todo!("issue 3: mount model")
    }

    /// The image offset on the sky at `at`, arcsec (x, y), relative to where the mount
    /// pointed at time zero. `ao` says whether the CCD looks through the AO element
    /// (imager and internal guider do; the external guider does not).
    pub fn offset_at(&self, _at: SimTime, _ao: bool) -> (f64, f64) {
        todo!("issue 3: mount model")
    }

    /// `offset_at` sampled evenly over `[from, to]`, enough samples to show the motion.
    pub fn track(&self, _from: SimTime, _to: SimTime, _ao: bool) -> Vec<(f64, f64)> {
        todo!("issue 3: mount model")
    }
}
