//! Every Q8_0 kernel this CPU runs (`agora_models::q8::Kernel`: AVX-512 VNNI, AVX2, plain Rust)
//! makes SmolLM2 give the same logits, bit for bit, and the same greedy tokens: a validator and
//! a miner on different CPUs compute the same continuation from the same weights. The kernel is
//! chosen once a process (`AGORA_Q8_KERNEL`), so the test runs this binary again per kernel.

mod common;

use agora_models::{generation::Generator, q8::Kernel, Device};

const CHILD: &str = "AGORA_Q8_KERNELS_CHILD";
const PROMPT: &str =
	"<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n";

/// In a child process (`AGORA_Q8_KERNELS_CHILD` set): prints the kernel, a digest of the logits
/// after the prompt and 12 greedy tokens.
#[test]
fn child() {
	if std::env::var_os(CHILD).is_none() {
		return;
	}
	let mut g = Generator::load(&common::assets().smollm2_gguf(), &Device::Cpu).expect("load");
	let ids = g.tokenizer().encode(PROMPT, false).expect("encode").get_ids().to_vec();
	let logits = g.logits_after(&ids).expect("logits");
	// FNV-1a over the logits' bits.
	let digest = logits.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, v| {
		(h ^ u64::from(v.to_bits())).wrapping_mul(0x0000_0100_0000_01b3)
	});
	let tokens = g.generate_tokens(PROMPT, 12).expect("generate").ids;
	println!("KERNEL {} {digest:016x} {tokens:?}", Kernel::detect().name());
}

#[test]
fn every_kernel_gives_the_same_bits() {
	if std::env::var_os(CHILD).is_some() {
		return;
	}
	let exe = std::env::current_exe().expect("this test binary");
	let mut results = Vec::new();
	for kernel in Kernel::available() {
		let out = std::process::Command::new(&exe)
			.args(["--exact", "child", "--nocapture", "--test-threads=1"])
			.env(CHILD, "1")
			.env("AGORA_Q8_KERNEL", kernel.name())
			.output()
			.expect("run the child");
		let stdout = String::from_utf8_lossy(&out.stdout);
		let line = stdout
			.lines()
			.find_map(|l| l.split_once("KERNEL ").map(|(_, rest)| rest))
			.unwrap_or_else(|| {
				panic!("{kernel:?}: {stdout}{}", String::from_utf8_lossy(&out.stderr))
			})
			.to_string();
		println!("{line}");
		let (name, rest) = line.split_once(' ').expect("a name");
		assert_eq!(name, kernel.name(), "the child ran another kernel");
		results.push(rest.to_string());
	}
	assert!(results.windows(2).all(|w| w[0] == w[1]), "kernels disagree: {results:?}");
}
