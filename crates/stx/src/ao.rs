//! `stx ao X Y`: move the adaptive-optics element and wait until it settles.

use std::time::{Duration, Instant};

use anyhow::Result;
use serde_json::json;
use stx_protocol::AoPosition;

use crate::exit::Failure;
use crate::options::{Global, Output, print_json};

/// Far more than a full travel takes (a few milliseconds per unit): only an element that
/// never settles runs into it.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(10);

/// Arguments of `stx ao`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// X position, 0 to 100 (50 is centred).
    #[arg(allow_negative_numbers = true)]
    x: f64,
    /// Y position, 0 to 100 (50 is centred).
    #[arg(allow_negative_numbers = true)]
    y: f64,
    #[command(flatten)]
    output: Output,
}

/// Runs `stx ao`.
pub(crate) fn run(global: &Global, args: &Args) -> Result<()> {
    let x = position("X", args.x)?;
    let y = position("Y", args.y)?;
    let client = global.client()?;
    client.ao_guide(x, y)?;
    let started = Instant::now();
    while client.ao_moving()? {
        if started.elapsed() > SETTLE_TIMEOUT {
            return Err(Failure::operation(format!(
                "the AO element is still moving after {} s",
                SETTLE_TIMEOUT.as_secs()
            )));
        }
    }
    if args.output.json {
        print_json(&json!({ "x": x.get(), "y": y.get() }));
    } else {
        println!("AO at X {}, Y {}", x.get(), y.get());
    }
    Ok(())
}

fn position(axis: &str, value: f64) -> Result<AoPosition> {
    AoPosition::new(value)
        .ok_or_else(|| Failure::usage(format!("invalid AO {axis} position {value}: expected 0 to 100")))
}
