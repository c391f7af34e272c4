//! An in-process stxd for tests (feature `testing`), as axum's `TestClient` is for
//! axum: a real server on loopback ports, a fresh data directory, its own runtime,
//! stopped when dropped. The tests of `stxd`, `stx-client` and `stx` all start it here.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use stx_sim::Clock;
use stx_sim::sim::Faults;
use tempfile::TempDir;
use tokio::runtime::Runtime;

use crate::server::{Config, Stxd};

/// A running stxd with its runtime and data directory.
pub struct TestStxd {
    stxd: Option<Stxd>,
    runtime: Runtime,
    dir: Option<TempDir>,
}

impl TestStxd {
    /// A simulated STX-16803 (seed 7) on `clock`, in a fresh data directory.
    pub fn start(clock: Arc<dyn Clock>) -> TestStxd {
        TestStxd::start_in(tempfile::tempdir().expect("a temporary directory"), clock, |_| {})
    }

    /// A server whose data directory is `dir`, on `clock`, with the default
    /// configuration (loopback ports chosen by the system, the simulated STX-16803 with
    /// seed 7) changed by `configure`.
    pub fn start_in(dir: TempDir, clock: Arc<dyn Clock>, configure: impl FnOnce(&mut Config)) -> TestStxd {
        TestStxd::try_start_in(dir, clock, configure).unwrap_or_else(|(e, _)| panic!("stxd starts: {e}"))
    }

    /// As [`TestStxd::start_in`], or why stxd refused to start, with the directory
    /// back (to look at what it left, or to start again on it).
    pub fn try_start_in(
        dir: TempDir,
        clock: Arc<dyn Clock>,
        configure: impl FnOnce(&mut Config),
    ) -> Result<TestStxd, (crate::server::StartError, TempDir)> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let mut config = Config {
            stx_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            api_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            alpaca_listen: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
            // Tests that share the machine must not answer each other's discovery.
            alpaca_discovery_port: None,
            data_dir: dir.path().to_owned(),
            model: "stx-16803".to_owned(),
            seed: 7,
            ..Config::default()
        };
        configure(&mut config);
        match runtime.block_on(Stxd::start(&config, clock)) {
            Ok(stxd) => Ok(TestStxd { stxd: Some(stxd), runtime, dir: Some(dir) }),
            Err(e) => Err((e, dir)),
        }
    }

    /// The server.
    pub fn stxd(&self) -> &Stxd {
        self.stxd.as_ref().expect("running until stopped")
    }

    /// The runtime the server runs on, for async work beside it (a WebSocket client).
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// The temporary directory the data directory is in (or is).
    pub fn dir(&self) -> &Path {
        self.dir.as_ref().expect("kept until stopped").path()
    }

    /// `http://` and the STX API's address.
    pub fn stx_url(&self) -> String {
        format!("http://{}", self.stxd().stx_addr())
    }

    /// `http://` and the v2 API's address.
    pub fn api_url(&self) -> String {
        format!("http://{}", self.stxd().api_addr())
    }

    /// `http://` and the Alpaca face's address.
    pub fn alpaca_url(&self) -> String {
        format!("http://{}", self.stxd().alpaca_addr().expect("the Alpaca face is served"))
    }

    /// The simulated camera's fault switches.
    pub fn faults(&self) -> Faults {
        self.stxd().backend().faults().expect("a simulated camera")
    }

    /// Stops the server and hands back its directory (to start again on it).
    pub fn stop(mut self) -> TempDir {
        self.shutdown();
        self.dir.take().expect("kept until stopped")
    }

    fn shutdown(&mut self) {
        if let Some(stxd) = self.stxd.take() {
            self.runtime.block_on(stxd.shutdown());
        }
    }
}

impl Drop for TestStxd {
    fn drop(&mut self) {
        self.shutdown();
    }
}
