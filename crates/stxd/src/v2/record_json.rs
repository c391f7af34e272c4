//! An image record as the image-history API writes it: the spec's fields, then the four
//! the widespread implementation adds, in that order; NaN and infinities as strings.

use chrono::SecondsFormat;
use serde::{Serialize, Serializer};
use stx_history::ImageRecord;

/// A number that may be NaN or infinite, written as `"NaN"`, `"Infinity"`, `"-Infinity"`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Num(pub(crate) f64);

impl Serialize for Num {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            v if v.is_nan() => s.serialize_str("NaN"),
            v if v == f64::INFINITY => s.serialize_str("Infinity"),
            v if v == f64::NEG_INFINITY => s.serialize_str("-Infinity"),
            v => s.serialize_f64(v),
        }
    }
}

/// One record on the wire. Field order is the API's; serde keeps declaration order.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RecordJson<'a> {
    exposure_time: Num,
    image_type: &'a str,
    filter: &'a str,
    rms_text: &'a str,
    temperature: String,
    camera_name: &'a str,
    gain: i32,
    offset: i32,
    date: String,
    telescope_name: &'a str,
    focal_length: Num,
    st_dev: Num,
    mean: Num,
    median: Num,
    stars: i64,
    #[serde(rename = "HFR")]
    hfr: Num,
    is_bayered: bool,
    target_name: &'a str,
    min: u16,
    max: u16,
    #[serde(rename = "HFRStDev")]
    hfr_st_dev: Num,
    filename: &'a str,
}

impl<'a> From<&'a ImageRecord> for RecordJson<'a> {
    fn from(r: &'a ImageRecord) -> Self {
        let i = &r.info;
        RecordJson {
            exposure_time: Num(i.exposure_time_s),
            image_type: i.image_type.wire_name(),
            filter: &i.filter,
            rms_text: &i.rms_text,
            temperature: stx_protocol::reply::real(i.temperature_c),
            camera_name: &i.camera_name,
            gain: i.gain,
            offset: i.offset,
            date: i.date.to_rfc3339_opts(SecondsFormat::Millis, false),
            telescope_name: &i.telescope_name,
            focal_length: Num(i.focal_length_mm),
            st_dev: Num(i.stdev),
            mean: Num(i.mean),
            median: Num(i.median),
            stars: i.stars,
            hfr: Num(i.hfr),
            is_bayered: i.is_bayered,
            target_name: &i.target_name,
            min: i.min,
            max: i.max,
            hfr_st_dev: Num(i.hfr_stdev),
            filename: &r.filename,
        }
    }
}
