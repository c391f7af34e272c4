//! Why a history operation failed.

use std::io;
use std::path::{Path, PathBuf};

/// Why a history operation failed. [`Error::kind`] says what, and
/// [`std::error::Error::source`] carries the underlying I/O or SQLite error when
/// there is one.
#[derive(Debug, thiserror::Error)]
#[error("{kind}")]
pub struct Error {
    kind: ErrorKind,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

/// The kinds of [`Error`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Reading, writing, syncing or renaming a file or directory failed.
    #[error("I/O failed on {}", path.display())]
    Io {
        /// The file or directory the operation was on.
        path: PathBuf,
    },
    /// SQLite failed (disk full, locked by another process, I/O error inside SQLite).
    #[error("the history database failed")]
    Database,
    /// The database holds a value this crate never writes (an unknown image type,
    /// a UTC offset out of range, a pixel value that is not a u16...).
    #[error("the history database is corrupt: {detail}")]
    Corrupt {
        /// What was found, for a person.
        detail: String,
    },
    /// The database was written by a newer version of this crate.
    #[error("the history database has schema version {version}, newer than this program's")]
    SchemaTooNew {
        /// The version found in the database.
        version: i64,
    },
    /// The bytes given to [`History::store`](crate::History::store) are not a FITS
    /// file: they do not start with a `SIMPLE` card or are not whole 2880-byte blocks.
    #[error("the payload is not a FITS file")]
    NotFits,
    /// The name given to [`History::adopt`](crate::History::adopt) or
    /// [`History::remove_orphan`](crate::History::remove_orphan) is not an unrecorded
    /// image file of this history: not a name this crate gives, no such file, or a
    /// record already names it.
    #[error("{filename:?} is not an unrecorded image file of this history")]
    NotAnOrphan {
        /// The name as given.
        filename: String,
    },
}

impl Error {
    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    pub(crate) fn new(kind: ErrorKind) -> Error {
        Error { kind, source: None }
    }

    /// An adapter for `map_err`: an I/O failure on `path`.
    pub(crate) fn io(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
        move |e| Error { kind: ErrorKind::Io { path: path.to_path_buf() }, source: Some(Box::new(e)) }
    }

    pub(crate) fn corrupt(detail: impl Into<String>) -> Error {
        Error::new(ErrorKind::Corrupt { detail: detail.into() })
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::Error as E;
        // Conversion failures mean a row holds what our own writes never produce,
        // which the caller must not mistake for a passing database hiccup.
        // SQLite's own verdict that the file is damaged or not a database at all.
        let damaged = matches!(
            e.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
        );
        let kind = match &e {
            E::FromSqlConversionFailure(..) | E::InvalidColumnType(..) | E::IntegralValueOutOfRange(..) => {
                ErrorKind::Corrupt { detail: e.to_string() }
            }
            _ if damaged => ErrorKind::Corrupt { detail: e.to_string() },
            _ => ErrorKind::Database,
        };
        Error { kind, source: Some(Box::new(e)) }
    }
}
