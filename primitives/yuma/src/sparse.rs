//! Sparse matrices in compressed rows, the epoch's working layout.
//!
//! A row is a slice of two flat arrays (target UIDs and values) between consecutive offsets, so
//! a whole matrix is three allocations however many rows it has, and walking it is sequential.

use crate::Uid;
use alloc::vec::Vec;

/// Row `i` holds `(cols[k], vals[k])` for `k` in `offsets[i]..offsets[i + 1]`.
#[derive(Clone, Debug)]
pub(crate) struct Csr<V> {
	offsets: Vec<usize>,
	cols: Vec<Uid>,
	vals: Vec<V>,
}

impl<V: Copy> Csr<V> {
	/// An empty matrix with room for `rows` rows and `entries` entries.
	pub(crate) fn with_capacity(rows: usize, entries: usize) -> Self {
		let mut offsets = Vec::with_capacity(rows + 1);
		offsets.push(0);
		Csr { offsets, cols: Vec::with_capacity(entries), vals: Vec::with_capacity(entries) }
	}

	/// Appends an entry to the row being built.
	pub(crate) fn push(&mut self, col: Uid, val: V) {
		self.cols.push(col);
		self.vals.push(val);
	}

	/// Closes the row being built (possibly empty) and starts the next.
	pub(crate) fn end_row(&mut self) {
		self.offsets.push(self.cols.len());
	}

	/// Number of rows closed so far.
	pub(crate) fn rows(&self) -> usize {
		self.offsets.len() - 1
	}

	/// Total number of entries.
	pub(crate) fn len(&self) -> usize {
		self.cols.len()
	}

	/// Row `i`: its target UIDs and values.
	pub(crate) fn row(&self, i: usize) -> (&[Uid], &[V]) {
		let range = self.offsets[i]..self.offsets[i + 1];
		(&self.cols[range.clone()], &self.vals[range])
	}

	/// All entries in row order, without their rows.
	pub(crate) fn entries(&self) -> (&[Uid], &[V]) {
		(&self.cols, &self.vals)
	}

	/// Keeps, row by row in order, the entries for which `f(row, col, &mut value)` returns
	/// `true` (with the value it leaves), compacting in place.
	pub(crate) fn retain(&mut self, mut f: impl FnMut(usize, Uid, &mut V) -> bool) {
		let rows = self.rows();
		let mut kept = 0;
		for i in 0..rows {
			let (start, end) = (self.offsets[i], self.offsets[i + 1]);
			self.offsets[i] = kept;
			for k in start..end {
				let (col, mut val) = (self.cols[k], self.vals[k]);
				if f(i, col, &mut val) {
					self.cols[kept] = col;
					self.vals[kept] = val;
					kept += 1;
				}
			}
		}
		self.offsets[rows] = kept;
		self.cols.truncate(kept);
		self.vals.truncate(kept);
	}

	/// Drops the entries pushed since the last [`Csr::end_row`].
	pub(crate) fn truncate_row(&mut self) {
		let start = self.offsets[self.rows()];
		self.cols.truncate(start);
		self.vals.truncate(start);
	}

	/// The entries pushed since the last [`Csr::end_row`].
	pub(crate) fn open_row(&self) -> (&[Uid], &[V]) {
		let start = self.offsets[self.rows()];
		(&self.cols[start..], &self.vals[start..])
	}

	/// The values pushed since the last [`Csr::end_row`], to change in place.
	pub(crate) fn open_row_mut(&mut self) -> &mut [V] {
		let start = self.offsets[self.rows()];
		&mut self.vals[start..]
	}
}

/// Whether `cols` is strictly increasing: sorted, each UID at most once.
pub(crate) fn strictly_increasing(cols: &[Uid]) -> bool {
	cols.windows(2).all(|w| w[0] < w[1])
}
