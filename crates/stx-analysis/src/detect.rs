//! Step 4: star candidates: matched filter, threshold, local maxima.
//!
//! On the binned grid: subtract the background and divide by its noise, convolve
//! with a Gaussian (separable), so that each value is a signal-to-noise ratio of
//! the matched filter; every local maximum above the threshold is a candidate.
//! Two maxima separated by a real dip of the filtered S/N are two stars whose
//! light overlaps: both are marked blended; without a dip the fainter is a noise
//! wiggle on one star's slope and is dropped.

use rayon::prelude::*;

use crate::background::Background;
use crate::bin::Grid;
use crate::frame::{Frame, Pixel};
use crate::neighbours::SpatialGrid;
use crate::workspace::{Workspace, filled, overwritable};

/// Frames smaller than this (either side, frame pixels) get no star detection.
const MIN_FRAME_SIZE: usize = 16;

/// Whether a frame is large enough for star detection (see [`MIN_FRAME_SIZE`]).
pub(crate) fn detectable<P: Pixel>(frame: &Frame<'_, P>) -> bool {
    frame.width() >= MIN_FRAME_SIZE && frame.height() >= MIN_FRAME_SIZE
}
/// σ of the Gaussian filter in binned pixels (2 frame pixels; with the 2×2 bin
/// box it keeps ≥ 80 % of the optimal SNR for stars of σ 1 to 4 frame pixels).
const KERNEL_SIGMA_BINNED: f32 = 1.0;
/// Half-width of the filter in binned pixels (3σ).
const KERNEL_RADIUS: usize = 3;
/// Filter taps: the kernel's width.
const TAPS: usize = 2 * KERNEL_RADIUS + 1;
/// Rows per band of the matched filter (its working set, ~40 rows, stays in cache).
const BAND_ROWS: usize = 32;
/// Pixels tested at once for any value above the threshold, before single pixels
/// (at most 32: one bit each in a `u32`).
const MAXIMA_BLOCK: usize = 32;
/// Maxima closer than this (binned pixels) are tested for a dip between them.
const BLEND_SEARCH_BINNED: f32 = 10.0;
/// A dip between two maxima is real when the S/N falls by at least this much
/// (the filtered noise is 1) and this fraction of the fainter peak.
const BLEND_MIN_DIP: f32 = 3.0;
const BLEND_MIN_DIP_FRACTION: f32 = 0.05;
/// Binned pixels above this matched-filter S/N hold star light, for the second
/// background estimate (2σ reaches well into the wings).
const MASK_NSIGMA: f32 = 2.0;
/// The star mask grows by this many binned pixels to cover the fainter wings.
const MASK_GROW: usize = 2;

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
    let snr = matched_filter(binned, background, std::mem::take(&mut workspace.snr));
    let mut candidates = local_maxima(&snr, nsigma);
    resolve_maxima(&snr, &mut candidates);
    star_mask(&snr, &candidates, &mut workspace.mask);
    workspace.snr = snr.data;
    candidates
}

/// The star light around the candidates: the binned pixels connected to a
/// candidate through pixels of matched-filter S/N above [`MASK_NSIGMA`], grown by
/// [`MASK_GROW`] binned pixels. Only regions holding a detection are masked:
/// masking every noise bump above 2σ would bias the sky low. Into `mask`
/// (refilled: its old contents do not count).
fn star_mask(snr: &Grid, candidates: &[Candidate], mask: &mut Vec<bool>) {
    let (w, h) = (snr.width, snr.height);
    *mask = filled(std::mem::take(mask), w * h, false);
    let seeds = candidates.iter().map(|c| {
        let x = (((c.x - 0.5) / 2.0).round().max(0.0) as usize).min(w - 1);
        let y = (((c.y - 0.5) / 2.0).round().max(0.0) as usize).min(h - 1);
        (x, y)
    });
    // The two halves of the frame are filled in parallel, each within its own rows;
    // then the regions that reach the middle are followed across it.
    let middle = h / 2;
    let (top_seeds, bottom_seeds): (Vec<_>, Vec<_>) = seeds.partition(|&(_, y)| y < middle);
    let (top, bottom) = mask.split_at_mut(middle * w);
    let (mut runs, bottom_runs) =
        rayon::join(|| flood(snr, top, 0, top_seeds), || flood(snr, bottom, middle, bottom_seeds));
    runs.extend(bottom_runs);
    let across: Vec<(usize, usize)> = runs
        .iter()
        .filter_map(|&(y, x0, x1)| match y + 1 {
            next if next == middle => Some((x0..=x1, middle)),
            next if next == middle + 1 && middle > 0 => Some((x0..=x1, middle - 1)),
            _ => None,
        })
        .flat_map(|(columns, y)| columns.map(move |x| (x, y)))
        .filter(|&(x, y)| !mask[y * w + x] && snr.data[y * w + x] > MASK_NSIGMA)
        .collect();
    runs.extend(flood(snr, mask, 0, across));
    for (y, x0, x1) in runs {
        let (x0, x1) = (x0.saturating_sub(MASK_GROW), (x1 + MASK_GROW).min(w - 1));
        for yy in y.saturating_sub(MASK_GROW)..=(y + MASK_GROW).min(h - 1) {
            mask[yy * w + x0..=yy * w + x1].fill(true);
        }
    }
}

/// A horizontal run of binned pixels: row, first and last column.
type Run = (usize, usize, usize);

/// Scanline flood fill of `mask`, which holds the frame rows from `first_row` on,
/// from `seeds` (frame coordinates, in those rows), through star light and within
/// those rows. Each seed grows into the longest run of star light along its row
/// and seeds the runs of star light touching it in the rows above and below: runs,
/// not pixels, keep the branches predictable. Returns the runs filled.
fn flood(snr: &Grid, mask: &mut [bool], first_row: usize, mut seeds: Vec<(usize, usize)>) -> Vec<Run> {
    let w = snr.width;
    let rows = first_row..first_row + mask.len() / w;
    let star_light = |x: usize, y: usize| snr.data[y * w + x] > MASK_NSIGMA;
    let at = |x: usize, y: usize| (y - first_row) * w + x;
    let mut runs = Vec::new();
    while let Some((x, y)) = seeds.pop() {
        if mask[at(x, y)] {
            continue;
        }
        let (mut x0, mut x1) = (x, x);
        while x0 > 0 && !mask[at(x0 - 1, y)] && star_light(x0 - 1, y) {
            x0 -= 1;
        }
        while x1 + 1 < w && !mask[at(x1 + 1, y)] && star_light(x1 + 1, y) {
            x1 += 1;
        }
        mask[at(x0, y)..=at(x1, y)].fill(true);
        runs.push((y, x0, x1));
        for ny in [y.checked_sub(1), Some(y + 1)].into_iter().flatten().filter(|ny| rows.contains(ny)) {
            let mut in_run = false;
            for nx in x0..=x1 {
                let open = !mask[at(nx, ny)] && star_light(nx, ny);
                if open && !in_run {
                    seeds.push((nx, ny));
                }
                in_run = open;
            }
        }
    }
    runs
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

/// Background-subtracted, noise-normalised, Gaussian-filtered binned frame, scaled
/// so that white noise comes out with unit σ: each value is an S/N.
///
/// Works in bands of [`BAND_ROWS`] rows: a band's rows (and the filter's reach
/// above and below) are filtered horizontally into a buffer small enough to stay
/// in cache, then vertically into the output (`buffer`'s allocation); no
/// full-frame intermediate.
fn matched_filter(binned: &Grid, background: &Background, buffer: Vec<f32>) -> Grid {
    let (w, h) = (binned.width, binned.height);
    let k = kernel();
    // ‖k‖ of the separable 2-D kernel is Σ k1².
    let norm = 1.0 / k.iter().map(|v| v * v).sum::<f32>();
    let k_norm = k.map(|v| v * norm);
    // Every element is written below (each band's rows, whole).
    let mut data = overwritable(buffer, w * h, 0.0);
    data.par_chunks_mut(w * BAND_ROWS).enumerate().for_each_init(
        || (RowScratch::new(w), Vec::new()),
        |(scratch, band), (b, out)| {
            let (y0, rows) = (b * BAND_ROWS, out.len() / w);
            // Band row r holds frame row y0 + r − KERNEL_RADIUS, clamped to the frame.
            band.resize((rows + 2 * KERNEL_RADIUS) * w, 0.0);
            for (r, filtered) in band.chunks_mut(w).enumerate() {
                let y = (y0 + r).saturating_sub(KERNEL_RADIUS).min(h - 1);
                scratch.filter_row(binned, background, y, &k, filtered);
            }
            for (r, out) in out.chunks_mut(w).enumerate() {
                weighted_sum(out, std::array::from_fn(|i| &band[(r + i) * w..(r + i + 1) * w]), &k_norm);
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
/// so a plateau yields one) at or above `nsigma`, refined by parabolas.
fn local_maxima(snr: &Grid, nsigma: f32) -> Vec<Candidate> {
    let (w, h) = (snr.width, snr.height);
    if w < 3 || h < 3 {
        return Vec::new();
    }
    (1..h - 1)
        .into_par_iter()
        .flat_map_iter(|y| {
            let (up, row, down) = (snr.row(y - 1), snr.row(y), snr.row(y + 1));
            // Almost every pixel is below the threshold: skip blocks of them with a
            // branch-free (vectorised) test. In the rest (a star's wings: most of a
            // block above the threshold) the row maxima are found branch-free as a
            // bit per pixel; only those few are compared with the rows around.
            let above = (1..w - 1).step_by(MAXIMA_BLOCK).filter(move |&x0| {
                row[x0..(x0 + MAXIMA_BLOCK).min(w - 1)].iter().fold(false, |any, &v| any | (v >= nsigma))
            });
            above.flat_map(move |x0| row_maxima(row, x0, (x0 + MAXIMA_BLOCK).min(w - 1), nsigma)).filter_map(
                move |x| {
                    let c = row[x];
                    let is_max = c > up[x - 1]
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
                },
            )
        })
        .collect()
}

/// The columns `x` in `x0..x1` (at most [`MAXIMA_BLOCK`], within the row's ends)
/// where `row[x]` is at or above `nsigma` and a maximum along the row (strict
/// against the left neighbour, ≥ the right one).
fn row_maxima(row: &[f32], x0: usize, x1: usize, nsigma: f32) -> impl Iterator<Item = usize> {
    let (left, centre, right) = (&row[x0 - 1..x1 - 1], &row[x0..x1], &row[x0 + 1..x1 + 1]);
    let mut bits =
        centre.iter().zip(left).zip(right).enumerate().fold(0u32, |bits, (i, ((&c, &l), &r))| {
            bits | (u32::from((c >= nsigma) & (c > l) & (c >= r)) << i)
        });
    std::iter::from_fn(move || {
        (bits != 0).then(|| {
            let i = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            x0 + i
        })
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks the star mask of a grid drawn as text (`#`: star light, `.`: sky)
    /// with candidates at the given binned pixels against a plain breadth-first
    /// fill of the same regions, grown by `MASK_GROW`.
    fn check(picture: &[&str], seeds: &[(usize, usize)]) {
        let (w, h) = (picture[0].len(), picture.len());
        let data: Vec<f32> =
            picture.iter().flat_map(|row| row.bytes().map(|b| if b == b'#' { 10.0 } else { 0.0 })).collect();
        let snr = Grid { data, width: w, height: h };
        let candidates: Vec<Candidate> = seeds
            .iter()
            .map(|&(x, y)| Candidate {
                x: 2.0 * x as f32 + 0.5,
                y: 2.0 * y as f32 + 0.5,
                snr: 10.0,
                blended: false,
            })
            .collect();
        let mut core = vec![false; w * h];
        let mut queue: Vec<(usize, usize)> = seeds.to_vec();
        while let Some((x, y)) = queue.pop() {
            if std::mem::replace(&mut core[y * w + x], true) {
                continue;
            }
            let neighbours = [(x.wrapping_sub(1), y), (x + 1, y), (x, y.wrapping_sub(1)), (x, y + 1)];
            queue.extend(
                neighbours
                    .into_iter()
                    .filter(|&(nx, ny)| nx < w && ny < h && snr.data[ny * w + nx] > MASK_NSIGMA),
            );
        }
        let expect: Vec<bool> = (0..w * h)
            .map(|i| {
                let (x, y) = (i % w, i / w);
                (y.saturating_sub(MASK_GROW)..=(y + MASK_GROW).min(h - 1)).any(|yy| {
                    (x.saturating_sub(MASK_GROW)..=(x + MASK_GROW).min(w - 1)).any(|xx| core[yy * w + xx])
                })
            })
            .collect();
        // Into a used buffer: its old contents do not show.
        let mut mask = vec![true; 3];
        star_mask(&snr, &candidates, &mut mask);
        assert_eq!(mask, expect);
    }

    #[test]
    fn star_mask_follows_regions_across_the_middle_and_back() {
        // A U that leaves the top half, turns in the bottom half and comes back up,
        // seeded only at its left arm; a separate blob with no candidate stays sky.
        check(
            &[
                "....................",
                ".#..........#.......",
                ".#.....###..#.......",
                ".#.....###..#.......",
                ".#..........#.......",
                ".#..........#.......",
                ".##########.#.......",
                "..........#.#.......",
                "..........###.......",
                "....................",
                "....................",
                "....................",
            ],
            &[(1, 1)],
        );
    }

    #[test]
    fn star_mask_of_regions_seeded_in_both_halves() {
        check(
            &[
                "..........",
                "..###.....",
                "..###.....",
                "....#.....",
                "....#.....",
                "....####..",
                ".......#..",
                "..........",
            ],
            &[(3, 1), (7, 6)],
        );
    }
}
