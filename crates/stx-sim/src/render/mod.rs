//! Rendering a frame from the physical model: sky and optics, then the sensor chain.
//! A render is a pure function of its [`RenderJob`], so the same job gives the same
//! bytes and a frame can be rendered off the camera's lock, when first needed.
//!
//! The steps, each in its own module:
//! - [`sky`]: the star catalogue, deterministic from the seed;
//! - [`optics`]: plate scale, field position and photon rates from FL, aperture,
//!   filter and QE;
//! - [`psf`]: the Moffat seeing profile integrated over pixels;
//! - [`motion`]: the image's path during the exposure, which trails unguided stars;
//! - [`scene`]: all of these together as expected electrons per pixel (noise-free);
//! - [`sensor`]: dark current, hot pixels, cosmic rays, and the readout chain;
//! - [`noise`]: seeded random streams and the Poisson draw.
//!
//! The image is rendered in bands of rows in parallel; each band draws its noise from
//! its own stream, named by the band's index, so the bytes do not depend on how the
//! bands are scheduled.
//!
//! Pointing offsets move the image: a star at sky position (x, y) appears where the
//! point (x + offset x, y + offset y) would at zero offset.

pub mod motion;
pub mod noise;
pub mod optics;
pub mod psf;
pub mod scene;
pub mod sensor;
pub mod sky;

use rayon::prelude::*;
use stx_protocol::{Binning, Ccd, Subframe};

use crate::preset::{FilterPreset, SensorPreset, SkyPreset};
use psf::Canvas;
use scene::Scene;

/// Binned rows per band of the parallel render: enough bands to share between cores
/// evenly, few enough that each band's stars are found cheaply.
const BAND_ROWS: usize = 32;

/// Stream purpose: readout noise of a band.
const STREAM_READOUT: u64 = 4;

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
    let scene = Scene::new(job);
    let hits = sensor::cosmic_hits(job.seed, job.exposure_number, job.ccd, &job.sensor, job.duration_s);
    let (width, height) = scene.size();
    let mut image = vec![0u16; width * height];
    if image.is_empty() {
        return image;
    }
    let bin = [usize::from(job.binning.x), usize::from(job.binning.y)];
    let readout = sensor::Readout::new(&job.sensor);
    image.par_chunks_mut(BAND_ROWS * width).enumerate().for_each(|(band, out)| {
        let first_row = band * BAND_ROWS;
        let mut electrons = vec![0.0f32; out.len()];
        scene.fill(first_row, &mut electrons);
        let mut canvas = Canvas { data: &mut electrons, width, bin, first_row: first_row * bin[1] };
        scene.add_spots(&mut canvas, &hits, 1.0);
        let mut readout = readout.clone();
        let mut rng = noise::stream(
            job.seed,
            &[STREAM_READOUT, job.exposure_number, job.ccd.index() as u64, band as u64],
        );
        for (pixel, &e) in out.iter_mut().zip(&electrons) {
            *pixel = readout.read(&mut rng, f64::from(e));
        }
    });
    image
}

/// The electrons each binned pixel of the frame collects on average, before any noise:
/// stars, sky, dark current and hot pixels (cosmic rays are random events, left out),
/// not clipped at full well. Same layout as [`render`]'s image.
pub fn expected_electrons(job: &RenderJob) -> Vec<f32> {
    let scene = Scene::new(job);
    let (width, height) = scene.size();
    let mut electrons = vec![0.0f32; width * height];
    if !electrons.is_empty() {
        electrons
            .par_chunks_mut(BAND_ROWS * width)
            .enumerate()
            .for_each(|(band, rows)| scene.fill(band * BAND_ROWS, rows));
    }
    electrons
}
