//! A camera that answers a byte at a time or never stops answering cannot hold the
//! client: the whole exchange has a deadline, and an answer longer than the call can
//! return is an error, read no further.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread;
use std::time::Duration;

use stx_client::{Client, ClientConfig, ErrorKind, MAX_VALUES_BYTES, Timeouts};

/// A camera on loopback that answers every connection with `answer`.
fn upstream(answer: fn(&mut std::net::TcpStream)) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            thread::spawn(move || {
                let mut request = [0u8; 1024];
                let _ = stream.read(&mut request);
                answer(&mut stream);
            });
        }
    });
    url
}

fn client(url: &str) -> Client {
    let timeouts = Timeouts {
        connect: Duration::from_secs(2),
        io: Duration::from_secs(5),
        exchange: Duration::from_millis(500),
    };
    Client::with_config(url, ClientConfig { min_interval: Duration::ZERO, timeouts, read_retries: 0 })
        .unwrap()
}

#[test]
fn a_camera_that_trickles_its_answer_runs_into_the_exchange_deadline() {
    // A byte every 100 ms: each read makes progress well within the 5 s read timeout.
    let url = upstream(|s| {
        for byte in b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n0\r\n".iter().cycle() {
            if s.write_all(&[*byte]).is_err() {
                return;
            }
            thread::sleep(Duration::from_millis(100));
        }
    });
    let e = client(&url).forward("/api/ImagerState.cgi").unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Timeout(d) if *d == Duration::from_millis(500)), "{e}");
}

#[test]
fn an_endless_answer_is_cut_at_what_the_call_can_return() {
    let url = upstream(|s| {
        let _ = s.write_all(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n");
        let block = [b'0'; 4096];
        while s.write_all(&block).is_ok() {}
    });
    let e = client(&url).forward("/api/ImagerState.cgi").unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::TooLong { limit: MAX_VALUES_BYTES, announced: None }), "{e}");
    let announced = upstream(|s| {
        let _ = s.write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 999999999999\r\n\r\n");
    });
    let e = client(&announced).forward("/api/ImagerData.bin").unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::TooLong { announced: Some(999_999_999_999), .. }), "{e}");
}
