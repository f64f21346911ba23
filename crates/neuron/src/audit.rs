//! The validator's audit log: one signed [`RoundRecord`] per round, and its verification.
//!
//! ## What a record holds
//!
//! Everything a third party needs to recompute the round without any model: the challenge
//! ([`Challenge`]: the sentences or prompt, and what answers are scored against), each queried
//! miner's signed [`Query`] and [`SignedAnswer`] (CBOR, base64: the exact bytes their digests
//! cover), the latency, outcome, quality and score, the moving averages before and after the
//! round, the weight rules, and what was done with weights (set, committed, revealed, or nothing
//! and why) with the block the transaction is in.
//!
//! ## Signature
//!
//! The line is the record as compact JSON, `signature` last. The validator's hotkey signs
//! (sr25519, context `"substrate"`)
//!
//! ```text
//! b"agora/audit/1" || blake2_256(the line with the signature's value empty: "signature":"")
//! ```
//!
//! The bytes signed are the bytes written, not a re-serialisation of the parsed record: JSON
//! parsers do not all read floats back to the same bits (serde_json's default parser misreads
//! about one shortest-form `f64` in ten by one ulp), so re-serialising a parsed record would not
//! reliably give the signed bytes. A line that was reformatted or edited anywhere fails the check.
//!
//! ## Verification
//!
//! [`verify_record`] checks one record without a chain: the signature; each query's signature,
//! addressee, sender, subnet and task; each answer's signature; the quality re-scored from the
//! challenge and the answer, and the score re-blended with the latency; the averages re-folded;
//! the weights recomputed from the averages. [`verify_log`] adds what spans records: each
//! round's averages before are the previous round's after, and a reveal opens the last commit.
//! Comparing with the chain (the transactions in the inclusion blocks, the stored weights) is
//! the `agora audit verify --url` command's part.

use std::{collections::BTreeMap, fmt, time::Duration};

use agora_models::{eval, scoring};
use agora_primitives::{NetUid, Uid};
use agora_protocol::{from_cbor, to_cbor, Answer, Hotkey, Query, SignedAnswer, TaskRequest};
use base64::Engine;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use subxt_signer::sr25519::{self, Keypair};

use crate::weights::{self, Emas, Rules};

/// The record format this build writes and reads.
pub const VERSION: u32 = 1;

/// The domain separator of a record's signature.
pub const DOMAIN: &[u8] = b"agora/audit/1";

/// How far a recomputed quality, score or average may be from the logged one (JSON carries
/// floats in decimal; a re-read may differ in the last bit).
pub const TOLERANCE: f64 = 1e-9;

/// What can go wrong writing or reading an audit record.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
	/// The line is not JSON, or not an audit record.
	#[error("not an audit record: {0}")]
	NotARecord(String),
	/// A record of another format version.
	#[error("audit record version {found}; this build reads version {VERSION}")]
	Version {
		/// The record's version.
		found: u32,
	},
	/// The record could not be encoded (not expected: plain data).
	#[error("cannot encode the audit record: {0}")]
	Encode(String),
}

/// A round's challenge: what was asked, and what the answers are scored against.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Challenge {
	/// Text embedding: sentences, and the targets of their pairs.
	Embedding(eval::EmbeddingChallenge),
	/// Text generation: a prompt, and the text continuations are compared with.
	Generation(eval::GenerationChallenge),
}

impl Challenge {
	/// The task every miner is sent for this challenge.
	pub fn task(&self) -> TaskRequest {
		match self {
			Challenge::Embedding(c) => TaskRequest::Embed { sentences: c.sentences.clone() },
			Challenge::Generation(c) => TaskRequest::Generate {
				prompt: c.prompt.clone(),
				max_tokens: u32::try_from(c.max_tokens).unwrap_or(u32::MAX),
				logprobs: false,
			},
		}
	}

	/// Whether `task` asks for this challenge: the same sentences, or the same prompt and token
	/// budget (whether log-probabilities were asked for does not change the score).
	pub fn asks(&self, task: &TaskRequest) -> bool {
		match (self.task(), task) {
			(TaskRequest::Embed { sentences: a }, TaskRequest::Embed { sentences: b }) => a == *b,
			(
				TaskRequest::Generate { prompt: a, max_tokens: m, .. },
				TaskRequest::Generate { prompt: b, max_tokens: n, .. },
			) => a == *b && m == *n,
			_ => false,
		}
	}

	/// The quality of `answer`, in [0, 1], or why it scores 0 (malformed vectors, another
	/// task's answer).
	pub fn quality(&self, answer: &Answer) -> Result<f64, String> {
		match (self, answer) {
			(Challenge::Embedding(c), Answer::Embeddings { vectors, .. }) => {
				eval::score_embeddings(c, vectors).map_err(|e| e.to_string())
			},
			(Challenge::Generation(c), Answer::Generation { text, .. }) => {
				Ok(eval::score_generation(c, text))
			},
			_ => Err("answered a different task".to_string()),
		}
	}
}

/// An answer's score: its quality blended with its latency in whole milliseconds
/// ([`scoring::blend`]). The validator scores with the milliseconds it logs, so the score can be
/// recomputed from the log exactly.
pub fn score(quality: f64, ms: u64, budget_ms: u64) -> f64 {
	scoring::blend(quality, Duration::from_millis(ms), Duration::from_millis(budget_ms))
}

/// Each value as a reader of the log gets it back (a JSON round trip). The validator computes
/// weights from the averages as logged, so that a verifier reading them computes the same
/// weights to the last unit.
pub fn as_logged(scores: &BTreeMap<Uid, f64>) -> BTreeMap<Uid, f64> {
	scores
		.iter()
		.map(|(uid, v)| {
			let back = serde_json::to_string(v)
				.ok()
				.and_then(|s| serde_json::from_str::<f64>(&s).ok())
				.unwrap_or(*v);
			(*uid, back)
		})
		.collect()
}

/// What became of one miner's query.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
	/// A signed answer was scored; its score is folded into the miner's average.
	Scored,
	/// No usable answer (none, refused, malformed, badly signed): a score of 0 is folded in.
	Failed,
	/// Not the miner's fault (it does not know the validator yet, or was asked too fast): its
	/// average is left alone.
	Skipped,
}

/// One queried miner in a round.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MinerRecord {
	/// The miner's UID.
	pub uid: Uid,
	/// Its hotkey (SS58), which the query is addressed to.
	pub hotkey: String,
	/// The signed [`Query`] sent: its CBOR, base64.
	pub query: String,
	/// The [`SignedAnswer`] received, CBOR, base64; `null` when there was none.
	pub answer: Option<String>,
	/// Milliseconds from sending the query to the answer (what the score is blended with).
	pub ms: u64,
	/// What became of it.
	pub outcome: Outcome,
	/// Why it failed or was skipped.
	pub error: Option<String>,
	/// The answer's quality, in [0, 1] (0 unless scored).
	pub quality: f64,
	/// Its score, folded into the average (0 unless scored).
	pub score: f64,
}

impl MinerRecord {
	/// The query, decoded.
	pub fn decode_query(&self) -> Result<Query, String> {
		decode(&self.query).map_err(|e| format!("the query is not a CBOR query: {e}"))
	}

	/// The answer, decoded (`None` when there was none).
	pub fn decode_answer(&self) -> Result<Option<SignedAnswer>, String> {
		self.answer
			.as_deref()
			.map(|a| decode(a).map_err(|e| format!("the answer is not a CBOR signed answer: {e}")))
			.transpose()
	}
}

/// Weights submitted in a transaction: what was sent and the block it is in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submitted {
	/// The UIDs.
	pub uids: Vec<Uid>,
	/// Their u16 weights.
	pub values: Vec<u16>,
	/// The subnet's `weights_version_key` sent with them.
	pub version_key: u64,
	/// The block the transaction is in (`0x` and 64 hex digits).
	pub block_hash: String,
}

/// What a round did with weights.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightsAction {
	/// Nothing was submitted: rate-limited, waiting for a reveal window, nothing to weigh, or
	/// the submission failed.
	None {
		/// Why.
		reason: String,
	},
	/// `set_weights`, computed from this round's averages.
	Set {
		/// What was sent and where it is.
		#[serde(rename = "submitted")]
		sent: Submitted,
		/// `"match"` when the stored weights read back at inclusion were those sent, else the
		/// difference.
		read_back: String,
	},
	/// `commit_weights` of the hash of weights computed from this round's averages (the salt
	/// stays secret until the reveal).
	Committed {
		/// What the hash commits to and where the commit is.
		#[serde(rename = "submitted")]
		sent: Submitted,
		/// The committed hash (`0x` and 64 hex digits).
		hash: String,
	},
	/// `reveal_weights` of an earlier commit.
	Revealed {
		/// What was revealed and where.
		#[serde(rename = "submitted")]
		sent: Submitted,
		/// The salt of the commit (`0x` and hex).
		salt: String,
		/// As for [`WeightsAction::Set`].
		read_back: String,
	},
}

impl WeightsAction {
	/// The weights submitted, if any.
	pub fn submitted(&self) -> Option<&Submitted> {
		match self {
			WeightsAction::None { .. } => None,
			WeightsAction::Set { sent, .. }
			| WeightsAction::Committed { sent, .. }
			| WeightsAction::Revealed { sent, .. } => Some(sent),
		}
	}
}

/// One round of a validator, as logged (one JSON line of `<netuid>-<hotkey>.audit.jsonl`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoundRecord {
	/// The format version ([`VERSION`]).
	pub version: u32,
	/// The subnet.
	pub netuid: NetUid,
	/// The validator's round counter (it goes on across restarts).
	pub round: u64,
	/// The validator's hotkey (SS58): the key that signs the record and its queries.
	pub validator: String,
	/// The validator's UID.
	pub uid: Uid,
	/// The block the round read the metagraph at.
	pub block: u32,
	/// Its hash (`0x` and 64 hex digits); the challenge is seeded by it.
	pub block_hash: String,
	/// Whether the validator held a validator permit (without one it queries nobody).
	pub validator_permit: bool,
	/// The challenge (none when nobody was queried).
	pub challenge: Option<Challenge>,
	/// Milliseconds a miner had to answer (the latency budget of the score).
	pub budget_ms: u64,
	/// The weight of a new score in a UID's average.
	pub ema_alpha: f64,
	/// The queried miners, by UID.
	pub miners: Vec<MinerRecord>,
	/// Every UID of the subnet at `block` and the hotkey holding it (SS58).
	pub holders: BTreeMap<Uid, String>,
	/// The averages before the round.
	pub ema_before: Emas,
	/// The averages after it: `ema_before` without UIDs that changed hands, each scored or
	/// failed miner's score folded in ([`weights::fold_round`]).
	pub ema_after: Emas,
	/// The subnet's weight rules at `block`.
	pub rules: Rules,
	/// What was done with weights.
	pub weights: WeightsAction,
	/// The validator hotkey's signature (`0x` and 128 hex digits; see the module docs).
	pub signature: String,
}

impl RoundRecord {
	/// Signs the record with the validator's hotkey `signer` and returns its log line (without
	/// the newline).
	pub fn signed_line(&mut self, signer: &Keypair) -> Result<String, AuditError> {
		self.signature = String::new();
		let unsigned = to_json(self)?;
		self.signature = format!("0x{}", hex::encode(signer.sign(&payload(unsigned.as_bytes())).0));
		to_json(self)
	}

	/// The validator's account bytes, from its SS58 address.
	pub fn validator_key(&self) -> Option<[u8; 32]> {
		account_bytes(&self.validator)
	}
}

fn to_json(record: &RoundRecord) -> Result<String, AuditError> {
	serde_json::to_string(record).map_err(|e| AuditError::Encode(e.to_string()))
}

/// What a record's signature signs: [`DOMAIN`] and the BLAKE2b-256 digest of the unsigned line.
pub fn payload(unsigned_line: &[u8]) -> Vec<u8> {
	let mut payload = DOMAIN.to_vec();
	payload.extend_from_slice(&agora_protocol::blake2_256(unsigned_line));
	payload
}

/// A record read from its line, with the bytes its signature covers.
#[derive(Clone, Debug)]
pub struct Logged {
	/// The record.
	pub record: RoundRecord,
	/// The line with the signature's value empty; `None` when the line does not end with the
	/// signature as the validator writes it (reformatted, or a field added after it).
	pub unsigned: Option<String>,
}

impl Logged {
	/// Reads one line of the log.
	pub fn parse(line: &str) -> Result<Logged, AuditError> {
		let line = line.trim();
		let record: RoundRecord =
			serde_json::from_str(line).map_err(|e| AuditError::NotARecord(e.to_string()))?;
		if record.version != VERSION {
			return Err(AuditError::Version { found: record.version });
		}
		// The signature is hex, so its JSON form is itself in quotes; anything else is not
		// what the validator wrote.
		let hex_sig = record
			.signature
			.strip_prefix("0x")
			.is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
		let suffix = format!("\"signature\":\"{}\"}}", record.signature);
		let unsigned = (hex_sig && line.ends_with(&suffix))
			.then(|| format!("{}\"signature\":\"\"}}", &line[..line.len() - suffix.len()]));
		Ok(Logged { record, unsigned })
	}
}

/// Something in a record that does not add up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inconsistency {
	/// The miner it is about, if one.
	pub uid: Option<Uid>,
	/// What is wrong.
	pub what: String,
}

impl fmt::Display for Inconsistency {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self.uid {
			Some(uid) => write!(f, "uid {uid}: {}", self.what),
			None => f.write_str(&self.what),
		}
	}
}

/// What the checks of one record found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
	/// What does not add up (empty: consistent).
	pub inconsistencies: Vec<Inconsistency>,
	/// Signed answers whose signature, quality and score were checked.
	pub answers_verified: usize,
	/// Miners without an answer: their failure or skip rests on the validator's word.
	pub unanswered: usize,
}

impl Verdict {
	/// Whether nothing was found.
	pub fn consistent(&self) -> bool {
		self.inconsistencies.is_empty()
	}

	fn flag(&mut self, uid: Option<Uid>, what: impl Into<String>) {
		self.inconsistencies.push(Inconsistency { uid, what: what.into() });
	}
}

/// Checks one record without a chain (see the module docs). `previous`: the record before it
/// in the same log, whose averages after must be this one's before.
pub fn verify_record(logged: &Logged, previous: Option<&RoundRecord>) -> Verdict {
	let r = &logged.record;
	let mut v = Verdict::default();
	let validator = r.validator_key();
	check_signature(logged, validator, &mut v);
	if r.holders.get(&r.uid) != Some(&r.validator) {
		v.flag(None, format!("UID {} is not held by the validator {}", r.uid, r.validator));
	}
	if usize::from(r.rules.n) != r.holders.len() {
		v.flag(
			None,
			format!("rules for {} neurons, {} holders listed", r.rules.n, r.holders.len()),
		);
	}
	let mut seen = std::collections::BTreeSet::new();
	for m in &r.miners {
		if !seen.insert(m.uid) {
			v.flag(Some(m.uid), "queried twice in one round");
		}
		check_miner(r, validator, m, &mut v);
	}
	// The averages: re-folded from the scores.
	let folded: Vec<(Uid, &str, f64)> = r
		.miners
		.iter()
		.filter(|m| m.outcome != Outcome::Skipped)
		.map(|m| {
			(m.uid, m.hotkey.as_str(), if m.outcome == Outcome::Scored { m.score } else { 0.0 })
		})
		.collect();
	let expected = weights::fold_round(&r.ema_before, &r.holders, folded, r.ema_alpha);
	for what in ema_differences(&expected, &r.ema_after) {
		v.flag(None, format!("averages after the round: {what}"));
	}
	if let Some(p) = previous {
		if p.netuid != r.netuid || p.validator != r.validator {
			v.flag(None, "the previous line is another validator's or subnet's record");
		} else {
			for what in ema_differences(&p.ema_after, &r.ema_before) {
				v.flag(
					None,
					format!("averages before the round are not round {}'s after: {what}", p.round),
				);
			}
		}
	}
	// The weights: recomputed from the averages after (a reveal's come from its commit round).
	if let WeightsAction::Set { sent, .. } | WeightsAction::Committed { sent, .. } = &r.weights {
		let scores = weights::ema_scores(&r.ema_after);
		match weights::to_weights(&scores, r.uid, &r.rules) {
			Ok((uids, values)) if uids == sent.uids && values == sent.values => {},
			Ok((uids, values)) => v.flag(
				None,
				format!(
					"weights {:?} submitted, the averages give {:?}",
					pairs(&sent.uids, &sent.values),
					pairs(&uids, &values)
				),
			),
			Err(e) => v.flag(None, format!("weights submitted, but the averages give none: {e}")),
		}
	}
	if let WeightsAction::Committed { hash, .. } = &r.weights {
		if parse_hex(hash).is_none_or(|h| h.len() != 32) {
			v.flag(None, format!("committed hash {hash:?} is not 32 bytes of hex"));
		}
	}
	if let Some(s) = r.weights.submitted() {
		if s.uids.len() != s.values.len() {
			v.flag(None, "submitted weights have more UIDs than values or the reverse");
		}
	}
	v
}

fn check_signature(logged: &Logged, validator: Option<[u8; 32]>, v: &mut Verdict) {
	let r = &logged.record;
	let Some(key) = validator else {
		v.flag(None, format!("validator {:?} is not an SS58 address", r.validator));
		return;
	};
	let Some(unsigned) = &logged.unsigned else {
		v.flag(
			None,
			"the line is not as the validator wrote it: its signature is not its last field",
		);
		return;
	};
	let sig = parse_hex(&r.signature).and_then(|b| <[u8; 64]>::try_from(b).ok());
	let valid = sig.is_some_and(|s| {
		sr25519::verify(
			&sr25519::Signature(s),
			payload(unsigned.as_bytes()),
			&sr25519::PublicKey(key),
		)
	});
	if !valid {
		v.flag(None, "bad record signature: not signed by the validator's hotkey as written");
	}
}

fn check_miner(r: &RoundRecord, validator: Option<[u8; 32]>, m: &MinerRecord, v: &mut Verdict) {
	let uid = Some(m.uid);
	if m.uid == r.uid {
		v.flag(uid, "the validator queried itself");
	}
	if r.holders.get(&m.uid) != Some(&m.hotkey) {
		v.flag(uid, format!("hotkey {} does not hold this UID at the round's block", m.hotkey));
	}
	let query = match m.decode_query() {
		Ok(q) => q,
		Err(e) => return v.flag(uid, e),
	};
	if !query.verify() {
		v.flag(uid, "the query's signature is bad");
	}
	if validator.is_none_or(|k| Hotkey(k) != query.validator) {
		v.flag(uid, format!("the query was sent by {}, not the validator", query.validator));
	}
	if account_bytes(&m.hotkey).is_none_or(|k| Hotkey(k) != query.miner) {
		v.flag(uid, format!("the query is addressed to {}, not the UID's hotkey", query.miner));
	}
	if query.netuid != r.netuid {
		v.flag(uid, format!("the query is for subnet {}", query.netuid));
	}
	let Some(challenge) = &r.challenge else {
		return v.flag(uid, "a miner was queried but the record has no challenge");
	};
	if !challenge.asks(&query.task) {
		v.flag(uid, "the query's task is not the round's challenge");
	}
	let answer = match m.decode_answer() {
		Ok(a) => a,
		Err(e) => return v.flag(uid, e),
	};
	let failed_with_zero = |v: &mut Verdict, why: &str| {
		if m.outcome != Outcome::Failed || m.score != 0.0 {
			v.flag(uid, format!("{why}, yet logged {:?} with score {}", m.outcome, m.score));
		}
	};
	match answer {
		None => {
			v.unanswered += 1;
			match m.outcome {
				Outcome::Scored => v.flag(uid, "scored without an answer"),
				Outcome::Failed | Outcome::Skipped if m.score != 0.0 => {
					v.flag(uid, format!("no answer, yet a score of {}", m.score))
				},
				_ => {},
			}
		},
		Some(a) if !a.verify(&query) => {
			failed_with_zero(v, "the answer is not signed by the miner's hotkey for this query")
		},
		Some(a) => {
			v.answers_verified += 1;
			match challenge.quality(&a.answer) {
				Ok(q) => {
					let s = score(q, m.ms, r.budget_ms);
					if m.outcome != Outcome::Scored {
						v.flag(
							uid,
							format!("a valid answer of quality {q}, logged {:?}", m.outcome),
						);
					} else if (q - m.quality).abs() > TOLERANCE {
						v.flag(uid, format!("logged quality {}, the answer scores {q}", m.quality));
					} else if (s - m.score).abs() > TOLERANCE {
						v.flag(
							uid,
							format!(
								"logged score {}, quality {q} in {} ms gives {s}",
								m.score, m.ms
							),
						);
					}
				},
				Err(why) => failed_with_zero(v, &format!("the answer scores nothing ({why})")),
			}
		},
	}
}

/// How two tables of averages differ (empty: the same UIDs, hotkeys and rounds, values within
/// [`TOLERANCE`]).
pub fn ema_differences(expected: &Emas, logged: &Emas) -> Vec<String> {
	let mut out = Vec::new();
	for (uid, e) in expected {
		match logged.get(uid) {
			None => out.push(format!("UID {uid} missing")),
			Some(l) if l.hotkey != e.hotkey || l.rounds != e.rounds => out.push(format!(
				"UID {uid} is {} after {} rounds, expected {} after {}",
				l.hotkey, l.rounds, e.hotkey, e.rounds
			)),
			Some(l) if (l.value - e.value).abs() > TOLERANCE || !l.value.is_finite() => {
				out.push(format!("UID {uid} is {}, expected {}", l.value, e.value))
			},
			Some(_) => {},
		}
	}
	for uid in logged.keys().filter(|u| !expected.contains_key(u)) {
		out.push(format!("UID {uid} should not be there"));
	}
	out
}

/// Checks a whole log, in order: each record ([`verify_record`], with the record before it),
/// and each reveal against the last commit before it (its hash opens the commit:
/// [`agora_primitives::commit_hash`] of the revealed weights, salt and version key).
pub fn verify_log(records: &[Logged]) -> Vec<Verdict> {
	let mut out = Vec::with_capacity(records.len());
	let mut last_commit: Option<&RoundRecord> = None;
	for (i, logged) in records.iter().enumerate() {
		let r = &logged.record;
		let previous = i.checked_sub(1).map(|p| &records[p].record);
		let mut v = verify_record(logged, previous);
		if let WeightsAction::Revealed { sent, salt, .. } = &r.weights {
			check_reveal(r, sent, salt, last_commit, &mut v);
		}
		if matches!(r.weights, WeightsAction::Committed { .. }) {
			last_commit = Some(r);
		}
		out.push(v);
	}
	out
}

fn check_reveal(
	r: &RoundRecord,
	sent: &Submitted,
	salt: &str,
	commit: Option<&RoundRecord>,
	v: &mut Verdict,
) {
	let Some(c) = commit else {
		return v.flag(None, "a reveal without a commit earlier in this log");
	};
	let WeightsAction::Committed { sent: committed, hash } = &c.weights else { return };
	let (Some(key), Some(salt)) = (r.validator_key(), parse_hex(salt)) else {
		return v.flag(None, "the reveal's salt is not hex");
	};
	let opened = agora_primitives::commit_hash(
		&key,
		r.netuid,
		&sent.uids,
		&sent.values,
		&salt,
		sent.version_key,
	);
	if parse_hex(hash).as_deref() != Some(&opened[..]) {
		v.flag(None, format!("the revealed weights do not open round {}'s commit {hash}", c.round));
	}
	if (&committed.uids, &committed.values, committed.version_key)
		!= (&sent.uids, &sent.values, sent.version_key)
	{
		v.flag(None, format!("the revealed weights are not those committed in round {}", c.round));
	}
}

/// Weights as the chain stores them: `(uid, value)` sorted by UID, zeros left out.
pub fn stored_form(uids: &[Uid], values: &[u16]) -> Vec<(Uid, u16)> {
	let mut stored: Vec<(Uid, u16)> =
		pairs(uids, values).into_iter().filter(|(_, v)| *v > 0).collect();
	stored.sort_unstable();
	stored
}

fn pairs(uids: &[Uid], values: &[u16]) -> Vec<(Uid, u16)> {
	uids.iter().copied().zip(values.iter().copied()).collect()
}

/// The CBOR of a protocol message, base64 (standard alphabet, padded): how queries and answers
/// are logged.
pub fn encode<T: Serialize>(message: &T) -> String {
	base64::engine::general_purpose::STANDARD.encode(to_cbor(message).unwrap_or_default())
}

/// The protocol message of [`encode`]d text.
pub fn decode<T: DeserializeOwned>(text: &str) -> Result<T, String> {
	let bytes = base64::engine::general_purpose::STANDARD
		.decode(text)
		.map_err(|e| format!("not base64: {e}"))?;
	from_cbor(&bytes).map_err(|e| e.to_string())
}

/// `0x`-prefixed hex (the prefix is optional), decoded.
pub fn parse_hex(text: &str) -> Option<Vec<u8>> {
	hex::decode(text.strip_prefix("0x").unwrap_or(text)).ok()
}

/// The 32 bytes of an SS58 address.
pub fn account_bytes(ss58: &str) -> Option<[u8; 32]> {
	ss58.parse::<agora_client::AccountId32>().ok().map(|a| a.0)
}

#[cfg(test)]
mod tests {
	use super::*;
	use agora_protocol::HotkeyPair;
	use eval::{EmbeddingChallenge, Part, PartKind};

	fn key(uri: &str) -> HotkeyPair {
		HotkeyPair::from_uri(&uri.parse().expect("uri")).expect("keypair")
	}

	fn ss58(k: &HotkeyPair) -> String {
		agora_client::AccountId32(k.public_key().0).to_string()
	}

	fn challenge() -> Challenge {
		Challenge::Embedding(EmbeddingChallenge {
			seed: 7,
			sentences: ["a cat", "a dog", "the stock market", "shares fell"]
				.map(String::from)
				.to_vec(),
			origins: ["lee:0", "lee:1", "passage:x@0+3", "passage:x@9+2"]
				.map(String::from)
				.to_vec(),
			parts: vec![
				Part {
					kind: PartKind::Lee,
					weight: 0.3,
					pairs: vec![(0, 1, 0.9), (0, 2, 0.1), (1, 2, 0.15)],
				},
				Part {
					kind: PartKind::Reference,
					weight: 0.7,
					pairs: vec![
						(0, 3, 0.11920928955078125),
						(2, 3, 0.8300000429153442),
						(1, 3, 0.2),
					],
				},
			],
			reference_model: "letters".into(),
		})
	}

	/// A round of validator `//V` (UID 0) querying `//M1` (UID 1, a good answer), `//M2` (UID
	/// 2, a worse one) and `//M3` (UID 3, no answer), setting weights.
	fn round(number: u64, before: Emas) -> (RoundRecord, HotkeyPair) {
		let validator = key("//V");
		let miners = [key("//M1"), key("//M2"), key("//M3")];
		let challenge = challenge();
		let answers = [
			Some(vec![
				vec![1.0, 0.1, 0.0],
				vec![0.9, 0.3, 0.0],
				vec![0.0, 1.0, 0.2],
				vec![0.1, 0.9, 0.3],
			]),
			Some(vec![
				vec![0.3, 0.1, 0.7],
				vec![0.9, 0.3, 0.0],
				vec![0.0, 1.0, 0.2],
				vec![1.0, 0.0, 0.3],
			]),
			None,
		];
		let mut holders: BTreeMap<Uid, String> = BTreeMap::new();
		holders.insert(0, ss58(&validator));
		let mut records = Vec::new();
		for (i, (m, vectors)) in miners.iter().zip(answers).enumerate() {
			let uid = i as Uid + 1;
			holders.insert(uid, ss58(m));
			let query = Query::signed(
				3,
				Hotkey::of(m),
				(number << 20) | i as u64,
				challenge.task(),
				&validator,
			);
			let ms = 120 * (i as u64 + 1);
			let (answer, outcome, error, quality, score_) = match vectors {
				Some(vectors) => {
					let answer = Answer::Embeddings { model: "m".into(), vectors };
					let q = challenge.quality(&answer).expect("scores");
					let signed = SignedAnswer::sign(answer, &query, m);
					(Some(encode(&signed)), Outcome::Scored, None, q, score(q, ms, 20_000))
				},
				None => (None, Outcome::Failed, Some("timed out".to_string()), 0.0, 0.0),
			};
			records.push(MinerRecord {
				uid,
				hotkey: ss58(m),
				query: encode(&query),
				answer,
				ms,
				outcome,
				error,
				quality,
				score: score_,
			});
		}
		let folded: Vec<(Uid, &str, f64)> =
			records.iter().map(|m| (m.uid, m.hotkey.as_str(), m.score)).collect();
		let after = weights::fold_round(&before, &holders, folded, 0.3);
		let rules = Rules { n: 4, min_allowed: 1, max_allowed: 256, max_weight_limit: u16::MAX };
		let (uids, values) =
			weights::to_weights(&as_logged(&weights::ema_scores(&after)), 0, &rules)
				.expect("weights");
		let record = RoundRecord {
			version: VERSION,
			netuid: 3,
			round: number,
			validator: ss58(&validator),
			uid: 0,
			block: 100 + number as u32,
			block_hash: format!("0x{}", "ab".repeat(32)),
			validator_permit: true,
			challenge: Some(challenge),
			budget_ms: 20_000,
			ema_alpha: 0.3,
			miners: records,
			holders,
			ema_before: before,
			ema_after: after,
			rules,
			weights: WeightsAction::Set {
				sent: Submitted {
					uids,
					values,
					version_key: 0,
					block_hash: format!("0x{}", "cd".repeat(32)),
				},
				read_back: "match".into(),
			},
			signature: String::new(),
		};
		(record, validator)
	}

	fn line(number: u64, before: Emas) -> (String, RoundRecord) {
		let (mut record, validator) = round(number, before);
		let line = record.signed_line(&validator).expect("signs");
		(line, record)
	}

	fn verdict(line: &str) -> Verdict {
		verify_record(&Logged::parse(line).expect("parses"), None)
	}

	fn reasons(v: &Verdict) -> String {
		v.inconsistencies.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
	}

	#[test]
	fn an_honest_record_verifies() {
		let (line, record) = line(1, Emas::new());
		assert!(!line.contains('\n'));
		let logged = Logged::parse(&line).expect("parses");
		assert_eq!((logged.record.round, logged.record.miners.len()), (1, 3));
		let v = verify_record(&logged, None);
		assert!(v.consistent(), "{}", reasons(&v));
		assert_eq!((v.answers_verified, v.unanswered), (2, 1));
		assert!(record.miners[0].score > record.miners[1].score);
	}

	#[test]
	fn the_signed_bytes_are_the_written_line() {
		let (line, record) = line(1, Emas::new());
		let logged = Logged::parse(&line).expect("parses");
		let unsigned = logged.unsigned.expect("signature last");
		assert_eq!(unsigned, line.replace(&record.signature, ""));
		// Floats survive the trip through JSON closely enough for every check, and the line
		// is checked as written even when a float reads back a hair off.
		let mut awkward = record.clone();
		awkward.ema_alpha = 0.9941414234139935;
		awkward.miners[0].quality = 0.11290770769119263;
		let (_, validator) = round(1, Emas::new());
		let line = awkward.signed_line(&validator).expect("signs");
		assert!(Logged::parse(&line).expect("parses").unsigned.is_some());
		let v = verdict(&line);
		assert!(v.inconsistencies.iter().all(|i| !i.what.contains("signature")), "{}", reasons(&v));
		// Reformatted: not what was signed.
		let pretty = serde_json::to_string_pretty(&record).expect("json");
		let v = verdict(&pretty.replace('\n', ""));
		assert!(reasons(&v).contains("not as the validator wrote it"), "{}", reasons(&v));
	}

	#[test]
	fn consecutive_rounds_verify_and_a_broken_chain_of_averages_does_not() {
		let (first, r1) = line(1, Emas::new());
		let (second, _) = line(2, r1.ema_after.clone());
		let logs = [first.as_str(), second.as_str()].map(|l| Logged::parse(l).expect("parses"));
		for v in verify_log(&logs) {
			assert!(v.consistent(), "{}", reasons(&v));
		}
		let (third, _) = line(3, Emas::new());
		let logs = [first.as_str(), third.as_str()].map(|l| Logged::parse(l).expect("parses"));
		let v = &verify_log(&logs)[1];
		assert!(reasons(v).contains("not round 1's after"), "{}", reasons(v));
	}

	/// Signs `edit`ed record again with the validator's key (a validator lying in its own
	/// log), or keeps the old signature (someone else editing it).
	fn tampered(edit: impl FnOnce(&mut RoundRecord), resign: bool) -> Verdict {
		let (mut record, validator) = round(1, Emas::new());
		let line = record.signed_line(&validator).expect("signs");
		let mut record: RoundRecord = serde_json::from_str(&line).expect("parses");
		edit(&mut record);
		let line = if resign {
			record.signed_line(&validator).expect("signs")
		} else {
			serde_json::to_string(&record).expect("json")
		};
		verdict(&line)
	}

	#[test]
	fn each_kind_of_tampering_is_reported() {
		type Edit = Box<dyn FnOnce(&mut RoundRecord)>;
		let cases: Vec<(&str, Edit, &str)> = vec![
			("score", Box::new(|r| r.miners[1].score += 0.1), "logged score"),
			("quality", Box::new(|r| r.miners[1].quality = 0.99), "logged quality"),
			(
				"a vector",
				Box::new(|r| {
					let mut a: SignedAnswer =
						decode(r.miners[0].answer.as_deref().expect("answer")).expect("decodes");
					if let Answer::Embeddings { vectors, .. } = &mut a.answer {
						vectors[0][0] = 0.5;
					}
					r.miners[0].answer = Some(encode(&a));
				}),
				"not signed by the miner",
			),
			(
				"the weights",
				Box::new(|r| {
					if let WeightsAction::Set { sent, .. } = &mut r.weights {
						sent.values[0] = sent.values[0].saturating_sub(100);
					}
				}),
				"the averages give",
			),
			(
				"an average",
				Box::new(|r| {
					if let Some(e) = r.ema_after.get_mut(&2) {
						e.value += 0.01
					}
				}),
				"averages after the round",
			),
			("a failure", Box::new(|r| r.miners[2].score = 0.5), "no answer, yet a score"),
			(
				"a scored miner turned failed",
				Box::new(|r| {
					r.miners[0].outcome = Outcome::Failed;
					r.miners[0].score = 0.0;
				}),
				"a valid answer",
			),
			(
				"the task",
				Box::new(|r| {
					if let Some(Challenge::Embedding(c)) = &mut r.challenge {
						c.sentences[0] = "x".into()
					}
				}),
				"not the round's challenge",
			),
			(
				"the addressee",
				Box::new(|r| r.miners[0].query = r.miners[1].query.clone()),
				"not the UID's hotkey",
			),
			(
				"the holder",
				Box::new(|r| r.miners[0].hotkey = r.miners[1].hotkey.clone()),
				"does not hold this UID",
			),
		];
		for (what, edit, expect) in cases {
			let v = tampered(edit, true);
			assert!(reasons(&v).contains(expect), "{what}: {}", reasons(&v));
		}
		// Anything changed without the validator's key: the signature.
		let v = tampered(|r| r.miners[1].score += 0.1, false);
		assert!(reasons(&v).contains("bad record signature"), "{}", reasons(&v));
		let v = tampered(|r| r.signature = format!("0x{}", "00".repeat(64)), false);
		assert!(reasons(&v).contains("bad record signature"), "{}", reasons(&v));
	}

	#[test]
	fn a_reveal_must_open_the_last_commit() {
		let validator = key("//V");
		let (mut commit, _) = round(1, Emas::new());
		let WeightsAction::Set { sent, .. } = commit.weights.clone() else { panic!("set") };
		let salt = [9u8; 32];
		let hash = agora_primitives::commit_hash(
			&commit.validator_key().expect("key"),
			3,
			&sent.uids,
			&sent.values,
			&salt,
			0,
		);
		commit.weights = WeightsAction::Committed {
			sent: sent.clone(),
			hash: format!("0x{}", hex::encode(hash)),
		};
		let first = commit.signed_line(&validator).expect("signs");
		let (mut reveal, _) = round(2, commit.ema_after.clone());
		let revealed = |salt: &[u8]| WeightsAction::Revealed {
			sent: sent.clone(),
			salt: format!("0x{}", hex::encode(salt)),
			read_back: "match".into(),
		};
		reveal.weights = revealed(&salt);
		let second = reveal.signed_line(&validator).expect("signs");
		let logs = [first.as_str(), second.as_str()].map(|l| Logged::parse(l).expect("parses"));
		for v in verify_log(&logs) {
			assert!(v.consistent(), "{}", reasons(&v));
		}
		reveal.weights = revealed(&[8u8; 32]);
		let second = reveal.signed_line(&validator).expect("signs");
		let logs = [first.as_str(), second.as_str()].map(|l| Logged::parse(l).expect("parses"));
		assert!(reasons(&verify_log(&logs)[1]).contains("do not open"));
		assert!(reasons(&verify_log(&logs[1..])[0]).contains("without a commit"));
	}

	#[test]
	fn not_a_record_is_an_error() {
		assert!(matches!(Logged::parse("{"), Err(AuditError::NotARecord(_))));
		assert!(matches!(Logged::parse("{\"round\": 1}"), Err(AuditError::NotARecord(_))));
		let (line, _) = line(1, Emas::new());
		let other = line.replacen("\"version\":1", "\"version\":9", 1);
		assert!(matches!(Logged::parse(&other), Err(AuditError::Version { found: 9 })));
	}
}
