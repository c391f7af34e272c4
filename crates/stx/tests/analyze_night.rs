//! `stx analyze DIR` on a rendered night: clean frames and frames with known
//! defects, written as stxd writes them, in one group (light, Red, 120 s). Each
//! defect must be flagged for what it is, the clean frames not at all; unreadable
//! files are listed and skipped; `--list-rejects` and `--reject` act on exactly the
//! flagged frames.
//!
//! The frames come from the camera simulator (`tests/common/night.rs`, which says
//! how each defect is made): 1024×1024 of the STX-16803 at 2000 mm, f/10, the
//! preset's sky and seeing, each clean frame with its own noise.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use common::night::{Defect, render_frame};
use predicates::prelude::*;
use serde_json::Value;
use stx_protocol::Subframe;
use tempfile::TempDir;

const EXPOSURE_S: f64 = 120.0;
const CLEAN_FRAMES: u64 = 6;
/// The middle 1024×1024 of the sensor.
const WINDOW: Subframe = Subframe { start_x: 1536, start_y: 1536, num_x: 1024, num_y: 1024 };

/// The flags `stx analyze` must give a defect (and no others).
fn flags(defect: Defect) -> &'static [&'static str] {
    match defect {
        Defect::None => &[],
        Defect::Defocus => &["HFR"],
        Defect::Clouds => &["SKY", "STARS"],
        // A trail widens the stars too.
        Defect::Trailing => &["HFR", "ELONG"],
        Defect::HotColumn => &["COLUMN"],
    }
}

/// Renders frame `number` with `defect` and writes it as `name` in `dir`.
fn write_frame(dir: &Path, name: &str, number: u64, defect: Defect) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, render_frame(WINDOW, EXPOSURE_S, number, defect)).unwrap();
    path
}

/// A night: the clean frames and one frame per defect, under `dir/night`.
fn night(dir: &Path) -> BTreeMap<String, Defect> {
    let night = dir.join("night");
    std::fs::create_dir_all(&night).unwrap();
    let mut frames: Vec<(String, Defect)> =
        (0..CLEAN_FRAMES).map(|i| (format!("clean_{i}.fits"), Defect::None)).collect();
    frames.extend([
        ("defocus.fits".to_owned(), Defect::Defocus),
        ("clouds.fits".to_owned(), Defect::Clouds),
        ("trailing.fits".to_owned(), Defect::Trailing),
        ("hot_column.fits".to_owned(), Defect::HotColumn),
    ]);
    for (number, (name, defect)) in frames.iter().enumerate() {
        write_frame(&night, name, number as u64 + 1, *defect);
    }
    frames.into_iter().collect()
}

fn stx(args: &[&str], dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("stx").unwrap();
    cmd.current_dir(dir).arg("analyze").args(args);
    cmd
}

/// The frames of a `--json` run by file name.
fn by_name(stdout: &[u8]) -> BTreeMap<String, Value> {
    String::from_utf8(stdout.to_vec())
        .unwrap()
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).unwrap();
            let name =
                Path::new(v["Filename"].as_str().unwrap()).file_name().unwrap().to_string_lossy().into();
            (name, v)
        })
        .collect()
}

#[test]
fn each_defect_is_flagged_and_the_clean_frames_are_not() {
    let tmp = TempDir::new().unwrap();
    let frames = night(tmp.path());
    // Files it cannot read, beside them: each listed with its reason, the rest measured.
    let night = tmp.path().join("night");
    std::fs::write(night.join("notes.fits"), b"observing log, not a FITS file").unwrap();
    std::fs::write(night.join("zipped.fits.gz"), [0x1f, 0x8b, 8, 0, 0, 0]).unwrap();
    let whole = std::fs::read(night.join("clean_0.fits")).unwrap();
    std::fs::write(night.join("cut.fits"), &whole[..whole.len() / 2]).unwrap();

    let out = stx(&["night", "--json"], tmp.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("notes.fits is not a usable FITS image: not a FITS file"))
        .stderr(predicate::str::contains("zipped.fits.gz is not a usable FITS image: compressed (gzip"))
        .stderr(predicate::str::contains("cut.fits is not a usable FITS image: truncated"))
        .stderr(predicate::str::contains("3 of 13 files could not be read"));
    let measured = by_name(&out.get_output().stdout);
    let mut report = String::new();
    for (name, v) in &measured {
        report += &format!(
            "{name}: HFR {} stars {} median {} elongation {} column {} flags {}\n",
            v["HFR"], v["Stars"], v["Median"], v["Elongation"], v["ColumnExcess"], v["Flags"]
        );
    }
    println!("{report}");
    assert_eq!(measured.len(), frames.len(), "{report}");
    for (name, defect) in &frames {
        let v = &measured[name];
        assert_eq!(v["ImageType"], "LIGHT");
        assert_eq!(v["Filter"], "Red");
        assert_eq!(v["ExposureTime"], EXPOSURE_S);
        let flags: Vec<&str> = v["Flags"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
        assert_eq!(flags, self::flags(*defect), "{name}\n{report}");
    }
}

#[test]
fn table_rejects_and_the_rule() {
    let tmp = TempDir::new().unwrap();
    let frames = night(tmp.path());
    let bad: Vec<&String> = frames.iter().filter(|(_, d)| **d != Defect::None).map(|(n, _)| n).collect();

    // The table, sorted by HFR: the defocused frame last; the rule and the group's limits under it.
    let out = stx(&["night", "--sort", "hfr"], tmp.path()).assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let rows: Vec<&str> = text.lines().skip(1).take(frames.len()).collect();
    assert!(rows.last().unwrap().contains("defocus.fits") && rows.last().unwrap().contains("HFR"), "{text}");
    assert!(text.contains("Flags: within each group of at least 3 frames"), "{text}");
    assert!(text.contains("LIGHT, Red, 120 s (10 frames): HFR > "), "{text}");
    assert!(text.contains("10 frames measured, 4 flagged, 0 unreadable"), "{text}");

    // --list-rejects: exactly the flagged paths.
    let out = stx(&["night", "--list-rejects", "--sort", "name"], tmp.path()).assert().success();
    let listed: Vec<String> = String::from_utf8(out.get_output().stdout.clone())
        .unwrap()
        .lines()
        .map(|l| Path::new(l).file_name().unwrap().to_string_lossy().into())
        .collect();
    let mut expected: Vec<String> = bad.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(listed, expected);

    // --reject inside the night's directory: moved there, and not measured again.
    stx(&["night", "--reject", "night/rejects"], tmp.path()).assert().success();
    let mut moved: Vec<String> = std::fs::read_dir(tmp.path().join("night/rejects"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into())
        .collect();
    moved.sort();
    assert_eq!(moved, expected);
    for name in frames.keys() {
        assert_eq!(tmp.path().join("night").join(name).exists(), !bad.contains(&name), "{name}");
    }
    let out = stx(&["night", "--json", "--reject", "night/rejects"], tmp.path()).assert().success();
    assert_eq!(by_name(&out.get_output().stdout).len(), CLEAN_FRAMES as usize);

    // A flagged frame whose name is taken in the reject directory stays put.
    let again = write_frame(&tmp.path().join("night"), "defocus.fits", 99, Defect::Defocus);
    stx(&["night", "--reject", "night/rejects"], tmp.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("exists; not overwriting it"));
    assert!(again.exists());
}
