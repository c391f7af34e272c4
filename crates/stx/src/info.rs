//! `stx info`: what the camera is (model, versions, sensor) and how it stands (frame,
//! cooler, filter wheel).

use anyhow::Result;
use serde_json::{Value, json};
use stx_protocol::{Ccd, CcdSettings, FilterWheelStatus};

use crate::cooler::{cooler_json, cooler_line};
use crate::filter::{wheel_json, wheel_summary};
use crate::options::{Global, Output, print_json};

/// Arguments of `stx info`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    output: Output,
}

/// Runs `stx info`.
pub(crate) fn run(global: &Global, args: &Args) -> Result<()> {
    let client = global.client()?;
    let description = client.description()?;
    let versions = client.versions()?;
    let settings = client.settings(Ccd::Imager)?;
    let wheel = client.filter_wheel()?;
    if args.output.json {
        print_json(&json!({
            "description": description,
            "versions": {
                "firmware": versions.firmware,
                "gate_array": versions.gate_array,
                "imaging_rop": versions.imaging_rop,
                "tracker_rop": versions.tracker_rop,
                "http_api": versions.http_api,
            },
            "imager": settings_json(&settings),
            "filter_wheel": wheel_json(&wheel),
        }));
        return Ok(());
    }
    let rows = [
        ("camera", description),
        ("firmware", versions.firmware),
        ("gate array", versions.gate_array),
        ("imaging ROP", versions.imaging_rop),
        ("tracker ROP", versions.tracker_rop),
        ("HTTP API", versions.http_api),
    ];
    for (name, value) in rows.iter().map(|(n, v)| (*n, v.clone())).chain(settings_rows(&settings, &wheel)) {
        println!("{name:<12} {value}");
    }
    Ok(())
}

fn settings_rows(s: &CcdSettings, wheel: &FilterWheelStatus) -> Vec<(&'static str, String)> {
    let sensor = &s.sensor;
    let f = &s.frame;
    vec![
        (
            "sensor",
            format!(
                "{}x{} px of {:.2}x{:.2} µm, {:.2} e-/ADU, full well {} e-, max ADU {}, max bin {}x{}",
                sensor.width,
                sensor.height,
                sensor.pixel_size_x_um,
                sensor.pixel_size_y_um,
                sensor.electrons_per_adu,
                sensor.full_well_e,
                sensor.max_adu,
                sensor.max_bin_x,
                sensor.max_bin_y
            ),
        ),
        (
            "frame",
            format!(
                "{}x{} from ({}, {}), bin {}x{}",
                f.num_x, f.num_y, f.start_x, f.start_y, s.binning.x, s.binning.y
            ),
        ),
        ("cooler", s.cooler.as_ref().map_or_else(|| "none".to_owned(), cooler_line)),
        ("ambient", format!("{:.2} °C", s.ambient_c)),
        ("filter", wheel_summary(wheel)),
    ]
}

fn settings_json(s: &CcdSettings) -> Value {
    let sensor = &s.sensor;
    json!({
        "sensor": {
            "width": sensor.width,
            "height": sensor.height,
            "pixel_size_x_um": sensor.pixel_size_x_um,
            "pixel_size_y_um": sensor.pixel_size_y_um,
            "electrons_per_adu": sensor.electrons_per_adu,
            "full_well_e": sensor.full_well_e,
            "max_adu": sensor.max_adu,
            "max_bin_x": sensor.max_bin_x,
            "max_bin_y": sensor.max_bin_y,
        },
        "binning": { "x": s.binning.x, "y": s.binning.y },
        "frame": {
            "start_x": s.frame.start_x,
            "start_y": s.frame.start_y,
            "num_x": s.frame.num_x,
            "num_y": s.frame.num_y,
        },
        "ambient_c": s.ambient_c,
        "cooler": s.cooler.as_ref().map_or(Value::Null, cooler_json),
    })
}
