//! An image's two wire forms, both x-major (`Value[x][y]`: the transpose of the STX's
//! rows) and both streamed a tile of columns at a time, so a full 4096² frame costs one
//! tile of memory per download, not a second frame (or ~90 MB of JSON text):
//! - ImageBytes (`Accept: application/imagebytes`): a 44-byte little-endian header,
//!   then the pixels as u16 LE;
//! - the JSON `ImageArray`: `{"Type":2,"Rank":2,"Value":[[…],…],…}` and the envelope's
//!   transaction fields.

use std::convert::Infallible;
use std::fmt::Write as _;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::StreamExt;
use stx_camera::Frame;

use super::reply::Transaction;

/// The media type of ImageBytes, asked for in `Accept` and answered in `Content-Type`.
pub(crate) const IMAGE_BYTES: &str = "application/imagebytes";

/// Columns transposed at a time: 64 columns of 4096 rows are 512 KiB of ImageBytes.
const TILE_COLUMNS: u32 = 64;

/// ImageBytes `MetadataVersion`.
const METADATA_VERSION: u32 = 1;
/// The header's length, and so `DataStart`.
const HEADER_LEN: usize = 44;
/// `ImageElementType` and the JSON `Type`: Int32, what a camera's pixels are in Alpaca.
const ELEMENT_INT32: u32 = 2;
/// `TransmissionElementType`: UInt16, two bytes a pixel on the wire.
const TRANSMISSION_UINT16: u32 = 8;
/// `Rank`: a monochrome image.
const RANK: u32 = 2;

/// Whether an `Accept` header asks for ImageBytes.
pub(crate) fn wants_image_bytes(accept: Option<&HeaderValue>) -> bool {
    accept.and_then(|a| a.to_str().ok()).is_some_and(|a| {
        a.split(',').any(|t| t.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case(IMAGE_BYTES)))
    })
}

/// The ImageBytes header of a successful reply carrying `frame`.
fn header_bytes(frame: &Frame, ids: Transaction) -> [u8; HEADER_LEN] {
    let fields = [
        METADATA_VERSION,
        0, // ErrorNumber: errors go out as the JSON envelope instead.
        ids.client,
        ids.server,
        HEADER_LEN as u32,
        ELEMENT_INT32,
        TRANSMISSION_UINT16,
        RANK,
        frame.width(),
        frame.height(),
        0, // Dimension3: none for rank 2.
    ];
    let mut header = [0; HEADER_LEN];
    for (chunk, field) in header.chunks_exact_mut(4).zip(fields) {
        chunk.copy_from_slice(&field.to_le_bytes());
    }
    header
}

/// Columns `x0..x1` of `frame`, each top to bottom, one after the other.
fn columns(frame: &Frame, x0: u32, x1: u32) -> Vec<u16> {
    let (width, height) = (frame.width() as usize, frame.height() as usize);
    let (x0, x1) = (x0 as usize, x1 as usize);
    let mut out = vec![0; (x1 - x0) * height];
    // Rows are read in order and each row's stretch of the tile is contiguous; the
    // writes go to `x1 - x0` columns at once, which the cache holds.
    for (y, row) in frame.pixels().chunks_exact(width).enumerate() {
        for (i, &p) in row[x0..x1].iter().enumerate() {
            out[i * height + y] = p;
        }
    }
    out
}

/// The tiles of columns of `frame`, as `(x0, x1)`.
fn tiles(frame: &Frame) -> impl Iterator<Item = (u32, u32)> + Send + 'static {
    let width = frame.width();
    (0..width.div_ceil(TILE_COLUMNS)).map(move |t| (t * TILE_COLUMNS, ((t + 1) * TILE_COLUMNS).min(width)))
}

/// The ImageBytes reply.
pub(crate) fn image_bytes(frame: Arc<Frame>, ids: Transaction) -> Response {
    let length = HEADER_LEN as u64 + 2 * u64::from(frame.width()) * u64::from(frame.height());
    let head = Bytes::copy_from_slice(&header_bytes(&frame, ids));
    let pixels = tiles(&frame).map(move |(x0, x1)| {
        let tile = columns(&frame, x0, x1);
        Bytes::from(tile.iter().flat_map(|p| p.to_le_bytes()).collect::<Vec<u8>>())
    });
    let chunks = futures_util::stream::iter(std::iter::once(head).chain(pixels)).map(Ok::<_, Infallible>);
    let mut response = (StatusCode::OK, Body::from_stream(chunks)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(IMAGE_BYTES));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    response
}

/// The JSON `ImageArray` reply.
pub(crate) fn image_json(frame: Arc<Frame>, ids: Transaction) -> Response {
    let head = Bytes::from_static(br#"{"Type":2,"Rank":2,"Value":["#);
    let tail = Bytes::from(format!(
        r#"],"ClientTransactionID":{},"ServerTransactionID":{},"ErrorNumber":0,"ErrorMessage":""}}"#,
        ids.client, ids.server
    ));
    let height = frame.height() as usize;
    let body = tiles(&frame).map(move |(x0, x1)| {
        let tile = columns(&frame, x0, x1);
        // Up to six characters a pixel ("65535,").
        let mut text = String::with_capacity(tile.len() * 6 + 4 * (x1 - x0) as usize);
        for (i, column) in tile.chunks_exact(height).enumerate() {
            if x0 > 0 || i > 0 {
                text.push(',');
            }
            text.push('[');
            for (y, p) in column.iter().enumerate() {
                if y > 0 {
                    text.push(',');
                }
                let _ = write!(text, "{p}");
            }
            text.push(']');
        }
        Bytes::from(text)
    });
    let chunks = std::iter::once(head).chain(body).chain(std::iter::once(tail));
    let mut response =
        (StatusCode::OK, Body::from_stream(futures_util::stream::iter(chunks).map(Ok::<_, Infallible>)))
            .into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

#[cfg(test)]
mod tests {
    use stx_camera::{FrameMeta, PixelPoint, PixelSize};
    use stx_protocol::{Binning, Ccd, FitsSettings, FrameType, ObsDateTime};

    use super::*;

    /// A `width`×`height` frame whose pixel at (x, y) is `100 * x + y`.
    fn frame(width: u32, height: u32) -> Arc<Frame> {
        let meta = FrameMeta {
            ccd: Ccd::Imager,
            frame_type: FrameType::Light,
            duration: std::time::Duration::from_secs(1),
            date_obs: ObsDateTime::SPEC_DEFAULT,
            binning: Binning::ONE,
            origin: PixelPoint::default(),
            pixel_size: PixelSize { x_um: 9.0, y_um: 9.0 },
            ccd_temp_c: -20.0,
            setpoint_c: None,
            electrons_per_adu: 1.0,
            filter: None,
            instrument: "SBIG STX-16803".into(),
            fits: FitsSettings::default(),
        };
        let pixels = (0..height).flat_map(|y| (0..width).map(move |x| (100 * x + y) as u16)).collect();
        Arc::new(Frame::new(width, height, pixels, meta).unwrap())
    }

    async fn body(response: Response) -> Vec<u8> {
        axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap().to_vec()
    }

    fn check_accept(accept: &str, expect: bool) {
        assert_eq!(wants_image_bytes(Some(&HeaderValue::from_str(accept).unwrap())), expect, "{accept}");
    }

    #[test]
    fn accept_asks_for_image_bytes_among_others() {
        check_accept("application/imagebytes", true);
        check_accept("application/json, application/ImageBytes;q=0.9", true);
        check_accept("application/json", false);
        check_accept("*/*", false);
        assert!(!wants_image_bytes(None));
    }

    #[tokio::test]
    async fn image_bytes_are_the_header_then_columns() {
        let ids = Transaction { client: 7, server: 9 };
        let (width, height) = (70, 3); // Two tiles, the second partial.
        let bytes = body(image_bytes(frame(width, height), ids)).await;
        let word = |i: usize| u32::from_le_bytes(bytes[4 * i..4 * i + 4].try_into().unwrap());
        let header: Vec<u32> = (0..11).map(word).collect();
        assert_eq!(header, [1, 0, 7, 9, 44, 2, 8, 2, width, height, 0]);
        let pixels: Vec<u16> =
            bytes[44..].chunks_exact(2).map(|b| u16::from_le_bytes([b[0], b[1]])).collect();
        let expect: Vec<u16> =
            (0..width).flat_map(|x| (0..height).map(move |y| (100 * x + y) as u16)).collect();
        assert_eq!(pixels, expect);
    }

    #[tokio::test]
    async fn the_json_array_is_x_major_in_the_envelope() {
        let ids = Transaction { client: 0, server: 3 };
        let text = body(image_json(frame(2, 3), ids)).await;
        assert_eq!(
            String::from_utf8(text).unwrap(),
            r#"{"Type":2,"Rank":2,"Value":[[0,1,2],[100,101,102]],"ClientTransactionID":0,"ServerTransactionID":3,"ErrorNumber":0,"ErrorMessage":""}"#
        );
        let wide = body(image_json(frame(65, 1), ids)).await;
        let json: serde_json::Value = serde_json::from_slice(&wide).unwrap();
        assert_eq!(json["Value"].as_array().unwrap().len(), 65);
        assert_eq!(json["Value"][64], serde_json::json!([6400]));
    }
}
