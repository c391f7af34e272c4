//! `stx expose`: bin, filter, expose, read out and download one imager frame, with a
//! progress bar through each phase (drawn only on a terminal).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use stx_client::{Client, Download};
use stx_protocol::{
    Ccd, CcdState, ExposureDuration, ExposureRequest, FilterSlot, FrameType, ObsDateTime, SettingChange,
    SettingKey, SettingsUpdate,
};

use crate::exit::Failure;
use crate::filter::wait_until_still;
use crate::options::{Global, Output, print_json};

/// Arguments of `stx expose`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Exposure time in seconds (0.01 to 86400).
    #[arg(long, value_name = "SECONDS")]
    duration: f64,
    /// What the frame is for; dark and bias keep the shutter closed.
    #[arg(long = "type", value_enum, default_value_t = Kind::Light)]
    kind: Kind,
    /// Binning on both axes, set as BinX and BinY before the exposure (the camera
    /// checks it against MaxBin).
    #[arg(long, value_name = "N")]
    bin: Option<u16>,
    /// Filter slot to move to first (0 to 8); the exposure starts once the wheel stops.
    #[arg(long, value_name = "N")]
    filter: Option<i64>,
    /// Where to write the frame: *.fits, *.fit or *.fts get the camera's FITS file,
    /// *.bin its raw little-endian 16-bit pixels.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    file: PathBuf,
    #[command(flatten)]
    output: Output,
}

/// A frame type as named on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Kind {
    /// Shutter open.
    Light,
    /// Shutter closed.
    Dark,
    /// Shutter closed, shortest read.
    Bias,
    /// Shutter open on an evenly lit field.
    Flat,
}

impl Kind {
    fn frame_type(self) -> FrameType {
        match self {
            Kind::Light => FrameType::Light,
            Kind::Dark => FrameType::Dark,
            Kind::Bias => FrameType::Bias,
            Kind::Flat => FrameType::Flat,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Light => "light",
            Kind::Dark => "dark",
            Kind::Bias => "bias",
            Kind::Flat => "flat",
        }
    }
}

/// The arguments read and checked, before anything is sent.
#[derive(Debug)]
struct Plan {
    request: ExposureRequest,
    bin: Option<u16>,
    filter: Option<FilterSlot>,
    download: Download,
}

fn plan(args: &Args) -> Result<Plan> {
    let duration = ExposureDuration::from_secs(args.duration).ok_or_else(|| {
        Failure::usage(format!(
            "invalid duration {} s: expected {} to {} s",
            args.duration,
            ExposureDuration::MIN_SECONDS,
            ExposureDuration::MAX_SECONDS
        ))
    })?;
    let filter = args
        .filter
        .map(|n| {
            FilterSlot::new(n).ok_or_else(|| {
                Failure::usage(format!("invalid filter slot {n}: expected 0 to {}", FilterSlot::MAX))
            })
        })
        .transpose()?;
    let download = download_kind(&args.file)?;
    // The camera writes DATE-OBS from what we send; the spec's form has dots between
    // the time fields. Our own format always parses.
    let date_time = ObsDateTime::parse(&chrono::Utc::now().format("%Y-%m-%dT%H.%M.%S%.3f").to_string());
    let request = ExposureRequest { duration, frame_type: args.kind.frame_type(), date_time };
    Ok(Plan { request, bin: args.bin, filter, download })
}

/// Which download the file's extension asks for.
fn download_kind(path: &Path) -> Result<Download> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "fits" | "fit" | "fts" => Ok(Download::Fits),
        "bin" => Ok(Download::Bin),
        _ => Err(Failure::usage(format!(
            "cannot tell the format of '{}': name it *.fits (FITS) or *.bin (raw pixels)",
            path.display()
        ))),
    }
}

/// Runs `stx expose`.
pub(crate) fn run(global: &Global, args: &Args) -> Result<()> {
    let plan = plan(args)?;
    let client = global.client()?;
    if let Some(bin) = plan.bin {
        let change = |key| SettingChange { key, value: Some(f64::from(bin)) };
        let update = SettingsUpdate { changes: vec![change(SettingKey::BinX), change(SettingKey::BinY)] };
        client.set_settings(Ccd::Imager, &update)?;
    }
    let filter = match plan.filter {
        Some(slot) => {
            client.change_filter(slot)?;
            Some(wait_until_still(&client)?)
        }
        None => None,
    };
    let settings = client.settings(Ccd::Imager)?;
    let (width, height) = settings.frame.binned_size(settings.binning);

    client.start_exposure(Ccd::Imager, &plan.request)?;
    let bar = ProgressBar::new(STEPS).with_style(style("{msg} [{wide_bar}]"));
    wait_for_frame(&client, &bar, plan.request.duration.secs())?;
    bar.set_style(style("downloading [{wide_bar}] {bytes}/{total_bytes}"));
    let bytes = client.download_to(Ccd::Imager, plan.download, &args.file, &mut |got, total| {
        if let Some(total) = total {
            bar.set_length(total);
        }
        bar.set_position(got);
    })?;
    bar.finish_and_clear();

    let file = args.file.display().to_string();
    if args.output.json {
        print_json(&json!({
            "file": file,
            "bytes": bytes,
            "duration": plan.request.duration.secs(),
            "type": args.kind.name(),
            "width": width,
            "height": height,
            "bin": settings.binning.x,
            "filter": filter.map(|w| w.current.get()),
        }));
    } else {
        let filter =
            filter.map_or_else(String::new, |w| format!(", filter {}", crate::filter::wheel_summary(&w)));
        println!(
            "wrote {file}: {} {} s, {width}x{height} at bin {}{filter}, {bytes} bytes",
            args.kind.name(),
            plan.request.duration.secs(),
            settings.binning.x,
        );
    }
    Ok(())
}

/// Resolution of the exposure's progress bar.
const STEPS: u64 = 1000;

/// Polls the imager (at the client's pacing) until its frame is ready.
fn wait_for_frame(client: &Client, bar: &ProgressBar, duration_s: f64) -> Result<()> {
    let started = Instant::now();
    let mut reading_out = false;
    loop {
        match client.state(Ccd::Imager)? {
            CcdState::Exposing => {
                // Our own clock: the camera reports no elapsed time.
                let elapsed = started.elapsed().as_secs_f64().min(duration_s);
                bar.set_position((elapsed / duration_s * STEPS as f64) as u64);
                bar.set_message(format!("exposing {elapsed:.1}/{duration_s} s"));
            }
            CcdState::ReadingOut if !reading_out => {
                reading_out = true;
                bar.set_style(style("{spinner} {msg}"));
                bar.set_message("reading out");
                bar.enable_steady_tick(Duration::from_millis(100));
            }
            CcdState::ReadingOut => {}
            CcdState::Idle => break,
            CcdState::Error => {
                bar.abandon();
                return Err(Failure::operation("the exposure ended in error (imager state 5)"));
            }
        }
    }
    bar.disable_steady_tick();
    if !client.image_ready(Ccd::Imager)? {
        return Err(Failure::operation("the exposure ended without an image (aborted by another client?)"));
    }
    Ok(())
}

fn style(template: &str) -> ProgressStyle {
    // The templates are ours and valid; a bad one would only cost the bar its look.
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_extension() {
        assert_eq!(download_kind(Path::new("m27.fits")).unwrap(), Download::Fits);
        assert_eq!(download_kind(Path::new("dir/M27.FIT")).unwrap(), Download::Fits);
        assert_eq!(download_kind(Path::new("m27.bin")).unwrap(), Download::Bin);
        let e = download_kind(Path::new("m27.png")).unwrap_err().to_string();
        assert_eq!(e, "cannot tell the format of 'm27.png': name it *.fits (FITS) or *.bin (raw pixels)");
    }
}
