//! `agora proxy`: let another account act for a wallet's coldkey within a proxy type
//! (`pallet-proxy`), and list or remove such proxies.
//!
//! A `staking` proxy may add, remove and move the coldkey's stake (unstaked AGR returns to the
//! coldkey); `non-transfer` may do anything that neither moves nor burns AGR; `any` everything
//! (see docs/keys.md). Adding one reserves a
//! deposit (`Proxy.ProxyDepositBase` for the first, `ProxyDepositFactor` for each), returned when
//! the proxy is removed.

use agora_client::{amount::format_agr, chain::calls, AccountId32, ProxyType};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;

use crate::{
	account::{parse_address, who_address, WalletArg, Who},
	output::{agr, Out},
	Ctx, Failure, Result,
};

/// A proxy type on the command line.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Kind {
	/// Every call.
	Any,
	/// Every call that cannot move or burn the account's AGR (docs/keys.md).
	NonTransfer,
	/// Staking calls only.
	Staking,
}

impl From<Kind> for ProxyType {
	fn from(kind: Kind) -> Self {
		match kind {
			Kind::Any => ProxyType::Any,
			Kind::NonTransfer => ProxyType::NonTransfer,
			Kind::Staking => ProxyType::Staking,
		}
	}
}

#[derive(Args)]
pub(crate) struct ProxyArgs {
	#[command(flatten)]
	wallet: WalletArg,
	/// The account that may act for the wallet's coldkey (SS58).
	#[arg(long)]
	delegate: String,
	/// What it may do.
	#[arg(long = "type", value_enum)]
	kind: Kind,
	/// Blocks it must announce a call before making it (0: at once).
	#[arg(long, default_value_t = 0)]
	delay: u32,
}

#[derive(Subcommand)]
pub(crate) enum ProxyCmd {
	/// Let `--delegate` act for the wallet's coldkey within `--type` (reserves a deposit).
	Add(ProxyArgs),
	/// Remove a proxy added before (the same delegate, type and delay); its deposit returns.
	Remove(ProxyArgs),
	/// The proxies of a wallet's coldkey or an address.
	List(Who),
}

pub(crate) async fn run(ctx: &Ctx, out: &Out, cmd: ProxyCmd) -> Result<()> {
	match cmd {
		ProxyCmd::Add(args) => {
			let (delegate, kind) = (parse_address(&args.delegate)?, ProxyType::from(args.kind));
			let client = ctx.client().await?;
			let signer = ctx.coldkey(&args.wallet)?;
			let me: AccountId32 = signer.public_key().to_account_id();
			if delegate == me {
				return Err(Failure::refused(format!("{me} cannot be its own proxy")));
			}
			let (proxies, _) = client.proxies(&me).await?;
			if proxies
				.iter()
				.any(|p| p.delegate == delegate && p.proxy_type == kind && p.delay == args.delay)
			{
				return Err(Failure::refused(format!(
					"{delegate} is already a proxy of {me} of type {} with delay {}",
					kind.name(),
					args.delay
				)));
			}
			let most = client.u32_constant("Proxy", "MaxProxies").await?;
			if proxies.len() >= most as usize {
				return Err(Failure::refused(format!(
					"{me} has {} proxies, the most the chain allows (remove one first)",
					proxies.len()
				)));
			}
			let mut deposit = client.balance_constant("Proxy", "ProxyDepositFactor").await?;
			if proxies.is_empty() {
				deposit += client.balance_constant("Proxy", "ProxyDepositBase").await?;
			}
			let call = calls::add_proxy(&delegate, kind, args.delay);
			let r = ctx.submit(&client, out, "adding a proxy", &call, &signer, deposit).await?;
			out.receipt(
				&r,
				&format!(
					"{delegate} may act for {me} as a {} proxy ({} AGR reserved)",
					kind.name(),
					format_agr(deposit)
				),
			);
			Ok(())
		},
		ProxyCmd::Remove(args) => {
			let (delegate, kind) = (parse_address(&args.delegate)?, ProxyType::from(args.kind));
			let client = ctx.client().await?;
			let signer = ctx.coldkey(&args.wallet)?;
			let me: AccountId32 = signer.public_key().to_account_id();
			let (proxies, _) = client.proxies(&me).await?;
			if !proxies
				.iter()
				.any(|p| p.delegate == delegate && p.proxy_type == kind && p.delay == args.delay)
			{
				return Err(Failure::refused(format!(
					"{delegate} is not a proxy of {me} of type {} with delay {} (see `agora proxy \
					 list`)",
					kind.name(),
					args.delay
				)));
			}
			let call = calls::remove_proxy(&delegate, kind, args.delay);
			let r = ctx.submit(&client, out, "removing a proxy", &call, &signer, 0).await?;
			out.receipt(&r, &format!("{delegate} no longer acts for {me} as a {}", kind.name()));
			Ok(())
		},
		ProxyCmd::List(who) => {
			let account = who_address(ctx, &who)?;
			let client = ctx.client().await?;
			let (proxies, deposit) = client.proxies(&account).await?;
			out.value(
				json!({
					"account": account.to_string(),
					"deposit": agr(deposit),
					"proxies": proxies,
				}),
				|| {
					if proxies.is_empty() {
						return format!("{account} has no proxies");
					}
					let mut text =
						format!("proxies of {account} ({} AGR reserved):", format_agr(deposit));
					for p in &proxies {
						text.push_str(&format!(
							"\n  {}  {:<12}  delay {}",
							p.delegate,
							p.proxy_type.name(),
							p.delay
						));
					}
					text
				},
			);
			Ok(())
		},
	}
}
