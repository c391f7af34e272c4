//! The v2 API on `--api-listen`: the image history and its neighbours, in the JSON
//! envelope imaging dashboards already read.

mod capture;
mod envelope;
mod events;
mod history_query;
mod preview;
mod record_json;
mod socket;
mod stretch;
mod thumbnails;

pub use events::EventBus;
pub use thumbnails::ThumbnailCache;

use std::fmt::Display;
use std::sync::Arc;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use stx_history::History;
use stx_protocol::request::{RawParam, RawRequest};
use tokio::net::TcpListener;
use tokio::sync::watch;

use envelope::ApiError;
use history_query::Selection;
use record_json::RecordJson;

/// What the v2 handlers share.
#[derive(Clone, Debug)]
pub struct V2State {
    /// The durable history.
    pub history: Arc<History>,
    /// Announcements of new records.
    pub events: Arc<EventBus>,
    /// The camera's frame pipeline (the capture endpoint starts exposures through it).
    pub pipeline: Arc<crate::pipeline::Pipeline>,
    /// The camera.
    pub camera: Arc<dyn stx_camera::Camera>,
    /// Thumbnails already made.
    pub thumbnails: Arc<ThumbnailCache>,
}

/// The v2 routes.
pub fn router(state: V2State) -> Router {
    Router::new()
        .route("/v2/api/version", get(version))
        .route("/v2/api/image-history", get(image_history))
        .route("/v2/api/event-history", get(event_history))
        .route("/v2/api/equipment/camera/capture", get(capture::capture))
        .route("/v2/api/image/{index}", get(preview::image))
        .route("/v2/api/image/thumbnail/{index}", get(preview::thumbnail))
        // The API's own description, checked in next to the code it describes.
        .route(
            "/v2/api/openapi.json",
            get(|| async { ([(header::CONTENT_TYPE, "application/json")], include_str!("openapi.json")) }),
        )
        .route("/v2/socket", get(socket::upgrade))
        .fallback(not_found)
        .layer(middleware::from_fn(cors))
        .with_state(state)
}

/// Serves the v2 API until `shutdown` turns true, then lets the requests under way
/// finish (for a bounded time). Each connection lives by `limits` (see
/// [`connections`](crate::connections)); WebSocket upgrades are served on it.
pub(crate) async fn serve(
    listener: TcpListener,
    state: V2State,
    limits: crate::connections::Limits,
    hosts: Arc<crate::host_check::AllowedHosts>,
    shutdown: watch::Receiver<bool>,
) {
    let router =
        crate::preview_limit::layer(router(state)).layer(middleware::from_fn(
            move |request: axum::extract::Request, next: Next| {
                let allowed = hosts.allows(request.headers().get(header::HOST));
                async move {
                    if allowed { next.run(request).await } else { ApiError::HostNotAllowed.into_response() }
                }
            },
        ));
    let stop = shutdown.clone();
    /// A request hyper would not read gets the envelope too.
    fn error_reply(error: crate::hyper_errors::HyperError) -> bytes::Bytes {
        let status = StatusCode::BAD_REQUEST;
        let text = match error {
            crate::hyper_errors::HyperError::TooLong => "Request too long",
            crate::hyper_errors::HyperError::Malformed => "Malformed request",
        };
        let body = envelope::envelope_text(&"", text, status, envelope::API);
        let head = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        );
        bytes::Bytes::from(head + &body)
    }
    crate::connections::accept_loop("v2 API", listener, limits, shutdown, move |stream, peer| {
        let service = hyper_util::service::TowerToHyperService::new(router.clone());
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(limits.timeouts.head)
            .serve_connection(
                hyper_util::rt::TokioIo::new(crate::hyper_errors::OwnErrorReplies::new(stream, error_reply)),
                service,
            )
            .with_upgrades();
        crate::connections::drive(conn, stop.clone(), |c| c.graceful_shutdown(), peer)
    })
    .await;
}

/// `Access-Control-Allow-Origin: *` on every reply; preflight `OPTIONS` answered here.
async fn cors(request: axum::extract::Request, next: Next) -> Response {
    let mut response = if request.method() == Method::OPTIONS {
        let mut r = StatusCode::NO_CONTENT.into_response();
        let h = r.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, OPTIONS"));
        h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("*"));
        h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("86400"));
        r
    } else {
        next.run(request).await
    };
    response.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    response
}

async fn not_found() -> ApiError {
    ApiError::NotFound
}

async fn version() -> Response {
    envelope::ok(env!("CARGO_PKG_VERSION"))
}

async fn event_history(State(state): State<V2State>) -> Response {
    envelope::ok(state.events.history())
}

/// Query parameters read the STX way (same percent-decoding, bare names allowed). A
/// query too long to read is a bad request, not an empty one: answering it as "no
/// parameters" would hand back the newest image to a request that asked for something
/// else.
pub(crate) fn params(query: Option<String>) -> Result<Vec<RawParam>, ApiError> {
    let target = format!("/?{}", query.unwrap_or_default());
    RawRequest::parse(&target).map(|r| r.params).map_err(|e| ApiError::BadParameter(e.to_string()))
}

/// Logs `e` under `context` and gives the client only `Internal`: anything that is our
/// fault (a failed history lookup, an unreadable file, a panicked task).
pub(super) fn internal(context: &str, e: impl Display) -> ApiError {
    tracing::error!("{context}: {e}");
    ApiError::Internal
}

/// Runs `work` where blocking is allowed (SQLite calls, file reads, image work, camera
/// commands), off the async workers. A panic in `work` is logged under `context` and
/// answered as `Internal`.
pub(super) async fn blocking<T: Send + 'static>(
    context: &'static str,
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| internal(context, e))?
}

async fn image_history(
    State(state): State<V2State>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let query = history_query::parse(&params(query)?)?;
    let history = state.history.clone();
    blocking("image history", move || {
        let filter = query.image_type;
        let failed = |e: stx_history::Error| internal("image history", e);
        Ok(match query.selection {
            Selection::Count => envelope::ok(history.count(filter).map_err(failed)?),
            Selection::All => {
                let records = history.all(filter).map_err(failed)?;
                envelope::ok(records.iter().map(RecordJson::from).collect::<Vec<_>>())
            }
            Selection::Index(i) => {
                let record = history.get(i, filter).map_err(failed)?.ok_or(ApiError::IndexOutOfRange)?;
                envelope::ok([RecordJson::from(&record)])
            }
            Selection::Newest => {
                let record = history.newest(filter).map_err(failed)?.ok_or(ApiError::IndexOutOfRange)?;
                envelope::ok([RecordJson::from(&record)])
            }
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_over_long_query_is_a_bad_request() {
        let long = format!("imageType=DARK&x={}", "a".repeat(9000));
        let expected = ApiError::BadParameter("Request URI longer than 8192 bytes.".to_owned());
        assert_eq!(params(Some(long)), Err(expected));
        assert_eq!(params(None), Ok(Vec::new()));
        let got = params(Some("count&index=2".to_owned())).unwrap();
        assert_eq!(got.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["count", "index"]);
    }
}
