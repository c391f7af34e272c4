//! Writes a night of rendered frames for `scripts/analysis/batch_bench.py`: N full
//! 4096×4096 frames of the STX-16803 (2000 mm, f/10, the preset's sky, 300 s,
//! Red), each with its own noise, as stxd writes them (FITS, BITPIX 16, BZERO).
//! Every tenth frame has a defect, so that the flags have work: defocus, clouds,
//! a trail, in turn (made as in `tests/analyze_night.rs`).
//!
//! `cargo run --release -p stx --example render_night -- DIR [N]` (N: 100)
#![allow(missing_docs)]

#[path = "../tests/common/night.rs"]
mod night;

use std::path::PathBuf;

use night::{Defect, render_frame};
use stx_protocol::Subframe;

const EXPOSURE_S: f64 = 300.0;
const FULL_FRAME: Subframe = Subframe { start_x: 0, start_y: 0, num_x: 4096, num_y: 4096 };

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().expect("usage: render_night DIR [N]"));
    let n: u64 = args.next().map_or(100, |v| v.parse().expect("N is a number"));
    std::fs::create_dir_all(&dir).expect("the output directory");
    for number in 1..=n {
        let defect = match (number % 10 == 0).then_some(number / 10 % 3) {
            None => Defect::None,
            Some(0) => Defect::Defocus,
            Some(1) => Defect::Clouds,
            Some(_) => Defect::Trailing,
        };
        let path = dir.join(format!("night_{number:04}.fits"));
        std::fs::write(&path, render_frame(FULL_FRAME, EXPOSURE_S, number, defect)).expect("written");
        eprint!("\rrendered {number}/{n}");
    }
    eprintln!();
}
