//! The sensor chain measured as a camera tester would measure a real camera: gain and
//! read noise by photon transfer from bias and flat pairs, dark current at two
//! temperatures, determinism, binning and the readout window.

use stx_protocol::{Binning, Ccd, Subframe};
use stx_sim::preset::{ModelPreset, SensorPreset};
use stx_sim::render::optics::Optics;
use stx_sim::render::{RenderJob, expected_electrons, render};

/// Side of the measured window (or the sensor's shorter side if smaller), pixels:
/// 262 144 pixels estimate a variance to 0.3 %.
const WINDOW: u32 = 512;

/// Charge of the flat fields, e-: well inside the converter's range for every preset
/// (65535 ADU at 0.9 e-/ADU is 59 000 e-), so nothing clips.
const FLAT_E: f64 = 20_000.0;

/// A job for a `WINDOW`² window in the middle of the sensor: an empty sky, no filter.
fn job(sensor: &SensorPreset, ccd: Ccd, preset: &ModelPreset) -> RenderJob {
    let side = WINDOW.min(sensor.width).min(sensor.height);
    let mut sky = preset.sky.clone();
    sky.stars_per_sq_deg = 0.0;
    RenderJob {
        seed: 11,
        exposure_number: 1,
        ccd,
        sensor: sensor.clone(),
        sky,
        focal_length_mm: 1000.0,
        aperture_mm: 200.0,
        frame: Subframe {
            start_x: (sensor.width - side) / 2,
            start_y: (sensor.height - side) / 2,
            num_x: side,
            num_y: side,
        },
        binning: Binning::ONE,
        duration_s: 0.0,
        shutter_open: false,
        filter: None,
        ccd_temp_c: sensor.dark_reference_c,
        pointing_arcsec: vec![(0.0, 0.0)],
    }
}

/// Mean and variance of `values` after dropping outliers (hot pixels, cosmic rays)
/// beyond 6 σ, three passes.
fn clipped_stats(values: &[f64]) -> (f64, f64) {
    let stats = |v: &[f64]| {
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        (mean, v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0))
    };
    let mut result = stats(values);
    for _ in 0..3 {
        let (mean, var) = result;
        let kept: Vec<f64> =
            values.iter().copied().filter(|x| (x - mean).abs() <= 6.0 * var.sqrt()).collect();
        result = stats(&kept);
    }
    result
}

fn as_f64(image: &[u16]) -> Vec<f64> {
    image.iter().map(|&v| f64::from(v)).collect()
}

fn difference(a: &[u16], b: &[u16]) -> Vec<f64> {
    a.iter().zip(b).map(|(&x, &y)| f64::from(x) - f64::from(y)).collect()
}

/// Two frames of the same job, different exposures.
fn pair(job: &RenderJob) -> (Vec<u16>, Vec<u16>) {
    let second = RenderJob { exposure_number: job.exposure_number + 1, ..job.clone() };
    (render(job), render(&second))
}

/// Gain (e-/ADU) and read noise (e-) by photon transfer (Janesick): read noise from the
/// difference of two biases, gain from the signal and the difference of two flats.
fn photon_transfer(preset: &ModelPreset, ccd: Ccd) -> (f64, f64) {
    let sensor = preset.sensor(ccd);
    let bias_job = job(sensor, ccd, preset);
    let (b1, b2) = pair(&bias_job);
    let (_, bias_diff_var) = clipped_stats(&difference(&b1, &b2));
    let read_noise_adu2 = bias_diff_var / 2.0;
    let (bias_mean, _) = clipped_stats(&as_f64(&b1));

    let mut flat_job = RenderJob { shutter_open: true, exposure_number: 10, ..bias_job };
    flat_job.sky.sky_mag_per_arcsec2 = 5.0;
    flat_job.duration_s =
        FLAT_E / Optics::new(&RenderJob { duration_s: 1.0, ..flat_job.clone() }).sky_e_per_px_s;
    let (f1, f2) = pair(&flat_job);
    let (flat_mean, _) = clipped_stats(&as_f64(&f1));
    let (_, flat_diff_var) = clipped_stats(&difference(&f1, &f2));
    let signal_adu = flat_mean - bias_mean;
    let shot_adu2 = flat_diff_var / 2.0 - read_noise_adu2;
    let gain = signal_adu / shot_adu2;
    (gain, read_noise_adu2.sqrt() * gain)
}

fn within(measured: f64, truth: f64, tolerance: f64) -> bool {
    ((measured - truth) / truth).abs() <= tolerance
}

#[test]
fn photon_transfer_recovers_gain_and_read_noise_of_every_preset() {
    for model in ["stx-16803", "stxl-6303e"] {
        let preset = ModelPreset::resolve(model).expect("built-in model");
        for ccd in Ccd::ALL {
            let sensor = preset.sensor(ccd);
            let (gain, read_noise) = photon_transfer(&preset, ccd);
            println!(
                "{model} {ccd}: gain {gain:.4} e-/ADU (preset {}), read noise {read_noise:.3} e- (preset {})",
                sensor.gain_e_per_adu, sensor.read_noise_e
            );
            assert!(within(gain, sensor.gain_e_per_adu, 0.03), "{model} {ccd}: gain {gain}");
            assert!(within(read_noise, sensor.read_noise_e, 0.03), "{model} {ccd}: read noise {read_noise}");
        }
    }
}

#[test]
fn dark_current_doubles_every_doubling_temperature() {
    let preset = ModelPreset::resolve("stx-16803").expect("built-in model");
    let sensor = &preset.imager;
    let exposure_s = 600.0;
    let dark_rate = |temp_c: f64| {
        let bias = job(sensor, Ccd::Imager, &preset);
        let dark =
            RenderJob { duration_s: exposure_s, ccd_temp_c: temp_c, exposure_number: 5, ..bias.clone() };
        let (dark_mean, _) = clipped_stats(&as_f64(&render(&dark)));
        let (bias_mean, _) = clipped_stats(&as_f64(&render(&bias)));
        (dark_mean - bias_mean) * sensor.gain_e_per_adu / exposure_s
    };
    let warm = sensor.dark_reference_c + 10.0;
    let at_reference = dark_rate(sensor.dark_reference_c);
    let doubled = dark_rate(sensor.dark_reference_c + sensor.dark_doubling_c);
    let at_warm = dark_rate(warm);
    println!("dark: {at_reference:.5} e-/s at reference, {doubled:.5} one doubling warmer");
    assert!(within(at_reference, sensor.dark_current_e_per_s, 0.03), "{at_reference}");
    assert!(within(doubled / at_reference, 2.0, 0.03), "{doubled} / {at_reference}");
    let expected_warm = sensor.dark_current_e_per_s * (10.0 / sensor.dark_doubling_c).exp2();
    assert!(within(at_warm, expected_warm, 0.03), "{at_warm} vs {expected_warm}");
}

#[test]
fn hot_pixels_stay_put_and_show_in_long_darks() {
    let preset = ModelPreset::resolve("stx-16803").expect("built-in model");
    let mut sensor = preset.imager.clone();
    sensor.hot_pixel_fraction = 0.001;
    let dark = RenderJob { duration_s: 600.0, ..job(&sensor, Ccd::Imager, &preset) };
    let hot = |image: &[u16]| -> Vec<usize> {
        let (mean, var) = clipped_stats(&as_f64(image));
        (0..image.len()).filter(|&i| f64::from(image[i]) > mean + 20.0 * var.sqrt()).collect()
    };
    let first = hot(&render(&dark));
    let second = hot(&render(&RenderJob { exposure_number: 2, ..dark.clone() }));
    // About 262 hot pixels in the window, most far above the noise in 600 s.
    assert!(first.len() > 100, "{}", first.len());
    let common = first.iter().filter(|i| second.contains(i)).count();
    assert!(common as f64 > 0.9 * first.len() as f64, "{common} of {}", first.len());
}

#[test]
fn the_same_job_gives_the_same_bytes_however_many_threads() {
    let preset = ModelPreset::resolve("stx-16803").expect("built-in model");
    let mut job = job(&preset.imager, Ccd::Imager, &preset);
    job.sky = preset.sky.clone();
    job.shutter_open = true;
    job.duration_s = 120.0;
    job.pointing_arcsec = (0..20).map(|i| (0.3 * f64::from(i), -0.1 * f64::from(i))).collect();
    let many = render(&job);
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("pool").install(|| render(&job));
    assert_eq!(many, one);
    assert_eq!(many, render(&job));
    assert_ne!(many, render(&RenderJob { exposure_number: 2, ..job.clone() }));
}

#[test]
fn binning_sums_charge_and_the_window_sets_the_size() {
    let preset = ModelPreset::resolve("stx-16803").expect("built-in model");
    let mut one = job(&preset.imager, Ccd::Imager, &preset);
    one.sky = preset.sky.clone();
    one.shutter_open = true;
    one.duration_s = 60.0;
    one.frame = Subframe { start_x: 1000, start_y: 2000, num_x: 301, num_y: 200 };
    let three = RenderJob { binning: Binning { x: 3, y: 2 }, ..one.clone() };
    assert_eq!(render(&three).len(), 100 * 100);
    let fine = expected_electrons(&one);
    let coarse = expected_electrons(&three);
    for (i, &c) in coarse.iter().enumerate() {
        let (bx, by) = (i % 100 * 3, i / 100 * 2);
        let sum: f32 = (0..2)
            .flat_map(|dy| (0..3).map(move |dx| (dx, dy)))
            .map(|(dx, dy)| fine[(by + dy) * 301 + bx + dx])
            .sum();
        assert!((sum - c).abs() <= 1e-4 * c.max(1.0), "{sum} {c}");
    }
}

#[test]
fn a_closed_shutter_keeps_the_light_out_and_saturation_clips() {
    let preset = ModelPreset::resolve("stx-16803").expect("built-in model");
    let sensor = &preset.imager;
    let mut light = job(sensor, Ccd::Imager, &preset);
    light.sky.sky_mag_per_arcsec2 = 5.0;
    light.duration_s = 10.0;
    let dark = expected_electrons(&light);
    light.shutter_open = true;
    let open = expected_electrons(&light);
    let sky_e = Optics::new(&light).sky_e_per_px_s * light.duration_s;
    assert!(sky_e > 1e6);
    assert!(dark.iter().zip(&open).all(|(&d, &o)| (f64::from(o - d) - sky_e).abs() < 1e-6 * sky_e));
    let image = render(&light);
    // Far past full well: every pixel reads full well's ADU, or the converter's maximum
    // where that is lower (as on the STX-16803: 100 000 e- is 78 740 ADU).
    let full = (f64::from(sensor.full_well_e) / sensor.gain_e_per_adu + sensor.bias_adu)
        .min(f64::from(sensor.max_adu));
    let read_noise_adu = sensor.read_noise_e / sensor.gain_e_per_adu;
    assert!(image.iter().all(|&v| (f64::from(v) - full).abs() <= 6.0 * read_noise_adu), "{full}");
}
