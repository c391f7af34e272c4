//! Faults on demand through `/sim/…` on the STX port, seen by an STX client.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;

use common::TestServer;

fn sim(s: &TestServer, path: &str) -> String {
    let r = s.get(path);
    assert_eq!(r.status(), 200, "{path}: {}", r.text());
    r.text()
}

#[test]
fn next_exposure_ends_in_state_5() {
    let s = TestServer::start();
    s.ok("ImagerSetSettings.cgi?NumX=64&NumY=64");
    let listed = sim(&s, "/sim/faults/exposure-error?ccd=imager");
    assert!(listed.contains("exposure-error=Imager"), "{listed}");
    s.ok("ImagerStartExposure.cgi?Duration=1&FrameType=1");
    s.advance_until("ImagerState.cgi", "5\r\n", 30.0);
    assert_eq!(s.ok("ImagerImageReady.cgi"), "0\r\n");
    // One exposure only: the next one works.
    s.ok("ImagerStartExposure.cgi?Duration=1&FrameType=1");
    s.advance_until("ImagerState.cgi", "0\r\n", 30.0);
    assert_eq!(s.ok("ImagerImageReady.cgi"), "1\r\n");
}

#[test]
fn filter_wheel_absent_and_failing() {
    let s = TestServer::start();
    sim(&s, "/sim/faults/filter-wheel?mode=absent");
    s.err("ChangeFilter.cgi?NewPosition=1", "0x8000100c");
    assert_eq!(s.ok("FilterState.cgi"), "2\r\n");
    sim(&s, "/sim/faults/filter-wheel?mode=failing");
    s.err("ChangeFilter.cgi?NewPosition=1", "0x8000100d");
    sim(&s, "/sim/faults/filter-wheel?mode=ok");
    s.ok("ChangeFilter.cgi?NewPosition=1");
}

#[test]
fn cooler_stuck_never_reaches_its_setpoint() {
    let s = TestServer::start();
    s.ok("ImagerSetSettings.cgi?CoolerState=1&CCDTemperatureSetpoint=0");
    sim(&s, "/sim/faults/cooler-stuck?on=1");
    s.advance(3600.0);
    let v = s.ok("ImagerGetSettings.cgi?CCDTemperature&CoolerPower");
    let lines: Vec<f64> = v.lines().map(|l| l.parse().unwrap()).collect();
    assert!(lines[0] > 0.5, "stays above the setpoint: {v}");
    assert_eq!(lines[1], 100.0, "flat out: {v}");
    sim(&s, "/sim/faults/clear");
    s.advance(3600.0);
    let t: f64 = s.ok("ImagerGetSettings.cgi?CCDTemperature").trim().parse().unwrap();
    assert!(t.abs() < 0.5, "reaches it once freed: {t}");
}

#[test]
fn slow_answers_still_answer() {
    let s = TestServer::start();
    assert!(sim(&s, "/sim/faults/slow?ms=150").contains("slow=150"));
    assert_eq!(s.ok("ImagerState.cgi"), "0\r\n");
    assert!(sim(&s, "/sim/faults/slow?ms=0").contains("slow=0"));
}

#[test]
fn download_dropped_midway() {
    let s = TestServer::start();
    s.ok("ImagerSetSettings.cgi?NumX=256&NumY=256");
    s.ok("ImagerStartExposure.cgi?Duration=1&FrameType=1");
    s.advance_until("ImagerState.cgi", "0\r\n", 30.0);
    sim(&s, "/sim/faults/drop-download");
    let mut stream = TcpStream::connect(s.addr()).unwrap();
    stream.write_all(b"GET /api/ImagerData.bin HTTP/1.0\r\n\r\n").unwrap();
    let mut bytes = Vec::new();
    let _ = stream.read_to_end(&mut bytes); // may end in a reset
    let head_end = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&bytes[..head_end]).into_owned();
    assert!(head.contains("Content-Length: 131072"), "{head}");
    assert!(bytes.len() - head_end < 131072, "cut short: {} bytes", bytes.len() - head_end);
    // One-shot: the next download is whole.
    assert_eq!(s.get("/api/ImagerData.bin").body().len(), 131072);
}

#[test]
fn sim_paths_say_what_is_wrong() {
    let s = TestServer::start();
    let r = s.get("/sim/faults/filter-wheel?mode=sideways");
    assert_eq!((r.status(), r.text().as_str()), (400, "mode must be ok, absent or failing.\r\n"));
    assert_eq!(s.get("/sim/nothing").status(), 404);
    let listed = sim(&s, "/sim/faults");
    assert!(listed.contains("filter-wheel=ok") && listed.contains("cooler-stuck=0"), "{listed}");
}
