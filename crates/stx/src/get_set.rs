//! `stx get CCD [KEY ...]` and `stx set CCD KEY=VALUE ...`: a CCD's settings by their
//! API names. Names are checked against what that CCD's call knows before anything is
//! sent; value ranges are the camera's to judge (its error code is reported as is).

use anyhow::Result;
use serde_json::{Map, Value};
use stx_client::Client;
use stx_protocol::{Ccd, SET_ORDER, SettingChange, SettingKey, SettingsUpdate};

use crate::exit::Failure;
use crate::options::{Global, Output, print_json};

/// A CCD as named on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum CcdName {
    /// The main imaging CCD.
    Imager,
    /// The internal guide CCD.
    Guider,
    /// The external guide head.
    Extguider,
}

impl From<CcdName> for Ccd {
    fn from(name: CcdName) -> Ccd {
        match name {
            CcdName::Imager => Ccd::Imager,
            CcdName::Guider => Ccd::Guider,
            CcdName::Extguider => Ccd::ExtGuider,
        }
    }
}

/// Arguments of `stx get`.
#[derive(Debug, clap::Args)]
pub(crate) struct GetArgs {
    /// Which CCD.
    ccd: CcdName,
    /// Settings to read by their API names (any case), e.g. CCDTemperature BinX; none
    /// reads all of them.
    #[arg(value_name = "KEY")]
    keys: Vec<String>,
    #[command(flatten)]
    output: Output,
}

/// Arguments of `stx set`.
#[derive(Debug, clap::Args)]
pub(crate) struct SetArgs {
    /// Which CCD.
    ccd: CcdName,
    /// Changes as KEY=VALUE, e.g. BinX=2 BinY=2. The camera applies them in the spec's
    /// order and stops at the first bad value; the settings read back are printed.
    #[arg(value_name = "KEY=VALUE", required = true)]
    changes: Vec<String>,
    #[command(flatten)]
    output: Output,
}

/// Runs `stx get`.
pub(crate) fn run_get(global: &Global, args: &GetArgs) -> Result<()> {
    let ccd = Ccd::from(args.ccd);
    let keys = if args.keys.is_empty() {
        SettingKey::ALL.into_iter().filter(|k| k.readable_on(ccd)).collect()
    } else {
        args.keys.iter().map(|name| readable_key(name, ccd)).collect::<Result<Vec<_>>>()?
    };
    print_settings(&global.client()?, ccd, &keys, args.output.json)
}

/// Runs `stx set`.
pub(crate) fn run_set(global: &Global, args: &SetArgs) -> Result<()> {
    let ccd = Ccd::from(args.ccd);
    let update = parse_update(ccd, &args.changes)?;
    let client = global.client()?;
    client.set_settings(ccd, &update)?;
    let keys: Vec<SettingKey> = update.changes.iter().map(|c| c.key).collect();
    print_settings(&client, ccd, &keys, args.output.json)
}

/// Reads `keys` and prints them as `KEY VALUE` lines or one JSON object.
fn print_settings(client: &Client, ccd: Ccd, keys: &[SettingKey], json: bool) -> Result<()> {
    let values = client.get_settings(ccd, keys)?;
    if json {
        let object: Map<String, Value> =
            keys.iter().zip(&values).map(|(k, v)| (k.name().to_owned(), number_or_text(v))).collect();
        print_json(&Value::Object(object));
    } else {
        let width = keys.iter().map(|k| k.name().len()).max().unwrap_or(0);
        for (key, value) in keys.iter().zip(&values) {
            println!("{:<width$} {value}", key.name());
        }
    }
    Ok(())
}

/// The camera's values are decimal text; JSON gets them as numbers.
fn number_or_text(value: &str) -> Value {
    value.parse::<serde_json::Number>().map_or_else(|_| Value::String(value.to_owned()), Value::Number)
}

fn readable_key(name: &str, ccd: Ccd) -> Result<SettingKey> {
    SettingKey::for_get(name, ccd).ok_or_else(|| {
        let valid: Vec<&str> =
            SettingKey::ALL.iter().filter(|k| k.readable_on(ccd)).map(|k| k.name()).collect();
        Failure::usage(format!("unknown {ccd} setting '{name}'; valid: {}", valid.join(", ")))
    })
}

/// `KEY=VALUE` arguments as the set call's changes, in the order the camera applies
/// them, the last of a repeated key winning.
fn parse_update(ccd: Ccd, changes: &[String]) -> Result<SettingsUpdate> {
    let mut parsed: Vec<SettingChange> = Vec::new();
    for text in changes {
        let change = parse_change(ccd, text)?;
        parsed.retain(|c| c.key != change.key);
        parsed.push(change);
    }
    parsed.sort_by_key(|c| SET_ORDER.iter().position(|k| *k == c.key));
    Ok(SettingsUpdate { changes: parsed })
}

fn parse_change(ccd: Ccd, text: &str) -> Result<SettingChange> {
    let (name, value) = text.split_once('=').ok_or_else(|| {
        Failure::usage(format!("invalid setting '{text}': expected KEY=VALUE, e.g. BinX=2"))
    })?;
    let key = SettingKey::for_set(name.trim(), ccd).ok_or_else(|| {
        let valid: Vec<&str> = SET_ORDER.iter().filter(|k| k.writable_on(ccd)).map(|k| k.name()).collect();
        Failure::usage(format!("unknown or read-only {ccd} setting '{name}'; settable: {}", valid.join(", ")))
    })?;
    let number = stx_protocol::reply::parse_real(value).ok_or_else(|| {
        Failure::usage(format!("invalid value '{value}' for {}: expected a number", key.name()))
    })?;
    Ok(SettingChange { key, value: Some(number) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(ccd: Ccd, changes: &[&str], expect: &str) {
        let changes: Vec<String> = changes.iter().map(|c| (*c).to_owned()).collect();
        let got = match parse_update(ccd, &changes) {
            Ok(u) => u
                .changes
                .iter()
                .map(|c| format!("{}={:?}", c.key.name(), c.value))
                .collect::<Vec<_>>()
                .join(" "),
            Err(e) => format!("error: {e}"),
        };
        assert_eq!(got, expect);
    }

    #[test]
    fn set_arguments() {
        check(Ccd::Imager, &["NumX=100", "binx=2", "BinX=3"], "BinX=Some(3.0) NumX=Some(100.0)");
        check(
            Ccd::Imager,
            &["CoolerState=1", "CCDTemperatureSetpoint=-20.5"],
            "CoolerState=Some(1.0) CCDTemperatureSetpoint=Some(-20.5)",
        );
        check(
            Ccd::Guider,
            &["CoolerState=1"],
            "error: unknown or read-only guider setting 'CoolerState'; settable: BinX, BinY, StartX, StartY, NumX, NumY",
        );
        check(Ccd::Imager, &["BinX"], "error: invalid setting 'BinX': expected KEY=VALUE, e.g. BinX=2");
        check(Ccd::Imager, &["BinX=two"], "error: invalid value 'two' for BinX: expected a number");
        check(Ccd::Imager, &["BinX=inf"], "error: invalid value 'inf' for BinX: expected a number");
    }

    #[test]
    fn get_keys() {
        assert_eq!(readable_key("ccdtemperature", Ccd::Guider).unwrap(), SettingKey::CCDTemperature);
        let e = readable_key("CoolerPower", Ccd::ExtGuider).unwrap_err().to_string();
        assert!(
            e.starts_with("unknown external guider setting 'CoolerPower'; valid: BinX, BinY, CameraXSize"),
            "{e}"
        );
    }
}
