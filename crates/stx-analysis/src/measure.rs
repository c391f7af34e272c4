//! Step 5: each candidate measured on the full-resolution frame.
//!
//! Per candidate: a cutout of the frame minus a local planar background from the
//! mesh, cleaned of hot pixels and cosmic-ray pixels (a pixel far sharper than any
//! star allows is replaced from its neighbours); a candidate with no significant
//! light left after cleaning was an artifact and is dropped. Then, until the size
//! settles, a Gaussian-windowed centroid and the HFR within a radius of
//! [`RADIUS_NSIGMA`] σ of the star's own profile (σ = HFR / 1.2533). Faint stars
//! take the frame's PSF σ instead (see [`measure_all`]). Finally the stars are
//! compared with each other: duplicates are dropped and stars whose measuring
//! circle holds a neighbour's core are flagged as blended.

use rayon::prelude::*;
use wide::{CmpLe, f32x8};

use crate::lanes::{Columns, column_offsets, lane_sum, lanes};

use crate::background::Background;
use crate::detect::Candidate;
use crate::frame::{Frame, Pixel};
use crate::neighbours::SpatialGrid;
use crate::shape::{self, Shape};

/// A pixel exceeding the mean of its 4 neighbours by more than this fraction of
/// itself is sharper than any star of σ ≳ 0.6 px: a hot pixel or cosmic ray.
const SPIKE_MAX_SHARPNESS: f32 = 0.7;
/// A pixel whose smallest 4-neighbour is below this fraction of it has a sharp
/// edge no PSF of σ ≳ 0.7 px makes: part of a cosmic-ray track or cluster.
const SPIKE_MIN_NEIGHBOUR: f32 = 0.1;
/// Both spike tests apply only to steps this significant (pixel noise σ), so that
/// noise on a faint star cannot trigger them.
const SPIKE_NSIGMA: f32 = 6.0;
/// Most cleaning passes: each removes the local maxima of a track or cluster, so
/// a track of n pixels takes up to n passes.
const SPIKE_PASSES: usize = 12;
/// After cleaning, the windowed flux near the candidate must have at least this
/// S/N, or the candidate was an artifact (or noise).
const MIN_WINDOW_SNR: f64 = 5.0;
/// Candidates whose measured SNR falls below this are noise.
const MIN_STAR_SNR: f64 = 6.0;
/// A candidate whose windowed S/N at its starting position is below this fraction
/// of the required S/N is dropped without iterating the centroid.
const EARLY_EXIT_FRACTION: f64 = 0.6;
/// Cleaned pixels within this distance (frame pixels, square) of a candidate
/// mean the candidate was (partly) an artifact.
const PEAK_SEARCH_RADIUS: f32 = 2.0;
/// How far from such a candidate (frame pixels) a star beside the artifact is
/// looked for, and the windowed S/N it needs (the best of many positions, so
/// above the detection threshold).
const RELOCATE_RADIUS: f32 = 8.0;
const MIN_RELOCATED_WINDOW_SNR: f64 = 6.0;
/// The measuring radius in σ of the star's profile (σ = HFR / 1.2533): 5σ loses
/// nothing of a Gaussian and < 0.8 % of the HFR of a Moffat (β = 4.765) to
/// truncation (4σ: −2.2 %), while keeping noise and neighbours out.
const RADIUS_NSIGMA: f32 = 5.0;
/// Candidates at least this bright (matched-filter S/N, about 0.8 × the star's
/// SNR) size their radius from their own profile; fainter ones use the frame's
/// PSF σ, if enough bright stars give one.
const SIZE_MIN_DETECT_SNR: f32 = 50.0;
/// Bright good stars needed for a frame PSF σ.
const PSF_MIN_STARS: usize = 3;
/// HFR of a Gaussian profile over its σ: √(π/2).
const HFR_PER_SIGMA: f32 = 1.253_314;
/// Measuring radius bounds, frame pixels.
const MIN_RADIUS: f32 = 3.0;
const MAX_RADIUS: f32 = 60.0;
/// Starting σ (frame pixels) of the size iteration: mid-range of focused stars.
const INITIAL_SIGMA: f32 = 2.0;
/// Bright candidates measured first, spread over the list, to learn the frame's
/// PSF σ: the other bright ones start their size iteration from it, and most
/// settle an iteration or two sooner than from [`INITIAL_SIGMA`].
const SIZE_SAMPLE: usize = 64;
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
    /// Measuring radius, frame pixels: 5σ of the star's own profile (of the frame's
    /// PSF for faint stars), within 3–60 px.
    pub radius: f64,
    /// Background-subtracted value of the pixel at the centroid (after cleaning).
    pub peak: f64,
    /// Local background level at the centroid.
    pub background: f64,
    /// Whether the star enters the frame HFR.
    pub quality: StarQuality,
    /// Second moments of its light (see [`Shape`]); `None` when noise leaves
    /// them undefined (faint stars).
    pub shape: Option<Shape>,
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

/// A square of the frame around a star, background-subtracted and cleaned of
/// spikes, clipped to the frame.
#[derive(Debug)]
struct Cutout {
    /// Frame coordinates of the first pixel.
    x0: usize,
    y0: usize,
    width: usize,
    height: usize,
    values: Vec<f32>,
    /// Half-size it was cut with (frame pixels), and the pixel it was cut around.
    half: usize,
    center: (usize, usize),
    /// Frame pixels replaced by [`Cutout::despike`].
    cleaned: Vec<(usize, usize)>,
}

impl Cutout {
    fn new<P: Pixel>(frame: &Frame<'_, P>, bg: &LocalBackground, x: f32, y: f32, half: usize) -> Self {
        let (cx, cy) = (x.round().max(0.0) as usize, y.round().max(0.0) as usize);
        let x0 = cx.saturating_sub(half).min(frame.width() - 1);
        let y0 = cy.saturating_sub(half).min(frame.height() - 1);
        let x1 = (cx + half).min(frame.width() - 1);
        let y1 = (cy + half).min(frame.height() - 1);
        let (width, height) = (x1 - x0 + 1, y1 - y0 + 1);
        // The cutout's rows lie a frame row apart, each a cache miss: load one pixel
        // of every row first, so that the misses overlap instead of queueing.
        std::hint::black_box((y0..=y1).fold(0.0, |sum, py| sum + frame.row(py)[x0].value()));
        let mut values = Vec::with_capacity(width * height);
        for py in y0..=y1 {
            let row = &frame.row(py)[x0..=x1];
            values.extend(
                // Columns counted as i32 (exact in f32, like usize): the loop vectorises.
                row.iter().zip(x0 as i32..).map(|(p, px)| p.value() - bg.value(px as f32, py as f32)),
            );
        }
        let mut cutout =
            Cutout { x0, y0, width, height, values, half, center: (cx, cy), cleaned: Vec::new() };
        cutout.despike(bg.noise);
        cutout
    }

    /// Replaces hot-pixel and cosmic-ray pixels (significant local maxima that are
    /// too sharp for a star) by the mean of their two lowest 4-neighbours (which,
    /// for a track, lie off the track).
    fn despike(&mut self, noise: f32) {
        let (w, h) = (self.width, self.height);
        if w < 3 || h < 3 {
            return;
        }
        let significant = SPIKE_NSIGMA * noise;
        // Cleaning only ever lowers a pixel (to below its neighbours' maximum), so
        // pixels not significant now never will be: later passes visit only the
        // significant ones, in the same raster order.
        let mut bright = Vec::new();
        for y in 1..h - 1 {
            let row = &self.values[y * w + 1..y * w + w - 1];
            // Most rows hold none: a branch-free (vectorised) test first.
            if row.iter().fold(false, |any, &v| any | (v > significant)) {
                bright.extend((y * w + 1..).zip(row).filter(|p| *p.1 > significant).map(|p| p.0));
            }
        }
        for _ in 0..SPIKE_PASSES {
            let mut changed = false;
            for &i in &bright {
                let v = self.values[i];
                if v <= significant {
                    continue;
                }
                let mut n = [self.values[i - 1], self.values[i + 1], self.values[i - w], self.values[i + w]];
                // Only local maxima: a star's far wing can fall by 10× per pixel.
                if n.iter().any(|&neighbour| neighbour > v) {
                    continue;
                }
                n.sort_by(f32::total_cmp);
                let mean = 0.25 * (n[0] + n[1] + n[2] + n[3]);
                let spike = v - mean > SPIKE_MAX_SHARPNESS * v && v - mean > significant;
                let edge = n[0] < SPIKE_MIN_NEIGHBOUR * v && v - n[0] > significant;
                if spike || edge {
                    self.values[i] = 0.5 * (n[0] + n[1]);
                    changed = true;
                    self.cleaned.push((self.x0 + i % w, self.y0 + i / w));
                }
            }
            if !changed {
                break;
            }
        }
    }

    /// Row `j`'s values from column `x0` to `x1` (cutout coordinates, inclusive).
    fn row(&self, j: usize, x0: usize, x1: usize) -> &[f32] {
        &self.values[j * self.width + x0..=j * self.width + x1]
    }

    /// Whether pixels within `r` (square) of (x, y) were cleaned.
    fn cleaned_near(&self, x: f32, y: f32, r: f32) -> bool {
        self.cleaned.iter().any(|&(px, py)| (px as f32 - x).abs() <= r && (py as f32 - y).abs() <= r)
    }

    /// The pixel within `r` of (x, y) whose 3×3 sum is highest.
    fn brightest_near(&self, x: f32, y: f32, r: f32) -> (f32, f32) {
        let (x0, x1, y0, y1) = self.bounds(x, y, r);
        let w = self.width;
        let (i0, i1) = (x0.max(1), x1.min(w.saturating_sub(2)));
        let (j0, j1) = (y0.max(1), y1.min(self.height.saturating_sub(2)));
        if i0 > i1 || j0 > j1 {
            return (x, y);
        }
        // Separable: the 3-pixel row sums once, then three of them per position.
        let n = i1 - i0 + 1;
        let row_sums: Vec<f32> = (j0 - 1..=j1 + 1)
            .flat_map(|j| (i0..=i1).map(move |i| (j, i)))
            .map(|(j, i)| self.values[j * w + i - 1..=j * w + i + 1].iter().sum())
            .collect();
        let mut best = (f32::NEG_INFINITY, x, y);
        for j in j0..=j1 {
            let at = |row: usize| &row_sums[(row - (j0 - 1)) * n..][..n];
            let (above, here, below) = (at(j - 1), at(j), at(j + 1));
            for (k, ((a, b), c)) in above.iter().zip(here).zip(below).enumerate() {
                let sum = a + b + c;
                if sum > best.0 {
                    best = (sum, (self.x0 + i0 + k) as f32, (self.y0 + j) as f32);
                }
            }
        }
        (best.1, best.2)
    }

    /// Whether a circle of radius r about (x, y) fits in the cutout's half-size.
    fn holds(&self, x: f32, y: f32, r: f32) -> bool {
        let half = self.half as f32 - 1.0;
        (x - self.center.0 as f32).abs() + r <= half && (y - self.center.1 as f32).abs() + r <= half
    }

    /// Inclusive cutout-pixel bounds of a circle, clipped to the cutout.
    fn bounds(&self, x: f32, y: f32, r: f32) -> (usize, usize, usize, usize) {
        let clip = |v: f32, origin: usize, n: usize| (v - origin as f32).clamp(0.0, (n - 1) as f32) as usize;
        (
            clip((x - r).ceil(), self.x0, self.width),
            clip((x + r).floor(), self.x0, self.width),
            clip((y - r).ceil(), self.y0, self.height),
            clip((y + r).floor(), self.y0, self.height),
        )
    }
}

/// Sums over the pixels whose centres lie within a circle.
#[derive(Debug, Clone, Copy, Default)]
struct Aperture {
    /// Σ (I − bg).
    flux: f64,
    /// Σ (I − bg)·r.
    flux_r: f64,
    /// Number of pixels.
    area: f64,
    /// Σ r.
    sum_r: f64,
}

impl Aperture {
    /// The HFR N/D with N = Σ(I − bg)·r, D = Σ(I − bg), corrected for the bias of
    /// a ratio of noisy sums: with white pixel noise s, E[N/D] ≈ N/D + s²(h·A − Σr)/D²
    /// (A pixels, Σr their distances; negative, as N and D share the noise). It is
    /// −1 % at SNR 20 for a 5σ radius and vanishes for bright stars.
    fn hfr(&self, noise: f32) -> f64 {
        let h = self.flux_r / self.flux;
        let s2 = f64::from(noise).powi(2);
        h - s2 * (h * self.area - self.sum_r) / (self.flux * self.flux)
    }
}

/// Measures every candidate, drops artifacts and duplicates, flags blends.
///
/// Candidates bright enough (matched-filter S/N ≥ [`SIZE_MIN_DETECT_SNR`]) size
/// themselves from their own profile (a sample of them first, from whose σ the
/// others start: [`SIZE_SAMPLE`]); the median σ of the good ones is the frame's
/// PSF σ, with which the fainter candidates are measured (if at least
/// [`PSF_MIN_STARS`] bright stars give one; else they size themselves too). Sizing
/// a faint star's radius from its own noisy profile lets noise choose the radius,
/// which biases its HFR upwards (measured: +20 % at SNR 15).
pub(crate) fn measure_all<P: Pixel>(
    frame: &Frame<'_, P>,
    background: &Background,
    candidates: &[Candidate],
    saturation: Option<f32>,
) -> Vec<Star> {
    // A blend would size itself as one big star: blends take the PSF σ.
    let (bright, faint): (Vec<&Candidate>, Vec<&Candidate>) =
        candidates.iter().partition(|c| c.snr >= SIZE_MIN_DETECT_SNR && !c.blended);
    let measure = |candidates: &[&Candidate], sizing: Sizing| -> Vec<(Star, f32)> {
        let measured = candidates.par_iter().map_init(Columns::default, |columns, c| {
            measure_one(frame, background, c, saturation, sizing, columns)
        });
        measured.flatten_iter().collect()
    };
    let step = bright.len().div_ceil(SIZE_SAMPLE).max(1);
    let sample: Vec<&Candidate> = bright.iter().copied().step_by(step).collect();
    let rest: Vec<&Candidate> =
        bright.iter().copied().enumerate().filter(|(i, _)| i % step != 0).map(|p| p.1).collect();
    let mut measured = measure(&sample, Sizing::Own(INITIAL_SIGMA));
    let start = psf_sigma(&measured).unwrap_or(INITIAL_SIGMA);
    measured.extend(measure(&rest, Sizing::Own(start)));
    let sizing = psf_sigma(&measured).map_or(Sizing::Own(INITIAL_SIGMA), Sizing::Fixed);
    measured.extend(measure(&faint, sizing));
    measured.sort_by(|a, b| b.0.flux.total_cmp(&a.0.flux));
    let measured = drop_duplicates(measured);
    flag_blends(measured)
}

/// The median σ of the good stars measured, if at least [`PSF_MIN_STARS`].
fn psf_sigma(measured: &[(Star, f32)]) -> Option<f32> {
    let mut sigmas: Vec<f32> =
        measured.iter().filter(|(s, _)| s.quality == StarQuality::Good).map(|&(_, sigma)| sigma).collect();
    sigmas.sort_by(f32::total_cmp);
    (sigmas.len() >= PSF_MIN_STARS).then(|| sigmas[sigmas.len() / 2])
}

/// How a candidate's σ (its measuring radius and centroid window) is found.
#[derive(Debug, Clone, Copy)]
enum Sizing {
    /// From its own profile, iterating from this σ.
    Own(f32),
    /// Taken as given: the frame's PSF σ.
    Fixed(f32),
}

impl Sizing {
    /// The σ it starts from (or keeps).
    fn sigma(self) -> f32 {
        let (Sizing::Own(sigma) | Sizing::Fixed(sigma)) = self;
        sigma
    }
}

/// Half-size of a cutout that holds a star of this σ with room to move.
fn cutout_half(sigma: f32) -> usize {
    ((RADIUS_NSIGMA * sigma).clamp(MIN_RADIUS, MAX_RADIUS) + MAX_CENTROID_SHIFT + 2.0).ceil() as usize
}

/// Measures one candidate; `None` for hot pixels, cosmic rays and candidates that
/// cannot be measured (nothing significant after cleaning, no positive flux,
/// centroid running away). Its σ as `sizing` says. Returns the star and its σ.
fn measure_one<P: Pixel>(
    frame: &Frame<'_, P>,
    background: &Background,
    cand: &Candidate,
    saturation: Option<f32>,
    sizing: Sizing,
    columns: &mut Columns,
) -> Option<(Star, f32)> {
    let bg = LocalBackground::at(background, cand.x, cand.y);
    let sigma = sizing.sigma();
    // Small at first (most rejected candidates are artifacts); grown when needed.
    let first_half = cutout_half(sigma.max(INITIAL_SIGMA)).min(RELOCATE_RADIUS as usize + 5);
    let cutout = Cutout::new(frame, &bg, cand.x, cand.y, first_half);
    let start = start_point(&cutout, cand);
    let fit = settle(frame, &bg, cutout, &start, sizing, columns)?;
    let noise_area = (4.0 * std::f64::consts::PI).sqrt() * f64::from(fit.sigma);
    let snr = fit.aperture.flux / (f64::from(bg.noise) * noise_area);
    if snr < MIN_STAR_SNR {
        return None;
    }
    let star = Star {
        x: f64::from(fit.x),
        y: f64::from(fit.y),
        flux: fit.aperture.flux,
        snr,
        hfr: fit.aperture.hfr(bg.noise),
        radius: f64::from(fit.radius),
        peak: f64::from(fit.peak()),
        background: f64::from(bg.value(fit.x, fit.y)),
        quality: quality(frame, cand, &fit, saturation),
        shape: shape::star_shape(
            &fit.cutout.values,
            fit.cutout.width,
            (fit.cutout.x0, fit.cutout.y0),
            (fit.x, fit.y),
            fit.sigma,
            columns,
        ),
    };
    Some((star, fit.sigma))
}

/// Where the centroid starts, and the windowed S/N a star must reach from there.
struct StartPoint {
    x: f32,
    y: f32,
    min_window_snr: f64,
}

/// The candidate's own position, unless it was made (partly) by a cosmic ray or hot
/// pixel: that may hide a star beside it (which then has no maximum of its own), so
/// the brightest point near it, which must then stand out more.
fn start_point(cutout: &Cutout, cand: &Candidate) -> StartPoint {
    if cutout.cleaned_near(cand.x, cand.y, PEAK_SEARCH_RADIUS) {
        let (x, y) = cutout.brightest_near(cand.x, cand.y, RELOCATE_RADIUS);
        StartPoint { x, y, min_window_snr: MIN_RELOCATED_WINDOW_SNR }
    } else {
        StartPoint { x: cand.x, y: cand.y, min_window_snr: MIN_WINDOW_SNR }
    }
}

/// A star's position, size and aperture sums once its centroid and σ have settled.
struct Settled {
    x: f32,
    y: f32,
    sigma: f32,
    radius: f32,
    aperture: Aperture,
    cutout: Cutout,
}

impl Settled {
    /// The cleaned value at the pixel nearest the centroid.
    fn peak(&self) -> f32 {
        let c = &self.cutout;
        let px = (self.x.round() as usize).clamp(c.x0, c.x0 + c.width - 1);
        let py = (self.y.round() as usize).clamp(c.y0, c.y0 + c.height - 1);
        c.values[(py - c.y0) * c.width + (px - c.x0)]
    }
}

/// Alternates the windowed centroid and the aperture until σ settles (once, with a
/// [`Sizing::Fixed`] σ). `None` when the windowed S/N is too low, the centroid runs more than
/// [`MAX_CENTROID_SHIFT`] from its start, or the aperture holds no positive flux.
fn settle<P: Pixel>(
    frame: &Frame<'_, P>,
    bg: &LocalBackground,
    mut cutout: Cutout,
    start: &StartPoint,
    sizing: Sizing,
    columns: &mut Columns,
) -> Option<Settled> {
    let (mut sigma, fixed) = (sizing.sigma(), matches!(sizing, Sizing::Fixed(_)));
    let (mut x, mut y) = (start.x, start.y);
    let mut aperture = Aperture::default();
    let mut radius = MIN_RADIUS;
    let iterations = if fixed { 1 } else { SIZE_ITERATIONS };
    for i in 0..iterations {
        let window_snr;
        (x, y, window_snr) = windowed_centroid(
            &cutout,
            bg.noise,
            x,
            y,
            sigma,
            EARLY_EXIT_FRACTION * start.min_window_snr,
            columns,
        )?;
        if window_snr < start.min_window_snr || (i > 0 && window_snr < MIN_WINDOW_SNR) {
            return None;
        }
        if (x - start.x).hypot(y - start.y) > MAX_CENTROID_SHIFT {
            return None;
        }
        radius = (RADIUS_NSIGMA * sigma).clamp(MIN_RADIUS, MAX_RADIUS);
        if !cutout.holds(x, y, radius) {
            // The centroid window (4σ) was cut by the small first cutout: redo it.
            cutout = Cutout::new(frame, bg, x, y, cutout_half(2.0 * sigma));
            (x, y, _) = windowed_centroid(&cutout, bg.noise, x, y, sigma, 0.0, columns)?;
        }
        aperture = sum_aperture(&cutout, x, y, radius, &mut columns.offsets);
        if aperture.flux <= 0.0 {
            return None;
        }
        if fixed {
            break;
        }
        let new_sigma =
            ((aperture.flux_r / aperture.flux) as f32 / HFR_PER_SIGMA).clamp(0.3, MAX_RADIUS / RADIUS_NSIGMA);
        let settled = (new_sigma - sigma).abs() < 0.005 * sigma;
        sigma = new_sigma;
        if settled {
            break;
        }
    }
    Some(Settled { x, y, sigma, radius, aperture, cutout })
}

/// Saturated (its core reaches `saturation`), blended, cut by the frame's edge, or good.
fn quality<P: Pixel>(
    frame: &Frame<'_, P>,
    cand: &Candidate,
    fit: &Settled,
    saturation: Option<f32>,
) -> StarQuality {
    let (x, y, radius) = (fit.x, fit.y, fit.radius);
    let (w, h) = (frame.width() as f32, frame.height() as f32);
    let saturated =
        saturation.is_some_and(|s| max_raw(frame, x, y, SATURATION_CORE_RADIUS.max(1.5 * fit.sigma)) >= s);
    if saturated {
        StarQuality::Saturated
    } else if cand.blended {
        StarQuality::Blended
    } else if x - radius < -0.5 || y - radius < -0.5 || x + radius > w - 0.5 || y + radius > h - 0.5 {
        StarQuality::Edge
    } else {
        StarQuality::Good
    }
}

/// Iterated Gaussian-windowed centroid (SExtractor's XWIN): x ← x + 2·Σ w·I·dx / Σ w·I,
/// with w = exp(−r²/2σ²) over r ≤ 4σ. Unbiased for symmetric profiles and close to
/// the precision of a PSF fit. Returns the centroid and the S/N of the windowed
/// flux Σ w·I (noise s·√Σw²); `None` if that flux is not positive or its S/N falls
/// below `give_up_snr`.
fn windowed_centroid(
    cutout: &Cutout,
    noise: f32,
    mut x: f32,
    mut y: f32,
    sigma: f32,
    give_up_snr: f64,
    columns: &mut Columns,
) -> Option<(f32, f32, f64)> {
    let window = (4.0 * sigma).max(MIN_RADIUS);
    let (inv2s2, window2) = (0.5 / (sigma * sigma), f32x8::splat(window * window));
    let mut snr = 0.0;
    for _ in 0..CENTROID_ITERATIONS {
        let (x0, x1, y0, y1) = cutout.bounds(x, y, window);
        // The columns' offsets and window weights, refilled each iteration.
        columns.gaussian(cutout.x0 + x0, x1 - x0 + 1, x, inv2s2);
        let Columns { offsets: dxs, weights: wx } = &*columns;
        // Summed in lanes over the whole window (a few hundred pixels: far within
        // f32 precision), merged in f64 once.
        let (mut a, mut b, mut c, mut d) = (f32x8::ZERO, f32x8::ZERO, f32x8::ZERO, f32x8::ZERO);
        for j in y0..=y1 {
            let dy = (cutout.y0 + j) as f32 - y;
            let (wy, dy, dy2) =
                (f32x8::splat((-dy * dy * inv2s2).exp()), f32x8::splat(dy), f32x8::splat(dy * dy));
            for ((v, dx), wx) in lanes(cutout.row(j, x0, x1), 0.0).zip(dxs.iter()).zip(wx.iter()) {
                let weight = (*dx * *dx + dy2).cmp_le(window2).blend(*wx * wy, f32x8::ZERO);
                let wv = v * weight;
                a += wv;
                b += wv * *dx;
                c += wv * dy;
                d += weight * weight;
            }
        }
        let (sw, swx, swy, sw2) = (lane_sum(a), lane_sum(b), lane_sum(c), lane_sum(d));
        if sw <= 0.0 {
            return None;
        }
        snr = sw / (f64::from(noise) * sw2.sqrt());
        if snr < give_up_snr {
            return None; // nothing there (a cleaned artifact, or noise): stop early
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
    Some((x, y, snr))
}

/// Background-subtracted flux and Σ(I − bg)·r over the cutout pixels whose
/// centres lie within `radius` of (x, y). `dxs` is refilled with the columns' offsets.
fn sum_aperture(cutout: &Cutout, x: f32, y: f32, radius: f32, dxs: &mut Vec<f32x8>) -> Aperture {
    let (x0, x1, y0, y1) = cutout.bounds(x, y, radius);
    column_offsets(cutout.x0 + x0, x1 - x0 + 1, x, dxs);
    let r2max = f32x8::splat(radius * radius);
    // As in the windowed centroid: lanes over the whole circle, merged once.
    let (mut flux, mut flux_r, mut area, mut sum_r) = (f32x8::ZERO, f32x8::ZERO, f32x8::ZERO, f32x8::ZERO);
    for j in y0..=y1 {
        let dy = (cutout.y0 + j) as f32 - y;
        let dy2 = f32x8::splat(dy * dy);
        for (v, dx) in lanes(cutout.row(j, x0, x1), 0.0).zip(dxs.iter()) {
            let r2 = *dx * *dx + dy2;
            let inside = r2.cmp_le(r2max);
            let (v, r) = (inside.blend(v, f32x8::ZERO), inside.blend(r2.sqrt(), f32x8::ZERO));
            flux += v;
            flux_r += v * r;
            area += inside.blend(f32x8::ONE, f32x8::ZERO);
            sum_r += r;
        }
    }
    Aperture { flux: lane_sum(flux), flux_r: lane_sum(flux_r), area: lane_sum(area), sum_r: lane_sum(sum_r) }
}

/// Highest raw pixel value within `radius` of (x, y).
fn max_raw<P: Pixel>(frame: &Frame<'_, P>, x: f32, y: f32, radius: f32) -> f32 {
    let clip = |v: f32, n: usize| v.clamp(0.0, (n - 1) as f32) as usize;
    let (x0, x1) = (clip((x - radius).ceil(), frame.width()), clip((x + radius).floor(), frame.width()));
    let (y0, y1) = (clip((y - radius).ceil(), frame.height()), clip((y + radius).floor(), frame.height()));
    let mut max = f32::NEG_INFINITY;
    for py in y0..=y1 {
        for (i, p) in frame.row(py)[x0..=x1].iter().enumerate() {
            let (dx, dy) = ((x0 + i) as f32 - x, py as f32 - y);
            if dx * dx + dy * dy <= radius * radius {
                max = max.max(p.value());
            }
        }
    }
    max
}

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
