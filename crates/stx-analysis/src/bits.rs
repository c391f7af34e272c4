//! A bit per binned pixel: which pixels pass a test (star light, a detection's
//! S/N), so that later steps visit only those, 64 pixels to a word, instead of
//! reading the whole grid again.

use rayon::prelude::*;
use wide::f32x8;

use crate::lanes::lanes;
use crate::workspace::overwritable;

/// Pixels per word.
pub(crate) const WORD: usize = u64::BITS as usize;

/// A bit per pixel of a grid `width` pixels wide, row after row, each row whole
/// words (the bits past its end clear).
#[derive(Debug, Default)]
pub(crate) struct BitGrid {
    pub(crate) words: Vec<u64>,
    pub(crate) width: usize,
    /// Words per row.
    pub(crate) per_row: usize,
}

impl BitGrid {
    /// A `width` × `height` grid in `buffer`'s allocation, for a step that writes
    /// every row ([`BitGrid::rows_mut`], [`fill_row`]).
    pub(crate) fn sized(buffer: Vec<u64>, width: usize, height: usize) -> BitGrid {
        let per_row = width.div_ceil(WORD);
        BitGrid { words: overwritable(buffer, per_row * height, 0), width, per_row }
    }

    /// Rows.
    pub(crate) fn height(&self) -> usize {
        self.words.len() / self.per_row
    }

    /// The words of `rows` rows at a time, in order, in parallel.
    pub(crate) fn rows_mut(&mut self, rows: usize) -> rayon::slice::ChunksMut<'_, u64> {
        self.words.par_chunks_mut(self.per_row * rows)
    }

    /// Row `y`'s words.
    pub(crate) fn row(&self, y: usize) -> &[u64] {
        &self.words[y * self.per_row..(y + 1) * self.per_row]
    }

    /// The columns whose bits are set in row `y`, in order.
    pub(crate) fn ones(&self, y: usize) -> impl Iterator<Item = usize> + '_ {
        self.row(y).iter().enumerate().flat_map(|(i, &word)| set_bits(word).map(move |bit| i * WORD + bit))
    }
}

/// The positions of the set bits of `word`, lowest first.
pub(crate) fn set_bits(mut word: u64) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        (word != 0).then(|| {
            let bit = word.trailing_zeros() as usize;
            word &= word - 1;
            bit
        })
    })
}

/// The bits of one row of `values` into `bits` (its words): set where `test`
/// (a lane comparison, eight values at a time) holds. Values past the row's end
/// are tested as −∞.
pub(crate) fn fill_row(values: &[f32], bits: &mut [u64], test: impl Fn(f32x8) -> f32x8) {
    for (word, values) in bits.iter_mut().zip(values.chunks(WORD)) {
        *word = lanes(values, f32::NEG_INFINITY)
            .enumerate()
            .fold(0, |word, (i, v)| word | (u64::from(test(v).move_mask() as u8) << (8 * i)));
    }
}

#[cfg(test)]
mod tests {
    use wide::CmpGe;

    use super::*;

    #[test]
    fn bits_set_where_the_test_holds_and_ones_find_them() {
        let (width, height) = (130, 3);
        let values: Vec<f32> = (0..width * height).map(|i| ((i * 7) % 11) as f32).collect();
        let mut grid = BitGrid::sized(vec![u64::MAX; 2], width, height);
        let five = f32x8::splat(5.0);
        grid.rows_mut(1)
            .zip(values.par_chunks(width))
            .for_each(|(bits, row)| fill_row(row, bits, |v| v.cmp_ge(five)));
        for y in 0..height {
            let expect: Vec<usize> = (0..width).filter(|&x| values[y * width + x] >= 5.0).collect();
            assert_eq!(grid.ones(y).collect::<Vec<_>>(), expect, "row {y}");
        }
        assert_eq!(grid.row(0).len(), 3);
    }
}
