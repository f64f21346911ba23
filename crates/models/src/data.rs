//! The real evaluation data, turned into seeded, deterministic challenges.
//!
//! - [`SimilarityBench`]: the Lee corpus (50 news documents) with the human ratings of the
//!   similarity of each of its 1,225 pairs; a challenge is a random subset of the documents.
//! - [`TextCorpus`]: held-out English text (State of the Union speeches and the Brown corpus); a
//!   challenge is a cut from it and the words that really follow.

use std::{
	collections::HashMap,
	path::{Path, PathBuf},
};

use rand::{seq::index, Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::{
	assets::{missing, Assets},
	ModelError, Result,
};

/// The Lee corpus with its human similarity ratings.
#[derive(Debug, Clone, PartialEq)]
pub struct SimilarityBench {
	/// The documents, in corpus order.
	pub docs: Vec<String>,
	/// `(i, j, rating)` for every rated pair, `i < j` indexing [`Self::docs`], the rating in
	/// [0, 1].
	pub ratings: Vec<(usize, usize, f32)>,
}

/// Documents to embed and the human ratings of their pairs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingChallenge {
	/// The sentences (documents) to embed.
	pub sentences: Vec<String>,
	/// `(i, j, rating)`: indices into [`Self::sentences`] (`i < j`) and the human rating of
	/// their similarity.
	pub pairs: Vec<(usize, usize, f32)>,
}

/// The text of `path`: UTF-8, or else Latin-1 (the Lee corpus has a stray `£` in Latin-1).
fn read(path: &Path) -> Result<String> {
	if !path.exists() {
		return Err(missing(path));
	}
	let bytes = std::fs::read(path)
		.map_err(|e| ModelError::Data { what: path.display().to_string(), why: e.to_string() })?;
	Ok(match String::from_utf8(bytes) {
		Ok(text) => text,
		Err(e) => e.into_bytes().into_iter().map(char::from).collect(),
	})
}

impl SimilarityBench {
	/// The Lee corpus and ratings from the assets.
	pub fn load(assets: &Assets) -> Result<Self> {
		Self::from_files(&assets.lee_corpus(), &assets.lee_ratings())
	}

	/// The corpus from `corpus` (one document per line) and the ratings from `ratings` (a
	/// whitespace-separated square matrix whose entries above the diagonal are the ratings).
	pub fn from_files(corpus: &Path, ratings: &Path) -> Result<Self> {
		Self::parse(&read(corpus)?, &read(ratings)?)
			.map_err(|why| ModelError::Data { what: ratings.display().to_string(), why })
	}

	fn parse(corpus: &str, ratings: &str) -> Result<Self, String> {
		let docs: Vec<String> = corpus
			.lines()
			.map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
			.filter(|l| !l.is_empty())
			.collect();
		let n = docs.len();
		if n < 2 {
			return Err(format!("the corpus has {n} documents"));
		}
		let rows: Vec<&str> = ratings.lines().filter(|l| !l.trim().is_empty()).collect();
		if rows.len() != n {
			return Err(format!("{} rows of ratings for {n} documents", rows.len()));
		}
		let mut out = Vec::with_capacity(n * (n - 1) / 2);
		for (i, row) in rows.iter().enumerate() {
			let cells: Vec<&str> = row.split_whitespace().collect();
			if cells.len() != n {
				return Err(format!("row {} has {} entries, expected {n}", i + 1, cells.len()));
			}
			for (j, cell) in cells.iter().enumerate().skip(i + 1) {
				let rating: f32 = cell.parse().map_err(|_| {
					format!("row {}, column {}: {cell:?} is no number", i + 1, j + 1)
				})?;
				if !rating.is_finite() {
					return Err(format!("row {}, column {}: {rating}", i + 1, j + 1));
				}
				out.push((i, j, rating));
			}
		}
		Ok(Self { docs, ratings: out })
	}

	/// `docs` distinct documents drawn deterministically from `seed` (all of them, in a
	/// shuffled order, when `docs` is more than there are), and every rated pair among them.
	pub fn challenge(&self, seed: u64, docs: usize) -> EmbeddingChallenge {
		let mut rng = ChaCha8Rng::seed_from_u64(seed);
		let amount = docs.min(self.docs.len());
		let picked = index::sample(&mut rng, self.docs.len(), amount).into_vec();
		let lookup: HashMap<(usize, usize), f32> =
			self.ratings.iter().map(|&(i, j, r)| ((i.min(j), i.max(j)), r)).collect();
		let mut pairs = Vec::new();
		for (a, &da) in picked.iter().enumerate() {
			for (b, &db) in picked.iter().enumerate().skip(a + 1) {
				if let Some(&r) = lookup.get(&(da.min(db), da.max(db))) {
					pairs.push((a, b, r));
				}
			}
		}
		let sentences = picked.iter().map(|&d| self.docs[d].clone()).collect();
		EmbeddingChallenge { sentences, pairs }
	}
}

/// A passage of the [`TextCorpus`]: one speech or one Brown text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passage {
	/// Where it comes from, e.g. `sotu/1790_george_washington_n.txt` or `brown/ca01`.
	pub source: String,
	/// Its words, in order (the text split on whitespace).
	pub words: Vec<String>,
}

impl Passage {
	/// The text: the words joined by single spaces.
	pub fn text(&self) -> String {
		self.words.join(" ")
	}
}

/// Held-out English text: the State of the Union speeches and the Brown corpus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextCorpus {
	passages: Vec<Passage>,
}

/// A cut from real text and what really follows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerationChallenge {
	/// The text to continue.
	pub prompt: String,
	/// The words that really follow the prompt in the source (joined by single spaces).
	pub truth: String,
}

/// Files of `dir` (sorted by name, so the corpus is the same everywhere) whose names pass `keep`.
fn files(dir: &Path, keep: impl Fn(&str) -> bool) -> Result<Vec<PathBuf>> {
	if !dir.is_dir() {
		return Err(missing(dir));
	}
	let entries = std::fs::read_dir(dir)
		.map_err(|e| ModelError::Data { what: dir.display().to_string(), why: e.to_string() })?;
	let mut out = Vec::new();
	for entry in entries {
		let path = entry
			.map_err(|e| ModelError::Data { what: dir.display().to_string(), why: e.to_string() })?
			.path();
		let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
		if path.is_file() && keep(name) {
			out.push(path);
		}
	}
	out.sort();
	if out.is_empty() {
		return Err(missing(dir));
	}
	Ok(out)
}

fn source_name(path: &Path) -> String {
	let parent = path.parent().and_then(Path::file_name).and_then(|n| n.to_str()).unwrap_or("");
	let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
	format!("{parent}/{name}")
}

/// Brown corpus text from its tagged form: each `word/tag` token loses its tag, `` `` `` and
/// `''` become `"`, and tokens are rejoined with the spacing of ordinary prose (no space before
/// closing punctuation, none after opening quotes and brackets).
pub fn untag_brown(tagged: &str) -> String {
	let mut out = String::with_capacity(tagged.len() / 2);
	// Whether the next word attaches to the previous one without a space.
	let mut glue_next = true;
	for token in tagged.split_whitespace() {
		let word = match token.rsplit_once('/') {
			Some((word, _tag)) if !word.is_empty() => word,
			_ => token,
		};
		let (text, opens, closes) = match word {
			"``" => ("\"", true, false),
			"''" => ("\"", false, true),
			"`" => ("'", true, false),
			"'" => ("'", false, true),
			"(" | "[" | "{" => (word, true, false),
			"." | "," | ";" | ":" | "?" | "!" | ")" | "]" | "}" | "..." => (word, false, true),
			_ => (word, false, false),
		};
		if !(glue_next || closes) {
			out.push(' ');
		}
		out.push_str(text);
		glue_next = opens;
	}
	out
}

/// Whether a word ends a sentence.
fn ends_sentence(word: &str) -> bool {
	let trimmed = word.trim_end_matches(['"', '\'', ')', ']']);
	trimmed.ends_with(['.', '?', '!'])
}

impl TextCorpus {
	/// The State of the Union speeches and the Brown corpus (tags stripped) from the assets.
	pub fn load(assets: &Assets) -> Result<Self> {
		let mut passages = Vec::new();
		for path in files(&assets.sotu_dir(), |n| n.ends_with(".txt"))? {
			passages.push(Self::passage(source_name(&path), &read(&path)?));
		}
		let brown = |n: &str| {
			n.len() == 4
				&& n.starts_with('c')
				&& n[1..].starts_with(|c: char| c.is_ascii_lowercase())
		};
		for path in files(&assets.brown_dir(), brown)? {
			passages.push(Self::passage(source_name(&path), &untag_brown(&read(&path)?)));
		}
		Self::from_passages(passages)
	}

	fn passage(source: String, text: &str) -> Passage {
		Passage { source, words: text.split_whitespace().map(str::to_string).collect() }
	}

	/// A corpus of the given passages (those without words are dropped).
	pub fn from_passages(passages: Vec<Passage>) -> Result<Self> {
		let passages: Vec<Passage> = passages.into_iter().filter(|p| !p.words.is_empty()).collect();
		if passages.is_empty() {
			return Err(ModelError::Data { what: "text corpus".into(), why: "no text".into() });
		}
		Ok(Self { passages })
	}

	/// The passages, in load order (SOTU speeches, then Brown texts, each sorted by name).
	pub fn passages(&self) -> &[Passage] {
		&self.passages
	}

	/// The number of words in the corpus.
	pub fn words(&self) -> usize {
		self.passages.iter().map(|p| p.words.len()).sum()
	}

	/// A cut of `prompt_words` words of real text (at least one) and the `truth_words` words that
	/// follow it, drawn deterministically from `seed`.
	///
	/// Every position in the corpus where the whole cut fits is equally likely; the start then
	/// moves to the next sentence start when there is one within 50 words, so that prompts
	/// mostly begin at a sentence. When the request is longer than the longest passage, the
	/// truth is first limited to half of it and the prompt to the rest.
	pub fn challenge(
		&self,
		seed: u64,
		prompt_words: usize,
		truth_words: usize,
	) -> GenerationChallenge {
		let longest = self.passages.iter().map(|p| p.words.len()).max().unwrap_or(0);
		let mut prompt_words = prompt_words.max(1);
		let mut truth_words = truth_words;
		if prompt_words + truth_words > longest {
			truth_words = truth_words.min(longest / 2);
			prompt_words = prompt_words.min(longest - truth_words).max(1);
		}
		let need = prompt_words + truth_words;
		let starts = |p: &Passage| (p.words.len() + 1).saturating_sub(need);
		let total: usize = self.passages.iter().map(starts).sum();
		let mut rng = ChaCha8Rng::seed_from_u64(seed);
		let mut pick = rng.gen_range(0..total.max(1));
		let mut chosen = &self.passages[0];
		for passage in &self.passages {
			let n = starts(passage);
			if pick < n {
				chosen = passage;
				break;
			}
			pick -= n;
		}
		let words = &chosen.words;
		let last_start = words.len().saturating_sub(need);
		let mut start = pick.min(last_start);
		if let Some(s) =
			(start..=last_start.min(start + 50)).find(|&s| s == 0 || ends_sentence(&words[s - 1]))
		{
			start = s;
		}
		let cut =
			|from: usize, to: usize| words[from.min(words.len())..to.min(words.len())].join(" ");
		GenerationChallenge {
			prompt: cut(start, start + prompt_words),
			truth: cut(start + prompt_words, start + need),
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn brown_untagging() {
		let tagged = "\n\n\tThe/at jury/nn said/vbd ``/`` no/at evidence/nn ''/'' ,/, which/wdt \
			(/( 1/2/cd )/) was/bedz it's/pps+bez end/nn ./.\n\n\tNext/ap ;/. --/-- ok/uh";
		assert_eq!(
			untag_brown(tagged),
			"The jury said \"no evidence\", which (1/2) was it's end. Next; -- ok"
		);
	}

	#[test]
	fn sentence_ends() {
		assert!(ends_sentence("end."));
		assert!(ends_sentence("end?\""));
		assert!(ends_sentence("(end!)"));
		assert!(!ends_sentence("end,"));
	}

	#[test]
	fn parse_ratings() {
		let bench = SimilarityBench::parse("a\nb\nc\n", "1\t0.5\t0.25\n0\t1\t0.75\n0\t0\t1\n")
			.expect("valid");
		assert_eq!(bench.docs, vec!["a", "b", "c"]);
		assert_eq!(bench.ratings, vec![(0, 1, 0.5), (0, 2, 0.25), (1, 2, 0.75)]);
		assert!(SimilarityBench::parse("a\nb\n", "1 0.5\n").is_err());
		assert!(SimilarityBench::parse("a\nb\n", "1 x\n0 1\n").is_err());
		let c = bench.challenge(3, 2);
		assert_eq!(c.sentences.len(), 2);
		assert_eq!(c.pairs.len(), 1);
		let all = bench.challenge(3, 10);
		assert_eq!(all.sentences.len(), 3);
		assert_eq!(all.pairs.len(), 3);
	}

	fn tiny_corpus() -> TextCorpus {
		let words = |s: &str| s.split_whitespace().map(str::to_string).collect();
		TextCorpus::from_passages(vec![
			Passage { source: "a".into(), words: words("One two. Three four five. Six seven") },
			Passage { source: "b".into(), words: words("Alpha beta gamma delta") },
		])
		.expect("non-empty")
	}

	#[test]
	fn text_challenges_are_contiguous_and_deterministic() {
		let corpus = tiny_corpus();
		for seed in 0..50 {
			let c = corpus.challenge(seed, 2, 2);
			assert_eq!(c, corpus.challenge(seed, 2, 2));
			assert_eq!(c.prompt.split_whitespace().count(), 2);
			assert_eq!(c.truth.split_whitespace().count(), 2);
			let joined = format!("{} {}", c.prompt, c.truth);
			assert!(corpus.passages().iter().any(|p| p.text().contains(&joined)), "{joined}");
		}
		// Longer than any passage: scaled down to fit.
		let c = corpus.challenge(1, 100, 100);
		assert!(!c.prompt.is_empty());
		assert!(c.prompt.split_whitespace().count() + c.truth.split_whitespace().count() <= 7);
	}
}
