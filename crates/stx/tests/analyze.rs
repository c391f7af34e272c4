//! `stx analyze` end to end, on FITS files written by the tests.

use assert_cmd::Command;
use predicates::prelude::*;
use tempfile::TempDir;

/// Writes a FITS file: the given cards (each "KEY = value"), END, padding, data.
fn write_fits(dir: &TempDir, name: &str, cards: &[String], data: &[u8]) -> std::path::PathBuf {
    let mut bytes = Vec::new();
    for c in cards.iter().map(String::as_str).chain(["END"]) {
        bytes.extend_from_slice(format!("{c:<80}").as_bytes());
    }
    bytes.resize(bytes.len().div_ceil(2880) * 2880, b' ');
    bytes.extend_from_slice(data);
    bytes.resize(bytes.len().div_ceil(2880) * 2880, 0);
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn card(key: &str, value: impl std::fmt::Display) -> String {
    format!("{key:<8}= {value:>20}")
}

fn image_cards(bitpix: i64, width: usize, height: usize, extra: &[String]) -> Vec<String> {
    let mut cards = vec![
        card("SIMPLE", "T"),
        card("BITPIX", bitpix),
        card("NAXIS", 2),
        card("NAXIS1", width),
        card("NAXIS2", height),
    ];
    cards.extend_from_slice(extra);
    cards
}

/// A 64×48 frame: 1000 everywhere but one star-free ramp row, as u16 values.
fn values(width: usize, height: usize) -> Vec<u16> {
    (0..width * height).map(|i| if i < width { 1000 + i as u16 } else { 1000 }).collect()
}

/// Expected statistics of `values`, computed naively.
fn expected(v: &[u16]) -> (f64, f64, f64, f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
    let sd = (v.iter().map(|&x| (f64::from(x) - mean).powi(2)).sum::<f64>() / n).sqrt();
    let mut s = v.to_vec();
    s.sort_unstable();
    let median = (f64::from(s[(s.len() - 1) / 2]) + f64::from(s[s.len() / 2])) / 2.0;
    (mean, median, sd, f64::from(s[0]), f64::from(*s.last().unwrap()))
}

/// Runs `stx analyze --json` on a file and checks the figures against `v`.
fn check_json(path: &std::path::Path, v: &[u16]) {
    let out = Command::cargo_bin("stx").unwrap().arg("analyze").arg(path).arg("--json").assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let (mean, median, sd, min, max) = expected(v);
    let get = |key: &str| -> f64 {
        let start = text.find(&format!("\"{key}\":")).unwrap_or_else(|| panic!("{key} missing in {text}"));
        let rest = &text[start + key.len() + 3..];
        rest[..rest.find([',', '}']).unwrap()].parse().unwrap()
    };
    assert!((get("Mean") - mean).abs() < 1e-6, "{text}");
    assert!((get("Median") - median).abs() < 1e-9, "{text}");
    assert!((get("StDev") - sd).abs() < 1e-6, "{text}");
    assert_eq!((get("Min"), get("Max")), (min, max), "{text}");
    assert_eq!((get("Stars"), get("HFR"), get("HFRStDev")), (0.0, 0.0, 0.0), "{text}");
    let object: serde_json::Value = serde_json::from_str(&text).unwrap();
    let keys: Vec<&str> = object.as_object().unwrap().keys().map(String::as_str).collect();
    let mut expected_keys = [
        "Filename",
        "Date",
        "ImageType",
        "Filter",
        "ExposureTime",
        "Temperature",
        "Mean",
        "Median",
        "StDev",
        "Min",
        "Max",
        "Stars",
        "HFR",
        "HFRStDev",
        "Elongation",
        "SaturatedStars",
        "ColumnExcess",
        "Flags",
    ];
    expected_keys.sort_unstable();
    assert_eq!(keys, expected_keys, "{text}");
    assert_eq!(object["Filename"], path.display().to_string());
    assert_eq!(object["Flags"], serde_json::json!([]));
}

#[test]
fn sixteen_bit_unsigned_with_bzero() {
    let dir = TempDir::new().unwrap();
    let v = values(64, 48);
    let data: Vec<u8> = v.iter().flat_map(|&x| ((i32::from(x) - 32768) as i16).to_be_bytes()).collect();
    let path = write_fits(&dir, "u16.fits", &image_cards(16, 64, 48, &[card("BZERO", 32768)]), &data);
    check_json(&path, &v);
}

#[test]
fn eight_bit() {
    let dir = TempDir::new().unwrap();
    let v: Vec<u16> = (0..40 * 30).map(|i| (i % 251) as u16).collect();
    let data: Vec<u8> = v.iter().map(|&x| x as u8).collect();
    let path = write_fits(&dir, "u8.fits", &image_cards(8, 40, 30, &[]), &data);
    check_json(&path, &v);
}

#[test]
fn thirty_two_bit_integer() {
    let dir = TempDir::new().unwrap();
    let v = values(50, 20);
    let data: Vec<u8> = v.iter().flat_map(|&x| i32::from(x).to_be_bytes()).collect();
    let path = write_fits(&dir, "i32.fits", &image_cards(32, 50, 20, &[]), &data);
    check_json(&path, &v);
}

#[test]
fn float_32_and_64() {
    let dir = TempDir::new().unwrap();
    let v = values(33, 17);
    let f32_data: Vec<u8> = v.iter().flat_map(|&x| f32::from(x).to_be_bytes()).collect();
    let f64_data: Vec<u8> = v.iter().flat_map(|&x| f64::from(x).to_be_bytes()).collect();
    check_json(&write_fits(&dir, "f32.fits", &image_cards(-32, 33, 17, &[]), &f32_data), &v);
    check_json(&write_fits(&dir, "f64.fits", &image_cards(-64, 33, 17, &[]), &f64_data), &v);
}

#[test]
fn bscale_is_applied() {
    let dir = TempDir::new().unwrap();
    let v = values(20, 20);
    // Physical = 0 + 2·raw.
    let data: Vec<u8> = v.iter().flat_map(|&x| ((x / 2) as i16).to_be_bytes()).collect();
    let halved: Vec<u16> = v.iter().map(|&x| x / 2 * 2).collect();
    let path = write_fits(&dir, "scaled.fits", &image_cards(16, 20, 20, &[card("BSCALE", 2.0)]), &data);
    check_json(&path, &halved);
}

#[test]
fn table_output_names_every_figure() {
    let dir = TempDir::new().unwrap();
    let v = values(16, 16);
    let data: Vec<u8> = v.iter().flat_map(|&x| (x as i16).to_be_bytes()).collect();
    let path = write_fits(&dir, "t.fits", &image_cards(16, 16, 16, &[]), &data);
    Command::cargo_bin("stx").unwrap().arg("analyze").arg(&path).assert().success().stdout(
        predicate::str::is_match(
            "(?s)^Filename +.*t.fits\n.*\nMean .*\nMedian +1000\nStDev .*\nMin +1000\nMax +1015\nStars +0\nHFR +0\nHFRStDev +0\n.*Flags *\n$",
        )
        .unwrap(),
    );
}

#[test]
fn csv_has_the_json_fields_and_quotes_what_needs_it() {
    let dir = TempDir::new().unwrap();
    let v = values(16, 16);
    let data: Vec<u8> = v.iter().flat_map(|&x| (x as i16).to_be_bytes()).collect();
    let cards = image_cards(16, 16, 16, &[card("FILTER", "'Lum, clear'"), card("EXPTIME", 30.0)]);
    let path = write_fits(&dir, "a,b.fits", &cards, &data);
    let out = Command::cargo_bin("stx").unwrap().arg("analyze").arg(&path).arg("--csv").assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "Filename,Date,ImageType,Filter,ExposureTime,Temperature,Mean,Median,StDev,Min,Max,Stars,HFR,\
         HFRStDev,Elongation,SaturatedStars,ColumnExcess,Flags"
    );
    let (mean, median, sd, min, max) = expected(&v);
    assert_eq!(
        lines[1],
        format!("\"{}\",,,\"Lum, clear\",30,,{mean},{median},{sd},{min},{max},0,0,0,,0,0,", path.display())
    );
    assert_eq!(lines[2..], [""]);
}

/// Runs `stx analyze` on `path`, plain and with `--json`: each must fail with exit
/// code 1, print nothing on stdout and name the problem on stderr.
fn check_error(path: impl AsRef<std::ffi::OsStr>, message: &str) {
    for json in [false, true] {
        let mut cmd = Command::cargo_bin("stx").unwrap();
        cmd.arg("analyze").arg(&path);
        if json {
            cmd.arg("--json");
        }
        cmd.assert().code(1).stdout("").stderr(predicate::str::contains(message));
    }
}

#[test]
fn not_a_fits_file_is_an_error() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("bad.fits");
    std::fs::write(&path, b"this is not a FITS file at all").unwrap();
    check_error(&path, "bad.fits is not a usable FITS image: not a FITS file");
}

#[test]
fn truncated_data_is_an_error() {
    let dir = TempDir::new().unwrap();
    let path = write_fits(&dir, "short.fits", &image_cards(16, 4000, 4000, &[]), &[0; 100]);
    check_error(&path, "truncated");
}

#[test]
fn unsupported_bitpix_is_an_error() {
    let dir = TempDir::new().unwrap();
    let path = write_fits(&dir, "i64.fits", &image_cards(64, 4, 4, &[]), &[0; 128]);
    check_error(&path, "unsupported BITPIX 64");
}

#[test]
fn data_cube_is_unsupported() {
    let dir = TempDir::new().unwrap();
    let mut cards = image_cards(16, 4, 4, &[]);
    cards[2] = card("NAXIS", 3);
    cards.push(card("NAXIS3", 3));
    let path = write_fits(&dir, "cube.fits", &cards, &[0; 96]);
    check_error(&path, "only 2-D images are supported");
}

#[test]
fn nan_pixels_are_an_error() {
    let dir = TempDir::new().unwrap();
    let data: Vec<u8> = [1.0f32, f32::NAN, 3.0, 4.0].iter().flat_map(|x| x.to_be_bytes()).collect();
    let path = write_fits(&dir, "nan.fits", &image_cards(-32, 2, 2, &[]), &data);
    check_error(&path, "pixel 1 is not a finite number");
}

#[test]
fn a_directory_without_fits_files_is_an_error() {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("notes.txt"), b"clouds after 2 am").unwrap();
    Command::cargo_bin("stx")
        .unwrap()
        .arg("analyze")
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains("no files to measure"));
}

#[test]
fn missing_file_is_an_error() {
    check_error("/nonexistent/frame.fits", "cannot read /nonexistent/frame.fits");
}

#[test]
fn a_directory_of_mixed_layouts_measures_each_file_as_alone() {
    // Camera frames (measured in the file's bytes) and other layouts (decoded)
    // in turn, of different sizes: the reader's buffers pass from one kind and
    // size of file to the next without one frame's bytes showing in another's.
    let dir = TempDir::new().unwrap();
    let mut expect = std::collections::BTreeMap::new();
    for i in 0..12usize {
        let (width, height) = (40 + 7 * i, 30 + 5 * (i % 4));
        let v: Vec<u16> = values(width, height).iter().map(|&x| x + 100 * i as u16).collect();
        let (bitpix, extra, data): (i64, Vec<String>, Vec<u8>) = match i % 3 {
            0 => (
                16,
                vec![card("BZERO", 32768)],
                v.iter().flat_map(|&x| ((i32::from(x) - 32768) as i16).to_be_bytes()).collect(),
            ),
            1 => (-32, vec![], v.iter().flat_map(|&x| f32::from(x).to_be_bytes()).collect()),
            _ => (32, vec![], v.iter().flat_map(|&x| i32::from(x).to_be_bytes()).collect()),
        };
        let path = write_fits(
            &dir,
            &format!("frame{i:02}.fits"),
            &image_cards(bitpix, width, height, &extra),
            &data,
        );
        expect.insert(path.display().to_string(), expected(&v));
    }
    let out =
        Command::cargo_bin("stx").unwrap().arg("analyze").arg(dir.path()).arg("--json").assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let rows: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), expect.len(), "{text}");
    for row in rows {
        let (mean, median, sd, min, max) = expect[row["Filename"].as_str().unwrap()];
        let get = |key: &str| row[key].as_f64().unwrap();
        assert!((get("Mean") - mean).abs() < 1e-6, "{row}");
        assert!((get("StDev") - sd).abs() < 1e-6, "{row}");
        assert_eq!((get("Median"), get("Min"), get("Max")), (median, min, max), "{row}");
    }
}
