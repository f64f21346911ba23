//! The embedder on the real all-MiniLM-L6-v2.

mod common;

use std::{sync::OnceLock, time::Instant};

use agora_models::{
	data::SimilarityBench,
	embedding::{Embedder, Variant},
	scoring::{cosine, score_embeddings},
	Device,
};

fn full() -> &'static Embedder {
	static FULL: OnceLock<Embedder> = OnceLock::new();
	FULL.get_or_init(|| {
		Embedder::load(&common::assets().minilm_dir(), &Device::Cpu, Variant::Full)
			.expect("all-MiniLM-L6-v2")
	})
}

fn strings(list: &[&str]) -> Vec<String> {
	list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn unit_vectors_of_dim_384() {
	let e = full();
	assert_eq!(e.dim(), 384);
	assert_eq!(e.name(), "all-MiniLM-L6-v2");
	let vectors = e.embed(&strings(&["Hello world.", "", "A longer sentence, with punctuation!"]));
	let vectors = vectors.expect("embed");
	assert_eq!(vectors.len(), 3);
	for v in &vectors {
		assert_eq!(v.len(), 384);
		let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
		assert!((norm - 1.0).abs() < 1e-4, "norm {norm}");
	}
}

#[test]
fn paraphrase_is_closer_than_unrelated() {
	let v = full()
		.embed(&strings(&[
			"A man is playing a guitar on the stage.",
			"Someone performs a song with a guitar at a concert.",
			"The central bank raised interest rates by half a point.",
		]))
		.expect("embed");
	let para = cosine(&v[0], &v[1]);
	let unrelated = cosine(&v[0], &v[2]);
	println!("paraphrase {para:.3}, unrelated {unrelated:.3}");
	assert!(para > unrelated + 0.3, "paraphrase {para} vs unrelated {unrelated}");
}

#[test]
fn batch_equals_one_by_one() {
	let bench = SimilarityBench::load(&common::assets()).expect("Lee");
	let mut input = strings(&["Short.", "", "The cat sat on the mat."]);
	input.extend(bench.docs.iter().take(5).cloned());
	// A document far beyond 256 tokens: truncated, not an error.
	input.push(bench.docs[..6].join(" "));
	let batched = full().embed(&input).expect("batch");
	for (s, b) in input.iter().zip(&batched) {
		let alone = full().embed(std::slice::from_ref(s)).expect("alone");
		let diff = alone[0].iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
		assert!(diff < 1e-4, "{diff} for {:?}", &s[..s.len().min(40)]);
	}
}

#[test]
fn full_beats_truncated_and_random_on_lee() {
	let assets = common::assets();
	let bench = SimilarityBench::load(&assets).expect("Lee");
	let challenge = bench.challenge(2024, 20);
	assert_eq!(challenge.pairs.len(), 190);
	let mut scores = Vec::new();
	for variant in [Variant::Full, Variant::Layers(1), Variant::Random { seed: 1 }] {
		let e = if variant == Variant::Full {
			None
		} else {
			Some(Embedder::load(&assets.minilm_dir(), &Device::Cpu, variant).expect("variant"))
		};
		let e = e.as_ref().unwrap_or_else(|| full());
		let vectors = e.embed(&challenge.sentences).expect("embed");
		let score = score_embeddings(&challenge, &vectors).expect("score");
		println!("Lee challenge (seed 2024, 20 docs, 190 pairs): {:<32} {score:.3}", e.name());
		scores.push(score);
	}
	let (full, layer1, random) = (scores[0], scores[1], scores[2]);
	assert!(full > 0.4, "full model {full}");
	assert!(full > random + 0.2, "full {full} vs random {random}");
	assert!(full > layer1, "full {full} vs 1 layer {layer1}");
}

#[test]
fn throughput_batch_of_32() {
	let bench = SimilarityBench::load(&common::assets()).expect("Lee");
	let docs: Vec<String> = bench.docs.iter().take(32).cloned().collect();
	let short: Vec<String> = (0..32).map(|i| format!("Sentence number {i} is short.")).collect();
	for (what, input) in [("Lee documents (~256 tokens)", &docs), ("short sentences", &short)] {
		full().embed(input).expect("warm up");
		let start = Instant::now();
		let out = full().embed(input).expect("embed");
		let secs = start.elapsed().as_secs_f64();
		assert_eq!(out.len(), 32);
		println!("batch of 32 {what}: {:.1} embeddings/s on the CPU", 32.0 / secs);
	}
}
