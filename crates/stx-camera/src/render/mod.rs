//! Rendering a frame from the physical model: sky and optics, then the sensor chain.
//! A render is a pure function of its [`RenderJob`], so the same job gives the same
//! bytes and a frame can be rendered off the camera's lock, when first needed.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use stx_protocol::{Binning, Ccd, Subframe};

use crate::preset::{FilterPreset, SensorPreset, SkyPreset};

/// Everything a frame depends on, captured when its exposure ends.
#[derive(Clone, Debug, PartialEq)]
pub struct RenderJob {
    /// The camera's seed: fixes the sky, hot pixels and every noise draw.
    pub seed: u64,
    /// Which exposure of the camera's life this is (a distinct noise stream each).
    pub exposure_number: u64,
    /// The CCD.
    pub ccd: Ccd,
    /// Its sensor.
    pub sensor: SensorPreset,
    /// The sky and atmosphere.
    pub sky: SkyPreset,
    /// Telescope focal length (FITS setting FL), mm.
    pub focal_length_mm: f64,
    /// Telescope aperture diameter (FITS setting Aperture), mm.
    pub aperture_mm: f64,
    /// Readout window, unbinned pixels.
    pub frame: Subframe,
    /// Binning.
    pub binning: Binning,
    /// Exposure length, s.
    pub duration_s: f64,
    /// Whether light reached the sensor (Light and Flat frames).
    pub shutter_open: bool,
    /// The filter in the beam, if any.
    pub filter: Option<FilterPreset>,
    /// CCD temperature during the exposure, °C.
    pub ccd_temp_c: f64,
    /// Pointing offset on the sky in arcsec (x, y), sampled evenly from the start to the
    /// end of the exposure; never empty.
    pub pointing_arcsec: Vec<(f64, f64)>,
}

/// Renders the frame: `(NumX/BinX) × (NumY/BinY)` u16 pixels, row-major from the top.
pub fn render(job: &RenderJob) -> Vec<u16> {
    let (w, h) = job.frame.binned_size(job.binning);
    let mut rng = ChaCha8Rng::seed_from_u64(job.seed ^ job.exposure_number.rotate_left(32));
    let noise = Normal::new(0.0, job.sensor.read_noise_e / job.sensor.gain_e_per_adu).expect("finite noise");
    let max = f64::from(job.sensor.max_adu);
    (0..u64::from(w) * u64::from(h))
        .map(|_| (job.sensor.bias_adu + noise.sample(&mut rng)).round().clamp(0.0, max) as u16)
        .collect()
}
