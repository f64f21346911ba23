//! `agora-validator`: the validator loop of an Agora subnet.
//!
//! Every round it syncs the metagraph, samples miners with endpoints, sends each the same
//! challenge cut from real data (Lee sentences with human similarity ratings for
//! text-embedding subnets, held-out State of the Union / Brown text for text-generation
//! subnets) over libp2p, scores the answers objectively (blended with latency), folds the
//! scores into a per-UID moving average kept on disk, and, when the subnet's rate limit allows,
//! sets weights (or commits and later reveals them), waits for inclusion and reads them back.
//! One signed audit record per round ([`agora_neuron::audit`]) goes to
//! `<netuid>-<hotkey>.audit.jsonl` beside the state; `agora audit verify` checks it.

mod state;

use std::{
	collections::BTreeMap,
	io::Write,
	path::{Path, PathBuf},
	time::{Duration, Instant},
};

use agora_client::chain::{calls, Client, RuntimeAccountId, Wait};
use agora_models::{assets::Assets, data, embedding, eval, generation, private::PrivateData};
use agora_neuron::{
	account_of,
	args::NeuronArgs,
	audit::{self, Challenge, MinerRecord, RoundRecord, Submitted, WeightsAction},
	endpoint, own_neuron,
	peers::{self, Peer},
	runtime::RuntimeWatch,
	weights::{self, Rules},
};
use agora_primitives::{Metagraph, NetUid, TaskKind, Uid};
use agora_protocol::{Hotkey, Query, QueryError, Refusal, Response};
use anyhow::Context;
use clap::Parser;
use rand::{seq::SliceRandom, RngCore, SeedableRng};
use state::{PendingCommit, State};
use subxt_signer::sr25519::Keypair;

/// Queries a subnet's miners, scores them on real data and sets weights on chain.
#[derive(Parser, Debug)]
#[command(name = "agora-validator", version, about, long_about = None)]
struct Cli {
	#[command(flatten)]
	neuron: NeuronArgs,
	/// The subnet to validate.
	#[arg(long)]
	netuid: NetUid,
	/// Where the evaluation data is (scripts/assets.sh installs it) [default: $AGORA_ASSETS or
	/// ~/.cache/agora/assets].
	#[arg(long, value_name = "DIR")]
	assets: Option<PathBuf>,
	/// Where the score averages, a pending commit and the audit log are kept
	/// [default: ~/.agora/validator].
	#[arg(long, value_name = "DIR")]
	state_dir: Option<PathBuf>,
	/// Seconds between rounds.
	#[arg(long, default_value_t = 12)]
	interval: u64,
	/// Seconds a miner has to answer.
	#[arg(long, default_value_t = 20)]
	timeout: u64,
	/// Miners queried per round (all when fewer).
	#[arg(long, default_value_t = 16)]
	sample_size: usize,
	/// Weight of a new score in a UID's moving average.
	#[arg(long, default_value_t = 0.3)]
	ema_alpha: f64,
	/// Text-embedding: Lee documents per challenge (their rated pairs are scored), beside 16
	/// novel passages scored against the reference model.
	#[arg(long, default_value_t = 8)]
	docs: usize,
	/// A directory of private evaluation data: `*.txt` plain text, `*.tsv` rated pairs
	/// (`text_a<TAB>text_b<TAB>score`); see docs/validating.md.
	#[arg(long, value_name = "DIR")]
	private_data: Option<PathBuf>,
	/// Text-generation: words of real text in the prompt.
	#[arg(long, default_value_t = 48)]
	prompt_words: usize,
	/// Text-generation: words of the true continuation the answer is compared with.
	#[arg(long, default_value_t = 16)]
	truth_words: usize,
	/// Text-generation: tokens a miner may generate.
	#[arg(long, default_value_t = 24)]
	max_tokens: u32,
	/// Stop after this many rounds (0: run until stopped).
	#[arg(long, default_value_t = 0)]
	rounds: u64,
}

/// The weights version this validator implements, sent as `version_key` with its weights.
///
/// A subnet owner raises `weights_version_key` when validators must change how they score; a
/// validator built for an older version then refuses to run ([`check_weights_version`])
/// instead of setting weights the chain would refuse (`StaleVersionKey`). 1: the unsigned
/// protocol; 2: signed, addressed queries, signed answers, signed audit records and
/// lookup-resistant challenges (issue 15).
const WEIGHTS_VERSION: u64 = 2;

/// Refuses a subnet that asks for a newer weights version than [`WEIGHTS_VERSION`].
fn check_weights_version(netuid: NetUid, required: u64) -> anyhow::Result<()> {
	anyhow::ensure!(
		required <= WEIGHTS_VERSION,
		"subnet {netuid} requires weights version {required}, but this agora-validator implements \
		 version {WEIGHTS_VERSION}: upgrade agora-validator (its weights would be refused as \
		 StaleVersionKey)"
	);
	Ok(())
}

/// The challenge source of the subnet's task: the public sets, the validator's private data,
/// and the reference model whose answers stand in for truth a miner could look up
/// (`docs/validating.md`, "Evaluation that cannot be looked up").
enum Bench {
	Embedding(eval::EmbeddingBench),
	Generation(eval::GenerationBench),
}

/// The challenge sizes of a round, from the flags.
#[derive(Clone, Copy, Debug)]
struct Sizes {
	docs: usize,
	prompt_words: usize,
	truth_words: usize,
	max_tokens: usize,
}

impl Bench {
	/// Loads the public sets, the private data (if any) and the reference model (on the CPU).
	fn load(task: TaskKind, assets: &Assets, private: Option<&Path>) -> anyhow::Result<Self> {
		let private = private.map(PrivateData::load).transpose()?;
		let cpu = agora_models::device("cpu")?;
		Ok(match task {
			TaskKind::TextEmbedding => {
				let reference = embedding::Embedder::load(
					&assets.minilm_dir(),
					&cpu,
					embedding::Variant::Full,
				)?;
				Bench::Embedding(eval::EmbeddingBench::new(
					data::SimilarityBench::load(assets)?,
					data::TextCorpus::load(assets)?,
					private,
					reference,
				))
			},
			TaskKind::TextGeneration => {
				let reference = generation::Generator::load(&assets.smollm2_gguf(), &cpu)?;
				Bench::Generation(eval::GenerationBench::new(
					data::TextCorpus::load(assets)?,
					private,
					reference,
				))
			},
		})
	}

	/// The round's challenge, as the audit record carries it (the task sent is
	/// [`Challenge::task`]). Runs the reference model: call it off the async threads.
	fn challenge(&self, sizes: Sizes, seed: u64) -> anyhow::Result<Challenge> {
		Ok(match self {
			Bench::Embedding(b) => {
				let sizes = eval::EmbeddingSizes { lee_docs: sizes.docs, ..Default::default() };
				Challenge::Embedding(b.challenge(seed, &sizes)?)
			},
			Bench::Generation(b) => Challenge::Generation(b.challenge(
				seed,
				sizes.prompt_words,
				sizes.truth_words,
				sizes.max_tokens,
			)?),
		})
	}
}

/// What became of one miner's query.
#[derive(Debug, PartialEq)]
enum Outcome {
	/// Scored (quality blended with latency), with the raw quality.
	Scored { score: f64, quality: f64 },
	/// The miner failed: a wrong or missing answer scores 0.
	Failed { why: String },
	/// Not the miner's fault (it does not know us as a validator yet, or we asked too fast):
	/// the average is left alone.
	Skipped { why: String },
}

impl Outcome {
	/// The audit record's outcome, error, quality and score.
	fn record(&self) -> (audit::Outcome, Option<String>, f64, f64) {
		match self {
			Outcome::Scored { score, quality } => (audit::Outcome::Scored, None, *quality, *score),
			Outcome::Failed { why } => (audit::Outcome::Failed, Some(why.clone()), 0.0, 0.0),
			Outcome::Skipped { why } => (audit::Outcome::Skipped, Some(why.clone()), 0.0, 0.0),
		}
	}
}

/// Who may hold a connection with the validator: the neurons of its subnet, as of its last
/// metagraph read (dial-out miners connect to be queried). Strangers are disconnected right
/// after the Noise handshake, so they cannot fill its connection slots or make it read
/// requests; nobody's queries are answered.
#[derive(Clone, Default)]
struct SubnetPeers(std::sync::Arc<std::sync::RwLock<std::collections::HashSet<libp2p::PeerId>>>);

impl SubnetPeers {
	/// The PeerIds the metagraph's neurons serve.
	fn set(&self, metagraph: &Metagraph<RuntimeAccountId>) {
		let served = peers::peers(metagraph).into_iter().map(|p| p.peer_id).collect();
		*self.0.write().unwrap_or_else(std::sync::PoisonError::into_inner) = served;
	}
}

impl agora_protocol::Authorizer for SubnetPeers {
	fn authorise(&self, _: &libp2p::PeerId, _: &Query) -> Result<(), Refusal> {
		Err(Refusal::NotAuthorised { reason: "a validator answers no queries".into() })
	}

	fn admits(&self, peer: &libp2p::PeerId) -> bool {
		self.0.read().unwrap_or_else(std::sync::PoisonError::into_inner).contains(peer)
	}
}

/// The largest answer read from a miner: 1 MiB, room for 64 vectors of 4,096 `f32`s (a
/// challenge has at most 40 sentences; MiniLM's vectors have 384). Larger answers fail the
/// query unread, so a miner cannot fill the validator's memory or its audit log.
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// Rounds with a permit, from this process's start, in which a miner that does not know this
/// validator yet (a refusal as not authorised, or a connection closed by its gate) is left
/// alone: miners read permits and endpoints every few seconds (`--sync-interval`, 6 s), and a
/// restarted validator may publish a new PeerId. After them, the same is the miner's failure —
/// otherwise a miner could refuse every query and keep the average it earned once.
const GRACE_ROUNDS: u64 = 3;

/// Scores the response of a miner to `query`: an answer counts only if it is signed by the
/// miner's hotkey (the one the query was addressed to) for this query. `grace`: whether this
/// is one of the first [`GRACE_ROUNDS`] rounds with a permit.
fn judge(
	challenge: &Challenge,
	query: &Query,
	result: Result<Response, QueryError>,
	ms: u64,
	budget_ms: u64,
	grace: bool,
) -> Outcome {
	let result = match result {
		Ok(Response::Ok(signed)) if !signed.verify(query) => {
			return Outcome::Failed { why: "bad answer signature".into() }
		},
		Ok(Response::Ok(signed)) => Ok(Ok(signed.answer)),
		Ok(Response::Refused(r)) => Ok(Err(r)),
		Err(e) => Err(e),
	};
	let quality = match (challenge, result) {
		// The audit's scoring, which `agora audit verify` applies again to the logged answer.
		(_, Ok(Ok(answer))) => challenge.quality(&answer),
		// Maybe not the miner's fault while it may not know us yet (as a validator, or as this
		// hotkey, or at all: its gate closes the connection). A copycat UID's node answers
		// `Misaddressed`, and one query a round never exceeds a miner's rate: failures.
		(_, Ok(Err(r @ (Refusal::NotAuthorised { .. } | Refusal::ValidatorMismatch { .. }))))
			if grace =>
		{
			return Outcome::Skipped { why: r.to_string() }
		},
		(
			_,
			Err(
				e @ (QueryError::DialFailure(_)
				| QueryError::ConnectionClosed
				| QueryError::UnsupportedProtocol
				| QueryError::Io(_)),
			),
		) if grace => return Outcome::Skipped { why: e.to_string() },
		(_, Ok(Err(r))) => Err(format!("refused: {r}")),
		(_, Err(e)) => Err(e.to_string()),
	};
	match quality {
		// Blended with the whole milliseconds logged, so the score is recomputed exactly.
		Ok(quality) => Outcome::Scored { score: audit::score(quality, ms, budget_ms), quality },
		Err(why) => Outcome::Failed { why },
	}
}

#[tokio::main]
async fn main() {
	agora_neuron::init_logging("info,libp2p_swarm=warn");
	agora_neuron::main_with("agora-validator", run(Cli::parse())).await;
}

async fn run(cli: Cli) -> anyhow::Result<()> {
	anyhow::ensure!(
		cli.ema_alpha > 0.0 && cli.ema_alpha <= 1.0,
		"--ema-alpha must be in (0, 1], not {}",
		cli.ema_alpha
	);
	anyhow::ensure!(cli.sample_size > 0, "--sample-size must be at least 1");
	cli.neuron.p2p.check()?;
	let (signer, hotkey, chain, metagraph) = agora_neuron::start(
		&cli.neuron.chain,
		&cli.neuron.wallet,
		cli.netuid,
		Duration::from_secs(600),
	)
	.await?;
	let mut runtime = RuntimeWatch::start(&chain).await?;
	check_weights_version(cli.netuid, metagraph.subnet.hyperparams.weights_version_key)?;
	let task = metagraph.subnet.hyperparams.task;
	let assets = match &cli.assets {
		Some(dir) => Assets::at(dir.clone())?,
		None => Assets::locate()?,
	};
	let private = cli.private_data.clone();
	let bench = tokio::task::spawn_blocking(move || Bench::load(task, &assets, private.as_deref()))
		.await
		.context("loading the evaluation data panicked")??;
	let bench = std::sync::Arc::new(bench);
	tracing::info!("validating subnet {} ({task:?}) as {hotkey}", cli.netuid);

	let state_dir = cli.state_dir.clone().unwrap_or_else(|| {
		agora_client::wallet::default_root()
			.parent()
			.map(|p| p.join("validator"))
			.unwrap_or_else(|| PathBuf::from("validator"))
	});
	let state_path = State::path(&state_dir, cli.netuid, &hotkey.to_string());
	let mut state = State::load(&state_path, cli.netuid, &hotkey.to_string())?;
	let audit_path = state_dir.join(format!("{}-{hotkey}.audit.jsonl", cli.netuid));
	// Round numbers go on across restarts, and with them the queries' nonces.
	let mut round = last_round(&audit_path);

	let keypair = cli.neuron.p2p.keypair(&cli.neuron.wallet)?;
	let budget = Duration::from_secs(cli.timeout.max(1));
	let subnet_peers = SubnetPeers::default();
	subnet_peers.set(&metagraph);
	let (p2p, _inbound) = agora_protocol::spawn(agora_protocol::Config {
		keypair: keypair.clone(),
		listen: cli.neuron.p2p.listen.clone(),
		limits: agora_protocol::Limits {
			request_timeout: budget,
			max_response_bytes: MAX_RESPONSE_BYTES,
			..Default::default()
		},
		// A validator answers no queries; miners dial it only to be queried, so only the
		// subnet's neurons may hold a connection (and new ones are rate-limited per address).
		authorizer: Some(std::sync::Arc::new(subnet_peers.clone())),
		hotkey: Some(signer.clone()),
	})
	.await?;
	// Publish only once every listener has reported its addresses. With none another machine
	// can dial, the endpoint carries the PeerId alone (dial-out miners then cannot reach us).
	let (listening, publish) = cli.neuron.p2p.settled_publishable(&p2p).await?;
	if publish.is_empty() {
		tracing::warn!(
			"listening on {listening:?} only, which nobody else can dial: dial-out miners cannot \
			 reach this validator (pass --external-addr, or --allow-loopback on a local network)"
		);
	}
	endpoint::ensure_served(&chain, &signer, cli.netuid, &keypair, &publish).await?;

	let shutdown = agora_neuron::shutdown_signal();
	tokio::pin!(shutdown);
	let mut rounds_done = 0u64;
	let mut permitted_rounds = 0u64;
	loop {
		round += 1;
		rounds_done += 1;
		let started = Instant::now();
		// After a runtime upgrade, check the runtime before decoding with it.
		runtime.check(&chain).await?;
		let this_round = one_round(
			&cli,
			&chain,
			&signer,
			&p2p,
			&bench,
			&mut state,
			round,
			&mut permitted_rounds,
			&subnet_peers,
			budget,
		)
		.await;
		match this_round {
			Ok(mut record) => {
				tracing::info!(target: "audit", "{}", summary(&record));
				let written = record
					.signed_line(&signer)
					.map_err(anyhow::Error::from)
					.and_then(|line| append_line(&audit_path, &line));
				if let Err(e) = written {
					tracing::warn!("cannot write the audit log: {e:#}");
				}
			},
			Err(RoundError::Fatal(e)) => return Err(e),
			Err(RoundError::Retry(e)) => tracing::warn!("round {round}: {e:#}"),
		}
		state.save(&state_path)?;
		if cli.rounds > 0 && rounds_done >= cli.rounds {
			break;
		}
		let wait = Duration::from_secs(cli.interval).saturating_sub(started.elapsed());
		tokio::select! {
			_ = &mut shutdown => break,
			_ = tokio::time::sleep(wait) => {},
		}
	}
	tracing::info!("stopping");
	p2p.shutdown().await;
	Ok(())
}

/// Why a round ended early.
enum RoundError {
	/// Try again next round (the node is unreachable, a transaction failed…).
	Retry(anyhow::Error),
	/// Stop the validator (it was deregistered).
	Fatal(anyhow::Error),
}

impl<E: Into<anyhow::Error>> From<E> for RoundError {
	fn from(e: E) -> Self {
		RoundError::Retry(e.into())
	}
}

#[allow(clippy::too_many_arguments)]
async fn one_round(
	cli: &Cli,
	chain: &Client,
	signer: &Keypair,
	p2p: &agora_protocol::Client,
	bench: &std::sync::Arc<Bench>,
	state: &mut State,
	round: u64,
	permitted_rounds: &mut u64,
	subnet_peers: &SubnetPeers,
	budget: Duration,
) -> Result<RoundRecord, RoundError> {
	let hotkey = account_of(signer);
	let metagraph = chain.metagraph(cli.netuid).await?;
	subnet_peers.set(&metagraph);
	let Some(me) = own_neuron(&metagraph, &hotkey).cloned() else {
		return Err(RoundError::Fatal(anyhow::anyhow!(
			"hotkey {hotkey} is no longer registered on subnet {}; register again",
			cli.netuid
		)));
	};
	check_weights_version(cli.netuid, metagraph.subnet.hyperparams.weights_version_key)
		.map_err(RoundError::Fatal)?;
	let block_hash = chain.block_hash(u64::from(metagraph.block)).await?.unwrap_or_default();
	let holders: BTreeMap<Uid, String> =
		metagraph.neurons.iter().map(|n| (n.uid, n.hotkey.to_string())).collect();
	// From here on the state changes, so the round ends with a record whatever happens.
	let ema_before = state.emas.clone();
	state.retain_current(&holders);
	let mut record = RoundRecord {
		version: audit::VERSION,
		netuid: cli.netuid,
		round,
		validator: hotkey.to_string(),
		uid: me.uid,
		block: metagraph.block,
		block_hash: format!("{block_hash:?}"),
		validator_permit: me.validator_permit,
		challenge: None,
		budget_ms: budget_ms(budget),
		ema_alpha: cli.ema_alpha,
		miners: Vec::new(),
		holders: holders.clone(),
		ema_before,
		ema_after: state.emas.clone(),
		rules: Rules::of(metagraph.neurons.len() as u16, &metagraph.subnet.hyperparams),
		weights: WeightsAction::None {
			reason: "no validator permit yet: miners would refuse our queries".into(),
		},
		signature: String::new(),
	};

	if !me.validator_permit {
		return Ok(record);
	}
	*permitted_rounds += 1;
	let grace = *permitted_rounds <= GRACE_ROUNDS;

	// The challenge is seeded by the block hash: unknown to miners before the block.
	let seed = u64::from_le_bytes(block_hash.0[..8].try_into().unwrap_or_default()) ^ round;
	let sizes = Sizes {
		docs: cli.docs,
		prompt_words: cli.prompt_words,
		truth_words: cli.truth_words,
		max_tokens: cli.max_tokens as usize,
	};
	let source = bench.clone();
	let challenge = tokio::task::spawn_blocking(move || source.challenge(sizes, seed))
		.await
		.map_err(|e| anyhow::anyhow!("the challenge builder panicked: {e}"))??;
	let task = challenge.task();
	let mut miners: Vec<Peer> =
		peers::peers(&metagraph).into_iter().filter(|p| p.uid != me.uid).collect();
	miners.shuffle(&mut rand::rngs::StdRng::seed_from_u64(seed));
	miners.truncate(cli.sample_size);
	miners.sort_by_key(|p| p.uid);

	// One query per miner, addressed to its hotkey and signed by ours; the nonce is unique per
	// query of this validator (round, then index in the round).
	let queries: Vec<Query> = miners
		.iter()
		.enumerate()
		.map(|(i, m)| {
			let nonce = (round << 20) | i as u64;
			Query::signed(cli.netuid, hotkey_of(&m.hotkey), nonce, task.clone(), signer)
		})
		.collect();
	let answers = futures::future::join_all(miners.iter().zip(&queries).map(|(m, query)| {
		let (p2p, query) = (p2p.clone(), query.clone());
		async move {
			let sent = Instant::now();
			let result = p2p.query(m.peer_id, m.addrs.clone(), query).await;
			(result, sent.elapsed())
		}
	}))
	.await;
	for ((miner, query), (result, took)) in miners.iter().zip(&queries).zip(answers) {
		let answer = match &result {
			Ok(Response::Ok(signed)) => Some(signed.clone()),
			_ => None,
		};
		let ms = u64::try_from(took.as_millis()).unwrap_or(u64::MAX);
		let outcome = judge(&challenge, query, result, ms, record.budget_ms, grace);
		match &outcome {
			Outcome::Scored { score, .. } => {
				state.update(miner.uid, &miner.hotkey.to_string(), *score, cli.ema_alpha)
			},
			Outcome::Failed { .. } => {
				state.update(miner.uid, &miner.hotkey.to_string(), 0.0, cli.ema_alpha)
			},
			Outcome::Skipped { .. } => {},
		}
		let (outcome, error, quality, score) = outcome.record();
		record.miners.push(MinerRecord {
			uid: miner.uid,
			hotkey: miner.hotkey.to_string(),
			query: audit::encode(query),
			answer: answer.as_ref().map(audit::encode),
			ms,
			outcome,
			error,
			quality,
			score,
		});
	}
	record.challenge = Some(challenge);
	record.ema_after = state.emas.clone();
	record.weights =
		match set_weights(chain, signer, &metagraph, me.uid, me.last_update, &record.rules, state)
			.await
		{
			Ok(action) => action,
			Err(e) => WeightsAction::None { reason: format!("error: {e:#}") },
		};
	Ok(record)
}

/// The latency budget in milliseconds.
fn budget_ms(budget: Duration) -> u64 {
	u64::try_from(budget.as_millis()).unwrap_or(u64::MAX)
}

/// The round of the last record in the audit log at `path` (0 when there is none).
///
/// Reads the last 64 MiB only (a long-running validator's log grows by ~100 KB a round; one
/// record holds at most `--sample-size` answers of [`MAX_RESPONSE_BYTES`] as base64).
fn last_round(path: &Path) -> u64 {
	use std::io::{Read, Seek, SeekFrom};
	const TAIL: u64 = 64 * 1024 * 1024;
	let Ok(mut file) = std::fs::File::open(path) else { return 0 };
	let len = file.metadata().map(|m| m.len()).unwrap_or(0);
	let mut tail = Vec::new();
	if file.seek(SeekFrom::Start(len.saturating_sub(TAIL))).is_err()
		|| file.read_to_end(&mut tail).is_err()
	{
		return 0;
	}
	String::from_utf8_lossy(&tail)
		.lines()
		.rev()
		.find_map(|l| audit::Logged::parse(l).ok().map(|r| r.record.round))
		.unwrap_or(0)
}

/// One log line about a round (the record itself goes to the audit file).
fn summary(r: &RoundRecord) -> String {
	let scored = r.miners.iter().filter(|m| m.outcome == audit::Outcome::Scored).count();
	let weights = match &r.weights {
		WeightsAction::None { reason } => format!("no weights ({reason})"),
		WeightsAction::Set { sent, read_back } => {
			format!("weights set in {} (read back: {read_back})", sent.block_hash)
		},
		WeightsAction::Committed { sent, .. } => {
			format!("weights committed in {}", sent.block_hash)
		},
		WeightsAction::Revealed { sent, read_back, .. } => {
			format!("weights revealed in {} (read back: {read_back})", sent.block_hash)
		},
	};
	format!(
		"round {} @ #{}: {} miners queried, {scored} scored; {weights}",
		r.round,
		r.block,
		r.miners.len()
	)
}

/// Sets (or commits / reveals) weights from the averages when the rate limit allows; returns
/// what it did for the audit line.
async fn set_weights(
	chain: &Client,
	signer: &Keypair,
	metagraph: &Metagraph<RuntimeAccountId>,
	own_uid: Uid,
	last_update: u32,
	rules: &Rules,
	state: &mut State,
) -> anyhow::Result<WeightsAction> {
	let hp = &metagraph.subnet.hyperparams;
	let netuid = metagraph.subnet.netuid;
	let now = metagraph.block;

	if hp.commit_reveal {
		if let Some(p) = state.pending.clone() {
			let open = p.committed_at + u32::from(hp.reveal_period) * u32::from(hp.tempo);
			let close = open + u32::from(hp.tempo);
			if now < open {
				return Ok(WeightsAction::None {
					reason: format!("waiting for the reveal window, which opens at block {open}"),
				});
			}
			if now >= close {
				tracing::warn!(
					"the reveal window of the commit at block {} passed",
					p.committed_at
				);
				state.pending = None;
			} else {
				let receipt = chain
					.submit(
						&calls::reveal_weights(
							netuid,
							p.uids.clone(),
							p.values.clone(),
							p.salt.clone(),
							p.version_key,
						),
						signer,
						Wait::Inclusion,
					)
					.await?;
				state.pending = None;
				let read_back = check_read_back(chain, netuid, own_uid, &p.uids, &p.values).await;
				return Ok(WeightsAction::Revealed {
					sent: Submitted {
						uids: p.uids,
						values: p.values,
						version_key: p.version_key,
						block_hash: format!("{:?}", receipt.block),
					},
					salt: format!("0x{}", hex(&p.salt)),
					read_back,
				});
			}
		}
	}
	let due = now >= last_update.saturating_add(hp.weights_rate_limit)
		|| chain.weights(netuid, own_uid).await?.is_empty();
	if !due {
		return Ok(WeightsAction::None {
			reason: format!(
				"rate-limited until block {}",
				last_update.saturating_add(hp.weights_rate_limit)
			),
		});
	}
	// From the averages as the audit record carries them, so a verifier gets the same weights.
	let (uids, values) = weights::to_weights(&audit::as_logged(&state.scores()), own_uid, rules)?;
	let version_key = WEIGHTS_VERSION;
	if hp.commit_reveal {
		let mut salt = vec![0u8; 32];
		rand::rngs::OsRng.fill_bytes(&mut salt);
		let hotkey = account_of(signer);
		let hash =
			agora_primitives::commit_hash(&hotkey, netuid, &uids, &values, &salt, version_key);
		let receipt =
			chain.submit(&calls::commit_weights(netuid, hash), signer, Wait::Inclusion).await?;
		// The reveal window counts from the block the commit is in.
		let committed_at = chain.block_number(receipt.block).await?.map_or(now + 1, |n| n as u32);
		state.pending = Some(PendingCommit {
			uids: uids.clone(),
			values: values.clone(),
			salt,
			version_key,
			committed_at,
		});
		return Ok(WeightsAction::Committed {
			sent: Submitted {
				uids,
				values,
				version_key,
				block_hash: format!("{:?}", receipt.block),
			},
			hash: format!("0x{}", hex(&hash)),
		});
	}
	let receipt = chain
		.submit(
			&calls::set_weights(netuid, uids.clone(), values.clone(), version_key),
			signer,
			Wait::Inclusion,
		)
		.await?;
	let read_back = check_read_back(chain, netuid, own_uid, &uids, &values).await;
	Ok(WeightsAction::Set {
		sent: Submitted { uids, values, version_key, block_hash: format!("{:?}", receipt.block) },
		read_back,
	})
}

/// Lowercase hex.
fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The protocol's hotkey (32 bytes) of a chain account.
fn hotkey_of(account: &RuntimeAccountId) -> Hotkey {
	let bytes: &[u8; 32] = account.as_ref();
	Hotkey(*bytes)
}

/// Reads the weights back from the chain and checks they are what was sent (zeros are not
/// stored): `"match"`, or what differs (logged as a warning too).
async fn check_read_back(
	chain: &Client,
	netuid: NetUid,
	uid: Uid,
	uids: &[Uid],
	values: &[u16],
) -> String {
	let sent = audit::stored_form(uids, values);
	let what = match chain.weights(netuid, uid).await {
		Ok(stored) if stored == sent => return "match".into(),
		Ok(stored) => format!("the chain holds {stored:?}, sent {sent:?}"),
		Err(e) => format!("cannot read the weights back: {e}"),
	};
	tracing::warn!("weights read back: {what}");
	what
}

fn append_line(path: &Path, line: &str) -> anyhow::Result<()> {
	if let Some(dir) = path.parent() {
		std::fs::create_dir_all(dir)?;
	}
	let mut f = std::fs::OpenOptions::new()
		.create(true)
		.append(true)
		.open(path)
		.with_context(|| format!("open {}", path.display()))?;
	// One write of the whole line, so a reader never sees half of it.
	f.write_all(format!("{line}\n").as_bytes())?;
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn only_the_subnets_neurons_may_connect_and_nobody_is_answered() {
		use agora_protocol::Authorizer;
		let gate = SubnetPeers::default();
		let (known, stranger) = (libp2p::PeerId::random(), libp2p::PeerId::random());
		assert!(!gate.admits(&known), "nobody before the first metagraph");
		gate.0.write().expect("lock").insert(known);
		assert!(gate.admits(&known));
		assert!(!gate.admits(&stranger));
		let task = agora_protocol::TaskRequest::Embed { sentences: vec!["x".into()] };
		let query = Query::signed(1, Hotkey([1; 32]), 0, task, &key("//Miner"));
		assert!(matches!(gate.authorise(&known, &query), Err(Refusal::NotAuthorised { .. })));
	}

	#[test]
	fn a_subnet_asking_for_a_newer_weights_version_is_refused() {
		assert!(check_weights_version(1, 0).is_ok());
		assert!(check_weights_version(1, WEIGHTS_VERSION).is_ok());
		let err = check_weights_version(1, WEIGHTS_VERSION + 1).expect_err("newer").to_string();
		assert!(err.contains("requires weights version 3"), "{err}");
		assert!(err.contains("upgrade agora-validator"), "{err}");
	}
	use agora_protocol::{Answer, HotkeyPair, SignedAnswer};

	fn key(uri: &str) -> HotkeyPair {
		HotkeyPair::from_uri(&uri.parse().expect("uri")).expect("keypair")
	}

	#[test]
	fn answers_count_only_when_signed_by_the_addressed_miner() {
		let (validator, miner, copycat) = (key("//V"), key("//M"), key("//C"));
		let challenge = Challenge::Generation(eval::GenerationChallenge {
			seed: 0,
			prompt: "p".into(),
			max_tokens: 4,
			origin: "public".into(),
			truth: "x".into(),
			reference: String::new(),
			reference_model: String::new(),
			truth_weight: 1.0,
		});
		let task = challenge.task();
		let query = Query::signed(1, Hotkey::of(&miner), 7, task, &validator);
		let answer = Answer::Generation { model: "m".into(), text: "x".into(), logprobs: None };
		let budget = 10_000;
		let judge_signed = |by: &HotkeyPair| {
			let signed = SignedAnswer::sign(answer.clone(), &query, by);
			judge(&challenge, &query, Ok(Response::Ok(signed)), 5, budget, false)
		};
		assert!(matches!(judge_signed(&miner), Outcome::Scored { .. }));
		assert_eq!(judge_signed(&copycat), Outcome::Failed { why: "bad answer signature".into() });
		let misaddressed =
			Response::Refused(Refusal::Misaddressed { served: Hotkey::of(&copycat) });
		let out = judge(&challenge, &query, Ok(misaddressed.clone()), 0, budget, true);
		assert!(matches!(out, Outcome::Failed { .. }), "{out:?}");
		// Not knowing us is excused for the first rounds with a permit only: a miner that
		// refuses (or drops) every query cannot keep the average it once earned.
		let mismatch = Response::Refused(Refusal::ValidatorMismatch { listed: Hotkey([0; 32]) });
		let out = judge(&challenge, &query, Ok(mismatch.clone()), 0, budget, true);
		assert!(matches!(out, Outcome::Skipped { .. }), "{out:?}");
		let out = judge(&challenge, &query, Ok(mismatch), 0, budget, false);
		assert!(matches!(out, Outcome::Failed { .. }), "{out:?}");
		let closed = Err(QueryError::ConnectionClosed);
		assert!(matches!(
			judge(&challenge, &query, closed.clone(), 0, budget, true),
			Outcome::Skipped { .. }
		));
		assert!(matches!(
			judge(&challenge, &query, closed, 0, budget, false),
			Outcome::Failed { .. }
		));
		// A rate-limit refusal is never excused: one query a round is within every miner's rate.
		let limited = Response::Refused(Refusal::RateLimited { retry_after_ms: 1 });
		let out = judge(&challenge, &query, Ok(limited), 0, budget, true);
		assert!(matches!(out, Outcome::Failed { .. }), "{out:?}");
	}
}
