//! `stxd`: flags and glue. Everything else lives in the library.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use stx_sim::ScaledClock;
use stxd::connections::Timeouts;
use stxd::server::{Config, DEFAULT_SEED, StartFault, Stxd};

/// The STX camera server: the SBIG STX HTTP Camera API in front of a simulated STX camera.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Address of the STX HTTP Camera API.
    #[arg(long, default_value = "127.0.0.1:8080")]
    stx_listen: SocketAddr,
    /// Address of the v2 (image history) API.
    #[arg(long, default_value = "127.0.0.1:1888")]
    api_listen: SocketAddr,
    /// Address of the ASCOM Alpaca face (Cameras 0 to 2, FilterWheel 0, management).
    #[arg(long, default_value = "127.0.0.1:11111")]
    alpaca_listen: SocketAddr,
    /// Serve no ASCOM Alpaca face.
    #[arg(long)]
    no_alpaca: bool,
    /// The UDP port Alpaca discovery requests are answered on (shared with any other
    /// Alpaca server on the machine; stxd never broadcasts).
    #[arg(long, default_value_t = 32227)]
    alpaca_discovery_port: u16,
    /// Answer no Alpaca discovery requests.
    #[arg(long)]
    no_alpaca_discovery: bool,
    /// Directory for the camera's flash settings, FITS files and history.
    #[arg(long, default_value = "./stxd-data")]
    data_dir: PathBuf,
    /// Camera model: stx-16803, stxl-6303e, or the path of a preset file.
    #[arg(long, default_value = "stx-16803")]
    model: String,
    /// Seed of the simulated sky and noise.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Front a real STX camera at this address (http://HOST[:PORT]) instead of the
    /// simulated one.
    #[arg(long, value_name = "URL")]
    camera: Option<String>,
    /// Start the simulated camera with a fault, as the /sim/faults/NAME paths set them:
    /// exposure-error[=imager|guider|extguider], filter-wheel=absent|failing,
    /// cooler-stuck, slow=MS, drop-download. Repeat for several.
    #[arg(long = "fault", value_name = "NAME[=VALUE]")]
    faults: Vec<StartFault>,
    /// Rebuild the image history's database from the FITS files before serving: the
    /// damaged database is set aside (renamed) and every file is measured again.
    #[arg(long)]
    rebuild_history: bool,
    /// A host name clients may use to reach stxd (checked against the Host header,
    /// against DNS rebinding); the addresses it listens on are always allowed. Repeat
    /// for several.
    #[arg(long = "allowed-host", value_name = "NAME")]
    allowed_hosts: Vec<String>,
    /// Seconds a client may take to send a request head, or to take the next part of a
    /// reply, before its connection is closed (idle, slow and stalled clients).
    #[arg(long, value_name = "SECONDS", value_parser = positive_scale)]
    client_timeout: Option<f64>,
    /// Simulated seconds per real second (60: a 60 s exposure takes one second).
    #[arg(long, default_value_t = 1.0, value_parser = positive_scale)]
    time_scale: f64,
}

/// The connection deadlines, with `client_timeout` seconds for heads and writes if
/// given.
fn timeouts(client_timeout: Option<f64>) -> Timeouts {
    let default = Timeouts::default();
    match client_timeout.map(Duration::from_secs_f64) {
        Some(t) => Timeouts { head: t, write: t, ..default },
        None => default,
    }
}

fn positive_scale(text: &str) -> Result<f64, String> {
    stx_protocol::reply::parse_real(text)
        .filter(|v| *v > 0.0)
        .ok_or_else(|| format!("'{text}' is not a positive number"))
}

/// glibc's malloc raises its mmap threshold to the size of each large block freed (up
/// to 32 MiB), after which frame-sized buffers come from its heaps and stay there when
/// freed: after a burst of previews the process kept ~800 MB it no longer used. A fixed
/// threshold keeps large buffers in their own mappings, returned to the system when
/// freed (`scripts/soak.sh` measures both). The setting is read only as the process
/// starts, so stxd starts itself again once with it set, unless it is set already.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn with_malloc_returning_memory() {
    use std::os::unix::process::CommandExt;
    // 128 KiB: glibc's own starting threshold, kept fixed.
    let (name, value) = ("MALLOC_MMAP_THRESHOLD_", "131072");
    if std::env::var_os(name).is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else { return };
    let err = std::process::Command::new(exe).args(std::env::args_os().skip(1)).env(name, value).exec();
    // Only reached if the exec failed: go on with the default malloc settings.
    eprintln!(
        "stxd: cannot restart with {name}={value} ({err}); large buffers may not be returned to the system"
    );
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn with_malloc_returning_memory() {}

fn main() -> anyhow::Result<()> {
    with_malloc_returning_memory();
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let config = Config {
        stx_listen: args.stx_listen,
        api_listen: args.api_listen,
        alpaca_listen: (!args.no_alpaca).then_some(args.alpaca_listen),
        alpaca_discovery_port: (!args.no_alpaca_discovery).then_some(args.alpaca_discovery_port),
        data_dir: args.data_dir,
        model: args.model,
        seed: args.seed,
        camera: args.camera,
        faults: args.faults,
        rebuild_history: args.rebuild_history,
        timeouts: timeouts(args.client_timeout),
        allowed_hosts: args.allowed_hosts,
    };
    let clock = Arc::new(ScaledClock::new(args.time_scale));
    let server = Stxd::start(&config, clock).await.context("stxd could not start")?;
    match &config.camera {
        Some(url) => {
            println!("stxd: STX API on http://{}/api/ (proxy for the camera at {url})", server.stx_addr())
        }
        None => println!("stxd: STX API on http://{}/api/ (simulated {})", server.stx_addr(), config.model),
    }
    println!("stxd: image history on http://{}/v2/api/image-history", server.api_addr());
    if let Some(addr) = server.alpaca_addr() {
        println!("stxd: ASCOM Alpaca on http://{addr}/ (setup pages at /setup)");
    }
    if let Some(addr) = server.alpaca_discovery_addr() {
        println!("stxd: Alpaca discovery answered on UDP port {}", addr.port());
    }
    println!("stxd: data in {}", config.data_dir.display());
    shutdown_signal().await;
    println!("stxd: stopping");
    server.shutdown().await;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
