//! `agora-node --dev --tmp`: blocks, finality, standard RPC and a signed transfer.

use std::time::Duration;

use anyhow::{ensure, Result};
use serde_json::json;
use subxt::utils::{AccountId32, MultiAddress};
use subxt_signer::sr25519::dev;

use crate::{
	chain::{agr, Chain},
	harness::{Node, TestDir},
};

#[tokio::test(flavor = "multi_thread")]
async fn dev_node_authors_finalizes_and_transfers() -> Result<()> {
	let dir = TestDir::new("agora-dev-");
	let mut node = Node::dev("dev", dir.path())?;

	node.wait_for("3 blocks", Duration::from_secs(60), |n| Ok(n.best_number()? >= 3))?;
	node.wait_for(
		"a finalized block",
		Duration::from_secs(60),
		|n| Ok(n.finalized_number()? >= 1),
	)?;

	let health = node.rpc("system_health", json!([]))?;
	ensure!(health["isSyncing"] == json!(false), "dev node reports syncing: {health}");
	let header = node.rpc("chain_getHeader", json!([]))?;
	ensure!(header["parentHash"].is_string() && header["digest"].is_object(), "header: {header}");
	let metadata = node.rpc("state_getMetadata", json!([]))?;
	// SCALE metadata starts with the magic "meta" (0x6d657461).
	ensure!(
		metadata.as_str().is_some_and(|m| m.starts_with("0x6d657461")),
		"metadata does not start with the magic"
	);
	let props = node.rpc("system_properties", json!([]))?;
	ensure!(props["tokenSymbol"] == json!("AGR") && props["tokenDecimals"] == json!(9), "{props}");

	let chain = Chain::connect(&node.ws_url()).await?;
	let bob: AccountId32 = dev::bob().public_key().to_account_id();
	let before = chain.free_balance(&bob).await?;
	let amount = agr(5);
	let transfer = subxt::dynamic::tx(
		"Balances",
		"transfer_keep_alive",
		(MultiAddress::<AccountId32, ()>::Id(bob), amount),
	);
	let events = chain.submit(&transfer, &dev::alice()).await?;
	ensure!(
		events
			.iter()
			.flatten()
			.any(|e| e.pallet_name() == "Balances" && e.event_name() == "Transfer"),
		"no Balances.Transfer event"
	);
	let after = chain.free_balance(&bob).await?;
	ensure!(after == before + amount, "Bob had {before}, now {after}, expected +{amount}");

	// Alice pays the transfer and a fee.
	let nonce = node.rpc(
		"system_accountNextIndex",
		json!([dev::alice().public_key().to_account_id().to_string()]),
	)?;
	ensure!(nonce == json!(1), "Alice's next nonce is {nonce}");

	node.stop()?;
	Ok(())
}
