//! The `agora` CLI end to end against a real `agora-node --dev`: wallets, the dev faucet,
//! transfer, staking, a subnet and a registration, the metagraph as JSON, and refusals that
//! exit with the documented code and change nothing on chain. Then the field-tested inputs of
//! issue 16: wallet commands that check everything before writing anything, spends refused
//! before signing when amount + fee + existential deposit (or the minimum stake) is not there,
//! keyfiles with out-of-range KDF parameters, mnemonics on stdin one word a line, two submissions from one key
//! at once, mortal eras, and whole stake positions left while emission moves them. And the payment
//! channels of issue 14: open, show, top up, extend, close refused before the expiry and done after;
//! and proxies (issue 13): add, list, refusals, remove; and key swaps (issue 13): a hotkey swapped
//! at once, a coldkey swap disputed, resolved by sudo and executed.

#[allow(dead_code, unreachable_pub)]
#[path = "../../node/tests/it/harness.rs"]
mod harness;

use std::{
	io::Write,
	path::{Path, PathBuf},
	process::{Command, Stdio},
	time::{Duration, Instant},
};

use anyhow::{bail, ensure, Context, Result};
use harness::{Node, TestDir};
use serde_json::Value;

/// Runs `agora --json --no-prompt --url … --wallets-dir … --password-file … ARGS`; returns
/// (exit code, stdout JSON, stderr).
fn agora(
	node: &Node,
	wallets: &Path,
	password: &Path,
	args: &[&str],
) -> Result<(i32, Value, String)> {
	harness::agora_cli(Path::new(env!("CARGO_BIN_EXE_agora")), node, wallets, password, args)
}

/// Like [`agora`] but the command must succeed.
/// A dev node for a CLI test (named `name`, logging under `dir`), with the wallets directory and
/// password file the CLI is run with: `(node, wallets, password file)`.
fn dev_node(dir: &TestDir, name: &str) -> Result<(Node, PathBuf, PathBuf)> {
	let mut node = Node::start(name, dir.path(), &["--dev", "--tmp"])?;
	node.wait_rpc(Duration::from_secs(90))?;
	let pw = dir.path().join("pw");
	std::fs::write(&pw, "correct horse\n")?;
	Ok((node, dir.path().join("wallets"), pw))
}

fn ok(node: &Node, wallets: &Path, password: &Path, args: &[&str]) -> Result<Value> {
	let (code, json, stderr) = agora(node, wallets, password, args)?;
	if code != 0 {
		bail!("agora {args:?} exited {code}: {stderr}");
	}
	Ok(json)
}

/// `agora --json --no-prompt --wallets-dir … [--password-file …] ARGS` with `stdin` piped in and
/// no node (for wallet commands); returns (exit code, stdout JSON, stderr).
fn agora_offline(
	wallets: &Path,
	password: Option<&Path>,
	stdin: &str,
	args: &[&str],
) -> Result<(i32, Value, String)> {
	let mut cmd = Command::new(env!("CARGO_BIN_EXE_agora"));
	cmd.args(["--json", "--no-prompt", "--url", "ws://127.0.0.1:9"])
		.arg("--wallets-dir")
		.arg(wallets);
	if let Some(pw) = password {
		cmd.arg("--password-file").arg(pw);
	}
	let mut child = cmd
		.args(args)
		.stdin(Stdio::piped())
		.stdout(Stdio::piped())
		.stderr(Stdio::piped())
		.spawn()
		.context("run agora")?;
	child.stdin.take().context("stdin")?.write_all(stdin.as_bytes())?;
	let out = child.wait_with_output()?;
	let stdout = String::from_utf8_lossy(&out.stdout).to_string();
	let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
	Ok((out.status.code().unwrap_or(-1), json, String::from_utf8_lossy(&out.stderr).to_string()))
}

/// Every file and directory under `dir`, relative, sorted (empty if `dir` does not exist).
fn tree(dir: &Path) -> Vec<String> {
	let mut names = Vec::new();
	let mut stack = vec![dir.to_path_buf()];
	while let Some(d) = stack.pop() {
		for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
			names.push(e.path().strip_prefix(dir).unwrap_or(&e.path()).display().to_string());
			if e.path().is_dir() {
				stack.push(e.path());
			}
		}
	}
	names.sort();
	names
}

fn plancks(v: &Value) -> u128 {
	v["plancks"].as_u64().map(u128::from).unwrap_or_default()
}

const AGR: u128 = 1_000_000_000;

#[test]
fn a_new_user_walks_from_wallet_to_metagraph() -> Result<()> {
	let dir = TestDir::new("agora-cli-");
	let (mut node, wallets, pw) = dev_node(&dir, "cli")?;
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

	// Issue 16: 9.9995 of 10 AGR is less than the balance but not than amount + fee +
	// existential deposit; so for staking all of it, or under the minimum stake. Each is refused
	// before signing, saying what is missing, and costs nothing.
	let ten = run(&["wallet", "create", "-w", "ten"])?["keys"][0]["ss58"]
		.as_str()
		.context("ss58")?
		.to_string();
	run(&["transfer", "-w", "alice", "--dest", &ten, "--amount", "10"])?;
	for (args, says) in [
		(&["transfer", "-w", "ten", "--dest", &me, "--amount", "9.9995"][..], "AGR missing"),
		(&["stake", "add", "-w", "ten", "--hotkey", &me, "--amount", "10"], "AGR missing"),
		(&["stake", "add", "-w", "ten", "--hotkey", &me, "--amount", "0.0001"], "minimum stake"),
	] {
		let (code, _, err) = agora(&node, &wallets, &pw, args)?;
		ensure!(code == 1 && err.contains(says) && err.contains("nothing was signed"), "{err}");
	}
	ensure!(plancks(&run(&["balance", "-w", "ten"])?["free"]) == 10 * AGR, "a refusal cost");

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
	let svg = std::fs::read_to_string(&svg)?;
	ensure!(code == 0 && svg.starts_with("<svg"), "{code} {err}");
	ensure!(
		svg.contains(&format!("subnet {netuid} at block ")) && svg.contains("dividends"),
		"{svg}"
	);
	let png = dir.path().join("m.png");
	let (code, _, err) =
		agora(&node, &wallets, &pw, &["metagraph", &netuid, "--plot", png.to_str().unwrap_or("")])?;
	ensure!(code == 0, "{code} {err}");
	let mut reader = png::Decoder::new(std::io::Cursor::new(std::fs::read(&png)?)).read_info()?;
	let mut pixels = vec![0; reader.output_buffer_size().unwrap_or(0)];
	let frame = reader.next_frame(&mut pixels)?;
	let pixels = &pixels[..frame.buffer_size()];
	ensure!(frame.width >= 640 && frame.height >= 400, "{}x{}", frame.width, frame.height);
	ensure!(pixels.chunks(3).any(|p| p != &pixels[..3]), "the PNG is one colour");
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

const PHRASE: &str = "bottom drive obey lake curtain smoke basket hold race lonely fit walk";

/// Issue 16 items 1, 2 and 6, no node needed: wallet commands check every input before they
/// write anything (a refusal leaves the disk as it was, and a key written always comes with its
/// mnemonic); a keyfile with KDF parameters out of range is a corrupt keyfile (exit 2) without
/// running the KDF; a mnemonic on stdin is read whole whatever whitespace separates its words.
#[test]
fn wallet_inputs_are_checked_before_anything_is_written() -> Result<()> {
	let dir = TestDir::new("agora-cli-wallet-");
	let wallets = dir.path().join("wallets");
	let pw = dir.path().join("pw");
	std::fs::write(&pw, "correct horse\n")?;
	let missing_pw = dir.path().join("no-such-password-file");

	// A bad hotkey name: exit 2 before anything is written or a password is asked for (the
	// password file does not even exist), not after writing the coldkey.
	for args in [
		&["wallet", "create", "-w", "fresh", "--hotkey", "bad name"][..],
		&["wallet", "create", "-w", "fresh", "--hotkey", "../escape"],
		&["wallet", "create", "-w", "bad wallet"],
	] {
		let (code, json, err) = agora_offline(&wallets, Some(&missing_pw), "", args)?;
		ensure!(code == 2 && err.contains("invalid name"), "{args:?}: {code} {err}");
		ensure!(json["ok"] == false, "{json}");
		ensure!(tree(dir.path()) == ["pw"], "{args:?} wrote {:?}", tree(dir.path()));
	}

	// Created whole: both keys, both mnemonics shown.
	let (code, created, err) =
		agora_offline(&wallets, Some(&pw), "", &["wallet", "create", "-w", "w", "--hotkey", "h1"])?;
	ensure!(code == 0, "{err}");
	for key in created["keys"].as_array().context("keys")? {
		ensure!(key["mnemonic"].as_str().is_some_and(|m| m.split(' ').count() == 12), "{key}");
	}
	let before = tree(&wallets);
	let coldkey = std::fs::read(wallets.join("w/coldkey"))?;
	// Refusals after it: nothing changes on disk, even with --force.
	for args in [
		&["wallet", "create", "-w", "w", "--force", "--hotkey", "bad name"][..],
		&["wallet", "create", "-w", "w", "--hotkey", "h2"],
		&["wallet", "new-hotkey", "-w", "w", "--hotkey", "h1"],
		&["wallet", "new-hotkey", "-w", "w", "--hotkey", "bad name"],
		&["wallet", "regen", "-w", "w", "--hotkey", "bad name", "--uri", "//Bob"],
		&["wallet", "regen", "-w", "w", "--hotkey", "h1", "--uri", "//Bob"],
		&["wallet", "regen", "-w", "w", "--uri", "not a secret"],
	] {
		let (code, _, err) = agora_offline(&wallets, Some(&missing_pw), "", args)?;
		ensure!(
			code == 2 && (err.contains("invalid") || err.contains("already exists")),
			"{args:?}: {code} {err}"
		);
		ensure!(tree(&wallets) == before, "{args:?} changed {:?}", tree(&wallets));
		ensure!(std::fs::read(wallets.join("w/coldkey"))? == coldkey, "{args:?}");
	}
	// A new hotkey is written with its mnemonic shown.
	let (code, hot, err) = agora_offline(
		&wallets,
		Some(&pw),
		"",
		&["wallet", "new-hotkey", "-w", "w", "--hotkey", "h2"],
	)?;
	ensure!(
		code == 0 && hot["mnemonic"].as_str().is_some_and(|m| m.split(' ').count() == 12),
		"{err}"
	);

	// A mnemonic on stdin, one word a line (or tabs, CRLF): the same key as on one line.
	let expected = agora_client::wallet::ss58(&agora_client::wallet::keypair_from_secret(PHRASE)?);
	for (name, input) in [
		("lines", PHRASE.replace(' ', "\n") + "\n"),
		("tabs", format!("{}\r\n", PHRASE.replace(' ', "\t"))),
		("one-line", format!("{PHRASE}\n")),
	] {
		let (code, json, err) =
			agora_offline(&wallets, Some(&pw), &input, &["wallet", "regen", "-w", name])?;
		ensure!(code == 0 && json["ss58"] == expected.as_str(), "{name}: {code} {err} {json}");
	}
	let file = dir.path().join("phrase");
	std::fs::write(&file, PHRASE.replace(' ', "\n"))?;
	let (code, json, err) = agora_offline(
		&wallets,
		Some(&pw),
		"",
		&["wallet", "regen", "-w", "file", "--mnemonic-file", file.to_str().unwrap_or_default()],
	)?;
	ensure!(code == 0 && json["ss58"] == expected.as_str(), "{code} {err}");
	// Nothing on stdin: a usage error, nothing written.
	let (code, _, err) =
		agora_offline(&wallets, Some(&pw), "", &["wallet", "regen", "-w", "empty"])?;
	ensure!(code == 2 && err.contains("no mnemonic"), "{code} {err}");
	ensure!(!wallets.join("empty").exists());

	// KDF parameters out of range: "corrupt keyfile", exit 2, at once (log_n 40 aborted the
	// process; 22 took 4 GiB and 13 s).
	let path = wallets.join("lines/coldkey");
	let good: Value = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
	for (field, value) in [("log_n", 40), ("log_n", 22), ("r", 0), ("r", 1_000_000), ("p", 0)] {
		let mut bad = good.clone();
		bad["kdf"][field] = value.into();
		std::fs::write(&path, bad.to_string())?;
		let started = Instant::now();
		let (code, _, err) =
			agora_offline(&wallets, Some(&pw), "", &["wallet", "show", "-w", "lines"])?;
		ensure!(code == 2 && err.contains("corrupt keyfile"), "{field} {value}: {code} {err}");
		ensure!(err.contains(&format!("kdf.{field}")), "{err}");
		ensure!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
	}
	Ok(())
}

/// Issue 16 items 2, 4, 5 and 10 against a dev node: an unlock of a keyfile with KDF parameters
/// out of range fails as "corrupt keyfile" (2) and sends nothing; two submissions from one key
/// at once both land (the nonce is re-fetched when the pool says it was taken); every
/// transaction is signed with a mortal era of 64 blocks; `stake remove --all` and
/// `stake move --all` leave positions whole while emission vests into them.
#[test]
fn one_key_at_once_mortal_eras_and_whole_positions() -> Result<()> {
	use agora_client::{chain::calls, wallet::Wallet, Wait};

	let dir = TestDir::new("agora-cli-16-");
	let (mut node, wallets, pw) = dev_node(&dir, "cli16")?;
	let run = |args: &[&str]| ok(&node, &wallets, &pw, args);
	run(&["wallet", "regen", "-w", "alice", "--uri", "//Alice"])?;
	let created = run(&["wallet", "create", "-w", "me", "--hotkey", "miner"])?;
	let me = created["keys"][0]["ss58"].as_str().context("coldkey")?.to_string();
	run(&["wallet", "new-hotkey", "-w", "me", "--hotkey", "miner2"])?;

	// Mortal: the receipt says so, and so does the extrinsic in its block.
	let sent = run(&["transfer", "-w", "alice", "--dest", &me, "--amount", "1000"])?;
	ensure!(sent["mortality"]["period"] == 64, "{sent}");
	let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
	let era = rt.block_on(extrinsic_era(&node, &sent))?;
	let birth = sent["mortality"]["birth"].as_u64().context("birth")?;
	ensure!(era == subxt::utils::Era::mortal(64, birth), "signed with {era:?}");

	// Two `agora transfer` at once from one coldkey, three times over: every one lands.
	let dests: Vec<String> = (0..3)
		.map(|i| {
			agora_client::wallet::ss58(
				&agora_client::wallet::keypair_from_secret(&format!("//Dest{i}")).expect("uri"),
			)
		})
		.collect();
	let children = dests
		.iter()
		.map(|d| {
			Command::new(env!("CARGO_BIN_EXE_agora"))
				.args(["--json", "--no-prompt", "--url", &node.ws_url()])
				.arg("--wallets-dir")
				.arg(&wallets)
				.arg("--password-file")
				.arg(&pw)
				.args(["transfer", "-w", "alice", "--dest", d, "--amount", "2"])
				.stdout(Stdio::piped())
				.stderr(Stdio::piped())
				.spawn()
		})
		.collect::<std::io::Result<Vec<_>>>()?;
	for child in children {
		let out = child.wait_with_output()?;
		ensure!(
			out.status.success(),
			"a concurrent transfer failed: {}",
			String::from_utf8_lossy(&out.stderr)
		);
	}
	for d in &dests {
		ensure!(plancks(&run(&["balance", d])?["free"]) == 2 * AGR, "{d}");
	}
	// The same through the library, where the two always read the same nonce first.
	rt.block_on(async {
		let client = agora_client::Client::connect(&node.ws_url()).await?;
		let alice = agora_client::wallet::keypair_from_secret("//Alice")?;
		let (a, b) = (dests[0].parse()?, dests[1].parse()?);
		let (to_a, to_b) = (calls::transfer(&a, AGR), calls::transfer(&b, AGR));
		let (x, y) = tokio::join!(
			client.submit(&to_a, &alice, Wait::Inclusion),
			client.submit(&to_b, &alice, Wait::Inclusion),
		);
		x?;
		y?;
		anyhow::Ok(())
	})?;
	ensure!(plancks(&run(&["balance", &dests[0]])?["free"]) == 3 * AGR);
	ensure!(plancks(&run(&["balance", &dests[1]])?["free"]) == 3 * AGR);

	// A coldkey whose KDF parameters were edited: exit 2, at once, nothing sent.
	let cold = wallets.join("me/coldkey");
	let good = std::fs::read_to_string(&cold)?;
	let mut bad: Value = serde_json::from_str(&good)?;
	bad["kdf"]["log_n"] = 40.into();
	std::fs::write(&cold, bad.to_string())?;
	let (code, _, err) = agora(
		&node,
		&wallets,
		&pw,
		&["transfer", "-w", "me", "--dest", &dests[0], "--amount", "1"],
	)?;
	ensure!(code == 2 && err.contains("corrupt keyfile") && err.contains("log_n"), "{code} {err}");
	std::fs::write(&cold, good)?;
	ensure!(
		plancks(&run(&["balance", "-w", "me"])?["free"]) == 1000 * AGR,
		"a refusal moved funds"
	);

	// Two positions on a subnet whose validator sets weights, so that emission vests into
	// both pools every block.
	run(&["subnet", "create", "-w", "alice", "--task", "text-embedding"])?;
	let netuid = run(&["subnet", "list"])?[0]["netuid"].as_u64().context("netuid")?;
	let n = netuid.to_string();
	run(&[
		"subnet",
		"set-hyperparam",
		"-w",
		"alice",
		"--sudo",
		&n,
		"tempo",
		"3",
		"weights_rate_limit",
		"0",
	])?;
	for h in ["miner", "miner2"] {
		run(&["subnet", "register", "-w", "me", &n, "--hotkey", h, "--max-cost", "1"])?;
	}
	// The validator's hotkey pays for its weights while they are not yet fee-less.
	let miner = created["keys"][1]["ss58"].as_str().context("hotkey")?.to_string();
	run(&["transfer", "-w", "alice", "--dest", &miner, "--amount", "1"])?;
	run(&["stake", "add", "-w", "me", "--hotkey", "miner", "--amount", "100"])?;
	run(&["stake", "add", "-w", "me", "--hotkey", "miner2", "--amount", "50"])?;
	rt.block_on(async {
		let client = agora_client::Client::connect(&node.ws_url()).await?;
		let hotkey = Wallet::new(&wallets, "me")?.unlock_hotkey("miner", "correct horse")?;
		let netuid = u16::try_from(netuid)?;
		// Weights count once the validator's stake has stayed an epoch: retry until then.
		let weights = calls::set_weights(netuid, vec![1], vec![u16::MAX], 0);
		let deadline = Instant::now() + Duration::from_secs(60);
		loop {
			match client.submit(&weights, &hotkey, Wait::Inclusion).await {
				Ok(_) => return anyhow::Ok(()),
				Err(e) if Instant::now() < deadline => {
					eprintln!("set_weights: {e}");
					tokio::time::sleep(Duration::from_secs(1)).await;
				},
				Err(e) => return Err(e.into()),
			}
		}
	})?;
	let staked = |run: &dyn Fn(&[&str]) -> Result<Value>| -> Result<Vec<u128>> {
		Ok(run(&["stake", "list", "-w", "me"])?
			.as_array()
			.context("positions")?
			.iter()
			.map(|p| plancks(&p["stake"]))
			.collect())
	};
	node.wait_for("emission vesting into both positions", Duration::from_secs(90), |_| {
		Ok(staked(&run)?.len() == 2 && staked(&run)?.iter().sum::<u128>() > 150 * AGR)
	})?;
	let a = staked(&run)?;
	std::thread::sleep(Duration::from_secs(2));
	ensure!(staked(&run)? != a, "positions do not move: the test would not show the race");

	// The whole position on one hotkey, then the whole of another moved onto it, then all.
	let free = plancks(&run(&["balance", "-w", "me"])?["free"]);
	let removed = run(&["stake", "remove", "-w", "me", "--hotkey", "miner", "--all"])?;
	let amount = plancks(&removed["positions"][0]["amount"]);
	ensure!(removed["ok"] == true && amount > 100 * AGR, "{removed}");
	let positions = run(&["stake", "list", "-w", "me"])?;
	ensure!(
		positions.as_array().is_some_and(|p| p.len() == 1),
		"miner's position left: {positions}"
	);
	// Paid out in full, less each transaction's fee (under 0.01 AGR).
	let transactions = removed["positions"][0]["transactions"].as_array().map_or(0, Vec::len);
	let after = plancks(&run(&["balance", "-w", "me"])?["free"]);
	ensure!(after + transactions as u128 * AGR / 100 > free + amount, "{after} {free} {removed}");
	let moved = run(&["stake", "move", "-w", "me", "--from", "miner2", "--to", "miner", "--all"])?;
	ensure!(plancks(&moved["positions"][0]["amount"]) > 50 * AGR, "{moved}");
	let positions = run(&["stake", "list", "-w", "me"])?;
	ensure!(
		positions.as_array().is_some_and(|p| p.len() == 1)
			&& positions[0]["hotkey"] == removed["positions"][0]["hotkey"],
		"{positions}"
	);
	let all = run(&["stake", "remove", "-w", "me", "--all"])?;
	ensure!(all["positions"].as_array().is_some_and(|p| p.len() == 1), "{all}");
	let positions = run(&["stake", "list", "-w", "me"])?;
	ensure!(positions.as_array().is_some_and(|p| p.is_empty()), "{positions}");
	// Nothing left: --all of one hotkey is an error (1), of every hotkey a no-op.
	let (code, _, err) = agora(
		&node,
		&wallets,
		&pw,
		&["stake", "remove", "-w", "me", "--hotkey", "miner", "--all"],
	)?;
	ensure!(code == 1 && err.contains("has no stake"), "{code} {err}");
	// --all and --amount together are a usage error.
	let (code, _, err) = agora(
		&node,
		&wallets,
		&pw,
		&["stake", "remove", "-w", "me", "--hotkey", "miner", "--all", "--amount", "1"],
	)?;
	ensure!(code == 2 && err.contains("cannot be used with"), "{code} {err}");
	node.stop()?;
	Ok(())
}

/// The era of the extrinsic a receipt (`--json`) names, decoded from its block.
async fn extrinsic_era(node: &Node, receipt: &Value) -> Result<subxt::utils::Era> {
	use subxt::config::{transaction_extensions::CheckMortality, PolkadotConfig};
	let block = receipt["block"].as_str().context("block")?;
	let number = node.rpc("chain_getHeader", serde_json::json!([block]))?["number"]
		.as_str()
		.and_then(|n| u64::from_str_radix(n.trim_start_matches("0x"), 16).ok())
		.context("block number")?;
	let rpc = subxt::rpcs::RpcClient::from_insecure_url(node.ws_url()).await?;
	let api = subxt::OnlineClient::<PolkadotConfig>::from_rpc_client(rpc).await?;
	let at = api.at_block(number).await?;
	let extrinsics = at.extrinsics().fetch().await?;
	for x in extrinsics.iter() {
		let x = x?;
		if format!("{:?}", x.hash()) == receipt["extrinsic"].as_str().unwrap_or_default() {
			return x
				.transaction_extensions()
				.and_then(|e| e.find::<CheckMortality<PolkadotConfig>>())
				.context("no CheckMortality")?
				.map_err(Into::into);
		}
	}
	bail!("extrinsic {} not in block {block}", receipt["extrinsic"])
}

/// `agora audit verify` offline, on a log written here as a validator writes it (real sr25519
/// keys, real signed queries and answers, a generation challenge scored without a model): every
/// round consistent → exit 0; one tampered line → exit 1 naming the round INCONSISTENT; a line
/// that is not a record → exit 2 naming the line.
#[test]
fn audit_verify_checks_a_log_offline() -> Result<()> {
	use agora_models::eval::GenerationChallenge;
	use agora_neuron::{
		audit::{self, Challenge, MinerRecord, Outcome, RoundRecord, Submitted, WeightsAction},
		weights::{self, Emas, Rules},
	};
	use agora_protocol::{Answer, Hotkey, Query, SignedAnswer};
	use subxt_signer::sr25519::Keypair;

	let key = |uri: &str| -> Result<Keypair> { Ok(Keypair::from_uri(&uri.parse()?)?) };
	let ss58 = |k: &Keypair| subxt::utils::AccountId32(k.public_key().0).to_string();
	let (validator, miner) = (key("//AuditValidator")?, key("//AuditMiner")?);
	let challenge = Challenge::Generation(GenerationChallenge {
		seed: 1,
		prompt: "We the People of the United States, in Order to form".into(),
		max_tokens: 8,
		origin: "public".into(),
		truth: "a more perfect Union".into(),
		reference: "a more perfect union, establish".into(),
		reference_model: "reference".into(),
		truth_weight: 0.0,
	});
	let holders: std::collections::BTreeMap<u16, String> =
		[(0, ss58(&validator)), (1, ss58(&miner))].into_iter().collect();
	let rules = Rules { n: 2, min_allowed: 1, max_allowed: 8, max_weight_limit: u16::MAX };
	let mut ema = Emas::new();
	let mut lines = Vec::new();
	for round in 1..=2u64 {
		let query = Query::signed(1, Hotkey::of(&miner), round << 20, challenge.task(), &validator);
		let text = if round == 1 { "a more perfect union" } else { "a better union" };
		let answer = Answer::Generation { model: "m".into(), text: text.into(), logprobs: None };
		let quality = challenge.quality(&answer).map_err(anyhow::Error::msg)?;
		let ms = 250 * round;
		let score = audit::score(quality, ms, 10_000);
		let signed = SignedAnswer::sign(answer, &query, &miner);
		let before = ema.clone();
		ema = weights::fold_round(&before, &holders, [(1, ss58(&miner).as_str(), score)], 0.3);
		let (uids, values) =
			weights::to_weights(&audit::as_logged(&weights::ema_scores(&ema)), 0, &rules)?;
		let mut record = RoundRecord {
			version: audit::VERSION,
			netuid: 1,
			round,
			validator: ss58(&validator),
			uid: 0,
			block: 10 * round as u32,
			block_hash: format!("0x{}", "11".repeat(32)),
			validator_permit: true,
			challenge: Some(challenge.clone()),
			budget_ms: 10_000,
			ema_alpha: 0.3,
			miners: vec![MinerRecord {
				uid: 1,
				hotkey: ss58(&miner),
				query: audit::encode(&query),
				answer: Some(audit::encode(&signed)),
				ms,
				outcome: Outcome::Scored,
				error: None,
				quality,
				score,
			}],
			holders: holders.clone(),
			ema_before: before,
			ema_after: ema.clone(),
			rules,
			weights: WeightsAction::Set {
				sent: Submitted {
					uids,
					values,
					version_key: 0,
					block_hash: format!("0x{}", "22".repeat(32)),
				},
				read_back: "match".into(),
			},
			signature: String::new(),
		};
		lines.push(record.signed_line(&validator)?);
	}
	let dir = TestDir::new("audit");
	let log = dir.path().join("1-validator.audit.jsonl");
	let verify = |json: bool| -> Result<(i32, String, String)> {
		let out = Command::new(env!("CARGO_BIN_EXE_agora"))
			.env_remove("AGORA_URL")
			.args(if json { &["--json"][..] } else { &[][..] })
			.args(["audit", "verify"])
			.arg(&log)
			.output()
			.context("run agora")?;
		Ok((
			out.status.code().unwrap_or(-1),
			String::from_utf8_lossy(&out.stdout).to_string(),
			String::from_utf8_lossy(&out.stderr).to_string(),
		))
	};

	std::fs::write(&log, lines.join("\n") + "\n")?;
	let (code, stdout, stderr) = verify(false)?;
	ensure!(code == 0, "a consistent log exited {code}: {stdout}{stderr}");
	ensure!(stdout.contains("round 1 @ #10: consistent — 1 answer(s) verified"), "{stdout}");
	ensure!(stdout.contains("2 round(s): 2 consistent, 0 inconsistent"), "{stdout}");
	ensure!(stdout.contains("offline checks only"), "{stdout}");

	// The miner answered faster than it did: its score no longer follows, nor the signature.
	let tampered = lines[1].replacen("\"ms\":500", "\"ms\":5", 1);
	ensure!(tampered != lines[1], "the tamper did not apply");
	std::fs::write(&log, format!("{}\n{tampered}\n", lines[0]))?;
	let (code, stdout, stderr) = verify(false)?;
	ensure!(code == 1, "a tampered log exited {code}: {stdout}{stderr}");
	ensure!(stdout.contains("round 1 @ #10: consistent"), "{stdout}");
	ensure!(stdout.contains("round 2 @ #20: INCONSISTENT"), "{stdout}");
	ensure!(stdout.contains("bad record signature") && stdout.contains("logged score"), "{stdout}");
	let (code, stdout, _) = verify(true)?;
	let report: Value = serde_json::from_str(&stdout).context("one JSON report")?;
	ensure!(code == 1 && report["ok"] == false && report["inconsistent"] == 1, "{report}");
	ensure!(report["rounds"][1]["consistent"] == false, "{report}");

	std::fs::write(&log, format!("{}\nnot json\n", lines[0]))?;
	let (code, _, stderr) = verify(false)?;
	ensure!(code == 2 && stderr.contains("line 2: not an audit record"), "{code}: {stderr}");
	Ok(())
}

/// `agora channel` (issue 14) against a dev node: refusals before signing (deposit under the
/// minimum, a channel to oneself, a missing id), then a channel opened, shown, topped up and
/// extended; its close refused before the expiry (saying from which block), then done after
/// it, with the refund back in the consumer's free balance.
#[test]
fn payment_channels_open_top_up_extend_show_and_close() -> Result<()> {
	let dir = TestDir::new("agora-cli-channel-");
	let (node, wallets, pw) = dev_node(&dir, "cli-channel")?;
	let run = |args: &[&str]| ok(&node, &wallets, &pw, args);
	let fails = |args: &[&str]| agora(&node, &wallets, &pw, args);

	run(&["wallet", "regen", "-w", "alice", "--uri", "//Alice"])?;
	let ss58 = |v: Value| v["keys"][0]["ss58"].as_str().map(str::to_string).context("ss58");
	let me = ss58(run(&["wallet", "create", "-w", "me"])?)?;
	let gateway = ss58(run(&["wallet", "create", "-w", "gateway"])?)?;
	run(&["transfer", "-w", "alice", "--dest", &me, "--amount", "10"])?;

	// Refused before signing: nothing is spent.
	for (args, says) in [
		(
			&["channel", "open", "-w", "me", "--provider", &gateway, "--deposit", "0.01"][..],
			"below the minimum",
		),
		(&["channel", "open", "-w", "me", "--provider", &me, "--deposit", "1"], "to itself"),
		(&["channel", "open", "-w", "me", "--provider", &gateway, "--deposit", "10"], "missing"),
	] {
		let mut args = args.to_vec();
		args.extend(["--expires-in", "10"]);
		let (code, json, err) = fails(&args)?;
		ensure!(code == 1 && err.contains(says) && err.contains("nothing was signed"), "{err}");
		ensure!(json["ok"] == false, "{json}");
	}
	let (code, _, err) = fails(&["channel", "show", "7"])?;
	ensure!(code == 1 && err.contains("channel 7 does not exist"), "{code} {err}");
	ensure!(plancks(&run(&["balance", "-w", "me"])?["free"]) == 10 * AGR, "a refusal cost");

	// Open, show.
	let opened = run(&[
		"channel",
		"open",
		"-w",
		"me",
		"--provider",
		&gateway,
		"--deposit",
		"2",
		"--expires-in",
		"8",
	])?;
	ensure!(opened["ok"] == true, "{opened}");
	let id = opened["id"].as_u64().context("channel id")?.to_string();
	let expires_at = opened["expires_at"].as_u64().context("expires_at")?;
	let shown = run(&["channel", "show", &id])?;
	ensure!(shown["consumer"] == me.as_str() && shown["provider"] == gateway.as_str(), "{shown}");
	ensure!(plancks(&shown["deposit"]) == 2 * AGR && plancks(&shown["claimed"]) == 0, "{shown}");
	ensure!(plancks(&shown["remaining"]) == 2 * AGR, "{shown}");
	ensure!(
		shown["expires_at"] == expires_at && shown["blocks_left"].as_u64() > Some(0),
		"{shown}"
	);

	// Listed for both sides.
	let listed = run(&["channel", "list", "-w", "me"])?;
	let mine = &listed["channels"][0];
	ensure!(
		mine["id"].as_u64().map(|n| n.to_string()) == Some(id.clone())
			&& mine["role"] == "consumer",
		"{listed}"
	);
	let listed = run(&["channel", "list", &gateway])?;
	ensure!(listed["channels"][0]["role"] == "provider", "{listed}");
	ensure!(
		run(&["channel", "list", "-w", "alice"])?["channels"] == serde_json::json!([]),
		"alice has none"
	);

	// The signing proxy refuses a wallet that is not the consumer, and a gateway it cannot
	// reach, before serving anything.
	let proxy = |wallet: &str| {
		let gw = "http://127.0.0.1:9";
		fails(&["gateway", "proxy", "-w", wallet, "--gateway", gw, "--channel", &id])
	};
	let (code, _, err) = proxy("gateway")?;
	ensure!(code == 1 && err.contains("not the consumer"), "{code} {err}");
	let (code, _, err) = proxy("me")?;
	ensure!(code == 1 && err.contains("/v1/models"), "{code} {err}");

	// Top up, extend (by a relative expiry past the current one).
	let topped = run(&["channel", "top-up", "-w", "me", &id, "--amount", "1"])?;
	ensure!(plancks(&topped["deposit"]) == 3 * AGR, "{topped}");
	let extended = run(&["channel", "extend", "-w", "me", &id, "--expires-in", "10"])?;
	let expires_at = extended["expires_at"].as_u64().context("expires_at")?;
	let shown = run(&["channel", "show", &id])?;
	ensure!(shown["expires_at"] == expires_at && plancks(&shown["deposit"]) == 3 * AGR, "{shown}");
	let (code, _, err) =
		fails(&["channel", "extend", "-w", "me", &id, "--expires-at", &expires_at.to_string()])?;
	ensure!(code == 1 && err.contains("not extended"), "{code} {err}");

	// Close: refused before the expiry by someone else and by the consumer, then done.
	let (code, _, err) = fails(&["channel", "close", "-w", "alice", &id])?;
	ensure!(code == 1 && err.contains("not the consumer"), "{code} {err}");
	let (code, json, err) = fails(&["channel", "close", "-w", "me", &id])?;
	ensure!(
		code == 1
			&& err.contains(&format!("can be closed from block {expires_at}"))
			&& err.contains("nothing was signed"),
		"{code} {err}"
	);
	ensure!(json["ok"] == false, "{json}");
	let deadline = Instant::now() + Duration::from_secs(30);
	while run(&["channel", "show", &id])?["best_block"].as_u64().unwrap_or(0) + 1 < expires_at {
		ensure!(Instant::now() < deadline, "the chain did not reach block {expires_at}");
		std::thread::sleep(Duration::from_millis(500));
	}
	let before = plancks(&run(&["balance", "-w", "me"])?["free"]);
	let closed = run(&["channel", "close", "-w", "me", &id])?;
	ensure!(plancks(&closed["refunded"]) == 3 * AGR, "{closed}");
	let after = plancks(&run(&["balance", "-w", "me"])?["free"]);
	// The refund, less the close's fee.
	ensure!(after > before + 3 * AGR - AGR / 100 && after < before + 3 * AGR, "{before} {after}");
	let (code, _, err) = fails(&["channel", "show", &id])?;
	ensure!(code == 1 && err.contains("does not exist"), "{code} {err}");
	ensure!(
		run(&["channel", "list", "-w", "me"])?["channels"] == serde_json::json!([]),
		"closed, not listed"
	);

	// Proxies (issue 13, key safety): "gateway" may stake for "me"; refusals foreseen cost
	// nothing; the deposit returns on removal.
	let proxy = |verb: &'static str, kind: &'static str| {
		["proxy", verb, "-w", "me", "--delegate", gateway.as_str(), "--type", kind]
	};
	let free = || -> Result<u128> { Ok(plancks(&run(&["balance", "-w", "me"])?["free"])) };
	let before = free()?;
	let added = run(&proxy("add", "staking"))?;
	ensure!(added["ok"] == true, "{added}");
	let listed = run(&["proxy", "list", "-w", "me"])?;
	ensure!(
		listed["proxies"][0]["delegate"] == gateway.as_str()
			&& listed["proxies"][0]["proxy_type"] == "staking"
			&& listed["proxies"][0]["delay"] == 0
			&& plancks(&listed["deposit"]) > 0,
		"{listed}"
	);
	for (args, says) in [
		(proxy("add", "staking"), "is already a proxy of"),
		(proxy("remove", "any"), "is not a proxy of"),
	] {
		let (code, _, err) = fails(&args)?;
		ensure!(code == 1 && err.contains(says) && err.contains("nothing was signed"), "{err}");
	}
	let (code, _, err) = fails(&["proxy", "add", "-w", "me", "--delegate", &me, "--type", "any"])?;
	ensure!(code == 1 && err.contains("its own proxy"), "{code} {err}");
	run(&proxy("remove", "staking"))?;
	let listed = run(&["proxy", "list", &me])?;
	ensure!(
		listed["proxies"] == serde_json::json!([]) && plancks(&listed["deposit"]) == 0,
		"{listed}"
	);
	// Only the two fees are gone: the deposit came back.
	let spent = before - free()?;
	ensure!(spent > 0 && spent < AGR / 100, "add + remove cost {spent} planck");
	Ok(())
}

/// `agora gov` (issue 13) on a dev chain (prepare 2, decision 20, confirm 3, enactment 2 blocks
/// of 1 s): refusals foreseen before signing cost nothing; Bob, neither the subnet's owner nor
/// sudo, proposes a root-only hyperparameter (the tempo) with `subnet set-hyperparam
/// --referendum`; Alice, Bob and Charlie vote aye with 50,000 AGR each (~10.7% support, passing
/// ~17 blocks into the decision period); `gov list` shows it deciding, then approved, and the
/// tempo changes as Root enacts it; a vote on it is then refused, and Charlie's vote removed.
#[test]
fn a_root_referendum_changes_a_subnet_parameter() -> Result<()> {
	let dir = TestDir::new("agora-cli-gov-");
	let (mut node, wallets, pw) = dev_node(&dir, "cli-gov")?;
	let run = |args: &[&str]| ok(&node, &wallets, &pw, args);
	let fails = |args: &[&str]| agora(&node, &wallets, &pw, args);
	for (wallet, uri) in [("alice", "//Alice"), ("bob", "//Bob"), ("charlie", "//Charlie")] {
		run(&["wallet", "regen", "-w", wallet, "--uri", uri])?;
	}
	run(&["subnet", "create", "-w", "alice", "--task", "text-embedding"])?;
	let netuid = run(&["subnet", "list"])?[0]["netuid"].as_u64().context("netuid")?.to_string();
	let senate = run(&["gov", "senate"])?;
	ensure!(
		senate["periods"]["decision"] == 20 && senate["tracks"][0]["name"] == "root",
		"{senate}"
	);

	// Refused before signing: Bob's balance does not move.
	let bob_free = || -> Result<u128> { Ok(plancks(&run(&["balance", "-w", "bob"])?["free"])) };
	let before = bob_free()?;
	let empty = dir.path().join("empty.wasm");
	std::fs::write(&empty, b"")?;
	let empty = empty.to_str().context("path")?;
	for (args, code, says) in [
		(&["gov", "vote", "-w", "bob", "99", "--aye", "--amount", "1"][..], 1, "does not exist"),
		(
			&["gov", "vote", "-w", "bob", "0", "--aye", "--amount", "1", "--conviction", "7"],
			2,
			"above 6",
		),
		(&["gov", "propose", "-w", "bob", "--call-hex", "0xff00"], 1, "not a call of this runtime"),
		(&["gov", "propose", "-w", "bob", "--set-code", empty], 1, "is empty"),
		(&["gov", "unlock", "-w", "bob"], 1, "nothing locked"),
		// Bob's key (by address) sits in no senate seat: the dev chain has no validators yet.
		(
			&[
				"gov",
				"cancel",
				"-w",
				"bob",
				"--hotkey",
				"5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty",
				"0",
			],
			1,
			"not a senator",
		),
	] {
		let (got, json, err) = fails(args)?;
		ensure!(got == code && err.contains(says), "{args:?}: {got} {err}");
		ensure!(json["ok"] == false, "{json}");
		ensure!(code == 2 || err.contains("nothing was signed"), "{err}");
	}
	ensure!(bob_free()? == before, "a refusal cost Bob");

	// Bob proposes; three holders carry it.
	let proposed =
		run(&["subnet", "set-hyperparam", "-w", "bob", "--referendum", &netuid, "tempo", "42"])?;
	let index = proposed["index"].as_u64().context("index")?.to_string();
	ensure!(proposed["call"] == "Subnets.set_hyperparams", "{proposed}");
	ensure!(plancks(&proposed["deposits"]["decision"]) == 1_000 * AGR, "{proposed}");
	let listed = run(&["gov", "list"])?;
	let r = &listed["referenda"][0];
	ensure!(r["proposal"]["call"] == "Subnets.set_hyperparams", "{listed}");
	ensure!(plancks(&r["decision_deposit"]["amount"]) == 1_000 * AGR, "{listed}");
	std::thread::scope(|s| -> Result<()> {
		let votes: Vec<_> = ["alice", "bob", "charlie"]
			.map(|w| {
				let index = index.as_str();
				s.spawn(move || run(&["gov", "vote", "-w", w, index, "--aye", "--amount", "50000"]))
			})
			.into_iter()
			.collect();
		for v in votes {
			v.join().map_err(|_| anyhow::anyhow!("vote thread panicked"))??;
		}
		Ok(())
	})?;
	let (mut seen_deciding, deadline) = (false, Instant::now() + Duration::from_secs(60));
	loop {
		let listed = run(&["gov", "list", "--all"])?;
		let r = &listed["referenda"][0];
		match r["status"].as_str() {
			Some("deciding") => {
				seen_deciding = true;
				ensure!(plancks(&r["tally"]["support"]) == 150_000 * AGR, "{r}");
			},
			Some("approved") => break,
			Some("preparing") => {},
			_ => bail!("referendum {index} went {r}"),
		}
		ensure!(Instant::now() < deadline, "not approved after 60 s: {listed}");
		std::thread::sleep(Duration::from_millis(1000));
	}
	ensure!(seen_deciding, "never seen deciding");
	let deadline = Instant::now() + Duration::from_secs(15);
	while run(&["subnet", "hyperparams", &netuid])?["tempo"] != 42 {
		ensure!(Instant::now() < deadline, "the tempo was not enacted");
		std::thread::sleep(Duration::from_millis(500));
	}

	// Over: votes are closed; Charlie's vote is removed (its 1x lock runs 10 more blocks).
	let (code, _, err) =
		fails(&["gov", "vote", "-w", "charlie", &index, "--nay", "--amount", "1"])?;
	ensure!(code == 1 && err.contains("is approved"), "{code} {err}");
	let unlocked = run(&["gov", "unlock", "-w", "charlie"])?;
	ensure!(unlocked["removed"][0].as_u64().map(|i| i.to_string()) == Some(index), "{unlocked}");
	node.stop()?;
	Ok(())
}

/// Key swaps (issue 13) on a dev chain: a registered, staked hotkey is swapped with `agora wallet
/// swap-hotkey` and the metagraph shows the new hotkey at the same UID with the same stake; a
/// second swap within the rate limit is refused before signing, at no cost. A coldkey swap
/// announced and disputed by the same wallet shows `disputed` (with the calls a referendum
/// would carry) and its execution is refused; sudo (Alice, standing in for a referendum)
/// approves it, and anyone then executes it: the neuron's coldkey is the new one. Meanwhile the
/// destination is reserved and the old coldkey frozen (staking and hotkey swaps refused before
/// signing). The new coldkey then announces and cancels a swap of its own: it stays frozen
/// until the cancelled swap's executable block, and staking is refused before signing. (An
/// undisputed swap waits out its 36,000-block delay: not shown here.)
#[test]
fn hotkeys_swap_at_once_and_a_disputed_coldkey_swap_waits_for_root() -> Result<()> {
	let dir = TestDir::new("agora-cli-swap-");
	let (mut node, wallets, pw) = dev_node(&dir, "cli-swap")?;
	let run = |args: &[&str]| ok(&node, &wallets, &pw, args);
	let refused = |args: &[&str], says: &str| -> Result<()> {
		let (code, json, err) = agora(&node, &wallets, &pw, args)?;
		ensure!(code == 1 && err.contains(says), "{args:?}: {code} {err}");
		ensure!(err.contains("nothing was signed") && json["ok"] == false, "{err} {json}");
		Ok(())
	};
	run(&["wallet", "regen", "-w", "alice", "--uri", "//Alice"])?;
	let me = run(&["wallet", "create", "-w", "me", "--hotkey", "miner"])?["keys"][0]["ss58"]
		.as_str()
		.context("ss58")?
		.to_string();
	let hot = |name: &str| -> Result<String> {
		let key = run(&["wallet", "new-hotkey", "-w", "me", "--hotkey", name])?;
		key["ss58"].as_str().map(str::to_string).context("ss58")
	};
	let (miner2, _) = (hot("miner2")?, hot("miner3")?);
	let fresh = run(&["wallet", "create", "-w", "fresh"])?["keys"][0]["ss58"]
		.as_str()
		.context("ss58")?
		.to_string();
	run(&["transfer", "-w", "alice", "--dest", &me, "--amount", "1000"])?;
	run(&["subnet", "create", "-w", "alice", "--task", "text-embedding"])?;
	let netuid = run(&["subnet", "list"])?[0]["netuid"].as_u64().context("netuid")?.to_string();
	run(&["subnet", "register", "-w", "me", &netuid, "--hotkey", "miner", "--max-cost", "1"])?;
	run(&["stake", "add", "-w", "me", "--hotkey", "miner", "--amount", "100"])?;
	let stake = plancks(&run(&["metagraph", &netuid])?["neurons"][0]["stake"]);

	// The swap: same UID, same stake (no epoch within the default tempo of 360 blocks).
	let swapped =
		run(&["wallet", "swap-hotkey", "-w", "me", "--hotkey", "miner", "--new-hotkey", "miner2"])?;
	ensure!(
		swapped["run_with"]["hotkey"] == "miner2" && swapped["uids"][0]["uid"] == 0,
		"{swapped}"
	);
	let m = run(&["metagraph", &netuid])?;
	let n = &m["neurons"][0];
	ensure!(n["uid"] == 0 && n["hotkey"] == miner2.as_str() && n["coldkey"] == me.as_str(), "{m}");
	ensure!(plancks(&n["stake"]) == stake && stake >= 100 * AGR, "{stake} {n}");
	ensure!(m["neurons"].as_array().map(Vec::len) == Some(1), "{m}");
	// Within the rate limit (7,200 blocks): refused before signing, at no cost.
	let free = || -> Result<u128> { Ok(plancks(&run(&["balance", "-w", "me"])?["free"])) };
	let before = free()?;
	let again =
		["wallet", "swap-hotkey", "-w", "me", "--hotkey", "miner2", "--new-hotkey", "miner3"];
	refused(&again, "rate limited")?;
	refused(
		&["wallet", "swap-hotkey", "-w", "me", "--hotkey", "miner", "--new-hotkey", "miner3"],
		"not the owner",
	)?;
	ensure!(free()? == before, "a refused swap cost");

	// A coldkey swap, announced then disputed by the same wallet.
	let announced =
		run(&["wallet", "swap-coldkey", "announce", "-w", "me", "--new-coldkey", &fresh])?;
	ensure!(announced["executable_at"].as_u64() > Some(36_000), "{announced}");
	refused(
		&["wallet", "swap-coldkey", "announce", "-w", "me", "--new-coldkey", &fresh],
		"already announced",
	)?;
	refused(&["wallet", "swap-coldkey", "execute", "--old", &me, "-w", "alice"], "too early")?;
	// `fresh` is reserved for it; `me` is frozen.
	refused(
		&["wallet", "swap-coldkey", "announce", "-w", "alice", "--new-coldkey", &fresh],
		"destination reserved",
	)?;
	refused(&["stake", "add", "-w", "me", "--hotkey", &miner2, "--amount", "1"], "coldkey frozen")?;
	refused(&again, "coldkey frozen")?;
	let status = run(&["wallet", "swap-coldkey", "status", "--address", &me])?;
	ensure!(
		status["swap"]["status"] == "announced"
			&& status["swap"]["blocks_left"].as_u64() > Some(35_000),
		"{status}"
	);
	run(&["wallet", "swap-coldkey", "dispute", "-w", "me"])?;
	let status = run(&["wallet", "swap-coldkey", "status", "--address", &me])?;
	ensure!(status["swap"]["status"] == "disputed", "{status}");
	let approve = &status["swap"]["resolve"]["approve"];
	ensure!(
		approve["to"] == fresh.as_str()
			&& approve["call_hex"].as_str().is_some_and(|h| h.starts_with("0x")),
		"{status}"
	);
	refused(&["wallet", "swap-coldkey", "execute", "--old", &me, "-w", "alice"], "disputed")?;
	refused(&["wallet", "swap-coldkey", "dispute", "-w", "me"], "already disputed")?;
	refused(&["wallet", "swap-coldkey", "cancel", "-w", "me"], "disputed")?;

	// Root (here the dev chain's sudo) lets it go ahead; anyone executes it.
	run(&[
		"wallet",
		"swap-coldkey",
		"resolve",
		"-w",
		"alice",
		"--old",
		&me,
		"--to",
		&fresh,
		"--sudo",
	])?;
	let status = run(&["wallet", "swap-coldkey", "status", "-w", "me"])?;
	ensure!(status["swap"]["status"] == "executable", "{status}");
	refused(&["wallet", "swap-coldkey", "cancel", "-w", "me"], "approved by Root")?;
	let executed = run(&["wallet", "swap-coldkey", "execute", "--old", &me, "-w", "alice"])?;
	ensure!(executed["hotkeys"] == 1 && executed["positions"] == 1, "{executed}");
	ensure!(
		run(&["wallet", "swap-coldkey", "status", "--address", &me])?["swap"].is_null(),
		"still there"
	);
	let n = &run(&["metagraph", &netuid])?["neurons"][0];
	ensure!(n["hotkey"] == miner2.as_str() && n["coldkey"] == fresh.as_str(), "{n}");
	let moved = plancks(&executed["balance"]);
	let fresh_free = plancks(&run(&["balance", "-w", "fresh"])?["free"]);
	ensure!(moved > 800 * AGR && fresh_free == moved, "{moved} {fresh_free} {executed}");

	// `fresh` announces a swap of its own and cancels it: it stays frozen until the cancelled
	// swap's executable block, so staking is refused before signing, at no cost.
	let fresh2 = run(&["wallet", "create", "-w", "fresh2"])?["keys"][0]["ss58"]
		.as_str()
		.context("ss58")?
		.to_string();
	let announced =
		run(&["wallet", "swap-coldkey", "announce", "-w", "fresh", "--new-coldkey", &fresh2])?;
	let status = run(&["wallet", "swap-coldkey", "status", "--address", &fresh2])?;
	ensure!(status["reserved_for"] == fresh.as_str(), "{status}");
	let cancelled = run(&["wallet", "swap-coldkey", "cancel", "-w", "fresh"])?;
	ensure!(
		cancelled["frozen_until"] == announced["executable_at"]
			&& cancelled["new_coldkey"] == fresh2.as_str(),
		"{cancelled} {announced}"
	);
	refused(&["wallet", "swap-coldkey", "cancel", "-w", "fresh"], "nothing to cancel")?;
	let status = run(&["wallet", "swap-coldkey", "status", "-w", "fresh"])?;
	ensure!(
		status["swap"].is_null()
			&& status["frozen_until"] == announced["executable_at"]
			&& status["reserved_for"].is_null(),
		"{status}"
	);
	let fresh_free = plancks(&run(&["balance", "-w", "fresh"])?["free"]);
	refused(
		&["stake", "add", "-w", "fresh", "--hotkey", &miner2, "--amount", "1"],
		"coldkey frozen",
	)?;
	ensure!(
		plancks(&run(&["balance", "-w", "fresh"])?["free"]) == fresh_free,
		"a refused stake cost"
	);
	node.stop()?;
	Ok(())
}
