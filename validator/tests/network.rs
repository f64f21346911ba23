//! The whole network on one machine: a dev node, a text-embedding subnet, a validator and two
//! miners — one serving the real all-MiniLM-L6-v2, one the same architecture with random
//! weights, dialling out (no published address). Within a bounded number of tempos the real
//! model's miner must earn more incentive than the worse one, the validator's weights must be
//! on chain as it sent them, its signed audit log must check out against the chain (and a line
//! changed afterwards must not), and a peer the chain does not know must be refused.

mod common;
#[allow(dead_code, unreachable_pub)]
#[path = "../../node/tests/it/harness.rs"]
mod harness;

use std::{
	path::PathBuf,
	process::Command,
	time::{Duration, Instant},
};

use agora_client::{
	chain::{calls, Client, Wait},
	wallet::{self, Wallet},
};
use agora_neuron::{
	endpoint,
	runtime::{RuntimeChange, RuntimeWatch},
};
use agora_primitives::TaskKind;
use anyhow::{bail, ensure, Context, Result};
use harness::{tail, Node, Proc, TestDir};

use common::AGR;
const PASSWORD: &str = "e2e password";

const LOG: &str = "info,agora_protocol=debug";

fn bin(name: &str) -> Result<PathBuf> {
	harness::sibling_bin(env!("CARGO_BIN_EXE_agora-validator"), name)
}

#[tokio::test(flavor = "multi_thread")]
async fn real_model_outearns_a_random_one_and_strangers_are_refused() {
	let dir = TestDir::new("agora-network-");
	// A panic (not an Err) keeps the directory with every process's log.
	if let Err(e) = scenario(&dir, false).await {
		panic!("{e:?}");
	}
}

/// The same on a subnet that hides weights until they are revealed: the validator commits,
/// reveals inside the window and reads the revealed weights back.
#[tokio::test(flavor = "multi_thread")]
async fn commit_reveal_subnet_separates_too() {
	let dir = TestDir::new("agora-network-cr-");
	if let Err(e) = scenario(&dir, true).await {
		panic!("{e:?}");
	}
}

/// `serve` as a restarted neuron meets it, against a dev node: of five addresses the first four
/// are published; an unchanged endpoint is not sent again; a new address right after the last
/// `serve` waits out the rate limit, then lands. And the runtime watch reads the node's code
/// hash, finds it unchanged, and, told of other code (an upgrade simulated at the client
/// boundary), checks the node's runtime again and carries on with it.
#[tokio::test(flavor = "multi_thread")]
async fn serving_waits_out_the_rate_limit_and_the_runtime_is_watched() {
	let dir = TestDir::new("agora-serve-");
	if let Err(e) = serve_scenario(&dir).await {
		panic!("{e:?}");
	}
}

async fn serve_scenario(dir: &TestDir) -> Result<()> {
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
	let hotkey = wallet::keypair_from_secret(&wallet::generate_mnemonic().to_string())?;
	let id = hotkey.public_key().to_account_id();
	chain.submit(&calls::register(netuid, &id, 1_000 * AGR), &alice, Wait::Inclusion).await?;
	let limit = chain.serve_rate_limit().await?;
	ensure!(limit > 0, "the dev runtime has no serve rate limit");

	let peer = libp2p::identity::Keypair::generate_ed25519();
	let five = (1..=5)
		.map(|i| format!("/ip4/203.0.113.{i}/tcp/30444").parse())
		.collect::<Result<Vec<libp2p::Multiaddr>, _>>()?;
	let first = endpoint::select_addrs(&five, &[], false)?.publish;
	ensure!(first == five[..4], "published {first:?}");
	ensure!(endpoint::ensure_served(&chain, &hotkey, netuid, &peer, &first).await?, "not served");
	ensure!(
		!endpoint::ensure_served(&chain, &hotkey, netuid, &peer, &first).await?,
		"an unchanged endpoint was sent again"
	);
	let own = |metagraph: &agora_primitives::Metagraph<_>| {
		agora_neuron::own_neuron(metagraph, &agora_neuron::account_of(&hotkey))
			.and_then(|n| n.endpoint.clone())
			.context("no endpoint")
	};
	let served = own(&chain.metagraph(netuid).await?)?;
	ensure!(served.addrs.len() == 4, "{served:?}");

	// Issue 15: a copycat hotkey on the same subnet cannot publish that PeerId, neither with the
	// proof copied from the chain (it names the honest hotkey) nor with one of its own made with
	// the (leaked) key: the PeerId is taken. Its refused `serve` is not free: the copycat pays.
	let copycat = wallet::keypair_from_secret(&wallet::generate_mnemonic().to_string())?;
	let copycat_id = copycat.public_key().to_account_id();
	chain
		.submit(&calls::register(netuid, &copycat_id, 1_000 * AGR), &alice, Wait::Inclusion)
		.await?;
	chain.submit(&calls::transfer(&copycat_id, 10 * AGR), &alice, Wait::Inclusion).await?;
	let genesis = chain.genesis_hash().await?;
	let copied =
		endpoint::serve_proof(&peer, &genesis, netuid, &agora_neuron::account_of(&hotkey))?;
	let own_proof =
		endpoint::serve_proof(&peer, &genesis, netuid, &agora_neuron::account_of(&copycat))?;
	let addr_bytes: Vec<Vec<u8>> = first.iter().map(|a| a.to_string().into_bytes()).collect();
	let peer_bytes = peer.public().to_peer_id().to_bytes();
	for (proof, expected) in [(copied, "InvalidServeProof"), (own_proof, "PeerIdInUse")] {
		let call = calls::serve(netuid, peer_bytes.clone(), addr_bytes.clone(), proof);
		match chain.submit(&call, &copycat, Wait::Inclusion).await {
			Err(agora_client::chain::ClientError::Dispatch { error, .. }) if error == expected => {
			},
			other => bail!("the copycat's serve ({expected} expected) gave {other:?}"),
		}
	}

	// A restart with a new address within the limit: it waits (the hotkey holds nothing, so a
	// rate-limited `serve`, not fee-less, would be refused), then publishes.
	let second = vec!["/ip4/198.51.100.7/tcp/30444".parse::<libp2p::Multiaddr>()?];
	let waited = tokio::time::timeout(
		Duration::from_secs(120),
		endpoint::ensure_served(&chain, &hotkey, netuid, &peer, &second),
	)
	.await
	.context("still waiting after 120 s")??;
	ensure!(waited, "the new address was not served");
	let now = own(&chain.metagraph(netuid).await?)?;
	ensure!(now.addrs.len() == 1 && now.addrs[0].as_slice() == second[0].to_string().as_bytes());
	ensure!(
		now.served_at >= served.served_at + limit,
		"served at {} after {} with a limit of {limit}",
		now.served_at,
		served.served_at
	);

	let mut watch = RuntimeWatch::start(&chain).await?;
	ensure!(watch.check(&chain).await? == RuntimeChange::Unchanged);
	let mut stale = RuntimeWatch::from_code(Some(agora_client::H256::repeat_byte(7)));
	ensure!(stale.check(&chain).await? == RuntimeChange::Upgraded);
	ensure!(stale.check(&chain).await? == RuntimeChange::Unchanged);
	Ok(())
}

async fn scenario(dir: &TestDir, commit_reveal: bool) -> Result<()> {
	let assets = agora_models::assets::Assets::locate()
		.context("the real MiniLM and Lee data are needed: run scripts/assets.sh")?;
	let node = Node::dev("node", dir.path())?;
	let chain = Client::connect(&node.ws_url()).await?;
	let alice = wallet::keypair_from_secret("//Alice")?;

	// A text-embedding subnet with short epochs, owned by Alice (the dev chain's sudo key).
	let netuid = common::embedding_subnet(&chain, &alice, |hp| {
		hp.commit_reveal = commit_reveal;
		hp.reveal_period = 1;
	})
	.await?;

	// Wallets: Alice's coldkey, a hotkey each for the validator and the two miners.
	let wallets = dir.path().join("wallets");
	let password_file = dir.path().join("password");
	std::fs::write(&password_file, PASSWORD)?;
	let w = Wallet::new(&wallets, "e2e")?;
	w.store(None, "//Alice", PASSWORD, false)?;
	// Without commit-reveal, two attackers join (issue 15): a miner answering from the public
	// evaluation packages without a model, and a copycat relaying to the honest miner.
	let attackers = !commit_reveal;
	let names: &[&str] = if attackers {
		&["validator", "good", "bad", "lookup", "copycat"]
	} else {
		&["validator", "good", "bad"]
	};
	let mut hotkeys = Vec::new();
	let mut keys = Vec::new();
	for name in names.iter().copied() {
		let phrase = wallet::generate_mnemonic().to_string();
		w.store(Some(name), &phrase, PASSWORD, false)?;
		let key = wallet::keypair_from_secret(&phrase)?;
		let id = key.public_key().to_account_id();
		chain.submit(&calls::register(netuid, &id, 1_000 * AGR), &alice, Wait::Inclusion).await?;
		// Hotkeys hold nothing: `serve`, `set_weights`, commit and reveal are fee-less for them.
		hotkeys.push((agora_neuron::account_of(&key), id));
		keys.push(key);
	}
	chain.submit(&calls::add_stake(&hotkeys[0].1, 1_000 * AGR), &alice, Wait::Inclusion).await?;

	let common = |hotkey: &str| -> Vec<String> {
		vec![
			"--url".into(),
			node.ws_url(),
			"--wallets-dir".into(),
			wallets.display().to_string(),
			"--wallet".into(),
			"e2e".into(),
			"--hotkey".into(),
			hotkey.into(),
			"--password-file".into(),
			password_file.display().to_string(),
			"--netuid".into(),
			netuid.to_string(),
		]
	};
	let minilm = assets.minilm_dir().display().to_string();
	// Loopback addresses are published only when asked for: this network is all on one host.
	let listen = [
		"--listen".to_string(),
		"/ip4/127.0.0.1/tcp/0".to_string(),
		"--allow-loopback".to_string(),
	];
	let metrics_port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
	let mut good = common("good");
	good.extend(["--model".into(), minilm.clone()]);
	good.extend(["--metrics".into(), format!("127.0.0.1:{metrics_port}")]);
	good.extend(listen.clone());
	let mut bad = common("bad");
	bad.extend([
		"--model".into(),
		minilm,
		"--variant".into(),
		"random:7".into(),
		"--dial-out".into(),
	]);
	let state_dir = dir.path().join("validator-state");
	let mut validator = common("validator");
	validator.extend(listen.clone());
	validator.extend([
		"--state-dir".into(),
		state_dir.display().to_string(),
		"--interval".into(),
		"3".into(),
		"--docs".into(),
		"10".into(),
	]);
	let mut procs = vec![
		Proc::start("miner-good", &bin("agora-miner")?, &good, dir.path(), LOG)?,
		Proc::start("miner-bad", &bin("agora-miner")?, &bad, dir.path(), LOG)?,
		Proc::start("validator", &bin("agora-validator")?, &validator, dir.path(), LOG)?,
	];
	let (lookup_uid, copycat_uid) = (3u16, 4u16);
	let mut copycat = None;
	if attackers {
		let mut lookup = common("lookup");
		lookup.extend(["--variant".into(), "lookup".into()]);
		lookup.extend(listen.clone());
		procs.push(Proc::start("miner-lookup", &bin("agora-miner")?, &lookup, dir.path(), LOG)?);
		copycat = Some(start_copycat(&chain, netuid, &alice, &keys[4]).await?);
	}

	// Incentives separate within a bounded number of tempos, and the dial-out miner (which
	// connects only once the validator holds a permit) has been reached and scored by then.
	let deadline = Instant::now() + Duration::from_secs(300);
	let (good_uid, bad_uid) = (1u16, 2u16);
	let audit_path = state_dir.join(format!("{netuid}-{}.audit.jsonl", hotkeys[0].0));
	let audit_lines = || -> Vec<serde_json::Value> {
		std::fs::read_to_string(&audit_path)
			.unwrap_or_default()
			.lines()
			.filter_map(|l| serde_json::from_str(l).ok())
			.collect()
	};
	let metagraph = loop {
		for p in procs.iter_mut() {
			p.alive()?;
		}
		let m = chain.metagraph(netuid).await?;
		let incentive = |uid: u16| m.neurons.iter().find(|n| n.uid == uid).map(|n| n.incentive);
		let bad_answered = audit_lines().iter().any(|l| {
			l["miners"]
				.as_array()
				.is_some_and(|m| m.iter().any(|m| m["uid"] == bad_uid && m["outcome"] == "scored"))
		});
		let attackers_seen = !attackers
			|| audit_lines().iter().filter(|l| scored(l, lookup_uid)).count() >= 3
				&& audit_lines().iter().any(|l| queried(l, copycat_uid));
		if let (Some(g), Some(b)) = (incentive(good_uid), incentive(bad_uid)) {
			let beats_lookup = !attackers || incentive(lookup_uid).is_some_and(|l| g > l);
			if g > 0 && g > b.saturating_mul(2) && bad_answered && attackers_seen && beats_lookup {
				break m;
			}
		}
		if Instant::now() > deadline {
			bail!(
				"incentives did not separate (or the dial-out miner, or an attacker, was never \
				 scored) in 300 s: \
				 {:?}\nvalidator log:\n{}",
				m.neurons.iter().map(|n| (n.uid, n.incentive, n.dividends)).collect::<Vec<_>>(),
				tail(&procs[2].log)
			);
		}
		tokio::time::sleep(Duration::from_secs(2)).await;
	};
	let neuron = |uid: u16| metagraph.neurons.iter().find(|n| n.uid == uid).cloned();
	let (good_n, bad_n) = (neuron(good_uid).context("good")?, neuron(bad_uid).context("bad")?);
	println!(
		"block {}: incentive good {} bad {}; validator dividends {}",
		metagraph.block,
		good_n.incentive,
		bad_n.incentive,
		neuron(0).map(|n| n.dividends).unwrap_or_default()
	);
	ensure!(
		good_n.endpoint.as_ref().is_some_and(|e| !e.addrs.is_empty()),
		"good miner published an address"
	);
	ensure!(
		bad_n.endpoint.as_ref().is_some_and(|e| e.addrs.is_empty()),
		"the dial-out miner published none"
	);
	if attackers {
		let (lookup_n, copycat_n) =
			(neuron(lookup_uid).context("lookup")?, neuron(copycat_uid).context("copycat")?);
		println!(
			"attackers: lookup incentive {} (good {}), copycat incentive {}",
			lookup_n.incentive, good_n.incentive, copycat_n.incentive
		);
		ensure!(good_n.incentive > lookup_n.incentive, "the lookup miner out-earned the model");
		// The copycat's relayed queries never reach the honest miner: it is paid nothing.
		ensure!(copycat_n.incentive == 0, "the copycat earned {}", copycat_n.incentive);
		let lines = audit_lines();
		ensure!(
			lines.iter().all(|l| !scored(l, copycat_uid)),
			"a copycat answer was scored:\n{}",
			std::fs::read_to_string(&audit_path)?
		);
		// The honest miner is queried once per round: the answers it counted are the rounds
		// the validator logged an answer of it in (one round may be between the two reads).
		let answered = metric(metrics_port, "agora_miner_queries_total{outcome=\"ok\"}")?;
		let logged = audit_lines().iter().filter(|l| answered_by(l, good_uid)).count() as f64;
		ensure!(
			(answered - logged).abs() <= 1.0,
			"the honest miner answered {answered} queries in {logged} logged rounds"
		);
	}

	// The validator's audit: weights read back as sent.
	let lines = audit_lines();
	let audit = std::fs::read_to_string(&audit_path)?;
	let how = if commit_reveal { "revealed" } else { "set" };
	ensure!(
		lines.iter().any(|l| l["weights"][how]["read_back"] == "match"),
		"no weights {how} and read back in the audit:\n{audit}"
	);
	if commit_reveal {
		ensure!(
			lines.iter().any(|l| !l["weights"]["committed"].is_null()),
			"no commit in the audit:\n{audit}"
		);
	}

	// `agora audit verify` finds every round of the log consistent with the chain, and a line
	// changed afterwards inconsistent.
	let complete = &audit[..audit.rfind('\n').map_or(0, |i| i + 1)];
	let snapshot = dir.path().join("audit-snapshot.jsonl");
	let verify = |text: &str| -> Result<(i32, String)> {
		std::fs::write(&snapshot, text)?;
		let out = Command::new(bin("agora")?)
			.args(["audit", "verify"])
			.arg(&snapshot)
			.args(["--url", &node.ws_url()])
			.output()?;
		let text = String::from_utf8_lossy(&out.stdout).to_string();
		Ok((out.status.code().unwrap_or(-1), text + &String::from_utf8_lossy(&out.stderr)))
	};
	let (code, report) = verify(complete)?;
	println!("agora audit verify:\n{report}");
	ensure!(
		code == 0 && report.contains("weights match") && !report.contains("INCONSISTENT"),
		"agora audit verify exited {code}:\n{report}"
	);
	let scored = complete
		.lines()
		.position(|l| l.contains("\"outcome\":\"scored\""))
		.context("no scored answer in the audit")?;
	let tampered: Vec<String> = complete
		.lines()
		.enumerate()
		.map(|(i, l)| {
			if i == scored {
				l.replacen("\"outcome\":\"scored\"", "\"outcome\":\"failed\"", 1)
			} else {
				l.to_string()
			}
		})
		.collect();
	let (code, report) = verify(&(tampered.join("\n") + "\n"))?;
	ensure!(code == 1 && report.contains("INCONSISTENT"), "a tampered log: {code}\n{report}");

	// A peer the chain does not know is refused before any model work: its connection is closed
	// right after the handshake (or, were it admitted, its query refused as not authorised).
	let stranger = agora_protocol::spawn(agora_protocol::Config::new(
		libp2p::identity::Keypair::generate_ed25519(),
	))
	.await?
	.0;
	let endpoint = good_n.endpoint.clone().context("endpoint")?;
	let peer = libp2p::PeerId::from_bytes(&endpoint.peer_id)?;
	let addrs =
		endpoint.addrs.iter().filter_map(|a| std::str::from_utf8(a).ok()?.parse().ok()).collect();
	let stranger_key = agora_protocol::HotkeyPair::from_secret_key(rand::random())?;
	let good_hotkey: &[u8; 32] = good_n.hotkey.as_ref();
	let query = agora_protocol::Query::signed(
		netuid,
		agora_protocol::Hotkey(*good_hotkey),
		1,
		agora_protocol::TaskRequest::Embed { sentences: vec!["hello".into()] },
		&stranger_key,
	);
	let answer = stranger.query(peer, addrs, query).await;
	ensure!(
		matches!(
			answer,
			Err(_)
				| Ok(agora_protocol::Response::Refused(
					agora_protocol::Refusal::NotAuthorised { .. }
				))
		),
		"a stranger got {answer:?}"
	);
	stranger.shutdown().await;
	for p in procs.iter_mut() {
		p.alive()?;
	}

	// The subnet asks for a newer weights version than the validator implements: it stops
	// with a message saying so instead of setting weights the chain would refuse.
	if attackers {
		let mut hp = chain.subnet(netuid).await?.hyperparams;
		hp.weights_version_key = 3;
		let call = chain.sudo_set_hyperparams(netuid, &hp).await?;
		chain.submit(&call, &alice, Wait::Inclusion).await?;
		let status = procs[2].wait_exit(Duration::from_secs(60))?;
		let log = std::fs::read_to_string(&procs[2].log)?;
		ensure!(
			!status.success() && log.contains("requires weights version 3"),
			"the outdated validator did not stop ({status}):\n{}",
			tail(&procs[2].log)
		);

		// Weights the validator's hotkey sets on chain without logging them are found.
		tokio::time::sleep(Duration::from_secs(4)).await;
		let call = calls::set_weights(netuid, vec![good_uid], vec![u16::MAX], 3);
		chain.submit(&call, &keys[0], Wait::Inclusion).await?;
		let whole = std::fs::read_to_string(&audit_path)?;
		let deadline = Instant::now() + Duration::from_secs(60);
		let report = loop {
			let (code, report) = verify(&whole)?;
			if code == 1 && report.contains("is in no record of the log") {
				break report;
			}
			ensure!(Instant::now() < deadline, "unlogged weights not reported:\n{report}");
			tokio::time::sleep(Duration::from_secs(3)).await;
		};
		println!(
			"unlogged weights: {}",
			report.lines().find(|l| l.contains("no record")).unwrap_or("")
		);
	}
	if let Some(copycat) = copycat {
		copycat.shutdown().await;
	}
	drop(procs);
	Ok(())
}

/// Whether the round record `line` scored an answer of `uid`.
fn scored(line: &serde_json::Value, uid: u16) -> bool {
	miner_entries(line, uid).any(|m| m["outcome"] == "scored")
}

/// Whether the round record `line` queried `uid`.
fn queried(line: &serde_json::Value, uid: u16) -> bool {
	miner_entries(line, uid).next().is_some()
}

/// Whether the round record `line` holds an answer of `uid`.
fn answered_by(line: &serde_json::Value, uid: u16) -> bool {
	miner_entries(line, uid).any(|m| !m["answer"].is_null())
}

fn miner_entries(line: &serde_json::Value, uid: u16) -> impl Iterator<Item = &serde_json::Value> {
	line["miners"].as_array().into_iter().flatten().filter(move |m| m["uid"] == uid)
}

/// A Prometheus sample of the metrics endpoint on `port` (`name{labels}` as exposed).
fn metric(port: u16, sample: &str) -> Result<f64> {
	use std::io::{Read, Write};
	let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
	stream.write_all(b"GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
	let mut text = String::new();
	stream.read_to_string(&mut text)?;
	text.lines()
		.find_map(|l| l.strip_prefix(sample)?.trim().parse().ok())
		.with_context(|| format!("no {sample} in:\n{text}"))
}

/// The copycat of issue 15: a registered hotkey running no model. It copies the honest miner's
/// endpoint from the chain and tries to publish it (refused: it cannot prove the PeerId's key),
/// then publishes a PeerId of its own and relays every query it gets to the honest miner,
/// answering with whatever comes back. Returns its protocol node (stopped by the caller).
async fn start_copycat(
	chain: &Client,
	netuid: u16,
	alice: &subxt_signer::sr25519::Keypair,
	hotkey: &subxt_signer::sr25519::Keypair,
) -> Result<agora_protocol::Client> {
	let id = hotkey.public_key().to_account_id();
	// A refused `serve` is not free: the copycat pays its fees.
	chain.submit(&calls::transfer(&id, 10 * AGR), alice, Wait::Inclusion).await?;
	let (good, validator) = loop {
		let m = chain.metagraph(netuid).await?;
		let peer =
			|uid| m.neurons.iter().find(|n| n.uid == uid).and_then(agora_neuron::peers::peer_of);
		if let (Some(good), Some(validator)) = (peer(1), peer(0)) {
			if !good.addrs.is_empty() && !validator.addrs.is_empty() {
				break (good, validator);
			}
		}
		tokio::time::sleep(Duration::from_secs(1)).await;
	};
	let key = libp2p::identity::Keypair::generate_ed25519();
	let genesis = chain.genesis_hash().await?;
	let proof = endpoint::serve_proof(&key, &genesis, netuid, &agora_neuron::account_of(hotkey))?;
	let copied = calls::serve(
		netuid,
		good.peer_id.to_bytes(),
		good.addrs.iter().map(|a| a.to_string().into_bytes()).collect(),
		proof,
	);
	match chain.submit(&copied, hotkey, Wait::Inclusion).await {
		Err(agora_client::chain::ClientError::Dispatch { error, .. })
			if error == "InvalidServeProof" => {},
		other => bail!("the copycat published the honest miner's endpoint: {other:?}"),
	}

	let allow = agora_protocol::AllowList::new();
	let validator_hotkey: &[u8; 32] = validator.hotkey.as_ref();
	allow.set(netuid, [(validator.peer_id, agora_protocol::Hotkey(*validator_hotkey))]);
	let mut config = agora_protocol::Config::new(key.clone());
	config.listen = vec!["/ip4/127.0.0.1/tcp/0".parse()?];
	config.hotkey = Some(hotkey.clone());
	config.authorizer = Some(std::sync::Arc::new(allow));
	let (p2p, mut inbound) = agora_protocol::spawn(config).await?;
	let addrs = p2p.listen_addrs().await?;
	endpoint::ensure_served(chain, hotkey, netuid, &key, &addrs).await?;
	let relay = p2p.clone();
	tokio::spawn(async move {
		while let Some(query) = inbound.recv().await {
			let forwarded =
				relay.query(good.peer_id, good.addrs.clone(), query.query.clone()).await;
			match forwarded {
				Ok(agora_protocol::Response::Ok(signed)) => query.answer(signed.answer),
				other => query.refuse(agora_protocol::Refusal::Failed {
					reason: format!("relayed to the honest miner: {other:?}"),
				}),
			}
		}
	});
	Ok(p2p)
}
