//! The fast CPU weights ([`Weights::default_for`]) generate what the `f32`-dequantized model
//! generates: the same greedy tokens for the first 32 tokens of the benchmark prompt and of a
//! chat prompt, or, where quantization flips a near-tie, a divergence whose logit gap (under the
//! `f32` model) is small. Runs on the real SmolLM2-135M-Instruct GGUF.

mod common;

use agora_models::{
	generation::{Generator, Weights},
	Device,
};

/// Tokens compared after each prompt.
const TOKENS: usize = 32;
/// The largest gap, in logits of the `f32` model, between its greedy token and the one the
/// fast weights chose where the two first differ: a near-tie, not a broken kernel.
const NEAR_TIE: f32 = 0.5;

/// The benchmark's prompt: the first 50 words of the 2009 State of the Union address.
fn sotu_prompt() -> String {
	let speech =
		std::fs::read_to_string(common::assets().sotu_dir().join("2009_barack_obama_d.txt"))
			.expect("the 2009 speech");
	speech.split_whitespace().take(50).collect::<Vec<_>>().join(" ")
}

/// Where `fast` first departs from `reference` after `prompt`: the index, both tokens, and the
/// logit gaps (reference's greedy token over fast's, under each model).
fn divergence(
	reference: &mut Generator,
	fast: &mut Generator,
	prompt: &str,
) -> Option<(usize, u32, u32, f32, f32)> {
	let want = reference.generate_tokens(prompt, TOKENS).expect("reference tokens");
	let got = fast.generate_tokens(prompt, TOKENS).expect("fast tokens");
	// The first index where the two differ, counting a stop (end of the answer) as a token: one
	// model ending where the other goes on is a departure too.
	let at = match want.ids.iter().zip(&got.ids).position(|(a, b)| a != b) {
		Some(at) => at,
		None if want.ids.len() == got.ids.len() => return None,
		None => want.ids.len().min(got.ids.len()),
	};
	let mut ids = reference.tokenizer().encode(prompt, false).expect("encode").get_ids().to_vec();
	ids.extend_from_slice(&want.ids[..at]);
	let ref_logits = reference.logits_after(&ids).expect("reference logits");
	let fast_logits = fast.logits_after(&ids).expect("fast logits");
	// Each model's greedy choice there (its stop token where it ended).
	let argmax = |v: &[f32]| (0..v.len()).fold(0, |b, i| if v[i] > v[b] { i } else { b }) as u32;
	let (w, g) = (argmax(&ref_logits), argmax(&fast_logits));
	Some((
		at,
		w,
		g,
		ref_logits[w as usize] - ref_logits[g as usize],
		fast_logits[w as usize] - fast_logits[g as usize],
	))
}

fn check(weights: Weights) {
	let gguf = common::assets().smollm2_gguf();
	let mut reference = Generator::load_as(&gguf, &Device::Cpu, Weights::F32).expect("f32");
	let mut fast = Generator::load_as(&gguf, &Device::Cpu, weights).expect("fast weights");
	for (label, prompt) in [("sotu", sotu_prompt()), ("chat", common::CHAT_PROMPT.to_string())] {
		match divergence(&mut reference, &mut fast, &prompt) {
			None => {
				println!("{weights:?} {label}: the same tokens as the f32 model (up to {TOKENS})")
			},
			Some((at, want, got, gap, fast_gap)) => {
				let text = |id: u32| reference.tokenizer().id_to_token(id).unwrap_or_default();
				println!(
					"{weights:?} {label}: token {at} is {got} {:?} instead of {want} {:?}; the f32 \
					 model prefers {want} by {gap:.4} logits, the fast weights {got} by {:.4}",
					text(got),
					text(want),
					-fast_gap
				);
				assert!(
					gap < NEAR_TIE,
					"{weights:?} {label}: token {at} departs from the f32 model's by {gap} logits"
				);
			},
		}
	}
}

#[test]
fn default_cpu_weights_follow_f32() {
	check(Weights::default_for(&Device::Cpu));
}
