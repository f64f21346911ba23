//! The attacker's baseline: a "miner" that runs no neural model at all but holds every public
//! package a validator installs (the Lee corpus and its human ratings, the State of the Union
//! speeches, the Brown corpus), and answers from them.
//!
//! It stands for the attack of the issue: *the evaluation data is public and fixed, so a miner
//! that installs the same packages can return the true answer without running a model.* The
//! scoring of [`crate::eval`] is designed so that this miner scores below the real model; the
//! measurement is in `docs/validating.md` ("Evaluation that cannot be looked up").
//!
//! - **Embedding.** A text recognised as a Lee document (the same text, or the document whose
//!   set of words overlaps it most, Jaccard at least [`LEE_MATCH`]) gets a vector built from the
//!   human ratings themselves: `D·e_i + r_i`, where `r_i` is the document's row of the
//!   symmetric 50×50 rating matrix and `D` = [`LEE_DIAGONAL`]. Two such vectors have a cosine
//!   that is, to within a fraction of a percent, an increasing function of the human rating of
//!   their pair, so the human-rated Lee score is close to perfect. Any other text gets the
//!   best cheap trick without a model we found: a hashed bag of words and character trigrams
//!   (signed feature hashing into [`DIM`] dimensions), L2-normalised.
//! - **Generation.** The prompt's last [`NGRAM`] words are looked up in an index of every
//!   [`NGRAM`]-word sequence of the corpora; when found, the words that really follow are the
//!   answer (about two words per three tokens of `max_tokens`). Otherwise it repeats the
//!   prompt's last words.

use std::collections::{HashMap, HashSet};

use crate::{
	assets::Assets,
	data::{SimilarityBench, TextCorpus},
	Result,
};

/// The dimension of the lookup's vectors: all-MiniLM-L6-v2's, so its answers look like a real
/// miner's.
pub const DIM: usize = 384;
/// The word-set Jaccard similarity above which a text counts as a Lee document.
pub const LEE_MATCH: f64 = 0.5;
/// The weight of a Lee document's own axis in its vector (see the [module docs](self)).
pub const LEE_DIAGONAL: f32 = 50.0;
/// The length in words of the sequences the generation index looks up.
pub const NGRAM: usize = 8;

/// The attacker's baseline: answers from the public data, runs no model.
#[derive(Debug, Clone)]
pub struct LookupModel {
	/// Normalised Lee documents and their index.
	lee_exact: HashMap<String, usize>,
	/// Each Lee document's set of words.
	lee_words: Vec<HashSet<String>>,
	/// Each Lee document's vector.
	lee_vectors: Vec<Vec<f32>>,
	/// The corpora, for continuations.
	corpus: TextCorpus,
	/// The hash of every [`NGRAM`]-word sequence → (passage, index of the word after it); the
	/// first occurrence wins.
	index: HashMap<u64, (u32, u32)>,
}

/// Words of `text` for matching and bags of words: lowercase runs of letters and digits.
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
	text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase)
}

/// FNV-1a over `bytes`, continuing from `h`.
fn fnv(h: u64, bytes: &[u8]) -> u64 {
	bytes.iter().fold(h, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

/// The hash of a sequence of words (each followed by a separator byte).
fn hash_words<'a>(seq: impl IntoIterator<Item = &'a str>) -> u64 {
	seq.into_iter().fold(FNV_START, |h, w| fnv(fnv(h, w.as_bytes()), &[0x1f]))
}

fn normalise(text: &str) -> String {
	text.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl LookupModel {
	/// The lookup built from the public data in the assets (the model files are not read).
	pub fn load(assets: &Assets) -> Result<Self> {
		Ok(Self::from_parts(&SimilarityBench::load(assets)?, TextCorpus::load(assets)?))
	}

	/// The lookup built from a rated corpus and held-out text.
	pub fn from_parts(lee: &SimilarityBench, corpus: TextCorpus) -> Self {
		let n = lee.docs.len();
		let mut matrix = vec![vec![0.0f32; n]; n];
		for &(i, j, r) in &lee.ratings {
			if i < n && j < n {
				matrix[i][j] = r;
				matrix[j][i] = r;
			}
		}
		let lee_vectors = matrix
			.into_iter()
			.enumerate()
			.map(|(i, mut row)| {
				row[i] = LEE_DIAGONAL;
				row.resize(DIM.max(n), 0.0);
				unit(row)
			})
			.collect();
		let lee_exact = lee.docs.iter().enumerate().map(|(i, d)| (normalise(d), i)).collect();
		let lee_words = lee.docs.iter().map(|d| words(d).collect()).collect();

		let mut index = HashMap::new();
		for (p, passage) in corpus.passages().iter().enumerate() {
			let w = &passage.words;
			for next in NGRAM..w.len() {
				let key = hash_words(w[next - NGRAM..next].iter().map(String::as_str));
				index.entry(key).or_insert((p as u32, next as u32));
			}
		}
		Self { lee_exact, lee_words, lee_vectors, corpus, index }
	}

	/// `lookup (no model)`.
	pub fn name(&self) -> String {
		"lookup (no model)".to_string()
	}

	/// The dimension of the vectors, [`DIM`].
	pub fn dim(&self) -> usize {
		DIM
	}

	/// The Lee document `text` is taken for, if any: the same text, or the best word-set
	/// Jaccard match at or above [`LEE_MATCH`].
	pub fn lee_document(&self, text: &str) -> Option<usize> {
		if let Some(&i) = self.lee_exact.get(&normalise(text)) {
			return Some(i);
		}
		let set: HashSet<String> = words(text).collect();
		if set.is_empty() {
			return None;
		}
		let mut best = (0.0, None);
		for (i, doc) in self.lee_words.iter().enumerate() {
			let common = set.intersection(doc).count();
			let jaccard = common as f64 / (set.len() + doc.len() - common) as f64;
			if jaccard > best.0 {
				best = (jaccard, Some(i));
			}
		}
		if best.0 >= LEE_MATCH {
			best.1
		} else {
			None
		}
	}

	/// One vector of [`DIM`] components per text, L2-normalised (see the [module docs](self)).
	pub fn embed(&self, texts: &[String]) -> Vec<Vec<f32>> {
		texts
			.iter()
			.map(|t| match self.lee_document(t) {
				Some(i) => self.lee_vectors[i].clone(),
				None => self.bag_of_words(t),
			})
			.collect()
	}

	/// The hashed bag of words and of character trigrams of `text`, L2-normalised (a fixed
	/// unit vector for a text without any).
	///
	/// Words (lowercase letters and digits) and trigrams (of the lowercased text, whitespace
	/// collapsed) are counted, each kind scaled to length 1, summed, and hashed with a sign into
	/// [`DIM`] components. On novel passages this agreed best with MiniLM's cosines among the
	/// cheap tricks tried (Spearman over 20 challenges, unhashed: TF-IDF words 0.12, raw words
	/// 0.21, character trigrams 0.22, both 0.23; both hashed into 384 components 0.20).
	pub fn bag_of_words(&self, text: &str) -> Vec<f32> {
		let mut v = vec![0.0f32; DIM];
		let mut word_counts: HashMap<String, f32> = HashMap::new();
		for w in words(text) {
			*word_counts.entry(w).or_insert(0.0) += 1.0;
		}
		let lower: Vec<char> = normalise(&text.to_lowercase()).chars().collect();
		let mut trigram_counts: HashMap<String, f32> = HashMap::new();
		for t in lower.windows(3) {
			*trigram_counts.entry(t.iter().collect()).or_insert(0.0) += 1.0;
		}
		for (salt, counts) in [(0u8, word_counts), (1u8, trigram_counts)] {
			let norm = counts.values().map(|c| c * c).sum::<f32>().sqrt();
			if norm <= 0.0 {
				continue;
			}
			for (feature, count) in counts {
				let h = fnv(fnv(FNV_START, &[salt]), feature.as_bytes());
				let sign = if h >> 63 == 1 { -1.0 } else { 1.0 };
				v[(h % DIM as u64) as usize] += sign * count / norm;
			}
		}
		if v.iter().all(|&x| x == 0.0) {
			v[0] = 1.0;
		}
		unit(v)
	}

	/// A continuation of `prompt` of about `max_tokens` tokens: the words that follow the
	/// prompt's last [`NGRAM`] words in the corpora, else the prompt's last words again.
	pub fn generate(&self, prompt: &str, max_tokens: usize) -> String {
		let want = (max_tokens * 2 / 3).max(1);
		let prompt: Vec<&str> = prompt.split_whitespace().collect();
		if let Some(found) = self.continuation(&prompt, want) {
			return format!(" {found}");
		}
		let tail = &prompt[prompt.len().saturating_sub(want)..];
		if tail.is_empty() {
			return String::new();
		}
		format!(" {}", tail.join(" "))
	}

	/// The `want` words that follow the last [`NGRAM`] words of `prompt` in the corpora.
	pub fn continuation(&self, prompt: &[&str], want: usize) -> Option<String> {
		if prompt.len() < NGRAM {
			return None;
		}
		let key = hash_words(prompt[prompt.len() - NGRAM..].iter().copied());
		let &(p, next) = self.index.get(&key)?;
		let words = &self.corpus.passages().get(p as usize)?.words;
		let next = next as usize;
		let end = (next + want).min(words.len());
		(next < end).then(|| words[next..end].join(" "))
	}
}

/// `v` scaled to length 1 (unchanged when all zeros).
fn unit(mut v: Vec<f32>) -> Vec<f32> {
	let norm = v.iter().map(|x| f64::from(*x) * f64::from(*x)).sum::<f64>().sqrt();
	if norm > 0.0 {
		for x in &mut v {
			*x = (f64::from(*x) / norm) as f32;
		}
	}
	v
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{data::Passage, scoring::cosine};

	fn model() -> LookupModel {
		let lee = SimilarityBench {
			docs: vec![
				"the cat sat on the mat in the sun".into(),
				"a cat was sitting on a mat in the sunshine".into(),
				"stock markets fell sharply on monday in new york".into(),
			],
			ratings: vec![(0, 1, 0.9), (0, 2, 0.1), (1, 2, 0.2)],
		};
		let words = |s: &str| s.split_whitespace().map(str::to_string).collect();
		let corpus = TextCorpus::from_passages(vec![
			Passage {
				source: "a".into(),
				words: words("one two three four five six seven eight nine ten eleven twelve"),
			},
			Passage { source: "b".into(), words: words("alpha beta gamma") },
		])
		.expect("corpus");
		LookupModel::from_parts(&lee, corpus)
	}

	#[test]
	fn lee_documents_reproduce_the_ratings() {
		let m = model();
		assert_eq!(m.lee_document("the  cat sat on the mat in the sun"), Some(0));
		// Fuzzy: one word changed.
		assert_eq!(m.lee_document("the cat sat on the mat in the rain"), Some(0));
		assert_eq!(m.lee_document("completely different words here"), None);
		let docs: Vec<String> = (0..3)
			.map(|i| {
				m.lee_exact
					.iter()
					.find(|(_, &j)| j == i)
					.map(|(d, _)| d.clone())
					.unwrap_or_default()
			})
			.collect();
		let v = m.embed(&docs);
		assert!(v.iter().all(|v| v.len() == DIM));
		let (c01, c02, c12) = (cosine(&v[0], &v[1]), cosine(&v[0], &v[2]), cosine(&v[1], &v[2]));
		assert!(c01 > c12 && c12 > c02, "{c01} {c12} {c02}");
	}

	#[test]
	fn bag_of_words_is_unit_and_lexical() {
		let m = model();
		let a = m.bag_of_words("the people of the united states");
		let b = m.bag_of_words("people of the states");
		let c = m.bag_of_words("bananas grow on trees");
		let norm: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
		assert!((norm - 1.0).abs() < 1e-5);
		assert!(cosine(&a, &b) > cosine(&a, &c));
		assert_eq!(m.bag_of_words(" ")[0], 1.0);
	}

	#[test]
	fn generation_looks_up_the_continuation() {
		let m = model();
		assert_eq!(
			m.generate("zero one two three four five six seven eight", 6),
			" nine ten eleven twelve"
		);
		// At the end of the passage nothing follows: the prompt's last words again.
		assert_eq!(m.generate("five six seven eight nine ten eleven twelve", 3), " eleven twelve");
		assert_eq!(m.generate("unknown words", 30), " unknown words");
		assert_eq!(m.generate("", 5), "");
	}
}
