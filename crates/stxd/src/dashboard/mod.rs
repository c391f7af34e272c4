//! The night dashboard on the API port: static HTML, CSS and JavaScript compiled into
//! the binary (no build step, nothing fetched from elsewhere), which reads only the v2
//! API: image-history for a night, the previews, the equipment info, the integration
//! sums and the `/v2/socket` events.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::v2::ApiError;

/// A file of the dashboard: its name under `/dashboard/`, media type and contents.
struct Asset {
    name: &'static str,
    media_type: &'static str,
    body: &'static str,
}

const INDEX: Asset = Asset {
    name: "index.html",
    media_type: "text/html; charset=utf-8",
    body: include_str!("assets/index.html"),
};

const ASSETS: [Asset; 3] = [
    Asset {
        name: "style.css",
        media_type: "text/css; charset=utf-8",
        body: include_str!("assets/style.css"),
    },
    Asset {
        name: "charts.js",
        media_type: "text/javascript; charset=utf-8",
        body: include_str!("assets/charts.js"),
    },
    Asset {
        name: "app.js",
        media_type: "text/javascript; charset=utf-8",
        body: include_str!("assets/app.js"),
    },
];

/// `/` and `/dashboard/{file}`.
pub(crate) fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(|| async { serve(&INDEX) }))
        .route("/index.html", get(|| async { serve(&INDEX) }))
        .route("/dashboard/{file}", get(asset))
}

async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|a| a.name == file) {
        Some(a) => serve(a),
        None => ApiError::NotFound.into_response(),
    }
}

fn serve(asset: &Asset) -> Response {
    let mut response = asset.body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.media_type));
    // A new stxd may bring new files: the browser asks again rather than mixing versions.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
