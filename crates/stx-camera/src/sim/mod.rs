//! The simulated STX camera.

pub mod guiding;
