//! Fills a history with many images through the real write path and measures the
//! queries the image-history API makes.
//!
//! Run with `cargo run --release -p stx-history --example history_load [N] [DIR]`
//! (N defaults to 100 000; DIR to a fresh temp directory, deleted afterwards).
//!
//! Every image goes through `History::store`: temp file, fsync, link, fsync of the
//! directory, committed record with `synchronous = FULL`. The payloads are minimal
//! 2880-byte FITS files, not real frames, so the fill rate measures the
//! per-image overhead (fsyncs, SQLite) and not the writing of megabytes.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::DateTime;
use stx_history::{History, ImageInfo, ImageType, NewRecord};

/// Of every 20 images: 12 LIGHT, 4 FLAT, 2 DARK, 1 BIAS, 1 SNAPSHOT, interleaved as
/// a night's sequence would be.
const PATTERN: [ImageType; 20] = {
    use ImageType::{Bias as B, Dark as D, Flat as F, Light as L, Snapshot as S};
    [F, F, L, L, L, L, D, L, L, L, S, L, L, F, L, L, D, L, B, F]
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(100_000);
    let temp = tempfile::tempdir()?;
    let dir: PathBuf = args.next().map_or_else(|| temp.path().to_path_buf(), PathBuf::from);
    println!("history_load: {n} images into {}", dir.display());
    println!("  each stored through History::store (fsync file + dir, FULL-sync commit),");
    println!("  payload a minimal 2880-byte FITS file per image\n");

    let history = History::open(&dir)?;
    history.reconcile()?;
    let payload = minimal_fits();
    let start = Instant::now();
    let mut store_times = Vec::with_capacity(n as usize);
    let first = history.count(None)?;
    for i in first..n {
        let t = Instant::now();
        history.store(&payload, record(i))?;
        store_times.push(t.elapsed());
        if (i + 1) % 10_000 == 0 {
            println!("  {} stored, {:.0} s", i + 1, start.elapsed().as_secs_f64());
        }
    }
    if !store_times.is_empty() {
        println!("filled in {:.1} s", start.elapsed().as_secs_f64());
        report("store (one image)", &mut store_times);
    }
    drop(history);

    let t = Instant::now();
    let history = History::open(&dir)?;
    let opened = t.elapsed();
    let t = Instant::now();
    let reconciliation = history.reconcile()?;
    let reconciled = t.elapsed();
    println!(
        "reopen: open {:.1} ms, reconcile {:.1} ms ({} orphans, {} records dropped, {} temp files)\n",
        ms(opened),
        ms(reconciled),
        reconciliation.orphans.len(),
        reconciliation.removed_records.len(),
        reconciliation.removed_temp_files.len()
    );

    let total = history.count(None)?;
    let flats = history.count(Some(ImageType::Flat))?;
    println!("{total} images, {flats} FLAT; latencies over repeated calls:");
    measure("count()", 2000, || history.count(None).map(drop))?;
    measure("count(FLAT)", 2000, || history.count(Some(ImageType::Flat)).map(drop))?;
    measure("newest()", 2000, || history.newest(None).map(drop))?;
    measure("newest(FLAT)", 2000, || history.newest(Some(ImageType::Flat)).map(drop))?;
    let mid = total / 2;
    measure(&format!("get({mid})"), 2000, || history.get(mid, None).map(|r| assert!(r.is_some())))?;
    let mid_flat = flats / 2;
    measure(&format!("get({mid_flat}, FLAT)"), 2000, || {
        history.get(mid_flat, Some(ImageType::Flat)).map(|r| assert!(r.is_some()))
    })?;
    measure("all(FLAT)", 50, || {
        history.all(Some(ImageType::Flat)).map(|v| assert_eq!(v.len() as u64, flats))
    })?;
    measure("all()", 20, || history.all(None).map(|v| assert_eq!(v.len() as u64, total)))?;
    Ok(())
}

fn record(i: u64) -> NewRecord {
    let image_type = PATTERN[(i % 20) as usize];
    let runs_stars = matches!(image_type, ImageType::Light | ImageType::Snapshot);
    let start = DateTime::parse_from_rfc3339("2026-11-21T18:00:00.000+01:00").expect("a valid date");
    NewRecord {
        frame_key: format!("load/{i}"),
        info: ImageInfo {
            exposure_time_s: 60.0,
            image_type,
            filter: "L".to_owned(),
            rms_text: "Tot: 0.52 (0.86\")".to_owned(),
            temperature_c: Some(-20.0),
            camera_name: "SBIG STX-16803".to_owned(),
            gain: None,
            offset: None,
            date: start + chrono::Duration::seconds(i as i64 * 65),
            telescope_name: "RC 12".to_owned(),
            focal_length_mm: 2432.0,
            stdev: 35.2,
            mean: 1012.4,
            median: 1009.0,
            stars: runs_stars.then_some(150),
            hfr: runs_stars.then_some(2.4),
            is_bayered: false,
            target_name: "M 33".to_owned(),
            min: 980,
            max: 65535,
            hfr_stdev: runs_stars.then_some(0.3),
        },
    }
}

fn minimal_fits() -> Vec<u8> {
    let cards = [
        "SIMPLE  =                    T",
        "BITPIX  =                   16",
        "NAXIS   =                    0",
        "END",
    ];
    let mut bytes: Vec<u8> = cards.iter().flat_map(|c| format!("{c:<80}").into_bytes()).collect();
    bytes.resize(2880, b' ');
    bytes
}

fn measure(
    name: &str,
    runs: usize,
    mut f: impl FnMut() -> Result<(), stx_history::Error>,
) -> Result<(), stx_history::Error> {
    // One call first so statement preparation and a cold page cache are not counted.
    f()?;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f()?;
        times.push(t.elapsed());
    }
    report(name, &mut times);
    Ok(())
}

fn report(name: &str, times: &mut [Duration]) {
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!(
        "  {name:<20} p50 {:>9.3} ms   p99 {:>9.3} ms   max {:>9.3} ms   ({} runs)",
        ms(at(0.5)),
        ms(at(0.99)),
        ms(at(1.0)),
        times.len()
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
