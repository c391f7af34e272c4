//! Rendered frames of a night, clean or with a known defect, as stxd writes them:
//! the STX-16803 through 2000 mm at f/10 under the preset's sky, with the camera
//! simulator (`stx_sim::render`), Red filter, as FITS bytes. Shared by
//! `tests/analyze_night.rs` and `examples/render_night.rs` (the benchmark's frames).
#![allow(dead_code, unreachable_pub)]

use stx_camera::fits;
use stx_camera::{Frame, FrameMeta, PixelPoint, PixelSize};
use stx_protocol::{Binning, Ccd, FitsSettings, FrameType, ObsDateTime, Subframe};
use stx_sim::preset::ModelPreset;
use stx_sim::render::{RenderJob, render};

/// Extinction by the clouds, mag: the field's stars go to mag 17.5, detected
/// with room to spare, so it takes thick cloud to lose many.
const CLOUD_EXTINCTION_MAG: f64 = 3.0;
/// How much brighter the clouds make the sky (lit by a town or the moon).
const CLOUD_SKY_FACTOR: f64 = 2.5;
/// How much wider defocus makes the PSF.
const DEFOCUS_FACTOR: f64 = 2.5;
/// How far the mount drifts during a trailed exposure, arcsec (≈ 6.5 px).
const TRAIL_ARCSEC: f64 = 6.0;
/// How far one column of a hot-column frame stands above the rest, ADU.
const HOT_COLUMN_ADU: u16 = 300;

/// What is wrong with a frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Defect {
    None,
    /// A PSF 2.5 times as wide (the simulator's seeing).
    Defocus,
    /// 3 mag of extinction and a sky 2.5 times as bright.
    Clouds,
    /// The mount drifts 6" along x during the exposure.
    Trailing,
    /// One column (x = 517) 300 ADU above the rest, over the whole height.
    HotColumn,
}

/// Renders frame `number` of the night (its own noise; DATE-OBS 22:00 UTC plus
/// `number` × 5.5 min) over `window` of the sensor, as FITS bytes.
pub fn render_frame(window: Subframe, exposure_s: f64, number: u64, defect: Defect) -> Vec<u8> {
    let preset = ModelPreset::resolve("stx-16803").expect("built-in model");
    let mut sky = preset.sky.clone();
    let mut pointing = vec![(0.0, 0.0)];
    match defect {
        Defect::Defocus => sky.seeing_fwhm_arcsec *= DEFOCUS_FACTOR,
        Defect::Clouds => {
            // The extinction dims the sky's light too: brighten it by both.
            sky.photons_mag0_per_s_cm2 *= 10f64.powf(-0.4 * CLOUD_EXTINCTION_MAG);
            sky.sky_mag_per_arcsec2 -= CLOUD_EXTINCTION_MAG + 2.5 * CLOUD_SKY_FACTOR.log10();
        }
        Defect::Trailing => pointing = (0..32).map(|i| (TRAIL_ARCSEC * f64::from(i) / 31.0, 0.0)).collect(),
        Defect::None | Defect::HotColumn => {}
    }
    let job = RenderJob {
        seed: 42,
        exposure_number: number,
        ccd: Ccd::Imager,
        sensor: preset.imager.clone(),
        sky,
        focal_length_mm: 2000.0,
        aperture_mm: 200.0,
        frame: window,
        binning: Binning { x: 1, y: 1 },
        duration_s: exposure_s,
        shutter_open: true,
        filter: None,
        ccd_temp_c: -20.0,
        pointing_arcsec: pointing,
    };
    let mut pixels = render(&job);
    if defect == Defect::HotColumn {
        for row in pixels.chunks_exact_mut(window.num_x as usize) {
            row[517] = row[517].saturating_add(HOT_COLUMN_ADU);
        }
    }
    let start = 22 * 3600 + 330 * number;
    let date = format!(
        "2026-11-{:02}T{:02}.{:02}.{:02}.000",
        21 + start / 86_400,
        start / 3600 % 24,
        start / 60 % 60,
        start % 60
    );
    let meta = FrameMeta {
        ccd: Ccd::Imager,
        frame_type: FrameType::Light,
        duration: std::time::Duration::from_secs_f64(exposure_s),
        date_obs: ObsDateTime::parse(&date).expect("a valid date"),
        binning: Binning { x: 1, y: 1 },
        origin: PixelPoint { x: window.start_x, y: window.start_y },
        pixel_size: PixelSize { x_um: preset.imager.pixel_size_x_um, y_um: preset.imager.pixel_size_y_um },
        ccd_temp_c: -19.9,
        setpoint_c: Some(-20.0),
        electrons_per_adu: preset.imager.gain_e_per_adu,
        filter: stx_protocol::FilterName::new("Red"),
        instrument: "SBIG STX-16803".to_owned(),
        fits: FitsSettings::default(),
    };
    let frame = Frame::new(window.num_x, window.num_y, pixels, meta).expect("a frame of the window's size");
    fits::encode(&frame, &FitsSettings::default())
}
