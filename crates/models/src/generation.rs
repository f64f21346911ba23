//! Greedy text continuation with a quantized llama model read from GGUF (SmolLM2-135M-Instruct),
//! its tokenizer built from the GGUF metadata.

use std::{
	collections::{HashMap, HashSet},
	fmt,
	fs::File,
	io::Cursor,
	path::Path,
};

use candle_core::{
	quantized::{gguf_file, GgmlDType, QTensor},
	Device, Tensor,
};
use candle_transformers::models::quantized_llama::{ModelWeights, MAX_SEQ_LEN};
use serde::{Deserialize, Serialize};
use tokenizers::{
	decoders::byte_level::ByteLevel as ByteLevelDecoder,
	models::bpe::{Vocab, BPE},
	pre_tokenizers::{byte_level::ByteLevel, digits::Digits, sequence::Sequence},
	AddedToken, PreTokenizerWrapper, Tokenizer,
};

use crate::{assets::require_file, llama::Llama, ModelError, Result};

/// What [`Generator::generate`] produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Generation {
	/// The continuation of the prompt (special tokens left out).
	pub text: String,
	/// When asked for: the log-probability (natural log, <= 0) the model gave each generated
	/// token, one per token.
	pub logprobs: Option<Vec<f32>>,
}

/// [`Generator::generate_tokens`]' result: the generated token ids themselves.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedTokens {
	/// How many prompt tokens the model read (after any truncation).
	pub prompt_tokens: usize,
	/// The generated tokens, the stop token excluded.
	pub ids: Vec<u32>,
	/// The log-probability of each generated token.
	pub logprobs: Vec<f32>,
	/// Whether generation ended at a stop token (rather than at the token limit).
	pub stopped: bool,
}

/// The model itself: candle-transformers' `quantized_llama`, or [`Llama`] on the CPU.
enum Model {
	Candle(Box<ModelWeights>),
	Cpu(Box<Llama>),
}

impl Model {
	fn clear(&mut self) {
		match self {
			Self::Candle(model) => model.clear_kv_cache(),
			Self::Cpu(model) => model.clear(),
		}
	}

	/// The logits after `ids`, which sit at positions `pos..` (`pos` = tokens already cached).
	fn forward(&mut self, ids: &[u32], pos: usize, device: &Device) -> Result<Vec<f32>> {
		match self {
			Self::Candle(model) => {
				let input = Tensor::new(ids, device)?.unsqueeze(0)?;
				Ok(model.forward(&input, pos)?.squeeze(0)?.to_vec1()?)
			},
			Self::Cpu(model) => {
				debug_assert_eq!(model.cached(), pos);
				Ok(model.forward(ids)?)
			},
		}
	}
}

/// A quantized llama model and its tokenizer, generating greedily.
pub struct Generator {
	model: Model,
	tokenizer: Tokenizer,
	device: Device,
	stop: HashSet<u32>,
	context: usize,
	name: String,
}

impl fmt::Debug for Generator {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		f.debug_struct("Generator")
			.field("name", &self.name)
			.field("device", &self.device)
			.field("context", &self.context)
			.finish_non_exhaustive()
	}
}

fn metadata<'a>(content: &'a gguf_file::Content, key: &str) -> Result<&'a gguf_file::Value> {
	content.metadata.get(key).ok_or_else(|| ModelError::Load {
		what: "GGUF tokenizer".into(),
		why: format!("the metadata has no {key}"),
	})
}

fn bad_metadata(key: &str, e: impl fmt::Display) -> ModelError {
	ModelError::Load { what: "GGUF tokenizer".into(), why: format!("{key}: {e}") }
}

fn strings(content: &gguf_file::Content, key: &str) -> Result<Vec<String>> {
	metadata(content, key)?
		.to_vec()
		.map_err(|e| bad_metadata(key, e))?
		.iter()
		.map(|v| v.to_string().cloned().map_err(|e| bad_metadata(key, e)))
		.collect()
}

fn token_id(content: &gguf_file::Content, key: &str) -> Option<u32> {
	let value = content.metadata.get(key)?;
	value.to_u32().ok().or_else(|| value.to_i32().ok().and_then(|v| u32::try_from(v).ok()))
}

/// GGUF token type of control tokens (`<|im_start|>`, `<|endoftext|>`, ...).
const CONTROL: i32 = 3;
/// GGUF token type of user-defined tokens.
const USER_DEFINED: i32 = 4;

fn token_types(content: &gguf_file::Content) -> Vec<i32> {
	let Some(Ok(values)) = content.metadata.get("tokenizer.ggml.token_type").map(|v| v.to_vec())
	else {
		return Vec::new();
	};
	values
		.iter()
		.map(|v| v.to_i32().or_else(|_| v.to_u32().map(|u| u as i32)).unwrap_or(1))
		.collect()
}

/// The tokenizer described by a GGUF file's metadata: GPT-2 style byte-level BPE
/// (`tokenizer.ggml.model = gpt2`) from `tokenizer.ggml.tokens` and `tokenizer.ggml.merges`,
/// with a byte-level pre-tokenizer and decoder (digits split one by one first, as SmolLM's
/// tokenizer does, when `tokenizer.ggml.pre` is `smollm`). Control tokens become special added
/// tokens: matched whole in the input, left out when decoding with `skip_special_tokens`.
pub fn tokenizer_from_gguf(content: &gguf_file::Content) -> Result<Tokenizer> {
	let model = metadata(content, "tokenizer.ggml.model")?
		.to_string()
		.map_err(|e| bad_metadata("tokenizer.ggml.model", e))?;
	if model != "gpt2" {
		return Err(ModelError::Load {
			what: "GGUF tokenizer".into(),
			why: format!("tokenizer model {model:?} is not supported (only gpt2 byte-level BPE)"),
		});
	}
	let tokens = strings(content, "tokenizer.ggml.tokens")?;
	let merges = strings(content, "tokenizer.ggml.merges")?
		.into_iter()
		.map(|m| {
			m.split_once(' ')
				.map(|(a, b)| (a.to_string(), b.to_string()))
				.ok_or_else(|| bad_metadata("tokenizer.ggml.merges", format!("bad merge {m:?}")))
		})
		.collect::<Result<Vec<_>>>()?;
	let mut vocab = HashMap::with_capacity(tokens.len());
	for (id, token) in tokens.iter().enumerate() {
		vocab.entry(token.clone()).or_insert(id as u32);
	}
	let vocab: Vocab = vocab.into_iter().collect();
	let bpe = BPE::builder()
		.vocab_and_merges(vocab, merges)
		.build()
		.map_err(|e| ModelError::Load { what: "GGUF tokenizer".into(), why: e.to_string() })?;
	let add_prefix_space = content
		.metadata
		.get("tokenizer.ggml.add_space_prefix")
		.and_then(|v| v.to_bool().ok())
		.unwrap_or(false);
	let byte_level = ByteLevel::new(add_prefix_space, true, true);
	let pre = content.metadata.get("tokenizer.ggml.pre").and_then(|v| v.to_string().ok());
	let pre_tokenizer = match pre.map(String::as_str) {
		Some("smollm") => PreTokenizerWrapper::Sequence(Sequence::new(vec![
			PreTokenizerWrapper::Digits(Digits::new(true)),
			PreTokenizerWrapper::ByteLevel(byte_level),
		])),
		_ => PreTokenizerWrapper::ByteLevel(byte_level),
	};
	let mut tokenizer = Tokenizer::new(bpe);
	tokenizer.with_pre_tokenizer(Some(pre_tokenizer));
	tokenizer.with_decoder(Some(ByteLevelDecoder::default()));
	let types = token_types(content);
	let added = |kind: i32| {
		tokens
			.iter()
			.zip(&types)
			.filter(move |(_, &t)| t == kind)
			.map(move |(token, _)| AddedToken::from(token.clone(), kind == CONTROL))
			.collect::<Vec<_>>()
	};
	let add_error = |e: tokenizers::Error| ModelError::Load {
		what: "GGUF tokenizer".into(),
		why: format!("cannot add the special tokens: {e}"),
	};
	tokenizer.add_special_tokens(added(CONTROL)).map_err(add_error)?;
	tokenizer.add_tokens(added(USER_DEFINED)).map_err(add_error)?;
	Ok(tokenizer)
}

fn load_error(what: &Path, why: impl fmt::Display) -> ModelError {
	ModelError::Load { what: what.display().to_string(), why: why.to_string() }
}

/// How [`Generator::load_as`] holds the weight matrices in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weights {
	/// As stored in the GGUF file (Q4_1 for SmolLM2-135M-Instruct).
	AsStored,
	/// Dequantized to `f32`, multiplied by candle's `f32` gemm (about 4 bytes a parameter).
	F32,
	/// Requantized to this block type as they load, run by candle. A matrix whose rows do not
	/// divide into its blocks (rows of 576 into Q4K's 256) takes [`GgmlDType::Q8_0`] instead, or
	/// `f32` when not even that fits.
	Requantized(GgmlDType),
	/// Requantized to [`GgmlDType::Q8_0`] by candle and run by Agora's CPU forward pass,
	/// [`crate::llama`] (int8 products with AVX-512 VNNI or AVX2; ~1.06 bytes a parameter, the
	/// token embeddings included). CPU only.
	CpuQ8_0,
}

impl Weights {
	/// What [`Generator::load`] uses on `device`: [`Weights::CpuQ8_0`] on the CPU,
	/// [`Weights::AsStored`] elsewhere.
	///
	/// On the CPU candle has no SIMD dot product for Q4_1 (a scalar loop) and its Q8_0 one is
	/// AVX2 a block at a time; [`crate::q8`]'s kernels decode SmolLM2 ~2× faster than candle's
	/// Q8_0 path with the same weights (`docs/benchmarks.md`).
	pub fn default_for(device: &Device) -> Self {
		if device.is_cpu() {
			Self::CpuQ8_0
		} else {
			Self::AsStored
		}
	}

	/// The type a stored `dtype` tensor of rows of `row` values becomes; `None` keeps it.
	fn target(self, dtype: GgmlDType, row: usize) -> Option<GgmlDType> {
		let wanted = match self {
			Self::AsStored | Self::CpuQ8_0 => return None,
			Self::F32 => GgmlDType::F32,
			Self::Requantized(wanted) => wanted,
		};
		if dtype == GgmlDType::F32 || dtype == wanted {
			return None;
		}
		[wanted, GgmlDType::Q8_0, GgmlDType::F32]
			.into_iter()
			.find(|t| row.is_multiple_of(t.block_size()))
			.filter(|&t| t != dtype)
	}
}

/// `content` again, in memory, with each quantized tensor converted as `weights` says (see
/// [`Weights::target`]). `None` when nothing changes.
fn converted(
	content: &gguf_file::Content,
	file: &mut File,
	weights: Weights,
) -> candle_core::Result<Option<Cursor<Vec<u8>>>> {
	let changes = content.tensor_infos.values().any(|info| {
		let row = info.shape.dims().last().copied().unwrap_or(0);
		weights.target(info.ggml_dtype, row).is_some()
	});
	if !changes {
		return Ok(None);
	}
	let mut names: Vec<&String> = content.tensor_infos.keys().collect();
	names.sort();
	let mut tensors = Vec::with_capacity(names.len());
	for name in names {
		let tensor = content.tensor(file, name, &Device::Cpu)?;
		let row = tensor.shape().dims().last().copied().unwrap_or(0);
		let tensor = match weights.target(tensor.dtype(), row) {
			Some(target) => QTensor::quantize(&tensor.dequantize(&Device::Cpu)?, target)?,
			None => tensor,
		};
		tensors.push((name.as_str(), tensor));
	}
	let metadata: Vec<(&str, &gguf_file::Value)> =
		content.metadata.iter().map(|(k, v)| (k.as_str(), v)).collect();
	let tensor_refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(n, t)| (*n, t)).collect();
	let mut buffer = Cursor::new(Vec::new());
	gguf_file::write(&mut buffer, &metadata, &tensor_refs)?;
	drop(tensor_refs);
	drop(tensors);
	buffer.set_position(0);
	Ok(Some(buffer))
}

/// The index of the largest value (the first of equals): greedy decoding.
fn argmax(values: &[f32]) -> usize {
	let mut best = 0;
	for (i, &v) in values.iter().enumerate() {
		if v > values[best] || values[best].is_nan() {
			best = i;
		}
	}
	best
}

/// The natural-log probability of `values[index]` under the softmax of `values`, computed in
/// `f64`.
fn log_softmax_at(values: &[f32], index: usize) -> f32 {
	let max = values.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
	let sum: f64 = values.iter().map(|&v| (v as f64 - max).exp()).sum();
	((values[index] as f64 - max) - sum.ln()).min(0.0) as f32
}

impl Generator {
	/// The model in the GGUF file `gguf` (llama architecture, GPT-2 style tokenizer in the
	/// metadata), on `device`, its weights held as [`Weights::default_for`] says: Q8_0 run by
	/// [`crate::llama`] on the CPU (~1.06 bytes a parameter), as stored on a GPU. See
	/// [`Self::load_as`] to choose.
	pub fn load(gguf: &Path, device: &Device) -> Result<Self> {
		Self::load_as(gguf, device, Weights::default_for(device))
	}

	/// [`Self::load`], with the weights dequantized to `f32` (`dequantize`) or kept as stored.
	pub fn load_with(gguf: &Path, device: &Device, dequantize: bool) -> Result<Self> {
		Self::load_as(gguf, device, if dequantize { Weights::F32 } else { Weights::AsStored })
	}

	/// [`Self::load`], with the weights held as `weights` says ([`Weights::CpuQ8_0`] only on
	/// the CPU: [`ModelError::Load`] elsewhere; a mixture-of-experts file takes candle's Q8_0
	/// instead).
	pub fn load_as(gguf: &Path, device: &Device, weights: Weights) -> Result<Self> {
		require_file(gguf)?;
		let mut file = File::open(gguf).map_err(|e| load_error(gguf, e))?;
		let content = gguf_file::Content::read(&mut file).map_err(|e| load_error(gguf, e))?;
		let arch = content.metadata.get("general.architecture").and_then(|v| v.to_string().ok());
		if arch.map(String::as_str) != Some("llama") {
			return Err(load_error(gguf, format!("architecture {arch:?} is not llama")));
		}
		let tokenizer = tokenizer_from_gguf(&content).map_err(|e| load_error(gguf, e))?;
		let types = token_types(&content);
		let mut stop: HashSet<u32> = types
			.iter()
			.enumerate()
			.filter(|(_, &t)| t == CONTROL)
			.map(|(id, _)| id as u32)
			.collect();
		if let Some(eos) = token_id(&content, "tokenizer.ggml.eos_token_id") {
			stop.insert(eos);
		}
		let context = content
			.metadata
			.get("llama.context_length")
			.and_then(|v| v.to_u32().ok())
			.map_or(MAX_SEQ_LEN, |c| (c as usize).min(MAX_SEQ_LEN));
		let name = gguf
			.file_stem()
			.and_then(|s| s.to_str())
			.map(str::to_string)
			.unwrap_or_else(|| "llama".into());
		// A mixture-of-experts file runs on candle (the CPU forward pass has no router).
		let experts = content.metadata.get("llama.expert_count").and_then(|v| v.to_u32().ok());
		let weights = if weights == Weights::CpuQ8_0 && experts.unwrap_or(0) > 1 {
			Weights::Requantized(GgmlDType::Q8_0)
		} else {
			weights
		};
		let model = if weights == Weights::CpuQ8_0 {
			if !device.is_cpu() {
				return Err(load_error(
					gguf,
					format!("Q8_0 on Agora's CPU forward pass, not on {device:?}"),
				));
			}
			Model::Cpu(Box::new(
				Llama::from_gguf(&content, &mut file).map_err(|e| load_error(gguf, e))?,
			))
		} else {
			Model::Candle(Box::new(
				match converted(&content, &mut file, weights).map_err(|e| load_error(gguf, e))? {
					Some(mut buffer) => {
						let content = gguf_file::Content::read(&mut buffer)
							.map_err(|e| load_error(gguf, e))?;
						ModelWeights::from_gguf(content, &mut buffer, device)
					},
					None => ModelWeights::from_gguf(content, &mut file, device),
				}
				.map_err(|e| load_error(gguf, e))?,
			))
		};
		Ok(Self { model, tokenizer, device: device.clone(), stop, context, name })
	}

	/// The model's name: the GGUF file's stem, e.g. `SmolLM2-135M-Instruct.Q4_1`.
	pub fn name(&self) -> String {
		self.name.clone()
	}

	/// Renames the generator.
	pub fn with_name(mut self, name: impl Into<String>) -> Self {
		self.name = name.into();
		self
	}

	/// The tokenizer (built from the GGUF metadata).
	pub fn tokenizer(&self) -> &Tokenizer {
		&self.tokenizer
	}

	/// The device the model runs on.
	pub fn device(&self) -> &Device {
		&self.device
	}

	/// The longest prompt plus continuation, in tokens.
	pub fn context_length(&self) -> usize {
		self.context
	}

	/// The model's logits (one per vocabulary entry) for the token after `ids`, read in one
	/// forward pass from an empty cache: what greedy decoding takes the argmax of.
	pub fn logits_after(&mut self, ids: &[u32]) -> Result<Vec<f32>> {
		if ids.is_empty() || ids.len() > self.context {
			return Err(ModelError::Input(format!(
				"{} ids: need 1 to {} (the context)",
				ids.len(),
				self.context
			)));
		}
		self.model.clear();
		let logits = self.model.forward(ids, 0, &self.device);
		self.model.clear();
		logits
	}

	/// The greedy continuation of `prompt` (plain text, no chat template): at each step the most
	/// likely token, until a stop token (end of sequence, or any control token) or `max_tokens`
	/// tokens. The model's cache is reset first, so calls are independent and deterministic.
	/// With `logprobs`, the log-probability of each generated token comes too.
	pub fn generate(
		&mut self,
		prompt: &str,
		max_tokens: usize,
		logprobs: bool,
	) -> Result<Generation> {
		let out = self.run(prompt, max_tokens, logprobs)?;
		let text = self
			.tokenizer
			.decode(&out.ids, true)
			.map_err(|e| ModelError::Input(format!("cannot decode the output: {e}")))?;
		Ok(Generation { text, logprobs: logprobs.then_some(out.logprobs) })
	}

	/// [`Self::generate`], returning the token ids. A prompt longer than the context allows
	/// (context length minus `max_tokens`) keeps its last tokens.
	pub fn generate_tokens(&mut self, prompt: &str, max_tokens: usize) -> Result<GeneratedTokens> {
		self.run(prompt, max_tokens, true)
	}

	/// [`Self::generate_tokens`]; the log-probabilities (a softmax over the vocabulary each
	/// token) only when `logprobs`, else `out.logprobs` stays empty.
	fn run(&mut self, prompt: &str, max_tokens: usize, logprobs: bool) -> Result<GeneratedTokens> {
		if max_tokens >= self.context {
			return Err(ModelError::Input(format!(
				"max_tokens {max_tokens} leaves no room for the prompt in a context of {} tokens",
				self.context
			)));
		}
		let encoding = self
			.tokenizer
			.encode(prompt, false)
			.map_err(|e| ModelError::Input(format!("cannot tokenize the prompt: {e}")))?;
		let ids = encoding.get_ids();
		if ids.is_empty() {
			return Err(ModelError::Input("the prompt is empty".into()));
		}
		let room = self.context - max_tokens;
		let ids = &ids[ids.len().saturating_sub(room)..];
		let mut out = GeneratedTokens {
			prompt_tokens: ids.len(),
			ids: Vec::new(),
			logprobs: Vec::new(),
			stopped: false,
		};
		if max_tokens == 0 {
			return Ok(out);
		}
		self.model.clear();
		if let Model::Cpu(model) = &mut self.model {
			model.reserve(ids.len() + max_tokens);
		}
		let mut values = self.model.forward(ids, 0, &self.device)?;
		let result = (|| {
			loop {
				let next = argmax(&values);
				if self.stop.contains(&(next as u32)) {
					out.stopped = true;
					break;
				}
				out.ids.push(next as u32);
				if logprobs {
					out.logprobs.push(log_softmax_at(&values, next));
				}
				if out.ids.len() >= max_tokens {
					break;
				}
				let pos = ids.len() + out.ids.len() - 1;
				values = self.model.forward(&[next as u32], pos, &self.device)?;
			}
			Ok::<_, ModelError>(())
		})();
		// Free the cache now rather than at the next call.
		self.model.clear();
		result.map(|()| out)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn argmax_first_of_equals() {
		assert_eq!(argmax(&[1.0, 3.0, 3.0, 2.0]), 1);
		assert_eq!(argmax(&[5.0]), 0);
		assert_eq!(argmax(&[f32::NAN, 1.0]), 1);
	}

	#[test]
	fn log_softmax_values() {
		let lp = log_softmax_at(&[0.0, 0.0], 0);
		assert!((lp - 0.5f32.ln()).abs() < 1e-6);
		assert_eq!(log_softmax_at(&[100.0, -100.0], 0), 0.0);
		assert!(log_softmax_at(&[1.0, 2.0, 3.0], 0) < log_softmax_at(&[1.0, 2.0, 3.0], 2));
	}

	fn tiny_gguf() -> gguf_file::Content {
		use gguf_file::Value;
		let strings =
			|v: &[&str]| Value::Array(v.iter().map(|s| Value::String((*s).to_string())).collect());
		let metadata = [
			("tokenizer.ggml.model", Value::String("gpt2".into())),
			("tokenizer.ggml.pre", Value::String("smollm".into())),
			("tokenizer.ggml.tokens", strings(&["<|endoftext|>", "a", "b", "ab", "Ġ", "Ġab", "1"])),
			("tokenizer.ggml.merges", strings(&["a b", "Ġ ab"])),
			(
				"tokenizer.ggml.token_type",
				Value::Array([3, 1, 1, 1, 1, 1, 1].into_iter().map(Value::I32).collect()),
			),
		];
		gguf_file::Content {
			magic: gguf_file::VersionedMagic::GgufV3,
			metadata: metadata.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
			tensor_infos: HashMap::new(),
			tensor_data_offset: 0,
		}
	}

	#[test]
	fn tiny_gguf_tokenizer() {
		let tokenizer = tokenizer_from_gguf(&tiny_gguf()).expect("tokenizer");
		let enc = tokenizer.encode("ab ab<|endoftext|>11", false).expect("encode");
		assert_eq!(enc.get_ids(), &[3, 5, 0, 6, 6]);
		let text = tokenizer.decode(enc.get_ids(), true).expect("decode");
		assert_eq!(text, "ab ab11");
	}
}
