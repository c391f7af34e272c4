//! `GET /v2/api/image/{index}` and `GET /v2/api/image/thumbnail/{index}`: a stored
//! frame as an 8-bit grey preview a browser can show, or the FITS file itself.
//!
//! The frame is selected like an image-history record (`index` 0 = oldest among those
//! of `imageType`), read back from its FITS file, auto-stretched (see [`stretch`](crate::stretch)),
//! optionally shrunk, and encoded as PNG or JPEG. Rows are shown in file order, first
//! row at the top: the order the camera reads them out and the `.bin` download has.
//! Thumbnails are kept once made (see [`ThumbnailCache`](super::ThumbnailCache)).

use std::fmt::Display;
use std::ops::RangeInclusive;
use std::str::FromStr;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use image::{GrayImage, ImageEncoder};
use stx_history::{History, ImageRecord, ImageType};
use stx_protocol::request::{RawParam, RawValue};

use super::envelope::{self, ApiError};
use super::{V2State, blocking, history_query, internal};

/// Thumbnail width in pixels: enough for a gallery tile or a small display device,
/// small enough that a 4096-pixel frame becomes a few-kilobyte JPEG.
const THUMBNAIL_WIDTH: u32 = 256;
/// Thumbnail JPEG quality: artefacts stay invisible at thumbnail size.
const THUMBNAIL_QUALITY: u8 = 80;
/// The width `resize=true` gives when neither `size` nor `scale` says otherwise: a
/// dashboard tile, and the width of the widespread implementation's default size
/// (640x480).
const DEFAULT_RESIZE_WIDTH: u32 = 640;
/// Accepted `quality` values (JPEG quality, 100 = best).
const QUALITY_RANGE: RangeInclusive<u8> = 1..=100;
/// Accepted `scale` values: a preview is never larger than the frame, and a tenth of
/// the smallest frame still shows something.
const SCALE_RANGE: RangeInclusive<f64> = 0.1..=1.0;

/// What the log says these endpoints' failures come from.
const PREVIEW: &str = "image preview";

/// How a preview is encoded.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Format {
    /// Lossless; the default.
    Png,
    /// Lossy, with this quality (1..=100).
    Jpeg(u8),
}

/// How a preview is shrunk.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Resize {
    /// To this width (never wider than the frame), aspect kept.
    Width(u32),
    /// By this factor (0.1..=1), aspect kept.
    Scale(f64),
}

/// What a preview request asks for.
#[derive(Clone, Copy, Debug, PartialEq)]
struct PreviewQuery {
    image_type: Option<ImageType>,
    format: Format,
    resize: Option<Resize>,
    /// The image bytes as the body rather than base64 in the envelope.
    stream: bool,
    /// The FITS file, base64 in the envelope, instead of a preview.
    raw_fits: bool,
}

/// `GET /v2/api/image/{index}`.
pub(crate) async fn image(
    State(state): State<V2State>,
    index: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let index = path_index(index)?;
    let query = parse(&super::params(query)?)?;
    let history = state.history.clone();
    blocking(PREVIEW, move || {
        let fits = read_fits(&history, &record_at(&history, index, query.image_type)?)?;
        if query.raw_fits {
            return Ok(envelope::ok(BASE64.encode(&fits)));
        }
        let bytes = render(&fits, query.resize, query.format)?;
        Ok(if query.stream { stream(bytes, query.format) } else { envelope::ok(BASE64.encode(&bytes)) })
    })
    .await
}

/// `GET /v2/api/image/thumbnail/{index}`: always a streamed JPEG; only `imageType` is
/// read from the query.
pub(crate) async fn thumbnail(
    State(state): State<V2State>,
    index: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let index = path_index(index)?;
    let image_type = history_query::image_type(&super::params(query)?)?;
    let (history, thumbnails) = (state.history.clone(), state.thumbnails.clone());
    let format = Format::Jpeg(THUMBNAIL_QUALITY);
    blocking(PREVIEW, move || {
        let record = record_at(&history, index, image_type)?;
        if let Some(bytes) = thumbnails.get(&record.filename) {
            return Ok(stream(bytes, format));
        }
        let bytes = render(&read_fits(&history, &record)?, Some(Resize::Width(THUMBNAIL_WIDTH)), format)?;
        thumbnails.insert(&record.filename, bytes.clone());
        Ok(stream(bytes, format))
    })
    .await
}

/// The `{index}` path segment. A segment axum cannot even decode (not UTF-8) is as bad
/// an index as `abc`, and answered the same way.
fn path_index(segment: Result<Path<String>, PathRejection>) -> Result<u64, ApiError> {
    history_query::index(segment.as_ref().ok().map(|Path(s)| s.as_str()))
}

/// Reads and checks the query. Every parameter given is checked, even one that
/// another makes moot (`size` without `resize`): a typo should not pass silently.
fn parse(params: &[RawParam]) -> Result<PreviewQuery, ApiError> {
    let find = |name| stx_protocol::request::last_param(params, name);
    let flag = |name| history_query::flag(params, name);
    let image_type = history_query::image_type(params)?;
    let format = match find("quality") {
        None => Format::Png,
        Some(v) => Format::Jpeg(ranged(v, QUALITY_RANGE, "quality", "an integer")?),
    };
    let resize = flag("resize")?;
    let size = find("size").map(size_width).transpose()?;
    let scale = find("scale").map(|v| ranged(v, SCALE_RANGE, "scale", "a number")).transpose()?;
    let stream = flag("stream")?;
    let raw_fits = flag("raw_fits")?;
    // `scale` wins over `size`: it is the more specific ask when a client sends both.
    let resize = resize.then(|| {
        scale.map(Resize::Scale).or(size.map(Resize::Width)).unwrap_or(Resize::Width(DEFAULT_RESIZE_WIDTH))
    });
    Ok(PreviewQuery { image_type, format, resize, stream, raw_fits })
}

/// A number within `range`; otherwise `Invalid {name}: expected {kind} from {start} to
/// {end}`.
fn ranged<T: FromStr + PartialOrd + Display>(
    value: &RawValue,
    range: RangeInclusive<T>,
    name: &str,
    kind: &str,
) -> Result<T, ApiError> {
    match value.text().and_then(|t| t.trim().parse::<T>().ok()) {
        Some(v) if range.contains(&v) => Ok(v),
        _ => Err(ApiError::BadParameter(format!(
            "Invalid {name}: expected {kind} from {} to {}",
            range.start(),
            range.end()
        ))),
    }
}

/// `WxH`, both positive integers in decimal digits; only the width is used (the
/// aspect is the frame's), but a malformed height is still an error. A width too large
/// for `u32` is as good as `u32::MAX`: the preview is never wider than the frame.
fn size_width(value: &RawValue) -> Result<u32, ApiError> {
    let bad =
        || ApiError::BadParameter("Invalid size: expected WIDTHxHEIGHT in pixels, e.g. 640x480".to_owned());
    let (w, h) = value.text().and_then(|t| t.split_once(['x', 'X'])).ok_or_else(bad)?;
    let positive = |t: &str| {
        let digits = !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        (digits && t.bytes().any(|b| b != b'0')).then(|| t.parse::<u32>().unwrap_or(u32::MAX))
    };
    match (positive(w), positive(h)) {
        (Some(w), Some(_)) => Ok(w),
        _ => Err(bad()),
    }
}

/// The record of the `index`-th image among those of `image_type`.
fn record_at(history: &History, index: u64, image_type: Option<ImageType>) -> Result<ImageRecord, ApiError> {
    history.get(index, image_type).map_err(|e| internal(PREVIEW, e))?.ok_or(ApiError::IndexOutOfRange)
}

/// The record's FITS file.
fn read_fits(history: &History, record: &ImageRecord) -> Result<Vec<u8>, ApiError> {
    let path = history.path_of(record);
    std::fs::read(&path).map_err(|e| internal(PREVIEW, format_args!("cannot read {}: {e}", path.display())))
}

/// The preview's encoded bytes. A file the history holds but we cannot decode is our
/// fault (we wrote it), hence an internal error.
fn render(fits: &[u8], resize: Option<Resize>, format: Format) -> Result<Vec<u8>, ApiError> {
    let failed = |what: &str, e: &dyn Display| internal(PREVIEW, format_args!("{what}: {e}"));
    let frame = stx_camera::fits::read(fits).map_err(|e| failed("cannot decode the FITS file", &e))?;
    let grey =
        crate::stretch::to_grey(&frame).ok_or_else(|| failed("frame", &"size does not match its pixels"))?;
    let grey = shrink(grey, resize);
    encode(&grey, format).map_err(|e| failed("cannot encode", &e))
}

/// The image encoded as `format`: previews of stored frames and the web pages'
/// `Preview.jpg` alike.
pub(crate) fn encode(grey: &GrayImage, format: Format) -> image::ImageResult<Vec<u8>> {
    let mut out = Vec::new();
    let (w, h) = grey.dimensions();
    match format {
        Format::Png => {
            // Fast compression: a preview is looked at once; encoding time matters more
            // than a few percent of size on a loopback or LAN link.
            image::codecs::png::PngEncoder::new_with_quality(
                &mut out,
                image::codecs::png::CompressionType::Fast,
                image::codecs::png::FilterType::Adaptive,
            )
            .write_image(grey.as_raw(), w, h, image::ExtendedColorType::L8)
        }
        Format::Jpeg(q) => image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, q).write_image(
            grey.as_raw(),
            w,
            h,
            image::ExtendedColorType::L8,
        ),
    }?;
    Ok(out)
}

/// The image shrunk as asked, aspect kept. Never enlarged: a preview shows no more
/// than the frame has, and a huge `size` cannot make the server allocate a huge image.
pub(crate) fn shrink(grey: GrayImage, resize: Option<Resize>) -> GrayImage {
    let (w, h) = grey.dimensions();
    let width = match resize {
        None => return grey,
        Some(Resize::Width(width)) => width.min(w),
        Some(Resize::Scale(s)) => (f64::from(w) * s).round() as u32,
    }
    .max(1);
    if width == w {
        return grey;
    }
    let height = ((f64::from(h) * f64::from(width) / f64::from(w)).round() as u32).max(1);
    // Area averaging: the right filter for shrinking, and fast on large frames.
    image::imageops::thumbnail(&grey, width, height)
}

/// The image bytes as the body, typed.
fn stream(bytes: Vec<u8>, format: Format) -> Response {
    let content_type = match format {
        Format::Png => "image/png",
        Format::Jpeg(_) => "image/jpeg",
    };
    let mut response = bytes.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use stx_protocol::request::RawRequest;

    fn check(query: &str) -> Result<PreviewQuery, ApiError> {
        parse(&RawRequest::parse(&format!("/v2/api/image/0?{query}")).unwrap().params)
    }

    fn bad(query: &str) -> String {
        match check(query) {
            Err(ApiError::BadParameter(m)) => m,
            other => panic!("{query}: {other:?}"),
        }
    }

    #[test]
    fn parameter_rules() {
        let q = check("").unwrap();
        assert_eq!((q.format, q.resize, q.stream, q.raw_fits), (Format::Png, None, false, false));
        assert_eq!(check("quality=100").unwrap().format, Format::Jpeg(100));
        assert_eq!(check("resize").unwrap().resize, Some(Resize::Width(DEFAULT_RESIZE_WIDTH)));
        assert_eq!(check("resize=1&size=300x1").unwrap().resize, Some(Resize::Width(300)));
        assert_eq!(check("resize=true&size=300x1&scale=0.5").unwrap().resize, Some(Resize::Scale(0.5)));
        assert_eq!(check("size=300x200").unwrap().resize, None);
        assert!(check("stream=TRUE&raw_fits=0").unwrap().stream);
        assert_eq!(check("imageType=dark").unwrap().image_type, Some(ImageType::Dark));
        assert!(bad("quality=0").starts_with("Invalid quality"));
        assert!(bad("quality=101").starts_with("Invalid quality"));
        assert!(bad("scale=2").starts_with("Invalid scale"));
        assert!(bad("scale=0.05").starts_with("Invalid scale"));
        assert!(bad("scale=NaN").starts_with("Invalid scale"));
        assert!(bad("size=abc").starts_with("Invalid size"));
        assert!(bad("size=0x10").starts_with("Invalid size"));
        assert!(bad("size=10x").starts_with("Invalid size"));
        assert!(bad("size=+10x5").starts_with("Invalid size"));
        assert!(bad("size= 10x5").starts_with("Invalid size"));
        let huge = check("resize&size=99999999999999999999x1").unwrap().resize;
        assert_eq!(huge, Some(Resize::Width(u32::MAX)));
        assert!(bad("stream=yes").starts_with("Invalid stream"));
        assert!(bad("raw_fits=2").starts_with("Invalid raw_fits"));
        assert!(bad("imageType=x").starts_with("Invalid imageType"));
    }
}
