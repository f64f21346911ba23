//! `agora-miner`: serves a candle model to the validators of one Agora subnet over libp2p.
//!
//! It admits connections only from peers whose Noise-authenticated PeerId is the on-chain
//! endpoint of a neuron holding a validator permit on its subnet, and answers only queries signed
//! by that neuron's hotkey and addressed to this miner's hotkey (checked by the protocol's event
//! loop before any model work); its answers are signed with its hotkey. It publishes its own PeerId and addresses with `serve` (none in `--dial-out` mode,
//! where it dials the validators instead), and exports Prometheus metrics.

mod batch;

use std::{
	net::SocketAddr,
	path::{Path, PathBuf},
	str::FromStr,
	sync::{Arc, Mutex},
	time::{Duration, Instant},
};

use agora_models::{assets::Assets, embedding, generation, lookup};
use agora_neuron::{args::NeuronArgs, endpoint, peers, runtime::RuntimeWatch};
use agora_primitives::{NetUid, TaskKind};
use agora_protocol::{AllowList, Answer, Authorizer, Hotkey, Inbound, Query, Refusal, TaskRequest};
use anyhow::{bail, Context};
use clap::Parser;
use libp2p::PeerId;
use prometheus_client::{
	encoding::EncodeLabelSet,
	metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
	registry::Registry,
};

/// Most sentences one embedding query may carry.
const MAX_SENTENCES: usize = 64;
/// Longest sentence or prompt, in characters.
const MAX_TEXT_CHARS: usize = 8_000;
/// Most tokens one generation query may ask for.
const MAX_NEW_TOKENS: u32 = 256;

/// Serves a candle model to the validators of one Agora subnet over libp2p.
#[derive(Parser, Debug)]
#[command(name = "agora-miner", version, about, long_about = None)]
struct Cli {
	#[command(flatten)]
	neuron: NeuronArgs,
	/// The subnet to serve; its `task` hyperparameter says which model kind is needed.
	#[arg(long)]
	netuid: NetUid,
	/// The model: a directory in Hugging Face layout (config.json, model.safetensors,
	/// tokenizer.json) for text-embedding subnets, a .gguf file for text-generation subnets.
	/// Needed by every variant but `lookup`.
	#[arg(long, value_name = "PATH")]
	model: Option<PathBuf>,
	/// Serve a deliberately worse embedding model, for demos and tests: `layers:N` keeps the
	/// first N encoder layers, `random` (or `random:SEED`) uses random weights. `lookup` runs
	/// no model at all: the attacker who answers from the public evaluation packages
	/// (`agora_models::lookup`), to measure what validators' challenges let it earn.
	#[arg(long, default_value = "full")]
	variant: Variant,
	/// `--variant lookup`: where the public evaluation data is [default: $AGORA_ASSETS or
	/// ~/.cache/agora/assets].
	#[arg(long, value_name = "DIR")]
	assets: Option<PathBuf>,
	/// Where the model runs: cpu, cuda or cuda:N.
	#[arg(long, default_value = "cpu")]
	device: String,
	/// Publish no address; dial the validators' on-chain endpoints instead, so this miner's
	/// IP is never public.
	#[arg(long)]
	dial_out: bool,
	/// Serve Prometheus metrics on this address (e.g. 127.0.0.1:9616).
	#[arg(long, value_name = "ADDR")]
	metrics: Option<SocketAddr>,
	/// Seconds between metagraph syncs (validator permits, endpoints).
	#[arg(long, default_value_t = 6)]
	sync_interval: u64,
	/// How long to wait for the hotkey's registration before giving up, in seconds.
	#[arg(long, default_value_t = 600)]
	registration_timeout: u64,
	/// Queries one validator may send per 10 s (0: no limit). Scoring needs one a round; a
	/// validator also running a gateway (`agora-gateway`) forwards users' requests, so a miner
	/// that wants that traffic raises it.
	#[arg(long, default_value_t = agora_protocol::Limits::default().peer_rate)]
	peer_rate: u32,
	/// Queries one validator may have in flight at once (0: no bound).
	#[arg(long, default_value_t = agora_protocol::Limits::default().max_in_flight_per_peer)]
	peer_in_flight: usize,
}

/// `--variant`.
#[derive(Clone, Copy, Debug)]
enum Variant {
	/// The model, whole or deliberately worse.
	Model(embedding::Variant),
	/// No model: answers looked up in the public evaluation data.
	Lookup,
}

impl FromStr for Variant {
	type Err = String;
	fn from_str(s: &str) -> Result<Self, Self::Err> {
		let bad = || format!("`{s}`: expected full, layers:N, random[:SEED] or lookup");
		if s == "lookup" {
			return Ok(Variant::Lookup);
		}
		Ok(Variant::Model(match s.split_once(':') {
			None if s == "full" => embedding::Variant::Full,
			None if s == "random" => embedding::Variant::Random { seed: 0 },
			Some(("layers", n)) => {
				embedding::Variant::Layers(n.parse().ok().filter(|n| *n > 0).ok_or_else(bad)?)
			},
			Some(("random", seed)) => {
				embedding::Variant::Random { seed: seed.parse().map_err(|_| bad())? }
			},
			_ => return Err(bad()),
		}))
	}
}

/// The loaded model.
enum Model {
	Embedding(Box<embedding::Embedder>),
	Generation(Box<Mutex<generation::Generator>>),
	/// The attacker's baseline: no model.
	Lookup(lookup::LookupModel),
}

impl Model {
	fn load(
		task: TaskKind,
		path: Option<&Path>,
		variant: Variant,
		assets: Option<&Path>,
		device: &str,
	) -> anyhow::Result<Self> {
		let variant = match variant {
			Variant::Lookup => {
				let assets = match assets {
					Some(dir) => Assets::at(dir.to_path_buf())?,
					None => Assets::locate()?,
				};
				return Ok(Model::Lookup(lookup::LookupModel::load(&assets)?));
			},
			Variant::Model(variant) => variant,
		};
		let path =
			path.context("--model PATH is needed: every --variant but lookup runs a model")?;
		let device = agora_models::device(device)?;
		match task {
			TaskKind::TextEmbedding => {
				if !path.is_dir() {
					bail!(
						"{}: a text-embedding subnet needs a model directory (config.json, \
						 model.safetensors, tokenizer.json)",
						path.display()
					);
				}
				Ok(Model::Embedding(Box::new(embedding::Embedder::load(path, &device, variant)?)))
			},
			TaskKind::TextGeneration => {
				if path.extension().and_then(|e| e.to_str()) != Some("gguf") {
					bail!("{}: a text-generation subnet needs a .gguf model file", path.display());
				}
				Ok(Model::Generation(Box::new(Mutex::new(generation::Generator::load(
					path, &device,
				)?))))
			},
		}
	}

	fn name(&self) -> String {
		match self {
			Model::Embedding(e) => e.name(),
			Model::Generation(g) => g.lock().map(|g| g.name()).unwrap_or_default(),
			Model::Lookup(l) => l.name(),
		}
	}

	/// Answers a query whose input was already checked by [`check`].
	fn answer(&self, task: TaskRequest) -> Result<Answer, Refusal> {
		let result = match (self, task) {
			(Model::Embedding(e), TaskRequest::Embed { sentences }) => {
				e.embed(&sentences).map(|vectors| Answer::Embeddings { model: e.name(), vectors })
			},
			(Model::Generation(g), TaskRequest::Generate { prompt, max_tokens, logprobs }) => {
				match g.lock() {
					Ok(mut g) => g.generate(&prompt, max_tokens as usize, logprobs).map(|out| {
						Answer::Generation {
							model: g.name(),
							text: out.text,
							logprobs: out.logprobs,
						}
					}),
					Err(_) => {
						return Err(Refusal::Failed { reason: "the model crashed earlier".into() })
					},
				}
			},
			(Model::Lookup(l), TaskRequest::Embed { sentences }) => {
				Ok(Answer::Embeddings { model: l.name(), vectors: l.embed(&sentences) })
			},
			(Model::Lookup(l), TaskRequest::Generate { prompt, max_tokens, .. }) => {
				let text = l.generate(&prompt, max_tokens as usize);
				Ok(Answer::Generation { model: l.name(), text, logprobs: None })
			},
			(_, task) => return Err(Refusal::Unsupported { task: task_name(&task).into() }),
		};
		result.map_err(|e| Refusal::Failed { reason: e.to_string() })
	}
}

fn task_name(task: &TaskRequest) -> &'static str {
	match task {
		TaskRequest::Embed { .. } => "text-embedding",
		TaskRequest::Generate { .. } => "text-generation",
	}
}

/// Bounds every input before the model sees it.
fn check(task: &TaskRequest) -> Result<(), Refusal> {
	let bad = |reason: String| Err(Refusal::BadRequest { reason });
	match task {
		TaskRequest::Embed { sentences } => {
			if sentences.is_empty() || sentences.len() > MAX_SENTENCES {
				return bad(format!(
					"send 1 to {MAX_SENTENCES} sentences, not {}",
					sentences.len()
				));
			}
			if let Some(s) = sentences.iter().find(|s| s.chars().count() > MAX_TEXT_CHARS) {
				return bad(format!(
					"a sentence of {} characters (most {MAX_TEXT_CHARS})",
					s.chars().count()
				));
			}
		},
		TaskRequest::Generate { prompt, max_tokens, .. } => {
			if prompt.trim().is_empty() || prompt.chars().count() > MAX_TEXT_CHARS {
				return bad(format!("the prompt must have 1 to {MAX_TEXT_CHARS} characters"));
			}
			if *max_tokens == 0 || *max_tokens > MAX_NEW_TOKENS {
				return bad(format!("max_tokens must be 1 to {MAX_NEW_TOKENS}"));
			}
		},
	}
	Ok(())
}

/// Admits connections from permitted validators only, and lets through only queries for our
/// subnet from permitted validators signing as their own hotkey.
struct SubnetAuthorizer {
	netuid: NetUid,
	allow: AllowList,
}

impl Authorizer for SubnetAuthorizer {
	fn authorise(&self, peer: &PeerId, query: &Query) -> Result<(), Refusal> {
		if query.netuid != self.netuid {
			return Err(Refusal::WrongSubnet { served: self.netuid });
		}
		self.allow.authorise(peer, query)
	}

	fn admits(&self, peer: &PeerId) -> bool {
		self.allow.admits(peer)
	}
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
	outcome: String,
}

/// The miner's Prometheus metrics.
#[derive(Clone)]
struct Metrics {
	queries: Family<OutcomeLabel, Counter>,
	seconds: Histogram,
	validators: Gauge,
}

impl Metrics {
	fn register(registry: &mut Registry) -> Self {
		let m = Metrics {
			queries: Family::default(),
			seconds: Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
				0.005, 2.0, 14,
			)),
			validators: Gauge::default(),
		};
		registry.register(
			"agora_miner_queries",
			"Authorised queries handled, by outcome (ok, bad_request, unsupported, failed)",
			m.queries.clone(),
		);
		registry.register(
			"agora_miner_query_seconds",
			"Time from an authorised query's arrival to its answer",
			m.seconds.clone(),
		);
		registry.register(
			"agora_miner_permitted_validators",
			"Validators the chain says may query this miner",
			m.validators.clone(),
		);
		m
	}

	fn observe(&self, result: &Result<Answer, Refusal>, took: Duration) {
		let outcome = match result {
			Ok(_) => "ok",
			Err(Refusal::BadRequest { .. }) => "bad_request",
			Err(Refusal::Unsupported { .. }) => "unsupported",
			Err(_) => "failed",
		};
		self.queries.get_or_create(&OutcomeLabel { outcome: outcome.into() }).inc();
		self.seconds.observe(took.as_secs_f64());
	}
}

#[tokio::main]
async fn main() {
	agora_neuron::init_logging("info,libp2p_swarm=warn");
	agora_neuron::main_with("agora-miner", run(Cli::parse())).await;
}

async fn run(cli: Cli) -> anyhow::Result<()> {
	cli.neuron.p2p.check()?;
	if cli.model.is_none() && !matches!(cli.variant, Variant::Lookup) {
		bail!("--model PATH is needed: every --variant but lookup runs a model");
	}
	let (signer, hotkey, chain, metagraph) = agora_neuron::start(
		&cli.neuron.chain,
		&cli.neuron.wallet,
		cli.netuid,
		Duration::from_secs(cli.registration_timeout),
	)
	.await?;
	let mut runtime = RuntimeWatch::start(&chain).await?;
	let task = metagraph.subnet.hyperparams.task;
	tracing::info!("hotkey {hotkey} is registered on subnet {} ({task:?})", cli.netuid);

	let started = Instant::now();
	let (model_path, variant, device) = (cli.model.clone(), cli.variant, cli.device.clone());
	let assets = cli.assets.clone();
	let model = tokio::task::spawn_blocking(move || {
		Model::load(task, model_path.as_deref(), variant, assets.as_deref(), &device)
	})
	.await
	.context("model loader panicked")??;
	let model = Arc::new(model);
	tracing::info!("loaded {} in {:.1} s", model.name(), started.elapsed().as_secs_f64());

	let mut registry = Registry::default();
	let metrics = Metrics::register(&mut registry);
	let _metrics_server = match cli.metrics {
		Some(addr) => {
			Some(agora_neuron::metrics::serve(addr, Arc::new(Mutex::new(registry))).await?.1)
		},
		None => None,
	};

	let keypair = cli.neuron.p2p.keypair(&cli.neuron.wallet)?;
	let allow = AllowList::new();
	let (p2p, mut inbound) = agora_protocol::spawn(agora_protocol::Config {
		keypair: keypair.clone(),
		listen: if cli.dial_out { Vec::new() } else { cli.neuron.p2p.listen.clone() },
		limits: agora_protocol::Limits {
			peer_rate: cli.peer_rate,
			max_in_flight_per_peer: cli.peer_in_flight,
			..Default::default()
		},
		authorizer: Some(Arc::new(SubnetAuthorizer { netuid: cli.netuid, allow: allow.clone() })),
		// Queries must be addressed to this hotkey; answers are signed with it.
		hotkey: Some(signer.clone()),
	})
	.await?;
	let addrs = if cli.dial_out {
		Vec::new()
	} else {
		// Publish only once every listener has reported its addresses.
		let (listening, publish) = cli.neuron.p2p.settled_publishable(&p2p).await?;
		if publish.is_empty() {
			bail!(
				"listening on {listening:?} only, which nobody else can dial: pass --listen with \
				 a routable address, --external-addr, or --allow-loopback for a local test network"
			);
		}
		publish
	};
	endpoint::ensure_served(&chain, &signer, cli.netuid, &keypair, &addrs).await?;
	tracing::info!(
		"serving subnet {} as {} with {}",
		cli.netuid,
		p2p.local_peer_id(),
		model.name()
	);

	// Keep the allow-list (and, dialling out, the connections) in step with the chain.
	let sync = {
		let (chain, p2p, allow, metrics) = (chain, p2p.clone(), allow.clone(), metrics.clone());
		let (netuid, dial_out, hotkey) = (cli.netuid, cli.dial_out, hotkey.clone());
		let interval = Duration::from_secs(cli.sync_interval.max(1));
		tokio::spawn(async move {
			let mut first = Some(metagraph);
			loop {
				let metagraph = match first.take() {
					Some(m) => m,
					None => {
						tokio::time::sleep(interval).await;
						// After a runtime upgrade, check the runtime before decoding with it.
						runtime.check(&chain).await?;
						match chain.metagraph(netuid).await {
							Ok(m) => m,
							Err(e) => {
								tracing::warn!("metagraph sync failed: {e}");
								continue;
							},
						}
					},
				};
				if agora_neuron::own_neuron(&metagraph, &hotkey).is_none() {
					return Err(anyhow::anyhow!(
						"hotkey {hotkey} is no longer registered on subnet {netuid} (replaced \
						 by a newer registration); register again to keep mining"
					));
				}
				let validators = peers::permitted_validators(&metagraph);
				allow.set(netuid, validators.iter().map(|v| (v.peer_id, hotkey_of(&v.hotkey))));
				metrics.validators.set(validators.len() as i64);
				if dial_out {
					let connected = p2p.connected_peers().await;
					for v in validators.iter().filter(|v| !connected.contains(&v.peer_id)) {
						if v.addrs.is_empty() || v.peer_id == p2p.local_peer_id() {
							continue;
						}
						match p2p.dial(v.peer_id, v.addrs.clone()).await {
							Ok(()) => {
								tracing::info!("dialled validator UID {} ({})", v.uid, v.peer_id)
							},
							Err(e) => tracing::warn!("cannot dial validator UID {}: {e}", v.uid),
						}
					}
				}
			}
		})
	};

	// One model call at a time: the model uses every core it is given. An embedding model takes
	// its queries in batches of whatever queued meanwhile (`batch`); other models one by one.
	let worker = Arc::new(tokio::sync::Semaphore::new(1));
	let batcher = match &*model {
		Model::Embedding(_) => {
			let (tx, rx) = tokio::sync::mpsc::channel(BATCH_QUEUE);
			let embedder = Arc::new(Embedding { model: model.clone(), metrics: metrics.clone() });
			tokio::spawn(batch::run(embedder, rx));
			Some(tx)
		},
		_ => None,
	};
	let shutdown = agora_neuron::shutdown_signal();
	tokio::pin!(shutdown);
	let mut sync = sync;
	let outcome = loop {
		tokio::select! {
			_ = &mut shutdown => break Ok(()),
			ended = &mut sync => break match ended {
				Ok(result) => result,
				Err(e) => Err(anyhow::anyhow!("metagraph sync task failed: {e}")),
			},
			query = inbound.recv() => {
				let Some(query) = query else { break Err(anyhow::anyhow!("the libp2p event loop stopped")) };
				tokio::spawn(handle(query, model.clone(), worker.clone(), batcher.clone(), metrics.clone()));
			},
		}
	};
	tracing::info!("shutting down");
	p2p.shutdown().await;
	outcome
}

/// Queries queued for the embedding batcher at most (the protocol holds at most 32 in flight).
const BATCH_QUEUE: usize = 64;

/// The embedding model as the batcher uses it.
struct Embedding {
	model: Arc<Model>,
	metrics: Metrics,
}

impl batch::Embed for Embedding {
	fn embed(&self, sentences: &[String]) -> Result<(String, Vec<Vec<f32>>), String> {
		match &*self.model {
			Model::Embedding(e) => {
				e.embed(sentences).map(|v| (e.name(), v)).map_err(|e| e.to_string())
			},
			_ => Err("not an embedding model".into()),
		}
	}

	fn observe(&self, result: &Result<Answer, Refusal>, took: Duration) {
		self.metrics.observe(result, took);
	}
}

async fn handle(
	query: Inbound,
	model: Arc<Model>,
	worker: Arc<tokio::sync::Semaphore>,
	batcher: Option<tokio::sync::mpsc::Sender<batch::Job>>,
	metrics: Metrics,
) {
	let arrived = Instant::now();
	let peer = query.peer;
	let task = query.query.task.clone();
	let kind = task_name(&task);
	let checked = check(&task);
	if let (Some(batcher), TaskRequest::Embed { sentences }, Ok(())) = (&batcher, &task, &checked) {
		let job = batch::Job { inbound: query, sentences: sentences.clone(), arrived };
		if let Err(full) = batcher.try_send(job) {
			let job = match full {
				tokio::sync::mpsc::error::TrySendError::Full(job)
				| tokio::sync::mpsc::error::TrySendError::Closed(job) => job,
			};
			let result = Err(Refusal::Busy);
			metrics.observe(&result, arrived.elapsed());
			job.inbound.reply(result);
		}
		return;
	}
	let result = match checked {
		Err(refusal) => Err(refusal),
		Ok(()) => match worker.acquire_owned().await {
			// Waited past the request timeout behind other queries: nobody wants the answer,
			// so no model work for it.
			Ok(_) if !query.is_pending() => {
				tracing::info!("{kind} for {peer} expired while waiting for the model");
				return;
			},
			Ok(permit) => tokio::task::spawn_blocking(move || {
				let _permit = permit;
				model.answer(task)
			})
			.await
			.unwrap_or_else(|e| Err(Refusal::Failed { reason: e.to_string() })),
			Err(_) => Err(Refusal::Busy),
		},
	};
	let took = arrived.elapsed();
	metrics.observe(&result, took);
	match &result {
		Ok(_) => tracing::debug!("{kind} for {peer} in {} ms", took.as_millis()),
		Err(r) => tracing::info!("{kind} for {peer} refused: {r}"),
	}
	// Signed with the hotkey here, off the protocol's event loop.
	query.reply(result);
}

/// The protocol's hotkey (32 bytes) of a chain account.
fn hotkey_of(account: &agora_client::chain::RuntimeAccountId) -> Hotkey {
	let bytes: &[u8; 32] = account.as_ref();
	Hotkey(*bytes)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn variants_parse_and_bad_ones_explain_themselves() {
		assert!(matches!("full".parse::<Variant>(), Ok(Variant::Model(embedding::Variant::Full))));
		assert!(matches!(
			"layers:2".parse::<Variant>(),
			Ok(Variant::Model(embedding::Variant::Layers(2)))
		));
		assert!(matches!(
			"random:7".parse::<Variant>(),
			Ok(Variant::Model(embedding::Variant::Random { seed: 7 }))
		));
		assert!(matches!("lookup".parse::<Variant>(), Ok(Variant::Lookup)));
		for bad in ["layers:0", "layers:x", "half", "random:-1"] {
			let err = bad.parse::<Variant>().err().unwrap_or_default();
			assert!(
				err.contains("expected full, layers:N, random[:SEED] or lookup"),
				"{bad}: {err}"
			);
		}
	}

	#[test]
	fn inputs_are_bounded_before_the_model_sees_them() {
		let embed =
			|n: usize, len: usize| TaskRequest::Embed { sentences: vec!["a".repeat(len); n] };
		assert!(check(&embed(1, 10)).is_ok());
		assert!(check(&embed(MAX_SENTENCES, 10)).is_ok());
		assert!(matches!(check(&embed(0, 10)), Err(Refusal::BadRequest { .. })));
		assert!(matches!(check(&embed(MAX_SENTENCES + 1, 10)), Err(Refusal::BadRequest { .. })));
		assert!(matches!(check(&embed(1, MAX_TEXT_CHARS + 1)), Err(Refusal::BadRequest { .. })));
		let generate = |prompt: &str, max_tokens| TaskRequest::Generate {
			prompt: prompt.into(),
			max_tokens,
			logprobs: false,
		};
		assert!(check(&generate("Fellow citizens", 16)).is_ok());
		assert!(matches!(check(&generate("  ", 16)), Err(Refusal::BadRequest { .. })));
		assert!(matches!(check(&generate("x", 0)), Err(Refusal::BadRequest { .. })));
		assert!(matches!(
			check(&generate("x", MAX_NEW_TOKENS + 1)),
			Err(Refusal::BadRequest { .. })
		));
	}

	#[test]
	fn the_authorizer_refuses_other_subnets_before_asking_the_allow_list() {
		let key = |uri: &str| {
			agora_protocol::HotkeyPair::from_uri(&uri.parse().expect("uri")).expect("keypair")
		};
		let (validator_key, impostor_key) = (key("//Validator"), key("//Impostor"));
		let allow = AllowList::new();
		let validator = PeerId::random();
		allow.set(3, [(validator, Hotkey::of(&validator_key))]);
		let auth = SubnetAuthorizer { netuid: 3, allow };
		let query = |netuid, signer| {
			let task = TaskRequest::Embed { sentences: vec!["a".into()] };
			Query::signed(netuid, Hotkey([1; 32]), 0, task, signer)
		};
		assert!(auth.admits(&validator));
		assert!(!auth.admits(&PeerId::random()));
		assert!(auth.authorise(&validator, &query(3, &validator_key)).is_ok());
		assert!(matches!(
			auth.authorise(&validator, &query(4, &validator_key)),
			Err(Refusal::WrongSubnet { served: 3 })
		));
		assert!(matches!(
			auth.authorise(&PeerId::random(), &query(3, &validator_key)),
			Err(Refusal::NotAuthorised { .. })
		));
		assert!(matches!(
			auth.authorise(&validator, &query(3, &impostor_key)),
			Err(Refusal::ValidatorMismatch { .. })
		));
	}

	#[test]
	fn chain_accounts_become_protocol_hotkeys() {
		let account = agora_client::chain::RuntimeAccountId::new([5; 32]);
		assert_eq!(hotkey_of(&account), Hotkey([5; 32]));
	}
}
