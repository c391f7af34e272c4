//! The v2 API on `--api-listen`: the image history and its neighbours, in the JSON
//! envelope imaging dashboards already read.

mod capture;
mod envelope;
mod equipment;
mod equipment_watch;
mod events;
mod history_query;
mod integration;
mod json_number;
mod metrics;
pub(crate) mod preview;
mod record_json;
mod socket;
mod thumbnails;

pub use equipment::ExposureEndMemo;
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
use stx_history::{DateRange, History, ImageType};
use stx_protocol::request::{RawParam, RawRequest};
use tokio::net::TcpListener;
use tokio::sync::watch;

pub(crate) use envelope::ApiError;
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
    /// The end of the imager's latest exposure, as camera info reports it.
    pub exposure_end: Arc<ExposureEndMemo>,
}

/// The version `/v2/api/version` reports: the implementation's whose wire format this
/// API follows. Clients compare it with the oldest plugin version they support (one
/// needs 2.2.11.0), so it is that version's four-part form, not stxd's own.
const PLUGIN_VERSION: &str = "2.2.15.0";

/// What `GET /v2/api` answers: a JSON string naming the server, as the implementation
/// answers (clients probe it before anything else).
const API_ROOT: &str = concat!(
    "\"stxd ",
    env!("CARGO_PKG_VERSION"),
    ": the N.I.N.A. Advanced API's image history and equipment for an SBIG STX camera; ",
    "OpenAPI document at /v2/api/openapi.json\""
);

/// The v2 routes.
pub fn router(state: V2State) -> Router {
    Router::new()
        .route("/v2/api", get(api_root))
        .route("/v2/api/", get(api_root))
        .route("/v2/api/version", get(version))
        .route("/v2/api/image-history", get(image_history))
        .route("/v2/api/event-history", get(event_history))
        .route("/v2/api/integration", get(integration::integration))
        .route("/metrics", get(metrics::metrics))
        .route("/v2/api/equipment/camera/capture", get(capture::capture))
        .route("/v2/api/equipment/camera/info", get(equipment::camera_info))
        .route("/v2/api/equipment/filterwheel/info", get(equipment::filter_wheel_info))
        .route("/v2/api/image/{index}", get(preview::image))
        .route("/v2/api/image/thumbnail/{index}", get(preview::thumbnail))
        // The API's own description, checked in next to the code it describes.
        .route(
            "/v2/api/openapi.json",
            get(|| async { ([(header::CONTENT_TYPE, "application/json")], include_str!("openapi.json")) }),
        )
        .route("/v2/socket", get(socket::upgrade))
        .merge(crate::dashboard::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(cors))
        .with_state(state)
}

/// Serves the v2 API, and announces the camera's changes on its socket, until
/// `shutdown` turns true; then lets the requests under way finish (for a bounded time). Each connection lives by `limits` (see
/// [`connections`](crate::connections)); WebSocket upgrades are served on it.
pub(crate) async fn serve(
    listener: TcpListener,
    state: V2State,
    limits: crate::connections::Limits,
    hosts: Arc<crate::host_check::AllowedHosts>,
    shutdown: watch::Receiver<bool>,
) {
    let (state_camera, state_events) = (state.camera.clone(), state.events.clone());
    let router = crate::host_check::guard(crate::preview_limit::layer(router(state)), hosts, || {
        ApiError::HostNotAllowed.into_response()
    });
    let watcher = tokio::spawn(equipment_watch::run(state_camera, state_events, shutdown.clone()));
    /// A request hyper would not read gets the envelope too.
    fn error_reply(error: crate::hyper_errors::HyperError) -> bytes::Bytes {
        let status = StatusCode::BAD_REQUEST;
        let body = envelope::envelope_text(&"", error.reason(), status, envelope::API);
        let head = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        );
        bytes::Bytes::from(head + &body)
    }
    crate::connections::serve_router("v2 API", listener, router, limits, shutdown, error_reply).await;
    let _ = watcher.await;
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

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

async fn version() -> Response {
    envelope::ok(PLUGIN_VERSION)
}

async fn api_root() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], API_ROOT).into_response()
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
        if query.dates != DateRange::default() {
            return dated(&history, &query.dates, filter, query.selection).map_err(failed);
        }
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

/// `image-history` over the images dated in `dates`: a night's worth, as a dashboard
/// asks. Positions count within the span.
fn dated(
    history: &History,
    dates: &DateRange,
    filter: Option<ImageType>,
    selection: Selection,
) -> Result<Response, stx_history::Error> {
    let one = |record: Option<&stx_history::ImageRecord>| match record {
        Some(r) => envelope::ok([RecordJson::from(r)]),
        None => ApiError::IndexOutOfRange.into_response(),
    };
    Ok(match selection {
        Selection::Count => envelope::ok(history.count_between(dates, filter)?),
        Selection::All => {
            envelope::ok(history.between(dates, filter)?.iter().map(RecordJson::from).collect::<Vec<_>>())
        }
        Selection::Index(i) => {
            let records = history.between(dates, filter)?;
            one(usize::try_from(i).ok().and_then(|i| records.get(i)))
        }
        Selection::Newest => one(history.between(dates, filter)?.last()),
    })
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
