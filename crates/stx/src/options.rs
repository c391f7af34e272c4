//! What the camera subcommands share: the global flags naming the camera and the
//! image-history API, the client built from them, and the `--json` switch.

use std::time::Duration;

use anyhow::Result;
use stx_client::{Client, ClientConfig};

/// Flags every subcommand takes, before or after its name.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Connection")]
pub(crate) struct Global {
    /// The camera's STX HTTP API, as http://HOST[:PORT] (a real STX camera or stxd).
    #[arg(long, global = true, value_name = "URL", default_value = "http://127.0.0.1:8080")]
    pub(crate) camera: String,
    /// stxd's image-history API (`stx history`), as http://HOST[:PORT].
    #[arg(long, global = true, value_name = "URL", default_value = "http://127.0.0.1:1888")]
    pub(crate) api: String,
    /// Least time between two commands to the camera; the camera's makers ask for at
    /// least 50 ms, as faster polling slows its web server down.
    #[arg(long, global = true, value_name = "MS", default_value_t = 50)]
    pub(crate) interval_ms: u64,
}

impl Global {
    /// A paced client of the camera.
    pub(crate) fn client(&self) -> Result<Client> {
        let config =
            ClientConfig { min_interval: Duration::from_millis(self.interval_ms), ..ClientConfig::default() };
        Ok(Client::with_config(&self.camera, config)?)
    }
}

/// How a subcommand prints its result.
#[derive(Debug, clap::Args)]
pub(crate) struct Output {
    /// Print JSON (one object, or one per line for `watch`) instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Prints one JSON value on one line.
pub(crate) fn print_json(value: &serde_json::Value) {
    println!("{value}");
}
