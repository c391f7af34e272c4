//! The harness: a real stxd on a loopback port, a manual clock, raw TCP. The free
//! functions also serve the tests that run the `stxd` binary as a process.

// Each test binary uses a different part of the harness, and `pub` here means "for the
// test files", which the lint cannot see through `mod common`.
#![allow(dead_code, unreachable_pub)]

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, ExitStatus};
use std::sync::Arc;
use std::time::Duration;

pub mod html;

use stx_sim::ManualClock;
use stxd::server::{Config, Stxd};
use stxd::testing::TestStxd;

/// A running server (`stxd::testing`) with its manual clock.
pub struct TestServer {
    pub harness: TestStxd,
    pub clock: Arc<ManualClock>,
}

/// One reply as it came off the socket.
#[derive(Debug)]
pub struct RawReply {
    pub bytes: Vec<u8>,
}

impl RawReply {
    /// The status line, e.g. `HTTP/1.0 200 OK`.
    pub fn status_line(&self) -> &str {
        let end = self.head_end();
        std::str::from_utf8(&self.bytes[..end]).unwrap().lines().next().unwrap()
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.try_status().expect("a complete head with a status code")
    }

    /// The status code, or `None` for a reply cut short before the end of its head
    /// (what a client sees when the server dies while answering).
    pub fn try_status(&self) -> Option<u16> {
        let end = self.bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
        std::str::from_utf8(&self.bytes[..end]).ok()?.split(' ').nth(1)?.parse().ok()
    }

    /// A header's value (name matched case-insensitively).
    pub fn header(&self, name: &str) -> Option<String> {
        let head = std::str::from_utf8(&self.bytes[..self.head_end()]).unwrap();
        head.split("\r\n").skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }

    /// The body bytes.
    pub fn body(&self) -> &[u8] {
        &self.bytes[self.head_end() + 4..]
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8(self.body().to_vec()).unwrap()
    }

    fn head_end(&self) -> usize {
        self.bytes.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete head")
    }
}

/// For a check that needs what a machine may lack (a peer tool, root): a developer
/// without it gets a note and the check is skipped; CI, which installs everything,
/// fails instead, so the check cannot pass there without running.
pub fn skip_unless_ci(missing: &str) {
    assert!(std::env::var_os("CI").is_none(), "{missing}, and CI must run this check");
    eprintln!("{missing}: check skipped");
}

/// A loopback port nothing listens on right now (another process may still take it
/// before the server binds it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Sends `request` on a fresh connection to `addr` and reads until the server closes.
pub fn exchange(addr: SocketAddr, request: &[u8]) -> io::Result<RawReply> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    s.write_all(request)?;
    let mut bytes = Vec::new();
    s.read_to_end(&mut bytes)?;
    Ok(RawReply { bytes })
}

/// `GET target HTTP/1.0` to the STX API at `addr`, as the spec's examples do.
pub fn get(addr: SocketAddr, target: &str) -> io::Result<RawReply> {
    exchange(addr, format!("GET {target} HTTP/1.0\r\n\r\n").as_bytes())
}

/// `method path` to the v2 API at `addr`, as a dashboard in a browser sends it:
/// HTTP/1.1 with an `Origin`, closing.
pub fn api_request(addr: SocketAddr, method: &str, path: &str) -> io::Result<RawReply> {
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://dash.example\r\nConnection: close\r\n\r\n"
    );
    exchange(addr, request.as_bytes())
}

/// Stops a `stxd` process the orderly way (SIGTERM) and reaps it.
pub fn terminate(child: &mut Child) -> ExitStatus {
    let pid = child.id().to_string();
    let sent = Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
    assert!(sent.success(), "SIGTERM to stxd {pid}");
    child.wait().expect("reap stxd")
}

impl TestServer {
    /// A server with a fresh data directory.
    pub fn start() -> TestServer {
        TestServer::start_in(tempfile::tempdir().unwrap())
    }

    /// A server on an existing data directory (to test what survives a restart).
    pub fn start_in(dir: tempfile::TempDir) -> TestServer {
        TestServer::start_with(dir, "127.0.0.1:0".parse().unwrap(), None)
    }

    /// A proxy in front of the camera at `camera_url`.
    pub fn start_proxy(camera_url: &str) -> TestServer {
        TestServer::start_with(tempfile::tempdir().unwrap(), "127.0.0.1:0".parse().unwrap(), Some(camera_url))
    }

    /// A server on `dir`, its STX API at `stx_listen`, simulated or fronting `camera`.
    pub fn start_with(dir: tempfile::TempDir, stx_listen: SocketAddr, camera: Option<&str>) -> TestServer {
        TestServer::try_start(dir, |config| {
            config.stx_listen = stx_listen;
            config.camera = camera.map(str::to_owned);
        })
        .unwrap_or_else(|(e, _)| panic!("stxd starts: {e}"))
    }

    /// A server on `dir` with the harness's configuration changed by `change`, or why
    /// it did not start (and the directory back).
    pub fn try_start(
        dir: tempfile::TempDir,
        change: impl FnOnce(&mut Config),
    ) -> Result<TestServer, (stxd::server::StartError, tempfile::TempDir)> {
        let clock = Arc::new(ManualClock::new());
        let harness = TestStxd::try_start_in(dir, clock.clone(), change)?;
        Ok(TestServer { harness, clock })
    }

    /// Stops the server and hands back its data directory.
    pub fn stop(self) -> tempfile::TempDir {
        self.harness.stop()
    }

    /// The server.
    pub fn stxd(&self) -> &Stxd {
        self.harness.stxd()
    }

    pub fn addr(&self) -> SocketAddr {
        self.stxd().stx_addr()
    }

    /// Sends raw bytes, reads until the server closes.
    pub fn raw(&self, request: &[u8]) -> RawReply {
        exchange(self.addr(), request).unwrap()
    }

    /// `GET target HTTP/1.0`, as the spec's examples do.
    pub fn get(&self, target: &str) -> RawReply {
        get(self.addr(), target).unwrap()
    }

    /// GET `/api/<call>` and return (status, body text).
    pub fn call(&self, call: &str) -> (u16, String) {
        let r = self.get(&format!("/api/{call}"));
        (r.status(), String::from_utf8_lossy(r.body()).into_owned())
    }

    /// GET `/api/<call>` and insist on a 200; returns the body text.
    pub fn ok(&self, call: &str) -> String {
        let (status, body) = self.call(call);
        assert_eq!(status, 200, "{call} → {body}");
        body
    }

    /// GET `/api/<call>` and insist on a 400 with this error code.
    pub fn err(&self, call: &str, code: &str) {
        let (status, body) = self.call(call);
        assert_eq!((status, body.lines().next().unwrap_or("")), (400, code), "{call} → {body}");
    }

    /// `GET path` on the v2 API port (HTTP/1.1, closing).
    pub fn api(&self, path: &str) -> RawReply {
        self.api_request("GET", path)
    }

    /// Any method on the v2 API port.
    pub fn api_request(&self, method: &str, path: &str) -> RawReply {
        api_request(self.stxd().api_addr(), method, path).unwrap()
    }

    /// The v2 reply's JSON.
    pub fn api_json(&self, path: &str) -> (u16, serde_json::Value) {
        let r = self.api(path);
        (r.status(), serde_json::from_slice(r.body()).unwrap_or_else(|e| panic!("{path}: {e}: {}", r.text())))
    }

    /// Takes a small imager frame of `frame_type` (0 dark, 1 light, 2 bias, 3 flat)
    /// through the STX API, runs it through the pipeline, and returns how many images
    /// the history then holds.
    pub fn take_frame(&self, frame_type: u8) -> u64 {
        self.take_frame_sized(frame_type, 256, 256)
    }

    /// Like [`take_frame`](Self::take_frame), with a `width`×`height` subframe (to
    /// tell rows from columns, or aspect ratios apart).
    pub fn take_frame_sized(&self, frame_type: u8, width: u32, height: u32) -> u64 {
        self.expose_sized(frame_type, width, height);
        self.drain()
    }

    /// Exposes a `width`×`height` imager frame of `frame_type` for 5 s and reads it
    /// out, without running the pipeline.
    pub fn expose_sized(&self, frame_type: u8, width: u32, height: u32) {
        self.ok(&format!(
            "ImagerSetSettings.cgi?StartX=1024&StartY=1024&NumX={width}&NumY={height}&BinX=1&BinY=1"
        ));
        self.ok(&format!("ImagerStartExposure.cgi?Duration=5&FrameType={frame_type}"));
        self.advance(5.0);
        self.advance_until("ImagerState.cgi", "0\r\n", 60.0);
    }

    /// Runs the pipeline now; returns how many images the history holds.
    pub fn drain(&self) -> u64 {
        let stxd = self.stxd();
        stxd.pipeline().drain();
        stxd.history().count(None).unwrap()
    }

    /// Moves simulated time forward.
    pub fn advance(&self, seconds: f64) {
        self.clock.advance(seconds);
    }

    /// Advances in steps until `call` answers `want` (at most `limit_s` simulated seconds).
    pub fn advance_until(&self, call: &str, want: &str, limit_s: f64) -> f64 {
        let mut t = 0.0;
        while self.ok(call) != want {
            assert!(t < limit_s, "{call} never became {want:?} within {limit_s} s");
            self.advance(0.25);
            t += 0.25;
        }
        t
    }
}
