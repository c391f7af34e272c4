//! `stx analyze FILE.fits [--json]`: statistics, star count and HFR of a FITS image.

use std::path::PathBuf;

use anyhow::{Context, Result};
use stx_analysis::{Analysis, Frame, Options, analyze};
use stx_camera::fits::{self, Pixels};

/// Arguments of `stx analyze`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// A FITS file whose primary HDU is a 2-D image (BITPIX 8, 16, 32, -32 or -64).
    file: PathBuf,
    /// Print one JSON object with the keys Mean, Median, StDev, Min, Max, Stars,
    /// HFR, HFRStDev instead of a table.
    #[arg(long)]
    json: bool,
}

/// Runs `stx analyze`.
pub(crate) fn run(args: &Args) -> Result<()> {
    let path = args.file.display();
    let bytes = std::fs::read(&args.file).with_context(|| format!("cannot read {path}"))?;
    let image = fits::read(&bytes).with_context(|| format!("{path} is not a usable FITS image"))?;
    let options = Options { saturation: image.saturation, ..Options::default() };
    let context = || format!("cannot analyse {}", args.file.display());
    let analysis = match &image.pixels {
        Pixels::U16(p) => analyze(&Frame::new(p, image.width, image.height).with_context(context)?, &options),
        Pixels::F32(p) => analyze(&Frame::new(p, image.width, image.height).with_context(context)?, &options),
    };
    println!("{}", if args.json { to_json(&analysis) } else { to_table(&analysis) });
    Ok(())
}

/// The figures, in the order and under the names of the image history.
fn figures(a: &Analysis) -> [(&'static str, String); 8] {
    let s = &a.stats;
    [
        ("Mean", s.mean.to_string()),
        ("Median", s.median.to_string()),
        ("StDev", s.std_dev.to_string()),
        ("Min", s.min.to_string()),
        ("Max", s.max.to_string()),
        ("Stars", a.stars.len().to_string()),
        ("HFR", a.hfr.to_string()),
        ("HFRStDev", a.hfr_std_dev.to_string()),
    ]
}

/// One JSON object; every value is finite, so Rust's shortest round-trip
/// formatting is valid JSON.
fn to_json(a: &Analysis) -> String {
    let fields: Vec<String> = figures(a).iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
    format!("{{{}}}", fields.join(","))
}

fn to_table(a: &Analysis) -> String {
    let rows: Vec<String> = figures(a).iter().map(|(k, v)| format!("{k:<9} {v}")).collect();
    rows.join("\n")
}
