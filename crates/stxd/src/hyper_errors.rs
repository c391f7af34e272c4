//! hyper answers a request it will not read itself, before any handler runs: 400 for a
//! request that is not HTTP/1 (HTTP/0.9, garbage), 414 for a request line over 64 KiB,
//! 431 for a head over its buffer, each with an empty body. Each port answers those in
//! its own form instead (the STX port a 400 with its reason, as the spec knows no 414
//! or 431; the v2 port its JSON envelope): [`OwnErrorReplies`] replaces hyper's answer
//! on the way out, and the connection closes after it as hyper meant.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// What hyper refused a request for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HyperError {
    /// Request line or head too long (hyper's 414 or 431).
    TooLong,
    /// Not an HTTP/1 request at all (hyper's 400).
    Malformed,
}

impl HyperError {
    /// Why the request was refused, as each port's reply says it.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            HyperError::TooLong => "Request too long",
            HyperError::Malformed => "Malformed request",
        }
    }
}

/// A stream whose writes of hyper's own error answers go out as `reply(error)`.
pub(crate) struct OwnErrorReplies<S> {
    inner: S,
    reply: fn(HyperError) -> Bytes,
    /// The replacement and how much of it is sent, once hyper has started an answer.
    replacing: Option<(Bytes, usize)>,
}

impl<S> OwnErrorReplies<S> {
    pub(crate) fn new(inner: S, reply: fn(HyperError) -> Bytes) -> Self {
        OwnErrorReplies { inner, reply, replacing: None }
    }
}

/// The error hyper answers with `head`, if it is one of hyper's own: one of its error
/// statuses with an empty body, which no handler of ours sends (every error reply of
/// ours says why).
fn hyper_error(head: &[u8]) -> Option<HyperError> {
    let status = head.strip_prefix(b"HTTP/1.1 ")?.get(..4)?;
    let error = match status {
        b"414 " | b"431 " => HyperError::TooLong,
        b"400 " => HyperError::Malformed,
        _ => return None,
    };
    let end = head.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&head[..end]).ok()?;
    let empty = head.split("\r\n").any(|line| line.eq_ignore_ascii_case("content-length: 0"));
    empty.then_some(error)
}

impl<S: AsyncWrite + Unpin> OwnErrorReplies<S> {
    /// Starts replacing if `first` (the start of what hyper writes) is one of its own
    /// answers; while replacing, sends ours and reports hyper's `len` bytes as taken.
    fn poll_replace(
        &mut self,
        cx: &mut Context<'_>,
        first: &[u8],
        len: usize,
    ) -> Option<Poll<io::Result<usize>>> {
        if self.replacing.is_none() {
            self.replacing = hyper_error(first).map(|error| ((self.reply)(error), 0));
        }
        let (reply, sent) = self.replacing.as_mut()?;
        while *sent < reply.len() {
            match Pin::new(&mut self.inner).poll_write(cx, &reply[*sent..]) {
                Poll::Ready(Ok(0)) => return Some(Poll::Ready(Err(io::ErrorKind::WriteZero.into()))),
                Poll::Ready(Ok(n)) => *sent += n,
                Poll::Ready(Err(e)) => return Some(Poll::Ready(Err(e))),
                Poll::Pending => return Some(Poll::Pending),
            }
        }
        Some(Poll::Ready(Ok(len)))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for OwnErrorReplies<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for OwnErrorReplies<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if let Some(replaced) = self.poll_replace(cx, buf, buf.len()) {
            return replaced;
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    /// Passed on as vectored, so hyper sends a shared frame without copying it into
    /// its own buffer first.
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let first = bufs.iter().find(|b| !b.is_empty()).map_or(&[][..], |b| &b[..]);
        let len = bufs.iter().map(|b| b.len()).sum();
        if let Some(replaced) = self.poll_replace(cx, first, len) {
            return replaced;
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(head: &str, expect: Option<HyperError>) {
        assert_eq!(hyper_error(head.as_bytes()), expect, "{head:?}");
    }

    #[test]
    fn only_hypers_own_empty_error_answers_are_replaced() {
        check(
            "HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
            Some(HyperError::TooLong),
        );
        check(
            "HTTP/1.1 414 URI Too Long\r\nconnection: close\r\ncontent-length: 0\r\ndate: x\r\n\r\n",
            Some(HyperError::TooLong),
        );
        check(
            "HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n",
            Some(HyperError::Malformed),
        );
        // Ours: a reason in the body.
        check("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 19\r\n\r\n", None);
        check("HTTP/1.1 400 Bad Request\r\ncontent-length: 0123\r\n\r\n", None);
        check("HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n", None);
        check("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", None);
        check("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n", None);
    }
}
