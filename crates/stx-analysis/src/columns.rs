//! Step 8: the column profile — how far the brightest column's mean stands above
//! the typical (median) column's. A hot or bleeding column, or a satellite trail
//! along the columns, raises one column over the whole frame height, where a star
//! adds its flux to a few columns only.

use rayon::prelude::*;

use crate::frame::{Frame, Pixel};

/// Rows summed in `f32` before the sums move to `f64`: 64 × 65 535 stays below
/// 2²⁴, so integer frames sum exactly.
const BAND_ROWS: usize = 64;

/// The brightest column's mean minus the median of the column means, in pixel
/// units; 0 for a uniform frame.
pub(crate) fn column_excess<P: Pixel>(frame: &Frame<'_, P>) -> f64 {
    let width = frame.width();
    let sums = frame
        .pixels()
        .par_chunks(BAND_ROWS * width)
        .map(|band| {
            let mut partial = vec![0.0f32; width];
            for row in band.chunks_exact(width) {
                for (s, p) in partial.iter_mut().zip(row) {
                    *s += p.value();
                }
            }
            partial.into_iter().map(f64::from).collect::<Vec<f64>>()
        })
        .reduce(
            || vec![0.0; width],
            |mut a, b| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                a
            },
        );
    let mut means: Vec<f64> = sums.iter().map(|s| s / frame.height() as f64).collect();
    means.sort_by(f64::total_cmp);
    let median = (means[(width - 1) / 2] + means[width / 2]) / 2.0;
    means[width - 1] - median
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bright_column_stands_out_and_a_uniform_frame_does_not() {
        let (w, h) = (50, 130);
        let mut pixels = vec![1000u16; w * h];
        assert_eq!(column_excess(&Frame::new(&pixels, w, h).unwrap()), 0.0);
        // A star: 9 pixels of +2600 over 3 columns adds 3 × 2600 / 130 = 60 each.
        for (x, y) in
            [(10, 20), (11, 20), (12, 20)].into_iter().flat_map(|(x, y)| [(x, y), (x, y + 1), (x, y + 2)])
        {
            pixels[y * w + x] += 2600;
        }
        assert_eq!(column_excess(&Frame::new(&pixels, w, h).unwrap()), 60.0);
        // A hot column of +500 from row 30 down: 100 rows, 500 × 100 / 130.
        for y in 30..h {
            pixels[y * w + 40] += 500;
        }
        let excess = column_excess(&Frame::new(&pixels, w, h).unwrap());
        assert!((excess - 500.0 * 100.0 / 130.0).abs() < 1e-9, "{excess}");
    }
}
