//! Step 2: the 2×2-binned frame, the working grid of background and detection.
//!
//! Binning averages four pixels: a quarter of the work for every later full-frame
//! step, and a 2-px box filter that is the first half of the matched filter. Stars
//! are still measured on the full-resolution frame. An odd last row or column is
//! left out of the binned grid (it is still measured).

use rayon::prelude::*;

use crate::frame::{FitsU16, Frame, Pixel, fits_u16_level};
use crate::workspace::overwritable;

/// A row-major `f32` image (the binned frame, or a derived one of the same grid).
#[derive(Debug, Clone)]
pub(crate) struct Grid {
    pub(crate) data: Vec<f32>,
    pub(crate) width: usize,
    pub(crate) height: usize,
}

impl Grid {
    pub(crate) fn row(&self, y: usize) -> &[f32] {
        &self.data[y * self.width..(y + 1) * self.width]
    }
}

/// Averages 2×2 blocks of the frame (width and height at least 2), into
/// `buffer`'s allocation.
pub(crate) fn bin2x2<P: Pixel>(frame: &Frame<'_, P>, buffer: Vec<f32>) -> Grid {
    let mut grid = Grid::binning(frame, buffer);
    bin_into(frame, &mut grid.data);
    grid
}

impl Grid {
    /// The grid of `frame` binned 2×2, in `buffer`'s allocation, for a step that
    /// writes every element ([`bin_into`]); until then its values are stale.
    pub(crate) fn binning<P: Pixel>(frame: &Frame<'_, P>, buffer: Vec<f32>) -> Grid {
        let (width, height) = (frame.width() / 2, frame.height() / 2);
        Grid { data: overwritable(buffer, width * height, 0.0), width, height }
    }
}

/// The 2×2-binned `frame` into `binned` (every element written).
pub(crate) fn bin_into<P: Pixel>(frame: &Frame<'_, P>, binned: &mut [f32]) {
    binned.par_chunks_mut(frame.width() / 2).enumerate().for_each(|(y, out)| {
        P::bin_rows(frame.row(2 * y), frame.row(2 * y + 1), out);
    });
}

/// One row of the binned grid from two frame rows: the mean of each 2×2 block.
pub(crate) fn bin_rows<P: Pixel>(top: &[P], bottom: &[P], out: &mut [f32]) {
    // Pairs by `chunks_exact`, not indices: no bounds checks, so the loop vectorises.
    for ((o, t), b) in out.iter_mut().zip(top.chunks_exact(2)).zip(bottom.chunks_exact(2)) {
        *o = 0.25 * (t[0].value() + t[1].value() + b[0].value() + b[1].value());
    }
}

/// [`bin_rows`] for FITS data as stored: two pixels at a time as one big-endian
/// word, whose two levels are summed as integers (exact, as the `f32` sum is).
/// Twice as fast as converting each pixel's bytes on its own.
pub(crate) fn bin_fits_u16_rows(top: &[FitsU16], bottom: &[FitsU16], out: &mut [f32]) {
    // `fits_u16_level` on both halves of the word at once.
    let both_levels = u32::from(fits_u16_level(0)) * 0x1_0001;
    let pair_sum = |pair: &[u8; 4]| {
        let levels = u32::from_be_bytes(*pair) ^ both_levels;
        (levels >> 16) + (levels & 0xffff)
    };
    let (top, _) = top.as_flattened().as_chunks::<4>();
    let (bottom, _) = bottom.as_flattened().as_chunks::<4>();
    for ((o, t), b) in out.iter_mut().zip(top).zip(bottom) {
        *o = 0.25 * (pair_sum(t) + pair_sum(b)) as f32;
    }
}
