//! `GET /metrics` read by a real OpenMetrics parser (`prometheus_client`, the Python
//! client's own parser): the figures of the newest light frame, the cooler, and the
//! frames kept per type and filter.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{TestServer, skip_unless_ci};
use serde_json::Value;

/// Parses `text` with prometheus_client's OpenMetrics parser; every sample as
/// `{"name", "labels", "value"}`. `None` when the parser is not installed (outside CI).
fn parse_openmetrics(text: &str) -> Option<Vec<Value>> {
    const SCRIPT: &str = r#"
import json, sys
try:
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
except ImportError:
    sys.exit(3)
samples = []
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        samples.append({"family": family.name, "type": family.type, "name": s.name, "labels": s.labels, "value": s.value})
print(json.dumps(samples))
"#;
    let Ok(mut child) = Command::new("python3")
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    else {
        skip_unless_ci("python3 is not installed: no OpenMetrics parse");
        return None;
    };
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    if out.status.code() == Some(3) {
        skip_unless_ci("prometheus_client is not installed: no OpenMetrics parse");
        return None;
    }
    assert!(
        out.status.success(),
        "the parser refused the text: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

fn value(samples: &[Value], name: &str, labels: Value) -> Option<f64> {
    samples
        .iter()
        .find(|s| s["name"] == name && (labels.is_null() || s["labels"] == labels))
        .and_then(|s| s["value"].as_f64())
}

#[test]
fn metrics_are_openmetrics_with_the_nights_figures() {
    let s = TestServer::start();
    s.ok("ImagerSetSettings.cgi?CoolerState=1&CCDTemperatureSetpoint=-15");
    s.ok("SetFilterName.cgi?Filter2Name=Ha");
    s.ok("ChangeFilter.cgi?NewPosition=2");
    s.advance(60.0);
    s.take_frame(1);
    s.take_frame(1);
    s.take_frame(0);
    let r = s.api("/metrics");
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.header("Content-Type").as_deref(),
        Some("application/openmetrics-text; version=1.0.0; charset=utf-8")
    );
    let text = r.text();
    let Some(samples) = parse_openmetrics(&text) else { return };
    let (_, history) = s.api_json("/v2/api/image-history?imageType=LIGHT");
    let light = &history["Response"][0];
    assert_eq!(value(&samples, "stxd_light_frame_hfr_pixels", Value::Null), light["HFR"].as_f64(), "{text}");
    assert_eq!(value(&samples, "stxd_light_frame_stars", Value::Null), light["Stars"].as_f64());
    assert_eq!(value(&samples, "stxd_light_frame_background_adu", Value::Null), light["Median"].as_f64());
    assert_eq!(value(&samples, "stxd_camera_up", Value::Null), Some(1.0));
    assert_eq!(value(&samples, "stxd_ccd_setpoint_celsius", Value::Null), Some(-15.0));
    let power = value(&samples, "stxd_cooler_power_percent", Value::Null).unwrap();
    assert!((0.0..=100.0).contains(&power), "{power}");
    assert!(value(&samples, "stxd_ccd_temperature_celsius", Value::Null).is_some());
    let frames = |t: &str, f: &str| {
        value(&samples, "stxd_frames_total", serde_json::json!({"image_type": t, "filter": f}))
    };
    assert_eq!((frames("LIGHT", "Ha"), frames("DARK", "Ha")), (Some(2.0), Some(1.0)), "{text}");
    let counter = samples.iter().find(|s| s["name"] == "stxd_frames_total").unwrap();
    assert_eq!(
        (counter["family"].as_str(), counter["type"].as_str()),
        (Some("stxd_frames"), Some("counter"))
    );
}
