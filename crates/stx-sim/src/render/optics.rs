//! The telescope and filter between the sky and a CCD: where on the sky each pixel
//! looks, and how many electrons a star or the sky background gives per second.

use super::RenderJob;

/// Arcseconds in a radian: the plate scale is 206.265 · µm / mm arcsec per pixel.
const ARCSEC_PER_RADIAN: f64 = 206_264.806;

/// Square centimetres in a square millimetre.
const CM2_PER_MM2: f64 = 0.01;

/// The focal lengths the renderer believes, mm. The camera stores whatever FL a client
/// sets (it is only a FITS card), but a telescope shorter than a 50 mm lens would put a
/// quarter of the sky on the sensor, and one longer than 100 m does not exist; the
/// render clamps FL into this range so its work stays bounded.
pub const FOCAL_LENGTH_MM: (f64, f64) = (50.0, 100_000.0);

/// The fastest focal ratio the renderer believes: f/0.5 is the limit of any optics
/// (a hemisphere of light), so the aperture is clamped to twice the focal length.
pub const FASTEST_FOCAL_RATIO: f64 = 0.5;

/// The optics as one CCD sees them during one exposure.
#[derive(Clone, Debug, PartialEq)]
pub struct Optics {
    /// Plate scale, arcsec per unbinned pixel (x, y).
    pub scale_arcsec: [f64; 2],
    /// Where on the sky the centre of the CCD looks at zero pointing offset, arcsec.
    pub centre_arcsec: [f64; 2],
    /// The CCD's full size, unbinned pixels (width, height).
    pub sensor_px: [f64; 2],
    /// Electrons per second from a magnitude-0 star: collecting area, filter and QE.
    pub mag0_e_per_s: f64,
    /// Electrons per second per unbinned pixel from the sky background (zero with the
    /// shutter closed).
    pub sky_e_per_px_s: f64,
    /// Whether light reaches the sensor at all.
    pub shutter_open: bool,
}

impl Optics {
    /// The optics of the job's CCD, telescope (FL, aperture) and filter.
    pub fn new(job: &RenderJob) -> Optics {
        let s = &job.sensor;
        let fl = job.focal_length_mm.clamp(FOCAL_LENGTH_MM.0, FOCAL_LENGTH_MM.1);
        let scale_arcsec =
            [s.pixel_size_x_um, s.pixel_size_y_um].map(|um| um * 1e-3 / fl * ARCSEC_PER_RADIAN);
        let centre_arcsec = s.field_offset_mm.map(|mm| mm / fl * ARCSEC_PER_RADIAN);
        let radius_mm = job.aperture_mm.clamp(0.0, fl / FASTEST_FOCAL_RATIO) / 2.0;
        let area_cm2 = std::f64::consts::PI * radius_mm * radius_mm * CM2_PER_MM2;
        // A filter's sky brightness is measured through the filter; its transmission
        // applies to the stars' broadband light.
        let (transmission, sky_mag) = match &job.filter {
            Some(f) => (f.transmission, f.sky_mag_per_arcsec2),
            None => (1.0, job.sky.sky_mag_per_arcsec2),
        };
        let collected = job.sky.photons_mag0_per_s_cm2 * area_cm2 * s.quantum_efficiency;
        let light = if job.shutter_open { 1.0 } else { 0.0 };
        let pixel_arcsec2 = scale_arcsec[0] * scale_arcsec[1];
        Optics {
            scale_arcsec,
            centre_arcsec,
            sensor_px: [f64::from(s.width), f64::from(s.height)],
            mag0_e_per_s: light * collected * transmission,
            sky_e_per_px_s: light * collected * mag_to_flux(sky_mag) * pixel_arcsec2,
            shutter_open: job.shutter_open,
        }
    }

    /// Electrons per second from a star of magnitude `mag`.
    pub fn star_e_per_s(&self, mag: f64) -> f64 {
        self.mag0_e_per_s * mag_to_flux(mag)
    }

    /// Where a point of the sky (arcsec) falls on the CCD, in unbinned pixel
    /// coordinates: pixel `i` spans `[i, i + 1)`.
    pub fn sky_to_pixel(&self, sky: [f64; 2]) -> [f64; 2] {
        [0, 1].map(|a| (sky[a] - self.centre_arcsec[a]) / self.scale_arcsec[a] + self.sensor_px[a] / 2.0)
    }

    /// The point of the sky (arcsec) a pixel coordinate looks at.
    pub fn pixel_to_sky(&self, px: [f64; 2]) -> [f64; 2] {
        [0, 1].map(|a| (px[a] - self.sensor_px[a] / 2.0) * self.scale_arcsec[a] + self.centre_arcsec[a])
    }
}

/// Flux relative to magnitude 0.
fn mag_to_flux(mag: f64) -> f64 {
    10f64.powf(-0.4 * mag)
}
