//! One HTTP/1.0 GET, as the spec shows it: `GET target HTTP/1.0` and an empty line; the
//! camera answers and closes. Bodies stream to a writer with progress and are checked
//! against Content-Length.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind};

/// The head of an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Head {
    /// The status code.
    pub(crate) status: u16,
    /// `Content-Type`, if sent.
    pub(crate) content_type: Option<String>,
    /// `Content-Length`, if sent.
    pub(crate) content_length: Option<u64>,
}

/// Timeouts of one exchange.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// To open the connection.
    pub connect: Duration,
    /// For any one read or write to make progress.
    pub io: Duration,
    /// For the whole exchange, from sending the request to the end of the head, and
    /// again for a body beyond what [`MIN_BODY_RATE`] takes: a camera that trickles a
    /// byte now and then cannot hold the exchange (and the proxy's clients behind it)
    /// for ever.
    pub exchange: Duration,
}

/// The slowest body a healthy camera sends, bytes per second: a tenth of what 100 Mbit
/// Ethernet carries. A body's deadline grows by its length at this rate.
pub const MIN_BODY_RATE: u64 = 1 << 20;

/// Largest head we read; the camera's are under 100 bytes.
const MAX_HEAD: usize = 16 * 1024;
/// Read size of body copies: what the camera sends at once (the spec's example code).
const CHUNK: usize = 16 * 1024;

/// Sends `GET target HTTP/1.0` to `addr` and streams the body into `out`, calling
/// `progress(received, total)` as bytes arrive. Returns the head. A body longer than
/// `limit` bytes (announced or sent) is an error: nothing the call can return is that
/// long.
pub(crate) fn get(
    addr: &str,
    target: &str,
    timeouts: Timeouts,
    limit: u64,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<Head, Error> {
    let stream = connect(addr, timeouts)?;
    let io_err = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
            Error::new(ErrorKind::Timeout(timeouts.io))
        }
        _ => Error::new(ErrorKind::Io(e)),
    };
    let started = Instant::now();
    let past_deadline = Error::new(ErrorKind::Timeout(timeouts.exchange));
    (&stream).write_all(format!("GET {target} HTTP/1.0\r\n\r\n").as_bytes()).map_err(io_err)?;
    let stream = Deadline { stream, io: timeouts.io, until: started + timeouts.exchange };
    let mut reader = BufReader::with_capacity(CHUNK, stream);
    let head = read_head(&mut reader).map_err(|e| match e {
        HeadError::Io(e) if is_deadline(&e) => Error::new(ErrorKind::Timeout(timeouts.exchange)),
        HeadError::Io(e) => io_err(e),
        HeadError::Bad(what) => Error::new(ErrorKind::Protocol(what)),
    })?;
    if let Some(length) = head.content_length.filter(|&length| length > limit) {
        return Err(Error::new(ErrorKind::TooLong { limit, announced: Some(length) }));
    }
    let body_time =
        Duration::from_secs_f64(head.content_length.unwrap_or(limit) as f64 / MIN_BODY_RATE as f64);
    reader.get_mut().until = Instant::now() + timeouts.exchange + body_time;
    let mut received = 0u64;
    let mut buf = vec![0u8; CHUNK];
    progress(0, head.content_length);
    // Read to the announced length (a server that keeps the connection open after it
    // must not hold us), or to the close when no length is announced.
    while head.content_length.is_none_or(|total| received < total) {
        let want = head.content_length.map_or(CHUNK, |total| CHUNK.min((total - received) as usize));
        let n = match reader.read(&mut buf[..want]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) if is_deadline(&e) => return Err(past_deadline),
            Err(e) => return Err(io_err(e)),
        };
        if received + n as u64 > limit {
            return Err(Error::new(ErrorKind::TooLong { limit, announced: None }));
        }
        out.write_all(&buf[..n]).map_err(|e| Error::new(ErrorKind::Write(e)))?;
        received += n as u64;
        progress(received, head.content_length);
    }
    match head.content_length {
        Some(expected) if received != expected => {
            Err(Error::new(ErrorKind::Truncated { expected, got: received }))
        }
        _ => Ok(head),
    }
}

/// A connection whose reads stop at a deadline, however the bytes trickle in.
struct Deadline {
    stream: TcpStream,
    io: Duration,
    until: Instant,
}

impl Read for Deadline {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let passed = || std::io::Error::new(std::io::ErrorKind::TimedOut, DeadlinePassed);
        let left = self.until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(passed());
        }
        // The deadline, not the read timeout, is what this read waits for at most.
        let deadline_first = left < self.io;
        self.stream.set_read_timeout(Some(left.min(self.io)))?;
        match self.stream.read(buf) {
            Err(e)
                if deadline_first
                    && matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) =>
            {
                Err(passed())
            }
            read => read,
        }
    }
}

/// The exchange's deadline passed (as the error inside an I/O error).
#[derive(Debug, thiserror::Error)]
#[error("exchange deadline passed")]
struct DeadlinePassed;

fn is_deadline(e: &std::io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<DeadlinePassed>())
}

fn connect(addr: &str, timeouts: Timeouts) -> Result<TcpStream, Error> {
    let connect_err = |source| Error::new(ErrorKind::Connect { addr: addr.to_owned(), source });
    let mut last = None;
    for sock in addr.to_socket_addrs().map_err(connect_err)? {
        match TcpStream::connect_timeout(&sock, timeouts.connect) {
            Ok(stream) => {
                stream.set_read_timeout(Some(timeouts.io)).map_err(connect_err)?;
                stream.set_write_timeout(Some(timeouts.io)).map_err(connect_err)?;
                stream.set_nodelay(true).map_err(connect_err)?;
                return Ok(stream);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(connect_err(last.unwrap_or_else(|| std::io::Error::other("no address"))))
}

enum HeadError {
    Io(std::io::Error),
    Bad(String),
}

fn read_head(reader: &mut impl BufRead) -> Result<Head, HeadError> {
    let mut line = String::new();
    let mut total = 0;
    let mut next_line = |line: &mut String| -> Result<(), HeadError> {
        line.clear();
        let n = reader.read_line(line).map_err(HeadError::Io)?;
        total += n;
        if n == 0 {
            return Err(HeadError::Bad("connection closed before the answer's head ended".to_owned()));
        }
        if total > MAX_HEAD {
            return Err(HeadError::Bad("answer head too long".to_owned()));
        }
        Ok(())
    };
    next_line(&mut line)?;
    let status =
        parse_status_line(line.trim_end()).ok_or_else(|| HeadError::Bad(format!("status line {line:?}")))?;
    let mut head = Head { status, content_type: None, content_length: None };
    loop {
        next_line(&mut line)?;
        let header = line.trim_end();
        if header.is_empty() {
            return Ok(head);
        }
        let Some((name, value)) = header.split_once(':') else {
            return Err(HeadError::Bad(format!("header {header:?}")));
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-type") {
            head.content_type = Some(value.to_owned());
        } else if name.eq_ignore_ascii_case("content-length") {
            head.content_length =
                Some(value.parse().map_err(|_| HeadError::Bad(format!("Content-Length {value:?}")))?);
        }
    }
}

/// `HTTP/1.x 200 OK` → 200.
fn parse_status_line(line: &str) -> Option<u16> {
    let mut parts = line.splitn(3, ' ');
    let version = parts.next()?;
    if !version.starts_with("HTTP/1.") {
        return None;
    }
    parts.next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(answer: &str, expect: &str) {
        let got = match read_head(&mut answer.as_bytes()) {
            Ok(h) => format!("{} {:?} {:?}", h.status, h.content_type, h.content_length),
            Err(HeadError::Bad(what)) => format!("bad: {what}"),
            Err(HeadError::Io(e)) => format!("io: {e}"),
        };
        assert_eq!(got, expect);
    }

    #[test]
    fn heads() {
        check(
            "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\n0\r\n",
            r#"200 Some("text/plain") Some(3)"#,
        );
        check("HTTP/1.1 404 Not Found\r\n\r\n", "404 None None");
        check("HTTP/1.0 200 OK\r\nContent-Length: x\r\n\r\n", r#"bad: Content-Length "x""#);
        check("SSH-2.0-OpenSSH\r\n\r\n", "bad: status line \"SSH-2.0-OpenSSH\\r\\n\"");
        check("HTTP/1.0 200 OK\r\n", "bad: connection closed before the answer's head ended");
    }
}
