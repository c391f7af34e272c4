//! The simulated STX camera behind the seam's [`Camera`] trait: the one [`Clock`] all
//! its behaviour reads, model presets, the CCD state machines and faults (`sim`), and
//! the physical renderer (`render`).

mod clock;
pub mod durable;
pub mod preset;
pub mod render;
pub mod sim;

// The seam's types, under the names the simulator's modules use.
use stx_camera::{Camera, Error, ErrorKind, FinishedFrame, Frame, FrameMeta, Versions};

pub use clock::{Clock, ManualClock, ScaledClock, SimTime};
pub use sim::{Faults, SimCamera, SimConfig, SimError};
