//! A llama decoder (SmolLM2) run on the CPU with Q8_0 weights through [`crate::q8`]: what
//! [`crate::generation::Generator`] uses on the CPU by default.
//!
//! The same model as candle-transformers' `quantized_llama` (which [`Generator`] keeps for GPUs
//! and for other weight types, and which the tests here use as the reference): pre-norm blocks
//! of RMSNorm → attention with rotary position embeddings (ggml's interleaved pairs, as llama.cpp
//! does for the `llama` architecture) and grouped key/value heads → RMSNorm → SwiGLU MLP, then a
//! final RMSNorm and the output projection (the token embeddings when the file has no
//! `output.weight`). What differs is how it runs:
//! - every projection is one Q8_0 product over rows held unpacked ([`Q8Matrix`]), the query, key
//!   and value projections stacked into one, the gate and up projections into another;
//! - the key/value cache grows in place (candle concatenates the whole cache each token);
//! - buffers are reused from token to token, and the work is split over one rayon pool
//!   ([`threads`]: `CANDLE_NUM_THREADS`, else `RAYON_NUM_THREADS`, else the cores) whose idle
//!   threads sleep rather than spin (candle's quantized path spins, and collapses when other
//!   processes hold the cores);
//! - the token embeddings are looked up in the Q8_0 matrix rather than dequantized whole to
//!   `f32` (113 MiB less for SmolLM2's 49,152 × 576);
//! - the same bits on every CPU: the products add in one order whatever the kernel
//!   ([`crate::q8`]), the rest runs in one order on one thread per output, and `exp`, `sin`,
//!   `cos` and `pow` come from the `libm` crate (Rust, the same code everywhere) rather than the
//!   system's maths library, which picks FMA or plain builds by CPU. So a validator's reference
//!   continuation is the one an honest miner computes.
//!
//! [`Generator`]: crate::generation::Generator

use std::{
	io::{Read, Seek},
	sync::Arc,
};

use candle_core::{quantized::gguf_file, Device};
use rayon::prelude::*;

use crate::q8::{Activations, Q8Matrix};

/// The hyperparameters read from the GGUF metadata (`llama.*`).
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
	/// Width of the residual stream (`llama.embedding_length`; 576 for SmolLM2-135M).
	pub hidden: usize,
	/// Decoder blocks (`llama.block_count`).
	pub layers: usize,
	/// Query heads (`llama.attention.head_count`).
	pub heads: usize,
	/// Key/value heads (`llama.attention.head_count_kv`); each serves `heads / kv_heads` queries.
	pub kv_heads: usize,
	/// RMSNorm's epsilon (`llama.attention.layer_norm_rms_epsilon`).
	pub eps: f32,
	/// Rotary embedding base (`llama.rope.freq_base`, default 10,000).
	pub rope_base: f32,
	/// Vocabulary size (rows of the token embeddings).
	pub vocab: usize,
}

impl Config {
	fn head_dim(&self) -> usize {
		self.hidden / self.heads
	}

	fn kv_dim(&self) -> usize {
		self.kv_heads * self.head_dim()
	}
}

struct Layer {
	attn_norm: Vec<f32>,
	/// Query, key and value projections stacked: `hidden + 2 · kv_dim` rows.
	qkv: Q8Matrix,
	out: Q8Matrix,
	ffn_norm: Vec<f32>,
	/// Gate and up projections stacked: `2 · ffn` rows.
	gate_up: Q8Matrix,
	down: Q8Matrix,
	/// Keys then values of every position so far, `position × kv_dim` each.
	keys: Vec<f32>,
	values: Vec<f32>,
}

/// Buffers reused across forward passes.
#[derive(Default)]
struct Scratch {
	x: Vec<f32>,
	normed: Vec<f32>,
	acts: Activations,
	qkv: Vec<f32>,
	attn: Vec<f32>,
	proj: Vec<f32>,
	gate_up: Vec<f32>,
	hidden: Vec<f32>,
	transposed: Vec<f32>,
	cos: Vec<f32>,
	sin: Vec<f32>,
}

/// A llama model on the CPU, with its key/value cache.
pub struct Llama {
	config: Config,
	embeddings: Q8Matrix,
	/// `None`: the output projection is the token embeddings (tied).
	output: Option<Q8Matrix>,
	norm: Vec<f32>,
	layers: Vec<Layer>,
	/// `1 / base^(2i / head_dim)` for each rotated pair `i`.
	theta: Vec<f32>,
	/// Positions in the cache.
	len: usize,
	pool: Arc<rayon::ThreadPool>,
	scratch: Scratch,
}

impl std::fmt::Debug for Llama {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.debug_struct("Llama")
			.field("config", &self.config)
			.field("len", &self.len)
			.finish_non_exhaustive()
	}
}

/// The thread pool every [`Llama`] of the process shares (so that two models do not each take
/// every core): `CANDLE_NUM_THREADS` threads when set, else candle's count (`RAYON_NUM_THREADS`,
/// else the cores). Its idle threads sleep rather than spin.
fn shared_pool() -> candle_core::Result<Arc<rayon::ThreadPool>> {
	static POOL: std::sync::OnceLock<Arc<rayon::ThreadPool>> = std::sync::OnceLock::new();
	if let Some(pool) = POOL.get() {
		return Ok(Arc::clone(pool));
	}
	let pool = rayon::ThreadPoolBuilder::new()
		.num_threads(threads())
		.thread_name(|i| format!("agora-llama-{i}"))
		.build()
		.map_err(|e| candle_core::Error::Msg(format!("cannot start the model's threads: {e}")))?;
	Ok(Arc::clone(POOL.get_or_init(|| Arc::new(pool))))
}

/// The forward pass's thread count (see [`shared_pool`]).
pub fn threads() -> usize {
	std::env::var("CANDLE_NUM_THREADS")
		.ok()
		.and_then(|v| v.parse::<usize>().ok())
		.filter(|&n| n > 0)
		.unwrap_or_else(candle_core::utils::get_num_threads)
		.max(1)
}

fn missing(key: &str) -> candle_core::Error {
	candle_core::Error::Msg(format!("the GGUF metadata has no {key}"))
}

fn meta_u32(content: &gguf_file::Content, key: &str) -> candle_core::Result<usize> {
	Ok(content.metadata.get(key).ok_or_else(|| missing(key))?.to_u32()? as usize)
}

impl Llama {
	/// The model in `content` (a GGUF file of architecture `llama`, read from `reader`), every
	/// matrix in Q8_0 (requantized by candle where stored otherwise). Errors name the missing
	/// tensor or metadata key, or the shape that does not fit.
	pub fn from_gguf<R: Read + Seek>(
		content: &gguf_file::Content,
		reader: &mut R,
	) -> candle_core::Result<Self> {
		let hidden = meta_u32(content, "llama.embedding_length")?;
		let heads = meta_u32(content, "llama.attention.head_count")?;
		let kv_heads = meta_u32(content, "llama.attention.head_count_kv")?;
		let layers = meta_u32(content, "llama.block_count")?;
		let eps_key = "llama.attention.layer_norm_rms_epsilon";
		let eps = content.metadata.get(eps_key).ok_or_else(|| missing(eps_key))?.to_f32()?;
		let rope_base = content
			.metadata
			.get("llama.rope.freq_base")
			.and_then(|v| v.to_f32().ok())
			.unwrap_or(10_000.0);
		let experts = content.metadata.get("llama.expert_count").and_then(|v| v.to_u32().ok());
		if experts.unwrap_or(0) > 1 {
			candle_core::bail!("mixture-of-experts models ({experts:?} experts) are not supported");
		}
		let head_dim = hidden.checked_div(heads).unwrap_or(0);
		let rope_dim =
			content.metadata.get("llama.rope.dimension_count").and_then(|v| v.to_u32().ok());
		if rope_dim.is_some_and(|r| r as usize != head_dim) {
			candle_core::bail!(
				"partial rotary embeddings ({rope_dim:?} of {head_dim}) are not supported"
			);
		}
		if hidden == 0
			|| heads == 0
			|| kv_heads == 0
			|| hidden % heads != 0
			|| heads % kv_heads != 0
			|| (hidden / heads) % 2 != 0
		{
			candle_core::bail!(
				"{hidden} wide with {heads} heads and {kv_heads} key/value heads does not fit"
			);
		}
		let mut tensor = |name: &str| content.tensor(reader, name, &Device::Cpu);
		let vector = |t: candle_core::quantized::QTensor| -> candle_core::Result<Vec<f32>> {
			t.dequantize(&Device::Cpu)?.flatten_all()?.to_vec1()
		};
		let embeddings = Q8Matrix::from_qtensor(&tensor("token_embd.weight")?)?;
		let output = match tensor("output.weight") {
			Ok(t) => Some(Q8Matrix::from_qtensor(&t)?),
			Err(_) => None,
		};
		let norm = vector(tensor("output_norm.weight")?)?;
		let config =
			Config { hidden, layers, heads, kv_heads, eps, rope_base, vocab: embeddings.rows() };
		let kv = config.kv_dim();
		let mut blocks = Vec::with_capacity(layers);
		let mut ffn = None;
		for l in 0..layers {
			// Each matrix, checked against the (rows, columns) it must have; `None`: any.
			let mut matrix = |name: &str, rows: Option<usize>, cols: Option<usize>| {
				let m = Q8Matrix::from_qtensor(&tensor(&format!("blk.{l}.{name}.weight"))?)?;
				if rows.is_some_and(|r| r != m.rows()) || cols.is_some_and(|c| c != m.cols()) {
					candle_core::bail!(
						"blk.{l}.{name}.weight is {}×{}, not {rows:?}×{cols:?} as a {hidden}-wide \
						 model with {kv}-wide keys needs",
						m.rows(),
						m.cols()
					);
				}
				Ok(m)
			};
			let h = Some(hidden);
			let qkv = Q8Matrix::stack(&[
				matrix("attn_q", h, h)?,
				matrix("attn_k", Some(kv), h)?,
				matrix("attn_v", Some(kv), h)?,
			])?;
			let out = matrix("attn_output", h, h)?;
			let gate = matrix("ffn_gate", ffn, h)?;
			ffn = Some(gate.rows());
			let gate_up = Q8Matrix::stack(&[gate, matrix("ffn_up", ffn, h)?])?;
			let down = matrix("ffn_down", h, ffn)?;
			let attn_norm = vector(tensor(&format!("blk.{l}.attn_norm.weight"))?)?;
			let ffn_norm = vector(tensor(&format!("blk.{l}.ffn_norm.weight"))?)?;
			if attn_norm.len() != hidden || ffn_norm.len() != hidden {
				candle_core::bail!("block {l}'s norms do not fit a {hidden}-wide model");
			}
			blocks.push(Layer {
				attn_norm,
				qkv,
				out,
				ffn_norm,
				gate_up,
				down,
				keys: Vec::new(),
				values: Vec::new(),
			});
		}
		if embeddings.cols() != hidden
			|| output.as_ref().is_some_and(|o| o.cols() != hidden || o.rows() != config.vocab)
			|| norm.len() != hidden
		{
			candle_core::bail!("the embeddings or output do not fit a {hidden}-wide model");
		}
		let head_dim = config.head_dim();
		let theta = (0..head_dim)
			.step_by(2)
			.map(|i| 1.0 / libm::powf(rope_base, i as f32 / head_dim as f32))
			.collect();
		Ok(Self {
			config,
			embeddings,
			output,
			norm,
			layers: blocks,
			theta,
			len: 0,
			pool: shared_pool()?,
			scratch: Scratch::default(),
		})
	}

	/// The hyperparameters.
	pub fn config(&self) -> &Config {
		&self.config
	}

	/// Positions held in the key/value cache.
	pub fn cached(&self) -> usize {
		self.len
	}

	/// Makes room in the key/value cache for `positions` positions in all (e.g. the prompt plus
	/// the tokens to generate), so that it is allocated once rather than grown by doubling.
	pub fn reserve(&mut self, positions: usize) {
		let want = positions.saturating_sub(self.len) * self.config.kv_dim();
		for layer in &mut self.layers {
			layer.keys.reserve_exact(want);
			layer.values.reserve_exact(want);
		}
	}

	/// Empties the key/value cache and frees its memory.
	pub fn clear(&mut self) {
		self.len = 0;
		for layer in &mut self.layers {
			layer.keys = Vec::new();
			layer.values = Vec::new();
		}
	}

	/// Runs `ids` (at positions `cached()..cached() + ids.len()`) through the model, adds them to
	/// the cache, and returns the logits (one per vocabulary entry) for the token after the last.
	/// Errors on an empty input or a token id outside the vocabulary.
	pub fn forward(&mut self, ids: &[u32]) -> candle_core::Result<Vec<f32>> {
		if ids.is_empty() {
			candle_core::bail!("no tokens to run");
		}
		if let Some(&bad) = ids.iter().find(|&&id| id as usize >= self.config.vocab) {
			candle_core::bail!("token id {bad} is outside the vocabulary of {}", self.config.vocab);
		}
		let pool = Arc::clone(&self.pool);
		Ok(pool.install(|| self.forward_in_pool(ids)))
	}

	fn forward_in_pool(&mut self, ids: &[u32]) -> Vec<f32> {
		let c = self.config.clone();
		let (m, d, hd, kv) = (ids.len(), c.hidden, c.head_dim(), c.kv_dim());
		let s = &mut self.scratch;
		s.x.resize(m * d, 0.0);
		for (row, &id) in s.x.chunks_exact_mut(d).zip(ids) {
			self.embeddings.row_into(id as usize, row);
		}
		// Rotary angles of the new positions.
		let half = hd / 2;
		s.cos.clear();
		s.sin.clear();
		for p in self.len..self.len + m {
			for &t in &self.theta {
				let angle = p as f32 * t;
				s.cos.push(libm::cosf(angle));
				s.sin.push(libm::sinf(angle));
			}
		}
		let start = self.len;
		for layer in &mut self.layers {
			// Attention.
			rms_norm(&s.x, &layer.attn_norm, c.eps, &mut s.normed);
			s.acts.quantize(&s.normed, m, d);
			let width = layer.qkv.rows();
			s.qkv.resize(m * width, 0.0);
			layer.qkv.matmul(&s.acts, &mut s.qkv, &mut s.transposed);
			for (i, row) in s.qkv.chunks_exact_mut(width).enumerate() {
				let (cos, sin) =
					(&s.cos[i * half..(i + 1) * half], &s.sin[i * half..(i + 1) * half]);
				for head in row[..d + kv].chunks_exact_mut(hd) {
					rope(head, cos, sin);
				}
				layer.keys.extend_from_slice(&row[d..d + kv]);
				layer.values.extend_from_slice(&row[d + kv..]);
			}
			s.attn.resize(m * d, 0.0);
			attention(&c, start, &s.qkv, &layer.keys, &layer.values, &mut s.attn);
			s.acts.quantize(&s.attn, m, d);
			s.proj.resize(m * d, 0.0);
			layer.out.matmul(&s.acts, &mut s.proj, &mut s.transposed);
			for (x, p) in s.x.iter_mut().zip(&s.proj) {
				*x += p;
			}
			// SwiGLU MLP.
			rms_norm(&s.x, &layer.ffn_norm, c.eps, &mut s.normed);
			s.acts.quantize(&s.normed, m, d);
			let ffn = layer.down.cols();
			s.gate_up.resize(m * 2 * ffn, 0.0);
			layer.gate_up.matmul(&s.acts, &mut s.gate_up, &mut s.transposed);
			s.hidden.resize(m * ffn, 0.0);
			swiglu(&s.gate_up, ffn, &mut s.hidden);
			s.acts.quantize(&s.hidden, m, ffn);
			layer.down.matmul(&s.acts, &mut s.proj, &mut s.transposed);
			for (x, p) in s.x.iter_mut().zip(&s.proj) {
				*x += p;
			}
		}
		self.len += m;
		// The last position only: final norm and output projection.
		rms_norm(&s.x[(m - 1) * d..], &self.norm, c.eps, &mut s.normed);
		s.acts.quantize(&s.normed, 1, d);
		let output = self.output.as_ref().unwrap_or(&self.embeddings);
		let mut logits = vec![0.0; output.rows()];
		output.matmul(&s.acts, &mut logits, &mut s.transposed);
		logits
	}
}

/// `out = x / sqrt(mean(x²) + eps) · weight`, row by row (`weight.len()` values a row).
fn rms_norm(x: &[f32], weight: &[f32], eps: f32, out: &mut Vec<f32>) {
	out.clear();
	for row in x.chunks_exact(weight.len()) {
		// As candle's `rms_norm` orders it, so that the two agree to the bit.
		let rms = (row.iter().map(|v| v * v).sum::<f32>() / row.len() as f32 + eps).sqrt();
		out.extend(row.iter().zip(weight).map(|(v, w)| v / rms * w));
	}
}

/// `out = silu(gate) · up` for each row of `gate_up` (`[gate | up]`, `2 · ffn` values a row),
/// element by element; a prompt's rows split over the current rayon pool (one token's are too
/// few to gain).
fn swiglu(gate_up: &[f32], ffn: usize, out: &mut [f32]) {
	let row = |(out, row): (&mut [f32], &[f32])| {
		let (gate, up) = row.split_at(ffn);
		for ((o, &g), &u) in out.iter_mut().zip(gate).zip(up) {
			*o = g / (1.0 + libm::expf(-g)) * u;
		}
	};
	if out.len() < 4 * ffn {
		out.chunks_mut(ffn).zip(gate_up.chunks(2 * ffn)).for_each(row);
	} else {
		out.par_chunks_mut(ffn).zip(gate_up.par_chunks(2 * ffn)).for_each(row);
	}
}

/// Rotates the pairs `(x[2i], x[2i+1])` of one head by the position's angles.
fn rope(x: &mut [f32], cos: &[f32], sin: &[f32]) {
	for ((pair, &c), &s) in x.chunks_exact_mut(2).zip(cos).zip(sin) {
		let (a, b) = (pair[0], pair[1]);
		pair[0] = a * c - b * s;
		pair[1] = a * s + b * c;
	}
}

/// Causal attention of the new rows' queries (in `qkv`, `m` rows) over every cached position up
/// to their own; `out` is `m × hidden`, heads side by side. Split over (row, head) pairs.
fn attention(c: &Config, start: usize, qkv: &[f32], keys: &[f32], values: &[f32], out: &mut [f32]) {
	let (d, hd, kv) = (c.hidden, c.head_dim(), c.kv_dim());
	let width = d + 2 * kv;
	let group = c.heads / c.kv_heads;
	let root = (hd as f32).sqrt();
	out.par_chunks_mut(hd).enumerate().for_each_init(
		Vec::new,
		|scores: &mut Vec<f32>, (item, out)| {
			let (i, head) = (item / c.heads, item % c.heads);
			let q = &qkv[i * width + head * hd..i * width + (head + 1) * hd];
			let g = head / group;
			let positions = start + i + 1;
			scores.clear();
			let mut max = f32::NEG_INFINITY;
			for p in 0..positions {
				let k = &keys[p * kv + g * hd..p * kv + (g + 1) * hd];
				let s = q.iter().zip(k).map(|(a, b)| a * b).sum::<f32>() / root;
				max = max.max(s);
				scores.push(s);
			}
			let mut sum = 0.0;
			for s in scores.iter_mut() {
				*s = libm::expf(*s - max);
				sum += *s;
			}
			out.fill(0.0);
			for (p, &w) in scores.iter().enumerate() {
				let v = &values[p * kv + g * hd..p * kv + (g + 1) * hd];
				let w = w / sum;
				for (o, &v) in out.iter_mut().zip(v) {
					*o += w * v;
				}
			}
		},
	);
}

#[cfg(test)]
mod tests {
	use candle_core::{Device, Tensor};
	use rand::{Rng, SeedableRng};

	use super::*;

	fn random(n: usize, seed: u64) -> Vec<f32> {
		let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
		(0..n).map(|_| rng.gen_range(-2.0f32..2.0)).collect()
	}

	fn close(a: &[f32], b: &[f32], what: &str) {
		assert_eq!(a.len(), b.len(), "{what}");
		for (i, (x, y)) in a.iter().zip(b).enumerate() {
			assert!(
				(x - y).abs() <= 1e-5 * (1.0 + y.abs()),
				"{what}[{i}]: {x} against candle's {y}"
			);
		}
	}

	fn tensor(v: &[f32], shape: &[usize]) -> Tensor {
		Tensor::from_slice(v, shape, &Device::Cpu).unwrap()
	}

	#[test]
	fn rms_norm_is_candles() {
		let (rows, width) = (3, 64);
		let x = random(rows * width, 1);
		let w = random(width, 2);
		let mut ours = Vec::new();
		rms_norm(&x, &w, 1e-5, &mut ours);
		let theirs =
			candle_nn::ops::rms_norm(&tensor(&x, &[rows, width]), &tensor(&w, &[width]), 1e-5)
				.unwrap()
				.flatten_all()
				.unwrap()
				.to_vec1::<f32>()
				.unwrap();
		close(&ours, &theirs, "rms_norm");
	}

	/// ggml's interleaved rotary embedding, as candle's `rope_i` computes it.
	#[test]
	fn rope_is_candles_rope_i() {
		let (hd, positions) = (8, 5);
		let theta: Vec<f32> =
			(0..hd).step_by(2).map(|i| 1.0 / 10_000f32.powf(i as f32 / hd as f32)).collect();
		let (mut cos, mut sin) = (Vec::new(), Vec::new());
		for p in 0..positions {
			for &t in &theta {
				cos.push((p as f32 * t).cos());
				sin.push((p as f32 * t).sin());
			}
		}
		let x = random(positions * hd, 3);
		let mut ours = x.clone();
		for (p, head) in ours.chunks_exact_mut(hd).enumerate() {
			rope(head, &cos[p * hd / 2..(p + 1) * hd / 2], &sin[p * hd / 2..(p + 1) * hd / 2]);
		}
		let theirs = candle_nn::rotary_emb::rope_i(
			&tensor(&x, &[1, 1, positions, hd]),
			&tensor(&cos, &[positions, hd / 2]),
			&tensor(&sin, &[positions, hd / 2]),
		)
		.unwrap()
		.flatten_all()
		.unwrap()
		.to_vec1::<f32>()
		.unwrap();
		close(&ours, &theirs, "rope");
	}

	/// Causal grouped-query attention of 3 new rows after 2 cached positions, against candle's
	/// ops as `quantized_llama` chains them (scaled scores, softmax, weighted values; query head
	/// `h` reads key/value head `h / (heads / kv_heads)`).
	#[test]
	fn attention_is_candles() {
		let c = Config {
			hidden: 16,
			layers: 1,
			heads: 4,
			kv_heads: 2,
			eps: 1e-5,
			rope_base: 1e4,
			vocab: 1,
		};
		let (hd, kv, start, m) = (c.head_dim(), c.kv_dim(), 2, 3);
		let width = c.hidden + 2 * kv;
		let qkv = random(m * width, 4);
		let keys = random((start + m) * kv, 5);
		let values = random((start + m) * kv, 6);
		let mut ours = vec![0.0; m * c.hidden];
		attention(&c, start, &qkv, &keys, &values, &mut ours);
		let mut theirs = Vec::new();
		for i in 0..m {
			for h in 0..c.heads {
				let g = h / (c.heads / c.kv_heads);
				let n = start + i + 1;
				let q = tensor(&qkv[i * width + h * hd..i * width + (h + 1) * hd], &[1, hd]);
				let pick = |all: &[f32]| -> Vec<f32> {
					(0..n)
						.flat_map(|p| all[p * kv + g * hd..p * kv + (g + 1) * hd].to_vec())
						.collect()
				};
				let k = tensor(&pick(&keys), &[n, hd]);
				let v = tensor(&pick(&values), &[n, hd]);
				let scores = (q.matmul(&k.t().unwrap()).unwrap() / (hd as f64).sqrt()).unwrap();
				let weights = candle_nn::ops::softmax_last_dim(&scores).unwrap();
				theirs.extend(
					weights.matmul(&v).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap(),
				);
			}
		}
		close(&ours, &theirs, "attention");
	}
}
