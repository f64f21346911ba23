//! # Yuma Consensus
//!
//! The per-subnet consensus of Agora, as pure functions over plain data: no storage, no floats,
//! deterministic to the bit. `pallet-rewards` calls [`epoch`] every `tempo` blocks and pays out
//! with [`split_emission`].
//!
//! ## Terms
//!
//! - *UID*: a neuron's slot in a subnet, `0..n`.
//! - *Validator permit*: held by the `max_validators` neurons with the most stake (ties to the
//!   lower UID) among those with non-zero stake of at least `min_validator_stake`. Only active
//!   permit holders' weights count, and only permit holders hold bonds and earn dividends.
//! - *Weights* `W[i][j]`: how validator `i` rates neuron `j`, `u16` on chain.
//!
//! ## Design
//!
//! ```text
//! S[i]      = stake[i] / Σ stake, over active permit holders (0 for everyone else)
//! W[i][j]   = w[i][j] / Σ_j w[i][j]   (self-weights, weights on UIDs registered after i's last
//!                                       update, and weights of non-validators dropped)
//! C[j]      = max { c : Σ_{i : W[i][j] ≥ c} S[i] ≥ κ }        stake-weighted median at κ
//! Wc[i][j]  = min(W[i][j], C[j])                               clip to consensus
//! VT[i]     = Σ_j Wc[i][j]                                     validator trust
//! P[j]      = Σ_i S[i]·W[i][j],  R[j] = Σ_i S[i]·Wc[i][j]      pre-rank, rank
//! T[j]      = R[j] / P[j]                                      trust
//! I         = R / Σ R                                          incentive
//! ΔB[i][j]  = S[i]·Wc[i][j] / Σ_i S[i]·Wc[i][j]                bond delta (column-normalised)
//! B_prev    = colnorm(B_prev without bonds on UIDs registered at or after the last epoch)
//! B         = colnorm(α·ΔB + (1 − α)·B_prev),  α = 1 − bonds_moving_average,
//!             over every permit holder, active or not (an inactive one's bonds decay; a UID
//!             without a permit holds none)
//! D[i]      = Σ_j B[i][j]·I[j],  D = D / Σ D                   dividends
//! ```
//!
//! Everything is sparse: weights, bond deltas and previous bonds live in compressed rows (one
//! array of entries and one of row offsets, not a vector per row), so the cost grows with the
//! number of non-zero weights and bonds, plus a selection per column for the median (expected
//! linear in the column's length). Fractions are U32F32 ([`Fixed`]); products and quotients of
//! fractions of at most one, and the normalisation of `u16` weights, stay in 64-bit arithmetic
//! (u128 is a library call in wasm). Every normalisation distributes its rounding so that the
//! parts sum to exactly one ([`normalize`]). `benches/epoch.rs` times an epoch at Bittensor's
//! scale: 4,096 UIDs, 64 validators weighting and bonding every one of them.
//!
//! ## Invariants (property-tested)
//!
//! - Incentive sums to exactly one when any neuron has rank; dividends likewise.
//! - A neuron no validator weights gets no incentive.
//! - Raising one validator's weight on a neuron never lowers that neuron's incentive (up to
//!   rounding of a few 2^-32 units).
//! - Permuting UIDs permutes the outputs (up to rounding of a few 2^-32 units).
//!
//! ## Golden vectors
//!
//! `tests/golden.rs` replays the epoch scenarios of the reference implementation
//! (opentensor/subtensor, `pallets/subtensor/src/tests/epoch.rs` and `tests/math.rs`): their
//! inputs and expected numbers are carried over as facts, the test code is Agora's own.
//! `test_1_graph`, `test_10_graph`, `test_512_graph`, `test_bonds` (also replayed one epoch at a
//! time from the u16 bonds subtensor stored), `test_active_stake`, `test_outdated_weights`,
//! `test_zero_weights`, `test_deregistered_miner_bonds`, `test_validator_permits`, and the
//! stake-weighted median vectors (`test_math_weighted_median`, fixed and randomised;
//! `test_math_weighted_median_col` / `_col_sparse`), expressed through `consensus` since the
//! median is internal to [`epoch`]. Subtensor's u16 outputs are compared within 1 unit,
//! fractions within 1e-8, bonds it stored over several epochs within 2 u16 units and dividends
//! depending on them within 2/65535.
//!
//! Deliberate differences from subtensor (bonds penalty 1, liquid alpha and Yuma 3 off):
//!
//! 1. Agora keeps U32F32 bonds; subtensor stores column-max-upscaled u16 bonds rounded down, so
//!    its bonds drift down by up to a unit per epoch.
//! 2. Bonds on a UID whose holder registered at or after `last_epoch` are dropped; subtensor
//!    masks from the previous epoch's block + 1, so a registration in the epoch's own block
//!    (after it) inherits the old bonds there.
//! 3. With no incentive and no dividends, subtensor pays the emission by stake; Agora's
//!    [`split_emission`] pays nothing and the caller keeps the emission.
//! 4. Inactive permit holders' weights are dropped (validator trust 0); subtensor keeps them at
//!    zero stake. Both decay their bonds by the moving average.
//! 5. Permits are decided and applied in the same epoch; subtensor masks with the previous
//!    epoch's permits.
//! 6. Stake ties break towards the lower UID; subtensor's `is_topk_nonzero` breaks them towards
//!    the higher. In both, zero stake never holds a permit.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

mod fixed;
mod sparse;

pub use fixed::{apportion, normalize, normalize_fixed, Fixed, FRAC_BITS};

use fixed::apportion_u64;
use sparse::{strictly_increasing, Csr};

use alloc::{vec, vec::Vec};

/// A neuron's index in its subnet.
pub type Uid = u16;

/// Subnet hyperparameters the epoch reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
	/// Share of validator stake that must back a weight for it to count fully (default 0.5).
	pub kappa: Fixed,
	/// Weight of the previous bonds in the bond EMA (e.g. 0.9).
	pub bonds_moving_average: Fixed,
	/// At most this many validator permits.
	pub max_validators: u16,
	/// Stake below this never holds a permit.
	pub min_validator_stake: u64,
}

/// One subnet's state going into an epoch; every slice has one entry per UID.
#[derive(Clone, Copy, Debug)]
pub struct EpochInput<'a> {
	/// Stake behind each UID's hotkey.
	pub stake: &'a [u64],
	/// Whether each UID updated (set weights or registered) within the activity cutoff.
	pub active: &'a [bool],
	/// Block of each UID's last weight update.
	pub last_update: &'a [u64],
	/// Block at which the current owner of each UID registered.
	pub registered_at: &'a [u64],
	/// Each UID's weights: `(target uid, weight)`.
	pub weights: &'a [Vec<(Uid, u16)>],
	/// Each UID's bonds from the previous epoch: `(target uid, bond)`.
	pub bonds: &'a [Vec<(Uid, Fixed)>],
	/// Block of the previous epoch, which formed `bonds`. A bond on a UID whose current holder
	/// registered at or after this block belonged to its predecessor and is dropped.
	pub last_epoch: u64,
}

/// What an epoch decides, one entry per UID.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EpochOutput {
	/// Normalised stake of active permit holders.
	pub active_stake: Vec<Fixed>,
	/// Validator permits.
	pub validator_permit: Vec<bool>,
	/// Consensus weight `C`.
	pub consensus: Vec<Fixed>,
	/// Rank `R`.
	pub rank: Vec<Fixed>,
	/// Trust `T`.
	pub trust: Vec<Fixed>,
	/// Incentive `I` (sums to one, or all zero).
	pub incentive: Vec<Fixed>,
	/// Validator trust `VT`.
	pub validator_trust: Vec<Fixed>,
	/// Dividends `D` (sums to one, or all zero).
	pub dividends: Vec<Fixed>,
	/// New bonds, sparse per validator.
	pub bonds: Vec<Vec<(Uid, Fixed)>>,
}

/// Why an epoch could not run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum YumaError {
	/// The input slices do not all have one entry per UID.
	LengthMismatch,
	/// More UIDs than a `u16` can name.
	TooManyUids,
}

/// Validator permits: the `max_validators` UIDs with the most stake, ties to the lower UID, among
/// those with at least `min_stake` and never with zero stake (as subtensor's `is_topk_nonzero`):
/// a neuron nobody staked on cannot validate, whatever `min_stake` says.
pub fn validator_permits(stake: &[u64], max_validators: u16, min_stake: u64) -> Vec<bool> {
	let floor = min_stake.max(1);
	let mut order: Vec<usize> = (0..stake.len()).filter(|&i| stake[i] >= floor).collect();
	order.sort_unstable_by(|&a, &b| stake[b].cmp(&stake[a]).then(a.cmp(&b)));
	let mut permit = vec![false; stake.len()];
	for &i in order.iter().take(max_validators as usize) {
		permit[i] = true;
	}
	permit
}

/// Runs one Yuma Consensus epoch (see the crate docs for the formulas).
pub fn epoch(input: &EpochInput<'_>, params: &Params) -> Result<EpochOutput, YumaError> {
	let n = input.stake.len();
	if [input.active.len(), input.last_update.len(), input.registered_at.len()]
		.iter()
		.chain([input.weights.len(), input.bonds.len()].iter())
		.any(|&l| l != n)
	{
		return Err(YumaError::LengthMismatch);
	}
	if n > Uid::MAX as usize + 1 {
		return Err(YumaError::TooManyUids);
	}

	// Validators: permit holders that are active.
	let permit = validator_permits(input.stake, params.max_validators, params.min_validator_stake);
	let is_validator: Vec<bool> = (0..n).map(|i| permit[i] && input.active[i]).collect();
	let raw_stake: Vec<u128> =
		(0..n).map(|i| if is_validator[i] { input.stake[i] as u128 } else { 0 }).collect();
	let s = normalize(&raw_stake);

	let w = row_normalised_weights(input, &is_validator, &s);
	let (consensus, pre_rank) = consensus_and_pre_rank(&w, &s, params.kappa);

	// Clip to consensus; rank, trust, validator trust, and the raw bond deltas, which take the
	// weights' place (entries clipped to zero leave).
	let mut rank = vec![Fixed::ZERO; n];
	let mut validator_trust = vec![Fixed::ZERO; n];
	let mut delta_col_sum = vec![Fixed::ZERO; n];
	let mut delta = w;
	delta.retain(|i, j, wij| {
		let clipped = (*wij).min(consensus[j as usize]);
		if clipped.is_zero() {
			return false;
		}
		validator_trust[i] = validator_trust[i] + clipped;
		let contribution = s[i].mul_floor(clipped);
		rank[j as usize] = rank[j as usize] + contribution;
		delta_col_sum[j as usize] = delta_col_sum[j as usize] + contribution;
		*wij = contribution;
		true
	});
	let trust: Vec<Fixed> =
		(0..n).map(|j| rank[j].div_floor(pre_rank[j]).min(Fixed::ONE)).collect();
	let incentive = normalize_fixed(&rank);

	let (prev, prev_col_sum) = previous_bonds(input, &permit);
	let (mut bonds, bond_col_sum) = blend_bonds(
		&permit,
		(&prev, &prev_col_sum),
		(&delta, &delta_col_sum),
		params.bonds_moving_average,
	);

	// New bonds, column-normalised; dividends: each validator's bonds weighted by the incentive
	// they bought into.
	let raw_dividends: Vec<u128> = bonds
		.iter_mut()
		.map(|row| {
			row.iter_mut()
				.map(|(j, b)| {
					*b = b.div_floor(bond_col_sum[*j as usize]).min(Fixed::ONE);
					b.mul_floor(incentive[*j as usize]).raw() as u128
				})
				.sum()
		})
		.collect();
	let dividends = normalize(&raw_dividends);

	Ok(EpochOutput {
		active_stake: s,
		validator_permit: permit,
		consensus,
		rank,
		trust,
		incentive,
		validator_trust,
		dividends,
		bonds,
	})
}

/// Row-normalised weights `W` of validators with stake, minus self-weights, weights of
/// non-validators and weights on UIDs registered after the validator's last update.
fn row_normalised_weights(
	input: &EpochInput<'_>,
	is_validator: &[bool],
	s: &[Fixed],
) -> Csr<Fixed> {
	let n = input.stake.len();
	let entries = (0..n).filter(|&i| is_validator[i]).map(|i| input.weights[i].len()).sum();
	let mut w = Csr::with_capacity(n, entries);
	let (mut raw, mut norm, mut remainders) = (Vec::new(), Vec::new(), Vec::new());
	for i in 0..n {
		if !is_validator[i] || s[i].is_zero() {
			w.end_row();
			continue;
		}
		raw.clear();
		for &(j, v) in &input.weights[i] {
			let ju = j as usize;
			if v > 0 && ju < n && ju != i && input.last_update[i] > input.registered_at[ju] {
				w.push(j, Fixed::ZERO);
				raw.push(u64::from(v));
			}
		}
		norm.clear();
		norm.resize(raw.len(), 0);
		let vals = w.open_row_mut();
		if apportion_u64(Fixed::ONE.raw(), &raw, &mut norm, &mut remainders) {
			for (v, &q) in vals.iter_mut().zip(&norm) {
				*v = Fixed::from_raw(q);
			}
		} else {
			// Only a row repeating targets can hold enough weight to need the wide path.
			let wide: Vec<u128> = raw.iter().map(|&v| u128::from(v)).collect();
			vals.copy_from_slice(&normalize(&wide));
		}
		w.end_row();
	}
	w
}

/// Consensus `C`, the stake-weighted median of each column at `kappa`, and pre-rank `P`.
fn consensus_and_pre_rank(w: &Csr<Fixed>, s: &[Fixed], kappa: Fixed) -> (Vec<Fixed>, Vec<Fixed>) {
	let n = w.rows();
	// Columns: (weight, stake) of every validator that weights each UID, column after column.
	let mut start = vec![0usize; n + 1];
	for &j in w.entries().0 {
		start[j as usize + 1] += 1;
	}
	for j in 0..n {
		start[j + 1] += start[j];
	}
	let mut next = start.clone();
	let mut columns = vec![(Fixed::ZERO, Fixed::ZERO); w.len()];
	for (i, &si) in s.iter().enumerate() {
		let (cols, vals) = w.row(i);
		for (&j, &wij) in cols.iter().zip(vals) {
			columns[next[j as usize]] = (wij, si);
			next[j as usize] += 1;
		}
	}
	let mut consensus = vec![Fixed::ZERO; n];
	let mut pre_rank = vec![Fixed::ZERO; n];
	for j in 0..n {
		let col = &mut columns[start[j]..start[j + 1]];
		pre_rank[j] = col.iter().map(|&(wij, si)| si.mul_floor(wij)).sum();
		consensus[j] = weighted_median(col, kappa);
	}
	(consensus, pre_rank)
}

/// The largest weight backed by at least `kappa` stake, `max { c : Σ_{w ≥ c} s ≥ κ }` over the
/// `(w, s)` pairs of `col` (zero when all of them fall short); reorders `col`.
///
/// The answer depends only on the pairs, not their order, so a selection (partitions into
/// above, at and below a pivot; expected linear time) gives the same as walking the sorted
/// column. After a few rounds without converging it sorts what is left, which bounds the worst
/// case.
fn weighted_median(mut col: &mut [(Fixed, Fixed)], kappa: Fixed) -> Fixed {
	// Stake on weights above every weight left in `col`; below `kappa` except at the start.
	let mut above = Fixed::ZERO;
	let mut rounds = 0;
	while !col.is_empty() {
		rounds += 1;
		if rounds > 8 && col.len() > 16 {
			col.sort_unstable_by_key(|&(wij, _)| core::cmp::Reverse(wij));
			for &(wij, si) in col.iter() {
				above = above + si;
				if above >= kappa {
					return wij;
				}
			}
			return Fixed::ZERO;
		}
		// Weights above the pivot to the front, then those below it to the front of the rest;
		// branch-free (Lomuto with unconditional swaps), as the comparisons are unpredictable.
		let pivot = col[col.len() / 2].0;
		let (hi, higher) = partition(col, |wij| wij > pivot);
		if hi > 0 && above + higher >= kappa {
			col = &mut col[..hi];
			continue;
		}
		let rest = &mut col[hi..];
		let (lo, _) = partition(rest, |wij| wij < pivot);
		let equal: Fixed = rest[lo..].iter().map(|&(_, si)| si).sum();
		above = above + higher + equal;
		if above >= kappa {
			return pivot;
		}
		col = &mut rest[..lo];
	}
	Fixed::ZERO
}

/// Moves the pairs whose weight satisfies `first` to the front, keeping the others after them;
/// returns how many moved and their total stake.
fn partition(col: &mut [(Fixed, Fixed)], first: impl Fn(Fixed) -> bool) -> (usize, Fixed) {
	let (mut k, mut stake) = (0, 0u64);
	for i in 0..col.len() {
		let pair = col[i];
		let moves = first(pair.0);
		col[i] = col[k];
		col[k] = pair;
		k += usize::from(moves);
		stake = stake.saturating_add(pair.1.raw() & 0u64.wrapping_sub(u64::from(moves)));
	}
	(k, Fixed::from_raw(stake))
}

/// The previous bonds `B_prev` of permit holders, with their column sums: bonds on UIDs whose
/// current holder registered at or after the epoch that formed them are dropped (a UID's new
/// holder inherits nothing), and each row is sorted by target with repeats merged. UIDs without
/// a permit lose their bonds.
fn previous_bonds(input: &EpochInput<'_>, permit: &[bool]) -> (Csr<Fixed>, Vec<Fixed>) {
	let n = input.stake.len();
	let entries = (0..n).filter(|&i| permit[i]).map(|i| input.bonds[i].len()).sum();
	let mut prev = Csr::with_capacity(n, entries);
	let mut col_sum = vec![Fixed::ZERO; n];
	let mut unsorted: Vec<(Uid, Fixed)> = Vec::new();
	for (i, &holds_permit) in permit.iter().enumerate() {
		if !holds_permit {
			prev.end_row();
			continue;
		}
		for &(j, b) in &input.bonds[i] {
			let ju = j as usize;
			if !b.is_zero() && ju < n && ju != i && input.registered_at[ju] < input.last_epoch {
				prev.push(j, b);
			}
		}
		if !strictly_increasing(prev.open_row().0) {
			let (cols, vals) = prev.open_row();
			unsorted.clear();
			unsorted.extend(cols.iter().copied().zip(vals.iter().copied()));
			unsorted.sort_unstable_by_key(|&(j, _)| j);
			unsorted.dedup_by(|later, kept| {
				let same = later.0 == kept.0;
				if same {
					kept.1 = kept.1 + later.1;
				}
				same
			});
			prev.truncate_row();
			for &(j, b) in &unsorted {
				prev.push(j, b);
			}
		}
		let (cols, vals) = prev.open_row();
		for (&j, &b) in cols.iter().zip(vals) {
			col_sum[j as usize] = col_sum[j as usize] + b;
		}
		prev.end_row();
	}
	(prev, col_sum)
}

/// The blend `α·ΔB + (1 − α)·B_prev` (each column-normalised first) of every permit holder, one
/// row per UID, with its column sums. Permit holders inactive this epoch have no deltas: their
/// bonds decay.
fn blend_bonds(
	permit: &[bool],
	(prev, prev_col_sum): (&Csr<Fixed>, &[Fixed]),
	(delta, delta_col_sum): (&Csr<Fixed>, &[Fixed]),
	bonds_moving_average: Fixed,
) -> (Vec<Vec<(Uid, Fixed)>>, Vec<Fixed>) {
	let n = permit.len();
	let alpha = bonds_moving_average.one_minus();
	let keep = bonds_moving_average.min(Fixed::ONE);
	let mut blend = vec![Vec::new(); n];
	let mut col_sum = vec![Fixed::ZERO; n];
	let (mut row, mut unsorted) = (Vec::new(), Vec::new());
	for i in (0..n).filter(|&i| permit[i]) {
		let (old_cols, old_vals) = prev.row(i);
		let old = old_cols.iter().zip(old_vals).map(col_normalised(prev_col_sum));
		let (new_cols, new_vals) = delta.row(i);
		let new = new_cols.iter().zip(new_vals).map(col_normalised(delta_col_sum));
		row.clear();
		let mut blend_entry = |j: Uid, b_old: Fixed, b_new: Fixed| {
			let bond = alpha.mul_floor(b_new) + keep.mul_floor(b_old);
			if !bond.is_zero() {
				row.push((j, bond));
				col_sum[j as usize] = col_sum[j as usize] + bond;
			}
		};
		if strictly_increasing(new_cols) {
			merge_rows(old, new, &mut blend_entry);
		} else {
			// Repeated weights on one target: order the deltas by target as before.
			unsorted.clear();
			unsorted.extend(new);
			unsorted.sort_unstable_by_key(|&(j, _)| j);
			merge_rows(old, unsorted.iter().copied(), &mut blend_entry);
		}
		// Built in scratch space first, so that the row returned has no spare capacity.
		blend[i] = row.clone();
	}
	(blend, col_sum)
}

/// Divides each entry by its column's sum (at most one), for [`Iterator::map`] over a row.
fn col_normalised(col_sum: &[Fixed]) -> impl Fn((&Uid, &Fixed)) -> (Uid, Fixed) + '_ {
	move |(&j, &b)| (j, b.div_floor(col_sum[j as usize]).min(Fixed::ONE))
}

/// Walks two rows sorted by target together, calling `f(j, a, b)` once per target in either
/// (zero where a row has none): a target repeated in a row pairs with the other row once.
fn merge_rows(
	a: impl Iterator<Item = (Uid, Fixed)>,
	b: impl Iterator<Item = (Uid, Fixed)>,
	f: &mut impl FnMut(Uid, Fixed, Fixed),
) {
	let (mut a, mut b) = (a.peekable(), b.peekable());
	loop {
		let ja = a.peek().map_or(u32::MAX, |&(j, _)| u32::from(j));
		let jb = b.peek().map_or(u32::MAX, |&(j, _)| u32::from(j));
		let j = ja.min(jb);
		if j == u32::MAX {
			return;
		}
		let va = if ja == j { a.next().map_or(Fixed::ZERO, |(_, v)| v) } else { Fixed::ZERO };
		let vb = if jb == j { b.next().map_or(Fixed::ZERO, |(_, v)| v) } else { Fixed::ZERO };
		f(j as Uid, va, vb);
	}
}

/// Splits an epoch's `total` emission (after the subnet owner's cut): half to neurons by
/// incentive, half to validators by dividends. When no neuron has incentive, validators get it
/// all; when no validator has dividends, neurons get it all; when neither, nothing is paid and the
/// caller keeps the emission. The parts sum to exactly `total` unless nothing is paid.
pub fn split_emission(total: u128, incentive: &[Fixed], dividends: &[Fixed]) -> Vec<u128> {
	let raw = |v: &[Fixed]| v.iter().map(|f| f.raw() as u128).collect::<Vec<_>>();
	let has_incentive = incentive.iter().any(|f| !f.is_zero());
	let has_dividends = dividends.iter().any(|f| !f.is_zero());
	let (to_miners, to_validators) = match (has_incentive, has_dividends) {
		(true, true) => (total / 2, total - total / 2),
		(true, false) => (total, 0),
		(false, true) => (0, total),
		(false, false) => (0, 0),
	};
	let miners = apportion(to_miners, &raw(incentive));
	let validators = apportion(to_validators, &raw(dividends));
	miners.iter().zip(validators.iter()).map(|(a, b)| a + b).collect()
}

#[cfg(test)]
mod tests;
