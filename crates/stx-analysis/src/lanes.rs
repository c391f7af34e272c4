//! Values eight to a SIMD lane (`wide::f32x8`), for the loops that sum over many
//! pixels: the background's clipped moments, the windowed centroid and the aperture
//! sums. Each sums in `f32` lanes and merges the lanes once, in `f64`.

use wide::f32x8;

/// `values` eight to a lane, the last lane filled up with `pad` (chosen by the
/// caller to add nothing: zero, or NaN where a range test rejects it).
pub(crate) fn lanes(values: &[f32], pad: f32) -> impl Iterator<Item = f32x8> + '_ {
    let chunks = values.chunks_exact(8);
    let rest = chunks.remainder();
    let last = (!rest.is_empty()).then(|| padded(rest, pad));
    chunks.map(full).chain(last)
}

/// Eight values as a lane.
pub(crate) fn full(chunk: &[f32]) -> f32x8 {
    f32x8::from(<[f32; 8]>::try_from(chunk).expect("chunks of 8"))
}

/// Up to eight values as a lane, filled up with `pad`. (The background's hottest
/// loop takes its lanes by [`full`] and this directly: through the [`lanes`]
/// iterator the whole analysis ran ~5 % slower in `examples/bench.rs`.)
pub(crate) fn padded(rest: &[f32], pad: f32) -> f32x8 {
    let mut lane = [pad; 8];
    lane[..rest.len()].copy_from_slice(rest);
    f32x8::from(lane)
}

/// The offsets from `x` of `n` frame columns from `first`, eight to a lane, into
/// `out` (emptied first: a loop reuses one); the last lane's padding lies [`FAR`]
/// away, outside every window and aperture.
pub(crate) fn column_offsets(first: usize, n: usize, x: f32, out: &mut Vec<f32x8>) {
    let start = first as f32 - x;
    let offset = |i: usize| if i < n { start + i as f32 } else { FAR };
    out.clear();
    out.extend((0..n.div_ceil(8)).map(|lane| f32x8::from(std::array::from_fn(|k| offset(8 * lane + k)))));
}

/// A window's columns, eight to a lane: their offsets from the centre and their
/// weights. One per measuring thread, refilled star after star, so that no star
/// allocates its own.
#[derive(Debug, Default)]
pub(crate) struct Columns {
    pub(crate) offsets: Vec<f32x8>,
    pub(crate) weights: Vec<f32x8>,
}

impl Columns {
    /// Refills both for `n` frame columns from `first` about `x`, weighted by a
    /// Gaussian exp(−dx²·`inv2s2`) (the padding's weight is 0).
    pub(crate) fn gaussian(&mut self, first: usize, n: usize, x: f32, inv2s2: f32) {
        column_offsets(first, n, x, &mut self.offsets);
        self.weights.clear();
        self.weights.extend(self.offsets.iter().map(|dx| (-*dx * *dx * f32x8::splat(inv2s2)).exp()));
    }
}

/// A padding offset: beyond any circle, yet its square is finite, so that a zero
/// weight times it stays zero.
const FAR: f32 = 1e6;

/// The sum of a lane's eight values, in `f64`.
pub(crate) fn lane_sum(lane: f32x8) -> f64 {
    lane.to_array().iter().map(|&v| f64::from(v)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_hold_every_value_once_and_pad_the_last() {
        let values: Vec<f32> = (1..=19).map(|v| v as f32).collect();
        let lanes: Vec<[f32; 8]> = lanes(&values, -1.0).map(|l| l.to_array()).collect();
        assert_eq!(lanes.len(), 3);
        assert_eq!(lanes[2], [17.0, 18.0, 19.0, -1.0, -1.0, -1.0, -1.0, -1.0]);
        assert_eq!(lanes.iter().flatten().filter(|&&v| v > 0.0).count(), 19);
        assert_eq!(lane_sum(f32x8::from(lanes[0])), 36.0);
        assert_eq!(super::lanes(&values[..16], -1.0).count(), 2);
    }

    #[test]
    fn column_offsets_count_from_the_centre_and_pad_far_away() {
        let mut lanes = vec![f32x8::ONE; 5];
        column_offsets(10, 3, 11.5, &mut lanes);
        let offsets: Vec<f32> = lanes.iter().flat_map(|l| l.to_array()).collect();
        assert_eq!(offsets, [-1.5, -0.5, 0.5, FAR, FAR, FAR, FAR, FAR]);
    }
}
