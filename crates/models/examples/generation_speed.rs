//! SmolLM2-135M-Instruct generation speed on the CPU for each way of holding the weights
//! ([`Weights`]), side by side in one run:
//!
//! ```sh
//! source scripts/env.sh
//! cargo run --release -p agora-models --example generation_speed
//! ```
//!
//! Each variant runs in its own child process (this example again, with `--variant NAME`) so
//! that its resident memory after loading is its own. Prompt: the first 50 words of
//! `sotu/2009_barack_obama_d.txt` (60 tokens), as in `benches/models.rs`; prompt time is
//! `generate_tokens(prompt, 1)`, decode speed is 63 tokens over the difference between that and
//! `generate_tokens(prompt, 64)`. One warm-up, then `AGORA_BENCH_REPS` (default 5) runs,
//! medians. Variants: `AGORA_GEN_VARIANTS` (comma separated), default all.

use std::{process::Command, time::Instant};

use agora_models::{
	assets::Assets,
	generation::{Generator, Weights},
	Device,
};
use candle_core::quantized::GgmlDType;

type BoxResult<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The speech the prompt comes from, and the prompt's length in words.
const SOTU_FILE: &str = "2009_barack_obama_d.txt";
const PROMPT_WORDS: usize = 50;
/// Tokens generated after the prompt.
const NEW_TOKENS: usize = 64;

/// The variants, by name: the reference (f32) first, today's default (`cpu_q8_0`) last.
const VARIANTS: [(&str, Weights); 7] = [
	("f32", Weights::F32),
	("q4_1", Weights::AsStored),
	("q8_0", Weights::Requantized(GgmlDType::Q8_0)),
	("q4_0", Weights::Requantized(GgmlDType::Q4_0)),
	("q4k", Weights::Requantized(GgmlDType::Q4K)),
	("q6k", Weights::Requantized(GgmlDType::Q6K)),
	("cpu_q8_0", Weights::CpuQ8_0),
];

fn median(values: &mut [f64]) -> f64 {
	values.sort_by(f64::total_cmp);
	values[values.len() / 2]
}

/// This process' resident memory in MiB, from `/proc/self/status`.
fn rss_mib() -> f64 {
	std::fs::read_to_string("/proc/self/status")
		.ok()
		.and_then(|s| {
			s.lines()
				.find(|l| l.starts_with("VmRSS:"))
				.and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
		})
		.map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Loads one variant and prints one line: `name load_s rss_mib prompt_tok_s decode_tok_s ids`.
fn child(name: &str, weights: Weights) -> BoxResult<()> {
	let reps: usize =
		std::env::var("AGORA_BENCH_REPS").ok().and_then(|v| v.parse().ok()).unwrap_or(5).max(1);
	let assets = Assets::locate()?;
	let speech = std::fs::read_to_string(assets.sotu_dir().join(SOTU_FILE))?;
	let prompt = speech.split_whitespace().take(PROMPT_WORDS).collect::<Vec<_>>().join(" ");
	let start = Instant::now();
	let mut generator = Generator::load_as(&assets.smollm2_gguf(), &Device::Cpu, weights)?;
	let load = start.elapsed().as_secs_f64();
	let rss = rss_mib();
	let full = generator.generate_tokens(&prompt, NEW_TOKENS)?;
	let (mut prompt_rates, mut decode_rates) = (Vec::new(), Vec::new());
	for _ in 0..reps {
		let t = Instant::now();
		let one = generator.generate_tokens(&prompt, 1)?;
		let t1 = t.elapsed().as_secs_f64();
		let t = Instant::now();
		let all = generator.generate_tokens(&prompt, NEW_TOKENS)?;
		let tn = t.elapsed().as_secs_f64();
		if all.ids != full.ids || one.ids[..] != full.ids[..1] {
			return Err("greedy generation is not deterministic".into());
		}
		prompt_rates.push(one.prompt_tokens as f64 / t1);
		decode_rates.push((all.ids.len() - 1) as f64 / (tn - t1));
	}
	let ids: Vec<String> = full.ids.iter().map(u32::to_string).collect();
	println!(
		"{name} {load:.3} {rss:.1} {:.2} {:.2} {} {}",
		median(&mut prompt_rates),
		median(&mut decode_rates),
		full.prompt_tokens,
		ids.join(",")
	);
	Ok(())
}

/// One variant's figures, parsed from its child's line.
struct Figures {
	name: String,
	load: f64,
	rss: f64,
	prompt: f64,
	decode: f64,
	prompt_tokens: usize,
	ids: Vec<u32>,
}

fn parse(line: &str) -> Option<Figures> {
	let f: Vec<&str> = line.split_whitespace().collect();
	Some(Figures {
		name: f.first()?.to_string(),
		load: f.get(1)?.parse().ok()?,
		rss: f.get(2)?.parse().ok()?,
		prompt: f.get(3)?.parse().ok()?,
		decode: f.get(4)?.parse().ok()?,
		prompt_tokens: f.get(5)?.parse().ok()?,
		ids: f.get(6)?.split(',').filter_map(|s| s.parse().ok()).collect(),
	})
}

fn main() -> BoxResult<()> {
	let args: Vec<String> = std::env::args().collect();
	if let [_, flag, name] = args.as_slice() {
		if flag == "--variant" {
			let (_, weights) = VARIANTS
				.iter()
				.find(|(n, _)| n == name)
				.ok_or_else(|| format!("no variant {name}"))?;
			return child(name, *weights);
		}
	}
	let wanted = std::env::var("AGORA_GEN_VARIANTS").ok();
	let exe = std::env::current_exe()?;
	println!(
		"candle threads: {}, avx: {}, mkl: {}",
		candle_core::utils::get_num_threads(),
		candle_core::utils::with_avx(),
		candle_core::utils::has_mkl()
	);
	let mut rows: Vec<Figures> = Vec::new();
	for (name, _) in VARIANTS {
		if wanted.as_deref().is_some_and(|w| !w.split(',').any(|v| v == name)) {
			continue;
		}
		let out = Command::new(&exe).args(["--variant", name]).output()?;
		let stdout = String::from_utf8_lossy(&out.stdout);
		match stdout.lines().find_map(parse) {
			Some(figures) if out.status.success() => rows.push(figures),
			_ => {
				eprintln!("{name}: failed: {}", String::from_utf8_lossy(&out.stderr));
			},
		}
	}
	let Some(base) = rows.first() else {
		return Err("no variant ran".into());
	};
	println!(
		"{:<8} {:>7} {:>8} {:>11} {:>11} {:>8} {:>8} {:>9}",
		"weights",
		"load s",
		"RSS MiB",
		"prompt t/s",
		"decode t/s",
		"prompt×",
		"decode×",
		"same ids"
	);
	for r in &rows {
		let same = r.ids.iter().zip(&base.ids).take_while(|(a, b)| a == b).count();
		println!(
			"{:<8} {:>7.2} {:>8.0} {:>11.1} {:>11.1} {:>8.2} {:>8.2} {:>5}/{:<3}",
			r.name,
			r.load,
			r.rss,
			r.prompt,
			r.decode,
			r.prompt / base.prompt,
			r.decode / base.decode,
			same,
			r.ids.len().min(base.ids.len()),
		);
	}
	println!(
		"(prompt {} tokens, {NEW_TOKENS} generated; × is against {}, same ids: the generated \
		 tokens equal to its, from the start)",
		base.prompt_tokens, base.name
	);
	Ok(())
}
