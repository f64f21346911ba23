//! The generator on the real SmolLM2-135M-Instruct GGUF.

mod common;

use std::{
	sync::{Mutex, MutexGuard, OnceLock},
	time::Instant,
};

use agora_models::{data::TextCorpus, generation::Generator, scoring::score_generation, Device};

fn generator() -> MutexGuard<'static, Generator> {
	static GENERATOR: OnceLock<Mutex<Generator>> = OnceLock::new();
	GENERATOR
		.get_or_init(|| {
			let gguf = common::assets().smollm2_gguf();
			Mutex::new(Generator::load(&gguf, &Device::Cpu).expect("SmolLM2 GGUF"))
		})
		.lock()
		.unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[test]
fn tokenizer_round_trips() {
	let g = generator();
	let tokenizer = g.tokenizer();
	for text in [
		"Hello world",
		"The quick brown fox jumps over the lazy dog.",
		"  leading spaces, tabs\tand\nnew lines\n\n",
		"Numbers 1234567 and 3.14159; symbols #@$%^&*()",
		"Unicode: café, naïve, 東京, emoji 🎉 — dashes “quotes”",
		"Fellow-Citizens of the Senate and House of Representatives:",
	] {
		let ids = tokenizer.encode(text, false).expect("encode").get_ids().to_vec();
		assert!(!ids.is_empty());
		let back = tokenizer.decode(&ids, true).expect("decode");
		assert_eq!(back, text);
	}
	let enc = tokenizer.encode("Hello world", false).expect("encode");
	assert_eq!(enc.get_tokens(), &["Hello", "Ġworld"]);
	// Digits are split one by one, as SmolLM's own tokenizer does.
	assert_eq!(tokenizer.encode("2024", false).expect("encode").get_ids().len(), 4);
	// Control tokens are single special tokens, left out when decoding.
	let enc = tokenizer.encode("<|im_start|>user", false).expect("encode");
	assert_eq!(enc.get_ids()[0], 1);
	assert_eq!(tokenizer.decode(enc.get_ids(), true).expect("decode"), "user");
}

#[test]
fn greedy_is_deterministic_and_independent() {
	let mut g = generator();
	let prompt = "The capital of France is";
	let first = g.generate(prompt, 12, true).expect("first");
	// Something else in between: the cache must not carry over.
	g.generate("Once upon a time, in a land far away,", 20, false).expect("other");
	let second = g.generate(prompt, 12, true).expect("second");
	assert_eq!(first, second);
	assert!(!first.text.trim().is_empty());
	println!("{prompt:?} -> {:?}", first.text);
}

#[test]
fn logprobs_one_per_token_and_not_positive() {
	let mut g = generator();
	let prompt = "In the beginning of the nineteenth century, the United States";
	let tokens = g.generate_tokens(prompt, 16).expect("tokens");
	assert!(tokens.ids.len() <= 16 && !tokens.ids.is_empty());
	assert_eq!(tokens.logprobs.len(), tokens.ids.len());
	assert!(tokens.stopped || tokens.ids.len() == 16);
	let out = g.generate(prompt, 16, true).expect("generate");
	let logprobs = out.logprobs.expect("asked for");
	assert_eq!(logprobs, tokens.logprobs);
	assert!(logprobs.iter().all(|&lp| lp.is_finite() && lp <= 0.0), "{logprobs:?}");
	assert_eq!(out.text, g.tokenizer().decode(&tokens.ids, true).expect("decode"));
	assert_eq!(g.generate(prompt, 16, false).expect("generate").logprobs, None);
	assert_eq!(g.generate(prompt, 0, true).expect("none").text, "");
	assert!(g.generate("", 4, false).is_err());
	let room = g.context_length();
	assert!(g.generate(prompt, room, false).is_err(), "no room left for the prompt");
}

#[test]
fn continues_a_state_of_the_union_prompt() {
	let assets = common::assets();
	let corpus = TextCorpus::load(&assets).expect("corpus");
	let challenge = corpus.challenge(7, 48, 16);
	let mut g = generator();
	let start = Instant::now();
	let tokens = g.generate_tokens(&challenge.prompt, 32).expect("tokens");
	let secs = start.elapsed().as_secs_f64();
	let out = g.generate(&challenge.prompt, 32, false).expect("generate");
	assert!(!out.text.trim().is_empty(), "empty continuation");
	let score = score_generation(&challenge, &out.text);
	println!("prompt: {}\ntruth: {}\nmodel: {}", challenge.prompt, challenge.truth, out.text);
	println!(
		"chrF {score:.3}; {} prompt + {} generated tokens in {secs:.2} s: {:.1} tokens/s ({})",
		tokens.prompt_tokens,
		tokens.ids.len(),
		tokens.ids.len() as f64 / secs,
		g.name()
	);
	assert!((0.0..=1.0).contains(&score));
}
