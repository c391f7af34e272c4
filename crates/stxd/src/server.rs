//! Start-up and shutdown: binds the ports, builds the camera, runs the fronts.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use stx_camera::Clock;
use stx_camera::preset::ModelPreset;
use stx_camera::sim::{SimCamera, SimConfig};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::backend::Backend;

/// The seed a new user gets: fixed, so two runs show the same sky.
pub const DEFAULT_SEED: u64 = 16803;

/// What stxd runs with.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where the STX API listens.
    pub stx_listen: SocketAddr,
    /// Where the v2 API listens.
    pub api_listen: SocketAddr,
    /// Where the camera's flash settings, FITS files and history live.
    pub data_dir: PathBuf,
    /// A built-in model name or the path of a preset file.
    pub model: String,
    /// Seed of the simulated sky and noise.
    pub seed: u64,
}

/// Why stxd could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The model preset could not be had.
    #[error(transparent)]
    Preset(#[from] stx_camera::preset::PresetError),
    /// The data directory could not be created.
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A port could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The simulated camera could not be built.
    #[error(transparent)]
    Camera(#[from] stx_camera::sim::SimError),
}

/// A running stxd.
#[derive(Debug)]
pub struct Stxd {
    stx_addr: SocketAddr,
    backend: Arc<Backend>,
    shutdown: watch::Sender<bool>,
    stx_task: JoinHandle<()>,
}

impl Stxd {
    /// Builds the simulated camera on `clock` and starts serving.
    pub async fn start(config: &Config, clock: Arc<dyn Clock>) -> Result<Stxd, StartError> {
        let preset = ModelPreset::resolve(&config.model)?;
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|source| StartError::DataDir { path: config.data_dir.clone(), source })?;
        let sim = SimCamera::new(SimConfig {
            preset,
            seed: config.seed,
            data_dir: Some(config.data_dir.clone()),
            clock,
        })?;
        let backend = Arc::new(Backend::simulated(Arc::new(sim)));
        let listener = TcpListener::bind(config.stx_listen)
            .await
            .map_err(|source| StartError::Bind { addr: config.stx_listen, source })?;
        let stx_addr =
            listener.local_addr().map_err(|source| StartError::Bind { addr: config.stx_listen, source })?;
        let (shutdown, stop) = watch::channel(false);
        let stx_task = tokio::spawn(crate::stx_http::serve(listener, backend.clone(), stop));
        Ok(Stxd { stx_addr, backend, shutdown, stx_task })
    }

    /// Where the STX API listens (the bound port when 0 was asked for).
    pub fn stx_addr(&self) -> SocketAddr {
        self.stx_addr
    }

    /// The camera and its controls.
    pub fn backend(&self) -> &Arc<Backend> {
        &self.backend
    }

    /// Stops accepting, lets requests under way finish, and returns.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.stx_task.await;
    }
}
