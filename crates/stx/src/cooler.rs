//! `stx cooler [--setpoint C [--wait] | --off]`: show the imager's cooler, regulate it
//! to a temperature (optionally waiting until the CCD gets there), or turn it off.

use std::time::{Duration, Instant};

use anyhow::Result;
use serde_json::{Value, json};
use stx_client::Client;
use stx_protocol::{Ccd, CoolerStatus, SettingChange, SettingKey, SettingsUpdate};

use crate::exit::Failure;
use crate::options::{Global, Output, print_json};

/// How close to the setpoint counts as there.
const TOLERANCE_C: f64 = 0.5;
/// Time between readings while waiting: a CCD cools by degrees per minute, so faster
/// polling would only load the camera.
const POLL: Duration = Duration::from_millis(250);
/// Time between progress lines while waiting.
const REPORT: Duration = Duration::from_secs(2);

/// Arguments of `stx cooler`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Turn the cooler on, regulating to this temperature in °C (the camera takes -100
    /// to 100).
    #[arg(long, value_name = "CELSIUS", allow_negative_numbers = true, conflicts_with = "off")]
    setpoint: Option<f64>,
    /// Turn the cooler off.
    #[arg(long)]
    off: bool,
    /// After --setpoint, wait until the CCD is within 0.5 °C of it, printing progress.
    #[arg(long, requires = "setpoint")]
    wait: bool,
    /// With --wait: give up (exit 5) after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 900.0, requires = "wait")]
    timeout: f64,
    #[command(flatten)]
    output: Output,
}

/// Runs `stx cooler`.
pub(crate) fn run(global: &Global, args: &Args) -> Result<()> {
    let client = global.client()?;
    let change = |key, value| SettingsUpdate { changes: vec![SettingChange { key, value: Some(value) }] };
    if let Some(setpoint) = args.setpoint {
        // Two calls: the camera applies CoolerState before the setpoint and keeps what it
        // applied before a bad value, so one call would turn the cooler on even when the
        // setpoint is refused.
        client.set_settings(Ccd::Imager, &change(SettingKey::CCDTemperatureSetpoint, setpoint))?;
        client.set_settings(Ccd::Imager, &change(SettingKey::CoolerState, 1.0))?;
    } else if args.off {
        client.set_settings(Ccd::Imager, &change(SettingKey::CoolerState, 0.0))?;
    }
    let mut status = cooler(&client)?;
    if args.wait {
        status = wait_for_setpoint(&client, status, args.timeout, !args.output.json)?;
    }
    if args.output.json {
        print_json(&cooler_json(&status));
    } else {
        println!("cooler {}", cooler_line(&status));
    }
    Ok(())
}

fn cooler(client: &Client) -> Result<CoolerStatus> {
    client
        .settings(Ccd::Imager)?
        .cooler
        .ok_or_else(|| Failure::operation("this camera's imager has no cooler"))
}

/// Polls until the CCD is within [`TOLERANCE_C`] of the setpoint, printing a line now
/// and then when `report` is set.
fn wait_for_setpoint(
    client: &Client,
    mut status: CoolerStatus,
    timeout_s: f64,
    report: bool,
) -> Result<CoolerStatus> {
    let started = Instant::now();
    let mut last_report: Option<Instant> = None;
    while (status.temperature_c - status.setpoint_c).abs() > TOLERANCE_C {
        if started.elapsed().as_secs_f64() > timeout_s {
            return Err(Failure::operation(format!(
                "the CCD is at {:.2} °C after {timeout_s} s, not within {TOLERANCE_C} °C of the setpoint {:.2} °C",
                status.temperature_c, status.setpoint_c
            )));
        }
        if report && last_report.is_none_or(|t| t.elapsed() >= REPORT) {
            println!("cooler {}", cooler_line(&status));
            last_report = Some(Instant::now());
        }
        std::thread::sleep(POLL);
        status = cooler(client)?;
    }
    Ok(status)
}

/// On/off, temperature, setpoint, power on one line (also `stx info`'s cooler row).
pub(crate) fn cooler_line(c: &CoolerStatus) -> String {
    format!(
        "{}, CCD {:.2} °C, setpoint {:.2} °C, power {:.0} %",
        if c.on { "on" } else { "off" },
        c.temperature_c,
        c.setpoint_c,
        c.power_percent
    )
}

/// The cooler as a JSON object (also part of `stx info --json`).
pub(crate) fn cooler_json(c: &CoolerStatus) -> Value {
    json!({
        "on": c.on,
        "temperature_c": c.temperature_c,
        "setpoint_c": c.setpoint_c,
        "power_percent": c.power_percent,
    })
}
