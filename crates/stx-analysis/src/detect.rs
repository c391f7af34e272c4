//! Step 4: star candidates: matched filter, threshold, local maxima.
//!
//! On the binned grid: subtract the background and divide by its noise, convolve
//! with a Gaussian (separable), so that each value is a signal-to-noise ratio of
//! the matched filter; every local maximum above the threshold is a candidate.
//! Two maxima separated by a real dip of the filtered S/N are two stars whose
//! light overlaps: both are marked blended; without a dip the fainter is a noise
//! wiggle on one star's slope and is dropped.

use rayon::prelude::*;
use wide::{CmpGe, f32x8};

use crate::background::Background;
use crate::bin::Grid;
use crate::bits::{self, BitGrid};
use crate::frame::{Frame, Pixel};
use crate::mask;
use crate::neighbours::SpatialGrid;
use crate::workspace::{Workspace, overwritable};

/// Frames smaller than this (either side, frame pixels) get no star detection.
const MIN_FRAME_SIZE: usize = 16;

/// Whether a frame is large enough for star detection (see [`MIN_FRAME_SIZE`]).
pub(crate) fn detectable<P: Pixel>(frame: &Frame<'_, P>) -> bool {
    frame.width() >= MIN_FRAME_SIZE && frame.height() >= MIN_FRAME_SIZE
}

/// σ of the Gaussian filter in binned pixels (2 frame pixels; with the 2×2 bin
/// box it keeps ≥ 80 % of the optimal SNR for stars of σ 1 to 4 frame pixels).
const KERNEL_SIGMA_BINNED: f32 = 1.0;
/// Half-width of the filter in binned pixels (2σ: taps at ±3σ would hold 0.9 % of
/// the kernel's weight and 0.014 % of Σk², hardly changing the stars' S/N, at
/// two-sevenths more work).
const KERNEL_RADIUS: usize = 2;
/// Filter taps: the kernel's width.
const TAPS: usize = 2 * KERNEL_RADIUS + 1;
/// Rows per band of the matched filter (its working set, ~40 rows, stays in cache).
const BAND_ROWS: usize = 32;
/// Maxima closer than this (binned pixels) are tested for a dip between them.
const BLEND_SEARCH_BINNED: f32 = 10.0;
/// A dip between two maxima is real when the S/N falls by at least this much
/// (the filtered noise is 1) and this fraction of the fainter peak.
const BLEND_MIN_DIP: f32 = 3.0;
const BLEND_MIN_DIP_FRACTION: f32 = 0.05;

/// A detected maximum, in frame pixel coordinates.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Candidate {
    pub(crate) x: f32,
    pub(crate) y: f32,
    /// Peak value of the matched-filter S/N.
    pub(crate) snr: f32,
    /// Another maximum nearby is separated from this one by a real dip: two stars
    /// whose light overlaps.
    pub(crate) blended: bool,
}

/// Finds star candidates on the binned frame; also leaves the mask of the binned
/// pixels that hold star light (for a second background estimate) in
/// `workspace.mask`.
pub(crate) fn detect(
    binned: &Grid,
    background: &Background,
    nsigma: f32,
    workspace: &mut Workspace,
) -> Vec<Candidate> {
    let (w, h) = (binned.width, binned.height);
    let mut marks = Marks {
        peaks: BitGrid::sized(std::mem::take(&mut workspace.peaks), w, h),
        light: BitGrid::sized(std::mem::take(&mut workspace.light), w, h),
        nsigma,
    };
    let snr = matched_filter(binned, background, std::mem::take(&mut workspace.snr), &mut marks);
    let mut candidates = local_maxima(&snr, &marks.peaks);
    resolve_maxima(&snr, &mut candidates);
    mask::star_mask(&mut marks.light, &candidates, &mut workspace.mask);
    workspace.snr = snr.data;
    workspace.peaks = marks.peaks.words;
    workspace.light = marks.light.words;
    candidates
}

/// The normalised 1-D Gaussian filter.
fn kernel() -> [f32; TAPS] {
    let mut k = [0.0; TAPS];
    for (i, v) in k.iter_mut().enumerate() {
        let d = i as f32 - KERNEL_RADIUS as f32;
        *v = (-0.5 * d * d / (KERNEL_SIGMA_BINNED * KERNEL_SIGMA_BINNED)).exp();
    }
    let sum: f32 = k.iter().sum();
    k.iter_mut().for_each(|v| *v /= sum);
    k
}

/// What the matched filter marks as it writes each row, for the steps after it.
struct Marks {
    /// S/N at or above the detection threshold: where local maxima are looked for.
    peaks: BitGrid,
    /// Star light, for the star mask ([`mask::light_bits`]).
    light: BitGrid,
    /// The detection threshold.
    nsigma: f32,
}

/// Background-subtracted, noise-normalised, Gaussian-filtered binned frame, scaled
/// so that white noise comes out with unit σ: each value is an S/N. Also fills
/// `marks` (sized for the grid).
///
/// Works in bands of [`BAND_ROWS`] rows: a band's rows (and the filter's reach
/// above and below) are filtered horizontally into a buffer small enough to stay
/// in cache, then vertically into the output (`buffer`'s allocation); no
/// full-frame intermediate.
fn matched_filter(binned: &Grid, background: &Background, buffer: Vec<f32>, marks: &mut Marks) -> Grid {
    let (w, h) = (binned.width, binned.height);
    let k = kernel();
    // ‖k‖ of the separable 2-D kernel is Σ k1².
    let norm = 1.0 / k.iter().map(|v| v * v).sum::<f32>();
    let k_norm = k.map(|v| v * norm);
    // Every element is written below (each band's rows, whole).
    let mut data = overwritable(buffer, w * h, 0.0);
    let (per_row, nsigma) = (marks.light.per_row, f32x8::splat(marks.nsigma));
    let bands = data
        .par_chunks_mut(w * BAND_ROWS)
        .zip(marks.peaks.rows_mut(BAND_ROWS))
        .zip(marks.light.rows_mut(BAND_ROWS));
    bands.enumerate().for_each_init(
        || (RowScratch::new(w), Vec::new()),
        |(scratch, band), (b, ((out, peaks), light))| {
            let (y0, rows) = (b * BAND_ROWS, out.len() / w);
            // Band row r holds frame row y0 + r − KERNEL_RADIUS, clamped to the frame.
            band.resize((rows + 2 * KERNEL_RADIUS) * w, 0.0);
            for (r, filtered) in band.chunks_mut(w).enumerate() {
                let y = (y0 + r).saturating_sub(KERNEL_RADIUS).min(h - 1);
                scratch.filter_row(binned, background, y, &k, filtered);
            }
            let marks = peaks.chunks_mut(per_row).zip(light.chunks_mut(per_row));
            for ((r, out), (peaks, light)) in out.chunks_mut(w).enumerate().zip(marks) {
                weighted_sum(out, std::array::from_fn(|i| &band[(r + i) * w..(r + i + 1) * w]), &k_norm);
                bits::fill_row(out, peaks, |v| v.cmp_ge(nsigma));
                mask::light_bits(out, light);
            }
        },
    );
    Grid { data, width: w, height: h }
}

/// Per-thread buffers of the horizontal pass.
struct RowScratch {
    level: Vec<f32>,
    noise: Vec<f32>,
    /// The normalised row with [`KERNEL_RADIUS`] copies of its end pixels on each side.
    padded: Vec<f32>,
}

impl RowScratch {
    fn new(width: usize) -> Self {
        RowScratch {
            level: vec![0.0; width],
            noise: vec![0.0; width],
            padded: vec![0.0; width + 2 * KERNEL_RADIUS],
        }
    }

    /// Binned row `y`, background-subtracted and divided by the noise, filtered by `k`.
    fn filter_row(
        &mut self,
        binned: &Grid,
        background: &Background,
        y: usize,
        k: &[f32; TAPS],
        out: &mut [f32],
    ) {
        let w = binned.width;
        let RowScratch { level, noise, padded } = self;
        background.row(y, level, noise);
        let src = binned.row(y);
        for (((p, s), l), n) in
            padded[KERNEL_RADIUS..w + KERNEL_RADIUS].iter_mut().zip(src).zip(&*level).zip(&*noise)
        {
            *p = (s - l) / n;
        }
        for i in 0..KERNEL_RADIUS {
            padded[i] = padded[KERNEL_RADIUS];
            padded[w + KERNEL_RADIUS + i] = padded[w + KERNEL_RADIUS - 1];
        }
        weighted_sum(out, std::array::from_fn(|t| &padded[t..t + w]), k);
    }
}

/// `out[x] = Σ_t k[t]·taps[t][x]`, summed in tap order, in one pass that vectorises.
fn weighted_sum(out: &mut [f32], taps: [&[f32]; TAPS], k: &[f32; TAPS]) {
    let n = out.len();
    // Slices of exactly `n`: the indexing below needs no bounds checks.
    let taps = taps.map(|t| &t[..n]);
    for (x, o) in out.iter_mut().enumerate() {
        let mut sum = 0.0;
        for (tap, kv) in taps.iter().zip(k) {
            sum += kv * tap[x];
        }
        *o = sum;
    }
}

/// Local maxima (strict against earlier neighbours in raster order, ≥ later ones,
/// so a plateau yields one) among the `peaks` (S/N at or above the threshold),
/// refined by parabolas. Only the marked pixels are visited, a few in a thousand.
fn local_maxima(snr: &Grid, peaks: &BitGrid) -> Vec<Candidate> {
    let (w, h) = (snr.width, snr.height);
    if w < 3 || h < 3 {
        return Vec::new();
    }
    (1..h - 1)
        .into_par_iter()
        .flat_map_iter(|y| {
            let (up, row, down) = (snr.row(y - 1), snr.row(y), snr.row(y + 1));
            peaks.ones(y).filter(move |&x| x >= 1 && x + 1 < w).filter_map(move |x| {
                let c = row[x];
                let is_max = c > row[x - 1]
                    && c >= row[x + 1]
                    && c > up[x - 1]
                    && c > up[x]
                    && c > up[x + 1]
                    && c >= down[x - 1]
                    && c >= down[x]
                    && c >= down[x + 1];
                is_max.then(|| {
                    let dx = parabola_offset(row[x - 1], c, row[x + 1]);
                    let dy = parabola_offset(up[x], c, down[x]);
                    Candidate {
                        x: 2.0 * (x as f32 + dx) + 0.5,
                        y: 2.0 * (y as f32 + dy) + 0.5,
                        snr: c,
                        blended: false,
                    }
                })
            })
        })
        .collect()
}

/// Offset of the vertex of the parabola through (-1, a), (0, b), (1, c), in [-0.5, 0.5].
fn parabola_offset(a: f32, b: f32, c: f32) -> f32 {
    let curvature = a - 2.0 * b + c;
    if curvature < 0.0 { (0.5 * (a - c) / curvature).clamp(-0.5, 0.5) } else { 0.0 }
}

/// Compares each pair of maxima closer than [`BLEND_SEARCH_BINNED`]: when a real
/// dip separates them (the S/N between them falls below the fainter peak by at
/// least [`BLEND_MIN_DIP`] noise units and [`BLEND_MIN_DIP_FRACTION`] of it) they
/// are two stars and both are marked blended; otherwise the fainter is a noise
/// wiggle on the brighter one's slope and is dropped. (A star whose maximum is
/// dropped beside a cosmic ray's is found again when that candidate is measured.)
fn resolve_maxima(snr: &Grid, candidates: &mut Vec<Candidate>) {
    let cell = 2.0 * BLEND_SEARCH_BINNED; // frame pixels
    let points: Vec<(f64, f64)> = candidates.iter().map(|c| (f64::from(c.x), f64::from(c.y))).collect();
    let index = SpatialGrid::new(&points, f64::from(cell));
    let mut blended = vec![false; candidates.len()];
    let mut redundant = vec![false; candidates.len()];
    for (i, a) in candidates.iter().enumerate() {
        for j in index.near(f64::from(a.x), f64::from(a.y)) {
            let b = &candidates[j];
            if j <= i || (a.x - b.x).hypot(a.y - b.y) >= cell {
                continue;
            }
            let fainter = a.snr.min(b.snr);
            let dip = fainter - min_between(snr, a, b);
            if dip >= BLEND_MIN_DIP && dip >= BLEND_MIN_DIP_FRACTION * fainter {
                blended[i] = true;
                blended[j] = true;
            } else if a.snr < b.snr || (a.snr == b.snr && i > j) {
                redundant[i] = true;
            } else {
                redundant[j] = true;
            }
        }
    }
    let mut k = 0;
    candidates.retain_mut(|c| {
        c.blended = blended[k];
        k += 1;
        !redundant[k - 1]
    });
}

/// Smallest filtered S/N on the segment between two candidates (sampled every
/// half binned pixel, bilinearly).
fn min_between(snr: &Grid, a: &Candidate, b: &Candidate) -> f32 {
    let (ax, ay) = ((a.x - 0.5) / 2.0, (a.y - 0.5) / 2.0);
    let (bx, by) = ((b.x - 0.5) / 2.0, (b.y - 0.5) / 2.0);
    let steps = ((bx - ax).hypot(by - ay) * 2.0).ceil().max(1.0) as usize;
    (0..=steps)
        .map(|i| {
            let t = i as f32 / steps as f32;
            bilinear(snr, ax + t * (bx - ax), ay + t * (by - ay))
        })
        .fold(f32::INFINITY, f32::min)
}

fn bilinear(g: &Grid, x: f32, y: f32) -> f32 {
    let x = x.clamp(0.0, (g.width - 1) as f32);
    let y = y.clamp(0.0, (g.height - 1) as f32);
    let x0 = (x as usize).min(g.width.saturating_sub(2));
    let y0 = (y as usize).min(g.height.saturating_sub(2));
    let (x1, y1) = ((x0 + 1).min(g.width - 1), (y0 + 1).min(g.height - 1));
    let (tx, ty) = (x - x0 as f32, y - y0 as f32);
    let at = |x: usize, y: usize| g.data[y * g.width + x];
    let top = at(x0, y0) + (at(x1, y0) - at(x0, y0)) * tx;
    let bottom = at(x0, y1) + (at(x1, y1) - at(x0, y1)) * tx;
    top + (bottom - top) * ty
}
