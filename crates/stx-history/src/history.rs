//! [`History`]: the directory, its connections, and the operations on it.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params_from_iter};

use crate::db::{self, Query};
use crate::files::{self, IMAGES_DIR, Published, TEMP_PREFIX};
use crate::{
    DateRange, Error, ErrorKind, ImageInfo, ImageRecord, ImageType, Integration, NewRecord, StoredImage,
};

/// The database's name inside the history's directory.
const DATABASE_FILE: &str = "history.sqlite3";

/// Read connections kept open. WAL lets each read without waiting for the writer or
/// for one another; a handful covers the HTTP handlers of a small server.
const READERS: usize = 4;

/// How many file numbers [`History::store`] tries when names are taken. That only
/// happens when a crashed store left its temp file under the next number and
/// [`History::reconcile`] has not run yet, or when someone else put a file in
/// `images/` after [`History::open`] counted them.
const NAME_ATTEMPTS: usize = 64;

/// A durable image history in one directory: `images/` holds the FITS files,
/// `history.sqlite3` their records.
///
/// `Send + Sync`: share it behind an `Arc`. Writes (store, adopt, reconcile) take
/// turns on one connection; reads use a small pool of others and never wait for a
/// write.
#[derive(Debug)]
pub struct History {
    images: PathBuf,
    /// Declared (so dropped) before the writer: the last connection to close
    /// checkpoints the WAL into the database, which a read-only one cannot do.
    readers: Vec<Mutex<Connection>>,
    writer: Mutex<Writer>,
    next_reader: AtomicUsize,
}

#[derive(Debug)]
struct Writer {
    conn: Connection,
    /// The number the next image file gets: the persisted counter, plus one for each
    /// file published since the last commit.
    next_file_number: u64,
}

/// What [`History::reconcile`] found and did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reconciliation {
    /// Temp files of interrupted stores, deleted.
    pub removed_temp_files: Vec<String>,
    /// Records whose file was missing, deleted from the history (positions after
    /// them moved down).
    pub removed_records: Vec<ImageRecord>,
    /// Image files with no record, oldest first: the process stopped between
    /// putting the file in place and recording it. Measure each and
    /// [`adopt`](History::adopt) it, or [`remove_orphan`](History::remove_orphan) it.
    pub orphans: Vec<String>,
}

impl History {
    /// Opens the history in `dir`, creating the directory, `images/` and the
    /// database as needed.
    ///
    /// One process at a time may use a directory. Call [`reconcile`](Self::reconcile)
    /// next, before the first store.
    pub fn open(dir: impl AsRef<Path>) -> Result<History, Error> {
        let dir = dir.as_ref();
        let images = dir.join(IMAGES_DIR);
        fs::create_dir_all(&images).map_err(Error::io(&images))?;
        // Make `images/` and the history's directory themselves survive power loss
        // before anything goes in them: an fsynced file in a directory whose own
        // entry was lost is lost too.
        files::sync_dir(dir)?;
        let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        files::sync_dir(parent)?;
        let db_path = dir.join(DATABASE_FILE);
        let mut conn = Connection::open(&db_path)?;
        db::configure(&conn)?;
        db::quick_check(&conn)?;
        db::migrate(&mut conn)?;
        // Never hand out a number a file on disk already has, even if the database
        // was lost, restored from an older copy, or a crash came between putting a
        // file in place and committing the counter. One directory listing at start-up.
        let past_files = image_files(&images)?.into_iter().map(|(_, n)| n + 1).max().unwrap_or(0);
        db::raise_file_number(&conn, past_files)?;
        let next_file_number = db::next_file_number(&conn)?;
        let readers = (0..READERS)
            .map(|_| {
                let reader = Connection::open_with_flags(
                    &db_path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                reader.busy_timeout(std::time::Duration::from_secs(5))?;
                Ok(Mutex::new(reader))
            })
            .collect::<Result<_, Error>>()?;
        Ok(History {
            images,
            readers,
            writer: Mutex::new(Writer { conn, next_file_number }),
            next_reader: AtomicUsize::new(0),
        })
    }

    /// Moves the database of the history in `dir` (and its WAL) aside, renamed with
    /// `suffix`, so the next [`open`](Self::open) starts an empty one and
    /// [`reconcile`](Self::reconcile) lists every image file as an orphan to measure
    /// and adopt: a rebuild from the FITS files, which are the source of truth. Returns
    /// where the old database went, if there was one. The process must hold the
    /// directory (no [`History`] open on it).
    pub fn set_database_aside(dir: impl AsRef<Path>, suffix: &str) -> Result<Option<PathBuf>, Error> {
        let dir = dir.as_ref();
        let db_path = dir.join(DATABASE_FILE);
        if !db_path.exists() {
            return Ok(None);
        }
        let aside = dir.join(format!("{DATABASE_FILE}.{suffix}"));
        for ending in ["-wal", "-shm", ""] {
            let from = dir.join(format!("{DATABASE_FILE}{ending}"));
            if from.exists() {
                let to = dir.join(format!("{DATABASE_FILE}.{suffix}{ending}"));
                fs::rename(&from, &to).map_err(Error::io(&from))?;
            }
        }
        files::sync_dir(dir)?;
        Ok(Some(aside))
    }

    /// The database's path in the history directory `dir`.
    pub fn database_path(dir: impl AsRef<Path>) -> PathBuf {
        dir.as_ref().join(DATABASE_FILE)
    }

    /// Stores a frame: puts `fits_bytes` durably in place as a new file, then records
    /// it, and returns the record with its positions.
    ///
    /// When `record.frame_key` is already recorded, nothing is written and the
    /// existing record comes back with `already_stored` set, so retrying a store
    /// whose outcome is unknown is safe.
    ///
    /// If recording fails after the file is in place, the file is removed again (or,
    /// if even that fails, left as an orphan for [`reconcile`](Self::reconcile)).
    pub fn store(&self, fits_bytes: &[u8], record: NewRecord) -> Result<StoredImage, Error> {
        if !files::looks_like_fits(fits_bytes) {
            return Err(Error::new(ErrorKind::NotFits));
        }
        let mut writer = self.writer();
        if let Some(existing) = db::find_by_key(&writer.conn, &record.frame_key)? {
            return Ok(StoredImage { already_stored: true, ..existing });
        }
        let filename = self.publish(&mut writer, fits_bytes, &record.info)?;
        let next = writer.next_file_number;
        db::insert(&mut writer.conn, Some(&record.frame_key), &filename, &record.info, next).inspect_err(
            |_| {
                files::discard(&self.images.join(&filename));
            },
        )
    }

    /// Puts the file in place under the next free number and returns its name.
    fn publish(&self, writer: &mut Writer, fits_bytes: &[u8], info: &ImageInfo) -> Result<String, Error> {
        for _ in 0..NAME_ATTEMPTS {
            let number = writer.next_file_number;
            writer.next_file_number += 1;
            let filename = files::final_name(number, info.image_type, &info.date);
            match files::publish(&self.images, &filename, fits_bytes)? {
                Published::Done => return Ok(filename),
                Published::NameTaken => continue,
            }
        }
        let last =
            self.images.join(files::final_name(writer.next_file_number - 1, info.image_type, &info.date));
        Err(Error::io(&last)(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "every file name tried was taken; run reconcile",
        )))
    }

    /// Records an orphan (a file [`reconcile`](Self::reconcile) listed) with the
    /// fields measured from it. It goes to the end of the history: orphans are the
    /// last frames before a crash, so nothing has been stored after them yet when
    /// this runs at start-up. It gets no frame key.
    pub fn adopt(&self, filename: &str, info: ImageInfo) -> Result<StoredImage, Error> {
        let mut writer = self.writer();
        let number = self.orphan_number(&writer, filename)?;
        let next = writer.next_file_number.max(number + 1);
        writer.next_file_number = next;
        db::insert(&mut writer.conn, None, filename, &info, next)
    }

    /// The image type an image file's name records (the type it was stored as),
    /// if `filename` is a name this history gives. An orphan's type comes from
    /// here: its FITS header cannot tell a SNAPSHOT from a LIGHT frame.
    pub fn image_type_of(filename: &str) -> Option<ImageType> {
        files::parse_final_name(filename).map(|(_, image_type)| image_type)
    }

    /// Deletes an orphan (a file [`reconcile`](Self::reconcile) listed) instead of
    /// adopting it.
    pub fn remove_orphan(&self, filename: &str) -> Result<(), Error> {
        let writer = self.writer();
        self.orphan_number(&writer, filename)?;
        let path = self.images.join(filename);
        fs::remove_file(&path).map_err(Error::io(&path))?;
        files::sync_dir(&self.images)
    }

    /// The number of `filename` if it is an existing image file without a record.
    fn orphan_number(&self, writer: &Writer, filename: &str) -> Result<u64, Error> {
        let not_orphan = || Error::new(ErrorKind::NotAnOrphan { filename: filename.to_owned() });
        let number = files::file_number(filename).ok_or_else(not_orphan)?;
        if !self.images.join(filename).is_file() || db::is_recorded(&writer.conn, filename)? {
            return Err(not_orphan());
        }
        Ok(number)
    }

    /// Brings files and records back into agreement after a crash or after someone
    /// deleted files by hand; run it at start-up, before the first store.
    ///
    /// Deletes leftover temp files, deletes records whose file is missing (and
    /// reports them), and lists orphans: image files without a record. Files whose
    /// names this crate does not give are left alone.
    pub fn reconcile(&self) -> Result<Reconciliation, Error> {
        let mut writer = self.writer();
        let mut report = Reconciliation::default();
        for entry in fs::read_dir(&self.images).map_err(Error::io(&self.images))? {
            let entry = entry.map_err(Error::io(&self.images))?;
            let Ok(name) = entry.file_name().into_string() else { continue };
            if name.starts_with(TEMP_PREFIX) {
                let path = entry.path();
                fs::remove_file(&path).map_err(Error::io(&path))?;
                report.removed_temp_files.push(name);
            }
        }
        if !report.removed_temp_files.is_empty() {
            files::sync_dir(&self.images)?;
        }
        report.removed_temp_files.sort();
        let mut on_disk: BTreeMap<String, u64> = image_files(&self.images)?.into_iter().collect();

        let tx = writer.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let recorded: Vec<(i64, String)> = tx
            .prepare("SELECT id, filename FROM images ORDER BY id")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let missing: Vec<i64> = recorded
            .into_iter()
            .filter(|(_, name)| on_disk.remove(name).is_none())
            .map(|(id, _)| id)
            .collect();
        for &id in &missing {
            report.removed_records.push(db::record_by_id(&tx, id)?);
            tx.execute("DELETE FROM images WHERE id = ?1", [id])?;
        }
        if !missing.is_empty() || !db::is_dense(&tx)? {
            db::renumber(&tx)?;
        }
        tx.commit()?;

        let mut orphans: Vec<(u64, String)> = on_disk.into_iter().map(|(name, n)| (n, name)).collect();
        orphans.sort();
        report.orphans = orphans.into_iter().map(|(_, name)| name).collect();
        Ok(report)
    }

    /// How many images there are, of `filter`'s type or of every type.
    pub fn count(&self, filter: Option<ImageType>) -> Result<u64, Error> {
        let n: Option<i64> = self.read_one(&db::COUNT, filter, &[], |r| r.get(0))?;
        Ok(n.and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
    }

    /// The image at position `index` (0 = oldest) among all images, or among those of
    /// `filter`'s type; `None` when there are not that many.
    pub fn get(&self, index: u64, filter: Option<ImageType>) -> Result<Option<ImageRecord>, Error> {
        let found = self.read_one(&db::GET, filter, &[db::to_sql_int(index)], db::stored_from_row)?;
        Ok(found.map(|s| s.record))
    }

    /// The newest image, of `filter`'s type or of any; `None` when there is none.
    pub fn newest(&self, filter: Option<ImageType>) -> Result<Option<ImageRecord>, Error> {
        Ok(self.read_one(&db::NEWEST, filter, &[], db::stored_from_row)?.map(|s| s.record))
    }

    /// Every image, of `filter`'s type or of any, oldest first.
    pub fn all(&self, filter: Option<ImageType>) -> Result<Vec<ImageRecord>, Error> {
        self.read_all(&db::ALL, filter, &[])
    }

    /// The images dated in `dates`, of `filter`'s type or of any, oldest first.
    pub fn between(&self, dates: &DateRange, filter: Option<ImageType>) -> Result<Vec<ImageRecord>, Error> {
        self.read_all(&db::BETWEEN, filter, &dates.bounds_us())
    }

    /// How many images are dated in `dates`, of `filter`'s type or of any.
    pub fn count_between(&self, dates: &DateRange, filter: Option<ImageType>) -> Result<u64, Error> {
        let n: Option<i64> = self.read_one(&db::COUNT_BETWEEN, filter, &dates.bounds_us(), |r| r.get(0))?;
        Ok(n.and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
    }

    /// Light frames dated in `dates`, per target and filter: how many and how long.
    /// Ordered by target, then filter.
    pub fn integration(&self, dates: &DateRange) -> Result<Vec<Integration>, Error> {
        self.with_reader(|conn| {
            let mut stmt = conn.prepare_cached(db::INTEGRATION)?;
            let rows = stmt.query_map(params_from_iter(dates.bounds_us()), |r| {
                Ok(Integration {
                    target_name: r.get(0)?,
                    filter: r.get(1)?,
                    frames: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
                    exposure_s: r.get::<_, Option<f64>>(3)?.unwrap_or(0.0),
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    /// How many images there are of each type and filter, ordered by type, then filter.
    pub fn counts_by_type_and_filter(&self) -> Result<Vec<(ImageType, String, u64)>, Error> {
        self.with_reader(|conn| {
            let mut stmt = conn.prepare_cached(db::COUNTS_BY_TYPE_AND_FILTER)?;
            let rows = stmt.query_map([], |r| {
                let name: String = r.get(0)?;
                Ok((name, r.get::<_, String>(1)?, r.get::<_, i64>(2)?))
            })?;
            let mut counts = Vec::new();
            for row in rows {
                let (name, filter, n) = row?;
                let image_type =
                    ImageType::parse(&name).ok_or_else(|| Error::corrupt(format!("image type {name:?}")))?;
                counts.push((image_type, filter, u64::try_from(n).unwrap_or(0)));
            }
            Ok(counts)
        })
    }

    fn read_all(
        &self,
        query: &Query,
        filter: Option<ImageType>,
        more: &[i64],
    ) -> Result<Vec<ImageRecord>, Error> {
        self.with_reader(|conn| {
            let (sql, params) = bind(query, filter, more);
            let mut stmt = conn.prepare_cached(sql)?;
            let rows =
                stmt.query_map(params_from_iter(params), |r| db::stored_from_row(r).map(|s| s.record))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    /// Where `record`'s FITS file is.
    pub fn path_of(&self, record: &ImageRecord) -> PathBuf {
        self.image_path(&record.filename)
    }

    /// Where the image file of that name lives (an orphan's, say, before it is adopted).
    pub fn image_path(&self, filename: &str) -> PathBuf {
        self.images.join(filename)
    }

    fn writer(&self) -> MutexGuard<'_, Writer> {
        // A panic elsewhere cannot leave the connection mid-transaction (rusqlite
        // rolls back on drop), so a poisoned lock is still a usable one.
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on a free read connection, or waits for one in turn.
    fn with_reader<T>(&self, f: impl FnOnce(&Connection) -> Result<T, Error>) -> Result<T, Error> {
        for reader in &self.readers {
            if let Ok(conn) = reader.try_lock() {
                return f(&conn);
            }
        }
        let i = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        let conn = self.readers[i].lock().unwrap_or_else(PoisonError::into_inner);
        f(&conn)
    }

    /// The first row of `query` in the form for `filter`, if any.
    fn read_one<T>(
        &self,
        query: &Query,
        filter: Option<ImageType>,
        more: &[i64],
        map: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Option<T>, Error> {
        let (sql, params) = bind(query, filter, more);
        self.with_reader(|conn| {
            Ok(conn.prepare_cached(sql)?.query_row(params_from_iter(params), map).optional()?)
        })
    }
}

/// The form of `query` for `filter`, and its parameters: the type if filtered, then
/// the query's own (an index, a date range).
fn bind(query: &Query, filter: Option<ImageType>, more: &[i64]) -> (&'static str, Vec<Value>) {
    let (sql, mut params) = match filter {
        None => (query.all, Vec::new()),
        Some(t) => (query.typed, vec![Value::Text(t.wire_name().to_owned())]),
    };
    params.extend(more.iter().copied().map(Value::Integer));
    (sql, params)
}

/// The image files (final names this crate gives) in `images`, with their numbers.
/// Names that are not ours, temp files included, are skipped.
fn image_files(images: &Path) -> Result<Vec<(String, u64)>, Error> {
    let mut found = Vec::new();
    for entry in fs::read_dir(images).map_err(Error::io(images))? {
        let entry = entry.map_err(Error::io(images))?;
        let Ok(name) = entry.file_name().into_string() else { continue };
        if let Some(number) = files::file_number(&name) {
            found.push((name, number));
        }
    }
    Ok(found)
}
