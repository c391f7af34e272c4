//! Connections that would hold stxd's descriptors, memory or shutdown hostage: idle and
//! slowloris clients are closed on both ports, a client that stops reading loses its
//! download, one port's idle clients cannot starve the other port, and SIGTERM stops
//! stxd whatever a client does. Deadlines are shortened through the configuration;
//! nothing here asserts how long anything took.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::TestServer;
use stxd::connections::Timeouts;

/// Deadlines short enough for a test.
fn short() -> Timeouts {
    Timeouts { head: Duration::from_millis(300), write: Duration::from_millis(300), ..Timeouts::default() }
}

fn server() -> TestServer {
    TestServer::try_start(tempfile::tempdir().unwrap(), |c| c.timeouts = short())
        .unwrap_or_else(|(e, _)| panic!("{e}"))
}

/// Whether the server closes `stream` (rather than the client's 20 s read timeout
/// running out first), after the client sends `sent` slowly.
fn closed_by_server(mut stream: TcpStream, sent: &[u8]) -> bool {
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    for byte in sent {
        if stream.write_all(&[*byte]).is_err() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut rest = Vec::new();
    match stream.read_to_end(&mut rest) {
        Ok(_) => true,
        Err(e) => e.kind() != std::io::ErrorKind::WouldBlock && e.kind() != std::io::ErrorKind::TimedOut,
    }
}

#[test]
fn idle_and_slowloris_clients_are_closed_on_both_ports() {
    let server = server();
    let api = server.stxd().api_addr();
    for addr in [server.addr(), api] {
        assert!(closed_by_server(TcpStream::connect(addr).unwrap(), b""), "an idle client on {addr}");
        // One byte every 50 ms: the head never completes within its 300 ms.
        let slow = b"GET /api/ImagerState.cgi HTTP/1.1\r\nHost: x\r\n";
        assert!(closed_by_server(TcpStream::connect(addr).unwrap(), slow), "a slowloris client on {addr}");
    }
    // A keep-alive connection left idle after a reply is closed too.
    let mut keep = TcpStream::connect(api).unwrap();
    keep.write_all(format!("GET /v2/api/version HTTP/1.1\r\nHost: {api}\r\n\r\n").as_bytes()).unwrap();
    let mut head = [0u8; 12];
    keep.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 200");
    assert!(closed_by_server(keep, b""), "an idle keep-alive client");
}

#[test]
fn a_client_that_stops_reading_loses_its_download() {
    let server = server();
    server.ok("ImagerSetSettings.cgi?StartX=0&StartY=0&NumX=4096&NumY=4096&BinX=1&BinY=1");
    server.ok("ImagerStartExposure.cgi?Duration=1&FrameType=0");
    server.advance(1.0);
    server.advance_until("ImagerState.cgi", "0\r\n", 60.0);
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    stream.write_all(b"GET /api/ImagerData.bin HTTP/1.0\r\n\r\n").unwrap();
    // Not reading: the 32 MiB reply fills the socket buffers and the server's write
    // waits past its timeout.
    std::thread::sleep(Duration::from_secs(2));
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut got = Vec::new();
    let _ = stream.read_to_end(&mut got);
    assert!(got.len() < 4096 * 4096 * 2, "the whole frame waited for a client that did not read");
    // The server goes on serving.
    assert_eq!(server.ok("ImagerState.cgi"), "0\r\n");
}

/// A `stxd` process, killed if a test fails before it stops it.
struct Process(std::process::Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `stxd` as a process under `sh -c 'ulimit -n N; exec stxd …'`, and its addresses.
fn spawn_stxd(fd_limit: u32, dir: &std::path::Path, extra: &str) -> (Process, SocketAddr, SocketAddr) {
    let script = format!(
        "ulimit -n {fd_limit} && exec {} --stx-listen 127.0.0.1:0 --api-listen 127.0.0.1:0 --alpaca-listen 127.0.0.1:0 --no-alpaca-discovery --time-scale 100 --data-dir {} {extra}",
        env!("CARGO_BIN_EXE_stxd"),
        dir.display()
    );
    let mut child = Command::new("sh")
        .args(["-c", &script])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut addr = |prefix: &str, end: &str| -> SocketAddr {
        let line = lines.next().unwrap().unwrap();
        line.strip_prefix(prefix)
            .and_then(|r| r.split(end).next())
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("{line}"))
    };
    let stx = addr("stxd: STX API on http://", "/api/");
    let api = addr("stxd: image history on http://", "/v2/");
    // Its log goes on on stdout: read it, or stxd's writes fail.
    std::thread::spawn(move || lines.for_each(drop));
    (Process(child), stx, api)
}

#[test]
fn idle_clients_of_the_v2_port_cannot_starve_the_stx_port() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, stx, api) = spawn_stxd(128, dir.path(), "");
    // More idle connections than stxd has descriptors (and fewer than its accepted
    // ones plus the kernel's queue of 128, so that every connect completes).
    let idle: Vec<TcpStream> = (0..150).map(|_| TcpStream::connect(api).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(200));
    let reply = common::get(stx, "/api/ImagerState.cgi").expect("the STX port answers");
    assert_eq!(reply.text(), "0\r\n");
    drop(idle);
    assert!(common::terminate(&mut child.0).success());
}

#[test]
fn websockets_of_the_v2_port_cannot_starve_the_stx_port() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, stx, api) = spawn_stxd(128, dir.path(), "");
    // A WebSocket keeps its socket after hyper hands it on: it holds its slot still.
    let handshake = format!(
        "GET /v2/socket HTTP/1.1\r\nHost: {api}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    let sockets: Vec<TcpStream> = (0..150)
        .map(|_| {
            let mut s = TcpStream::connect(api).unwrap();
            s.write_all(handshake.as_bytes()).unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let reply = common::get(stx, "/api/ImagerState.cgi").expect("the STX port answers");
    assert_eq!(reply.text(), "0\r\n");
    drop(sockets);
    assert!(common::terminate(&mut child.0).success());
}

#[test]
fn sigterm_stops_stxd_while_a_client_stalls_on_a_download() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, stx, _) = spawn_stxd(1024, dir.path(), "--client-timeout 600");
    let ok = |call: &str| common::get(stx, &format!("/api/{call}")).unwrap().text();
    ok("ImagerStartExposure.cgi?Duration=0.01&FrameType=0");
    while ok("ImagerState.cgi") != "0\r\n" {
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut stalled = TcpStream::connect(stx).unwrap();
    stalled.write_all(b"GET /api/ImagerData.bin HTTP/1.0\r\n\r\n").unwrap();
    let mut head = [0u8; 15];
    stalled.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.0 200 OK");

    let pid = child.0.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    // Generous: a stop that waits for the stalled client never comes at all.
    let mut exited = None;
    for _ in 0..600 {
        exited = child.0.try_wait().unwrap();
        if exited.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let Some(status) = exited else {
        panic!("stxd did not stop on SIGTERM while a client stalled");
    };
    assert!(status.success(), "{status}");
    drop(stalled);
}
