//! Unsigned fixed-point fractions with 32 fractional bits, and exact normalisation.
//!
//! Every operation is integer arithmetic, so results are bit-identical on every machine (the
//! runtime's wasm and a node's native code included).

use alloc::vec::Vec;
use core::{
	fmt,
	ops::{Add, Sub},
};

/// Number of fractional bits.
pub const FRAC_BITS: u32 = 32;

/// The raw representation of one.
const ONE_RAW: u64 = 1 << FRAC_BITS;

/// A non-negative fraction `raw / 2^32` (U32F32). Saturates instead of overflowing.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fixed(u64);

impl Fixed {
	/// 0.
	pub const ZERO: Fixed = Fixed(0);
	/// 1.
	pub const ONE: Fixed = Fixed(ONE_RAW);

	/// From the raw representation (`raw / 2^32`).
	pub const fn from_raw(raw: u64) -> Self {
		Fixed(raw)
	}

	/// The raw representation.
	pub const fn raw(self) -> u64 {
		self.0
	}

	/// `num / den`, rounded down; zero when `den` is zero, saturating above `u32::MAX`.
	pub fn from_ratio(num: u128, den: u128) -> Self {
		if den == 0 {
			return Fixed::ZERO;
		}
		// num * 2^32 overflows only for num >= 2^96, far beyond any stake; saturate anyway.
		let scaled = num.checked_shl(FRAC_BITS).filter(|s| s >> FRAC_BITS == num);
		match scaled {
			Some(s) => Fixed(u64::try_from(s / den).unwrap_or(u64::MAX)),
			None => Fixed(u64::try_from(num / den).map_or(u64::MAX, |q| q.saturating_mul(1 << 32))),
		}
	}

	/// A `u16` weight or parameter as a fraction of `u16::MAX`.
	pub fn from_u16_fraction(v: u16) -> Self {
		Fixed::from_ratio(v as u128, u16::MAX as u128)
	}

	/// A fraction in millionths (`1_000_000` = 1).
	pub fn from_millionths(v: u32) -> Self {
		Fixed::from_ratio(v as u128, 1_000_000)
	}

	/// `self * rhs`, rounded down.
	pub fn mul_floor(self, rhs: Fixed) -> Fixed {
		let (a, b) = (self.0, rhs.0);
		// Fractions of at most one, not both exactly one, multiply within 64 bits: the epoch's
		// products all are, and u128 arithmetic is a library call in wasm.
		if a.max(b) <= ONE_RAW && a.min(b) < ONE_RAW {
			return Fixed((a * b) >> FRAC_BITS);
		}
		let p = (a as u128 * b as u128) >> FRAC_BITS;
		Fixed(u64::try_from(p).unwrap_or(u64::MAX))
	}

	/// `self / rhs`, rounded down; zero when `rhs` is zero.
	pub fn div_floor(self, rhs: Fixed) -> Fixed {
		let (num, den) = (self.0, rhs.0);
		// The epoch divides fractions of at most one (by column sums): 64-bit division suffices.
		if den == 0 {
			Fixed::ZERO
		} else if num < ONE_RAW {
			Fixed((num << FRAC_BITS) / den)
		} else if num == ONE_RAW {
			// 2^64 / den: one more than (2^64 - 1) / den exactly when den divides 2^64;
			// saturating for den = 1.
			let (q, r) = (u64::MAX / den, u64::MAX % den);
			Fixed(if r == den - 1 { q.saturating_add(1) } else { q })
		} else {
			Fixed::from_ratio(num as u128, den as u128)
		}
	}

	/// Whether this is zero.
	pub fn is_zero(self) -> bool {
		self.0 == 0
	}

	/// `1 - self`, floored at zero.
	pub fn one_minus(self) -> Fixed {
		Fixed::ONE - self
	}

	/// As `f64`, for tests and display only: consensus never uses floats.
	pub fn to_f64(self) -> f64 {
		self.0 as f64 / (1u64 << FRAC_BITS) as f64
	}
}

impl Add for Fixed {
	type Output = Fixed;
	fn add(self, rhs: Fixed) -> Fixed {
		Fixed(self.0.saturating_add(rhs.0))
	}
}

impl Sub for Fixed {
	type Output = Fixed;
	fn sub(self, rhs: Fixed) -> Fixed {
		Fixed(self.0.saturating_sub(rhs.0))
	}
}

impl core::iter::Sum for Fixed {
	fn sum<I: Iterator<Item = Fixed>>(iter: I) -> Fixed {
		iter.fold(Fixed::ZERO, |a, b| a + b)
	}
}

impl fmt::Debug for Fixed {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		write!(f, "{:.9}", self.to_f64())
	}
}

impl fmt::Display for Fixed {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		write!(f, "{:.9}", self.to_f64())
	}
}

/// Splits `total` in proportion to `parts`, exactly: the results sum to `total` whenever some
/// part is non-zero (all zero otherwise). Rounding leftovers go to the largest remainders, ties
/// to the lower index, so the split is deterministic.
pub fn apportion(total: u128, parts: &[u128]) -> Vec<u128> {
	if let Ok(total) = u64::try_from(total) {
		let small: Option<Vec<u64>> = parts.iter().map(|&p| u64::try_from(p).ok()).collect();
		if let Some(small) = small {
			let mut out = alloc::vec![0u64; small.len()];
			if apportion_u64(total, &small, &mut out, &mut Vec::new()) {
				return out.into_iter().map(u128::from).collect();
			}
		}
	}
	apportion_u128(total, parts)
}

/// [`apportion`] in 64-bit arithmetic, into `out` (one entry per part), for parts summing to at
/// most 2^32 (every remainder then fits in 32 bits and every product in 64); `remainders` is
/// scratch space. Returns `false`, leaving `out` unspecified, when the parts sum to more.
///
/// The epoch normalises each validator's `u16` weights this way: at most 65,536 of them sum to
/// less than 2^32.
pub(crate) fn apportion_u64(
	total: u64,
	parts: &[u64],
	out: &mut [u64],
	remainders: &mut Vec<u64>,
) -> bool {
	debug_assert_eq!(parts.len(), out.len());
	let mut sum = 0u64;
	for &p in parts {
		sum += p.min(ONE_RAW + 1);
		if sum > ONE_RAW {
			return false;
		}
	}
	// Remainders carry the part's index in their low 32 bits.
	if u32::try_from(parts.len()).is_err() {
		return false;
	}
	if sum == 0 {
		out.fill(0);
		return true;
	}
	// total = qt * sum + rt, so total * p / sum = qt * p + rt * p / sum, with rt * p < sum^2.
	let (qt, rt) = (total / sum, total % sum);
	remainders.clear();
	let mut given = 0u64;
	for (i, (&p, o)) in parts.iter().zip(out.iter_mut()).enumerate() {
		let rp = rt * p;
		let q = qt * p + rp / sum;
		*o = q;
		given += q;
		let r = rp % sum;
		if r != 0 {
			// Descending order of this key is largest remainder first, ties to the lower index.
			remainders.push((r << 32) | u64::from(u32::MAX - i as u32));
		}
	}
	// The leftover is the sum of the fractional parts, so fewer units than non-zero remainders;
	// only which remainders are the largest matters, not their order.
	let left = (total - given) as usize;
	let top = if left < remainders.len() {
		remainders.select_nth_unstable_by(left, |a, b| b.cmp(a)).0
	} else {
		&mut remainders[..]
	};
	for &key in top.iter() {
		out[(u32::MAX - key as u32) as usize] += 1;
	}
	true
}

/// [`apportion`] for totals and parts beyond [`apportion_u64`].
fn apportion_u128(total: u128, parts: &[u128]) -> Vec<u128> {
	// Keep every product below 2^128: parts are scaled down (by a power of two, the same for
	// all) until their sum and the total fit in 64 bits. Only astronomically large inputs lose
	// their lowest bits this way.
	let mut shift = 0u32;
	let sum = |shift: u32| parts.iter().fold(0u128, |a, &p| a.saturating_add(p >> shift));
	while sum(shift) > u64::MAX as u128 {
		shift += 1;
	}
	let sum = sum(shift);
	let mut out: Vec<u128> = Vec::with_capacity(parts.len());
	if sum == 0 {
		out.resize(parts.len(), 0);
		return out;
	}
	// total = qt * sum + rt, so total * p / sum = qt * p + rt * p / sum, with rt * p < 2^128.
	let (qt, rt) = (total / sum, total % sum);
	let mut remainders: Vec<(u128, usize)> = Vec::new();
	let mut given = 0u128;
	for (i, &p) in parts.iter().enumerate() {
		let p = p >> shift;
		let rp = rt * p;
		let q = qt * p + rp / sum;
		out.push(q);
		given += q;
		if !rp.is_multiple_of(sum) {
			remainders.push((rp % sum, i));
		}
	}
	// Largest remainder first, ties to the lower index; only the leftover's worth of them count.
	let order = |a: &(u128, usize), b: &(u128, usize)| b.0.cmp(&a.0).then(a.1.cmp(&b.1));
	let left = usize::try_from(total - given).unwrap_or(usize::MAX);
	let top = if left < remainders.len() {
		remainders.select_nth_unstable_by(left, order).0
	} else {
		&mut remainders[..]
	};
	for &(_, i) in top.iter() {
		out[i] += 1;
	}
	out
}

/// Normalises `values` to fractions that sum to exactly [`Fixed::ONE`] (all zero when every
/// value is zero).
pub fn normalize(values: &[u128]) -> Vec<Fixed> {
	apportion(Fixed::ONE.raw() as u128, values)
		.into_iter()
		.map(|v| Fixed::from_raw(v as u64))
		.collect()
}

/// [`normalize`] for values that are already fractions.
pub fn normalize_fixed(values: &[Fixed]) -> Vec<Fixed> {
	let raw: Vec<u128> = values.iter().map(|v| v.raw() as u128).collect();
	normalize(&raw)
}
