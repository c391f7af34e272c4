//! A FITS file's 16-bit unsigned data measured in place ([`FitsU16`]) gives exactly
//! what the decoded levels give: the same statistics, stars and figures.

mod common;

use common::synth::{self, Psf, Scene};
use stx_analysis::{ErrorKind, FitsU16, Frame, Options, analyze};

/// A rendered frame with stars, saturated ones among them, hot pixels and cosmic rays.
fn levels(width: usize, height: usize, seed: u64) -> Vec<u16> {
    let mut rng = synth::rng(seed);
    let mut scene = Scene::new(width, height, Psf::Gaussian { sigma: 1.6 });
    let f20 = scene.flux_for_snr(20.0);
    scene.add_star_grid(&mut rng, 40.0, 20.0, f20, 3000.0 * f20);
    scene.add_hot_pixels(&mut rng, width / 8);
    scene.add_cosmic_rays(&mut rng, width / 20);
    scene.render(seed + 1)
}

/// The levels as a FITS data unit stores them, then `padding` bytes.
fn stored(levels: &[u16], padding: usize) -> Vec<u8> {
    let mut data = synth::fits_stored(levels);
    data.resize(data.len() + padding, 0);
    data
}

fn check(width: usize, height: usize, seed: u64, options: &Options) {
    let levels = levels(width, height, seed);
    let data = stored(&levels, 2880 - (2 * width * height) % 2880);
    let decoded = analyze(&Frame::new(&levels, width, height).unwrap(), options);
    let in_place = analyze(&Frame::from_fits_u16(&data, width, height).unwrap(), options);
    assert_eq!(in_place, decoded, "{width}×{height}");
    if options.detect_stars {
        assert!(decoded.stars.len() > 20, "{} stars", decoded.stars.len());
    }
    assert!(decoded.stats.max == 65535.0 && decoded.stats.min < 32768.0, "{:?}", decoded.stats);
}

#[test]
fn in_place_equals_decoded() {
    check(640, 480, 1, &Options::default());
    check(301, 203, 2, &Options::default());
    check(256, 256, 3, &Options { detect_stars: false, ..Options::default() });
}

#[test]
fn too_little_data_is_a_size_mismatch() {
    let data = stored(&[1000; 99], 0);
    let error = Frame::<FitsU16>::from_fits_u16(&data, 10, 10).unwrap_err();
    assert_eq!(*error.kind(), ErrorKind::SizeMismatch { expected: 100, actual: 99 });
}
