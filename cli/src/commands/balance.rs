//! `agora balance` and `agora transfer`: look at an account's AGR, send AGR.

use agora_client::{
	amount::{format_agr, parse_agr},
	chain::calls,
};
use clap::Args;
use serde_json::json;

use crate::{
	account::{parse_address, who_address, WalletArg, Who},
	output::Out,
	Ctx, Result,
};

// `agora transfer`'s arguments (its help is the `Transfer` command's doc).
#[derive(Args)]
pub(crate) struct TransferArgs {
	#[command(flatten)]
	wallet: WalletArg,
	/// Recipient (SS58 address).
	#[arg(long)]
	dest: String,
	/// AGR to send.
	#[arg(long)]
	amount: String,
}

/// `agora balance`.
pub(crate) async fn show(ctx: &Ctx, out: &Out, who: Who) -> Result<()> {
	let address = who_address(ctx, &who)?;
	let client = ctx.client().await?;
	let b = client.balance(&address).await?;
	let staked: u128 = client.stake_info(&address).await?.iter().map(|p| p.stake).sum();
	out.value(
		json!({
			"address": address.to_string(),
			"free": agr_json(b.free),
			"reserved": agr_json(b.reserved),
			"frozen": agr_json(b.frozen),
			"staked": agr_json(staked),
		}),
		|| {
			format!(
				"{address}\n  free     {} AGR\n  reserved {} AGR\n  staked   {} AGR",
				format_agr(b.free),
				format_agr(b.reserved),
				format_agr(staked)
			)
		},
	);
	Ok(())
}

/// `agora transfer`.
pub(crate) async fn transfer(ctx: &Ctx, out: &Out, args: TransferArgs) -> Result<()> {
	let TransferArgs { wallet, dest, amount } = args;
	let dest = parse_address(&dest)?;
	let amount = parse_agr(&amount)?;
	let client = ctx.client().await?;
	let signer = ctx.coldkey(&wallet)?;
	let call = calls::transfer(&dest, amount);
	let r = ctx.submit(&client, out, "the transfer", &call, &signer, amount).await?;
	out.receipt(&r, &format!("sent {} AGR to {dest}", format_agr(amount)));
	Ok(())
}

fn agr_json(plancks: u128) -> serde_json::Value {
	json!({ "agr": format_agr(plancks), "plancks": plancks })
}
