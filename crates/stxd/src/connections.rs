//! What both ports do with their connections, in one place: each port has its own cap
//! on open connections, below the descriptor limit (so one port's clients cannot take
//! the other's descriptors), a deadline for every request head (idle and slowloris
//! clients are closed), a write timeout (a client that stops reading does not pin its
//! reply), an accept loop that logs a failure once rather than in a loop, and a bounded
//! wait at shutdown.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::{Instant, Sleep};

/// Most connections one port keeps open at once, whatever the descriptor limit: far
/// more than an observatory's clients, few enough that their buffers stay small.
const MAX_PER_PORT: usize = 1024;

/// The share of the descriptor limit left for everything but client connections:
/// image files, the database, the flash, a real camera's connection.
const RESERVED_SHARE: u64 = 4;

/// How often an accept failure is logged at most while it lasts.
const ACCEPT_LOG_EVERY: Duration = Duration::from_secs(60);

/// How long the accept loop pauses after a failure (out of descriptors): the
/// connections it waits for are closed by their own deadlines meanwhile.
const ACCEPT_PAUSE: Duration = Duration::from_millis(50);

/// The deadlines a connection lives by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// How long a client may take to send a whole request head, counted from when the
    /// connection is ready for one (so an idle keep-alive connection is closed too).
    pub head: Duration,
    /// How long one write may wait for a client that does not read.
    pub write: Duration,
    /// How long shutdown waits for connections under way before leaving them.
    pub shutdown_grace: Duration,
}

impl Default for Timeouts {
    /// 20 s for a head (a client on a slow link sends one in well under a second),
    /// 30 s for a stalled write, 5 s of grace at shutdown.
    fn default() -> Timeouts {
        Timeouts {
            head: Duration::from_secs(20),
            write: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// How one port treats its connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limits {
    /// Most connections open at once.
    pub(crate) cap: usize,
    /// Their deadlines.
    pub(crate) timeouts: Timeouts,
}

/// Raises this process's soft limit on open files to its hard limit, and returns the
/// limit then in force (`u64::MAX` when unlimited).
pub fn raise_fd_limit() -> u64 {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        let raised = Rlimit { current: limit.maximum, maximum: limit.maximum };
        if let Err(e) = setrlimit(Resource::Nofile, raised) {
            tracing::warn!("cannot raise the open-file limit to its hard limit: {e}");
        }
    }
    getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX)
}

/// How many connections each of the two ports may have open under a descriptor limit
/// of `fd_limit`: both ports together stay below the limit, with a share kept for
/// files.
pub fn per_port_cap(fd_limit: u64) -> usize {
    let for_clients = fd_limit - fd_limit / RESERVED_SHARE;
    usize::try_from(for_clients / 2).unwrap_or(usize::MAX).clamp(1, MAX_PER_PORT)
}

/// Accepts connections on `listener` while fewer than `limits.cap` are open, hands each
/// to `serve` (as a [`ClientStream`]: its slot and write timeout), and on `shutdown`
/// stops accepting and waits at most the shutdown grace for the open ones to close.
pub(crate) async fn accept_loop<F, Fut>(
    port: &'static str,
    listener: TcpListener,
    limits: Limits,
    mut shutdown: watch::Receiver<bool>,
    serve: F,
) where
    F: Fn(ClientStream<TcpStream>, SocketAddr) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Limits { cap, timeouts } = limits;
    let slots = Arc::new(Semaphore::new(cap));
    let mut failures = AcceptFailures::default();
    loop {
        // A free slot first: past the cap, new clients wait in the kernel's queue and
        // cost this process no descriptor.
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            () = stopped(&mut shutdown) => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => {
                    failures.ended(port);
                    conn
                }
                Err(e) => {
                    failures.failed(port, &e);
                    tokio::time::sleep(ACCEPT_PAUSE).await;
                    continue;
                }
            },
            () = stopped(&mut shutdown) => break,
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(serve(ClientStream::new(stream, timeouts.write, permit), peer));
    }
    let all = u32::try_from(cap).unwrap_or(u32::MAX);
    if tokio::time::timeout(timeouts.shutdown_grace, slots.acquire_many(all)).await.is_err() {
        tracing::warn!("{port}: left {} connections still open at shutdown", cap - slots.available_permits());
    }
}

/// Serves `router` on `listener` through [`accept_loop`] (HTTP/1.1, the head deadline,
/// upgrades allowed), hyper's own error answers replaced by `error_reply` (see
/// [`hyper_errors`](crate::hyper_errors)): the v2 and Alpaca ports.
pub(crate) async fn serve_router(
    port: &'static str,
    listener: TcpListener,
    router: axum::Router,
    limits: Limits,
    shutdown: watch::Receiver<bool>,
    error_reply: fn(crate::hyper_errors::HyperError) -> bytes::Bytes,
) {
    let stop = shutdown.clone();
    accept_loop(port, listener, limits, shutdown, move |stream, peer| {
        let service = hyper_util::service::TowerToHyperService::new(router.clone());
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(limits.timeouts.head)
            .serve_connection(
                hyper_util::rt::TokioIo::new(crate::hyper_errors::OwnErrorReplies::new(stream, error_reply)),
                service,
            )
            .with_upgrades();
        drive(conn, stop.clone(), |c| c.graceful_shutdown(), peer)
    })
    .await;
}

/// Drives one hyper connection; on `shutdown` asks it to finish the request under way
/// and close (`graceful` is the connection type's `graceful_shutdown`).
pub(crate) async fn drive<C, E>(
    connection: C,
    mut shutdown: watch::Receiver<bool>,
    graceful: impl FnOnce(Pin<&mut C>),
    peer: SocketAddr,
) where
    C: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let mut connection = std::pin::pin!(connection);
    let ended = tokio::select! {
        ended = connection.as_mut() => ended,
        () = stopped(&mut shutdown) => {
            graceful(connection.as_mut());
            connection.await
        }
    };
    if let Err(e) = ended {
        tracing::debug!(%peer, "connection ended: {e}");
    }
}

/// Resolves once `shutdown` is true (at once if it already is), or its sender is gone.
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

/// Accept failures of one port: the first is logged, then at most one line a minute
/// with how many there were, and the end of the run.
#[derive(Debug, Default)]
struct AcceptFailures {
    since_logged: u64,
    last_logged: Option<Instant>,
}

impl AcceptFailures {
    fn failed(&mut self, port: &str, e: &io::Error) {
        self.since_logged += 1;
        if self.last_logged.is_none_or(|t| t.elapsed() >= ACCEPT_LOG_EVERY) {
            tracing::warn!("{port}: cannot accept connections ({} failures): {e}", self.since_logged);
            self.since_logged = 0;
            self.last_logged = Some(Instant::now());
        }
    }

    fn ended(&mut self, port: &str) {
        if self.last_logged.take().is_some() {
            tracing::info!("{port}: accepting connections again");
            self.since_logged = 0;
        }
    }
}

/// A client's connection: it holds its port's slot for as long as the socket is open
/// (also after a WebSocket upgrade, when hyper hands the socket on), and its writes fail
/// with `TimedOut` once one has waited `limit` for the peer to take bytes, so a client
/// that stops reading loses its connection and the reply it held is freed.
#[derive(Debug)]
pub(crate) struct ClientStream<S> {
    inner: S,
    limit: Duration,
    /// Running while a write waits.
    waiting: Option<Pin<Box<Sleep>>>,
    _slot: OwnedSemaphorePermit,
}

impl<S> ClientStream<S> {
    fn new(inner: S, limit: Duration, slot: OwnedSemaphorePermit) -> Self {
        ClientStream { inner, limit, waiting: None, _slot: slot }
    }

    /// Passes on a ready result (and stops the clock), or fails a write that has
    /// waited too long.
    fn guard<T>(&mut self, cx: &mut Context<'_>, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if poll.is_ready() {
            self.waiting = None;
            return poll;
        }
        let limit = self.limit;
        let timer = self.waiting.get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        ready!(timer.as_mut().poll(cx));
        self.waiting = None;
        Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "the client stopped reading")))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for ClientStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for ClientStream<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.guard(cx, poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.guard(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_flush(cx);
        self.guard(cx, poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.guard(cx, poll)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_ports_together_stay_below_the_descriptor_limit() {
        assert_eq!(per_port_cap(1024), 384);
        assert_eq!(per_port_cap(256), 96);
        assert_eq!(per_port_cap(1 << 20), MAX_PER_PORT);
        assert_eq!(per_port_cap(u64::MAX), MAX_PER_PORT);
        assert_eq!(per_port_cap(1), 1);
    }
}
