//! Step 6: the frame HFR and HFRStDev from the stars' HFRs.

use crate::measure::{Star, StarQuality};

/// Stars farther than this many robust σ (1.4826 · MAD) from the median HFR are
/// outliers (galaxies, residual blends, noise) and left out of the mean.
const OUTLIER_NSIGMA: f64 = 3.0;

/// The frame's HFR figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct FrameHfr {
    pub(crate) mean: f64,
    pub(crate) std_dev: f64,
    pub(crate) count: usize,
}

/// Mean and sample standard deviation of the HFRs of the good stars with SNR ≥
/// `min_snr`, after one median/MAD outlier rejection; all zero with no such star.
pub(crate) fn frame_hfr(stars: &[Star], min_snr: f32) -> FrameHfr {
    let mut hfrs: Vec<f64> = stars
        .iter()
        .filter(|s| s.quality == StarQuality::Good && s.snr >= f64::from(min_snr) && s.hfr.is_finite())
        .map(|s| s.hfr)
        .collect();
    if hfrs.is_empty() {
        return FrameHfr { mean: 0.0, std_dev: 0.0, count: 0 };
    }
    let center = median(&mut hfrs);
    let mut deviations: Vec<f64> = hfrs.iter().map(|h| (h - center).abs()).collect();
    let limit = OUTLIER_NSIGMA * 1.4826 * median(&mut deviations);
    let kept: Vec<f64> = if limit > 0.0 {
        hfrs.iter().copied().filter(|h| (h - center).abs() <= limit).collect()
    } else {
        hfrs
    };
    let n = kept.len() as f64;
    let mean = kept.iter().sum::<f64>() / n;
    let std_dev = if kept.len() > 1 {
        (kept.iter().map(|h| (h - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    FrameHfr { mean, std_dev, count: kept.len() }
}

/// The median (the mean of the two middle values for an even count); sorts `values`.
pub(crate) fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    (values[(n - 1) / 2] + values[n / 2]) / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn star(hfr: f64, snr: f64, quality: StarQuality) -> Star {
        Star {
            x: 0.0,
            y: 0.0,
            flux: 1.0,
            snr,
            hfr,
            radius: 8.0,
            peak: 1.0,
            background: 0.0,
            quality,
            shape: None,
        }
    }

    /// Checks the frame HFR of good stars with these HFRs (SNR 100).
    fn check(hfrs: &[f64], mean: f64, std_dev: f64, count: usize) {
        let stars: Vec<Star> = hfrs.iter().map(|&h| star(h, 100.0, StarQuality::Good)).collect();
        let got = frame_hfr(&stars, 10.0);
        assert!((got.mean - mean).abs() < 1e-12, "{got:?}");
        assert!((got.std_dev - std_dev).abs() < 1e-12, "{got:?}");
        assert_eq!(got.count, count);
    }

    #[test]
    fn no_star_is_zero() {
        check(&[], 0.0, 0.0, 0);
    }

    #[test]
    fn one_star_has_zero_std_dev() {
        check(&[2.5], 2.5, 0.0, 1);
    }

    #[test]
    fn sample_std_dev() {
        check(&[2.0, 3.0], 2.5, 0.5f64.sqrt(), 2);
    }

    #[test]
    fn outlier_is_rejected() {
        let mut hfrs = vec![2.0, 2.1, 1.9, 2.05, 1.95];
        hfrs.push(9.0);
        let kept = &hfrs[..5];
        let mean = kept.iter().sum::<f64>() / 5.0;
        let sd = (kept.iter().map(|h| (h - mean).powi(2)).sum::<f64>() / 4.0).sqrt();
        check(&hfrs, mean, sd, 5);
    }

    #[test]
    fn flagged_and_faint_stars_are_left_out() {
        let stars = [
            star(2.0, 100.0, StarQuality::Good),
            star(5.0, 100.0, StarQuality::Saturated),
            star(5.0, 100.0, StarQuality::Edge),
            star(5.0, 100.0, StarQuality::Blended),
            star(5.0, 5.0, StarQuality::Good),
        ];
        assert_eq!(frame_hfr(&stars, 10.0), FrameHfr { mean: 2.0, std_dev: 0.0, count: 1 });
    }
}
