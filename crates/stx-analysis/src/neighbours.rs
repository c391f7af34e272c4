//! Neighbour queries on points in the plane.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A cheap hash for integer cell keys (the default SipHash dominated the
/// neighbour searches).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct CellHasher(u64);

impl Hasher for CellHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn write_i64(&mut self, v: i64) {
        self.write_u64(v as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Points bucketed on a square grid, for neighbour queries within one cell size.
#[derive(Debug)]
pub(crate) struct SpatialGrid {
    cell: f64,
    buckets: HashMap<(i64, i64), Vec<usize>, BuildHasherDefault<CellHasher>>,
}

impl SpatialGrid {
    pub(crate) fn new(points: &[(f64, f64)], cell: f64) -> Self {
        let mut grid = SpatialGrid { cell, buckets: Default::default() };
        for (i, &(x, y)) in points.iter().enumerate() {
            grid.insert(x, y, i);
        }
        grid
    }

    fn key(&self, x: f64, y: f64) -> (i64, i64) {
        ((x / self.cell).floor() as i64, (y / self.cell).floor() as i64)
    }

    pub(crate) fn insert(&mut self, x: f64, y: f64, i: usize) {
        let key = self.key(x, y);
        self.buckets.entry(key).or_default().push(i);
    }

    /// Indices of the points in the 3×3 cells around (x, y): every point within
    /// one cell size, and some farther ones.
    pub(crate) fn near(&self, x: f64, y: f64) -> impl Iterator<Item = usize> + '_ {
        let (kx, ky) = self.key(x, y);
        (ky - 1..=ky + 1)
            .flat_map(move |y| (kx - 1..=kx + 1).map(move |x| (x, y)))
            .filter_map(|k| self.buckets.get(&k))
            .flatten()
            .copied()
    }
}
