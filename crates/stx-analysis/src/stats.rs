//! Step 1: exact statistics of the raw pixel values.
//!
//! `u16` frames: one parallel pass counts the pixels into a 65 536-bin
//! [`Histogram`] per rayon split (for a frame whose stars are detected, the pass
//! that also bins it: `first_pass`); the splits' counts are merged and every
//! statistic is read off the merged histogram with integer arithmetic, so they
//! are exact (the variance up to the final division). `f32` frames: parallel sums
//! and an O(n) selection for the median.

use rayon::prelude::*;

/// Pixels per work item of the histogram pass: small enough to share a frame
/// among the cores (the 65 536-bin counts are merged per split, not per item).
const HISTOGRAM_CHUNK_PIXELS: usize = 1 << 21;

/// Statistics of the raw pixel values of a frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameStats {
    /// Arithmetic mean.
    pub mean: f64,
    /// Exact median; the mean of the two middle values for an even count.
    pub median: f64,
    /// Population standard deviation (divides by n).
    pub std_dev: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

/// Exact statistics of integer pixels (not empty) counted by a 16-bit `key` that
/// `level_of_key` turns into the level. A key is what costs least to take from a
/// pixel (for FITS data as stored, its two bytes read big-endian): the
/// histogram's 65 536 bins are put in level order once, not every pixel converted.
pub(crate) fn stats_by_key<T: Copy + Sync>(
    pixels: &[T],
    key: impl Fn(T) -> u16 + Sync,
    level_of_key: impl Fn(u16) -> u16,
) -> FrameStats {
    stats_of(&Histogram::of_keys(pixels, key, level_of_key))
}

/// The statistics of the values a histogram counts (at least one), exact: integer
/// sums up to the final divisions.
pub(crate) fn stats_of(histogram: &Histogram) -> FrameStats {
    let (mut n, mut sum, mut sum_sq) = (0u128, 0u128, 0u128);
    for (v, &count) in histogram.counts().iter().enumerate() {
        let (v, count) = (v as u128, u128::from(count));
        n += count;
        sum += v * count;
        sum_sq += v * v * count;
    }
    // Exact: n·Σv² − (Σv)² is an integer ≥ 0.
    let variance = (n * sum_sq - sum * sum) as f64 / (n as f64 * n as f64);
    FrameStats {
        mean: sum as f64 / n as f64,
        median: histogram.median(),
        std_dev: variance.sqrt(),
        min: histogram.lowest().unwrap_or(0) as f64,
        max: histogram.highest().unwrap_or(0) as f64,
    }
}

/// How many values fall on each integer (index = value): exact order statistics
/// of integer data in one pass. Also the display stretch's histogram of levels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Histogram {
    counts: Vec<u64>,
}

impl Histogram {
    /// The histogram of `u16` values (65 536 bins), built in parallel: each of
    /// rayon's splits counts its chunks into one [`Counts`], merged at the end.
    pub fn of_u16(values: &[u16]) -> Histogram {
        Histogram::of_keys(values, |v| v, |v| v)
    }

    /// The histogram of the levels of `values`, counted by key (see [`stats_by_key`]).
    fn of_keys<T: Copy + Sync>(
        values: &[T],
        key: impl Fn(T) -> u16 + Sync,
        level_of_key: impl Fn(u16) -> u16,
    ) -> Histogram {
        let by_key = values
            .par_chunks(HISTOGRAM_CHUNK_PIXELS)
            .fold(Counts::new, |mut counts, chunk| {
                counts.add(chunk, &key);
                counts
            })
            .map(Counts::total)
            .reduce_with(add_counts)
            .unwrap_or_else(|| vec![0; 1 << 16]);
        Histogram::from_keyed(by_key, level_of_key)
    }

    /// The histogram of counts by key (`by_key[k]`: how many values have key `k`).
    pub(crate) fn from_keyed(by_key: Vec<u64>, level_of_key: impl Fn(u16) -> u16) -> Histogram {
        let mut counts = vec![0; 1 << 16];
        for (k, count) in (0..=u16::MAX).zip(by_key) {
            counts[usize::from(level_of_key(k))] = count;
        }
        Histogram { counts }
    }

    /// A histogram from its counts (`counts[v]`: how many values equal `v`).
    pub fn from_counts(counts: Vec<u64>) -> Histogram {
        Histogram { counts }
    }

    /// The counts, index = value.
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// The value of 0-based `rank` among the values in ascending order (the last
    /// bin if `rank` is beyond them).
    pub fn value_at_rank(&self, rank: u64) -> usize {
        let mut seen = 0;
        for (v, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen > rank {
                return v;
            }
        }
        self.counts.len().saturating_sub(1)
    }

    /// The exact median, the mean of the two middle values for an even count; 0
    /// for no values.
    pub fn median(&self) -> f64 {
        let n: u64 = self.counts.iter().sum();
        if n == 0 {
            return 0.0;
        }
        (self.value_at_rank((n - 1) / 2) + self.value_at_rank(n / 2)) as f64 / 2.0
    }

    /// The smallest value present.
    pub fn lowest(&self) -> Option<usize> {
        self.counts.iter().position(|&c| c > 0)
    }

    /// The largest value present.
    pub fn highest(&self) -> Option<usize> {
        self.counts.iter().rposition(|&c| c > 0)
    }
}

/// One split's counts: four interleaved sub-histograms of `u32`, so that runs of
/// equal values (a flat sky) do not wait on one counter's store. Allocated once per
/// split rather than per chunk (each fresh megabyte costs 256 page faults).
pub(crate) struct Counts {
    sub: Vec<u32>,
    /// Counts moved out of `sub` before a `u32` could overflow.
    spilled: Vec<u64>,
    /// Values counted in `sub` since the last spill.
    pending: u64,
}

impl Counts {
    pub(crate) fn new() -> Counts {
        Counts { sub: vec![0; 4 << 16], spilled: Vec::new(), pending: 0 }
    }

    /// Counts `pixels` by their `key`s.
    pub(crate) fn add<T: Copy>(&mut self, pixels: &[T], key: impl Fn(T) -> u16) {
        if self.pending + pixels.len() as u64 > u64::from(u32::MAX) {
            self.spill();
        }
        self.pending += pixels.len() as u64;
        let (a, rest) = self.sub.split_at_mut(1 << 16);
        let (b, rest) = rest.split_at_mut(1 << 16);
        let (c, d) = rest.split_at_mut(1 << 16);
        let mut quads = pixels.chunks_exact(4);
        for q in &mut quads {
            a[usize::from(key(q[0]))] += 1;
            b[usize::from(key(q[1]))] += 1;
            c[usize::from(key(q[2]))] += 1;
            d[usize::from(key(q[3]))] += 1;
        }
        for &p in quads.remainder() {
            a[usize::from(key(p))] += 1;
        }
    }

    fn spill(&mut self) {
        self.spilled.resize(1 << 16, 0);
        for sub in self.sub.chunks_exact_mut(1 << 16) {
            self.spilled.iter_mut().zip(sub.iter_mut()).for_each(|(total, count)| {
                *total += u64::from(std::mem::take(count));
            });
        }
        self.pending = 0;
    }

    /// The counts per key.
    pub(crate) fn total(mut self) -> Vec<u64> {
        self.spill();
        self.spilled
    }
}

/// Two splits' counts per key, added.
pub(crate) fn add_counts(mut a: Vec<u64>, b: Vec<u64>) -> Vec<u64> {
    a.iter_mut().zip(&b).for_each(|(a, b)| *a += b);
    a
}

/// Statistics of finite `f32` pixels: f64 sums (two passes for the variance) and
/// an O(n) selection for the exact median.
pub(crate) fn stats_f32(pixels: &[f32]) -> FrameStats {
    let n = pixels.len() as f64;
    let (sum, min, max) = pixels
        .par_chunks(1 << 16)
        .map(|c| {
            c.iter().fold((0.0f64, f32::INFINITY, f32::NEG_INFINITY), |(s, lo, hi), &p| {
                (s + f64::from(p), lo.min(p), hi.max(p))
            })
        })
        .reduce(|| (0.0, f32::INFINITY, f32::NEG_INFINITY), |a, b| (a.0 + b.0, a.1.min(b.1), a.2.max(b.2)));
    let mean = sum / n;
    let sum_sq: f64 = pixels
        .par_chunks(1 << 16)
        .map(|c| c.iter().map(|&p| (f64::from(p) - mean).powi(2)).sum::<f64>())
        .sum();
    let mut sorted = pixels.to_vec();
    let mid = sorted.len() / 2;
    let (left, &mut upper, _) = sorted.select_nth_unstable_by(mid, f32::total_cmp);
    let median = if pixels.len() % 2 == 1 {
        f64::from(upper)
    } else {
        let lower = left.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        (f64::from(lower) + f64::from(upper)) / 2.0
    };
    FrameStats { mean, median, std_dev: (sum_sq / n).sqrt(), min: f64::from(min), max: f64::from(max) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks the statistics of both pixel paths against a naive computation.
    fn check(values: &[u16]) {
        let n = values.len() as f64;
        let mean = values.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
        let var = values.iter().map(|&v| (f64::from(v) - mean).powi(2)).sum::<f64>() / n;
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        let median = (f64::from(sorted[(sorted.len() - 1) / 2]) + f64::from(sorted[sorted.len() / 2])) / 2.0;
        let expect = FrameStats {
            mean,
            median,
            std_dev: var.sqrt(),
            min: f64::from(sorted[0]),
            max: f64::from(*sorted.last().unwrap()),
        };
        let floats: Vec<f32> = values.iter().map(|&v| f32::from(v)).collect();
        for got in [stats_of(&Histogram::of_u16(values)), stats_f32(&floats)] {
            assert_eq!(got.median, expect.median);
            assert_eq!((got.min, got.max), (expect.min, expect.max));
            assert!(
                (got.mean - expect.mean).abs() <= 1e-9 * expect.mean.abs().max(1.0),
                "{got:?} {expect:?}"
            );
            assert!(
                (got.std_dev - expect.std_dev).abs() <= 1e-9 * expect.std_dev.max(1.0),
                "{got:?} {expect:?}"
            );
        }
    }

    #[test]
    fn single_pixel() {
        check(&[7]);
    }

    #[test]
    fn even_count_median_is_mean_of_middle_two() {
        check(&[1, 2, 3, 10]);
        check(&[0, 65535]);
    }

    #[test]
    fn extremes_and_constant() {
        check(&[65535; 12]);
        check(&[0; 9]);
        check(&[0, 65535, 0, 65535, 1]);
    }

    #[test]
    fn counts_spilled_midway_add_up() {
        let values: Vec<u16> = (0..10_000u32).map(|i| (i * 7919 % 65_536) as u16).collect();
        let mut counts = Counts::new();
        counts.add(&values[..3001], |v| v);
        counts.spill();
        counts.add(&values[3001..], |v| v);
        assert_eq!(Histogram::from_counts(counts.total()), Histogram::of_u16(&values));
        assert_eq!(Histogram::of_u16(&values).counts().iter().sum::<u64>(), 10_000);
    }

    #[test]
    fn large_pseudo_random_frame_spans_chunks() {
        let mut x = 12345u32;
        let values: Vec<u16> = (0..3_000_001)
            .map(|_| {
                x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (x >> 16) as u16
            })
            .collect();
        check(&values);
    }
}
