//! The `stx` command line: thin glue, one module per subcommand.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod analyze;
mod fits;

/// Command line for STX-API cameras and their images.
#[derive(Debug, Parser)]
#[command(name = "stx", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Measure a FITS image: Mean, Median, StDev, Min, Max, Stars, HFR, HFRStDev.
    Analyze(analyze::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Analyze(args) => analyze::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("stx: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
