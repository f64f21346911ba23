//! Naming an account on the command line: a wallet (`-w NAME`), an SS58 address, or either.

use agora_client::AccountId32;
use clap::Args;

use crate::{Ctx, Failure, Result};

#[derive(Args, Clone)]
pub(crate) struct WalletArg {
	/// Wallet name.
	#[arg(long, short = 'w', default_value = "default")]
	pub(crate) wallet: String,
}

#[derive(Args)]
pub(crate) struct Who {
	/// Wallet whose coldkey to look at.
	#[arg(long, short = 'w', conflicts_with = "address")]
	wallet: Option<String>,
	/// Or any SS58 address.
	address: Option<String>,
}

pub(crate) fn parse_address(s: &str) -> Result<AccountId32> {
	s.parse::<AccountId32>().map_err(|_| Failure::usage(format!("`{s}` is not an SS58 address")))
}

pub(crate) fn who_address(ctx: &Ctx, who: &Who) -> Result<AccountId32> {
	match (&who.address, &who.wallet) {
		(Some(a), _) => parse_address(a),
		(None, w) => {
			let name = w.clone().unwrap_or_else(|| "default".into());
			parse_address(&ctx.wallet(&name)?.coldkey_public()?.ss58)
		},
	}
}
