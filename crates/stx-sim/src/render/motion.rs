//! The image's motion during an exposure, as points a star's light is shared among.

/// Longest step between the points of a trail, in Moffat α. Profiles of core σ ≈ 0.85 α
/// summed at spacing Δ ripple by about 2·exp(−2π²σ²/Δ²) of the trail's brightness:
/// under 10⁻⁵ at half an α.
const TRAIL_STEP_ALPHAS: f64 = 0.5;

/// Shortest trail step, pixels: keeps a very sharp PSF from needing thousands of points
/// (it is undersampled by the pixels anyway).
const MIN_TRAIL_STEP_PX: f64 = 0.1;

/// Consecutive points closer than this share of the trail step are merged, keeping
/// their light's centre: a guided star stays one point or a few, and the many short
/// segments of a slow drift do not each cost a point.
const MERGE_STEPS: f64 = 0.5;

/// Most points of a path: every star is drawn once per point, so this bounds a
/// frame's work whatever the mount does. A path longer than this many trail steps
/// (a day's unguided drift) is drawn in longer steps, its trail beaded.
pub const MAX_POINTS: usize = 1024;

/// Where the image was, relative to zero pointing offset, for a share of the exposure.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MotionPoint {
    /// Offset, unbinned pixels (x, y).
    pub offset_px: [f64; 2],
    /// Share of the exposure's light, 0..1; the shares add up to 1.
    pub weight: f64,
}

/// The points of the path through `samples` (image offsets in pixels, evenly spaced in
/// time from the start to the end of the exposure), for a PSF of core width
/// `alpha_px`. The image moves in a straight line between samples at constant speed;
/// each segment is cut into steps no longer than the trail step, each step's light
/// placed at its middle, and points much closer than a step are merged.
pub fn motion_points(samples: &[[f64; 2]], alpha_px: f64) -> Vec<MotionPoint> {
    let Some(&first) = samples.first() else { return Vec::new() };
    if samples.len() == 1 {
        return vec![MotionPoint { offset_px: first, weight: 1.0 }];
    }
    let path: f64 = samples.windows(2).map(|w| distance(w[0], w[1])).sum();
    let step = (TRAIL_STEP_ALPHAS * alpha_px).max(MIN_TRAIL_STEP_PX).max(path / MAX_POINTS as f64);
    let segment_weight = 1.0 / (samples.len() - 1) as f64;
    let mut points: Vec<MotionPoint> = Vec::new();
    for pair in samples.windows(2) {
        let [a, b] = [pair[0], pair[1]];
        let length = (b[0] - a[0]).hypot(b[1] - a[1]);
        let parts = (length / step).ceil().max(1.0) as usize;
        for k in 0..parts {
            let f = (k as f64 + 0.5) / parts as f64;
            let point = MotionPoint {
                offset_px: [a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1])],
                weight: segment_weight / parts as f64,
            };
            match points.last_mut() {
                Some(last) if distance(last.offset_px, point.offset_px) < MERGE_STEPS * step => {
                    merge(last, point)
                }
                _ => points.push(point),
            }
        }
    }
    points
}

/// Folds `p` into `into`, keeping the light's centre.
fn merge(into: &mut MotionPoint, p: MotionPoint) {
    let w = into.weight + p.weight;
    for a in 0..2 {
        into.offset_px[a] = (into.offset_px[a] * into.weight + p.offset_px[a] * p.weight) / w;
    }
    into.weight = w;
}

fn distance(a: [f64; 2], b: [f64; 2]) -> f64 {
    (a[0] - b[0]).hypot(a[1] - b[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_still_image_is_one_point() {
        let points = motion_points(&[[1.5, -2.0]; 10], 2.0);
        assert_eq!(points.len(), 1);
        assert_eq!(points[0].offset_px, [1.5, -2.0]);
        assert!((points[0].weight - 1.0).abs() < 1e-12);
    }

    #[test]
    fn a_moving_image_spreads_its_light_evenly_along_the_path() {
        let points = motion_points(&[[0.0, 0.0], [10.0, 0.0], [10.0, 5.0]], 2.0);
        let total: f64 = points.iter().map(|p| p.weight).sum();
        assert!((total - 1.0).abs() < 1e-12);
        // Half the time on each segment: the light's centre is at the time-mean position.
        let cx: f64 = points.iter().map(|p| p.weight * p.offset_px[0]).sum();
        let cy: f64 = points.iter().map(|p| p.weight * p.offset_px[1]).sum();
        assert!((cx - 7.5).abs() < 1e-9 && (cy - 1.25).abs() < 1e-9, "{cx} {cy}");
        assert!(points.windows(2).all(|w| distance(w[0].offset_px, w[1].offset_px) <= 1.0 + 1e-9));
    }

    #[test]
    fn a_path_of_any_length_has_at_most_max_points() {
        let samples: Vec<[f64; 2]> = (0..1000).map(|k| [k as f64 * 1e4, (k % 7) as f64 * 3e3]).collect();
        let points = motion_points(&samples, 0.1);
        assert!(points.len() <= MAX_POINTS + samples.len(), "{}", points.len());
        let total: f64 = points.iter().map(|p| p.weight).sum();
        assert!((total - 1.0).abs() < 1e-9);
    }
}
