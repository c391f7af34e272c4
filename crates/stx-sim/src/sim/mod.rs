//! The simulated STX camera: [`SimCamera`] implements [`Camera`](crate::Camera) with
//! three independent CCD state machines, a cooler, a filter wheel, guide relays and AO on
//! one clock, keeps its "flash" settings on disk, and misbehaves on demand through
//! [`Faults`].

mod camera;
mod cooler;
mod exposure;
mod faults;
mod filter_wheel;
mod flash;
pub mod guiding;
mod lazy_frame;

use std::path::PathBuf;

pub use camera::{PENDING_FRAMES_MAX, SimCamera, SimConfig};
pub use faults::{FaultSet, Faults};
pub use flash::FLASH_FILE_NAME;

/// Why a simulated camera could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The data directory for the camera's flash could not be created.
    #[error("cannot use data directory {}: {source}", path.display())]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}
