//! A `try-runtime`-style check of a runtime upgrade against a live chain's state: the node's
//! whole state at its finalized block is read over RPC into an in-memory externality, where this
//! build's runtime (natively) runs its upgrade hooks (`Executive::execute_on_runtime_upgrade`:
//! the `Migrations` and every pallet's `on_runtime_upgrade`), Agora's pallets check their
//! invariants (`do_try_state`), and blocks go on (every pallet's `on_initialize`, epochs and
//! payouts included) with the invariants checked after each.

use anyhow::{anyhow, ensure, Context, Result};
use polkadot_sdk::{
	frame_support::traits::{GetStorageVersion, OnInitialize, StorageVersion},
	sp_io::TestExternalities,
	sp_runtime::Storage,
};
use serde_json::json;

use crate::harness::Node;

/// Keys read per `state_getKeysPaged` request.
const PAGE: u64 = 1000;

/// What the check saw.
#[derive(Debug)]
pub(crate) struct UpgradeCheck {
	/// Storage items in the snapshot.
	pub(crate) keys: usize,
	/// The block the snapshot is of.
	pub(crate) block: u32,
}

/// Runs the check on `node`'s finalized state, then `blocks` more blocks.
pub(crate) fn check_upgrade(node: &Node, blocks: u32) -> Result<UpgradeCheck> {
	let at = node.rpc("chain_getFinalizedHead", json!([]))?;
	let header = node.rpc("chain_getHeader", json!([at]))?;
	let block = header["number"]
		.as_str()
		.and_then(|n| u32::from_str_radix(n.trim_start_matches("0x"), 16).ok())
		.context("header number")?;
	let mut top = std::collections::BTreeMap::new();
	let mut start: Option<String> = None;
	loop {
		let keys = node.rpc("state_getKeysPaged", json!(["0x", PAGE, start, at]))?;
		let keys: Vec<String> = serde_json::from_value(keys)?;
		if keys.is_empty() {
			break;
		}
		let sets = node.rpc("state_queryStorageAt", json!([keys, at]))?;
		for (key, value) in sets[0]["changes"]
			.as_array()
			.context("changes")?
			.iter()
			.filter_map(|c| Some((c[0].as_str()?.to_string(), c[1].as_str()?.to_string())))
		{
			top.insert(unhex(&key)?, unhex(&value)?);
		}
		let full = keys.len() as u64 == PAGE;
		start = keys.last().cloned();
		if !full {
			break;
		}
	}
	ensure!(top.contains_key(&b":code"[..]), "the snapshot has no runtime code");
	let keys = top.len();
	let mut ext = TestExternalities::new(Storage { top, children_default: Default::default() });
	ext.execute_with(|| -> Result<()> {
		use agora_runtime::{AllPalletsWithSystem, Executive, System};
		ensure!(System::block_number() == block, "the snapshot is of block {block}");
		invariants().context("before the upgrade")?;
		Executive::execute_on_runtime_upgrade();
		invariants().context("after the upgrade hooks")?;
		ensure!(
			agora_runtime::Subnets::on_chain_storage_version()
				== agora_runtime::Subnets::in_code_storage_version(),
			"pallet-subnets' storage version is not the code's after the upgrade"
		);
		ensure!(
			agora_runtime::Subnets::on_chain_storage_version() >= StorageVersion::new(1),
			"pallet-subnets was not migrated"
		);
		for n in block + 1..=block + blocks {
			// A fresh block: an empty digest (no Aura slot to compare with the last one).
			System::initialize(&n, &System::parent_hash(), &Default::default());
			AllPalletsWithSystem::on_initialize(n);
			invariants().with_context(|| format!("at block {n} after the upgrade"))?;
		}
		Ok(())
	})?;
	Ok(UpgradeCheck { keys, block })
}

/// Every Agora pallet's invariants.
fn invariants() -> Result<()> {
	use agora_runtime::{Authority, Governance, Payments, Rewards, Staking, Subnets};
	let named = |name: &str, r: Result<(), polkadot_sdk::sp_runtime::TryRuntimeError>| {
		r.map_err(|e| anyhow!("{name}: {e:?}"))
	};
	named("Staking", Staking::do_try_state())?;
	named("Subnets", Subnets::do_try_state())?;
	named("Rewards", Rewards::do_try_state())?;
	named("Governance", Governance::do_try_state())?;
	named("Authority", Authority::do_try_state())?;
	named("Payments", Payments::do_try_state())?;
	Ok(())
}

fn unhex(s: &str) -> Result<Vec<u8>> {
	let s = s.trim_start_matches("0x");
	(0..s.len())
		.step_by(2)
		.map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|e| anyhow!("hex: {e}")))
		.collect()
}
