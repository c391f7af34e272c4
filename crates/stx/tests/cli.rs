//! `stx` end to end: each subcommand as a separate process against a real stxd started
//! in this test, on a clock running 1000 times fast (a 10 s exposure takes 10 ms). The
//! CLI is another process, so a manual clock could not be advanced between its calls.

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use stx_camera::ScaledClock;
use stx_camera::sim::Faults;
use stx_protocol::Ccd;
use stxd::server::{Config, Stxd};

/// A running stxd with its data directory, stopped on drop.
struct Server {
    stxd: Option<Stxd>,
    runtime: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start() -> Server {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            stx_listen: "127.0.0.1:0".parse().unwrap(),
            api_listen: "127.0.0.1:0".parse().unwrap(),
            data_dir: dir.path().join("data"),
            model: "stx-16803".to_owned(),
            seed: 7,
            camera: None,
            faults: Vec::new(),
            ..Config::default()
        };
        let clock = Arc::new(ScaledClock::new(1000.0));
        let stxd = runtime.block_on(Stxd::start(&config, clock)).expect("stxd starts");
        Server { stxd: Some(stxd), runtime, _dir: dir }
    }

    fn stx_addr(&self) -> SocketAddr {
        self.stxd.as_ref().unwrap().stx_addr()
    }

    /// `stx` pointed at this server's camera and API.
    fn stx(&self) -> Command {
        let api = self.stxd.as_ref().unwrap().api_addr();
        let mut cmd = Command::cargo_bin("stx").unwrap();
        cmd.args(["--camera", &format!("http://{}", self.stx_addr()), "--api", &format!("http://{api}")]);
        cmd.timeout(Duration::from_secs(120));
        cmd
    }

    /// Runs `stx ARGS` and insists on success; returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.stx().args(args).output().unwrap();
        assert!(out.status.success(), "stx {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs `stx ARGS --json` and parses its one line of output.
    fn json(&self, args: &[&str]) -> Value {
        let out = self.ok(&[args, &["--json"]].concat());
        serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("stx {args:?} --json: {e}: {out}"))
    }

    /// The simulated camera's fault switches.
    fn faults(&self) -> Faults {
        self.stxd.as_ref().unwrap().backend().faults().unwrap()
    }

    /// A small readout window, so that frames render quickly.
    fn small_frame(&self) {
        self.ok(&["set", "imager", "StartX=1024", "StartY=1024", "NumX=256", "NumY=256"]);
    }

    /// Exposes a light frame into `file`.
    fn expose(&self, file: &Path) -> Value {
        self.json(&["expose", "--duration", "10", "--type", "light", "-o", file.to_str().unwrap()])
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stxd) = self.stxd.take() {
            self.runtime.block_on(stxd.shutdown());
        }
    }
}

/// A loopback address nobody listens on.
fn closed_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

#[test]
fn help_lists_the_exit_codes() {
    Command::cargo_bin("stx")
        .unwrap()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Exit codes:"))
        .stdout(predicate::str::contains("3  the camera or image-history API refused the request"));
}

#[test]
fn info_describes_the_camera() {
    let s = Server::start();
    let text = s.ok(&["info"]);
    assert!(text.contains("camera       SBIG STX-16803"), "{text}");
    assert!(text.contains("HTTP API     1.00.1"), "{text}");
    assert!(text.contains("sensor       4096x4096 px"), "{text}");
    let info = s.json(&["info"]);
    assert_eq!(info["description"], "SBIG STX-16803");
    assert_eq!(info["imager"]["sensor"]["width"], 4096);
    assert_eq!(info["imager"]["cooler"]["on"], false);
    assert_eq!(info["filter_wheel"]["state"], "idle");
}

#[test]
fn unreachable_camera_exits_4() {
    let camera = closed_port();
    Command::cargo_bin("stx").unwrap().args(["--camera", &camera, "info"]).assert().code(4).stderr(
        predicate::str::starts_with(format!(
            "error: cannot reach camera at {}",
            camera.trim_start_matches("http://")
        )),
    );
}

#[test]
fn bad_camera_url_exits_2() {
    Command::cargo_bin("stx")
        .unwrap()
        .args(["--camera", "127.0.0.1:8080", "info"])
        .assert()
        .code(2)
        .stderr("error: invalid camera URL '127.0.0.1:8080': expected http://HOST[:PORT]\n");
}

#[test]
fn get_reads_settings() {
    let s = Server::start();
    let text = s.ok(&["get", "imager", "BinX", "cameraxsize"]);
    assert_eq!(text, "BinX        1\nCameraXSize 4096\n");
    let values = s.json(&["get", "guider", "CCDTemperature", "MaxBinX"]);
    assert!(values["CCDTemperature"].is_f64(), "{values}");
    assert!(values["MaxBinX"].is_u64(), "{values}");
    let all = s.json(&["get", "extguider"]);
    assert!(all.get("NumX").is_some() && all.get("CoolerState").is_none(), "{all}");
}

#[test]
fn get_of_an_unknown_key_exits_2_before_any_call() {
    // No camera listens there: the key is refused before anything is sent.
    Command::cargo_bin("stx")
        .unwrap()
        .args(["--camera", &closed_port(), "get", "imager", "BinX", "Gain"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "error: unknown imager setting 'Gain'; valid: BinX, BinY, CoolerState,",
        ));
}

#[test]
fn set_changes_settings_and_reports_camera_errors() {
    let s = Server::start();
    assert_eq!(s.ok(&["set", "imager", "BinY=2", "BinX=2"]), "BinX 2\nBinY 2\n");
    let values = s.json(&["set", "imager", "NumX=100"]);
    assert_eq!(values, serde_json::json!({"NumX": 100}));

    s.stx()
        .args(["set", "imager", "BinX=99"])
        .assert()
        .code(3)
        .stdout("")
        .stderr("error: camera error 0x80001001: BinX < 1 or > MaxBin\n");
    s.stx().args(["set", "imager", "Frobnicate=1"]).assert().code(2).stderr(predicate::str::contains(
        "unknown or read-only imager setting 'Frobnicate'; settable: BinX, BinY,",
    ));
    s.stx()
        .args(["set", "guider", "CCDTemperatureSetpoint=-20"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("read-only guider setting 'CCDTemperatureSetpoint'"));
    s.stx()
        .args(["set", "imager", "BinX=two"])
        .assert()
        .code(2)
        .stderr("error: invalid value 'two' for BinX: expected a number\n");
    // Nothing of the refused calls was applied.
    assert_eq!(s.ok(&["get", "imager", "BinX"]), "BinX 2\n");
}

#[test]
fn expose_writes_a_fits_file_that_analyze_reads() {
    let s = Server::start();
    s.small_frame();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m27.fits");
    let out = s.json(&[
        "expose",
        "--duration",
        "10",
        "--type",
        "light",
        "--bin",
        "2",
        "--filter",
        "3",
        "-o",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out["file"], file.to_str().unwrap());
    assert_eq!(out["type"], "light");
    assert_eq!(out["duration"], 10.0);
    assert_eq!(
        (out["width"].as_u64(), out["height"].as_u64(), out["bin"].as_u64()),
        (Some(128), Some(128), Some(2))
    );
    assert_eq!(out["filter"], 3);
    let bytes = std::fs::metadata(&file).unwrap().len();
    assert_eq!(out["bytes"].as_u64(), Some(bytes));
    assert_eq!(&std::fs::read(&file).unwrap()[..9], b"SIMPLE  =");

    let analysis = s.json(&["analyze", file.to_str().unwrap()]);
    assert!(analysis["Median"].as_f64().unwrap() > 0.0, "{analysis}");
    assert!(analysis["Stars"].is_u64(), "{analysis}");
}

#[test]
fn expose_writes_raw_pixels_and_says_what_it_wrote() {
    let s = Server::start();
    s.small_frame();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dark.bin");
    let text = s.ok(&["expose", "--duration", "0.5", "--type", "dark", "-o", file.to_str().unwrap()]);
    assert_eq!(text, format!("wrote {}: dark 0.5 s, 256x256 at bin 1, 131072 bytes\n", file.display()));
    assert_eq!(std::fs::metadata(&file).unwrap().len(), 256 * 256 * 2);
}

#[test]
fn expose_survives_a_dropped_download() {
    let s = Server::start();
    s.small_frame();
    s.faults().drop_next_download();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("light.bin");
    let out = s.expose(&file);
    assert_eq!(out["bytes"], 256 * 256 * 2);
    assert_eq!(std::fs::metadata(&file).unwrap().len(), 256 * 256 * 2);
}

#[test]
fn expose_refuses_bad_input() {
    let s = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let fits = dir.path().join("x.fits");
    let fits = fits.to_str().unwrap();
    s.stx()
        .args(["expose", "--duration", "0", "-o", fits])
        .assert()
        .code(2)
        .stderr("error: invalid duration 0 s: expected 0.01 to 86400 s\n");
    s.stx().args(["expose", "--duration", "1", "-o", "frame.png"]).assert().code(2).stderr(
        "error: cannot tell the format of 'frame.png': name it *.fits (FITS) or *.bin (raw pixels)\n",
    );
    s.stx()
        .args(["expose", "--duration", "1", "--filter", "9", "-o", fits])
        .assert()
        .code(2)
        .stderr("error: invalid filter slot 9: expected 0 to 8\n");
    s.stx()
        .args(["expose", "--duration", "1", "--type", "science", "-o", fits])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid value 'science' for '--type <KIND>'"));
    s.stx()
        .args(["expose", "--duration", "1", "--bin", "10", "-o", fits])
        .assert()
        .code(3)
        .stderr("error: camera error 0x80001001: BinX < 1 or > MaxBin\n");
    assert!(!Path::new(fits).exists());
}

#[test]
fn exposure_in_error_state_exits_5() {
    let s = Server::start();
    s.small_frame();
    s.faults().fail_next_exposure(Ccd::Imager);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.fits");
    s.stx()
        .args(["expose", "--duration", "1", "-o", file.to_str().unwrap()])
        .assert()
        .code(5)
        .stderr("error: the exposure ended in error (imager state 5)\n");
    assert!(!file.exists());
}

#[test]
fn history_lists_exposed_frames() {
    let s = Server::start();
    assert_eq!(s.ok(&["history"]), "no images\n");
    s.small_frame();
    let dir = tempfile::tempdir().unwrap();
    s.expose(&dir.path().join("a.fits"));
    s.json(&[
        "expose",
        "--duration",
        "1",
        "--type",
        "dark",
        "-o",
        dir.path().join("b.fits").to_str().unwrap(),
    ]);

    // The server measures each frame after it is read out: both are, once drained.
    s.stxd.as_ref().unwrap().pipeline().drain();
    let records = s.json(&["history"]);
    let list = records.as_array().unwrap();
    assert_eq!(list.len(), 2, "{records}");
    assert_eq!((&list[0]["ImageType"], &list[1]["ImageType"]), (&"LIGHT".into(), &"DARK".into()));
    assert_eq!(list[0]["ExposureTime"], 10.0);

    // The records as the API wrote them: its field order, ExposureTime first.
    assert!(s.ok(&["history", "--json"]).starts_with(r#"[{"ExposureTime":10,"ImageType":"LIGHT","#));
    let lights = s.json(&["history", "--type", "light"]);
    assert_eq!(lights.as_array().unwrap().len(), 1);
    let last = s.json(&["history", "--last", "1"]);
    assert_eq!(last.as_array().unwrap()[0]["ImageType"], "DARK");

    let table = s.ok(&["history"]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    let headings: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(headings, ["index", "date", "type", "exposure", "filter", "temp", "stars", "HFR", "median"]);
    assert!(
        lines[1].starts_with("0 ") && lines[1].contains("LIGHT") && lines[1].contains("10.00"),
        "{table}"
    );
    assert!(lines[2].starts_with("1 ") && lines[2].contains("DARK"), "{table}");
    let newest = s.ok(&["history", "--type", "dark", "--last", "5"]);
    assert_eq!(newest.lines().count(), 2, "{newest}");
    assert_eq!(s.ok(&["history", "--type", "flat"]), "no images\n");

    s.stx()
        .args(["history", "--type", "science"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid value 'science' for '--type <TYPE>'"));
}

#[test]
fn history_of_an_unreachable_api_exits_4() {
    let api = closed_port();
    Command::cargo_bin("stx")
        .unwrap()
        .args(["--api", &api, "history"])
        .assert()
        .code(4)
        .stderr(predicate::str::starts_with(format!(
            "error: cannot reach the image-history API at {}",
            api.trim_start_matches("http://")
        )))
        .stderr(predicate::str::contains("camera").not());
}

#[test]
fn filter_moves_and_names() {
    let s = Server::start();
    let named = s.json(&["filter", "names", "1=Luminance", "2=Red", "8=H alpha"]);
    assert_eq!(named["names"][0], "Luminance");
    assert_eq!(named["names"][7], "H alpha");
    assert_eq!(named["names"][2], "Empty");

    let moved = s.ok(&["filter", "2"]);
    assert!(moved.starts_with("filter wheel: slot 2, Red (idle)\n"), "{moved}");
    assert!(moved.contains("* 2  Red\n") && moved.contains("  1  Luminance\n"), "{moved}");
    let shown = s.json(&["filter"]);
    assert_eq!(
        (&shown["current"], &shown["current_name"], &shown["state"]),
        (&2.into(), &"Red".into(), &"idle".into())
    );

    s.stx()
        .args(["filter", "9"])
        .assert()
        .code(2)
        .stderr("error: invalid filter slot '9': expected 0 to 8, or `names`\n");
    s.stx()
        .args(["filter", "names", "3=a name far too long"])
        .assert()
        .code(2)
        .stderr("error: invalid filter name 'a name far too long': at most 16 printable ASCII characters\n");

    s.faults().set_filter_wheel_absent(true);
    s.stx()
        .args(["filter", "3"])
        .assert()
        .code(3)
        .stderr("error: camera error 0x8000100c: Filter Selector not found.\n");
    let info = s.json(&["info"]);
    assert_eq!(info["filter_wheel"]["state"], "error");
}

#[test]
fn guide_pulses_relays() {
    let s = Server::start();
    assert_eq!(s.ok(&["guide", "--x+", "0.5", "--y-", "1"]), "pulse: x+ for 0.5 s, y- for 1 s\n");
    let out = s.json(&["guide", "--x-", "2"]);
    assert_eq!(out, serde_json::json!({"pulses": [{"relay": "x-", "seconds": 2.0}]}));

    s.stx()
        .args(["guide", "--x+", "700"])
        .assert()
        .code(2)
        .stderr("error: invalid pulse of 700 s on x+: expected 0.01 to 655.35 s\n");
    s.stx()
        .args(["guide", "--x+", "1", "--x-", "1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("'--x+ <SECONDS>' cannot be used with '--x- <SECONDS>'"));
    s.stx().arg("guide").assert().code(2).stderr(predicate::str::contains("required"));
}

#[test]
fn ao_moves_the_element() {
    let s = Server::start();
    assert_eq!(s.ok(&["ao", "60", "40.5"]), "AO at X 60, Y 40.5\n");
    assert_eq!(s.json(&["ao", "50", "50"]), serde_json::json!({"x": 50.0, "y": 50.0}));
    s.stx()
        .args(["ao", "101", "50"])
        .assert()
        .code(2)
        .stderr("error: invalid AO X position 101: expected 0 to 100\n");
    s.stx()
        .args(["ao", "50", "-1"])
        .assert()
        .code(2)
        .stderr("error: invalid AO Y position -1: expected 0 to 100\n");
}

#[test]
fn cooler_regulates_and_waits() {
    let s = Server::start();
    let off = s.json(&["cooler"]);
    assert_eq!(off["on"], false);

    let cooled = s.json(&["cooler", "--setpoint", "-10", "--wait"]);
    assert_eq!((&cooled["on"], &cooled["setpoint_c"]), (&true.into(), &(-10.0).into()));
    let t = cooled["temperature_c"].as_f64().unwrap();
    assert!((t + 10.0).abs() <= 0.5, "{cooled}");

    let text = s.ok(&["cooler", "--off"]);
    assert!(text.starts_with("cooler off, CCD "), "{text}");

    // A refused setpoint leaves the cooler as it was.
    s.stx()
        .args(["cooler", "--setpoint", "-150"])
        .assert()
        .code(3)
        .stderr("error: camera error 0x80001009: Bad parameter.\n");
    assert_eq!(s.json(&["cooler"])["on"], false);

    s.stx().args(["cooler", "--wait"]).assert().code(2);
}

#[test]
fn cooler_that_misses_its_setpoint_exits_5() {
    let s = Server::start();
    s.faults().set_cooler_stuck(true);
    s.stx()
        .args(["cooler", "--setpoint", "-30", "--wait", "--timeout", "1"])
        .assert()
        .code(5)
        .stderr(predicate::str::starts_with("error: the CCD is at "))
        .stderr(predicate::str::contains("not within 0.5 °C of the setpoint -30.00 °C"));
}

#[test]
fn watch_prints_a_line_per_interval() {
    let s = Server::start();
    let text = s.ok(&["watch", "--count", "2", "--interval", "0.01"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].contains("imager idle") && lines[0].contains("guider idle"), "{text}");
    assert!(lines[0].contains("filter 0 idle"), "{text}");

    let out = s.ok(&["watch", "--count", "3", "--interval", "0.01", "--json"]);
    let samples: Vec<Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(samples.len(), 3);
    assert_eq!(samples[0]["imager"], "idle");
    assert!(samples[0]["temperature_c"].is_f64(), "{}", samples[0]);

    s.stx()
        .args(["watch", "--interval", "0"])
        .assert()
        .code(2)
        .stderr("error: invalid interval 0 s: expected a positive number\n");
}

#[test]
fn unreachable_camera_mid_command_exits_4() {
    // Every camera subcommand reports an unreachable camera the same way.
    let camera = closed_port();
    for args in
        [&["filter"][..], &["cooler"], &["watch", "--count", "1"], &["guide", "--y+", "1"], &["ao", "1", "2"]]
    {
        Command::cargo_bin("stx")
            .unwrap()
            .args(["--camera", &camera])
            .args(args)
            .assert()
            .code(4)
            .stderr(predicate::str::contains("cannot reach camera at"));
    }
}
