//! The v2 image endpoints over HTTP: `/v2/api/image/{index}` (stretched PNG/JPEG
//! previews, resizing, streaming or base64, the raw FITS file), the thumbnail, their
//! parameter errors, and the OpenAPI document at `/v2/api/openapi.json`.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::{RawReply, TestServer};
use serde_json::Value;
use stx_camera::fits::{self, Pixels};

/// The frame most tests look at: not square, so a swapped width and height shows.
const WIDTH: u32 = 320;
const HEIGHT: u32 = 160;
const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";
const JPEG_MAGIC: &[u8] = &[0xFF, 0xD8, 0xFF];

/// A server whose history holds one LIGHT frame of `WIDTH`×`HEIGHT`.
fn server_with_light() -> TestServer {
    let s = TestServer::start();
    assert_eq!(s.take_frame_sized(1, WIDTH, HEIGHT), 1);
    s
}

/// GET an image path and insist on a streamed image of `content_type`.
fn streamed(s: &TestServer, path: &str, content_type: &str) -> RawReply {
    let r = s.api(path);
    assert_eq!(r.status(), 200, "{path}: {}", String::from_utf8_lossy(r.body()));
    assert_eq!(r.header("Content-Type").as_deref(), Some(content_type), "{path}");
    assert_eq!(r.header("Access-Control-Allow-Origin").as_deref(), Some("*"), "{path}");
    r
}

/// The envelope's `Response`, base64-decoded, after checking it is a success.
fn enveloped(s: &TestServer, path: &str) -> Vec<u8> {
    let (status, json) = s.api_json(path);
    assert_eq!(
        (status, &json["Success"], &json["Type"]),
        (200, &Value::from(true), &Value::from("API")),
        "{json}"
    );
    BASE64.decode(json["Response"].as_str().expect("a base64 string")).expect("valid base64")
}

fn dimensions(bytes: &[u8]) -> (u32, u32) {
    let image = image::load_from_memory(bytes).expect("a decodable image");
    (image.width(), image.height())
}

/// `(status, Error)` of a call that should fail, after checking the envelope.
fn failure(s: &TestServer, path: &str) -> (u16, String) {
    let (status, json) = s.api_json(path);
    assert_eq!(
        (&json["Success"], &json["Response"]),
        (&Value::from(false), &Value::from("")),
        "{path}: {json}"
    );
    assert_eq!(json["StatusCode"].as_u64(), Some(u64::from(status)), "{path}");
    (status, json["Error"].as_str().unwrap().to_owned())
}

#[test]
fn png_by_default_jpeg_with_quality() {
    let s = server_with_light();
    let png = streamed(&s, "/v2/api/image/0?stream=true", "image/png");
    assert!(png.body().starts_with(PNG_MAGIC));
    assert_eq!(dimensions(png.body()), (WIDTH, HEIGHT));
    let jpeg = streamed(&s, "/v2/api/image/0?stream=true&quality=90", "image/jpeg");
    assert!(jpeg.body().starts_with(JPEG_MAGIC));
    assert_eq!(dimensions(jpeg.body()), (WIDTH, HEIGHT));
    // Lower quality, smaller file: the parameter reaches the encoder.
    let rough = streamed(&s, "/v2/api/image/0?stream=1&quality=5", "image/jpeg");
    assert!(rough.body().len() < jpeg.body().len());
}

#[test]
fn the_stretch_puts_the_sky_at_a_visible_grey() {
    let s = server_with_light();
    let png = streamed(&s, "/v2/api/image/0?stream=true", "image/png");
    let grey = image::load_from_memory(png.body()).unwrap().into_luma8();
    let mut values = grey.into_raw();
    values.sort_unstable();
    let median = values[values.len() / 2];
    // The median is mapped to a quarter of full scale (64 of 255); rounding and the
    // median's own noise leave it near there.
    assert!((54..=74).contains(&median), "median grey {median}");
    assert_eq!(values[0], 0, "shadows clipped to black");
}

#[test]
fn envelope_holds_the_same_bytes_as_the_stream() {
    let s = server_with_light();
    for query in ["", "quality=75", "resize=true&scale=0.5"] {
        let stream = s.api(&format!("/v2/api/image/0?stream=true&{query}"));
        assert_eq!(stream.status(), 200);
        assert_eq!(enveloped(&s, &format!("/v2/api/image/0?{query}")), stream.body(), "{query}");
        assert_eq!(enveloped(&s, &format!("/v2/api/image/0?stream=false&{query}")), stream.body(), "{query}");
    }
}

#[test]
fn resize_keeps_the_aspect() {
    let s = server_with_light();
    let size = |query: &str| {
        dimensions(streamed(&s, &format!("/v2/api/image/0?stream&{query}"), "image/png").body())
    };
    // Only the width of `size` counts.
    assert_eq!(size("resize=true&size=100x999"), (100, 50));
    assert_eq!(size("resize=true&scale=0.5"), (WIDTH / 2, HEIGHT / 2));
    assert_eq!(size("resize=true&scale=0.25&size=300x300"), (WIDTH / 4, HEIGHT / 4), "scale wins");
    assert_eq!(size("resize=true&scale=1"), (WIDTH, HEIGHT));
    // Never enlarged; no resizing without `resize`.
    assert_eq!(size("resize=true&size=5000x10"), (WIDTH, HEIGHT));
    assert_eq!(size("size=100x50"), (WIDTH, HEIGHT));
    assert_eq!(size("resize=false&scale=0.5"), (WIDTH, HEIGHT));
    // JPEG resizes the same way.
    let jpeg = streamed(&s, "/v2/api/image/0?stream&quality=80&resize&size=64x1", "image/jpeg");
    assert_eq!(dimensions(jpeg.body()), (64, 32));
}

#[test]
fn raw_fits_is_the_stored_file_with_the_frame_data() {
    let s = server_with_light();
    // The camera's last frame as raw little-endian 16-bit pixels, rows in readout order.
    let bin = s.get("/api/ImagerData.bin");
    assert_eq!(bin.status(), 200);
    let readout: Vec<u16> = bin.body().chunks_exact(2).map(|b| u16::from_le_bytes([b[0], b[1]])).collect();

    let fits = enveloped(&s, "/v2/api/image/0?raw_fits=true");
    assert!(fits.starts_with(b"SIMPLE  ="), "{:?}", String::from_utf8_lossy(&fits[..80]));
    let stxd = s.stxd();
    let record = stxd.history().get(0, None).unwrap().unwrap();
    assert_eq!(fits, std::fs::read(stxd.history().path_of(&record)).unwrap(), "the stored file, as is");
    let image = fits::read(&fits).expect("a readable FITS file");
    assert_eq!((image.width, image.height), (WIDTH as usize, HEIGHT as usize));
    match image.pixels {
        Pixels::U16(pixels) => assert!(pixels == readout, "FITS data differ from the .bin download"),
        Pixels::F32(_) => panic!("camera frames are 16-bit"),
    }
    // raw_fits wins over the preview options.
    assert_eq!(enveloped(&s, "/v2/api/image/0?raw_fits&quality=50&resize&scale=0.5"), fits);
}

#[test]
fn image_type_selects_among_that_type() {
    let s = TestServer::start();
    // Oldest first: LIGHT, DARK, LIGHT, of distinguishable sizes.
    assert_eq!(s.take_frame_sized(1, 64, 32), 1);
    assert_eq!(s.take_frame_sized(0, 96, 48), 2);
    assert_eq!(s.take_frame_sized(1, 128, 64), 3);
    let size = |path: &str| dimensions(streamed(&s, path, "image/png").body());
    assert_eq!(size("/v2/api/image/0?stream"), (64, 32));
    assert_eq!(size("/v2/api/image/1?stream"), (96, 48));
    assert_eq!(size("/v2/api/image/0?stream&imageType=DARK"), (96, 48));
    assert_eq!(size("/v2/api/image/1?stream&imageType=light"), (128, 64));
    let dark = fits::read(&enveloped(&s, "/v2/api/image/0?raw_fits&imageType=Dark")).unwrap();
    assert_eq!(dark.value("IMAGETYP"), Some("Dark Frame"));
    assert_eq!(failure(&s, "/v2/api/image/1?imageType=DARK"), (400, "Index out of range".to_owned()));
    assert_eq!(failure(&s, "/v2/api/image/0?imageType=FLAT").1, "Index out of range");
    let thumb = streamed(&s, "/v2/api/image/thumbnail/0?imageType=dark", "image/jpeg");
    assert_eq!(dimensions(thumb.body()), (96, 48), "never enlarged");
}

#[test]
fn thumbnail_is_a_small_jpeg() {
    let s = TestServer::start();
    assert_eq!(s.take_frame_sized(1, 1024, 512), 1);
    let thumb = streamed(&s, "/v2/api/image/thumbnail/0", "image/jpeg");
    assert!(thumb.body().starts_with(JPEG_MAGIC));
    assert_eq!(dimensions(thumb.body()), (256, 128));
    // Preview options are not thumbnail options.
    let again = streamed(&s, "/v2/api/image/thumbnail/0?quality=100&scale=0.1&stream=false", "image/jpeg");
    assert_eq!(again.body(), thumb.body());
}

#[test]
fn a_thumbnail_is_made_once_per_file() {
    let s = TestServer::start();
    assert_eq!(s.take_frame_sized(1, 512, 256), 1);
    let thumb = streamed(&s, "/v2/api/image/thumbnail/0", "image/jpeg");
    let stored: Vec<_> = std::fs::read_dir(s.harness.dir().join("images")).unwrap().flatten().collect();
    assert_eq!(stored.len(), 1);
    std::fs::remove_file(stored[0].path()).unwrap();
    // The file is gone, so only a kept thumbnail can answer; a preview cannot.
    assert_eq!(streamed(&s, "/v2/api/image/thumbnail/0", "image/jpeg").body(), thumb.body());
    assert_eq!(failure(&s, "/v2/api/image/0").0, 500);
    // Kept by file, not by index: the next frame's index 1 is a thumbnail of its own.
    assert_eq!(s.take_frame_sized(1, 256, 256), 2);
    let next = streamed(&s, "/v2/api/image/thumbnail/1", "image/jpeg");
    assert_eq!((dimensions(thumb.body()), dimensions(next.body())), ((256, 128), (256, 256)));
}

#[test]
fn bad_parameters_are_named() {
    let s = server_with_light();
    for (query, parameter) in [
        ("quality=0", "quality"),
        ("quality=101", "quality"),
        ("quality=high", "quality"),
        ("quality", "quality"),
        ("scale=2", "scale"),
        ("scale=0", "scale"),
        ("scale=abc", "scale"),
        ("resize=true&scale=NaN", "scale"),
        ("size=abc", "size"),
        ("size=100", "size"),
        ("size=0x100", "size"),
        ("resize=true&size=100x", "size"),
        ("resize=maybe", "resize"),
        ("stream=2", "stream"),
        ("raw_fits=yes", "raw_fits"),
        ("imageType=SCIENCE", "imageType"),
    ] {
        let (status, error) = failure(&s, &format!("/v2/api/image/0?{query}"));
        assert_eq!(status, 400, "{query}");
        assert!(error.starts_with(&format!("Invalid {parameter}")), "{query}: {error}");
    }
    for path in ["/v2/api/image/abc", "/v2/api/image/1.5", "/v2/api/image/thumbnail/x"] {
        assert_eq!(failure(&s, path), (400, "Invalid index: expected an integer".to_owned()), "{path}");
    }
    assert_eq!(failure(&s, "/v2/api/image/thumbnail/0?imageType=x").0, 400);
}

#[test]
fn index_out_of_range() {
    let s = TestServer::start();
    let out = (400, "Index out of range".to_owned());
    assert_eq!(failure(&s, "/v2/api/image/0"), out, "empty history");
    assert_eq!(failure(&s, "/v2/api/image/thumbnail/0"), out);
    assert_eq!(s.take_frame(2), 1);
    assert_eq!(failure(&s, "/v2/api/image/1?stream=true"), out);
    assert_eq!(failure(&s, "/v2/api/image/-1"), out);
    assert_eq!(failure(&s, "/v2/api/image/thumbnail/7"), out);
    assert_eq!(failure(&s, "/v2/api/image/99999999999999999999").0, 400);
    assert_eq!(s.api("/v2/api/image/0?stream").status(), 200);
}

#[test]
fn openapi_document_lists_every_route() {
    let s = server_with_light();
    let r = s.api("/v2/api/openapi.json");
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("Content-Type").as_deref(), Some("application/json"));
    let doc: Value = serde_json::from_slice(r.body()).expect("JSON");
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{}", doc["openapi"]);
    let paths = doc["paths"].as_object().unwrap();
    for route in [
        "/v2/api",
        "/v2/api/version",
        "/v2/api/equipment/camera/info",
        "/v2/api/equipment/filterwheel/info",
        "/v2/api/image-history",
        "/v2/api/image/{index}",
        "/v2/api/image/thumbnail/{index}",
        "/v2/api/equipment/camera/capture",
        "/v2/api/event-history",
        "/v2/api/openapi.json",
    ] {
        assert!(paths[route]["get"]["responses"]["200"].is_object(), "{route} documented");
    }
    // Every documented path is served (capture left out: it would start an exposure).
    for path in paths.keys().filter(|p| !p.contains("capture")) {
        let status = s.api(&path.replace("{index}", "0")).status();
        assert_eq!(status, 200, "{path}");
    }
    assert!(doc["info"]["description"].as_str().unwrap().contains("/v2/socket"), "the WebSocket, in prose");
    let version =
        &paths["/v2/api/version"]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
    assert_eq!(
        version["properties"]["Response"]["enum"][0],
        s.api_json("/v2/api/version").1["Response"],
        "documents the version reported"
    );
    // The record schema lists the fields in the order the server writes them.
    let required: Vec<&str> = doc["components"]["schemas"]["ImageRecord"]["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let text = s.api("/v2/api/image-history").text();
    let positions: Vec<usize> = required
        .iter()
        .map(|k| text.find(&format!("\"{k}\":")).unwrap_or_else(|| panic!("{k} in {text}")))
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "field order: {required:?} vs {text}");
    let (_, history) = s.api_json("/v2/api/image-history");
    assert_eq!(history["Response"][0].as_object().unwrap().len(), required.len(), "no undocumented field");
}
