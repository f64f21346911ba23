//! Objective scoring of miners' answers against the truth.
//!
//! [`score_embeddings`] and [`score_generation`] score the challenges of [`crate::data`] against
//! the public truth alone (the Lee ratings, the words that really follow), which a miner holding
//! the same packages can look up; [`crate::eval`] has the lookup-resistant scoring.

use std::{collections::HashMap, time::Duration};

use crate::{
	data::{EmbeddingChallenge, GenerationChallenge},
	ModelError, Result,
};

/// The cosine similarity of `a` and `b`, accumulated in `f64`.
///
/// 0 when the lengths differ, either vector is empty or all zeros, or the result is not finite.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
	if a.len() != b.len() || a.is_empty() {
		return 0.0;
	}
	let (mut dot, mut na, mut nb) = (0.0f64, 0.0f64, 0.0f64);
	for (&x, &y) in a.iter().zip(b) {
		let (x, y) = (f64::from(x), f64::from(y));
		dot += x * y;
		na += x * x;
		nb += y * y;
	}
	let c = dot / (na.sqrt() * nb.sqrt());
	if c.is_finite() {
		c.clamp(-1.0, 1.0) as f32
	} else {
		0.0
	}
}

/// Ranks of `values`, 1-based, ties given the average of the ranks they span.
fn ranks(values: &[f64]) -> Vec<f64> {
	let mut order: Vec<usize> = (0..values.len()).collect();
	order.sort_by(|&i, &j| values[i].total_cmp(&values[j]));
	let mut ranks = vec![0.0; values.len()];
	let mut start = 0;
	while start < order.len() {
		let mut end = start + 1;
		while end < order.len() && values[order[end]] == values[order[start]] {
			end += 1;
		}
		// Positions start..end (0-based) hold equal values: ranks start+1 ..= end.
		let average = (start + 1 + end) as f64 / 2.0;
		for &i in &order[start..end] {
			ranks[i] = average;
		}
		start = end;
	}
	ranks
}

/// Pearson's correlation coefficient; 0 when either side is constant.
fn pearson(x: &[f64], y: &[f64]) -> f64 {
	let n = x.len() as f64;
	let mx = x.iter().sum::<f64>() / n;
	let my = y.iter().sum::<f64>() / n;
	let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
	for (&a, &b) in x.iter().zip(y) {
		sxy += (a - mx) * (b - my);
		sxx += (a - mx) * (a - mx);
		syy += (b - my) * (b - my);
	}
	if sxx <= 0.0 || syy <= 0.0 {
		return 0.0;
	}
	let r = sxy / (sxx.sqrt() * syy.sqrt());
	if r.is_finite() {
		r.clamp(-1.0, 1.0)
	} else {
		0.0
	}
}

/// Spearman's rank correlation of `x` and `y`, in [-1, 1]: Pearson's correlation of their ranks,
/// tied values sharing the average of their ranks.
///
/// 0 when either side is constant, the lengths differ or there are fewer than two points.
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
	if x.len() != y.len() || x.len() < 2 {
		return 0.0;
	}
	pearson(&ranks(x), &ranks(y))
}

/// The largest character n-gram order of [`chrf`].
pub const CHRF_ORDER: usize = 6;
/// The recall weight of [`chrf`] (recall counts `beta` times as much as precision).
pub const CHRF_BETA: f64 = 2.0;

/// Counts of the character n-grams of `chars`.
fn ngrams(chars: &[char], n: usize) -> HashMap<&[char], usize> {
	let mut counts = HashMap::new();
	if chars.len() >= n {
		for gram in chars.windows(n) {
			*counts.entry(gram).or_insert(0) += 1;
		}
	}
	counts
}

/// chrF (Popović 2015): the character n-gram F-score of `hypothesis` against `reference`, in
/// [0, 1].
///
/// Whitespace is ignored and case matters. For each order n in 1..=6 that the reference is long
/// enough to have, precision is `matches / hypothesis n-grams` (0 when the hypothesis has none)
/// and recall `matches / reference n-grams`, matches being clipped counts. Precision and recall
/// are averaged over those orders, then combined as
/// `(1 + beta²) P R / (beta² P + R)` with beta = 2. An empty reference scores 1 against an empty
/// hypothesis and 0 against anything else.
pub fn chrf(hypothesis: &str, reference: &str) -> f64 {
	let hyp: Vec<char> = hypothesis.chars().filter(|c| !c.is_whitespace()).collect();
	let refr: Vec<char> = reference.chars().filter(|c| !c.is_whitespace()).collect();
	if refr.is_empty() {
		return if hyp.is_empty() { 1.0 } else { 0.0 };
	}
	let (mut precision, mut recall, mut orders) = (0.0, 0.0, 0usize);
	for n in 1..=CHRF_ORDER {
		let reference = ngrams(&refr, n);
		if reference.is_empty() {
			break;
		}
		let hypothesis = ngrams(&hyp, n);
		let matches: usize = hypothesis
			.iter()
			.map(|(gram, &count)| count.min(reference.get(gram).copied().unwrap_or(0)))
			.sum();
		let hyp_total = hyp.len().saturating_sub(n - 1);
		let ref_total = refr.len() - (n - 1);
		if hyp_total > 0 {
			precision += matches as f64 / hyp_total as f64;
		}
		recall += matches as f64 / ref_total as f64;
		orders += 1;
	}
	let (p, r) = (precision / orders as f64, recall / orders as f64);
	let b2 = CHRF_BETA * CHRF_BETA;
	if p <= 0.0 && r <= 0.0 {
		return 0.0;
	}
	((1.0 + b2) * p * r / (b2 * p + r)).clamp(0.0, 1.0)
}

/// How well `vectors` (one per sentence of `challenge`) reproduce the human ratings: Spearman's
/// rank correlation of the pairs' cosine similarities with their ratings, mapped to [0, 1] as
/// `max(rho, 0)`.
///
/// An error when the number of vectors is not the number of sentences, the vectors are empty or
/// of different dimensions, any component is not finite, a pair points outside the sentences, or
/// the challenge has no pairs.
pub fn score_embeddings(challenge: &EmbeddingChallenge, vectors: &[Vec<f32>]) -> Result<f64> {
	if challenge.pairs.is_empty() {
		return Err(ModelError::Input("the challenge has no rated pairs".into()));
	}
	check_vectors(challenge.sentences.len(), vectors)?;
	let sims = pair_cosines(vectors, challenge.pairs.iter().map(|&(a, b, _)| (a, b)))?;
	let ratings: Vec<f64> = challenge.pairs.iter().map(|&(_, _, r)| f64::from(r)).collect();
	Ok(spearman(&sims, &ratings).max(0.0))
}

/// The cosine of each pair `(a, b)` of `vectors`; a pair pointing outside them is an error.
pub(crate) fn pair_cosines(
	vectors: &[Vec<f32>],
	pairs: impl Iterator<Item = (usize, usize)>,
) -> Result<Vec<f64>> {
	pairs
		.map(|(a, b)| match (vectors.get(a), vectors.get(b)) {
			(Some(va), Some(vb)) => Ok(f64::from(cosine(va, vb))),
			_ => Err(ModelError::Input(format!("pair ({a}, {b}) is out of range"))),
		})
		.collect()
}

/// An error unless `vectors` are `sentences` non-empty vectors of one dimension with finite
/// components.
pub(crate) fn check_vectors(sentences: usize, vectors: &[Vec<f32>]) -> Result<()> {
	if vectors.len() != sentences {
		return Err(ModelError::Input(format!(
			"{} embeddings for {sentences} sentences",
			vectors.len()
		)));
	}
	let dim = vectors.first().map_or(0, Vec::len);
	if dim == 0 {
		return Err(ModelError::Input("empty embedding vectors".into()));
	}
	for (i, v) in vectors.iter().enumerate() {
		if v.len() != dim {
			return Err(ModelError::Input(format!(
				"embedding {i} has dimension {}, the first has {dim}",
				v.len()
			)));
		}
		if v.iter().any(|x| !x.is_finite()) {
			return Err(ModelError::Input(format!("embedding {i} is not finite")));
		}
	}
	Ok(())
}

/// How well `text` continues the challenge's prompt: [`chrf`] of `text` against the words that
/// really follow, in [0, 1].
pub fn score_generation(challenge: &GenerationChallenge, text: &str) -> f64 {
	chrf(text, &challenge.truth)
}

/// The share of a score that depends on speed in [`blend`].
pub const SPEED_WEIGHT: f64 = 0.2;

/// Quality blended with speed:
/// `quality * (0.8 + 0.2 * (1 - min(latency / budget, 1)))`.
///
/// Quality (clamped to [0, 1]; a non-finite quality counts as 0) dominates: an instant answer
/// keeps all of it, an answer that takes the whole budget or longer keeps 80%, and a worthless
/// answer scores 0 however fast. A zero budget gives no speed bonus.
pub fn blend(quality: f64, latency: Duration, budget: Duration) -> f64 {
	let quality = if quality.is_finite() { quality.clamp(0.0, 1.0) } else { 0.0 };
	let used = if budget.is_zero() {
		1.0
	} else {
		(latency.as_secs_f64() / budget.as_secs_f64()).min(1.0)
	};
	quality * ((1.0 - SPEED_WEIGHT) + SPEED_WEIGHT * (1.0 - used))
}

#[cfg(test)]
mod tests {
	use super::*;

	fn close(a: f64, b: f64) -> bool {
		(a - b).abs() < 1e-9
	}

	#[test]
	fn cosine_values() {
		assert!((cosine(&[1.0, 0.0], &[0.0, 2.0])).abs() < 1e-7);
		assert!((cosine(&[1.0, 2.0], &[2.0, 4.0]) - 1.0).abs() < 1e-6);
		assert!((cosine(&[1.0, 2.0], &[-1.0, -2.0]) + 1.0).abs() < 1e-6);
		assert!((cosine(&[1.0, 1.0], &[1.0, 0.0]) - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-6);
		assert_eq!(cosine(&[0.0, 0.0], &[1.0, 0.0]), 0.0);
		assert_eq!(cosine(&[1.0], &[1.0, 0.0]), 0.0);
		assert_eq!(cosine(&[], &[]), 0.0);
	}

	#[test]
	fn ranks_average_ties() {
		assert_eq!(ranks(&[10.0, 20.0, 20.0, 5.0]), vec![2.0, 3.5, 3.5, 1.0]);
		assert_eq!(ranks(&[1.0, 1.0, 1.0]), vec![2.0, 2.0, 2.0]);
	}

	#[test]
	fn spearman_known_values() {
		let x = [1.0, 2.0, 3.0, 4.0, 5.0];
		assert!(close(spearman(&x, &[2.0, 4.0, 6.0, 8.0, 10.0]), 1.0));
		assert!(close(spearman(&x, &[5.0, 4.0, 3.0, 2.0, 1.0]), -1.0));
		// Monotone but not linear: still 1.
		assert!(close(spearman(&x, &[1.0, 8.0, 27.0, 64.0, 125.0]), 1.0));
		// No ties: 1 - 6 sum d^2 / (n (n^2 - 1)); ranks of y = [2, 1, 4, 3, 5], sum d^2 = 4.
		assert!(close(spearman(&x, &[20.0, 10.0, 40.0, 30.0, 50.0]), 1.0 - 6.0 * 4.0 / 120.0));
	}

	#[test]
	fn spearman_with_ties() {
		// Ranks of y: [1, 2.5, 2.5, 4]; Pearson of [1,2,3,4] with them, by hand:
		// mean 2.5, deviations x [-1.5,-.5,.5,1.5], y [-1.5,0,0,1.5]:
		// sxy = 4.5, sxx = 5, syy = 4.5 -> 4.5 / sqrt(22.5) = 0.9486832980505138.
		let rho = spearman(&[1.0, 2.0, 3.0, 4.0], &[1.0, 2.0, 2.0, 3.0]);
		assert!(close(rho, 4.5 / 22.5f64.sqrt()), "{rho}");
		// Ties on both sides.
		let rho = spearman(&[1.0, 1.0, 2.0, 2.0], &[3.0, 3.0, 4.0, 4.0]);
		assert!(close(rho, 1.0), "{rho}");
	}

	#[test]
	fn spearman_degenerate() {
		assert_eq!(spearman(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), 0.0);
		assert_eq!(spearman(&[1.0, 2.0, 3.0], &[7.0, 7.0, 7.0]), 0.0);
		assert_eq!(spearman(&[1.0], &[1.0]), 0.0);
		assert_eq!(spearman(&[1.0, 2.0], &[1.0]), 0.0);
	}

	#[test]
	fn chrf_identical_and_disjoint() {
		let s = "The quick brown fox jumps over the lazy dog.";
		assert!(close(chrf(s, s), 1.0));
		assert!(close(chrf("abc def", "xyz uvw"), 0.0));
		assert!(close(chrf("", "abc"), 0.0));
		assert!(close(chrf("abc", ""), 0.0));
		assert!(close(chrf("", ""), 1.0));
		// Whitespace is ignored.
		assert!(close(chrf("a b c", "abc"), 1.0));
	}

	#[test]
	fn chrf_by_hand() {
		// "ab" against "abc": orders 1..=3 (the reference has no 4-gram).
		// n=1: P = 2/2, R = 2/3; n=2: P = 1/1, R = 1/2; n=3: P = 0 (no hypothesis 3-gram), R = 0.
		// P = 2/3, R = 7/18; F2 = 5 P R / (4 P + R) = 14/33.
		assert!(close(chrf("ab", "abc"), 14.0 / 33.0), "{}", chrf("ab", "abc"));
		// Clipped counts: "aaaa" against "a": n=1 only: P = 1/4, R = 1; F2 = 5/4 / 2 = 0.625.
		assert!(close(chrf("aaaa", "a"), 0.625), "{}", chrf("aaaa", "a"));
	}

	#[test]
	fn chrf_is_bounded_and_orders_quality() {
		let truth = "the people of the United States";
		let good = chrf("the people of the United Kingdom", truth);
		let bad = chrf("a banana", truth);
		assert!(good > bad && good < 1.0 && bad >= 0.0, "{good} {bad}");
	}

	#[test]
	fn blend_formula() {
		let budget = Duration::from_secs(10);
		assert!(close(blend(1.0, Duration::ZERO, budget), 1.0));
		assert!(close(blend(1.0, Duration::from_secs(5), budget), 0.9));
		assert!(close(blend(0.5, Duration::from_secs(10), budget), 0.4));
		assert!(close(blend(0.5, Duration::from_secs(60), budget), 0.4));
		assert_eq!(blend(0.0, Duration::ZERO, budget), 0.0);
		assert_eq!(blend(f64::NAN, Duration::ZERO, budget), 0.0);
		assert!(close(blend(2.0, Duration::ZERO, budget), 1.0));
		assert!(close(blend(1.0, Duration::ZERO, Duration::ZERO), 0.8));
		// Faster is never worse.
		assert!(
			blend(0.7, Duration::from_millis(100), budget)
				> blend(0.7, Duration::from_millis(900), budget)
		);
	}

	fn challenge(pairs: Vec<(usize, usize, f32)>) -> EmbeddingChallenge {
		EmbeddingChallenge { sentences: vec!["a".into(), "b".into(), "c".into()], pairs }
	}

	#[test]
	fn score_embeddings_checks_and_scores() {
		let c = challenge(vec![(0, 1, 0.9), (0, 2, 0.1), (1, 2, 0.5)]);
		// cos(0,1) = 0.8, cos(0,2) = 0, cos(1,2) = 0.6: same order as the ratings.
		let good = vec![vec![1.0, 0.0], vec![0.8, 0.6], vec![0.0, 1.0]];
		let good_score = score_embeddings(&c, &good).expect("valid");
		assert!(close(good_score, 1.0), "{good_score}");
		// Reversed order: rho = -1, mapped to 0.
		let bad = vec![vec![1.0, 0.0], vec![0.0, 1.0], vec![1.0, 0.1]];
		assert_eq!(score_embeddings(&c, &bad).expect("valid"), 0.0);
		assert!(score_embeddings(&c, &good[..2]).is_err());
		assert!(score_embeddings(&c, &[vec![1.0], vec![1.0, 0.0], vec![0.0, 1.0]]).is_err());
		assert!(
			score_embeddings(&c, &[vec![f32::NAN, 0.0], vec![1.0, 0.0], vec![0.0, 1.0]]).is_err()
		);
		assert!(score_embeddings(&c, &[vec![], vec![], vec![]]).is_err());
		assert!(score_embeddings(&challenge(vec![(0, 5, 0.5)]), &good).is_err());
		assert!(score_embeddings(&challenge(vec![]), &good).is_err());
	}

	#[test]
	fn score_generation_is_chrf_against_truth() {
		let c = GenerationChallenge { prompt: "We the".into(), truth: "people of the".into() };
		assert!(close(score_generation(&c, "people of the"), 1.0));
		assert!(score_generation(&c, " people of this") > score_generation(&c, "xyz"));
	}
}
