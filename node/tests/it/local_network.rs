//! `--chain local`: four authorities finalize, survive a `kill -9` of one, and admit a fifth
//! validator through the documented path (`docs/validator-node.md`).

use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use serde_json::json;
use subxt::{
	dynamic::Value,
	ext::scale_value::Composite,
	utils::{AccountId32, Encoded, MultiAddress, Static},
};
use subxt_signer::sr25519::dev;

use crate::{
	chain::{agr, keypair, Chain},
	harness::{Node, TestDir},
};

fn hash_at(node: &Node, number: u64) -> Result<serde_json::Value> {
	node.rpc("chain_getBlockHash", json!([number]))
}

fn hex(bytes: &[u8]) -> String {
	format!("0x{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

fn unhex(s: &serde_json::Value) -> Result<Vec<u8>> {
	let s = s.as_str().context("hex string")?.trim_start_matches("0x");
	(0..s.len())
		.step_by(2)
		.map(|i| u8::from_str_radix(&s[i..i + 2], 16).context("hex digit"))
		.collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn local_network_survives_a_crash_and_admits_a_fifth_validator() -> Result<()> {
	let dir = TestDir::new("agora-local-");
	let d = dir.path();
	let mut alice = Node::local("alice", d, &["--alice"])?;
	alice.wait_rpc(Duration::from_secs(90))?;
	let boot = alice.multiaddr()?;
	let mut bob = Node::local("bob", d, &["--bob", "--bootnodes", &boot])?;
	let mut charlie = Node::local("charlie", d, &["--charlie", "--bootnodes", &boot])?;
	let mut dave = Node::local("dave", d, &["--dave", "--bootnodes", &boot])?;
	for n in [&mut bob, &mut charlie, &mut dave] {
		n.wait_rpc(Duration::from_secs(90))?;
	}

	// All four finalize.
	alice
		.wait_for("finalized >= 3", Duration::from_secs(120), |n| Ok(n.finalized_number()? >= 3))?;
	dave.wait_for("dave finalized >= 3", Duration::from_secs(60), |n| {
		Ok(n.finalized_number()? >= 3)
	})?;

	// kill -9 Dave: three of four validators still finalize (GRANDPA needs > 2/3).
	let dave_final = dave.finalized_number()?;
	let dave_final_hash = hash_at(&dave, dave_final)?;
	dave.kill9()?;
	let f0 = alice.finalized_number()?;
	alice.wait_for("finality with 3 of 4", Duration::from_secs(90), |n| {
		Ok(n.finalized_number()? >= f0 + 3)
	})?;

	// Restart Dave on the same base path: what it had finalized is still there, and it catches
	// up with the others' finalized head.
	dave.restart()?;
	dave.wait_rpc(Duration::from_secs(90))?;
	ensure!(dave.finalized_number()? >= dave_final, "Dave lost finalized blocks");
	ensure!(hash_at(&dave, dave_final)? == dave_final_hash, "Dave's block {dave_final} changed");
	let target = alice.finalized_number()?;
	dave.wait_for("Dave catches up", Duration::from_secs(120), |n| {
		Ok(n.finalized_number()? >= target)
	})?;
	ensure!(hash_at(&dave, target)? == hash_at(&alice, target)?, "Dave is on another fork");

	// A fifth validator joins: start its node, rotate keys with its account as owner, register
	// them on chain, and have governance (sudo) add it.
	let mut fifth = Node::local("validator5", d, &["--validator", "--bootnodes", &boot])?;
	fifth.wait_rpc(Duration::from_secs(90))?;
	let chain = Chain::connect(&alice.ws_url()).await?;
	let v5 = keypair("//Agora//validator5");
	let v5_id: AccountId32 = v5.public_key().to_account_id();
	chain
		.submit(
			&subxt::dynamic::tx(
				"Balances",
				"transfer_keep_alive",
				(MultiAddress::<AccountId32, ()>::Id(v5_id), agr(100)),
			),
			&dev::alice(),
		)
		.await?;

	let generated = fifth.rpc("author_rotateKeysWithOwner", json!([hex(&v5_id.0)]))?;
	let keys = unhex(&generated["keys"])?;
	let proof = unhex(&generated["proof"])?;
	ensure!(
		keys.len() == 64,
		"session keys are Aura (32) + GRANDPA (32) bytes, got {}",
		keys.len()
	);
	let aura_key: [u8; 32] = keys[..32].try_into()?;
	chain
		.submit(&subxt::dynamic::tx("Session", "set_keys", (Static(Encoded(keys)), proof)), &v5)
		.await?;

	let add = subxt::dynamic::tx(
		"Authority",
		"add_validator",
		Composite::named([("who", Value::from_bytes(v5_id.0))]),
	);
	let events = chain
		.submit(&subxt::dynamic::tx("Sudo", "sudo", (add.into_value(),)), &dev::alice())
		.await?;
	let mut added = false;
	for ev in events.iter() {
		let ev = ev?;
		if (ev.pallet_name(), ev.event_name()) == ("Sudo", "Sudid") {
			ensure!(ev.field_bytes().first() == Some(&0), "sudo add_validator failed");
		}
		added |= (ev.pallet_name(), ev.event_name()) == ("Authority", "ValidatorAdded");
	}
	ensure!(added, "no Authority.ValidatorAdded event");

	// Enacted within two sessions (10 blocks of 2 s each).
	let deadline = Instant::now() + Duration::from_secs(180);
	loop {
		let authorities = chain.aura_authorities().await?;
		if authorities.contains(&aura_key) {
			ensure!(authorities.len() == 5, "expected 5 authorities, got {}", authorities.len());
			break;
		}
		if Instant::now() > deadline {
			bail!("the fifth validator never entered Aura's authorities: {}", alice.log_tail());
		}
		tokio::time::sleep(Duration::from_secs(2)).await;
	}

	// It authors, and the five still finalize.
	fifth.wait_for("the fifth validator authors a block", Duration::from_secs(90), |n| {
		Ok(std::fs::read_to_string(&n.log)?.contains("Pre-sealed block for proposal"))
	})?;
	let f1 = alice.finalized_number()?;
	alice.wait_for("finality with five", Duration::from_secs(90), |n| {
		Ok(n.finalized_number()? >= f1 + 3)
	})?;

	for n in [&mut fifth, &mut dave, &mut charlie, &mut bob, &mut alice] {
		n.stop()?;
	}
	Ok(())
}
