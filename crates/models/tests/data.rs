//! The evaluation data loaders on the real assets.

mod common;

use std::{collections::HashSet, sync::OnceLock};

use agora_models::data::{SimilarityBench, TextCorpus};

fn bench() -> &'static SimilarityBench {
	static BENCH: OnceLock<SimilarityBench> = OnceLock::new();
	BENCH.get_or_init(|| SimilarityBench::load(&common::assets()).expect("Lee corpus"))
}

fn corpus() -> &'static TextCorpus {
	static CORPUS: OnceLock<TextCorpus> = OnceLock::new();
	CORPUS.get_or_init(|| TextCorpus::load(&common::assets()).expect("text corpus"))
}

#[test]
fn lee_has_50_docs_and_1225_ratings() {
	let bench = bench();
	assert_eq!(bench.docs.len(), 50);
	assert_eq!(bench.ratings.len(), 1225);
	assert!(bench.docs.iter().all(|d| d.split_whitespace().count() > 20));
	assert!(bench.docs[0].starts_with("The national executive of the strife-torn Democrats"));
	let mut seen = HashSet::new();
	for &(i, j, r) in &bench.ratings {
		assert!(i < j && j < 50, "({i}, {j})");
		assert!((0.0..=1.0).contains(&r), "rating {r}");
		assert!(seen.insert((i, j)), "({i}, {j}) twice");
	}
	// Spot checks against the file: row 1 is "1 0.3 0.24 ...", row 2 "0 1 0.28 ...".
	assert_eq!(bench.ratings[0], (0, 1, 0.3));
	assert_eq!(bench.ratings[1], (0, 2, 0.24));
	assert_eq!(bench.ratings[49], (1, 2, 0.28));
}

#[test]
fn lee_challenges_are_deterministic_subsets() {
	let bench = bench();
	let c = bench.challenge(42, 20);
	assert_eq!(c, bench.challenge(42, 20));
	assert_ne!(c, bench.challenge(43, 20));
	assert_eq!(c.sentences.len(), 20);
	assert_eq!(c.sentences.iter().collect::<HashSet<_>>().len(), 20, "distinct documents");
	assert_eq!(c.pairs.len(), 190);
	for &(a, b, r) in &c.pairs {
		assert!(a < b && b < 20);
		let da = bench.docs.iter().position(|d| *d == c.sentences[a]).expect("a Lee doc");
		let db = bench.docs.iter().position(|d| *d == c.sentences[b]).expect("a Lee doc");
		let want = bench
			.ratings
			.iter()
			.find(|&&(i, j, _)| (i, j) == (da.min(db), da.max(db)))
			.map(|&(_, _, r)| r);
		assert_eq!(want, Some(r));
	}
	assert_eq!(bench.challenge(1, 500).sentences.len(), 50);
}

#[test]
fn text_corpus_loads_sotu_and_brown() {
	let corpus = corpus();
	let passages = corpus.passages();
	let sotu = passages.iter().filter(|p| p.source.starts_with("sotu/")).count();
	let brown = passages.iter().filter(|p| p.source.starts_with("brown/")).count();
	assert_eq!(sotu, 233);
	assert_eq!(brown, 500);
	assert!(corpus.words() > 2_500_000, "{} words", corpus.words());
	println!("text corpus: {} passages, {} words", passages.len(), corpus.words());
}

#[test]
fn brown_tags_are_stripped() {
	let corpus = corpus();
	let ca01 = corpus.passages().iter().find(|p| p.source == "brown/ca01").expect("ca01");
	assert!(
		ca01.text().starts_with(
			"The Fulton County Grand Jury said Friday an investigation of Atlanta's recent \
			 primary election produced \"no evidence\" that any irregularities took place. The \
			 jury further said"
		),
		"{}",
		&ca01.text()[..300]
	);
	let tags = ["/at", "/nn", "/in", "/vbd", "/jj", "/np", "/cc", "/rb", "/nn-tl", "./.", ",/,"];
	let mut words = 0usize;
	let mut slashed = 0usize;
	for p in corpus.passages().iter().filter(|p| p.source.starts_with("brown/")) {
		for w in &p.words {
			words += 1;
			assert!(!tags.iter().any(|t| w.ends_with(t)), "{w:?} in {} keeps its tag", p.source);
			// Quotes are real quotes (a `''` inside a word is inches: `10''`).
			assert!(!w.contains("``") && !w.starts_with("''"), "{w:?} in {}", p.source);
			slashed += usize::from(w.contains('/'));
		}
	}
	// Only the odd fraction ("1/2") keeps a slash.
	assert!(slashed * 1000 < words, "{slashed} of {words} words have a slash");
}

#[test]
fn text_challenges_are_contiguous_cuts() {
	let corpus = corpus();
	let texts: Vec<String> = corpus.passages().iter().map(|p| p.text()).collect();
	let assets = common::assets();
	let mut sotu_seen = 0;
	for seed in 0..12u64 {
		let c = corpus.challenge(seed, 40, 20);
		assert_eq!(c, corpus.challenge(seed, 40, 20), "seed {seed}");
		assert_eq!(c.prompt.split_whitespace().count(), 40);
		assert_eq!(c.truth.split_whitespace().count(), 20);
		let joined = format!("{} {}", c.prompt, c.truth);
		let at = texts.iter().position(|t| t.contains(&joined));
		let at = at.unwrap_or_else(|| panic!("seed {seed}: not a cut of the corpus: {joined}"));
		let source = &corpus.passages()[at].source;
		if let Some(file) = source.strip_prefix("sotu/") {
			// Also a cut of the raw speech, whitespace aside.
			let raw = std::fs::read_to_string(assets.sotu_dir().join(file)).expect("speech");
			let raw = raw.split_whitespace().collect::<Vec<_>>().join(" ");
			assert!(raw.contains(&joined), "seed {seed}");
			sotu_seen += 1;
		}
	}
	assert!(sotu_seen > 0, "no challenge came from a speech");
	assert_ne!(corpus.challenge(1, 40, 20), corpus.challenge(2, 40, 20));
}
