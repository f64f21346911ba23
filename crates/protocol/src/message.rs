//! The messages exchanged on [`PROTOCOL_NAME`](crate::PROTOCOL_NAME), and their CBOR encoding.
//!
//! Every message is one CBOR data item produced by serde's default (externally tagged)
//! representation: a struct is a map keyed by field name, an enum variant with fields is a
//! one-entry map `{ "Variant": ... }`, a variant without fields is the text string `"Variant"`.

use std::io;

use serde::{de::DeserializeOwned, Deserialize, Serialize};

/// A query from a validator to a miner: one task, on one subnet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Query {
	/// The subnet the query is made on; the miner must serve it and the querying peer must hold
	/// a validator permit on it.
	pub netuid: u16,
	/// What the miner is asked to do.
	pub task: TaskRequest,
}

/// The work a [`Query`] asks for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum TaskRequest {
	/// Embed each sentence into one vector.
	Embed {
		/// The sentences, answered in the same order by [`Answer::Embeddings`].
		sentences: Vec<String>,
	},
	/// Continue a prompt.
	Generate {
		/// The text to continue.
		prompt: String,
		/// The most tokens to generate.
		max_tokens: u32,
		/// Whether the answer should carry the log-probability of each generated token.
		logprobs: bool,
	},
}

impl TaskRequest {
	/// A short name for the task (`"embed"` or `"generate"`), e.g. for [`Refusal::Unsupported`]
	/// and for logs.
	pub fn kind(&self) -> &'static str {
		match self {
			TaskRequest::Embed { .. } => "embed",
			TaskRequest::Generate { .. } => "generate",
		}
	}
}

/// The result of a task a miner carried out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Answer {
	/// The answer to [`TaskRequest::Embed`].
	Embeddings {
		/// The model that produced the vectors.
		model: String,
		/// One vector per sentence, in the order of the request.
		vectors: Vec<Vec<f32>>,
	},
	/// The answer to [`TaskRequest::Generate`].
	Generation {
		/// The model that produced the text.
		model: String,
		/// The generated text (without the prompt).
		text: String,
		/// The log-probability of each generated token, when the request asked for them.
		logprobs: Option<Vec<f32>>,
	},
}

/// A miner's reply to a [`Query`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Response {
	/// The task was carried out.
	Ok(Answer),
	/// The query was refused (or failed); see [`Refusal`].
	Refused(Refusal),
}

/// Why a query was not answered.
///
/// `NotAuthorised`, `RateLimited` and `Busy` are sent by the protocol's event loop itself, before
/// the query reaches the application; an [`Authorizer`](crate::Authorizer) may return any of
/// them; the application answers the others (`WrongSubnet`, `BadRequest`, `Unsupported`,
/// `Failed`) through [`Inbound::respond`](crate::Inbound::respond).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum Refusal {
	/// The querying peer is not a validator with a permit on this subnet.
	#[error("not authorised: {reason}")]
	NotAuthorised {
		/// Why, in words.
		reason: String,
	},
	/// This miner serves another subnet.
	#[error("wrong subnet: this miner serves subnet {served}")]
	WrongSubnet {
		/// The subnet the miner serves.
		served: u16,
	},
	/// The querying peer sent more queries than its rate allows.
	#[error("rate limited: retry after {retry_after_ms} ms")]
	RateLimited {
		/// How long until the peer may query again, in milliseconds.
		retry_after_ms: u64,
	},
	/// Too many queries are in flight on this miner.
	#[error("busy: too many queries in flight")]
	Busy,
	/// The query is malformed or too large for this miner (e.g. empty input, too many
	/// sentences).
	#[error("bad request: {reason}")]
	BadRequest {
		/// Why, in words.
		reason: String,
	},
	/// This miner does not serve this task.
	#[error("unsupported task: {task}")]
	Unsupported {
		/// The task asked for (see [`TaskRequest::kind`]).
		task: String,
	},
	/// The task failed (e.g. a model error), or the application dropped the query unanswered.
	#[error("failed: {reason}")]
	Failed {
		/// Why, in words.
		reason: String,
	},
}

/// Encodes a value as one CBOR data item, the way it goes on the wire.
pub fn to_cbor<T: Serialize + ?Sized>(value: &T) -> io::Result<Vec<u8>> {
	let mut bytes = Vec::new();
	ciborium::into_writer(value, &mut bytes)
		.map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("CBOR encoding: {e}")))?;
	Ok(bytes)
}

/// Decodes exactly one CBOR data item (trailing bytes are an error), the way it is read from the
/// wire.
pub fn from_cbor<T: DeserializeOwned>(bytes: &[u8]) -> io::Result<T> {
	let mut rest = bytes;
	let value = ciborium::from_reader(&mut rest)
		.map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("CBOR decoding: {e}")))?;
	if !rest.is_empty() {
		return Err(io::Error::new(
			io::ErrorKind::InvalidData,
			format!("CBOR decoding: {} trailing bytes after the message", rest.len()),
		));
	}
	Ok(value)
}

#[cfg(test)]
mod tests {
	use super::*;

	fn round_trip<T>(value: T)
	where
		T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
	{
		let bytes = to_cbor(&value).expect("encodes");
		let back: T = from_cbor(&bytes).expect("decodes");
		assert_eq!(back, value);
	}

	#[test]
	fn cbor_round_trip_of_every_message() {
		round_trip(Query {
			netuid: 7,
			task: TaskRequest::Embed {
				sentences: vec!["a".into(), "ünïcode ✓".into(), String::new()],
			},
		});
		round_trip(Query { netuid: 0, task: TaskRequest::Embed { sentences: vec![] } });
		round_trip(Query {
			netuid: u16::MAX,
			task: TaskRequest::Generate { prompt: "Once".into(), max_tokens: 64, logprobs: true },
		});
		round_trip(Response::Ok(Answer::Embeddings {
			model: "minilm".into(),
			vectors: vec![vec![0.0, -1.5, 3.25e-8, f32::MAX, f32::MIN_POSITIVE], vec![]],
		}));
		round_trip(Response::Ok(Answer::Generation {
			model: "smollm2".into(),
			text: "upon a time".into(),
			logprobs: Some(vec![-0.1, -2.0]),
		}));
		round_trip(Response::Ok(Answer::Generation {
			model: "smollm2".into(),
			text: String::new(),
			logprobs: None,
		}));
		for refusal in [
			Refusal::NotAuthorised { reason: "no permit".into() },
			Refusal::WrongSubnet { served: 3 },
			Refusal::RateLimited { retry_after_ms: 1234 },
			Refusal::Busy,
			Refusal::BadRequest { reason: "empty".into() },
			Refusal::Unsupported { task: "generate".into() },
			Refusal::Failed { reason: "oom".into() },
		] {
			round_trip(refusal.clone());
			round_trip(Response::Refused(refusal));
		}
	}

	#[test]
	fn wire_shape_is_externally_tagged() {
		// {"netuid": 1, "task": {"Embed": {"sentences": ["x"]}}}
		let bytes =
			to_cbor(&Query { netuid: 1, task: TaskRequest::Embed { sentences: vec!["x".into()] } })
				.expect("encodes");
		let value: ciborium::Value = from_cbor(&bytes).expect("decodes");
		let expected = ciborium::Value::Map(vec![
			(ciborium::Value::Text("netuid".into()), ciborium::Value::Integer(1.into())),
			(
				ciborium::Value::Text("task".into()),
				ciborium::Value::Map(vec![(
					ciborium::Value::Text("Embed".into()),
					ciborium::Value::Map(vec![(
						ciborium::Value::Text("sentences".into()),
						ciborium::Value::Array(vec![ciborium::Value::Text("x".into())]),
					)]),
				)]),
			),
		]);
		assert_eq!(value, expected);
		// A variant without fields is its name.
		let busy = to_cbor(&Response::Refused(Refusal::Busy)).expect("encodes");
		let value: ciborium::Value = from_cbor(&busy).expect("decodes");
		assert_eq!(
			value,
			ciborium::Value::Map(vec![(
				ciborium::Value::Text("Refused".into()),
				ciborium::Value::Text("Busy".into()),
			)])
		);
	}

	#[test]
	fn trailing_bytes_and_garbage_are_rejected() {
		let mut bytes = to_cbor(&Refusal::Busy).expect("encodes");
		bytes.push(0);
		assert!(from_cbor::<Refusal>(&bytes).is_err());
		assert!(from_cbor::<Query>(&[0xff, 0x00, 0x13]).is_err());
		assert!(from_cbor::<Query>(&[]).is_err());
	}

	#[test]
	fn refusals_display_clearly() {
		assert_eq!(
			Refusal::WrongSubnet { served: 3 }.to_string(),
			"wrong subnet: this miner serves subnet 3"
		);
		assert_eq!(
			Refusal::RateLimited { retry_after_ms: 500 }.to_string(),
			"rate limited: retry after 500 ms"
		);
		assert_eq!(Refusal::Busy.to_string(), "busy: too many queries in flight");
	}
}
