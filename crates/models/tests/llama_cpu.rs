//! Agora's CPU forward pass ([`Weights::CpuQ8_0`], `agora_models::llama`) against the `f32`
//! model and candle's own `quantized_llama` on the same Q8_0 weights, after a prompt in one pass
//! and after its first tokens (the key/value cache). Runs on the real SmolLM2-135M-Instruct GGUF.
//!
//! The two Q8_0 runs cannot agree to the last bit: their float sums differ in order, and a
//! difference of one unit in the last place moves a value across a rounding boundary when the
//! next product quantizes its activations, which the 30 layers amplify. So the check is that our
//! logits are as close to the `f32` model's as candle's are (root mean square over the
//! vocabulary). The parts themselves (RMSNorm, rotary embedding, attention) are checked exactly
//! against candle's ops in `llama.rs`'s unit tests, the products in `q8.rs`'s.
//!
//! candle's AVX-512 path quantizes the activations of products whose rows are a multiple of 256
//! long in blocks of 256 (Q8_K) rather than 32; this file (one test, its own process) sets
//! `MISTRALRS_FORCE_AVX2=1`, candle's switch that keeps every Q8_0 product on Q8_0 activations as
//! ours are.

mod common;

use agora_models::{
	generation::{Generator, Weights},
	Device,
};
use candle_core::quantized::GgmlDType;

fn rms(a: &[f32], b: &[f32]) -> f32 {
	(a.iter().zip(b).map(|(x, y)| ((x - y) as f64).powi(2)).sum::<f64>() / a.len() as f64).sqrt()
		as f32
}

#[test]
fn cpu_forward_is_as_close_to_f32_as_candle() {
	// The only test of this binary, before any thread reads the environment.
	std::env::set_var("MISTRALRS_FORCE_AVX2", "1");
	let gguf = common::assets().smollm2_gguf();
	let mut f32s = Generator::load_as(&gguf, &Device::Cpu, Weights::F32).expect("f32");
	let q8_0 = Weights::Requantized(GgmlDType::Q8_0);
	let mut candle = Generator::load_as(&gguf, &Device::Cpu, q8_0).expect("candle Q8_0");
	let mut ours = Generator::load_as(&gguf, &Device::Cpu, Weights::CpuQ8_0).expect("CPU Q8_0");
	let ids =
		ours.tokenizer().encode(common::CHAT_PROMPT, false).expect("encode").get_ids().to_vec();
	let (mut sum_ours, mut sum_candle) = (0.0, 0.0);
	for len in [1, 2, 3, 17, ids.len()] {
		let want = f32s.logits_after(&ids[..len]).expect("f32 logits");
		let theirs = rms(&candle.logits_after(&ids[..len]).expect("candle logits"), &want);
		let got = rms(&ours.logits_after(&ids[..len]).expect("our logits"), &want);
		println!(
			"{len} tokens: RMS logit difference from f32: ours {got:.4}, candle's {theirs:.4}"
		);
		sum_ours += got;
		sum_candle += theirs;
	}
	assert!(sum_ours < 1.5 * sum_candle, "ours {sum_ours}, candle's {sum_candle}");
	// A token outside the vocabulary is a named error, not a panic.
	let vocab = ours.logits_after(&ids[..1]).expect("logits").len() as u32;
	let err = ours.logits_after(&[vocab]).expect_err("out of vocabulary");
	assert!(err.to_string().contains("outside the vocabulary"), "{err}");
}
