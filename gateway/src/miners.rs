//! Routing a request to a subnet's miners: which miner (at random, weighted by incentive), the
//! next one when it fails (up to `--retries`), at most [`PER_MINER_IN_FLIGHT`] queries in flight
//! per miner, and every answer checked as a validator checks it before it is served.

use std::{
	collections::HashMap,
	sync::{Arc, Mutex, PoisonError, RwLock},
	time::{Duration, Instant},
};

use agora_neuron::peers::Peer;
use agora_primitives::{NetUid, TaskKind};
use agora_protocol::{Answer, Hotkey, Query, QueryError, Refusal, Response, TaskRequest};
use futures::future::BoxFuture;
use libp2p::{Multiaddr, PeerId};
use rand::Rng;
use subxt_signer::sr25519::Keypair;
use tokio::sync::Semaphore;

use crate::metrics::Metrics;

/// The most queries a miner holds from one validator at once (the protocol's default
/// `max_in_flight_per_peer`): more would be refused as busy, so they wait for a slot here.
pub const PER_MINER_IN_FLIGHT: usize = 4;

/// How long a miner that answered `Busy` is left out of the choice.
pub const BUSY_REST: Duration = Duration::from_secs(1);

/// The longest a miner that answered `RateLimited` is left out of the choice.
pub const MAX_REST: Duration = Duration::from_secs(60);

/// A miner the gateway may query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Miner {
	/// Its UID.
	pub uid: u16,
	/// Its hotkey, which the query is addressed to and the answer must be signed by.
	pub hotkey: Hotkey,
	/// Its PeerId.
	pub peer_id: PeerId,
	/// Its published addresses (empty for dial-out miners).
	pub addrs: Vec<Multiaddr>,
	/// Its incentive from the last epoch, in parts of `u16::MAX`.
	pub incentive: u16,
}

impl Miner {
	/// The miner of a metagraph peer with its incentive.
	pub fn of(peer: &Peer, incentive: u16) -> Miner {
		let bytes: &[u8; 32] = peer.hotkey.as_ref();
		Miner {
			uid: peer.uid,
			hotkey: Hotkey(*bytes),
			peer_id: peer.peer_id,
			addrs: peer.addrs.clone(),
			incentive,
		}
	}
}

/// A subnet as the gateway serves it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subnet {
	/// Its id.
	pub netuid: NetUid,
	/// Its task.
	pub task: TaskKind,
	/// The block it was created at (`created` in `/v1/models`).
	pub registered_at: u32,
	/// Its miners: neurons with an endpoint, other than the gateway's own hotkey.
	pub miners: Vec<Miner>,
}

/// The served subnets as of the last metagraph sync, shared by the HTTP handlers.
#[derive(Clone, Default)]
pub struct Directory(Arc<RwLock<Vec<Subnet>>>);

impl Directory {
	/// Replaces one subnet (or adds it).
	pub fn set(&self, subnet: Subnet) {
		let mut all = self.0.write().unwrap_or_else(PoisonError::into_inner);
		match all.iter_mut().find(|s| s.netuid == subnet.netuid) {
			Some(s) => *s = subnet,
			None => {
				all.push(subnet);
				all.sort_by_key(|s| s.netuid);
			},
		}
	}

	/// One subnet.
	pub fn get(&self, netuid: NetUid) -> Option<Subnet> {
		self.0
			.read()
			.unwrap_or_else(PoisonError::into_inner)
			.iter()
			.find(|s| s.netuid == netuid)
			.cloned()
	}

	/// Every served subnet, by netuid.
	pub fn all(&self) -> Vec<Subnet> {
		self.0.read().unwrap_or_else(PoisonError::into_inner).clone()
	}
}

/// The order in which to try miners of the given incentives: up to `count` distinct indices,
/// each drawn at random with probability proportional to its incentive among those not drawn
/// yet; uniformly when every one left has incentive 0 (a new subnet, or only fresh miners
/// left).
pub fn pick_order<R: Rng + ?Sized>(incentives: &[u16], count: usize, rng: &mut R) -> Vec<usize> {
	let mut left: Vec<usize> = (0..incentives.len()).collect();
	let mut order = Vec::with_capacity(count.min(left.len()));
	while order.len() < count && !left.is_empty() {
		let total: u64 = left.iter().map(|&i| u64::from(incentives[i])).sum();
		let at = if total == 0 {
			rng.gen_range(0..left.len())
		} else {
			let mut point = rng.gen_range(0..total);
			let mut at = 0;
			for (k, &i) in left.iter().enumerate() {
				let w = u64::from(incentives[i]);
				if point < w {
					at = k;
					break;
				}
				point -= w;
			}
			at
		};
		order.push(left.swap_remove(at));
	}
	order
}

/// The most bytes of generated text served from one answer: room for 256 tokens of 256 bytes,
/// or a lookup miner's echo of an 8,000-character prompt; far below what a miner may send
/// (the protocol's response limit), which streamed one word an event would take hundreds of
/// megabytes.
pub const MAX_ANSWER_TEXT_BYTES: usize = 64 * 1024;

/// Whether `answer` answers `task` as a validator requires; why not otherwise.
///
/// Embeddings: one vector per sentence, all of the same non-zero dimension, every value finite.
/// Generation: a generation answer of at most [`MAX_ANSWER_TEXT_BYTES`] of text, with at most one
/// log-probability per token asked (`max_tokens`), all finite.
pub fn check_answer(task: &TaskRequest, answer: &Answer) -> Result<(), String> {
	match (task, answer) {
		(TaskRequest::Embed { sentences }, Answer::Embeddings { vectors, .. }) => {
			if vectors.len() != sentences.len() {
				return Err(format!("{} vectors for {} sentences", vectors.len(), sentences.len()));
			}
			let dim = vectors.first().map_or(0, Vec::len);
			if dim == 0 {
				return Err("empty vectors".into());
			}
			if vectors.iter().any(|v| v.len() != dim) {
				return Err("vectors of different dimensions".into());
			}
			if vectors.iter().flatten().any(|x| !x.is_finite()) {
				return Err("a vector with a non-finite value".into());
			}
			Ok(())
		},
		(TaskRequest::Generate { max_tokens, .. }, Answer::Generation { text, logprobs, .. }) => {
			if text.len() > MAX_ANSWER_TEXT_BYTES {
				return Err(format!("{} bytes of text (most {MAX_ANSWER_TEXT_BYTES})", text.len()));
			}
			let tokens = logprobs.as_ref().map_or(0, Vec::len);
			if tokens > *max_tokens as usize {
				return Err(format!("{tokens} log-probabilities for at most {max_tokens} tokens"));
			}
			if logprobs.iter().flatten().any(|x| !x.is_finite()) {
				return Err("a non-finite log-probability".into());
			}
			Ok(())
		},
		(task, _) => Err(format!("an answer of another task than {}", task.kind())),
	}
}

/// Sends a query to a miner: the protocol node in production, a fake in tests.
pub trait Transport: Send + Sync + 'static {
	/// Queries `peer` (dialling `addrs` if not connected).
	fn query(
		&self,
		peer: PeerId,
		addrs: Vec<Multiaddr>,
		query: Query,
	) -> BoxFuture<'static, Result<Response, QueryError>>;
}

impl Transport for agora_protocol::Client {
	fn query(
		&self,
		peer: PeerId,
		addrs: Vec<Multiaddr>,
		query: Query,
	) -> BoxFuture<'static, Result<Response, QueryError>> {
		let client = self.clone();
		Box::pin(async move { client.query(peer, addrs, query).await })
	}
}

/// A checked answer and who gave it.
#[derive(Clone, Debug)]
pub struct Served {
	/// The answer (signature and content checked).
	pub answer: Answer,
	/// The miner's UID.
	pub uid: u16,
	/// The miner's hotkey.
	pub hotkey: Hotkey,
}

/// Why no miner answered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
	/// The subnet has no miner to ask.
	#[error("subnet {0} has no miner with an endpoint")]
	NoMiner(NetUid),
	/// Every miner tried failed; the last failure.
	#[error("{tried} miner(s) of subnet {netuid} failed; last: {last}")]
	AllFailed {
		/// The subnet.
		netuid: NetUid,
		/// How many were tried.
		tried: usize,
		/// What the last one did.
		last: String,
	},
}

/// Sends tasks to miners, retrying on the next miner when one fails.
#[derive(Clone)]
pub struct Router {
	transport: Arc<dyn Transport>,
	signer: Keypair,
	timeout: Duration,
	retries: usize,
	slots: Arc<Mutex<HashMap<PeerId, Arc<Semaphore>>>>,
	/// Queries in flight per miner at most.
	per_miner: usize,
	resting: Arc<Mutex<HashMap<PeerId, Instant>>>,
	nonce: Arc<std::sync::atomic::AtomicU64>,
	metrics: Metrics,
}

impl Router {
	/// A router signing queries with the gateway's hotkey `signer`; each query may take
	/// `timeout`, and a failed one is retried on up to `retries` other miners.
	pub fn new(
		transport: Arc<dyn Transport>,
		signer: Keypair,
		timeout: Duration,
		retries: usize,
		metrics: Metrics,
	) -> Self {
		// Nonces need only be unique per query of this hotkey: start from the clock so a
		// restarted gateway does not reuse those of its last run.
		let start = std::time::SystemTime::now()
			.duration_since(std::time::UNIX_EPOCH)
			.map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
		Self {
			transport,
			signer,
			timeout,
			retries,
			slots: Arc::default(),
			per_miner: PER_MINER_IN_FLIGHT,
			resting: Arc::default(),
			nonce: Arc::new(start.into()),
			metrics,
		}
	}

	/// At most `n` queries in flight per miner (at least 1) instead of [`PER_MINER_IN_FLIGHT`]:
	/// for miners that allow a validator more (`agora-miner --peer-in-flight`).
	pub fn with_per_miner_in_flight(mut self, n: usize) -> Self {
		self.per_miner = n.max(1);
		self
	}

	fn slot(&self, peer: PeerId) -> Arc<Semaphore> {
		let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
		slots.entry(peer).or_insert_with(|| Arc::new(Semaphore::new(self.per_miner))).clone()
	}

	/// Forgets the slots of miners no longer listed (after a metagraph sync), and rests that
	/// are over.
	pub fn retain(&self, listed: &[Subnet]) {
		let listed =
			|peer: &PeerId| listed.iter().flat_map(|s| &s.miners).any(|m| &m.peer_id == peer);
		self.slots.lock().unwrap_or_else(PoisonError::into_inner).retain(|peer, _| listed(peer));
		let now = Instant::now();
		self.resting
			.lock()
			.unwrap_or_else(PoisonError::into_inner)
			.retain(|peer, until| *until > now && listed(peer));
	}

	/// The miners of `subnet` to choose from: those not resting after a `Busy` or
	/// `RateLimited` refusal, or all when every one is.
	fn candidates(&self, subnet: &Subnet) -> Vec<usize> {
		let now = Instant::now();
		let resting = self.resting.lock().unwrap_or_else(PoisonError::into_inner);
		let awake: Vec<usize> = (0..subnet.miners.len())
			.filter(|&i| resting.get(&subnet.miners[i].peer_id).is_none_or(|until| *until <= now))
			.collect();
		if awake.is_empty() {
			(0..subnet.miners.len()).collect()
		} else {
			awake
		}
	}

	/// Leaves a miner that refused as busy or rate-limited out of the choice for a while.
	fn rest(&self, peer: PeerId, refusal: &Refusal) {
		let rest = match refusal {
			Refusal::Busy => BUSY_REST,
			Refusal::RateLimited { retry_after_ms } => {
				Duration::from_millis(*retry_after_ms).min(MAX_REST)
			},
			_ => return,
		};
		let until = Instant::now() + rest;
		self.resting.lock().unwrap_or_else(PoisonError::into_inner).insert(peer, until);
	}

	/// Has `task` carried out by a miner of `subnet`: miners tried in [`pick_order`], each
	/// answer's signature and content checked ([`check_answer`]).
	pub async fn run(&self, subnet: &Subnet, task: TaskRequest) -> Result<Served, RouteError> {
		if subnet.miners.is_empty() {
			return Err(RouteError::NoMiner(subnet.netuid));
		}
		let candidates = self.candidates(subnet);
		let incentives: Vec<u16> = candidates.iter().map(|&i| subnet.miners[i].incentive).collect();
		let order: Vec<usize> =
			pick_order(&incentives, self.retries.saturating_add(1), &mut rand::thread_rng())
				.into_iter()
				.map(|k| candidates[k])
				.collect();
		let mut last = String::new();
		let mut tries = 0;
		let budget = self.retries.saturating_add(1);
		// A query lost with its connection (closed, or never dialled) says nothing about the
		// miner's answer: while tries are left, that miner is asked once more on a new
		// connection before the next one (the only way to retry on a subnet of one miner).
		let mut order: std::collections::VecDeque<(usize, bool)> =
			order.into_iter().map(|i| (i, false)).collect();
		while let Some((i, again)) = order.pop_front() {
			if tries == budget {
				break;
			}
			tries += 1;
			let miner = &subnet.miners[i];
			let started = Instant::now();
			let outcome = self.ask(subnet.netuid, miner, task.clone()).await;
			let label = match &outcome {
				Ok(_) => "ok",
				Err(Failure::Timeout) => "timeout",
				Err(Failure::Error(_) | Failure::Lost(_)) => "error",
				Err(Failure::Refused(_)) => "refused",
				Err(Failure::BadAnswer(_)) => "bad_answer",
			};
			self.metrics.miner_query(subnet.netuid, label, started.elapsed());
			match outcome {
				Ok(answer) => return Ok(Served { answer, uid: miner.uid, hotkey: miner.hotkey }),
				Err(why) => {
					if let Failure::Refused(refusal) = &why {
						self.rest(miner.peer_id, refusal);
					}
					if matches!(why, Failure::Lost(_)) && !again {
						order.push_front((i, true));
					}
					tracing::debug!(
						"subnet {} uid {} ({}) failed: {why}",
						subnet.netuid,
						miner.uid,
						miner.peer_id
					);
					last = format!("uid {}: {why}", miner.uid);
				},
			}
		}
		Err(RouteError::AllFailed { netuid: subnet.netuid, tried: tries, last })
	}

	/// One query to one miner, waiting for one of its slots.
	async fn ask(
		&self,
		netuid: NetUid,
		miner: &Miner,
		task: TaskRequest,
	) -> Result<Answer, Failure> {
		let slot = self.slot(miner.peer_id);
		let deadline = tokio::time::Instant::now() + self.timeout;
		let _permit = tokio::time::timeout_at(deadline, slot.acquire_owned())
			.await
			.map_err(|_| Failure::Timeout)?
			.map_err(|_| Failure::Error("the miner's slots are closed".into()))?;
		let nonce = self.nonce.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
		let query = Query::signed(netuid, miner.hotkey, nonce, task, &self.signer);
		let sent = self.transport.query(miner.peer_id, miner.addrs.clone(), query.clone());
		let response =
			tokio::time::timeout_at(deadline, sent).await.map_err(|_| Failure::Timeout)?;
		match response {
			Ok(Response::Ok(signed)) if !signed.verify(&query) => {
				Err(Failure::BadAnswer("bad answer signature".into()))
			},
			Ok(Response::Ok(signed)) => {
				check_answer(&query.task, &signed.answer).map_err(Failure::BadAnswer)?;
				Ok(signed.answer)
			},
			Ok(Response::Refused(r)) => Err(Failure::Refused(r)),
			Err(QueryError::Timeout) => Err(Failure::Timeout),
			Err(e @ (QueryError::ConnectionClosed | QueryError::DialFailure(_))) => {
				Err(Failure::Lost(e.to_string()))
			},
			Err(e) => Err(Failure::Error(e.to_string())),
		}
	}
}

/// Why one miner's query failed.
#[derive(Debug, thiserror::Error)]
enum Failure {
	#[error("timed out")]
	Timeout,
	#[error("{0}")]
	Error(String),
	/// The query was lost with its connection (closed before the answer, or not dialled).
	#[error("{0}")]
	Lost(String),
	#[error("refused: {0}")]
	Refused(Refusal),
	#[error("bad answer: {0}")]
	BadAnswer(String),
}

#[cfg(test)]
pub(crate) mod tests {
	use super::*;
	use agora_protocol::SignedAnswer;
	use rand::SeedableRng;
	use std::sync::atomic::{AtomicUsize, Ordering};

	#[test]
	fn incentive_zero_everywhere_is_uniform() {
		let mut rng = rand::rngs::StdRng::seed_from_u64(1);
		let mut firsts = [0u32; 4];
		for _ in 0..4000 {
			firsts[pick_order(&[0; 4], 1, &mut rng)[0]] += 1;
		}
		assert!(firsts.iter().all(|&n| (800..1200).contains(&n)), "{firsts:?}");
	}

	#[test]
	fn higher_incentive_is_chosen_more_and_nobody_twice() {
		let mut rng = rand::rngs::StdRng::seed_from_u64(2);
		let incentives = [100, 300, 0];
		let mut firsts = [0u32; 3];
		for _ in 0..4000 {
			let order = pick_order(&incentives, 3, &mut rng);
			let mut sorted = order.clone();
			sorted.sort();
			assert_eq!(sorted, vec![0, 1, 2], "every miner once: {order:?}");
			// A miner without incentive comes after those with some.
			assert_eq!(order[2], 2);
			firsts[order[0]] += 1;
		}
		assert_eq!(firsts[2], 0);
		assert!((2800..3200).contains(&firsts[1]), "{firsts:?}");
		assert_eq!(pick_order(&incentives, 2, &mut rng).len(), 2);
		assert_eq!(pick_order(&incentives, 9, &mut rng).len(), 3);
		assert!(pick_order(&[], 3, &mut rng).is_empty());
	}

	fn embed(n: usize) -> TaskRequest {
		TaskRequest::Embed { sentences: vec!["s".into(); n] }
	}

	fn vectors(vectors: Vec<Vec<f32>>) -> Answer {
		Answer::Embeddings { model: "m".into(), vectors }
	}

	#[test]
	fn answers_are_checked_like_a_validator_checks_them() {
		assert!(check_answer(&embed(2), &vectors(vec![vec![1.0, 0.0]; 2])).is_ok());
		let wrong_count = check_answer(&embed(3), &vectors(vec![vec![1.0]; 2]));
		assert_eq!(wrong_count, Err("2 vectors for 3 sentences".into()));
		let mixed = check_answer(&embed(2), &vectors(vec![vec![1.0, 2.0], vec![1.0]]));
		assert_eq!(mixed, Err("vectors of different dimensions".into()));
		let empty = check_answer(&embed(1), &vectors(vec![vec![]]));
		assert_eq!(empty, Err("empty vectors".into()));
		let nan = check_answer(&embed(2), &vectors(vec![vec![1.0], vec![f32::NAN]]));
		assert_eq!(nan, Err("a vector with a non-finite value".into()));
		let inf = check_answer(&embed(1), &vectors(vec![vec![f32::INFINITY]]));
		assert!(inf.is_err());
		let generate = TaskRequest::Generate { prompt: "p".into(), max_tokens: 4, logprobs: true };
		let text = |logprobs| Answer::Generation { model: "m".into(), text: "x".into(), logprobs };
		assert!(check_answer(&generate, &text(None)).is_ok());
		assert!(check_answer(&generate, &text(Some(vec![-0.5, -1.0]))).is_ok());
		assert!(check_answer(&generate, &text(Some(vec![f32::NAN]))).is_err());
		// Bigger than any generation of max_tokens: not served (streamed one word an event,
		// 2 MiB of one-letter words would take hundreds of megabytes).
		let huge =
			Answer::Generation { model: "m".into(), text: "a ".repeat(1 << 20), logprobs: None };
		assert!(check_answer(&generate, &huge).is_err());
		let echo =
			Answer::Generation { model: "m".into(), text: "é".repeat(8_000), logprobs: None };
		assert!(check_answer(&generate, &echo).is_ok(), "a lookup miner's echo of a prompt");
		let inflated = check_answer(&generate, &text(Some(vec![-0.5; 5])));
		assert_eq!(inflated, Err("5 log-probabilities for at most 4 tokens".into()));
		assert!(check_answer(&generate, &vectors(vec![vec![1.0]])).is_err());
		assert!(check_answer(&embed(1), &text(None)).is_err());
	}

	pub(crate) fn key(uri: &str) -> Keypair {
		Keypair::from_uri(&uri.parse().expect("uri")).expect("keypair")
	}

	/// Miners answering in-process: by PeerId, the hotkey that signs and what it does.
	#[derive(Clone, Default)]
	pub(crate) struct FakeMiners {
		pub(crate) miners: Arc<Mutex<HashMap<PeerId, (Keypair, Behaviour)>>>,
		pub(crate) asked: Arc<Mutex<Vec<PeerId>>>,
		/// The tasks asked, in order.
		pub(crate) tasks: Arc<Mutex<Vec<TaskRequest>>>,
		pub(crate) in_flight: Arc<AtomicUsize>,
		pub(crate) most_in_flight: Arc<AtomicUsize>,
	}

	/// What a fake miner does.
	#[derive(Clone, Copy, Debug)]
	pub(crate) enum Behaviour {
		/// Answers correctly.
		Good,
		/// Answers correctly after a delay.
		Slow(Duration),
		/// Refuses as busy.
		Busy,
		/// Signs with another key.
		Forger,
		/// Sends a NaN vector.
		Nan,
		/// Loses its first query with the connection, then answers correctly.
		DropsFirst,
	}

	impl FakeMiners {
		pub(crate) fn add(&self, uid: u16, behaviour: Behaviour, incentive: u16) -> Miner {
			let hotkey = key(&format!("//Miner{uid}"));
			let peer_id = PeerId::random();
			let miner =
				Miner { uid, hotkey: Hotkey::of(&hotkey), peer_id, addrs: vec![], incentive };
			self.miners.lock().expect("lock").insert(peer_id, (hotkey, behaviour));
			miner
		}
	}

	pub(crate) fn answer_to(task: &TaskRequest) -> Answer {
		match task {
			TaskRequest::Embed { sentences } => Answer::Embeddings {
				model: "fake-embedder".into(),
				vectors: sentences.iter().map(|s| vec![s.len() as f32, 1.0, 0.5]).collect(),
			},
			TaskRequest::Generate { prompt, max_tokens, .. } => Answer::Generation {
				model: "fake-lm".into(),
				text: format!(" answer to {} chars", prompt.chars().count()),
				logprobs: Some(vec![-0.5; (*max_tokens as usize).min(4)]),
			},
		}
	}

	impl Transport for FakeMiners {
		fn query(
			&self,
			peer: PeerId,
			_addrs: Vec<Multiaddr>,
			query: Query,
		) -> BoxFuture<'static, Result<Response, QueryError>> {
			let this = self.clone();
			Box::pin(async move {
				this.asked.lock().expect("lock").push(peer);
				this.tasks.lock().expect("lock").push(query.task.clone());
				let Some((hotkey, behaviour)) =
					this.miners.lock().expect("lock").get(&peer).cloned()
				else {
					return Err(QueryError::DialFailure("unknown".into()));
				};
				let now = this.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
				this.most_in_flight.fetch_max(now, Ordering::SeqCst);
				let answer = answer_to(&query.task);
				let out = match behaviour {
					Behaviour::Good => {
						Ok(Response::Ok(SignedAnswer::sign(answer, &query, &hotkey)))
					},
					Behaviour::Slow(d) => {
						tokio::time::sleep(d).await;
						Ok(Response::Ok(SignedAnswer::sign(answer, &query, &hotkey)))
					},
					Behaviour::Busy => Ok(Response::Refused(agora_protocol::Refusal::Busy)),
					Behaviour::Forger => {
						Ok(Response::Ok(SignedAnswer::sign(answer, &query, &key("//Forger"))))
					},
					Behaviour::Nan => {
						let bad = vectors(vec![vec![f32::NAN]; 1]);
						Ok(Response::Ok(SignedAnswer::sign(bad, &query, &hotkey)))
					},
					Behaviour::DropsFirst => {
						let asked =
							this.asked.lock().expect("lock").iter().filter(|p| **p == peer).count();
						if asked == 1 {
							Err(QueryError::ConnectionClosed)
						} else {
							Ok(Response::Ok(SignedAnswer::sign(answer, &query, &hotkey)))
						}
					},
				};
				this.in_flight.fetch_sub(1, Ordering::SeqCst);
				out
			})
		}
	}

	fn subnet_with(miners: Vec<Miner>) -> Subnet {
		Subnet { netuid: 1, task: TaskKind::TextEmbedding, registered_at: 0, miners }
	}

	fn router(fake: &FakeMiners, timeout: Duration, retries: usize) -> Router {
		Router::new(Arc::new(fake.clone()), key("//Gateway"), timeout, retries, Metrics::default())
	}

	/// The only miner of a subnet loses a query with its connection: it is asked again, once,
	/// within the retries; a miner answering badly is not asked twice.
	#[tokio::test]
	async fn a_query_lost_with_its_connection_is_sent_again_once() {
		let fake = FakeMiners::default();
		let only = fake.add(1, Behaviour::DropsFirst, 0);
		let served = router(&fake, Duration::from_secs(5), 2)
			.run(&subnet_with(vec![only.clone()]), embed(1))
			.await
			.expect("served on the second try");
		assert_eq!(served.uid, 1);
		assert_eq!(fake.asked.lock().expect("lock").len(), 2);

		let fake = FakeMiners::default();
		let nan = fake.add(1, Behaviour::Nan, 0);
		let failed =
			router(&fake, Duration::from_secs(5), 2).run(&subnet_with(vec![nan]), embed(1)).await;
		assert!(failed.is_err());
		assert_eq!(fake.asked.lock().expect("lock").len(), 1, "a bad answer is not asked again");

		// Without retries, no second try.
		let fake = FakeMiners::default();
		let only = fake.add(1, Behaviour::DropsFirst, 0);
		let failed =
			router(&fake, Duration::from_secs(5), 0).run(&subnet_with(vec![only]), embed(1)).await;
		assert!(failed.is_err());
		assert_eq!(fake.asked.lock().expect("lock").len(), 1);
	}

	#[tokio::test]
	async fn a_failing_miner_is_followed_by_the_next_one() {
		let fake = FakeMiners::default();
		let miners = vec![
			// The good miner has no incentive: it is asked last.
			fake.add(0, Behaviour::Busy, 100),
			fake.add(1, Behaviour::Forger, 100),
			fake.add(2, Behaviour::Nan, 100),
			fake.add(3, Behaviour::Good, 0),
		];
		let subnet = subnet_with(miners);
		let served =
			router(&fake, Duration::from_secs(5), 3).run(&subnet, embed(2)).await.expect("served");
		assert_eq!(served.uid, 3);
		let asked = fake.asked.lock().expect("lock").clone();
		assert_eq!(asked.len(), 4);
		// With fewer retries than bad miners, it may fail: never more than retries + 1 tries.
		fake.asked.lock().expect("lock").clear();
		let bad = Subnet { miners: subnet.miners[..3].to_vec(), ..subnet.clone() };
		let err = router(&fake, Duration::from_secs(5), 1)
			.run(&bad, embed(1))
			.await
			.expect_err("all bad");
		assert!(matches!(err, RouteError::AllFailed { tried: 2, .. }), "{err:?}");
		assert_eq!(fake.asked.lock().expect("lock").len(), 2);
		let none =
			router(&fake, Duration::from_secs(5), 1).run(&subnet_with(vec![]), embed(1)).await;
		assert_eq!(none.expect_err("no miner"), RouteError::NoMiner(1));
	}

	#[tokio::test]
	async fn a_busy_miner_rests_while_others_serve() {
		let fake = FakeMiners::default();
		let busy = fake.add(0, Behaviour::Busy, u16::MAX);
		let good = fake.add(1, Behaviour::Good, 1);
		let subnet = subnet_with(vec![busy.clone(), good]);
		let r = router(&fake, Duration::from_secs(5), 1);
		for _ in 0..20 {
			assert_eq!(r.run(&subnet, embed(1)).await.expect("served").uid, 1);
		}
		// The busy miner (nearly all the incentive) was asked once, then left to rest.
		let asked_busy =
			|| fake.asked.lock().expect("lock").iter().filter(|p| **p == busy.peer_id).count();
		assert_eq!(asked_busy(), 1);
		// Every miner resting: they are all tried again.
		let alone = subnet_with(vec![busy.clone()]);
		assert!(r.run(&alone, embed(1)).await.is_err());
		assert_eq!(asked_busy(), 2);
	}

	#[tokio::test]
	async fn a_slow_miner_times_out_and_each_miner_has_four_slots() {
		let fake = FakeMiners::default();
		let slow = fake.add(0, Behaviour::Slow(Duration::from_millis(300)), 0);
		let r = router(&fake, Duration::from_millis(50), 0);
		let err = r.run(&subnet_with(vec![slow.clone()]), embed(1)).await.expect_err("times out");
		assert!(
			matches!(&err, RouteError::AllFailed { last, .. } if last.contains("timed out")),
			"{err}"
		);
		// A fresh set of miners: the timed-out query above never finished in the fake.
		let fake = FakeMiners::default();
		let slow = fake.add(0, Behaviour::Slow(Duration::from_millis(100)), 0);
		let r = router(&fake, Duration::from_secs(10), 0);
		let one = subnet_with(vec![slow]);
		let all = futures::future::join_all((0..10).map(|_| r.run(&one, embed(1)))).await;
		assert!(all.iter().all(Result::is_ok));
		assert_eq!(fake.most_in_flight.load(Ordering::SeqCst), PER_MINER_IN_FLIGHT);
	}
}
