//! The history on real files in temp directories: storing and querying, every crash
//! point reconcile must repair, retries, and reopening.

use std::fs;
use std::path::Path;

use chrono::{DateTime, SecondsFormat};
use stx_history::{DateRange, ErrorKind, History, ImageInfo, ImageRecord, ImageType, NewRecord};

/// A minimal valid FITS file (one header block, no data), `tag` written into a
/// comment so each payload is distinguishable.
fn fits(tag: u32) -> Vec<u8> {
    let cards = [
        "SIMPLE  =                    T".to_owned(),
        "BITPIX  =                   16".to_owned(),
        "NAXIS   =                    0".to_owned(),
        format!("COMMENT tag {tag}"),
        "END".to_owned(),
    ];
    let mut bytes: Vec<u8> = cards.iter().flat_map(|c| format!("{c:<80}").into_bytes()).collect();
    bytes.resize(2880, b' ');
    bytes
}

fn info(image_type: ImageType, n: u32) -> ImageInfo {
    let runs_stars = matches!(image_type, ImageType::Light | ImageType::Snapshot);
    ImageInfo {
        exposure_time_s: f64::from(n) + 0.5,
        image_type,
        filter: if n & 1 == 0 { "Ha".to_owned() } else { String::new() },
        rms_text: "Tot: 0.52 (0.86\")".to_owned(),
        temperature_c: Some(-20.0),
        camera_name: "SBIG STX-16803".to_owned(),
        gain: None,
        offset: None,
        date: DateTime::parse_from_rfc3339("2026-11-21T22:13:45.123+01:00").unwrap()
            + chrono::Duration::seconds(n.into()),
        telescope_name: "RC 12".to_owned(),
        focal_length_mm: 2432.0,
        stdev: 12.5,
        mean: 1000.25,
        median: 998.5,
        stars: runs_stars.then_some(u64::from(n)),
        hfr: runs_stars.then_some(2.25),
        is_bayered: false,
        target_name: format!("M{n}"),
        min: 100,
        max: 65535,
        hfr_stdev: runs_stars.then_some(0.5),
    }
}

fn new(key: &str, image_type: ImageType, n: u32) -> NewRecord {
    NewRecord { frame_key: key.to_owned(), info: info(image_type, n) }
}

/// Equality that counts NaN equal to NaN: Debug prints every field, NaN as `NaN`.
fn same<T: std::fmt::Debug>(a: &T, b: &T) -> bool {
    format!("{a:?}") == format!("{b:?}")
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir.join("images"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

const MIX: [ImageType; 7] = [
    ImageType::Light,
    ImageType::Flat,
    ImageType::Dark,
    ImageType::Light,
    ImageType::Bias,
    ImageType::Snapshot,
    ImageType::Flat,
];

fn store_mix(history: &History) -> Vec<ImageRecord> {
    MIX.iter()
        .zip(0..)
        .map(|(&t, n)| history.store(&fits(n), new(&format!("frame-{n}"), t, n)).unwrap().record)
        .collect()
}

#[test]
fn store_then_count_get_newest_all_with_and_without_filter() {
    let dir = tempfile::tempdir().unwrap();
    let history = History::open(dir.path()).unwrap();
    assert_eq!(history.count(None).unwrap(), 0);
    assert_eq!(history.newest(None).unwrap(), None);
    assert_eq!(history.get(0, None).unwrap(), None);
    assert_eq!(history.all(None).unwrap(), vec![]);

    let stored: Vec<_> = MIX
        .iter()
        .zip(0..)
        .map(|(&t, n)| history.store(&fits(n), new(&format!("frame-{n}"), t, n)).unwrap())
        .collect();
    let positions: Vec<_> = stored.iter().map(|s| (s.index, s.type_index, s.already_stored)).collect();
    assert_eq!(
        positions,
        [
            (0, 0, false),
            (1, 0, false),
            (2, 0, false),
            (3, 1, false),
            (4, 0, false),
            (5, 0, false),
            (6, 1, false)
        ]
    );
    let records: Vec<ImageRecord> = stored.into_iter().map(|s| s.record).collect();

    assert_eq!(history.count(None).unwrap(), 7);
    assert_eq!(history.count(Some(ImageType::Light)).unwrap(), 2);
    assert_eq!(history.count(Some(ImageType::Flat)).unwrap(), 2);
    assert_eq!(history.count(Some(ImageType::Bias)).unwrap(), 1);

    for (i, r) in records.iter().enumerate() {
        assert!(same(&history.get(i as u64, None).unwrap(), &Some(r.clone())));
    }
    assert_eq!(history.get(7, None).unwrap(), None);
    assert_eq!(history.get(u64::MAX, None).unwrap(), None);
    assert!(same(&history.get(1, Some(ImageType::Flat)).unwrap(), &Some(records[6].clone())));
    assert_eq!(history.get(2, Some(ImageType::Flat)).unwrap(), None);

    assert!(same(&history.newest(None).unwrap(), &Some(records[6].clone())));
    assert!(same(&history.newest(Some(ImageType::Light)).unwrap(), &Some(records[3].clone())));

    assert!(same(&history.all(None).unwrap(), &records));
    assert!(same(
        &history.all(Some(ImageType::Light)).unwrap(),
        &vec![records[0].clone(), records[3].clone()]
    ));

    // Each record names its own file, holding exactly the bytes stored.
    for (n, r) in (0..).zip(&records) {
        assert_eq!(fs::read(history.path_of(r)).unwrap(), fits(n));
    }
    assert_eq!(records[0].filename, "000000_LIGHT_20261121T221345.fits");
    assert_eq!(files_in(dir.path()).len(), 7);
}

#[test]
fn nan_infinities_and_the_date_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let history = History::open(dir.path()).unwrap();
    let mut odd = info(ImageType::Dark, 3);
    odd.temperature_c = Some(f64::INFINITY);
    odd.mean = f64::NEG_INFINITY;
    odd.median = f64::NAN;
    odd.exposure_time_s = -0.0;
    let stored = history.store(&fits(0), NewRecord { frame_key: "k".to_owned(), info: odd.clone() }).unwrap();
    let back = history.get(0, None).unwrap().unwrap();
    // SQLite keeps no sign of zero: -0.0 comes back as 0.0, the one value that does
    // not round-trip exactly (and one no measurement produces).
    assert_eq!(back.info.exposure_time_s.to_bits(), 0.0f64.to_bits());
    let mut expected = stored.record.clone();
    expected.info.exposure_time_s = 0.0;
    assert!(same(&back, &expected));
    assert!(back.info.hfr.is_none() && back.info.hfr_stdev.is_none() && back.info.median.is_nan());
    assert_eq!(back.info.temperature_c, Some(f64::INFINITY));
    assert_eq!(back.info.mean, f64::NEG_INFINITY);
    assert_eq!(back.info.stars, None);
    assert_eq!(back.info.date.to_rfc3339_opts(SecondsFormat::Millis, false), "2026-11-21T22:13:48.123+01:00");
}

#[test]
fn a_retried_store_records_nothing_new() {
    let dir = tempfile::tempdir().unwrap();
    let history = History::open(dir.path()).unwrap();
    let first = history.store(&fits(1), new("cam/2026-11-21T21:13:45", ImageType::Light, 1)).unwrap();
    let again = history.store(&fits(1), new("cam/2026-11-21T21:13:45", ImageType::Light, 1)).unwrap();
    assert!(!first.already_stored);
    assert!(again.already_stored);
    assert!(same(&again.record, &first.record));
    assert_eq!((again.index, again.type_index), (0, 0));
    assert_eq!(history.count(None).unwrap(), 1);
    assert_eq!(files_in(dir.path()), [first.record.filename]);
}

#[test]
fn what_is_not_fits_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let history = History::open(dir.path()).unwrap();
    let err = history.store(b"hello", new("k", ImageType::Light, 0)).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::NotFits);
    assert_eq!(history.count(None).unwrap(), 0);
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn reopening_keeps_everything_and_never_reuses_a_name() {
    let dir = tempfile::tempdir().unwrap();
    let records = store_mix(&History::open(dir.path()).unwrap());
    let history = History::open(dir.path()).unwrap();
    assert_eq!(history.reconcile().unwrap(), Default::default());
    assert!(same(&history.all(None).unwrap(), &records));
    assert_eq!(history.count(Some(ImageType::Flat)).unwrap(), 2);
    let next = history.store(&fits(99), new("frame-99", ImageType::Dark, 99)).unwrap();
    assert_eq!(next.index, 7);
    assert!(next.record.filename.starts_with("000007_DARK_"));
    // The same key as before the restart is still known.
    assert!(history.store(&fits(0), new("frame-0", ImageType::Light, 0)).unwrap().already_stored);
}

#[test]
fn crash_while_writing_leaves_a_temp_file_that_reconcile_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let records = store_mix(&History::open(dir.path()).unwrap());
    // What a crash in the middle of writing leaves: half a file under the temp name.
    let temp = dir.path().join("images/.tmp-000007_LIGHT_20261121T221400.fits");
    fs::write(&temp, &fits(7)[..1000]).unwrap();

    let history = History::open(dir.path()).unwrap();
    let report = history.reconcile().unwrap();
    assert_eq!(report.removed_temp_files, [".tmp-000007_LIGHT_20261121T221400.fits"]);
    assert!(report.removed_records.is_empty() && report.orphans.is_empty());
    assert!(!temp.exists());
    assert!(same(&history.all(None).unwrap(), &records));
}

#[test]
fn a_taken_name_does_not_block_the_next_store() {
    let dir = tempfile::tempdir().unwrap();
    let history = History::open(dir.path()).unwrap();
    // Without reconcile, a leftover temp file sits exactly where the next store
    // would write: the store must move on to the next number.
    fs::write(dir.path().join("images/.tmp-000000_LIGHT_20261121T221346.fits"), b"half").unwrap();
    let stored = history.store(&fits(1), new("k", ImageType::Light, 1)).unwrap();
    assert_eq!(stored.record.filename, "000001_LIGHT_20261121T221346.fits");
    // A file that appeared after open under the next name is not replaced either.
    let intruder = dir.path().join("images/000002_LIGHT_20261121T221347.fits");
    fs::write(&intruder, b"not yours").unwrap();
    let stored = history.store(&fits(2), new("k2", ImageType::Light, 2)).unwrap();
    assert_eq!(stored.record.filename, "000003_LIGHT_20261121T221347.fits");
    assert_eq!(fs::read(&intruder).unwrap(), b"not yours");
}

#[test]
fn crash_between_rename_and_record_leaves_an_orphan_to_adopt() {
    let dir = tempfile::tempdir().unwrap();
    let records = store_mix(&History::open(dir.path()).unwrap());
    // What a crash after the file was put in place but before its record was
    // committed leaves: the file, no record, the counter not yet past it.
    let orphan = {
        let history = History::open(dir.path()).unwrap();
        let last = history.store(&fits(7), new("frame-7", ImageType::Light, 7)).unwrap().record;
        drop(history);
        let db = rusqlite::Connection::open(dir.path().join("history.sqlite3")).unwrap();
        db.execute("DELETE FROM images WHERE filename = ?1", [&last.filename]).unwrap();
        db.execute("UPDATE file_counter SET next_number = 7", []).unwrap();
        last
    };

    let history = History::open(dir.path()).unwrap();
    let report = history.reconcile().unwrap();
    assert_eq!(report.orphans, std::slice::from_ref(&orphan.filename));
    assert!(report.removed_temp_files.is_empty() && report.removed_records.is_empty());
    assert_eq!(history.count(None).unwrap(), 7);

    // Re-measured, it joins the end of the history.
    let adopted = history.adopt(&orphan.filename, orphan.info.clone()).unwrap();
    assert_eq!((adopted.index, adopted.type_index), (7, 2));
    assert!(same(&history.newest(None).unwrap(), &Some(orphan.clone())));
    assert_eq!(history.reconcile().unwrap(), Default::default());

    // Adopting again, or something that is not an orphan, is refused.
    for name in
        [orphan.filename.as_str(), records[0].filename.as_str(), "../history.sqlite3", "000099_LIGHT_x.fits"]
    {
        let err = history.adopt(name, orphan.info.clone()).unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::NotAnOrphan { filename: name.to_owned() });
    }

    // The orphan's number stays taken.
    let next = history.store(&fits(8), new("frame-8", ImageType::Flat, 8)).unwrap();
    assert!(next.record.filename.starts_with("000008_FLAT_"), "{}", next.record.filename);
}

#[test]
fn an_orphan_can_be_removed_instead() {
    let dir = tempfile::tempdir().unwrap();
    drop(History::open(dir.path()).unwrap());
    let name = "000005_BIAS_20261121T221345.fits";
    fs::write(dir.path().join("images").join(name), fits(5)).unwrap();
    // A file whose name we never give is not ours to list or delete.
    fs::write(dir.path().join("images/notes.txt"), b"mine").unwrap();
    let history = History::open(dir.path()).unwrap();
    assert_eq!(history.reconcile().unwrap().orphans, [name]);
    // The caller reads an orphan there to re-measure it.
    assert_eq!(fs::read(history.image_path(name)).unwrap(), fits(5));
    history.remove_orphan(name).unwrap();
    assert_eq!(files_in(dir.path()), ["notes.txt"]);
    assert_eq!(
        history.remove_orphan("notes.txt").unwrap_err().kind(),
        &ErrorKind::NotAnOrphan { filename: "notes.txt".to_owned() }
    );
    // The counter went past the orphan's number and stays there.
    let stored = history.store(&fits(1), new("k", ImageType::Light, 1)).unwrap();
    assert!(stored.record.filename.starts_with("000006_"), "{}", stored.record.filename);
}

#[test]
fn a_record_whose_file_was_deleted_goes_and_positions_close_up() {
    let dir = tempfile::tempdir().unwrap();
    let records = store_mix(&History::open(dir.path()).unwrap());
    // The first FLAT (index 1, type index 0) is deleted by hand.
    fs::remove_file(dir.path().join("images").join(&records[1].filename)).unwrap();

    let history = History::open(dir.path()).unwrap();
    let report = history.reconcile().unwrap();
    assert!(same(&report.removed_records, &vec![records[1].clone()]));
    assert!(report.orphans.is_empty() && report.removed_temp_files.is_empty());

    let mut left = records.clone();
    left.remove(1);
    assert_eq!(history.count(None).unwrap(), 6);
    assert!(same(&history.all(None).unwrap(), &left));
    for (i, r) in left.iter().enumerate() {
        assert!(same(&history.get(i as u64, None).unwrap(), &Some(r.clone())));
    }
    assert_eq!(history.count(Some(ImageType::Flat)).unwrap(), 1);
    assert!(same(&history.get(0, Some(ImageType::Flat)).unwrap(), &Some(records[6].clone())));

    // New records continue the closed-up numbering.
    let next = history.store(&fits(9), new("frame-9", ImageType::Flat, 9)).unwrap();
    assert_eq!((next.index, next.type_index), (6, 1));
}

#[test]
fn a_lost_database_turns_every_file_into_an_orphan_and_no_file_is_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let records = store_mix(&History::open(dir.path()).unwrap());
    for suffix in ["", "-wal", "-shm"] {
        let _ = fs::remove_file(dir.path().join(format!("history.sqlite3{suffix}")));
    }
    let history = History::open(dir.path()).unwrap();
    // The new database's counter starts past the files on disk: no number is
    // handed out twice, and no existing file is replaced.
    let stored = history.store(&fits(50), new("k", ImageType::Light, 0)).unwrap();
    assert_eq!(stored.record.filename, "000007_LIGHT_20261121T221345.fits");
    for (n, r) in (0..).zip(&records) {
        assert_eq!(fs::read(history.path_of(r)).unwrap(), fits(n));
    }
    let report = history.reconcile().unwrap();
    let names: Vec<_> = records.iter().map(|r| r.filename.clone()).collect();
    assert_eq!(report.orphans, names);
}

#[test]
fn stores_and_queries_from_many_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<History>();

    let dir = tempfile::tempdir().unwrap();
    let history = History::open(dir.path()).unwrap();
    std::thread::scope(|s| {
        for w in 0..3u32 {
            let history = &history;
            s.spawn(move || {
                for n in 0..15 {
                    let t = ImageType::ALL[(n % 5) as usize];
                    history.store(&fits(n), new(&format!("w{w}-{n}"), t, n)).unwrap();
                }
            });
        }
        for _ in 0..3 {
            s.spawn(|| {
                for _ in 0..50 {
                    let n = history.count(None).unwrap();
                    // Whatever count a reader sees, every position below it is there.
                    if n > 0 {
                        assert!(history.get(n - 1, None).unwrap().is_some());
                    }
                }
            });
        }
    });
    assert_eq!(history.count(None).unwrap(), 45);
    let all = history.all(None).unwrap();
    for t in ImageType::ALL {
        assert_eq!(history.count(Some(t)).unwrap(), 9);
        let of_type: Vec<_> = all.iter().filter(|r| r.info.image_type == t).cloned().collect();
        assert!(same(&history.all(Some(t)).unwrap(), &of_type));
    }
    assert_eq!(files_in(dir.path()).len(), 45);
}

#[test]
fn reconcile_repairs_positions_with_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let records = store_mix(&History::open(dir.path()).unwrap());
    // Positions with a gap and a duplicate, as an older program or a hand edit
    // could leave them.
    let db = rusqlite::Connection::open(dir.path().join("history.sqlite3")).unwrap();
    db.execute("UPDATE images SET seq = seq + 10, type_seq = type_seq + 3 WHERE seq = 3", []).unwrap();
    db.execute("UPDATE images SET seq = 0 WHERE seq = 1", []).unwrap();
    drop(db);

    let history = History::open(dir.path()).unwrap();
    assert_eq!(history.reconcile().unwrap(), Default::default());
    assert_eq!(history.count(None).unwrap(), 7);
    for (i, r) in records.iter().enumerate() {
        assert!(same(&history.get(i as u64, None).unwrap(), &Some(r.clone())));
    }
    assert!(same(&history.get(1, Some(ImageType::Light)).unwrap(), &Some(records[3].clone())));
}

#[test]
fn images_between_two_dates_with_and_without_filter() {
    let dir = tempfile::tempdir().unwrap();
    let history = History::open(dir.path()).unwrap();
    let stored = store_mix(&history);
    // The mix's dates are one second apart from the first; a span from the second
    // record's date up to (not including) the fifth's.
    let at = |n: usize| Some(stored[n].info.date);
    let span = DateRange { from: at(1), to: at(4) };
    let names = |records: Vec<ImageRecord>| records.into_iter().map(|r| r.filename).collect::<Vec<_>>();
    let expect: Vec<String> = stored[1..4].iter().map(|r| r.filename.clone()).collect();
    assert_eq!(names(history.between(&span, None).unwrap()), expect);
    assert_eq!(history.count_between(&span, None).unwrap(), 3);
    let typed = stored[1..4].iter().filter(|r| r.info.image_type == MIX[1]).count() as u64;
    assert_eq!(history.count_between(&span, Some(MIX[1])).unwrap(), typed);
    assert!(history.between(&span, Some(MIX[1])).unwrap().iter().all(|r| r.info.image_type == MIX[1]));
    // Open ends.
    assert_eq!(history.count_between(&DateRange::default(), None).unwrap(), stored.len() as u64);
    assert_eq!(history.count_between(&DateRange { from: None, to: at(1) }, None).unwrap(), 1);
    assert_eq!(history.between(&DateRange { from: at(stored.len() - 1), to: None }, None).unwrap().len(), 1);
}

#[test]
fn integration_and_counts_per_type_and_filter() {
    let dir = tempfile::tempdir().unwrap();
    let history = History::open(dir.path()).unwrap();
    let stored = store_mix(&history);
    let lights: Vec<&ImageRecord> = stored.iter().filter(|r| r.info.image_type == ImageType::Light).collect();
    let rows = history.integration(&DateRange::default()).unwrap();
    // Each light of the mix has its own target (M<n>).
    assert_eq!(rows.len(), lights.len());
    for (row, light) in rows.iter().zip(&lights) {
        assert_eq!(
            (&row.target_name, &row.filter, row.frames),
            (&light.info.target_name, &light.info.filter, 1)
        );
        assert_eq!(row.exposure_s, light.info.exposure_time_s);
    }
    let none = DateRange { from: None, to: Some(stored[0].info.date) };
    assert!(history.integration(&none).unwrap().is_empty());
    let counts = history.counts_by_type_and_filter().unwrap();
    assert_eq!(counts.iter().map(|c| c.2).sum::<u64>(), stored.len() as u64);
    for (t, filter, n) in &counts {
        let expect =
            stored.iter().filter(|r| r.info.image_type == *t && r.info.filter == *filter).count() as u64;
        assert_eq!(*n, expect, "{t:?} {filter}");
    }
}

#[test]
fn a_damaged_database_is_refused_at_open_and_rebuilt_from_the_files() {
    let dir = tempfile::tempdir().unwrap();
    {
        let h = History::open(dir.path()).unwrap();
        for n in 0..40 {
            h.store(&fits(n), new(&format!("k{n}"), ImageType::Light, n)).unwrap();
        }
    }
    // One damaged page, as a disk or a bad copy leaves it.
    let db = History::database_path(dir.path());
    let mut bytes = fs::read(&db).unwrap();
    assert!(bytes.len() >= 3 * 4096, "{}", bytes.len());
    bytes[4096..2 * 4096].fill(0xA5);
    fs::write(&db, bytes).unwrap();

    let err = History::open(dir.path()).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Corrupt { .. }), "{err}");

    let aside = History::set_database_aside(dir.path(), "damaged").unwrap().unwrap();
    assert!(aside.exists());
    let h = History::open(dir.path()).unwrap();
    let report = h.reconcile().unwrap();
    assert_eq!(report.orphans.len(), 40, "every file is there to measure again and adopt");
}
