//! The durable image history of `stxd`: every finished frame as a FITS file under
//! `images/`, and its measured record in an SQLite database beside it,
//! `history.sqlite3`, with the queries the image-history API needs (count, the
//! i-th, the newest, all; each over all images or one [`ImageType`]).
//!
//! [`History`] is the entry point: [`History::open`] a directory,
//! [`History::reconcile`] it once at start-up, then [`History::store`] frames and
//! query them from any thread.
//!
//! ```
//! use stx_history::{History, ImageType};
//! # fn main() -> Result<(), stx_history::Error> {
//! # let temp = tempfile::tempdir().unwrap();
//! # let data_dir = temp.path();
//! let history = History::open(data_dir)?;
//! let report = history.reconcile()?;
//! for orphan in &report.orphans {
//!     // A real caller re-measures the file and calls `history.adopt(orphan, info)`.
//!     history.remove_orphan(orphan)?;
//! }
//! assert_eq!(history.count(Some(ImageType::Flat))?, 0);
//! assert_eq!(history.newest(None)?, None);
//! # Ok(())
//! # }
//! ```
//!
//! Every call blocks on disk I/O (a store waits for three fsyncs): from async code,
//! call it through `spawn_blocking`.
//!
//! The store is the default feature `store` (SQLite, bundled). Without it the crate
//! is the record types alone ([`ImageType`], [`ImageInfo`], …), for programs that name
//! an image type but read the history through the API, such as the `stx` CLI.
//!
//! This crate knows nothing of JSON or HTTP: its types derive no `Serialize`, and the
//! server builds the API's JSON from them by hand, so the wire format is decided in
//! one place and a field added here cannot change it by accident.
//!
//! # Invariants
//!
//! - **A record never points at a missing file.** [`History::store`] writes the file
//!   under a temp name, fsyncs it, links it to its final name, fsyncs the directory,
//!   and only then commits the record (with `synchronous = FULL`). A crash at any
//!   point leaves one of: a temp file (deleted by reconcile), a final file without a
//!   record (an *orphan*, listed by reconcile), or file and record. A file deleted by
//!   hand later takes its record with it at the next reconcile.
//! - **Temp files are recognisable by name**: they start with `.tmp-`; no final
//!   name does, and nothing refers to them.
//! - **A file name is never used twice.** Final names are
//!   `NNNNNN_TYPE_YYYYMMDDTHHMMSS.fits`, `NNNNNN` from a counter kept in the
//!   database that only goes up; [`History::open`] raises it past every file on
//!   disk (so a lost or older database cannot hand out a number again), and a file
//!   is put in place with a hard link, which fails rather than replace an existing
//!   file. The database adds `UNIQUE` on the file name.
//! - **A frame is recorded at most once.** Each store carries a frame key (`UNIQUE`
//!   in the database); storing a key again stores nothing and returns the record.
//! - **Positions are dense and in insertion order.** `index` 0 is the oldest image
//!   and `count - 1` the newest, over all images and separately within each type.
//!   The database keeps both positions in indexed columns, so the i-th image, the
//!   newest and the count are each one index lookup, whatever i. Records are only
//!   ever deleted by reconcile, which renumbers.
//! - **NaN survives**: a NaN field is stored as NULL and read back as NaN;
//!   infinities are stored as themselves.
//! - **One process per directory.** Within it, writes take turns on one connection
//!   and reads use their own connections (WAL), so a slow store never delays a query.

// The store (SQLite and files) is the default feature `store`; without it the crate is
// the records' vocabulary alone, so the `stx` CLI can name an image type without
// linking SQLite.
#[cfg(feature = "store")]
mod db;
#[cfg(feature = "store")]
mod error;
#[cfg(feature = "store")]
mod files;
#[cfg(feature = "store")]
mod history;
mod record;

#[cfg(feature = "store")]
pub use error::{Error, ErrorKind};
#[cfg(feature = "store")]
pub use history::{History, Reconciliation};
pub use record::{DateRange, ImageInfo, ImageRecord, ImageType, Integration, NewRecord, StoredImage};
