//! The point-spread function, integrated over pixels.
//!
//! A star's light follows a Moffat profile whose FWHM is the seeing. What a pixel
//! collects is the profile's integral over the pixel's square, which depends on where
//! in the pixel the star falls. That integral is tabulated once per frame on a grid of
//! sub-pixel offsets fine enough that bilinear interpolation between grid nodes is
//! exact to a few parts in 10⁴, so every star, at any sub-pixel position, costs a few
//! multiplications per pixel.

use std::sync::{Arc, Mutex, PoisonError};

use rayon::prelude::*;

/// Table steps per Moffat α: the table's offset step is α / this (rounded so a pixel
/// is a whole number of steps). Bilinear interpolation errs by about (step/α)²/8 of
/// the peak: 2·10⁻⁴ here.
const STEPS_PER_ALPHA: f64 = 24.0;

/// Most table steps per pixel: PSFs this sharp are undersampled anyway, and the cap
/// bounds the table's size.
const MAX_STEPS_PER_PX: usize = 32;

/// Table radius in Moffat α. Beyond 12 α the profile is below 3·10⁻⁸ of its peak
/// (β = 3.5): under 0.3 e- per pixel even for a magnitude-6 star at f/10.
const RADIUS_ALPHAS: f64 = 12.0;

/// Most table cells across (radius × steps per pixel): bounds the table's memory
/// (a summed-area table of 4096² f64 is 128 MiB) for a PSF both sharp on one axis
/// and wide on the other, which then gets fewer steps per pixel.
const MAX_CELLS: usize = 4096;

/// Smallest and largest table radius, unbinned pixels.
const RADIUS_PX: (usize, usize) = (4, 128);

/// Tables kept for reuse: one per CCD in use covers a camera whose telescope does not
/// change, and a guide loop then never rebuilds its table.
const CACHED_TABLES: usize = 4;

/// The most recently used tables, most recent first.
static CACHE: Mutex<Vec<Arc<PixelPsf>>> = Mutex::new(Vec::new());

/// A star's stamp stops where its light falls below this many electrons per pixel: a
/// tenth of an electron is far below any sensor's read noise and any sky's shot noise,
/// and the light left out (under 0.5 % of a faint star's) is lost in both.
const STAMP_FLOOR_E: f64 = 0.1;

/// A Moffat profile, in unbinned pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Moffat {
    /// Core width α per axis, pixels (the plate scale may differ between axes).
    pub alpha_px: [f64; 2],
    /// Wing exponent β (> 1).
    pub beta: f64,
}

impl Moffat {
    /// The profile of `fwhm_arcsec` seeing and exponent `beta` at a plate scale of
    /// `scale_arcsec` per pixel (x, y).
    pub fn from_seeing(fwhm_arcsec: f64, beta: f64, scale_arcsec: [f64; 2]) -> Moffat {
        let alpha_arcsec = fwhm_arcsec / (2.0 * (2f64.powf(1.0 / beta) - 1.0).sqrt());
        Moffat { alpha_px: scale_arcsec.map(|s| alpha_arcsec / s), beta }
    }

    /// The light per unit pixel area at offset (dx, dy) from the centre, for a total
    /// of 1 over the plane.
    pub fn density(&self, dx: f64, dy: f64) -> f64 {
        let [ax, ay] = self.alpha_px;
        let q = (dx / ax).powi(2) + (dy / ay).powi(2);
        self.peak() * (1.0 + q).powf(-self.beta)
    }

    /// The density at the centre.
    pub fn peak(&self) -> f64 {
        (self.beta - 1.0) / (std::f64::consts::PI * self.alpha_px[0] * self.alpha_px[1])
    }

    /// How far from its centre a star of `electrons` stays above `STAMP_FLOOR_E` per
    /// pixel, pixels.
    pub fn reach(&self, electrons: f64) -> f64 {
        let ratio = electrons * self.peak() / STAMP_FLOOR_E;
        let alpha = self.alpha_px[0].max(self.alpha_px[1]);
        if ratio <= 1.0 { 0.0 } else { alpha * (ratio.powf(1.0 / self.beta) - 1.0).sqrt() }
    }
}

/// A region of a binned image being rendered, addressed in unbinned pixels: charge put
/// on an unbinned pixel lands in the binned pixel that holds it.
#[derive(Debug)]
pub struct Canvas<'a> {
    /// Binned pixels, row-major.
    pub data: &'a mut [f32],
    /// Binned pixels per row.
    pub width: usize,
    /// Binning (x, y).
    pub bin: [usize; 2],
    /// The first unbinned row the canvas holds (row `first_row / bin[1]` of the image).
    pub first_row: usize,
}

impl Canvas<'_> {
    /// Unbinned rows the canvas holds.
    pub fn rows(&self) -> usize {
        self.data.len() / self.width.max(1) * self.bin[1]
    }

    /// Unbinned columns the canvas holds.
    pub fn cols(&self) -> usize {
        self.width * self.bin[0]
    }

    /// Adds `electrons` to unbinned pixel (x, y) of the image, if the canvas holds it.
    pub fn add(&mut self, x: usize, y: usize, electrons: f32) {
        if x < self.cols() && (self.first_row..self.first_row + self.rows()).contains(&y) {
            let row = (y - self.first_row) / self.bin[1];
            self.data[row * self.width + x / self.bin[0]] += electrons;
        }
    }
}

/// The Moffat profile integrated over a pixel, tabulated against the position of the
/// pixel's corner relative to the star.
#[derive(Clone, Debug)]
pub struct PixelPsf {
    /// The profile.
    moffat: Moffat,
    /// Table steps per pixel.
    steps: usize,
    /// Pixels from the star the table reaches.
    radius: usize,
    /// Nodes per table axis.
    nodes: usize,
    /// Node (mx, my) at `[my * nodes + mx]`: the light in the pixel whose lower corner
    /// is at offset `m / steps − (radius + 1)` from the star on each axis.
    table: Vec<f32>,
}

impl PixelPsf {
    /// Tabulates the pixel integrals of `moffat`.
    pub fn new(moffat: Moffat) -> PixelPsf {
        let alpha_min = moffat.alpha_px[0].min(moffat.alpha_px[1]);
        let alpha_max = moffat.alpha_px[0].max(moffat.alpha_px[1]);
        let steps = ((STEPS_PER_ALPHA / alpha_min).ceil() as usize).clamp(1, MAX_STEPS_PER_PX);
        let radius = ((RADIUS_ALPHAS * alpha_max).ceil() as usize).clamp(RADIUS_PX.0, RADIUS_PX.1);
        let steps = steps.min(MAX_CELLS / (2 * radius + 2)).max(1);
        // Cells of 1/steps pixel, each holding its light by the midpoint rule (exact to
        // (step/α)²/24 of the local value), then summed over every whole pixel's worth
        // of cells through a summed-area table.
        let cells = (2 * radius + 2) * steps + 1;
        let step = 1.0 / steps as f64;
        let origin = -((radius + 1) as f64);
        let cell_area = step * step;
        let mut sat = vec![0.0f64; (cells + 1) * (cells + 1)];
        sat.par_chunks_mut(cells + 1).skip(1).enumerate().for_each(|(ky, row)| {
            let dy = origin + (ky as f64 + 0.5) * step;
            let mut sum = 0.0;
            for (kx, out) in row.iter_mut().skip(1).enumerate() {
                sum += moffat.density(origin + (kx as f64 + 0.5) * step, dy) * cell_area;
                *out = sum;
            }
        });
        for ky in 1..=cells {
            let (done, rest) = sat.split_at_mut(ky * (cells + 1));
            let above = &done[(ky - 1) * (cells + 1)..];
            for (out, a) in rest[..cells + 1].iter_mut().zip(above) {
                *out += a;
            }
        }
        let nodes = (2 * radius + 1) * steps + 2;
        let w = cells + 1;
        let mut table = vec![0.0f32; nodes * nodes];
        table.par_chunks_mut(nodes).enumerate().for_each(|(my, row)| {
            for (mx, out) in row.iter_mut().enumerate() {
                let (x0, y0, x1, y1) = (mx, my, mx + steps, my + steps);
                *out = (sat[y1 * w + x1] - sat[y0 * w + x1] - sat[y1 * w + x0] + sat[y0 * w + x0]) as f32;
            }
        });
        PixelPsf { moffat, steps, radius, nodes, table }
    }

    /// The table of `moffat`, shared with earlier renders that used the same profile:
    /// building a table costs about as much as rendering a guider frame.
    pub fn shared(moffat: Moffat) -> Arc<PixelPsf> {
        let cached = {
            let cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
            cache.iter().find(|t| t.moffat == moffat).cloned()
        };
        // Built outside the lock: two renders needing a new table at once may both
        // build it, which costs time but not correctness.
        let table = cached.unwrap_or_else(|| Arc::new(PixelPsf::new(moffat)));
        let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
        cache.retain(|t| t.moffat != moffat);
        cache.insert(0, Arc::clone(&table));
        cache.truncate(CACHED_TABLES);
        table
    }

    /// The profile tabulated.
    pub fn moffat(&self) -> &Moffat {
        &self.moffat
    }

    /// Pixels from a star its light can reach in the table.
    pub fn radius(&self) -> usize {
        self.radius
    }

    /// Adds a star of `electrons` centred at unbinned pixel coordinates (u, v) to the
    /// canvas, out to `reach` pixels (at most the table's radius).
    pub fn add_star(&self, canvas: &mut Canvas<'_>, u: f64, v: f64, electrons: f64, reach: f64) {
        let reach = reach.min(self.radius as f64);
        let first_row = canvas.first_row as f64;
        let last_row = (canvas.first_row + canvas.rows()) as f64 - 1.0;
        let x0 = (u - reach).floor().max(0.0);
        let x1 = (u + reach).floor().min(canvas.cols() as f64 - 1.0);
        let y0 = (v - reach).floor().max(first_row);
        let y1 = (v + reach).floor().min(last_row);
        if x0 > x1 || y0 > y1 {
            return;
        }
        // Every pixel's corner sits at the same fraction of a table step from a node,
        // so the interpolation weights are common to the whole stamp.
        let offset = (self.radius + 1) as f64;
        let steps = self.steps as f64;
        let fx = (x0 - u + offset) * steps;
        let fy = (y0 - v + offset) * steps;
        let (mx0, my0) = (fx.floor() as usize, fy.floor() as usize);
        let (tx, ty) = ((fx - fx.floor()) as f32, (fy - fy.floor()) as f32);
        let w = [(1.0 - tx) * (1.0 - ty), tx * (1.0 - ty), (1.0 - tx) * ty, tx * ty]
            .map(|w| w * electrons as f32);
        let (bx, by) = (canvas.bin[0], canvas.bin[1]);
        for (j, y) in (y0 as usize..=y1 as usize).enumerate() {
            let node_row = (my0 + j * self.steps) * self.nodes;
            let lower = &self.table[node_row..node_row + self.nodes];
            let upper = &self.table[node_row + self.nodes..node_row + 2 * self.nodes];
            let out_row = (y - canvas.first_row) / by * canvas.width;
            for (i, x) in (x0 as usize..=x1 as usize).enumerate() {
                let m = mx0 + i * self.steps;
                let light = w[0] * lower[m] + w[1] * lower[m + 1] + w[2] * upper[m] + w[3] * upper[m + 1];
                canvas.data[out_row + x / bx] += light;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moffat() -> Moffat {
        Moffat::from_seeing(2.5, 3.5, [0.93, 0.93])
    }

    #[test]
    fn fwhm_is_the_seeing() {
        let m = moffat();
        let half = m.density(2.5 / 0.93 / 2.0, 0.0) / m.density(0.0, 0.0);
        assert!((half - 0.5).abs() < 1e-12, "{half}");
    }

    #[test]
    fn a_star_puts_all_its_light_on_the_pixels() {
        let psf = PixelPsf::new(moffat());
        let mut data = vec![0.0f32; 100 * 100];
        let mut canvas = Canvas { data: &mut data, width: 100, bin: [1, 1], first_row: 0 };
        psf.add_star(&mut canvas, 50.37, 49.81, 1000.0, psf.radius() as f64);
        let total: f32 = data.iter().sum();
        // The table's radius leaves out (1 + 144)^(1 − β) ≈ 4·10⁻⁶ of the light.
        assert!((total - 1000.0).abs() < 0.05, "{total}");
    }

    #[test]
    fn binning_sums_the_same_light() {
        let psf = PixelPsf::new(moffat());
        let mut one = vec![0.0f32; 64 * 64];
        let mut two = vec![0.0f32; 32 * 32];
        let r = psf.radius() as f64;
        psf.add_star(
            &mut Canvas { data: &mut one, width: 64, bin: [1, 1], first_row: 0 },
            30.2,
            33.7,
            500.0,
            r,
        );
        psf.add_star(
            &mut Canvas { data: &mut two, width: 32, bin: [2, 2], first_row: 0 },
            30.2,
            33.7,
            500.0,
            r,
        );
        for (i, &b) in two.iter().enumerate() {
            let (x, y) = (i % 32 * 2, i / 32 * 2);
            let sum =
                one[y * 64 + x] + one[y * 64 + x + 1] + one[(y + 1) * 64 + x] + one[(y + 1) * 64 + x + 1];
            assert!((sum - b).abs() < 1e-3, "{sum} {b}");
        }
    }

    #[test]
    fn the_reach_ends_at_the_floor() {
        let m = moffat();
        let r = m.reach(1e5);
        assert!((1e5 * m.density(r, 0.0) - STAMP_FLOOR_E).abs() < 1e-9);
        assert_eq!(m.reach(1e-6), 0.0);
    }
}
