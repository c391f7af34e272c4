//! The input: a borrowed, row-major frame of `u16` or `f32` pixels.

use crate::error::{Error, ErrorKind};

pub(crate) mod sealed {
    use crate::first_pass;
    use crate::frame::Frame;
    use crate::stats::FrameStats;

    /// The per-type parts of the pipeline, out of reach of other crates.
    pub trait Sealed: Sized {
        /// Whether a value of this type can be NaN or infinite.
        const CAN_BE_NON_FINITE: bool;
        /// Steps 1 and 2: exact statistics of the frame, and, given the binned
        /// grid's elements, the 2×2-binned frame (frames of at least 2×2).
        fn stats_and_bin(frame: &Frame<'_, Self>, binned: Option<&mut [f32]>) -> FrameStats;
    }
    impl Sealed for u16 {
        const CAN_BE_NON_FINITE: bool = false;
        fn stats_and_bin(frame: &Frame<'_, Self>, binned: Option<&mut [f32]>) -> FrameStats {
            first_pass::counted(frame, binned)
        }
    }
    impl Sealed for f32 {
        const CAN_BE_NON_FINITE: bool = true;
        fn stats_and_bin(frame: &Frame<'_, Self>, binned: Option<&mut [f32]>) -> FrameStats {
            first_pass::uncounted(frame, binned)
        }
    }
}

/// A pixel type the analysis accepts: `u16` (camera frames) or `f32` (everything
/// else, converted once by the caller). Sealed: the algorithms read every pixel
/// through [`Pixel::value`], so the two types share one monomorphised pipeline.
pub trait Pixel: Copy + Send + Sync + sealed::Sealed + 'static {
    /// Saturation level assumed when [`Options::saturation`](crate::Options::saturation)
    /// is `None`.
    const DEFAULT_SATURATION: Option<f32>;
    /// The pixel value as `f32`.
    fn value(self) -> f32;
}

impl Pixel for u16 {
    const DEFAULT_SATURATION: Option<f32> = Some(65535.0);
    #[inline(always)]
    fn value(self) -> f32 {
        f32::from(self)
    }
}

impl Pixel for f32 {
    const DEFAULT_SATURATION: Option<f32> = None;
    #[inline(always)]
    fn value(self) -> f32 {
        self
    }
}

/// A frame: `width × height` pixels, row-major, pixel `(x, y)` at `y * width + x`.
/// Positions elsewhere in this crate are in pixels with the centre of pixel
/// `(0, 0)` at `(0.0, 0.0)`.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a, P> {
    pixels: &'a [P],
    width: usize,
    height: usize,
}

impl<'a, P: Pixel> Frame<'a, P> {
    /// Wraps `pixels`; fails if the size is zero or does not match, or (for `f32`)
    /// if a pixel is not finite.
    pub fn new(pixels: &'a [P], width: usize, height: usize) -> Result<Self, Error> {
        if width == 0 || height == 0 {
            return Err(Error::new(ErrorKind::Empty));
        }
        let expected = width.saturating_mul(height);
        if pixels.len() != expected {
            return Err(Error::new(ErrorKind::SizeMismatch { expected, actual: pixels.len() }));
        }
        if P::CAN_BE_NON_FINITE
            && let Some(index) = pixels.iter().position(|p| !p.value().is_finite())
        {
            return Err(Error::new(ErrorKind::NonFinitePixel { index }));
        }
        Ok(Frame { pixels, width, height })
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// All pixels, row-major.
    pub fn pixels(&self) -> &'a [P] {
        self.pixels
    }

    /// Row `y`.
    pub(crate) fn row(&self, y: usize) -> &'a [P] {
        &self.pixels[y * self.width..(y + 1) * self.width]
    }
}
