//! What a frame's FITS header says about it, read the way the common capture
//! programs write it (stxd, N.I.N.A., SGP, MaxIm DL, Ekos, APT, SharpCap): the
//! keywords and values differ between them, the meanings do not.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use stx_history::ImageType;

/// Keywords holding the exposure time, s, in the order they are tried.
const EXPOSURE_KEYS: [&str; 2] = ["EXPTIME", "EXPOSURE"];
/// Keywords holding the CCD temperature, °C.
const TEMPERATURE_KEYS: [&str; 3] = ["CCD-TEMP", "CCD_TEMP", "TEMPERAT"];
/// Keywords holding the image type.
const TYPE_KEYS: [&str; 2] = ["IMAGETYP", "FRAME"];

/// The header facts of one frame; `None` where the header does not say.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct FrameInfo {
    /// Start of the exposure (DATE-OBS, or DATE-OBS's day and TIME-OBS), UTC.
    pub(crate) date: Option<NaiveDateTime>,
    /// IMAGETYP or FRAME, in the image history's vocabulary.
    pub(crate) image_type: Option<ImageType>,
    /// FILTER.
    pub(crate) filter: Option<String>,
    /// EXPTIME or EXPOSURE, s.
    pub(crate) exposure_s: Option<f64>,
    /// CCD-TEMP, CCD_TEMP or TEMPERAT, °C.
    pub(crate) temperature_c: Option<f64>,
}

impl FrameInfo {
    /// Reads the facts from a header, given its card lookup (string values
    /// unquoted, others as written).
    pub(crate) fn from_header<'a>(value: impl Fn(&str) -> Option<&'a str>) -> FrameInfo {
        let first = |keys: &[&str]| keys.iter().find_map(|k| value(k));
        let number =
            |keys: &[&str]| first(keys).and_then(|v| v.trim().parse::<f64>().ok()).filter(|v| v.is_finite());
        FrameInfo {
            date: value("DATE-OBS").and_then(|d| date_obs(d, value("TIME-OBS"))),
            image_type: first(&TYPE_KEYS).and_then(image_type),
            filter: value("FILTER").map(str::trim).filter(|f| !f.is_empty()).map(str::to_owned),
            exposure_s: number(&EXPOSURE_KEYS),
            temperature_c: number(&TEMPERATURE_KEYS),
        }
    }

    /// Whether the frame shows the sky, so that stars are looked for: lights,
    /// snapshots, and frames whose header does not say.
    pub(crate) fn shows_sky(&self) -> bool {
        matches!(self.image_type, None | Some(ImageType::Light | ImageType::Snapshot))
    }
}

/// An image type as the capture programs spell it: "Light Frame", "LIGHT",
/// "Object", "Dark Frame", "Bias", "Offset", "Flat Field", "FLAT", "Dark Flat"…
fn image_type(text: &str) -> Option<ImageType> {
    let t = text.trim().to_ascii_lowercase();
    let has = |word: &str| t.contains(word);
    Some(if has("dark") {
        // A flat's dark ("Dark Flat", "FlatDark") is a dark.
        ImageType::Dark
    } else if has("bias") || has("offset") || has("zero") {
        ImageType::Bias
    } else if has("flat") {
        ImageType::Flat
    } else if has("light") || has("object") || has("science") {
        ImageType::Light
    } else if has("snapshot") {
        ImageType::Snapshot
    } else {
        return None;
    })
}

/// DATE-OBS as ISO 8601 with or without fractional seconds ("T" or a blank between
/// day and time, a trailing "Z" allowed), or a bare day with the time in TIME-OBS.
fn date_obs(date: &str, time_obs: Option<&str>) -> Option<NaiveDateTime> {
    let date = date.trim().trim_end_matches('Z');
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(d) = NaiveDateTime::parse_from_str(date, format) {
            return Some(d);
        }
    }
    let day = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    let time = time_obs.and_then(|t| NaiveTime::parse_from_str(t.trim(), "%H:%M:%S%.f").ok());
    Some(day.and_time(time.unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads a header given as (keyword, value) cards.
    fn check(cards: &[(&str, &str)], expect: FrameInfo) {
        let value = |key: &str| cards.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
        assert_eq!(FrameInfo::from_header(value), expect, "{cards:?}");
    }

    fn at(text: &str) -> Option<NaiveDateTime> {
        Some(NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").unwrap())
    }

    #[test]
    fn stxd_header() {
        check(
            &[
                ("DATE-OBS", "2026-11-21T22:13:45.123"),
                ("EXPTIME", "300."),
                ("IMAGETYP", "Light Frame"),
                ("CCD-TEMP", "-19.87"),
                ("FILTER", "Red"),
            ],
            FrameInfo {
                date: at("2026-11-21 22:13:45.123"),
                image_type: Some(ImageType::Light),
                filter: Some("Red".to_owned()),
                exposure_s: Some(300.0),
                temperature_c: Some(-19.87),
            },
        );
    }

    #[test]
    fn other_programs_keywords() {
        check(
            &[
                ("DATE-OBS", "2026-11-21 22:13:45Z"),
                ("EXPOSURE", "60"),
                ("FRAME", "Dark"),
                ("CCD_TEMP", "-10.0"),
                ("FILTER", "  "),
            ],
            FrameInfo {
                date: at("2026-11-21 22:13:45"),
                image_type: Some(ImageType::Dark),
                exposure_s: Some(60.0),
                temperature_c: Some(-10.0),
                ..FrameInfo::default()
            },
        );
        check(
            &[("DATE-OBS", "2026-11-21"), ("TIME-OBS", "01:02:03.5"), ("TEMPERAT", "nan")],
            FrameInfo { date: at("2026-11-21 01:02:03.5"), ..FrameInfo::default() },
        );
        check(&[("DATE-OBS", "21/11/26"), ("EXPTIME", "long")], FrameInfo::default());
    }

    #[test]
    fn image_types_as_programs_spell_them() {
        for (text, expect) in [
            ("Light Frame", Some(ImageType::Light)),
            ("LIGHT", Some(ImageType::Light)),
            ("Object", Some(ImageType::Light)),
            ("Dark Frame", Some(ImageType::Dark)),
            ("Dark Flat", Some(ImageType::Dark)),
            ("FLATDARK", Some(ImageType::Dark)),
            ("Bias Frame", Some(ImageType::Bias)),
            ("Offset", Some(ImageType::Bias)),
            ("Flat Field", Some(ImageType::Flat)),
            ("flat", Some(ImageType::Flat)),
            ("SNAPSHOT", Some(ImageType::Snapshot)),
            ("Tricolour", None),
        ] {
            assert_eq!(image_type(text), expect, "{text}");
        }
    }
}
