//! Step 2: the 2×2-binned frame, the working grid of background and detection.
//!
//! Binning averages four pixels: a quarter of the work for every later full-frame
//! step, and a 2-px box filter that is the first half of the matched filter. Stars
//! are still measured on the full-resolution frame. An odd last row or column is
//! left out of the binned grid (it is still measured).

use rayon::prelude::*;

use crate::frame::{Frame, Pixel};

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

/// Averages 2×2 blocks of the frame (width and height at least 2).
pub(crate) fn bin2x2<P: Pixel>(frame: &Frame<'_, P>) -> Grid {
    let (width, height) = (frame.width() / 2, frame.height() / 2);
    let mut data = vec![0.0f32; width * height];
    data.par_chunks_mut(width).enumerate().for_each(|(y, out)| {
        let (top, bottom) = (frame.row(2 * y), frame.row(2 * y + 1));
        for (x, o) in out.iter_mut().enumerate() {
            let s = top[2 * x].value()
                + top[2 * x + 1].value()
                + bottom[2 * x].value()
                + bottom[2 * x + 1].value();
            *o = 0.25 * s;
        }
    });
    Grid { data, width, height }
}
