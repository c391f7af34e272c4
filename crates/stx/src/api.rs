//! A blocking GET of stxd's v2 API: one HTTP/1.0 exchange on a std `TcpStream` (the
//! command line has no async runtime and needs no more), its JSON envelope unwrapped.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use anyhow::Result;
use serde_json::value::RawValue;

use crate::exit::{Failure, Status};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// `GET {base}{target}` and the envelope's `Response` as the API wrote it (key order
/// and number forms kept); a refusal carries the API's own `Error` text.
pub(crate) fn get(base: &str, target: &str) -> Result<Box<RawValue>> {
    let host = base
        .strip_prefix("http://")
        .map(|rest| rest.trim_end_matches('/'))
        .filter(|h| !h.is_empty() && !h.contains('/'))
        .ok_or_else(|| Failure::usage(format!("invalid API URL '{base}': expected http://HOST[:PORT]")))?;
    let addr = if host.rsplit_once(':').is_some_and(|(_, p)| p.parse::<u16>().is_ok()) {
        host.to_owned()
    } else {
        format!("{host}:80")
    };
    let unreachable = |why: String| Failure::error(Status::Unreachable, why);
    let reply = exchange(&addr, host, target)
        .map_err(|e| unreachable(format!("cannot reach the image-history API at {addr}: {e}")))?;
    let (status, body) = split_reply(&reply)
        .ok_or_else(|| unreachable(format!("unexpected answer from the image-history API at {addr}")))?;
    let not_api = |why: &str| {
        unreachable(format!("unexpected answer from the image-history API at {addr} (HTTP {status}): {why}"))
    };
    let mut envelope: BTreeMap<String, Box<RawValue>> =
        serde_json::from_slice(body).map_err(|e| not_api(&e.to_string()))?;
    if envelope.get("Success").map(|v| v.get()) == Some("true") {
        return envelope.remove("Response").ok_or_else(|| not_api("no Response"));
    }
    let error = envelope
        .get("Error")
        .and_then(|e| serde_json::from_str::<String>(e.get()).ok())
        .unwrap_or_else(|| "no error text".to_owned());
    Err(Failure::error(Status::Refused, format!("image-history API error (HTTP {status}): {error}")))
}

fn exchange(addr: &str, host: &str, target: &str) -> std::io::Result<Vec<u8>> {
    let mut last = None;
    for sock in addr.to_socket_addrs()? {
        match TcpStream::connect_timeout(&sock, CONNECT_TIMEOUT) {
            Ok(mut stream) => {
                stream.set_read_timeout(Some(IO_TIMEOUT))?;
                stream.set_write_timeout(Some(IO_TIMEOUT))?;
                // HTTP/1.0: the server closes after its answer, so the body ends at EOF.
                stream.write_all(format!("GET {target} HTTP/1.0\r\nHost: {host}\r\n\r\n").as_bytes())?;
                let mut reply = Vec::new();
                stream.read_to_end(&mut reply)?;
                return Ok(reply);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no address")))
}

/// The status code and body of a whole reply.
fn split_reply(reply: &[u8]) -> Option<(u16, &[u8])> {
    let end = reply.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&reply[..end]).ok()?;
    let status = head.lines().next()?.strip_prefix("HTTP/1.")?.split(' ').nth(1)?.parse().ok()?;
    Some((status, &reply[end + 4..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies() {
        let ok = split_reply(b"HTTP/1.0 200 OK\r\ncontent-type: application/json\r\n\r\n{}");
        assert_eq!(ok, Some((200, &b"{}"[..])));
        assert_eq!(split_reply(b"HTTP/1.1 400 Bad Request\r\n\r\n").map(|r| r.0), Some(400));
        assert_eq!(split_reply(b"SSH-2.0\r\n\r\n"), None);
        assert_eq!(split_reply(b"HTTP/1.0 200 OK\r\n"), None);
    }

    #[test]
    fn bad_urls_are_usage_errors() {
        let e = get("localhost:1888", "/").unwrap_err();
        assert_eq!(e.to_string(), "invalid API URL 'localhost:1888': expected http://HOST[:PORT]");
        assert_eq!(crate::exit::status_of(&e), Status::Usage);
    }
}
