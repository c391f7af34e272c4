//! Flags (saturated, edge-cut, blended), pixel types and degenerate frames.

mod common;

use common::synth::{self, Psf, Scene, TrueStar};
use stx_analysis::{Analysis, ErrorKind, Frame, Options, Star, StarQuality, analyze};

/// A 512×512 frame of 36 clean stars on a grid plus the given extra stars.
fn scene_with(extra: &[TrueStar]) -> Scene {
    let mut rng = synth::rng(7);
    let mut scene = Scene::new(512, 512, Psf::Gaussian { sigma: 1.5 });
    scene.add_star_grid(&mut rng, 80.0, 56.0, 20_000.0, 60_000.0);
    scene.stars.extend_from_slice(extra);
    scene
}

fn analyze_scene(scene: &Scene) -> Analysis {
    let pixels = scene.render(8);
    analyze(&Frame::new(&pixels, scene.width, scene.height).unwrap(), &Options::default())
}

/// The measured star nearest to (x, y), within 2 px.
fn star_at(a: &Analysis, x: f64, y: f64) -> Star {
    *a.stars
        .iter()
        .filter(|s| (s.x - x).hypot(s.y - y) < 2.0)
        .min_by(|p, q| (p.x - x).hypot(p.y - y).total_cmp(&(q.x - x).hypot(q.y - y)))
        .unwrap_or_else(|| panic!("no star at ({x}, {y})"))
}

/// Checks that each extra star is found with the given quality and that only
/// good stars make up the frame HFR.
fn check_flags(extra: &[(TrueStar, StarQuality)]) {
    let stars: Vec<TrueStar> = extra.iter().map(|e| e.0).collect();
    let scene = scene_with(&stars);
    let a = analyze_scene(&scene);
    for (t, quality) in extra {
        assert_eq!(star_at(&a, t.x, t.y).quality, *quality, "star at ({}, {})", t.x, t.y);
    }
    let good = a.stars.iter().filter(|s| s.quality == StarQuality::Good).count();
    assert_eq!(a.stars.len(), scene.stars.len(), "{:?}", a.stars);
    assert_eq!(a.hfr_star_count, good);
    let truth = scene.psf.true_hfr(100.3, 100.7);
    // 36 stars: the accuracy of the mean is checked in `accuracy.rs`; here only
    // that the flagged stars stay out of it.
    assert!((a.hfr / truth - 1.0).abs() < 0.02, "HFR {} vs {truth}", a.hfr);
}

#[test]
fn saturated_star_is_counted_but_not_measured() {
    check_flags(&[(TrueStar { x: 250.3, y: 251.6, flux: 3.0e6 }, StarQuality::Saturated)]);
}

#[test]
fn star_cut_by_the_edge() {
    check_flags(&[(TrueStar { x: 3.2, y: 300.4, flux: 40_000.0 }, StarQuality::Edge)]);
}

#[test]
fn blended_pair() {
    check_flags(&[
        (TrueStar { x: 255.0, y: 140.0, flux: 40_000.0 }, StarQuality::Blended),
        (TrueStar { x: 261.0, y: 143.0, flux: 30_000.0 }, StarQuality::Blended),
    ]);
}

#[test]
fn u16_and_f32_frames_agree() {
    let scene = scene_with(&[]);
    let pixels = scene.render(8);
    let floats: Vec<f32> = pixels.iter().map(|&p| f32::from(p)).collect();
    let options = Options::default();
    let a = analyze(&Frame::new(&pixels, 512, 512).unwrap(), &options);
    let b =
        analyze(&Frame::new(&floats, 512, 512).unwrap(), &Options { saturation: Some(65535.0), ..options });
    // The f32 path sums in f64 rather than exactly: statistics agree to rounding.
    assert!((a.stats.mean - b.stats.mean).abs() < 1e-9 && (a.stats.std_dev - b.stats.std_dev).abs() < 1e-9);
    assert_eq!((a.stats.median, a.stats.min, a.stats.max), (b.stats.median, b.stats.min, b.stats.max));
    assert_eq!((&a.stars, a.hfr, a.hfr_std_dev), (&b.stars, b.hfr, b.hfr_std_dev));
    assert_eq!(a.stars.len(), 36);
}

#[test]
fn frames_too_small_for_detection_still_get_statistics() {
    let pixels: Vec<u16> = (0..15 * 40).map(|i| (i % 7) as u16).collect();
    let a = analyze(&Frame::new(&pixels, 15, 40).unwrap(), &Options::default());
    assert!(a.stars.is_empty());
    assert_eq!((a.stats.min, a.stats.max, a.stats.median), (0.0, 6.0, 3.0));
}

#[test]
fn statistics_only_when_detection_is_off() {
    let scene = scene_with(&[]);
    let pixels = scene.render(8);
    let a = analyze(
        &Frame::new(&pixels, 512, 512).unwrap(),
        &Options { detect_stars: false, ..Options::default() },
    );
    assert!(a.stars.is_empty());
    assert_eq!(a.hfr, 0.0);
    assert!(a.stats.mean > 1500.0);
}

#[test]
fn a_hot_column_stands_out_with_or_without_star_detection() {
    let scene = scene_with(&[]);
    let clean = scene.render(8);
    // A column 40 ADU hot on a sky of ~1500 ADU reads 18 (a clean frame 2.7).
    // Even and odd columns share a binned column; either stands out alike.
    for column in [200, 301] {
        let mut pixels = clean.clone();
        pixels.iter_mut().skip(column).step_by(512).for_each(|p| *p += 40);
        for detect_stars in [true, false] {
            let options = Options { detect_stars, ..Options::default() };
            let excess = |p: &[u16]| analyze(&Frame::new(p, 512, 512).unwrap(), &options).column_excess;
            assert!(excess(&clean) < 5.0, "clean: {}", excess(&clean));
            assert!(
                excess(&pixels) > 12.0,
                "column {column}, detect_stars {detect_stars}: {}",
                excess(&pixels)
            );
        }
    }
}

#[test]
fn bad_frames_are_errors() {
    let check = |r: Result<Frame<'_, f32>, stx_analysis::Error>, kind: ErrorKind| {
        assert_eq!(r.unwrap_err().kind(), &kind);
    };
    check(Frame::new(&[], 0, 5), ErrorKind::Empty);
    check(Frame::new(&[1.0; 6], 2, 2), ErrorKind::SizeMismatch { expected: 4, actual: 6 });
    check(Frame::new(&[1.0, f32::INFINITY, 0.0, f32::NAN], 2, 2), ErrorKind::NonFinitePixel { index: 1 });
}
