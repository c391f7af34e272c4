//! `GET /metrics`: the night's figures in OpenMetrics text, for Prometheus and Grafana:
//! the newest light frame's HFR, stars and background, the CCD's temperature, setpoint
//! and cooler power, and the frames kept, by type and filter. The same figures the
//! dashboard shows, from the same history and camera.

use std::fmt::Write;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use stx_camera::Camera;
use stx_history::{ImageRecord, ImageType};
use stx_protocol::Ccd;

use super::envelope::ApiError;
use super::{V2State, blocking, internal};

/// The exposition format's media type.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// `GET /metrics`.
pub(crate) async fn metrics(State(state): State<V2State>) -> Result<Response, ApiError> {
    blocking("metrics", move || {
        let failed = |e: stx_history::Error| internal("metrics", e);
        let newest_light = state.history.newest(Some(ImageType::Light)).map_err(failed)?;
        let counts = state.history.counts_by_type_and_filter().map_err(failed)?;
        let held = state.pipeline.storage_status().held_frames;
        let text =
            exposition(newest_light.as_ref(), &counts, &CameraFigures::read(state.camera.as_ref()), held);
        Ok(([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response())
    })
    .await
}

/// What the camera says now; all `None` when it cannot be reached.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct CameraFigures {
    up: bool,
    temperature_c: Option<f64>,
    setpoint_c: Option<f64>,
    cooler_power_percent: Option<f64>,
}

impl CameraFigures {
    /// Reads the imager's cooler. Blocking.
    fn read(camera: &dyn Camera) -> CameraFigures {
        match camera.settings(Ccd::Imager) {
            Ok(settings) => CameraFigures {
                up: true,
                temperature_c: settings.cooler.map(|c| c.temperature_c),
                setpoint_c: settings.cooler.map(|c| c.setpoint_c),
                cooler_power_percent: settings.cooler.map(|c| c.power_percent),
            },
            Err(_) => CameraFigures::default(),
        }
    }
}

/// The exposition text. Families without a value now (no light frame yet, no camera)
/// are declared with no sample.
fn exposition(
    light: Option<&ImageRecord>,
    counts: &[(ImageType, String, u64)],
    camera: &CameraFigures,
    held_frames: usize,
) -> String {
    let mut out = String::new();
    let info = light.map(|r| &r.info);
    gauge(
        &mut out,
        "stxd_camera_up",
        "1 when the camera answers, 0 when it does not.",
        Some(f64::from(u8::from(camera.up))),
    );
    gauge(&mut out, "stxd_ccd_temperature_celsius", "The imaging CCD's temperature.", camera.temperature_c);
    gauge(&mut out, "stxd_ccd_setpoint_celsius", "The cooler's setpoint.", camera.setpoint_c);
    gauge(&mut out, "stxd_cooler_power_percent", "The cooler's power, percent.", camera.cooler_power_percent);
    gauge(
        &mut out,
        "stxd_light_frame_hfr_pixels",
        "Mean star HFR of the newest light frame.",
        info.and_then(|i| i.hfr),
    );
    gauge(
        &mut out,
        "stxd_light_frame_stars",
        "Stars detected in the newest light frame.",
        info.and_then(|i| i.stars).map(|n| n as f64),
    );
    gauge(
        &mut out,
        "stxd_light_frame_background_adu",
        "Median (the sky background) of the newest light frame.",
        info.map(|i| i.median),
    );
    gauge(
        &mut out,
        "stxd_light_frame_timestamp_seconds",
        "When the newest light frame was saved, seconds since the epoch.",
        info.map(|i| i.date.timestamp_millis() as f64 / 1000.0),
    );
    gauge(
        &mut out,
        "stxd_frames_held_unstored",
        "Finished frames the disk refused, held in memory and retried; 0 when all are stored.",
        Some(held_frames as f64),
    );
    out.push_str(
        "# TYPE stxd_frames counter\n# HELP stxd_frames Frames kept in the history, by type and filter.\n",
    );
    for (image_type, filter, n) in counts {
        let _ = writeln!(
            out,
            "stxd_frames_total{{image_type=\"{}\",filter=\"{}\"}} {n}",
            image_type.wire_name(),
            label_value(filter)
        );
    }
    out.push_str("# EOF\n");
    out
}

fn gauge(out: &mut String, name: &str, help: &str, value: Option<f64>) {
    let _ = writeln!(out, "# TYPE {name} gauge\n# HELP {name} {help}");
    if let Some(v) = value {
        let _ = writeln!(out, "{name} {}", number(v));
    }
}

/// A sample value as OpenMetrics writes numbers.
fn number(v: f64) -> String {
    match v {
        v if v.is_nan() => "NaN".to_owned(),
        v if v == f64::INFINITY => "+Inf".to_owned(),
        v if v == f64::NEG_INFINITY => "-Inf".to_owned(),
        v => v.to_string(),
    }
}

/// A label value with `\`, `"` and newlines escaped.
fn label_value(text: &str) -> String {
    text.replace('\\', r"\\").replace('"', "\\\"").replace('\n', r"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_labels_are_escaped_as_openmetrics_wants() {
        assert_eq!(
            (number(2.5), number(-20.0), number(f64::NAN)),
            ("2.5".into(), "-20".into(), "NaN".into())
        );
        assert_eq!(label_value("a \"b\" \\ c\nd"), r#"a \"b\" \\ c\nd"#);
        let text =
            exposition(None, &[(ImageType::Light, "H\"a".to_owned(), 3)], &CameraFigures::default(), 2);
        assert!(text.contains("stxd_frames_held_unstored 2\n"), "{text}");
        assert!(text.contains("stxd_camera_up 0\n"), "{text}");
        assert!(text.contains("stxd_frames_total{image_type=\"LIGHT\",filter=\"H\\\"a\"} 3\n"), "{text}");
        assert!(
            !text.lines().any(|l| l.starts_with("stxd_light_frame_hfr_pixels")),
            "no sample without a frame: {text}"
        );
        assert!(text.ends_with("# EOF\n"));
    }
}
