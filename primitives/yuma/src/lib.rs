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

	// Bonds. The previous bonds of permit holders, minus those on UIDs whose current holder
	// registered at or after the epoch that formed them (a UID's new holder inherits nothing),
	// renormalised per column; then blended with the new deltas. Permit holders that were
	// inactive this epoch keep their bonds, decayed by the moving average; UIDs without a
	// permit lose theirs.
	let mut prev: Vec<Vec<(Uid, Fixed)>> = vec![Vec::new(); n];
	let mut prev_col_sum = vec![Fixed::ZERO; n];
	for i in (0..n).filter(|&i| permit[i]) {
		let mut row: Vec<(Uid, Fixed)> = input.bonds[i]
			.iter()
			.copied()
			.filter(|&(j, b)| {
				let j = j as usize;
				!b.is_zero() && j < n && j != i && input.registered_at[j] < input.last_epoch
			})
			.collect();
		row.sort_unstable_by_key(|&(j, _)| j);
		row.dedup_by(|later, kept| {
			let same = later.0 == kept.0;
			if same {
				kept.1 = kept.1 + later.1;
			}
			same
		});
		for &(j, b) in &row {
			prev_col_sum[j as usize] = prev_col_sum[j as usize] + b;
		}
		prev[i] = row;
	}
	let alpha = params.bonds_moving_average.one_minus();
	let keep = params.bonds_moving_average.min(Fixed::ONE);
	let mut bonds: Vec<Vec<(Uid, Fixed)>> = vec![Vec::new(); n];
	let mut bond_col_sum = vec![Fixed::ZERO; n];
	for i in (0..n).filter(|&i| permit[i]) {
		let old: Vec<(Uid, Fixed)> = prev[i]
			.iter()
			.map(|&(j, b)| (j, b.div_floor(prev_col_sum[j as usize]).min(Fixed::ONE)))
			.collect();
		let mut new: Vec<(Uid, Fixed)> = delta[i]
			.iter()
			.map(|&(j, d)| (j, d.div_floor(delta_col_sum[j as usize]).min(Fixed::ONE)))
			.collect();
		new.sort_unstable_by_key(|&(j, _)| j);
		// Merge the two sorted sparse rows (each UID at most once in each) by target UID.
		let mut row: Vec<(Uid, Fixed)> = Vec::with_capacity(old.len().max(new.len()));
		let (mut a, mut b) = (0, 0);
		while a < old.len() || b < new.len() {
			let ja = old.get(a).map_or(u32::MAX, |&(j, _)| u32::from(j));
			let jb = new.get(b).map_or(u32::MAX, |&(j, _)| u32::from(j));
			let j = ja.min(jb);
			let mut b_old = Fixed::ZERO;
			let mut b_new = Fixed::ZERO;
			if ja == j {
				b_old = old[a].1;
				a += 1;
			}
			if jb == j {
				b_new = new[b].1;
				b += 1;
			}
			let bond = alpha.mul_floor(b_new) + keep.mul_floor(b_old);
			if !bond.is_zero() {
				row.push((j as Uid, bond));
				bond_col_sum[j as usize] = bond_col_sum[j as usize] + bond;
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
