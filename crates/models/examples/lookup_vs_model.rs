//! The measurement behind "Evaluation that cannot be looked up" in `docs/validating.md`: the
//! lookup miner (no model, every public package) against the real models, under the old scoring
//! (public truth only) and the new default one (reference model + human ratings).
//!
//! ```sh
//! CARGO_TARGET_DIR=$HOME/.cache/agora-bench-target \
//!     cargo run --release --locked -p agora-models --example lookup_vs_model
//! ```
//!
//! `AGORA_EVAL_CHALLENGES` embedding challenges (default 20) and `AGORA_EVAL_PROMPTS`
//! generation prompts (default 20), seeds 0.., on the CPU; needs the assets of
//! `scripts/assets.sh`.

use std::time::Instant;

use agora_models::{
	assets::Assets,
	data::{SimilarityBench, TextCorpus},
	embedding::{Embedder, Variant},
	eval::{self, EmbeddingBench, EmbeddingSizes, GenerationBench, PartKind},
	generation::Generator,
	lookup::LookupModel,
	private::PrivateData,
	scoring, Device,
};

/// Validator defaults: `--docs` (old), `--prompt-words`, `--truth-words`, `--max-tokens`.
const OLD_DOCS: usize = 12;
const PROMPT_WORDS: usize = 48;
const TRUTH_WORDS: usize = 16;
const MAX_TOKENS: usize = 24;

fn env_usize(name: &str, default: usize) -> usize {
	std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn mean(v: &[f64]) -> f64 {
	if v.is_empty() {
		0.0
	} else {
		v.iter().sum::<f64>() / v.len() as f64
	}
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
	let assets = match Assets::locate() {
		Ok(a) => a,
		Err(e) => {
			eprintln!("skipped: this measurement needs the real assets ({e})");
			return Ok(());
		},
	};
	let challenges = env_usize("AGORA_EVAL_CHALLENGES", 20) as u64;
	let prompts = env_usize("AGORA_EVAL_PROMPTS", 20) as u64;
	let started = Instant::now();
	let lee = SimilarityBench::load(&assets)?;
	let corpus = TextCorpus::load(&assets)?;
	let lookup = LookupModel::from_parts(&lee, corpus.clone());
	println!("lookup built in {:.1} s", started.elapsed().as_secs_f64());

	let dev = Device::Cpu;
	let full = Embedder::load(&assets.minilm_dir(), &dev, Variant::Full)?;
	let random = Embedder::load(&assets.minilm_dir(), &dev, Variant::Random { seed: 1 })?;
	let reference = Embedder::load(&assets.minilm_dir(), &dev, Variant::Full)?;
	let bench = EmbeddingBench::new(lee.clone(), corpus.clone(), None, reference);
	let sizes = EmbeddingSizes::default();
	let weights = bench.weights();
	let names = ["all-MiniLM-L6-v2", "lookup (no model)", "MiniLM random weights"];
	let mut old = vec![Vec::new(); 3];
	let mut new = vec![Vec::new(); 3];
	let mut parts = vec![vec![Vec::new(); 2]; 3];
	for seed in 0..challenges {
		let c = lee.challenge(seed, OLD_DOCS);
		let answers =
			[full.embed(&c.sentences)?, lookup.embed(&c.sentences), random.embed(&c.sentences)?];
		for (m, v) in answers.iter().enumerate() {
			old[m].push(scoring::score_embeddings(&c, v)?);
		}
		let c = bench.challenge(seed, &sizes)?;
		let answers =
			[full.embed(&c.sentences)?, lookup.embed(&c.sentences), random.embed(&c.sentences)?];
		for (m, v) in answers.iter().enumerate() {
			let s = eval::score_embeddings_by_part(&c, v)?;
			new[m].push(s.quality);
			for (kind, q) in s.parts {
				parts[m][usize::from(kind == PartKind::Reference)].push(q);
			}
		}
	}
	println!(
		"\ntext-embedding, {challenges} challenges (seeds 0..{challenges}); old: {OLD_DOCS} Lee \
		 documents vs human ratings; new default: {} Lee documents + {} passages of {}-{} words, \
		 weights Lee {:.3} / reference {:.3}",
		sizes.lee_docs,
		sizes.passages,
		sizes.passage_words.0,
		sizes.passage_words.1,
		weights.lee / (weights.lee + weights.reference),
		weights.reference / (weights.lee + weights.reference),
	);
	println!("| model | old (Lee only) | new default | new: Lee part | new: reference part |");
	println!("|---|---|---|---|---|");
	for m in 0..3 {
		println!(
			"| {} | {:.3} | {:.3} | {:.3} | {:.3} |",
			names[m],
			mean(&old[m]),
			mean(&new[m]),
			mean(&parts[m][0]),
			mean(&parts[m][1])
		);
	}
	println!("(embedding done at {:.0} s)", started.elapsed().as_secs_f64());

	let mut miner = Generator::load(&assets.smollm2_gguf(), &dev)?;
	let reference = Generator::load(&assets.smollm2_gguf(), &dev)?;
	let bench_corpus = corpus.clone();
	let bench = GenerationBench::new(corpus, None, reference);
	let mut scores = vec![vec![Vec::new(); 2]; 2];
	let mut found = 0;
	for seed in 0..prompts {
		let c = bench.challenge(seed, PROMPT_WORDS, TRUTH_WORDS, MAX_TOKENS)?;
		let real = miner.generate(&c.prompt, MAX_TOKENS, false)?.text;
		let looked_up = lookup.generate(&c.prompt, MAX_TOKENS);
		let words: Vec<&str> = c.prompt.split_whitespace().collect();
		found += usize::from(lookup.continuation(&words, 1).is_some());
		for (m, answer) in [real, looked_up].iter().enumerate() {
			scores[m][0].push(scoring::chrf(answer, &c.truth));
			scores[m][1].push(eval::score_generation(&c, answer));
		}
	}
	println!(
		"\ntext-generation, {prompts} prompts (seeds 0..{prompts}) of {PROMPT_WORDS} words, \
		 {MAX_TOKENS} tokens; old: chrF vs the {TRUTH_WORDS} true words; new default: chrF vs \
		 the reference SmolLM2's greedy continuation; the lookup found {found}/{prompts} prompts"
	);
	println!("| model | old (true continuation) | new default (reference continuation) |");
	println!("|---|---|---|");
	for (m, name) in ["SmolLM2-135M-Instruct", "lookup (no model)"].iter().enumerate() {
		println!("| {name} | {:.3} | {:.3} |", mean(&scores[m][0]), mean(&scores[m][1]));
	}
	private_scenario(&assets, &lee, &bench_corpus, challenges, prompts.min(10))?;
	println!("\ntotal {:.0} s", started.elapsed().as_secs_f64());
	Ok(())
}

/// A validator with private data the attacker does not have. No second human-rated set is
/// installed, so this simulates one: the Lee pairs become the validator's private `.tsv` (and
/// the attacker is built without them), and the Brown categories N and R (adventure, humour)
/// its private `.txt` (the attacker's corpus lacks them).
fn private_scenario(
	assets: &Assets,
	lee: &SimilarityBench,
	corpus: &TextCorpus,
	challenges: u64,
	prompts: u64,
) -> Result<(), Box<dyn std::error::Error>> {
	let dir = tempfile::tempdir()?;
	let mut tsv = String::from("# the Lee pairs, standing in for a validator's own ratings\n");
	for &(i, j, r) in &lee.ratings {
		tsv.push_str(&format!("{}\t{}\t{r}\n", lee.docs[i], lee.docs[j]));
	}
	std::fs::write(dir.path().join("pairs.tsv"), tsv)?;
	let held_out = |source: &str| source.starts_with("brown/cn") || source.starts_with("brown/cr");
	let mut public = Vec::new();
	for p in corpus.passages() {
		if held_out(&p.source) {
			let name = p.source.replace('/', "-");
			std::fs::write(dir.path().join(format!("{name}.txt")), p.text())?;
		} else {
			public.push(p.clone());
		}
	}
	let private = PrivateData::load(dir.path())?;
	let public = TextCorpus::from_passages(public)?;
	let attacker = LookupModel::from_parts(
		&SimilarityBench { docs: Vec::new(), ratings: Vec::new() },
		public.clone(),
	);
	let dev = Device::Cpu;
	let full = Embedder::load(&assets.minilm_dir(), &dev, Variant::Full)?;
	let reference = Embedder::load(&assets.minilm_dir(), &dev, Variant::Full)?;
	let bench = EmbeddingBench::new(lee.clone(), public.clone(), Some(private.clone()), reference);
	let sizes = EmbeddingSizes { lee_docs: 0, private_pairs: 28, ..EmbeddingSizes::default() };
	let mut scores = vec![vec![Vec::new(); 3]; 2];
	for seed in 0..challenges {
		let c = bench.challenge(seed, &sizes)?;
		for (m, v) in [full.embed(&c.sentences)?, attacker.embed(&c.sentences)].iter().enumerate() {
			let s = eval::score_embeddings_by_part(&c, v)?;
			scores[m][0].push(s.quality);
			for (kind, q) in s.parts {
				scores[m][usize::from(kind == PartKind::Reference) + 1].push(q);
			}
		}
	}
	let w = bench.weights();
	println!(
		"\nwith private data (simulated: {} rated pairs, {} private texts), {challenges} \
		 challenges of 28 private pairs + {} passages, weights private {:.3} / reference {:.3}",
		private.pairs.len(),
		private.text.as_ref().map_or(0, |t| t.passages().len()),
		sizes.passages,
		w.private / (w.private + w.reference),
		w.reference / (w.private + w.reference),
	);
	println!("| model | quality | private part | reference part |");
	println!("|---|---|---|---|");
	for (m, name) in ["all-MiniLM-L6-v2", "lookup (no model)"].iter().enumerate() {
		println!(
			"| {name} | {:.3} | {:.3} | {:.3} |",
			mean(&scores[m][0]),
			mean(&scores[m][1]),
			mean(&scores[m][2])
		);
	}
	let mut miner = Generator::load(&assets.smollm2_gguf(), &dev)?;
	let reference = Generator::load(&assets.smollm2_gguf(), &dev)?;
	let bench = GenerationBench::new(public, Some(private), reference).with_private_share(1.0);
	let mut scores = vec![vec![Vec::new(); 3]; 2];
	for seed in 0..prompts {
		let c = bench.challenge(seed, PROMPT_WORDS, TRUTH_WORDS, MAX_TOKENS)?;
		let answers = [
			miner.generate(&c.prompt, MAX_TOKENS, false)?.text,
			attacker.generate(&c.prompt, MAX_TOKENS),
		];
		for (m, answer) in answers.iter().enumerate() {
			scores[m][0].push(eval::score_generation(&c, answer));
			scores[m][1].push(scoring::chrf(answer, &c.truth));
			scores[m][2].push(scoring::chrf(answer, &c.reference));
		}
	}
	println!(
		"\nprivate prompts ({prompts}, from the held-out texts), truth weight {}",
		eval::TRUTH_WEIGHT
	);
	println!("| model | quality | chrF vs truth | chrF vs reference |");
	println!("|---|---|---|---|");
	for (m, name) in ["SmolLM2-135M-Instruct", "lookup (no model)"].iter().enumerate() {
		println!(
			"| {name} | {:.3} | {:.3} | {:.3} |",
			mean(&scores[m][0]),
			mean(&scores[m][1]),
			mean(&scores[m][2])
		);
	}
	Ok(())
}
