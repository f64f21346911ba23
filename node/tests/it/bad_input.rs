//! Bad input over JSON-RPC gets a clear error and leaves the node running.

use std::time::Duration;

use anyhow::{ensure, Context, Result};
use codec::{Compact, Decode};
use serde_json::{json, Value};
use subxt::{
	config::PolkadotExtrinsicParamsBuilder,
	utils::{AccountId32, MultiAddress},
};
use subxt_signer::sr25519::dev;

use crate::{
	chain::{agr, Cfg, Chain},
	harness::{http_post, Node, TestDir},
};

fn error_of(reply: &str) -> Result<Value> {
	let v: Value = serde_json::from_str(reply).with_context(|| format!("not JSON: {reply}"))?;
	v.get("error").cloned().with_context(|| format!("no error in {reply}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_gets_clear_errors_and_node_stays_up() -> Result<()> {
	let dir = TestDir::new("agora-bad-");
	let mut node = Node::dev("bad-input", dir.path())?;
	node.wait_for("2 blocks", Duration::from_secs(60), |n| Ok(n.best_number()? >= 2))?;

	// An unknown method.
	let reply = http_post(
		node.rpc_port,
		json!({"jsonrpc":"2.0","id":7,"method":"agora_noSuchMethod","params":[]})
			.to_string()
			.as_bytes(),
	)?;
	let err = error_of(&reply)?;
	ensure!(err["code"] == json!(-32601), "unknown method: {err}");
	ensure!(err["message"].as_str().is_some_and(|m| m.contains("not found")), "{err}");

	// Malformed JSON.
	let reply = http_post(node.rpc_port, br#"{"jsonrpc":"2.0","id":1,"method":"system_health""#)?;
	let err = error_of(&reply)?;
	ensure!(err["code"] == json!(-32700), "malformed JSON: {err}");

	// Bytes that are not an extrinsic at all.
	let err = node
		.rpc("author_submitExtrinsic", json!(["0xdeadbeef"]))
		.expect_err("garbage extrinsic must be refused");
	ensure!(err.to_string().contains("1002") || err.to_string().contains("decode"), "{err}");

	// A well-formed transfer whose signature was tampered with.
	let chain = Chain::connect(&node.ws_url()).await?;
	let bob: AccountId32 = dev::bob().public_key().to_account_id();
	let call = subxt::dynamic::tx(
		"Balances",
		"transfer_keep_alive",
		(MultiAddress::<AccountId32, ()>::Id(bob), agr(1)),
	);
	let alice = dev::alice();
	let at = chain.api.at_current_block().await?;
	let params = PolkadotExtrinsicParamsBuilder::<Cfg>::new().nonce(0).immortal().build();
	let mut signable =
		at.tx().create_signable(&call, &alice.public_key().to_account_id(), params).await?;
	let mut bytes = signable.sign(&alice)?.into_encoded();
	let prefix = {
		let mut input = &bytes[..];
		let _len = <Compact<u32>>::decode(&mut input)?;
		bytes.len() - input.len()
	};
	// [version 0x84][MultiAddress::Id: 0x00 + 32][MultiSignature::Sr25519: 0x01 + 64]…
	ensure!(bytes[prefix] == 0x84 && bytes[prefix + 1] == 0x00 && bytes[prefix + 34] == 0x01);
	bytes[prefix + 35 + 10] ^= 0xff;
	let err = node
		.rpc("author_submitExtrinsic", json!([format!("0x{}", hex(&bytes))]))
		.expect_err("tampered signature must be refused");
	let msg = err.to_string();
	ensure!(msg.contains("1010") && msg.contains("bad signature"), "bad signature: {msg}");
	let bob_before = chain.free_balance(&bob).await?;

	// Still up: answers, authors, and the tampered transfer never happened.
	let best = node.best_number()?;
	node.wait_for("more blocks", Duration::from_secs(30), |n| Ok(n.best_number()? >= best + 2))?;
	ensure!(node.is_running(), "node died");
	ensure!(chain.free_balance(&bob).await? == bob_before, "Bob's balance moved");
	let nonce = node
		.rpc("system_accountNextIndex", json!([alice.public_key().to_account_id().to_string()]))?;
	ensure!(nonce == json!(0), "Alice's nonce moved: {nonce}");

	node.stop()?;
	Ok(())
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}
