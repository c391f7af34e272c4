//! Stars measured against their known truth: sub-pixel centroids, the pixel-integrated
//! HFR of the Moffat seeing profile, trails from mount motion, and the telescope's
//! focal length and aperture. Measured on the noise-free expected image, so the only
//! error left is the renderer's own.

use stx_protocol::{Binning, Ccd, Subframe};
use stx_sim::preset::ModelPreset;
use stx_sim::render::scene::{PlacedStar, Scene};
use stx_sim::render::{RenderJob, expected_electrons};

/// Focal length, mm: 0.93"/px on 9 µm pixels, so 2.5" seeing is 2.7 px FWHM.
const FL_MM: f64 = 2000.0;
/// Half the side of the window cut around a measured star, pixels.
const HALF_WINDOW: u32 = 48;
/// Radius for the centroid, pixels: the Moffat (β = 3.5) light beyond 8.7 α is 2·10⁻⁵.
const CENTROID_RADIUS: f64 = 25.0;
/// Radius for the HFR, pixels.
const HFR_RADIUS: f64 = 15.0;
/// Sub-samples per pixel side for the independent integration of the PSF over pixels.
const TRUTH_SUBSAMPLES: usize = 32;

/// The STX-16803 imager under a sparse sky of bright stars, no hot pixels, so a star
/// stands alone and the background is one known number.
fn full_frame_job() -> RenderJob {
    let preset = ModelPreset::resolve("stx-16803").expect("built-in model");
    let mut sensor = preset.imager.clone();
    sensor.hot_pixel_fraction = 0.0;
    let mut sky = preset.sky.clone();
    sky.stars_per_sq_deg = 30.0;
    sky.limiting_mag = 12.0;
    RenderJob {
        seed: 7,
        exposure_number: 1,
        ccd: Ccd::Imager,
        frame: Subframe { start_x: 0, start_y: 0, num_x: sensor.width, num_y: sensor.height },
        sensor,
        sky,
        focal_length_mm: FL_MM,
        aperture_mm: 200.0,
        binning: Binning::ONE,
        duration_s: 300.0,
        shutter_open: true,
        filter: None,
        ccd_temp_c: -20.0,
        pointing_arcsec: vec![(0.0, 0.0)],
    }
}

/// The brightest star at least `clear` pixels from the frame's edges and from any
/// other star.
fn isolated_bright_star(job: &RenderJob, clear: f64) -> PlacedStar {
    let scene = Scene::new(job);
    let (w, h) = (f64::from(job.frame.num_x), f64::from(job.frame.num_y));
    let stars = &scene.stars;
    stars
        .iter()
        .filter(|s| {
            let [x, y] = s.pixel;
            x > clear && y > clear && x < w - clear && y < h - clear
        })
        .filter(|s| {
            stars.iter().all(|o| o == *s || (o.pixel[0] - s.pixel[0]).hypot(o.pixel[1] - s.pixel[1]) > clear)
        })
        .max_by(|a, b| a.electrons.total_cmp(&b.electrons))
        .copied()
        .expect("an isolated star")
}

/// A window around `star` (found in the full frame), with the image moving along
/// `pointing`: the background-subtracted expected image, its width, and where the
/// star's light is centred in window pixels.
fn star_window(
    job: &RenderJob,
    star: &PlacedStar,
    half_width: u32,
    pointing: Vec<(f64, f64)>,
) -> (Vec<f64>, usize, [f64; 2]) {
    let window = RenderJob {
        frame: Subframe {
            start_x: star.pixel[0] as u32 - half_width,
            start_y: star.pixel[1] as u32 - HALF_WINDOW,
            num_x: 2 * half_width,
            num_y: 2 * HALF_WINDOW,
        },
        pointing_arcsec: pointing,
        ..job.clone()
    };
    let scene = Scene::new(&window);
    let placed = scene.stars.iter().find(|s| s.star == star.star).expect("the star is in its window");
    let image = expected_electrons(&window).iter().map(|&e| f64::from(e) - scene.background_e).collect();
    (image, window.frame.num_x as usize, scene.centre_of(placed))
}

/// Pixel centres within `radius` of `centre`, with their light.
fn disc(image: &[f64], width: usize, centre: [f64; 2], radius: f64) -> Vec<([f64; 2], f64)> {
    (0..image.len())
        .map(|i| ([(i % width) as f64 + 0.5, (i / width) as f64 + 0.5], image[i]))
        .filter(|(p, _)| (p[0] - centre[0]).hypot(p[1] - centre[1]) <= radius)
        .collect()
}

fn centroid(pixels: &[([f64; 2], f64)]) -> [f64; 2] {
    let total: f64 = pixels.iter().map(|(_, v)| v).sum();
    [0, 1].map(|a| pixels.iter().map(|(p, v)| p[a] * v).sum::<f64>() / total)
}

/// HFR as the analysis defines it: the flux-weighted mean distance from `centre`.
fn hfr(pixels: &[([f64; 2], f64)], centre: [f64; 2]) -> f64 {
    let total: f64 = pixels.iter().map(|(_, v)| v).sum();
    pixels.iter().map(|(p, v)| v * (p[0] - centre[0]).hypot(p[1] - centre[1])).sum::<f64>() / total
}

/// The Moffat profile of the job's seeing, α in pixels, written out from its
/// definition (independently of the renderer's code).
fn moffat_alpha_px(job: &RenderJob) -> f64 {
    let scale = 206.264_806 * job.sensor.pixel_size_x_um / job.focal_length_mm;
    let beta = job.sky.moffat_beta;
    job.sky.seeing_fwhm_arcsec / (2.0 * (2f64.powf(1.0 / beta) - 1.0).sqrt()) / scale
}

/// The profile's light in the pixel whose centre is at offset (dx, dy) from the star,
/// by fine midpoint integration.
fn pixel_light(alpha: f64, beta: f64, dx: f64, dy: f64) -> f64 {
    let n = TRUTH_SUBSAMPLES;
    let step = 1.0 / n as f64;
    let peak = (beta - 1.0) / (std::f64::consts::PI * alpha * alpha);
    let mut sum = 0.0;
    for j in 0..n {
        for i in 0..n {
            let x = dx - 0.5 + (i as f64 + 0.5) * step;
            let y = dy - 0.5 + (j as f64 + 0.5) * step;
            sum += peak * (1.0 + (x * x + y * y) / (alpha * alpha)).powf(-beta);
        }
    }
    sum * step * step
}

#[test]
fn centroids_land_on_the_true_sub_pixel_position() {
    let job = full_frame_job();
    let star = isolated_bright_star(&job, 80.0);
    let mut worst: f64 = 0.0;
    // Offsets (arcsec) that put the star at different places inside its pixel.
    for offset in [(0.0, 0.0), (0.37, -0.61), (1.13, 0.29), (-0.2, 0.77), (0.5, 0.5)] {
        let (image, width, truth) = star_window(&job, &star, HALF_WINDOW, vec![offset]);
        let measured = centroid(&disc(&image, width, truth, CENTROID_RADIUS));
        let error = (measured[0] - truth[0]).hypot(measured[1] - truth[1]);
        println!("offset {offset:?}: truth {truth:?}, centroid {measured:?}, error {error:.5} px");
        worst = worst.max(error);
    }
    assert!(worst < 0.02, "worst centroid error {worst} px");
}

#[test]
fn pixel_integrated_hfr_matches_the_moffat_profile() {
    let job = full_frame_job();
    let star = isolated_bright_star(&job, 80.0);
    let alpha = moffat_alpha_px(&job);
    let beta = job.sky.moffat_beta;
    for offset in [(0.0, 0.0), (0.37, -0.61), (1.13, 0.29)] {
        let (image, width, truth) = star_window(&job, &star, HALF_WINDOW, vec![offset]);
        let rendered = disc(&image, width, truth, HFR_RADIUS);
        let analytic: Vec<([f64; 2], f64)> = rendered
            .iter()
            .map(|&(p, _)| (p, pixel_light(alpha, beta, p[0] - truth[0], p[1] - truth[1])))
            .collect();
        let (measured, expected) = (hfr(&rendered, truth), hfr(&analytic, truth));
        let error = measured / expected - 1.0;
        println!(
            "offset {offset:?}: HFR {measured:.5} px, analytic {expected:.5} px, error {:.4} %",
            100.0 * error
        );
        assert!(error.abs() < 0.01, "HFR {measured} vs {expected}");
    }
}

/// Second moments (xx, yy) of the light in a `half` rectangle about its centroid.
fn second_moments(image: &[f64], width: usize, centre: [f64; 2], half: [f64; 2]) -> [f64; 2] {
    let pixels: Vec<([f64; 2], f64)> = (0..image.len())
        .map(|i| ([(i % width) as f64 + 0.5, (i / width) as f64 + 0.5], image[i]))
        .filter(|(p, _)| (p[0] - centre[0]).abs() <= half[0] && (p[1] - centre[1]).abs() <= half[1])
        .collect();
    let c = centroid(&pixels);
    let total: f64 = pixels.iter().map(|(_, v)| v).sum();
    [0, 1].map(|a| pixels.iter().map(|(p, v)| v * (p[a] - c[a]).powi(2)).sum::<f64>() / total)
}

#[test]
fn a_drifting_image_trails_stars_and_a_still_one_keeps_them_round() {
    let job = full_frame_job();
    let star = isolated_bright_star(&job, 120.0);
    let trail_arcsec = 20.0;
    let drift: Vec<(f64, f64)> = (0..64).map(|i| (trail_arcsec * (f64::from(i) / 63.0 - 0.5), 0.0)).collect();
    let half_width = 2 * HALF_WINDOW;
    let (still, width, centre) = star_window(&job, &star, half_width, vec![(0.0, 0.0)]);
    let (trailed, _, trail_centre) = star_window(&job, &star, half_width, drift);
    let length_px = trail_arcsec / (206.264_806 * 9.0 / FL_MM);
    let half = [length_px / 2.0 + 25.0, 25.0];
    let round = second_moments(&still, width, centre, half);
    let long = second_moments(&trailed, width, trail_centre, half);
    println!("still moments {round:?}, trailed {long:?}, trail {length_px:.2} px");
    assert!((round[0] / round[1] - 1.0).abs() < 0.01, "a still star is round: {round:?}");
    // Uniform motion over L adds L²/12 to the variance along it and nothing across.
    let added = long[0] - round[0];
    assert!((added / (length_px * length_px / 12.0) - 1.0).abs() < 0.03, "{added}");
    assert!((long[1] / round[1] - 1.0).abs() < 0.01, "{long:?}");
    assert!(long[0] / long[1] > 5.0, "elongated: {long:?}");
}

#[test]
fn focal_length_sets_the_scale_and_aperture_the_light() {
    let job = full_frame_job();
    let centre = [f64::from(job.sensor.width) / 2.0, f64::from(job.sensor.height) / 2.0];
    let near_centre = |job: &RenderJob| {
        let mut stars: Vec<PlacedStar> = Scene::new(job).stars;
        stars.sort_by(|a, b| {
            let d = |s: &PlacedStar| (s.pixel[0] - centre[0]).hypot(s.pixel[1] - centre[1]);
            d(a).total_cmp(&d(b))
        });
        stars
    };
    let base = near_centre(&job);
    let long = near_centre(&RenderJob { focal_length_mm: 2.0 * FL_MM, ..job.clone() });
    let wide = near_centre(&RenderJob { aperture_mm: 2.0 * job.aperture_mm, ..job.clone() });
    for star in &base[..3] {
        let at_long = long.iter().find(|s| s.star == star.star).expect("still in the field");
        for (a, c) in centre.iter().enumerate() {
            assert!((at_long.pixel[a] - c - 2.0 * (star.pixel[a] - c)).abs() < 1e-6);
        }
        let at_wide = wide.iter().find(|s| s.star == star.star).expect("same field");
        assert!((at_wide.electrons / star.electrons - 4.0).abs() < 1e-9);
    }
}
