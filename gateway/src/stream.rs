//! `stream: true`: a completion sent as server-sent events in OpenAI's chunk format, then
//! `data: [DONE]`.
//!
//! A miner answers a query whole, so the gateway streams the answer once it has arrived, in
//! chunks of one word each (with the whitespace before it): a client's time to first token is
//! the whole latency of the query.

use serde_json::{json, Value};

/// Which endpoint's chunks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
	/// `chat.completion.chunk` (`choices[0].delta.content`).
	Chat,
	/// `text_completion` (`choices[0].text`).
	Completion,
}

/// What every chunk of one response carries.
#[derive(Clone, Debug)]
pub struct Header<'a> {
	/// The response id.
	pub id: &'a str,
	/// Unix seconds.
	pub created: u64,
	/// The model id.
	pub model: &'a str,
}

/// `text` cut into chunks of one word with the whitespace before it; leading and trailing
/// whitespace stay with the first and last chunk, so the chunks concatenate to `text`.
pub fn split_chunks(text: &str) -> Vec<&str> {
	// A chunk starts where the whitespace before a word (not the first) starts.
	let mut cuts = vec![0];
	let mut gap: Option<usize> = None;
	let mut seen_word = false;
	for (i, c) in text.char_indices() {
		if c.is_whitespace() {
			if seen_word && gap.is_none() {
				gap = Some(i);
			}
		} else {
			if let Some(at) = gap.take() {
				cuts.push(at);
			}
			seen_word = true;
		}
	}
	cuts.push(text.len());
	cuts.windows(2).map(|w| &text[w[0]..w[1]]).filter(|c| !c.is_empty()).collect()
}

/// The `data:` payloads of a streamed answer `text` finishing with `finish_reason`: the chunks
/// as JSON, then `[DONE]`.
pub fn events(kind: Kind, header: &Header<'_>, text: &str, finish_reason: &str) -> Vec<String> {
	let mut out = Vec::new();
	if kind == Kind::Chat {
		out.push(chunk(kind, header, Some("assistant"), "", None));
	}
	for piece in split_chunks(text) {
		out.push(chunk(kind, header, None, piece, None));
	}
	out.push(chunk(kind, header, None, "", Some(finish_reason)));
	out.push("[DONE]".into());
	out
}

fn chunk(
	kind: Kind,
	header: &Header<'_>,
	role: Option<&str>,
	text: &str,
	finish_reason: Option<&str>,
) -> String {
	let choice = match kind {
		Kind::Chat => {
			let delta = match (role, finish_reason) {
				(Some(role), _) => json!({"role": role, "content": text}),
				(None, Some(_)) => json!({}),
				(None, None) => json!({"content": text}),
			};
			json!({"index": 0, "delta": delta, "logprobs": Value::Null, "finish_reason": finish_reason})
		},
		Kind::Completion => {
			json!({"index": 0, "text": text, "logprobs": Value::Null, "finish_reason": finish_reason})
		},
	};
	let object = match kind {
		Kind::Chat => "chat.completion.chunk",
		Kind::Completion => "text_completion",
	};
	json!({
		"id": header.id,
		"object": object,
		"created": header.created,
		"model": header.model,
		"choices": [choice],
	})
	.to_string()
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn chunks_are_words_and_concatenate_to_the_text() {
		assert_eq!(split_chunks(" Paris is  nice."), vec![" Paris", " is", "  nice."]);
		assert_eq!(split_chunks("Hello world \n"), vec!["Hello", " world \n"]);
		assert_eq!(split_chunks("   "), vec!["   "]);
		assert!(split_chunks("").is_empty());
		for text in ["a b c", " ünïcødé  wörds\n", "x", "\n\nend", "é é "] {
			assert_eq!(split_chunks(text).concat(), text, "{text:?}");
		}
	}

	#[test]
	fn a_streamed_chat_is_role_words_finish_done() {
		let header = Header { id: "chatcmpl-1", created: 7, model: "text-generation-sn2" };
		let events = events(Kind::Chat, &header, " Paris.", "stop");
		assert_eq!(events.len(), 4);
		let first: Value = serde_json::from_str(&events[0]).expect("json");
		assert_eq!(first["object"], "chat.completion.chunk");
		assert_eq!(first["choices"][0]["delta"], json!({"role": "assistant", "content": ""}));
		let word: Value = serde_json::from_str(&events[1]).expect("json");
		assert_eq!(word["choices"][0]["delta"]["content"], " Paris.");
		assert_eq!(word["choices"][0]["finish_reason"], Value::Null);
		let last: Value = serde_json::from_str(&events[2]).expect("json");
		assert_eq!(last["choices"][0]["finish_reason"], "stop");
		assert_eq!(last["choices"][0]["delta"], json!({}));
		assert_eq!(events[3], "[DONE]");
		let completion = super::events(Kind::Completion, &header, "a b", "length");
		assert_eq!(completion.len(), 4);
		let text: Value = serde_json::from_str(&completion[1]).expect("json");
		assert_eq!(text["object"], "text_completion");
		assert_eq!(text["choices"][0]["text"], " b");
	}
}
