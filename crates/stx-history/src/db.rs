//! The SQL: schema, the API's queries, the one insert, reading rows back, renumbering.

use chrono::{DateTime, FixedOffset};
use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::{Error, ErrorKind, ImageInfo, ImageRecord, ImageType, StoredImage};

/// Bumped whenever the schema changes; `PRAGMA user_version` holds it.
const SCHEMA_VERSION: i64 = 1;

/// `seq` and `type_seq` are the dense positions the API's `index` means (see the
/// crate docs); `id` only orders. Every `REAL` column is nullable because NULL is
/// how NaN is stored: SQLite cannot hold NaN (it turns a bound NaN into NULL on its
/// own; we do it explicitly so the mapping is visible). `frame_key` is NULL for
/// adopted orphans (UNIQUE lets NULLs repeat). `pixel_offset`, not `offset`,
/// because OFFSET is an SQL keyword.
const SCHEMA: &str = "
CREATE TABLE images (
    id INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL,
    type_seq INTEGER NOT NULL,
    frame_key TEXT UNIQUE,
    filename TEXT NOT NULL UNIQUE,
    image_type TEXT NOT NULL CHECK (image_type IN ('LIGHT', 'FLAT', 'DARK', 'BIAS', 'SNAPSHOT')),
    exposure_time_s REAL,
    filter TEXT NOT NULL,
    rms_text TEXT NOT NULL,
    temperature_c REAL,
    camera_name TEXT NOT NULL,
    gain INTEGER NOT NULL,
    pixel_offset INTEGER NOT NULL,
    date_unix_us INTEGER NOT NULL,
    date_utc_offset_s INTEGER NOT NULL,
    telescope_name TEXT NOT NULL,
    focal_length_mm REAL,
    stdev REAL,
    mean REAL,
    median REAL,
    stars INTEGER NOT NULL,
    hfr REAL,
    is_bayered INTEGER NOT NULL,
    target_name TEXT NOT NULL,
    pixel_min INTEGER NOT NULL,
    pixel_max INTEGER NOT NULL,
    hfr_stdev REAL
) STRICT;
CREATE INDEX images_seq ON images (seq);
CREATE INDEX images_type_seq ON images (image_type, type_seq);
-- The next image file number. Only ever raised, so no final name is used twice.
CREATE TABLE file_counter (next_number INTEGER NOT NULL) STRICT;
INSERT INTO file_counter VALUES (0);
";

/// `SELECT` of the columns [`stored_from_row`] reads, in its order, `FROM images`,
/// then the rest of the statement: a macro so every statement is one literal.
macro_rules! select_records {
    ($($rest:literal),*) => {
        concat!(
            "SELECT seq, type_seq, filename, image_type, exposure_time_s, filter, rms_text, temperature_c, \
             camera_name, gain, pixel_offset, date_unix_us, date_utc_offset_s, telescope_name, focal_length_mm, \
             stdev, mean, median, stars, hfr, is_bayered, target_name, pixel_min, pixel_max, hfr_stdev \
             FROM images ",
            $($rest),*
        )
    };
}

/// A read the API makes, in its two forms: over all images, and over those of one
/// type, which is then parameter `?1`. An index, where there is one, is the last
/// parameter.
pub(crate) struct Query {
    /// Over all images.
    pub(crate) all: &'static str,
    /// Over the images of one type.
    pub(crate) typed: &'static str,
}

/// How many images: positions are dense, so the last position + 1, read from the end
/// of an index (`max` of an indexed column) instead of counting every row.
pub(crate) const COUNT: Query = Query {
    all: "SELECT coalesce(max(seq), -1) + 1 FROM images",
    typed: "SELECT coalesce(max(type_seq), -1) + 1 FROM images WHERE image_type = ?1",
};

/// The image at a position: one index lookup, whatever the position.
pub(crate) const GET: Query = Query {
    all: select_records!("WHERE seq = ?1"),
    typed: select_records!("WHERE image_type = ?1 AND type_seq = ?2"),
};

/// The newest image: the last entry of an index.
pub(crate) const NEWEST: Query = Query {
    all: select_records!("ORDER BY seq DESC LIMIT 1"),
    typed: select_records!("WHERE image_type = ?1 ORDER BY type_seq DESC LIMIT 1"),
};

/// Every image, oldest first.
pub(crate) const ALL: Query = Query {
    all: select_records!("ORDER BY seq"),
    typed: select_records!("WHERE image_type = ?1 ORDER BY type_seq"),
};

/// The images dated in `[from, to)` (microseconds since the epoch, parameters after
/// the type), oldest first. A scan of the table: dates are not indexed, and a scan of
/// 100 000 rows takes milliseconds.
pub(crate) const BETWEEN: Query = Query {
    all: select_records!("WHERE date_unix_us >= ?1 AND date_unix_us < ?2 ORDER BY seq"),
    typed: select_records!(
        "WHERE image_type = ?1 AND date_unix_us >= ?2 AND date_unix_us < ?3 ORDER BY type_seq"
    ),
};

/// How many images are dated in `[from, to)`.
pub(crate) const COUNT_BETWEEN: Query = Query {
    all: "SELECT count(*) FROM images WHERE date_unix_us >= ?1 AND date_unix_us < ?2",
    typed: "SELECT count(*) FROM images WHERE image_type = ?1 AND date_unix_us >= ?2 AND date_unix_us < ?3",
};

/// Light frames dated in `[?1, ?2)` per target and filter: count and exposure sum.
pub(crate) const INTEGRATION: &str = "SELECT target_name, filter, count(*), sum(exposure_time_s) FROM images \
     WHERE image_type = 'LIGHT' AND date_unix_us >= ?1 AND date_unix_us < ?2 \
     GROUP BY target_name, filter ORDER BY target_name, filter";

/// Images per type and filter.
pub(crate) const COUNTS_BY_TYPE_AND_FILTER: &str =
    "SELECT image_type, filter, count(*) FROM images GROUP BY image_type, filter ORDER BY image_type, filter";

/// Sets the connection up the way every connection of a history must be.
///
/// `synchronous = FULL`: in WAL mode NORMAL keeps the database consistent but may
/// lose the last commits on power loss. We write one record per frame (seconds
/// apart), so the extra fsync per commit costs nothing that matters, and in return
/// a record once reported stored (and announced to clients) survives power loss.
pub(crate) fn configure(conn: &Connection) -> Result<(), Error> {
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::corrupt(format!("journal mode stays {mode:?}, not WAL")));
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    // Readers never wait on the writer in WAL mode, but a checkpoint or a second
    // process can hold the lock for a moment; wait rather than fail at once.
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(())
}

/// Checks the database's pages and indexes (`PRAGMA quick_check`, linear in its size:
/// a fraction of a second for years of records): a damaged page found at start-up is
/// a clear refusal, not frames dropped one by one later.
pub(crate) fn quick_check(conn: &Connection) -> Result<(), Error> {
    let mut statement = conn.prepare("PRAGMA quick_check(8)")?;
    let findings = statement.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
    match findings.as_slice() {
        [ok] if ok == "ok" => Ok(()),
        _ => Err(Error::corrupt(format!("quick_check found: {}", findings.join("; ")))),
    }
}

/// Creates the schema in a new database, or checks an existing one's version.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), Error> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    match version {
        0 => {
            tx.execute_batch(SCHEMA)?;
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        }
        SCHEMA_VERSION => {}
        v => return Err(Error::new(ErrorKind::SchemaTooNew { version: v })),
    }
    tx.commit()?;
    Ok(())
}

/// The next image file number as persisted.
pub(crate) fn next_file_number(conn: &Connection) -> Result<u64, Error> {
    let n: i64 = conn.query_row("SELECT next_number FROM file_counter", [], |r| r.get(0))?;
    u64::try_from(n).map_err(|_| Error::corrupt(format!("negative file counter {n}")))
}

/// Raises the persisted counter to at least `n`.
pub(crate) fn raise_file_number(conn: &Connection, n: u64) -> Result<(), Error> {
    conn.execute("UPDATE file_counter SET next_number = max(next_number, ?1)", [to_sql_int(n)])?;
    Ok(())
}

/// Appends a record at the end of both orderings, raises the file counter to
/// `next_file_number`, in one transaction.
pub(crate) fn insert(
    conn: &mut Connection,
    frame_key: Option<&str>,
    filename: &str,
    info: &ImageInfo,
    next_file_number: u64,
) -> Result<StoredImage, Error> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    // max() + 1 rather than COUNT(*): SQLite answers max of an indexed column from
    // the index's end, while COUNT(*) walks the whole index.
    let (index, type_index): (i64, i64) = tx.prepare_cached(
        "INSERT INTO images (seq, type_seq, frame_key, filename, image_type, exposure_time_s, filter, rms_text, \
             temperature_c, camera_name, gain, pixel_offset, date_unix_us, date_utc_offset_s, telescope_name, \
             focal_length_mm, stdev, mean, median, stars, hfr, is_bayered, target_name, pixel_min, pixel_max, hfr_stdev)
         VALUES ((SELECT coalesce(max(seq), -1) + 1 FROM images),
                 (SELECT coalesce(max(type_seq), -1) + 1 FROM images WHERE image_type = ?3),
                 ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21,
                 ?22, ?23, ?24)
         RETURNING seq, type_seq",
    )?
    .query_row(
        params![
            frame_key,
            filename,
            info.image_type.wire_name(),
            real(info.exposure_time_s),
            info.filter,
            info.rms_text,
            info.temperature_c.and_then(real),
            info.camera_name,
            info.gain.unwrap_or(NONE),
            info.offset.unwrap_or(NONE),
            info.date.timestamp_micros(),
            info.date.offset().local_minus_utc(),
            info.telescope_name,
            real(info.focal_length_mm),
            real(info.stdev),
            real(info.mean),
            real(info.median),
            info.stars.map_or(NONE.into(), |n| i64::try_from(n).unwrap_or(i64::MAX)),
            info.hfr.and_then(real),
            info.is_bayered,
            info.target_name,
            info.min,
            info.max,
            info.hfr_stdev.and_then(real),
        ],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    raise_file_number(&tx, next_file_number)?;
    tx.commit()?;
    Ok(StoredImage {
        index: to_index(index)?,
        type_index: to_index(type_index)?,
        already_stored: false,
        record: ImageRecord { info: info.clone(), filename: filename.to_owned() },
    })
}

/// The record stored under `frame_key`, if any.
pub(crate) fn find_by_key(conn: &Connection, frame_key: &str) -> Result<Option<StoredImage>, Error> {
    let mut stmt = conn.prepare_cached(select_records!("WHERE frame_key = ?1"))?;
    Ok(stmt.query_row([frame_key], stored_from_row).optional()?)
}

/// Whether a record names `filename`.
pub(crate) fn is_recorded(conn: &Connection, filename: &str) -> Result<bool, Error> {
    let mut stmt = conn.prepare_cached("SELECT 1 FROM images WHERE filename = ?1")?;
    Ok(stmt.exists([filename])?)
}

/// Makes `seq` and `type_seq` dense again (0..n in `id` order) after rows were
/// deleted. The indexes on them are deliberately not UNIQUE: the update passes
/// through states where two rows share a position.
pub(crate) fn renumber(conn: &Connection) -> Result<(), Error> {
    conn.execute(
        "WITH r AS (SELECT id,
                           row_number() OVER (ORDER BY id) - 1 AS s,
                           row_number() OVER (PARTITION BY image_type ORDER BY id) - 1 AS ts
                    FROM images)
         UPDATE images SET seq = r.s, type_seq = r.ts FROM r WHERE images.id = r.id",
        [],
    )?;
    Ok(())
}

/// Whether `seq` runs exactly 0..COUNT(*) (a full scan: for reconciliation only).
pub(crate) fn is_dense(conn: &Connection) -> Result<bool, Error> {
    let dense = conn.query_row(
        "SELECT count(*) = coalesce(max(seq), -1) + 1 AND count(DISTINCT seq) = count(*)
                AND (SELECT count(*) FROM (SELECT image_type FROM images GROUP BY image_type
                                           HAVING count(*) != max(type_seq) + 1
                                               OR count(DISTINCT type_seq) != count(*))) = 0
         FROM images",
        [],
        |r| r.get(0),
    )?;
    Ok(dense)
}

/// The record with rowid `id`.
pub(crate) fn record_by_id(conn: &Connection, id: i64) -> Result<ImageRecord, Error> {
    Ok(conn.query_row(select_records!("WHERE id = ?1"), [id], stored_from_row)?.record)
}

/// Reads a row selected with `select_records!`.
pub(crate) fn stored_from_row(r: &Row<'_>) -> rusqlite::Result<StoredImage> {
    let type_name: String = r.get(3)?;
    let image_type =
        ImageType::parse(&type_name).ok_or_else(|| bad(3, format!("unknown image type {type_name:?}")))?;
    let (unix_us, offset_s): (i64, i32) = (r.get(11)?, r.get(12)?);
    let date = DateTime::from_timestamp_micros(unix_us)
        .zip(FixedOffset::east_opt(offset_s))
        .map(|(utc, offset)| utc.with_timezone(&offset))
        .ok_or_else(|| bad(11, format!("no such date: {unix_us} µs, offset {offset_s} s")))?;
    let info = ImageInfo {
        exposure_time_s: nan_if_null(r, 4)?,
        image_type,
        filter: r.get(5)?,
        rms_text: r.get(6)?,
        temperature_c: r.get(7)?,
        camera_name: r.get(8)?,
        gain: unless_none(r.get(9)?),
        offset: unless_none(r.get(10)?),
        date,
        telescope_name: r.get(13)?,
        focal_length_mm: nan_if_null(r, 14)?,
        stdev: nan_if_null(r, 15)?,
        mean: nan_if_null(r, 16)?,
        median: nan_if_null(r, 17)?,
        stars: u64::try_from(r.get::<_, i64>(18)?).ok(),
        hfr: r.get(19)?,
        is_bayered: r.get(20)?,
        target_name: r.get(21)?,
        min: r.get(22)?,
        max: r.get(23)?,
        hfr_stdev: r.get(24)?,
    };
    Ok(StoredImage {
        index: r.get(0)?,
        type_index: r.get(1)?,
        already_stored: false,
        record: ImageRecord { info, filename: r.get(2)? },
    })
}

/// The integer the NOT NULL columns `gain`, `pixel_offset` and `stars` hold for "none"
/// (the schema predates the record's `Option`s, and a -1 never means anything else).
const NONE: i32 = -1;

/// A NOT NULL integer column's value, `None` for [`NONE`].
fn unless_none(value: i32) -> Option<i32> {
    (value != NONE).then_some(value)
}

/// NaN is stored as NULL.
fn real(x: f64) -> Option<f64> {
    (!x.is_nan()).then_some(x)
}

/// NULL is read back as NaN.
fn nan_if_null(r: &Row<'_>, i: usize) -> rusqlite::Result<f64> {
    Ok(r.get::<_, Option<f64>>(i)?.unwrap_or(f64::NAN))
}

fn bad(column: usize, detail: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, Type::Text, detail.into())
}

/// SQLite integers are i64; positions and counters beyond that cannot occur.
pub(crate) fn to_sql_int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn to_index(n: i64) -> Result<u64, Error> {
    u64::try_from(n).map_err(|_| Error::corrupt(format!("negative position {n}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The point queries must stay index lookups: a full scan would still pass every
    /// functional test and only show at 100 000 records.
    #[test]
    fn point_queries_search_an_index_and_all_reads_in_index_order() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        let plan = |sql: &str| -> String {
            let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let unbound = vec![rusqlite::types::Value::Null; stmt.parameter_count()];
            let details: Vec<String> = stmt
                .query_map(rusqlite::params_from_iter(unbound), |r| r.get::<_, String>(3))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            details.join("; ")
        };
        for q in [&COUNT, &GET, &NEWEST] {
            for sql in [q.all, q.typed] {
                let plan = plan(sql);
                assert!(!plan.contains("SCAN") || plan.contains("USING"), "{sql}: {plan}");
                assert!(!plan.contains("TEMP B-TREE"), "{sql}: {plan}");
            }
        }
        assert_eq!(plan(GET.all), "SEARCH images USING INDEX images_seq (seq=?)");
        assert_eq!(
            plan(GET.typed),
            "SEARCH images USING INDEX images_type_seq (image_type=? AND type_seq=?)"
        );
        for sql in [ALL.all, ALL.typed] {
            assert!(!plan(sql).contains("TEMP B-TREE"), "{sql}: {}", plan(sql));
        }
    }
}
