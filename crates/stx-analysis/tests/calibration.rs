//! Bias and dark frames with hot pixels and cosmic rays: no star at all.

mod common;

use common::synth::{self, Psf, Scene};
use stx_analysis::{Frame, Options, analyze};

/// Renders a star-free scene and checks that nothing is detected.
fn check_no_stars(scene: &Scene, seed: u64) {
    let pixels = scene.render(seed);
    let frame = Frame::new(&pixels, scene.width, scene.height).unwrap();
    let a = analyze(&frame, &Options::default());
    assert!(a.stars.is_empty(), "seed {seed}: {} stars, first {:?}", a.stars.len(), a.stars.first());
    assert_eq!((a.hfr, a.hfr_std_dev, a.hfr_star_count), (0.0, 0.0, 0));
}

fn bias(seed: u64) -> Scene {
    let mut rng = synth::rng(seed);
    let mut scene = Scene::new(2048, 2048, Psf::Gaussian { sigma: 2.0 });
    scene.bias = 1000.0;
    scene.sky = 0.0;
    scene.read_noise = 10.0;
    scene.add_hot_pixels(&mut rng, 2000);
    scene.add_cosmic_rays(&mut rng, 500);
    scene
}

fn dark(seed: u64) -> Scene {
    let mut rng = synth::rng(seed);
    let mut scene = Scene::new(2048, 2048, Psf::Gaussian { sigma: 2.0 });
    scene.bias = 1000.0;
    scene.sky = 60.0; // dark current, e⁻
    scene.gradient = (0.02, 0.01); // amplifier glow
    scene.read_noise = 10.0;
    scene.add_hot_pixels(&mut rng, 4000);
    scene.add_cosmic_rays(&mut rng, 1000);
    scene
}

#[test]
fn bias_frames_have_no_stars() {
    for seed in [1, 2, 3] {
        check_no_stars(&bias(seed), seed + 100);
    }
}

#[test]
fn dark_frames_have_no_stars() {
    for seed in [1, 2, 3] {
        check_no_stars(&dark(seed), seed + 200);
    }
}

#[test]
fn sky_frames_have_no_stars() {
    for seed in [1, 2, 3] {
        let mut rng = synth::rng(seed);
        let mut scene = Scene::new(2048, 2048, Psf::Gaussian { sigma: 2.0 });
        scene.gradient = (0.15, -0.1);
        scene.add_hot_pixels(&mut rng, 600);
        scene.add_cosmic_rays(&mut rng, 240);
        check_no_stars(&scene, seed + 300);
    }
}
