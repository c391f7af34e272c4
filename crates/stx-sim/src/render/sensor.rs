//! The CCD itself: dark current, hot pixels, cosmic rays, and the readout chain from
//! collected charge to ADU.

use rand::Rng;
use rand_distr::{Distribution, Exp, Poisson};
use stx_protocol::Ccd;

use super::noise::{POISSON_EXACT_BELOW, PoissonSampler, normal, stream};
use crate::preset::SensorPreset;

/// Hot pixels run this many times the sensor's dark current at least and at most
/// (log-uniform between): chosen, plausible for full-frame CCDs, where a hot pixel
/// ranges from just visible in a long dark to saturating within minutes.
const HOT_FACTOR: (f64, f64) = (20.0, 2000.0);

/// Cosmic-ray hits per cm² of sensor per second: the sea-level muon flux is about one
/// per cm² per minute; secondaries and the sensor's own radioactivity add to it.
const COSMIC_RATE_PER_CM2_S: f64 = 0.02;

/// A hit's track crosses 1 to this many pixels (steep to glancing incidence through a
/// thin epitaxial layer).
const COSMIC_MAX_TRACK_PX: u32 = 4;

/// Charge a hit leaves in each pixel it crosses: at least the first, plus an
/// exponential tail of mean the second, e- (a minimum-ionising particle frees about
/// 80 e- per µm of silicon over a 10–20 µm deep collection region; the tail stands in
/// for the Landau tail and slant paths).
const COSMIC_CHARGE_E: (f64, f64) = (800.0, 1500.0);

/// A pixel's shot noise and read noise are drawn as one when its expected charge is at
/// least this many shot-noise σ below full well, so the clip could not matter (the
/// chance of reaching it is under 3·10⁻⁷).
const FAR_FROM_FULL_SIGMAS: f64 = 5.0;

/// Square centimetres in a square micrometre.
const CM2_PER_UM2: f64 = 1e-8;

/// Stream purpose: the hot pixels of a CCD.
const STREAM_HOT: u64 = 2;
/// Stream purpose: the cosmic rays of an exposure.
const STREAM_COSMIC: u64 = 3;

/// Dark current at `temp_c`, e- per pixel per second: it doubles every
/// `dark_doubling_c` degrees.
pub fn dark_e_per_s(sensor: &SensorPreset, temp_c: f64) -> f64 {
    sensor.dark_current_e_per_s * ((temp_c - sensor.dark_reference_c) / sensor.dark_doubling_c).exp2()
}

/// Charge a pixel collects beyond what the model puts there smoothly.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spot {
    /// Column, unbinned, on the whole sensor.
    pub x: u32,
    /// Row, unbinned, on the whole sensor.
    pub y: u32,
    /// For a hot pixel: its dark current in units of the sensor's. For a cosmic-ray
    /// hit: the electrons it left.
    pub amount: f64,
}

/// The sensor's hot pixels, fixed by the seed for the CCD's life, sorted by row.
pub fn hot_pixels(seed: u64, ccd: Ccd, sensor: &SensorPreset) -> Vec<Spot> {
    let mut rng = stream(seed, &[STREAM_HOT, ccd.index() as u64]);
    let pixels = f64::from(sensor.width) * f64::from(sensor.height);
    let count = (pixels * sensor.hot_pixel_fraction).round() as usize;
    let (lo, hi) = (HOT_FACTOR.0.ln(), HOT_FACTOR.1.ln());
    let mut spots: Vec<Spot> = (0..count)
        .map(|_| Spot {
            x: rng.gen_range(0..sensor.width),
            y: rng.gen_range(0..sensor.height),
            amount: rng.gen_range(lo..hi).exp(),
        })
        .collect();
    spots.sort_by_key(|s| (s.y, s.x));
    spots
}

/// The cosmic-ray hits of one exposure of `duration_s` (shutter or not), sorted by row.
pub fn cosmic_hits(seed: u64, exposure: u64, ccd: Ccd, sensor: &SensorPreset, duration_s: f64) -> Vec<Spot> {
    let area_cm2 = f64::from(sensor.width)
        * sensor.pixel_size_x_um
        * f64::from(sensor.height)
        * sensor.pixel_size_y_um
        * CM2_PER_UM2;
    let mean = COSMIC_RATE_PER_CM2_S * area_cm2 * duration_s.max(0.0);
    let mut rng = stream(seed, &[STREAM_COSMIC, exposure, ccd.index() as u64]);
    let hits = Poisson::new(mean).map_or(0, |p| p.sample(&mut rng) as usize);
    let tail = Exp::new(1.0 / COSMIC_CHARGE_E.1).expect("positive rate");
    let mut spots = Vec::new();
    for _ in 0..hits {
        let (x, y) = (rng.gen_range(0..sensor.width), rng.gen_range(0..sensor.height));
        let angle: f64 = rng.gen_range(0.0..std::f64::consts::TAU);
        for k in 0..rng.gen_range(1..=COSMIC_MAX_TRACK_PX) {
            let px = f64::from(x) + f64::from(k) * angle.cos();
            let py = f64::from(y) + f64::from(k) * angle.sin();
            let amount = COSMIC_CHARGE_E.0 + tail.sample(&mut rng);
            if (0.0..f64::from(sensor.width)).contains(&px.round())
                && (0.0..f64::from(sensor.height)).contains(&py.round())
            {
                spots.push(Spot { x: px.round() as u32, y: py.round() as u32, amount });
            }
        }
    }
    spots.sort_by_key(|s| (s.y, s.x));
    spots
}

/// The spots of `spots` (sorted by row) on rows `rows`.
pub fn spots_in_rows(spots: &[Spot], rows: std::ops::Range<u32>) -> &[Spot] {
    let first = spots.partition_point(|s| s.y < rows.start);
    let last = spots.partition_point(|s| s.y < rows.end);
    &spots[first..last]
}

/// The readout chain of one sensor: how a binned pixel's expected charge becomes ADU.
#[derive(Clone, Debug)]
pub struct Readout {
    full_well_e: f64,
    read_noise_e: f64,
    adu_per_e: f64,
    bias_adu: f64,
    max_adu: f64,
    /// Below this expected charge the well is at least `FAR_FROM_FULL_SIGMAS` shot-noise
    /// σ from full.
    far_from_full_e: f64,
    /// The last expected charge drawn for in one normal, with its noise σ and skew
    /// term: most pixels of a frame are plain background, so the square root and the
    /// division are rarely needed.
    last: (f64, f64, f64),
    /// Shot noise where it is drawn on its own.
    poisson: PoissonSampler,
}

impl Readout {
    /// The chain of `sensor`.
    pub fn new(sensor: &SensorPreset) -> Readout {
        let full_well_e = f64::from(sensor.full_well_e);
        // x + kσ = full well with σ = √x: a quadratic in √x.
        let k = FAR_FROM_FULL_SIGMAS;
        let root = (-k + (k * k + 4.0 * full_well_e).sqrt()) / 2.0;
        Readout {
            full_well_e,
            read_noise_e: sensor.read_noise_e,
            adu_per_e: 1.0 / sensor.gain_e_per_adu,
            bias_adu: sensor.bias_adu,
            max_adu: f64::from(sensor.max_adu),
            far_from_full_e: root * root,
            last: (f64::NAN, 0.0, 0.0),
            poisson: PoissonSampler::new(),
        }
    }

    /// Reads one binned pixel out: the charge expected there becomes a Poisson number
    /// of electrons, clipped at full well, converted at the gain, offset by the bias,
    /// blurred by read noise (once per binned pixel: binning sums charge before the
    /// amplifier), and digitised to the converter's range.
    ///
    /// Where the Poisson is in its normal regime and the well is far from full, shot
    /// and read noise are drawn together as one normal of their summed variance with
    /// the shot noise's skew restored (Cornish–Fisher): the same first three moments as
    /// the two draws in turn, at half the cost — the draws are most of a frame's
    /// render time.
    pub fn read<R: Rng>(&mut self, rng: &mut R, expected_e: f64) -> u16 {
        let electrons = if (POISSON_EXACT_BELOW..self.far_from_full_e).contains(&expected_e) {
            if self.last.0 != expected_e {
                let variance = expected_e + self.read_noise_e * self.read_noise_e;
                self.last = (expected_e, variance.sqrt(), expected_e / (6.0 * variance));
            }
            let (_, sigma, skew) = self.last;
            let z = normal(rng);
            expected_e + sigma * z + skew * (z * z - 1.0)
        } else {
            self.poisson.draw(rng, expected_e).min(self.full_well_e) + normal(rng) * self.read_noise_e
        };
        (electrons * self.adu_per_e + self.bias_adu).round().clamp(0.0, self.max_adu) as u16
    }
}
