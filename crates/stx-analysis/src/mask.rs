//! The star mask: the binned pixels holding a detected star's light, which the
//! second background estimate leaves out.
//!
//! The matched filter marks star light as it goes, a bit per binned pixel
//! ([`light_bits`]); the mask is the regions of those bits that hold a detection,
//! found by a scanline flood fill that follows the bits a 64-pixel word at a time
//! (runs found by counting zeros, run starts in a neighbouring row by shifting)
//! rather than testing pixel after pixel.

use wide::{CmpGt, f32x8};

use crate::bits::{self, BitGrid, WORD};
use crate::detect::Candidate;
use crate::workspace::filled;

/// Binned pixels above this matched-filter S/N hold star light, for the second
/// background estimate (2σ reaches well into the wings).
const MASK_NSIGMA: f32 = 2.0;
/// The star mask grows by this many binned pixels to cover the fainter wings.
const MASK_GROW: usize = 2;
/// Star light for [`star_mask`]: set where the matched filter's S/N is above
/// [`MASK_NSIGMA`].
pub(crate) fn light_bits(snr: &[f32], bits: &mut [u64]) {
    let threshold = f32x8::splat(MASK_NSIGMA);
    bits::fill_row(snr, bits, |v| v.cmp_gt(threshold));
}

/// The star light around the candidates: the binned pixels connected to a
/// candidate through star light, grown by [`MASK_GROW`] binned pixels. Only
/// regions holding a detection are masked: masking every noise bump above 2σ
/// would bias the sky low. Into `mask` (refilled: its old contents do not count);
/// consumes `light`'s bits of the regions it fills.
pub(crate) fn star_mask(light: &mut BitGrid, candidates: &[Candidate], mask: &mut Vec<bool>) {
    let (w, h, per_row) = (light.width, light.height(), light.per_row);
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
    let (top, bottom) = light.words.split_at_mut(middle * per_row);
    let (mut runs, bottom_runs) = rayon::join(
        || flood(top, per_row, w, 0, top_seeds),
        || flood(bottom, per_row, w, middle, bottom_seeds),
    );
    runs.extend(bottom_runs);
    let mut across = Vec::new();
    for &(y, x0, x1) in &runs {
        let other = match y + 1 {
            next if next == middle => middle,
            next if next == middle + 1 && middle > 0 => middle - 1,
            _ => continue,
        };
        let row = &light.words[other * per_row..(other + 1) * per_row];
        run_starts(row, x0, x1, |x| across.push((x, other)));
    }
    runs.extend(flood(&mut light.words, per_row, w, 0, across));
    for (y, x0, x1) in runs {
        let (x0, x1) = (x0.saturating_sub(MASK_GROW), (x1 + MASK_GROW).min(w - 1));
        for yy in y.saturating_sub(MASK_GROW)..=(y + MASK_GROW).min(h - 1) {
            mask[yy * w + x0..=yy * w + x1].fill(true);
        }
    }
}

/// A horizontal run of binned pixels: row, first and last column.
type Run = (usize, usize, usize);

/// Scanline flood fill through the light `bits` of the rows from `first_row` on
/// (`per_row` words each, of a grid `width` wide), from `seeds` (grid coordinates,
/// in those rows): each seed grows into its run of light along its row and seeds
/// the runs of light touching it in the rows above and below. The bits of every
/// run filled are cleared, so each is filled once. Returns the runs filled.
fn flood(
    bits: &mut [u64],
    per_row: usize,
    width: usize,
    first_row: usize,
    mut seeds: Vec<(usize, usize)>,
) -> Vec<Run> {
    let rows = first_row..first_row + bits.len() / per_row;
    let mut runs = Vec::new();
    while let Some((x, y)) = seeds.pop() {
        let row = &mut bits[(y - first_row) * per_row..(y - first_row + 1) * per_row];
        if row[x / WORD] >> (x % WORD) & 1 == 0 {
            continue;
        }
        let (x0, x1) = (run_start(row, x), run_end(row, x, width));
        clear(row, x0, x1);
        runs.push((y, x0, x1));
        for ny in [y.checked_sub(1), Some(y + 1)].into_iter().flatten().filter(|ny| rows.contains(ny)) {
            let row = &bits[(ny - first_row) * per_row..(ny - first_row + 1) * per_row];
            run_starts(row, x0, x1, |sx| seeds.push((sx, ny)));
        }
    }
    runs
}

/// The first column of the run of set bits holding column `x` (set).
fn run_start(row: &[u64], x: usize) -> usize {
    let mut i = x / WORD;
    // The clear bits at or before x.
    let mut gaps = !row[i] & (u64::MAX >> (WORD - 1 - x % WORD));
    while gaps == 0 {
        if i == 0 {
            return 0;
        }
        i -= 1;
        gaps = !row[i];
    }
    i * WORD + (WORD - gaps.leading_zeros() as usize)
}

/// The last column of the run of set bits holding column `x` (set), in a row
/// `width` pixels wide.
fn run_end(row: &[u64], x: usize, width: usize) -> usize {
    let mut i = x / WORD;
    // The clear bits at or after x.
    let mut gaps = !row[i] & (u64::MAX << (x % WORD));
    while gaps == 0 {
        i += 1;
        if i == row.len() {
            return width - 1;
        }
        gaps = !row[i];
    }
    i * WORD + gaps.trailing_zeros() as usize - 1
}

/// The bits of `row` for columns `first..=last`, by word.
fn words_of(first: usize, last: usize) -> impl Iterator<Item = (usize, u64)> {
    (first / WORD..=last / WORD).map(move |i| {
        let low = if i == first / WORD { first % WORD } else { 0 };
        let high = if i == last / WORD { last % WORD } else { WORD - 1 };
        (i, (u64::MAX << low) & (u64::MAX >> (WORD - 1 - high)))
    })
}

/// Clears the bits of columns `first..=last`.
fn clear(row: &mut [u64], first: usize, last: usize) {
    for (i, bits) in words_of(first, last) {
        row[i] &= !bits;
    }
}

/// Calls `start` with the first column of every run of set bits within columns
/// `first..=last` of `row` (a run entering at `first` counts from `first`).
fn run_starts(row: &[u64], first: usize, last: usize, mut start: impl FnMut(usize)) {
    let mut carry = 0;
    for (i, bits) in words_of(first, last) {
        let set = row[i] & bits;
        // A set bit whose lower neighbour (the previous word's top bit for bit 0)
        // is clear starts a run.
        let starts = set & !((set << 1) | carry);
        carry = set >> (WORD - 1);
        bits::set_bits(starts).for_each(|bit| start(i * WORD + bit));
    }
}

#[cfg(test)]
mod tests {
    use rayon::prelude::*;

    use super::*;
    use crate::bin::Grid;

    /// Checks the star mask of a grid drawn as text (`#`: star light, `.`: sky)
    /// with candidates at the given binned pixels against a plain breadth-first
    /// fill of the same regions, grown by `MASK_GROW`.
    fn check(picture: &[&str], seeds: &[(usize, usize)]) {
        let (w, h) = (picture[0].len(), picture.len());
        let data: Vec<f32> =
            picture.iter().flat_map(|row| row.bytes().map(|b| if b == b'#' { 10.0 } else { 0.0 })).collect();
        check_grid(&Grid { data, width: w, height: h }, seeds);
    }

    /// Checks the star mask of an S/N grid with candidates at the given binned
    /// pixels against a plain breadth-first fill of the same regions, grown by
    /// `MASK_GROW`.
    fn check_grid(snr: &Grid, seeds: &[(usize, usize)]) {
        let (w, h) = (snr.width, snr.height);
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
        // Light and mask in used buffers: their old contents do not show.
        let mut light = BitGrid::sized(vec![u64::MAX; 5], w, h);
        light.rows_mut(1).zip(snr.data.par_chunks(w)).for_each(|(bits, row)| light_bits(row, bits));
        let mut mask = vec![true; 3];
        star_mask(&mut light, &candidates, &mut mask);
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

    #[test]
    fn star_mask_of_random_blobs_across_words() {
        // Widths around whole words; blobs of light everywhere, some seeded.
        let mut x = 99u32;
        let mut random = move |n: u32| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (x >> 8) % n
        };
        for (w, h) in [(64, 40), (130, 33), (191, 64), (7, 9)] {
            let data: Vec<f32> = (0..w * h).map(|_| if random(100) < 45 { 3.0 } else { 1.0 }).collect();
            let seeds: Vec<(usize, usize)> = (0..w * h)
                .filter(|&i| data[i] > MASK_NSIGMA && random(20) == 0)
                .map(|i| (i % w, i / w))
                .collect();
            check_grid(&Grid { data, width: w, height: h }, &seeds);
        }
    }
}
