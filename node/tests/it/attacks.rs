//! Known attacks on Agora's economy, played by real transactions against one `agora-node --dev`,
//! each asserting that the attacker gains nothing it did not earn:
//!
//! a) just-in-time staking: stake one block before an epoch, unstake one block after;
//! b) take bait-and-switch: lower the delegate take to 0, raise it to 18% the next block;
//! c) subnet-split farming: one hotkey validating on three subnets of its owner;
//! d) an owner halting the chain through root's hyperparameters;
//! e) a neuron nobody staked on holding a validator permit;
//! f) a validator hotkey with no balance setting weights (fee-less weights);
//! g) a gateway (payment channel provider) claiming more than its consumer signed for, or a
//!    consumer taking its deposit back before the expiry.
//!
//! Every figure is printed in AGR: what the attacker would have gained under the old rules and
//! what it gains now. Calls are built by name from the node's metadata (subxt's dynamic API), as
//! in `subnet_scenario.rs`; dispatch errors are read back by name, inner field included
//! (`Subnets.RootOnlyHyperparam(Tempo)`).

use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, ensure, Context, Result};
use serde_json::{json, Value as Json};
use subxt::{
	config::PolkadotExtrinsicParamsBuilder,
	dynamic::{self, tx, Value},
	ext::{
		frame_decode::storage::{IntoDecodableValues, IntoEncodableValues},
		scale_decode::DecodeAsType,
		scale_value::{self, Composite, ValueDef},
	},
	transactions::{Payload, TransactionStatus},
	utils::{AccountId32, H256},
};
use subxt_signer::sr25519::{dev, Keypair};

use crate::{
	chain::{agr, keypair, Cfg, Chain},
	harness::{Node, TestDir},
};

/// Tempo of every subnet here (root sets it): epochs every 10 one-second blocks.
const TEMPO: u32 = 10;
/// Stake of each honest validator, of the farming hotkey, and of the just-in-time attacker.
const STAKE: u128 = 1_000;

/// Hyperparameters root gives every subnet here; the owner's attempts in d) change one field.
#[derive(Clone, Copy)]
struct Hp {
	tempo: u32,
	max_uids: u32,
	max_validators: u32,
	activity_cutoff: u32,
}

impl Hp {
	const ROOT: Hp = Hp { tempo: TEMPO, max_uids: 16, max_validators: 4, activity_cutoff: 1000 };

	fn value(self) -> Value {
		Value::named_composite([
			("tempo", Value::u128(self.tempo.into())),
			("max_uids", Value::u128(self.max_uids.into())),
			("immunity_period", Value::u128(1000)),
			("min_allowed_weights", Value::u128(1)),
			("max_allowed_weights", Value::u128(16)),
			("max_weight_limit", Value::u128(u16::MAX.into())),
			("weights_rate_limit", Value::u128(0)),
			("weights_version_key", Value::u128(0)),
			("activity_cutoff", Value::u128(self.activity_cutoff.into())),
			("kappa", Value::u128(32_767)),
			("bonds_moving_average", Value::u128(900_000)),
			("max_validators", Value::u128(self.max_validators.into())),
			// Zero: only the "zero stake never holds a permit" rule keeps e)'s neuron out.
			("min_validator_stake", Value::u128(0)),
			("commit_reveal", Value::bool(false)),
			("reveal_period", Value::u128(1)),
			("min_burn", Value::u128(agr(1) / 10)),
			("max_burn", Value::u128(agr(100))),
			("task", Value::unnamed_variant("TextGeneration", [])),
		])
	}
}

/// A hotkey's share pool (`Staking.Pools`).
#[derive(Debug, Default, Clone, Copy, DecodeAsType)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
struct Pool {
	stake: u128,
	shares: u128,
	vesting: u128,
	vesting_from: u32,
	vesting_until: u32,
}

impl Pool {
	/// What of `vesting` is released by block `now` (the staking pallet's formula).
	fn released(&self, now: u32) -> u128 {
		if now >= self.vesting_until {
			self.vesting
		} else if now <= self.vesting_from {
			0
		} else {
			self.vesting * u128::from(now - self.vesting_from)
				/ u128::from(self.vesting_until - self.vesting_from)
		}
	}

	/// The pool as of block `now`.
	fn settled(mut self, now: u32) -> Self {
		let released = self.released(now);
		self.stake += released;
		self.vesting -= released;
		self.vesting_from = self.vesting_from.max(now);
		self
	}

	/// What `shares` are worth.
	fn value_of(&self, shares: u128) -> u128 {
		(shares * self.stake).checked_div(self.shares).unwrap_or_default()
	}
}

/// What the last epoch decided about a neuron: its permit (`Subnets.ValidatorPermit`) and the
/// stake the next epoch counts at most (`Subnets.EpochStake`), each a vector per subnet.
#[derive(Debug, Default, Clone, Copy)]
struct Stats {
	validator_permit: bool,
	stake: u128,
}

/// `Staking.EmissionCredited`.
#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
struct Credited {
	hotkey: AccountId32,
	amount: u128,
	take: u128,
}

/// `Staking.StakeRemoved`, decoded whole, read in part.
#[allow(dead_code)]
#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
struct Removed {
	coldkey: AccountId32,
	hotkey: AccountId32,
	amount: u128,
	shares: u128,
}

/// What became of a transaction that made it into a block.
struct Outcome {
	block: u32,
	/// Fee paid (`TransactionPayment.TransactionFeePaid`), 0 if none.
	fee: u128,
	/// The dispatch error by name, `Pallet.Error(Inner)`, if it failed.
	error: Option<String>,
	events: subxt::extrinsics::ExtrinsicEvents<Cfg>,
}

impl Outcome {
	/// The outcome of a call that must succeed.
	fn ok(self, what: &str) -> Result<Self> {
		match &self.error {
			Some(e) => bail!("{what} failed at block {}: {e}", self.block),
			None => Ok(self),
		}
	}

	/// The error of a call that must fail.
	fn err(&self, what: &str) -> Result<String> {
		self.error.clone().ok_or_else(|| anyhow!("{what} succeeded at block {}", self.block))
	}

	/// The result of the root call inside `Sudo.sudo`: its error by name, if it failed.
	fn sudo_error(&self, md: &subxt::metadata::Metadata) -> Result<Option<String>> {
		for ev in self.events.iter() {
			let ev = ev?;
			if ev.pallet_name() == "Sudo" && ev.event_name() == "Sudid" {
				let fields: Value = ev.decode_fields_unchecked_as()?;
				let result = first_field(&fields).context("Sudid without sudo_result")?;
				return match &result.value {
					ValueDef::Variant(v) if v.name == "Ok" => Ok(None),
					ValueDef::Variant(v) if v.name == "Err" => {
						let e = v.values.values().next().context("Err without a value")?;
						Ok(Some(dispatch_error_name(md, e)))
					},
					_ => bail!("unexpected sudo_result {result}"),
				};
			}
		}
		bail!("no Sudo.Sudid event at block {}", self.block)
	}
}

fn first_field<T>(v: &scale_value::Value<T>) -> Option<&scale_value::Value<T>> {
	match &v.value {
		ValueDef::Composite(c) => c.values().next(),
		ValueDef::Variant(var) => var.values.values().next(),
		_ => None,
	}
}

/// Every primitive of a value, depth first, as `u8`s (a `ModuleError { index, error: [u8; 4] }`
/// flattens to its five bytes).
fn flatten_bytes<T>(v: &scale_value::Value<T>, out: &mut Vec<u8>) {
	match &v.value {
		ValueDef::Primitive(p) => out.push(p.as_u128().unwrap_or_default() as u8),
		ValueDef::Composite(c) => c.values().for_each(|v| flatten_bytes(v, out)),
		ValueDef::Variant(var) => var.values.values().for_each(|v| flatten_bytes(v, out)),
		_ => {},
	}
}

/// `Variant(Inner(Leaf))` without the noise of `scale_value`'s display.
fn render<T>(v: &scale_value::Value<T>) -> String {
	let list = |c: &Composite<T>| c.values().map(render).collect::<Vec<_>>().join(", ");
	match &v.value {
		ValueDef::Variant(var) if var.values.is_empty() => var.name.clone(),
		ValueDef::Variant(var) => format!("{}({})", var.name, list(&var.values)),
		ValueDef::Composite(c) => list(c),
		ValueDef::Primitive(p) => p.to_string(),
		_ => "?".to_string(),
	}
}

/// A `DispatchError` value by name: `Subnets.RootOnlyHyperparam(Tempo)` for a pallet error
/// (decoded as the runtime's outer error enum, so the inner field shows), else the variant.
fn dispatch_error_name<T>(md: &subxt::metadata::Metadata, e: &scale_value::Value<T>) -> String {
	match &e.value {
		ValueDef::Variant(v) if v.name == "Module" => {
			let mut bytes = Vec::new();
			flatten_bytes(e, &mut bytes);
			let ty = md.outer_enums().error_enum_ty();
			match scale_value::scale::decode_as_type(&mut &bytes[..], ty, md.types()) {
				Ok(decoded) => match &decoded.value {
					ValueDef::Variant(pallet) => match pallet.values.values().next() {
						Some(error) => format!("{}.{}", pallet.name, render(error)),
						None => pallet.name.clone(),
					},
					_ => render(&decoded),
				},
				Err(err) => format!("module error {bytes:?} ({err})"),
			}
		},
		_ => render(e),
	}
}

fn account(k: &Keypair) -> AccountId32 {
	k.public_key().to_account_id()
}

fn acc_value(k: &Keypair) -> Value {
	Value::from_bytes(account(k).0)
}

/// `pallet.name(args)` as a `RuntimeCall` value, for batches and sudo.
fn call<const N: usize>(pallet: &str, name: &str, args: [Value; N]) -> Value {
	Value::unnamed_variant(pallet, [Value::unnamed_variant(name, args)])
}

/// `Utility.batch_all(calls)`.
fn batch(calls: Vec<Value>) -> impl Payload {
	tx("Utility", "batch_all", (Value::unnamed_composite(calls),))
}

/// `Sudo.sudo(call)`.
fn sudo(call: Value) -> impl Payload {
	tx("Sudo", "sudo", (call,))
}

fn set_hyperparams(netuid: u16, hp: Hp) -> Value {
	call("Subnets", "set_hyperparams", [Value::u128(netuid.into()), hp.value()])
}

/// A `Perbill` of `percent`.
fn perbill(percent: u128) -> Value {
	Value::unnamed_composite([Value::u128(percent * 10_000_000)])
}

fn fmt_agr(plancks: u128) -> String {
	format!("{:.9} AGR", plancks as f64 / 1e9)
}

/// A balance of an `agora_*` answer: plancks as an exact decimal string (docs/rpc.md); a JSON
/// number there (rounded above 2^53 by most readers) fails the test.
fn u(v: &Json) -> u128 {
	v.as_str()
		.and_then(|s| s.parse().ok())
		.unwrap_or_else(|| panic!("a balance must be a decimal string, got {v}"))
}

/// The dev chain and the helpers the attacks share.
struct Ctx {
	node: Node,
	chain: Chain,
	start: Instant,
}

impl Ctx {
	fn best(&self) -> Result<u32> {
		Ok(self.node.best_number()? as u32)
	}

	fn hash(&self, n: u32) -> Result<H256> {
		Ok(serde_json::from_value(self.node.rpc("chain_getBlockHash", json!([n]))?)?)
	}

	fn best_hash(&self) -> Result<H256> {
		Ok(serde_json::from_value(self.node.rpc("chain_getBlockHash", json!([]))?)?)
	}

	/// Seconds since the node started, for the log.
	fn t(&self) -> f64 {
		self.start.elapsed().as_secs_f64()
	}

	/// Signs `call` with `signer` (nonce from the pool, immortal), submits it and waits until it
	/// is in a best block; a refusal by the pool is an `Err`, a dispatch error is in the outcome.
	async fn send<Call: Payload>(&self, call: &Call, signer: &Keypair) -> Result<Outcome> {
		let who = account(signer).to_string();
		let nonce = self.node.rpc("system_accountNextIndex", json!([who]))?;
		let nonce = nonce.as_u64().context("nonce")?;
		let at = self.chain.api.at_block(self.best_hash()?).await?;
		let params = PolkadotExtrinsicParamsBuilder::<Cfg>::new().nonce(nonce).immortal().build();
		let mut progress = at.tx().sign_and_submit_then_watch(call, signer, params).await?;
		while let Some(status) = progress.next().await {
			match status? {
				TransactionStatus::InBestBlock(b) | TransactionStatus::InFinalizedBlock(b) => {
					let events = b.fetch_events().await?;
					let block_at = b.at().await?;
					let md = block_at.metadata();
					let mut fee = 0;
					let mut error = None;
					for ev in events.iter() {
						let ev = ev?;
						match (ev.pallet_name(), ev.event_name()) {
							("TransactionPayment", "TransactionFeePaid") => {
								let fields: Value = ev.decode_fields_unchecked_as()?;
								let mut parts = Vec::new();
								if let ValueDef::Composite(c) = &fields.value {
									parts = c.values().filter_map(|v| v.as_u128()).collect();
								}
								fee = parts.first().copied().unwrap_or_default();
							},
							("System", "ExtrinsicFailed") => {
								let fields: Value = ev.decode_fields_unchecked_as()?;
								let e = first_field(&fields).context("ExtrinsicFailed fields")?;
								error = Some(dispatch_error_name(&md, e));
							},
							_ => {},
						}
					}
					let block = block_at.block_number() as u32;
					return Ok(Outcome { block, fee, error, events });
				},
				TransactionStatus::Invalid { message }
				| TransactionStatus::Dropped { message }
				| TransactionStatus::Error { message } => bail!("transaction rejected: {message}"),
				_ => {},
			}
		}
		bail!("transaction status stream ended before inclusion")
	}

	/// A storage entry at block `at` (`None` where it holds nothing and has no default).
	async fn read<K, V>(&self, pallet: &str, item: &str, keys: K, at: H256) -> Result<Option<V>>
	where
		K: IntoEncodableValues + IntoDecodableValues,
		V: DecodeAsType,
	{
		let at = self.chain.api.at_block(at).await?;
		let entry = dynamic::storage::<K, V>(pallet, item);
		Ok(match at.storage().try_fetch(entry, keys).await? {
			Some(v) => Some(v.decode()?),
			None => None,
		})
	}

	async fn u128_at(&self, pallet: &str, item: &str, netuid: u16, at: H256) -> Result<u128> {
		Ok(self.read::<(u16,), u128>(pallet, item, (netuid,), at).await?.unwrap_or_default())
	}

	async fn last_epoch(&self, netuid: u16, at: H256) -> Result<u32> {
		Ok(self.read::<(u16,), u32>("Rewards", "LastEpoch", (netuid,), at).await?.unwrap_or(0))
	}

	async fn pool(&self, hotkey: &Keypair, at: H256) -> Result<Pool> {
		Ok(self
			.read::<(AccountId32,), Pool>("Staking", "Pools", (account(hotkey),), at)
			.await?
			.unwrap_or_default())
	}

	async fn shares(&self, hotkey: &Keypair, coldkey: &Keypair, at: H256) -> Result<u128> {
		let keys = (account(hotkey), account(coldkey));
		Ok(self.read::<_, u128>("Staking", "Shares", keys, at).await?.unwrap_or_default())
	}

	async fn stats(&self, netuid: u16, uid: u16, at: H256) -> Result<Stats> {
		let permits = self
			.read::<(u16,), Vec<bool>>("Subnets", "ValidatorPermit", (netuid,), at)
			.await?
			.unwrap_or_default();
		let stakes = self
			.read::<(u16,), Vec<u128>>("Subnets", "EpochStake", (netuid,), at)
			.await?
			.unwrap_or_default();
		let uid = usize::from(uid);
		Ok(Stats {
			validator_permit: permits.get(uid).copied().unwrap_or_default(),
			stake: stakes.get(uid).copied().unwrap_or_default(),
		})
	}

	async fn uid(&self, netuid: u16, hotkey: &Keypair) -> Result<u16> {
		self.read::<(u16, AccountId32), u16>(
			"Subnets",
			"Uids",
			(netuid, account(hotkey)),
			self.best_hash()?,
		)
		.await?
		.with_context(|| format!("{} has no UID on subnet {netuid}", account(hotkey)))
	}

	/// `Staking.EmissionCredited` to `hotkey` in block `n`: (amount, take).
	async fn credited(&self, hotkey: &Keypair, n: u32) -> Result<Option<(u128, u128)>> {
		let events = self.chain.api.at_block(self.hash(n)?).await?.events().fetch().await?;
		for ev in events.iter() {
			let ev = ev?;
			if ev.pallet_name() == "Staking" && ev.event_name() == "EmissionCredited" {
				let c: Credited = ev.decode_fields_unchecked_as()?;
				if c.hotkey == account(hotkey) {
					return Ok(Some((c.amount, c.take)));
				}
			}
		}
		Ok(None)
	}

	/// The best block: number and hash, read together.
	fn best_point(&self) -> Result<(u32, H256)> {
		let hash = self.best_hash()?;
		let header = self.node.rpc("chain_getHeader", json!([hash]))?;
		let hex = header["number"].as_str().context("header number")?;
		Ok((u32::from_str_radix(hex.trim_start_matches("0x"), 16)?, hash))
	}

	/// Waits for the next epoch of `netuid` after block `after`; returns its block.
	async fn next_epoch(&self, netuid: u16, after: u32) -> Result<u32> {
		let deadline = Instant::now() + Duration::from_secs(u64::from(TEMPO) * 3);
		loop {
			let epoch = self.last_epoch(netuid, self.best_hash()?).await?;
			if epoch > after {
				return Ok(epoch);
			}
			ensure!(
				Instant::now() < deadline,
				"no epoch of subnet {netuid} after block {after}; log:\n{}",
				self.node.log_tail()
			);
			tokio::time::sleep(Duration::from_millis(50)).await;
		}
	}
}

#[tokio::test(flavor = "multi_thread")]
async fn attacks_gain_nothing_unearned() -> Result<()> {
	let dir = TestDir::new("agora-attacks-");
	let start = Instant::now();
	let node = Node::dev("attacks", dir.path())?;
	let chain = Chain::connect(&node.ws_url()).await?;
	let cx = Ctx { node, chain, start };
	println!("[{:5.1}s] dev node up at block {}", cx.t(), cx.best()?);

	// Cast. Alice: sudo, owner of subnet A. Charlie: the validator on A (hotkey never funded).
	// Dave: a miner and a neuron nobody stakes on, on A. Bob: the just-in-time staker. Eve: the
	// split farmer, owner of O1..O3 with one hotkey on all three. Ferdie: the honest owner of H.
	let (alice, bob, charlie, dave, eve, ferdie) =
		(dev::alice(), dev::bob(), dev::charlie(), dev::dave(), dev::eve(), dev::ferdie());
	let validator = keypair("//Agora//attacks//validator");
	let miner = keypair("//Agora//attacks//miner");
	let unstaked = keypair("//Agora//attacks//unstaked");
	let farm = keypair("//Agora//attacks//farm");
	let honest = keypair("//Agora//attacks//honest");
	let task = || Value::unnamed_variant("TextGeneration", []);
	let create = || tx("Subnets", "create_subnet", (task(), agr(50_000)));
	let create_call = || call("Subnets", "create_subnet", [task(), Value::u128(agr(50_000))]);

	// Five subnets in one block.
	let eve_creates = batch(vec![create_call(), create_call(), create_call()]);
	let (alice_creates, ferdie_creates) = (create(), create());
	let (a, o, h) = tokio::join!(
		cx.send(&alice_creates, &alice),
		cx.send(&eve_creates, &eve),
		cx.send(&ferdie_creates, &ferdie)
	);
	for (outcome, who) in [(a, "Alice's subnet"), (o, "Eve's subnets"), (h, "Ferdie's subnet")] {
		outcome?.ok(who)?;
	}
	let subnets = cx.node.rpc("agora_subnets", json!([]))?;
	let owned_by = |k: &Keypair| -> Vec<u16> {
		let mut ids: Vec<u16> = subnets
			.as_array()
			.into_iter()
			.flatten()
			.filter(|s| s["owner"] == json!(account(k).to_string()))
			.filter_map(|s| s["netuid"].as_u64().map(|n| n as u16))
			.collect();
		ids.sort_unstable();
		ids
	};
	let (net_a, farm_nets, net_h) = (owned_by(&alice)[0], owned_by(&eve), owned_by(&ferdie)[0]);
	ensure!(farm_nets.len() == 3, "Eve owns {farm_nets:?}");
	let all_nets: Vec<u16> =
		[net_a].into_iter().chain(farm_nets.iter().copied()).chain([net_h]).collect();
	println!("[{:5.1}s] subnets: A={net_a}, farm={farm_nets:?}, honest={net_h}", cx.t());

	// Root's hyperparameters (tempo 10) on all five, in one sudo batch.
	let root_hp = cx
		.send(
			&sudo(call(
				"Utility",
				"batch_all",
				[Value::unnamed_composite(
					all_nets.iter().map(|&n| set_hyperparams(n, Hp::ROOT)).collect::<Vec<_>>(),
				)],
			)),
			&alice,
		)
		.await?
		.ok("sudo set_hyperparams")?;
	let md = cx.chain.api.at_block(cx.best_hash()?).await?.metadata();
	ensure!(root_hp.sudo_error(&md)?.is_none(), "root's hyperparameters refused");

	// Neurons and stake, one batch per coldkey, all in one block. The validator's hotkey is never
	// funded (f); the unstaked neuron gets 1 AGR for the fee of its refused weights (e).
	let register = |net: u16, hot: &Keypair| {
		call("Subnets", "register", [Value::u128(net.into()), acc_value(hot), Value::u128(agr(10))])
	};
	let add_stake = |hot: &Keypair, amount: u128| {
		call("Staking", "add_stake", [acc_value(hot), Value::u128(amount)])
	};
	let charlie_calls = batch(vec![register(net_a, &validator), add_stake(&validator, agr(STAKE))]);
	let dave_calls = batch(vec![register(net_a, &miner), register(net_a, &unstaked)]);
	let mut eve_calls: Vec<Value> = farm_nets.iter().map(|&n| register(n, &farm)).collect();
	eve_calls.push(add_stake(&farm, agr(STAKE)));
	let eve_calls = batch(eve_calls);
	let ferdie_calls = batch(vec![register(net_h, &honest), add_stake(&honest, agr(STAKE))]);
	let fund_unstaked = call(
		"Balances",
		"transfer_keep_alive",
		[Value::unnamed_variant("Id", [acc_value(&unstaked)]), Value::u128(agr(1))],
	);
	let alice_calls = batch(vec![fund_unstaked]);
	let (c, d, e, f, al) = tokio::join!(
		cx.send(&charlie_calls, &charlie),
		cx.send(&dave_calls, &dave),
		cx.send(&eve_calls, &eve),
		cx.send(&ferdie_calls, &ferdie),
		cx.send(&alice_calls, &alice),
	);
	let staked_at = c?.ok("Charlie's validator")?.block;
	d?.ok("Dave's neurons")?;
	e?.ok("Eve's farming hotkey")?;
	f?.ok("Ferdie's validator")?;
	al?.ok("funding the unstaked neuron")?;
	let (uid_v, uid_m, uid_z) = (
		cx.uid(net_a, &validator).await?,
		cx.uid(net_a, &miner).await?,
		cx.uid(net_a, &unstaked).await?,
	);
	println!(
		"[{:5.1}s] block {staked_at}: validator uid {uid_v} staked {STAKE} AGR, miner uid {uid_m}, \
		 unstaked neuron uid {uid_z}; farm hotkey on {farm_nets:?} and honest hotkey on {net_h} \
		 with {STAKE} AGR each",
		cx.t()
	);

	// ---------------------------------------------------------------------------------------
	// b) Take bait-and-switch. Ferdie's hotkey drops its take from the default 18% to 0 to draw
	// nominators, then raises it back to 18% in the next block. Any change arms the 7,200-block
	// TakeRateLimit, so the raise is refused.
	// ---------------------------------------------------------------------------------------
	let set_take = |take: u128| tx("Staking", "set_take", (account(&honest), perbill(take)));
	let lowered = cx.send(&set_take(0), &ferdie).await?.ok("lowering the take to 0")?;
	let raised = cx.send(&set_take(18), &ferdie).await?;
	let err = raised.err("raising the take back to 18%")?;
	println!(
		"[{:5.1}s] b) take lowered to 0% at block {}, raise to 18% at block {}: {err}",
		cx.t(),
		lowered.block,
		raised.block
	);
	ensure!(err == "Staking.TakeRateLimited", "raise refused with {err}");
	ensure!(raised.block <= lowered.block + 2, "the raise came {} blocks later", raised.block);
	let info = cx.node.rpc("agora_stakeInfo", json!([account(&ferdie).to_string()]))?;
	let take = info
		.as_array()
		.and_then(|ps| ps.iter().find(|p| p["hotkey"] == json!(account(&honest).to_string())))
		.map(|p| p["take"].clone());
	ensure!(take == Some(json!(0)), "take after the refused raise: {take:?}");
	println!(
		"    b) nominators who came for 0% pay 0% for at least 7,200 blocks (before: 18% from the \
		 next block on)"
	);

	// ---------------------------------------------------------------------------------------
	// d) An owner halting the chain: tempo 1, 4,096 UIDs and 4,096 validator permits would make
	// every block run a huge epoch. Those are root's; the owner is refused, and even root may not
	// go past the 64 permits the epoch's weight is measured for.
	// ---------------------------------------------------------------------------------------
	let net_o1 = farm_nets[0];
	let owner_tries = [
		("tempo 1", Hp { tempo: 1, ..Hp::ROOT }, "Subnets.RootOnlyHyperparam(Tempo)"),
		("max_uids 4096", Hp { max_uids: 4096, ..Hp::ROOT }, "Subnets.RootOnlyHyperparam(MaxUids)"),
		(
			"max_validators 16 (valid, but root's)",
			Hp { max_validators: 16, ..Hp::ROOT },
			"Subnets.RootOnlyHyperparam(MaxValidators)",
		),
		(
			"activity_cutoff 10",
			Hp { activity_cutoff: 10, ..Hp::ROOT },
			"Subnets.RootOnlyHyperparam(ActivityCutoff)",
		),
		// Whose field it is is checked first: out of bounds or not, an owner is told it is root's.
		(
			"max_validators 4096",
			Hp { max_validators: 4096, ..Hp::ROOT },
			"Subnets.RootOnlyHyperparam(MaxValidators)",
		),
		(
			"max_uids 4096 + max_validators 4096 + tempo 1",
			Hp { tempo: 1, max_uids: 4096, max_validators: 4096, ..Hp::ROOT },
			"Subnets.RootOnlyHyperparam(Tempo)",
		),
	];
	for (what, hp, expected) in owner_tries {
		let out = cx.send(&tx("Subnets", "set_hyperparams", (net_o1, hp.value())), &eve).await?;
		let err = out.err(what)?;
		println!("[{:5.1}s] d) owner sets {what} on subnet {net_o1}: {err}", cx.t());
		ensure!(err == expected, "owner's {what}: {err}, expected {expected}");
	}
	let root_65 = Hp { max_uids: 256, max_validators: 65, ..Hp::ROOT };
	let out = cx.send(&sudo(set_hyperparams(net_o1, root_65)), &alice).await?.ok("sudo")?;
	let err = out.sudo_error(&md)?.ok_or_else(|| anyhow!("root set 65 validator permits"))?;
	println!("[{:5.1}s] d) root sets max_validators 65 (max_uids 256): {err}", cx.t());
	ensure!(err == "Subnets.InvalidHyperparams(MaxValidators)", "root's 65 permits: {err}");
	let hp = &cx.node.rpc("agora_subnet", json!([net_o1]))?["hyperparams"];
	ensure!(
		hp["tempo"] == json!(TEMPO)
			&& hp["max_uids"] == json!(16)
			&& hp["max_validators"] == json!(4),
		"subnet {net_o1}'s hyperparameters changed: {hp}"
	);
	let (b0, f0) = (cx.best()?, cx.node.finalized_number()? as u32);
	let deadline = Instant::now() + Duration::from_secs(15);
	while cx.best()? < b0 + 3 || cx.node.finalized_number()? as u32 <= f0 {
		ensure!(Instant::now() < deadline, "blocks stalled at {b0}: {}", cx.node.log_tail());
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
	println!(
		"    d) hyperparameters unchanged (tempo {TEMPO}, 16 UIDs, 4 permits); blocks {b0} -> {} \
		 still produced and finalized",
		cx.best()?
	);

	// ---------------------------------------------------------------------------------------
	// Subnet A: the validator's permit comes at its second epoch (rule 2), then it weights the
	// miner. f) Its hotkey never received a planck: the weights must go through fee-less.
	// ---------------------------------------------------------------------------------------
	let first = cx.next_epoch(net_a, staked_at).await?;
	let permit_first = cx.stats(net_a, uid_v, cx.hash(first)?).await?.validator_permit;
	let second = cx.next_epoch(net_a, first).await?;
	let permit_second = cx.stats(net_a, uid_v, cx.hash(second)?).await?.validator_permit;
	println!(
		"[{:5.1}s] A: validator staked at block {staked_at}; permit at epoch {first}: \
		 {permit_first}, at epoch {second}: {permit_second}",
		cx.t()
	);
	ensure!(!permit_first, "a validator staked since the last epoch got a permit at once");
	ensure!(permit_second, "no permit at the validator's second epoch");

	let weights = || tx("Subnets", "set_weights", (net_a, vec![uid_m], vec![u16::MAX], 0u64));
	let free_before = cx.chain.free_balance(&account(&validator)).await?;
	let feeless = cx.send(&weights(), &validator).await;
	let feeless_result = match &feeless {
		Ok(out) => match &out.error {
			None => Ok(out.fee),
			Some(e) => Err(format!("dispatch error {e}")),
		},
		Err(e) => Err(e.to_string()),
	};
	let free_after = cx.chain.free_balance(&account(&validator)).await?;
	println!(
		"[{:5.1}s] f) validator hotkey with {} free sets weights: {:?}; free balance after: {}",
		cx.t(),
		fmt_agr(free_before),
		feeless_result,
		fmt_agr(free_after)
	);
	if feeless_result.is_err() {
		// Keep the other attacks running: fund the hotkey and set the weights (which, valid,
		// should cost nothing). f) is judged at the end.
		let to = Value::unnamed_variant("Id", [acc_value(&validator)]);
		let fund = tx("Balances", "transfer_keep_alive", (to, agr(1)));
		cx.send(&fund, &alice).await?.ok("funding the validator hotkey")?;
		let out = cx.send(&weights(), &validator).await?.ok("weights after funding")?;
		let left = cx.chain.free_balance(&account(&validator)).await?;
		println!(
			"    f) funded with 1 AGR, weights at block {}: fee {}, free balance after {}",
			out.block,
			fmt_agr(out.fee),
			fmt_agr(left)
		);
	}

	// The validator is paid twice before the attack, so the pool vests at its steady pace.
	let paid1 = cx.next_epoch(net_a, second).await?;
	let paid2 = cx.next_epoch(net_a, paid1).await?;
	for n in [paid1, paid2] {
		let credit = cx.credited(&validator, n).await?;
		println!("[{:5.1}s] A: epoch {n} credited the validator {credit:?} (amount, take)", cx.t());
		ensure!(credit.is_some(), "the validator was not paid at epoch {n}");
	}

	// ---------------------------------------------------------------------------------------
	// a) Just-in-time staking. Bob stakes 1,000 AGR on the validator one block before A's epoch
	// and takes out all he can one block after. Counted stake is min(now, previous epoch), so his
	// stake decides nothing in the epoch, and the nominators' emission vests over the next tempo
	// blocks: he collects the release of the blocks he held, not the epoch's share.
	// ---------------------------------------------------------------------------------------
	// Submitted as soon as the block two before the epoch is in, it lands one block before.
	// Too late for an epoch (or the epoch is delayed by another subnet's): aim at the next.
	let (prev_epoch, plan) = loop {
		let (best, hash) = cx.best_point()?;
		let last = cx.last_epoch(net_a, hash).await?;
		if best + 2 == last + TEMPO {
			break (last, last + TEMPO);
		}
		tokio::time::sleep(Duration::from_millis(50)).await;
	};
	let stake_in = agr(STAKE);
	let added = cx
		.send(&tx("Staking", "add_stake", (account(&validator), stake_in)), &bob)
		.await?
		.ok("Bob's stake")?;
	let add_hash = cx.hash(added.block)?;
	ensure!(
		cx.last_epoch(net_a, add_hash).await? == prev_epoch,
		"Bob's stake landed at block {} after A's epoch: mistimed",
		added.block
	);
	let pool_add = cx.pool(&validator, add_hash).await?;
	let bob_shares = cx.shares(&validator, &bob, add_hash).await?;
	let epoch = cx.next_epoch(net_a, prev_epoch).await?;
	// Take out everything the position is worth as of the epoch block; what it gains in the
	// block the removal lands in stays behind and is counted below.
	let epoch_hash = cx.hash(epoch)?;
	let pool_epoch = cx.pool(&validator, epoch_hash).await?;
	let out_amount = pool_epoch.settled(cx.best()?).value_of(bob_shares);
	let removed = cx
		.send(&tx("Staking", "remove_stake", (account(&validator), out_amount)), &bob)
		.await?
		.ok("Bob's unstake")?;
	let got: u128 = removed
		.events
		.iter()
		.filter_map(|ev| ev.ok())
		.filter(|ev| ev.pallet_name() == "Staking" && ev.event_name() == "StakeRemoved")
		.filter_map(|ev| ev.decode_fields_unchecked_as::<Removed>().ok())
		.map(|r| r.amount)
		.sum();
	let rem_hash = cx.hash(removed.block)?;
	let left_shares = cx.shares(&validator, &bob, rem_hash).await?;
	let left_value = cx.pool(&validator, rem_hash).await?.value_of(left_shares);
	let profit = (got + left_value) as i128 - stake_in as i128;

	let (credit, take) = cx.credited(&validator, epoch).await?.context("no credit at the epoch")?;
	let nominators = credit - take;
	let shares_at_epoch = cx.shares(&validator, &bob, epoch_hash).await?;
	// Before: the nominators' part was added to the pool at once, Bob's share with it.
	let before = nominators * shares_at_epoch / pool_epoch.shares.max(1);
	// Now: his share of what the pool released while he held (the last block of the previous
	// epoch's vesting, then the first blocks of this one's).
	let r1 = pool_add.released(epoch);
	let vesting = Pool {
		vesting: pool_add.vesting - r1 + nominators,
		vesting_from: epoch,
		vesting_until: pool_add.vesting_until.max(epoch + TEMPO),
		..pool_add
	};
	let r2 = vesting.released(removed.block);
	let bound = (r1 + r2) * bob_shares / pool_add.shares.max(1);
	let held = removed.block - added.block;
	let fees = added.fee + removed.fee;
	println!(
		"[{:5.1}s] a) Bob staked {STAKE} AGR at block {} (epoch due {plan}, ran {epoch}), \
		 unstaked at block {} ({held} blocks held); share of the pool {:.1}%",
		cx.t(),
		added.block,
		removed.block,
		100.0 * bob_shares as f64 / pool_add.shares.max(1) as f64
	);
	println!(
		"    a) epoch {epoch} credited the validator {} ({} take, {} to nominators, vesting over \
		 {TEMPO} blocks)",
		fmt_agr(credit),
		fmt_agr(take),
		fmt_agr(nominators)
	);
	println!(
		"    a) JIT gain BEFORE (paid at once): {}; NOW: {} (got back {} + {} left in), i.e. \
		 {:.1}% of before; bound = his share of {held} blocks of release = {}; fees {}",
		fmt_agr(before),
		fmt_agr(profit.max(0) as u128),
		fmt_agr(got),
		fmt_agr(left_value),
		100.0 * profit as f64 / before.max(1) as f64,
		fmt_agr(bound),
		fmt_agr(fees)
	);
	ensure!(profit <= bound as i128 + 1_000, "JIT profit {profit} above its held release {bound}");
	ensure!(2 * profit < before as i128, "JIT profit {profit} not well below the old {before}");

	// ---------------------------------------------------------------------------------------
	// c) Subnet-split farming. Eve's hotkey (1,000 AGR) validates on her three subnets; Ferdie's
	// (1,000 AGR) on his one. Emission follows each subnet's counted validator stake, a hotkey on
	// k subnets weighing stake/k on each: Eve's three together weigh as much as Ferdie's one.
	// ---------------------------------------------------------------------------------------
	let best_hash = cx.best_hash()?;
	let farm_stake = cx.pool(&farm, best_hash).await?.stake;
	let honest_stake = cx.pool(&honest, best_hash).await?.stake;
	let mut farm_weight = 0;
	for &n in &farm_nets {
		let w = cx.u128_at("Rewards", "SubnetStake", n, best_hash).await?;
		let permit = cx.stats(n, 0, best_hash).await?.validator_permit;
		println!("    c) subnet {n}: SubnetStake {}, farm hotkey permit {permit}", fmt_agr(w));
		ensure!(permit, "the farming hotkey holds no permit on subnet {n}");
		farm_weight += w;
	}
	let honest_weight = cx.u128_at("Rewards", "SubnetStake", net_h, best_hash).await?;
	let a_weight = cx.u128_at("Rewards", "SubnetStake", net_a, best_hash).await?;
	println!(
		"[{:5.1}s] c) farm hotkey stake {} on 3 subnets -> SubnetStake together {} (before: 3 x = \
		 {}); honest {} -> {}; subnet A {}",
		cx.t(),
		fmt_agr(farm_stake),
		fmt_agr(farm_weight),
		fmt_agr(3 * farm_stake),
		fmt_agr(honest_stake),
		fmt_agr(honest_weight),
		fmt_agr(a_weight)
	);
	ensure!(farm_stake == agr(STAKE) && honest_stake == agr(STAKE), "stakes moved");
	ensure!(
		farm_weight <= farm_stake && farm_stake - farm_weight < 3,
		"the farm's subnets weigh {farm_weight}, its stake counted once is {farm_stake}"
	);
	ensure!(honest_weight == honest_stake, "honest subnet weighs {honest_weight}");
	// Accrual in a block in which none of the four ran an epoch.
	let mut n = cx.best()?;
	let (farm_accrued, honest_accrued, block) = loop {
		let (h0, h1) = (cx.hash(n - 1)?, cx.hash(n)?);
		let mut quiet = true;
		for &net in farm_nets.iter().chain([&net_h]) {
			quiet &= cx.last_epoch(net, h0).await? == cx.last_epoch(net, h1).await?;
		}
		if quiet {
			let mut farm_sum = 0;
			for &net in &farm_nets {
				let p0 = cx.u128_at("Rewards", "PendingEmission", net, h0).await?;
				farm_sum += cx.u128_at("Rewards", "PendingEmission", net, h1).await? - p0;
			}
			let p0 = cx.u128_at("Rewards", "PendingEmission", net_h, h0).await?;
			let honest = cx.u128_at("Rewards", "PendingEmission", net_h, h1).await? - p0;
			break (farm_sum, honest, n);
		}
		n -= 1;
		ensure!(n + TEMPO > cx.best()?, "no block without an epoch among the farm's subnets");
	};
	let ratio = farm_accrued as f64 / honest_accrued.max(1) as f64;
	let total = farm_weight + honest_weight + a_weight;
	let before_farm = 3.0 * farm_stake as f64 / (3 * farm_stake + honest_stake + a_weight) as f64;
	let before_honest = honest_stake as f64 / (3 * farm_stake + honest_stake + a_weight) as f64;
	println!(
		"    c) block {block} accrued {} to the farm's 3 subnets and {} to the honest one: \
		 {ratio:.4}:1 (before: 3:1, i.e. {:.3} vs {:.3} AGR of each 1 AGR block; now {:.3} vs \
		 {:.3})",
		fmt_agr(farm_accrued),
		fmt_agr(honest_accrued),
		before_farm,
		before_honest,
		farm_weight as f64 / total as f64,
		honest_weight as f64 / total as f64
	);
	ensure!((ratio - 1.0).abs() < 0.001, "farm:honest accrual {ratio}, expected 1:1");

	// ---------------------------------------------------------------------------------------
	// e) Zero-stake permit. A has 3 neurons and 4 permits, min_validator_stake 0: only "zero
	// stake never holds a permit" keeps the unstaked neuron out. Check each epoch of A seen
	// above (from its first, when it had just registered), then let it try to weight the miner.
	// ---------------------------------------------------------------------------------------
	let epochs = [first, second, paid1, paid2, epoch];
	let mut permits = Vec::new();
	for &e in &epochs {
		let s = cx.stats(net_a, uid_z, cx.hash(e)?).await?;
		permits.push((e, s.validator_permit, s.stake));
	}
	let metagraph = cx.node.rpc("agora_metagraph", json!([net_a]))?;
	let z = &metagraph["neurons"][usize::from(uid_z)];
	println!(
		"[{:5.1}s] e) unstaked neuron over A's epochs {epochs:?}: (block, permit, stake) = \
		 {permits:?}; metagraph now: permit {}, stake {}",
		cx.t(),
		z["validator_permit"],
		fmt_agr(u(&z["stake"]))
	);
	ensure!(permits.iter().all(|(_, p, _)| !p), "a zero-stake neuron held a permit: {permits:?}");
	ensure!(z["validator_permit"] == json!(false) && u(&z["stake"]) == 0, "{z}");
	let zw = tx("Subnets", "set_weights", (net_a, vec![uid_m], vec![u16::MAX], 0u64));
	let out = cx.send(&zw, &unstaked).await?;
	let err = out.err("the unstaked neuron's weights")?;
	println!(
		"    e) its set_weights on the miner: {err}, fee paid {} (before: a permit, its weights \
		 counted)",
		fmt_agr(out.fee)
	);
	ensure!(err == "Subnets.NoValidatorPermit", "unstaked neuron's weights: {err}");
	ensure!(out.fee > 0, "refused weights paid no fee");

	// ---------------------------------------------------------------------------------------
	// f) Fee-less weights, judged now that the other attacks have run.
	// ---------------------------------------------------------------------------------------
	println!(
		"[{:5.1}s] f) zero-balance validator hotkey's set_weights: {feeless_result:?}",
		cx.t()
	);
	let fee = feeless_result.map_err(|e| {
		anyhow!("a registered validator hotkey with zero balance could not set weights: {e}")
	})?;
	ensure!(fee == 0 && free_after == 0, "fee-less weights cost {fee} (free balance {free_after})");

	payment_channel_attacks(&cx, &eve, &ferdie, &bob).await?;

	println!("[{:5.1}s] all attacks played; wall time {:?}", cx.t(), start.elapsed());
	Ok(())
}

/// g) Payment channels: `consumer` opens a channel to `provider` and signs a voucher for 3 AGR;
/// the provider claims it, then tries to replay it, to claim beyond the deposit, and to claim
/// a voucher it signed itself; `stranger` tries to close the channel; the consumer tries to close
/// before the expiry, then closes after it and gets back exactly what was not claimed.
async fn payment_channel_attacks(
	cx: &Ctx,
	consumer: &Keypair,
	provider: &Keypair,
	stranger: &Keypair,
) -> Result<()> {
	let deposit = agr(10);
	let expires_at = cx.best()? + 12;
	let open = tx("Payments", "open", (acc_value(provider), deposit, expires_at));
	let opened = cx.send(&open, consumer).await?.ok("opening a channel")?;
	let event = opened
		.events
		.iter()
		.filter_map(|e| e.ok())
		.find(|e| e.pallet_name() == "Payments" && e.event_name() == "ChannelOpened")
		.context("no ChannelOpened event")?;
	let fields: Value = event.decode_fields_unchecked_as()?;
	let id = first_field(&fields).and_then(|v| v.as_u128()).context("no channel id")? as u64;
	let genesis = cx.hash(0)?;
	let voucher = |amount: u128, signer: &Keypair| {
		let mut payload = b"agora/voucher/1".to_vec();
		payload.extend(genesis.0);
		payload.extend(id.to_le_bytes());
		payload.extend(amount.to_le_bytes());
		let signature =
			Value::unnamed_variant("Sr25519", [Value::from_bytes(signer.sign(&payload).0)]);
		tx("Payments", "claim", (id, amount, signature))
	};
	let before = cx.chain.free_balance(&account(provider)).await?;
	let claimed = cx.send(&voucher(agr(3), consumer), provider).await?.ok("the honest claim")?;
	let after = cx.chain.free_balance(&account(provider)).await?;
	let replay = cx.send(&voucher(agr(3), consumer), provider).await?.err("a replayed voucher")?;
	let beyond = cx.send(&voucher(agr(11), consumer), provider).await?.err("an over-claim")?;
	let forged = cx.send(&voucher(agr(5), provider), provider).await?.err("a forged voucher")?;
	let closed_by_stranger =
		cx.send(&tx("Payments", "close", (id,)), stranger).await?.err("a stranger's close")?;
	let early = cx.send(&tx("Payments", "close", (id,)), consumer).await?.err("an early close")?;
	println!(
		"[{:5.1}s] g) channel {id}: claim of 3 AGR paid {} (fee {}); replay: {replay}; 11 AGR: \
		 {beyond}; self-signed: {forged}; stranger's close: {closed_by_stranger}; consumer's \
		 close before expiry: {early}",
		cx.t(),
		fmt_agr(after + claimed.fee - before),
		fmt_agr(claimed.fee)
	);
	ensure!(
		after + claimed.fee - before == agr(3),
		"the claim paid {}",
		after + claimed.fee - before
	);
	ensure!(replay == "Payments.StaleVoucher", "replay: {replay}");
	ensure!(beyond == "Payments.AmountExceedsDeposit", "over-claim: {beyond}");
	ensure!(forged == "Payments.InvalidSignature", "forged: {forged}");
	ensure!(closed_by_stranger == "Payments.NotConsumer", "stranger: {closed_by_stranger}");
	ensure!(early == "Payments.NotExpired", "early close: {early}");
	while cx.best()? < expires_at {
		tokio::time::sleep(Duration::from_millis(300)).await;
	}
	let before = cx.chain.free_balance(&account(consumer)).await?;
	let closed = cx.send(&tx("Payments", "close", (id,)), consumer).await?.ok("the close")?;
	let refunded = cx.chain.free_balance(&account(consumer)).await? + closed.fee - before;
	println!("    g) closed after expiry: {} refunded to the consumer", fmt_agr(refunded));
	ensure!(refunded == deposit - agr(3), "refunded {refunded}");
	Ok(())
}
