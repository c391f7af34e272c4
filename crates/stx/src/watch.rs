//! `stx watch`: one line of live camera state per interval (CCD states, cooler, filter
//! wheel) until Ctrl-C or `--count` lines.

use std::time::{Duration, Instant};

use anyhow::Result;
use serde_json::{Value, json};
use stx_client::Client;
use stx_protocol::{Ccd, CcdState, FilterWheelStatus};

use crate::exit::Failure;
use crate::filter::state_name as wheel_state_name;
use crate::options::{Global, Output, print_json};

/// Arguments of `stx watch`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Seconds between lines.
    #[arg(long, value_name = "SECONDS", default_value_t = 1.0)]
    interval: f64,
    /// Stop after this many lines (default: until Ctrl-C).
    #[arg(long, value_name = "N")]
    count: Option<u64>,
    #[command(flatten)]
    output: Output,
}

/// One reading of the camera.
struct Sample {
    imager: CcdState,
    guider: CcdState,
    temperature_c: Option<f64>,
    power_percent: Option<f64>,
    wheel: FilterWheelStatus,
}

/// Runs `stx watch`.
pub(crate) fn run(global: &Global, args: &Args) -> Result<()> {
    let interval = Some(args.interval)
        .filter(|s| *s > 0.0)
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| {
            Failure::usage(format!("invalid interval {} s: expected a positive number", args.interval))
        })?;
    let client = global.client()?;
    let mut printed = 0;
    while args.count.is_none_or(|n| printed < n) {
        let started = Instant::now();
        let sample = sample(&client)?;
        let now = chrono::Local::now();
        if args.output.json {
            print_json(&sample_json(&now.to_rfc3339_opts(chrono::SecondsFormat::Millis, false), &sample));
        } else {
            println!("{}  {}", now.format("%H:%M:%S"), sample_line(&sample));
        }
        printed += 1;
        if args.count.is_none_or(|n| printed < n) {
            std::thread::sleep(interval.saturating_sub(started.elapsed()));
        }
    }
    Ok(())
}

fn sample(client: &Client) -> Result<Sample> {
    let cooler = client.settings(Ccd::Imager)?.cooler;
    let wheel = client.filter_wheel()?;
    Ok(Sample {
        imager: client.state(Ccd::Imager)?,
        guider: client.state(Ccd::Guider)?,
        temperature_c: cooler.map(|c| c.temperature_c),
        power_percent: cooler.map(|c| c.power_percent),
        wheel,
    })
}

/// A CCD state as a word.
fn state_name(state: CcdState) -> &'static str {
    match state {
        CcdState::Idle => "idle",
        CcdState::Exposing => "exposing",
        CcdState::ReadingOut => "reading out",
        CcdState::Error => "error",
    }
}

fn sample_line(s: &Sample) -> String {
    let cooler = match (s.temperature_c, s.power_percent) {
        (Some(t), Some(p)) => format!("CCD {t:.2} °C  power {p:.0} %"),
        _ => "no cooler".to_owned(),
    };
    let wheel = format!("filter {} {}", s.wheel.current.get(), wheel_state_name(s.wheel.state));
    format!("imager {:<11}  guider {:<11}  {cooler}  {wheel}", state_name(s.imager), state_name(s.guider))
}

fn sample_json(time: &str, s: &Sample) -> Value {
    json!({
        "time": time,
        "imager": state_name(s.imager),
        "guider": state_name(s.guider),
        "temperature_c": s.temperature_c,
        "power_percent": s.power_percent,
        "filter": { "state": wheel_state_name(s.wheel.state), "current": s.wheel.current.get() },
    })
}
