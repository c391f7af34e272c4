//! Times full-frame renders of the default model's imager at bin 1 and bin 2, guided
//! (the image still) and unguided (drifting and trailing), and prints the star count.
//!
//! `cargo run --release -p stx-camera --example render_bench`

use std::time::Instant;

use stx_protocol::{Binning, Ccd, Subframe};
use stx_sim::preset::ModelPreset;
use stx_sim::render::scene::Scene;
use stx_sim::render::{RenderJob, render};

/// Focal length, mm: a 1.1 square-degree field on the 36.8 mm KAF-16803, which at the
/// preset's star density holds about 2000 stars.
const FOCAL_LENGTH_MM: f64 = 2000.0;
/// Aperture, mm (f/10).
const APERTURE_MM: f64 = 200.0;
/// Exposure, s.
const EXPOSURE_S: f64 = 300.0;
/// Renders timed per case; the median is printed.
const RUNS: usize = 5;

fn main() {
    let preset = ModelPreset::resolve("stx-16803").expect("built-in model");
    let sensor = preset.imager.clone();
    let frame = Subframe { start_x: 0, start_y: 0, num_x: sensor.width, num_y: sensor.height };
    // An unguided mount drifts 6" and wanders with its periodic error over 300 s.
    let trail: Vec<(f64, f64)> = (0..64)
        .map(|i| {
            let t = EXPOSURE_S * f64::from(i) / 63.0;
            let m = &preset.mount;
            let pe = m.periodic_error_arcsec * (std::f64::consts::TAU * t / m.periodic_period_s).sin();
            (m.drift_arcsec_per_s[0] * t + pe, m.drift_arcsec_per_s[1] * t)
        })
        .collect();
    println!("rayon threads: {}", rayon::current_num_threads());
    for (name, pointing) in [("guided", vec![(0.0, 0.0)]), ("unguided", trail)] {
        for bin in [1u16, 2] {
            let job = RenderJob {
                seed: 42,
                exposure_number: 1,
                ccd: Ccd::Imager,
                sensor: sensor.clone(),
                sky: preset.sky.clone(),
                focal_length_mm: FOCAL_LENGTH_MM,
                aperture_mm: APERTURE_MM,
                frame,
                binning: Binning { x: bin, y: bin },
                duration_s: EXPOSURE_S,
                shutter_open: true,
                filter: preset.filter_wheel.as_ref().map(|w| w.filters[0].clone()),
                ccd_temp_c: -20.0,
                pointing_arcsec: pointing.clone(),
            };
            let stars = Scene::new(&job).stars.len();
            let mut times: Vec<f64> = (0..RUNS)
                .map(|_| {
                    let start = Instant::now();
                    std::hint::black_box(render(&job));
                    start.elapsed().as_secs_f64()
                })
                .collect();
            times.sort_by(f64::total_cmp);
            println!(
                "{name:>8} bin {bin}: {}x{} px, {stars} stars, median {:.3} s (min {:.3} s)",
                frame.num_x / u32::from(bin),
                frame.num_y / u32::from(bin),
                times[RUNS / 2],
                times[0]
            );
        }
    }
}
