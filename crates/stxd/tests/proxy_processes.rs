//! Proxy mode with two real `stxd` processes: one simulating the camera, one with
//! `--camera` in front of it. The camera process is killed and started again.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{free_port, get};

/// Starts `stxd` with `args` and waits for its first line (it is listening then).
fn stxd(data: &Path, stx: SocketAddr, args: &[&str]) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stxd"))
        .args([
            "--stx-listen",
            &stx.to_string(),
            "--api-listen",
            "127.0.0.1:0",
            "--alpaca-listen",
            "127.0.0.1:0",
            "--no-alpaca-discovery",
            "--data-dir",
        ])
        .arg(data)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.as_mut().unwrap()).read_line(&mut first).unwrap();
    assert!(first.starts_with("stxd: STX API on"), "{first}");
    child
}

/// The whole reply, bytes as they came.
fn get_bytes(addr: SocketAddr, target: &str) -> Vec<u8> {
    get(addr, target).unwrap().bytes
}

/// Takes a frame through the proxy and waits until the proxy's history holds `want`
/// images (the history's files are counted on disk: one per record).
fn frame_through(proxy: SocketAddr, proxy_data: &Path, want: usize) {
    for call in ["ImagerSetSettings.cgi?NumX=128&NumY=128", "ImagerStartExposure.cgi?Duration=1&FrameType=1"]
    {
        let reply = get(proxy, &format!("/api/{call}")).unwrap();
        assert_eq!(reply.status(), 200, "{call} → {}", reply.text());
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let images = std::fs::read_dir(proxy_data.join("images")).map_or(0, |d| {
            d.flatten().filter(|e| e.file_name().to_string_lossy().ends_with(".fits")).count()
        });
        if images >= want {
            return;
        }
        assert!(Instant::now() < deadline, "the proxy never recorded image {want}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn proxy_process_in_front_of_a_camera_process_that_dies_and_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let (camera_data, proxy_data) = (dir.path().join("camera"), dir.path().join("proxy"));
    let at = |port: u16| SocketAddr::from(([127, 0, 0, 1], port));
    let (camera_stx, proxy_stx) = (at(free_port()), at(free_port()));
    // 1000 simulated seconds a second: the 1 s exposure and its readout take a few ms.
    let mut camera = stxd(&camera_data, camera_stx, &["--time-scale", "1000"]);
    let camera_url = format!("http://{camera_stx}");
    let mut proxy = stxd(&proxy_data, proxy_stx, &["--camera", &camera_url]);

    for target in [
        "/api/ImagerGetSettings.cgi?MaxADU&MaxBinX&PixelSizeX",
        "/api/ImagerGetSettings.cgi",
        "/api/Nope.cgi",
    ] {
        assert_eq!(get_bytes(proxy_stx, target), get_bytes(camera_stx, target), "{target}");
    }
    frame_through(proxy_stx, &proxy_data, 1);
    assert_eq!(get_bytes(proxy_stx, "/api/ImagerData.bin"), get_bytes(camera_stx, "/api/ImagerData.bin"));

    camera.kill().unwrap();
    camera.wait().unwrap();
    let down = get(proxy_stx, "/api/ImagerState.cgi").unwrap();
    assert!(down.status() == 400 && down.text().contains("Camera unreachable"), "{}", down.text());

    let mut camera = stxd(&camera_data, camera_stx, &["--time-scale", "1000"]);
    frame_through(proxy_stx, &proxy_data, 2);

    for child in [&mut camera, &mut proxy] {
        assert!(common::terminate(child).success());
    }
    // Both frames were recorded before the stop (a start-up repair would adopt a
    // file without its record, so the restart alone could not tell), and both
    // records survive the proxy's restart, each with its file.
    let history = stx_history::History::open(&proxy_data).unwrap();
    assert_eq!(history.count(None).unwrap(), 2);
    drop(history);
    let mut proxy = stxd(&proxy_data, proxy_stx, &["--camera", &camera_url]);
    let files = std::fs::read_dir(proxy_data.join("images")).unwrap().count();
    assert_eq!(files, 2);
    proxy.kill().unwrap();
    proxy.wait().unwrap();
}
