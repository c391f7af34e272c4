//! Step 5: each candidate measured on the full-resolution frame.
//!
//! Per candidate: a local planar background from the mesh; rejection of hot pixels
//! and cosmic rays (a peak pixel far sharper than any star allows); then, a few
//! times until the size settles, a Gaussian-windowed centroid and the HFR within a
//! radius of [`RADIUS_NSIGMA`] σ of the star's own profile (σ = HFR / 1.2533).
//! Finally the stars are compared with each other: duplicates are dropped and
//! stars whose measuring circle holds a neighbour's core are flagged as blended.

use rayon::prelude::*;

use crate::background::Background;
use crate::detect::Candidate;
use crate::frame::{Frame, Pixel};

/// Half-size (frame pixels) of the box searched for the peak pixel around a
/// candidate: the binned detection is good to about one frame pixel.
const PEAK_SEARCH_RADIUS: i64 = 2;
/// A peak pixel exceeding the mean of its 4 neighbours by more than this fraction
/// of itself is sharper than any star of σ ≳ 0.6 px: a hot pixel or cosmic ray.
const ARTIFACT_MAX_SHARPNESS: f32 = 0.7;
/// A peak pixel whose smallest 4-neighbour is below this fraction of it has a
/// sharp edge no PSF of σ ≳ 0.7 px makes: a cosmic-ray track or cluster.
const ARTIFACT_MIN_NEIGHBOUR: f32 = 0.1;
/// Both artifact tests apply only when the step is this significant (in pixel
/// noise σ), so that noise on the peak of a faint star cannot trigger them.
const ARTIFACT_NSIGMA: f32 = 8.0;
/// The measuring radius in σ of the star's profile: 4σ holds all but 0.03 % of
/// a Gaussian's flux, and stays small enough to keep noise and neighbours out.
const RADIUS_NSIGMA: f32 = 4.0;
/// HFR of a Gaussian profile over its σ: √(π/2).
const HFR_PER_SIGMA: f32 = 1.253_314;
/// Measuring radius bounds, frame pixels.
const MIN_RADIUS: f32 = 3.0;
const MAX_RADIUS: f32 = 60.0;
/// Starting σ (frame pixels) of the size iteration: mid-range of focused stars.
const INITIAL_SIGMA: f32 = 2.0;
/// Size iterations (centroid, radius, HFR); stops early when σ changes < 0.5 %.
const SIZE_ITERATIONS: usize = 6;
/// Windowed-centroid iterations and convergence tolerance (frame pixels).
const CENTROID_ITERATIONS: usize = 12;
const CENTROID_TOLERANCE: f32 = 1e-3;
/// The centroid may wander this far (frame pixels) from the detection before the
/// candidate is dropped as unmeasurable.
const MAX_CENTROID_SHIFT: f32 = 4.0;
/// Saturated pixels are looked for within max(this, 1.5σ) of the centroid.
const SATURATION_CORE_RADIUS: f32 = 2.0;
/// A neighbour whose centre is within R + this × its σ puts its core inside a
/// star's measuring circle: the star is blended.
const BLEND_MARGIN_NSIGMA: f32 = 2.0;
/// Two measurements closer than this (frame pixels, or the larger σ) are one star.
const DUPLICATE_DISTANCE: f32 = 1.5;

/// Why a star does (or does not) enter the frame HFR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StarQuality {
    /// Measured cleanly.
    Good,
    /// A pixel in its core is at or above the saturation level.
    Saturated,
    /// Its measuring circle crosses the frame edge.
    Edge,
    /// Another star's core lies within its measuring circle.
    Blended,
}

/// One detected star, measured on the full-resolution frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Star {
    /// Refined centroid, frame pixels (centre of pixel (0, 0) at (0, 0)).
    pub x: f64,
    /// Refined centroid, frame pixels.
    pub y: f64,
    /// Background-subtracted flux within the measuring radius (pixel units).
    pub flux: f64,
    /// Noise-equivalent-area SNR: flux / (σ_pixel · √(4π) · σ), σ = HFR / 1.2533,
    /// the SNR of a PSF fit limited by background noise.
    pub snr: f64,
    /// Flux-weighted mean distance from the centroid, Σ(I − bg)·r / Σ(I − bg),
    /// over the pixels whose centres lie within [`Star::radius`], not clipped.
    pub hfr: f64,
    /// Measuring radius, frame pixels (4σ of the star's own profile).
    pub radius: f64,
    /// Highest background-subtracted pixel near the centre.
    pub peak: f64,
    /// Local background level at the centroid.
    pub background: f64,
    /// Whether the star enters the frame HFR.
    pub quality: StarQuality,
}

/// Local planar background around a star, and the pixel noise.
#[derive(Debug, Clone, Copy)]
struct LocalBackground {
    x0: f32,
    y0: f32,
    level: f32,
    gx: f32,
    gy: f32,
    noise: f32,
}

impl LocalBackground {
    fn at(background: &Background, x: f32, y: f32) -> Self {
        // Binned pixel i spans frame pixels 2i and 2i + 1: centre 2i + 0.5.
        let (level, gx, gy, noise_binned) = background.at_binned((x - 0.5) / 2.0, (y - 0.5) / 2.0);
        // A binned pixel averages four: for white noise its σ is half a pixel's.
        LocalBackground { x0: x, y0: y, level, gx: gx / 2.0, gy: gy / 2.0, noise: 2.0 * noise_binned }
    }

    #[inline(always)]
    fn value(&self, x: f32, y: f32) -> f32 {
        self.level + self.gx * (x - self.x0) + self.gy * (y - self.y0)
    }
}

/// Sums over the pixels whose centres lie within a circle.
#[derive(Debug, Clone, Copy, Default)]
struct Aperture {
    flux: f64,
    flux_r: f64,
    max_raw: f32,
}

/// Measures every candidate, drops artifacts and duplicates, flags blends.
pub(crate) fn measure_all<P: Pixel>(
    frame: &Frame<'_, P>,
    background: &Background,
    candidates: &[Candidate],
    saturation: Option<f32>,
) -> Vec<Star> {
    let mut measured: Vec<(Star, f32)> =
        candidates.par_iter().filter_map(|c| measure_one(frame, background, c, saturation)).collect();
    measured.sort_by(|a, b| b.0.flux.total_cmp(&a.0.flux));
    let measured = drop_duplicates(measured);
    flag_blends(measured)
}

/// Measures one candidate; `None` for hot pixels, cosmic rays and candidates that
/// cannot be measured (no positive flux, centroid running away). Returns the star
/// and its σ.
fn measure_one<P: Pixel>(
    frame: &Frame<'_, P>,
    background: &Background,
    cand: &Candidate,
    saturation: Option<f32>,
) -> Option<(Star, f32)> {
    let bg = LocalBackground::at(background, cand.x, cand.y);
    let peak = peak_pixel(frame, &bg, cand)?;
    let (mut x, mut y) = (cand.x, cand.y);
    let mut sigma = INITIAL_SIGMA;
    let mut aperture = Aperture::default();
    let mut radius = MIN_RADIUS;
    for _ in 0..SIZE_ITERATIONS {
        (x, y) = windowed_centroid(frame, &bg, x, y, sigma)?;
        if (x - cand.x).hypot(y - cand.y) > MAX_CENTROID_SHIFT {
            return None;
        }
        radius = (RADIUS_NSIGMA * sigma).clamp(MIN_RADIUS, MAX_RADIUS);
        aperture = sum_aperture(frame, &bg, x, y, radius);
        if aperture.flux <= 0.0 {
            return None;
        }
        let new_sigma =
            ((aperture.flux_r / aperture.flux) as f32 / HFR_PER_SIGMA).clamp(0.3, MAX_RADIUS / RADIUS_NSIGMA);
        let settled = (new_sigma - sigma).abs() < 0.005 * sigma;
        sigma = new_sigma;
        if settled {
            break;
        }
    }
    let hfr = aperture.flux_r / aperture.flux;
    let (w, h) = (frame.width() as f32, frame.height() as f32);
    let core = sum_aperture(frame, &bg, x, y, SATURATION_CORE_RADIUS.max(1.5 * sigma));
    let quality = if saturation.is_some_and(|s| core.max_raw >= s) {
        StarQuality::Saturated
    } else if x - radius < -0.5 || y - radius < -0.5 || x + radius > w - 0.5 || y + radius > h - 0.5 {
        StarQuality::Edge
    } else {
        StarQuality::Good
    };
    let noise_area = (4.0 * std::f64::consts::PI).sqrt() * f64::from(sigma);
    let star = Star {
        x: f64::from(x),
        y: f64::from(y),
        flux: aperture.flux,
        snr: aperture.flux / (f64::from(bg.noise) * noise_area),
        hfr,
        radius: f64::from(radius),
        peak: f64::from(peak),
        background: f64::from(bg.value(x, y)),
        quality,
    };
    Some((star, sigma))
}

/// The highest background-subtracted pixel near the candidate, or `None` if it is
/// a hot pixel or cosmic ray.
fn peak_pixel<P: Pixel>(frame: &Frame<'_, P>, bg: &LocalBackground, cand: &Candidate) -> Option<f32> {
    let (w, h) = (frame.width() as i64, frame.height() as i64);
    let (cx, cy) = (cand.x.round() as i64, cand.y.round() as i64);
    let value = |x: i64, y: i64| -> Option<f32> {
        (x >= 0 && y >= 0 && x < w && y < h)
            .then(|| frame.row(y as usize)[x as usize].value() - bg.value(x as f32, y as f32))
    };
    let mut best = (f32::NEG_INFINITY, cx, cy);
    for y in cy - PEAK_SEARCH_RADIUS..=cy + PEAK_SEARCH_RADIUS {
        for x in cx - PEAK_SEARCH_RADIUS..=cx + PEAK_SEARCH_RADIUS {
            if let Some(v) = value(x, y)
                && v > best.0
            {
                best = (v, x, y);
            }
        }
    }
    let (peak, px, py) = best;
    let neighbours: Vec<f32> = [(px - 1, py), (px + 1, py), (px, py - 1), (px, py + 1)]
        .iter()
        .filter_map(|&(x, y)| value(x, y))
        .collect();
    if neighbours.is_empty() {
        return Some(peak);
    }
    let mean = neighbours.iter().sum::<f32>() / neighbours.len() as f32;
    let min = neighbours.iter().copied().fold(f32::INFINITY, f32::min);
    let significant = ARTIFACT_NSIGMA * bg.noise;
    let spike = peak - mean > ARTIFACT_MAX_SHARPNESS * peak && peak - mean > significant;
    let edge = min < ARTIFACT_MIN_NEIGHBOUR * peak && peak - min > significant;
    (!(spike || edge)).then_some(peak)
}

/// Iterated Gaussian-windowed centroid (SExtractor's XWIN): x ← x + 2·Σ w·I·dx / Σ w·I,
/// with w = exp(−r²/2σ²) over r ≤ 4σ. Unbiased for symmetric profiles and close to
/// the precision of a PSF fit. `None` if the weighted flux is not positive.
fn windowed_centroid<P: Pixel>(
    frame: &Frame<'_, P>,
    bg: &LocalBackground,
    mut x: f32,
    mut y: f32,
    sigma: f32,
) -> Option<(f32, f32)> {
    let window = (4.0 * sigma).max(MIN_RADIUS);
    let inv2s2 = 0.5 / (sigma * sigma);
    let mut wx = Vec::new();
    for _ in 0..CENTROID_ITERATIONS {
        let (x0, x1, y0, y1) = circle_bounds(frame, x, y, window);
        wx.clear();
        wx.extend((x0..=x1).map(|px| (-(px as f32 - x).powi(2) * inv2s2).exp()));
        let (mut sw, mut swx, mut swy) = (0.0f64, 0.0f64, 0.0f64);
        for py in y0..=y1 {
            let dy = py as f32 - y;
            let wy = (-dy * dy * inv2s2).exp();
            let row = &frame.row(py)[x0..=x1];
            for (i, (p, &wxi)) in row.iter().zip(&wx).enumerate() {
                let dx = (x0 + i) as f32 - x;
                if dx * dx + dy * dy <= window * window {
                    let v = (p.value() - bg.value(x + dx, py as f32)) * wxi * wy;
                    sw += f64::from(v);
                    swx += f64::from(v * dx);
                    swy += f64::from(v * dy);
                }
            }
        }
        if sw <= 0.0 {
            return None;
        }
        let (sx, sy) = ((2.0 * swx / sw) as f32, (2.0 * swy / sw) as f32);
        // Damped steps: a faint star's noise must not throw the window off.
        let (sx, sy) = (sx.clamp(-sigma, sigma), sy.clamp(-sigma, sigma));
        x += sx;
        y += sy;
        if sx.abs() < CENTROID_TOLERANCE && sy.abs() < CENTROID_TOLERANCE {
            break;
        }
    }
    Some((x, y))
}

/// Inclusive pixel bounds of a circle, clipped to the frame.
fn circle_bounds<P: Pixel>(frame: &Frame<'_, P>, x: f32, y: f32, r: f32) -> (usize, usize, usize, usize) {
    let clip = |v: f32, n: usize| v.clamp(0.0, (n - 1) as f32) as usize;
    (
        clip((x - r).ceil(), frame.width()),
        clip((x + r).floor(), frame.width()),
        clip((y - r).ceil(), frame.height()),
        clip((y + r).floor(), frame.height()),
    )
}

/// Background-subtracted flux and Σ(I − bg)·r over the pixels whose centres lie
/// within `radius` of (x, y), and the highest raw value among them.
fn sum_aperture<P: Pixel>(
    frame: &Frame<'_, P>,
    bg: &LocalBackground,
    x: f32,
    y: f32,
    radius: f32,
) -> Aperture {
    let (x0, x1, y0, y1) = circle_bounds(frame, x, y, radius);
    let mut a = Aperture { max_raw: f32::NEG_INFINITY, ..Aperture::default() };
    let r2max = radius * radius;
    for py in y0..=y1 {
        let dy = py as f32 - y;
        let (mut flux, mut flux_r) = (0.0f32, 0.0f32);
        for (i, p) in frame.row(py)[x0..=x1].iter().enumerate() {
            let dx = (x0 + i) as f32 - x;
            let r2 = dx * dx + dy * dy;
            if r2 <= r2max {
                let raw = p.value();
                let v = raw - bg.value(x + dx, py as f32);
                flux += v;
                flux_r += v * r2.sqrt();
                a.max_raw = a.max_raw.max(raw);
            }
        }
        a.flux += f64::from(flux);
        a.flux_r += f64::from(flux_r);
    }
    a
}

/// Drops the fainter of two measurements of one star (sorted by decreasing flux).
fn drop_duplicates(measured: Vec<(Star, f32)>) -> Vec<(Star, f32)> {
    let mut kept: Vec<(Star, f32)> = Vec::with_capacity(measured.len());
    let reach = measured.iter().map(|m| m.1).fold(DUPLICATE_DISTANCE, f32::max);
    let mut index = SpatialGrid::new(&[], f64::from(reach));
    for (star, sigma) in measured {
        let limit = |other_sigma: f32| f64::from(DUPLICATE_DISTANCE.max(sigma).max(other_sigma));
        let duplicate = index
            .near(star.x, star.y)
            .any(|k| (kept[k].0.x - star.x).hypot(kept[k].0.y - star.y) < limit(kept[k].1));
        if !duplicate {
            index.insert(star.x, star.y, kept.len());
            kept.push((star, sigma));
        }
    }
    kept
}

/// Flags stars whose measuring circle holds a neighbour's core.
fn flag_blends(measured: Vec<(Star, f32)>) -> Vec<Star> {
    let reach = measured
        .iter()
        .map(|(s, sigma)| s.radius + f64::from(BLEND_MARGIN_NSIGMA * sigma))
        .fold(1.0, f64::max);
    let positions: Vec<(f64, f64)> = measured.iter().map(|(s, _)| (s.x, s.y)).collect();
    let index = SpatialGrid::new(&positions, reach);
    measured
        .iter()
        .enumerate()
        .map(|(i, (star, _))| {
            let mut star = *star;
            let blended = index.near(star.x, star.y).any(|j| {
                let (other, other_sigma) = &measured[j];
                j != i
                    && (other.x - star.x).hypot(other.y - star.y)
                        < star.radius + f64::from(BLEND_MARGIN_NSIGMA * other_sigma)
            });
            if blended && star.quality == StarQuality::Good {
                star.quality = StarQuality::Blended;
            }
            star
        })
        .collect()
}

/// Points bucketed on a square grid, for neighbour queries within one cell size.
#[derive(Debug)]
struct SpatialGrid {
    cell: f64,
    buckets: std::collections::HashMap<(i64, i64), Vec<usize>>,
}

impl SpatialGrid {
    fn new(points: &[(f64, f64)], cell: f64) -> Self {
        let mut grid = SpatialGrid { cell, buckets: Default::default() };
        for (i, &(x, y)) in points.iter().enumerate() {
            grid.insert(x, y, i);
        }
        grid
    }

    fn key(&self, x: f64, y: f64) -> (i64, i64) {
        ((x / self.cell).floor() as i64, (y / self.cell).floor() as i64)
    }

    fn insert(&mut self, x: f64, y: f64, i: usize) {
        let key = self.key(x, y);
        self.buckets.entry(key).or_default().push(i);
    }

    /// Indices of the points in the 3×3 cells around (x, y): every point within
    /// one cell size, and some farther ones.
    fn near(&self, x: f64, y: f64) -> impl Iterator<Item = usize> + '_ {
        let (kx, ky) = self.key(x, y);
        (ky - 1..=ky + 1)
            .flat_map(move |y| (kx - 1..=kx + 1).map(move |x| (x, y)))
            .filter_map(|k| self.buckets.get(&k))
            .flatten()
            .copied()
    }
}
