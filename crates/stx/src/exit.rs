//! How `stx` ends, as scripts see it: every error is mapped to an exit code here, in
//! one place, next to the table `stx --help` prints (crates/stx/README.md repeats it).

use std::fmt;

use stx_client::ErrorKind;

/// The process exit status of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    /// Anything else that failed on this side: a file that cannot be read or written,
    /// an image that cannot be analysed.
    Failed = 1,
    /// Bad usage or input, found before anything was sent (clap's own errors are 2 too).
    Usage = 2,
    /// The camera or the image-history API refused the request (a 400 with its code).
    Refused = 3,
    /// The camera or API could not be reached, did not answer in time, or broke off.
    Unreachable = 4,
    /// The camera carried the request out and it failed: an exposure ended in error
    /// (state 5), the filter wheel reported an error, the cooler missed its setpoint in
    /// time.
    OperationFailed = 5,
}

impl Status {
    /// The exit code.
    pub(crate) fn code(self) -> u8 {
        self as u8
    }
}

/// The exit-code table, as `stx --help` and `crates/stx/README.md` show it.
pub(crate) const TABLE: &str = "\
Exit codes:
  0  success
  1  local failure (a file that cannot be read or written, an image that cannot be analysed;
     `analyze` over several files: some could not be read or moved, the rest were measured)
  2  bad usage or input (unknown parameter, malformed value), nothing sent
  3  the camera or image-history API refused the request (e.g. camera error 0x80001001)
  4  the camera or API is unreachable, timed out, or broke off the connection
  5  the operation failed on the camera (exposure in error state 5, filter wheel error,
     cooler not at its setpoint within --timeout)";

/// An error the command line raises itself, with the status it ends the run with.
#[derive(Debug)]
pub(crate) struct Failure {
    status: Status,
    message: String,
}

impl Failure {
    /// An error ending the run with `status`.
    pub(crate) fn error(status: Status, message: impl Into<String>) -> anyhow::Error {
        anyhow::Error::new(Failure { status, message: message.into() })
    }

    /// Bad usage or input (exit 2).
    pub(crate) fn usage(message: impl Into<String>) -> anyhow::Error {
        Failure::error(Status::Usage, message)
    }

    /// The camera did what was asked and it failed (exit 5).
    pub(crate) fn operation(message: impl Into<String>) -> anyhow::Error {
        Failure::error(Status::OperationFailed, message)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// The status an error ends the run with: the first error in its chain that says.
pub(crate) fn status_of(error: &anyhow::Error) -> Status {
    error
        .chain()
        .find_map(|e| {
            if let Some(failure) = e.downcast_ref::<Failure>() {
                Some(failure.status)
            } else {
                e.downcast_ref::<stx_client::Error>().map(client_status)
            }
        })
        .unwrap_or(Status::Failed)
}

fn client_status(error: &stx_client::Error) -> Status {
    match error.kind() {
        ErrorKind::Camera { .. } | ErrorKind::Rejected(_) | ErrorKind::NotFound(_) => Status::Refused,
        ErrorKind::Connect { .. }
        | ErrorKind::Timeout(_)
        | ErrorKind::Io(_)
        | ErrorKind::Truncated { .. }
        | ErrorKind::Protocol(_) => Status::Unreachable,
        ErrorKind::BadUrl(_) => Status::Usage,
        // Writing a download locally, and any kind added later.
        _ => Status::Failed,
    }
}
