//! The star field: a deterministic catalogue drawn from the camera's seed.
//!
//! The sky is cut into fixed square tiles, and each tile's stars come from a random
//! stream named by the seed and the tile's indices. Any region of sky therefore has the
//! same stars whichever CCD looks at it, through whatever focal length, in whatever
//! order regions are asked for: the imager and the internal guider see one sky.
//!
//! Each tile draws its stars brightest first (the gaps between successive stars'
//! cumulative counts are exponential, which is a Poisson count with the preset's
//! magnitude law), so a region asked for with a brighter cut gets exactly the
//! brightest of the same stars. That is what bounds a wide field's work: a frame that
//! would hold more stars than it can show takes only its brightest.

use rand::Rng;
use rand_distr::{Distribution, Exp1};

use super::noise::stream;
use crate::preset::SkyPreset;

/// Side of a catalogue tile, arcsec. Small enough that a guider's field does not draw
/// many stars it cannot see, large enough that a wide field needs few tiles.
const TILE_ARCSEC: f64 = 600.0;

/// Slope of the cumulative star counts, d log₁₀ N(<m) / dm, per magnitude: star counts
/// at mid galactic latitudes grow by about ×2.2 per magnitude between V = 10 and 18
/// (Bahcall & Soneira 1980 give slopes of 0.3 to 0.4 there).
const COUNT_SLOPE_PER_MAG: f64 = 0.35;

/// The brightest magnitude drawn. Brighter stars are rarer than one in several hundred
/// square degrees at this slope; the cut keeps a wide field from holding a star
/// brighter than any the counts describe.
const BRIGHTEST_MAG: f64 = 4.0;

/// Stream purpose: catalogue tiles.
const STREAM_TILE: u64 = 1;

/// Square arcseconds in a square degree.
const ARCSEC2_PER_DEG2: f64 = 3600.0 * 3600.0;

/// One star on the sky.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Star {
    /// Position east–west on the tangent plane, arcsec from where the imager's centre
    /// points at time zero.
    pub x_arcsec: f64,
    /// Position north–south, arcsec.
    pub y_arcsec: f64,
    /// Magnitude in the band of `SkyPreset::photons_mag0_per_s_cm2`.
    pub mag: f64,
}

/// A rectangle of sky, arcsec on the tangent plane.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SkyRegion {
    /// Lower corner (x, y).
    pub min: [f64; 2],
    /// Upper corner (x, y).
    pub max: [f64; 2],
}

/// The stars of the region, in a fixed order (by tile, then brightest first): all of
/// them down to the preset's limiting magnitude, or, when the region would hold more
/// than `most` on average, only the brightest that many on average.
pub fn stars_in(seed: u64, sky: &SkyPreset, region: &SkyRegion, most: usize) -> Vec<Star> {
    let per_tile = sky.stars_per_sq_deg * TILE_ARCSEC * TILE_ARCSEC / ARCSEC2_PER_DEG2;
    if !per_tile.is_finite() || per_tile <= 0.0 {
        return Vec::new();
    }
    let tiles = |axis: usize| {
        let first = (region.min[axis] / TILE_ARCSEC).floor() as i64;
        let last = (region.max[axis] / TILE_ARCSEC).floor() as i64;
        first..=last
    };
    let tile_count = tiles(0).count() as f64 * tiles(1).count() as f64;
    // The share of each tile's stars taken: all, or the brightest `most` over the region.
    let share = (most as f64 / (per_tile * tile_count)).min(1.0);
    let mut stars = Vec::new();
    for ty in tiles(1) {
        for tx in tiles(0) {
            let mut rng = stream(seed, &[STREAM_TILE, tx as u64, ty as u64]);
            // Expected count of the tile's stars brighter than the next one drawn.
            let mut brighter: f64 = 0.0;
            loop {
                brighter += Distribution::<f64>::sample(&Exp1, &mut rng);
                if brighter > per_tile * share {
                    break;
                }
                let star = Star {
                    x_arcsec: (tx as f64 + rng.r#gen::<f64>()) * TILE_ARCSEC,
                    y_arcsec: (ty as f64 + rng.r#gen::<f64>()) * TILE_ARCSEC,
                    mag: magnitude(brighter / per_tile, sky.limiting_mag),
                };
                if (region.min[0]..region.max[0]).contains(&star.x_arcsec)
                    && (region.min[1]..region.max[1]).contains(&star.y_arcsec)
                {
                    stars.push(star);
                }
            }
        }
    }
    stars
}

/// The magnitude at quantile `u` (0..1) of the counts N(<m) ∝ 10^(slope·m), cut at
/// `limiting_mag` and at `BRIGHTEST_MAG`: many faint stars, few bright ones.
fn magnitude(u: f64, limiting_mag: f64) -> f64 {
    let floor = 10f64.powf(COUNT_SLOPE_PER_MAG * (BRIGHTEST_MAG - limiting_mag));
    let u = floor + (1.0 - floor) * u;
    limiting_mag + u.log10() / COUNT_SLOPE_PER_MAG
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sky(density: f64) -> SkyPreset {
        SkyPreset {
            seeing_fwhm_arcsec: 2.0,
            moffat_beta: 3.5,
            sky_mag_per_arcsec2: 20.5,
            stars_per_sq_deg: density,
            limiting_mag: 17.5,
            photons_mag0_per_s_cm2: 1e6,
        }
    }

    const DEGREE: SkyRegion = SkyRegion { min: [-1800.0, -1800.0], max: [1800.0, 1800.0] };

    #[test]
    fn density_and_counts_follow_the_preset() {
        let stars =
            stars_in(3, &sky(2000.0), &SkyRegion { min: [0.0, 0.0], max: [3.0 * 3600.0; 2] }, usize::MAX);
        // 9 square degrees at 2000 per square degree, within Poisson scatter (σ ≈ 134).
        assert!((stars.len() as f64 - 18_000.0).abs() < 600.0, "{}", stars.len());
        assert!(stars.iter().all(|s| s.mag <= 17.5 && s.mag >= BRIGHTEST_MAG));
        // One magnitude brighter: fewer by 10^0.35.
        let brighter = stars.iter().filter(|s| s.mag < 16.5).count() as f64;
        let ratio = stars.len() as f64 / brighter;
        assert!((ratio - 10f64.powf(COUNT_SLOPE_PER_MAG)).abs() < 0.1, "{ratio}");
    }

    #[test]
    fn any_part_of_the_sky_shows_the_same_stars() {
        let all = stars_in(5, &sky(2000.0), &DEGREE, usize::MAX);
        let half = SkyRegion { min: [-1800.0, -1800.0], max: [0.0, 1800.0] };
        let part = stars_in(5, &sky(2000.0), &half, usize::MAX);
        let expected: Vec<Star> = all.iter().copied().filter(|s| s.x_arcsec < 0.0).collect();
        assert_eq!(part.len(), expected.len());
        assert!(part.iter().all(|s| expected.contains(s)));
        assert_ne!(stars_in(6, &sky(2000.0), &DEGREE, usize::MAX), all);
    }

    #[test]
    fn an_empty_sky_is_allowed() {
        assert!(stars_in(5, &sky(0.0), &DEGREE, usize::MAX).is_empty());
    }

    #[test]
    fn a_region_too_full_to_show_takes_the_brightest_of_the_same_stars() {
        let all = stars_in(5, &sky(2000.0), &DEGREE, usize::MAX);
        let few = stars_in(5, &sky(2000.0), &DEGREE, 100);
        // 100 on average over the 36 tiles the degree touches (σ = 10).
        assert!((60..140).contains(&few.len()), "{}", few.len());
        let faintest = few.iter().map(|s| s.mag).fold(f64::NEG_INFINITY, f64::max);
        let expected: Vec<Star> = all.iter().copied().filter(|s| s.mag <= faintest).collect();
        assert_eq!(few, expected);
    }
}
