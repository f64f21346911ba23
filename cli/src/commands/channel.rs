//! `agora channel`: payment channels to gateways (the payments pallet): open one with a deposit,
//! top it up, extend its expiry, look at it (or list an account's), and close it once expired to
//! take back what was not claimed. Everything the pallet would refuse for reasons visible now (deposit under the minimum,
//! funds short, a channel of someone else, an expiry not yet reached) is refused before signing.

use agora_client::{
	amount::{format_agr, parse_agr},
	chain::{calls, Channel, ChannelId},
	AccountId32, Client, Keypair,
};
use agora_primitives::BlockNumber;
use clap::{Args, Subcommand};
use serde_json::{json, Value};

use crate::{
	account::{parse_address, who_address, WalletArg, Who},
	output::{agr, Out},
	Ctx, Failure, Result,
};

/// The new expiry of `extend`: relative or absolute.
#[derive(Args)]
#[group(required = true, multiple = false)]
pub(crate) struct Expiry {
	/// Blocks from the current best block.
	#[arg(long, value_name = "BLOCKS")]
	expires_in: Option<u64>,
	/// This block.
	#[arg(long, value_name = "BLOCK")]
	expires_at: Option<u64>,
}

#[derive(Subcommand)]
pub(crate) enum ChannelCmd {
	/// Open a channel from the wallet's coldkey to a provider, locking a deposit until an expiry.
	Open {
		#[command(flatten)]
		wallet: WalletArg,
		/// The provider (gateway operator) the channel pays: SS58 address.
		#[arg(long)]
		provider: String,
		/// AGR to lock (at least the runtime's `Payments.MinDeposit`).
		#[arg(long)]
		deposit: String,
		/// Blocks from the current best block until the channel may be closed (at least 2).
		#[arg(long, value_name = "BLOCKS")]
		expires_in: u64,
	},
	/// Add AGR to the deposit of a channel the wallet's coldkey opened.
	TopUp {
		#[command(flatten)]
		wallet: WalletArg,
		/// The channel.
		id: ChannelId,
		/// AGR to add.
		#[arg(long)]
		amount: String,
	},
	/// Move the expiry of a channel the wallet's coldkey opened to a later block.
	Extend {
		#[command(flatten)]
		wallet: WalletArg,
		/// The channel.
		id: ChannelId,
		#[command(flatten)]
		expiry: Expiry,
	},
	/// One channel: consumer, provider, deposit, claimed, remaining, expiry.
	Show {
		/// The channel.
		id: ChannelId,
	},
	/// The channels of an account, as consumer or provider (the wallet's coldkey by default).
	List(Who),
	/// Close an expired channel the wallet's coldkey opened: refunds what was not claimed.
	Close {
		#[command(flatten)]
		wallet: WalletArg,
		/// The channel.
		id: ChannelId,
	},
}

pub(crate) async fn run(ctx: &Ctx, out: &Out, cmd: ChannelCmd) -> Result<()> {
	match cmd {
		ChannelCmd::Open { wallet, provider, deposit, expires_in } => {
			let provider = parse_address(&provider)?;
			let deposit = parse_agr(&deposit)?;
			if expires_in < 2 {
				return Err(Failure::usage(
					"--expires-in must be at least 2 blocks: the transaction lands in a later \
					 block than the current one, and the expiry must still be ahead then",
				));
			}
			let client = ctx.client().await?;
			let min = client.balance_constant("Payments", "MinDeposit").await?;
			if deposit < min {
				return refuse(format!(
					"deposit below the minimum: {} AGR is under the runtime's minimum deposit of \
					 {} AGR; nothing was signed or sent",
					format_agr(deposit),
					format_agr(min)
				));
			}
			let signer = ctx.coldkey(&wallet)?;
			let me = account(&signer);
			if provider == me {
				return refuse(format!(
					"provider is the consumer: {me} cannot open a channel to itself; nothing was \
					 signed or sent"
				));
			}
			let best = client.best_block_number().await?;
			let expires_at = block(best.saturating_add(expires_in))?;
			let call = calls::channel_open(&provider, deposit, expires_at);
			let r = ctx.submit(&client, out, "opening a channel", &call, &signer, deposit).await?;
			let id = r.channel_opened().ok_or_else(|| Failure {
				code: 1,
				message: "the transaction succeeded but emitted no Payments.ChannelOpened event"
					.into(),
			})?;
			out.receipt_with(
				&r,
				&format!(
					"opened channel {id} to {provider} with {} AGR, closable from block \
					 {expires_at}",
					format_agr(deposit)
				),
				json!({ "id": id, "expires_at": expires_at }),
			);
			Ok(())
		},
		ChannelCmd::TopUp { wallet, id, amount } => {
			let amount = parse_agr(&amount)?;
			if amount == 0 {
				return Err(Failure::usage("--amount must be more than 0 AGR"));
			}
			let client = ctx.client().await?;
			let signer = ctx.coldkey(&wallet)?;
			let channel = own_channel(&client, &signer, id).await?;
			let call = calls::channel_top_up(id, amount);
			let r = ctx.submit(&client, out, "topping up", &call, &signer, amount).await?;
			let deposit = channel.deposit.saturating_add(amount);
			out.receipt_with(
				&r,
				&format!(
					"added {} AGR to channel {id}: it holds {} AGR",
					format_agr(amount),
					format_agr(deposit)
				),
				json!({ "id": id, "deposit": agr(deposit) }),
			);
			Ok(())
		},
		ChannelCmd::Extend { wallet, id, expiry } => {
			let client = ctx.client().await?;
			let signer = ctx.coldkey(&wallet)?;
			let channel = own_channel(&client, &signer, id).await?;
			let best = client.best_block_number().await?;
			let expires_at = match (expiry.expires_in, expiry.expires_at) {
				(Some(n), _) => best.saturating_add(n),
				(_, Some(at)) => at,
				(None, None) => return Err(Failure::usage("--expires-in or --expires-at")),
			};
			let expires_at = block(expires_at)?;
			if expires_at <= channel.expires_at {
				return refuse(format!(
					"expiry not extended: channel {id} already expires at block {}, not before \
					 block {expires_at}; name a later block; nothing was signed or sent",
					channel.expires_at
				));
			}
			if u64::from(expires_at) <= best.saturating_add(1) {
				return refuse(format!(
					"expiry not in the future: block {expires_at} is not after the block the \
					 transaction would land in (the best block is {best}); nothing was signed or \
					 sent"
				));
			}
			let call = calls::channel_extend(id, expires_at);
			let r = ctx.submit(&client, out, "extending", &call, &signer, 0).await?;
			out.receipt_with(
				&r,
				&format!("channel {id} now expires at block {expires_at}"),
				json!({ "id": id, "expires_at": expires_at }),
			);
			Ok(())
		},
		ChannelCmd::Show { id } => {
			let client = ctx.client().await?;
			let (channel, best) = tokio::try_join!(client.channel(id), client.best_block_number())?;
			let channel = channel.ok_or_else(|| not_found(id))?;
			let left = u64::from(channel.expires_at).saturating_sub(best);
			out.value(show_json(&channel, best), || {
				format!(
					"channel {id}\n  consumer   {}\n  provider   {}\n  deposit    {} AGR\n  \
					 claimed    {} AGR\n  remaining  {} AGR\n  expires at block {} ({})",
					channel.consumer,
					channel.provider,
					format_agr(channel.deposit),
					format_agr(channel.claimed),
					format_agr(channel.remaining()),
					channel.expires_at,
					if left == 0 {
						format!("expired: the best block is {best}, the consumer may close it")
					} else {
						format!("{left} blocks left")
					}
				)
			});
			Ok(())
		},
		ChannelCmd::List(who) => {
			let account = who_address(ctx, &who)?;
			let client = ctx.client().await?;
			let (channels, best) = tokio::try_join!(client.channels(), client.best_block_number())?;
			let mine = of_account(channels, &account);
			out.value(
				json!({
					"account": account.to_string(),
					"best_block": best,
					"channels": mine.iter().map(|(role, c)| {
						let mut v = show_json(c, best);
						if let Some(map) = v.as_object_mut() {
							map.insert("role".into(), json!(role));
						}
						v
					}).collect::<Vec<_>>(),
				}),
				|| {
					if mine.is_empty() {
						return format!("{account} has no channels (as consumer or provider)");
					}
					let mut text = format!("channels of {account} (best block {best}):");
					for (role, c) in &mine {
						let other = if *role == "consumer" { &c.provider } else { &c.consumer };
						let left = u64::from(c.expires_at).saturating_sub(best);
						text.push_str(&format!(
							"\n  {:>4}  {role:<8}  {} {other}  deposit {} AGR, claimed {} AGR, \
							 remaining {} AGR, {}",
							c.id,
							if *role == "consumer" { "to" } else { "from" },
							format_agr(c.deposit),
							format_agr(c.claimed),
							format_agr(c.remaining()),
							if left == 0 {
								format!("expired at block {}", c.expires_at)
							} else {
								format!("expires at block {} ({left} blocks left)", c.expires_at)
							}
						));
					}
					text
				},
			);
			Ok(())
		},
		ChannelCmd::Close { wallet, id } => {
			let client = ctx.client().await?;
			let signer = ctx.coldkey(&wallet)?;
			let channel = own_channel(&client, &signer, id).await?;
			let best = client.best_block_number().await?;
			// The transaction lands in block best + 1 at the earliest.
			if best.saturating_add(1) < u64::from(channel.expires_at) {
				return refuse(format!(
					"not expired: channel {id} can be closed from block {} on (the best block is \
					 {best}, {} blocks to go); nothing was signed or sent",
					channel.expires_at,
					u64::from(channel.expires_at) - best - 1
				));
			}
			let call = calls::channel_close(id);
			let r = ctx.submit(&client, out, "closing", &call, &signer, 0).await?;
			let refunded = channel.remaining();
			out.receipt_with(
				&r,
				&format!("closed channel {id}: {} AGR refunded", format_agr(refunded)),
				json!({ "id": id, "refunded": agr(refunded) }),
			);
			Ok(())
		},
	}
}

/// A refusal before signing (exit code 1).
fn refuse<T>(message: String) -> Result<T> {
	Err(Failure { code: 1, message })
}

fn not_found(id: ChannelId) -> Failure {
	Failure { code: 1, message: format!("channel {id} does not exist (never opened, or closed)") }
}

fn account(signer: &Keypair) -> AccountId32 {
	signer.public_key().to_account_id()
}

fn block(n: u64) -> Result<BlockNumber> {
	BlockNumber::try_from(n).map_err(|_| Failure::usage(format!("block {n} is out of range")))
}

/// Channel `id`, which must exist and have been opened by `signer` (only its consumer may top
/// it up, extend or close it).
async fn own_channel(client: &Client, signer: &Keypair, id: ChannelId) -> Result<Channel> {
	let channel = client.channel(id).await?.ok_or_else(|| not_found(id))?;
	let me = account(signer);
	if channel.consumer != me {
		return refuse(format!(
			"not the consumer: channel {id} was opened by {}, not by {me}; only its consumer may \
			 top it up, extend or close it; nothing was signed or sent",
			channel.consumer
		));
	}
	Ok(channel)
}

/// The channels `account` is the consumer or the provider of, with its role, by id.
fn of_account(channels: Vec<Channel>, account: &AccountId32) -> Vec<(&'static str, Channel)> {
	channels
		.into_iter()
		.filter_map(|c| {
			let role = if c.consumer == *account {
				"consumer"
			} else if c.provider == *account {
				"provider"
			} else {
				return None;
			};
			Some((role, c))
		})
		.collect()
}

fn show_json(c: &Channel, best: u64) -> Value {
	json!({
		"id": c.id,
		"consumer": c.consumer.to_string(),
		"provider": c.provider.to_string(),
		"deposit": agr(c.deposit),
		"claimed": agr(c.claimed),
		"remaining": agr(c.remaining()),
		"expires_at": c.expires_at,
		"best_block": best,
		"blocks_left": u64::from(c.expires_at).saturating_sub(best),
		"expired": best >= u64::from(c.expires_at),
	})
}

#[cfg(test)]
mod tests {
	use super::*;

	fn channel(id: ChannelId, consumer: u8, provider: u8) -> Channel {
		Channel {
			id,
			consumer: AccountId32([consumer; 32]),
			provider: AccountId32([provider; 32]),
			deposit: 10,
			claimed: 0,
			expires_at: 5,
		}
	}

	#[test]
	fn an_account_lists_its_channels_either_side() {
		let all = vec![channel(0, 1, 2), channel(1, 3, 1), channel(2, 3, 2)];
		let mine = of_account(all, &AccountId32([1; 32]));
		let roles: Vec<_> = mine.iter().map(|(r, c)| (*r, c.id)).collect();
		assert_eq!(roles, [("consumer", 0), ("provider", 1)]);
	}
}
