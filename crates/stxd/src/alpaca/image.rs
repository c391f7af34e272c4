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

/// Columns transposed at a time: 128 columns of 4096 rows are 1 MiB of ImageBytes.
const TILE_COLUMNS: u32 = 128;
/// Rows transposed at a time within a tile.
const ROW_BLOCK: usize = 32;
/// Tiles encoded ahead of the socket, at most.
const TILES_AHEAD: usize = 2;

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

/// Columns `x0..x1` of `frame`, each top to bottom, one after the other: `put(k, p)`
/// for the `k`th value `p` of that order.
fn transpose(frame: &Frame, x0: u32, x1: u32, mut put: impl FnMut(usize, u16)) {
    let (width, height) = (frame.width() as usize, frame.height() as usize);
    let (x0, x1) = (x0 as usize, x1 as usize);
    let pixels = frame.pixels();
    // A block of rows at a time, column by column: the writes run along a column and
    // the reads stay within the block's rows, which the cache holds (four times faster
    // than whole rows at a time on a 4096² frame).
    for y0 in (0..height).step_by(ROW_BLOCK) {
        let rows = y0..(y0 + ROW_BLOCK).min(height);
        for i in 0..x1 - x0 {
            for y in rows.clone() {
                put(i * height + y, pixels[y * width + x0 + i]);
            }
        }
    }
}

/// Columns `x0..x1` of `frame` as values (see [`transpose`]).
fn columns(frame: &Frame, x0: u32, x1: u32) -> Vec<u16> {
    let mut out = vec![0; (x1 - x0) as usize * frame.height() as usize];
    transpose(frame, x0, x1, |k, p| out[k] = p);
    out
}

/// Columns `x0..x1` of `frame` as u16 LE bytes (see [`transpose`]).
fn column_bytes(frame: &Frame, x0: u32, x1: u32) -> Bytes {
    let mut out = vec![0; 2 * (x1 - x0) as usize * frame.height() as usize];
    transpose(frame, x0, x1, |k, p| {
        let [lo, hi] = p.to_le_bytes();
        out[2 * k] = lo;
        out[2 * k + 1] = hi;
    });
    Bytes::from(out)
}

/// Columns `x0..x1` of `frame` as the JSON arrays of `Value`, each after a comma but
/// the first of the image.
fn column_json(frame: &Frame, x0: u32, x1: u32) -> Bytes {
    let tile = columns(frame, x0, x1);
    // Up to six characters a pixel ("65535,").
    let mut text = String::with_capacity(tile.len() * 6 + 4 * (x1 - x0) as usize);
    for (i, column) in tile.chunks_exact(frame.height() as usize).enumerate() {
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
}

/// The tiles of `frame` encoded by `encode`, made on the blocking pool a few tiles
/// ahead of the socket, so encoding overlaps sending. The queue bounds the memory; a
/// client that stops reading holds the encoder until its connection's write deadline
/// closes it, which ends the queue.
fn encoded_tiles(
    frame: Arc<Frame>,
    encode: fn(&Frame, u32, u32) -> Bytes,
) -> impl futures_util::Stream<Item = Bytes> + Send + 'static {
    let (tiles_tx, tiles_rx) = tokio::sync::mpsc::channel(TILES_AHEAD);
    tokio::task::spawn_blocking(move || {
        for (x0, x1) in tiles(&frame) {
            if tiles_tx.blocking_send(encode(&frame, x0, x1)).is_err() {
                break; // The client is gone.
            }
        }
    });
    futures_util::stream::unfold(tiles_rx, |mut rx| async move { rx.recv().await.map(|tile| (tile, rx)) })
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
    let chunks =
        futures_util::stream::iter([head]).chain(encoded_tiles(frame, column_bytes)).map(Ok::<_, Infallible>);
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
    let chunks = futures_util::stream::iter([head])
        .chain(encoded_tiles(frame, column_json))
        .chain(futures_util::stream::iter([tail]))
        .map(Ok::<_, Infallible>);
    let mut response = (StatusCode::OK, Body::from_stream(chunks)).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `width`×`height` frame whose pixel at (x, y) is `100 * x + y`.
    fn frame(width: u32, height: u32) -> Arc<Frame> {
        let pixels = (0..height).flat_map(|y| (0..width).map(move |x| (100 * x + y) as u16)).collect();
        crate::test_frame::frame(width, height, pixels)
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
        let (width, height) = (130, 35); // Two tiles and two row blocks, the second of each partial.
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
        let wide = body(image_json(frame(129, 1), ids)).await;
        let json: serde_json::Value = serde_json::from_slice(&wide).unwrap();
        assert_eq!(json["Value"].as_array().unwrap().len(), 129);
        assert_eq!(json["Value"][128], serde_json::json!([12800]));
    }
}
