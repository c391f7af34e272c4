//! An image record as the image-history API writes it: the spec's fields, then the four
//! the widespread implementation adds, in that order; every double a [`Num`].

use chrono::SecondsFormat;
use serde::Serialize;
use stx_history::ImageRecord;

use super::json_number::Num;

/// One record on the wire. Field order is the API's; serde keeps declaration order.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RecordJson<'a> {
    exposure_time: Num,
    image_type: &'a str,
    filter: &'a str,
    rms_text: &'a str,
    temperature: Num,
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
            temperature: nan_for_none(i.temperature_c),
            camera_name: &i.camera_name,
            gain: i.gain.unwrap_or(NONE),
            offset: i.offset.unwrap_or(NONE),
            date: i.date.to_rfc3339_opts(SecondsFormat::Millis, false),
            telescope_name: &i.telescope_name,
            focal_length: Num(i.focal_length_mm),
            st_dev: Num(i.stdev),
            mean: Num(i.mean),
            median: Num(i.median),
            stars: i.stars.map_or(NONE.into(), |n| i64::try_from(n).unwrap_or(i64::MAX)),
            hfr: nan_for_none(i.hfr),
            is_bayered: i.is_bayered,
            target_name: &i.target_name,
            min: i.min,
            max: i.max,
            hfr_st_dev: nan_for_none(i.hfr_stdev),
            filename: &r.filename,
        }
    }
}

/// What the plugin writes for an integer it does not have (`Gain`, `Offset`, `Stars`).
const NONE: i32 = -1;

/// What the plugin writes for a double it does not have: `NaN`.
fn nan_for_none(value: Option<f64>) -> Num {
    Num(value.unwrap_or(f64::NAN))
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;
    use stx_history::{ImageInfo, ImageType};

    use super::*;

    /// A LIGHT record whose every double is whole, as the simulated camera's often are.
    fn light() -> ImageRecord {
        ImageRecord {
            info: ImageInfo {
                exposure_time_s: 300.0,
                image_type: ImageType::Light,
                filter: "Ha".to_owned(),
                rms_text: String::new(),
                temperature_c: Some(-20.0),
                camera_name: "SBIG STX-16803".to_owned(),
                gain: None,
                offset: None,
                date: DateTime::parse_from_rfc3339("2026-11-21T22:13:45.123+01:00").unwrap(),
                telescope_name: "RC10".to_owned(),
                focal_length_mm: 2000.0,
                stdev: 12.5,
                mean: 1085.25,
                median: 33710.0,
                stars: Some(41),
                hfr: Some(2.1),
                is_bayered: false,
                target_name: "M27".to_owned(),
                min: 980,
                max: 65535,
                hfr_stdev: Some(0.1),
            },
            filename: "000001_LIGHT_20261121T221345.fits".to_owned(),
        }
    }

    fn check(record: &ImageRecord, expect: &str) {
        assert_eq!(serde_json::to_string(&RecordJson::from(record)).unwrap(), expect);
    }

    #[test]
    fn a_record_is_written_as_the_plugin_writes_it() {
        check(
            &light(),
            concat!(
                r#"{"ExposureTime":300,"ImageType":"LIGHT","Filter":"Ha","RmsText":"","Temperature":-20,"#,
                r#""CameraName":"SBIG STX-16803","Gain":-1,"Offset":-1,"Date":"2026-11-21T22:13:45.123+01:00","#,
                r#""TelescopeName":"RC10","FocalLength":2000,"StDev":12.5,"Mean":1085.25,"Median":33710,"#,
                r#""Stars":41,"HFR":2.1,"IsBayered":false,"TargetName":"M27","Min":980,"Max":65535,"#,
                r#""HFRStDev":0.1,"Filename":"000001_LIGHT_20261121T221345.fits"}"#
            ),
        );
    }

    #[test]
    fn fractions_negative_temperatures_and_measurements_not_made() {
        let mut dark = light();
        let i = &mut dark.info;
        (i.image_type, i.exposure_time_s, i.temperature_c, i.focal_length_mm) =
            (ImageType::Dark, 2.5, Some(-19.87), 749.5);
        (i.stars, i.hfr, i.hfr_stdev, i.median) = (None, None, None, 1000.5);
        check(
            &dark,
            concat!(
                r#"{"ExposureTime":2.5,"ImageType":"DARK","Filter":"Ha","RmsText":"","Temperature":-19.87,"#,
                r#""CameraName":"SBIG STX-16803","Gain":-1,"Offset":-1,"Date":"2026-11-21T22:13:45.123+01:00","#,
                r#""TelescopeName":"RC10","FocalLength":749.5,"StDev":12.5,"Mean":1085.25,"Median":1000.5,"#,
                r#""Stars":-1,"HFR":"NaN","IsBayered":false,"TargetName":"M27","Min":980,"Max":65535,"#,
                r#""HFRStDev":"NaN","Filename":"000001_LIGHT_20261121T221345.fits"}"#
            ),
        );
        let mut unknown = light();
        unknown.info.temperature_c = None;
        let text = serde_json::to_string(&RecordJson::from(&unknown)).unwrap();
        assert!(text.contains(r#""Temperature":"NaN","#), "{text}");
    }
}
