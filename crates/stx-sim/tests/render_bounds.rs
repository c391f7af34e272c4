//! Whatever a client sets, a frame's render does bounded work in bounded memory: the
//! extremes of FL, aperture, exposure, binning and mount motion give a scene with a
//! bounded number of stars, motion points and PSF size (what the frame can show), and
//! the worst of them renders.

use stx_protocol::{Binning, Ccd, Subframe};
use stx_sim::preset::ModelPreset;
use stx_sim::render::scene::Scene;
use stx_sim::render::{RenderJob, motion, render};

/// Star draws (stars × motion points) any frame may cost: the renderer's budget, with
/// room for the Poisson scatter of the star count.
const DRAW_BUDGET: usize = 17_000_000;

/// A full-frame light frame of the STX-16803 with `focal_length_mm`, `aperture_mm`,
/// `duration_s` and a straight pointing path `path_arcsec` long.
fn job(focal_length_mm: f64, aperture_mm: f64, duration_s: f64, path_arcsec: f64, bin: u16) -> RenderJob {
    let preset = ModelPreset::resolve("stx-16803").expect("built-in model");
    let sensor = preset.imager.clone();
    RenderJob {
        seed: 3,
        exposure_number: 1,
        ccd: Ccd::Imager,
        frame: Subframe { start_x: 0, start_y: 0, num_x: sensor.width, num_y: sensor.height },
        sensor,
        sky: preset.sky.clone(),
        focal_length_mm,
        aperture_mm,
        binning: Binning { x: bin, y: bin },
        duration_s,
        shutter_open: true,
        filter: None,
        ccd_temp_c: -20.0,
        pointing_arcsec: (0..64).map(|k| (f64::from(k) / 63.0 * path_arcsec, 0.0)).collect(),
    }
}

fn check_bounded(job: &RenderJob) {
    let scene = Scene::new(job);
    let pixels = f64::from(job.frame.num_x) * f64::from(job.frame.num_y);
    assert!(scene.motion.len() <= motion::MAX_POINTS + job.pointing_arcsec.len(), "{}", scene.motion.len());
    assert!(scene.stars.len() as f64 <= pixels / 64.0 * 1.05 + 10.0, "{} stars", scene.stars.len());
    assert!(
        scene.stars.len() * scene.motion.len() <= DRAW_BUDGET,
        "{} draws",
        scene.stars.len() * scene.motion.len()
    );
    assert!(scene.psf.radius() <= 128, "{}", scene.psf.radius());
}

#[test]
fn every_extreme_gives_a_bounded_scene() {
    let day = 86_400.0;
    for fl in [-1e300, -5.0, 0.0, 1e-300, 1.0, 50.0, 2000.0, 1e9, 1e300] {
        for aperture in [-1e300, 0.0, 1.0, 200.0, 1e300] {
            for (duration, path) in [(0.01, 0.0), (day, 0.0), (day, 648_000.0)] {
                for bin in [1, 9] {
                    check_bounded(&job(fl, aperture, duration, path, bin));
                }
            }
        }
    }
}

#[test]
fn the_widest_brightest_longest_frame_renders() {
    // FL=1 (the whole sky on the sensor), the largest aperture, a day's exposure.
    let image = render(&job(1.0, 1e300, 86_400.0, 0.0, 1));
    assert_eq!(image.len(), 4096 * 4096);
}

#[test]
fn a_preset_cannot_ask_for_unbounded_work() {
    let text = include_str!("../presets/stx-16803.toml");
    let ok = ModelPreset::parse(text, "stx-16803");
    assert!(ok.is_ok(), "{ok:?}");
    for (from, to) in [
        ("width = 4096", "width = 1000000"),
        ("stars_per_sq_deg = 2000.0", "stars_per_sq_deg = 1e12"),
        ("moffat_beta = ", "moffat_beta = 0.5 #"),
        ("hot_pixel_fraction = ", "hot_pixel_fraction = 1.0 #"),
    ] {
        assert!(text.contains(from), "{from}");
        let err = ModelPreset::parse(&text.replacen(from, to, 1), "bad").unwrap_err().to_string();
        assert!(err.contains("must be within"), "{to}: {err}");
    }
}
