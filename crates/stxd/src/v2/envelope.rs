//! The v2 API's envelope: every JSON reply is
//! `{"Response":…,"Error":"","StatusCode":200,"Success":true,"Type":"API"}`, keys in that
//! order; the HTTP status equals `StatusCode`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Serialize)]
struct Envelope<'a, T: Serialize> {
    #[serde(rename = "Response")]
    response: T,
    #[serde(rename = "Error")]
    error: &'a str,
    #[serde(rename = "StatusCode")]
    status_code: u16,
    #[serde(rename = "Success")]
    success: bool,
    #[serde(rename = "Type")]
    kind: &'a str,
}

/// The envelope's `Type` for HTTP replies.
pub(crate) const API: &str = "API";
/// The envelope's `Type` for WebSocket events.
pub(crate) const SOCKET: &str = "Socket";

/// A successful reply carrying `response`.
pub(crate) fn ok<T: Serialize>(response: T) -> Response {
    json_response(StatusCode::OK, envelope_text(&response, "", StatusCode::OK, API))
}

/// The envelope's JSON text.
pub(crate) fn envelope_text<T: Serialize>(
    response: &T,
    error: &str,
    status: StatusCode,
    kind: &str,
) -> String {
    let envelope =
        Envelope { response, error, status_code: status.as_u16(), success: status.is_success(), kind };
    serde_json::to_string(&envelope).unwrap_or_else(|_| UNKNOWN_ERROR_TEXT.to_owned())
}

const UNKNOWN_ERROR_TEXT: &str =
    r#"{"Response":"","Error":"Unknown error","StatusCode":500,"Success":false,"Type":"API"}"#;

fn json_response(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// A failed request: its status and message are defined here, once per kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ApiError {
    /// An index past the (filtered) history, or no image at all for the default call.
    IndexOutOfRange,
    /// A parameter with a value it cannot take; the message names it.
    BadParameter(String),
    /// The camera refused a call the request needed (a capture while it exposes); the
    /// message carries the camera's own text.
    CameraRefused(String),
    /// The camera could not be reached, or did not answer as an STX camera does.
    CameraUnavailable,
    /// Frames already finished cannot be stored, so no capture starts; the message
    /// says how many are held and the store's error.
    StorageFailing(String),
    /// No such endpoint.
    NotFound,
    /// The endpoint exists, but not for this method.
    MethodNotAllowed,
    /// A request to the WebSocket path that is not a usable WebSocket upgrade; the
    /// message says what is missing.
    NotAWebSocket(String),
    /// Anything that is our fault; details go to the log, not the client.
    Internal,
    /// The request names a host stxd does not answer for (`Host` header): a web page
    /// reaching it through DNS rebinding.
    HostNotAllowed,
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            // A refusal is the camera's 400 passed on, as the STX API answers it.
            ApiError::IndexOutOfRange
            | ApiError::BadParameter(_)
            | ApiError::NotAWebSocket(_)
            | ApiError::CameraRefused(_) => StatusCode::BAD_REQUEST,
            ApiError::CameraUnavailable | ApiError::StorageFailing(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::HostNotAllowed => StatusCode::FORBIDDEN,
        }
    }

    fn message(&self) -> &str {
        match self {
            ApiError::IndexOutOfRange => "Index out of range",
            ApiError::BadParameter(message) => message,
            ApiError::CameraRefused(message) => message,
            ApiError::CameraUnavailable => "Camera unavailable",
            ApiError::StorageFailing(message) => message,
            ApiError::NotFound => "Not found",
            ApiError::MethodNotAllowed => "Method not allowed",
            ApiError::NotAWebSocket(message) => message,
            ApiError::Internal => "Unknown error",
            ApiError::HostNotAllowed => {
                "Host not allowed: start stxd with --allowed-host NAME to reach it by that name"
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        json_response(status, envelope_text(&"", self.message(), status, API))
    }
}
