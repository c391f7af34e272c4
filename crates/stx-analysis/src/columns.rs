//! Step 8: the column profile — how far the highest column stands above the
//! typical column, in robust σ of the columns. Each column's level is the median
//! of its pixels on [`SAMPLED_ROWS`] rows spread over the frame: a hot or bleeding
//! column, or a satellite trail along the columns, raises one column's median; a
//! star, which covers a few rows only, does not. In units of the columns' own
//! scatter, a clean frame reads about 3–4 (the highest of some thousand noisy
//! medians) whatever its sky and noise, and a bad column stands out by its
//! contrast, not by the sky it sits on.
//!
//! Measured on the 2×2-binned grid: half the columns to take medians of, and no
//! less sensitive. A hot column raises its binned column by half its excess, but
//! the binned pixels' noise is half the frame's too (white noise), so its
//! contrast in σ is the same. (An odd last frame column, outside the grid, is not
//! profiled.)

use rayon::prelude::*;

use crate::bin::Grid;

/// Rows whose pixels make a column's median: enough that its noise is a twentieth
/// of the pixel noise (1.25 σ / √512), few enough to cost a millisecond or two.
const SAMPLED_ROWS: usize = 512;
/// Columns whose sampled pixels are gathered together (a block of 16 × 512 values
/// is 32 KiB, within the first-level cache).
const COLUMN_BLOCK: usize = 16;
/// MAD × this is the σ of a normal distribution.
const MAD_TO_SIGMA: f32 = 1.4826;
/// Least scatter (pixel units) the excess is measured in: integer frames with
/// little noise have column medians that differ by whole levels or not at all.
const MIN_SPREAD: f32 = 0.5;

/// The highest column median minus the median of the column medians, over their
/// robust σ (1.4826 × MAD, at least [`MIN_SPREAD`]); 0 for a uniform frame.
pub(crate) fn column_excess(grid: &Grid) -> f64 {
    let (width, height) = (grid.width, grid.height);
    let step = height.div_ceil(SAMPLED_ROWS).max(1);
    let rows: Vec<&[f32]> = (0..height).step_by(step).map(|y| grid.row(y)).collect();
    let mut levels = vec![0.0f32; width];
    levels.par_chunks_mut(COLUMN_BLOCK).enumerate().for_each_init(
        || (Vec::new(), Vec::new()),
        |(block, column), (b, out)| {
            // The block's columns side by side, row after row: each sampled row is
            // read once, in order, instead of a cache line per row per column.
            let (x0, n) = (b * COLUMN_BLOCK, out.len());
            block.clear();
            for row in &rows {
                // A whole block as an array: copied inline, not by a call per row.
                match <&[f32; COLUMN_BLOCK]>::try_from(&row[x0..x0 + n]) {
                    Ok(whole) => block.extend_from_slice(whole),
                    Err(_) => block.extend_from_slice(&row[x0..x0 + n]),
                }
            }
            for (i, level) in out.iter_mut().enumerate() {
                column.clear();
                column.extend(block.iter().skip(i).step_by(n));
                let mid = column.len() / 2;
                *level = *column.select_nth_unstable_by(mid, f32::total_cmp).1;
            }
        },
    );
    let highest = levels.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let median = *levels.select_nth_unstable_by(width / 2, f32::total_cmp).1;
    let mut deviations: Vec<f32> = levels.iter().map(|l| (l - median).abs()).collect();
    let mad = *deviations.select_nth_unstable_by(width / 2, f32::total_cmp).1;
    f64::from((highest - median) / (MAD_TO_SIGMA * mad).max(MIN_SPREAD))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hot_column_stands_out_and_stars_and_uniform_frames_do_not() {
        let (w, h) = (50, 130);
        // Columns at 1000, 1001, 1002 in turn: median 1001, MAD 1.
        let mut pixels: Vec<f32> = (0..w * h).map(|i| 1000.0 + (i % w % 3) as f32).collect();
        let excess = |p: &[f32]| column_excess(&Grid { data: p.to_vec(), width: w, height: h });
        assert!((excess(&pixels) - 1.0 / 1.4826).abs() < 1e-6);
        assert_eq!(excess(&vec![1000.0; w * h]), 0.0);
        // A bright star over 5 rows and columns: no column's median moves.
        for (x, y) in (10..15).flat_map(|x| (20..25).map(move |y| (x, y))) {
            pixels[y * w + x] += 30_000.0;
        }
        assert!((excess(&pixels) - 1.0 / 1.4826).abs() < 1e-6);
        // A hot column of +300 on a 1000 column, from row 30 down (most of the frame).
        for y in 30..h {
            pixels[y * w + 39] += 300.0;
        }
        assert!((excess(&pixels) - 299.0 / 1.4826).abs() < 1e-3, "{}", excess(&pixels));
    }
}
