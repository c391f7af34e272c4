//! Crash test of the image history (issue 5): the real `stxd` binary is killed with
//! SIGKILL at many points while frames stream in, restarted on the same data
//! directory each time, and what it then holds is checked against what the client
//! saw: every record's file exists and loads, no frame is recorded twice, nothing
//! recorded before a kill is lost, and the count equals the frames whose readout the
//! client saw finish, minus at most the frame in flight at each kill.
//!
//! Kills land at seeded random moments and, aimed through what appears in `images/`,
//! inside the store itself: during the FITS write (a temp file exists) and between
//! putting the file in place and committing its record (an orphan to adopt). Frames
//! come slower than the pipeline takes them, so "the frame in flight" is one frame;
//! the second test streams faster, without a crash, and checks none is dropped.
//!
//! Knobs (environment): `STXD_CRASH_SEED` (kill points), `STXD_CRASH_ROUNDS`,
//! `STXD_CRASH_SCALE` and `STXD_FAST_SCALE` (simulated seconds per real second).

mod common;

use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use common::free_port;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

const DEFAULT_SEED: u64 = 0x5354_5844_4352_5348;
const DEFAULT_ROUNDS: u64 = 24;
/// A 1 s exposure plus the 256 × 256 readout (0.04 s) takes about 260 ms of real
/// time: longer than a frame waits for the pipeline (its drain every 100 ms, then
/// render, analysis, FITS write, SQLite commit), so at most one frame is in flight.
const DEFAULT_SCALE: f64 = 4.0;
/// The frames whose readout the client saw finish but the pipeline had not yet
/// recorded when the process died: the frame in flight.
const IN_FLIGHT_PER_KILL: u64 = 1;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A running stxd process on the shared data directory.
struct Stxd {
    child: Child,
    stx: SocketAddr,
    api: SocketAddr,
    stdout: PathBuf,
}

impl Stxd {
    /// Starts stxd on `data` (retrying with other ports if one was taken meanwhile)
    /// and waits until the v2 API answers, which is after the start-up repair.
    fn start(data: &Path, logs: &Path, name: &str, scale: f64, seed: u64) -> Stxd {
        for attempt in 0..5 {
            let stx: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
            let api: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
            let stdout = logs.join(format!("{name}-{attempt}.out"));
            let stderr = logs.join(format!("{name}-{attempt}.err"));
            let child = Command::new(env!("CARGO_BIN_EXE_stxd"))
                .arg("--stx-listen")
                .arg(stx.to_string())
                .arg("--api-listen")
                .arg(api.to_string())
                .arg("--alpaca-listen")
                .arg("127.0.0.1:0")
                .arg("--no-alpaca-discovery")
                .arg("--data-dir")
                .arg(data)
                .arg("--time-scale")
                .arg(scale.to_string())
                .arg("--seed")
                .arg(seed.to_string())
                .env("RUST_LOG", "info")
                .env("NO_COLOR", "1")
                .stdin(Stdio::null())
                .stdout(File::create(&stdout).unwrap())
                .stderr(File::create(&stderr).unwrap())
                .spawn()
                .expect("stxd runs");
            let mut stxd = Stxd { child, stx, api, stdout };
            if stxd.wait_ready() {
                return stxd;
            }
            let _ = stxd.child.kill();
            let _ = stxd.child.wait();
            eprintln!(
                "stxd {name} did not come up on {stx}/{api} (attempt {attempt}): {}",
                std::fs::read_to_string(&stderr).unwrap_or_default()
            );
        }
        panic!("stxd {name} never came up; logs in {}", logs.display());
    }

    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            let stx_up = TcpStream::connect(self.stx).is_ok();
            if stx_up
                && common::api_request(self.api, "GET", "/v2/api/image-history?count=true")
                    .is_ok_and(|r| r.try_status() == Some(200))
            {
                return true;
            }
            thread::sleep(Duration::from_millis(10));
        }
        false
    }

    /// SIGTERM, the orderly stop, then reap; whether it exited with success.
    fn terminate(mut self) -> bool {
        common::terminate(&mut self.child).success()
    }

    /// SIGKILL (what `Child::kill` sends on Unix), then reap.
    fn kill(mut self) -> String {
        self.child.kill().expect("SIGKILL stxd");
        self.child.wait().expect("reap stxd");
        std::fs::read_to_string(&self.stdout).unwrap_or_default()
    }

    /// The v2 API's JSON `Response` for `query`.
    fn history(&self, query: &str) -> Value {
        let reply = common::api_request(self.api, "GET", &format!("/v2/api/image-history?{query}"))
            .expect("v2 API answers");
        assert_eq!(reply.status(), 200, "image-history?{query}: {}", reply.text());
        let json: Value = serde_json::from_slice(reply.body()).expect("JSON");
        json["Response"].clone()
    }

    fn count(&self) -> u64 {
        self.history("count=true").as_u64().expect("a count")
    }

    /// Every record's file name, oldest first.
    fn filenames(&self) -> Vec<String> {
        let all = self.history("all=true");
        all.as_array()
            .expect("an array")
            .iter()
            .map(|r| r["Filename"].as_str().expect("a Filename").to_owned())
            .collect()
    }
}

/// The test's directory, left in place when the test fails so its logs can be read.
struct KeptOnFailure(Option<tempfile::TempDir>);

impl Drop for KeptOnFailure {
    fn drop(&mut self) {
        if let (true, Some(dir)) = (thread::panicking(), self.0.take()) {
            eprintln!("crash test failed; data and logs kept in {}", dir.keep().display());
        }
    }
}

/// What the client of one round did.
#[derive(Default)]
struct ClientTally {
    /// Exposures it saw `ImageReady 1` for.
    finished: AtomicU64,
    /// `ImagerStartExposure` requests it sent (whether or not the reply came).
    started: AtomicU64,
}

/// The STX error a busy CCD answers with.
const BUSY: &str = "0x80001008";

/// Takes frames until the server stops answering: start, poll until ImageReady is 1,
/// count it, start the next. Frame types cycle through LIGHT, LIGHT, FLAT, DARK, BIAS.
fn client(stx: SocketAddr, tally: Arc<ClientTally>, stop: Arc<AtomicBool>) {
    // A call's status and body; `None` once the server is gone (the connection is
    // refused, or the reply is cut short).
    let call = |c: &str| {
        let reply = common::get(stx, &format!("/api/{c}")).ok()?;
        Some((reply.try_status()?, String::from_utf8_lossy(reply.body()).into_owned()))
    };
    let set = "ImagerSetSettings.cgi?StartX=1024&StartY=1024&NumX=256&NumY=256&BinX=1&BinY=1";
    if call(set).is_none_or(|(status, _)| status != 200) {
        return;
    }
    for frame_type in [1, 1, 3, 0, 2].into_iter().cycle() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        tally.started.fetch_add(1, Ordering::SeqCst);
        loop {
            match call(&format!("ImagerStartExposure.cgi?Duration=1&FrameType={frame_type}")) {
                Some((200, _)) => break,
                // Back-pressure: frames finished faster than they are stored; the
                // camera takes the exposure once the pipeline catches up.
                Some((_, body)) if body.starts_with(BUSY) => thread::sleep(Duration::from_millis(5)),
                Some((status, body)) => panic!("ImagerStartExposure: {status} {body}"),
                None => return,
            }
        }
        loop {
            match call("ImagerImageReady.cgi") {
                Some((200, body)) if body.trim() == "1" => break,
                Some((200, _)) => thread::sleep(Duration::from_millis(1)),
                Some((status, body)) => panic!("ImagerImageReady: {status} {body}"),
                None => return,
            }
        }
        tally.finished.fetch_add(1, Ordering::SeqCst);
    }
}

/// The image files and temp files in `images/`.
fn images_on_disk(data: &Path) -> (BTreeSet<String>, Vec<String>) {
    let mut files = BTreeSet::new();
    let mut temps = Vec::new();
    for entry in std::fs::read_dir(data.join("images")).expect("images/ exists") {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.starts_with(".tmp-") {
            temps.push(name);
        } else if name.ends_with(".fits") {
            files.insert(name);
        }
    }
    (files, temps)
}

/// Checks the history against the files after a (re)start: names unique, every
/// record's file exists and reads as a 256 × 256 frame, no frame's pixels recorded
/// twice, no orphan or temp file left. Returns the file names, oldest first.
fn check_history(stxd: &Stxd, data: &Path) -> Vec<String> {
    let names = stxd.filenames();
    assert_eq!(names.len() as u64, stxd.count(), "all=true and count=true agree");
    let unique: BTreeSet<&String> = names.iter().collect();
    assert_eq!(unique.len(), names.len(), "a file name recorded twice: {names:?}");
    let mut frames: HashMap<u64, &str> = HashMap::new();
    for name in &names {
        let path = data.join("images").join(name);
        let bytes =
            std::fs::read(&path).unwrap_or_else(|e| panic!("record {name}: file {}: {e}", path.display()));
        let image =
            stx_camera::fits::read(&bytes).unwrap_or_else(|e| panic!("record {name}: not a FITS frame: {e}"));
        assert_eq!((image.width, image.height), (256, 256), "record {name}");
        let mut hasher = DefaultHasher::new();
        image.value("DATE-OBS").hash(&mut hasher);
        match &image.pixels {
            stx_camera::fits::Pixels::U16(p) => p.hash(&mut hasher),
            other => panic!("record {name}: not 16-bit camera data: {:?}", std::mem::discriminant(other)),
        }
        if let Some(first) = frames.insert(hasher.finish(), name) {
            panic!("one frame recorded twice: {first} and {name}");
        }
    }
    let (files, temps) = images_on_disk(data);
    assert!(temps.is_empty(), "temp files left after the start-up repair: {temps:?}");
    let orphans: Vec<&String> = files.iter().filter(|f| !unique.contains(f)).collect();
    assert!(orphans.is_empty(), "image files without a record after the start-up repair: {orphans:?}");
    names
}

/// When a round's SIGKILL goes out. Frames spend most of their time exposing, so
/// kills at random moments alone would rarely land in the few milliseconds of a
/// store; the other strategies aim at those.
#[derive(Clone, Copy, Debug)]
enum KillAt {
    /// This many milliseconds after the client starts: mostly during an exposure or
    /// readout, or while the pipeline waits for its next drain.
    Delay(u64),
    /// This many milliseconds after the client saw its `nth` frame finish: the drain,
    /// the render, the analysis.
    AfterFinished { nth: u64, ms: u64 },
    /// As soon as a temp file appears in `images/` after `warmup_ms`, then `ms` more:
    /// the FITS write and its fsync.
    AtTempFile { warmup_ms: u64, ms: u64 },
    /// As soon as a new final file appears in `images/` after `warmup_ms`: between
    /// putting the file in place and committing its record (directory fsync, SQLite
    /// insert), which leaves an orphan.
    AtNewFile { warmup_ms: u64 },
}

impl KillAt {
    fn pick(rng: &mut ChaCha8Rng) -> KillAt {
        match rng.gen_range(0..=3) {
            0 => KillAt::Delay(rng.gen_range(5..=1500)),
            1 => KillAt::AfterFinished { nth: rng.gen_range(1..=4), ms: rng.gen_range(0..=150) },
            2 => KillAt::AtTempFile { warmup_ms: rng.gen_range(0..=600), ms: rng.gen_range(0..=3) },
            _ => KillAt::AtNewFile { warmup_ms: rng.gen_range(0..=600) },
        }
    }

    /// Waits for the moment (at most [`WAIT_LIMIT`] once frames stream).
    fn wait(self, data: &Path, tally: &ClientTally) {
        let sleep = |ms| thread::sleep(Duration::from_millis(ms));
        let deadline = Instant::now() + WAIT_LIMIT;
        let poll_until = |done: &dyn Fn() -> bool| {
            while !done() && Instant::now() < deadline {
                thread::sleep(Duration::from_micros(200));
            }
        };
        let names = || images_on_disk(data);
        match self {
            KillAt::Delay(ms) => sleep(ms),
            KillAt::AfterFinished { nth, ms } => {
                poll_until(&|| tally.finished.load(Ordering::SeqCst) >= nth);
                sleep(ms);
            }
            KillAt::AtTempFile { warmup_ms, ms } => {
                sleep(warmup_ms);
                poll_until(&|| !names().1.is_empty());
                sleep(ms);
            }
            KillAt::AtNewFile { warmup_ms } => {
                sleep(warmup_ms);
                let files = names().0.len();
                poll_until(&|| names().0.len() > files);
            }
        }
    }
}

/// How long a targeted kill waits for its moment before killing anyway.
const WAIT_LIMIT: Duration = Duration::from_secs(5);

/// Counts over the whole test.
#[derive(Default)]
struct Totals {
    finished: u64,
    started: u64,
    temp_files_at_kill: usize,
    temp_files_removed: usize,
    orphans_adopted: usize,
}

/// One round: stream frames into the running stxd, kill it at `kill_at`, start it
/// again on the same directory and check what survived against what the client saw.
/// Returns the new process and the records, oldest first.
#[allow(clippy::too_many_arguments)]
fn round(
    round: u64,
    stxd: Stxd,
    before: &[String],
    kill_at: KillAt,
    data: &Path,
    logs: &Path,
    scale: f64,
    seed: u64,
    totals: &mut Totals,
) -> (Stxd, Vec<String>) {
    let tally = Arc::new(ClientTally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let worker = {
        let (tally, stop, stx) = (tally.clone(), stop.clone(), stxd.stx);
        thread::spawn(move || client(stx, tally, stop))
    };
    kill_at.wait(data, &tally);
    let log = stxd.kill();
    stop.store(true, Ordering::SeqCst);
    worker.join().expect("the client does not panic");
    let finished = tally.finished.load(Ordering::SeqCst);
    let started = tally.started.load(Ordering::SeqCst);
    let kept_logged = log.matches("frame kept").count();

    // What the kill left on disk, before the next start repairs it.
    let (files_at_kill, temps) = images_on_disk(data);
    totals.temp_files_at_kill += temps.len();
    let new_files: Vec<&String> = files_at_kill.iter().filter(|f| !before.contains(f)).collect();

    // Each process renders with its own seed: a render is a pure function of the seed
    // and the exposure number, which starts again at each run, so without this two
    // runs' frames could be byte-identical and look like one frame recorded twice.
    let stxd = Stxd::start(data, logs, &format!("round-{round:02}"), scale, seed.wrapping_add(round));
    let start_log = std::fs::read_to_string(&stxd.stdout).unwrap_or_default();
    let adopted: Vec<&str> = start_log
        .lines()
        .filter_map(|l| l.split("recovered a frame saved just before a crash: ").nth(1))
        .map(str::trim)
        .collect();
    let removed_temps = start_log.matches("removed an interrupted write").count();
    assert_eq!(removed_temps, temps.len(), "round {round}: temp files {temps:?} removed at start-up");
    totals.temp_files_removed += removed_temps;
    totals.orphans_adopted += adopted.len();
    let after = check_history(&stxd, data);
    let gained = (after.len() - before.len()) as u64;
    let context = format!(
        "round {round} ({kill_at:?}): {started} exposures started, {finished} seen finished \
         (ImageReady 1), {gained} recorded after the restart; {kept_logged} logged as kept, \
         {} new files and {} temp files at the kill, orphans adopted {adopted:?}; logs in {}",
        new_files.len(),
        temps.len(),
        logs.display()
    );

    // Nothing recorded before the kill is lost or moved.
    assert_eq!(after[..before.len()], before[..], "{context}: earlier records changed");
    // Every complete file the kill left is in the history now, recorded before the
    // kill or adopted as an orphan at the start; orphans are the newest records.
    for f in &new_files {
        assert!(after.contains(f), "{context}: {f}, on disk at the kill, is not in the history");
    }
    assert!(adopted.len() <= 1, "{context}: more than the frame in flight was an orphan");
    for (i, name) in adopted.iter().rev().enumerate() {
        assert_eq!(after[after.len() - 1 - i], *name, "{context}: the orphan is the newest record");
        let record = stxd.history(&format!("index={}", after.len() - 1 - i));
        let image_type = record[0]["ImageType"].as_str().unwrap().to_owned();
        assert!(
            name.contains(&format!("_{image_type}_")),
            "{context}: orphan {name} adopted as {image_type}"
        );
    }
    // No frame recorded twice: never more records than exposures started (the
    // one exposure a kill interrupts may have finished unseen).
    assert!(gained <= started, "{context}: more records than exposures");
    assert!(gained <= finished + 1, "{context}: more records than frames finished, plus the unseen one");
    // Every frame the client saw finish is recorded, but for the frame in flight.
    assert!(gained + IN_FLIGHT_PER_KILL >= finished, "{context}: frames lost");
    totals.finished += finished;
    totals.started += started;
    let total = after.len() as u64;
    assert!(
        total + round * IN_FLIGHT_PER_KILL >= totals.finished && total <= totals.finished + round,
        "after round {round}: {total} records, {} frames finished over {round} kills",
        totals.finished
    );
    eprintln!(
        "round {round:2}: {:<48} {started:3} started, {finished:3} finished, {gained:3} recorded, \
         {} temp files at the kill, {} orphans adopted",
        format!("{kill_at:?}"),
        temps.len(),
        adopted.len()
    );
    (stxd, after)
}

#[test]
fn sigkill_while_frames_stream_in_loses_at_most_the_frame_in_flight() {
    let seed: u64 = env_or("STXD_CRASH_SEED", DEFAULT_SEED);
    let rounds: u64 = env_or("STXD_CRASH_ROUNDS", DEFAULT_ROUNDS);
    let scale: f64 = env_or("STXD_CRASH_SCALE", DEFAULT_SCALE);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let temp = KeptOnFailure(Some(tempfile::tempdir().unwrap()));
    let temp = temp.0.as_ref().unwrap();
    let data = temp.path().join("data");
    let logs = temp.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    eprintln!("crash test: seed {seed:#x}, {rounds} rounds, time scale {scale}, logs in {}", logs.display());
    let began = Instant::now();

    let mut stxd = Stxd::start(&data, &logs, "round-00", scale, seed);
    let mut records = check_history(&stxd, &data);
    assert!(records.is_empty());
    let mut totals = Totals::default();
    let mut n = 0;
    // The planned rounds, then (rarely needed) more kills aimed at the store until one
    // has left an orphan to adopt and one a temp file to remove.
    while n < rounds
        || (n < rounds + EXTRA_ROUNDS && (totals.orphans_adopted == 0 || totals.temp_files_removed == 0))
    {
        n += 1;
        let kill_at = if n <= rounds {
            KillAt::pick(&mut rng)
        } else if totals.orphans_adopted == 0 {
            KillAt::AtNewFile { warmup_ms: rng.gen_range(0..=300) }
        } else {
            KillAt::AtTempFile { warmup_ms: rng.gen_range(0..=300), ms: 0 }
        };
        (stxd, records) = round(n, stxd, &records, kill_at, &data, &logs, scale, seed, &mut totals);
    }

    // The last start: per-type counts add up, and the history holds every frame the
    // client saw finish, but for one per kill.
    let total = stxd.count();
    assert_eq!(total, records.len() as u64);
    let mut by_type = 0;
    for t in ["LIGHT", "FLAT", "DARK", "BIAS", "SNAPSHOT"] {
        by_type += stxd.history(&format!("count=true&imageType={t}")).as_u64().unwrap();
    }
    assert_eq!(by_type, total, "the per-type counts add up");
    stxd.kill();
    eprintln!(
        "crash test: {n} kills, {} exposures started, {} seen finished, {total} recorded; \
         {} temp files at kills (all removed at the next start), {} orphans adopted; {:.1} s",
        totals.started,
        totals.finished,
        totals.temp_files_at_kill,
        totals.orphans_adopted,
        began.elapsed().as_secs_f64()
    );
    assert!(totals.finished >= rounds, "frames streamed in: {} over {n} rounds", totals.finished);
    assert!(total + n * IN_FLIGHT_PER_KILL >= totals.finished && total <= totals.finished + n);
    assert!(totals.orphans_adopted > 0, "no kill left an orphan in {n} rounds");
    assert!(totals.temp_files_removed > 0, "no kill left a temp file in {n} rounds");
}

/// Kills beyond the planned rounds, aimed at the store, if none of those left an
/// orphan or a temp file.
const EXTRA_ROUNDS: u64 = 12;

/// Without any crash, every frame whose readout finishes is recorded, also when frames
/// come faster than the pipeline's 100 ms drain (a high `--time-scale` with short
/// exposures of a small window): an orderly stop (SIGTERM) keeps them all.
#[test]
fn a_fast_stream_stopped_in_order_keeps_every_finished_frame() {
    let scale: f64 = env_or("STXD_FAST_SCALE", FAST_SCALE);
    let temp = KeptOnFailure(Some(tempfile::tempdir().unwrap()));
    let temp = temp.0.as_ref().unwrap();
    let data = temp.path().join("data");
    let logs = temp.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let stxd = Stxd::start(&data, &logs, "fast", scale, DEFAULT_SEED);
    let tally = Arc::new(ClientTally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let worker = {
        let (tally, stop, stx) = (tally.clone(), stop.clone(), stxd.stx);
        thread::spawn(move || client(stx, tally, stop))
    };
    thread::sleep(Duration::from_secs(3));
    stop.store(true, Ordering::SeqCst);
    worker.join().expect("the client does not panic");
    let finished = tally.finished.load(Ordering::SeqCst);
    let started = tally.started.load(Ordering::SeqCst);
    assert_eq!(started, finished, "the client stopped after a finished frame");
    assert!(stxd.terminate(), "stxd stops in order on SIGTERM");
    let stxd = Stxd::start(&data, &logs, "fast-after", scale, DEFAULT_SEED + 1);
    let names = check_history(&stxd, &data);
    stxd.kill();
    eprintln!("fast stream at time scale {scale}: {finished} frames finished, {} recorded", names.len());
    assert_eq!(
        names.len() as u64,
        finished,
        "every frame that finished reading out is recorded (time scale {scale}); logs in {}",
        logs.display()
    );
}

/// A 1 s exposure of a 256 × 256 window takes about 14 ms of real time.
const FAST_SCALE: f64 = 75.0;
