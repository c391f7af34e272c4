//! Star shapes against rendered truth: the frame elongation of round, elliptical
//! and trailed stars, and the direction of the trail.
//!
//! Dividing out the measuring window is exact for Gaussian stars (round or
//! elliptical: within 1 %); a trail has no Gaussian tails, and a 10-px one reads
//! 7 % long (see `shape.rs`), which still orders frames by how trailed they are.
//!
//! Each case renders a 1024×1024 frame of stars on a jittered 64-px grid (about
//! 200), SNR 20 to 100× the SNR-20 flux, on the accuracy tests' sky, noise, hot
//! pixels and cosmic rays; the truth is the elongation of the noiseless
//! pixel-integrated star's second moments.

mod common;

use common::synth::{self, Psf, Scene};
use stx_analysis::{Frame, Options, analyze};

/// Renders a frame of `psf` stars and checks the frame elongation within
/// `tolerance` (relative) of the truth and, for elongated stars, the major axis
/// within 2° of `angle` (radians from +x).
fn check(psf: Psf, seed: u64, tolerance: f64, angle: f64) {
    let mut rng = synth::rng(seed);
    let mut scene = Scene::new(1024, 1024, psf);
    scene.gradient = (0.1, -0.05);
    let f20 = scene.flux_for_snr(20.0);
    scene.add_star_grid(&mut rng, 64.0, 40.0, f20, 100.0 * f20);
    scene.add_hot_pixels(&mut rng, 150);
    scene.add_cosmic_rays(&mut rng, 60);
    let pixels = scene.render(seed + 1);
    let analysis = analyze(&Frame::new(&pixels, scene.width, scene.height).unwrap(), &Options::default());
    let (_, truth) = psf.true_shape(500.3, 500.6);
    let shape = analysis.shape.expect("a frame of stars has a shape");
    let got = analysis.elongation();
    println!(
        "{psf:?}: elongation {got:.4}, truth {truth:.4} ({:+.2} %), angle {:.2}°, {} stars",
        100.0 * (got / truth - 1.0),
        shape.angle().to_degrees(),
        analysis.hfr_star_count
    );
    assert!(analysis.hfr_star_count >= 120, "{}", analysis.hfr_star_count);
    assert!((got / truth - 1.0).abs() <= tolerance, "elongation {got} vs truth {truth}");
    if truth > 1.1 {
        let off = (shape.angle() - angle).rem_euclid(std::f64::consts::PI);
        let off = off.min(std::f64::consts::PI - off);
        assert!(off.to_degrees() <= 2.0, "major axis at {:.2}°", shape.angle().to_degrees());
    }
}

#[test]
fn round_stars_are_round() {
    check(Psf::Gaussian { sigma: 1.5 }, 40, 0.01, 0.0);
    check(Psf::Moffat { sigma: 2.0, beta: 4.765 }, 41, 0.01, 0.0);
}

#[test]
fn elliptical_stars() {
    check(Psf::Elliptical { sigma_x: 2.4, sigma_y: 1.6 }, 42, 0.01, 0.0);
    check(Psf::Elliptical { sigma_x: 1.5, sigma_y: 2.0 }, 43, 0.01, std::f64::consts::FRAC_PI_2);
}

#[test]
fn trailed_stars() {
    let angle = 30f64.to_radians();
    check(Psf::Trailed { sigma: 1.5, length: 4.0, angle }, 44, 0.02, angle);
    check(Psf::Trailed { sigma: 1.5, length: 10.0, angle }, 45, 0.1, angle);
}
