//! The STX port: HTTP/1.0 as the camera speaks it, on hyper with our own accept loop
//! (axum's `serve` cannot set the connection options below).
//!
//! A 1.0 request gets `HTTP/1.0 200 OK`, `Content-Type` and `Content-Length` and nothing
//! else, then the connection closes; a 1.1 request gets a correct 1.1 reply.

use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{Either, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use stx_protocol::reply::{Reply, Status};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::backend::Backend;
use crate::connections::{self, Limits};
use crate::host_check::AllowedHosts;
use crate::sim_control;

type Body = Either<Full<Bytes>, StreamBody<FailingChunks>>;

/// The reply to a request whose `Host` stxd does not answer for (see
/// [`host_check`](crate::host_check)).
const HOST_NOT_ALLOWED: &str =
    "Host not allowed: start stxd with --allowed-host NAME to reach it by that name.";

/// Serves the STX API on `listener` until `shutdown` turns true, then lets the requests
/// under way finish (for a bounded time).
pub(crate) async fn serve(
    listener: TcpListener,
    backend: Arc<Backend>,
    limits: Limits,
    hosts: Arc<AllowedHosts>,
    shutdown: watch::Receiver<bool>,
) {
    let stop = shutdown.clone();
    connections::accept_loop("STX API", listener, limits, shutdown, move |stream, peer| {
        let (backend, hosts) = (backend.clone(), hosts.clone());
        let service = service_fn(move |req: Request<Incoming>| {
            let backend = backend.clone();
            let allowed = hosts.allows(req.headers().get(HOST));
            async move {
                if !allowed {
                    return Ok::<_, Infallible>(into_response(Reply::malformed(HOST_NOT_ALLOWED), false));
                }
                Ok(handle(&backend, req).await)
            }
        });
        let conn = http1::Builder::new()
            .title_case_headers(true)
            .half_close(true)
            .auto_date_header(false)
            .timer(TokioTimer::new())
            .header_read_timeout(limits.timeouts.head)
            .serve_connection(TokioIo::new(HeadErrorsAs400::new(stream)), service);
        connections::drive(conn, stop.clone(), |c| c.graceful_shutdown(), peer)
    })
    .await;
}

async fn handle(backend: &Arc<Backend>, req: Request<Incoming>) -> Response<Body> {
    let method = req.method().clone();
    let target =
        req.uri().path_and_query().map_or_else(|| req.uri().path().to_owned(), |pq| pq.as_str().to_owned());
    let reply = if method != Method::GET && method != Method::HEAD {
        Reply::malformed("Only GET requests are supported.")
    } else if let Some(reply) = sim_control::answer(backend, &target) {
        reply
    } else {
        let backend = backend.clone();
        let target = target.clone();
        // Camera calls may render a frame (up to a second of CPU) or wait their turn at a
        // real camera: keep them off the async workers so other connections go on.
        tokio::task::spawn_blocking(move || backend.answer(&target))
            .await
            .unwrap_or_else(|_| Reply::malformed("Internal error."))
    };
    tracing::debug!(%method, %target, status = reply.status.code(), bytes = reply.body.len(), "request");
    if let Some(delay) = backend.answer_delay() {
        tokio::time::sleep(delay).await;
    }
    let drop_midway = reply.content_type == stx_protocol::reply::ContentType::Binary
        && !reply.body.is_empty()
        && backend.take_drop_download();
    into_response(reply, drop_midway)
}

fn into_response(reply: Reply, drop_midway: bool) -> Response<Body> {
    let status = match reply.status {
        Status::Ok => StatusCode::OK,
        Status::BadRequest => StatusCode::BAD_REQUEST,
        Status::NotFound => StatusCode::NOT_FOUND,
    };
    let length = reply.body.len();
    let body = if drop_midway {
        Either::Right(StreamBody::new(half_then_fail(reply.body)))
    } else {
        Either::Left(Full::new(reply.body))
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(reply.content_type.as_str()));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(length));
    response
}

/// A body that sends the first half of its bytes and then fails, so hyper cuts the
/// connection short of the announced Content-Length: the "connection dropped
/// mid-download" fault. The pause lets the head and the first half reach the client
/// first, as when a real camera's link drops partway.
type FailingChunks =
    std::pin::Pin<Box<dyn futures_util::Stream<Item = Result<Frame<Bytes>, std::io::Error>> + Send>>;

/// How long the half-sent download hangs before the connection drops.
const DROP_AFTER: Duration = Duration::from_millis(100);

fn half_then_fail(body: Bytes) -> FailingChunks {
    enum Step {
        Send(Bytes),
        Fail,
        Done,
    }
    let first = Step::Send(body.slice(..body.len() / 2));
    Box::pin(futures_util::stream::unfold(first, |step| async move {
        match step {
            Step::Send(half) => Some((Ok(Frame::data(half)), Step::Fail)),
            Step::Fail => {
                tokio::time::sleep(DROP_AFTER).await;
                let cut =
                    std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "simulated drop mid-download");
                Some((Err(cut), Step::Done))
            }
            Step::Done => None,
        }
    }))
}

/// hyper answers a request it will not read whole itself: 414 for a request line over
/// 64 KiB, 431 for a head over its buffer. The STX port answers every malformed request
/// with 400 (the spec knows no other), so those answers are replaced on the way out by
/// the port's own 400, and the connection closes after it as hyper meant.
struct HeadErrorsAs400<S> {
    inner: S,
    /// The replacement and how much of it is sent, once hyper has started one of its
    /// answers.
    replacing: Option<(Bytes, usize)>,
}

/// The status lines hyper writes for a head it will not read.
const HYPER_HEAD_ERRORS: [&[u8]; 2] = [b"HTTP/1.1 414 ", b"HTTP/1.1 431 "];

impl<S> HeadErrorsAs400<S> {
    fn new(inner: S) -> Self {
        HeadErrorsAs400 { inner, replacing: None }
    }
}

/// The STX port's 400 for a request too long to read, as bytes on the wire.
fn too_long_reply() -> Bytes {
    let reply = Reply::malformed("Request too long.");
    let mut bytes = format!(
        "HTTP/1.0 400 Bad Request\r\nContent-Type: {}\r\nContent-Length: {}\r\n\r\n",
        reply.content_type.as_str(),
        reply.body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(&reply.body);
    Bytes::from(bytes)
}

impl<S: AsyncRead + Unpin> AsyncRead for HeadErrorsAs400<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> HeadErrorsAs400<S> {
    /// Starts replacing if `first` (the start of what hyper writes) is one of its
    /// answers; while replacing, sends ours and reports hyper's `len` bytes as taken.
    fn poll_replace(
        &mut self,
        cx: &mut Context<'_>,
        first: &[u8],
        len: usize,
    ) -> Option<Poll<io::Result<usize>>> {
        if self.replacing.is_none() && HYPER_HEAD_ERRORS.iter().any(|line| first.starts_with(line)) {
            self.replacing = Some((too_long_reply(), 0));
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

impl<S: AsyncWrite + Unpin> AsyncWrite for HeadErrorsAs400<S> {
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
