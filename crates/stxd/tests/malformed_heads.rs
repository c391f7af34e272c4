//! Requests hyper will not read whole still get the port's own answer: on the STX port
//! a 400 (the spec knows no 414 or 431), on the v2 port a reply even to HTTP/0.9.

mod common;

use common::{TestServer, exchange};

#[test]
fn heads_too_long_to_read_get_the_stx_400() {
    let server = TestServer::start();
    let long_uri = format!("GET /api/ImagerState.cgi?{} HTTP/1.0\r\n\r\n", "a".repeat(70_000));
    let many_headers = format!("GET /api/ImagerState.cgi HTTP/1.0\r\n{}\r\n", "X-A: b\r\n".repeat(200));
    for request in [long_uri, many_headers] {
        let reply = server.raw(request.as_bytes());
        assert_eq!(reply.status_line(), "HTTP/1.0 400 Bad Request", "{}", reply.text());
        assert_eq!(reply.header("content-type").as_deref(), Some("text/plain"));
        assert_eq!(reply.text(), "Request too long.\r\n");
    }
    assert_eq!(server.ok("ImagerState.cgi"), "0\r\n");
}

#[test]
fn http_0_9_and_heads_too_long_get_each_ports_own_reply() {
    let server = TestServer::start();
    let api = server.stxd().api_addr();
    let long_uri = format!("GET /v2/api/version?{} HTTP/1.1\r\nHost: {api}\r\n\r\n", "a".repeat(70_000));
    for request in [&b"GET /v2/api/version\r\n"[..], b"\x16\x03\x01garbage\r\n\r\n", long_uri.as_bytes()] {
        let reply = exchange(api, request).unwrap();
        assert_eq!(reply.status(), 400, "{:?}", String::from_utf8_lossy(&reply.bytes));
        assert_eq!(reply.header("content-type").as_deref(), Some("application/json"));
        assert!(reply.text().contains(r#""StatusCode":400,"Success":false"#), "{}", reply.text());
    }
    let reply = server.raw(b"GET /api/ImagerState.cgi\r\n");
    assert_eq!(
        reply.status_line(),
        "HTTP/1.0 400 Bad Request",
        "{:?}",
        String::from_utf8_lossy(&reply.bytes)
    );
    assert_eq!(reply.text(), "Malformed request.\r\n");
}
