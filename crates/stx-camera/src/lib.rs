//! The seam: an STX camera as the server sees it. The [`Camera`] trait every camera
//! implements, the [`Frame`] a finished exposure yields, and its FITS encoding and
//! decoding. The simulated camera lives in `stx-sim`; this crate knows no camera.

mod camera;
pub mod fits;
mod frame;

pub use camera::{Camera, Error, ErrorKind, Versions};
pub use frame::{FinishedFrame, Frame, FrameMeta, PixelPoint, PixelSize};
