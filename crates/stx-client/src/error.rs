//! What can go wrong talking to a camera.

use std::time::Duration;

use stx_protocol::StxError;

/// A failed call.
#[derive(Debug, thiserror::Error)]
#[error("{kind}")]
pub struct Error {
    kind: ErrorKind,
}

/// The kinds of [`Error`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The camera refused the call with one of the API's codes (`400`); its text is the
    /// camera's own.
    #[error("camera error {code}: {text}", code = .error.code_text())]
    Camera {
        /// The code.
        error: StxError,
        /// The camera's text for it.
        text: String,
    },
    /// The camera answered 400 with a body that names no code of the spec.
    #[error("camera refused the request: {0}")]
    Rejected(String),
    /// The camera does not know the call (`404`).
    #[error("camera does not know {0} (404)")]
    NotFound(String),
    /// No connection could be made.
    #[error("cannot reach camera at {addr}: {source}")]
    Connect {
        /// Host and port.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
    /// The camera did not answer in time.
    #[error("camera did not answer within {0:?}")]
    Timeout(Duration),
    /// The connection broke mid-answer.
    #[error("connection to camera failed: {0}")]
    Io(#[source] std::io::Error),
    /// The answer ended before its announced length.
    #[error("download cut short: {got} of {expected} bytes")]
    Truncated {
        /// Bytes announced by Content-Length.
        expected: u64,
        /// Bytes received.
        got: u64,
    },
    /// The answer is longer than anything the call can return (an endless or hostile
    /// upstream): not read further.
    #[error("answer longer than the {limit} bytes this call can return")]
    TooLong {
        /// The most the call can return.
        limit: u64,
        /// What the camera announced in Content-Length, if that was the tell.
        announced: Option<u64>,
    },
    /// The answer is not the STX API (bad status line, unreadable value…).
    #[error("unexpected answer from camera: {0}")]
    Protocol(String),
    /// The camera URL is not `http://HOST[:PORT]`.
    #[error("invalid camera URL '{0}': expected http://HOST[:PORT]")]
    BadUrl(String),
    /// Writing a download to its destination failed.
    #[error("cannot write download: {0}")]
    Write(#[source] std::io::Error),
}

impl Error {
    /// An error of this kind.
    pub(crate) fn new(kind: ErrorKind) -> Error {
        Error { kind }
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// Whether retrying the same read could succeed (the camera never saw it, or its
    /// answer was lost), as opposed to an answer that will not change.
    pub fn is_transient(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Connect { .. }
                | ErrorKind::Timeout(_)
                | ErrorKind::Io(_)
                | ErrorKind::Truncated { .. }
        )
    }

    /// The camera's error code, if the camera refused the call.
    pub fn camera_error(&self) -> Option<StxError> {
        match &self.kind {
            ErrorKind::Camera { error, .. } => Some(*error),
            _ => None,
        }
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error::new(kind)
    }
}
