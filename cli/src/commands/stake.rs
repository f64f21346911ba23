//! `agora stake`: add, remove, move and list stake, with the staking pallet's amount rules
//! checked before signing.

use agora_client::{
	amount::{format_agr, parse_agr},
	chain::calls,
	AccountId32, Client, ClientError, Keypair,
};
use clap::{Args, Subcommand};

use crate::{
	account::{who_address, WalletArg, Who},
	funds::ensure_funds,
	output,
	output::Out,
	Ctx, Failure, Result,
};

#[derive(Args)]
pub(crate) struct StakeAmount {
	#[command(flatten)]
	wallet: WalletArg,
	/// Hotkey: SS58 address or the name of one of the wallet's hotkeys.
	#[arg(long)]
	hotkey: String,
	/// AGR.
	#[arg(long)]
	amount: String,
}

#[derive(Args)]
pub(crate) struct StakeRemove {
	#[command(flatten)]
	wallet: WalletArg,
	/// Hotkey: SS58 address or the name of one of the wallet's hotkeys. With --all and no
	/// --hotkey: every hotkey the coldkey has stake on.
	#[arg(long, required_unless_present = "all")]
	hotkey: Option<String>,
	/// AGR.
	#[arg(long, required_unless_present = "all", conflicts_with = "all")]
	amount: Option<String>,
	/// The whole position, whatever emission adds to it meanwhile (its exact value in the block
	/// the transaction lands in).
	#[arg(long)]
	all: bool,
}

#[derive(Subcommand)]
pub(crate) enum StakeCmd {
	/// Stake AGR from the wallet's coldkey on a hotkey.
	Add(StakeAmount),
	/// Unstake AGR back to the coldkey: an amount, or --all.
	Remove(StakeRemove),
	/// Move stake between hotkeys: an amount, or --all.
	Move {
		#[command(flatten)]
		wallet: WalletArg,
		/// From this hotkey.
		#[arg(long)]
		from: String,
		/// To this hotkey.
		#[arg(long)]
		to: String,
		/// AGR to move.
		#[arg(long, required_unless_present = "all", conflicts_with = "all")]
		amount: Option<String>,
		/// The whole position on --from, whatever emission adds to it meanwhile.
		#[arg(long)]
		all: bool,
	},
	/// Stake positions of a wallet's coldkey or an address.
	List(Who),
}

pub(crate) async fn run(ctx: &Ctx, out: &Out, cmd: StakeCmd) -> Result<()> {
	match cmd {
		StakeCmd::Add(StakeAmount { wallet, hotkey, amount }) => {
			let hot = ctx.hotkey_address(&wallet, &hotkey)?;
			let amount = parse_agr(&amount)?;
			let client = ctx.client().await?;
			let signer = ctx.coldkey(&wallet)?;
			ensure_not_frozen(&client, &signer, "staking").await?;
			let held = position(&client, &signer, &hot).await?;
			ensure_stake_rules(&client, &hot, held, 0, amount).await?;
			let call = calls::add_stake(&hot, amount);
			let r = ctx.submit(&client, out, "staking", &call, &signer, amount).await?;
			out.receipt(&r, &format!("staked {} AGR on {hot}", format_agr(amount)));
			Ok(())
		},
		StakeCmd::Remove(StakeRemove { wallet, hotkey, amount: Some(amount), all: false }) => {
			let hotkey = hotkey.ok_or_else(|| Failure::usage("--hotkey is needed"))?;
			let hot = ctx.hotkey_address(&wallet, &hotkey)?;
			let amount = parse_agr(&amount)?;
			let client = ctx.client().await?;
			let signer = ctx.coldkey(&wallet)?;
			ensure_not_frozen(&client, &signer, "unstaking").await?;
			let held = position(&client, &signer, &hot).await?;
			ensure_stake_rules(&client, &hot, held, amount, 0).await?;
			let call = calls::remove_stake(&hot, amount);
			let r = ctx.submit(&client, out, "unstaking", &call, &signer, 0).await?;
			out.receipt(&r, &format!("unstaked {} AGR from {hot}", format_agr(amount)));
			Ok(())
		},
		StakeCmd::Remove(StakeRemove { wallet, hotkey, .. }) => {
			// Every position of the coldkey, or the one on --hotkey.
			let every = hotkey.is_none();
			let hot = hotkey.map(|h| ctx.hotkey_address(&wallet, &h)).transpose()?;
			let client = ctx.client().await?;
			let signer = ctx.coldkey(&wallet)?;
			ensure_not_frozen(&client, &signer, "unstaking").await?;
			let hotkeys = match hot {
				Some(h) => vec![h],
				None => {
					let coldkey: AccountId32 = signer.public_key().to_account_id();
					client
						.stake_info(&coldkey)
						.await?
						.iter()
						.map(|p| AccountId32(*AsRef::<[u8; 32]>::as_ref(&p.hotkey)))
						.collect()
				},
			};
			let mut drained = Vec::new();
			for h in &hotkeys {
				// Its fee, at least, must be payable (no position: the drain says so).
				let held = position(&client, &signer, h).await?;
				if held > 0 {
					let call = calls::remove_stake(h, held);
					ensure_funds(&client, &signer, &call, 0, "unstaking").await?;
				}
				out.progress(&format!("unstaking everything from {h}…"));
				let d = client
					.drain_stake(h, &signer, ctx.wait(), |amount| calls::remove_stake(h, amount))
					.await;
				out.progress_done();
				match d {
					Ok(d) => drained.push((*h, d)),
					// Gone since it was listed: what --all wants.
					Err(ClientError::NotFound(_)) if every => {},
					Err(e) => {
						let done: Vec<String> =
							drained.iter().map(|(h, _)| h.to_string()).collect();
						return Err(Failure {
							code: 1,
							message: if done.is_empty() {
								e.to_string()
							} else {
								format!("{e} (already unstaked in full: {})", done.join(", "))
							},
						});
					},
				}
			}
			out.drained("unstaked", &drained);
			Ok(())
		},
		StakeCmd::Move { wallet, from, to, amount, all } => {
			let (from, to) =
				(ctx.hotkey_address(&wallet, &from)?, ctx.hotkey_address(&wallet, &to)?);
			let amount = match (amount, all) {
				(Some(a), false) => Some(parse_agr(&a)?),
				_ => None,
			};
			let client = ctx.client().await?;
			let signer = ctx.coldkey(&wallet)?;
			ensure_not_frozen(&client, &signer, "moving stake").await?;
			let held = position(&client, &signer, &from).await?;
			if let Some(amount) = amount {
				ensure_stake_rules(&client, &from, held, amount, 0).await?;
				let to_held = position(&client, &signer, &to).await?;
				ensure_stake_rules(&client, &to, to_held, 0, amount).await?;
			}
			let call = calls::move_stake(&from, &to, amount.unwrap_or(held));
			let Some(amount) = amount else {
				ensure_funds(&client, &signer, &call, 0, "moving stake").await?;
				out.progress(&format!("moving everything from {from} to {to}…"));
				let d = client
					.drain_stake(&from, &signer, ctx.wait(), |amount| {
						calls::move_stake(&from, &to, amount)
					})
					.await;
				out.progress_done();
				out.drained(&format!("moved to {to}:"), &[(from, d?)]);
				return Ok(());
			};
			let r = ctx.submit(&client, out, "moving stake", &call, &signer, 0).await?;
			out.receipt(
				&r,
				&format!("moved {} AGR of stake from {from} to {to}", format_agr(amount)),
			);
			Ok(())
		},
		StakeCmd::List(who) => {
			let address = who_address(ctx, &who)?;
			let client = ctx.client().await?;
			let positions = client.stake_info(&address).await?;
			out.value(output::stake_json(&positions), || output::stake_table(&address, &positions));
			Ok(())
		},
	}
}

/// Refuses, before signing, a stake change the staking pallet would refuse for its amounts:
/// taking more than a position holds, or leaving (or making) a position under `Staking.MinStake`
/// (other than an empty one). `held` is the position now; the call takes `taken` out of it and
/// puts `added` in.
async fn ensure_stake_rules(
	client: &Client,
	hotkey: &AccountId32,
	held: u128,
	taken: u128,
	added: u128,
) -> Result<()> {
	let refuse = |message: String| Err(Failure { code: 1, message });
	if taken > held {
		return refuse(format!(
			"insufficient stake: the position on {hotkey} holds {} AGR, {} AGR short of {} AGR; \
			 nothing was signed or sent",
			format_agr(held),
			format_agr(taken - held),
			format_agr(taken)
		));
	}
	let after = held - taken + added;
	let min = client.balance_constant("Staking", "MinStake").await?;
	if after != 0 && after < min {
		return refuse(format!(
			"below the minimum stake: the position on {hotkey} would hold {} AGR, {} AGR under \
			 the minimum of {} AGR (stake more, or take all of it); nothing was signed or sent",
			format_agr(after),
			format_agr(min - after),
			format_agr(min)
		));
	}
	Ok(())
}

/// Refuses, before signing, a stake change while a coldkey swap freezes the signer's coldkey.
async fn ensure_not_frozen(client: &Client, coldkey: &Keypair, what: &str) -> Result<()> {
	let coldkey: AccountId32 = coldkey.public_key().to_account_id();
	super::swap::ensure_not_frozen(client, &coldkey, what).await
}

/// The coldkey's position on `hotkey` now (0 without one).
async fn position(client: &Client, coldkey: &Keypair, hotkey: &AccountId32) -> Result<u128> {
	let coldkey: AccountId32 = coldkey.public_key().to_account_id();
	Ok(client
		.stake_info(&coldkey)
		.await?
		.iter()
		.find(|p| AsRef::<[u8; 32]>::as_ref(&p.hotkey) == &hotkey.0)
		.map_or(0, |p| p.stake))
}
