//! DNS rebinding: a request naming a host stxd does not answer for is refused on both
//! ports before it does anything; addresses, `localhost`, `--allowed-host` names and
//! HTTP/1.0 requests without `Host` are served, with CORS kept for reads.

mod common;

use common::{TestServer, exchange};

fn request(host: &str, target: &str) -> Vec<u8> {
    format!("GET {target} HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\nConnection: close\r\n\r\n")
        .into_bytes()
}

#[test]
fn a_rebound_name_is_refused_on_both_ports_and_allowed_names_are_served() {
    let server = TestServer::try_start(tempfile::tempdir().unwrap(), |c| {
        c.allowed_hosts = vec!["stx.observatory.lan".to_owned()];
    })
    .unwrap_or_else(|(e, _)| panic!("{e}"));
    let (stx, api) = (server.addr(), server.stxd().api_addr());

    // The rebinding page: its own name, now pointing at stxd.
    let evil = format!("rebind.evil.example:{}", api.port());
    let reply = exchange(api, &request(&evil, "/v2/api/image-history?count=true")).unwrap();
    assert_eq!(reply.status(), 403, "{}", reply.text());
    assert!(reply.text().contains("Host not allowed"), "{}", reply.text());
    let evil = format!("rebind.evil.example:{}", stx.port());
    let reply =
        exchange(stx, &request(&evil, "/api/ImagerStartExposure.cgi?Duration=1&FrameType=1")).unwrap();
    assert_eq!(reply.status(), 400, "{}", reply.text());
    assert_eq!(server.ok("ImagerState.cgi"), "0\r\n", "the refused request started nothing");
    let focal_length = server.ok("GetFITSSetting.cgi?FL");
    let reply = exchange(stx, &request("rebind.evil.example", "/api/SetFITSSetting.cgi?FL=1")).unwrap();
    assert_eq!(reply.status(), 400);
    assert_eq!(server.ok("GetFITSSetting.cgi?FL"), focal_length, "the refused request changed nothing");

    for host in [api.to_string(), format!("localhost:{}", api.port()), "stx.observatory.lan:1888".to_owned()]
    {
        let reply = exchange(api, &request(&host, "/v2/api/image-history?count=true")).unwrap();
        assert_eq!(reply.status(), 200, "{host}: {}", reply.text());
        assert_eq!(reply.header("access-control-allow-origin").as_deref(), Some("*"));
    }
    let reply =
        exchange(stx, &request(&format!("localhost:{}", stx.port()), "/api/ImagerState.cgi")).unwrap();
    assert_eq!(reply.status(), 200);
    // The spec's HTTP/1.0 requests carry no Host.
    assert_eq!(server.ok("ImagerState.cgi"), "0\r\n");
}
