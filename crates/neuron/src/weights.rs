//! From scores to weights: each UID's moving average of scores ([`Ema`], folded by
//! [`fold_round`]), and from the averages to the weights the chain accepts ([`to_weights`]): top
//! `max_allowed_weights`, capped at `max_weight_limit` with the excess spread over the rest,
//! quantised to u16 (the largest weight is `u16::MAX`), padded with zero weights up to
//! `min_allowed_weights`.
//!
//! Pure functions over plain data: the validator applies them every round, and
//! `agora audit verify` applies them again to the validator's [audit log](crate::audit) to check
//! the weights it submitted.

use std::collections::BTreeMap;

use agora_primitives::{SubnetHyperparams, Uid};
use serde::{Deserialize, Serialize};

/// Why no weights can be set from these scores.
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum WeightsError {
	/// Every score is zero (or no miner answered).
	#[error("no miner scored above zero: nothing to weigh")]
	NothingToWeigh,
	/// Too few miners scored for the cap: `k` weights of at most `limit` cannot sum to 1.
	#[error(
		"{scored} scored miners cannot meet max_weight_limit {limit}/65535: at least {needed} are needed"
	)]
	CannotMeetLimit {
		/// Miners with a positive score.
		scored: usize,
		/// The subnet's cap.
		limit: u16,
		/// How many would be needed.
		needed: usize,
	},
}

/// The subnet rules a weight vector must satisfy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules {
	/// Neurons in the subnet (UIDs are `0..n`).
	pub n: u16,
	/// Fewest weights (zeros count).
	pub min_allowed: u16,
	/// Most weights.
	pub max_allowed: u16,
	/// Largest share of the total one weight may take, in parts of `u16::MAX`.
	pub max_weight_limit: u16,
}

impl Rules {
	/// The rules of a subnet with `n` neurons and these hyperparameters.
	pub fn of(n: u16, hp: &SubnetHyperparams) -> Self {
		Rules {
			n,
			min_allowed: hp.min_allowed_weights,
			max_allowed: hp.max_allowed_weights,
			max_weight_limit: hp.max_weight_limit,
		}
	}
}

/// A UID's moving average of scores.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ema {
	/// The hotkey the average belongs to (SS58).
	pub hotkey: String,
	/// The average, in [0, 1].
	pub value: f64,
	/// Rounds folded in.
	pub rounds: u64,
}

/// Every UID's moving average.
pub type Emas = BTreeMap<Uid, Ema>;

/// Folds `score` into `uid`'s average with weight `alpha`:
/// `value = alpha * score + (1 - alpha) * value`. A UID without an average, or now held by
/// another hotkey, starts over from `score`. A score outside [0, 1] is clamped; one that is not
/// finite counts as 0.
pub fn fold_score(emas: &mut Emas, uid: Uid, hotkey: &str, score: f64, alpha: f64) {
	let score = if score.is_finite() { score.clamp(0.0, 1.0) } else { 0.0 };
	match emas.get_mut(&uid) {
		Some(e) if e.hotkey == hotkey => {
			e.value = alpha * score + (1.0 - alpha) * e.value;
			e.rounds += 1;
		},
		_ => {
			emas.insert(uid, Ema { hotkey: hotkey.to_string(), value: score, rounds: 1 });
		},
	}
}

/// Drops the averages of UIDs that no longer exist or changed hands (`holders`: UID → the
/// hotkey holding it now, SS58).
pub fn retain_holders(emas: &mut Emas, holders: &BTreeMap<Uid, String>) {
	emas.retain(|uid, e| holders.get(uid) == Some(&e.hotkey));
}

/// One round of a validator: the averages `before`, minus those of UIDs that changed hands
/// ([`retain_holders`]), with each `(uid, hotkey, score)` folded in, in order ([`fold_score`]).
pub fn fold_round<'a>(
	before: &Emas,
	holders: &BTreeMap<Uid, String>,
	scores: impl IntoIterator<Item = (Uid, &'a str, f64)>,
	alpha: f64,
) -> Emas {
	let mut emas = before.clone();
	retain_holders(&mut emas, holders);
	for (uid, hotkey, score) in scores {
		fold_score(&mut emas, uid, hotkey, score, alpha);
	}
	emas
}

/// The averages as scores, by UID (what [`to_weights`] takes).
pub fn ema_scores(emas: &Emas) -> BTreeMap<Uid, f64> {
	emas.iter().map(|(u, e)| (*u, e.value)).collect()
}

/// Normalised, capped shares summing to 1, by UID.
pub fn shares(
	scores: &BTreeMap<Uid, f64>,
	rules: &Rules,
) -> Result<BTreeMap<Uid, f64>, WeightsError> {
	let mut ranked: Vec<(Uid, f64)> = scores
		.iter()
		.filter(|(uid, s)| **uid < rules.n && s.is_finite() && **s > 0.0)
		.map(|(u, s)| (*u, *s))
		.collect();
	ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
	ranked.truncate(usize::from(rules.max_allowed.max(1)));
	if ranked.is_empty() {
		return Err(WeightsError::NothingToWeigh);
	}
	let cap = f64::from(rules.max_weight_limit) / f64::from(u16::MAX);
	if cap * (ranked.len() as f64) < 1.0 - 1e-12 {
		return Err(WeightsError::CannotMeetLimit {
			scored: ranked.len(),
			limit: rules.max_weight_limit,
			needed: (1.0 / cap).ceil() as usize,
		});
	}
	// Water-filling: weights above the cap are pinned to it and the rest share what is left in
	// proportion to their scores, until nobody is above the cap.
	let mut pinned = vec![false; ranked.len()];
	let mut shares = vec![0.0; ranked.len()];
	loop {
		let left = 1.0 - cap * pinned.iter().filter(|p| **p).count() as f64;
		let free: f64 = ranked.iter().zip(&pinned).filter(|(_, p)| !**p).map(|(r, _)| r.1).sum();
		let mut changed = false;
		for (i, (_, score)) in ranked.iter().enumerate() {
			shares[i] = if pinned[i] { cap } else { left * score / free };
			if !pinned[i] && shares[i] > cap + 1e-12 {
				pinned[i] = true;
				changed = true;
			}
		}
		if !changed {
			break;
		}
	}
	Ok(ranked.iter().map(|(u, _)| *u).zip(shares).collect())
}

/// The `(uids, values)` to submit: quantised shares, then zero weights on the lowest other UIDs
/// (`own` first, which the chain accepts and Yuma ignores) up to `min_allowed_weights`, sorted by
/// UID.
pub fn to_weights(
	scores: &BTreeMap<Uid, f64>,
	own: Uid,
	rules: &Rules,
) -> Result<(Vec<Uid>, Vec<u16>), WeightsError> {
	let shares = shares(scores, rules)?;
	let top = shares.values().copied().fold(0.0, f64::max);
	let mut values: BTreeMap<Uid, u16> = shares
		.iter()
		.map(|(u, s)| (*u, (s / top * f64::from(u16::MAX)).round() as u16))
		.filter(|(_, v)| *v > 0)
		.collect();
	// Rounding may push a capped weight a hair over the limit the chain checks exactly.
	if rules.max_weight_limit < u16::MAX {
		for _ in 0..1_000 {
			let total: u64 = values.values().map(|v| u64::from(*v)).sum();
			let limit = u64::from(rules.max_weight_limit) * total;
			let over: Vec<Uid> = values
				.iter()
				.filter(|(_, v)| u64::from(**v) * u64::from(u16::MAX) > limit)
				.map(|(u, _)| *u)
				.collect();
			if over.is_empty() {
				break;
			}
			for uid in over {
				if let Some(v) = values.get_mut(&uid) {
					*v = v.saturating_sub(1);
				}
			}
		}
	}
	let needed = usize::from(rules.min_allowed.min(rules.n));
	let mut pad = std::iter::once(own).chain(0..rules.n).filter(|u| *u < rules.n);
	let mut entries: BTreeMap<Uid, u16> = values;
	while entries.len() < needed {
		match pad.next() {
			Some(uid) => {
				entries.entry(uid).or_insert(0);
			},
			None => break,
		}
	}
	Ok(entries.into_iter().unzip())
}

#[cfg(test)]
mod tests {
	use super::*;

	fn rules(n: u16, min: u16, max: u16, limit: u16) -> Rules {
		Rules { n, min_allowed: min, max_allowed: max, max_weight_limit: limit }
	}

	fn scores(pairs: &[(Uid, f64)]) -> BTreeMap<Uid, f64> {
		pairs.iter().copied().collect()
	}

	#[test]
	fn shares_are_proportional_and_sum_to_one() {
		let s = shares(&scores(&[(1, 0.6), (2, 0.3), (3, 0.1)]), &rules(4, 1, 256, u16::MAX));
		let s = s.unwrap_or_default();
		assert!((s[&1] - 0.6).abs() < 1e-9 && (s[&2] - 0.3).abs() < 1e-9);
		assert!((s.values().sum::<f64>() - 1.0).abs() < 1e-9);
	}

	#[test]
	fn the_cap_pins_the_largest_and_spreads_the_excess() {
		// Cap 0.5: 0.8 / 0.1 / 0.1 becomes 0.5 / 0.25 / 0.25.
		let limit = u16::MAX / 2 + 1;
		let s = shares(&scores(&[(0, 0.8), (1, 0.1), (2, 0.1)]), &rules(3, 1, 256, limit));
		let s = s.unwrap_or_default();
		let cap = f64::from(limit) / f64::from(u16::MAX);
		assert!((s[&0] - cap).abs() < 1e-9, "{s:?}");
		assert!((s[&1] - (1.0 - cap) / 2.0).abs() < 1e-9, "{s:?}");
		let (uids, values) =
			to_weights(&scores(&[(0, 0.8), (1, 0.1), (2, 0.1)]), 9, &rules(3, 1, 256, limit))
				.unwrap_or_default();
		let total: u64 = values.iter().map(|v| u64::from(*v)).sum();
		assert_eq!(uids, vec![0, 1, 2]);
		for v in &values {
			assert!(u64::from(*v) * u64::from(u16::MAX) <= u64::from(limit) * total, "{values:?}");
		}
	}

	#[test]
	fn an_unmeetable_cap_and_all_zero_scores_are_errors() {
		assert_eq!(
			shares(&scores(&[(0, 1.0)]), &rules(2, 1, 256, u16::MAX / 2)),
			Err(WeightsError::CannotMeetLimit { scored: 1, limit: u16::MAX / 2, needed: 3 })
		);
		assert_eq!(
			shares(&scores(&[(0, 0.0), (1, f64::NAN)]), &rules(2, 1, 256, u16::MAX)),
			Err(WeightsError::NothingToWeigh)
		);
	}

	#[test]
	fn quantised_to_u16_with_the_largest_at_max() {
		let (uids, values) =
			to_weights(&scores(&[(2, 0.5), (1, 0.25)]), 0, &rules(3, 1, 256, u16::MAX))
				.unwrap_or_default();
		assert_eq!(uids, vec![1, 2]);
		assert_eq!(values, vec![32_768, u16::MAX]);
	}

	#[test]
	fn top_max_allowed_and_padding_to_min_allowed() {
		let (uids, values) = to_weights(
			&scores(&[(1, 0.5), (2, 0.4), (3, 0.1), (7, 0.2)]),
			0,
			&rules(8, 1, 2, u16::MAX),
		)
		.unwrap_or_default();
		assert_eq!(uids, vec![1, 2], "only the top two");
		assert_eq!(values[0], u16::MAX);
		let (uids, values) =
			to_weights(&scores(&[(5, 1.0)]), 2, &rules(8, 3, 256, u16::MAX)).unwrap_or_default();
		assert_eq!(uids, vec![0, 2, 5], "own UID first, then the lowest");
		assert_eq!(values, vec![0, 0, u16::MAX]);
		// UIDs beyond the subnet are never weighted.
		assert_eq!(
			to_weights(&scores(&[(9, 1.0)]), 0, &rules(8, 1, 256, u16::MAX)),
			Err(WeightsError::NothingToWeigh)
		);
	}

	#[test]
	fn ema_folds_scores_and_resets_when_the_uid_changes_hands() {
		let mut e = Emas::new();
		fold_score(&mut e, 3, "alice", 1.0, 0.5);
		fold_score(&mut e, 3, "alice", 0.0, 0.5);
		assert_eq!(e[&3], Ema { hotkey: "alice".into(), value: 0.5, rounds: 2 });
		fold_score(&mut e, 3, "bob", 0.2, 0.5);
		assert_eq!(e[&3], Ema { hotkey: "bob".into(), value: 0.2, rounds: 1 });
		fold_score(&mut e, 4, "carol", f64::NAN, 0.5);
		assert_eq!(e[&4].value, 0.0);
		let holders: BTreeMap<Uid, String> = [(3, "bob".to_string())].into_iter().collect();
		retain_holders(&mut e, &holders);
		assert_eq!(e.keys().copied().collect::<Vec<_>>(), vec![3]);
		// A round: UIDs that changed hands dropped, then the scores folded in.
		let holders: BTreeMap<Uid, String> =
			[(3, "bob".to_string()), (5, "dave".to_string())].into_iter().collect();
		let after = fold_round(&e, &holders, [(5, "dave", 0.4), (3, "bob", 1.0)], 0.5);
		assert_eq!(after[&3], Ema { hotkey: "bob".into(), value: 0.6, rounds: 2 });
		assert_eq!(after[&5], Ema { hotkey: "dave".into(), value: 0.4, rounds: 1 });
		assert_eq!(ema_scores(&after), [(3, 0.6), (5, 0.4)].into_iter().collect());
	}
}
