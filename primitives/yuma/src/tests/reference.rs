//! The epoch and fixed-point helpers as they were before issue 12 (nested rows, u128
//! arithmetic throughout, full sorts), kept only to check that the optimised [`crate::epoch`]
//! and [`Fixed`] operations give bit-identical results.

use crate::{validator_permits, EpochInput, EpochOutput, Fixed, Params, Uid, YumaError};
use alloc::{vec, vec::Vec};

/// `a * b`, rounded down, in u128.
pub(super) fn mul_floor(a: Fixed, b: Fixed) -> Fixed {
	let p = (a.raw() as u128 * b.raw() as u128) >> 32;
	Fixed::from_raw(u64::try_from(p).unwrap_or(u64::MAX))
}

/// `a / b`, rounded down (zero when `b` is zero), in u128.
pub(super) fn div_floor(a: Fixed, b: Fixed) -> Fixed {
	let (num, den) = (a.raw() as u128, b.raw() as u128);
	if den == 0 {
		return Fixed::ZERO;
	}
	let scaled = num.checked_shl(32).filter(|s| s >> 32 == num);
	match scaled {
		Some(s) => Fixed::from_raw(u64::try_from(s / den).unwrap_or(u64::MAX)),
		None => Fixed::from_raw(
			u64::try_from(num / den).map_or(u64::MAX, |q| q.saturating_mul(1 << 32)),
		),
	}
}

/// `apportion` in u128 with a full sort of the remainders.
pub(super) fn apportion_ref(total: u128, parts: &[u128]) -> Vec<u128> {
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
	remainders.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
	let left = total - given;
	for &(_, i) in remainders.iter().take(left as usize) {
		out[i] += 1;
	}
	out
}

fn normalize_ref(values: &[u128]) -> Vec<Fixed> {
	apportion_ref(1 << 32, values).into_iter().map(|v| Fixed::from_raw(v as u64)).collect()
}

fn normalize_fixed_ref(values: &[Fixed]) -> Vec<Fixed> {
	normalize_ref(&values.iter().map(|v| v.raw() as u128).collect::<Vec<_>>())
}

/// The epoch as it was before issue 12, line for line, over the helpers above.
pub(super) fn epoch(input: &EpochInput<'_>, params: &Params) -> Result<EpochOutput, YumaError> {
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
	let s = normalize_ref(&raw_stake);

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
		let norm = normalize_ref(&kept.iter().map(|&(_, v)| v as u128).collect::<Vec<_>>());
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
		pre_rank[j] = col.iter().map(|&(wij, si)| mul_floor(si, wij)).sum();
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
			let contribution = mul_floor(s[i], clipped);
			rank[j as usize] = rank[j as usize] + contribution;
			delta[i].push((j, contribution));
			delta_col_sum[j as usize] = delta_col_sum[j as usize] + contribution;
		}
	}
	let trust: Vec<Fixed> =
		(0..n).map(|j| div_floor(rank[j], pre_rank[j]).min(Fixed::ONE)).collect();
	let incentive = normalize_fixed_ref(&rank);

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
			.map(|&(j, b)| (j, div_floor(b, prev_col_sum[j as usize]).min(Fixed::ONE)))
			.collect();
		let mut new: Vec<(Uid, Fixed)> = delta[i]
			.iter()
			.map(|&(j, d)| (j, div_floor(d, delta_col_sum[j as usize]).min(Fixed::ONE)))
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
			let bond = mul_floor(alpha, b_new) + mul_floor(keep, b_old);
			if !bond.is_zero() {
				row.push((j as Uid, bond));
				bond_col_sum[j as usize] = bond_col_sum[j as usize] + bond;
			}
		}
		bonds[i] = row;
	}
	for row in bonds.iter_mut() {
		for (j, b) in row.iter_mut() {
			*b = div_floor(*b, bond_col_sum[*j as usize]).min(Fixed::ONE);
		}
	}

	// Dividends: each validator's bonds weighted by the incentive they bought into.
	let raw_dividends: Vec<u128> = bonds
		.iter()
		.map(|row| {
			row.iter()
				.map(|&(j, b)| mul_floor(b, incentive[j as usize]).raw() as u128)
				.sum::<u128>()
		})
		.collect();
	let dividends = normalize_ref(&raw_dividends);

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
