//! Proxy mode with two real `stxd` processes: one simulating the camera, one with
//! `--camera` in front of it. The camera process is killed and started again.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts `stxd` with `args` and waits for its first line (it is listening then).
fn stxd(data: &Path, stx_port: u16, args: &[&str]) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stxd"))
        .args(["--stx-listen", &format!("127.0.0.1:{stx_port}"), "--api-listen", "127.0.0.1:0", "--data-dir"])
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
fn get_bytes(port: u16, target: &str) -> Vec<u8> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(format!("GET {target} HTTP/1.0\r\n\r\n").as_bytes()).unwrap();
    let mut reply = Vec::new();
    s.read_to_end(&mut reply).unwrap();
    reply
}

/// The whole reply as text, for status and message checks.
fn get(port: u16, target: &str) -> String {
    String::from_utf8_lossy(&get_bytes(port, target)).into_owned()
}

/// Takes a frame through the proxy and waits until the proxy's history holds `want`
/// images (the history's files are counted on disk: one per record).
fn frame_through(proxy: u16, proxy_data: &Path, want: usize) {
    assert!(get(proxy, "/api/ImagerSetSettings.cgi?NumX=128&NumY=128").starts_with("HTTP/1.0 200"));
    let started = get(proxy, "/api/ImagerStartExposure.cgi?Duration=1&FrameType=1");
    assert!(started.starts_with("HTTP/1.0 200"), "{started}");
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
    let (camera_port, proxy_port) = (free_port(), free_port());
    // 1000 simulated seconds a second: the 1 s exposure and its readout take a few ms.
    let mut camera = stxd(&camera_data, camera_port, &["--time-scale", "1000"]);
    let camera_url = format!("http://127.0.0.1:{camera_port}");
    let mut proxy = stxd(&proxy_data, proxy_port, &["--camera", &camera_url]);

    for target in [
        "/api/ImagerGetSettings.cgi?MaxADU&MaxBinX&PixelSizeX",
        "/api/ImagerGetSettings.cgi",
        "/api/Nope.cgi",
    ] {
        assert_eq!(get_bytes(proxy_port, target), get_bytes(camera_port, target), "{target}");
    }
    frame_through(proxy_port, &proxy_data, 1);
    assert_eq!(get_bytes(proxy_port, "/api/ImagerData.bin"), get_bytes(camera_port, "/api/ImagerData.bin"));

    camera.kill().unwrap();
    camera.wait().unwrap();
    let down = get(proxy_port, "/api/ImagerState.cgi");
    assert!(down.starts_with("HTTP/1.0 400") && down.contains("Camera unreachable"), "{down}");

    let mut camera = stxd(&camera_data, camera_port, &["--time-scale", "1000"]);
    frame_through(proxy_port, &proxy_data, 2);

    for child in [&mut camera, &mut proxy] {
        Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
        assert!(child.wait().unwrap().success());
    }
    // Both frames were recorded before the stop (a start-up repair would adopt a
    // file without its record, so the restart alone could not tell), and both
    // records survive the proxy's restart, each with its file.
    let history = stx_history::History::open(&proxy_data).unwrap();
    assert_eq!(history.count(None).unwrap(), 2);
    drop(history);
    let mut proxy = stxd(&proxy_data, proxy_port, &["--camera", &camera_url]);
    let files = std::fs::read_dir(proxy_data.join("images")).unwrap().count();
    assert_eq!(files, 2);
    proxy.kill().unwrap();
    proxy.wait().unwrap();
}
