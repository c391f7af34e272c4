//! Steps 1 and 2 in one read of the frame: for integer pixels, each pair of rows
//! is counted into the histogram and binned while it is in the cache. Reading a
//! 4096² frame from memory costs about as much as binning it, so a second read
//! (statistics, then binning) would cost that again.

use rayon::prelude::*;

use crate::bin;
use crate::frame::{Frame, Pixel};
use crate::stats::{self, Counts, FrameStats, Histogram};

/// The statistics of an integer frame counted by 16-bit `key` (see
/// [`stats::stats_by_key`]), and, given its grid, the 2×2-binned frame (every
/// element written; frames of at least 2×2).
pub(crate) fn counted<P: Pixel>(
    frame: &Frame<'_, P>,
    binned: Option<&mut [f32]>,
    key: impl Fn(P) -> u16 + Sync,
    level_of_key: impl Fn(u16) -> u16,
) -> FrameStats {
    let Some(binned) = binned else {
        return stats::stats_by_key(frame.pixels(), key, level_of_key);
    };
    let mut counts = binned
        .par_chunks_mut(frame.width() / 2)
        .enumerate()
        .fold(Counts::new, |mut counts, (y, out)| {
            let (top, bottom) = (frame.row(2 * y), frame.row(2 * y + 1));
            counts.add(top, &key);
            counts.add(bottom, &key);
            P::bin_rows(top, bottom, out);
            counts
        })
        .map(Counts::total)
        .reduce_with(stats::add_counts)
        .unwrap_or_else(|| vec![0; 1 << 16]);
    // The binned grid leaves out an odd last row; the statistics do not.
    if frame.height() % 2 == 1 {
        let mut last = Counts::new();
        last.add(frame.row(frame.height() - 1), &key);
        counts = stats::add_counts(counts, last.total());
    }
    stats::stats_of(&Histogram::from_keyed(counts, level_of_key))
}

/// The statistics of a floating-point frame and, given its grid, the binned
/// frame: two passes (the median needs a selection over all pixels anyway).
pub(crate) fn uncounted(frame: &Frame<'_, f32>, binned: Option<&mut [f32]>) -> FrameStats {
    if let Some(binned) = binned {
        bin::bin_into(frame, binned);
    }
    stats::stats_f32(frame.pixels())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bin::{Grid, bin2x2};

    /// The one pass gives the statistics and the grid the two passes give.
    fn check(width: usize, height: usize) {
        let mut x = 7u32;
        let pixels: Vec<u16> = (0..width * height)
            .map(|_| {
                x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (x >> 20) as u16
            })
            .collect();
        let frame = Frame::new(&pixels, width, height).unwrap();
        // A used buffer: stale values must all be overwritten.
        let mut grid = Grid::binning(&frame, vec![f32::NAN; width * height]);
        let identity = |v| v;
        assert_eq!(
            counted(&frame, Some(&mut grid.data), identity, identity),
            stats::stats_of(&Histogram::of_u16(&pixels)),
            "{width}×{height}"
        );
        assert_eq!(grid.data, bin2x2(&frame, Vec::new()).data, "{width}×{height}");
        assert_eq!(counted(&frame, None, identity, identity), stats::stats_of(&Histogram::of_u16(&pixels)));
    }

    #[test]
    fn one_pass_equals_statistics_then_binning() {
        check(64, 48);
        check(65, 47);
        check(2, 3);
        check(1001, 777);
    }
}
