//! Rows of numbers of one width, stored flat: a data set's features.

use std::ops::{Index, IndexMut};

use super::DataError;

/// Rows of `width` numbers each, stored one after the other in one allocation (8 bytes a
/// number, nothing per row: a vector per row would add 24 bytes and an allocation's
/// overhead, a third more for a row of 9 features). `rows[i]` is row `i` as a slice, and
/// `&rows` iterates over the rows.
///
/// ```
/// use micrograd::data::Rows;
/// let mut rows = Rows::new(2);
/// rows.push(&[1.0, 2.0]);
/// rows.push(&[3.0, 4.0]);
/// assert_eq!((rows.len(), rows.width()), (2, 2));
/// assert_eq!(rows[1], [3.0, 4.0]);
/// assert_eq!(rows, [[1.0, 2.0], [3.0, 4.0]]);
/// let firsts: Vec<f64> = rows.iter().map(|r| r[0]).collect();
/// assert_eq!(firsts, [1.0, 3.0]);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rows {
    /// Row `i` is `data[i * width..(i + 1) * width]`.
    data: Vec<f64>,
    width: usize,
    /// The number of rows (kept apart: with width 0, `data` cannot tell).
    len: usize,
}

impl Rows {
    /// No rows, of `width` numbers each.
    pub fn new(width: usize) -> Rows {
        Rows {
            data: Vec::new(),
            width,
            len: 0,
        }
    }

    /// The rows of `rows`, which must all have the length of the first (no rows: width 0).
    ///
    /// Panics if they do not (a programming error: files go through the CSV reader, which
    /// reports ragged rows as [`DataError::Ragged`]).
    pub fn from_rows(rows: &[Vec<f64>]) -> Rows {
        let width = rows.first().map_or(0, Vec::len);
        let mut out = Rows::new(width);
        out.data.reserve_exact(width * rows.len());
        for (i, r) in rows.iter().enumerate() {
            assert_eq!(
                r.len(),
                width,
                "Rows: row {i} has {} numbers, the first {width}",
                r.len()
            );
            out.push(r);
        }
        out
    }

    /// Appends a row. Panics if its length is not the width.
    pub fn push(&mut self, row: &[f64]) {
        assert_eq!(
            row.len(),
            self.width,
            "Rows: a row of {} numbers, the width is {}",
            row.len(),
            self.width
        );
        self.data.extend_from_slice(row);
        self.len += 1;
    }

    /// Makes room for one more row (growing by doubling, as `push` does), or errors with
    /// [`DataError::TooLarge`] at `line` if memory cannot be had: a file larger than memory
    /// is an error, not an abort.
    pub(crate) fn reserve_row(&mut self, line: usize) -> Result<(), DataError> {
        if self.data.capacity() - self.data.len() < self.width {
            let more = self.data.len().max(64 * self.width).max(self.width);
            self.data
                .try_reserve_exact(more)
                .map_err(|_| DataError::TooLarge { line })?;
        }
        Ok(())
    }

    /// Appends a row of the numbers `f` gives for its `width` positions, or none if `f`
    /// fails (its error returned). Pre: [`reserve_row`](Rows::reserve_row) made room.
    pub(crate) fn push_with<E>(
        &mut self,
        mut f: impl FnMut(usize) -> Result<f64, E>,
    ) -> Result<(), E> {
        let start = self.data.len();
        for j in 0..self.width {
            match f(j) {
                Ok(x) => self.data.push(x),
                Err(e) => {
                    self.data.truncate(start);
                    return Err(e);
                }
            }
        }
        self.len += 1;
        Ok(())
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The numbers in a row.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Row `i`, or `None` past the end.
    pub fn get(&self, i: usize) -> Option<&[f64]> {
        (i < self.len).then(|| &self.data[i * self.width..(i + 1) * self.width])
    }

    /// Every number, row after row.
    pub fn as_flat(&self) -> &[f64] {
        &self.data
    }

    /// The rows, first to last.
    pub fn iter(&self) -> RowIter<'_> {
        RowIter {
            rows: self,
            front: 0,
            back: self.len,
        }
    }

    /// The rows as vectors (a copy).
    pub fn to_vecs(&self) -> Vec<Vec<f64>> {
        self.iter().map(<[f64]>::to_vec).collect()
    }

    /// Keeps, of each row, the numbers at positions `at`, in that order (each below the
    /// width; repeats allowed): the new width is `at.len()`. In place, one row's copy at a
    /// time.
    pub fn select_columns(&mut self, at: &[usize]) {
        let (old, new) = (self.width, at.len());
        assert!(
            at.iter().all(|&j| j < old),
            "Rows::select_columns: a position past the width {old}"
        );
        if new > old {
            let data = self
                .iter()
                .flat_map(|r| at.iter().map(move |&j| r[j]))
                .collect();
            *self = Rows {
                data,
                width: new,
                len: self.len,
            };
            return;
        }
        let mut row = Vec::with_capacity(new);
        for i in 0..self.len {
            // Row i's new numbers go at or below its old ones (new <= old), above every new
            // row before it, and below every old row after it.
            row.clear();
            row.extend(at.iter().map(|&j| self.data[i * old + j]));
            self.data[i * new..(i + 1) * new].copy_from_slice(&row);
        }
        self.data.truncate(self.len * new);
        self.data.shrink_to_fit();
        self.width = new;
    }
}

impl Index<usize> for Rows {
    type Output = [f64];

    /// Row `i`. Panics past the end.
    fn index(&self, i: usize) -> &[f64] {
        assert!(i < self.len, "row {i} of {} rows", self.len);
        &self.data[i * self.width..(i + 1) * self.width]
    }
}

impl IndexMut<usize> for Rows {
    fn index_mut(&mut self, i: usize) -> &mut [f64] {
        assert!(i < self.len, "row {i} of {} rows", self.len);
        &mut self.data[i * self.width..(i + 1) * self.width]
    }
}

/// The rows of a [`Rows`], as slices.
#[derive(Debug, Clone)]
pub struct RowIter<'a> {
    rows: &'a Rows,
    front: usize,
    back: usize,
}

impl<'a> Iterator for RowIter<'a> {
    type Item = &'a [f64];

    fn next(&mut self) -> Option<&'a [f64]> {
        (self.front < self.back).then(|| {
            self.front += 1;
            &self.rows[self.front - 1]
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.back - self.front;
        (n, Some(n))
    }
}

impl DoubleEndedIterator for RowIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        (self.front < self.back).then(|| {
            self.back -= 1;
            &self.rows[self.back]
        })
    }
}

impl ExactSizeIterator for RowIter<'_> {}

impl<'a> IntoIterator for &'a Rows {
    type Item = &'a [f64];
    type IntoIter = RowIter<'a>;

    fn into_iter(self) -> RowIter<'a> {
        self.iter()
    }
}

impl From<Vec<Vec<f64>>> for Rows {
    /// As [`Rows::from_rows`].
    fn from(rows: Vec<Vec<f64>>) -> Rows {
        Rows::from_rows(&rows)
    }
}

impl<const N: usize, const M: usize> PartialEq<[[f64; M]; N]> for Rows {
    fn eq(&self, other: &[[f64; M]; N]) -> bool {
        self.len == N && self.iter().zip(other).all(|(a, b)| a == b)
    }
}

impl<const N: usize, const M: usize> PartialEq<[[f64; M]; N]> for &Rows {
    fn eq(&self, other: &[[f64; M]; N]) -> bool {
        **self == *other
    }
}

impl PartialEq<Vec<Vec<f64>>> for Rows {
    fn eq(&self, other: &Vec<Vec<f64>>) -> bool {
        self.len == other.len() && self.iter().zip(other).all(|(a, b)| a == b.as_slice())
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Rows {
    /// As a list of rows, each a list of numbers (as a `Vec<Vec<f64>>`).
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_columns_reorders_and_drops_in_place() {
        let mut r = Rows::from_rows(&[vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0]]);
        r.select_columns(&[2, 0]);
        assert_eq!(r, [[3.0, 1.0], [6.0, 4.0]]);
        r.select_columns(&[1, 0, 0]);
        assert_eq!(r, [[1.0, 3.0, 3.0], [4.0, 6.0, 6.0]]);
        let mut empty = Rows::new(3);
        empty.select_columns(&[1]);
        assert_eq!((empty.len(), empty.width()), (0, 1));
    }

    #[test]
    fn width_zero_rows_are_counted() {
        let mut r = Rows::new(0);
        r.push(&[]);
        r.push(&[]);
        assert_eq!(r.len(), 2);
        assert_eq!(r.iter().count(), 2);
        assert_eq!(r[1], [] as [f64; 0]);
    }

    #[test]
    fn push_with_keeps_nothing_of_a_failed_row() {
        let mut r = Rows::new(3);
        r.reserve_row(1).unwrap();
        r.push_with(|j| Ok::<_, ()>(j as f64)).unwrap();
        r.reserve_row(2).unwrap();
        assert_eq!(
            r.push_with(|j| if j < 2 { Ok(9.0) } else { Err(()) }),
            Err(())
        );
        assert_eq!(r, [[0.0, 1.0, 2.0]]);
        assert_eq!(r.as_flat().len(), 3);
    }
}
