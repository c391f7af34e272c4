//! Step 7: star shapes — each star's second moments, and the frame's elongation.
//!
//! Per star (called from `measure` on the cleaned, background-subtracted cutout):
//! Gaussian-weighted second moments about the windowed centroid, with a round
//! window of [`WINDOW_PER_SIGMA`] × the star's σ, then the window divided out. For a Gaussian star of
//! covariance C and a window of covariance W, the weighted moments are
//! Cw = (C⁻¹ + W⁻¹)⁻¹, so C = (Cw⁻¹ − W⁻¹)⁻¹, exactly; for other profiles it is
//! close. Unweighted moments would be far noisier: the r² weight makes the wings'
//! noise dominate (±20 % per star at SNR 100 within a 5σ radius).
//!
//! Per frame: the component-wise median of the moments of the good stars of
//! SNR ≥ 30, and its elongation. Averaging the moments, not the stars'
//! elongations, keeps noise from biasing a round frame above 1 (a noisy star's
//! elongation is ≥ 1 whichever way the noise goes).

use wide::f32x8;

use crate::lanes::{Columns, lane_sum, lanes};
use crate::measure::{Star, StarQuality};
use crate::summary;

/// The window's σ over the star's. Dividing the window out is exact for Gaussian
/// stars only; a trail (a Gaussian swept along a line) has no Gaussian tails, and
/// a window of the star's own σ overstates a 10-px trail's elongation by 30 %, one
/// of twice that by 7 % (`tests/shape.rs`). Wider still lets in more noise.
const WINDOW_PER_SIGMA: f32 = 2.0;
/// Least SNR of the stars that make the frame shape: a star's moments scatter
/// by tens of per cent at SNR 10, and the median of a handful of such stars is
/// noise (a frame that had lost most of its stars to cloud read 1.17 from 15).
const MIN_SNR: f64 = 30.0;
/// Fewest such stars for a frame shape.
const MIN_STARS: usize = 10;
/// The weighted moments are summed out to this many window σ (e⁻⁸ of the weight),
/// within the cutout.
const WINDOW_NSIGMA: f32 = 4.0;

/// Second moments of a star's light about its centroid, px² (pixel integration
/// included: a point source reads 1/12 on both axes).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    /// Variance along x.
    pub xx: f64,
    /// Variance along y.
    pub yy: f64,
    /// Covariance of x and y.
    pub xy: f64,
}

impl Shape {
    /// Variances along the major and minor axes (the moments' eigenvalues).
    fn axes(&self) -> (f64, f64) {
        let mean = 0.5 * (self.xx + self.yy);
        let half_diff = (0.5 * (self.xx - self.yy)).hypot(self.xy);
        (mean + half_diff, mean - half_diff)
    }

    /// Major over minor axis, a / b (SExtractor's ELONGATION): 1 for a round star;
    /// infinite when the moments do not describe a star (minor variance ≤ 0).
    pub fn elongation(&self) -> f64 {
        let (major, minor) = self.axes();
        if minor > 0.0 { (major / minor).sqrt() } else { f64::INFINITY }
    }

    /// Eccentricity √(1 − b²/a²): 0 for a round star, towards 1 for a line.
    pub fn eccentricity(&self) -> f64 {
        let (major, minor) = self.axes();
        if major > 0.0 { (1.0 - minor.max(0.0) / major).sqrt() } else { 0.0 }
    }

    /// Direction of the major axis, radians from +x towards +y, in (−π/2, π/2].
    pub fn angle(&self) -> f64 {
        0.5 * (2.0 * self.xy).atan2(self.xx - self.yy)
    }

    /// Whether the moments describe a star: finite, both axes positive.
    fn is_valid(&self) -> bool {
        let (major, minor) = self.axes();
        major.is_finite() && minor > 0.0
    }
}

/// The moments of the light in `values` (rows of `width` pixels whose first pixel
/// is frame pixel (x0, y0)) about (x, y), through a round Gaussian window of
/// [`WINDOW_PER_SIGMA`] × the star's σ, with the window divided out. `None` if the weighted light is not
/// positive or the window cannot be divided out (noise on a faint star). `columns`
/// is refilled with the window's columns.
pub(crate) fn star_shape(
    values: &[f32],
    width: usize,
    (x0, y0): (usize, usize),
    (x, y): (f32, f32),
    star_sigma: f32,
    columns: &mut Columns,
) -> Option<Shape> {
    let sigma = WINDOW_PER_SIGMA * star_sigma;
    let reach = WINDOW_NSIGMA * sigma;
    let inv2s2 = 0.5 / (sigma * sigma);
    let height = values.len() / width;
    let clip = |v: f32, origin: usize, n: usize| (v - origin as f32).clamp(0.0, (n - 1) as f32) as usize;
    let (i0, i1) = (clip((x - reach).ceil(), x0, width), clip((x + reach).floor(), x0, width));
    let (j0, j1) = (clip((y - reach).ceil(), y0, height), clip((y + reach).floor(), y0, height));
    // The window is separable: one exponential per column and per row. Summed in
    // lanes over the whole window (a few hundred pixels: far within f32
    // precision), merged in f64 once, as the windowed centroid does.
    columns.gaussian(x0 + i0, i1 - i0 + 1, x, inv2s2);
    let Columns { offsets: dxs, weights: wxs } = &*columns;
    let (mut a, mut b, mut c, mut d) = (f32x8::ZERO, f32x8::ZERO, f32x8::ZERO, f32x8::ZERO);
    for j in j0..=j1 {
        let dy = (y0 + j) as f32 - y;
        let (wy, dy) = (f32x8::splat((-dy * dy * inv2s2).exp()), f32x8::splat(dy));
        let row = &values[j * width + i0..=j * width + i1];
        for ((v, dx), wx) in lanes(row, 0.0).zip(dxs.iter()).zip(wxs.iter()) {
            let wv = v * *wx * wy;
            a += wv;
            b += wv * *dx * *dx;
            c += wv * dy * dy;
            d += wv * *dx * dy;
        }
    }
    let (sw, sxx, syy, sxy) = (lane_sum(a), lane_sum(b), lane_sum(c), lane_sum(d));
    if sw <= 0.0 {
        return None;
    }
    let weighted = Shape { xx: sxx / sw, yy: syy / sw, xy: sxy / sw };
    // C⁻¹ = Cw⁻¹ − W⁻¹, W = σ²·I.
    let det = weighted.xx * weighted.yy - weighted.xy * weighted.xy;
    if det <= 0.0 {
        return None;
    }
    let inv_w = 1.0 / f64::from(sigma * sigma);
    let (pxx, pyy, pxy) = (weighted.yy / det - inv_w, weighted.xx / det - inv_w, -weighted.xy / det);
    let det_p = pxx * pyy - pxy * pxy;
    if pxx <= 0.0 || det_p <= 0.0 {
        return None;
    }
    Some(Shape { xx: pyy / det_p, yy: pxx / det_p, xy: -pxy / det_p })
}

/// The frame's star shape: the component-wise median of the shapes of the good
/// stars with SNR ≥ [`MIN_SNR`]; `None` with fewer than [`MIN_STARS`] of them.
pub(crate) fn frame_shape(stars: &[Star]) -> Option<Shape> {
    let shapes: Vec<Shape> = stars
        .iter()
        .filter(|s| s.quality == StarQuality::Good && s.snr >= MIN_SNR)
        .filter_map(|s| s.shape)
        .filter(Shape::is_valid)
        .collect();
    if shapes.len() < MIN_STARS {
        return None;
    }
    let median = |f: fn(&Shape) -> f64| summary::median(&mut shapes.iter().map(f).collect::<Vec<f64>>());
    Some(Shape { xx: median(|s| s.xx), yy: median(|s| s.yy), xy: median(|s| s.xy) })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Renders a noiseless Gaussian of these moments (sampled at pixel centres,
    /// no integration) and checks the measured moments and elongation.
    fn check(c: Shape, star_sigma: f32, elongation: f64) {
        let (w, h) = (41usize, 41usize);
        let (cx, cy) = (20.3f64, 19.8f64);
        let det = c.xx * c.yy - c.xy * c.xy;
        let values: Vec<f32> = (0..w * h)
            .map(|i| {
                let (dx, dy) = ((i % w) as f64 - cx, (i / w) as f64 - cy);
                let q = (c.yy * dx * dx - 2.0 * c.xy * dx * dy + c.xx * dy * dy) / det;
                (1000.0 * (-0.5 * q).exp()) as f32
            })
            .collect();
        let got = star_shape(&values, w, (0, 0), (cx as f32, cy as f32), star_sigma, &mut Columns::default())
            .unwrap();
        for (g, e) in [(got.xx, c.xx), (got.yy, c.yy), (got.xy, c.xy)] {
            assert!((g - e).abs() < 2e-3 * c.xx.max(c.yy), "{got:?} vs {c:?}");
        }
        assert!((got.elongation() - elongation).abs() < 1e-3, "{}", got.elongation());
    }

    #[test]
    fn the_window_is_divided_out() {
        check(Shape { xx: 4.0, yy: 4.0, xy: 0.0 }, 2.0, 1.0);
        check(Shape { xx: 9.0, yy: 4.0, xy: 0.0 }, 1.2, 1.5);
        check(Shape { xx: 4.0, yy: 9.0, xy: 0.0 }, 2.5, 1.5);
        // 9 and 4 along axes at 45°: xx = yy = 6.5, xy = 2.5.
        check(Shape { xx: 6.5, yy: 6.5, xy: 2.5 }, 2.5, 1.5);
    }

    #[test]
    fn elongation_eccentricity_and_angle() {
        let s = Shape { xx: 6.5, yy: 6.5, xy: 2.5 };
        assert!((s.angle() - std::f64::consts::FRAC_PI_4).abs() < 1e-12);
        assert!((s.eccentricity() - (1.0 - 4.0 / 9.0f64).sqrt()).abs() < 1e-12);
        let round = Shape { xx: 2.0, yy: 2.0, xy: 0.0 };
        assert_eq!((round.elongation(), round.eccentricity()), (1.0, 0.0));
        assert_eq!(Shape { xx: 1.0, yy: 1.0, xy: 1.0 }.elongation(), f64::INFINITY);
    }
}
