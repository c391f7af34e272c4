//! What one exposure puts on the sensor before any noise: the stars where the optics
//! and the mount's motion place them, the sky, dark current and hot pixels, in
//! expected electrons per pixel.

use std::sync::Arc;

use stx_protocol::{Binning, Subframe};

use super::RenderJob;
use super::motion::{MotionPoint, motion_points};
use super::optics::Optics;
use super::psf::{Canvas, Moffat, PixelPsf};
use super::sensor::{Spot, dark_e_per_s, hot_pixels, spots_in_rows};
use super::sky::{SkyRegion, Star, stars_in};

/// A star as this exposure sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlacedStar {
    /// The catalogue star.
    pub star: Star,
    /// Where it falls at zero pointing offset, unbinned pixels from the readout
    /// window's corner (pixel `i` spans `[i, i + 1)`).
    pub pixel: [f64; 2],
    /// Electrons it gives over the exposure.
    pub electrons: f64,
    /// How far from each motion point its light is drawn, pixels.
    reach: f64,
    /// Unbinned window rows its light can touch: `[first, last]`.
    rows: [f64; 2],
}

/// Unbinned pixels per star a frame can show: a frame with more stars than one per
/// 8 × 8 pixels is a sheet of light, so past that only the brightest are drawn.
const PIXELS_PER_STAR: f64 = 64.0;

/// Most star draws (stars × motion points) in a frame: a long trail of a wide field
/// draws fewer, brighter stars rather than unbounded work.
const MAX_STAR_DRAWS: f64 = 16_000_000.0;

/// How far beyond the readout window, in window sizes per side, a star is looked for
/// when the mount's motion brings its light in: a path longer than this (a day's
/// unguided drift) draws only the stars that start within it.
const MOTION_REACH_WINDOWS: f64 = 4.0;

/// The noise-free model of one exposure on one CCD.
#[derive(Debug)]
pub struct Scene {
    /// The optics in front of the CCD.
    pub optics: Optics,
    /// The pixel-integrated PSF.
    pub psf: Arc<PixelPsf>,
    /// The image's motion during the exposure.
    pub motion: Vec<MotionPoint>,
    /// The stars whose light reaches the readout window.
    pub stars: Vec<PlacedStar>,
    /// Electrons per unbinned pixel from sky and dark current over the exposure.
    pub background_e: f64,
    /// Electrons per unbinned pixel from dark current alone (a hot pixel's unit).
    pub dark_e: f64,
    hot: Vec<Spot>,
    frame: Subframe,
    binning: Binning,
}

impl Scene {
    /// Builds the model of `job`.
    pub fn new(job: &RenderJob) -> Scene {
        let optics = Optics::new(job);
        let moffat =
            Moffat::from_seeing(job.sky.seeing_fwhm_arcsec, job.sky.moffat_beta, optics.scale_arcsec);
        let psf = PixelPsf::shared(moffat);
        let samples: Vec<[f64; 2]> = job
            .pointing_arcsec
            .iter()
            .map(|&(x, y)| [x / optics.scale_arcsec[0], y / optics.scale_arcsec[1]])
            .collect();
        let alpha = moffat.alpha_px[0].min(moffat.alpha_px[1]);
        let motion = motion_points(&samples, alpha);
        let dark_e = dark_e_per_s(&job.sensor, job.ccd_temp_c) * job.duration_s;
        let stars = if optics.shutter_open { place_stars(job, &optics, &psf, &motion) } else { Vec::new() };
        Scene {
            background_e: optics.sky_e_per_px_s * job.duration_s + dark_e,
            dark_e,
            hot: hot_pixels(job.seed, job.ccd, &job.sensor),
            frame: job.frame,
            binning: job.binning,
            optics,
            psf,
            motion,
            stars,
        }
    }

    /// The image size, binned pixels (width, height).
    pub fn size(&self) -> (usize, usize) {
        let (w, h) = self.frame.binned_size(self.binning);
        (w as usize, h as usize)
    }

    /// Where a star's light is centred over the exposure (its time-mean position),
    /// unbinned pixels from the readout window's corner.
    pub fn centre_of(&self, star: &PlacedStar) -> [f64; 2] {
        let mean = |a: usize| self.motion.iter().map(|p| p.weight * p.offset_px[a]).sum::<f64>();
        [star.pixel[0] + mean(0), star.pixel[1] + mean(1)]
    }

    /// Fills `rows` (whole binned rows of the image, starting at binned row
    /// `first_row`) with the expected electrons of each binned pixel.
    pub fn fill(&self, first_row: usize, rows: &mut [f32]) {
        let (width, _) = self.size();
        let bin = [usize::from(self.binning.x), usize::from(self.binning.y)];
        rows.fill((self.background_e * (bin[0] * bin[1]) as f64) as f32);
        let mut canvas = Canvas { data: rows, width, bin, first_row: first_row * bin[1] };
        self.add_spots(&mut canvas, &self.hot, self.dark_e);
        let (top, bottom) = (canvas.first_row as f64, (canvas.first_row + canvas.rows()) as f64);
        for star in self.stars.iter().filter(|s| s.rows[0] < bottom && s.rows[1] >= top) {
            for point in &self.motion {
                let [u, v] = [0, 1].map(|a| star.pixel[a] + point.offset_px[a]);
                self.psf.add_star(&mut canvas, u, v, star.electrons * point.weight, star.reach);
            }
        }
    }

    /// Adds `unit` electrons times each spot's amount to the spots on the canvas.
    pub fn add_spots(&self, canvas: &mut Canvas<'_>, spots: &[Spot], unit: f64) {
        let first = self.frame.start_y + canvas.first_row as u32;
        let rows = first..first + canvas.rows() as u32;
        for spot in spots_in_rows(spots, rows) {
            if let Some(x) = spot.x.checked_sub(self.frame.start_x) {
                canvas.add(x as usize, (spot.y - self.frame.start_y) as usize, (spot.amount * unit) as f32);
            }
        }
    }
}

/// The catalogue stars whose light can reach the readout window during the exposure.
fn place_stars(job: &RenderJob, optics: &Optics, psf: &PixelPsf, motion: &[MotionPoint]) -> Vec<PlacedStar> {
    let corner = [f64::from(job.frame.start_x), f64::from(job.frame.start_y)];
    let size = [f64::from(job.frame.num_x), f64::from(job.frame.num_y)];
    let lowest = |a: usize| motion.iter().map(|p| p.offset_px[a]).fold(f64::INFINITY, f64::min);
    let highest = |a: usize| motion.iter().map(|p| p.offset_px[a]).fold(f64::NEG_INFINITY, f64::max);
    let reach = |a: usize| MOTION_REACH_WINDOWS * size[a];
    let low = [0, 1].map(|a| lowest(a).clamp(-reach(a), reach(a)));
    let high = [0, 1].map(|a| highest(a).clamp(-reach(a), reach(a)));
    let margin = psf.radius() as f64 + 1.0;
    // Pixel coordinates at zero offset from which a star's light can reach the window.
    let from = [0, 1].map(|a| corner[a] - high[a] - margin);
    let to = [0, 1].map(|a| corner[a] + size[a] - low[a] + margin);
    let region = SkyRegion { min: optics.pixel_to_sky(from), max: optics.pixel_to_sky(to) };
    let share = crowd_share(motion, psf.moffat());
    let pixels = size[0] * size[1];
    let most = (pixels / PIXELS_PER_STAR).min(MAX_STAR_DRAWS / motion.len().max(1) as f64).max(1.0);
    stars_in(job.seed, &job.sky, &region, most as usize)
        .into_iter()
        .filter_map(|star| {
            let on_sensor = optics.sky_to_pixel([star.x_arcsec, star.y_arcsec]);
            let pixel = [0, 1].map(|a| on_sensor[a] - corner[a]);
            let electrons = optics.star_e_per_s(star.mag) * job.duration_s;
            let reach = psf.moffat().reach(electrons * share).min(psf.radius() as f64);
            let touches =
                (0..2).all(|a| pixel[a] + high[a] + reach >= 0.0 && pixel[a] + low[a] - reach < size[a]);
            (touches && reach > 0.0).then_some(PlacedStar {
                star,
                pixel,
                electrons,
                reach,
                rows: [pixel[1] + low[1] - reach - 1.0, pixel[1] + high[1] + reach],
            })
        })
        .collect()
}

/// The largest share of a star's light that falls within one PSF core (2 α) of any
/// motion point: 1 for a still image, less along a trail, where it sets how faint the
/// trail's edge is and so how far out each point needs drawing.
fn crowd_share(motion: &[MotionPoint], moffat: &Moffat) -> f64 {
    let core = 2.0 * moffat.alpha_px[0].max(moffat.alpha_px[1]);
    motion
        .iter()
        .map(|p| {
            motion
                .iter()
                .filter(|q| (p.offset_px[0] - q.offset_px[0]).hypot(p.offset_px[1] - q.offset_px[1]) <= core)
                .map(|q| q.weight)
                .sum::<f64>()
        })
        .fold(0.0, f64::max)
        .min(1.0)
}
