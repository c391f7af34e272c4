//! `stx guide --x+ S | --x- S | --y+ S | --y- S`: close guide relays for a time
//! (PulseGuide), one direction per axis at most.

use anyhow::Result;
use serde_json::json;
use stx_protocol::{Pulse, PulseDuration, PulseRequest, Relay};

use crate::exit::Failure;
use crate::options::{Global, Output, print_json};

/// Arguments of `stx guide`.
#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("pulse").required(true).multiple(true))]
pub(crate) struct Args {
    /// Close the X+ relay for this many seconds (0.01 to 655.35).
    #[arg(long = "x+", value_name = "SECONDS", group = "pulse", conflicts_with = "x_minus")]
    x_plus: Option<f64>,
    /// Close the X− relay for this many seconds.
    #[arg(long = "x-", value_name = "SECONDS", group = "pulse")]
    x_minus: Option<f64>,
    /// Close the Y+ relay for this many seconds.
    #[arg(long = "y+", value_name = "SECONDS", group = "pulse", conflicts_with = "y_minus")]
    y_plus: Option<f64>,
    /// Close the Y− relay for this many seconds.
    #[arg(long = "y-", value_name = "SECONDS", group = "pulse")]
    y_minus: Option<f64>,
    #[command(flatten)]
    output: Output,
}

/// Runs `stx guide`.
pub(crate) fn run(global: &Global, args: &Args) -> Result<()> {
    let request = parse(args)?;
    let client = global.client()?;
    client.pulse_guide(&request)?;
    let pulses: Vec<Pulse> = request.pulses().collect();
    if args.output.json {
        let list: Vec<_> = pulses
            .iter()
            .map(|p| json!({ "relay": relay_name(p.relay), "seconds": p.duration.secs() }))
            .collect();
        print_json(&json!({ "pulses": list }));
    } else {
        let text: Vec<String> =
            pulses.iter().map(|p| format!("{} for {} s", relay_name(p.relay), p.duration.secs())).collect();
        println!("pulse: {}", text.join(", "));
    }
    Ok(())
}

fn parse(args: &Args) -> Result<PulseRequest> {
    let pulse = |relay, seconds: Option<f64>| -> Result<Option<Pulse>> {
        let Some(seconds) = seconds else { return Ok(None) };
        let duration = PulseDuration::from_secs(seconds).ok_or_else(|| {
            Failure::usage(format!(
                "invalid pulse of {seconds} s on {}: expected {} to {} s",
                relay_name(relay),
                PulseDuration::MIN_SECONDS,
                PulseDuration::MAX_SECONDS
            ))
        })?;
        Ok(Some(Pulse { relay, duration }))
    };
    // clap lets only one direction per axis through.
    let x = pulse(Relay::XPlus, args.x_plus)?.or(pulse(Relay::XMinus, args.x_minus)?);
    let y = pulse(Relay::YPlus, args.y_plus)?.or(pulse(Relay::YMinus, args.y_minus)?);
    Ok(PulseRequest { x, y })
}

/// The relay as the flags name it.
fn relay_name(relay: Relay) -> &'static str {
    match relay {
        Relay::XPlus => "x+",
        Relay::XMinus => "x-",
        Relay::YPlus => "y+",
        Relay::YMinus => "y-",
    }
}
