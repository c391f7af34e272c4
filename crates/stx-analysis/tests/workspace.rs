//! A workspace kept from frame to frame changes nothing: every frame of a batch
//! analysed in one [`Workspace`] (frames of different sizes, a statistics-only
//! frame between them) gives exactly what a fresh analysis gives.

mod common;

use common::synth::{self, Psf, Scene};
use stx_analysis::{Frame, Options, Workspace, analyze, analyze_in};

/// A rendered frame of `size`² with stars, hot pixels and cosmic rays.
fn frame(size: usize, seed: u64) -> Vec<u16> {
    let mut rng = synth::rng(seed);
    let mut scene = Scene::new(size, size, Psf::Gaussian { sigma: 1.8 });
    scene.gradient = (0.05, -0.03);
    let f20 = scene.flux_for_snr(20.0);
    scene.add_star_grid(&mut rng, 48.0, 24.0, f20, 100.0 * f20);
    scene.add_hot_pixels(&mut rng, size / 8);
    scene.add_cosmic_rays(&mut rng, size / 20);
    scene.render(seed + 1)
}

#[test]
fn a_kept_workspace_gives_what_a_fresh_analysis_gives() {
    let frames = [(512, 1), (1024, 2), (256, 3), (512, 4)];
    let mut workspace = Workspace::new();
    for (i, &(size, seed)) in frames.iter().enumerate() {
        let pixels = frame(size, seed);
        let frame = Frame::new(&pixels, size, size).unwrap();
        // The 256² frame statistics only: it leaves the workspace as it was.
        let options = Options { detect_stars: i != 2, ..Options::default() };
        let kept = analyze_in(&frame, &options, &mut workspace);
        let fresh = analyze(&frame, &options);
        assert_eq!(kept, fresh, "frame {i} ({size}²)");
        if options.detect_stars {
            assert!(kept.stars.len() > size * size / 48 / 48 / 2, "frame {i}: {} stars", kept.stars.len());
        }
    }
}
