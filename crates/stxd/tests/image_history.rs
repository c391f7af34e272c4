//! The v2 image-history API over HTTP: the decisions page's parameter rules, the
//! envelope, field order and types read from the raw JSON text, the NaN and -1
//! conventions, CORS, events, capture and persistence.

mod common;

use common::TestServer;
use serde_json::Value;

/// The record's keys, in the order the API writes them.
const FIELDS: [&str; 22] = [
    "ExposureTime",
    "ImageType",
    "Filter",
    "RmsText",
    "Temperature",
    "CameraName",
    "Gain",
    "Offset",
    "Date",
    "TelescopeName",
    "FocalLength",
    "StDev",
    "Mean",
    "Median",
    "Stars",
    "HFR",
    "IsBayered",
    "TargetName",
    "Min",
    "Max",
    "HFRStDev",
    "Filename",
];

/// A history with one frame of each type, oldest first: LIGHT, DARK, FLAT, BIAS, LIGHT.
fn server_with_frames() -> TestServer {
    let s = TestServer::start();
    for (n, frame_type) in [1, 0, 3, 2, 1].into_iter().enumerate() {
        assert_eq!(s.take_frame(frame_type), n as u64 + 1);
    }
    s
}

/// `(status, Error, Response)` of a call, after checking the envelope's shape.
fn check(s: &TestServer, query: &str) -> (u16, String, Value) {
    let r = s.api(&format!("/v2/api/image-history{query}"));
    let text = r.text();
    let keys = ["\"Response\":", "\"Error\":", "\"StatusCode\":", "\"Success\":", "\"Type\":\"API\""];
    let positions: Vec<usize> =
        keys.iter().map(|k| text.rfind(k).unwrap_or_else(|| panic!("{k} in {text}"))).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "envelope key order: {text}");
    let json: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["StatusCode"].as_u64(), Some(u64::from(r.status())), "{text}");
    assert_eq!(json["Success"].as_bool(), Some(r.status() == 200));
    assert_eq!(r.header("Content-Type").as_deref(), Some("application/json"));
    assert_eq!(r.header("Access-Control-Allow-Origin").as_deref(), Some("*"));
    (r.status(), json["Error"].as_str().unwrap().to_owned(), json["Response"].clone())
}

fn types(records: &Value) -> Vec<String> {
    records.as_array().unwrap().iter().map(|r| r["ImageType"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn empty_history() {
    let s = TestServer::start();
    assert_eq!(check(&s, ""), (400, "Index out of range".to_owned(), Value::from("")));
    assert_eq!(check(&s, "?count=true"), (200, String::new(), Value::from(0)));
    assert_eq!(check(&s, "?all=true"), (200, String::new(), Value::Array(vec![])));
    assert_eq!(check(&s, "?index=0").1, "Index out of range");
}

#[test]
fn parameter_rules() {
    let s = server_with_frames();
    // No parameter: the newest. index 0: the oldest.
    assert_eq!(types(&check(&s, "").2), ["LIGHT"]);
    assert_eq!(check(&s, "").2[0]["Filename"], check(&s, "?index=4").2[0]["Filename"]);
    assert_eq!(types(&check(&s, "?index=0").2), ["LIGHT"]);
    assert_eq!(types(&check(&s, "?index=1").2), ["DARK"]);
    assert_eq!(types(&check(&s, "?all=true").2), ["LIGHT", "DARK", "FLAT", "BIAS", "LIGHT"]);
    // Precedence: count, then all, then index.
    assert_eq!(check(&s, "?count=true&all=true&index=2").2, Value::from(5));
    assert_eq!(types(&check(&s, "?all=true&index=2").2).len(), 5);
    assert_eq!(types(&check(&s, "?all=false&index=2").2), ["FLAT"]);
    assert_eq!(check(&s, "?count").2, Value::from(5), "a bare count is true");
    assert_eq!(check(&s, "?count=1").2, Value::from(5));
    assert_eq!(types(&check(&s, "?count=FALSE").2), ["LIGHT"]);
    // imageType filters first, in any case.
    assert_eq!(check(&s, "?imageType=LIGHT&count=true").2, Value::from(2));
    assert_eq!(types(&check(&s, "?imageType=light&all=true").2), ["LIGHT", "LIGHT"]);
    assert_eq!(check(&s, "?imageType=Flat&index=0").2[0]["ImageType"], "FLAT");
    assert_eq!(check(&s, "?imageType=SNAPSHOT&count=true").2, Value::from(0));
    assert_eq!(check(&s, "?imageType=SNAPSHOT").1, "Index out of range");
    assert_eq!(check(&s, "?imageType=BIAS&all=true").2.as_array().unwrap().len(), 1);
    // Errors.
    assert_eq!(check(&s, "?index=5"), (400, "Index out of range".to_owned(), Value::from("")));
    assert_eq!(check(&s, "?imageType=DARK&index=1").1, "Index out of range");
    assert_eq!(check(&s, "?index=-1").1, "Index out of range");
    assert_eq!(check(&s, "?index=abc").1, "Invalid index: expected an integer");
    assert_eq!(check(&s, "?all=maybe").1, "Invalid all: expected true or false");
    assert_eq!(check(&s, "?count=2").1, "Invalid count: expected true or false");
    assert_eq!(
        check(&s, "?imageType=SCIENCE").1,
        "Invalid imageType: valid values are LIGHT, FLAT, DARK, BIAS, SNAPSHOT"
    );
    // Unknown parameters are ignored.
    assert_eq!(check(&s, "?foo=bar&count=true").2, Value::from(5));
}

#[test]
fn record_fields_in_order_with_their_types() {
    let s = server_with_frames();
    s.ok("SetFITSSetting.cgi?Telescope=RC10&ObjectName=M27");
    assert_eq!(s.take_frame(1), 6);
    let text = s.api("/v2/api/image-history?all=true").text();
    let records: Vec<&str> = text.split("{\"ExposureTime\"").skip(1).collect();
    assert_eq!(records.len(), 6, "{text}");
    for record in &records {
        let at: Vec<usize> = FIELDS.iter().map(|f| record.find(&format!("\"{f}\":")).unwrap_or(0)).collect();
        assert!(at[1..].windows(2).all(|w| w[0] < w[1]), "field order in {record}");
    }
    let json: Value = serde_json::from_str(&text).unwrap();
    let all = json["Response"].as_array().unwrap();
    for r in all {
        let keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys.len(), FIELDS.len());
        assert_eq!(r["ExposureTime"].as_u64(), Some(5), "a whole number has no fraction: {r}");
        let t = r["Temperature"].as_f64().expect("Temperature is a number");
        assert!((-60.0..60.0).contains(&t), "{t}");
        assert_eq!(r["CameraName"], "SBIG STX-16803");
        assert_eq!((r["Gain"].as_i64(), r["Offset"].as_i64()), (Some(-1), Some(-1)));
        assert_eq!(r["IsBayered"], false);
        assert_eq!(r["Filter"], "", "no filter in the beam");
        assert_eq!(r["RmsText"], "");
        let date = r["Date"].as_str().unwrap();
        assert!(chrono_like(date), "ISO 8601 with offset and milliseconds: {date}");
        for k in ["StDev", "Mean", "Median", "FocalLength"] {
            assert!(r[k].is_number(), "{k}: {}", r[k]);
        }
        assert!(r["Min"].as_u64().unwrap() <= r["Median"].as_f64().unwrap() as u64);
        assert!(r["Median"].as_f64().unwrap() <= r["Max"].as_f64().unwrap());
        assert!(r["Filename"].as_str().unwrap().ends_with(".fits"));
    }
    // Not LIGHT: no star detection, -1 and "NaN".
    for r in &all[1..4] {
        assert_eq!(r["Stars"].as_i64(), Some(-1), "{r}");
        assert_eq!((r["HFR"].as_str(), r["HFRStDev"].as_str()), (Some("NaN"), Some("NaN")), "{r}");
    }
    // LIGHT: measured. A 256² window of the simulated sky at 2000 mm holds a few stars.
    let light = &all[0];
    assert!(light["Stars"].as_i64().unwrap() > 0, "{light}");
    assert!(light["HFR"].is_number(), "{light}");
    // Dark frames sit at the bias level; a light frame's median is above it (sky).
    assert!(all[0]["Median"].as_f64() > all[1]["Median"].as_f64());
    // The FITS settings in force when a frame is kept.
    assert_eq!(
        (all[4]["TelescopeName"].as_str(), all[4]["TargetName"].as_str()),
        (Some("Telescope Description"), Some("Object Description"))
    );
    assert_eq!(
        (all[5]["TelescopeName"].as_str(), all[5]["TargetName"].as_str()),
        (Some("RC10"), Some("M27"))
    );
}

fn chrono_like(date: &str) -> bool {
    let b = date.as_bytes();
    date.len() == 29
        && b[4] == b'-'
        && b[10] == b'T'
        && b[19] == b'.'
        && (b[23] == b'+' || b[23] == b'-')
        && b[26] == b':'
}

#[test]
fn cors_and_preflight_and_neighbours() {
    let s = TestServer::start();
    let r = s.api_request("OPTIONS", "/v2/api/image-history");
    assert!(r.status() == 204 || r.status() == 200);
    assert_eq!(r.header("Access-Control-Allow-Origin").as_deref(), Some("*"));
    assert!(r.header("Access-Control-Allow-Methods").unwrap().contains("GET"));
    let (status, json) = s.api_json("/v2/api/version");
    assert_eq!(status, 200);
    assert_eq!(json["Response"], "2.2.15.0", "the plugin version whose wire format we speak");
    let (status, json) = s.api_json("/v2/api/nothing-here");
    assert_eq!((status, json["Error"].as_str()), (404, Some("Not found")));
}

/// `from` and `to` (our addition) narrow the history to a span of dates, as a dashboard
/// fetching one night asks; the other parameters work within it.
#[test]
fn a_span_of_dates() {
    let s = server_with_frames();
    let (_, json) = s.api_json("/v2/api/image-history?all=true");
    let dates: Vec<String> =
        json["Response"].as_array().unwrap().iter().map(|r| r["Date"].as_str().unwrap().to_owned()).collect();
    let q = |d: &str| d.replace('+', "%2B");
    let span = format!("from={}&to={}", q(&dates[1]), q(&dates[4]));
    assert_eq!(check(&s, &format!("?count=true&{span}")).2, Value::from(3));
    assert_eq!(types(&check(&s, &format!("?all=true&{span}")).2), ["DARK", "FLAT", "BIAS"]);
    assert_eq!(types(&check(&s, &format!("?{span}")).2), ["BIAS"], "the newest in the span");
    assert_eq!(types(&check(&s, &format!("?index=0&{span}")).2), ["DARK"]);
    assert_eq!(check(&s, &format!("?index=3&{span}")).1, "Index out of range");
    assert_eq!(check(&s, &format!("?imageType=FLAT&all=true&{span}")).2.as_array().unwrap().len(), 1);
    // Records before the night: the position of the night's first record.
    assert_eq!(check(&s, &format!("?count=true&to={}", q(&dates[1]))).2, Value::from(1));
    assert_eq!(
        check(&s, "?from=last-night").1,
        "Invalid from: expected a date such as 2026-12-04T12:00:00+01:00"
    );
}

/// A client that parses every reply on the port as the envelope never meets anything
/// else: not for an unknown path, a wrong method or a socket request that cannot upgrade.
#[test]
fn every_reply_on_the_port_is_the_envelope() {
    let s = TestServer::start();
    let check = |method: &str, path: &str, status: u16, error: &str| {
        let r = s.api_request(method, path);
        let text = r.text();
        let json: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method} {path}: {e}: {text:?}"));
        assert_eq!(r.status(), status, "{method} {path}: {text}");
        assert_eq!(r.header("Content-Type").as_deref(), Some("application/json"), "{method} {path}");
        assert_eq!(
            (json["StatusCode"].as_u64(), json["Success"].as_bool(), json["Type"].as_str()),
            (Some(u64::from(status)), Some(false), Some("API")),
            "{method} {path}: {text}"
        );
        assert!(json["Error"].as_str().unwrap().starts_with(error), "{method} {path}: {text}");
    };
    check("GET", "/v2/api/nothing-here", 404, "Not found");
    check("GET", "/nothing", 404, "Not found");
    check("GET", "/dashboard/nothing.js", 404, "Not found");
    check("POST", "/v2/api/image-history", 405, "Method not allowed");
    check("DELETE", "/v2/api/version", 405, "Method not allowed");
    check("GET", "/v2/socket", 400, "Not a WebSocket upgrade");
    check("POST", "/v2/socket", 405, "Method not allowed");
}

/// `GET /v2/api`, which a client probes before anything else, names the server.
#[test]
fn the_api_root_answers() {
    let s = TestServer::start();
    let r = s.api("/v2/api");
    assert_eq!(r.status(), 200, "{}", r.text());
    assert!(r.text().contains("stxd"), "{}", r.text());
}

#[test]
fn frames_from_any_client_are_recorded_once_and_survive_a_restart() {
    let s = server_with_frames();
    // Draining again finds nothing new: each frame is measured once.
    assert_eq!(s.drain(), 5);
    let before = s.api("/v2/api/image-history?all=true").text();
    let dir = s.stop();
    let s = TestServer::start_in(dir);
    assert_eq!(s.api("/v2/api/image-history?all=true").text(), before);
    for r in serde_json::from_str::<Value>(&before).unwrap()["Response"].as_array().unwrap() {
        let path = s.harness.dir().join("images").join(r["Filename"].as_str().unwrap());
        assert!(path.exists(), "{}", path.display());
    }
    assert_eq!(s.take_frame(1), 6);
}

#[test]
fn a_snapshot_saved_just_before_a_crash_is_recovered_as_a_snapshot() {
    let s = TestServer::start();
    s.ok("ImagerSetSettings.cgi?StartX=0&StartY=0&NumX=128&NumY=128");
    let (status, _) = s.api_json("/v2/api/equipment/camera/capture?duration=1&save=true");
    assert_eq!(status, 200);
    s.advance(1.0);
    s.advance_until("ImagerState.cgi", "0\r\n", 30.0);
    assert_eq!(s.drain(), 1);
    let (_, json) = s.api_json("/v2/api/image-history?imageType=SNAPSHOT");
    let stored = json["Response"][0]["Filename"].as_str().unwrap().to_owned();
    let dir = s.stop();
    // A file in place without its record: what a kill between the two leaves. Its
    // FITS header says Light Frame, as every snapshot's does; its name says SNAPSHOT.
    let images = dir.path().join("images");
    let orphan = "000900_SNAPSHOT_20261121T221345.fits";
    std::fs::copy(images.join(&stored), images.join(orphan)).unwrap();
    let s = TestServer::start_in(dir);
    let (_, json) = s.api_json("/v2/api/image-history");
    assert_eq!(
        (json["Response"][0]["Filename"].as_str(), json["Response"][0]["ImageType"].as_str()),
        (Some(orphan), Some("SNAPSHOT"))
    );
    let (_, json) = s.api_json("/v2/api/image-history?imageType=SNAPSHOT&count=true");
    assert_eq!(json["Response"], 2);
}

#[test]
fn event_history_lists_image_saves() {
    let s = TestServer::start();
    s.take_frame(1);
    s.take_frame(0);
    let (status, json) = s.api_json("/v2/api/event-history");
    assert_eq!(status, 200);
    let events = json["Response"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| e["Event"] == "IMAGE-SAVE" && e["Time"].is_string()));
}

#[test]
fn capture_takes_a_snapshot() {
    let s = TestServer::start();
    s.ok("ImagerSetSettings.cgi?StartX=0&StartY=0&NumX=128&NumY=128");
    let (status, json) = s.api_json("/v2/api/equipment/camera/capture?duration=2&save=true");
    assert_eq!((status, json["Response"].as_str()), (200, Some("Capture started")));
    assert_eq!(s.ok("ImagerState.cgi"), "2\r\n");
    let (status, json) = s.api_json("/v2/api/equipment/camera/capture?duration=2");
    assert_eq!(status, 400, "busy: {json}");
    assert_eq!(json["Success"], false, "the envelope: {json}");
    assert!(json["Error"].as_str().unwrap().starts_with("Camera refused the exposure: "), "{json}");
    s.advance(2.0);
    s.advance_until("ImagerState.cgi", "0\r\n", 30.0);
    assert_eq!(s.drain(), 1);
    let (_, json) = s.api_json("/v2/api/image-history?imageType=SNAPSHOT");
    assert_eq!(json["Response"][0]["ImageType"], "SNAPSHOT");
    assert!(
        json["Response"][0]["Stars"].as_i64().unwrap() >= 0,
        "snapshots are measured like lights (not -1: detection ran)"
    );
    let (status, json) = s.api_json("/v2/api/equipment/camera/capture?duration=abc");
    assert_eq!(
        (status, json["Error"].as_str()),
        (400, Some("Invalid duration: expected seconds from 0.01 to 86400"))
    );
    let (status, _) = s.api_json("/v2/api/equipment/camera/capture?duration=1&save=perhaps");
    assert_eq!(status, 400);
}

#[test]
fn websocket_announces_a_frame_taken_through_the_stx_api() {
    use futures_util::StreamExt;
    let s = TestServer::start();
    let url = format!("ws://{}/v2/socket", s.stxd().api_addr());
    let mut socket =
        s.harness.runtime().block_on(async { tokio_tungstenite::connect_async(url).await.unwrap().0 });
    s.take_frame(1);
    let message = s.harness.runtime().block_on(async {
        tokio::time::timeout(std::time::Duration::from_secs(10), socket.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap()
    });
    let text = message.into_text().unwrap().to_string();
    assert!(
        text.starts_with(r#"{"Response":{"Event":"IMAGE-SAVE","ImageStatistics":{"ExposureTime":5,"#),
        "{text}"
    );
    assert!(text.ends_with(r#""Error":"","StatusCode":200,"Success":true,"Type":"Socket"}"#), "{text}");
    let json: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["Response"]["ImageStatistics"]["ImageType"], "LIGHT");
}

#[test]
fn a_record_has_the_fits_settings_of_when_its_exposure_ended() {
    let s = TestServer::start();
    s.ok("SetFITSSetting.cgi?ObjectName=M27&Telescope=RC10&FL=2000");
    s.expose_sized(1, 64, 64);
    // Changed after the exposure ended, before the pipeline keeps the frame.
    s.ok("SetFITSSetting.cgi?ObjectName=M31&Telescope=Other&FL=500");
    assert_eq!(s.drain(), 1);
    let (_, json) = s.api_json("/v2/api/image-history?index=0");
    let r = &json["Response"][0];
    assert_eq!(
        (r["TargetName"].as_str(), r["TelescopeName"].as_str(), r["FocalLength"].as_f64()),
        (Some("M27"), Some("RC10"), Some(2000.0)),
        "{json}"
    );
}
