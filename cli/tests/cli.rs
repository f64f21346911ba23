//! The `agora` CLI end to end against a real `agora-node --dev`: wallets, the dev faucet,
//! transfer, staking, a subnet and a registration, the metagraph as JSON, and refusals that
//! exit with the documented code and change nothing on chain.

#[allow(dead_code, unreachable_pub)]
#[path = "../../node/tests/it/harness.rs"]
mod harness;

use std::{path::Path, process::Command, time::Duration};

use anyhow::{bail, ensure, Context, Result};
use harness::{Node, TestDir};
use serde_json::Value;

/// Runs `agora --json --no-prompt --url … --wallets-dir … ARGS`; returns (exit code, stdout JSON,
/// stderr).
fn agora(
	node: &Node,
	wallets: &Path,
	password: &Path,
	args: &[&str],
) -> Result<(i32, Value, String)> {
	let out = Command::new(env!("CARGO_BIN_EXE_agora"))
		.args(["--json", "--no-prompt", "--url", &node.ws_url()])
		.arg("--wallets-dir")
		.arg(wallets)
		.arg("--password-file")
		.arg(password)
		.args(args)
		.output()
		.context("run agora")?;
	let stdout = String::from_utf8_lossy(&out.stdout).to_string();
	let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
	Ok((out.status.code().unwrap_or(-1), json, String::from_utf8_lossy(&out.stderr).to_string()))
}

/// Like [`agora`] but the command must succeed.
fn ok(node: &Node, wallets: &Path, password: &Path, args: &[&str]) -> Result<Value> {
	let (code, json, stderr) = agora(node, wallets, password, args)?;
	if code != 0 {
		bail!("agora {args:?} exited {code}: {stderr}");
	}
	Ok(json)
}

fn plancks(v: &Value) -> u128 {
	v["plancks"].as_u64().map(u128::from).unwrap_or_default()
}

const AGR: u128 = 1_000_000_000;

#[test]
fn a_new_user_walks_from_wallet_to_metagraph() -> Result<()> {
	let dir = TestDir::new("agora-cli-");
	let mut node = Node::start("cli", dir.path(), &["--dev", "--tmp"])?;
	node.wait_rpc(Duration::from_secs(90))?;
	let wallets = dir.path().join("wallets");
	let pw = dir.path().join("pw");
	std::fs::write(&pw, "correct horse\n")?;
	let run = |args: &[&str]| ok(&node, &wallets, &pw, args);

	// The dev faucet: Alice's well-known key in a wallet.
	let alice = run(&["wallet", "regen", "-w", "alice", "--uri", "//Alice"])?;
	ensure!(alice["ss58"] == "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY", "{alice}");

	// A new wallet with a hotkey; the mnemonic is shown once, the keyfiles are private.
	let created = run(&["wallet", "create", "-w", "me", "--hotkey", "miner"])?;
	let me = created["keys"][0]["ss58"].as_str().context("coldkey ss58")?.to_string();
	ensure!(created["keys"][0]["mnemonic"].as_str().is_some_and(|m| m.split(' ').count() == 12));
	let shown = run(&["wallet", "show", "-w", "me"])?;
	ensure!(shown["coldkey"] == me.as_str() && shown["hotkeys"][0]["name"] == "miner", "{shown}");
	let (code, _, err) = agora(&node, &wallets, &pw, &["wallet", "create", "-w", "me"])?;
	ensure!(code == 2 && err.contains("already exists"), "overwrote a wallet: {code} {err}");

	// Fund it, check the balance.
	run(&["transfer", "-w", "alice", "--dest", &me, "--amount", "1000"])?;
	let balance = run(&["balance", "-w", "me"])?;
	ensure!(plancks(&balance["free"]) == 1000 * AGR, "{balance}");

	// Refusals: wrong password (2), insufficient balance (1), unknown subnet (1); nothing moves.
	let wrong = dir.path().join("wrong");
	std::fs::write(&wrong, "nope\n")?;
	let (code, json, err) =
		agora(&node, &wallets, &wrong, &["transfer", "-w", "me", "--dest", &me, "--amount", "1"])?;
	ensure!(code == 2 && err.contains("wrong password"), "{code} {err}");
	ensure!(json["ok"] == false, "{json}");
	let (code, _, err) =
		agora(&node, &wallets, &pw, &["transfer", "-w", "me", "--dest", &me, "--amount", "5000"])?;
	ensure!(code == 1 && err.contains("insufficient balance"), "{code} {err}");
	let (code, _, err) = agora(&node, &wallets, &pw, &["subnet", "show", "99"])?;
	ensure!(code == 1 && err.contains("subnet 99 does not exist"), "{code} {err}");
	let (code, _, err) = agora(
		&node,
		&wallets,
		&pw,
		&["transfer", "-w", "me", "--dest", &me, "--amount", "1.0000000001"],
	)?;
	ensure!(code == 2 && err.contains("at most 9 decimals"), "{code} {err}");
	ensure!(
		plancks(&run(&["balance", "-w", "me"])?["free"]) == 1000 * AGR,
		"a refusal moved funds"
	);

	// A subnet (Alice's), a registration above --max-cost refused, then registered.
	let created = run(&["subnet", "create", "-w", "alice", "--task", "text-embedding"])?;
	ensure!(created["ok"] == true, "{created}");
	let subnets = run(&["subnet", "list"])?;
	let netuid = subnets[0]["netuid"].as_u64().context("netuid")?.to_string();
	ensure!(subnets[0]["task"] == "text-embedding", "{subnets}");
	let (code, _, err) = agora(
		&node,
		&wallets,
		&pw,
		&[
			"subnet",
			"register",
			"-w",
			"me",
			&netuid,
			"--hotkey",
			"miner",
			"--max-cost",
			"0.000000001",
		],
	)?;
	ensure!(code == 1 && err.contains("above --max-cost"), "{code} {err}");
	ensure!(
		plancks(&run(&["balance", "-w", "me"])?["free"]) == 1000 * AGR,
		"refused register cost"
	);
	run(&["subnet", "register", "-w", "me", &netuid, "--hotkey", "miner", "--max-cost", "1"])?;

	// Stake on the miner's hotkey (by its wallet name), unstake some, list.
	run(&["stake", "add", "-w", "me", "--hotkey", "miner", "--amount", "100"])?;
	run(&["stake", "remove", "-w", "me", "--hotkey", "miner", "--amount", "10.5"])?;
	let stake = run(&["stake", "list", "-w", "me"])?;
	ensure!(plancks(&stake[0]["stake"]) == 89_500_000_000, "{stake}");
	ensure!(stake[0]["netuids"][0].as_u64().map(|n| n.to_string()) == Some(netuid.clone()));

	// Tune the subnet, read it back, and the metagraph as JSON.
	// Tempo is root's: refused before signing for the owner, set through Sudo by the sudo key.
	let (code, _, err) = agora(
		&node,
		&wallets,
		&pw,
		&["subnet", "set-hyperparam", "-w", "alice", &netuid, "tempo", "10"],
	)?;
	ensure!(code == 2 && err.contains("only root may change Tempo"), "{code} {err}");
	run(&["subnet", "set-hyperparam", "-w", "alice", "--sudo", &netuid, "tempo", "10"])?;
	run(&["subnet", "set-hyperparam", "-w", "alice", &netuid, "immunity_period", "500"])?;
	let hp = run(&["subnet", "hyperparams", &netuid])?;
	ensure!(hp["tempo"] == 10 && hp["immunity_period"] == 500, "{hp}");
	let (code, _, err) = agora(
		&node,
		&wallets,
		&pw,
		&["subnet", "set-hyperparam", "-w", "alice", &netuid, "kappa", "2"],
	)?;
	ensure!(code == 2 && err.contains("not a valid value"), "{code} {err}");
	let m = run(&["metagraph", &netuid])?;
	let n = &m["neurons"][0];
	ensure!(n["uid"] == 0 && n["coldkey"] == me.as_str(), "{m}");
	ensure!(plancks(&n["stake"]) == 89_500_000_000, "{n}");
	for field in [
		"incentive",
		"dividends",
		"trust",
		"consensus",
		"validator_trust",
		"validator_permit",
		"emission",
		"last_update",
		"registered_at",
		"active",
		"hotkey",
	] {
		ensure!(!n[field].is_null(), "metagraph neuron lacks {field}: {n}");
	}
	let svg = dir.path().join("m.svg");
	let (code, _, err) =
		agora(&node, &wallets, &pw, &["metagraph", &netuid, "--plot", svg.to_str().unwrap_or("")])?;
	ensure!(code == 0 && std::fs::read_to_string(&svg)?.starts_with("<svg"), "{code} {err}");
	let png = dir.path().join("m.png");
	let (code, _, err) =
		agora(&node, &wallets, &pw, &["metagraph", &netuid, "--plot", png.to_str().unwrap_or("")])?;
	let bytes = std::fs::read(&png)?;
	ensure!(
		code == 0 && bytes.starts_with(b"\x89PNG\r\n\x1a\n") && &bytes[12..16] == b"IHDR",
		"{code} {err}"
	);
	let (code, _, err) = agora(&node, &wallets, &pw, &["metagraph", &netuid, "--plot", "m.jpg"])?;
	ensure!(code == 2 && err.contains(".svg or .png"), "{code} {err}");
	let info = run(&["chain", "info"])?;
	ensure!(
		info["best"].as_u64().is_some_and(|b| b > 0) && info["spec_version"].as_u64().is_some(),
		"{info}"
	);

	// A dispatch error comes back by pallet and name: moving stake to an unregistered hotkey.
	let (code, json, err) = agora(
		&node,
		&wallets,
		&pw,
		&["stake", "move", "-w", "me", "--from", "miner", "--to", &me, "--amount", "1"],
	)?;
	ensure!(code == 1 && err.contains("Staking.HotkeyNotRegistered"), "{code} {err} {json}");
	node.stop()?;
	Ok(())
}
