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
//!   lower UID) among those with at least `min_validator_stake`. Only permit holders' weights
//!   count, and only they earn dividends.
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
//! B         = colnorm(α·ΔB + (1 − α)·B_prev),  α = 1 − bonds_moving_average
//! D[i]      = Σ_j B[i][j]·I[j],  D = D / Σ D                   dividends
//! ```
//!
//! Everything is sparse: the cost grows with the number of non-zero weights and bonds, plus a
//! sort per column for the median. Fractions are U32F32 ([`Fixed`]); every normalisation
//! distributes its rounding so that the parts sum to exactly one ([`normalize`]).
//!
//! ## Invariants (property-tested)
//!
//! - Incentive sums to exactly one when any neuron has rank; dividends likewise.
//! - A neuron no validator weights gets no incentive.
//! - Raising one validator's weight on a neuron never lowers that neuron's incentive (up to
//!   rounding of a few 2^-32 units).
//! - Permuting UIDs permutes the outputs (up to rounding of a few 2^-32 units).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

mod fixed;

pub use fixed::{apportion, normalize, normalize_fixed, Fixed, FRAC_BITS};

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
/// those with at least `min_stake`.
pub fn validator_permits(stake: &[u64], max_validators: u16, min_stake: u64) -> Vec<bool> {
	let mut order: Vec<usize> = (0..stake.len()).filter(|&i| stake[i] >= min_stake).collect();
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

	// Row-normalised weights of validators, minus self-weights and outdated weights.
	let mut w: Vec<Vec<(Uid, Fixed)>> = vec![Vec::new(); n];
	for i in (0..n).filter(|&i| is_validator[i] && !s[i].is_zero()) {
		let kept: Vec<(Uid, u16)> = input.weights[i]
			.iter()
			.copied()
			.filter(|&(j, v)| {
				let j = j as usize;
				v > 0 && j < n && j != i && input.last_update[i] > input.registered_at[j]
			})
			.collect();
		let norm = normalize(&kept.iter().map(|&(_, v)| v as u128).collect::<Vec<_>>());
		w[i] = kept.iter().map(|&(j, _)| j).zip(norm).collect();
	}

	// Columns: (weight, stake) of every validator that weights each UID.
	let mut columns: Vec<Vec<(Fixed, Fixed)>> = vec![Vec::new(); n];
	for (i, row) in w.iter().enumerate() {
		for &(j, wij) in row {
			columns[j as usize].push((wij, s[i]));
		}
	}

	// Consensus: the stake-weighted median at kappa, and the pre-rank.
	let mut consensus = vec![Fixed::ZERO; n];
	let mut pre_rank = vec![Fixed::ZERO; n];
	for (j, col) in columns.iter_mut().enumerate() {
		pre_rank[j] = col.iter().map(|&(wij, si)| si.mul_floor(wij)).sum();
		col.sort_unstable_by_key(|&(wij, _)| core::cmp::Reverse(wij));
		let mut support = Fixed::ZERO;
		for &(wij, si) in col.iter() {
			support = support + si;
			if support >= params.kappa {
				consensus[j] = wij;
				break;
			}
		}
	}

	// Clip to consensus; rank, trust, validator trust, raw bond deltas.
	let mut rank = vec![Fixed::ZERO; n];
	let mut validator_trust = vec![Fixed::ZERO; n];
	let mut delta: Vec<Vec<(Uid, Fixed)>> = vec![Vec::new(); n];
	let mut delta_col_sum = vec![Fixed::ZERO; n];
	for i in 0..n {
		for &(j, wij) in &w[i] {
			let clipped = wij.min(consensus[j as usize]);
			if clipped.is_zero() {
				continue;
			}
			validator_trust[i] = validator_trust[i] + clipped;
			let contribution = s[i].mul_floor(clipped);
			rank[j as usize] = rank[j as usize] + contribution;
			delta[i].push((j, contribution));
			delta_col_sum[j as usize] = delta_col_sum[j as usize] + contribution;
		}
	}
	let trust: Vec<Fixed> =
		(0..n).map(|j| rank[j].div_floor(pre_rank[j]).min(Fixed::ONE)).collect();
	let incentive = normalize_fixed(&rank);

	// Bonds: column-normalised deltas blended into the previous bonds of current validators.
	let alpha = params.bonds_moving_average.one_minus();
	let keep = params.bonds_moving_average.min(Fixed::ONE);
	let mut bonds: Vec<Vec<(Uid, Fixed)>> = vec![Vec::new(); n];
	let mut bond_col_sum = vec![Fixed::ZERO; n];
	for i in (0..n).filter(|&i| is_validator[i]) {
		let mut old: Vec<(Uid, Fixed)> = input.bonds[i].clone();
		old.sort_unstable_by_key(|&(j, _)| j);
		let mut new: Vec<(Uid, Fixed)> = delta[i]
			.iter()
			.map(|&(j, d)| (j, d.div_floor(delta_col_sum[j as usize]).min(Fixed::ONE)))
			.collect();
		new.sort_unstable_by_key(|&(j, _)| j);
		// Merge the two sorted sparse rows by target uid.
		let mut row: Vec<(Uid, Fixed)> = Vec::with_capacity(old.len().max(new.len()));
		let (mut a, mut b) = (0, 0);
		while a < old.len() || b < new.len() {
			let ja = old.get(a).map_or(Uid::MAX as u32 + 1, |&(j, _)| j as u32);
			let jb = new.get(b).map_or(Uid::MAX as u32 + 1, |&(j, _)| j as u32);
			let j = ja.min(jb);
			let mut b_old = Fixed::ZERO;
			let mut b_new = Fixed::ZERO;
			while old.get(a).is_some_and(|&(k, _)| k as u32 == j) {
				b_old = b_old + old[a].1;
				a += 1;
			}
			while new.get(b).is_some_and(|&(k, _)| k as u32 == j) {
				b_new = b_new + new[b].1;
				b += 1;
			}
			let (j, ju) = (j as usize, j as Uid);
			if j >= n || j == i {
				continue;
			}
			let bond = alpha.mul_floor(b_new) + keep.mul_floor(b_old);
			if !bond.is_zero() {
				row.push((ju, bond));
				bond_col_sum[j] = bond_col_sum[j] + bond;
			}
		}
		bonds[i] = row;
	}
	for row in bonds.iter_mut() {
		for (j, b) in row.iter_mut() {
			*b = b.div_floor(bond_col_sum[*j as usize]).min(Fixed::ONE);
		}
	}

	// Dividends: each validator's bonds weighted by the incentive they bought into.
	let raw_dividends: Vec<u128> = bonds
		.iter()
		.map(|row| {
			row.iter().map(|&(j, b)| b.mul_floor(incentive[j as usize]).raw() as u128).sum::<u128>()
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
