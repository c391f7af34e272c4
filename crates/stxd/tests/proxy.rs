//! Proxy mode: one stxd simulating the camera, one in front of it with `--camera`.
//! An STX client talks to the proxy.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::TestServer;

/// A TCP relay in front of the camera that notes when each connection (one HTTP/1.0
/// command) arrives: what the camera sees.
struct Relay {
    addr: SocketAddr,
    arrivals: Arc<Mutex<Vec<Instant>>>,
}

impl Relay {
    fn start(camera: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let arrivals = Arc::new(Mutex::new(Vec::new()));
        let noted = arrivals.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                noted.lock().unwrap().push(Instant::now());
                let Ok(upstream) = TcpStream::connect(camera) else { continue };
                let (mut c_read, mut u_write) = (client.try_clone().unwrap(), upstream.try_clone().unwrap());
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut c_read, &mut u_write);
                    let _ = u_write.shutdown(std::net::Shutdown::Write);
                });
                let (mut u_read, mut c_write) = (upstream, client);
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut u_read, &mut c_write);
                    // The camera closed after its answer: so does the relay.
                    let _ = c_write.shutdown(std::net::Shutdown::Both);
                });
            }
        });
        Relay { addr, arrivals }
    }
}

fn url(addr: SocketAddr) -> String {
    format!("http://{addr}")
}

/// Takes a frame through the proxy: the camera's clock is moved by the test.
fn take_frame_through(proxy: &TestServer, camera: &TestServer) {
    proxy.ok("ImagerSetSettings.cgi?StartX=1000&StartY=1000&NumX=256&NumY=256");
    proxy.ok("ImagerStartExposure.cgi?Duration=5&FrameType=1");
    camera.advance(5.0);
    for _ in 0..200 {
        if proxy.ok("ImagerState.cgi") == "0\r\n" {
            return;
        }
        camera.advance(0.25);
    }
    panic!("the exposure never finished");
}

/// Drains the proxy's pipeline until it holds `want` images (it asks the camera at most
/// every half second).
fn wait_for_records(proxy: &TestServer, want: u64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while proxy.drain() < want {
        assert!(Instant::now() < deadline, "the proxy never recorded image {want}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn replies_pass_through_byte_for_byte() {
    let camera = TestServer::start();
    let proxy = TestServer::start_proxy(&url(camera.addr()));
    for target in [
        "/api/ImagerGetSettings.cgi?MaxADU&MaxBinX&MaxBinY&PixelSizeX",
        "/api/ImagerGetSettings.cgi",
        "/api/ImagerSetSettings.cgi?BinX=77",
        "/api/GuiderGetSettings.cgi?CameraXSize&CoolerPower",
        "/api/NoSuchCall.cgi",
        "/api/FilterState.cgi&0.84",
        "/api/GetFilterSetting.cgi?CurrentFilter&CurrentFilterName&Filter1Name",
        "/api/Description.cgi",
        "/api/VersionNumbers.cgi",
        "/api/GetFITSSetting.cgi?ObjectName&FL",
        "/api/ImagerStartExposure.cgi?Duration=1",
        "/api/PulseGuide.cgi?DirectionX=0",
        "/api/ImagerData.bin",
    ] {
        let through = proxy.get(target);
        let direct = camera.get(target);
        assert_eq!(through.bytes, direct.bytes, "{target}");
    }
}

#[test]
fn frames_land_in_the_proxys_history_and_downloads_match_the_camera() {
    let camera = TestServer::start();
    let proxy = TestServer::start_proxy(&url(camera.addr()));
    proxy.ok("SetFITSSetting.cgi?ObjectName=M27");
    take_frame_through(&proxy, &camera);
    wait_for_records(&proxy, 1);
    let bin = camera.get("/api/ImagerData.bin");
    assert_eq!(proxy.get("/api/ImagerData.bin").bytes, bin.bytes, ".bin through the proxy");
    // The spec's own order: set FITS settings after the exposure, then download.
    proxy.ok("SetFITSSetting.cgi?ObjectName=M57");
    let fit = proxy.get("/api/Imager.FIT");
    assert_eq!(fit.bytes, camera.get("/api/Imager.FIT").bytes, ".FIT through the proxy");
    assert!(String::from_utf8_lossy(&fit.body()[..2880]).contains("'M57"));

    let pixels: Vec<f64> =
        bin.body().chunks(2).map(|b| f64::from(u16::from_le_bytes([b[0], b[1]]))).collect();
    let mean = pixels.iter().sum::<f64>() / pixels.len() as f64;
    let mut sorted = pixels.clone();
    sorted.sort_by(f64::total_cmp);
    let median = (sorted[sorted.len() / 2 - 1] + sorted[sorted.len() / 2]) / 2.0;
    let (_, json) = proxy.api_json("/v2/api/image-history");
    let record = &json["Response"][0];
    assert_eq!(record["ImageType"], "LIGHT");
    assert_eq!(record["CameraName"], "SBIG STX-16803");
    assert_eq!(record["TargetName"], "M27", "FITS settings when the frame was kept");
    assert!((record["Mean"].as_f64().unwrap() - mean).abs() < 1e-9);
    assert_eq!(record["Median"].as_f64().unwrap(), median);
    assert_eq!(record["Min"].as_f64().unwrap(), sorted[0]);
    assert_eq!(record["Max"].as_f64().unwrap(), *sorted.last().unwrap());
    assert_eq!(record["ExposureTime"].as_f64(), Some(5.0));
}

#[test]
fn a_frame_finished_just_before_a_capture_is_kept() {
    let camera = TestServer::start();
    let proxy = TestServer::start_proxy(&url(camera.addr()));
    take_frame_through(&proxy, &camera);
    // At once, before the pipeline's next ask: the capture asks the camera first.
    let (status, json) = proxy.api_json("/v2/api/equipment/camera/capture?duration=1&save=true");
    assert_eq!(status, 200, "{json}");
    let (_, json) = proxy.api_json("/v2/api/image-history?imageType=LIGHT&count=true");
    assert_eq!(json["Response"], 1, "the light frame finished before the capture");
}

#[test]
fn a_capture_without_a_camera_is_unavailable_not_a_bad_parameter() {
    let nobody = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let lost = TestServer::start_proxy(&url(nobody));
    let (status, json) = lost.api_json("/v2/api/equipment/camera/capture?duration=1");
    assert_eq!(status, 503, "{json}");
    assert_eq!(
        (json["Success"].as_bool(), json["Error"].as_str()),
        (Some(false), Some("Camera unavailable"))
    );
    assert_eq!(json["StatusCode"], 503);
}

#[test]
fn the_camera_sees_at_most_one_command_per_50_ms() {
    let camera = TestServer::start();
    let relay = Relay::start(camera.addr());
    let proxy = Arc::new(TestServer::start_proxy(&url(relay.addr)));
    let until = Instant::now() + Duration::from_millis(1500);
    let pollers: Vec<_> = (0..6)
        .map(|_| {
            let proxy = proxy.clone();
            std::thread::spawn(move || {
                let mut answered = 0;
                while Instant::now() < until {
                    assert_eq!(proxy.ok("ImagerState.cgi"), "0\r\n");
                    answered += 1;
                }
                answered
            })
        })
        .collect();
    let answered: u32 = pollers.into_iter().map(|p| p.join().unwrap()).sum();
    let arrivals = relay.arrivals.lock().unwrap().clone();
    // No command is multiplied: each is a client's, or one of stxd's own background
    // asks (the pipeline's every 500 ms, the equipment watcher's every second: at most 8
    // in this window, each paced like the rest).
    assert!(
        arrivals.len() >= 5 && answered as usize + 8 >= arrivals.len(),
        "{answered} answered, {} sent",
        arrivals.len()
    );
    // The client keeps its starts ≥ 50 ms apart on its own schedule (the pacer's unit
    // test). Here the camera's count over the window: n starts 50 ms apart span at least
    // 50·(n − 1) ms, and the relay's thread may see the first late or the last early, so
    // one interval of slack on the count rather than a bound on any single gap.
    let span = *arrivals.last().unwrap() - arrivals[0];
    assert!(arrivals.len() as u128 <= span.as_millis() / 50 + 2, "{} commands in {span:?}", arrivals.len());
}

#[test]
fn proxy_recovers_when_the_camera_restarts_without_losing_a_record() {
    let camera = TestServer::start();
    let camera_addr = camera.addr();
    let proxy = TestServer::start_proxy(&url(camera_addr));
    take_frame_through(&proxy, &camera);
    wait_for_records(&proxy, 1);
    let first = proxy.api("/v2/api/image-history?index=0").text();

    let dir = camera.stop();
    let (status, body) = proxy.call("ImagerState.cgi");
    assert_eq!(status, 400);
    assert!(body.starts_with("Camera unreachable: cannot reach camera at"), "{body}");

    let camera = TestServer::start_with(dir, camera_addr, None);
    take_frame_through(&proxy, &camera);
    wait_for_records(&proxy, 2);
    assert_eq!(proxy.api("/v2/api/image-history?index=0").text(), first, "the first record is untouched");
    let mut s = TcpStream::connect(proxy.addr()).unwrap();
    s.write_all(b"GET /api/ImagerImageReady.cgi HTTP/1.0\r\n\r\n").unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    assert!(reply.ends_with("\r\n\r\n1\r\n"), "{reply}");
}
