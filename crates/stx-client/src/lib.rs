//! A client for any camera that speaks the SBIG STX HTTP Camera API, real or simulated.
//!
//! [`Client`] makes every call of the spec with typed values and typed errors (the
//! camera's `0x8000…` codes become [`ErrorKind::Camera`] with the camera's text). It
//! talks the way the camera's makers ask: HTTP/1.0, one command at a time, starts at
//! least 50 ms apart ([`ClientConfig::min_interval`]), a timeout on every exchange, and
//! retries only for calls that change nothing (never a start-exposure). Downloads stream
//! to a file with progress and are checked against their announced length.
//!
//! [`RemoteCamera`] puts a `Client` behind the `stx_camera::Camera` trait.

mod client;
mod error;
mod http;
mod pacer;
mod remote;

pub use client::{Answer, Client, ClientConfig, Download, MAX_DOWNLOAD_BYTES, MAX_VALUES_BYTES};
pub use error::{Error, ErrorKind};
pub use http::{MIN_BODY_RATE, Timeouts};
pub use remote::RemoteCamera;
