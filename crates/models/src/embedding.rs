//! Sentence embeddings with a BERT encoder (all-MiniLM-L6-v2): token embeddings averaged over the
//! attention mask, then L2-normalised, as sentence-transformers does.

use std::{fmt, path::Path, str::FromStr};

use candle_core::{DType, Device, Shape, Tensor};
use candle_nn::{Init, VarBuilder};
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{Tokenizer, TruncationParams};

use crate::{assets::require_file, bert::PackedBert, ModelError, Result};

/// Sentences are truncated to this many tokens (special tokens included), as
/// sentence-transformers does for all-MiniLM-L6-v2.
pub const MAX_TOKENS: usize = 256;

/// Sentences are run through the model this many at a time.
pub const BATCH_SIZE: usize = 32;

/// Which model to build from the weights: the real one, or a deliberately worse one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Variant {
	/// The model as trained.
	#[default]
	Full,
	/// Only the first N encoder layers (0 keeps just the embedding layer): a deliberately worse
	/// model.
	Layers(usize),
	/// The same architecture with randomly initialised weights (normal with the config's
	/// `initializer_range`, biases 0, layer norms 1), deterministic in the seed.
	Random {
		/// The seed of the weights.
		seed: u64,
	},
}

impl fmt::Display for Variant {
	/// `full`, `layers:N` or `random:SEED`, as [`Variant::from_str`] reads.
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			Self::Full => write!(f, "full"),
			Self::Layers(n) => write!(f, "layers:{n}"),
			Self::Random { seed } => write!(f, "random:{seed}"),
		}
	}
}

impl FromStr for Variant {
	type Err = ModelError;

	/// `full`, `layers:N` (or `layers=N`), `random` (seed 0) or `random:SEED`.
	fn from_str(s: &str) -> Result<Self> {
		let s = s.trim().to_ascii_lowercase();
		let (kind, arg) = match s.split_once([':', '=']) {
			Some((k, a)) => (k, Some(a)),
			None => (s.as_str(), None),
		};
		let number = |a: &str| {
			a.trim().parse::<u64>().map_err(|_| {
				ModelError::Input(format!("bad model variant {s:?}: {a:?} is not a number"))
			})
		};
		match (kind, arg) {
			("full", None) => Ok(Self::Full),
			("layers", Some(n)) => Ok(Self::Layers(number(n)? as usize)),
			("random", None) => Ok(Self::Random { seed: 0 }),
			("random", Some(seed)) => Ok(Self::Random { seed: number(seed)? }),
			_ => Err(ModelError::Input(format!(
				"bad model variant {s:?}: use full, layers:N or random[:SEED]"
			))),
		}
	}
}

/// The encoder an [`Embedder`] runs.
enum Encoder {
	/// [`PackedBert`]: padding-free batches and fused kernels.
	Packed(PackedBert),
	/// candle's own `BertModel` over padded batches: the reference the packed encoder is checked
	/// and benchmarked against.
	Reference(BertModel),
}

/// A BERT sentence embedder.
pub struct Embedder {
	encoder: Encoder,
	tokenizer: Tokenizer,
	device: Device,
	name: String,
	dim: usize,
	pad_id: u32,
}

impl fmt::Debug for Embedder {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		f.debug_struct("Embedder")
			.field("name", &self.name)
			.field("dim", &self.dim)
			.field("device", &self.device)
			.finish_non_exhaustive()
	}
}

/// The model's name for a Hugging Face directory: Agora's asset directory `minilm` holds
/// all-MiniLM-L6-v2; any other directory is named after itself.
fn base_name(dir: &Path) -> String {
	let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
	match dir.file_name().and_then(|n| n.to_str()) {
		Some("minilm") => "all-MiniLM-L6-v2".to_string(),
		Some(name) => name.to_string(),
		None => "bert".to_string(),
	}
}

fn load_error(what: &Path, why: impl fmt::Display) -> ModelError {
	ModelError::Load { what: what.display().to_string(), why: why.to_string() }
}

impl Embedder {
	/// The model in `dir` (Hugging Face layout: `config.json`, `model.safetensors`,
	/// `tokenizer.json`), built as `variant` says, on `device`.
	///
	/// [`Variant::Random`] does not read `model.safetensors`.
	pub fn load(dir: &Path, device: &Device, variant: Variant) -> Result<Self> {
		Self::load_with(dir, device, variant, false)
	}

	/// [`Embedder::load`] with candle's own `BertModel` over padded batches, the implementation
	/// before [`crate::bert`]: for benchmarks and agreement checks only.
	#[doc(hidden)]
	pub fn load_reference(dir: &Path, device: &Device, variant: Variant) -> Result<Self> {
		Self::load_with(dir, device, variant, true)
	}

	fn load_with(dir: &Path, device: &Device, variant: Variant, reference: bool) -> Result<Self> {
		let config_path = dir.join("config.json");
		let tokenizer_path = dir.join("tokenizer.json");
		let weights_path = dir.join("model.safetensors");
		require_file(&config_path)?;
		require_file(&tokenizer_path)?;
		let config_text =
			std::fs::read_to_string(&config_path).map_err(|e| load_error(&config_path, e))?;
		let mut config: Config =
			serde_json::from_str(&config_text).map_err(|e| load_error(&config_path, e))?;
		let tokenizer =
			Tokenizer::from_file(&tokenizer_path).map_err(|e| load_error(&tokenizer_path, e))?;
		let base = base_name(dir);
		match variant {
			Variant::Full | Variant::Layers(_) => {
				let name = match variant {
					Variant::Layers(n) => {
						if n > config.num_hidden_layers {
							return Err(ModelError::Input(format!(
								"{base} has {} layers, cannot keep {n}",
								config.num_hidden_layers
							)));
						}
						config.num_hidden_layers = n;
						format!("{base} ({n} layer{})", if n == 1 { "" } else { "s" })
					},
					_ => base,
				};
				require_file(&weights_path)?;
				let bytes =
					std::fs::read(&weights_path).map_err(|e| load_error(&weights_path, e))?;
				let vb = VarBuilder::from_buffered_safetensors(bytes, DType::F32, device)
					.map_err(|e| load_error(&weights_path, e))?;
				Self::build(&config, vb, tokenizer, name, reference)
			},
			Variant::Random { seed } => {
				let init = SeededInit { seed, stdev: config.initializer_range };
				let vb = VarBuilder::from_backend(Box::new(init), DType::F32, device.clone());
				Self::build(&config, vb, tokenizer, format!("{base} (random)"), reference)
			},
		}
	}

	/// An embedder of the BERT described by `config`, with weights from `vb` (tensor names with
	/// or without a `bert.` prefix) and `tokenizer` (its padding and truncation settings are
	/// replaced: padding per batch, truncation at [`MAX_TOKENS`]).
	pub fn from_parts(
		config: &Config,
		vb: VarBuilder<'_>,
		tokenizer: Tokenizer,
		name: impl Into<String>,
	) -> Result<Self> {
		Self::build(config, vb, tokenizer, name.into(), false)
	}

	/// [`Embedder::from_parts`] with the packed encoder or, if `reference`, candle's own.
	fn build(
		config: &Config,
		vb: VarBuilder<'_>,
		tokenizer: Tokenizer,
		name: String,
		reference: bool,
	) -> Result<Self> {
		let device = vb.device().clone();
		// Both look for `bert.`-prefixed weights under the model type's name.
		let mut config = config.clone();
		config.model_type.get_or_insert_with(|| "bert".to_string());
		let load_error = |e: candle_core::Error| ModelError::Load {
			what: format!("{name} weights"),
			why: e.to_string(),
		};
		let encoder = if reference {
			Encoder::Reference(BertModel::load(vb, &config).map_err(load_error)?)
		} else {
			Encoder::Packed(PackedBert::load(vb, &config).map_err(load_error)?)
		};
		let mut tokenizer = tokenizer;
		let max_length = MAX_TOKENS.min(config.max_position_embeddings);
		tokenizer
			.with_truncation(Some(TruncationParams { max_length, ..Default::default() }))
			.map_err(|e| ModelError::Load {
				what: format!("{name} tokenizer"),
				why: e.to_string(),
			})?;
		tokenizer.with_padding(None);
		let pad_id = tokenizer.token_to_id("[PAD]").unwrap_or(config.pad_token_id as u32);
		Ok(Self { encoder, tokenizer, device, name, dim: config.hidden_size, pad_id })
	}

	/// An embedder of the BERT described by `config` with random weights, deterministic in
	/// `seed` (see [`Variant::Random`]).
	pub fn random(
		config: &Config,
		tokenizer: Tokenizer,
		seed: u64,
		device: &Device,
		name: impl Into<String>,
	) -> Result<Self> {
		let init = SeededInit { seed, stdev: config.initializer_range };
		let vb = VarBuilder::from_backend(Box::new(init), DType::F32, device.clone());
		Self::from_parts(config, vb, tokenizer, name)
	}

	/// Renames the embedder.
	pub fn with_name(mut self, name: impl Into<String>) -> Self {
		self.name = name.into();
		self
	}

	/// The model's name, e.g. `all-MiniLM-L6-v2`, `all-MiniLM-L6-v2 (2 layers)` or
	/// `all-MiniLM-L6-v2 (random)`.
	pub fn name(&self) -> String {
		self.name.clone()
	}

	/// The dimension of the embeddings.
	pub fn dim(&self) -> usize {
		self.dim
	}

	/// The device the model runs on.
	pub fn device(&self) -> &Device {
		&self.device
	}

	/// The embedding of each sentence: the model's last hidden states averaged over the tokens
	/// (padding excluded), L2-normalised. Sentences are truncated at [`MAX_TOKENS`] tokens and
	/// run in batches of [`BATCH_SIZE`] sentences of similar length (packed without padding, see
	/// [`crate::bert`]).
	pub fn embed(&self, sentences: &[String]) -> Result<Vec<Vec<f32>>> {
		if sentences.is_empty() {
			return Ok(Vec::new());
		}
		let inputs: Vec<&str> = sentences.iter().map(String::as_str).collect();
		let encodings = self
			.tokenizer
			.encode_batch(inputs, true)
			.map_err(|e| ModelError::Input(format!("cannot tokenize: {e}")))?;
		let ids: Vec<&[u32]> = encodings.iter().map(|e| e.get_ids()).collect();
		// Similar lengths together: less padding.
		let mut order: Vec<usize> = (0..ids.len()).collect();
		order.sort_by_key(|&i| ids[i].len());
		let mut out = vec![Vec::new(); ids.len()];
		for chunk in order.chunks(BATCH_SIZE) {
			let batch: Vec<&[u32]> = chunk.iter().map(|&i| ids[i]).collect();
			for (&i, vector) in chunk.iter().zip(self.embed_ids(&batch)?) {
				out[i] = vector;
			}
		}
		Ok(out)
	}

	/// Embeds one batch of token ids.
	fn embed_ids(&self, batch: &[&[u32]]) -> Result<Vec<Vec<f32>>> {
		match &self.encoder {
			Encoder::Packed(model) => self.embed_packed(model, batch),
			Encoder::Reference(model) => self.embed_padded(model, batch),
		}
	}

	/// Embeds one batch with the packed encoder: each text's rows of its output averaged, then
	/// L2-normalised.
	fn embed_packed(&self, model: &PackedBert, batch: &[&[u32]]) -> Result<Vec<Vec<f32>>> {
		// The tokenizer adds [CLS] and [SEP], so no text is empty; were one empty (a tokenizer
		// without them), its embedding is zero, as in the padded path.
		let texts: Vec<&[u32]> = batch.iter().copied().filter(|ids| !ids.is_empty()).collect();
		let hidden =
			if texts.is_empty() { Vec::new() } else { model.forward(&texts)?.to_vec2::<f32>()? };
		let mut rows = hidden.iter();
		let mut out = Vec::with_capacity(batch.len());
		for ids in batch {
			let mut mean = vec![0f32; self.dim];
			for row in rows.by_ref().take(ids.len()) {
				for (m, x) in mean.iter_mut().zip(row) {
					*m += x;
				}
			}
			let n = ids.len().max(1) as f32;
			mean.iter_mut().for_each(|m| *m /= n);
			let norm = mean.iter().map(|m| m * m).sum::<f32>().sqrt().max(1e-12);
			mean.iter_mut().for_each(|m| *m /= norm);
			out.push(mean);
		}
		Ok(out)
	}

	/// Embeds one batch with candle's `BertModel`, padded to its longest text.
	fn embed_padded(&self, model: &BertModel, batch: &[&[u32]]) -> Result<Vec<Vec<f32>>> {
		let rows = batch.len();
		let width = batch.iter().map(|ids| ids.len()).max().unwrap_or(0).max(1);
		let mut ids = vec![self.pad_id; rows * width];
		let mut mask = vec![0u32; rows * width];
		for (r, row) in batch.iter().enumerate() {
			ids[r * width..r * width + row.len()].copy_from_slice(row);
			mask[r * width..r * width + row.len()].fill(1);
		}
		let ids = Tensor::from_vec(ids, (rows, width), &self.device)?;
		let mask = Tensor::from_vec(mask, (rows, width), &self.device)?;
		let types = ids.zeros_like()?;
		let hidden = model.forward(&ids, &types, Some(&mask))?;
		let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
		let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
		let counts = mask.sum(1)?.clamp(1f32, f32::MAX)?;
		let mean = summed.broadcast_div(&counts)?;
		let norms = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12f32, f32::MAX)?;
		Ok(mean.broadcast_div(&norms)?.to_vec2::<f32>()?)
	}
}

/// Random weights for [`Variant::Random`]: constants where the model asks for them (layer norm
/// scales 1, shifts 0), zero biases, and elsewhere normal noise with the configured standard
/// deviation; each tensor seeded from the seed and its name, so the weights do not depend on
/// the order they are built in.
struct SeededInit {
	seed: u64,
	stdev: f64,
}

/// FNV-1a: a hash of names that is the same on every platform and Rust version.
fn fnv1a(s: &str) -> u64 {
	s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

impl candle_nn::var_builder::SimpleBackend for SeededInit {
	fn get(
		&self,
		s: Shape,
		name: &str,
		h: Init,
		dtype: DType,
		dev: &Device,
	) -> candle_core::Result<Tensor> {
		let n = s.elem_count();
		let values: Vec<f32> = match h {
			Init::Const(c) => vec![c as f32; n],
			_ if name.ends_with("bias") => vec![0.0; n],
			_ => {
				let mut rng = SplitMix64(self.seed ^ fnv1a(name));
				(0..n).map(|_| (normal(&mut rng) * self.stdev) as f32).collect()
			},
		};
		Tensor::from_vec(values, s, dev)?.to_dtype(dtype)
	}

	fn get_unchecked(
		&self,
		name: &str,
		_dtype: DType,
		_dev: &Device,
	) -> candle_core::Result<Tensor> {
		candle_core::bail!("random weights need a shape: {name} was asked for without one")
	}

	fn contains_tensor(&self, _name: &str) -> bool {
		false
	}
}

/// SplitMix64: a small, fast generator for the ~22 M random weights of a MiniLM (ChaCha was
/// tens of seconds in a debug build, where the end-to-end test runs it).
struct SplitMix64(u64);

impl SplitMix64 {
	fn next_u64(&mut self) -> u64 {
		self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
		let mut z = self.0;
		z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
		z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
		z ^ (z >> 31)
	}

	/// Uniform in [0, 1).
	fn unit(&mut self) -> f64 {
		(self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
	}
}

/// A standard normal sample (Box-Muller).
fn normal(rng: &mut SplitMix64) -> f64 {
	let u1 = 1.0 - rng.unit(); // (0, 1]
	let u2 = rng.unit();
	(-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[cfg(test)]
mod tests {
	use std::collections::HashMap;

	use candle_transformers::models::bert::HiddenAct;
	use tokenizers::{
		models::wordpiece::WordPiece, normalizers::BertNormalizer,
		pre_tokenizers::bert::BertPreTokenizer, processors::template::TemplateProcessing,
	};

	use super::*;

	const WORDS: [&str; 12] =
		["the", "cat", "sat", "on", "mat", "dog", "ran", "a", "park", "in", "big", "."];

	fn tiny_tokenizer() -> Tokenizer {
		let mut vocab: HashMap<String, u32> = HashMap::new();
		for (i, t) in ["[PAD]", "[UNK]", "[CLS]", "[SEP]"].iter().chain(WORDS.iter()).enumerate() {
			vocab.insert((*t).to_string(), i as u32);
		}
		let model = WordPiece::builder()
			.vocab(vocab.into_iter().collect::<tokenizers::models::bpe::Vocab>())
			.unk_token("[UNK]".into())
			.build()
			.expect("wordpiece");
		let mut tokenizer = Tokenizer::new(model);
		tokenizer.with_pre_tokenizer(Some(BertPreTokenizer));
		tokenizer.with_normalizer(Some(BertNormalizer::default())).expect("normalizer");
		let template = TemplateProcessing::builder()
			.try_single("[CLS] $A [SEP]")
			.expect("template")
			.special_tokens(vec![("[CLS]", 2), ("[SEP]", 3)])
			.build()
			.expect("template");
		tokenizer.with_post_processor(Some(template));
		tokenizer
	}

	fn tiny_config() -> Config {
		serde_json::from_value(serde_json::json!({
			"vocab_size": 16, "hidden_size": 8, "num_hidden_layers": 2, "num_attention_heads": 2,
			"intermediate_size": 16, "hidden_act": "gelu", "hidden_dropout_prob": 0.0,
			"max_position_embeddings": 32, "type_vocab_size": 2, "initializer_range": 0.5,
			"layer_norm_eps": 1e-12, "pad_token_id": 0
		}))
		.expect("config")
	}

	fn sentences(list: &[&str]) -> Vec<String> {
		list.iter().map(|s| s.to_string()).collect()
	}

	#[test]
	fn tiny_bert_shapes_and_norms() {
		let config = tiny_config();
		assert_eq!(config.hidden_act, HiddenAct::Gelu);
		let e = Embedder::random(&config, tiny_tokenizer(), 7, &Device::Cpu, "tiny").expect("tiny");
		assert_eq!(e.dim(), 8);
		assert_eq!(e.name(), "tiny");
		let input =
			sentences(&["the cat sat on the mat .", "a dog", "", "the big dog ran in a park"]);
		let vectors = e.embed(&input).expect("embed");
		assert_eq!(vectors.len(), 4);
		for v in &vectors {
			assert_eq!(v.len(), 8);
			let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
			assert!((norm - 1.0).abs() < 1e-4, "{norm}");
		}
		// Padding does not leak: each sentence alone gives the same vector.
		for (s, batched) in input.iter().zip(&vectors) {
			let alone = e.embed(std::slice::from_ref(s)).expect("embed");
			for (a, b) in alone[0].iter().zip(batched) {
				assert!((a - b).abs() < 1e-5, "{s:?}: {a} vs {b}");
			}
		}
		assert!(e.embed(&[]).expect("empty").is_empty());
	}

	#[test]
	fn packed_encoder_matches_candle_bert() {
		// agora_models::bert against candle's BertModel over padded batches, on the same random
		// weights, for every depth and for texts of mixed lengths in one batch.
		let mut config = tiny_config();
		config.initializer_range = 0.2;
		let input = sentences(&[
			"the cat sat on the mat .",
			"a dog",
			"",
			"the big dog ran in a park and the cat sat on a mat in the park .",
			"park",
		]);
		for layers in 0..=2 {
			config.num_hidden_layers = layers;
			let build = |reference| {
				let init = SeededInit { seed: 11, stdev: config.initializer_range };
				let vb = VarBuilder::from_backend(Box::new(init), DType::F32, Device::Cpu);
				Embedder::build(&config, vb, tiny_tokenizer(), "tiny".into(), reference)
					.expect("tiny")
			};
			let (new, old) = (build(false), build(true));
			assert!(matches!(new.encoder, Encoder::Packed(_)));
			assert!(matches!(old.encoder, Encoder::Reference(_)));
			let (a, b) = (new.embed(&input).expect("new"), old.embed(&input).expect("old"));
			for ((s, x), y) in input.iter().zip(&a).zip(&b) {
				let dot: f32 = x.iter().zip(y).map(|(p, q)| p * q).sum();
				assert!(dot > 0.99999, "{layers} layers, {s:?}: cosine {dot}");
				for (p, q) in x.iter().zip(y) {
					assert!((p - q).abs() < 1e-5, "{layers} layers, {s:?}: {p} vs {q}");
				}
			}
		}
	}

	#[test]
	fn tiny_bert_truncates_long_input() {
		// 32 positions only: longer input must be truncated, not fail.
		let mut config = tiny_config();
		config.max_position_embeddings = 32;
		let e = Embedder::random(&config, tiny_tokenizer(), 1, &Device::Cpu, "tiny").expect("tiny");
		let long = vec!["the cat sat on the mat ".repeat(40)];
		assert_eq!(e.embed(&long).expect("embed")[0].len(), 8);
	}

	#[test]
	fn random_weights_are_seeded() {
		let config = tiny_config();
		let input = sentences(&["the cat sat", "a dog ran"]);
		let embed = |seed| {
			Embedder::random(&config, tiny_tokenizer(), seed, &Device::Cpu, "tiny")
				.and_then(|e| e.embed(&input))
				.expect("embed")
		};
		assert_eq!(embed(3), embed(3));
		assert_ne!(embed(3), embed(4));
	}

	#[test]
	fn tiny_bert_from_named_tensors() {
		// Weights under a `bert.` prefix, as some checkpoints store them, load the same.
		let config = tiny_config();
		let init = SeededInit { seed: 5, stdev: 0.5 };
		let random = VarBuilder::from_backend(Box::new(init), DType::F32, Device::Cpu);
		let reference =
			Embedder::from_parts(&config, random, tiny_tokenizer(), "ref").expect("reference");
		let mut tensors = HashMap::new();
		let backend = SeededInit { seed: 5, stdev: 0.5 };
		let mut collect = |name: &str, shape: &[usize], init: Init| {
			use candle_nn::var_builder::SimpleBackend;
			let t = backend.get(shape.into(), name, init, DType::F32, &Device::Cpu).expect("t");
			tensors.insert(format!("bert.{name}"), t);
		};
		let (h, i) = (config.hidden_size, config.intermediate_size);
		let randn = Init::Randn { mean: 0.0, stdev: 1.0 };
		collect("embeddings.word_embeddings.weight", &[config.vocab_size, h], randn);
		collect(
			"embeddings.position_embeddings.weight",
			&[config.max_position_embeddings, h],
			randn,
		);
		collect("embeddings.token_type_embeddings.weight", &[config.type_vocab_size, h], randn);
		collect("embeddings.LayerNorm.weight", &[h], Init::Const(1.0));
		collect("embeddings.LayerNorm.bias", &[h], Init::Const(0.0));
		for l in 0..config.num_hidden_layers {
			let p = format!("encoder.layer.{l}");
			for (m, o, n) in [
				("attention.self.query", h, h),
				("attention.self.key", h, h),
				("attention.self.value", h, h),
				("attention.output.dense", h, h),
				("intermediate.dense", i, h),
				("output.dense", h, i),
			] {
				collect(&format!("{p}.{m}.weight"), &[o, n], randn);
				collect(&format!("{p}.{m}.bias"), &[o], randn);
			}
			for m in ["attention.output.LayerNorm", "output.LayerNorm"] {
				collect(&format!("{p}.{m}.weight"), &[h], Init::Const(1.0));
				collect(&format!("{p}.{m}.bias"), &[h], Init::Const(0.0));
			}
		}
		let vb = VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu);
		let prefixed =
			Embedder::from_parts(&config, vb, tiny_tokenizer(), "prefixed").expect("load");
		let input = sentences(&["the cat sat on the mat", "a big dog"]);
		assert_eq!(reference.embed(&input).expect("a"), prefixed.embed(&input).expect("b"));
	}

	#[test]
	fn variants_parse_and_print() {
		for v in [Variant::Full, Variant::Layers(2), Variant::Random { seed: 9 }] {
			assert_eq!(v.to_string().parse::<Variant>().expect("round trip"), v);
		}
		assert_eq!("random".parse::<Variant>().expect("random"), Variant::Random { seed: 0 });
		assert_eq!("Layers=3".parse::<Variant>().expect("layers"), Variant::Layers(3));
		assert!("layers".parse::<Variant>().is_err());
		assert!("layers:x".parse::<Variant>().is_err());
		assert!("half".parse::<Variant>().is_err());
	}

	#[test]
	fn missing_files_say_run_assets() {
		let dir = tempfile::tempdir().expect("tempdir");
		let err = Embedder::load(dir.path(), &Device::Cpu, Variant::Full).expect_err("empty dir");
		assert!(err.to_string().contains("scripts/assets.sh"), "{err}");
	}
}
