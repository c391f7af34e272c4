//! The `stx` command line: thin glue, one module per subcommand.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod analyze;
mod ao;
mod api;
mod cooler;
mod exit;
mod expose;
mod filter;
mod get_set;
mod guide;
mod history;
mod info;
mod options;
mod watch;

/// Command line for STX-API cameras and their images.
#[derive(Debug, Parser)]
#[command(name = "stx", version, about, after_long_help = exit::TABLE)]
struct Cli {
    #[command(flatten)]
    global: options::Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show the camera: model, versions, sensor, frame, cooler, filter wheel.
    Info(info::Args),
    /// Read a CCD's settings by their API names.
    Get(get_set::GetArgs),
    /// Change a CCD's settings, e.g. `stx set imager BinX=2 BinY=2`.
    Set(get_set::SetArgs),
    /// Take one imager frame and write it to a file, with progress.
    Expose(expose::Args),
    /// Show the filter wheel, move it (`stx filter 3`), or name filters
    /// (`stx filter names 1=Red`).
    Filter(filter::Args),
    /// Close guide relays for a time, e.g. `stx guide --x+ 0.5`.
    Guide(guide::Args),
    /// Move the adaptive-optics element to X Y (0 to 100, 50 centred).
    Ao(ao::Args),
    /// Show the cooler, regulate it (`--setpoint -20 [--wait]`), or turn it off.
    Cooler(cooler::Args),
    /// Print the camera's state every interval until Ctrl-C.
    Watch(watch::Args),
    /// List stxd's image history.
    History(history::Args),
    /// Measure FITS images and directories of them (Mean, Median, StDev, Min, Max,
    /// Stars, HFR, HFRStDev, elongation) and flag the frames that stand out.
    Analyze(analyze::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let global = &cli.global;
    let result = match &cli.command {
        Command::Info(args) => info::run(global, args),
        Command::Get(args) => get_set::run_get(global, args),
        Command::Set(args) => get_set::run_set(global, args),
        Command::Expose(args) => expose::run(global, args),
        Command::Filter(args) => filter::run(global, args),
        Command::Guide(args) => guide::run(global, args),
        Command::Ao(args) => ao::run(global, args),
        Command::Cooler(args) => cooler::run(global, args),
        Command::Watch(args) => watch::run(global, args),
        Command::History(args) => history::run(global, args),
        Command::Analyze(args) => analyze::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit::status_of(&e).code())
        }
    }
}
