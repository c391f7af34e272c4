//! An STX camera as the server sees it: the [`Camera`] trait every camera implements,
//! the [`Frame`] a finished exposure yields and its FITS encoding, the one [`Clock`]
//! all camera behaviour reads, model presets, and the simulated camera.

mod camera;
mod clock;
pub mod fits;
pub mod fits_read;
mod frame;
pub mod preset;
pub mod render;
pub mod sim;

pub use camera::{Camera, Error, ErrorKind, Versions};
pub use clock::{Clock, ManualClock, ScaledClock, SimTime};
pub use frame::{FinishedFrame, Frame, FrameMeta};
pub use sim::{Faults, SimCamera, SimConfig, SimError};
