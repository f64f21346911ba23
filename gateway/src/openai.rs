//! OpenAI's request and response shapes, as far as the gateway serves them, and its model ids.
//!
//! A model id names a subnet and its task: `text-embedding-sn1`, `text-generation-sn2`
//! (`<task>-sn<netuid>`).
//!
//! Token counts (`usage`) are approximate: prompts and inputs count whitespace-separated words
//! (miners do not report their tokenizer's count); a completion counts the tokens the miner
//! reports log-probabilities for (the gateway asks for them), else its words.

use agora_primitives::{NetUid, TaskKind};
use serde::{Deserialize, Serialize};

/// The model id of `task` on subnet `netuid`.
pub fn model_id(task: TaskKind, netuid: NetUid) -> String {
	format!("{}-sn{netuid}", task_name(task))
}

/// The task's name in model ids and in `/v1/models`.
pub fn task_name(task: TaskKind) -> &'static str {
	match task {
		TaskKind::TextEmbedding => "text-embedding",
		TaskKind::TextGeneration => "text-generation",
	}
}

/// The task and subnet a model id names; `None` when it is not one of ours.
pub fn parse_model(id: &str) -> Option<(TaskKind, NetUid)> {
	let (task, netuid) = id.rsplit_once("-sn")?;
	let task = match task {
		"text-embedding" => TaskKind::TextEmbedding,
		"text-generation" => TaskKind::TextGeneration,
		_ => return None,
	};
	// Digits only: `parse` alone would take `+1`.
	if netuid.is_empty() || !netuid.bytes().all(|b| b.is_ascii_digit()) {
		return None;
	}
	Some((task, netuid.parse().ok()?))
}

/// Approximate tokens of a text: its whitespace-separated words.
pub fn approx_tokens(text: &str) -> u32 {
	u32::try_from(text.split_whitespace().count()).unwrap_or(u32::MAX)
}

/// `input` of an embeddings request.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Input {
	/// One text.
	One(String),
	/// Several texts.
	Many(Vec<String>),
}

impl Input {
	/// The texts, in order.
	pub fn into_texts(self) -> Vec<String> {
		match self {
			Input::One(text) => vec![text],
			Input::Many(texts) => texts,
		}
	}
}

/// `POST /v1/embeddings`.
#[derive(Clone, Debug, Deserialize)]
pub struct EmbeddingsRequest {
	/// The model id.
	pub model: String,
	/// What to embed.
	pub input: Input,
	/// `float` (the default) or `base64` (little-endian `f32`s).
	#[serde(default)]
	pub encoding_format: Option<String>,
}

/// How embeddings are written in the response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
	/// JSON numbers.
	Float,
	/// Base64 of the little-endian `f32`s (what the OpenAI Python client asks for by default).
	Base64,
}

impl Encoding {
	/// Reads `encoding_format`.
	pub fn parse(format: Option<&str>) -> Option<Encoding> {
		match format {
			None | Some("float") => Some(Encoding::Float),
			Some("base64") => Some(Encoding::Base64),
			Some(_) => None,
		}
	}
}

/// `POST /v1/completions`.
#[derive(Clone, Debug, Deserialize)]
pub struct CompletionRequest {
	/// The model id.
	pub model: String,
	/// The text to continue.
	pub prompt: String,
	/// The most tokens to generate.
	#[serde(default)]
	pub max_tokens: Option<u32>,
	/// Answer as server-sent events.
	#[serde(default)]
	pub stream: bool,
}

/// One message of a chat request.
#[derive(Clone, Debug, Deserialize)]
pub struct Message {
	/// `system`, `user` or `assistant`.
	pub role: String,
	/// The text: a string, or an array of `{"type": "text", "text": …}` parts.
	pub content: serde_json::Value,
}

/// `POST /v1/chat/completions`.
#[derive(Clone, Debug, Deserialize)]
pub struct ChatRequest {
	/// The model id.
	pub model: String,
	/// The conversation.
	pub messages: Vec<Message>,
	/// The most tokens to generate (older name).
	#[serde(default)]
	pub max_tokens: Option<u32>,
	/// The most tokens to generate.
	#[serde(default)]
	pub max_completion_tokens: Option<u32>,
	/// Answer as server-sent events.
	#[serde(default)]
	pub stream: bool,
}

/// Token counts of a response (approximate, see the module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
	/// Tokens of the prompt or inputs.
	pub prompt_tokens: u32,
	/// Tokens generated.
	#[serde(skip_serializing_if = "Option::is_none")]
	pub completion_tokens: Option<u32>,
	/// Both.
	pub total_tokens: u32,
}

impl Usage {
	/// The usage of a completion.
	pub fn completion(prompt: u32, completion: u32) -> Usage {
		Usage {
			prompt_tokens: prompt,
			completion_tokens: Some(completion),
			total_tokens: prompt.saturating_add(completion),
		}
	}

	/// The usage of an embeddings request.
	pub fn embeddings(prompt: u32) -> Usage {
		Usage { prompt_tokens: prompt, completion_tokens: None, total_tokens: prompt }
	}
}

/// `finish_reason` of a completion: `length` when it produced `max_tokens` tokens (by the
/// miner's log-probabilities; approximated by words when it gives none), else `stop`.
pub fn finish_reason(tokens: u32, max_tokens: u32) -> &'static str {
	if tokens >= max_tokens {
		"length"
	} else {
		"stop"
	}
}

/// Standard base64 (with padding) of the little-endian bytes of `vector`.
pub fn base64_f32(vector: &[f32]) -> String {
	const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	let bytes: Vec<u8> = vector.iter().flat_map(|f| f.to_le_bytes()).collect();
	let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
	for chunk in bytes.chunks(3) {
		let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
		let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
		for i in 0..4 {
			if i <= chunk.len() {
				out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
			} else {
				out.push('=');
			}
		}
	}
	out
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn model_ids_name_the_task_and_subnet() {
		assert_eq!(model_id(TaskKind::TextEmbedding, 1), "text-embedding-sn1");
		assert_eq!(model_id(TaskKind::TextGeneration, 12), "text-generation-sn12");
		assert_eq!(parse_model("text-embedding-sn1"), Some((TaskKind::TextEmbedding, 1)));
		assert_eq!(parse_model("text-generation-sn65535"), Some((TaskKind::TextGeneration, 65535)));
		for bad in [
			"gpt-4",
			"text-embedding-sn",
			"text-embedding-sn+1",
			"text-embedding-sn65536",
			"text-embedding-1",
			"image-sn1",
			"text-embedding-sn1x",
		] {
			assert_eq!(parse_model(bad), None, "{bad}");
		}
	}

	#[test]
	fn inputs_are_one_text_or_several() {
		let one: EmbeddingsRequest =
			serde_json::from_str(r#"{"model":"m","input":"a"}"#).expect("one");
		assert_eq!(one.input.into_texts(), vec!["a".to_string()]);
		let many: EmbeddingsRequest =
			serde_json::from_str(r#"{"model":"m","input":["a","b"]}"#).expect("many");
		assert_eq!(many.input.into_texts().len(), 2);
		assert!(serde_json::from_str::<EmbeddingsRequest>(r#"{"model":"m","input":[1]}"#).is_err());
		assert_eq!(Encoding::parse(None), Some(Encoding::Float));
		assert_eq!(Encoding::parse(Some("base64")), Some(Encoding::Base64));
		assert_eq!(Encoding::parse(Some("int8")), None);
	}

	#[test]
	fn base64_is_the_standard_alphabet_with_padding() {
		// 1.0f32 = 00 00 80 3f; 2.0f32 = 00 00 00 40.
		assert_eq!(base64_f32(&[1.0]), "AACAPw==");
		assert_eq!(base64_f32(&[1.0, 2.0]), "AACAPwAAAEA=");
		assert_eq!(base64_f32(&[1.0, 2.0, 1.0]), "AACAPwAAAEAAAIA/");
		assert_eq!(base64_f32(&[]), "");
	}

	#[test]
	fn finish_reason_and_usage() {
		assert_eq!(finish_reason(16, 16), "length");
		assert_eq!(finish_reason(3, 16), "stop");
		assert_eq!(approx_tokens("  two\nwords "), 2);
		let u = Usage::completion(3, 4);
		assert_eq!(u.total_tokens, 7);
		let json = serde_json::to_value(Usage::embeddings(5)).expect("json");
		assert_eq!(json, serde_json::json!({"prompt_tokens": 5, "total_tokens": 5}));
	}
}
