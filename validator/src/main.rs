//! `agora-validator`: the validator loop of an Agora subnet.
//!
//! Every round it syncs the metagraph, samples miners with endpoints, sends each the same
//! challenge cut from real data (Lee sentences with human similarity ratings for
//! text-embedding subnets, held-out State of the Union / Brown text for text-generation
//! subnets) over libp2p, scores the answers objectively (blended with latency), folds the
//! scores into a per-UID moving average kept on disk, and, when the subnet's rate limit allows,
//! sets weights (or commits and later reveals them), waits for inclusion and reads them back.
//! One JSON audit line per round goes to the log and to `audit.jsonl` beside the state.

mod state;
mod weights;

use std::{
	collections::BTreeMap,
	io::Write,
	path::PathBuf,
	time::{Duration, Instant},
};

use agora_client::chain::{calls, Client, ClientError, RuntimeAccountId, Wait};
use agora_models::{assets::Assets, data, scoring};
use agora_neuron::{
	account_of,
	args::NeuronArgs,
	endpoint, own_neuron,
	peers::{self, Peer},
	runtime::RuntimeWatch,
};
use agora_primitives::{Metagraph, NetUid, TaskKind, Uid};
use agora_protocol::{Answer, Query, QueryError, Refusal, Response, TaskRequest};
use anyhow::Context;
use clap::Parser;
use rand::{seq::SliceRandom, RngCore, SeedableRng};
use serde_json::json;
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
	/// Text-embedding: documents per challenge (their rated pairs are scored).
	#[arg(long, default_value_t = 12)]
	docs: usize,
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

/// The challenge source of the subnet's task.
enum Bench {
	Embedding(data::SimilarityBench),
	Generation(data::TextCorpus),
}

/// One round's challenge.
enum Challenge {
	Embedding(data::EmbeddingChallenge),
	Generation(data::GenerationChallenge),
}

impl Bench {
	fn load(task: TaskKind, assets: &Assets) -> anyhow::Result<Self> {
		Ok(match task {
			TaskKind::TextEmbedding => Bench::Embedding(data::SimilarityBench::load(assets)?),
			TaskKind::TextGeneration => Bench::Generation(data::TextCorpus::load(assets)?),
		})
	}

	fn challenge(&self, cli: &Cli, seed: u64) -> (Challenge, TaskRequest) {
		match self {
			Bench::Embedding(b) => {
				let c = b.challenge(seed, cli.docs);
				let task = TaskRequest::Embed { sentences: c.sentences.clone() };
				(Challenge::Embedding(c), task)
			},
			Bench::Generation(t) => {
				let c = t.challenge(seed, cli.prompt_words, cli.truth_words);
				let task = TaskRequest::Generate {
					prompt: c.prompt.clone(),
					max_tokens: cli.max_tokens,
					logprobs: false,
				};
				(Challenge::Generation(c), task)
			},
		}
	}
}

/// What became of one miner's query.
#[derive(Debug)]
enum Outcome {
	/// Scored (quality blended with latency), with the raw quality.
	Scored { score: f64, quality: f64, millis: u128 },
	/// The miner failed: a wrong or missing answer scores 0.
	Failed { why: String },
	/// Not the miner's fault (it does not know us as a validator yet, or we asked too fast):
	/// the average is left alone.
	Skipped { why: String },
}

impl Outcome {
	fn audit(&self) -> serde_json::Value {
		match self {
			Outcome::Scored { score, quality, millis } => {
				json!({"score": score, "quality": quality, "ms": millis})
			},
			Outcome::Failed { why } => json!({"score": 0.0, "error": why}),
			Outcome::Skipped { why } => json!({"skipped": why}),
		}
	}
}

fn judge(
	challenge: &Challenge,
	result: Result<Response, QueryError>,
	took: Duration,
	budget: Duration,
) -> Outcome {
	let quality = match (challenge, result) {
		(Challenge::Embedding(c), Ok(Response::Ok(Answer::Embeddings { vectors, .. }))) => {
			scoring::score_embeddings(c, &vectors).map_err(|e| e.to_string())
		},
		(Challenge::Generation(c), Ok(Response::Ok(Answer::Generation { text, .. }))) => {
			Ok(scoring::score_generation(c, &text))
		},
		(_, Ok(Response::Ok(_))) => Err("answered a different task".to_string()),
		(
			_,
			Ok(Response::Refused(
				r @ (Refusal::NotAuthorised { .. } | Refusal::RateLimited { .. }),
			)),
		) => return Outcome::Skipped { why: r.to_string() },
		(_, Ok(Response::Refused(r))) => Err(format!("refused: {r}")),
		(_, Err(e)) => Err(e.to_string()),
	};
	match quality {
		Ok(quality) => Outcome::Scored {
			score: scoring::blend(quality, took, budget),
			quality,
			millis: took.as_millis(),
		},
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
	let task = metagraph.subnet.hyperparams.task;
	let assets = match &cli.assets {
		Some(dir) => Assets::at(dir.clone())?,
		None => Assets::locate()?,
	};
	let bench = Bench::load(task, &assets)?;
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

	let keypair = cli.neuron.p2p.keypair(&cli.neuron.wallet)?;
	let budget = Duration::from_secs(cli.timeout.max(1));
	let (p2p, _inbound) = agora_protocol::spawn(agora_protocol::Config {
		keypair: keypair.clone(),
		listen: cli.neuron.p2p.listen.clone(),
		limits: agora_protocol::Limits { request_timeout: budget, ..Default::default() },
		// A validator answers no queries; miners dial it only to be queried.
		authorizer: None,
	})
	.await?;
	// Publish only once every listener has reported its addresses. With none another machine
	// can dial, the endpoint carries the PeerId alone (dial-out miners then cannot reach us).
	let listening = endpoint::settle_listen_addrs(
		|| p2p.listen_addrs(),
		endpoint::LISTEN_QUIET,
		endpoint::LISTEN_LIMIT,
	)
	.await;
	let publish = cli.neuron.p2p.publishable(&listening)?;
	if publish.is_empty() {
		tracing::warn!(
			"listening on {listening:?} only, which nobody else can dial: dial-out miners cannot \
			 reach this validator (pass --external-addr, or --allow-loopback on a local network)"
		);
	}
	endpoint::ensure_served(&chain, &signer, cli.netuid, &keypair, &publish).await?;

	let shutdown = agora_neuron::shutdown_signal();
	tokio::pin!(shutdown);
	let mut round = 0u64;
	loop {
		round += 1;
		let started = Instant::now();
		// After a runtime upgrade, check the runtime before decoding with it.
		runtime.check(&chain).await?;
		match one_round(&cli, &chain, &signer, &p2p, &bench, &mut state, round, budget).await {
			Ok(line) => {
				tracing::info!(target: "audit", "{line}");
				if let Err(e) = append_line(&audit_path, &line) {
					tracing::warn!("cannot write the audit log: {e:#}");
				}
			},
			Err(RoundError::Fatal(e)) => return Err(e),
			Err(RoundError::Retry(e)) => tracing::warn!("round {round}: {e:#}"),
		}
		state.save(&state_path)?;
		if cli.rounds > 0 && round >= cli.rounds {
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
	bench: &Bench,
	state: &mut State,
	round: u64,
	budget: Duration,
) -> Result<serde_json::Value, RoundError> {
	let hotkey = account_of(signer);
	let metagraph = chain.metagraph(cli.netuid).await?;
	let Some(me) = own_neuron(&metagraph, &hotkey).cloned() else {
		return Err(RoundError::Fatal(anyhow::anyhow!(
			"hotkey {hotkey} is no longer registered on subnet {}; register again",
			cli.netuid
		)));
	};
	let block_hash = chain.block_hash(u64::from(metagraph.block)).await?.unwrap_or_default();
	let holders: BTreeMap<Uid, String> =
		metagraph.neurons.iter().map(|n| (n.uid, n.hotkey.to_string())).collect();
	state.retain_current(&holders);

	let mut audit = json!({
		"round": round,
		"netuid": cli.netuid,
		"block": metagraph.block,
		"block_hash": format!("{block_hash:?}"),
		"uid": me.uid,
		"validator_permit": me.validator_permit,
	});
	if !me.validator_permit {
		audit["note"] = json!("no validator permit yet: miners would refuse our queries");
		return Ok(audit);
	}

	// The challenge is seeded by the block hash: unknown to miners before the block.
	let seed = u64::from_le_bytes(block_hash.0[..8].try_into().unwrap_or_default()) ^ round;
	let (challenge, task) = bench.challenge(cli, seed);
	let mut miners: Vec<Peer> =
		peers::peers(&metagraph).into_iter().filter(|p| p.uid != me.uid).collect();
	miners.shuffle(&mut rand::rngs::StdRng::seed_from_u64(seed));
	miners.truncate(cli.sample_size);
	miners.sort_by_key(|p| p.uid);

	let query = Query { netuid: cli.netuid, task };
	let answers = futures::future::join_all(miners.iter().map(|m| {
		let (p2p, query) = (p2p.clone(), query.clone());
		async move {
			let sent = Instant::now();
			let result = p2p.query(m.peer_id, m.addrs.clone(), query).await;
			(result, sent.elapsed())
		}
	}))
	.await;
	let mut scores = serde_json::Map::new();
	for (miner, (result, took)) in miners.iter().zip(answers) {
		let outcome = judge(&challenge, result, took, budget);
		match &outcome {
			Outcome::Scored { score, .. } => {
				state.update(miner.uid, &miner.hotkey.to_string(), *score, cli.ema_alpha)
			},
			Outcome::Failed { .. } => {
				state.update(miner.uid, &miner.hotkey.to_string(), 0.0, cli.ema_alpha)
			},
			Outcome::Skipped { .. } => {},
		}
		scores.insert(miner.uid.to_string(), outcome.audit());
	}
	audit["queried"] = json!(miners.len());
	audit["scores"] = serde_json::Value::Object(scores);
	audit["ema"] = json!(state.scores());
	audit["weights"] = set_weights(chain, signer, &metagraph, me.uid, me.last_update, state)
		.await
		.unwrap_or_else(|e| json!({"error": format!("{e:#}")}));
	Ok(audit)
}

/// Sets (or commits / reveals) weights from the averages when the rate limit allows; returns
/// what it did for the audit line.
async fn set_weights(
	chain: &Client,
	signer: &Keypair,
	metagraph: &Metagraph<RuntimeAccountId>,
	own_uid: Uid,
	last_update: u32,
	state: &mut State,
) -> anyhow::Result<serde_json::Value> {
	let hp = &metagraph.subnet.hyperparams;
	let netuid = metagraph.subnet.netuid;
	let now = metagraph.block;

	if hp.commit_reveal {
		if let Some(p) = state.pending.clone() {
			let open = p.committed_at + u32::from(hp.reveal_period) * u32::from(hp.tempo);
			let close = open + u32::from(hp.tempo);
			if now < open {
				return Ok(json!({"waiting_to_reveal": {"opens_at": open}}));
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
				let read_back = check_read_back(chain, netuid, own_uid, &p.uids, &p.values).await?;
				return Ok(
					json!({"revealed": pairs(&p.uids, &p.values), "block": format!("{:?}", receipt.block), "read_back": read_back}),
				);
			}
		}
	}
	let due = now >= last_update.saturating_add(hp.weights_rate_limit)
		|| chain.weights(netuid, own_uid).await?.is_empty();
	if !due {
		return Ok(
			json!({"rate_limited_until": last_update.saturating_add(hp.weights_rate_limit)}),
		);
	}
	let rules = weights::Rules::of(metagraph.neurons.len() as u16, hp);
	let (uids, values) = weights::to_weights(&state.scores(), own_uid, &rules)?;
	let version_key = hp.weights_version_key;
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
		return Ok(
			json!({"committed": pairs(&uids, &values), "block": format!("{:?}", receipt.block)}),
		);
	}
	let receipt = chain
		.submit(
			&calls::set_weights(netuid, uids.clone(), values.clone(), version_key),
			signer,
			Wait::Inclusion,
		)
		.await?;
	let read_back = check_read_back(chain, netuid, own_uid, &uids, &values).await?;
	Ok(
		json!({"set": pairs(&uids, &values), "block": format!("{:?}", receipt.block), "read_back": read_back}),
	)
}

fn pairs(uids: &[Uid], values: &[u16]) -> Vec<(Uid, u16)> {
	uids.iter().copied().zip(values.iter().copied()).collect()
}

/// Reads the weights back from the chain and checks they are what was sent (zeros are not
/// stored).
async fn check_read_back(
	chain: &Client,
	netuid: NetUid,
	uid: Uid,
	uids: &[Uid],
	values: &[u16],
) -> Result<&'static str, ClientError> {
	let stored = chain.weights(netuid, uid).await?;
	let mut sent: Vec<(Uid, u16)> =
		pairs(uids, values).into_iter().filter(|(_, v)| *v > 0).collect();
	sent.sort_unstable();
	if stored == sent {
		Ok("match")
	} else {
		Err(ClientError::Other(format!(
			"weights read back from the chain differ from those sent: {stored:?} vs {sent:?}"
		)))
	}
}

fn append_line(path: &std::path::Path, line: &serde_json::Value) -> anyhow::Result<()> {
	if let Some(dir) = path.parent() {
		std::fs::create_dir_all(dir)?;
	}
	let mut f = std::fs::OpenOptions::new()
		.create(true)
		.append(true)
		.open(path)
		.with_context(|| format!("open {}", path.display()))?;
	writeln!(f, "{line}")?;
	Ok(())
}
