//! Step 3: background level and noise anywhere in the frame, from a mesh.
//!
//! The binned frame is cut into cells; each cell gets a sigma-clipped level (the
//! SExtractor mode, 2.5·median − 1.5·mean, which cancels most of the skew that
//! faint star light adds) and noise; the mesh is median-filtered (3×3) to drop
//! cells dominated by a bright star, then interpolated bilinearly between cell
//! centres (extrapolated linearly beyond the outermost centres).

use std::cmp::Ordering;

use rayon::prelude::*;
use wide::{CmpGe, CmpLe, f32x8};

use crate::bin::Grid;
use crate::lanes::{full, lane_sum, padded};

/// Mesh cell size in binned pixels (32 = 64 frame pixels, SEP's default): small
/// enough to follow vignetting and gradients, big enough for a stable estimate.
const CELL_BINNED: usize = 32;
/// Clipping half-width in standard deviations (SExtractor's ±3σ).
const CLIP_NSIGMA: f32 = 3.0;
/// Clipping iterations after the initial median/MAD estimate.
const CLIP_ITERATIONS: usize = 3;
/// Use the mode estimate only while |mean − median| < this × σ (SExtractor): beyond
/// it the cell is crowded and the median is the safer estimate.
const MODE_MAX_SKEW: f32 = 0.3;
/// The lower quartile of a normal distribution lies this many σ below its median.
const QUARTILE_PER_SIGMA: f32 = 0.6745;
/// σ of a normal distribution over the σ of its ±3σ-truncated part.
const TRUNCATION_CORRECTION: f32 = 1.0 / 0.9865;
/// The first estimate samples every this many binned rows, and every this many
/// columns of those.
const FIRST_PASS_STRIDE: usize = 2;
/// A masked cell needs at least this fraction of its pixels left as sky.
const MIN_SKY_FRACTION: f32 = 0.25;
/// Noise floor in pixel-value units, so that a perfectly flat frame still has a
/// usable (and harmless) noise level.
const NOISE_FLOOR: f32 = 1e-3;

/// Background level and noise of the binned frame, on a mesh of cells.
#[derive(Debug, Clone)]
pub(crate) struct Background {
    /// Smoothed cell levels, row-major `nx × ny`.
    level: Vec<f32>,
    /// Smoothed cell noise (σ of a binned pixel), row-major `nx × ny`.
    noise: Vec<f32>,
    /// The cells' own estimates, before the median filter.
    raw_level: Vec<f32>,
    raw_noise: Vec<f32>,
    nx: usize,
    ny: usize,
    /// The interpolation weight `t` of every binned column (the same for all rows).
    x_weights: Vec<f32>,
    /// Runs of binned columns interpolated between the same two cells: `(i0, i1,
    /// columns)`. Within a run the interpolation is a plain vectorisable loop.
    x_runs: Vec<(usize, usize, std::ops::Range<usize>)>,
    /// Size of the binned grid the mesh covers.
    width: usize,
    height: usize,
}

/// One cell of the background mesh, in binned pixels: columns `x0..x1`, rows `y0..y1`.
struct CellRect {
    x0: usize,
    x1: usize,
    y0: usize,
    y1: usize,
}

impl CellRect {
    /// Cell `c` (row-major) of an `nx` × `ny` mesh over `binned`.
    fn of(binned: &Grid, nx: usize, ny: usize, c: usize) -> CellRect {
        let (cx, cy) = (c % nx, c / nx);
        CellRect {
            x0: cx * binned.width / nx,
            x1: (cx + 1) * binned.width / nx,
            y0: cy * binned.height / ny,
            y1: (cy + 1) * binned.height / ny,
        }
    }

    /// Pixels in the cell.
    fn area(&self) -> usize {
        (self.y1 - self.y0) * (self.x1 - self.x0)
    }

    /// The first pass's samples in row `y` (`row`, the binned row), appended: a
    /// quarter of the cell, every other column of every other row (the columns
    /// shifted by one from sampled row to row), plenty for detection; the
    /// measurement's background is the second pass, on all the sky. The bottom half
    /// of the pattern mirrors the top half through the cell's centre, so the
    /// samples' mean position is the centre and a gradient does not shift the
    /// level. Chunk starts, not `step_by`: a plain strided loop.
    fn first_pass_row(&self, y: usize, row: &[f32], samples: &mut Vec<f32>) {
        let (w, h) = (self.x1 - self.x0, self.y1 - self.y0);
        // Row k of the top half's pattern is dy = k·STRIDE from the top; the bottom
        // half's row k as far from the bottom (never the same row).
        let (from_top, from_bottom) = (y - self.y0, self.y1 - 1 - y);
        let first = if from_top < h / 2 && from_top % FIRST_PASS_STRIDE == 0 {
            (from_top / FIRST_PASS_STRIDE) % FIRST_PASS_STRIDE
        } else if from_bottom < h / 2 && from_bottom % FIRST_PASS_STRIDE == 0 {
            // Column w − 1 − x for each x of the top row: the parity of w − 1 − shift.
            let shift = (from_bottom / FIRST_PASS_STRIDE) % FIRST_PASS_STRIDE;
            (w - 1 - shift) % FIRST_PASS_STRIDE
        } else {
            return;
        };
        samples.extend(row[self.x0 + first..self.x1].chunks(FIRST_PASS_STRIDE).map(|c| c[0]));
    }

    /// The pixels of row `y` (`row`, the binned row) that `mask_row` leaves as sky,
    /// appended.
    fn sky_row(&self, row: &[f32], mask_row: &[bool], samples: &mut Vec<f32>) {
        let (row, m) = (&row[self.x0..self.x1], &mask_row[self.x0..self.x1]);
        // Most rows of a cell are all sky: copied whole.
        if m.iter().fold(false, |any, &masked| any | masked) {
            samples.extend(row.iter().zip(m).filter(|p| !*p.1).map(|p| *p.0));
        } else {
            samples.extend_from_slice(row);
        }
    }
}

/// Runs of neighbouring columns that interpolate between the same two cells:
/// (left cell, right cell, columns).
fn column_runs(x_lerps: &[Lerp]) -> Vec<(usize, usize, std::ops::Range<usize>)> {
    let mut runs: Vec<(usize, usize, std::ops::Range<usize>)> = Vec::new();
    for (x, l) in x_lerps.iter().enumerate() {
        match runs.last_mut() {
            Some((i0, _, columns)) if *i0 == l.i0 => columns.end = x + 1,
            _ => runs.push((l.i0, l.i1, x..x + 1)),
        }
    }
    runs
}

/// A bilinear interpolation position along one axis.
#[derive(Debug, Clone, Copy)]
struct Lerp {
    i0: usize,
    i1: usize,
    t: f32,
    /// d t / d (binned pixel).
    dt: f32,
}

impl Background {
    /// Estimates the background of a binned frame, with the SExtractor mode: robust
    /// to the stars it cannot yet tell from the sky.
    pub(crate) fn estimate(binned: &Grid) -> Self {
        Self::estimate_with(binned, None)
    }

    /// Estimates the background again with the stars found so far masked out
    /// (`mask[i]` true: not sky), with the clipped mean: the mean sky level, which
    /// is what a star's HFR must subtract (the mode of Poisson sky lies below it,
    /// −0.4 ADU at 1000 e⁻, which biases faint wide stars' HFR by percents). Cells
    /// with too little sky left keep this background's estimate.
    pub(crate) fn refine(&self, binned: &Grid, mask: &[bool]) -> Self {
        let mut refined = Self::estimate_with(binned, Some((mask, self)));
        if (refined.nx, refined.ny) == (self.nx, self.ny) {
            for i in 0..refined.level.len() {
                if refined.level[i].is_nan() {
                    refined.level[i] = self.raw_level[i];
                    refined.noise[i] = self.raw_noise[i];
                }
            }
        }
        refined.level = median_filter3(&refined.level, refined.nx, refined.ny);
        refined.noise = median_filter3(&refined.noise, refined.nx, refined.ny);
        refined
    }

    fn estimate_with(binned: &Grid, refine: Option<(&[bool], &Background)>) -> Self {
        let nx = (binned.width as f32 / CELL_BINNED as f32).round().max(1.0) as usize;
        let ny = (binned.height as f32 / CELL_BINNED as f32).round().max(1.0) as usize;
        // A row of cells at a time, its rows read whole and in order, each cell's
        // part appended to the cell's samples: cell by cell, every row of a cell
        // was a cache miss (rows lie a binned row apart), which the prefetcher
        // cannot foresee.
        let mut cells = vec![(0.0, 0.0); nx * ny];
        cells.par_chunks_mut(nx).enumerate().for_each_init(
            Vec::new,
            |per_cell: &mut Vec<Vec<f32>>, (cy, out)| {
                let rects: Vec<CellRect> =
                    (0..nx).map(|cx| CellRect::of(binned, nx, ny, cy * nx + cx)).collect();
                per_cell.resize_with(nx, Vec::new);
                per_cell.iter_mut().for_each(Vec::clear);
                for y in rects[0].y0..rects[0].y1 {
                    let row = binned.row(y);
                    for (cell, samples) in rects.iter().zip(per_cell.iter_mut()) {
                        match refine {
                            None => cell.first_pass_row(y, row, samples),
                            Some((mask, _)) => {
                                cell.sky_row(row, &mask[y * binned.width..(y + 1) * binned.width], samples)
                            }
                        }
                    }
                }
                for (cx, ((cell, samples), out)) in rects.iter().zip(per_cell.iter_mut()).zip(out).enumerate()
                {
                    *out = match refine {
                        None => cell_estimate(samples),
                        Some(_) if (samples.len() as f32) < MIN_SKY_FRACTION * cell.area() as f32 => {
                            (f32::NAN, f32::NAN)
                        }
                        Some((_, first)) => clipped_mean(
                            samples,
                            first.raw_level[cy * nx + cx],
                            first.raw_noise[cy * nx + cx],
                        ),
                    };
                }
            },
        );
        let raw_level: Vec<f32> = cells.iter().map(|c| c.0).collect();
        let raw_noise: Vec<f32> = cells.iter().map(|c| c.1).collect();
        let filtered = refine.is_none();
        let x_lerps: Vec<Lerp> = (0..binned.width).map(|x| Self::lerp(x as f32, nx, binned.width)).collect();
        Background {
            level: if filtered { median_filter3(&raw_level, nx, ny) } else { raw_level.clone() },
            noise: if filtered { median_filter3(&raw_noise, nx, ny) } else { raw_noise.clone() },
            raw_level,
            raw_noise,
            x_weights: x_lerps.iter().map(|l| l.t).collect(),
            x_runs: column_runs(&x_lerps),
            nx,
            ny,
            width: binned.width,
            height: binned.height,
        }
    }

    fn lerp(position: f32, n: usize, size: usize) -> Lerp {
        // Cell i's centre is at (i + 0.5)·size/n − 0.5 binned pixels.
        let scale = n as f32 / size as f32;
        let u = (position + 0.5) * scale - 0.5;
        if n == 1 {
            return Lerp { i0: 0, i1: 0, t: 0.0, dt: 0.0 };
        }
        // Beyond the outermost centres the nearest two cells extrapolate linearly,
        // so that a gradient goes on to the frame edge.
        let i0 = (u.floor().max(0.0) as usize).min(n - 2);
        Lerp { i0, i1: i0 + 1, t: u - i0 as f32, dt: scale }
    }

    fn sample(map: &[f32], nx: usize, lx: Lerp, ly: Lerp) -> (f32, f32, f32) {
        let v00 = map[ly.i0 * nx + lx.i0];
        let v10 = map[ly.i0 * nx + lx.i1];
        let v01 = map[ly.i1 * nx + lx.i0];
        let v11 = map[ly.i1 * nx + lx.i1];
        let top = v00 + (v10 - v00) * lx.t;
        let bottom = v01 + (v11 - v01) * lx.t;
        let value = top + (bottom - top) * ly.t;
        let dx = ((v10 - v00) * (1.0 - ly.t) + (v11 - v01) * ly.t) * lx.dt;
        let dy = (bottom - top) * ly.dt;
        (value, dx, dy)
    }

    /// Background level and its gradient (per binned pixel), and the noise of a
    /// binned pixel, at binned position `(x, y)`.
    pub(crate) fn at_binned(&self, x: f32, y: f32) -> (f32, f32, f32, f32) {
        let lx = Self::lerp(x, self.nx, self.width);
        let ly = Self::lerp(y, self.ny, self.height);
        let (level, dx, dy) = Self::sample(&self.level, self.nx, lx, ly);
        let (noise, _, _) = Self::sample(&self.noise, self.nx, lx, ly);
        (level, dx, dy, noise)
    }

    /// Fills `level` and `noise` with the background of binned row `y`: the
    /// mesh is interpolated along y once per cell column, then along x.
    pub(crate) fn row(&self, y: usize, level: &mut [f32], noise: &mut [f32]) {
        let ly = Self::lerp(y as f32, self.ny, self.height);
        let column = |map: &[f32], i: usize| {
            let (a, b) = (map[ly.i0 * self.nx + i], map[ly.i1 * self.nx + i]);
            a + (b - a) * ly.t
        };
        let level_col: Vec<f32> = (0..self.nx).map(|i| column(&self.level, i)).collect();
        let noise_col: Vec<f32> = (0..self.nx).map(|i| column(&self.noise, i)).collect();
        for (i0, i1, columns) in &self.x_runs {
            let (l0, l1, n0, n1) = (level_col[*i0], level_col[*i1], noise_col[*i0], noise_col[*i1]);
            let (level, noise) = (&mut level[columns.clone()], &mut noise[columns.clone()]);
            for ((l, n), t) in level.iter_mut().zip(noise).zip(&self.x_weights[columns.clone()]) {
                *l = l0 + (l1 - l0) * t;
                *n = n0 + (n1 - n0) * t;
            }
        }
    }
}

/// Sigma-clipped level and noise of one cell's samples (reordered in place).
fn cell_estimate(samples: &mut [f32]) -> (f32, f32) {
    if samples.is_empty() {
        return (0.0, NOISE_FLOOR);
    }
    // Robust start: the median, and σ from the lower quartile: the median of the
    // lower half, which the selection of the median has set apart (stars only add
    // light, so the sky's lower side is clean; for symmetric noise median − Q1 is
    // the MAD, at half the work). Then clip about that median, updating only σ
    // (linear passes, no more selections).
    let median = median_of(samples);
    let half = samples.len() / 2;
    let lower = &mut samples[..half];
    let mut sigma = match lower.len() {
        0 => 0.0,
        n => (median - *lower.select_nth_unstable_by(n / 2, f32::total_cmp).1) / QUARTILE_PER_SIGMA,
    };
    let mut mean = median;
    let mut clipped = None;
    for _ in 0..CLIP_ITERATIONS {
        if sigma <= 0.0 {
            break;
        }
        let (lo, hi) = (median - CLIP_NSIGMA * sigma, median + CLIP_NSIGMA * sigma);
        let Some(moments) = clipped_moments(samples, lo, hi, median) else { break };
        (mean, sigma) = moments;
        clipped = Some((lo, hi));
    }
    let level = match clipped {
        Some((lo, hi)) => {
            // The clipped samples are a run of ranks, and selecting the median left
            // the samples partitioned about the middle rank.
            let below = samples.iter().filter(|&&v| v < lo).count();
            let inside = samples.iter().filter(|&&v| (v >= lo) & (v <= hi)).count();
            let clipped_median = median_of_ranks(samples, samples.len() / 2, below, inside);
            if (mean - clipped_median).abs() < MODE_MAX_SKEW * sigma {
                2.5 * clipped_median - 1.5 * mean
            } else {
                clipped_median
            }
        }
        None => median,
    };
    (level, sigma.max(NOISE_FLOOR))
}

/// Clipped mean and σ of a masked cell, clipping about a first estimate (`start`,
/// with noise `sigma`) and then about the running mean: no selection needed.
fn clipped_mean(samples: &[f32], start: f32, sigma: f32) -> (f32, f32) {
    let (mut center, mut sigma) = (start, sigma);
    for _ in 0..CLIP_ITERATIONS {
        let (lo, hi) = (center - CLIP_NSIGMA * sigma, center + CLIP_NSIGMA * sigma);
        let Some((mean, clipped_sigma)) = clipped_moments(samples, lo, hi, start) else { break };
        (center, sigma) = (mean, clipped_sigma.max(NOISE_FLOOR));
    }
    (center, sigma)
}

/// Mean and σ (corrected for the ±`CLIP_NSIGMA` truncation) of the samples within
/// `[lo, hi]`; `None` for fewer than three samples.
///
/// The hottest loop of the background: summed eight lanes at a time as `f32`
/// offsets from `reference` (a level within a few σ of the samples), merged in
/// `f64`. A lane holds at most a few hundred offsets of a few σ each, far within
/// `f32` precision.
fn clipped_moments(samples: &[f32], lo: f32, hi: f32, reference: f32) -> Option<(f32, f32)> {
    let (lo, hi, reference8) = (f32x8::splat(lo), f32x8::splat(hi), f32x8::splat(reference));
    let (mut n, mut sum, mut sum_sq) = (f32x8::ZERO, f32x8::ZERO, f32x8::ZERO);
    let mut add = |v: f32x8| {
        let inside = v.cmp_ge(lo) & v.cmp_le(hi);
        let d = inside.blend(v - reference8, f32x8::ZERO);
        n += inside.blend(f32x8::ONE, f32x8::ZERO);
        sum += d;
        sum_sq += d * d;
    };
    let chunks = samples.chunks_exact(8);
    let rest = chunks.remainder();
    for chunk in chunks {
        add(full(chunk));
    }
    // NaN padding is never inside the clip range.
    add(padded(rest, f32::NAN));
    let (n, sum, sum_sq) = (lane_sum(n), lane_sum(sum), lane_sum(sum_sq));
    if n < 3.0 {
        return None;
    }
    let var = (sum_sq - sum * sum / n) / (n - 1.0);
    Some((reference + (sum / n) as f32, (var.max(0.0).sqrt() as f32) * TRUNCATION_CORRECTION))
}

/// Median of `values` (reordered in place; not empty).
fn median_of(values: &mut [f32]) -> f32 {
    let mid = values.len() / 2;
    let odd = values.len() % 2 == 1;
    let (left, &mut upper, _) = values.select_nth_unstable_by(mid, f32::total_cmp);
    if odd {
        upper
    } else {
        let lower = left.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        0.5 * (lower + upper)
    }
}

/// Median of the `count` values of ranks `first..first + count` (0-based, ascending)
/// of `values`, which a selection of rank `mid` has left partitioned about `mid`:
/// only the side holding the middle rank is searched. Equals [`median_of`] of
/// those values.
fn median_of_ranks(values: &mut [f32], mid: usize, first: usize, count: usize) -> f32 {
    let pivot = values[mid];
    let upper_rank = first + count / 2;
    let (side, offset) = match upper_rank.cmp(&mid) {
        Ordering::Less => (&mut values[..mid], 0),
        Ordering::Equal => (&mut values[mid..=mid], mid),
        Ordering::Greater => (&mut values[mid + 1..], mid + 1),
    };
    let (before, &mut upper, _) = side.select_nth_unstable_by(upper_rank - offset, f32::total_cmp);
    if count % 2 == 1 {
        return upper;
    }
    // The rank just below: the largest smaller value on this side; beyond this side's
    // start it is the pivot (right side) or the largest of the left side (the pivot).
    let lower = if !before.is_empty() {
        before.iter().copied().fold(f32::NEG_INFINITY, f32::max)
    } else if upper_rank == mid {
        values[..mid].iter().copied().fold(f32::NEG_INFINITY, f32::max)
    } else {
        pivot
    };
    0.5 * (lower + upper)
}

/// 3×3 median filter of a mesh. Beyond the border the mesh is extended by linear
/// extrapolation (2·edge − inner), so that a gradient survives the filter at the
/// border too (a window cut at the border would pull the edge cells halfway to
/// their inner neighbours).
fn median_filter3(map: &[f32], nx: usize, ny: usize) -> Vec<f32> {
    let at = |x: isize, y: isize| -> f32 {
        let reflect = |i: isize, n: usize| -> (usize, usize, bool) {
            let last = n as isize - 1;
            if n == 1 || (0..=last).contains(&i) {
                (i.clamp(0, last) as usize, 0, false)
            } else if i < 0 {
                (0, 1, true)
            } else {
                (last as usize, last as usize - 1, true)
            }
        };
        let (x0, x1, xe) = reflect(x, nx);
        let (y0, y1, ye) = reflect(y, ny);
        let v = |x: usize, y: usize| map[y * nx + x];
        match (xe, ye) {
            (false, false) => v(x0, y0),
            (true, false) => 2.0 * v(x0, y0) - v(x1, y0),
            (false, true) => 2.0 * v(x0, y0) - v(x0, y1),
            (true, true) => 2.0 * v(x0, y0) - v(x1, y1),
        }
    };
    let mut out = vec![0.0; map.len()];
    let mut window = Vec::with_capacity(9);
    for y in 0..ny {
        for x in 0..nx {
            window.clear();
            for dy in -1..=1 {
                for dx in -1..=1 {
                    window.push(at(x as isize + dx, y as isize + dy));
                }
            }
            out[y * nx + x] = median_of(&mut window);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks the background of a grid made by `f` at a few positions (noise NaN:
    /// not checked).
    fn check(width: usize, height: usize, f: impl Fn(usize, usize) -> f32, expect: &[(f32, f32, f32, f32)]) {
        let data = (0..width * height).map(|i| f(i % width, i / width)).collect();
        let bg = Background::estimate(&Grid { data, width, height });
        for &(x, y, level, noise) in expect {
            let (l, _, _, n) = bg.at_binned(x, y);
            assert!((l - level).abs() < 1e-3 * level.abs().max(1.0), "level at ({x},{y}): {l} vs {level}");
            if !noise.is_nan() {
                assert!((n - noise).abs() < 1e-3 * noise.max(1.0), "noise at ({x},{y}): {n} vs {noise}");
            }
        }
    }

    #[test]
    fn median_of_ranks_equals_the_median_of_that_run() {
        let mut state = 0x2545_f491_u32;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state % 64) as f32 * 0.25 // ties are common in binned u16 frames
        };
        for len in [1, 2, 3, 8, 9, 64, 101] {
            let values: Vec<f32> = (0..len).map(|_| next()).collect();
            let mut sorted = values.clone();
            sorted.sort_by(f32::total_cmp);
            for first in 0..len {
                for count in 1..=len - first {
                    let mut partitioned = values.clone();
                    let mid = len / 2;
                    partitioned.select_nth_unstable_by(mid, f32::total_cmp);
                    let expect = median_of(&mut sorted[first..first + count].to_vec());
                    assert_eq!(
                        median_of_ranks(&mut partitioned, mid, first, count),
                        expect,
                        "{len} {first} {count}"
                    );
                }
            }
        }
    }

    #[test]
    fn flat_frame_has_flat_background_and_floor_noise() {
        check(100, 70, |_, _| 500.0, &[(0.0, 0.0, 500.0, NOISE_FLOOR), (99.0, 69.0, 500.0, NOISE_FLOOR)]);
    }

    #[test]
    fn tiny_frame_is_one_cell() {
        check(5, 3, |_, _| 7.0, &[(2.0, 1.0, 7.0, NOISE_FLOOR)]);
    }

    #[test]
    fn linear_gradient_is_followed_between_cell_centres() {
        // Each cell's level is its mean x: exact for a linear ramp.
        check(
            256,
            256,
            |x, _| 100.0 + x as f32,
            &[(47.5, 100.0, 147.5, f32::NAN), (128.0, 30.0, 228.0, f32::NAN)],
        );
    }

    #[test]
    fn first_pass_samples_centre_on_the_cell() {
        // A grid whose value is the column, then one whose value is the row: the
        // samples' mean is their mean position.
        let axes: [fn(usize, usize) -> f32; 2] = [|x, _| x as f32, |_, y| y as f32];
        for (w, h) in [(32, 32), (33, 34), (8, 8), (31, 33), (40, 9)] {
            let cell = CellRect { x0: 3, x1: 3 + w, y0: 5, y1: 5 + h };
            let centre = [3.0 + (w - 1) as f32 / 2.0, 5.0 + (h - 1) as f32 / 2.0];
            for (value, centre) in axes.iter().zip(centre) {
                let (width, height) = (w + 6, h + 10);
                let data = (0..width * height).map(|i| value(i % width, i / width)).collect();
                let grid = Grid { data, width, height };
                let mut samples = Vec::new();
                for y in cell.y0..cell.y1 {
                    cell.first_pass_row(y, grid.row(y), &mut samples);
                }
                let mean = samples.iter().sum::<f32>() / samples.len() as f32;
                assert!((mean - centre).abs() < 1e-4, "{w}×{h}: mean {mean}, centre {centre}");
                assert!(samples.len() >= w * h / 5, "{w}×{h}: {} samples", samples.len());
            }
        }
    }

    #[test]
    fn gradient_reaches_the_frame_edges() {
        // Linear extrapolation beyond the outermost cell centres, and a median
        // filter that keeps the border cells on the ramp.
        check(
            256,
            200,
            |x, y| 100.0 + x as f32 - 0.5 * y as f32,
            &[(0.0, 0.0, 100.0, f32::NAN), (255.0, 199.0, 255.5, f32::NAN)],
        );
    }

    #[test]
    fn interpolation_reports_gradient() {
        let data = (0..256 * 256).map(|i| 10.0 + 0.5 * (i / 256) as f32).collect();
        let bg = Background::estimate(&Grid { data, width: 256, height: 256 });
        let (_, dx, dy, _) = bg.at_binned(100.0, 100.0);
        assert!(dx.abs() < 1e-4 && (dy - 0.5).abs() < 1e-4, "{dx} {dy}");
    }
}
