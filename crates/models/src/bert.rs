//! A BERT encoder run over packed, padding-free batches: the forward pass of candle's BERT
//! (`candle-transformers` 0.11.1, `src/models/bert.rs`, Apache-2.0/MIT), adapted for speed on
//! the CPU and giving the same hidden states for every real token.
//!
//! # Design
//!
//! candle's `BertModel::forward` takes a padded `(batch, longest)` batch and masks the padding
//! out of the attention. Here the texts of a batch are instead packed one after another into a
//! `(tokens, hidden)` matrix:
//!
//! - every dense layer (the bulk of the work) runs once over the packed matrix, so no time goes
//!   to padding (a third of a batch of Lee documents);
//! - attention runs text by text on its rows alone, so there is no mask to add;
//! - query, key and value are one matrix product (their weights concatenated at load time), with
//!   the `1/sqrt(head_dim)` score scale folded into the query weights;
//! - weights are stored transposed, `(in, out)`, and the keys transposed before `Q Kᵀ`: candle's
//!   CPU matrix product (the `gemm` crate) is several times slower on a few rows times a
//!   transposed right-hand side, which is what `candle_nn::Linear` computes;
//! - the softmax is candle's fused `softmax_last_dim` kernel instead of five separate ops;
//! - each dense layer's bias, and its GELU or residual, are added in place in one pass over
//!   its output ([`epilogue_in_place`]) instead of one new tensor per step; the exact (erf) GELU
//!   there uses a vectorisable rational approximation of erf ([`erf`]) instead of candle's
//!   scalar `libm::erff`.
//!
//! The weights are read through the same `candle_nn` constructors and names as candle's BERT, so
//! a `VarBuilder` (real or random) gives both models the same weights.

use candle_core::{CpuStorage, DType, Device, InplaceOp2, InplaceOp3, Layout, Module, Tensor};
use candle_nn::{embedding, layer_norm, linear, LayerNorm, Linear, VarBuilder};
use candle_transformers::models::bert::{Config, HiddenAct};

/// The encoder: embeddings, then `num_hidden_layers` transformer layers.
pub struct PackedBert {
	word: Tensor,
	position: Tensor,
	/// Token type 0's embedding, `(1, hidden)`: every token is of type 0.
	token_type: Tensor,
	embed_norm: LayerNorm,
	layers: Vec<Layer>,
	heads: usize,
	head_dim: usize,
	act: HiddenAct,
}

/// One transformer layer.
struct Layer {
	/// Query (pre-scaled), key and value, `hidden -> 3 * hidden`.
	qkv: Dense,
	attn_out: Dense,
	attn_norm: LayerNorm,
	up: Dense,
	down: Dense,
	out_norm: LayerNorm,
}

/// A linear layer with its weight stored transposed, `(in, out)` and contiguous: candle's
/// matrix product of a few rows by a transposed `(out, in)` weight (what `candle_nn::Linear`
/// does) is up to 4 times slower.
struct Dense {
	weight_t: Tensor,
	bias: Tensor,
}

impl Dense {
	/// `weight` `(out, in)` and `bias` `(out)` as a checkpoint stores them.
	fn new(weight: &Tensor, bias: Option<&Tensor>) -> candle_core::Result<Self> {
		let Some(bias) = bias else { candle_core::bail!("BERT's linear layers have biases") };
		Ok(Self { weight_t: weight.t()?.contiguous()?, bias: bias.clone() })
	}

	fn from_linear(layer: &Linear) -> candle_core::Result<Self> {
		Self::new(layer.weight(), layer.bias())
	}
}

impl PackedBert {
	/// The encoder of `config` with weights from `vb`, named as in a Hugging Face BERT checkpoint
	/// (`embeddings.*`, `encoder.layer.N.*`), directly or under `{model_type}.` as candle's
	/// `BertModel::load` looks for them.
	pub fn load(vb: VarBuilder<'_>, config: &Config) -> candle_core::Result<Self> {
		match Self::load_at(vb.clone(), config) {
			Ok(model) => Ok(model),
			Err(err) => match &config.model_type {
				Some(prefix) => Self::load_at(vb.pp(prefix), config).map_err(|_| err),
				None => Err(err),
			},
		}
	}

	fn load_at(vb: VarBuilder<'_>, config: &Config) -> candle_core::Result<Self> {
		let h = config.hidden_size;
		let heads = config.num_attention_heads;
		if heads == 0 || !h.is_multiple_of(heads) {
			candle_core::bail!("hidden size {h} is not a multiple of {heads} attention heads");
		}
		let head_dim = h / heads;
		let eps = config.layer_norm_eps;
		let e = vb.pp("embeddings");
		let word = embedding(config.vocab_size, h, e.pp("word_embeddings"))?.embeddings().clone();
		let position = embedding(config.max_position_embeddings, h, e.pp("position_embeddings"))?
			.embeddings()
			.clone();
		let token_type = embedding(config.type_vocab_size, h, e.pp("token_type_embeddings"))?
			.embeddings()
			.narrow(0, 0, 1)?;
		let embed_norm = layer_norm(h, eps, e.pp("LayerNorm"))?;
		let scale = 1.0 / (head_dim as f64).sqrt();
		let layers = (0..config.num_hidden_layers)
			.map(|i| {
				let l = vb.pp(format!("encoder.layer.{i}"));
				let a = l.pp("attention");
				let q = linear(h, h, a.pp("self").pp("query"))?;
				let k = linear(h, h, a.pp("self").pp("key"))?;
				let v = linear(h, h, a.pp("self").pp("value"))?;
				let qkv = fuse_qkv(&q, &k, &v, scale)?;
				let i = config.intermediate_size;
				Ok(Layer {
					qkv,
					attn_out: Dense::from_linear(&linear(h, h, a.pp("output").pp("dense"))?)?,
					attn_norm: layer_norm(h, eps, a.pp("output").pp("LayerNorm"))?,
					up: Dense::from_linear(&linear(h, i, l.pp("intermediate").pp("dense"))?)?,
					down: Dense::from_linear(&linear(i, h, l.pp("output").pp("dense"))?)?,
					out_norm: layer_norm(h, eps, l.pp("output").pp("LayerNorm"))?,
				})
			})
			.collect::<candle_core::Result<Vec<_>>>()?;
		Ok(Self {
			word,
			position,
			token_type,
			embed_norm,
			layers,
			heads,
			head_dim,
			act: config.hidden_act,
		})
	}

	/// The last hidden states of `texts` (token ids, none empty), packed: `(total tokens,
	/// hidden)`, the rows of each text following those of the one before.
	pub fn forward(&self, texts: &[&[u32]]) -> candle_core::Result<Tensor> {
		let device = self.word.device();
		let lens: Vec<usize> = texts.iter().map(|t| t.len()).collect();
		if lens.contains(&0) {
			candle_core::bail!("cannot encode an empty token sequence");
		}
		let ids: Vec<u32> = texts.iter().flat_map(|t| t.iter().copied()).collect();
		let positions: Vec<u32> = lens.iter().flat_map(|&n| 0..n as u32).collect();
		let ids = Tensor::new(ids.as_slice(), device)?;
		let positions = Tensor::new(positions.as_slice(), device)?;
		let x = self
			.word
			.index_select(&ids, 0)?
			.add(&self.position.index_select(&positions, 0)?)?
			.broadcast_add(&self.token_type)?;
		let mut x = self.embed_norm.forward(&x)?;
		for layer in &self.layers {
			x = self.layer(layer, &x, &lens)?;
		}
		Ok(x)
	}

	fn layer(&self, layer: &Layer, x: &Tensor, lens: &[usize]) -> candle_core::Result<Tensor> {
		let qkv = dense(&layer.qkv, x, Epilogue::Bias, None)?;
		let context = self.attention(&qkv, lens)?;
		let x = dense(&layer.attn_out, &context, Epilogue::BiasResidual, Some(x))?;
		let x = layer.attn_norm.forward(&x)?;
		let hidden = match self.act {
			HiddenAct::Gelu => dense(&layer.up, &x, Epilogue::BiasGelu, None)?,
			HiddenAct::GeluApproximate => dense(&layer.up, &x, Epilogue::Bias, None)?.gelu()?,
			HiddenAct::Relu => dense(&layer.up, &x, Epilogue::Bias, None)?.relu()?,
		};
		let out = dense(&layer.down, &hidden, Epilogue::BiasResidual, Some(&x))?;
		layer.out_norm.forward(&out)
	}

	/// Self-attention text by text over the packed `(tokens, 3 * hidden)` query-key-value rows:
	/// the `(tokens, hidden)` context.
	fn attention(&self, qkv: &Tensor, lens: &[usize]) -> candle_core::Result<Tensor> {
		let (heads, d) = (self.heads, self.head_dim);
		let mut contexts = Vec::with_capacity(lens.len());
		let mut offset = 0;
		for &n in lens {
			// (n, 3, heads, d) -> three (heads, n, d)
			let rows = qkv.narrow(0, offset, n)?.reshape((n, 3, heads, d))?;
			let part = |i: usize| rows.narrow(1, i, 1)?.squeeze(1);
			let q = part(0)?.transpose(0, 1)?.contiguous()?;
			// Kᵀ made contiguous, (heads, d, n): a transposed right-hand side is slow (see Dense).
			let k_t = part(1)?.permute((1, 2, 0))?.contiguous()?;
			let v = part(2)?.transpose(0, 1)?.contiguous()?;
			let probs = candle_nn::ops::softmax_last_dim(&q.matmul(&k_t)?)?;
			let context = probs.matmul(&v)?.transpose(0, 1)?.reshape((n, heads * d))?;
			contexts.push(context);
			offset += n;
		}
		Tensor::cat(&contexts, 0)
	}
}

/// Query, key and value as one linear layer, the query's weight and bias multiplied by `scale`.
fn fuse_qkv(q: &Linear, k: &Linear, v: &Linear, scale: f64) -> candle_core::Result<Dense> {
	let weight = Tensor::cat(&[(q.weight() * scale)?, k.weight().clone(), v.weight().clone()], 0)?;
	let bias = match (q.bias(), k.bias(), v.bias()) {
		(Some(qb), Some(kb), Some(vb)) => {
			Some(Tensor::cat(&[(qb * scale)?, kb.clone(), vb.clone()], 0)?)
		},
		_ => candle_core::bail!("BERT's query, key and value need biases"),
	};
	Dense::new(&weight, bias.as_ref())
}

/// What [`dense`] does after its matrix product, in place on the CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Epilogue {
	/// `x + bias`.
	Bias,
	/// `gelu(x + bias)`, the exact (erf) GELU.
	BiasGelu,
	/// `x + bias + residual`.
	BiasResidual,
}

/// A linear layer followed by `epilogue`: `x W^T` by candle's matrix product, then the bias
/// (and the GELU or the residual) added in place in one pass over the output, where candle's
/// `Linear` and the ops after it make one new tensor per step, each on candle's element-wise
/// thread pool (whose spinning workers compete with the matrix product's for 2 cores).
fn dense(
	layer: &Dense,
	x: &Tensor,
	epilogue: Epilogue,
	residual: Option<&Tensor>,
) -> candle_core::Result<Tensor> {
	let y = x.matmul(&layer.weight_t)?;
	let bias = &layer.bias;
	let cpu_f32 = matches!(y.device(), Device::Cpu) && y.dtype() == DType::F32;
	match (epilogue, residual) {
		(Epilogue::BiasResidual, Some(r)) if cpu_f32 && r.is_contiguous() => {
			y.inplace_op3(bias, r, &InPlace(epilogue))?;
			Ok(y)
		},
		(Epilogue::BiasResidual, Some(r)) => y.broadcast_add(bias)?.add(r),
		(Epilogue::BiasResidual, None) => candle_core::bail!("a residual is needed"),
		(_, _) if cpu_f32 => {
			y.inplace_op2(bias, &InPlace(epilogue))?;
			Ok(y)
		},
		(Epilogue::Bias, _) => y.broadcast_add(bias),
		(Epilogue::BiasGelu, _) => y.broadcast_add(bias)?.gelu_erf(),
	}
}

/// [`dense`]'s epilogue as a candle in-place op.
struct InPlace(Epilogue);

/// The contiguous f32 values of a CPU tensor's storage.
fn values<'a>(storage: &'a CpuStorage, layout: &Layout) -> candle_core::Result<&'a [f32]> {
	match (storage, layout.contiguous_offsets()) {
		(CpuStorage::F32(v), Some((start, end))) => Ok(&v[start..end]),
		_ => candle_core::bail!("bert epilogue: needs contiguous f32"),
	}
}

/// [`values`], mutable.
fn values_mut<'a>(
	storage: &'a mut CpuStorage,
	layout: &Layout,
) -> candle_core::Result<&'a mut [f32]> {
	match (storage, layout.contiguous_offsets()) {
		(CpuStorage::F32(v), Some((start, end))) => Ok(&mut v[start..end]),
		_ => candle_core::bail!("bert epilogue: needs contiguous f32"),
	}
}

impl InplaceOp2 for InPlace {
	fn name(&self) -> &'static str {
		"bert-epilogue"
	}

	fn cpu_fwd(
		&self,
		x: &mut CpuStorage,
		xl: &Layout,
		bias: &CpuStorage,
		bl: &Layout,
	) -> candle_core::Result<()> {
		let bias = values(bias, bl)?;
		let x = values_mut(x, xl)?;
		epilogue_in_place(self.0, x, bias, None)
	}
}

impl InplaceOp3 for InPlace {
	fn name(&self) -> &'static str {
		"bert-epilogue-residual"
	}

	fn cpu_fwd(
		&self,
		x: &mut CpuStorage,
		xl: &Layout,
		bias: &CpuStorage,
		bl: &Layout,
		residual: &CpuStorage,
		rl: &Layout,
	) -> candle_core::Result<()> {
		let (bias, residual) = (values(bias, bl)?, values(residual, rl)?);
		let x = values_mut(x, xl)?;
		epilogue_in_place(self.0, x, bias, Some(residual))
	}
}

/// Rows of at least this many values in all are split across threads.
const PARALLEL_MIN: usize = 1 << 16;

/// Applies `epilogue` to `x`, rows of `bias.len()` values (and `residual`, the same shape as
/// `x`, for [`Epilogue::BiasResidual`]), split by rows across candle's thread count.
pub fn epilogue_in_place(
	epilogue: Epilogue,
	x: &mut [f32],
	bias: &[f32],
	residual: Option<&[f32]>,
) -> candle_core::Result<()> {
	let width = bias.len();
	if width == 0 || !x.len().is_multiple_of(width) {
		candle_core::bail!("bert epilogue: {} values are not rows of {width}", x.len());
	}
	if residual.is_some_and(|r| r.len() != x.len())
		|| (epilogue == Epilogue::BiasResidual && residual.is_none())
	{
		candle_core::bail!("bert epilogue: the residual does not match");
	}
	let rows = x.len() / width;
	let threads = candle_core::utils::get_num_threads().clamp(1, rows.max(1));
	if threads == 1 || x.len() < PARALLEL_MIN {
		rows_in_place(epilogue, x, bias, residual);
		return Ok(());
	}
	let chunk = rows.div_ceil(threads) * width;
	std::thread::scope(|scope| {
		let mut parts = x.chunks_mut(chunk).enumerate();
		let first = parts.next();
		for (i, part) in parts {
			let residual = residual.map(|r| &r[i * chunk..i * chunk + part.len()]);
			scope.spawn(move || rows_in_place(epilogue, part, bias, residual));
		}
		if let Some((_, part)) = first {
			rows_in_place(epilogue, part, bias, residual.map(|r| &r[..part.len()]));
		}
	});
	Ok(())
}

/// [`epilogue_in_place`] on one thread; compiled for AVX2 and FMA as well, and that version used
/// where the CPU has them (the default target has only SSE2).
fn rows_in_place(epilogue: Epilogue, x: &mut [f32], bias: &[f32], residual: Option<&[f32]>) {
	#[cfg(target_arch = "x86_64")]
	{
		if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
		{
			// SAFETY: the CPU has just been checked to support AVX2 and FMA.
			unsafe { rows_avx2(epilogue, x, bias, residual) };
			return;
		}
	}
	rows_generic(epilogue, x, bias, residual);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn rows_avx2(epilogue: Epilogue, x: &mut [f32], bias: &[f32], residual: Option<&[f32]>) {
	rows_generic(epilogue, x, bias, residual);
}

#[inline(always)]
fn rows_generic(epilogue: Epilogue, x: &mut [f32], bias: &[f32], residual: Option<&[f32]>) {
	let width = bias.len();
	match (epilogue, residual) {
		(Epilogue::Bias, _) => {
			for row in x.chunks_exact_mut(width) {
				for (v, b) in row.iter_mut().zip(bias) {
					*v += b;
				}
			}
		},
		(Epilogue::BiasGelu, _) => {
			for row in x.chunks_exact_mut(width) {
				for (v, b) in row.iter_mut().zip(bias) {
					*v = gelu(*v + b);
				}
			}
		},
		(Epilogue::BiasResidual, Some(residual)) => {
			for (row, res) in x.chunks_exact_mut(width).zip(residual.chunks_exact(width)) {
				for ((v, b), r) in row.iter_mut().zip(bias).zip(res) {
					*v += b + r;
				}
			}
		},
		(Epilogue::BiasResidual, None) => {},
	}
}

/// The exact GELU, `x (1 + erf(x / sqrt 2)) / 2`, with [`erf`].
#[inline(always)]
pub fn gelu(x: f32) -> f32 {
	0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

/// The error function to f32 precision (a few ulp): `x P(x²) / Q(x²)` on `x` clamped to
/// `[-4, 4]` (outside it erf is ±1 in f32), with the coefficients of Eigen's
/// `generic_fast_erf_float`. Branch-free, so a loop over it vectorises.
#[inline(always)]
pub fn erf(x: f32) -> f32 {
	const ALPHA: [f32; 7] = [
		-2.726_142_3e-10,
		2.770_681_4e-8,
		-2.101_024e-6,
		-5.692_506_4e-5,
		-7.349_906_3e-4,
		-2.954_6e-3,
		-1.609_603_3e-2,
	];
	const BETA: [f32; 5] =
		[-1.456_607_2e-5, -2.133_740_6e-4, -1.682_827e-3, -7.373_329_3e-3, -1.426_474e-2];
	let x = x.clamp(-4.0, 4.0);
	let x2 = x * x;
	let mut p = ALPHA[0];
	for a in &ALPHA[1..] {
		p = p.mul_add(x2, *a);
	}
	let mut q = BETA[0];
	for b in &BETA[1..] {
		q = q.mul_add(x2, *b);
	}
	x * p / q
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn erf_matches_libm_to_f32_precision() {
		let mut worst = 0f32;
		for i in -100_000..=100_000 {
			let x = i as f32 * 6e-5;
			let want = Tensor::new(&[x], &Device::Cpu)
				.and_then(|t| t.erf())
				.and_then(|t| t.to_vec1::<f32>())
				.expect("erf")[0];
			worst = worst.max((erf(x) - want).abs());
		}
		assert!(worst < 5e-7, "max |erf - libm erff| = {worst:e}");
	}

	#[test]
	fn gelu_matches_candle() {
		let xs: Vec<f32> = (-4000..4000).map(|i| i as f32 * 2.5e-3).collect();
		let want = Tensor::new(xs.as_slice(), &Device::Cpu)
			.and_then(|t| t.gelu_erf())
			.and_then(|t| t.to_vec1::<f32>())
			.expect("gelu");
		let mut got = xs.clone();
		epilogue_in_place(Epilogue::BiasGelu, &mut got, &[0.0; 8], None).expect("gelu");
		for ((x, g), w) in xs.iter().zip(&got).zip(&want) {
			assert!((g - w).abs() <= 1e-6 * (1.0 + w.abs()), "gelu({x}) = {g}, candle {w}");
		}
	}

	#[test]
	fn epilogues_match_candle_ops() {
		// Big enough to be split across threads, rows not a multiple of the thread count.
		let (rows, width) = (301, 384);
		let x: Vec<f32> =
			(0..rows * width).map(|i| ((i * 7919) % 1000) as f32 * 6e-3 - 3.0).collect();
		let bias: Vec<f32> = (0..width).map(|i| (i % 17) as f32 * 0.1 - 0.8).collect();
		let res: Vec<f32> =
			(0..rows * width).map(|i| ((i * 104_729) % 997) as f32 * 1e-3).collect();
		let dev = &Device::Cpu;
		let t = |v: &[f32], shape: (usize, usize)| Tensor::from_slice(v, shape, dev).expect("t");
		let (xt, bt, rt) = (t(&x, (rows, width)), t(&bias, (1, width)), t(&res, (rows, width)));
		let biased = xt.broadcast_add(&bt).expect("add");
		for (epilogue, want) in [
			(Epilogue::Bias, biased.clone()),
			(Epilogue::BiasGelu, biased.gelu_erf().expect("gelu")),
			(Epilogue::BiasResidual, biased.add(&rt).expect("add")),
		] {
			let want = want.flatten_all().and_then(|w| w.to_vec1::<f32>()).expect("want");
			let mut got = x.clone();
			let residual = (epilogue == Epilogue::BiasResidual).then_some(res.as_slice());
			epilogue_in_place(epilogue, &mut got, &bias, residual).expect("epilogue");
			for (g, w) in got.iter().zip(&want) {
				assert!((g - w).abs() <= 1e-6 * (1.0 + w.abs()), "{epilogue:?}: {g} vs {w}");
			}
		}
		assert!(epilogue_in_place(Epilogue::BiasResidual, &mut [0.0; 4], &[0.0; 2], None).is_err());
		assert!(epilogue_in_place(Epilogue::Bias, &mut [0.0; 5], &[0.0; 2], None).is_err());
	}
}
