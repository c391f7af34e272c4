//! The STX port: HTTP/1.0 as the camera speaks it, on hyper with our own accept loop
//! (axum's `serve` cannot set the connection options below).
//!
//! A 1.0 request gets `HTTP/1.0 200 OK`, `Content-Type` and `Content-Length` and nothing
//! else, then the connection closes; a 1.1 request gets a correct 1.1 reply.

use std::convert::Infallible;
use std::sync::Arc;
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
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::backend::Backend;
use crate::connections::{self, Limits};
use crate::host_check::AllowedHosts;
use crate::hyper_errors::{HyperError, OwnErrorReplies};
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
            .serve_connection(TokioIo::new(OwnErrorReplies::new(stream, stx_error_reply)), service);
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
    } else {
        let backend = backend.clone();
        let target = target.clone();
        // Camera calls may render a frame (up to a second of CPU) or wait their turn at a
        // real camera, and the `/sim/` fault switches take the camera's lock: keep both
        // off the async workers so other connections go on.
        tokio::task::spawn_blocking(move || {
            sim_control::answer(&backend, &target).unwrap_or_else(|| backend.answer(&target))
        })
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

/// The STX port's 400 for a request hyper would not read, as bytes on the wire.
fn stx_error_reply(error: HyperError) -> Bytes {
    let reply = Reply::malformed(match error {
        HyperError::TooLong => "Request too long.",
        HyperError::Malformed => "Malformed request.",
    });
    let mut bytes = format!(
        "HTTP/1.0 400 Bad Request\r\nContent-Type: {}\r\nContent-Length: {}\r\n\r\n",
        reply.content_type.as_str(),
        reply.body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(&reply.body);
    Bytes::from(bytes)
}
