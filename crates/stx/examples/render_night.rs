//! Writes a night of rendered frames for `scripts/analysis/batch_bench.py`: N full
//! 4096×4096 frames of the STX-16803 (2000 mm, f/10, the preset's sky, 300 s,
//! Red), each with its own noise, as stxd writes them (FITS, BITPIX 16, BZERO).
//! Every tenth frame has a defect, so that the flags have work: defocus, clouds,
//! a trail, in turn.
//!
//! `cargo run --release -p stx --example render_night -- DIR [N]` (N: 100)
#![allow(missing_docs)]

use std::path::PathBuf;

use stx_camera::fits;
use stx_camera::preset::ModelPreset;
use stx_camera::render::{RenderJob, render};
use stx_camera::{Frame, FrameMeta};
use stx_protocol::{Binning, Ccd, FitsSettings, FrameType, ObsDateTime, Subframe};

const EXPOSURE_S: f64 = 300.0;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().expect("usage: render_night DIR [N]"));
    let n: u64 = args.next().map_or(100, |v| v.parse().expect("N is a number"));
    std::fs::create_dir_all(&dir).expect("the output directory");
    let preset = ModelPreset::resolve("stx-16803").expect("built-in model");
    let sensor = preset.imager.clone();
    for number in 1..=n {
        let mut sky = preset.sky.clone();
        let mut pointing = vec![(0.0, 0.0)];
        match (number % 10 == 0).then_some(number / 10 % 3) {
            Some(0) => sky.seeing_fwhm_arcsec *= 2.5,
            Some(1) => {
                sky.photons_mag0_per_s_cm2 *= 10f64.powf(-0.4 * 3.0);
                sky.sky_mag_per_arcsec2 -= 4.0;
            }
            Some(_) => pointing = (0..32).map(|i| (6.0 * f64::from(i) / 31.0, 0.0)).collect(),
            None => {}
        }
        let job = RenderJob {
            seed: 42,
            exposure_number: number,
            ccd: Ccd::Imager,
            sensor: sensor.clone(),
            sky,
            focal_length_mm: 2000.0,
            aperture_mm: 200.0,
            frame: Subframe { start_x: 0, start_y: 0, num_x: sensor.width, num_y: sensor.height },
            binning: Binning { x: 1, y: 1 },
            duration_s: EXPOSURE_S,
            shutter_open: true,
            filter: None,
            ccd_temp_c: -20.0,
            pointing_arcsec: pointing,
        };
        let start = 22 * 3600 + 330 * number;
        let date =
            format!("2026-11-21T{:02}.{:02}.{:02}.000", start / 3600 % 24, start / 60 % 60, start % 60);
        let meta = FrameMeta {
            ccd: Ccd::Imager,
            frame_type: FrameType::Light,
            duration_s: EXPOSURE_S,
            date_obs: ObsDateTime::parse(&date).expect("a valid date"),
            binning: Binning { x: 1, y: 1 },
            origin: (0, 0),
            pixel_size_um: (9.0, 9.0),
            ccd_temp_c: -19.9,
            setpoint_c: Some(-20.0),
            electrons_per_adu: sensor.gain_e_per_adu,
            filter: Some("Red".to_owned()),
            instrument: "SBIG STX-16803".to_owned(),
        };
        let frame = Frame::new(sensor.width, sensor.height, render(&job), meta).expect("a full frame");
        let path = dir.join(format!("night_{number:04}.fits"));
        std::fs::write(&path, fits::encode(&frame, &FitsSettings::default())).expect("written");
        eprint!("\rrendered {number}/{n}");
    }
    eprintln!();
}
