//! Issue 13: a runtime upgrade by referendum on the 4-node local network, under load. Four
//! validator nodes (`--chain local`, 2 s blocks), a text-embedding subnet with a miner serving
//! the real all-MiniLM-L6-v2 and a validator setting weights, each on a different node. Alice
//! proposes `System.set_code` with the runtime built one `spec_version` higher
//! (`agora gov propose --set-code`), three token holders vote for it (`agora gov vote`), and
//! the referendum passes and is enacted: every node runs the new version, blocks and finality go
//! on, the miner and the validator notice the new runtime, find it still compatible and carry
//! on (the validator's weights land after the upgrade).

mod common;
#[allow(dead_code, unreachable_pub)]
#[path = "../../node/tests/it/harness.rs"]
mod harness;

use std::{
	path::{Path, PathBuf},
	time::{Duration, Instant},
};

use agora_client::{
	chain::{calls, Client, Wait},
	wallet::{self, Wallet},
};
use anyhow::{bail, ensure, Context, Result};
use common::AGR;
use harness::{agora_cli, node_bin, tail, Node, Proc, TestDir};
use serde_json::json;

const PASSWORD: &str = "e2e password";
const LOG: &str = "info";

fn bin(name: &str) -> Result<PathBuf> {
	harness::sibling_bin(env!("CARGO_BIN_EXE_agora-validator"), name)
}

/// Starts a `--chain local` node and waits until it serves RPC.
fn start_local(name: &str, dir: &Path, extra: &[&str]) -> Result<Node> {
	let mut node = Node::local(name, dir, extra)?;
	node.wait_rpc(Duration::from_secs(90))?;
	Ok(node)
}

fn spec_version(node: &Node) -> Result<u64> {
	node.rpc("state_getRuntimeVersion", json!([]))?["specVersion"].as_u64().context("specVersion")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_runtime_upgrade_by_referendum_keeps_the_network_running() {
	let dir = TestDir::new("agora-upgrade-");
	if let Err(e) = scenario(&dir).await {
		panic!("{e:?}");
	}
}

async fn scenario(dir: &TestDir) -> Result<()> {
	let d = dir.path();
	let assets = agora_models::assets::Assets::locate()
		.context("the real MiniLM and Lee data are needed: run scripts/assets.sh")?;
	// The runtime `runtime/build.rs` builds beside the node's, one `spec_version` higher.
	let upgrade = node_bin()
		.parent()
		.context("target dir")?
		.join("wbuild/agora-runtime/agora_runtime_upgrade.wasm");
	ensure!(upgrade.exists(), "{} missing: build the workspace", upgrade.display());

	let alice = start_local("alice", d, &["--alice"])?;
	let boot = alice.multiaddr()?;
	let bob = start_local("bob", d, &["--bob", "--bootnodes", &boot])?;
	let charlie = start_local("charlie", d, &["--charlie", "--bootnodes", &boot])?;
	let dave = start_local("dave", d, &["--dave", "--bootnodes", &boot])?;
	let nodes = [&alice, &bob, &charlie, &dave];
	alice
		.wait_for("finalized >= 2", Duration::from_secs(120), |n| Ok(n.finalized_number()? >= 2))?;
	let before = spec_version(&alice)?;

	// A text-embedding subnet with 10-block epochs (root's settings: the local chain's sudo).
	let chain = Client::connect(&alice.ws_url()).await?;
	let alice_key = wallet::keypair_from_secret("//Alice")?;
	let netuid = common::embedding_subnet(&chain, &alice_key, |_| {}).await?;

	// Wallets: Alice's with the validator's and the miner's hotkeys; Bob's and Charlie's
	// coldkeys, to vote.
	let wallets = d.join("wallets");
	let password = d.join("password");
	std::fs::write(&password, PASSWORD)?;
	let w = Wallet::new(&wallets, "alice")?;
	w.store(None, "//Alice", PASSWORD, false)?;
	for (name, secret) in [("bob", "//Bob"), ("charlie", "//Charlie")] {
		Wallet::new(&wallets, name)?.store(None, secret, PASSWORD, false)?;
	}
	let mut hotkeys = Vec::new();
	for name in ["validator", "miner"] {
		let phrase = wallet::generate_mnemonic().to_string();
		w.store(Some(name), &phrase, PASSWORD, false)?;
		let id = wallet::keypair_from_secret(&phrase)?.public_key().to_account_id();
		chain
			.submit(&calls::register(netuid, &id, 1_000 * AGR), &alice_key, Wait::Inclusion)
			.await?;
		hotkeys.push(id);
	}
	chain.submit(&calls::add_stake(&hotkeys[0], 1_000 * AGR), &alice_key, Wait::Inclusion).await?;

	// The miner follows Bob's node, the validator Charlie's.
	let common = |node: &Node, hotkey: &str| -> Vec<String> {
		[
			"--url",
			&node.ws_url(),
			"--wallets-dir",
			&wallets.display().to_string(),
			"--wallet",
			"alice",
			"--hotkey",
			hotkey,
			"--password-file",
			&password.display().to_string(),
			"--netuid",
			&netuid.to_string(),
			"--listen",
			"/ip4/127.0.0.1/tcp/0",
			"--allow-loopback",
		]
		.iter()
		.map(|s| s.to_string())
		.collect()
	};
	let mut miner = common(&bob, "miner");
	miner.extend(["--model".into(), assets.minilm_dir().display().to_string()]);
	let mut validator = common(&charlie, "validator");
	validator.extend([
		"--state-dir".into(),
		d.join("validator-state").display().to_string(),
		"--interval".into(),
		"3".into(),
		"--docs".into(),
		"4".into(),
	]);
	let mut procs = [
		Proc::start("miner", &bin("agora-miner")?, &miner, d, LOG)?,
		Proc::start("validator", &bin("agora-validator")?, &validator, d, LOG)?,
	];

	// The network works before the upgrade: the validator's weights reach the chain.
	let chain = &chain;
	let weights_after = |after: u32| async move {
		let m = chain.metagraph(netuid).await?;
		let v = m.neurons.iter().find(|n| n.uid == 0).context("validator")?;
		anyhow::Ok(v.last_update > after && m.neurons.iter().any(|n| n.uid == 1 && n.incentive > 0))
	};
	let deadline = Instant::now() + Duration::from_secs(180);
	while !weights_after(0).await? {
		for p in procs.iter_mut() {
			p.alive()?;
		}
		if Instant::now() > deadline {
			bail!("no weights before the upgrade:\n{}", tail(&procs[1].log));
		}
		tokio::time::sleep(Duration::from_secs(2)).await;
	}

	// The referendum, through the CLI: propose, then three holders vote 50,000 AGR each.
	let cli = bin("agora")?;
	let code = upgrade.display().to_string();
	let (status, proposed, stderr) = agora_cli(
		&cli,
		&alice,
		&wallets,
		&password,
		&["gov", "propose", "-w", "alice", "--set-code", &code],
	)?;
	ensure!(status == 0, "gov propose failed ({status}): {stderr}");
	let index = proposed["index"].as_u64().context("referendum index")?.to_string();
	for who in ["alice", "bob", "charlie"] {
		let (status, _, stderr) = agora_cli(
			&cli,
			&alice,
			&wallets,
			&password,
			&["gov", "vote", "-w", who, &index, "--aye", "--amount", "50000"],
		)?;
		ensure!(status == 0, "{who}'s vote failed ({status}): {stderr}");
	}

	// Enacted on every node: the new spec_version.
	let deadline = Instant::now() + Duration::from_secs(180);
	loop {
		let versions: Vec<u64> = nodes.iter().map(|n| spec_version(n)).collect::<Result<_>>()?;
		if versions.iter().all(|v| *v == before + 1) {
			break;
		}
		for p in procs.iter_mut() {
			p.alive()?;
		}
		if Instant::now() > deadline {
			let (_, listed, _) =
				agora_cli(&cli, &alice, &wallets, &password, &["gov", "list", "--all"])?;
			bail!("not upgraded from {before}: {versions:?}; referenda: {listed}");
		}
		tokio::time::sleep(Duration::from_secs(2)).await;
	}
	let upgraded_at = u32::try_from(alice.best_number()?)?;

	// Blocks and finality go on on every node.
	for node in nodes {
		node.wait_for("finality after the upgrade", Duration::from_secs(90), |n| {
			Ok(n.finalized_number()? >= u64::from(upgraded_at) + 3)
		})?;
	}
	// The miner and the validator saw the new runtime, found it compatible and carried on: the
	// validator's weights land after the upgrade, the miner still serves.
	let deadline = Instant::now() + Duration::from_secs(120);
	while !weights_after(upgraded_at).await? {
		for p in procs.iter_mut() {
			p.alive()?;
		}
		if Instant::now() > deadline {
			bail!("no weights after the upgrade:\n{}", tail(&procs[1].log));
		}
		tokio::time::sleep(Duration::from_secs(2)).await;
	}
	for p in procs.iter_mut() {
		p.alive()?;
		let log = std::fs::read_to_string(&p.log)?;
		ensure!(
			log.contains("the runtime was upgraded to code") && log.contains("still compatible"),
			"{} did not re-check the runtime:\n{}",
			p.name,
			tail(&p.log)
		);
	}
	Ok(())
}
