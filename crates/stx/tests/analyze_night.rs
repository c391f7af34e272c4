//! `stx analyze DIR` on a rendered night: clean frames and frames with known
//! defects, written as stxd writes them, in one group (light, Red, 120 s). Each
//! defect must be flagged for what it is, the clean frames not at all; unreadable
//! files are listed and skipped; `--list-rejects` and `--reject` act on exactly the
//! flagged frames.
//!
//! The frames come from the camera simulator (`stx_camera::render`): 1024×1024 of
//! the STX-16803 at 2000 mm, f/10, the preset's sky and seeing, each clean frame
//! with its own noise. The defects:
//! - defocus: a PSF 2.5 times as wide (the simulator's seeing);
//! - clouds: 3 mag of extinction and a sky 2.5 times as bright;
//! - trailing: the mount drifts 6" during the exposure;
//! - hot column: one column 300 ADU above the rest, over the whole height.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use stx_camera::fits;
use stx_camera::preset::ModelPreset;
use stx_camera::render::{RenderJob, render};
use stx_camera::{Frame, FrameMeta};
use stx_protocol::{Binning, Ccd, FitsSettings, FrameType, ObsDateTime, Subframe};
use tempfile::TempDir;

const SIZE: u32 = 1024;
const EXPOSURE_S: f64 = 120.0;
const CLEAN_FRAMES: u64 = 6;
/// Extinction by the clouds, mag: the field's stars go to mag 17.5, detected
/// with room to spare in 120 s, so it takes thick cloud to lose many.
const CLOUD_EXTINCTION_MAG: f64 = 3.0;

/// What is wrong with a rendered frame.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Defect {
    None,
    Defocus,
    Clouds,
    Trailing,
    HotColumn,
}

impl Defect {
    /// The flags `stx analyze` must give it (and no others).
    fn flags(self) -> &'static [&'static str] {
        match self {
            Defect::None => &[],
            Defect::Defocus => &["HFR"],
            Defect::Clouds => &["SKY", "STARS"],
            // A trail widens the stars too.
            Defect::Trailing => &["HFR", "ELONG"],
            Defect::HotColumn => &["COLUMN"],
        }
    }
}

/// Renders frame `number` with `defect` and writes it as `name` in `dir`.
fn write_frame(dir: &Path, name: &str, number: u64, defect: Defect) -> PathBuf {
    let preset = ModelPreset::resolve("stx-16803").unwrap();
    let mut sky = preset.sky.clone();
    let mut pointing = vec![(0.0, 0.0)];
    match defect {
        Defect::Defocus => sky.seeing_fwhm_arcsec *= 2.5,
        Defect::Clouds => {
            // The extinction dims the sky's light too: brighten it by both.
            sky.photons_mag0_per_s_cm2 *= 10f64.powf(-0.4 * CLOUD_EXTINCTION_MAG);
            sky.sky_mag_per_arcsec2 -= CLOUD_EXTINCTION_MAG + 2.5 * 2.5f64.log10();
        }
        Defect::Trailing => pointing = (0..32).map(|i| (6.0 * f64::from(i) / 31.0, 0.0)).collect(),
        Defect::None | Defect::HotColumn => {}
    }
    let job = RenderJob {
        seed: 42,
        exposure_number: number,
        ccd: Ccd::Imager,
        sensor: preset.imager.clone(),
        sky,
        focal_length_mm: 2000.0,
        aperture_mm: 200.0,
        frame: Subframe { start_x: 1024, start_y: 1024, num_x: SIZE, num_y: SIZE },
        binning: Binning { x: 1, y: 1 },
        duration_s: EXPOSURE_S,
        shutter_open: true,
        filter: None,
        ccd_temp_c: -20.0,
        pointing_arcsec: pointing,
    };
    let mut pixels = render(&job);
    if defect == Defect::HotColumn {
        for row in pixels.chunks_exact_mut(SIZE as usize) {
            row[517] = row[517].saturating_add(300);
        }
    }
    let meta = FrameMeta {
        ccd: Ccd::Imager,
        frame_type: FrameType::Light,
        duration_s: EXPOSURE_S,
        date_obs: ObsDateTime::parse(&format!("2026-11-21T22.{:02}.00.000", (10 + 2 * number) % 60)).unwrap(),
        binning: Binning { x: 1, y: 1 },
        origin: (1024, 1024),
        pixel_size_um: (9.0, 9.0),
        ccd_temp_c: -19.9,
        setpoint_c: Some(-20.0),
        electrons_per_adu: 1.27,
        filter: Some("Red".to_owned()),
        instrument: "SBIG STX-16803".to_owned(),
    };
    let frame = Frame::new(SIZE, SIZE, pixels, meta).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, fits::encode(&frame, &FitsSettings::default())).unwrap();
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
        assert_eq!(flags, defect.flags(), "{name}\n{report}");
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
