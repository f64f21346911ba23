//! Agora's model tasks on [candle](https://github.com/huggingface/candle), the real evaluation
//! data and the objective scoring that validators apply to miners' answers.
//!
//! - [`embedding`]: BERT sentence embeddings (all-MiniLM-L6-v2): mean pooling over the attention
//!   mask, L2-normalised. [`embedding::Variant`] also builds deliberately worse models (fewer
//!   layers, random weights) so that the network's scoring can be seen to separate them.
//! - [`generation`]: greedy text continuation with a quantized llama model read from a GGUF file
//!   (SmolLM2-135M-Instruct), its tokenizer built from the GGUF metadata; on the CPU it runs
//!   through [`llama`], a llama forward pass over [`q8`]'s int8 matrix products.
//! - [`data`]: the Lee corpus with its human similarity ratings, and held-out English text (State
//!   of the Union speeches and the Brown corpus), turned into seeded, deterministic challenges.
//! - [`eval`]: the default, lookup-resistant challenges: human-rated pairs (Lee, and a
//!   validator's [`private`] data) mixed with novel passages scored against a reference model,
//!   and generation prompts scored against the reference model's continuation (public text) or
//!   the true one (private text).
//! - [`private`]: a validator's own evaluation data (plain text and rated pairs).
//! - [`lookup`]: the attacker's baseline, a "miner" that runs no model but holds every public
//!   data package.
//! - [`scoring`]: Spearman correlation, chrF, cosine similarity, and the blend of quality with
//!   latency.
//! - [`assets`]: where the real model weights and data live (`scripts/assets.sh` installs them).

use std::path::PathBuf;

pub mod assets;
pub mod bert;
pub mod data;
pub mod embedding;
pub mod eval;
pub mod generation;
pub mod llama;
pub mod lookup;
pub mod private;
pub mod q8;
pub mod scoring;

pub use candle_core::Device;

/// The result type of this crate.
pub type Result<T, E = ModelError> = std::result::Result<T, E>;

/// What can go wrong loading or running a model, or reading the evaluation data.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
	/// A file or directory that should be there is not.
	#[error("missing {}: {hint}", path.display())]
	Missing {
		/// The path that was looked for.
		path: PathBuf,
		/// What to do about it.
		hint: String,
	},
	/// A model, tokenizer or configuration could not be loaded.
	#[error("cannot load {what}: {why}")]
	Load {
		/// What was being loaded.
		what: String,
		/// Why it failed.
		why: String,
	},
	/// The input given to a model or a scoring function is invalid.
	#[error("invalid input: {0}")]
	Input(String),
	/// The tensor library failed.
	#[error("candle: {0}")]
	Candle(#[from] candle_core::Error),
	/// A validator's private evaluation data is malformed ([`private`]).
	#[error("private data {}{}: {problem}", path.display(), at_line(*line))]
	PrivateData {
		/// The file (or directory) at fault.
		path: PathBuf,
		/// The line, 1-based; 0 when the problem is the whole file.
		line: usize,
		/// What is wrong.
		problem: private::DataProblem,
	},
	/// Evaluation data is malformed.
	#[error("bad data in {what}: {why}")]
	Data {
		/// Which data.
		what: String,
		/// What is wrong with it.
		why: String,
	},
}

/// ` line N`, or nothing for line 0.
fn at_line(line: usize) -> String {
	if line == 0 {
		String::new()
	} else {
		format!(" line {line}")
	}
}

/// The hint given with every [`ModelError::Missing`] about the real assets.
pub const ASSETS_HINT: &str = "run scripts/assets.sh to install the real models and data (into \
	$AGORA_ASSETS, default ~/.cache/agora/assets)";

/// The device named by `spec`: `"cpu"`, `"cuda"` (the first GPU) or `"cuda:N"`.
///
/// CUDA needs this crate built with its `cuda` feature; without it a CUDA spec is a clear error
/// rather than a silent fall-back to the CPU.
pub fn device(spec: &str) -> Result<Device> {
	let spec = spec.trim().to_ascii_lowercase();
	let ordinal = match spec.as_str() {
		"cpu" => return Ok(Device::Cpu),
		"cuda" | "gpu" => 0,
		other => match other.strip_prefix("cuda:").or_else(|| other.strip_prefix("gpu:")) {
			Some(n) => n.parse::<usize>().map_err(|_| {
				ModelError::Input(format!("bad device {spec:?}: the GPU ordinal must be a number"))
			})?,
			None => {
				return Err(ModelError::Input(format!(
					"unknown device {spec:?}: use \"cpu\", \"cuda\" or \"cuda:N\""
				)))
			},
		},
	};
	if !cfg!(feature = "cuda") {
		return Err(ModelError::Input(format!(
			"device {spec:?} needs CUDA, but agora-models was built without its `cuda` feature \
			 (rebuild with `--features cuda`, or use \"cpu\")"
		)));
	}
	Device::new_cuda(ordinal).map_err(|e| ModelError::Load {
		what: format!("CUDA device {ordinal}"),
		why: e.to_string(),
	})
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn device_specs() {
		assert!(matches!(device("cpu"), Ok(Device::Cpu)));
		assert!(matches!(device(" CPU "), Ok(Device::Cpu)));
		assert!(matches!(device("tpu"), Err(ModelError::Input(_))));
		assert!(matches!(device("cuda:x"), Err(ModelError::Input(_))));
		if !cfg!(feature = "cuda") {
			let err = device("cuda:0").err().map(|e| e.to_string()).unwrap_or_default();
			assert!(err.contains("`cuda` feature"), "{err}");
		}
	}

	#[test]
	fn models_can_be_shared_across_threads() {
		fn send_sync<T: Send + Sync>() {}
		send_sync::<embedding::Embedder>();
		send_sync::<generation::Generator>();
		send_sync::<data::SimilarityBench>();
		send_sync::<data::TextCorpus>();
		send_sync::<eval::EmbeddingBench>();
		send_sync::<eval::GenerationBench>();
		send_sync::<lookup::LookupModel>();
		send_sync::<private::PrivateData>();
		send_sync::<ModelError>();
	}

	#[test]
	fn missing_mentions_the_script() {
		let e = ModelError::Missing { path: "/x/y".into(), hint: ASSETS_HINT.into() };
		let s = e.to_string();
		assert!(s.contains("/x/y") && s.contains("scripts/assets.sh"), "{s}");
	}
}
