//! The one FITS module: encoding a finished frame as the camera's `Imager.FIT` download
//! gives it (`encode`), and reading the primary image of any FITS file (`decode`),
//! side by side so that what one writes the other reads back.

mod decode;
mod encode;

pub use decode::{FitsImage, Pixels, ReadError, ReadErrorKind, read};
pub use encode::{FitsHeader, encode};
