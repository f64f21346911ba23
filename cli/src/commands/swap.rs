//! `agora wallet swap-hotkey` and `agora wallet swap-coldkey` (issue 13): move a neuron to a
//! fresh hotkey at once, or everything of a coldkey to a fresh coldkey after an announced,
//! disputable delay (docs/keys.md).
//!
//! Every refusal the chain would make that the client can foresee is made before signing (exit
//! 1, nothing sent), named: not the owner, the same key, a new key in use, the hotkey-swap rate
//! limit, payouts still being credited, a swap already announced, too early, disputed, a
//! dispute too late, nothing to dispute; the cost, fee and existential deposit are checked as
//! for every spend. The hotkey swap leaves the wallet's keyfiles as they are: the neuron now
//! signs with the new hotkey, and the output says which name and address to run it with.

use agora_client::{
	amount::format_agr,
	chain::calls,
	swap::{ColdkeyFreeze, ColdkeySwap, ColdkeySwapStage},
	AccountId32, Client,
};
use agora_primitives::{BlockNumber, NetUid, Uid};
use clap::{ArgGroup, Args, Subcommand};
use serde_json::{json, Value};
use subxt::ext::codec::{Decode, Encode};

use crate::{
	account::{parse_address, WalletArg},
	output::{agr, Out},
	Ctx, Failure, Result,
};

#[derive(Args)]
#[command(group(ArgGroup::new("new").required(true).args(["new_hotkey", "new_hotkey_ss58"])))]
pub(crate) struct SwapHotkeyArgs {
	#[command(flatten)]
	wallet: WalletArg,
	/// The hotkey to retire: the name of one of the wallet's hotkeys, or its SS58 address.
	#[arg(long)]
	hotkey: String,
	/// The fresh hotkey, by its name in the wallet (create it first with `agora wallet
	/// new-hotkey`).
	#[arg(long)]
	new_hotkey: Option<String>,
	/// Or the fresh hotkey's SS58 address (a hotkey kept elsewhere).
	#[arg(long)]
	new_hotkey_ss58: Option<String>,
}

#[derive(Subcommand)]
pub(crate) enum SwapColdkeyCmd {
	/// Announce a swap of everything the wallet's coldkey holds to a fresh coldkey: it becomes
	/// executable after `Staking.ColdkeySwapDelay` blocks (burns `ColdkeySwapCost`; the stake
	/// is frozen meanwhile).
	Announce {
		#[command(flatten)]
		wallet: WalletArg,
		/// The coldkey to get everything (SS58): it must own no hotkey and hold no stake.
		#[arg(long)]
		new_coldkey: String,
	},
	/// Cancel the wallet's announced swap within its delay, if it is not disputed: nothing
	/// moves, the destination is free again, the cost stays burnt; the coldkey stays frozen
	/// until the cancelled swap's executable block.
	Cancel {
		#[command(flatten)]
		wallet: WalletArg,
	},
	/// Dispute the wallet's announced swap before its delay ends: it then waits for a
	/// referendum (`Staking.resolve_coldkey_swap`, Root).
	Dispute {
		#[command(flatten)]
		wallet: WalletArg,
	},
	/// Execute an announced swap once its delay has passed (any wallet may, paying the fee).
	Execute {
		/// The old coldkey (SS58).
		#[arg(long)]
		old: String,
		#[command(flatten)]
		wallet: WalletArg,
	},
	/// Where a coldkey's announced swap stands: announced, disputed or executable, and when.
	Status(StatusArgs),
	/// Resolve an announced swap as Root: let it go ahead (`--to`) or drop it (`--drop`),
	/// proposed as a referendum (`--referendum`) or, on a dev chain, through sudo (`--sudo`).
	Resolve(ResolveArgs),
}

#[derive(Args)]
#[command(group(ArgGroup::new("who").required(true).args(["wallet", "address"])))]
pub(crate) struct StatusArgs {
	/// The wallet whose coldkey to look at.
	#[arg(long, short = 'w')]
	wallet: Option<String>,
	/// Or the coldkey's SS58 address.
	#[arg(long)]
	address: Option<String>,
	/// For a disputed swap: also print the call letting it go ahead to this coldkey instead of
	/// the announced one (SS58).
	#[arg(long, value_name = "SS58")]
	resolve_to: Option<String>,
}

#[derive(Args)]
#[command(group(ArgGroup::new("outcome").required(true).args(["to", "drop"])))]
#[command(group(ArgGroup::new("how").required(true).args(["referendum", "sudo"])))]
pub(crate) struct ResolveArgs {
	#[command(flatten)]
	wallet: WalletArg,
	/// The old coldkey (SS58).
	#[arg(long)]
	old: String,
	/// Let the swap go ahead to this coldkey (the announced one, or another fresh one).
	#[arg(long, value_name = "SS58")]
	to: Option<String>,
	/// Drop the swap: nothing moves and the stake is no longer frozen.
	#[arg(long)]
	drop: bool,
	/// Propose it as a referendum on the `root` track (as `agora gov propose`).
	#[arg(long)]
	referendum: bool,
	/// Submit it through `Sudo.sudo`, signed by the chain's sudo key (dev chains).
	#[arg(long)]
	sudo: bool,
}

/// `agora wallet swap-hotkey`.
pub(crate) async fn swap_hotkey(ctx: &Ctx, out: &Out, args: SwapHotkeyArgs) -> Result<()> {
	let wallet = ctx.wallet(&args.wallet.wallet)?;
	let me = parse_address(&wallet.coldkey_public()?.ss58)?;
	let old = ctx.hotkey_address(&args.wallet, &args.hotkey)?;
	// The old hotkey's name in the wallet, if it is one of its hotkeys.
	let old_name =
		wallet.hotkeys()?.into_iter().find(|h| h.ss58 == old.to_string()).map(|h| h.name);
	let new = match (&args.new_hotkey, &args.new_hotkey_ss58) {
		(Some(name), _) => {
			let public = wallet.hotkey_public(name).map_err(|_| {
				Failure::usage(format!(
					"wallet `{}` has no hotkey `{name}`: create it first with `agora wallet \
					 new-hotkey -w {} --hotkey {name}` (or pass --new-hotkey-ss58)",
					wallet.name, wallet.name
				))
			})?;
			parse_address(&public.ss58)?
		},
		(None, Some(ss58)) => parse_address(ss58)?,
		(None, None) => return Err(Failure::usage("pass --new-hotkey or --new-hotkey-ss58")),
	};
	if old == new {
		return Err(Failure::refused(format!("same key: the new hotkey is the old one ({old})")));
	}
	let client = ctx.client().await?;
	match client.hotkey_owner(&old).await? {
		None => {
			return Err(Failure::refused(format!(
				"not the owner: {old} is not registered (no coldkey owns it), there is nothing \
				 to swap"
			)))
		},
		Some(owner) if owner != me => {
			return Err(Failure::refused(format!(
				"not the owner: {old} is owned by {owner}, not by {me} (wallet `{}`)",
				wallet.name
			)))
		},
		Some(_) => {},
	}
	ensure_not_frozen(&client, &me, "swapping a hotkey").await?;
	let netuids: Vec<NetUid> = client.subnets().await?.iter().map(|s| s.netuid).collect();
	let (new_owner, new_stake, new_uids, held, last, consts, best) = tokio::try_join!(
		client.hotkey_owner(&new),
		client.hotkey_has_stake(&new),
		client.uids_of(&new, &netuids),
		client.uids_of(&old, &netuids),
		client.last_key_swap(&me),
		client.swap_constants(),
		client.best_block_number(),
	)?;
	let mut in_use = Vec::new();
	if let Some(owner) = new_owner {
		in_use.push(format!("owned by {owner}"));
	}
	if new_stake {
		in_use.push("holds stake".to_string());
	}
	for (netuid, uid) in &new_uids {
		in_use.push(format!("holds UID {uid} on subnet {netuid}"));
	}
	if !in_use.is_empty() {
		return Err(Failure::refused(format!(
			"new hotkey in use: {new} {}; swap onto a fresh hotkey (`agora wallet new-hotkey`)",
			in_use.join(", ")
		)));
	}
	// The transaction lands in the next block at the earliest.
	let next = block(best + 1);
	if let Some(at) = last {
		let allowed = at.saturating_add(consts.key_swap_rate_limit);
		if next < allowed {
			return Err(Failure::refused(format!(
				"rate limited: {me} swapped a hotkey at block {at}; a coldkey may swap once per \
				 {} blocks, so the next swap is allowed from block {allowed} ({} blocks after \
				 the best block {best})",
				consts.key_swap_rate_limit,
				u64::from(allowed) - best
			)));
		}
	}
	let held_netuids: Vec<NetUid> = held.iter().map(|(n, _)| *n).collect();
	let queued = client.payouts_queued(&held_netuids).await?;
	if !queued.is_empty() {
		return Err(Failure::refused(format!(
			"payouts queued: subnet(s) {} of {old} are still crediting their last epoch's \
			 payouts (a few blocks at most); retry in a few blocks",
			list(&queued)
		)));
	}
	let nominators = client.nominator_count(&old).await?;
	let signer = ctx.coldkey(&args.wallet)?;
	let call = calls::swap_hotkey(&old, &new, nominators);
	let cost = consts.key_swap_cost;
	let r = ctx.submit(&client, out, "the hotkey swap", &call, &signer, cost).await?;

	let new_name = args.new_hotkey.clone();
	let run_with = match &new_name {
		Some(name) => format!("`--wallet {} --hotkey {name}` ({new})", wallet.name),
		None => format!("the hotkey {new} (import it with `agora wallet regen --hotkey NAME`)"),
	};
	let old_label = match &old_name {
		Some(name) => format!("hotkey `{name}` ({old})"),
		None => format!("hotkey {old}"),
	};
	let summary = format!(
		"swapped {old_label} for {new}: {} moved with its stake pool ({nominators} nominator(s)) \
		 and take; {} AGR burnt. Run the miner or validator with {run_with}: {old_label} no \
		 longer signs for the neuron (its keyfile is kept, unchanged)",
		if held.is_empty() {
			"no UID".to_string()
		} else {
			held.iter()
				.map(|(n, u)| format!("UID {u} on subnet {n}"))
				.collect::<Vec<_>>()
				.join(", ")
		},
		format_agr(cost),
	);
	out.receipt_with(
		&r,
		&summary,
		json!({
			"old_hotkey": { "name": old_name, "ss58": old.to_string() },
			"new_hotkey": { "name": new_name, "ss58": new.to_string() },
			"uids": uids_json(&held),
			"nominators": nominators,
			"cost": agr(cost),
			"run_with": { "wallet": wallet.name, "hotkey": new_name, "ss58": new.to_string() },
		}),
	);
	Ok(())
}

pub(crate) async fn swap_coldkey(ctx: &Ctx, out: &Out, cmd: SwapColdkeyCmd) -> Result<()> {
	match cmd {
		SwapColdkeyCmd::Announce { wallet, new_coldkey } => {
			announce(ctx, out, wallet, &new_coldkey).await
		},
		SwapColdkeyCmd::Cancel { wallet } => cancel(ctx, out, wallet).await,
		SwapColdkeyCmd::Dispute { wallet } => dispute(ctx, out, wallet).await,
		SwapColdkeyCmd::Execute { old, wallet } => execute(ctx, out, &old, wallet).await,
		SwapColdkeyCmd::Status(args) => status(ctx, out, args).await,
		SwapColdkeyCmd::Resolve(args) => resolve(ctx, out, args).await,
	}
}

async fn announce(ctx: &Ctx, out: &Out, wallet: WalletArg, new: &str) -> Result<()> {
	let new = parse_address(new)?;
	let me = parse_address(&ctx.wallet(&wallet.wallet)?.coldkey_public()?.ss58)?;
	if new == me {
		return Err(Failure::refused(format!("to itself: {me} cannot swap to itself")));
	}
	let client = ctx.client().await?;
	if let Some(swap) = client.coldkey_swap(&me).await? {
		return Err(Failure::refused(format!(
			"already announced: {me} has a {} swap to {} (announced at block {}); execute or \
			 resolve it first (`agora wallet swap-coldkey status --address {me}`)",
			if swap.disputed { "disputed" } else { "pending" },
			swap.new,
			swap.announced_at
		)));
	}
	let (reserved_new, reserved_me, new_swap) = tokio::try_join!(
		client.reserved_for(&new),
		client.reserved_for(&me),
		client.coldkey_swap(&new),
	)?;
	if let Some(other) = reserved_new {
		return Err(Failure::refused(format!(
			"destination reserved: {new} is the destination of {other}'s pending coldkey swap; \
			 choose another fresh coldkey (only a referendum may take it from that swap)"
		)));
	}
	if let Some(other) = reserved_me {
		return Err(Failure::refused(format!(
			"swaps do not chain: {me} is the destination of {other}'s pending coldkey swap; \
			 wait until it executes or is dropped"
		)));
	}
	if let Some(swap) = new_swap {
		return Err(Failure::refused(format!(
			"swaps do not chain: {new} has announced a coldkey swap of its own (to {}); swap to \
			 a fresh coldkey",
			swap.new
		)));
	}
	if client.coldkey_in_use(&new).await? {
		return Err(Failure::refused(format!(
			"new coldkey in use: {new} owns hotkeys or holds stake; swap to a fresh coldkey (a \
			 swap neither takes over nor merges)"
		)));
	}
	let consts = client.swap_constants().await?;
	let signer = ctx.coldkey(&wallet)?;
	let call = calls::announce_coldkey_swap(&new);
	let cost = consts.coldkey_swap_cost;
	let r = ctx.submit(&client, out, "the coldkey swap announcement", &call, &signer, cost).await?;
	let executable_at = r
		.events
		.iter()
		.find(|e| e.pallet == "Staking" && e.name == "ColdkeySwapAnnounced")
		.and_then(|e| <([u8; 32], [u8; 32], BlockNumber)>::decode(&mut &e.field_bytes[..]).ok())
		.map(|(_, _, at)| at)
		.ok_or_else(|| Failure {
			code: 1,
			message: "announced, but no Staking.ColdkeySwapAnnounced event says when it executes"
				.into(),
		})?;
	let summary = format!(
		"announced: everything of {me} (stake positions, hotkeys, subnets, free AGR) goes to \
		 {new} once executed, from block {executable_at} on, by anyone (`agora wallet \
		 swap-coldkey execute --old {me}`). Until then {me} may dispute it (`agora wallet \
		 swap-coldkey dispute`): a disputed swap waits for a referendum. {me}'s stake is frozen \
		 meanwhile; its free AGR is not. {} AGR burnt",
		format_agr(cost)
	);
	out.receipt_with(
		&r,
		&summary,
		json!({
			"old_coldkey": me.to_string(),
			"new_coldkey": new.to_string(),
			"executable_at": executable_at,
			"cost": agr(cost),
		}),
	);
	Ok(())
}

async fn cancel(ctx: &Ctx, out: &Out, wallet: WalletArg) -> Result<()> {
	let me = parse_address(&ctx.wallet(&wallet.wallet)?.coldkey_public()?.ss58)?;
	let client = ctx.client().await?;
	let (swap, best, consts) = tokio::try_join!(
		client.coldkey_swap(&me),
		client.best_block_number(),
		client.swap_constants()
	)?;
	let Some(swap) = swap else {
		return Err(Failure::refused(format!(
			"nothing to cancel: {me} has no announced coldkey swap"
		)));
	};
	if swap.disputed {
		return Err(Failure::refused(format!(
			"disputed: the swap of {me} to {} waits for a referendum, which alone may drop it \
			 (`agora wallet swap-coldkey resolve --old {me} --drop --referendum`)",
			swap.new
		)));
	}
	if block(best + 1) >= swap.executable_at {
		// Root's approval makes a swap executable at once, before its delay would end.
		let approved =
			swap.executable_at < swap.announced_at.saturating_add(consts.coldkey_swap_delay);
		return Err(Failure::refused(if approved {
			format!(
				"approved by Root: the swap of {me} to {} is executable since block {}; it can \
				 no longer be cancelled (anyone may execute it: `agora wallet swap-coldkey \
				 execute --old {me}`)",
				swap.new, swap.executable_at
			)
		} else {
			format!(
				"cancel too late: the swap of {me} to {} is executable since block {} (a cancel \
				 must land before it); only a referendum can still drop or redirect it",
				swap.new, swap.executable_at
			)
		}));
	}
	let signer = ctx.coldkey(&wallet)?;
	let call = calls::cancel_coldkey_swap();
	let r = ctx.submit(&client, out, "the cancellation", &call, &signer, 0).await?;
	let frozen_until = r
		.events
		.iter()
		.find(|e| e.pallet == "Staking" && e.name == "ColdkeySwapCancelled")
		.and_then(|e| <([u8; 32], [u8; 32], BlockNumber)>::decode(&mut &e.field_bytes[..]).ok())
		.map(|(_, _, until)| until)
		.ok_or_else(|| Failure {
			code: 1,
			message: "cancelled, but no Staking.ColdkeySwapCancelled event says until when the \
			          coldkey stays frozen"
				.into(),
		})?;
	let summary = format!(
		"cancelled: the swap of {me} to {} is dropped (its cost stays burnt) and {} is free \
		 again. {me} stays frozen until block {frozen_until} (no staking, unstaking, moving \
		 stake, setting a take, registering or swapping a hotkey); it may announce a new swap \
		 meanwhile",
		swap.new, swap.new
	);
	out.receipt_with(
		&r,
		&summary,
		json!({
			"old_coldkey": me.to_string(),
			"new_coldkey": swap.new.to_string(),
			"frozen_until": frozen_until,
		}),
	);
	Ok(())
}

async fn dispute(ctx: &Ctx, out: &Out, wallet: WalletArg) -> Result<()> {
	let me = parse_address(&ctx.wallet(&wallet.wallet)?.coldkey_public()?.ss58)?;
	let client = ctx.client().await?;
	let (swap, best) = tokio::try_join!(client.coldkey_swap(&me), client.best_block_number())?;
	let Some(swap) = swap else {
		return Err(Failure::refused(format!(
			"nothing to dispute: {me} has no announced coldkey swap"
		)));
	};
	if swap.disputed {
		return Err(Failure::refused(format!(
			"already disputed: the swap of {me} to {} waits for a referendum",
			swap.new
		)));
	}
	if block(best + 1) >= swap.executable_at {
		return Err(Failure::refused(format!(
			"dispute too late: the swap of {me} to {} is executable since block {} (a dispute \
			 must land before it); only a referendum can still drop or redirect it",
			swap.new, swap.executable_at
		)));
	}
	let signer = ctx.coldkey(&wallet)?;
	let call = calls::dispute_coldkey_swap();
	let r = ctx.submit(&client, out, "the dispute", &call, &signer, 0).await?;
	let hexes = resolve_calls(&client, &me, &swap, None).await?;
	let summary = format!(
		"disputed: the swap of {me} to {} no longer executes on its own; it waits for a \
		 referendum on Staking.resolve_coldkey_swap (Root), which lets it go ahead (possibly to \
		 another fresh coldkey) or drops it. Propose one with `agora wallet swap-coldkey resolve \
		 --old {me} --to SS58|--drop --referendum`, or `agora gov propose --call-hex` with a call \
		 from `agora wallet swap-coldkey status --address {me}`",
		swap.new
	);
	out.receipt_with(
		&r,
		&summary,
		json!({ "old_coldkey": me.to_string(), "new_coldkey": swap.new.to_string(), "resolve": hexes }),
	);
	Ok(())
}

async fn execute(ctx: &Ctx, out: &Out, old: &str, wallet: WalletArg) -> Result<()> {
	let old = parse_address(old)?;
	let client = ctx.client().await?;
	let (swap, best) = tokio::try_join!(client.coldkey_swap(&old), client.best_block_number())?;
	let Some(swap) = swap else {
		return Err(Failure::refused(format!("no swap: {old} has no announced coldkey swap")));
	};
	let next = block(best + 1);
	match swap.stage(next) {
		ColdkeySwapStage::Disputed => {
			return Err(Failure::refused(format!(
				"disputed: the swap of {old} to {} waits for a referendum on \
				 Staking.resolve_coldkey_swap (see `agora wallet swap-coldkey status --address \
				 {old}`)",
				swap.new
			)))
		},
		ColdkeySwapStage::Announced => {
			return Err(Failure::refused(format!(
				"too early: the swap of {old} to {} is executable from block {} ({} blocks after \
				 the best block {best})",
				swap.new,
				swap.executable_at,
				u64::from(swap.executable_at) - best
			)))
		},
		ColdkeySwapStage::Executable => {},
	}
	let (hotkeys, positions, new_in_use) = tokio::try_join!(
		client.owned_hotkeys(&old),
		client.positions(&old),
		client.coldkey_in_use(&swap.new),
	)?;
	if new_in_use {
		return Err(Failure::refused(format!(
			"new coldkey in use: {} took hotkeys or stake since the announcement; the chain \
			 would refuse (Staking.ColdkeyInUse): a referendum may redirect or drop the swap \
			 (`agora wallet swap-coldkey resolve`)",
			swap.new
		)));
	}
	let (hotkeys, positions) = (count(hotkeys.len())?, count(positions.len())?);
	let signer = ctx.coldkey(&wallet)?;
	let call = calls::execute_coldkey_swap(&old, hotkeys, positions);
	let r = ctx.submit(&client, out, "the coldkey swap", &call, &signer, 0).await?;
	let moved = r
		.events
		.iter()
		.find(|e| e.pallet == "Staking" && e.name == "ColdkeySwapExecuted")
		.and_then(|e| <([u8; 32], [u8; 32], u32, u32, u128)>::decode(&mut &e.field_bytes[..]).ok())
		.map(|(_, _, h, p, b)| (h, p, b))
		.ok_or_else(|| Failure {
			code: 1,
			message: "executed, but no Staking.ColdkeySwapExecuted event says what moved".into(),
		})?;
	let summary = format!(
		"executed: {} now holds what {old} held: {} hotkey(s), {} stake position(s), {} AGR",
		swap.new,
		moved.0,
		moved.1,
		format_agr(moved.2)
	);
	out.receipt_with(
		&r,
		&summary,
		json!({
			"old_coldkey": old.to_string(),
			"new_coldkey": swap.new.to_string(),
			"hotkeys": moved.0,
			"positions": moved.1,
			"balance": agr(moved.2),
		}),
	);
	Ok(())
}

async fn status(ctx: &Ctx, out: &Out, args: StatusArgs) -> Result<()> {
	let who = match (&args.address, &args.wallet) {
		(Some(a), _) => parse_address(a)?,
		(None, Some(w)) => parse_address(&ctx.wallet(w)?.coldkey_public()?.ss58)?,
		(None, None) => return Err(Failure::usage("pass --address SS58 or -w WALLET")),
	};
	let resolve_to = args.resolve_to.as_deref().map(parse_address).transpose()?;
	let client = ctx.client().await?;
	let (swap, best, until, reserved) = tokio::try_join!(
		client.coldkey_swap(&who),
		client.best_block_number(),
		client.frozen_until(&who),
		client.reserved_for(&who),
	)?;
	// A past `FrozenUntil` means nothing: the coldkey is no longer frozen by it.
	let frozen_until = until.filter(|until| block(best + 1) < *until);
	let mut notes = String::new();
	if let Some(until) = frozen_until {
		notes.push_str(&format!(
			"\n{who} cancelled a coldkey swap: it stays frozen until block {until} ({} blocks \
			 left)",
			u64::from(until).saturating_sub(best + 1)
		));
	}
	if let Some(old) = &reserved {
		notes.push_str(&format!(
			"\n{who} is reserved as the destination of {old}'s pending coldkey swap: it may not \
			 announce a swap of its own, nor be another swap's destination"
		));
	}
	let Some(swap) = swap else {
		out.value(
			json!({
				"address": who.to_string(),
				"best_block": best,
				"swap": null,
				"frozen_until": frozen_until,
				"reserved_for": reserved.map(|old| old.to_string()),
			}),
			|| format!("{who} has no announced coldkey swap (best block {best}){notes}"),
		);
		return Ok(());
	};
	let stage = swap.stage(block(best + 1));
	let blocks_left = u64::from(swap.executable_at).saturating_sub(best + 1);
	let resolve = match stage {
		ColdkeySwapStage::Disputed => Some(resolve_calls(&client, &who, &swap, resolve_to).await?),
		_ => None,
	};
	let text = match stage {
		ColdkeySwapStage::Announced => format!(
			"announced: {who} swaps to {} (announced at block {}), executable at block {} ({} \
			 blocks left, best block {best}); until then {who} may dispute it. Its stake is \
			 frozen meanwhile",
			swap.new, swap.announced_at, swap.executable_at, blocks_left
		),
		ColdkeySwapStage::Executable => format!(
			"executable: the swap of {who} to {} (announced at block {}) is executable since \
			 block {}: anyone may run `agora wallet swap-coldkey execute --old {who}`",
			swap.new, swap.announced_at, swap.executable_at
		),
		ColdkeySwapStage::Disputed => {
			let mut text = format!(
				"disputed: the swap of {who} to {} (announced at block {}) waits for a \
				 referendum on Staking.resolve_coldkey_swap (Root). Propose one of these calls \
				 with `agora gov propose -w WALLET --call-hex 0x…` (or `agora wallet \
				 swap-coldkey resolve --referendum`):",
				swap.new, swap.announced_at
			);
			for (what, call) in resolve.iter().flat_map(|r| r.as_object()).flatten() {
				let to = call["to"].as_str().map(|to| format!(" (to {to})")).unwrap_or_default();
				let hex = call["call_hex"].as_str().unwrap_or_default();
				text.push_str(&format!("\n  {what}{to}: {hex}"));
			}
			text
		},
	};
	out.value(
		json!({
			"address": who.to_string(),
			"best_block": best,
			"swap": {
				"status": stage.name(),
				"new_coldkey": swap.new.to_string(),
				"announced_at": swap.announced_at,
				"executable_at": swap.executable_at,
				"disputed": swap.disputed,
				"blocks_left": blocks_left,
				"resolve": resolve,
			},
			"frozen_until": frozen_until,
			"reserved_for": reserved.map(|old| old.to_string()),
		}),
		|| format!("{text}{notes}"),
	);
	Ok(())
}

async fn resolve(ctx: &Ctx, out: &Out, args: ResolveArgs) -> Result<()> {
	let old = parse_address(&args.old)?;
	let to = args.to.as_deref().map(parse_address).transpose()?;
	let client = ctx.client().await?;
	if client.coldkey_swap(&old).await?.is_none() {
		return Err(Failure::refused(format!("no swap: {old} has no announced coldkey swap")));
	}
	if let Some(to) = &to {
		if to == &old {
			return Err(Failure::refused(format!("to itself: {old} cannot swap to itself")));
		}
		if client.coldkey_in_use(to).await? {
			return Err(Failure::refused(format!(
				"new coldkey in use: {to} owns hotkeys or holds stake; name a fresh coldkey"
			)));
		}
	}
	let outcome = match &to {
		Some(to) => format!("lets the swap of {old} go ahead to {to}"),
		None => format!("drops the swap of {old}"),
	};
	let signer = ctx.coldkey(&args.wallet)?;
	if args.referendum {
		let call = client.call_data(&calls::resolve_coldkey_swap(&old, to.as_ref())).await?;
		return super::gov::propose(ctx, out, &client, &signer, call, true).await;
	}
	let arguments = (old.0, to.map(|t| t.0)).encode();
	let call = client.sudo("Staking", "resolve_coldkey_swap", &arguments).await?;
	let r = ctx.submit(&client, out, "the resolution (sudo)", &call, &signer, 0).await?;
	// `Sudid { sudo_result }`: a `Result` whose first byte is 0 for `Ok`.
	let failed = r
		.events
		.iter()
		.find(|e| e.pallet == "Sudo" && e.name == "Sudid")
		.is_none_or(|e| e.field_bytes.first() != Some(&0));
	if failed {
		let events: Vec<String> =
			r.events.iter().map(|e| format!("{}.{} {}", e.pallet, e.name, e.fields)).collect();
		return Err(Failure {
			code: 1,
			message: format!("sudo dispatched the resolution but it failed: {}", events.join("; ")),
		});
	}
	out.receipt(&r, &format!("Root {outcome} (through sudo)"));
	Ok(())
}

/// The encoded `Staking.resolve_coldkey_swap` calls a referendum on a disputed swap may carry,
/// in hex: letting it go ahead to the announced coldkey (`approve`), to `to` instead
/// (`redirect`, when given), or dropping it (`drop`).
async fn resolve_calls(
	client: &Client,
	old: &AccountId32,
	swap: &ColdkeySwap,
	to: Option<AccountId32>,
) -> Result<Value> {
	let hex = |bytes: Vec<u8>| format!("0x{}", hex_encode(&bytes));
	let approve = client.call_data(&calls::resolve_coldkey_swap(old, Some(&swap.new))).await?;
	let drop = client.call_data(&calls::resolve_coldkey_swap(old, None)).await?;
	let mut calls_hex = json!({
		"approve": { "to": swap.new.to_string(), "call_hex": hex(approve) },
		"drop": { "call_hex": hex(drop) },
	});
	if let Some(to) = to.filter(|to| to != &swap.new) {
		let redirect = client.call_data(&calls::resolve_coldkey_swap(old, Some(&to))).await?;
		calls_hex["redirect"] = json!({ "to": to.to_string(), "call_hex": hex(redirect) });
	}
	Ok(calls_hex)
}

/// Refuses, before signing, `what` (a call the runtime refuses with `ColdkeySwapPending`) while
/// a coldkey swap freezes `coldkey` ([`Client::coldkey_frozen`], the runtime's rule): `stake
/// add`, `remove` and `move`, `subnet register` and `wallet swap-hotkey` call it.
pub(crate) async fn ensure_not_frozen(
	client: &Client,
	coldkey: &AccountId32,
	what: &str,
) -> Result<()> {
	match client.coldkey_frozen(coldkey).await? {
		None => Ok(()),
		Some(ColdkeyFreeze::Swap(swap)) => Err(Failure::refused(format!(
			"coldkey frozen: {coldkey} has a {} coldkey swap to {} (announced at block {}); {what} \
			 is refused until it executes or is dropped (`agora wallet swap-coldkey status \
			 --address {coldkey}`)",
			if swap.disputed { "disputed" } else { "pending" },
			swap.new,
			swap.announced_at
		))),
		Some(ColdkeyFreeze::Until(until)) => Err(Failure::refused(format!(
			"coldkey frozen: {coldkey} cancelled a coldkey swap and stays frozen until block \
			 {until}; {what} is refused until then"
		))),
	}
}

fn hex_encode(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A block number as the runtime counts them.
fn block(n: u64) -> BlockNumber {
	BlockNumber::try_from(n).unwrap_or(BlockNumber::MAX)
}

/// A witness count.
fn count(n: usize) -> Result<u32> {
	u32::try_from(n).map_err(|_| Failure::refused("more than 2^32 hotkeys or positions"))
}

fn list(netuids: &[NetUid]) -> String {
	netuids.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", ")
}

fn uids_json(held: &[(NetUid, Uid)]) -> Value {
	json!(held
		.iter()
		.map(|(netuid, uid)| json!({ "netuid": netuid, "uid": uid }))
		.collect::<Vec<_>>())
}
