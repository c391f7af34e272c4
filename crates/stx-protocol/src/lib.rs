//! The vocabulary of the SBIG STX HTTP Camera API (v1.00.1): which calls exist, what
//! their parameters mean and accept, the camera's error codes and texts, and how
//! replies are written. Server and client both speak through this crate, so they cannot
//! disagree about the wire.
//!
//! Requests are read in two stages, as hyper and axum do: [`request::RawRequest`] splits
//! a request target into a resource name and percent-decoded parameters (nothing else
//! is checked), then [`command::Command::parse`] turns that into a typed call whose
//! values are already in range. Both stages are pure functions of strings.
//!
//! The camera's own web pages (`/index.html`, `/setup.html`, …) are named in [`page`],
//! read in the same two stages.
//!
//! This crate does no I/O.

mod ccd;
pub mod command;
pub mod encode;
mod error;
mod exposure;
mod filter;
mod fits_settings;
mod guiding;
pub mod page;
pub mod reply;
pub mod request;
mod settings;
mod values;

pub use ccd::Ccd;
pub use error::StxError;
pub use exposure::ExposureRequest;
pub use filter::{FilterKey, FilterWheelStatus};
pub use fits_settings::{FitsChange, FitsKey, FitsSettings};
pub use guiding::{PulseRequest, RelayStatus};
pub use settings::{
    Binning, CcdSettings, CoolerStatus, FanMode, FanStatus, SET_ORDER, SensorInfo, SettingChange, SettingKey,
    SettingsUpdate, Subframe,
};
pub use values::{
    AoPosition, CcdState, ExposureDuration, FilterName, FilterSlot, FilterWheelState, FitsText, FrameType,
    ObsDateTime, Pulse, PulseDuration, Relay,
};
