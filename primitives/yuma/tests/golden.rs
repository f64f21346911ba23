//! Golden vectors: the epoch scenarios of the reference implementation (opentensor/subtensor,
//! `pallets/subtensor/src/tests/epoch.rs` and `tests/math.rs`), replayed through Agora's pure
//! [`epoch`].
//!
//! Only the facts are carried over: each scenario's inputs (stake, weights as subtensor stores
//! them, the blocks at which things happen) and the numbers subtensor asserts or logs. The test
//! code is Agora's own and uses only the crate's public API.
//!
//! ## Conventions
//!
//! - Subtensor stores consensus, incentive, dividends and bonds as `u16`. A fraction `x` becomes
//!   `floor(x · 65535)`; bonds are first scaled so that each column's largest bond is one
//!   (column max-upscale). [`as_u16`] and [`bond_u16`] turn Agora's U32F32 outputs into the same
//!   representation before comparing.
//! - Subtensor's `set_weights` stores each row max-upscaled to `u16::MAX`; the weights fed here
//!   are those stored values (as printed in subtensor's epoch logs), so both sides normalise the
//!   same integers.
//! - Subtensor parameters of its test mock, unless a test says otherwise: kappa `32_767`
//!   (`u16` fraction), bonds moving average `900_000` millionths, stake threshold 0, bonds
//!   penalty `u16::MAX` (bonds from clipped weights, which is what Agora does), liquid alpha and
//!   Yuma 3 off, activity cutoff 5000 blocks.
//! - Emission is checked through [`split_emission`] over 1_000_000_000 units, which splits like
//!   subtensor's `epoch` (half by incentive, half by dividends) whenever both are non-zero.
//!
//! ## Tolerances
//!
//! - `U16_TOL` = 1 unit of `u16`: both sides floor nearly the same fraction to a `u16`, and
//!   the floors of two values that differ by a few 2^-32 can differ by one.
//! - `FRAC_TOL` = 1e-8 for fractions that do not depend on stored bonds: both sides compute
//!   with 32 fractional bits from the same `u16` weights (subtensor in I32F32, Agora in U32F32
//!   with exact-sum normalisation), so they differ by a few dozen 2^-32 at most (observed:
//!   < 2e-9); subtensor's logs print ten decimals.
//! - `BOND_U16_TOL` = 2 units for bonds that went through more than one epoch: subtensor stores
//!   every bond as the floor of its column-max-upscaled `u16` and reads it back next epoch,
//!   losing under one unit per store (its log shows an untouched column drifting 12603, 12602,
//!   12601, ...), while Agora keeps U32F32 bonds. The loss of earlier epochs decays by the
//!   moving average; in these vectors Agora is 0 to 2 units above subtensor.
//! - `DIV_TOL` = 2/65535 (about 3.1e-5) for dividends that depend on such bonds: each
//!   normalised bond is within two `u16` units of its column maximum (at most 1), and a
//!   dividend is an incentive-weighted average of bonds (observed: at most 1.6e-5).
//! - `EMISSION_TOL` = 2 units of the 1_000_000_000 emitted where no stored bond is involved
//!   (subtensor floors each share in I96F32; Agora apportions exactly, so either side may be
//!   one off); otherwise half the emission times `DIV_TOL`.

mod support;

use agora_yuma::{split_emission, validator_permits, EpochOutput, Fixed, Params, Uid};
use support::{Lcg, Subnet};

/// One unit of a `u16` fraction.
const U16_TOL: u16 = 1;
/// Bonds (`u16`, column max-upscaled) after subtensor stored them for more than one epoch.
const BOND_U16_TOL: u16 = 2;
/// Fractions computed with 32 fractional bits on both sides from the same inputs.
const FRAC_TOL: f64 = 1e-8;
/// Dividends that depend on bonds subtensor stored as `u16`.
const DIV_TOL: f64 = 2.0 / 65_535.0;
/// Emission units, where no stored bond is involved.
const EMISSION_TOL: u128 = 2;
/// Emission of one epoch, as in subtensor's tests.
const EMISSION: u128 = 1_000_000_000;

/// Subtensor's mock defaults, with `max_validators` permits.
fn subtensor_params(max_validators: u16) -> Params {
	Params {
		kappa: Fixed::from_u16_fraction(32_767),
		bonds_moving_average: Fixed::from_millionths(900_000),
		max_validators,
		min_validator_stake: 0,
	}
}

/// Subtensor's `u16` representation of a fraction: `floor(x · 65535)`.
fn as_u16(x: Fixed) -> u16 {
	((x.raw() as u128 * u16::MAX as u128) >> 32).min(u16::MAX as u128) as u16
}

/// Agora's bond of `i` on `j` (zero when absent).
fn bond(out: &EpochOutput, i: usize, j: usize) -> Fixed {
	out.bonds[i].iter().find(|&&(k, _)| k as usize == j).map_or(Fixed::ZERO, |&(_, b)| b)
}

/// Agora's bond of `i` on `j` as subtensor stores it: column max-upscaled, then `u16`.
fn bond_u16(out: &EpochOutput, i: usize, j: usize) -> u16 {
	let max = (0..out.bonds.len()).map(|k| bond(out, k, j)).max().unwrap_or(Fixed::ZERO);
	if max.is_zero() {
		return 0;
	}
	let b = bond(out, i, j);
	((b.raw() as u128 * u16::MAX as u128) / max.raw() as u128) as u16
}

#[track_caller]
fn assert_u16(what: &str, got: u16, want: u16, tol: u16) {
	assert!(got.abs_diff(want) <= tol, "{what}: got {got}, want {want} (tolerance {tol})");
}

#[track_caller]
fn assert_frac(what: &str, got: Fixed, want: f64, tol: f64) {
	let g = got.to_f64();
	assert!((g - want).abs() <= tol, "{what}: got {g:.10}, want {want:.10} (tolerance {tol})");
}

#[track_caller]
fn assert_fracs(what: &str, got: &[Fixed], want: &[f64], tol: f64) {
	assert_eq!(got.len(), want.len(), "{what}: length");
	for (k, (&g, &w)) in got.iter().zip(want).enumerate() {
		assert_frac(&format!("{what}[{k}]"), g, w, tol);
	}
}

#[track_caller]
fn assert_emission(what: &str, got: u128, want: u128, tol: u128) {
	assert!(got.abs_diff(want) <= tol, "{what}: got {got}, want {want} (tolerance {tol})");
}

fn emission(out: &EpochOutput) -> Vec<u128> {
	split_emission(EMISSION, &out.incentive, &out.dividends)
}

#[track_caller]
fn assert_all_zero(what: &str, v: &[Fixed]) {
	assert!(v.iter().all(|x| x.is_zero()), "{what}: {v:?}");
}

// ---------------------------------------------------------------------------------------------
// Small graphs

/// From subtensor `test_1_graph`: one UID with stake 1_000_000_000 that only weights itself.
///
/// Carried over: rank, trust, consensus, incentive and dividends are all zero (a self-weight
/// does not count).
///
/// Difference: subtensor, finding no incentive and no dividends, pays the epoch's emission by
/// stake (its "zero emission" fallback; the test does not assert it). Agora's
/// [`split_emission`] pays nothing and leaves the emission with the caller.
#[test]
fn subtensor_1_graph() {
	let mut net = Subnet::registered_at_genesis(&[1_000_000_000]);
	net.set_weights(0, 1, &[(0, u16::MAX)]);
	let out = net.epoch_at(1, &subtensor_params(64));
	assert_eq!(out.validator_permit, vec![true]);
	assert_all_zero("rank", &out.rank);
	assert_all_zero("trust", &out.trust);
	assert_all_zero("consensus", &out.consensus);
	assert_all_zero("incentive", &out.incentive);
	assert_all_zero("dividends", &out.dividends);
	assert!(out.bonds[0].is_empty());
	assert_eq!(emission(&out), vec![0]);
}

/// From subtensor `test_10_graph`: ten UIDs with stake 1 each, every one weighting only itself.
///
/// Carried over: rank, trust, consensus, incentive and dividends are zero for every UID.
///
/// Difference: subtensor asserts an emission of 99_999_999 per UID (its fallback pays the
/// epoch by stake, 1/10 each, floored in I96F32). Agora pays nothing and leaves the emission
/// with the caller; the stake-proportional split subtensor falls back to is shown here with
/// [`agora_yuma::apportion`] for comparison (exact: 100_000_000 each).
#[test]
fn subtensor_10_graph() {
	let mut net = Subnet::registered_at_genesis(&[1; 10]);
	for i in 0..10 {
		net.set_weights(i, 1, &[(i as Uid, u16::MAX)]);
	}
	let out = net.epoch_at(1, &subtensor_params(100));
	assert!(out.validator_permit.iter().all(|&p| p));
	for v in [&out.rank, &out.trust, &out.consensus, &out.incentive, &out.dividends] {
		assert_all_zero("outputs", v);
	}
	assert_eq!(emission(&out), vec![0; 10]);
	let by_stake = agora_yuma::apportion(EMISSION, &[1; 10]);
	for e in by_stake {
		assert_emission("stake fallback", e, 99_999_999, 1);
	}
}

// ---------------------------------------------------------------------------------------------
// 512 UIDs

/// Subtensor's three layouts of validators among UIDs: a block at the start, every
/// `n / validators`-th UID, or a shuffle (here a fixed one, from a small LCG, instead of
/// subtensor's unseeded random shuffle).
fn layout(validators: usize, n: usize, interleave: u8) -> (Vec<usize>, Vec<usize>) {
	match interleave {
		0 => ((0..validators).collect(), (validators..n).collect()),
		1 => (0..n).partition(|&u| u % (n / validators) == 0),
		_ => {
			let mut uids: Vec<usize> = (0..n).collect();
			let mut x: u64 = 0x2545_f491_4f6c_dd1d;
			for k in (1..n).rev() {
				x = x
					.wrapping_mul(6_364_136_223_846_793_005)
					.wrapping_add(1_442_695_040_888_963_407);
				uids.swap(k, (x >> 33) as usize % (k + 1));
			}
			let mut v = uids[..validators].to_vec();
			let mut s = uids[validators..].to_vec();
			v.sort_unstable();
			s.sort_unstable();
			(v, s)
		},
	}
}

/// From subtensor `test_512_graph`: 512 UIDs, 64 validators with 328_125_000_000_000 stake each
/// weighting all 448 servers equally (`u16::MAX / 512` each, stored max-upscaled as 65_535),
/// servers without stake, optionally weighting themselves; three epochs; three layouts.
///
/// Carried over (`u16` as subtensor stores them, tolerance `U16_TOL`; emission
/// `EMISSION_TOL`):
/// validators: consensus 0, incentive 0, dividends 1023, emission 7_812_500, no bond on a
/// validator, bond 65_535 on a server; servers: consensus 146, incentive 146, dividends 0,
/// emission 1_116_071, no bonds.
///
/// Differences: the random layout is a fixed permutation. Subtensor's harness runs the three
/// epochs in the same block, so its "registered since the last tempo" mask drops all previous
/// bonds each time; here the epochs run at blocks 1, 2, 3 and the bonds carry over. Both give
/// the same steady state (every validator holds 1/64 of every server).
#[test]
fn subtensor_512_graph() {
	let (n, validators_n) = (512usize, 64usize);
	let stake_per_validator: u64 = 328_125_000_000_000;
	for interleave in 0..3 {
		for server_self in [false, true] {
			let (validators, servers) = layout(validators_n, n, interleave);
			let mut stake = vec![0u64; n];
			for &v in &validators {
				stake[v] = stake_per_validator;
			}
			let mut net = Subnet::registered_at_genesis(&stake);
			let row: Vec<(Uid, u16)> = servers.iter().map(|&s| (s as Uid, u16::MAX)).collect();
			for &v in &validators {
				net.set_weights(v, 1, &row);
			}
			if server_self {
				for &s in &servers {
					net.set_weights(s, 1, &[(s as Uid, u16::MAX)]);
				}
			}
			let params = subtensor_params(validators_n as u16);
			let mut out = net.epoch_at(1, &params);
			for block in 2..=3 {
				out = net.epoch_at(block, &params);
			}
			let e = emission(&out);
			let (validator, server) = (validators[0], servers[0]);
			let ctx = format!("interleave {interleave}, server_self {server_self}");
			for &v in &validators {
				assert_u16(&format!("{ctx}: C[{v}]"), as_u16(out.consensus[v]), 0, 0);
				assert_u16(&format!("{ctx}: I[{v}]"), as_u16(out.incentive[v]), 0, 0);
				assert_u16(&format!("{ctx}: D[{v}]"), as_u16(out.dividends[v]), 1023, U16_TOL);
				assert_emission(&format!("{ctx}: E[{v}]"), e[v], 7_812_500, EMISSION_TOL);
				assert_eq!(bond(&out, v, validator), Fixed::ZERO, "{ctx}: B[{v}][{validator}]");
				assert_u16(
					&format!("{ctx}: B[{v}][{server}]"),
					bond_u16(&out, v, server),
					65_535,
					0,
				);
			}
			for &s in &servers {
				assert_u16(&format!("{ctx}: C[{s}]"), as_u16(out.consensus[s]), 146, U16_TOL);
				assert_u16(&format!("{ctx}: I[{s}]"), as_u16(out.incentive[s]), 146, U16_TOL);
				assert_u16(&format!("{ctx}: D[{s}]"), as_u16(out.dividends[s]), 0, 0);
				assert_emission(&format!("{ctx}: E[{s}]"), e[s], 1_116_071, EMISSION_TOL);
				assert!(out.bonds[s].is_empty(), "{ctx}: server {s} holds bonds");
			}
		}
	}
}

// ---------------------------------------------------------------------------------------------
// Bonds over a sequence of epochs

/// From subtensor `test_bonds`: validators 0..4 with stake 1, 2, 3, 4 and servers 4..8 without
/// stake; bonds moving average 0.9; one epoch per block (epoch `k` at block `k`; subtensor's
/// blocks are offset by its permit epoch, which changes nothing). The scenario:
///
/// 1. every validator weights the servers 0.1/0.2/0.3/0.4 (stored 16383/32767/49149/65535);
/// 2. validator 0 switches to a self-weight only; 3. validator 1 too; 4. validator 2 too (only
///    validator 3, 40 % of the stake, is left: no consensus);
/// 5. validator 2 weights server 7 alone; 6., 7., 8. nothing changes.
///
/// Carried over: the `u16` bonds subtensor asserts after epochs 1 to 7 (column 4, then column
/// 7), the bonds its log prints after epoch 8, and the incentive, consensus, trust and dividends
/// its logs print.
///
/// Tolerances: `FRAC_TOL` for incentive, consensus and trust, and for the first epoch's
/// dividends; bonds within `U16_TOL` in epoch 1 and `BOND_U16_TOL` from epoch 2 on,
/// dividends within `DIV_TOL` (subtensor's `u16` bond storage, see the file docs; Agora's bonds
/// come out 0 to 2 units above subtensor's and its dividends within 1.6e-5).
#[test]
fn subtensor_bonds() {
	let params = subtensor_params(8);
	let mut net = Subnet::registered_at_genesis(&[1, 2, 3, 4, 0, 0, 0, 0]);
	let servers: [(Uid, u16); 4] = [(4, 16_383), (5, 32_767), (6, 49_149), (7, 65_535)];
	for v in 0..4 {
		net.set_weights(v, 1, &servers);
	}
	let bonds_of =
		|out: &EpochOutput, j: usize| -> Vec<u16> { (0..4).map(|i| bond_u16(out, i, j)).collect() };
	let check_bonds = |epoch: u64, out: &EpochOutput, j: usize, want: [u16; 4]| {
		let got = bonds_of(out, j);
		for i in 0..4 {
			let tol = if epoch == 1 { U16_TOL } else { BOND_U16_TOL };
			assert_u16(&format!("epoch {epoch}: B[{i}][{j}] (all {got:?})"), got[i], want[i], tol);
		}
	};
	let check_dividends = |epoch: u64, out: &EpochOutput, want: [f64; 4]| {
		let tol = if epoch == 1 { FRAC_TOL } else { DIV_TOL };
		assert_fracs(&format!("epoch {epoch}: D"), &out.dividends[..4], &want, tol);
		assert_all_zero("server dividends", &out.dividends[4..]);
	};

	// Epoch 1.
	let out = net.epoch_at(1, &params);
	assert_eq!(out.validator_permit, [true, true, true, true, false, false, false, false]);
	assert_fracs(
		"epoch 1: I",
		&out.incentive[4..],
		&[0.0999975582, 0.2000012207, 0.2999926752, 0.4000085455],
		FRAC_TOL,
	);
	assert_fracs(
		"epoch 1: C",
		&out.consensus[4..],
		&[0.0999975584, 0.2000012207, 0.2999926754, 0.400008545],
		FRAC_TOL,
	);
	check_bonds(1, &out, 4, [16_383, 32_767, 49_151, 65_535]);
	check_dividends(1, &out, [0.0999999978, 0.1999999983, 0.3000000012, 0.4000000022]);

	// Epoch 2: validator 0 weights only itself.
	net.set_weights(0, 2, &[(0, u16::MAX)]);
	let out = net.epoch_at(2, &params);
	assert!(out.validator_trust[0].is_zero());
	check_bonds(2, &out, 4, [14_582, 32_767, 49_151, 65_535]);
	check_dividends(2, &out, [0.0899967032, 0.2022211233, 0.303334432, 0.404447741]);

	// Epoch 3: validator 1 weights only itself.
	net.set_weights(1, 3, &[(1, u16::MAX)]);
	let out = net.epoch_at(3, &params);
	check_bonds(3, &out, 4, [12_603, 28_321, 49_151, 65_535]);
	check_dividends(3, &out, [0.0809936118, 0.1819995677, 0.3158592721, 0.421147548]);

	// Epoch 4: validator 2 weights only itself; validator 3 alone is short of kappa.
	net.set_weights(2, 4, &[(2, u16::MAX)]);
	let out = net.epoch_at(4, &params);
	assert_all_zero("epoch 4: C", &out.consensus);
	assert_all_zero("epoch 4: I", &out.incentive);
	assert_all_zero("epoch 4: D", &out.dividends);
	check_bonds(4, &out, 7, [12_602, 28_320, 49_150, 65_535]);

	// Epoch 5: validator 2 weights server 7 alone.
	net.set_weights(2, 5, &[(7, u16::MAX)]);
	let out = net.epoch_at(5, &params);
	assert_frac("epoch 5: C[7]", out.consensus[7], 0.400008545, FRAC_TOL);
	assert_frac("epoch 5: T[7]", out.trust[7], 0.6087041323, FRAC_TOL);
	assert_frac("epoch 5: I[7]", out.incentive[7], 1.0, FRAC_TOL);
	check_bonds(5, &out, 7, [10_951, 24_609, 49_150, 65_535]);
	check_dividends(5, &out, [0.0728874663, 0.1637972582, 0.3271309866, 0.4361842885]);

	// Epochs 6 to 8: nothing changes.
	let out = net.epoch_at(6, &params);
	check_bonds(6, &out, 7, [9_559, 21_482, 49_150, 65_535]);
	check_dividends(6, &out, [0.0655988548, 0.1474132247, 0.3372762585, 0.4497116616]);
	let out = net.epoch_at(7, &params);
	check_bonds(7, &out, 7, [8_376, 18_824, 49_150, 65_535]);
	check_dividends(7, &out, [0.0590361361, 0.1326722752, 0.3464062694, 0.4618853189]);
	let out = net.epoch_at(8, &params);
	// Log only: emaB max-upscaled [0.1123638137, 0.2525234516, 0.7499832308, 1].
	check_bonds(8, &out, 7, [7_363, 16_549, 49_150, 65_535]);
	check_dividends(8, &out, [0.053130352, 0.1194037423, 0.3546237142, 0.472842191]);
}

/// From subtensor `test_bonds`, replayed one epoch at a time from the bonds subtensor stored:
/// before each of epochs 2 to 8, the previous bonds are the `u16` values its log prints (column
/// max-upscaled, not normalised: the largest bond in each column is 65535), fed to Agora as
/// fractions of 65535, with that epoch's weights.
///
/// Carried over: each epoch's dividends from the log, and the bonds subtensor stores after it
/// (the next epoch's logged input; after epoch 8 the log's max-upscaled EMA, floored).
///
/// Tolerances: `FRAC_TOL` for dividends and `U16_TOL` for bonds: with subtensor's own rounded
/// bonds as input there is no storage drift left to allow for. This also checks that Agora
/// renormalises the previous bonds per column before the EMA, as subtensor does.
#[test]
fn subtensor_bonds_replayed_from_stored_u16() {
	let params = subtensor_params(8);
	let servers: [(Uid, u16); 4] = [(4, 16_383), (5, 32_767), (6, 49_149), (7, 65_535)];
	// Stored bonds before epochs 2..=8 and after epoch 8: per validator, [on 4, 5, 6; on 7].
	let stored: [[[u16; 2]; 4]; 8] = [
		[[16_383, 16_383], [32_767, 32_767], [49_151, 49_151], [65_535, 65_535]],
		[[14_582, 14_582], [32_767, 32_767], [49_151, 49_151], [65_535, 65_535]],
		[[12_603, 12_603], [28_321, 28_321], [49_151, 49_151], [65_535, 65_535]],
		[[12_602, 12_602], [28_320, 28_320], [49_150, 49_150], [65_535, 65_535]],
		[[12_601, 10_951], [28_319, 24_609], [49_149, 49_150], [65_535, 65_535]],
		[[12_600, 9_559], [28_318, 21_482], [49_148, 49_150], [65_535, 65_535]],
		[[12_599, 8_376], [28_317, 18_824], [49_147, 49_150], [65_535, 65_535]],
		[[12_598, 7_363], [28_316, 16_549], [49_146, 49_150], [65_535, 65_535]],
	];
	let dividends: [[f64; 4]; 7] = [
		[0.0899967032, 0.2022211233, 0.303334432, 0.404447741],
		[0.0809936118, 0.1819995677, 0.3158592721, 0.421147548],
		[0.0, 0.0, 0.0, 0.0],
		[0.0728874663, 0.1637972582, 0.3271309866, 0.4361842885],
		[0.0655988548, 0.1474132247, 0.3372762585, 0.4497116616],
		[0.0590361361, 0.1326722752, 0.3464062694, 0.4618853189],
		[0.053130352, 0.1194037423, 0.3546237142, 0.472842191],
	];
	let mut net = Subnet::registered_at_genesis(&[1, 2, 3, 4, 0, 0, 0, 0]);
	for v in 0..4 {
		net.set_weights(v, 1, &servers);
	}
	for (k, epoch) in (2u64..=8).enumerate() {
		match epoch {
			2..=4 => net.set_weights(epoch as usize - 2, epoch, &[(epoch as Uid - 2, u16::MAX)]),
			5 => net.set_weights(2, epoch, &[(7, u16::MAX)]),
			_ => {},
		}
		for (v, &[on_4_to_6, on_7]) in stored[k].iter().enumerate() {
			let b = |x: u16| Fixed::from_u16_fraction(x);
			net.bonds[v] =
				vec![(4, b(on_4_to_6)), (5, b(on_4_to_6)), (6, b(on_4_to_6)), (7, b(on_7))];
		}
		net.last_epoch = epoch - 1;
		let out = net.peek(&params);
		assert_fracs(&format!("epoch {epoch}: D"), &out.dividends[..4], &dividends[k], FRAC_TOL);
		for (v, &[on_4_to_6, on_7]) in stored[k + 1].iter().enumerate() {
			for j in 4..7 {
				let what = format!("epoch {epoch}: B[{v}][{j}]");
				assert_u16(&what, bond_u16(&out, v, j), on_4_to_6, U16_TOL);
			}
			assert_u16(&format!("epoch {epoch}: B[{v}][7]"), bond_u16(&out, v, 7), on_7, U16_TOL);
		}
	}
}

/// From subtensor `test_active_stake`: four UIDs with stake 1 each, all holding permits;
/// validators 0 and 1 weight servers 2 and 3 equally (stored 65535/65535) at block 1 and an
/// epoch runs. At block 5002 (activity cutoff 5000) only validator 0 renews its weights: an
/// epoch runs with validator 1 inactive. Validator 1 renews at block 5002 too and an epoch runs
/// at block 5003.
///
/// Carried over: dividends (`u16`) 32767/32767, then 36044 and 29490, then 35716 and 29818;
/// emission 250_000_000 each, then 274_999_999 and 224_999_999, then 272_501_132 and
/// 227_498_866; bonds (`u16`, max-upscaled) 65535 on both servers, then 65535 and 53619, then
/// 65535 and 54712.
///
/// Tolerances: `U16_TOL` for dividends and bonds, `EMISSION_TOL` for emission, except in the
/// third epoch, which subtensor computes from bonds read back from `u16` (65535/53619, i.e.
/// 0.5500025/0.4499975, where Agora has exactly 0.55/0.45): there emission within half the
/// emission times `DIV_TOL` (subtensor 272_501_132, Agora exactly 272_500_000). The third epoch
/// is then replayed from subtensor's stored bonds, which matches its log within `FRAC_TOL` and
/// its emission within `EMISSION_TOL`.
///
/// Difference: subtensor keeps an inactive permit holder's weights (they weigh nothing, as its
/// active stake is zero, but count in its validator trust); Agora drops them, so validator 1's
/// validator trust is 0 in the second epoch. Bonds agree: in both an inactive permit holder's
/// bonds decay by the moving average.
#[test]
fn subtensor_active_stake() {
	let params = subtensor_params(4);
	let mut net = Subnet::registered_at_genesis(&[1, 1, 1, 1]);
	let half_half: [(Uid, u16); 2] = [(2, u16::MAX), (3, u16::MAX)];
	net.set_weights(0, 1, &half_half);
	net.set_weights(1, 1, &half_half);
	let out = net.epoch_at(1, &params);
	let e = emission(&out);
	for v in 0..2 {
		assert_u16(&format!("D[{v}]"), as_u16(out.dividends[v]), 32_767, U16_TOL);
		for s in 2..4 {
			assert_u16(&format!("B[{v}][{s}]"), bond_u16(&out, v, s), 65_535, 0);
		}
		assert_eq!(bond(&out, v, 1 - v), Fixed::ZERO);
	}
	for (uid, &e) in e.iter().enumerate() {
		assert_emission(&format!("E[{uid}]"), e, 250_000_000, EMISSION_TOL);
	}

	// Block 5002: validator 0 renews its weights; everyone else is past the activity cutoff.
	net.set_weights(0, 5002, &half_half);
	net.active = net.last_update.iter().map(|&u| u + 5000 >= 5002).collect();
	assert_eq!(net.active, [true, false, false, false]);
	let out = net.epoch_at(5002, &params);
	let e = emission(&out);
	assert_fracs("S", &out.active_stake, &[1.0, 0.0, 0.0, 0.0], 0.0);
	assert_eq!(out.validator_permit, [true; 4]);
	assert!(out.validator_trust[1].is_zero(), "Agora drops an inactive validator's weights");
	assert_u16("D[0]", as_u16(out.dividends[0]), 36_044, U16_TOL);
	assert_u16("D[1]", as_u16(out.dividends[1]), 29_490, U16_TOL);
	for (uid, want) in [274_999_999, 224_999_999, 250_000_000, 250_000_000].into_iter().enumerate()
	{
		assert_emission(&format!("E[{uid}]"), e[uid], want, EMISSION_TOL);
	}
	for s in 2..4 {
		assert_u16(&format!("B[0][{s}]"), bond_u16(&out, 0, s), 65_535, 0);
		assert_u16(&format!("B[1][{s}]"), bond_u16(&out, 1, s), 53_619, U16_TOL);
	}

	// Validator 1 renews too; epoch at block 5003.
	net.set_weights(1, 5002, &half_half);
	net.active = net.last_update.iter().map(|&u| u + 5000 >= 5003).collect();
	assert_eq!(net.active, [true, true, false, false]);
	let out = net.epoch_at(5003, &params);
	let e = emission(&out);
	assert_u16("D[0]", as_u16(out.dividends[0]), 35_716, U16_TOL);
	assert_u16("D[1]", as_u16(out.dividends[1]), 29_818, U16_TOL);
	let tol = (EMISSION as f64 * 0.5 * DIV_TOL) as u128;
	assert_emission("E[0]", e[0], 272_501_132, tol);
	assert_emission("E[1]", e[1], 227_498_866, tol);
	for s in 2..4 {
		assert_u16(&format!("B[0][{s}]"), bond_u16(&out, 0, s), 65_535, 0);
		assert_u16(&format!("B[1][{s}]"), bond_u16(&out, 1, s), 54_712, U16_TOL);
	}
	// Agora's exact values: 0.9 · 0.55 + 0.1 · 0.5 and 0.9 · 0.45 + 0.1 · 0.5.
	assert_fracs("D", &out.dividends[..2], &[0.545, 0.455], 1e-9);
	assert_eq!(e[..2], [272_500_000, 227_500_000]);

	// The same epoch from the bonds subtensor stored (65535 and 53619 on both servers): its
	// logged dividends 0.545002266/0.4549977337, emission 272_501_132/227_498_866 and stored
	// bonds 65535/54712, now without the storage tolerance.
	let stored = |x: u16| vec![(2, Fixed::from_u16_fraction(x)), (3, Fixed::from_u16_fraction(x))];
	net.bonds = vec![stored(65_535), stored(53_619), Vec::new(), Vec::new()];
	net.last_epoch = 5002;
	let out = net.peek(&params);
	let e = emission(&out);
	assert_fracs("replayed D", &out.dividends[..2], &[0.545002266, 0.4549977337], FRAC_TOL);
	assert_emission("replayed E[0]", e[0], 272_501_132, EMISSION_TOL);
	assert_emission("replayed E[1]", e[1], 227_498_866, EMISSION_TOL);
	for s in 2..4 {
		assert_u16(&format!("replayed B[1][{s}]"), bond_u16(&out, 1, s), 54_712, U16_TOL);
	}
}

/// From subtensor `test_outdated_weights`: four UIDs with stake 1 each, tempo 0. At block 1
/// validators 0 and 1 weight servers 2 and 3 by 2/3 and 1/3 (stored 65535/32768), the servers
/// weight themselves, and an epoch runs. Still at block 1 a new hotkey without stake takes
/// UID 3; at block 2 only validator 0 renews its weights and an epoch runs.
///
/// Carried over: first epoch incentive 0.6666632756/0.3333367242, dividends 0.5/0.5, emission
/// 250_000_000/250_000_000/333_331_637/166_668_361; second epoch validator 1's weight on the
/// new UID 3 is outdated (dropped), consensus on UID 3 is 0 and on UID 2 0.6666632756, trust of
/// UID 2 0.8, incentive 1 on UID 2, dividends 32767 (`u16`) for validator 0, emission
/// 250_000_000, bond 65535 of validator 0 on UID 2.
///
/// Difference: subtensor asserts that validator 0 still holds a bond of 65535 on UID 3. Its new
/// holder registered in block 1, after the epoch of block 1 that formed the bond; subtensor only
/// masks bonds on UIDs registered at or after the previous epoch's block plus one, so the bond
/// is inherited. Agora drops bonds on UIDs registered at or after `last_epoch` (the new holder
/// inherits nothing): validator 0 holds no bond on UID 3. With `last_epoch` = 2 (subtensor's
/// boundary) Agora reproduces subtensor's 65535.
#[test]
fn subtensor_outdated_weights() {
	let params = subtensor_params(4);
	let mut net = Subnet::registered_at_genesis(&[1, 1, 1, 1]);
	let two_one: [(Uid, u16); 2] = [(2, 65_535), (3, 32_768)];
	net.set_weights(0, 1, &two_one);
	net.set_weights(1, 1, &two_one);
	net.set_weights(2, 1, &[(2, u16::MAX)]);
	net.set_weights(3, 1, &[(3, u16::MAX)]);
	let out = net.epoch_at(1, &params);
	assert_fracs("I", &out.incentive, &[0.0, 0.0, 0.6666632756, 0.3333367242], FRAC_TOL);
	assert_fracs("D", &out.dividends, &[0.5, 0.5, 0.0, 0.0], FRAC_TOL);
	let e = emission(&out);
	for (uid, want) in [250_000_000, 250_000_000, 333_331_637, 166_668_361].into_iter().enumerate()
	{
		assert_emission(&format!("E[{uid}]"), e[uid], want, EMISSION_TOL);
	}

	// A new hotkey without stake takes UID 3 in block 1; validator 0 renews at block 2.
	net.replace(3, 1, 0);
	net.set_weights(0, 2, &two_one);
	let check = |out: &EpochOutput| {
		assert_eq!(out.validator_permit, [true, true, true, false]);
		assert_fracs("S", &out.active_stake, &[1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0, 0.0], 1e-9);
		assert_frac("C[2]", out.consensus[2], 0.6666632756, FRAC_TOL);
		assert!(out.consensus[3].is_zero());
		assert_frac("R[2]", out.rank[2], 0.4444421832, FRAC_TOL);
		assert_frac("T[2]", out.trust[2], 0.799997558, FRAC_TOL);
		assert_fracs("I", &out.incentive, &[0.0, 0.0, 1.0, 0.0], 0.0);
		assert_u16("D[0]", as_u16(out.dividends[0]), 32_767, U16_TOL);
		assert_emission("E[0]", emission(out)[0], 250_000_000, EMISSION_TOL);
		assert_u16("B[0][2]", bond_u16(out, 0, 2), 65_535, 0);
	};
	// Subtensor's boundary: the bond formed at block 1 on UID 3 survives.
	let mut at_subtensor_boundary = net.clone();
	at_subtensor_boundary.last_epoch = 2;
	let out = at_subtensor_boundary.epoch_at(2, &params);
	check(&out);
	assert_u16("B[0][3]", bond_u16(&out, 0, 3), 65_535, 0);
	// Agora: the new holder of UID 3 inherits no bond.
	let out = net.epoch_at(2, &params);
	check(&out);
	assert_eq!(bond(&out, 0, 3), Fixed::ZERO);
	assert_eq!(bond(&out, 1, 3), Fixed::ZERO);
}

/// From subtensor `test_zero_weights`: a validator (stake 1) and a server (no stake). Epoch at
/// block 0 without weights; at block 1 the server weights itself; at block 2 the validator
/// weights the server and, in the same block, a new hotkey takes the server's UID (so the
/// weight is outdated); at block 3 the validator weights it again.
///
/// Carried over: no incentive or dividends in the first three epochs; in the fourth, incentive
/// 1 on the server, dividends 1 on the validator, emission 500_000_000 each, and the
/// validator's bond 65535 on the server.
///
/// Difference: in the first three epochs subtensor asserts emission 1_000_000_000 for the
/// validator (its fallback pays by active stake when nothing else earns); Agora pays nothing
/// and leaves the emission with the caller.
#[test]
fn subtensor_zero_weights() {
	let params = subtensor_params(64);
	let mut net = Subnet::registered_at_genesis(&[1, 0]);
	let nothing_earned = |out: &EpochOutput| {
		assert_eq!(out.validator_permit, [true, false]);
		assert_all_zero("I", &out.incentive);
		assert_all_zero("D", &out.dividends);
		assert_eq!(emission(out), vec![0, 0]);
	};
	nothing_earned(&net.epoch_at(0, &params));

	net.set_weights(1, 1, &[(1, u16::MAX)]);
	nothing_earned(&net.epoch_at(1, &params));

	net.set_weights(0, 2, &[(1, u16::MAX)]);
	net.replace(1, 2, 0);
	nothing_earned(&net.epoch_at(2, &params));

	net.set_weights(0, 3, &[(1, u16::MAX)]);
	let out = net.epoch_at(3, &params);
	assert_eq!(out.incentive, [Fixed::ZERO, Fixed::ONE]);
	assert_eq!(out.dividends, [Fixed::ONE, Fixed::ZERO]);
	assert_eq!(emission(&out), vec![500_000_000, 500_000_000]);
	assert_u16("B[0][1]", bond_u16(&out, 0, 1), 65_535, 0);
}

/// From subtensor `test_deregistered_miner_bonds`: four UIDs with stake 1 each; validators 0
/// and 1 weight servers 2 and 3 by 2/3 and 1/3 at block 2 and an epoch runs at block 4. At
/// block 5 a new hotkey (no stake) takes UID 3 and the validators renew their weights; an epoch
/// runs at block 6.
///
/// Carried over: after the first epoch validator 0 holds non-zero bonds on both servers (here:
/// 65535 each, `u16`); after the second its bond on UID 2 has not fallen (65535) and its bond
/// on UID 3 has not risen. Agora's exact values: the bond on UID 3 is gone, as its new holder
/// registered after the epoch that formed it, and the renewed weights on it (same block as the
/// registration) are outdated.
///
/// Control (not in subtensor): without the re-registration the bond on UID 3 stays.
#[test]
fn subtensor_deregistered_miner_bonds() {
	let params = subtensor_params(4);
	let mut net = Subnet::registered_at_genesis(&[1, 1, 1, 1]);
	let two_one: [(Uid, u16); 2] = [(2, 65_535), (3, 32_768)];
	net.set_weights(0, 2, &two_one);
	net.set_weights(1, 2, &two_one);
	let out = net.epoch_at(4, &params);
	let (b02, b03) = (bond_u16(&out, 0, 2), bond_u16(&out, 0, 3));
	assert_eq!((b02, b03), (65_535, 65_535));

	let mut kept = net.clone();
	net.replace(3, 5, 0);
	for subnet in [&mut net, &mut kept] {
		subnet.set_weights(0, 5, &two_one);
		subnet.set_weights(1, 5, &two_one);
	}
	let out = net.epoch_at(6, &params);
	assert!(bond_u16(&out, 0, 2) >= b02);
	assert!(bond_u16(&out, 0, 3) <= b03);
	assert_frac("B[0][2]", bond(&out, 0, 2), 0.5, 1e-9);
	assert_eq!(bond(&out, 0, 3), Fixed::ZERO);
	assert_eq!(bond(&out, 1, 3), Fixed::ZERO);

	let out = kept.epoch_at(6, &params);
	assert_frac("control: B[0][3]", bond(&out, 0, 3), 0.5, 1e-9);
}

/// From subtensor `test_validator_permits`: networks of 2, 4 and 8 UIDs with 1, 2 and 4
/// validators in three layouts, stake threshold = number of validators. Assignment 0: each
/// validator has stake 1, servers none; assignment 1: validator `u` has `u + n`, server `u` has
/// `u`. Then every server gains `2n`.
///
/// Carried over: a validator holds a permit exactly when its stake reaches the threshold,
/// servers hold none; after the servers gain stake they hold the permits (whenever their stake
/// reaches the threshold) and the validators none. Checked through [`validator_permits`] and
/// through the epoch's `validator_permit`.
///
/// Differences: the random layout is a fixed permutation. Subtensor masks an epoch's weights
/// with the permits the previous epoch decided and stores the new ones for the next epoch;
/// Agora decides and applies permits within the same epoch (so the second half needs no extra
/// epoch here). Subtensor breaks stake ties towards the higher UID (stable ascending sort in
/// `is_topk_nonzero`), Agora towards the lower UID; no tie decides a permit in this scenario.
#[test]
fn subtensor_validator_permits() {
	for interleave in 0..3 {
		for (n, k) in [(2usize, 1usize), (4, 2), (8, 4)] {
			let min_stake = k as u64;
			for assignment in 0..=1 {
				let (validators, servers) = layout(k, n, interleave);
				let mut stake = vec![0u64; n];
				for &v in &validators {
					stake[v] = if assignment == 1 { v as u64 + n as u64 } else { 1 };
				}
				for &s in &servers {
					stake[s] = if assignment == 1 { s as u64 } else { 0 };
				}
				let params =
					Params { min_validator_stake: min_stake, ..subtensor_params(k as u16) };
				let ctx = format!("interleave {interleave}, n {n}, assignment {assignment}");

				let net = Subnet::registered_at_genesis(&stake);
				for permits in [
					validator_permits(&stake, k as u16, min_stake),
					net.peek(&params).validator_permit,
				] {
					for &v in &validators {
						assert_eq!(permits[v], stake[v] >= min_stake, "{ctx}: validator {v}");
					}
					for &s in &servers {
						assert!(!permits[s], "{ctx}: server {s}");
					}
				}

				for &s in &servers {
					stake[s] += 2 * n as u64;
				}
				let net = Subnet::registered_at_genesis(&stake);
				for permits in [
					validator_permits(&stake, k as u16, min_stake),
					net.peek(&params).validator_permit,
				] {
					for &v in &validators {
						assert!(!permits[v], "{ctx}: validator {v} after");
					}
					for &s in &servers {
						assert_eq!(permits[s], stake[s] >= min_stake, "{ctx}: server {s} after");
					}
				}
			}
		}
	}
}

// ---------------------------------------------------------------------------------------------
// Stake-weighted median (subtensor `tests/math.rs`)
//
// Agora computes the stake-weighted median at kappa inside `epoch` (it is not public); these
// vectors are expressed through the epoch's `consensus`. Validator `i` with stake `stake[i]`
// gives column `c` the score `score[i][c]` (in thousandths) by weighting target UID `c` with
// that many units and a filler UID with the rest of 1000, so its row normalises to exactly the
// scores. A validator without stake holds no permit and drops out, as a zero-stake row drops
// out of subtensor's median.

/// Consensus on `columns` targets for validators with `stake` and `scores` (thousandths).
fn median_via_epoch(
	stake: &[u64],
	scores: &[Vec<u32>],
	columns: usize,
	kappa: Fixed,
) -> Vec<Fixed> {
	let m = stake.len();
	let n = m + columns + 1;
	let filler = (n - 1) as Uid;
	let mut all_stake = stake.to_vec();
	all_stake.resize(n, 0);
	let mut net = Subnet::registered_at_genesis(&all_stake);
	for (i, row) in scores.iter().enumerate() {
		let mut w: Vec<(Uid, u16)> = row
			.iter()
			.enumerate()
			.filter(|&(_, &s)| s > 0)
			.map(|(c, &s)| ((m + c) as Uid, s as u16))
			.collect();
		let rest = 1000 - row.iter().sum::<u32>();
		if rest > 0 {
			w.push((filler, rest as u16));
		}
		net.set_weights(i, 1, &w);
	}
	let params = Params { kappa, ..subtensor_params(u16::MAX) };
	net.peek(&params).consensus[m..m + columns].to_vec()
}

/// Asserts consensus equals the expected scores (thousandths) up to the 2^-32 rounding of the
/// row normalisation (scores differ by at least 0.001, so nothing else is that close).
#[track_caller]
fn assert_scores(what: &str, got: &[Fixed], want_thousandths: &[u32]) {
	let want: Vec<f64> = want_thousandths.iter().map(|&t| t as f64 / 1000.0).collect();
	assert_fracs(what, got, &want, 4.0 / (1u64 << 32) as f64);
}

fn kappa(numerator: u64, denominator: u64) -> Fixed {
	Fixed::from_ratio(numerator as u128, denominator as u128)
}

/// From subtensor `test_math_weighted_median` (the fixed cases), majority 0.51: stake and
/// scores as fractions (stake here in hundredths, which normalise to the same shares).
///
/// Difference: subtensor calls its median function directly; here it is the consensus of a
/// one-column epoch. The stakes normalise with Agora's exact-sum rounding, which at the 0.51
/// boundaries of these cases gives the same answers as subtensor's.
#[test]
fn subtensor_weighted_median() {
	let k = kappa(51, 100);
	let case = |stake: &[u64], scores: &[u32], want: u32| {
		let rows: Vec<Vec<u32>> = scores.iter().map(|&s| vec![s]).collect();
		let got = median_via_epoch(stake, &rows, 1, k);
		assert_scores(&format!("stake {stake:?}, scores {scores:?}"), &got, &[want]);
	};
	case(&[], &[], 0);
	case(&[51], &[1000], 1000);
	case(&[49, 51], &[500, 1000], 1000);
	case(&[51, 49], &[500, 1000], 500);
	case(&[49, 0, 51], &[500, 700, 1000], 1000);
	case(&[49, 1, 50], &[500, 700, 1000], 700);
	case(&[49, 51, 0], &[500, 700, 1000], 700);
	case(&[0, 49, 51], &[500, 700, 1000], 1000);
	case(&[0, 49, 0, 51], &[500, 500, 1000, 1000], 1000);
	case(&[0, 49, 0, 51, 0], &[500, 500, 1000, 1000, 500], 1000);
	case(&[20, 20, 20, 20, 20], &[800, 200, 1000, 600, 400], 600);
	case(&[10; 10], &[800, 800, 200, 200, 1000, 1000, 600, 600, 400, 400], 600);
}

/// From subtensor `test_math_weighted_median` (the randomised part): 100 validators, for
/// majorities 0, 1e-7, 0.25, 0.49, 0.5, 0.51, 0.9999999 and 1, either equal stakes with
/// distinct ascending scores, or random 0/1 stakes with random runs of equal scores; the result
/// must also survive permuting the validators.
///
/// Carried over: the definition of the answer, which subtensor checks against its own oracle:
/// the largest score `c` such that validators scoring at least `c` hold at least kappa of the
/// stake (zero if none). The oracle here computes it exactly from the integer stakes; where
/// that stake is within 2^-32 per validator of kappa (the boundary, where rounding decides),
/// the neighbouring score is accepted too, as subtensor accepts either median at its boundary.
///
/// Differences: scores are fractions (`i/99`, or a run count over 100) rather than subtensor's
/// integers, since they must be weights; the random stream is a fixed LCG.
#[test]
fn subtensor_weighted_median_randomised() {
	let n = 100usize;
	let mut rng = Lcg(7);
	let kappas = [
		Fixed::ZERO,
		kappa(1, 10_000_000),
		kappa(1, 4),
		kappa(49, 100),
		kappa(1, 2),
		kappa(51, 100),
		kappa(9_999_999, 10_000_000),
		Fixed::ONE,
	];
	for &k in &kappas {
		for allow_equal in [false, true] {
			let mut stake = Vec::with_capacity(n);
			let mut weight = Vec::with_capacity(n);
			let mut run = 0u16;
			for i in 0..n {
				if allow_equal {
					stake.push(u64::from(rng.bit()));
					if rng.bit() {
						run += 1;
					}
					weight.push(run);
				} else {
					stake.push(1);
					weight.push(i as u16);
				}
			}
			let scale = if allow_equal { 100 } else { 99 };
			for permutation in 0..3u64 {
				let order: Vec<usize> = if permutation == 0 {
					(0..n).collect()
				} else {
					let mut o: Vec<usize> = (0..n).collect();
					let mut r = Lcg(permutation * 1_000_003);
					for a in (1..n).rev() {
						let mut x = 0usize;
						for _ in 0..16 {
							x = (x << 1) | usize::from(r.bit());
						}
						o.swap(a, x % (a + 1));
					}
					o
				};
				let st: Vec<u64> = order.iter().map(|&i| stake[i]).collect();
				let wt: Vec<u16> = order.iter().map(|&i| weight[i]).collect();
				let got = consensus_of_fractions(&st, &wt, scale, k);
				let accepted = median_oracle(&st, &wt, k);
				assert!(
					accepted.iter().any(|&c| (got.to_f64() - c as f64 / scale as f64).abs() < 1e-8),
					"kappa {k}, allow_equal {allow_equal}, permutation {permutation}: got {got}, \
					 accepted {accepted:?} / {scale}"
				);
			}
		}
	}
}

/// Consensus on one target that validator `i` (stake `stake[i]`) scores `weight[i] / scale`.
fn consensus_of_fractions(stake: &[u64], weight: &[u16], scale: u16, kappa: Fixed) -> Fixed {
	let m = stake.len();
	let (target, filler) = (m as Uid, m as Uid + 1);
	let mut all_stake = stake.to_vec();
	all_stake.extend([0, 0]);
	let mut net = Subnet::registered_at_genesis(&all_stake);
	for (i, &w) in weight.iter().enumerate() {
		let row: Vec<(Uid, u16)> =
			[(target, w), (filler, scale - w)].into_iter().filter(|&(_, v)| v > 0).collect();
		net.set_weights(i, 1, &row);
	}
	net.peek(&Params { kappa, ..subtensor_params(u16::MAX) }).consensus[m]
}

/// The accepted answers (as weights over the scale): the largest score whose supporters hold at
/// least kappa of the stake (0 if none), and, for every score whose decision is within
/// rounding of kappa, that score and the next lower one (or 0).
fn median_oracle(stake: &[u64], weight: &[u16], kappa: Fixed) -> Vec<u16> {
	let total: u128 = stake.iter().map(|&s| s as u128).sum();
	// Distinct positive scores of staked validators, highest first.
	let mut scores: Vec<u16> =
		weight.iter().zip(stake).filter(|&(&w, &s)| s > 0 && w > 0).map(|(&w, _)| w).collect();
	scores.sort_unstable_by(|a, b| b.cmp(a));
	scores.dedup();
	// Stake scoring at least `c`, times 2^32, against kappa (raw, over 2^32) times the total.
	let support = |c: u16| -> u128 {
		weight.iter().zip(stake).filter(|&(&w, _)| w >= c).map(|(_, &s)| s as u128).sum::<u128>()
			<< 32
	};
	let need = kappa.raw() as u128 * total;
	// Each normalised stake is off by under 2^-32: the support by under `n` such units.
	let slack = stake.len() as u128 * total;
	let mut accepted = vec![scores.iter().copied().find(|&c| support(c) >= need).unwrap_or(0)];
	for (k, &c) in scores.iter().enumerate() {
		if support(c).abs_diff(need) <= slack {
			accepted.push(c);
			accepted.push(scores.get(k + 1).copied().unwrap_or(0));
		}
	}
	accepted
}

/// From subtensor `test_math_weighted_median_col` and `test_math_weighted_median_col_sparse`
/// (same vectors, dense and sparse): column medians of a 4 × 3 score matrix for several
/// majorities.
///
/// Carried over: stakes (0, 0.75, 0.25, 0) with scores rows (0, 0.1, 0), (0, 0.2, 0.4),
/// (0, 0.3, 0.1), (0, 0.4, 0.5): medians (0, 0.3, 0.4) at 0.24, (0, 0.2, 0.4) at 0.26,
/// (0, 0.2, 0.1) at 0.76; stakes (0, 0.3, 0.2, 0.5) with the last row (0, 0, 0.5): medians
/// (0, 0, 0.4) at 0.51; and all-zero stakes or no validators give zeros.
///
/// Difference: expressed through the epoch's consensus (see above); an empty stake vector is a
/// subnet whose only UIDs are targets.
#[test]
fn subtensor_weighted_median_col() {
	assert_scores("no validators", &median_via_epoch(&[], &[], 3, kappa(1, 2)), &[0, 0, 0]);
	let zeros = vec![vec![0, 0]; 2];
	assert_scores("no stake", &median_via_epoch(&[0, 0], &zeros, 2, kappa(1, 2)), &[0, 0]);

	let scores = vec![vec![0, 100, 0], vec![0, 200, 400], vec![0, 300, 100], vec![0, 400, 500]];
	let stake = [0, 75, 25, 0];
	for (k, want) in [
		(kappa(24, 100), [0, 300, 400]),
		(kappa(26, 100), [0, 200, 400]),
		(kappa(76, 100), [0, 200, 100]),
	] {
		assert_scores(&format!("kappa {k}"), &median_via_epoch(&stake, &scores, 3, k), &want);
	}

	let scores = vec![vec![0, 100, 0], vec![0, 200, 400], vec![0, 300, 100], vec![0, 0, 500]];
	let got = median_via_epoch(&[0, 3, 2, 5], &scores, 3, kappa(51, 100));
	assert_scores("kappa 0.51", &got, &[0, 0, 400]);
}
