//! Load check of the image-history API (issue 5): fills a history with 100 000
//! records, starts the real `stxd` on it, and prints the latency of `count=true`,
//! the default call (the newest image), `index=50000` and `imageType=FLAT&all=true`
//! (p50, p99, max) over keep-alive HTTP/1.1, and whether the count and single-record
//! calls stay under 5 ms at p99.
//!
//! ```text
//! cargo build --release -p stxd --bin stxd --example history_api_load
//! target/release/examples/history_api_load --dir /tmp/stxd-history-load
//! ```
//! (`scripts/history_load.sh` does both.) A directory that already holds the records is
//! reused; otherwise it is filled first, see `--fill`.
//!
//! Every record goes through `stx_history::History::store`, the pipeline's own store
//! path, with a real FITS file (16 × 16 pixels, made by the camera's FITS encoder)
//! whose statistics are measured by `stx-analysis`; types are mixed (≈ 60 % LIGHT,
//! 20 % FLAT, 8 % DARK, 8 % BIAS, 4 % SNAPSHOT).
//!
//! `--fill tmpfs` (the default when `/dev/shm` exists) stores into a directory on
//! `/dev/shm`, where fsync costs nothing, then copies the finished directory to
//! `--dir`: the same files and the same database, in about a minute instead of the
//! ~17 minutes (10 ms a record) the fsyncs of each store take on this disk.
//! `--fill disk` stores straight into `--dir`, durably, one record at a time as stxd
//! does. How a directory was filled is written to `history-load.txt` in it and printed
//! again when it is reused.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use chrono::{DateTime, FixedOffset, Local, TimeDelta};
use clap::{Parser, ValueEnum};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use stx_camera::{Frame, FrameMeta};
use stx_history::{History, ImageInfo, ImageType, NewRecord};
use stx_protocol::{Binning, Ccd, FrameType, ObsDateTime};

/// Fill a history with many records and measure the image-history API on it.
#[derive(Parser, Debug)]
struct Args {
    /// The data directory: reused if it already holds `--records` records, filled
    /// first otherwise (it must then be empty or absent).
    #[arg(long, default_value = "/tmp/stxd-history-load")]
    dir: PathBuf,
    /// Records the history should hold.
    #[arg(long, default_value_t = 100_000)]
    records: u64,
    /// How to fill: `tmpfs` (store on /dev/shm, then copy) or `disk` (store in place).
    #[arg(long, value_enum)]
    fill: Option<Fill>,
    /// Threads making frames for the store (the store itself takes turns).
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Requests per call measured (after 20 warm-up requests).
    #[arg(long, default_value_t = 500)]
    requests: usize,
    /// Requests measured for `imageType=FLAT&all=true`.
    #[arg(long, default_value_t = 20)]
    all_requests: usize,
    /// The stxd binary (default: `stxd` beside the `examples/` directory of this one).
    #[arg(long)]
    stxd: Option<PathBuf>,
    /// Only fill, do not measure.
    #[arg(long)]
    fill_only: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Fill {
    /// Store on /dev/shm (fsync is free there), then copy the directory.
    Tmpfs,
    /// Store straight into `--dir`, with every fsync.
    Disk,
}

/// Where the fill describes itself, in the data directory.
const FILL_NOTE: &str = "history-load.txt";

/// The issue's limit for the count and single-record calls.
const P99_LIMIT_MS: f64 = 5.0;
/// Requests per call before measuring (connections, caches).
const WARM_UP: usize = 20;

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let held = existing_records(&args.dir)?;
    if held >= args.records {
        println!("history: reusing {} ({held} records already there)", args.dir.display());
        if let Ok(how) = std::fs::read_to_string(args.dir.join(FILL_NOTE)) {
            print!("{how}");
        }
    } else {
        ensure!(
            held == 0 && dir_is_empty(&args.dir)?,
            "{} holds {held} records, not {}; give an empty or absent --dir",
            args.dir.display(),
            args.records
        );
        let fill = args.fill.unwrap_or(if Path::new("/dev/shm").is_dir() { Fill::Tmpfs } else { Fill::Disk });
        fill_history(&args.dir, args.records, args.threads, fill)?;
    }
    if args.fill_only {
        return Ok(());
    }
    measure(&args)
}

/// How many records the history in `dir` holds (0 when there is none).
fn existing_records(dir: &Path) -> anyhow::Result<u64> {
    if !dir.join("history.sqlite3").is_file() {
        return Ok(0);
    }
    Ok(History::open(dir)?.count(None)?)
}

fn dir_is_empty(dir: &Path) -> anyhow::Result<bool> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(e).with_context(|| format!("reading {}", dir.display())),
    }
}

fn fill_history(dir: &Path, records: u64, threads: usize, fill: Fill) -> anyhow::Result<()> {
    let began = Instant::now();
    let store_dir = match fill {
        Fill::Disk => dir.to_owned(),
        Fill::Tmpfs => PathBuf::from(format!("/dev/shm/stxd-history-fill-{}", std::process::id())),
    };
    println!(
        "filling: {records} records through History::store into {} ({fill:?}), {threads} frame-making threads",
        store_dir.display()
    );
    let history = Arc::new(History::open(&store_dir)?);
    history.reconcile()?;
    let next = Arc::new(AtomicU64::new(0));
    // Dates a realistic 20 s apart, ending now.
    let first_date = Local::now().fixed_offset() - TimeDelta::seconds(20 * records as i64);
    let workers: Vec<_> = (0..threads.max(1))
        .map(|_| {
            let (history, next) = (history.clone(), next.clone());
            std::thread::spawn(move || -> anyhow::Result<()> {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= records {
                        return Ok(());
                    }
                    let (bytes, info) = frame(i, first_date + TimeDelta::seconds(20 * i as i64));
                    history.store(&bytes, NewRecord { frame_key: format!("load-{i}"), info })?;
                    if (i + 1) % 10_000 == 0 {
                        println!("  {} records, {:.0} s", i + 1, began.elapsed().as_secs_f64());
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("a fill thread panicked")?;
    }
    let count = history.count(None)?;
    drop(history);
    ensure!(count == records, "the history holds {count} records after the fill, not {records}");
    let mut note = format!(
        "filled: {count} records through History::store ({fill:?}: {}), real 16 x 16 FITS frames, \
         statistics measured, Stars/HFR of LIGHT and SNAPSHOT drawn from plausible ranges, in {:.0} s\n",
        match fill {
            Fill::Disk => "in place, every fsync",
            Fill::Tmpfs => "on /dev/shm, then the directory copied with cp -a",
        },
        began.elapsed().as_secs_f64()
    );
    print!("{note}");
    if fill == Fill::Tmpfs {
        let copy = Instant::now();
        std::fs::create_dir_all(dir)?;
        let status = Command::new("cp")
            .arg("-a")
            .arg(format!("{}/.", store_dir.display()))
            .arg(dir)
            .status()
            .context("running cp")?;
        ensure!(status.success(), "copying {} to {} failed", store_dir.display(), dir.display());
        Command::new("sync").status().context("running sync")?;
        std::fs::remove_dir_all(&store_dir)?;
        println!("copied to {} in {:.0} s", dir.display(), copy.elapsed().as_secs_f64());
    }
    note.insert_str(0, &format!("{} ", Local::now().format("%Y-%m-%d %H:%M")));
    std::fs::write(dir.join(FILL_NOTE), note)?;
    Ok(())
}

/// Record `i`: a small real frame as FITS bytes, and its record.
fn frame(i: u64, date: DateTime<FixedOffset>) -> (Vec<u8>, ImageInfo) {
    let mut rng = ChaCha8Rng::seed_from_u64(i);
    let image_type = match rng.gen_range(0..100) {
        0..60 => ImageType::Light,
        60..80 => ImageType::Flat,
        80..88 => ImageType::Dark,
        88..96 => ImageType::Bias,
        _ => ImageType::Snapshot,
    };
    let (frame_type, exposure_s, level): (FrameType, f64, f64) = match image_type {
        ImageType::Light => (FrameType::Light, 300.0, 1200.0),
        ImageType::Snapshot => (FrameType::Light, 5.0, 1050.0),
        ImageType::Flat => (FrameType::Flat, 2.5, 24000.0),
        ImageType::Dark => (FrameType::Dark, 300.0, 1010.0),
        ImageType::Bias => (FrameType::Bias, 0.0, 1000.0),
    };
    let filters = ["Lum", "Red", "Green", "Blue", "Ha"];
    let filter = filters[(i / 40) as usize % filters.len()];
    let (width, height) = (16u32, 16u32);
    let noise = level.sqrt().max(8.0);
    let pixels: Vec<u16> = (0..width * height)
        .map(|_| (level + noise * rng.sample::<f64, _>(StandardNormal)).clamp(0.0, 65535.0) as u16)
        .collect();
    let temperature = -20.0 + f64::from(rng.gen_range(0..7)) * 0.01;
    let meta = FrameMeta {
        ccd: Ccd::Imager,
        frame_type,
        duration: std::time::Duration::from_secs_f64(exposure_s),
        date_obs: ObsDateTime::parse(&date.naive_utc().format("%Y-%m-%dT%H:%M:%S%.3f").to_string())
            .unwrap_or(ObsDateTime::SPEC_DEFAULT),
        binning: Binning { x: 1, y: 1 },
        origin: stx_camera::PixelPoint { x: 2040, y: 2040 },
        pixel_size: stx_camera::PixelSize { x_um: 9.0, y_um: 9.0 },
        ccd_temp_c: temperature,
        setpoint_c: Some(-20.0),
        electrons_per_adu: 1.27,
        filter: stx_protocol::FilterName::new(filter),
        instrument: "SBIG STX-16803".to_owned(),
        fits: stx_protocol::FitsSettings::default(),
    };
    let frame = Frame::new(width, height, pixels, meta).expect("16 × 16 pixels");
    let bytes = stx_camera::fits::encode(&frame, &frame.meta().fits);
    let analysis = stx_analysis::analyze(
        &stx_analysis::Frame::new(frame.pixels(), width as usize, height as usize).expect("a frame"),
        &stx_analysis::Options { detect_stars: false, ..Default::default() },
    );
    let sky = matches!(image_type, ImageType::Light | ImageType::Snapshot);
    // Star counts and HFRs of a full sky frame (a 16 × 16 frame holds no stars).
    let (stars, hfr, hfr_stdev) = if sky {
        (Some(rng.gen_range(150..1050)), Some(rng.gen_range(1.6..3.6)), Some(rng.gen_range(0.2..0.6)))
    } else {
        (None, None, None)
    };
    let info = ImageInfo {
        exposure_time_s: exposure_s,
        image_type,
        filter: filter.to_owned(),
        rms_text: if sky {
            format!("Tot: {:.2} ({:.2}\")", rng.gen_range(0.4..0.8), rng.gen_range(0.6..1.6))
        } else {
            String::new()
        },
        temperature_c: Some(temperature),
        camera_name: "SBIG STX-16803".to_owned(),
        gain: None,
        offset: None,
        date,
        telescope_name: "RC 12".to_owned(),
        focal_length_mm: 2432.0,
        stdev: analysis.stats.std_dev,
        mean: analysis.stats.mean,
        median: analysis.stats.median,
        stars,
        hfr,
        is_bayered: false,
        target_name: if sky { format!("NGC {}", 7000 + (i / 500) % 800) } else { String::new() },
        min: analysis.stats.min as u16,
        max: analysis.stats.max as u16,
        hfr_stdev,
    };
    (bytes, info)
}

fn measure(args: &Args) -> anyhow::Result<()> {
    let stxd_bin = match &args.stxd {
        Some(path) => path.clone(),
        None => {
            let me = std::env::current_exe()?;
            me.parent().and_then(Path::parent).context("no directory above this example")?.join("stxd")
        }
    };
    ensure!(
        stxd_bin.is_file(),
        "no stxd binary at {} (build it with --release, or give --stxd)",
        stxd_bin.display()
    );
    let mut server = Server::start(&stxd_bin, &args.dir)?;
    let result = run_calls(server.api, args);
    server.stop();
    result
}

/// A running stxd.
struct Server {
    child: Child,
    api: SocketAddr,
}

impl Server {
    fn start(bin: &Path, dir: &Path) -> anyhow::Result<Server> {
        let log = dir.parent().unwrap_or(Path::new("/tmp")).join("history-load-stxd.log");
        for _ in 0..5 {
            let stx = free_addr()?;
            let api = free_addr()?;
            let began = Instant::now();
            let child = Command::new(bin)
                .args(["--stx-listen", &stx.to_string(), "--api-listen", &api.to_string()])
                .arg("--data-dir")
                .arg(dir)
                .env("NO_COLOR", "1")
                .stdin(Stdio::null())
                .stdout(std::fs::File::create(&log)?)
                .stderr(Stdio::inherit())
                .spawn()
                .with_context(|| format!("starting {}", bin.display()))?;
            let mut server = Server { child, api };
            while began.elapsed() < Duration::from_secs(120) {
                if server.child.try_wait()?.is_some() {
                    break;
                }
                if let Ok(mut c) = Client::connect(api)
                    && c.get("/v2/api/image-history?count=true").is_ok_and(|(status, _)| status == 200)
                {
                    println!(
                        "stxd {} up on {api} in {:.2} s (start-up repair included); log {}",
                        bin.display(),
                        began.elapsed().as_secs_f64(),
                        log.display()
                    );
                    return Ok(server);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            server.stop();
        }
        bail!("stxd did not come up; see {}", log.display())
    }

    fn stop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }
}

fn free_addr() -> anyhow::Result<SocketAddr> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

/// A keep-alive HTTP/1.1 client on one connection.
struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    host: String,
}

impl Client {
    fn connect(addr: SocketAddr) -> std::io::Result<Client> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(60)))?;
        Ok(Client { reader: BufReader::new(stream.try_clone()?), writer: stream, host: addr.to_string() })
    }

    /// One GET; returns the status and the body.
    fn get(&mut self, target: &str) -> anyhow::Result<(u16, Vec<u8>)> {
        write!(self.writer, "GET {target} HTTP/1.1\r\nHost: {}\r\n\r\n", self.host)?;
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let status: u16 = line.split(' ').nth(1).and_then(|s| s.parse().ok()).context("no status line")?;
        let (mut length, mut chunked) = (None, false);
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            let (name, value) = header.split_once(':').context("bad header")?;
            if name.eq_ignore_ascii_case("content-length") {
                length = Some(value.trim().parse::<usize>()?);
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.trim().eq_ignore_ascii_case("chunked");
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                line.clear();
                self.reader.read_line(&mut line)?;
                let size = usize::from_str_radix(line.trim(), 16)?;
                let start = body.len();
                body.resize(start + size + 2, 0);
                self.reader.read_exact(&mut body[start..])?;
                body.truncate(start + size);
                if size == 0 {
                    break;
                }
            }
        } else {
            body.resize(length.context("neither Content-Length nor chunked")?, 0);
            self.reader.read_exact(&mut body)?;
        }
        Ok((status, body))
    }
}

/// Latencies of one call, milliseconds, sorted.
struct Timing {
    call: &'static str,
    ms: Vec<f64>,
    bytes: usize,
    single: bool,
}

impl Timing {
    fn quantile(&self, q: f64) -> f64 {
        let i = ((self.ms.len() as f64 * q).ceil() as usize).clamp(1, self.ms.len()) - 1;
        self.ms[i]
    }
}

fn run_calls(api: SocketAddr, args: &Args) -> anyhow::Result<()> {
    let mut client = Client::connect(api)?;
    let count: u64 = {
        let (_, body) = client.get("/v2/api/image-history?count=true")?;
        let json: serde_json::Value = serde_json::from_slice(&body)?;
        json["Response"].as_u64().context("count=true gave no number")?
    };
    let flats: u64 = {
        let (_, body) = client.get("/v2/api/image-history?count=true&imageType=FLAT")?;
        let json: serde_json::Value = serde_json::from_slice(&body)?;
        json["Response"].as_u64().context("no FLAT count")?
    };
    println!("history: {count} records, {flats} FLAT");
    let middle = count / 2;
    let middle_target = format!("/v2/api/image-history?index={middle}");
    let calls: [(&'static str, &str, usize, bool); 4] = [
        ("count=true", "/v2/api/image-history?count=true", args.requests, true),
        ("default (newest)", "/v2/api/image-history", args.requests, true),
        ("index=N/2", &middle_target, args.requests, true),
        (
            "imageType=FLAT&all=true",
            "/v2/api/image-history?imageType=FLAT&all=true",
            args.all_requests,
            false,
        ),
    ];
    let mut timings = Vec::new();
    for (call, target, n, single) in calls {
        let mut ms = Vec::with_capacity(n);
        let mut bytes = 0;
        for i in 0..WARM_UP.min(n) + n {
            let began = Instant::now();
            let (status, body) = client.get(target)?;
            let elapsed = began.elapsed().as_secs_f64() * 1000.0;
            ensure!(status == 200, "{target}: HTTP {status}: {}", String::from_utf8_lossy(&body));
            if i >= WARM_UP.min(n) {
                ms.push(elapsed);
            }
            bytes = body.len();
            if i == 0 {
                check_reply(target, &body, count, flats)?;
            }
        }
        ms.sort_by(f64::total_cmp);
        timings.push(Timing { call, ms, bytes, single });
    }
    println!();
    println!(
        "{:<26} {:>6} {:>9} {:>9} {:>9} {:>11}",
        "call", "n", "p50 ms", "p99 ms", "max ms", "reply bytes"
    );
    for t in &timings {
        let call = if t.call == "index=N/2" { format!("index={middle}") } else { t.call.to_owned() };
        println!(
            "{call:<26} {:>6} {:>9.3} {:>9.3} {:>9.3} {:>11}",
            t.ms.len(),
            t.quantile(0.5),
            t.quantile(0.99),
            t.ms.last().copied().unwrap_or(f64::NAN),
            t.bytes
        );
    }
    let worst = timings.iter().filter(|t| t.single).map(|t| t.quantile(0.99)).fold(0.0, f64::max);
    let ok = worst < P99_LIMIT_MS;
    println!();
    println!(
        "count and single-record calls: worst p99 {worst:.3} ms → {} (limit {P99_LIMIT_MS} ms)",
        if ok { "PASS" } else { "FAIL" }
    );
    ensure!(ok, "a count or single-record call's p99 is {worst:.3} ms, over {P99_LIMIT_MS} ms");
    Ok(())
}

/// The first reply of each call is checked: the right count, one record, every FLAT.
fn check_reply(target: &str, body: &[u8], count: u64, flats: u64) -> anyhow::Result<()> {
    let json: serde_json::Value = serde_json::from_slice(body)?;
    let response = &json["Response"];
    let fine = if target.ends_with("count=true") {
        response.as_u64() == Some(count)
    } else if target.contains("all=true") {
        response.as_array().is_some_and(|a| {
            a.len() as u64 == flats && a.iter().all(|r| r["ImageType"].as_str() == Some("FLAT"))
        })
    } else {
        response.as_array().is_some_and(|a| a.len() == 1 && a[0]["Filename"].is_string())
    };
    ensure!(fine, "{target}: unexpected reply {}", String::from_utf8_lossy(&body[..body.len().min(300)]));
    Ok(())
}
