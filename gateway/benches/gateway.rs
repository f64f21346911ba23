//! The gateway's cost over a direct libp2p query, side by side in one run (issue 14).
//!
//! Starts a dev node (the debug `agora-node`: the chain only sets up the subnet and the channel),
//! a text-embedding subnet with one miner serving the real all-MiniLM-L6-v2 (release build), the
//! gateway (release build) on one validator hotkey, and, in this process, a second validator's
//! protocol node that queries the miner directly. Each request embeds one sentence. Measured:
//!
//! - sequential latency (p50 / p99 of `ROUNDS` requests, default 200): a direct signed libp2p
//!   query; the same through the gateway's HTTP API on the free tier; and paid, with a voucher of
//!   a payment channel signed here for every request (the gateway checks it and stores it in
//!   redb before serving);
//! - throughput with 32 concurrent clients for `SECONDS` (default 10) each: direct, free, paid
//!   (one channel, vouchers counted up by the 32 clients).
//!
//! `cargo build --release -p agora-miner && cargo bench -p agora-gateway --bench gateway` (release
//! builds; `-p` keeps the node's features, and so the node's crates, out of them).
//! Prints a table; writes `~/.cache/agora-bench/gateway.json`.

#[allow(dead_code, unreachable_pub)]
#[path = "../../node/tests/it/harness.rs"]
mod harness;

use std::{
	path::{Path, PathBuf},
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc,
	},
	time::{Duration, Instant},
};

use agora_client::{
	chain::{calls, Client, RuntimeAccountId, Wait},
	payments::{Voucher, VOUCHER_HEADER},
	wallet::{self, Wallet},
};
use agora_primitives::TaskKind;
use agora_protocol::{Hotkey, Query, Response, TaskRequest};
use anyhow::{bail, ensure, Context, Result};
use harness::{free_port, Node, Proc, TestDir};
use serde_json::json;

const AGR: u128 = 1_000_000_000;
const PASSWORD: &str = "bench";
const SENTENCE: &str = "The quick brown fox jumps over the lazy dog near the river bank.";
const CLIENTS: usize = 32;

fn start(name: &'static str, bin: &Path, args: &[String], dir: &Path) -> Result<Proc> {
	Proc::start(name, bin, args, dir, "warn")
}

/// A release binary of this workspace: beside the gateway's.
fn bin(name: &str) -> Result<PathBuf> {
	harness::sibling_bin(env!("CARGO_BIN_EXE_agora-gateway"), name)
}

fn env_or(name: &str, default: u64) -> u64 {
	std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// p50 and p99 in milliseconds.
fn percentiles(mut ms: Vec<f64>) -> (f64, f64) {
	ms.sort_by(f64::total_cmp);
	let at = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
	(at(0.50), at(0.99))
}

/// One way of asking for an embedding.
#[derive(Clone)]
enum Route {
	Direct(Arc<Direct>),
	Http { http: reqwest::Client, url: String, paid: Option<Arc<Payer>> },
}

/// This process's own validator node, querying the miner over libp2p.
struct Direct {
	p2p: agora_protocol::Client,
	key: agora_client::Keypair,
	netuid: u16,
	miner: Hotkey,
	peer: libp2p::PeerId,
	addrs: Vec<libp2p::Multiaddr>,
	nonce: AtomicU64,
}

/// Signs the next cumulative voucher of one channel.
struct Payer {
	genesis: [u8; 32],
	channel: u64,
	price: u128,
	signed: AtomicU64,
	consumer: agora_client::Keypair,
}

impl Route {
	async fn ask(&self) -> Result<()> {
		match self {
			Route::Direct(d) => {
				let nonce = d.nonce.fetch_add(1, Ordering::Relaxed);
				let task = TaskRequest::Embed { sentences: vec![SENTENCE.to_string()] };
				let query = Query::signed(d.netuid, d.miner, nonce, task, &d.key);
				match d.p2p.query(d.peer, d.addrs.clone(), query.clone()).await? {
					Response::Ok(answer) if answer.verify(&query) => Ok(()),
					other => bail!("direct query: {other:?}"),
				}
			},
			Route::Http { http, url, paid } => {
				let mut request = http.post(url).json(&json!({
					"model": "text-embedding-sn1", "input": [SENTENCE], "encoding_format": "float"
				}));
				if let Some(p) = paid {
					let n = p.signed.fetch_add(1, Ordering::Relaxed) + 1;
					let v =
						Voucher::sign(&p.genesis, p.channel, p.price * u128::from(n), &p.consumer);
					request = request.header(VOUCHER_HEADER, v.to_header());
				}
				let response = request.send().await?;
				let status = response.status();
				let body = response.bytes().await?;
				ensure!(status.is_success(), "{status}: {}", String::from_utf8_lossy(&body));
				Ok(())
			},
		}
	}
}

/// Sequential latencies of `rounds` requests after 20 of warm-up.
async fn sequential(path: &Route, rounds: u64) -> Result<(f64, f64)> {
	for _ in 0..20 {
		path.ask().await?;
	}
	let mut ms = Vec::new();
	for _ in 0..rounds {
		let t = Instant::now();
		path.ask().await?;
		ms.push(t.elapsed().as_secs_f64() * 1e3);
	}
	Ok(percentiles(ms))
}

/// Requests a second with [`CLIENTS`] concurrent clients for `seconds`; also p50 / p99.
async fn concurrent(path: &Route, seconds: u64) -> Result<(f64, f64, f64)> {
	let until = Instant::now() + Duration::from_secs(seconds);
	let started = Instant::now();
	let tasks: Vec<_> = (0..CLIENTS)
		.map(|_| {
			let path = path.clone();
			tokio::spawn(async move {
				let mut ms = Vec::new();
				while Instant::now() < until {
					let t = Instant::now();
					path.ask().await?;
					ms.push(t.elapsed().as_secs_f64() * 1e3);
				}
				anyhow::Ok(ms)
			})
		})
		.collect();
	let mut all = Vec::new();
	for t in tasks {
		all.extend(t.await??);
	}
	let rate = all.len() as f64 / started.elapsed().as_secs_f64();
	let (p50, p99) = percentiles(all);
	Ok((rate, p50, p99))
}

#[tokio::main]
async fn main() -> Result<()> {
	let rounds = env_or("ROUNDS", 200);
	let seconds = env_or("SECONDS", 10);
	let assets = agora_models::assets::Assets::locate()?;
	let dir = TestDir::new("agora-bench-gateway-");
	let node = Node::dev("node", dir.path())?;
	let chain = Client::connect(&node.ws_url()).await?;
	let alice = wallet::keypair_from_secret("//Alice")?;
	chain
		.submit(
			&calls::create_subnet(TaskKind::TextEmbedding, 10_000 * AGR),
			&alice,
			Wait::Inclusion,
		)
		.await?;
	let netuid = chain.subnets().await?.iter().map(|s| s.netuid).max().context("no subnet")?;
	ensure!(netuid == 1, "the bench names its model text-embedding-sn1, the subnet is {netuid}");
	let mut hp = chain.subnet(netuid).await?.hyperparams;
	hp.tempo = 5;
	hp.activity_cutoff = 1_000;
	chain.submit(&chain.sudo_set_hyperparams(netuid, &hp).await?, &alice, Wait::Inclusion).await?;

	let wallets = dir.path().join("wallets");
	let password_file = dir.path().join("password");
	std::fs::write(&password_file, PASSWORD)?;
	let w = Wallet::new(&wallets, "bench")?;
	w.store(None, "//Alice", PASSWORD, false)?;
	let mut keys = Vec::new();
	for name in ["gateway", "direct", "miner"] {
		let phrase = wallet::generate_mnemonic().to_string();
		w.store(Some(name), &phrase, PASSWORD, false)?;
		let key = wallet::keypair_from_secret(&phrase)?;
		let id = key.public_key().to_account_id();
		chain.submit(&calls::register(netuid, &id, 1_000 * AGR), &alice, Wait::Inclusion).await?;
		keys.push(key);
	}
	for key in &keys[..2] {
		let id = key.public_key().to_account_id();
		chain.submit(&calls::add_stake(&id, 1_000 * AGR), &alice, Wait::Inclusion).await?;
	}
	let common = |hotkey: &str| -> Vec<String> {
		[
			"--url",
			&node.ws_url(),
			"--wallets-dir",
			&wallets.display().to_string(),
			"--wallet",
			"bench",
			"--hotkey",
			hotkey,
			"--password-file",
			&password_file.display().to_string(),
			"--netuid",
			&netuid.to_string(),
			"--listen",
			"/ip4/127.0.0.1/tcp/0",
			"--allow-loopback",
		]
		.map(String::from)
		.to_vec()
	};
	let mut miner = common("miner");
	miner.extend(["--model".into(), assets.minilm_dir().display().to_string()]);
	miner.extend(["--peer-rate", "0", "--peer-in-flight", "0"].map(String::from));
	let _miner = start("miner", &bin("agora-miner")?, &miner, dir.path())?;

	// Both validator hotkeys hold a permit after an epoch.
	let deadline = Instant::now() + Duration::from_secs(60);
	let metagraph = loop {
		let m = chain.metagraph(netuid).await?;
		let permits = keys[..2]
			.iter()
			.filter(|k| {
				agora_neuron::own_neuron(&m, &RuntimeAccountId::new(k.public_key().0))
					.is_some_and(|n| n.validator_permit)
			})
			.count();
		let served = m.neurons.iter().any(|n| n.uid == 2 && n.endpoint.is_some());
		if permits == 2 && served {
			break m;
		}
		ensure!(Instant::now() < deadline, "no permits or no miner endpoint after 60 s");
		tokio::time::sleep(Duration::from_secs(1)).await;
	};

	let http_port = free_port();
	let mut gateway = common("gateway");
	gateway.extend(
		[
			"--http-listen",
			&format!("127.0.0.1:{http_port}"),
			"--free-tier-rpm",
			"100000000",
			"--max-concurrency",
			"256",
			// The miner allows any number in flight (--peer-in-flight 0) and batches them.
			"--miner-in-flight",
			"32",
			"--db",
			&dir.path().join("gateway.redb").display().to_string(),
		]
		.map(String::from),
	);
	let _gateway = start("gateway", &bin("agora-gateway")?, &gateway, dir.path())?;
	let base = format!("http://127.0.0.1:{http_port}");
	let http = reqwest::Client::builder().pool_max_idle_per_host(CLIENTS).build()?;
	let deadline = Instant::now() + Duration::from_secs(60);
	while !http.get(format!("{base}/health")).send().await.is_ok_and(|r| r.status().is_success()) {
		ensure!(Instant::now() < deadline, "the gateway is not healthy after 60 s");
		tokio::time::sleep(Duration::from_millis(300)).await;
	}

	// The direct path: this process as the second validator, its endpoint published.
	let p2p_key = libp2p::identity::Keypair::generate_ed25519();
	let (p2p, _inbound) = agora_protocol::spawn(agora_protocol::Config {
		keypair: p2p_key.clone(),
		listen: Vec::new(),
		limits: agora_protocol::Limits::default(),
		authorizer: None,
		hotkey: Some(keys[1].clone()),
	})
	.await?;
	agora_neuron::endpoint::ensure_served(&chain, &keys[1], netuid, &p2p_key, &[]).await?;
	let peer = metagraph
		.neurons
		.iter()
		.find(|n| n.uid == 2)
		.and_then(agora_neuron::peers::peer_of)
		.context("the miner's endpoint")?;
	let direct = Route::Direct(Arc::new(Direct {
		p2p,
		key: keys[1].clone(),
		netuid,
		miner: Hotkey(keys[2].public_key().0),
		peer: peer.peer_id,
		addrs: peer.addrs,
		nonce: AtomicU64::new(0),
	}));
	// Miners refresh permits and endpoints every few seconds: wait until ours is known.
	let deadline = Instant::now() + Duration::from_secs(60);
	while let Err(e) = direct.ask().await {
		ensure!(Instant::now() < deadline, "the miner does not answer the direct path: {e:#}");
		tokio::time::sleep(Duration::from_secs(1)).await;
	}

	// The paid path: a channel of 100 AGR from Alice to the gateway's hotkey.
	let price = AGR / 1_000 + AGR / 10_000; // the default schedule: per request + one input
	let best = chain.best_block_number().await?;
	let receipt = chain
		.submit(
			&calls::channel_open(
				&keys[0].public_key().to_account_id(),
				100 * AGR,
				(best + 10_000) as u32,
			),
			&alice,
			Wait::Inclusion,
		)
		.await?;
	let payer = Arc::new(Payer {
		genesis: chain.genesis_hash().await?,
		channel: receipt.channel_opened().context("channel id")?,
		price,
		signed: AtomicU64::new(0),
		consumer: alice.clone(),
	});
	let url = format!("{base}/v1/embeddings");
	let free = Route::Http { http: http.clone(), url: url.clone(), paid: None };
	let paid = Route::Http { http, url, paid: Some(payer) };

	let mut rows = Vec::new();
	for (name, path) in
		[("direct libp2p", &direct), ("gateway, free tier", &free), ("gateway, paid", &paid)]
	{
		let (p50, p99) = sequential(path, rounds).await?;
		let (rate, c50, c99) = concurrent(path, seconds).await?;
		eprintln!("{name}: p50 {p50:.2} ms, p99 {p99:.2} ms; {CLIENTS} clients: {rate:.0} req/s");
		rows.push((name, p50, p99, rate, c50, c99));
	}
	let (d50, d99, drate) = (rows[0].1, rows[0].2, rows[0].3);
	println!("| path | p50 ms | p99 ms | overhead p50 / p99 ms | {CLIENTS} clients req/s | ratio | p50 / p99 ms at {CLIENTS} |");
	println!("|---|---|---|---|---|---|---|");
	for (name, p50, p99, rate, c50, c99) in &rows {
		println!(
			"| {name} | {p50:.2} | {p99:.2} | {:+.2} / {:+.2} | {rate:.0} | {:.2} | {c50:.1} / {c99:.1} |",
			p50 - d50,
			p99 - d99,
			rate / drate
		);
	}
	let out = dirs_home().join(".cache/agora-bench/gateway.json");
	if let Some(parent) = out.parent() {
		std::fs::create_dir_all(parent)?;
	}
	let json = json!(rows
		.iter()
		.map(|(name, p50, p99, rate, c50, c99)| json!({
			"path": name, "p50_ms": p50, "p99_ms": p99, "clients": CLIENTS,
			"requests_per_s": rate, "concurrent_p50_ms": c50, "concurrent_p99_ms": c99,
		}))
		.collect::<Vec<_>>());
	std::fs::write(&out, serde_json::to_string_pretty(&json)?)?;
	eprintln!("written {}", out.display());
	Ok(())
}

fn dirs_home() -> PathBuf {
	std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."))
}
