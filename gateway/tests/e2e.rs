//! The gateway end to end (issue 14): a dev node, a text-embedding subnet with the real MiniLM
//! miner, a text-generation subnet with the real SmolLM2 miner, the gateway run by a validator
//! hotkey holding a permit on both, a consumer's channel opened with the `agora` CLI, and the
//! stock OpenAI Python client (PyPI `openai`) talking to `agora gateway proxy`:
//!
//! - embeddings for a batch of sentences match the candle model run here (cosine ≥ 0.999), a chat
//!   completion and a streamed one come from the SmolLM2 miner, a request the deposit cannot cover
//!   gets 402 without anything being signed;
//! - the gateway refuses what a client could try (no voucher, someone else's signature, more than
//!   the deposit, a voucher that pays nothing new) with 401/402;
//! - killed with `-9` and restarted, the gateway claims every voucher it had accepted: the channel's
//!   `claimed` on chain is exactly the sum of the prices;
//! - after the expiry the consumer closes the channel and gets exactly the rest back.

#[allow(dead_code, unreachable_pub)]
#[path = "../../node/tests/it/harness.rs"]
mod harness;

use std::{
	path::{Path, PathBuf},
	process::Command,
	time::{Duration, Instant},
};

use agora_client::{
	chain::{calls, Client, RuntimeAccountId, Wait},
	payments::{Voucher, VOUCHER_HEADER},
	wallet::{self, Wallet},
};
use agora_gateway::{
	claimer::{claim_all, ClaimReport},
	ledger::Ledger,
};
use agora_primitives::TaskKind;
use anyhow::{ensure, Context, Result};
use harness::{free_port, tail, Node, Proc, TestDir};
use serde_json::{json, Value};
use subxt_signer::sr25519::dev;

const AGR: u128 = 1_000_000_000;
const PASSWORD: &str = "gateway e2e password";

/// Prices of the test's gateway, in planck: 0.01 AGR a request, 0.001 an input, 0.0001 a token.
const PER_REQUEST: u128 = AGR / 100;
const PER_INPUT: u128 = AGR / 1_000;
const PER_TOKEN: u128 = AGR / 10_000;

const LOG: &str = "info";

fn bin(name: &str) -> Result<PathBuf> {
	harness::sibling_bin(env!("CARGO_BIN_EXE_agora-gateway"), name)
}

#[tokio::test(flavor = "multi_thread")]
async fn openai_client_pays_through_a_channel_and_the_gateway_claims_after_kill_9() {
	let dir = TestDir::new("agora-gateway-");
	// A panic (not an Err) keeps the directory with every process's log.
	if let Err(e) = scenario(&dir).await {
		panic!("{e:?}");
	}
}

/// The `agora` CLI with `--json`; the command must succeed.
fn agora(node: &Node, wallets: &Path, password: &Path, args: &[&str]) -> Result<Value> {
	let (code, json, stderr) = harness::agora_cli(&bin("agora")?, node, wallets, password, args)?;
	ensure!(code == 0, "agora {args:?} exited {code}: {stderr}");
	ensure!(!json.is_null(), "agora --json printed no JSON");
	Ok(json)
}

/// Waits until `url` answers 200 (at most `limit`), checking `procs` are alive.
async fn wait_http(url: &str, limit: Duration, procs: &mut [&mut Proc]) -> Result<()> {
	let http = reqwest::Client::new();
	let deadline = Instant::now() + limit;
	loop {
		for p in procs.iter_mut() {
			p.alive()?;
		}
		if let Ok(r) = http.get(url).send().await {
			if r.status().is_success() {
				return Ok(());
			}
		}
		ensure!(Instant::now() < deadline, "{url} did not answer 200 within {limit:?}");
		tokio::time::sleep(Duration::from_millis(500)).await;
	}
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
	let dot: f64 = a.iter().zip(b).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum();
	let norm = |v: &[f32]| v.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
	dot / (norm(a) * norm(b))
}

/// An amount in planck: a decimal string or number, or the CLI's `{"agr", "plancks"}`.
fn plancks(v: &Value) -> u128 {
	let v = v.get("plancks").unwrap_or(v);
	v.as_str().and_then(|s| s.parse().ok()).or_else(|| v.as_u64().map(u128::from)).unwrap_or(0)
}

async fn scenario(dir: &TestDir) -> Result<()> {
	let assets = agora_models::assets::Assets::locate()
		.context("the real MiniLM and SmolLM2 are needed: run scripts/assets.sh")?;
	let python = PathBuf::from(
		std::env::var("AGORA_OPENAI_VENV")
			.unwrap_or_else(|_| format!("{}/.cache/agora/openai-venv", env!("HOME"))),
	)
	.join("bin/python");
	ensure!(
		python.exists(),
		"{} missing: run scripts/openai-client.sh (scripts/test.sh does)",
		python.display()
	);
	let node = Node::dev("node", dir.path())?;
	let chain = Client::connect(&node.ws_url()).await?;
	let alice = wallet::keypair_from_secret("//Alice")?;

	// Two subnets with short tempos, owned by Alice.
	let mut netuids = Vec::new();
	for task in [TaskKind::TextEmbedding, TaskKind::TextGeneration] {
		chain.submit(&calls::create_subnet(task, 10_000 * AGR), &alice, Wait::Inclusion).await?;
		let netuid = chain.subnets().await?.iter().map(|s| s.netuid).max().context("no subnet")?;
		let mut hp = chain.subnet(netuid).await?.hyperparams;
		hp.tempo = 5;
		hp.activity_cutoff = 1_000;
		chain
			.submit(&chain.sudo_set_hyperparams(netuid, &hp).await?, &alice, Wait::Inclusion)
			.await?;
		netuids.push(netuid);
	}
	let (emb_net, gen_net) = (netuids[0], netuids[1]);

	// Hotkeys: the gateway's (a validator on both subnets) and one miner per subnet.
	let wallets = dir.path().join("wallets");
	let password_file = dir.path().join("password");
	std::fs::write(&password_file, PASSWORD)?;
	let w = Wallet::new(&wallets, "e2e")?;
	w.store(None, "//Alice", PASSWORD, false)?;
	let mut ids = Vec::new();
	for (name, nets) in [("gateway", &netuids[..]), ("emb", &netuids[..1]), ("gen", &netuids[1..])]
	{
		let phrase = wallet::generate_mnemonic().to_string();
		w.store(Some(name), &phrase, PASSWORD, false)?;
		let id = wallet::keypair_from_secret(&phrase)?.public_key().to_account_id();
		for netuid in nets {
			chain
				.submit(&calls::register(*netuid, &id, 1_000 * AGR), &alice, Wait::Inclusion)
				.await?;
		}
		ids.push(id);
	}
	let gateway_id = ids[0];
	chain.submit(&calls::add_stake(&gateway_id, 1_000 * AGR), &alice, Wait::Inclusion).await?;
	// The gateway's claims are ordinary transactions: its hotkey pays their fees.
	chain.submit(&calls::transfer(&gateway_id, AGR), &alice, Wait::Inclusion).await?;

	let common = |hotkey: &str| -> Vec<String> {
		[
			"--url",
			&node.ws_url(),
			"--wallets-dir",
			&wallets.display().to_string(),
			"--wallet",
			"e2e",
			"--hotkey",
			hotkey,
			"--password-file",
			&password_file.display().to_string(),
			"--listen",
			"/ip4/127.0.0.1/tcp/0",
			"--allow-loopback",
		]
		.map(String::from)
		.to_vec()
	};
	// Users' traffic goes beyond the one query a round a validator needs: the miners allow it.
	let traffic = ["--peer-rate", "1000", "--peer-in-flight", "8"].map(String::from);
	let mut emb = common("emb");
	emb.extend(["--netuid".into(), emb_net.to_string()]);
	emb.extend(["--model".into(), assets.minilm_dir().display().to_string()]);
	emb.extend(traffic.clone());
	let mut gen = common("gen");
	gen.extend(["--netuid".into(), gen_net.to_string()]);
	gen.extend(["--model".into(), assets.smollm2_gguf().display().to_string()]);
	gen.extend(traffic);
	let mut miner_emb = Proc::start("miner-emb", &bin("agora-miner")?, &emb, dir.path(), LOG)?;
	let mut miner_gen = Proc::start("miner-gen", &bin("agora-miner")?, &gen, dir.path(), LOG)?;

	// The gateway's hotkey holds a validator permit on both subnets after an epoch.
	let deadline = Instant::now() + Duration::from_secs(60);
	loop {
		miner_emb.alive()?;
		miner_gen.alive()?;
		let mut permits = 0;
		for netuid in &netuids {
			let m = chain.metagraph(*netuid).await?;
			let me = agora_neuron::own_neuron(&m, &RuntimeAccountId::new(gateway_id.0));
			permits += usize::from(me.is_some_and(|n| n.validator_permit));
		}
		if permits == netuids.len() {
			break;
		}
		ensure!(Instant::now() < deadline, "no validator permit for the gateway after 60 s");
		tokio::time::sleep(Duration::from_secs(1)).await;
	}

	let http_port = free_port();
	let gateway_url = format!("http://127.0.0.1:{http_port}");
	let db = dir.path().join("gateway.redb");
	let gateway_args = |free_tier: u32| -> Vec<String> {
		let mut args = common("gateway");
		for netuid in &netuids {
			args.extend(["--netuid".into(), netuid.to_string()]);
		}
		args.extend(
			[
				"--http-listen",
				&format!("127.0.0.1:{http_port}"),
				"--price-per-request",
				"0.01",
				"--price-per-input",
				"0.001",
				"--price-per-token",
				"0.0001",
				"--db",
				&db.display().to_string(),
				"--claim-margin",
				"5",
				// A loaded 2-core machine can take a while to generate.
				"--timeout",
				"60",
				// No periodic claim during the test: only the claims at start and at shutdown.
				"--claim-interval",
				"100000",
				"--free-tier-rpm",
				&free_tier.to_string(),
			]
			.map(String::from),
		);
		args
	};
	let mut gateway =
		Proc::start("gateway", &bin("agora-gateway")?, &gateway_args(0), dir.path(), LOG)?;
	wait_http(
		&format!("{gateway_url}/health"),
		Duration::from_secs(120),
		&mut [&mut gateway, &mut miner_emb, &mut miner_gen],
	)
	.await?;

	// The consumer: a coldkey with 10 AGR, a channel of 0.1 AGR to the gateway's hotkey.
	let consumer = agora(&node, &wallets, &password_file, &["wallet", "create", "-w", "consumer"])?;
	let consumer_ss58 = consumer["keys"][0]["ss58"].as_str().context("consumer ss58")?.to_string();
	agora(
		&node,
		&wallets,
		&password_file,
		&["transfer", "-w", "e2e", "--dest", &consumer_ss58, "--amount", "10"],
	)?;
	let deposit = AGR / 10;
	let opened = agora(
		&node,
		&wallets,
		&password_file,
		&[
			"channel",
			"open",
			"-w",
			"consumer",
			"--provider",
			&gateway_id.to_string(),
			"--deposit",
			"0.1",
			"--expires-in",
			"70",
		],
	)?;
	let channel = opened["id"].as_u64().context("channel id")?;
	let expires_at = opened["expires_at"].as_u64().context("expires_at")?;

	// The consumer's signing proxy, and the stock OpenAI client through it.
	let proxy_port = free_port();
	let proxy_args: Vec<String> = [
		"--json",
		"--no-prompt",
		"--url",
		&node.ws_url(),
		"--wallets-dir",
		&wallets.display().to_string(),
		"--password-file",
		&password_file.display().to_string(),
		"gateway",
		"proxy",
		"--gateway",
		&gateway_url,
		"--channel",
		&channel.to_string(),
		"-w",
		"consumer",
		"--listen",
		&format!("127.0.0.1:{proxy_port}"),
	]
	.map(String::from)
	.to_vec();
	let mut proxy = Proc::start("proxy", &bin("agora")?, &proxy_args, dir.path(), LOG)?;
	wait_http(
		&format!("http://127.0.0.1:{proxy_port}/v1/models"),
		Duration::from_secs(30),
		&mut [&mut proxy, &mut gateway],
	)
	.await?;

	let sentences = [
		"The cat sat on the mat.",
		"A feline rested on the rug.",
		"Stock markets fell sharply on Monday.",
		"Investors sold shares as prices dropped.",
		"The recipe needs two cups of flour.",
		"Bake the bread for forty minutes.",
		"The spacecraft entered orbit around Mars.",
		"Rain is expected over the weekend.",
	];
	let (emb_model, chat_model) =
		(format!("text-embedding-sn{emb_net}"), format!("text-generation-sn{gen_net}"));
	let out = Command::new(&python)
		.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/openai_client.py"))
		.arg(format!("http://127.0.0.1:{proxy_port}/v1"))
		.args([&emb_model, &chat_model])
		.arg(serde_json::to_string(&sentences)?)
		.output()
		.context("run the OpenAI client")?;
	ensure!(
		out.status.success(),
		"the OpenAI client failed: {}\nproxy:\n{}\ngateway:\n{}",
		String::from_utf8_lossy(&out.stderr),
		tail(&proxy.log),
		tail(&gateway.log)
	);
	let answers: Value = serde_json::from_slice(&out.stdout).context("the client's JSON")?;
	let models: Vec<&str> =
		answers["models"].as_array().context("models")?.iter().filter_map(Value::as_str).collect();
	ensure!(
		models.contains(&emb_model.as_str()) && models.contains(&chat_model.as_str()),
		"{models:?}"
	);

	// The miner's embeddings are MiniLM's: the same model run here.
	let cpu = agora_models::device("cpu")?;
	let local = agora_models::embedding::Embedder::load(
		&assets.minilm_dir(),
		&cpu,
		agora_models::embedding::Variant::Full,
	)?;
	let texts: Vec<String> = sentences.iter().map(|s| s.to_string()).collect();
	let expected = local.embed(&texts)?;
	let got: Vec<Vec<f32>> = serde_json::from_value(answers["embeddings"].clone())?;
	ensure!(
		got.len() == sentences.len(),
		"{} embeddings for {} inputs",
		got.len(),
		sentences.len()
	);
	let min = got.iter().zip(&expected).map(|(g, e)| cosine(g, e)).fold(f64::INFINITY, f64::min);
	println!("embeddings through the gateway: min cosine to local MiniLM {min:.6}");
	ensure!(min >= 0.999, "min cosine {min}");
	let chat = answers["chat"].as_str().unwrap_or_default();
	println!("chat: {chat:?}; streamed: {:?}", answers["streamed"]);
	ensure!(!chat.trim().is_empty(), "empty chat answer: {answers}");
	ensure!(answers["stream_chunks"].as_u64() > Some(0), "no streamed chunk: {answers}");
	ensure!(answers["exhausted_status"] == 402, "an unpayable request gave {answers}");

	// What the gateway holds: the three paid requests, priced as published.
	let paid = (PER_REQUEST + 8 * PER_INPUT)
		+ (PER_REQUEST + 24 * PER_TOKEN)
		+ (PER_REQUEST + 8 * PER_TOKEN);
	let http = reqwest::Client::new();
	let state: Value =
		http.get(format!("{gateway_url}/v1/channels/{channel}")).send().await?.json().await?;
	ensure!(plancks(&state["accepted"]) == paid, "accepted {state} for {paid} of requests");
	ensure!(plancks(&state["spent"]) == paid, "spent {state}");

	// What a client could try directly: every one refused, nothing accepted.
	let genesis = chain.genesis_hash().await?;
	let body = json!({"model": emb_model, "input": ["one sentence"]});
	let post = |voucher: Option<Voucher>| {
		let mut request = http.post(format!("{gateway_url}/v1/embeddings")).json(&body);
		if let Some(v) = voucher {
			request = request.header(VOUCHER_HEADER, v.to_header());
		}
		request.send()
	};
	let price = PER_REQUEST + PER_INPUT;
	let consumer_key = w_consumer_key(&wallets, &password_file)?;
	for (voucher, status, what) in [
		(None, 401, "no voucher and no free tier"),
		(Some(Voucher::sign(&genesis, channel, paid + price, &alice)), 401, "someone else's key"),
		(
			Some(Voucher::sign(&genesis, channel, deposit + 1, &consumer_key)),
			402,
			"above the deposit",
		),
		(Some(Voucher::sign(&genesis, channel, paid, &consumer_key)), 402, "nothing new paid"),
		(Some(Voucher::sign(&[9; 32], channel, paid + price, &consumer_key)), 401, "another chain"),
	] {
		let response = post(voucher).await?;
		let code = response.status().as_u16();
		let error: Value = response.json().await.unwrap_or(Value::Null);
		ensure!(code == status, "{what}: {code} {error}");
		ensure!(error["error"]["message"].is_string(), "{what}: not an OpenAI error: {error}");
	}
	let state: Value =
		http.get(format!("{gateway_url}/v1/channels/{channel}")).send().await?.json().await?;
	ensure!(plancks(&state["accepted"]) == paid, "a refused voucher was accepted: {state}");

	// kill -9: nothing claimed yet; restarted, the gateway claims all it accepted.
	ensure!(chain.channel(channel).await?.context("channel")?.claimed == 0, "claimed early");
	gateway.kill9()?;
	let mut gateway =
		Proc::start("gateway", &bin("agora-gateway")?, &gateway_args(1), dir.path(), LOG)?;
	let deadline = Instant::now() + Duration::from_secs(60);
	loop {
		gateway.alive()?;
		if chain.channel(channel).await?.context("channel")?.claimed == paid {
			break;
		}
		ensure!(Instant::now() < deadline, "no claim of {paid} 60 s after the restart");
		tokio::time::sleep(Duration::from_millis(500)).await;
	}
	wait_http(&format!("{gateway_url}/health"), Duration::from_secs(60), &mut [&mut gateway])
		.await?;
	// The free tier (one request a minute per key): the first unpaid request is served, the
	// second refused with 429.
	let free = |key: &'static str| {
		http.post(format!("{gateway_url}/v1/embeddings")).bearer_auth(key).json(&body).send()
	};
	ensure!(free("k1").await?.status() == 200, "the free tier refused a first request");
	ensure!(free("k1").await?.status() == 429, "the free tier served a second request");
	ensure!(gateway.terminate(Duration::from_secs(30))?.success(), "unclean gateway shutdown");

	// After the expiry the consumer takes back exactly what was not claimed.
	drop(proxy);
	let deadline = Instant::now() + Duration::from_secs(120);
	while chain.best_block_number().await? + 1 < expires_at {
		ensure!(Instant::now() < deadline, "the chain did not reach block {expires_at}");
		tokio::time::sleep(Duration::from_millis(500)).await;
	}
	let closed = agora(
		&node,
		&wallets,
		&password_file,
		&["channel", "close", "-w", "consumer", &channel.to_string()],
	)?;
	ensure!(plancks(&closed["refunded"]) == deposit - paid, "refund {closed}");
	Ok(())
}

/// The consumer's coldkey, unlocked from the test's wallets.
fn w_consumer_key(wallets: &Path, password: &Path) -> Result<agora_client::Keypair> {
	let w = Wallet::new(wallets, "consumer")?;
	let password = wallet::password_from_file(password)?;
	Ok(w.unlock_coldkey(&password)?)
}

fn account(k: &agora_client::Keypair) -> agora_client::AccountId32 {
	k.public_key().to_account_id()
}

/// The claimer against a dev node: Alice opens a channel to Bob; Bob's ledger admits three
/// vouchers, is reopened (a restart), claims them all; a claim landed meanwhile by another
/// process with Bob's key is recorded, not retried.
#[tokio::test(flavor = "multi_thread")]
async fn claims_survive_a_restart_and_a_claim_by_another_process() {
	let dir = TestDir::new("agora-claimer-");
	let node = Node::dev("node", dir.path()).expect("a dev node");
	let client = Client::connect(&node.ws_url()).await.expect("connects");
	let (alice, bob) = (dev::alice(), dev::bob());
	let genesis = client.genesis_hash().await.expect("genesis");
	let best = client.best_block_number().await.expect("best");
	let expires_at = u32::try_from(best + 200).expect("block");
	let open = calls::channel_open(&account(&bob), 10_000_000_000, expires_at);
	let r = client.submit(&open, &alice, Wait::Inclusion).await.expect("opens");
	let id = r.channel_opened().expect("an id");
	let path = dir.path().join("bob.redb");
	let price = 1_000_000;
	{
		let ledger = Ledger::open(&path, client.clone(), account(&bob), genesis, 5).expect("opens");
		for i in 1..=3 {
			let v = Voucher::sign(&genesis, id, price * i, &alice);
			let a = ledger.admit(&v, price).await.expect("admitted");
			ledger.settle(a, true).expect("settles");
		}
	}
	let ledger = Ledger::open(&path, client.clone(), account(&bob), genesis, 5).expect("opens");
	let report = claim_all(&ledger, &client, &bob).await;
	assert_eq!(report.claimed.len(), 1, "{report:?}");
	assert_eq!((report.claimed[0].total, report.claimed[0].paid), (3 * price, 3 * price));
	let c = client.channel(id).await.expect("reads").expect("open");
	assert_eq!(c.claimed, 3 * price);
	assert_eq!(claim_all(&ledger, &client, &bob).await, ClaimReport::default());
	// Another process with Bob's key claims the next voucher first.
	let v = Voucher::sign(&genesis, id, 4 * price, &alice);
	let a = ledger.admit(&v, price).await.expect("admitted");
	ledger.settle(a, true).expect("settles");
	client.submit(&v.claim_call(), &bob, Wait::Inclusion).await.expect("claims");
	let report = claim_all(&ledger, &client, &bob).await;
	assert_eq!(report.already, vec![id], "{report:?}");
	assert!(ledger.claimable().is_empty());
	assert_eq!(ledger.totals(), (4 * price, 4 * price));
}
