//! `stx analyze FILE|DIR…`: every frame measured as stxd measures it, in a table
//! sorted as asked, with the frames that stand out from their group flagged, and
//! optionally moved aside. One file alone is listed figure by figure.
//!
//! The steps, each in its own module: `discover` (which files), `measure` (read and
//! measure, a frame per core), `header` (what the FITS header says), `flags` (which
//! frames stand out), `report` (table, JSON, CSV), `reject` (moving them aside).

mod discover;
mod file_bytes;
mod flags;
mod header;
mod measure;
mod reject;
mod report;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::exit::{Failure, Status};
use flags::{Flag, Rule};
use measure::Measured;
use report::Row;

/// Arguments of `stx analyze`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
Exit codes: 0 when every file was measured (flagged frames included); 1 when some
could not be read or moved (the others are still measured and printed), the one
FILE given could not be, or no file was found; 2 for bad usage.")]
pub(crate) struct Args {
    /// FITS files (primary HDU a 2-D image, BITPIX 8, 16, 32, -32 or -64) and
    /// directories, searched recursively.
    #[arg(required = true, value_name = "FILE|DIR")]
    paths: Vec<PathBuf>,
    /// Which files to take from directories, by name (`*` and `?`, any case);
    /// default: *.fits, *.fit, *.fts and their compressed forms (reported unreadable).
    #[arg(long, value_name = "PATTERN")]
    glob: Option<String>,
    /// Order of the rows, best first: hfr (lowest first), stars (most first),
    /// median (darkest first), time, name.
    #[arg(long, value_enum, default_value_t = SortKey::Time)]
    sort: SortKey,
    /// Print one JSON object per frame, one per line, with the image history's
    /// keys (Filename, Date, ImageType, Filter, ExposureTime, Temperature, Mean,
    /// Median, StDev, Min, Max, Stars, HFR, HFRStDev) and Elongation,
    /// SaturatedStars, ColumnExcess, Flags.
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Print CSV with the same fields as --json.
    #[arg(long)]
    csv: bool,
    /// Flag a figure beyond K robust σ (1.4826 × MAD) of its group's median.
    #[arg(long, value_name = "K", default_value_t = flags::DEFAULT_NSIGMA)]
    nsigma: f64,
    /// Floor of a figure's spread, e.g. `--min-spread hfr=0.08` (fractions of the
    /// median for HFR, SKY, STARS; units for ELONG, SAT, COLUMN); repeatable.
    #[arg(long, value_name = "FLAG=VALUE", value_parser = parse_floor)]
    min_spread: Vec<(Flag, f64)>,
    /// Move the flagged frames into DIR (created if needed; never overwriting,
    /// never deleting).
    #[arg(long, value_name = "DIR", conflicts_with = "list_rejects")]
    reject: Option<PathBuf>,
    /// Print only the paths of the flagged frames, one per line.
    #[arg(long)]
    list_rejects: bool,
}

/// The orders `--sort` offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum SortKey {
    Hfr,
    Stars,
    Median,
    Time,
    Name,
}

fn parse_floor(text: &str) -> Result<(Flag, f64), String> {
    let (name, value) = text.split_once('=').ok_or("expected FLAG=VALUE, e.g. hfr=0.08")?;
    let flag = Flag::from_name(name.trim()).ok_or_else(|| {
        let names: Vec<&str> = Flag::ALL.iter().map(|f| f.name()).collect();
        format!("unknown flag {name}; one of {}", names.join(", "))
    })?;
    let value: f64 = value.trim().parse().map_err(|_| format!("{value} is not a number"))?;
    if !(value.is_finite() && value >= 0.0) {
        return Err(format!("{value}: a floor is a number ≥ 0"));
    }
    Ok((flag, value))
}

/// Runs `stx analyze`.
pub(crate) fn run(args: &Args) -> Result<()> {
    if !(args.nsigma.is_finite() && args.nsigma > 0.0) {
        return Err(Failure::usage(format!("--nsigma {}: must be a number > 0", args.nsigma)));
    }
    let single = args.paths.len() == 1 && !args.paths[0].is_dir();
    let files = discover::discover(&args.paths, args.glob.as_deref(), args.reject.as_deref())?;
    if files.is_empty() {
        return Err(Failure::error(Status::Failed, "no files to measure (--glob chooses which are taken)"));
    }
    let progress = progress_bar(files.len() as u64);
    let (mut frames, skipped) = measure::measure_all(&files, &progress, |s| {
        if !single {
            progress.suspend(|| eprintln!("skipped: {}", s.reason));
        }
    });
    progress.finish_and_clear();
    if single && let Some(s) = skipped.first() {
        return Err(Failure::error(Status::Failed, s.reason.clone()));
    }
    sort(&mut frames, args.sort);
    let rule = Rule::new(args.nsigma, &args.min_spread);
    let (flags, groups) = flags::judge(&frames, &rule);
    let rows: Vec<Row<'_>> = frames.iter().zip(&flags).map(|(frame, flags)| Row { frame, flags }).collect();
    let flagged: Vec<&Measured> = rows.iter().filter(|r| !r.flags.is_empty()).map(|r| r.frame).collect();
    if args.list_rejects {
        flagged.iter().for_each(|m| println!("{}", m.path.display()));
    } else if args.json {
        print!("{}", report::json_lines(&rows));
    } else if args.csv {
        print!("{}", report::csv(&rows));
    } else if single {
        print!("{}", report::listing(rows[0]));
    } else if !rows.is_empty() {
        print!("{}", report::table(&rows));
        println!("\n{}", rule.describe());
        groups.iter().for_each(|g| println!("  {g}"));
        println!("{} frames measured, {} flagged, {} unreadable", frames.len(), flagged.len(), skipped.len());
    }
    let not_moved = args.reject.as_deref().map_or(0, |dir| move_rejects(&flagged, dir));
    let mut failures = Vec::new();
    if !skipped.is_empty() {
        failures.push(format!("{} of {} files could not be read", skipped.len(), files.len()));
    }
    if not_moved > 0 {
        failures.push(format!("{not_moved} flagged frames could not be moved"));
    }
    if failures.is_empty() { Ok(()) } else { Err(Failure::error(Status::Failed, failures.join("; "))) }
}

/// Moves the flagged frames into `dir`, saying so on stderr; returns how many
/// could not be moved.
fn move_rejects(flagged: &[&Measured], dir: &Path) -> usize {
    let mut not_moved = 0;
    for m in flagged {
        match reject::move_into(&m.path, dir) {
            Ok(to) => eprintln!("moved {} to {}", m.path.display(), to.display()),
            Err(e) => {
                not_moved += 1;
                eprintln!("not moved: {}: {e}", m.path.display());
            }
        }
    }
    not_moved
}

/// A bar with frames/s and time left, on a terminal only: piped, nothing.
fn progress_bar(frames: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(frames), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{wide_bar} {pos}/{len} frames, {per_sec}, {eta} left")
            .expect("a valid template"),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

fn sort(frames: &mut [Measured], key: SortKey) {
    let by_name = |a: &Measured, b: &Measured| a.path.cmp(&b.path);
    // Missing figures sort last.
    let number = |v: Option<f64>| v.unwrap_or(f64::INFINITY);
    frames.sort_by(|a, b| {
        let (fa, fb) = (&a.figures, &b.figures);
        match key {
            SortKey::Hfr => {
                number(fa.hfr.filter(|h| *h > 0.0)).total_cmp(&number(fb.hfr.filter(|h| *h > 0.0)))
            }
            SortKey::Stars => fb.stars.cmp(&fa.stars),
            SortKey::Median => fa.median.total_cmp(&fb.median),
            SortKey::Time => (a.info.date.is_none(), a.info.date).cmp(&(b.info.date.is_none(), b.info.date)),
            SortKey::Name => std::cmp::Ordering::Equal,
        }
        .then_with(|| by_name(a, b))
    });
}
