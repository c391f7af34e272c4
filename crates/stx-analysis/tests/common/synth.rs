//! Synthetic frames with known truth, for the accuracy tests and the benchmark.
//!
//! Stars are integrated over pixels (Gaussian: exact, through erf differences;
//! Moffat: sub-sampled 8×8 in the core, 2×2 in the wings), on a sky with a linear
//! gradient, with Poisson noise (gain 1 e⁻/ADU), Gaussian read noise, a bias
//! offset, hot pixels and cosmic rays, clamped to u16.
#![allow(dead_code, unreachable_pub)]

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal, Poisson};

/// A point-spread function. σ is the Gaussian σ; the Moffat has the same FWHM.
/// `Elliptical` is a Gaussian with its own σ along x and y; `Trailed` a Gaussian
/// moved uniformly along a segment of `length` px at `angle` radians from +x
/// (centred on the star's position), as an unguided mount trails it.
#[derive(Debug, Clone, Copy)]
pub enum Psf {
    Gaussian { sigma: f64 },
    Moffat { sigma: f64, beta: f64 },
    Elliptical { sigma_x: f64, sigma_y: f64 },
    Trailed { sigma: f64, length: f64, angle: f64 },
}

/// Points a trail is rendered as (the Gaussians along it).
const TRAIL_STEPS: usize = 64;

impl Psf {
    pub fn sigma(&self) -> f64 {
        match *self {
            Psf::Gaussian { sigma } | Psf::Moffat { sigma, .. } | Psf::Trailed { sigma, .. } => sigma,
            Psf::Elliptical { sigma_x, sigma_y } => (sigma_x * sigma_y).sqrt(),
        }
    }

    /// Radius (pixels) beyond which the rendered profile is cut (< 3e-5 of the flux).
    pub fn render_radius(&self) -> f64 {
        match *self {
            Psf::Gaussian { sigma } => 6.0 * sigma,
            Psf::Moffat { sigma, .. } => 14.0 * sigma,
            Psf::Elliptical { sigma_x, sigma_y } => 6.0 * sigma_x.max(sigma_y),
            Psf::Trailed { sigma, length, .. } => 6.0 * sigma + 0.5 * length,
        }
    }

    /// Moffat α for the FWHM of a Gaussian of this σ.
    fn moffat_alpha(sigma: f64, beta: f64) -> f64 {
        let fwhm = 2.0 * (2.0 * 2f64.ln()).sqrt() * sigma;
        fwhm / (2.0 * (2f64.powf(1.0 / beta) - 1.0).sqrt())
    }

    /// The pixel-integrated, unit-flux profile of a star at (x, y), as
    /// (pixel x, pixel y, fraction of flux) for the pixels within the render radius.
    pub fn pixels(&self, x: f64, y: f64) -> Vec<(i64, i64, f64)> {
        let r = self.render_radius();
        let (x0, x1) = ((x - r).floor() as i64, (x + r).ceil() as i64);
        let (y0, y1) = ((y - r).floor() as i64, (y + r).ceil() as i64);
        let mut out = Vec::new();
        // A Gaussian of σ (sx, sy) at (cx, cy), integrated over pixels, scaled.
        let gaussian = |out: &mut Vec<(i64, i64, f64)>, cx: f64, cy: f64, sx: f64, sy: f64, scale: f64| {
            let frac = |i: i64, c: f64, s: f64| {
                let s = s * std::f64::consts::SQRT_2;
                0.5 * (erf((i as f64 + 0.5 - c) / s) - erf((i as f64 - 0.5 - c) / s))
            };
            let fx: Vec<f64> = (x0..=x1).map(|i| frac(i, cx, sx)).collect();
            for j in y0..=y1 {
                let fy = frac(j, cy, sy);
                for (k, i) in (x0..=x1).enumerate() {
                    out.push((i, j, scale * fx[k] * fy));
                }
            }
        };
        match *self {
            Psf::Gaussian { sigma } => gaussian(&mut out, x, y, sigma, sigma, 1.0),
            Psf::Elliptical { sigma_x, sigma_y } => gaussian(&mut out, x, y, sigma_x, sigma_y, 1.0),
            Psf::Trailed { sigma, length, angle } => {
                let mut points = Vec::new();
                for n in 0..TRAIL_STEPS {
                    let t = length * ((n as f64 + 0.5) / TRAIL_STEPS as f64 - 0.5);
                    let (cx, cy) = (x + t * angle.cos(), y + t * angle.sin());
                    gaussian(&mut points, cx, cy, sigma, sigma, 1.0 / TRAIL_STEPS as f64);
                }
                // Every point covers the same pixels, in the same order: sum them.
                let per = points.len() / TRAIL_STEPS;
                out = points[..per].to_vec();
                for chunk in points.chunks_exact(per).skip(1) {
                    for (o, p) in out.iter_mut().zip(chunk) {
                        o.2 += p.2;
                    }
                }
            }
            Psf::Moffat { sigma, beta } => {
                let alpha = Self::moffat_alpha(sigma, beta);
                let norm = (beta - 1.0) / (std::f64::consts::PI * alpha * alpha);
                let profile =
                    |dx: f64, dy: f64| norm * (1.0 + (dx * dx + dy * dy) / (alpha * alpha)).powf(-beta);
                for j in y0..=y1 {
                    for i in x0..=x1 {
                        let (dx, dy) = (i as f64 - x, j as f64 - y);
                        let n = if dx.hypot(dy) < 3.0 * sigma + 1.0 { 8 } else { 2 };
                        let mut sum = 0.0;
                        for sj in 0..n {
                            for si in 0..n {
                                let ox = (si as f64 + 0.5) / n as f64 - 0.5;
                                let oy = (sj as f64 + 0.5) / n as f64 - 0.5;
                                sum += profile(dx + ox, dy + oy);
                            }
                        }
                        out.push((i, j, sum / (n * n) as f64));
                    }
                }
            }
        }
        out
    }

    /// The truth: HFR of the noiseless pixel-integrated star about its true centre,
    /// Σ v·r / Σ v over every rendered pixel.
    pub fn true_hfr(&self, x: f64, y: f64) -> f64 {
        let (mut s, mut sr) = (0.0, 0.0);
        for (i, j, v) in self.pixels(x, y) {
            s += v;
            sr += v * (i as f64 - x).hypot(j as f64 - y);
        }
        sr / s
    }

    /// The truth of a star's shape: the second moments (xx, yy, xy) of the
    /// noiseless pixel-integrated star about its true centre, over every rendered
    /// pixel, and the elongation √(λmax/λmin) they give.
    pub fn true_shape(&self, x: f64, y: f64) -> ((f64, f64, f64), f64) {
        let (mut s, mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0, 0.0);
        for (i, j, v) in self.pixels(x, y) {
            let (dx, dy) = (i as f64 - x, j as f64 - y);
            s += v;
            sxx += v * dx * dx;
            syy += v * dy * dy;
            sxy += v * dx * dy;
        }
        let (xx, yy, xy) = (sxx / s, syy / s, sxy / s);
        let (mean, half) = (0.5 * (xx + yy), (0.5 * (xx - yy)).hypot(xy));
        ((xx, yy, xy), ((mean + half) / (mean - half)).sqrt())
    }
}

/// Error function: Maclaurin series below 2.5 (|error| < 1e-12), Abramowitz &
/// Stegun 7.1.26 above (|error| < 1.5e-7, where erf is within 4e-4 of ±1).
pub fn erf(x: f64) -> f64 {
    let ax = x.abs();
    let r = if ax < 2.5 {
        // Maclaurin series: 2/√π Σ (−1)^n x^(2n+1) / (n! (2n+1)).
        let (mut term, mut sum, x2) = (ax, ax, ax * ax);
        let mut n = 0.0;
        while term.abs() > 1e-17 * sum.abs() {
            n += 1.0;
            term *= -x2 / n;
            let add = term / (2.0 * n + 1.0);
            sum += add;
            if add.abs() < 1e-17 {
                break;
            }
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    } else {
        // A&S 7.1.26 for the tail.
        let t = 1.0 / (1.0 + 0.327_591_1 * ax);
        let poly = t
            * (0.254_829_592
                + t * (-0.284_496_736 + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
        1.0 - poly * (-ax * ax).exp()
    };
    if x < 0.0 { -r } else { r }
}

/// A star to render.
#[derive(Debug, Clone, Copy)]
pub struct TrueStar {
    pub x: f64,
    pub y: f64,
    /// Total flux, electrons (= ADU at gain 1).
    pub flux: f64,
}

/// Everything in a synthetic frame.
#[derive(Debug, Clone)]
pub struct Scene {
    pub width: usize,
    pub height: usize,
    /// Bias offset, ADU.
    pub bias: f64,
    /// Sky (or dark current) at the frame centre, electrons per pixel.
    pub sky: f64,
    /// Sky gradient, electrons per pixel per pixel, along x and y.
    pub gradient: (f64, f64),
    /// Read noise, electrons.
    pub read_noise: f64,
    pub psf: Psf,
    pub stars: Vec<TrueStar>,
    /// Hot pixels: (x, y, added ADU).
    pub hot_pixels: Vec<(usize, usize, f64)>,
    /// Cosmic rays: lists of (x, y, added ADU).
    pub cosmic_rays: Vec<Vec<(usize, usize, f64)>>,
}

impl Scene {
    /// An empty scene: bias 500 ADU, sky 1000 e⁻, read noise 10 e⁻, no gradient.
    pub fn new(width: usize, height: usize, psf: Psf) -> Self {
        Scene {
            width,
            height,
            bias: 500.0,
            sky: 1000.0,
            gradient: (0.0, 0.0),
            read_noise: 10.0,
            psf,
            stars: Vec::new(),
            hot_pixels: Vec::new(),
            cosmic_rays: Vec::new(),
        }
    }

    /// Sky at a pixel, electrons.
    pub fn sky_at(&self, x: f64, y: f64) -> f64 {
        self.sky
            + self.gradient.0 * (x - self.width as f64 / 2.0)
            + self.gradient.1 * (y - self.height as f64 / 2.0)
    }

    /// Background-limited noise-equivalent-area SNR of a star of this flux at the
    /// frame centre: F / √(F + 4πσ²·(sky + read²)).
    pub fn snr(&self, flux: f64) -> f64 {
        let sigma = self.psf.sigma();
        let area = 4.0 * std::f64::consts::PI * sigma * sigma;
        flux / (flux + area * (self.sky + self.read_noise.powi(2))).sqrt()
    }

    /// The flux giving this SNR (inverse of [`Scene::snr`]).
    pub fn flux_for_snr(&self, snr: f64) -> f64 {
        let sigma = self.psf.sigma();
        let b = 4.0 * std::f64::consts::PI * sigma * sigma * (self.sky + self.read_noise.powi(2));
        // F² = s²(F + b)  →  F = (s² + √(s⁴ + 4 s² b)) / 2
        let s2 = snr * snr;
        0.5 * (s2 + (s2 * s2 + 4.0 * s2 * b).sqrt())
    }

    /// Stars on a jittered grid of `spacing` pixels (at least `margin` from the
    /// edges), fluxes log-uniform in [flux_min, flux_max].
    pub fn add_star_grid(
        &mut self,
        rng: &mut ChaCha8Rng,
        spacing: f64,
        margin: f64,
        flux_min: f64,
        flux_max: f64,
    ) {
        let jitter = 0.15 * spacing;
        let mut y = margin;
        while y <= self.height as f64 - margin {
            let mut x = margin;
            while x <= self.width as f64 - margin {
                let u: f64 = rng.r#gen();
                let flux = flux_min * (flux_max / flux_min).powf(u);
                let jx = rng.gen_range(-jitter..=jitter);
                let jy = rng.gen_range(-jitter..=jitter);
                self.stars.push(TrueStar { x: x + jx, y: y + jy, flux });
                x += spacing;
            }
            y += spacing;
        }
    }

    /// `n` hot pixels of 300 to 40 000 ADU above the bias.
    pub fn add_hot_pixels(&mut self, rng: &mut ChaCha8Rng, n: usize) {
        for _ in 0..n {
            let (x, y) = (rng.gen_range(0..self.width), rng.gen_range(0..self.height));
            let amp = 300.0 * (40_000.0f64 / 300.0).powf(rng.r#gen());
            self.hot_pixels.push((x, y, amp));
        }
    }

    /// `n` cosmic rays: single hits, pairs, and straight tracks 3–10 px long at
    /// any angle, 300 to 20 000 ADU per pixel.
    pub fn add_cosmic_rays(&mut self, rng: &mut ChaCha8Rng, n: usize) {
        for _ in 0..n {
            let len = match rng.gen_range(0..3) {
                0 => 1,
                1 => 2,
                _ => rng.gen_range(3..=10),
            };
            let angle: f64 = rng.gen_range(0.0..std::f64::consts::PI);
            let (x0, y0) = (
                rng.gen_range(10.0..self.width as f64 - 10.0),
                rng.gen_range(10.0..self.height as f64 - 10.0),
            );
            let amp = 300.0 * (20_000.0f64 / 300.0).powf(rng.r#gen());
            let mut track: Vec<(usize, usize, f64)> = Vec::new();
            for k in 0..len {
                let (x, y) = ((x0 + k as f64 * angle.cos()).round(), (y0 + k as f64 * angle.sin()).round());
                let (x, y) = (
                    x.clamp(0.0, self.width as f64 - 1.0) as usize,
                    y.clamp(0.0, self.height as f64 - 1.0) as usize,
                );
                if !track.iter().any(|p| p.0 == x && p.1 == y) {
                    track.push((x, y, amp * rng.gen_range(0.7..1.0)));
                }
            }
            self.cosmic_rays.push(track);
        }
    }

    /// Noiseless electrons per pixel (sky + stars).
    pub fn expected(&self) -> Vec<f64> {
        let (w, h) = (self.width, self.height);
        let mut e: Vec<f64> =
            (0..w * h).map(|i| self.sky_at((i % w) as f64, (i / w) as f64).max(0.0)).collect();
        for s in &self.stars {
            for (i, j, v) in self.psf.pixels(s.x, s.y) {
                if i >= 0 && j >= 0 && (i as usize) < w && (j as usize) < h {
                    e[j as usize * w + i as usize] += s.flux * v;
                }
            }
        }
        e
    }

    /// Renders the frame with noise, hot pixels and cosmic rays.
    pub fn render(&self, seed: u64) -> Vec<u16> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let read = Normal::new(0.0, self.read_noise).unwrap();
        let mut adu: Vec<f64> = self
            .expected()
            .into_iter()
            .map(|e| {
                let photons = if e > 0.0 { Poisson::new(e).unwrap().sample(&mut rng) } else { 0.0 };
                self.bias + photons + read.sample(&mut rng)
            })
            .collect();
        for &(x, y, a) in self.hot_pixels.iter().chain(self.cosmic_rays.iter().flatten()) {
            adu[y * self.width + x] += a;
        }
        adu.into_iter().map(|v| v.round().clamp(0.0, 65535.0) as u16).collect()
    }
}

/// A seeded generator.
pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// Levels as a FITS file stores them (BITPIX 16, BZERO 32768): `level − 32768`,
/// big-endian, two bytes each.
pub fn fits_stored(levels: &[u16]) -> Vec<u8> {
    levels.iter().flat_map(|&v| ((i32::from(v) - 32768) as i16).to_be_bytes()).collect()
}
