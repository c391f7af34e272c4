//! The input: a borrowed, row-major frame of `u16` or `f32` pixels, or of a FITS
//! file's 16-bit unsigned data as stored ([`FitsU16`]).

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
        /// One row of the binned grid from two frame rows: the mean of each 2×2 block.
        fn bin_rows(top: &[Self], bottom: &[Self], out: &mut [f32]);
    }
    impl Sealed for u16 {
        const CAN_BE_NON_FINITE: bool = false;
        fn stats_and_bin(frame: &Frame<'_, Self>, binned: Option<&mut [f32]>) -> FrameStats {
            first_pass::counted(frame, binned, |v| v, |v| v)
        }
        fn bin_rows(top: &[Self], bottom: &[Self], out: &mut [f32]) {
            crate::bin::bin_rows(top, bottom, out);
        }
    }
    impl Sealed for f32 {
        const CAN_BE_NON_FINITE: bool = true;
        fn stats_and_bin(frame: &Frame<'_, Self>, binned: Option<&mut [f32]>) -> FrameStats {
            first_pass::uncounted(frame, binned)
        }
        fn bin_rows(top: &[Self], bottom: &[Self], out: &mut [f32]) {
            crate::bin::bin_rows(top, bottom, out);
        }
    }
    impl Sealed for super::FitsU16 {
        const CAN_BE_NON_FINITE: bool = false;
        fn stats_and_bin(frame: &Frame<'_, Self>, binned: Option<&mut [f32]>) -> FrameStats {
            // Counted by the stored value, which reads as fast as a `u16`.
            first_pass::counted(frame, binned, u16::from_be_bytes, super::fits_u16_level)
        }
        fn bin_rows(top: &[Self], bottom: &[Self], out: &mut [f32]) {
            crate::bin::bin_fits_u16_rows(top, bottom, out);
        }
    }
}

/// A pixel of 16-bit unsigned data as a FITS file stores it (BITPIX 16, BZERO
/// 32768: every camera frame): two bytes, big-endian, the level offset by −32768.
/// A frame of these is the file's data in place ([`Frame::from_fits_u16`]); each
/// pixel is converted where it is read, and no decoded copy of the frame is made.
pub type FitsU16 = [u8; 2];

/// The level of a [`FitsU16`] from its stored value (`u16::from_be_bytes`): the
/// stored `level − 32768` is the level with its top bit flipped.
#[inline(always)]
pub(crate) fn fits_u16_level(stored: u16) -> u16 {
    stored ^ 0x8000
}

/// A pixel type the analysis accepts: `u16` (camera frames), [`FitsU16`] (camera
/// frames in a FITS file's bytes) or `f32` (everything else, converted once by the
/// caller). Sealed: the algorithms read every pixel through [`Pixel::value`], so
/// the types share one pipeline, monomorphised for each.
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

impl Pixel for FitsU16 {
    const DEFAULT_SATURATION: Option<f32> = Some(65535.0);
    #[inline(always)]
    fn value(self) -> f32 {
        f32::from(fits_u16_level(u16::from_be_bytes(self)))
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

impl<'a> Frame<'a, FitsU16> {
    /// A frame over the data of a FITS file's 16-bit unsigned image (BITPIX 16,
    /// BZERO 32768, BSCALE 1) as stored: `data` is the data unit, `width × height`
    /// pixels of two bytes each (anything after them is the unit's padding).
    pub fn from_fits_u16(data: &'a [u8], width: usize, height: usize) -> Result<Self, Error> {
        let (pixels, _) = data.as_chunks::<2>();
        let pixels = pixels.get(..width.saturating_mul(height)).unwrap_or(pixels);
        Frame::new(pixels, width, height)
    }
}
