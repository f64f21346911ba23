//! Throughput of the model tasks on the real assets, on the CPU:
//!
//! - all-MiniLM-L6-v2 embeddings per second at batch 32, on 32 long documents (the first 32 of
//!   the Lee corpus, most truncated at 256 tokens) and on 32 short sentences (the first 32 of
//!   15 to 25 words in the 2009 State of the Union address); at batch 1 on the same sentences,
//!   one call each; and the time to embed a challenge's 12 Lee documents in one call. Each is
//!   measured for `Embedder` (`new`, `agora_models::bert`) and for candle's own `BertModel` over
//!   padded batches (`old`, `Embedder::load_reference`), alternately in the same run, with the
//!   smallest cosine similarity between their embeddings (the bench fails below 0.99999);
//! - SmolLM2-135M-Instruct greedy generation of 64 tokens after a 50-word prompt (the first 50
//!   words of the same speech): prompt processing time and decode tokens per second for
//!   `Generator::load`'s CPU default (Q8_0 through `agora_models::llama`), candle's
//!   `quantized_llama` on the same Q8_0 weights, on `f32` weights (the default before issue 11)
//!   and on the file's Q4_1; and the default's greedy tokens after a ChatML prompt (SmolLM2's
//!   default system prompt, "What is the capital of France? Answer in one paragraph."), which
//!   `scripts/bench-models.sh` compares with llama.cpp's.
//!
//! - each model's memory as a miner holds it: RSS and peak RSS of a process of its own that
//!   loaded the model as the miner does and answered one request.
//!
//! Each figure is the median of `AGORA_BENCH_REPS` runs (default 5) after one warm-up run.
//! `AGORA_BENCH_ONLY=embedding` skips generation.
//! candle runs on as many threads as `candle_core::utils::get_num_threads` says (every core
//! unless `RAYON_NUM_THREADS` says otherwise); the line `threads:` prints it.
//!
//! The inputs, the figures, the prompt's token ids, the generated ids and every embedding are
//! written as JSON to `AGORA_BENCH_OUT` (default `$CARGO_TARGET_DIR/agora-bench/models.json`),
//! where `scripts/bench-models.sh` reads them to run the same inputs through other libraries.
//!
//! `cargo bench -p agora-models --bench models` (needs the assets of `scripts/assets.sh`).

use std::{
	path::{Path, PathBuf},
	time::Instant,
};

use agora_models::{
	assets::Assets,
	data::SimilarityBench,
	embedding::{Embedder, Variant},
	generation::{Generator, Weights},
	Device,
};
use candle_core::quantized::GgmlDType;
use serde_json::{json, Value};

/// The speech the short sentences and the prompt come from.
const SOTU_FILE: &str = "2009_barack_obama_d.txt";
/// How many texts are embedded at once (the embedder's own batch size).
const TEXTS: usize = 32;
/// Documents in an embedding challenge.
const CHALLENGE_DOCS: usize = 12;
/// The short sentences: this many words at least and at most.
const SENTENCE_WORDS: (usize, usize) = (15, 25);
/// The prompt's length in words.
const PROMPT_WORDS: usize = 50;
/// Tokens generated after the prompt.
const NEW_TOKENS: usize = 64;
/// The ChatML prompt whose greedy continuation is compared with llama.cpp's, and its length.
const CHAT_PROMPT: &str = "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, \
	trained by Hugging Face<|im_end|>\n<|im_start|>user\nWhat is the capital of France? Answer \
	in one paragraph.<|im_end|>\n<|im_start|>assistant\n";
const CHAT_TOKENS: usize = 32;

type BoxResult<T> = Result<T, Box<dyn std::error::Error>>;

/// The median of `values` (the mean of the middle two for an even count).
fn median(values: &[f64]) -> f64 {
	let mut v = values.to_vec();
	v.sort_by(f64::total_cmp);
	let n = v.len();
	if n == 0 {
		return f64::NAN;
	}
	if n % 2 == 1 {
		v[n / 2]
	} else {
		(v[n / 2 - 1] + v[n / 2]) / 2.0
	}
}

/// The 1-, 5- and 15-minute load averages.
fn load_average() -> String {
	std::fs::read_to_string("/proc/loadavg")
		.map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
		.unwrap_or_else(|_| "unknown".into())
}

/// Whether a word ends a sentence: it ends in `.`, `?` or `!`, closing quotes and brackets
/// aside.
fn ends_sentence(word: &str) -> bool {
	word.trim_end_matches(['"', '\'', ')', ']']).ends_with(['.', '?', '!'])
}

/// The sentences of `text`: its whitespace-separated words, cut after each word that ends a
/// sentence, rejoined with single spaces.
fn sentences(text: &str) -> Vec<String> {
	let mut out = Vec::new();
	let mut current: Vec<&str> = Vec::new();
	for word in text.split_whitespace() {
		current.push(word);
		if ends_sentence(word) {
			out.push(current.join(" "));
			current.clear();
		}
	}
	if !current.is_empty() {
		out.push(current.join(" "));
	}
	out
}

/// Where the JSON goes.
fn out_path() -> PathBuf {
	if let Some(p) = std::env::var_os("AGORA_BENCH_OUT").filter(|p| !p.is_empty()) {
		return PathBuf::from(p);
	}
	let target = std::env::var_os("CARGO_TARGET_DIR")
		.filter(|p| !p.is_empty())
		.map(PathBuf::from)
		.unwrap_or_else(|| PathBuf::from("target"));
	target.join("agora-bench").join("models.json")
}

/// Times `new` and `old` (each run once first to warm up), alternately `reps` times each so
/// that both see the same load; each run's figure is `per_run / seconds`. The medians, and JSON
/// of the runs.
fn bench_pair(
	reps: usize,
	per_run: f64,
	mut new: impl FnMut() -> BoxResult<()>,
	mut old: impl FnMut() -> BoxResult<()>,
) -> BoxResult<(f64, f64, Value)> {
	new()?;
	old()?;
	let (mut new_runs, mut old_runs) = (Vec::with_capacity(reps), Vec::with_capacity(reps));
	for _ in 0..reps {
		for (f, runs) in [
			(&mut new as &mut dyn FnMut() -> BoxResult<()>, &mut new_runs),
			(&mut old, &mut old_runs),
		] {
			let start = Instant::now();
			f()?;
			runs.push(per_run / start.elapsed().as_secs_f64());
		}
	}
	let summary = |runs: &[f64]| {
		let (min, max) = runs.iter().fold((f64::MAX, 0f64), |(a, b), &r| (a.min(r), b.max(r)));
		json!({ "median": median(runs), "min": min, "max": max, "runs": runs })
	};
	let json = json!({ "new": summary(&new_runs), "old": summary(&old_runs) });
	Ok((median(&new_runs), median(&old_runs), json))
}

/// The smallest cosine similarity between the vectors of `a` and `b`, row by row.
fn min_cosine(a: &[Vec<f32>], b: &[Vec<f32>]) -> f64 {
	a.iter()
		.zip(b)
		.map(|(x, y)| {
			let dot: f64 = x.iter().zip(y).map(|(p, q)| f64::from(*p) * f64::from(*q)).sum();
			let nx: f64 = x.iter().map(|p| f64::from(*p).powi(2)).sum::<f64>().sqrt();
			let ny: f64 = y.iter().map(|q| f64::from(*q).powi(2)).sum::<f64>().sqrt();
			dot / (nx * ny).max(1e-30)
		})
		.fold(f64::INFINITY, f64::min)
}

/// Generation figures of one loading of the model.
struct GenFigures {
	prompt_tokens: usize,
	generated: usize,
	prompt_secs: f64,
	decode_rate: f64,
	total_secs: f64,
	json: Value,
}

/// Times `generate_tokens(prompt, 1)` (the prompt's forward pass and the first token, read from
/// its logits) and `generate_tokens(prompt, NEW_TOKENS)`, each once to warm up and then `reps`
/// times. Decode speed is the extra tokens over the extra time, run by run.
fn bench_generate(generator: &mut Generator, prompt: &str, reps: usize) -> BoxResult<GenFigures> {
	let first = generator.generate_tokens(prompt, 1)?;
	let full = generator.generate_tokens(prompt, NEW_TOKENS)?;
	let generated = full.ids.len();
	if generated < 2 {
		return Err(format!("the model stopped after {generated} tokens").into());
	}
	let (mut prompt_secs, mut total_secs, mut rates) = (Vec::new(), Vec::new(), Vec::new());
	for _ in 0..reps {
		let start = Instant::now();
		let one = generator.generate_tokens(prompt, 1)?;
		let t1 = start.elapsed().as_secs_f64();
		let start = Instant::now();
		let all = generator.generate_tokens(prompt, NEW_TOKENS)?;
		let tn = start.elapsed().as_secs_f64();
		if one.ids != first.ids || all.ids != full.ids {
			return Err("greedy generation is not deterministic".into());
		}
		prompt_secs.push(t1);
		total_secs.push(tn);
		rates.push((generated - 1) as f64 / (tn - t1));
	}
	let decode_rate = median(&rates);
	let json = json!({
		"prompt_tokens": full.prompt_tokens,
		"generated_tokens": generated,
		"stopped": full.stopped,
		"generated_ids": full.ids,
		"text": generator.tokenizer().decode(&full.ids, true).unwrap_or_default(),
		"prompt_secs": { "median": median(&prompt_secs), "runs": prompt_secs },
		"total_secs": { "median": median(&total_secs), "runs": total_secs },
		"decode_tokens_per_sec": { "median": decode_rate, "runs": rates },
	});
	Ok(GenFigures {
		prompt_tokens: full.prompt_tokens,
		generated,
		prompt_secs: median(&prompt_secs),
		decode_rate,
		total_secs: median(&total_secs),
		json,
	})
}

fn print_generation(label: &str, load_secs: f64, g: &GenFigures) {
	println!(
		"smollm2 {label:<22} load {load_secs:6.2} s | prompt {:3} tokens {:7.1} ms \
		 ({:6.0} tokens/s) | decode {:6.1} tokens/s | {} tokens in {:.2} s | load avg {}",
		g.prompt_tokens,
		g.prompt_secs * 1e3,
		g.prompt_tokens as f64 / g.prompt_secs,
		g.decode_rate,
		g.generated,
		g.total_secs,
		load_average(),
	);
}

/// `(VmRSS, VmHWM)` of this process, in MiB, from `/proc/self/status`.
fn memory_mib() -> (f64, f64) {
	let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
	let field = |name: &str| {
		status
			.lines()
			.find(|l| l.starts_with(name))
			.and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
			.map_or(f64::NAN, |kib| kib / 1024.0)
	};
	(field("VmRSS:"), field("VmHWM:"))
}

/// The child of [`model_memory`]: loads `kind`'s model as the miner does (`Embedder::load`,
/// `Generator::load`), answers one request (a 12-document challenge; 64 tokens after the
/// prompt), and prints `memory RSS_MIB PEAK_MIB`.
fn memory_child(kind: &str, prompt: &str, docs: &[String]) -> BoxResult<()> {
	let assets = Assets::locate()?;
	// The model stays alive until its memory is read.
	let (rss, peak) = match kind {
		"embedding" => {
			let e = Embedder::load(&assets.minilm_dir(), &Device::Cpu, Variant::Full)?;
			e.embed(&docs[..CHALLENGE_DOCS])?;
			let figures = memory_mib();
			drop(e);
			figures
		},
		_ => {
			let mut g = Generator::load(&assets.smollm2_gguf(), &Device::Cpu)?;
			g.generate_tokens(prompt, NEW_TOKENS)?;
			let figures = memory_mib();
			drop(g);
			figures
		},
	};
	println!("memory {rss:.1} {peak:.1}");
	Ok(())
}

/// Each model's memory in a process of its own (this bench again, `AGORA_BENCH_MEMORY=KIND`):
/// what a miner serving it holds, the model and one answer's working memory.
fn model_memory() -> BoxResult<Value> {
	let mut out = serde_json::Map::new();
	for kind in ["embedding", "generation"] {
		let child = std::process::Command::new(std::env::current_exe()?)
			.env("AGORA_BENCH_MEMORY", kind)
			.output()?;
		let stdout = String::from_utf8_lossy(&child.stdout);
		let figures = stdout
			.lines()
			.find_map(|l| l.strip_prefix("memory "))
			.and_then(|l| l.split_once(' '))
			.and_then(|(a, b)| Some((a.parse::<f64>().ok()?, b.parse::<f64>().ok()?)));
		let Some((rss, peak)) = figures.filter(|_| child.status.success()) else {
			return Err(format!(
				"the {kind} memory child failed: {}",
				String::from_utf8_lossy(&child.stderr)
			)
			.into());
		};
		println!(
			"memory  {kind:<10} after loading and one answer: RSS {rss:6.1} MiB, peak {peak:6.1} MiB"
		);
		out.insert(kind.into(), json!({ "rss_mib": rss, "peak_mib": peak }));
	}
	Ok(Value::Object(out))
}

fn main() -> BoxResult<()> {
	// `cargo bench` passes `--bench`; a filter argument is not supported.
	let reps: usize = std::env::var("AGORA_BENCH_REPS")
		.ok()
		.and_then(|v| v.parse().ok())
		.filter(|&n| n > 0)
		.unwrap_or(5);
	// AGORA_BENCH_ONLY=embedding skips generation (a quicker run while working on embeddings).
	let embeddings_only = std::env::var("AGORA_BENCH_ONLY").is_ok_and(|v| v == "embedding");
	let assets = Assets::locate()?;
	let device = Device::Cpu;
	let threads = candle_core::utils::get_num_threads();
	let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
	println!(
		"models bench: CPU, candle threads: {threads} (available cores: {cores}; avx2: {}, \
		 mkl: {}), {reps} runs after 1 warm-up, medians; load avg {}",
		candle_core::utils::with_avx(),
		candle_core::utils::has_mkl(),
		load_average()
	);

	// The inputs.
	let lee = SimilarityBench::load(&assets)?;
	let docs: Vec<String> = lee.docs.iter().take(TEXTS).cloned().collect();
	let speech_path = assets.sotu_dir().join(SOTU_FILE);
	let speech = std::fs::read_to_string(&speech_path)
		.map_err(|e| format!("{}: {e}", speech_path.display()))?;
	let short: Vec<String> = sentences(&speech)
		.into_iter()
		.filter(|s| {
			let n = s.split_whitespace().count();
			(SENTENCE_WORDS.0..=SENTENCE_WORDS.1).contains(&n)
		})
		.take(TEXTS)
		.collect();
	let prompt = speech.split_whitespace().take(PROMPT_WORDS).collect::<Vec<_>>().join(" ");
	if let Ok(kind) = std::env::var("AGORA_BENCH_MEMORY") {
		return memory_child(&kind, &prompt, &docs);
	}
	if docs.len() < TEXTS || short.len() < TEXTS {
		return Err(format!("only {} documents and {} sentences", docs.len(), short.len()).into());
	}

	// Embeddings: the embedder (`new`) side by side with candle's own BertModel over padded
	// batches (`old`, what `Embedder` ran before `agora_models::bert`).
	let start = Instant::now();
	let embedder = Embedder::load(&assets.minilm_dir(), &device, Variant::Full)?;
	let load_secs = start.elapsed().as_secs_f64();
	let reference = Embedder::load_reference(&assets.minilm_dir(), &device, Variant::Full)?;
	// Token counts (special tokens included, truncated as the embedder truncates).
	let mut bert_tokenizer =
		tokenizers::Tokenizer::from_file(assets.minilm_dir().join("tokenizer.json"))
			.map_err(|e| format!("MiniLM tokenizer: {e}"))?;
	// tokenizer.json pads and truncates to 128; the embedder does neither (it truncates at 256).
	bert_tokenizer.with_padding(None);
	bert_tokenizer.with_truncation(None).map_err(|e| format!("MiniLM tokenizer: {e}"))?;
	let tokens = |texts: &[String]| -> BoxResult<(usize, usize)> {
		let mut total = 0;
		let mut longest = 0;
		for t in texts {
			let n = bert_tokenizer
				.encode(t.as_str(), true)
				.map_err(|e| format!("cannot tokenize: {e}"))?
				.len()
				.min(agora_models::embedding::MAX_TOKENS);
			total += n;
			longest = longest.max(n);
		}
		Ok((total, longest))
	};
	let mut embed_json = serde_json::Map::new();
	let mut vectors_json = serde_json::Map::new();
	let mut worst_cosine = f64::INFINITY;
	println!("minilm  load {load_secs:.2} s; figures new (agora_models::bert) | old (candle BertModel, padded) | new/old");
	let embed_all = |e: &Embedder, texts: &[String]| -> BoxResult<()> {
		let vectors = e.embed(texts)?;
		assert_eq!(vectors.len(), texts.len());
		Ok(())
	};
	for (name, texts) in [("lee_docs", &docs), ("sotu_sentences", &short)] {
		let (total, longest) = tokens(texts)?;
		let (new, old, mut figures) = bench_pair(
			reps,
			texts.len() as f64,
			|| embed_all(&embedder, texts),
			|| embed_all(&reference, texts),
		)?;
		let vectors = embedder.embed(texts)?;
		let cosine = min_cosine(&vectors, &reference.embed(texts)?);
		worst_cosine = worst_cosine.min(cosine);
		println!(
			"minilm  {name:<15} batch {TEXTS}: {new:7.1} | {old:7.1} embeddings/s | {:.2}x \
			 ({:.0} tokens/s new; {:.0} tokens a text on average, longest {longest}; min cosine \
			 new vs old {cosine:.7}) | load avg {}",
			new / old,
			new * total as f64 / TEXTS as f64,
			total as f64 / TEXTS as f64,
			load_average()
		);
		figures["median"] = json!(new);
		figures["tokens"] = json!(total);
		figures["longest"] = json!(longest);
		figures["min_cosine_new_vs_old"] = json!(cosine);
		embed_json.insert(name.into(), figures);
		vectors_json.insert(name.into(), json!(vectors));
	}
	// Batch 1: each short sentence in a call of its own.
	let one_by_one = |e: &Embedder| -> BoxResult<()> {
		for s in &short {
			e.embed(std::slice::from_ref(s))?;
		}
		Ok(())
	};
	let (new, old, figures) =
		bench_pair(reps, short.len() as f64, || one_by_one(&embedder), || one_by_one(&reference))?;
	println!(
		"minilm  sotu_sentences  batch 1:  {new:7.1} | {old:7.1} embeddings/s | {:.2}x \
		 ({:.1} | {:.1} ms a sentence) | load avg {}",
		new / old,
		1e3 / new,
		1e3 / old,
		load_average()
	);
	embed_json.insert("sotu_sentences_batch1".into(), figures);
	// An embedding challenge's documents: 12 Lee documents in one call.
	let challenge = &docs[..CHALLENGE_DOCS];
	let (new, old, figures) = bench_pair(
		reps,
		1.0,
		|| embed_all(&embedder, challenge),
		|| embed_all(&reference, challenge),
	)?;
	let cosine = min_cosine(&embedder.embed(challenge)?, &reference.embed(challenge)?);
	worst_cosine = worst_cosine.min(cosine);
	println!(
		"minilm  challenge: {CHALLENGE_DOCS} Lee docs in one call: {:7.1} | {:7.1} ms | {:.2}x \
		 | load avg {}",
		1e3 / new,
		1e3 / old,
		new / old,
		load_average()
	);
	embed_json.insert("challenge_12_lee_docs_per_sec".into(), figures);
	println!("minilm  min cosine new vs old over all inputs: {worst_cosine:.7}");
	if worst_cosine < 0.99999 {
		return Err(format!("new embeddings differ from the old: min cosine {worst_cosine}").into());
	}
	drop(reference);
	drop(embedder);

	// Generation.
	let mut gen_json = serde_json::Map::new();
	let mut prompt_ids = Vec::new();
	let generation = if embeddings_only {
		println!("smollm2 skipped (AGORA_BENCH_ONLY=embedding)");
		Vec::new()
	} else {
		vec![
			("agora_q8_0", "Q8_0, Agora (default)", Weights::default_for(&device)),
			("candle_q8_0", "Q8_0, candle", Weights::Requantized(GgmlDType::Q8_0)),
			("candle_f32", "f32 (dequantized)", Weights::F32),
			("candle_q4_1", "Q4_1 (as stored)", Weights::AsStored),
		]
	};
	let mut chat = Value::Null;
	for (name, label, weights) in generation {
		let start = Instant::now();
		let mut generator = Generator::load_as(&assets.smollm2_gguf(), &device, weights)?;
		let load_secs = start.elapsed().as_secs_f64();
		if chat.is_null() {
			let ids =
				generator.tokenizer().encode(CHAT_PROMPT, false).map_err(|e| format!("{e}"))?;
			let out = generator.generate_tokens(CHAT_PROMPT, CHAT_TOKENS)?;
			chat = json!({
				"weights": name,
				"prompt": CHAT_PROMPT,
				"prompt_ids": ids.get_ids(),
				"generated_ids": out.ids,
				"stopped": out.stopped,
				"text": generator.tokenizer().decode(&out.ids, true).unwrap_or_default(),
			});
		}
		if prompt_ids.is_empty() {
			prompt_ids = generator
				.tokenizer()
				.encode(prompt.as_str(), false)
				.map_err(|e| format!("cannot tokenize the prompt: {e}"))?
				.get_ids()
				.to_vec();
		}
		let figures = bench_generate(&mut generator, &prompt, reps)?;
		print_generation(label, load_secs, &figures);
		let mut j = figures.json;
		j["load_secs"] = json!(load_secs);
		gen_json.insert(name.into(), j);
	}

	let out = json!({
		"threads": threads,
		"cores": cores,
		"reps": reps,
		"inputs": {
			"lee_docs": docs,
			"sotu_file": SOTU_FILE,
			"sotu_sentences": short,
			"prompt": prompt,
			"prompt_ids": prompt_ids,
			"new_tokens": NEW_TOKENS,
		},
		"embedding": embed_json,
		"vectors": vectors_json,
		"generation": gen_json,
		"chat": chat,
		"memory": model_memory()?,
		"load_average": load_average(),
	});
	write_json(&out_path(), &out)?;
	Ok(())
}

fn write_json(path: &Path, value: &Value) -> BoxResult<()> {
	if let Some(dir) = path.parent() {
		std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
	}
	std::fs::write(path, serde_json::to_vec(value)?)
		.map_err(|e| format!("{}: {e}", path.display()))?;
	println!("inputs, figures and embeddings written to {}", path.display());
	Ok(())
}
