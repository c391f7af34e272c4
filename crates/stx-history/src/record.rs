//! What the history keeps of one image.

use std::fmt;

use chrono::{DateTime, FixedOffset};
use stx_protocol::FrameType;

/// What an image was taken for, as the image-history API names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ImageType {
    /// A frame of the sky: shutter open.
    Light,
    /// A frame of an evenly lit field.
    Flat,
    /// A frame with the shutter closed.
    Dark,
    /// A zero-length frame with the shutter closed.
    Bias,
    /// A frame taken through the server's own capture endpoint.
    Snapshot,
}

impl ImageType {
    /// Every type, in the order the API documents them.
    pub const ALL: [ImageType; 5] =
        [ImageType::Light, ImageType::Flat, ImageType::Dark, ImageType::Bias, ImageType::Snapshot];

    /// The API's name: `LIGHT`, `FLAT`, `DARK`, `BIAS` or `SNAPSHOT`.
    pub fn wire_name(self) -> &'static str {
        match self {
            ImageType::Light => "LIGHT",
            ImageType::Flat => "FLAT",
            ImageType::Dark => "DARK",
            ImageType::Bias => "BIAS",
            ImageType::Snapshot => "SNAPSHOT",
        }
    }

    /// The type whose API name is `s`, in any case (`light`, `Light`, `LIGHT`).
    pub fn parse(s: &str) -> Option<ImageType> {
        ImageType::ALL.into_iter().find(|t| t.wire_name().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for ImageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.wire_name())
    }
}

/// The mapping of the decisions page: FrameType 0 → DARK, 1 → LIGHT, 2 → BIAS,
/// 3 → FLAT. SNAPSHOT has no frame type; the capture endpoint names it itself.
impl From<FrameType> for ImageType {
    fn from(t: FrameType) -> Self {
        match t {
            FrameType::Dark => ImageType::Dark,
            FrameType::Light => ImageType::Light,
            FrameType::Bias => ImageType::Bias,
            FrameType::Flat => ImageType::Flat,
        }
    }
}

/// Everything the caller knows of one image: the fields of an image-history record,
/// in the API's order, less the file name, which the history chooses.
///
/// Every `f64` may be NaN (a measurement not made, such as `hfr` of a dark) or
/// infinite; the history gives back exactly what it was given, except that -0.0
/// comes back as 0.0 (SQLite keeps no sign of zero).
#[derive(Clone, Debug, PartialEq)]
pub struct ImageInfo {
    /// `ExposureTime`: exposure length, seconds.
    pub exposure_time_s: f64,
    /// `ImageType`.
    pub image_type: ImageType,
    /// `Filter`: the filter in the beam, `""` for none.
    pub filter: String,
    /// `RmsText`: guiding RMS during the exposure, e.g. `Tot: 0.52 (0.86")`; `""`
    /// when there was no guiding data.
    pub rms_text: String,
    /// `Temperature`: CCD temperature at the end of the exposure, °C, if known (the
    /// API writes `NaN` for none).
    pub temperature_c: Option<f64>,
    /// `CameraName`.
    pub camera_name: String,
    /// `Gain`, for a camera with a gain setting; a CCD has none (the API writes -1).
    pub gain: Option<i32>,
    /// `Offset`, for a camera with an offset setting; a CCD has none (the API writes -1).
    pub offset: Option<i32>,
    /// `Date`: when the image was saved, with the local UTC offset. Kept to the
    /// microsecond.
    pub date: DateTime<FixedOffset>,
    /// `TelescopeName`: the FITS setting Telescope.
    pub telescope_name: String,
    /// `FocalLength`: the FITS setting FL, mm.
    pub focal_length_mm: f64,
    /// `StDev`: population standard deviation of the raw pixels, ADU.
    pub stdev: f64,
    /// `Mean` of the raw pixels, ADU.
    pub mean: f64,
    /// `Median` of the raw pixels, ADU.
    pub median: f64,
    /// `Stars`: stars detected, if detection ran (the API writes -1 for none).
    pub stars: Option<u64>,
    /// `HFR`: mean star HFR, pixels, if detection ran and found stars (the API writes
    /// `NaN` for none).
    pub hfr: Option<f64>,
    /// `IsBayered`: false for monochrome sensors.
    pub is_bayered: bool,
    /// `TargetName`: the FITS setting ObjectName.
    pub target_name: String,
    /// `Min`: the smallest raw pixel value.
    pub min: u16,
    /// `Max`: the largest raw pixel value.
    pub max: u16,
    /// `HFRStDev`: sample standard deviation of the star HFRs, if there is one (the
    /// API writes `NaN` for none).
    pub hfr_stdev: Option<f64>,
}

/// A span of record dates, `[from, to)`; either end may be open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DateRange {
    /// The first moment included.
    pub from: Option<DateTime<FixedOffset>>,
    /// The first moment after the span.
    pub to: Option<DateTime<FixedOffset>>,
}

impl DateRange {
    /// The ends as the database keeps dates, microseconds since the epoch.
    #[cfg(feature = "store")]
    pub(crate) fn bounds_us(&self) -> [i64; 2] {
        [
            self.from.map_or(i64::MIN, |d| d.timestamp_micros()),
            self.to.map_or(i64::MAX, |d| d.timestamp_micros()),
        ]
    }
}

/// The light frames of one target through one filter.
#[derive(Clone, Debug, PartialEq)]
pub struct Integration {
    /// `TargetName` of the frames.
    pub target_name: String,
    /// `Filter` of the frames (`""` for none).
    pub filter: String,
    /// How many.
    pub frames: u64,
    /// Their exposure times added up, seconds.
    pub exposure_s: f64,
}

/// One image of the history: what is known of it, and the name of its FITS file.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageRecord {
    /// The record's fields but the last.
    pub info: ImageInfo,
    /// `Filename`: the FITS file's name inside the history's `images/` directory;
    /// [`History::path_of`](crate::History::path_of) gives its path.
    pub filename: String,
}

/// An image to [`store`](crate::History::store).
#[derive(Clone, Debug, PartialEq)]
pub struct NewRecord {
    /// What identifies the frame for its producer (for example the camera's serial
    /// and the exposure's start): storing a second time under a key already recorded
    /// stores nothing and returns the first record, so a retried store cannot
    /// record a frame twice.
    pub frame_key: String,
    /// The record's fields.
    pub info: ImageInfo,
}

/// A record as it sits in the history, with its positions.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredImage {
    /// Position among all images, 0 = oldest: what `index` means without `imageType`.
    pub index: u64,
    /// Position among the images of its type, 0 = oldest: what `index` means with
    /// `imageType`.
    pub type_index: u64,
    /// True when the frame key was already recorded, so this call stored nothing
    /// (the caller should not announce the image again).
    pub already_stored: bool,
    /// The record.
    pub record: ImageRecord,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_types_parse_in_any_case_and_map_from_frame_types() {
        for t in ImageType::ALL {
            assert_eq!(ImageType::parse(t.wire_name()), Some(t));
            assert_eq!(ImageType::parse(&t.wire_name().to_lowercase()), Some(t));
        }
        assert_eq!(ImageType::parse("Snapshot"), Some(ImageType::Snapshot));
        assert_eq!(ImageType::parse("GUIDE"), None);
        assert_eq!(ImageType::parse(""), None);
        let mapped: Vec<_> = (0..4).map(|c| ImageType::from(FrameType::from_code(c).unwrap())).collect();
        assert_eq!(mapped, [ImageType::Dark, ImageType::Light, ImageType::Bias, ImageType::Flat]);
    }
}
