//! `stx filter [N | names [N=NAME ...]]`: show the filter wheel, move it, name its filters.

use std::time::{Duration, Instant};

use anyhow::Result;
use serde_json::{Value, json};
use stx_client::Client;
use stx_protocol::{FilterName, FilterSlot, FilterWheelState, FilterWheelStatus};

use crate::exit::Failure;
use crate::options::{Global, Output, print_json};

/// How long a move may take before we give up: a real wheel needs a few seconds for
/// the longest way round, so this only catches a wheel that never stops.
const MOVE_TIMEOUT: Duration = Duration::from_secs(120);

/// Arguments of `stx filter`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Nothing: show the wheel. A slot 0 to 8: move there and wait until the wheel
    /// stops (0 is no filter). `names`: show the names, or set those given after it.
    #[arg(value_name = "N|names")]
    what: Option<String>,
    /// After `names`: new names as N=NAME (slot 1 to 8; up to 16 printable ASCII
    /// characters).
    #[arg(value_name = "N=NAME")]
    names: Vec<String>,
    #[command(flatten)]
    output: Output,
}

/// What `stx filter` was asked to do, read and checked.
#[derive(Debug, PartialEq)]
enum Request {
    Show,
    Move(FilterSlot),
    Rename(Vec<(FilterSlot, FilterName)>),
}

/// Runs `stx filter`.
pub(crate) fn run(global: &Global, args: &Args) -> Result<()> {
    let request = parse(args)?;
    let client = global.client()?;
    let wheel = match request {
        Request::Show => client.filter_wheel()?,
        Request::Move(slot) => {
            client.change_filter(slot)?;
            wait_until_still(&client)?
        }
        Request::Rename(names) => {
            client.set_filter_names(&names)?;
            client.filter_wheel()?
        }
    };
    if args.output.json {
        print_json(&wheel_json(&wheel));
    } else {
        println!("{}", wheel_table(&wheel));
    }
    Ok(())
}

fn parse(args: &Args) -> Result<Request> {
    match args.what.as_deref() {
        None => Ok(Request::Show),
        Some(w) if w.eq_ignore_ascii_case("names") => {
            let names = args.names.iter().map(|n| parse_name(n)).collect::<Result<Vec<_>>>()?;
            Ok(if names.is_empty() { Request::Show } else { Request::Rename(names) })
        }
        Some(n) => {
            if !args.names.is_empty() {
                return Err(Failure::usage("N=NAME arguments go after `names`: stx filter names 1=Red"));
            }
            let slot = parse_slot(n, 0).ok_or_else(|| {
                Failure::usage(format!(
                    "invalid filter slot '{n}': expected 0 to {}, or `names`",
                    FilterSlot::MAX
                ))
            })?;
            Ok(Request::Move(slot))
        }
    }
}

/// A slot number from `lowest` to 8.
fn parse_slot(text: &str, lowest: i64) -> Option<FilterSlot> {
    text.trim().parse::<i64>().ok().filter(|n| *n >= lowest).and_then(FilterSlot::new)
}

/// `N=NAME`, both checked as the camera would (it ignores bad names silently).
fn parse_name(text: &str) -> Result<(FilterSlot, FilterName)> {
    let (slot, name) = text
        .split_once('=')
        .ok_or_else(|| Failure::usage(format!("invalid filter name '{text}': expected N=NAME")))?;
    let slot = parse_slot(slot, 1).ok_or_else(|| {
        Failure::usage(format!("invalid filter name '{text}': the slot must be 1 to {}", FilterSlot::MAX))
    })?;
    let name = FilterName::new(name).ok_or_else(|| {
        Failure::usage(format!(
            "invalid filter name '{name}': at most {} printable ASCII characters",
            FilterName::MAX_LEN
        ))
    })?;
    Ok((slot, name))
}

/// Polls the wheel (at the client's pacing) until it stands still.
pub(crate) fn wait_until_still(client: &Client) -> Result<FilterWheelStatus> {
    let started = Instant::now();
    loop {
        let wheel = client.filter_wheel()?;
        match wheel.state {
            FilterWheelState::Idle => return Ok(wheel),
            FilterWheelState::Error => {
                return Err(Failure::operation("the filter wheel reports an error (FilterState 2)"));
            }
            FilterWheelState::Moving if started.elapsed() > MOVE_TIMEOUT => {
                return Err(Failure::operation(format!(
                    "the filter wheel is still moving after {} s",
                    MOVE_TIMEOUT.as_secs()
                )));
            }
            FilterWheelState::Moving => {}
        }
    }
}

/// The wheel's state as a word.
pub(crate) fn state_name(state: FilterWheelState) -> &'static str {
    match state {
        FilterWheelState::Idle => "idle",
        FilterWheelState::Moving => "moving",
        FilterWheelState::Error => "error",
    }
}

/// The wheel as a JSON object (also part of `stx info --json`).
pub(crate) fn wheel_json(wheel: &FilterWheelStatus) -> Value {
    json!({
        "state": state_name(wheel.state),
        "current": wheel.current.get(),
        "current_name": wheel.current_name(),
        "names": wheel.names.iter().map(FilterName::as_str).collect::<Vec<_>>(),
    })
}

/// One line: slot, name and state (also part of `stx info`).
pub(crate) fn wheel_summary(wheel: &FilterWheelStatus) -> String {
    match wheel.current.get() {
        0 => format!("slot 0, no filter ({})", state_name(wheel.state)),
        n => format!("slot {n}, {} ({})", wheel.current_name(), state_name(wheel.state)),
    }
}

fn wheel_table(wheel: &FilterWheelStatus) -> String {
    let mut lines = vec![format!("filter wheel: {}", wheel_summary(wheel))];
    let rows = std::iter::once("(no filter)").chain(wheel.names.iter().map(FilterName::as_str));
    for (slot, name) in rows.enumerate() {
        let mark = if slot == usize::from(wheel.current.get()) { '*' } else { ' ' };
        lines.push(format!("{mark} {slot}  {name}"));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(what: Option<&str>, names: &[&str], expect: &str) {
        let args = Args {
            what: what.map(str::to_owned),
            names: names.iter().map(|n| (*n).to_owned()).collect(),
            output: Output { json: false },
        };
        let got = match parse(&args) {
            Ok(r) => format!("{r:?}"),
            Err(e) => format!("error: {e}"),
        };
        assert_eq!(got, expect);
    }

    #[test]
    fn requests() {
        check(None, &[], "Show");
        check(Some("names"), &[], "Show");
        check(Some("3"), &[], "Move(FilterSlot(3))");
        check(Some("0"), &[], "Move(FilterSlot(0))");
        check(Some("9"), &[], "error: invalid filter slot '9': expected 0 to 8, or `names`");
        check(Some("red"), &[], "error: invalid filter slot 'red': expected 0 to 8, or `names`");
        check(Some("3"), &["1=Red"], "error: N=NAME arguments go after `names`: stx filter names 1=Red");
        check(
            Some("NAMES"),
            &["1=Red", "8=H alpha"],
            r#"Rename([(FilterSlot(1), FilterName("Red")), (FilterSlot(8), FilterName("H alpha"))])"#,
        );
        check(Some("names"), &["0=Red"], "error: invalid filter name '0=Red': the slot must be 1 to 8");
        check(Some("names"), &["Red"], "error: invalid filter name 'Red': expected N=NAME");
        check(
            Some("names"),
            &["2=a name far too long"],
            "error: invalid filter name 'a name far too long': at most 16 printable ASCII characters",
        );
    }
}
