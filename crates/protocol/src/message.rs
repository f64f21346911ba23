//! The messages exchanged on [`PROTOCOL_NAME`](crate::PROTOCOL_NAME), and their CBOR encoding.
//!
//! Every message is one CBOR data item produced by serde's default (externally tagged)
//! representation: a struct is a map keyed by field name, an enum variant with fields is a
//! one-entry map `{ "Variant": ... }`, a variant without fields is the text string `"Variant"`.

use std::{fmt, io};

use serde::{de, de::DeserializeOwned, Deserialize, Deserializer, Serialize, Serializer};
use subxt_signer::sr25519::{self, Keypair};

/// A 32-byte sr25519 public key: a neuron's hotkey, the same bytes as its `AccountId32`.
///
/// On the wire: a CBOR byte string of 32 bytes. Displayed as `0x` and 64 hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hotkey(pub [u8; 32]);

impl Hotkey {
	/// The hotkey of `keypair`.
	pub fn of(keypair: &Keypair) -> Self {
		Hotkey(keypair.public_key().0)
	}

	/// The public key, to verify signatures with.
	pub fn public_key(&self) -> sr25519::PublicKey {
		sr25519::PublicKey(self.0)
	}
}

impl From<[u8; 32]> for Hotkey {
	fn from(bytes: [u8; 32]) -> Self {
		Hotkey(bytes)
	}
}

impl fmt::Display for Hotkey {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		write_hex(f, &self.0)
	}
}

impl fmt::Debug for Hotkey {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		write!(f, "Hotkey({self})")
	}
}

/// A 64-byte sr25519 signature (schnorrkel, signing context `"substrate"`: the signatures of
/// polkadot.js and `sp-core`).
///
/// On the wire: a CBOR byte string of 64 bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature(pub [u8; 64]);

impl fmt::Debug for Signature {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		f.write_str("Signature(")?;
		write_hex(f, &self.0)?;
		f.write_str(")")
	}
}

fn write_hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
	f.write_str("0x")?;
	for b in bytes {
		write!(f, "{b:02x}")?;
	}
	Ok(())
}

/// Serialises fixed-size byte arrays as CBOR byte strings (serde's default is an array of
/// integers), and reads them back checking the length.
macro_rules! byte_string_serde {
	($ty:ident, $len:expr, $what:expr) => {
		impl Serialize for $ty {
			fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
				serializer.serialize_bytes(&self.0)
			}
		}

		impl<'de> Deserialize<'de> for $ty {
			fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
				struct Visit;
				impl<'de> de::Visitor<'de> for Visit {
					type Value = $ty;
					fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
						write!(f, "{} ({} bytes)", $what, $len)
					}
					fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<$ty, E> {
						let bytes: [u8; $len] =
							v.try_into().map_err(|_| E::invalid_length(v.len(), &self))?;
						Ok($ty(bytes))
					}
					fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<$ty, E> {
						self.visit_bytes(&v)
					}
				}
				deserializer.deserialize_bytes(Visit)
			}
		}
	};
}

byte_string_serde!(Hotkey, 32, "an sr25519 public key");
byte_string_serde!(Signature, 64, "an sr25519 signature");

/// What a validator's hotkey signs in a [`Query`]: the domain separator, then the BLAKE2b-256
/// digest of the CBOR of [`QueryBody`].
pub const QUERY_DOMAIN: &[u8] = b"agora/query/2";

/// What a miner's hotkey signs in a [`SignedAnswer`]: the domain separator, then the query's
/// [`digest`](Query::digest), then the BLAKE2b-256 digest of the CBOR of the [`Answer`].
pub const ANSWER_DOMAIN: &[u8] = b"agora/answer/2";

/// A query from a validator to a miner: one task, on one subnet, addressed to one miner hotkey,
/// signed by the validator's hotkey.
///
/// Build it with [`Query::signed`]; check it with [`Query::verify`]. The signature covers every
/// other field (see [`Query::payload`]), so a query cannot be replayed to another miner or
/// subnet, nor its task changed, and it names the validator that sent it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Query {
	/// The subnet the query is made on; the miner must serve it and the querying peer must hold
	/// a validator permit on it.
	pub netuid: u16,
	/// The hotkey of the miner (the UID) the query is addressed to. A node serving another
	/// hotkey refuses it ([`Refusal::Misaddressed`]).
	pub miner: Hotkey,
	/// The hotkey of the validator that sent (and signed) the query; the chain must list the
	/// querying PeerId as this hotkey's endpoint.
	pub validator: Hotkey,
	/// A number the validator chooses once per query (e.g. round and index), so that two
	/// queries with the same task have different digests.
	pub nonce: u64,
	/// What the miner is asked to do.
	pub task: TaskRequest,
	/// The validator's signature of [`Query::payload`].
	pub signature: Signature,
}

/// The signed fields of a [`Query`] (all but the signature), in this order; its CBOR is what
/// [`Query::payload`] hashes.
#[derive(Serialize)]
pub struct QueryBody<'a> {
	/// [`Query::netuid`].
	pub netuid: u16,
	/// [`Query::miner`].
	pub miner: &'a Hotkey,
	/// [`Query::validator`].
	pub validator: &'a Hotkey,
	/// [`Query::nonce`].
	pub nonce: u64,
	/// [`Query::task`].
	pub task: &'a TaskRequest,
}

impl Query {
	/// A query on `netuid` for `task`, addressed to `miner`, signed by the validator's hotkey
	/// `validator` (whose public key becomes [`Query::validator`]).
	pub fn signed(
		netuid: u16,
		miner: Hotkey,
		nonce: u64,
		task: TaskRequest,
		validator: &Keypair,
	) -> Query {
		let mut query = Query {
			netuid,
			miner,
			validator: Hotkey::of(validator),
			nonce,
			task,
			signature: Signature([0; 64]),
		};
		query.signature = Signature(validator.sign(&query.payload()).0);
		query
	}

	/// What [`Query::validator`] signs, 45 bytes:
	/// `b"agora/query/2" || blake2_256(cbor(QueryBody { netuid, miner, validator, nonce, task }))`.
	pub fn payload(&self) -> Vec<u8> {
		let body = QueryBody {
			netuid: self.netuid,
			miner: &self.miner,
			validator: &self.validator,
			nonce: self.nonce,
			task: &self.task,
		};
		let mut payload = Vec::with_capacity(QUERY_DOMAIN.len() + 32);
		payload.extend_from_slice(QUERY_DOMAIN);
		payload.extend_from_slice(&blake2_256(&canonical_cbor(&body)));
		payload
	}

	/// Whether [`Query::signature`] is [`Query::validator`]'s signature of [`Query::payload`].
	pub fn verify(&self) -> bool {
		let signature = sr25519::Signature(self.signature.0);
		sr25519::verify(&signature, self.payload(), &self.validator.public_key())
	}

	/// The BLAKE2b-256 digest of the CBOR of the whole signed query (signature included): what
	/// a [`SignedAnswer`] is bound to. The same on both ends: decoding and re-encoding a query
	/// gives the bytes it was encoded to.
	pub fn digest(&self) -> [u8; 32] {
		blake2_256(&canonical_cbor(self))
	}
}

/// A miner's answer, signed by the miner's hotkey and bound to the query it answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignedAnswer {
	/// The answer.
	pub answer: Answer,
	/// The miner's signature of [`SignedAnswer::payload`].
	pub signature: Signature,
}

impl SignedAnswer {
	/// Signs `answer` to `query` with the miner's hotkey `miner` (which should be
	/// [`Query::miner`], or the answer will not [`verify`](Self::verify)).
	pub fn sign(answer: Answer, query: &Query, miner: &Keypair) -> SignedAnswer {
		let signature = Self::sign_encoded(&canonical_cbor(&answer), query, miner);
		SignedAnswer { answer, signature }
	}

	/// What the miner signs, 78 bytes:
	/// `b"agora/answer/2" || query.digest() || blake2_256(cbor(answer))`.
	pub fn payload(answer: &Answer, query: &Query) -> Vec<u8> {
		Self::payload_of_encoded(&canonical_cbor(answer), query)
	}

	/// [`payload`](Self::payload) from the answer's CBOR.
	fn payload_of_encoded(answer: &[u8], query: &Query) -> Vec<u8> {
		let mut payload = Vec::with_capacity(ANSWER_DOMAIN.len() + 64);
		payload.extend_from_slice(ANSWER_DOMAIN);
		payload.extend_from_slice(&query.digest());
		payload.extend_from_slice(&blake2_256(answer));
		payload
	}

	/// The signature of the answer whose CBOR is `answer`.
	fn sign_encoded(answer: &[u8], query: &Query, miner: &Keypair) -> Signature {
		Signature(miner.sign(&Self::payload_of_encoded(answer, query)).0)
	}

	/// `Response::Ok(SignedAnswer::sign(answer, query, miner))` already in CBOR, the answer
	/// encoded once for both its digest and the wire. The bytes are `to_cbor` of that response
	/// (tested).
	pub(crate) fn sign_to_response_cbor(
		answer: &Answer,
		query: &Query,
		miner: &Keypair,
	) -> Vec<u8> {
		// {"Ok": {"answer": <answer>, "signature": h'<64 bytes>'}}
		const HEAD: &[u8] = b"\xa1\x62Ok\xa2\x66answer";
		const SIGNATURE: &[u8] = b"\x69signature\x58\x40";
		let encoded = canonical_cbor(answer);
		let signature = Self::sign_encoded(&encoded, query, miner);
		let mut bytes =
			Vec::with_capacity(HEAD.len() + encoded.len() + SIGNATURE.len() + signature.0.len());
		bytes.extend_from_slice(HEAD);
		bytes.extend_from_slice(&encoded);
		bytes.extend_from_slice(SIGNATURE);
		bytes.extend_from_slice(&signature.0);
		bytes
	}

	/// Whether this is an answer to `query` signed by the hotkey the query was addressed to
	/// ([`Query::miner`]).
	pub fn verify(&self, query: &Query) -> bool {
		let signature = sr25519::Signature(self.signature.0);
		sr25519::verify(&signature, Self::payload(&self.answer, query), &query.miner.public_key())
	}
}

/// `f32` vectors as CBOR byte strings of their little-endian bytes (4 per float).
///
/// A float array in CBOR costs a header byte per float, and writing each in its shortest exact
/// width (what `ciborium` does) costs a trial conversion per float; a 384-dimension embedding
/// is then ~1.9 KB and ~5 µs to write. Packed it is 1,539 bytes written with one copy, read
/// back bit for bit (NaN payloads included), and hashed as it is sent.
pub(crate) mod packed_f32 {
	use serde::{de, ser::SerializeSeq, Deserializer, Serializer};
	use std::fmt;

	fn to_bytes(v: &[f32]) -> Vec<u8> {
		v.iter().flat_map(|f| f.to_le_bytes()).collect()
	}

	fn from_bytes<E: de::Error>(bytes: &[u8]) -> Result<Vec<f32>, E> {
		if !bytes.len().is_multiple_of(4) {
			return Err(E::custom(format!(
				"a packed f32 vector of {} bytes is not a whole number of 4-byte floats",
				bytes.len()
			)));
		}
		Ok(bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
	}

	struct One;

	impl<'de> de::Visitor<'de> for One {
		type Value = Vec<f32>;
		fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
			f.write_str("a byte string of little-endian f32s")
		}
		fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Vec<f32>, E> {
			from_bytes(v)
		}
		fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Vec<f32>, E> {
			from_bytes(&v)
		}
	}

	/// One vector per item: an array of byte strings.
	pub(crate) mod vectors {
		use super::*;

		/// Writes each vector as a byte string.
		pub(crate) fn serialize<S: Serializer>(v: &[Vec<f32>], s: S) -> Result<S::Ok, S::Error> {
			let mut seq = s.serialize_seq(Some(v.len()))?;
			for vector in v {
				seq.serialize_element(&serde_bytes_ref(&to_bytes(vector)))?;
			}
			seq.end()
		}

		/// Reads an array of byte strings.
		pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
			d: D,
		) -> Result<Vec<Vec<f32>>, D::Error> {
			struct Many;
			impl<'de> de::Visitor<'de> for Many {
				type Value = Vec<Vec<f32>>;
				fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
					f.write_str("an array of byte strings of little-endian f32s")
				}
				fn visit_seq<A: de::SeqAccess<'de>>(
					self,
					mut seq: A,
				) -> Result<Self::Value, A::Error> {
					// The codec bounds the message, hence the count; no pre-allocation from it.
					let mut out = Vec::new();
					while let Some(Packed(v)) = seq.next_element()? {
						out.push(v);
					}
					Ok(out)
				}
			}
			d.deserialize_seq(Many)
		}
	}

	/// An optional vector: a byte string or null.
	pub(crate) mod optional {
		use super::*;

		/// Writes the vector as a byte string, or null.
		pub(crate) fn serialize<S: Serializer>(
			v: &Option<Vec<f32>>,
			s: S,
		) -> Result<S::Ok, S::Error> {
			match v {
				Some(v) => s.serialize_bytes(&to_bytes(v)),
				None => s.serialize_none(),
			}
		}

		/// Reads a byte string or null.
		pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
			d: D,
		) -> Result<Option<Vec<f32>>, D::Error> {
			Ok(<Option<Packed> as serde::Deserialize>::deserialize(d)?.map(|p| p.0))
		}
	}

	/// A vector read from a byte string.
	struct Packed(Vec<f32>);

	impl<'de> serde::Deserialize<'de> for Packed {
		fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
			d.deserialize_bytes(One).map(Packed)
		}
	}

	/// Serialises a byte slice as a byte string (not an array of integers).
	fn serde_bytes_ref(bytes: &[u8]) -> impl serde::Serialize + '_ {
		struct Bytes<'a>(&'a [u8]);
		impl serde::Serialize for Bytes<'_> {
			fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
				s.serialize_bytes(self.0)
			}
		}
		Bytes(bytes)
	}
}

/// BLAKE2b with a 256-bit output (Substrate's `blake2_256`).
pub fn blake2_256(bytes: &[u8]) -> [u8; 32] {
	sp_crypto_hashing::blake2_256(bytes)
}

/// The CBOR of a message, for hashing. Encoding these types into memory cannot fail (no I/O, no
/// map with non-string keys, no custom serialiser errors), so an error is not expected; it would
/// give an empty encoding, whose digest no honest peer signs.
fn canonical_cbor<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
	to_cbor(value).unwrap_or_default()
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
		/// One vector per sentence, in the order of the request. On the wire: an array of byte
		/// strings, each the vector's `f32`s in little-endian order.
		#[serde(with = "packed_f32::vectors")]
		vectors: Vec<Vec<f32>>,
	},
	/// The answer to [`TaskRequest::Generate`].
	Generation {
		/// The model that produced the text.
		model: String,
		/// The generated text (without the prompt).
		text: String,
		/// The log-probability of each generated token, when the request asked for them. On
		/// the wire: a byte string of little-endian `f32`s, or `null`.
		#[serde(with = "packed_f32::optional")]
		logprobs: Option<Vec<f32>>,
	},
}

/// A miner's reply to a [`Query`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Response {
	/// The task was carried out; the answer is signed by the miner's hotkey.
	Ok(SignedAnswer),
	/// The query was refused (or failed); see [`Refusal`].
	Refused(Refusal),
}

/// Why a query was not answered.
///
/// `NotAuthorised`, `ValidatorMismatch`, `Misaddressed`, `BadSignature`, `RateLimited` and
/// `Busy` are sent by the protocol's event loop itself, before the query reaches the
/// application; an [`Authorizer`](crate::Authorizer) may return any refusal; the application
/// answers the others (`WrongSubnet`, `BadRequest`, `Unsupported`, `Failed`) through
/// [`Inbound::refuse`](crate::Inbound::refuse).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum Refusal {
	/// The querying peer is not a validator with a permit on this subnet.
	#[error("not authorised: {reason}")]
	NotAuthorised {
		/// Why, in words.
		reason: String,
	},
	/// The query's [`validator`](Query::validator) hotkey is not the hotkey whose endpoint
	/// (on chain) is the querying PeerId: a peer may only sign queries as its own hotkey.
	#[error(
		"validator mismatch: this peer is the endpoint of hotkey {listed}, not of the query's \
		 validator hotkey"
	)]
	ValidatorMismatch {
		/// The hotkey the chain lists for the querying peer.
		listed: Hotkey,
	},
	/// The query is addressed to another miner hotkey ([`Query::miner`]) than the one this node
	/// serves: e.g. a UID that published this node's PeerId as its own endpoint.
	#[error("misaddressed: this node serves hotkey {served}, not the query's miner hotkey")]
	Misaddressed {
		/// The hotkey this node serves.
		served: Hotkey,
	},
	/// The query's signature does not verify against its validator hotkey.
	#[error("bad signature: the query is not signed by its validator hotkey")]
	BadSignature,
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
	use subxt_signer::SecretUri;

	fn key(uri: &str) -> Keypair {
		let uri: SecretUri = uri.parse().expect("secret uri");
		Keypair::from_uri(&uri).expect("keypair")
	}

	fn round_trip<T>(value: T)
	where
		T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
	{
		let bytes = to_cbor(&value).expect("encodes");
		let back: T = from_cbor(&bytes).expect("decodes");
		assert_eq!(back, value);
		// What digests rely on: the encoding of the decoded value is the same bytes.
		assert_eq!(to_cbor(&back).expect("encodes"), bytes);
	}

	fn embed(sentences: &[&str]) -> TaskRequest {
		TaskRequest::Embed { sentences: sentences.iter().map(|s| s.to_string()).collect() }
	}

	fn query(task: TaskRequest) -> Query {
		Query::signed(7, Hotkey::of(&key("//Miner")), 42, task, &key("//Validator"))
	}

	fn awkward_floats() -> Vec<f32> {
		vec![
			0.0,
			-0.0,
			-1.5,
			3.25e-8,
			0.1,
			1.0 / 3.0,
			f32::MAX,
			f32::MIN,
			f32::MIN_POSITIVE,
			f32::MIN_POSITIVE / 8.0,
			f32::EPSILON,
			f32::INFINITY,
			f32::NEG_INFINITY,
			65504.0,
			65505.0,
		]
	}

	#[test]
	fn cbor_round_trip_of_every_message() {
		round_trip(query(embed(&["a", "ünïcode ✓", ""])));
		round_trip(query(embed(&[])));
		round_trip(query(TaskRequest::Generate {
			prompt: "Once".into(),
			max_tokens: 64,
			logprobs: true,
		}));
		let q = query(embed(&["x"]));
		round_trip(Response::Ok(SignedAnswer::sign(
			Answer::Embeddings { model: "minilm".into(), vectors: vec![awkward_floats(), vec![]] },
			&q,
			&key("//Miner"),
		)));
		round_trip(Response::Ok(SignedAnswer {
			answer: Answer::Generation {
				model: "smollm2".into(),
				text: "upon a time".into(),
				logprobs: Some(vec![-0.1, -2.0]),
			},
			signature: Signature([7; 64]),
		}));
		round_trip(Response::Ok(SignedAnswer {
			answer: Answer::Generation {
				model: "smollm2".into(),
				text: String::new(),
				logprobs: None,
			},
			signature: Signature([0; 64]),
		}));
		for refusal in [
			Refusal::NotAuthorised { reason: "no permit".into() },
			Refusal::ValidatorMismatch { listed: Hotkey([1; 32]) },
			Refusal::Misaddressed { served: Hotkey([2; 32]) },
			Refusal::BadSignature,
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
	fn re_encoding_a_decoded_answer_gives_the_signed_bytes() {
		// Floats of every width, NaN included: the digest the validator computes from what it
		// decoded must be the one the miner signed.
		let mut floats = awkward_floats();
		floats.push(f32::NAN);
		floats.push(f32::from_bits(0x7fc0_0001));
		floats.extend((0..1000).map(|i| (i as f32 * 0.7311).sin() / 3.0));
		let answer = Answer::Embeddings { model: "m".into(), vectors: vec![floats.clone(); 3] };
		let bytes = to_cbor(&answer).expect("encodes");
		let back: Answer = from_cbor(&bytes).expect("decodes");
		assert_eq!(to_cbor(&back).expect("encodes"), bytes);
		let Answer::Embeddings { vectors, .. } = &back else { panic!("variant") };
		let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
		assert_eq!(bits(&vectors[0]), bits(&floats), "every float read back bit for bit");

		let q = query(embed(&["x"]));
		let signed = SignedAnswer::sign(answer, &q, &key("//Miner"));
		let wire = to_cbor(&Response::Ok(signed)).expect("encodes");
		let Response::Ok(received) = from_cbor::<Response>(&wire).expect("decodes") else {
			panic!("variant")
		};
		let q_received: Query = from_cbor(&to_cbor(&q).expect("encodes")).expect("decodes");
		assert_eq!(q_received.digest(), q.digest());
		assert!(received.verify(&q_received));
	}

	#[test]
	fn signed_query_verifies_and_any_change_breaks_it() {
		let validator = key("//Validator");
		let q = query(embed(&["hello"]));
		assert_eq!(q.validator, Hotkey::of(&validator));
		assert!(q.verify());
		assert_eq!(q.payload().len(), 45);
		assert!(q.payload().starts_with(b"agora/query/2"));

		let mut t = q.clone();
		t.task = embed(&["hellO"]);
		assert!(!t.verify(), "tampered task");
		let mut t = q.clone();
		t.miner = Hotkey::of(&key("//Other"));
		assert!(!t.verify(), "tampered miner");
		let mut t = q.clone();
		t.nonce += 1;
		assert!(!t.verify(), "tampered nonce");
		let mut t = q.clone();
		t.netuid += 1;
		assert!(!t.verify(), "tampered netuid");
		let mut t = q.clone();
		t.validator = Hotkey::of(&key("//Impostor"));
		assert!(!t.verify(), "claimed by another validator");
		let mut t = q.clone();
		t.signature.0[0] ^= 1;
		assert!(!t.verify(), "tampered signature");
		// Signed by the wrong key.
		let mut t = Query::signed(7, q.miner, 42, q.task.clone(), &key("//Impostor"));
		t.validator = q.validator;
		assert!(!t.verify(), "wrong key");
		// Not a valid public key at all.
		let mut t = q.clone();
		t.validator = Hotkey([0xff; 32]);
		assert!(!t.verify());

		// The digest covers the signature and the nonce.
		let again = Query::signed(7, q.miner, 43, q.task.clone(), &validator);
		assert_ne!(again.digest(), q.digest());
	}

	#[test]
	fn a_response_signed_and_encoded_at_once_is_the_encoding_of_the_signed_answer() {
		let miner = key("//Miner");
		let q = query(embed(&["hello"]));
		for answer in [
			Answer::Embeddings { model: "m".into(), vectors: vec![awkward_floats(); 3] },
			Answer::Generation { model: "g".into(), text: "t".repeat(300), logprobs: None },
		] {
			let bytes = SignedAnswer::sign_to_response_cbor(&answer, &q, &miner);
			let response: Response = from_cbor(&bytes).expect("decodes");
			// sr25519 signatures are randomised: compare with the encoding of what was decoded.
			assert_eq!(to_cbor(&response).expect("encodes"), bytes);
			let Response::Ok(decoded) = response else { panic!("variant") };
			assert_eq!(decoded.answer, answer);
			assert!(decoded.verify(&q));
		}
	}

	#[test]
	fn signed_answer_verifies_against_its_query_only() {
		let miner = key("//Miner");
		let q = query(embed(&["hello"]));
		let answer = Answer::Embeddings { model: "m".into(), vectors: vec![vec![0.5, -1.0]] };
		let signed = SignedAnswer::sign(answer.clone(), &q, &miner);
		assert!(signed.verify(&q));
		assert_eq!(SignedAnswer::payload(&answer, &q).len(), 78);
		assert!(SignedAnswer::payload(&answer, &q).starts_with(b"agora/answer/2"));

		let mut t = signed.clone();
		t.answer = Answer::Embeddings { model: "m".into(), vectors: vec![vec![0.5, -1.5]] };
		assert!(!t.verify(&q), "tampered answer");
		let mut t = signed.clone();
		t.signature.0[10] ^= 0x80;
		assert!(!t.verify(&q), "tampered signature");
		// Signed by another hotkey than the one the query is addressed to (a copycat).
		assert!(!SignedAnswer::sign(answer.clone(), &q, &key("//Copycat")).verify(&q));
		// Bound to the query: not valid for another query, even with the same task.
		let other = Query::signed(7, q.miner, 43, q.task.clone(), &key("//Validator"));
		assert!(!signed.verify(&other));
		// A query's domain is not an answer's.
		assert_ne!(&q.payload()[..13], &SignedAnswer::payload(&answer, &q)[..13]);
	}

	#[test]
	fn wire_shape_is_externally_tagged() {
		let q = Query {
			netuid: 1,
			miner: Hotkey([0xaa; 32]),
			validator: Hotkey([0xbb; 32]),
			nonce: 5,
			task: embed(&["x"]),
			signature: Signature([0xcc; 64]),
		};
		let bytes = to_cbor(&q).expect("encodes");
		let value: ciborium::Value = from_cbor(&bytes).expect("decodes");
		use ciborium::Value as V;
		let text = |s: &str| V::Text(s.into());
		let expected = V::Map(vec![
			(text("netuid"), V::Integer(1.into())),
			(text("miner"), V::Bytes(vec![0xaa; 32])),
			(text("validator"), V::Bytes(vec![0xbb; 32])),
			(text("nonce"), V::Integer(5.into())),
			(
				text("task"),
				V::Map(vec![(
					text("Embed"),
					V::Map(vec![(text("sentences"), V::Array(vec![text("x")]))]),
				)]),
			),
			(text("signature"), V::Bytes(vec![0xcc; 64])),
		]);
		assert_eq!(value, expected);
		// The example of docs/protocol.md.
		let hi = Query { task: embed(&["hi"]), ..q.clone() };
		assert_eq!(to_cbor(&hi).expect("encodes").len(), 203);
		// The body that is hashed is the same map without the signature.
		let body = QueryBody {
			netuid: q.netuid,
			miner: &q.miner,
			validator: &q.validator,
			nonce: q.nonce,
			task: &q.task,
		};
		let V::Map(mut fields) = expected else { panic!("map") };
		fields.pop();
		let body_value: V = from_cbor(&to_cbor(&body).expect("encodes")).expect("decodes");
		assert_eq!(body_value, V::Map(fields));

		let answer = to_cbor(&Response::Ok(SignedAnswer {
			answer: Answer::Embeddings { model: "m".into(), vectors: vec![vec![0.5, 1.0]] },
			signature: Signature([1; 64]),
		}))
		.expect("encodes");
		let value: V = from_cbor(&answer).expect("decodes");
		let expected = V::Map(vec![(
			text("Ok"),
			V::Map(vec![
				(
					text("answer"),
					V::Map(vec![(
						text("Embeddings"),
						V::Map(vec![
							(text("model"), text("m")),
							(
								text("vectors"),
								V::Array(vec![V::Bytes(vec![0, 0, 0, 0x3f, 0, 0, 0x80, 0x3f])]),
							),
						]),
					)]),
				),
				(text("signature"), V::Bytes(vec![1; 64])),
			]),
		)]);
		assert_eq!(value, expected);
		// A variant without fields is its name.
		let busy = to_cbor(&Response::Refused(Refusal::Busy)).expect("encodes");
		let value: V = from_cbor(&busy).expect("decodes");
		assert_eq!(value, V::Map(vec![(text("Refused"), text("Busy"))]));
	}

	#[test]
	fn float_vectors_travel_packed_and_a_ragged_one_is_refused() {
		use ciborium::Value as V;
		let answer = Answer::Generation {
			model: "m".into(),
			text: "t".into(),
			logprobs: Some(vec![-0.5, f32::from_bits(0x7fc0_1234)]),
		};
		let back: Answer = from_cbor(&to_cbor(&answer).expect("encodes")).expect("decodes");
		let Answer::Generation { logprobs: Some(l), .. } = back else { panic!("variant") };
		assert_eq!(l[1].to_bits(), 0x7fc0_1234, "a NaN payload survives");
		// 6 bytes are not a whole number of f32s.
		let ragged = V::Map(vec![(
			V::Text("Embeddings".into()),
			V::Map(vec![
				(V::Text("model".into()), V::Text("m".into())),
				(V::Text("vectors".into()), V::Array(vec![V::Bytes(vec![0; 6])])),
			]),
		)]);
		let err = from_cbor::<Answer>(&to_cbor(&ragged).expect("encodes")).expect_err("ragged");
		assert!(err.to_string().contains("not a whole number of 4-byte floats"), "{err}");
	}

	#[test]
	fn keys_and_signatures_of_the_wrong_length_are_rejected() {
		use ciborium::Value as V;
		let mut q = ciborium::Value::serialized(&query(embed(&["x"]))).expect("value");
		if let V::Map(fields) = &mut q {
			fields[1].1 = V::Bytes(vec![0; 31]);
		}
		let bytes = to_cbor(&q).expect("encodes");
		let err = from_cbor::<Query>(&bytes).expect_err("short key");
		assert!(err.to_string().contains("32 bytes"), "{err}");
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
		assert_eq!(
			Refusal::Misaddressed { served: Hotkey([0xab; 32]) }.to_string(),
			format!(
				"misaddressed: this node serves hotkey 0x{}, not the query's miner hotkey",
				"ab".repeat(32)
			)
		);
		assert_eq!(
			Refusal::BadSignature.to_string(),
			"bad signature: the query is not signed by its validator hotkey"
		);
	}
}
