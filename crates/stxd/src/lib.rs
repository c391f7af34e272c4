//! `stxd`, the camera server: the STX HTTP Camera API, byte for byte, in front of a
//! simulated STX camera.
//!
//! Data flow of one STX request: [`stx_http`] (hyper, HTTP/1.0 framing) →
//! [`front`] (`RawRequest` → `Command` → one `Camera` call → `Reply`) → back out.
//! `/sim/…` paths on the same port drive the simulator's faults ([`sim_control`]); the
//! camera's own web pages (`/index.html`, `/setup.html`, …) are [`pages`].
//!
//! Data flow of one frame: the camera reports it finished → [`pipeline`] measures it
//! (`stx-analysis`), writes it as FITS and records it (`stx-history`), then announces it
//! to the [`v2`] API's WebSocket clients.

mod alpaca;
pub mod backend;
pub mod connections;
mod dashboard;
pub mod data_lock;
pub mod front;
pub mod host_check;
mod hyper_errors;
pub mod pages;
pub mod pipeline;
mod preview_limit;
pub mod proxy;
mod recovery;
pub mod server;
mod sim_control;
mod stretch;
mod stx_http;
#[cfg(test)]
mod test_frame;
#[cfg(feature = "testing")]
pub mod testing;
pub mod v2;
