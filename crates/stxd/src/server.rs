//! Start-up and shutdown: builds the camera, opens and repairs the history, binds the
//! ports, runs the STX front, the v2 API and the frame pipeline.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use stx_client::{Client, RemoteCamera};
use stx_history::History;
use stx_sim::Clock;
use stx_sim::preset::ModelPreset;
use stx_sim::sim::{SimCamera, SimConfig};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::backend::Backend;
use crate::data_lock::{DataLock, LockError};
use crate::pipeline::Pipeline;
use crate::proxy::Proxy;
use crate::v2::{EventBus, V2State};

pub use crate::sim_control::StartFault;

/// The seed a new user gets: fixed, so two runs show the same sky.
pub const DEFAULT_SEED: u64 = 16803;

/// What stxd runs with.
#[derive(Clone, Debug)]
pub struct Config {
    /// Address of the STX HTTP Camera API.
    pub stx_listen: SocketAddr,
    /// Address of the v2 (image history) API.
    pub api_listen: SocketAddr,
    /// Address of the ASCOM Alpaca face; `None` serves none.
    pub alpaca_listen: Option<SocketAddr>,
    /// The UDP port Alpaca discovery is answered on (shared with other Alpaca servers;
    /// 0 for any); `None` answers none. Only with the Alpaca face.
    pub alpaca_discovery_port: Option<u16>,
    /// Where the camera's flash settings, FITS files and history live.
    pub data_dir: PathBuf,
    /// A built-in model name or the path of a preset file.
    pub model: String,
    /// Seed of the simulated sky and noise.
    pub seed: u64,
    /// A real camera to front (`http://HOST[:PORT]`) instead of the simulated one.
    pub camera: Option<String>,
    /// Faults the simulated camera starts with, in force before the first request.
    pub faults: Vec<StartFault>,
    /// Rebuild the history's database from the image files before starting: the
    /// damaged one is set aside and every file measured again.
    pub rebuild_history: bool,
    /// The deadlines of client connections on both ports.
    pub timeouts: crate::connections::Timeouts,
    /// Host names, besides the addresses stxd listens on, that requests may name in
    /// their `Host` header (the name of this machine as clients reach it).
    pub allowed_hosts: Vec<String>,
}

impl Default for Config {
    /// The `stxd` command's defaults: loopback ports 8080, 1888 and Alpaca's 11111, `./stxd-data`,
    /// the simulated STX-16803.
    fn default() -> Config {
        Config {
            stx_listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            api_listen: SocketAddr::from(([127, 0, 0, 1], 1888)),
            alpaca_listen: Some(SocketAddr::from(([127, 0, 0, 1], 11111))),
            alpaca_discovery_port: Some(32227),
            data_dir: PathBuf::from("./stxd-data"),
            model: "stx-16803".to_owned(),
            seed: DEFAULT_SEED,
            camera: None,
            faults: Vec::new(),
            rebuild_history: false,
            timeouts: crate::connections::Timeouts::default(),
            allowed_hosts: Vec::new(),
        }
    }
}

/// Why stxd could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The model preset could not be had.
    #[error(transparent)]
    Preset(#[from] stx_sim::preset::PresetError),
    /// The data directory could not be created.
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Another stxd holds the data directory, or it cannot be locked.
    #[error(transparent)]
    DataLock(#[from] LockError),
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
    Camera(#[from] stx_sim::sim::SimError),
    /// The real camera's address is not usable.
    #[error(transparent)]
    CameraUrl(#[from] stx_client::Error),
    /// The image history could not be opened or repaired.
    #[error("image history: {0}")]
    History(#[from] stx_history::Error),
    /// The history's database is damaged: stxd will not run on it (new frames would
    /// be lost), and the way out is a rebuild from the image files.
    #[error(
        "the image history's database {path} is damaged ({source}). The FITS files under images/ are the \
         source of truth: start stxd once with --rebuild-history to set the damaged database aside and \
         rebuild it from them (each file is measured again)",
        path = path.display()
    )]
    HistoryDamaged {
        /// The database file.
        path: PathBuf,
        /// What SQLite found.
        source: stx_history::Error,
    },
    /// The Alpaca face's state file (UniqueIDs, focus offsets) could not be read or
    /// written.
    #[error("cannot keep the Alpaca devices' state in {path}: {source}")]
    AlpacaState {
        /// The data directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Start-up faults were asked of a real camera.
    #[error("faults can be set on the simulated camera only, not with a real camera")]
    FaultsNeedSimulator,
}

/// A running stxd.
#[derive(Debug)]
pub struct Stxd {
    stx_addr: SocketAddr,
    api_addr: SocketAddr,
    alpaca_addr: Option<SocketAddr>,
    discovery_addr: Option<SocketAddr>,
    backend: Arc<Backend>,
    history: Arc<History>,
    pipeline: Arc<Pipeline>,
    /// Stops the STX front and the v2 API.
    stop_fronts: watch::Sender<bool>,
    /// Stops the pipeline, once the fronts are stopped.
    stop_pipeline: watch::Sender<bool>,
    fronts: Vec<JoinHandle<()>>,
    pipeline_task: JoinHandle<()>,
    /// Held until the pipeline's last frame is stored.
    data_lock: DataLock,
}

impl Stxd {
    /// Builds the camera (simulated on `clock`, or the real one `config.camera` names)
    /// and starts serving. A real camera that does not answer yet is no reason not to
    /// start: requests get a clear error until it does.
    pub async fn start(config: &Config, clock: Arc<dyn Clock>) -> Result<Stxd, StartError> {
        if config.camera.is_some() && !config.faults.is_empty() {
            return Err(StartError::FaultsNeedSimulator);
        }
        // The model first: a bad one is refused before the data directory is made.
        let camera = match &config.camera {
            Some(url) => Behind::Real(url),
            None => Behind::Simulated(Box::new(ModelPreset::resolve(&config.model)?)),
        };
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|source| StartError::DataDir { path: config.data_dir.clone(), source })?;
        // Before anything reads or repairs the directory: a second stxd must not touch it.
        let data_lock = DataLock::acquire(&config.data_dir)?;
        let backend = Arc::new(match camera {
            Behind::Real(url) => {
                let remote = RemoteCamera::new(Client::new(url)?);
                Backend::proxied(Proxy::new(Arc::new(remote)))
            }
            Behind::Simulated(preset) => {
                let sim = SimCamera::new(SimConfig {
                    preset: *preset,
                    seed: config.seed,
                    data_dir: Some(config.data_dir.clone()),
                    clock,
                })?;
                for fault in &config.faults {
                    crate::sim_control::apply_start_fault(&sim.faults(), fault);
                }
                Backend::simulated(Arc::new(sim))
            }
        });
        let history = Arc::new(open_history(config)?);
        let events = Arc::new(EventBus::default());
        let pipeline = Arc::new(Pipeline::new(
            backend.camera.clone(),
            history.clone(),
            events.clone(),
            backend.drain_interval(),
        ));
        let stx_listener = bind(config.stx_listen).await?;
        let api_listener = bind(config.api_listen).await?;
        let stx_addr = local_addr(&stx_listener, config.stx_listen)?;
        let api_addr = local_addr(&api_listener, config.api_listen)?;
        let alpaca = match config.alpaca_listen {
            Some(addr) => {
                let state = crate::alpaca::AlpacaState::new(backend.camera.clone(), &config.data_dir)
                    .map_err(|source| StartError::AlpacaState { path: config.data_dir.clone(), source })?;
                let listener = bind(addr).await?;
                let bound = local_addr(&listener, addr)?;
                Some((listener, bound, state))
            }
            None => None,
        };
        let alpaca_addr = alpaca.as_ref().map(|(_, addr, _)| *addr);
        let discovery = match (alpaca_addr, config.alpaca_discovery_port) {
            // Discovery is a convenience: clients given the address work without it, so a
            // port another program holds unshared is no reason not to start.
            (Some(alpaca), Some(port)) => {
                match crate::alpaca::Discovery::bind(port, alpaca)
                    .and_then(|d| d.local_addr().map(|a| (d, a)))
                {
                    Ok(bound) => Some(bound),
                    Err(e) => {
                        tracing::warn!("Alpaca discovery not answered: cannot bind UDP port {port}: {e}");
                        None
                    }
                }
            }
            _ => None,
        };
        let discovery_addr = discovery.as_ref().map(|(_, addr)| *addr);
        let (stop_fronts, fronts_stop) = watch::channel(false);
        let (stop_pipeline, pipeline_stop) = watch::channel(false);
        let v2 = V2State {
            history: history.clone(),
            events,
            pipeline: pipeline.clone(),
            camera: backend.camera.clone(),
            thumbnails: Arc::default(),
            exposure_end: Arc::default(),
        };
        let fd_limit = crate::connections::raise_fd_limit();
        let limits = crate::connections::Limits {
            cap: crate::connections::per_port_cap(fd_limit),
            timeouts: config.timeouts,
        };
        tracing::debug!(fd_limit, per_port = limits.cap, "connection limits");
        let hosts = Arc::new(crate::host_check::AllowedHosts::new(&config.allowed_hosts));
        let mut fronts = vec![
            tokio::spawn(crate::stx_http::serve(
                stx_listener,
                backend.clone(),
                limits,
                hosts.clone(),
                fronts_stop.clone(),
            )),
            tokio::spawn(crate::v2::serve(api_listener, v2, limits, hosts.clone(), fronts_stop.clone())),
        ];
        if let Some((listener, _, state)) = alpaca {
            fronts.push(tokio::spawn(crate::alpaca::serve(
                listener,
                state,
                limits,
                hosts,
                fronts_stop.clone(),
            )));
        }
        if let Some((discovery, _)) = discovery {
            fronts.push(tokio::spawn(discovery.serve(fronts_stop)));
        }
        let pipeline_task = tokio::spawn(pipeline.clone().run(pipeline_stop));
        Ok(Stxd {
            stx_addr,
            api_addr,
            alpaca_addr,
            discovery_addr,
            backend,
            history,
            pipeline,
            stop_fronts,
            stop_pipeline,
            fronts,
            pipeline_task,
            data_lock,
        })
    }

    /// Where the STX API listens (the bound port when 0 was asked for).
    pub fn stx_addr(&self) -> SocketAddr {
        self.stx_addr
    }

    /// Where the v2 API listens.
    pub fn api_addr(&self) -> SocketAddr {
        self.api_addr
    }

    /// Where the ASCOM Alpaca face listens, if it is served.
    pub fn alpaca_addr(&self) -> Option<SocketAddr> {
        self.alpaca_addr
    }

    /// Where Alpaca discovery is answered, if it is.
    pub fn alpaca_discovery_addr(&self) -> Option<SocketAddr> {
        self.discovery_addr
    }

    /// The camera and its controls.
    pub fn backend(&self) -> &Arc<Backend> {
        &self.backend
    }

    /// The image history.
    pub fn history(&self) -> &Arc<History> {
        &self.history
    }

    /// The frame pipeline (tests drain it after moving a manual clock).
    pub fn pipeline(&self) -> &Arc<Pipeline> {
        &self.pipeline
    }

    /// Stops accepting, lets requests under way finish, keeps the frames finished so
    /// far, and returns.
    pub async fn shutdown(self) {
        // Fronts first: once no client can finish another frame, the pipeline's last
        // drains keep every frame a client saw finish.
        let _ = self.stop_fronts.send(true);
        for task in self.fronts {
            let _ = task.await;
        }
        let _ = self.stop_pipeline.send(true);
        let _ = self.pipeline_task.await;
        drop(self.data_lock);
    }
}

/// The camera stxd fronts, as chosen before anything is made.
enum Behind<'a> {
    /// A real camera at this URL.
    Real(&'a str),
    /// The simulated camera of this model.
    Simulated(Box<ModelPreset>),
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, StartError> {
    TcpListener::bind(addr).await.map_err(|source| StartError::Bind { addr, source })
}

fn local_addr(listener: &TcpListener, asked: SocketAddr) -> Result<SocketAddr, StartError> {
    listener.local_addr().map_err(|source| StartError::Bind { addr: asked, source })
}

/// Opens the history under the data directory and repairs what a crash left: temp
/// files go, records without a file go, files without a record are measured again and
/// recorded.
fn open_history(config: &Config) -> Result<History, StartError> {
    if config.rebuild_history {
        let suffix = format!("damaged-{}", chrono::Local::now().format("%Y%m%dT%H%M%S"));
        if let Some(aside) = History::set_database_aside(&config.data_dir, &suffix)? {
            tracing::warn!(
                "history database set aside as {}; rebuilding it from the image files",
                aside.display()
            );
        }
    }
    let history = History::open(&config.data_dir).map_err(|source| match source.kind() {
        stx_history::ErrorKind::Corrupt { .. } => {
            StartError::HistoryDamaged { path: History::database_path(&config.data_dir), source }
        }
        _ => StartError::History(source),
    })?;
    let report = history.reconcile()?;
    for temp in &report.removed_temp_files {
        tracing::info!("removed an interrupted write: {temp}");
    }
    for record in &report.removed_records {
        tracing::warn!("history record without its file removed: {}", record.filename);
    }
    for orphan in &report.orphans {
        crate::recovery::adopt_orphan(&history, orphan)?;
    }
    if config.rebuild_history {
        tracing::info!("history rebuilt: {} image files measured again and recorded", report.orphans.len());
    }
    Ok(history)
}
