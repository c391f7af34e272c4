//! The one error type of the crate: a frame that cannot be measured.

use std::fmt;

/// Why a [`Frame`](crate::Frame) could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
}

/// The kinds of [`Error`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Width or height is zero.
    Empty,
    /// The pixel count is not width × height.
    SizeMismatch {
        /// width × height.
        expected: usize,
        /// The length of the pixel slice.
        actual: usize,
    },
    /// A floating-point pixel is NaN or infinite.
    NonFinitePixel {
        /// Index of the first such pixel (row-major).
        index: usize,
    },
}

impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Self {
        Error { kind }
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Empty => write!(f, "the image has no pixels (width or height is 0)"),
            ErrorKind::SizeMismatch { expected, actual } => {
                write!(f, "the image should have {expected} pixels (width × height) but has {actual}")
            }
            ErrorKind::NonFinitePixel { index } => {
                write!(f, "pixel {index} is not a finite number (NaN or infinity)")
            }
        }
    }
}

impl std::error::Error for Error {}
