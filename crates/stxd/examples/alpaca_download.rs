//! The download of one full imager frame (4096² on the STX-16803) over loopback, three
//! ways, in one run: the STX API's raw `/api/ImagerData.bin`, Alpaca's ImageBytes and
//! Alpaca's JSON `ImageArray`. Prints the best of a few downloads of each, in ms and
//! MB/s, and ImageBytes against the raw download.
//!
//! Run: `cargo run --release -p stxd --example alpaca_download`

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use stx_sim::ManualClock;
use stxd::testing::TestStxd;

/// Downloads of each kind; the best counts (the first may still warm caches).
const ROUNDS: usize = 5;

/// Sends `request` and reads the whole reply; returns its length in bytes.
fn download(addr: SocketAddr, request: &str) -> usize {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.write_all(request.as_bytes()).expect("send");
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).expect("read");
    bytes.len()
}

/// The best time of `ROUNDS` downloads and the reply's length.
fn best(addr: SocketAddr, request: &str) -> (Duration, usize) {
    (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            let length = download(addr, request);
            (start.elapsed(), length)
        })
        .min()
        .expect("at least one round")
}

fn alpaca(addr: SocketAddr, method: &str, member: &str, body: &str, accept: &str) -> String {
    format!(
        "{method} /api/v1/camera/0/{member} HTTP/1.1\r\nHost: {addr}\r\nAccept: {accept}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn main() {
    let clock = Arc::new(ManualClock::new());
    let server = TestStxd::start(clock.clone());
    let (stx, alpaca_addr) = (server.stxd().stx_addr(), server.stxd().alpaca_addr().expect("Alpaca served"));
    let put =
        |member: &str, body: &str| download(alpaca_addr, &alpaca(alpaca_addr, "PUT", member, body, "*/*"));
    put("connect", "");
    put("startexposure", "Duration=1&Light=true");
    let ready = alpaca(alpaca_addr, "GET", "imageready", "", "application/json");
    let mut reply = Vec::new();
    while !String::from_utf8_lossy(&reply).contains("\"Value\":true") {
        clock.advance(1.0);
        let mut stream = TcpStream::connect(alpaca_addr).expect("connect");
        stream.write_all(ready.as_bytes()).expect("send");
        reply.clear();
        stream.read_to_end(&mut reply).expect("read");
    }
    // The first download renders the frame; it is not timed.
    download(stx, "GET /api/ImagerData.bin HTTP/1.0\r\n\r\n");
    let raw = best(stx, "GET /api/ImagerData.bin HTTP/1.0\r\n\r\n");
    let image_bytes =
        best(alpaca_addr, &alpaca(alpaca_addr, "GET", "imagearray", "", "application/imagebytes"));
    let json = best(alpaca_addr, &alpaca(alpaca_addr, "GET", "imagearray", "", "application/json"));
    let line = |name: &str, (time, length): (Duration, usize)| {
        let mb_s = length as f64 / time.as_secs_f64() / 1e6;
        println!(
            "{name:<28} {:>9.1} ms {:>10.1} MB {:>9.0} MB/s",
            time.as_secs_f64() * 1e3,
            length as f64 / 1e6,
            mb_s
        );
    };
    println!("full frame downloads over loopback, best of {ROUNDS}:");
    line("STX /api/ImagerData.bin", raw);
    line("Alpaca ImageBytes", image_bytes);
    line("Alpaca ImageArray (JSON)", json);
    println!("ImageBytes / raw .bin time: {:.2}×", image_bytes.0.as_secs_f64() / raw.0.as_secs_f64());
}
