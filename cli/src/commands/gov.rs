//! `agora gov`: on-chain governance (issue 13). List referenda, propose a call to be dispatched
//! as `Root` (a referendum on the `root` track), vote with conviction, delegate votes, remove
//! finished votes and unlock, and show the senate and the periods.
//!
//! Everything the client can foresee is refused before signing (exit 1, nothing sent): an
//! unknown or finished referendum, an amount above the free balance, deposits the free balance
//! does not cover, a call that is not one of the node's runtime, a file that is not wasm.

use std::path::PathBuf;

use agora_client::{
	amount::{format_agr, parse_agr},
	governance::{
		call_from_hex, calls, preimage_deposit, proposal_hash, Referendum, ReferendumStatus,
		Voting, MAX_CONVICTION, ROOT_TRACK,
	},
	AccountId32, Client, ClientError, Keypair,
};
use clap::{ArgGroup, Args, Subcommand};
use serde_json::{json, Value};
use subxt::ext::codec::{Decode, Encode};

use crate::{
	account::{parse_address, WalletArg},
	output::{agr, Out},
	Ctx, Failure, Result,
};

#[derive(Subcommand)]
pub(crate) enum GovCmd {
	/// Referenda: the ongoing ones (every one with --all), their status, votes and deposits.
	List {
		/// Also the ended ones (approved, rejected, cancelled, timed out, killed).
		#[arg(long)]
		all: bool,
	},
	/// Propose a call to be dispatched as Root: note its preimage, submit a referendum on the
	/// `root` track and place its decision deposit (deposits held until it ends).
	Propose(ProposeArgs),
	/// Vote on a referendum with free AGR (locked, not spent).
	Vote(VoteArgs),
	/// Delegate the wallet's votes on the `root` track to another account.
	Delegate(DelegateArgs),
	/// Stop delegating (the conviction lock then runs its course).
	Undelegate {
		#[command(flatten)]
		wallet: WalletArg,
	},
	/// Remove the wallet's votes on ended referenda and unlock what no vote locks any more.
	Unlock {
		#[command(flatten)]
		wallet: WalletArg,
	},
	/// The senate (the top validators' hotkeys), the periods of governance and the tracks.
	Senate,
	/// As a senator, vote to cancel a referendum (signed by the senator's hotkey, which pays the
	/// fee): two thirds of a senate of at least 3 cancel it and its deposits go back.
	Cancel(CancelArgs),
}

#[derive(Args)]
pub(crate) struct CancelArgs {
	#[command(flatten)]
	wallet: WalletArg,
	/// The senator's hotkey: a name in the wallet (it signs).
	#[arg(long)]
	hotkey: String,
	/// The referendum's index (`agora gov list`).
	index: u32,
}

#[derive(Args)]
#[command(group(ArgGroup::new("proposal").required(true).args(["call_hex", "set_code"])))]
pub(crate) struct ProposeArgs {
	#[command(flatten)]
	wallet: WalletArg,
	/// The call, SCALE-encoded as the runtime's `RuntimeCall` (pallet index, call index,
	/// arguments), in hex.
	#[arg(long, value_name = "0x..")]
	call_hex: Option<String>,
	/// A runtime upgrade: `System.set_code` with this wasm (plain or zstd-compressed).
	#[arg(long, value_name = "FILE.wasm")]
	set_code: Option<PathBuf>,
	/// Do not place the decision deposit (anyone may place it later; the referendum times out
	/// without it).
	#[arg(long)]
	no_decision_deposit: bool,
}

#[derive(Args)]
#[command(group(ArgGroup::new("side").required(true).args(["aye", "nay"])))]
pub(crate) struct VoteArgs {
	#[command(flatten)]
	wallet: WalletArg,
	/// The referendum's index (`agora gov list`).
	index: u32,
	/// Vote for it.
	#[arg(long)]
	aye: bool,
	/// Vote against it.
	#[arg(long)]
	nay: bool,
	/// AGR voting (locked while the vote holds, and after, by conviction).
	#[arg(long)]
	amount: String,
	/// 0 (0.1x votes, no lock after) to 6 (6x votes, locked 32 vote-locking periods); each step
	/// doubles the lock.
	#[arg(long, default_value_t = 1)]
	conviction: u8,
}

#[derive(Args)]
pub(crate) struct DelegateArgs {
	#[command(flatten)]
	wallet: WalletArg,
	/// The account that votes with the wallet's AGR (SS58).
	#[arg(long)]
	to: String,
	/// AGR delegated (locked while delegated, and after, by conviction).
	#[arg(long)]
	amount: String,
	/// 0 to 6, as for `gov vote`.
	#[arg(long, default_value_t = 1)]
	conviction: u8,
}

pub(crate) async fn run(ctx: &Ctx, out: &Out, cmd: GovCmd) -> Result<()> {
	match cmd {
		GovCmd::List { all } => list(ctx, out, all).await,
		GovCmd::Cancel(args) => cancel(ctx, out, args).await,
		GovCmd::Propose(args) => {
			let call = match (&args.call_hex, &args.set_code) {
				(Some(hex), _) => parse_hex(hex)?,
				(None, Some(path)) => set_code_args(path)?,
				(None, None) => return Err(Failure::usage("pass --call-hex or --set-code")),
			};
			let client = ctx.client().await?;
			let call = match &args.set_code {
				Some(_) => client.encode_call("System", "set_code", &call.encode()).await?,
				None => call,
			};
			let signer = ctx.coldkey(&args.wallet)?;
			propose(ctx, out, &client, &signer, call, !args.no_decision_deposit).await
		},
		GovCmd::Vote(args) => vote(ctx, out, args).await,
		GovCmd::Delegate(args) => delegate(ctx, out, args).await,
		GovCmd::Undelegate { wallet } => {
			let client = ctx.client().await?;
			let signer = ctx.coldkey(&wallet)?;
			let me: AccountId32 = signer.public_key().to_account_id();
			let Voting::Delegating { target, balance, .. } = client.voting(&me, ROOT_TRACK).await?
			else {
				return Err(Failure::refused(format!(
					"{me} does not delegate its votes on the root track"
				)));
			};
			let call = calls::undelegate(ROOT_TRACK);
			let r = ctx.submit(&client, out, "undelegating", &call, &signer, 0).await?;
			out.receipt(
				&r,
				&format!(
					"{me} no longer delegates {} AGR to {target} (locked until its conviction \
					 period ends; then `agora gov unlock`)",
					format_agr(balance)
				),
			);
			Ok(())
		},
		GovCmd::Unlock { wallet } => unlock(ctx, out, wallet).await,
		GovCmd::Senate => senate(ctx, out).await,
	}
}

/// `0x…` (or bare) hex into bytes.
fn parse_hex(s: &str) -> Result<Vec<u8>> {
	call_from_hex(s).map_err(|e| Failure::usage(format!("--call-hex: {e}")))
}

/// The wasm of `--set-code`, refused (exit 1) when empty or not wasm.
fn set_code_args(path: &PathBuf) -> Result<Vec<u8>> {
	// `sp_maybe_compressed_blob`'s prefix of a zstd-compressed runtime.
	const ZSTD_PREFIX: [u8; 8] = [82, 188, 83, 118, 70, 219, 142, 5];
	let code = std::fs::read(path)
		.map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?;
	if code.is_empty() {
		return Err(Failure::refused(format!("{} is empty: not a runtime", path.display())));
	}
	if !code.starts_with(b"\0asm") && !code.starts_with(&ZSTD_PREFIX) {
		return Err(Failure::refused(format!(
			"{} is not wasm (neither `\\0asm` nor a zstd-compressed runtime)",
			path.display()
		)));
	}
	Ok(code)
}

/// Proposes `call` (an encoded `RuntimeCall`) as a `root` referendum signed by `signer`: checks
/// that it is a call of the node's runtime and that the free balance covers the deposits and
/// fees, then notes its preimage and submits the referendum in one transaction, and places the
/// decision deposit in a second (unless `decision_deposit` is false).
pub(crate) async fn propose(
	ctx: &Ctx,
	out: &Out,
	client: &Client,
	signer: &Keypair,
	call: Vec<u8>,
	decision_deposit: bool,
) -> Result<()> {
	let name = client.decode_call(&call).await.map_err(|e| match e {
		ClientError::BadCall(why) => {
			Failure::refused(format!("the proposal is not a call of this runtime ({why})"))
		},
		e => e.into(),
	})?;
	let hash = proposal_hash(&call);
	let len = u32::try_from(call.len())
		.map_err(|_| Failure::refused("the proposal is longer than 4 GiB"))?;
	let track = client
		.tracks()
		.await?
		.into_iter()
		.find(|t| t.id == ROOT_TRACK)
		.ok_or_else(|| Failure::refused("the runtime has no `root` referendum track"))?;
	let (submission, noted) = tokio::try_join!(
		client.balance_constant("Referenda", "SubmissionDeposit"),
		client.preimage_stored(hash, len),
	)?;
	let preimage = if noted { 0 } else { preimage_deposit(call.len()) };
	let decision = if decision_deposit { track.decision_deposit } else { 0 };
	// One transaction notes the preimage (unless it is noted already) and submits.
	let mut batch = Vec::new();
	if !noted {
		batch.push(client.call_data(&calls::note_preimage(call.clone())).await?);
	}
	batch.push(client.call_data(&calls::submit_root(hash, len)).await?);
	let first = calls::batch_all(batch);
	// The second transaction's fee is counted now, so that the first is not sent when the
	// second could not be paid.
	let second_fee = if decision_deposit {
		client.fee_estimate(&calls::place_decision_deposit(u32::MAX), signer).await?
	} else {
		0
	};
	let what = format!(
		"the proposal ({} AGR preimage + {} AGR submission + {} AGR decision deposits, and {} \
		 AGR for the second transaction's fee)",
		format_agr(preimage),
		format_agr(submission),
		format_agr(decision),
		format_agr(second_fee)
	);
	let spend = preimage + submission + decision + second_fee;
	let r = ctx.submit(client, out, &what, &first, signer, spend).await?;
	let index = r
		.events
		.iter()
		.find(|e| e.pallet == "Referenda" && e.name == "Submitted")
		.and_then(|e| u32::decode(&mut &e.field_bytes[..]).ok())
		.ok_or_else(|| Failure {
			code: 1,
			message: "submitted, but no Referenda.Submitted event names its index".into(),
		})?;
	let mut receipts = vec![receipt_json(&r)];
	if decision_deposit {
		let call = calls::place_decision_deposit(index);
		let r = ctx
			.submit(client, out, "placing the decision deposit", &call, signer, decision)
			.await?;
		receipts.push(receipt_json(&r));
	}
	let summary = format!(
		"referendum {index} proposes {name} as Root (hash {hash:?}, {len} bytes); held: {} AGR \
		 preimage, {} AGR submission, {} AGR decision deposit{}",
		format_agr(preimage),
		format_agr(submission),
		format_agr(decision),
		if decision_deposit { "" } else { " (none placed: `--no-decision-deposit`)" }
	) + if noted {
		"; its preimage was noted already, by an account that may unnote it before enactment \
		 (the approved call would then fail: check `agora gov list` before the vote ends)"
	} else {
		""
	};
	out.value(
		json!({
			"ok": true,
			"summary": summary,
			"index": index,
			"call": name,
			"hash": format!("{hash:?}"),
			"len": len,
			"deposits": {
				"preimage": agr(preimage),
				"submission": agr(submission),
				"decision": agr(decision),
			},
			"transactions": receipts,
		}),
		|| summary.clone(),
	);
	Ok(())
}

fn receipt_json(r: &agora_client::chain::Receipt) -> Value {
	json!({
		"block": format!("{:?}", r.block),
		"extrinsic": format!("{:?}", r.extrinsic),
		"mortality": r.mortality,
		"events": r.events,
	})
}

fn conviction_checked(conviction: u8) -> Result<u8> {
	if conviction > MAX_CONVICTION {
		return Err(Failure::usage(format!(
			"--conviction {conviction} is above {MAX_CONVICTION}: 0 (0.1x votes, no lock) to 6 \
			 (6x votes, locked 32 vote-locking periods)"
		)));
	}
	Ok(conviction)
}

/// Refuses `amount` (plancks) above `who`'s free balance, or zero.
async fn ensure_free(client: &Client, who: &AccountId32, amount: u128, what: &str) -> Result<()> {
	if amount == 0 {
		return Err(Failure::usage(format!("{what}: the amount must be above 0")));
	}
	let free = client.balance(who).await?.free;
	if amount > free {
		return Err(Failure::refused(format!(
			"insufficient balance: {what} {} AGR, {who} has {} AGR free",
			format_agr(amount),
			format_agr(free)
		)));
	}
	Ok(())
}

async fn vote(ctx: &Ctx, out: &Out, args: VoteArgs) -> Result<()> {
	let conviction = conviction_checked(args.conviction)?;
	let amount = parse_agr(&args.amount)?;
	let client = ctx.client().await?;
	let referendum = ongoing(client.referendum(args.index).await?, args.index)?;
	let signer = ctx.coldkey(&args.wallet)?;
	let me: AccountId32 = signer.public_key().to_account_id();
	ensure_free(&client, &me, amount, "voting").await?;
	let track = referendum.track.unwrap_or(ROOT_TRACK);
	if let Voting::Delegating { target, .. } = client.voting(&me, track).await? {
		return Err(Failure::refused(format!(
			"{me} delegates its votes on this track to {target}: `agora gov undelegate` first"
		)));
	}
	let side = if args.aye { "aye" } else { "nay" };
	let call = calls::vote(args.index, args.aye, conviction, amount);
	let r = ctx.submit(&client, out, "the vote", &call, &signer, 0).await?;
	out.receipt_with(
		&r,
		&format!(
			"{me} voted {side} on referendum {} with {} AGR at conviction {conviction}",
			args.index,
			format_agr(amount)
		),
		json!({ "index": args.index, "aye": args.aye, "amount": agr(amount), "conviction": conviction }),
	);
	Ok(())
}

/// Referendum `index` if it exists and is ongoing; the refusal names what it is otherwise.
fn ongoing(referendum: Option<Referendum>, index: u32) -> Result<Referendum> {
	let referendum = referendum.ok_or_else(|| {
		Failure::refused(format!("referendum {index} does not exist (see `agora gov list --all`)"))
	})?;
	if !referendum.status.is_ongoing() {
		return Err(Failure::refused(format!(
			"referendum {index} is {} (ended at block {}): it is closed",
			referendum.status.name(),
			referendum.status.ended_at().unwrap_or_default()
		)));
	}
	Ok(referendum)
}

/// `agora gov cancel`: refused before signing when the hotkey sits in no senate seat, the
/// referendum is not ongoing, or this senator already voted to cancel it.
async fn cancel(ctx: &Ctx, out: &Out, args: CancelArgs) -> Result<()> {
	let me = ctx.hotkey_address(&args.wallet, &args.hotkey)?;
	let client = ctx.client().await?;
	let (senate, referendum, votes) = tokio::try_join!(
		client.senate(),
		client.referendum(args.index),
		client.senate_cancel_votes(args.index),
	)?;
	if !senate.contains(&me) {
		return Err(Failure::refused(format!(
			"not a senator: {me} holds none of the senate's {} seats (`agora gov senate`)",
			senate.len()
		)));
	}
	ongoing(referendum, args.index)?;
	if votes.contains(&me) {
		return Err(Failure::refused(format!(
			"{me} already voted to cancel referendum {}",
			args.index
		)));
	}
	let wallet = ctx.wallet(&args.wallet.wallet)?;
	let pw =
		ctx.password(&format!("wallet `{}` hotkey `{}`", args.wallet.wallet, args.hotkey), false)?;
	let signer = wallet.unlock_hotkey(&args.hotkey, &pw)?;
	let call = calls::senate_cancel(args.index);
	let r = ctx.submit(&client, out, "the senate's cancel vote", &call, &signer, 0).await?;
	let cancelled = r
		.events
		.iter()
		.any(|e| e.pallet == "Governance" && e.name == "ReferendumCancelledBySenate");
	let voters = votes.iter().filter(|v| senate.contains(v)).count() + 1;
	let needed = (2 * senate.len()).div_ceil(3);
	let summary = if cancelled {
		format!("referendum {} is cancelled: its deposits go back", args.index)
	} else {
		format!(
			"{me} voted to cancel referendum {}: {voters} of the {needed} senators' votes that \
			 cancel it{}",
			args.index,
			if senate.len() < 3 { " (a senate of fewer than 3 cancels nothing)" } else { "" }
		)
	};
	out.receipt_with(&r, &summary, json!({ "index": args.index, "cancelled": cancelled }));
	Ok(())
}

async fn delegate(ctx: &Ctx, out: &Out, args: DelegateArgs) -> Result<()> {
	let conviction = conviction_checked(args.conviction)?;
	let amount = parse_agr(&args.amount)?;
	let to = parse_address(&args.to)?;
	let client = ctx.client().await?;
	let signer = ctx.coldkey(&args.wallet)?;
	let me: AccountId32 = signer.public_key().to_account_id();
	if to == me {
		return Err(Failure::refused(format!("{me} cannot delegate to itself")));
	}
	ensure_free(&client, &me, amount, "delegating").await?;
	match client.voting(&me, ROOT_TRACK).await? {
		Voting::Delegating { target, .. } => {
			return Err(Failure::refused(format!(
				"{me} already delegates to {target}: `agora gov undelegate` first"
			)))
		},
		Voting::Casting { votes } if !votes.is_empty() => {
			let list = votes.iter().map(|(i, _)| i.to_string()).collect::<Vec<_>>().join(", ");
			return Err(Failure::refused(format!(
				"{me} has votes on referenda {list}: an account that votes cannot delegate \
				 (`agora gov unlock` removes the votes on ended referenda)"
			)));
		},
		Voting::Casting { .. } => {},
	}
	let call = calls::delegate(ROOT_TRACK, &to, conviction, amount);
	let r = ctx.submit(&client, out, "the delegation", &call, &signer, 0).await?;
	out.receipt(
		&r,
		&format!(
			"{me} delegates {} AGR at conviction {conviction} to {to} on the root track",
			format_agr(amount)
		),
	);
	Ok(())
}

async fn unlock(ctx: &Ctx, out: &Out, wallet: WalletArg) -> Result<()> {
	let client = ctx.client().await?;
	let signer = ctx.coldkey(&wallet)?;
	let me: AccountId32 = signer.public_key().to_account_id();
	let (voting, locks) =
		tokio::try_join!(client.voting(&me, ROOT_TRACK), client.class_locks(&me))?;
	let mut ended = Vec::new();
	if let Voting::Casting { votes } = &voting {
		for (index, _) in votes {
			let over = client.referendum(*index).await?.is_none_or(|r| !r.status.is_ongoing());
			if over {
				ended.push(*index);
			}
		}
	}
	if ended.is_empty() && locks.iter().all(|(_, amount)| *amount == 0) {
		return Err(Failure::refused(format!(
			"{me} has no votes on ended referenda and nothing locked by votes"
		)));
	}
	let mut batch = Vec::new();
	for index in &ended {
		batch.push(client.call_data(&calls::remove_vote(ROOT_TRACK, *index)).await?);
	}
	batch.push(client.call_data(&calls::unlock(ROOT_TRACK, &me)).await?);
	let call = calls::batch_all(batch);
	let r = ctx.submit(&client, out, "unlocking", &call, &signer, 0).await?;
	let still: u128 = client.class_locks(&me).await?.iter().map(|(_, a)| *a).sum();
	out.receipt_with(
		&r,
		&format!(
			"removed {} vote(s) on ended referenda; {} AGR still locked by votes (their \
			 conviction lock has not run out, or their referendum is ongoing)",
			ended.len(),
			format_agr(still)
		),
		json!({ "removed": ended, "still_locked": agr(still) }),
	);
	Ok(())
}

async fn list(ctx: &Ctx, out: &Out, all: bool) -> Result<()> {
	let client = ctx.client().await?;
	let (referenda, best) = tokio::try_join!(client.referenda(), client.best_block_number())?;
	let shown: Vec<&Referendum> =
		referenda.iter().filter(|r| all || r.status.is_ongoing()).collect();
	out.value(
		json!({
			"best_block": best,
			"referenda": shown.iter().map(|r| referendum_json(r)).collect::<Vec<_>>(),
		}),
		|| referenda_text(&shown, all, best),
	);
	Ok(())
}

fn referendum_json(r: &Referendum) -> Value {
	let (since, confirming) = match r.status {
		ReferendumStatus::Deciding { since, confirming } => (Some(since), confirming),
		_ => (None, None),
	};
	let deposit = |d: &Option<agora_client::governance::Deposit>| {
		d.as_ref().map(|d| json!({ "who": d.who.to_string(), "amount": agr(d.amount) }))
	};
	json!({
		"index": r.index,
		"track": r.track,
		"status": r.status.name(),
		"deciding_since": since,
		"confirming_until": confirming,
		"ended_at": r.status.ended_at(),
		"submitted": r.submitted,
		"proposal": r.proposal.as_ref().map(|p| json!({
			"hash": format!("{:?}", p.hash),
			"len": p.len,
			"call": p.call,
			"args": p.args,
		})),
		"tally": r.tally.map(|t| json!({
			"ayes": agr(t.ayes),
			"nays": agr(t.nays),
			"support": agr(t.support),
		})),
		"submission_deposit": deposit(&r.submission_deposit),
		"decision_deposit": deposit(&r.decision_deposit),
	})
}

fn referenda_text(shown: &[&Referendum], all: bool, best: u64) -> String {
	if shown.is_empty() {
		return format!(
			"no {}referenda at block {best}{}",
			if all { "" } else { "ongoing " },
			if all { "" } else { " (--all lists the ended ones)" }
		);
	}
	let mut t = comfy_table::Table::new();
	t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
	t.set_header(["#", "status", "call", "ayes (AGR)", "nays (AGR)", "support (AGR)", "deposits"]);
	for r in shown {
		let status = match r.status {
			ReferendumStatus::Deciding { since, confirming: Some(until) } => {
				format!("confirming (since {since}, until {until})")
			},
			ReferendumStatus::Deciding { since, confirming: None } => {
				format!("deciding since {since}")
			},
			ReferendumStatus::Preparing if r.decision_deposit.is_none() => {
				"preparing (no decision deposit)".to_string()
			},
			s => match s.ended_at() {
				Some(at) => format!("{} at {at}", s.name()),
				None => s.name().to_string(),
			},
		};
		let call = r
			.proposal
			.as_ref()
			.map(|p| match (&p.call, &p.args) {
				(Some(call), Some(args)) => format!("{call} {args}"),
				(Some(call), None) => call.clone(),
				_ => format!("{:?} ({} bytes)", p.hash, p.len),
			})
			.unwrap_or_default();
		let tally = |f: fn(&agora_client::governance::Tally) -> u128| {
			r.tally.as_ref().map(|t| format_agr(f(t))).unwrap_or_default()
		};
		let held = [&r.submission_deposit, &r.decision_deposit]
			.iter()
			.filter_map(|d| d.as_ref().map(|d| d.amount))
			.sum::<u128>();
		t.add_row(vec![
			r.index.to_string(),
			status,
			call,
			tally(|t| t.ayes),
			tally(|t| t.nays),
			tally(|t| t.support),
			format!("{} AGR", format_agr(held)),
		]);
	}
	format!("referenda at block {best}\n{t}")
}

async fn senate(ctx: &Ctx, out: &Out) -> Result<()> {
	let client = ctx.client().await?;
	let (members, periods, tracks) =
		tokio::try_join!(client.senate(), client.governance_periods(), client.tracks())?;
	out.value(
		json!({
			"members": members.iter().map(|m| m.to_string()).collect::<Vec<_>>(),
			"periods": periods,
			"tracks": tracks.iter().map(|t| json!({
				"id": t.id,
				"name": t.name,
				"max_deciding": t.max_deciding,
				"decision_deposit": agr(t.decision_deposit),
				"prepare": t.prepare,
				"decision": t.decision,
				"confirm": t.confirm,
				"min_enactment": t.min_enactment,
			})).collect::<Vec<_>>(),
		}),
		|| {
			let mut text = if members.is_empty() {
				"the senate has no members (no validator holds a permit yet)".to_string()
			} else {
				let mut s = format!("senate ({} members):", members.len());
				for m in &members {
					s.push_str(&format!("\n  {m}"));
				}
				s
			};
			text.push_str(&format!(
				"\nperiods (blocks): prepare {}, decision {}, confirm {}, min enactment {}, \
				 undeciding timeout {}, vote locking {}, senate term {}",
				periods.prepare,
				periods.decision,
				periods.confirm,
				periods.min_enactment,
				periods.undeciding_timeout,
				periods.vote_locking,
				periods.senate_term
			));
			for t in &tracks {
				text.push_str(&format!(
					"\ntrack {} `{}`: {} AGR decision deposit, {} deciding at once",
					t.id,
					t.name,
					format_agr(t.decision_deposit),
					t.max_deciding
				));
			}
			text
		},
	);
	Ok(())
}
