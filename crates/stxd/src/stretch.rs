//! The display stretch, the project's one: the v2 previews and the web pages'
//! `Preview.jpg` both use it. Linear camera data, where the sky sits a few percent above
//! black, mapped to 8 bits so that the background is visible grey and stars stand out.
//!
//! We use the median-based midtones transfer function (MTF) auto-stretch of common
//! imaging programs (PixInsight's STF, and the imaging program whose API we follow):
//! shadows clipped a fixed number of robust sigmas below the median, then the
//! midtones balance chosen so the median lands at a fixed grey. Unlike a percentile
//! min/max clip it does not depend on how many stars or hot pixels a frame has, so
//! a series of frames looks alike, and it keeps star cores unclipped (highlights stay
//! at the full-scale value) while still lifting faint nebulosity; dashboards' users
//! know this look.

use std::borrow::Cow;

use image::GrayImage;
use stx_analysis::Histogram;
use stx_camera::fits::{FitsImage, Pixels};

/// Where the shadows are clipped, in normalised MADs (≈ sigmas) from the median:
/// the common default, which cuts the noise floor's lower tail and nothing of the
/// sky.
const SHADOWS_CLIP: f64 = -2.8;
/// The grey the median is mapped to (0..1): the common default, a dark but clearly
/// visible background.
const TARGET_BACKGROUND: f64 = 0.25;
/// MAD × this = sigma for Gaussian noise.
const MAD_TO_SIGMA: f64 = 1.4826;
/// Levels the stretch works on: the camera's 16 bits.
const LEVELS: usize = 1 << 16;
const FULL_SCALE: f64 = (LEVELS - 1) as f64;

/// The frame stretched to 8-bit grey; `None` if its size does not match its
/// pixels.
pub(crate) fn to_grey(frame: &FitsImage) -> Option<GrayImage> {
    grey_of_levels(
        u32::try_from(frame.width).ok()?,
        u32::try_from(frame.height).ok()?,
        &levels(&frame.pixels),
    )
}

/// Camera levels (`width`×`height`, rows in order) stretched to 8-bit grey; `None` if
/// the size does not match the pixels. What a frame straight from the camera takes.
pub(crate) fn grey_of_levels(width: u32, height: u32, levels: &[u16]) -> Option<GrayImage> {
    let lut = lookup_table(&Histogram::of_u16(levels));
    GrayImage::from_raw(width, height, levels.iter().map(|&v| lut[usize::from(v)]).collect())
}

/// The pixels as 16-bit levels: camera data as it is; floating-point data spread
/// linearly over its finite range (NaN as black), which keeps one code path and
/// loses nothing a display shows.
fn levels(pixels: &Pixels) -> Cow<'_, [u16]> {
    match pixels {
        Pixels::U16(v) => Cow::Borrowed(v),
        Pixels::F32(v) => {
            let finite = v.iter().copied().filter(|x| x.is_finite());
            let (lo, hi) =
                finite.fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), x| (lo.min(x), hi.max(x)));
            let span = f64::from(hi) - f64::from(lo);
            Cow::Owned(
                v.iter()
                    .map(|&x| {
                        if !x.is_finite() || span <= 0.0 {
                            0
                        } else {
                            ((f64::from(x) - f64::from(lo)) / span * FULL_SCALE).round() as u16
                        }
                    })
                    .collect(),
            )
        }
    }
}

/// Output grey for every input level.
fn lookup_table(hist: &Histogram) -> Vec<u8> {
    let (black, white, midtones) = parameters(hist);
    (0..LEVELS)
        .map(|level| {
            let x = ((level as f64 / FULL_SCALE - black) / (white - black)).clamp(0.0, 1.0);
            (mtf(midtones, x) * 255.0).round() as u8
        })
        .collect()
}

/// Black point, white point (0..1 of full scale) and midtones balance.
fn parameters(hist: &Histogram) -> (f64, f64, f64) {
    let median_level = hist.median();
    // Absolute deviations from the median, doubled so a median halfway between two
    // levels still gives integer bins; built from the histogram, not the pixels.
    let doubled_median = (median_level * 2.0) as i64;
    let mut deviations = vec![0u64; 2 * LEVELS];
    for (level, &n) in hist.counts().iter().enumerate() {
        deviations[(2 * level as i64 - doubled_median).unsigned_abs() as usize] += n;
    }
    let mad = Histogram::from_counts(deviations).median() / 2.0;
    let median = median_level / FULL_SCALE;
    let sigma = MAD_TO_SIGMA * mad / FULL_SCALE;
    let black = (median + SHADOWS_CLIP * sigma).clamp(0.0, 1.0);
    if sigma > 0.0 && median > black {
        let median_after_clip = (median - black) / (1.0 - black);
        // The midtones balance m with mtf(m, median_after_clip) = TARGET_BACKGROUND.
        // Solving for m gives the MTF again, its arguments' roles swapped.
        return (black, 1.0, mtf(TARGET_BACKGROUND, median_after_clip));
    }
    // Half the pixels or more share one level (a synthetic or saturated frame): no
    // noise to scale by, so show the range linearly instead.
    let lowest = hist.lowest().unwrap_or(0) as f64 / FULL_SCALE;
    let highest = hist.highest().unwrap_or(0) as f64 / FULL_SCALE;
    if highest > lowest { (lowest, highest, 0.5) } else { (lowest, lowest + 1.0, 0.5) }
}

/// The midtones transfer function: 0 → 0, `m` → 0.5, 1 → 1, monotonic.
fn mtf(m: f64, x: f64) -> f64 {
    if x <= 0.0 {
        0.0
    } else if x >= 1.0 {
        1.0
    } else {
        (m - 1.0) * x / ((2.0 * m - 1.0) * x - m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mtf_fixes_its_ends_and_maps_m_to_half() {
        for m in [0.01, 0.2, 0.5, 0.9] {
            assert_eq!(mtf(m, 0.0), 0.0);
            assert_eq!(mtf(m, 1.0), 1.0);
            assert!((mtf(m, m) - 0.5).abs() < 1e-12);
        }
    }

    #[test]
    fn median_lands_at_the_target_background() {
        // A noisy sky at 1000 ± 10 ADU and a few bright stars.
        let mut levels: Vec<u16> = (0..10_000).map(|i| 990 + (i % 21) as u16).collect();
        levels.extend([60_000u16; 20]);
        let lut = lookup_table(&Histogram::of_u16(&levels));
        let sky = f64::from(lut[1000]) / 255.0;
        assert!((sky - TARGET_BACKGROUND).abs() < 0.01, "sky at {sky}");
        assert_eq!(lut[0], 0);
        assert_eq!(lut[65_535], 255);
        assert!(lut[60_000] > 250, "stars stay bright");
        assert!(lut.windows(2).all(|w| w[0] <= w[1]), "monotonic");
    }

    #[test]
    fn flat_frames_are_shown_linearly() {
        let lut = lookup_table(&Histogram::of_u16(&[500, 500, 500, 700]));
        assert_eq!((lut[500], lut[700]), (0, 255));
        let lut = lookup_table(&Histogram::of_u16(&[500; 4]));
        assert_eq!(lut[500], 0);
    }
}
