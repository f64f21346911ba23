//! The economy end to end on `agora-node --dev`: a subnet with tempo 10, one validator and three
//! miners, weights 0.6/0.3/0.1, and what the chain pays for them, read back over `agora_*` RPC.
//! Calls are built by pallet and call name from the node's metadata (subxt's dynamic API), as a
//! generic client would.

use std::time::Duration;

use anyhow::{anyhow, ensure, Context, Result};
use serde_json::{json, Value as Json};
use subxt::{
	dynamic::{tx, Value},
	utils::{AccountId32, H256},
};
use subxt_signer::sr25519::{dev, Keypair};

use crate::{
	chain::{agr, keypair, Chain},
	harness::{Node, TestDir},
};

const TEMPO: u128 = 10;

/// The hyperparameters the scenario sets, as a metadata-typed value.
fn hyperparams() -> Value {
	Value::named_composite([
		("tempo", Value::u128(TEMPO)),
		("max_uids", Value::u128(16)),
		("immunity_period", Value::u128(1000)),
		("min_allowed_weights", Value::u128(1)),
		("max_allowed_weights", Value::u128(16)),
		("max_weight_limit", Value::u128(u16::MAX.into())),
		("weights_rate_limit", Value::u128(0)),
		("weights_version_key", Value::u128(0)),
		("activity_cutoff", Value::u128(1000)),
		("kappa", Value::u128(32_767)),
		("bonds_moving_average", Value::u128(900_000)),
		("max_validators", Value::u128(4)),
		("min_validator_stake", Value::u128(agr(1))),
		("commit_reveal", Value::bool(false)),
		("reveal_period", Value::u128(1)),
		("min_burn", Value::u128(agr(1) / 10)),
		("max_burn", Value::u128(agr(100))),
		("task", Value::unnamed_variant("TextGeneration", [])),
	])
}

fn account(k: &Keypair) -> AccountId32 {
	k.public_key().to_account_id()
}

fn ss58(k: &Keypair) -> String {
	account(k).to_string()
}

fn f(v: &Json) -> f64 {
	v.as_f64().unwrap_or(-1.0)
}

/// A balance of an `agora_*` answer: plancks as an exact decimal string (docs/rpc.md); a JSON
/// number there (rounded above 2^53 by most readers) fails the test.
fn u(v: &Json) -> u128 {
	v.as_str()
		.and_then(|s| s.parse().ok())
		.unwrap_or_else(|| panic!("a balance must be a decimal string, got {v}"))
}

/// Hash of block `n`.
fn block_hash(node: &Node, n: u64) -> Result<H256> {
	Ok(serde_json::from_value(node.rpc("chain_getBlockHash", json!([n]))?)?)
}

#[tokio::test(flavor = "multi_thread")]
async fn subnet_pays_miners_by_weight_validator_dividends_and_owner() -> Result<()> {
	let dir = TestDir::new("agora-subnet-");
	let node = Node::dev("subnet", dir.path())?;
	let chain = Chain::connect(&node.ws_url()).await?;

	let owner = dev::alice();
	let validator_cold = dev::charlie();
	let miner_cold = dev::dave();
	let validator = keypair("//Agora//validator");
	let miners: Vec<Keypair> = (1..=3).map(|i| keypair(&format!("//Agora//miner{i}"))).collect();

	// The subnet: created by Alice, tempo 10.
	let events = chain
		.submit(
			&tx(
				"Subnets",
				"create_subnet",
				(Value::unnamed_variant("TextGeneration", []), agr(1000)),
			),
			&owner,
		)
		.await?;
	ensure!(events.iter().flatten().any(|e| e.event_name() == "SubnetCreated"), "no SubnetCreated");
	let subnets = node.rpc("agora_subnets", json!([]))?;
	let netuid = subnets
		.as_array()
		.and_then(|s| s.iter().find(|s| s["owner"] == json!(ss58(&owner))))
		.map(|s| s["netuid"].clone())
		.context("Alice's subnet missing from agora_subnets")?;
	chain
		.submit(
			// Tempo and the rest of root's hyperparameters: Alice is the dev chain's sudo key.
			&tx(
				"Sudo",
				"sudo",
				(Value::unnamed_variant(
					"Subnets",
					[Value::unnamed_variant(
						"set_hyperparams",
						[Value::u128(netuid.as_u64().unwrap_or(0).into()), hyperparams()],
					)],
				),),
			),
			&owner,
		)
		.await?;
	let subnet = node.rpc("agora_subnet", json!([netuid]))?;
	ensure!(subnet["hyperparams"]["tempo"] == json!(TEMPO), "tempo not set: {subnet}");
	let netuid = netuid.as_u64().context("netuid")?;

	// One validator (Charlie's) and three miners (Dave's); the price is what agora_registrationCost says.
	for (cold, hot) in
		[(&validator_cold, &validator)].into_iter().chain(miners.iter().map(|m| (&miner_cold, m)))
	{
		let cost = u(&node.rpc("agora_registrationCost", json!([netuid]))?);
		ensure!(cost >= agr(1) / 10, "registration cost {cost} below min_burn");
		chain.submit(&tx("Subnets", "register", (netuid, account(hot), cost * 2)), cold).await?;
	}
	// Hotkeys hold no AGR: registered, they sign weights and endpoints fee-less.
	// The PeerId of a libp2p ed25519 key, and the key's proof that this hotkey publishes it.
	use polkadot_sdk::sp_core::{ed25519, Pair as _};
	let p2p = ed25519::Pair::from_seed(&[7u8; 32]);
	let mut peer_id = agora_primitives::ED25519_PEER_ID_PREFIX.to_vec();
	peer_id.extend(p2p.public().0);
	let genesis = node.rpc("chain_getBlockHash", json!([0]))?;
	let genesis: H256 = serde_json::from_value(genesis).context("genesis hash")?;
	let payload = agora_primitives::serve_proof_payload(
		&genesis.0,
		u16::try_from(netuid)?,
		&account(&miners[0]).0,
	);
	let proof: [u8; 64] = p2p.sign(&payload).0;
	let addrs = vec![b"/ip4/127.0.0.1/tcp/4001".to_vec()];
	chain.submit(&tx("Subnets", "serve", (netuid, peer_id, addrs, proof)), &miners[0]).await?;

	// Stake on the validator, wait for its permit, set weights 0.6 / 0.3 / 0.1.
	chain
		.submit(&tx("Staking", "add_stake", (account(&validator), agr(1000))), &validator_cold)
		.await?;
	node.wait_for("the validator's permit", Duration::from_secs(60), |n| {
		Ok(n.rpc("agora_neuron", json!([netuid, 0]))?["validator_permit"] == json!(true))
	})?;
	let weights = [39_321u16, 19_661, 6_553];
	chain
		.submit(
			&tx("Subnets", "set_weights", (netuid, vec![1u16, 2, 3], weights.to_vec(), 0u64)),
			&validator,
		)
		.await?;

	// Nothing is submitted from here on: issuance moves only by emission.
	let start = node.best_number()?;
	let start_hash = block_hash(&node, start)?;
	node.wait_for(
		"incentive paid to the miners",
		Duration::from_secs(3 * TEMPO as u64 + 20),
		|n| {
			let m = n.rpc("agora_metagraph", json!([netuid]))?;
			Ok(m["neurons"]
				.as_array()
				.is_some_and(|ns| ns.len() == 4 && f(&ns[3]["incentive"]) > 0.0))
		},
	)?;
	let end = node.best_number()?;
	let end_hash = block_hash(&node, end)?;
	let metagraph = node.rpc("agora_metagraph", json!([netuid, end_hash]))?;
	let neurons = metagraph["neurons"].as_array().context("metagraph neurons")?;
	let incentive: Vec<f64> = neurons.iter().map(|n| f(&n["incentive"])).collect();
	ensure!(
		incentive[1] > incentive[2] && incentive[2] > incentive[3] && incentive[3] > 0.0,
		"incentives not ordered like the weights: {incentive:?}"
	);
	ensure!((incentive[1] - 0.6).abs() < 0.01, "miner 1 incentive {} not ~0.6", incentive[1]);
	ensure!(f(&neurons[0]["dividends"]) > 0.0, "validator has no dividends: {}", neurons[0]);
	ensure!(neurons[0]["validator_permit"] == json!(true), "validator lost its permit");
	ensure!(u(&neurons[1]["emission"]) > u(&neurons[3]["emission"]), "emission not by incentive");
	ensure!(u(&neurons[1]["stake"]) > 0, "miner 1 got no stake: {}", neurons[1]);
	ensure!(
		neurons[1]["endpoint"]["addrs"][0] == json!("/ip4/127.0.0.1/tcp/4001"),
		"{}",
		neurons[1]
	);
	ensure!(neurons[1]["coldkey"] == json!(ss58(&miner_cold)), "coldkey: {}", neurons[1]);

	// Emission: 1 AGR per block is created (2% minted to the treasury, the rest pending) and
	// what is minted is exactly what issuance grew by; the owner got 18% of the subnet's part.
	let read = |item: &'static str, at: H256| chain.value_at::<u128>("Rewards", item, Some(at));
	let (emitted0, pending0) =
		(read("TotalEmitted", start_hash).await?, read("TotalPending", start_hash).await?);
	let (emitted1, pending1) =
		(read("TotalEmitted", end_hash).await?, read("TotalPending", end_hash).await?);
	let issued0: u128 = chain.value_at("Balances", "TotalIssuance", Some(start_hash)).await?;
	let issued1: u128 = chain.value_at("Balances", "TotalIssuance", Some(end_hash)).await?;
	let blocks = u128::from(end - start);
	ensure!(
		(emitted1 + pending1) - (emitted0 + pending0) == blocks * agr(1),
		"{blocks} blocks accrued {} plancks, expected {} (1 AGR each)",
		(emitted1 + pending1) - (emitted0 + pending0),
		blocks * agr(1)
	);
	ensure!(emitted1 > emitted0, "nothing was paid out");
	ensure!(
		issued1 - issued0 == emitted1 - emitted0,
		"issuance grew by {} but emission paid {}",
		issued1 - issued0,
		emitted1 - emitted0
	);
	// The treasury (`modl` + its pallet id `agr/trsy`, zero-padded) took 2% of every block's.
	let mut treasury = [0u8; 32];
	treasury[..12].copy_from_slice(b"modlagr/trsy");
	let treasury = AccountId32(treasury);
	let to_treasury = chain.free_balance_at(&treasury, Some(end_hash)).await?
		- chain.free_balance_at(&treasury, Some(start_hash)).await?;
	ensure!(
		to_treasury == blocks * agr(1) / 50,
		"the treasury got {to_treasury} in {blocks} blocks, expected 2%"
	);
	let owner0 = chain.free_balance_at(&account(&owner), Some(start_hash)).await?;
	let owner1 = chain.free_balance_at(&account(&owner), Some(end_hash)).await?;
	let paid = emitted1 - emitted0 - to_treasury;
	let cut = owner1 - owner0;
	// 18% of each epoch's emission, each rounded down.
	ensure!(
		cut <= paid * 18 / 100 && cut + 10 >= paid * 18 / 100,
		"owner got {cut} of {paid} paid out, expected 18%"
	);

	// Stake info shows Charlie's position, with the validator's share of emission in it.
	let stake = node.rpc("agora_stakeInfo", json!([ss58(&validator_cold)]))?;
	let position = stake
		.as_array()
		.and_then(|s| s.iter().find(|p| p["hotkey"] == json!(ss58(&validator))))
		.ok_or_else(|| anyhow!("no position on the validator: {stake}"))?;
	ensure!(u(&position["stake"]) > agr(1000), "validator stake did not grow: {position}");
	ensure!(position["netuids"] == json!([netuid]), "{position}");

	// With AGORA_RPC_EXAMPLES_OUT=<dir>, keep the answers for docs/rpc.md.
	if let Some(dir) = std::env::var_os("AGORA_RPC_EXAMPLES_OUT") {
		let dir = std::path::PathBuf::from(dir);
		std::fs::create_dir_all(&dir)?;
		let validator_cold = ss58(&validator_cold);
		for (name, method, params) in [
			("subnets", "agora_subnets", json!([])),
			("subnet", "agora_subnet", json!([netuid])),
			("metagraph", "agora_metagraph", json!([netuid])),
			("neuron", "agora_neuron", json!([netuid, 1])),
			("stakeInfo", "agora_stakeInfo", json!([validator_cold])),
			("registrationCost", "agora_registrationCost", json!([netuid])),
			("subnetCreationCost", "agora_subnetCreationCost", json!([])),
		] {
			let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
			let answer = crate::harness::http_post(node.rpc_port, body.to_string().as_bytes())?;
			std::fs::write(dir.join(format!("{name}.json")), format!("{params}\n{answer}\n"))?;
		}
	}

	// Unknown subnet and UID, malformed account: clear errors.
	let err = node.rpc("agora_metagraph", json!([999])).unwrap_err().to_string();
	ensure!(err.contains("subnet 999 does not exist"), "{err}");
	let err = node.rpc("agora_neuron", json!([netuid, 77])).unwrap_err().to_string();
	ensure!(err.contains("has no UID 77"), "{err}");
	let err = node.rpc("agora_stakeInfo", json!(["not-an-account"])).unwrap_err().to_string();
	ensure!(err.contains("is not an account"), "{err}");

	// A registration above the caller's max_cost fails with the pallet's error; the caller pays
	// the transaction fee (for the work done, the unused scan refunded) but nothing is burned.
	let before = chain.free_balance(&account(&miner_cold)).await?;
	let cost = u(&node.rpc("agora_registrationCost", json!([netuid]))?);
	let err = chain
		.submit(
			&tx("Subnets", "register", (netuid, account(&keypair("//Agora//late")), 1u128)),
			&miner_cold,
		)
		.await
		.unwrap_err()
		.to_string();
	ensure!(err.contains("CostAboveMaxCost"), "{err}");
	let after = chain.free_balance(&account(&miner_cold)).await?;
	ensure!(
		before - after < cost / 2,
		"a refused registration cost {} (registration price {cost})",
		before - after
	);

	// Issue 13: this build's runtime upgrade (migrations, hooks, invariants, two more epochs)
	// checked against the state this chain reached, try-runtime style.
	let check = crate::upgrade_check::check_upgrade(&node, 2 * TEMPO as u32)?;
	ensure!(check.keys > 100, "a snapshot of {} keys at block {}", check.keys, check.block);
	Ok(())
}
