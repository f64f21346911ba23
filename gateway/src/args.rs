//! `agora-gateway`'s flags, one group per concern.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use agora_client::{
	amount::{parse_agr, BadAmount},
	payments::Pricing,
};
use agora_neuron::args::NeuronArgs;
use agora_primitives::{Balance, NetUid};
use clap::{Args, Parser};

/// An OpenAI-compatible HTTP API over Agora subnets' miners, run by a validator's hotkey and paid
/// per call through payment channels.
#[derive(Parser, Debug)]
#[command(name = "agora-gateway", version, about, long_about = None)]
pub struct Cli {
	/// The node, the hotkey and the libp2p side (the validator's p2p key, so miners know it).
	#[command(flatten)]
	pub neuron: NeuronArgs,
	/// What to serve and where.
	#[command(flatten, next_help_heading = "Serving")]
	pub serve: ServeArgs,
	/// Prices.
	#[command(flatten, next_help_heading = "Pricing")]
	pub pricing: PricingArgs,
	/// Payments.
	#[command(flatten, next_help_heading = "Payments")]
	pub payments: PaymentArgs,
	/// Routing to miners.
	#[command(flatten, next_help_heading = "Routing")]
	pub routing: RoutingArgs,
}

/// What to serve and where.
#[derive(Args, Clone, Debug)]
pub struct ServeArgs {
	/// A subnet to serve (repeat for several) [default: every subnet where the hotkey holds a
	/// validator permit].
	#[arg(long = "netuid", value_name = "N")]
	pub netuids: Vec<NetUid>,
	/// The HTTP address to listen on.
	#[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
	pub http_listen: SocketAddr,
}

/// The price schedule published at `GET /v1/models`.
#[derive(Args, Clone, Debug)]
pub struct PricingArgs {
	/// AGR charged for every request.
	#[arg(long, value_name = "AGR", default_value = "0.001", value_parser = agr)]
	pub price_per_request: Balance,
	/// AGR charged per input string of an embeddings request.
	#[arg(long, value_name = "AGR", default_value = "0.0001", value_parser = agr)]
	pub price_per_input: Balance,
	/// AGR charged per token a completion may produce (its max_tokens).
	#[arg(long, value_name = "AGR", default_value = "0.00001", value_parser = agr)]
	pub price_per_token: Balance,
	/// The max_tokens of a completion request that gives none.
	#[arg(long, default_value_t = 64)]
	pub default_max_tokens: u32,
	/// The largest max_tokens accepted (miners generate at most 256).
	#[arg(long, default_value_t = 256)]
	pub max_tokens_limit: u32,
}

fn agr(s: &str) -> Result<Balance, BadAmount> {
	parse_agr(s)
}

/// The most tokens a miner generates for one query.
pub const MINER_MAX_TOKENS: u32 = 256;

impl PricingArgs {
	/// The schedule; refuses token limits miners would not serve.
	pub fn pricing(&self) -> anyhow::Result<Pricing> {
		anyhow::ensure!(
			(1..=MINER_MAX_TOKENS).contains(&self.max_tokens_limit),
			"--max-tokens-limit must be 1 to {MINER_MAX_TOKENS} (miners generate at most \
			 {MINER_MAX_TOKENS} tokens), not {}",
			self.max_tokens_limit
		);
		anyhow::ensure!(
			(1..=self.max_tokens_limit).contains(&self.default_max_tokens),
			"--default-max-tokens must be 1 to --max-tokens-limit ({}), not {}",
			self.max_tokens_limit,
			self.default_max_tokens
		);
		Ok(Pricing {
			per_request: self.price_per_request,
			per_input: self.price_per_input,
			per_output_token: self.price_per_token,
			default_max_tokens: self.default_max_tokens,
			max_tokens_limit: self.max_tokens_limit,
		})
	}
}

/// The vouchers' database, claiming, and the free tier.
#[derive(Args, Clone, Debug)]
pub struct PaymentArgs {
	/// Requests per minute a client may make without a voucher, keyed by its
	/// `Authorization: Bearer` key, else its IP address (0: every request must pay).
	#[arg(long, value_name = "N", default_value_t = 0)]
	pub free_tier_rpm: u32,
	/// The vouchers' database [default: ~/.agora/gateway/<hotkey ss58>.redb].
	#[arg(long, value_name = "FILE")]
	pub db: Option<PathBuf>,
	/// Blocks between two claiming passes.
	#[arg(long, value_name = "BLOCKS", default_value_t = 50)]
	pub claim_interval: u32,
	/// Vouchers of channels expiring within this many blocks are claimed, and refused.
	#[arg(long, value_name = "BLOCKS", default_value_t = 20)]
	pub claim_margin: u32,
}

/// The smallest `--claim-margin`: the ledger's best block may be a block old, the claimer looks
/// once a block or so, and its claim needs a block to be included, all before the consumer may
/// close the channel (from its expiry block on). Below that the gateway would accept vouchers
/// it may not manage to claim.
pub const MIN_CLAIM_MARGIN: u32 = 3;

impl PaymentArgs {
	/// Refuses a claim margin too short for the last vouchers of a channel to be claimed before
	/// its consumer may close it.
	pub fn check(&self) -> anyhow::Result<()> {
		anyhow::ensure!(
			self.claim_margin >= MIN_CLAIM_MARGIN,
			"--claim-margin must be at least {MIN_CLAIM_MARGIN} blocks, not {}: vouchers accepted \
			 closer to a channel's expiry could not be claimed before its consumer may close it \
			 and take the deposit back",
			self.claim_margin
		);
		Ok(())
	}

	/// The database file of `hotkey` (its SS58 address).
	pub fn db_path(&self, hotkey: &str) -> PathBuf {
		self.db.clone().unwrap_or_else(|| {
			agora_client::wallet::default_root()
				.parent()
				.map(|p| p.join("gateway"))
				.unwrap_or_else(|| PathBuf::from("gateway"))
				.join(format!("{hotkey}.redb"))
		})
	}
}

/// How requests reach miners.
#[derive(Args, Clone, Debug)]
pub struct RoutingArgs {
	/// Seconds one miner query may take.
	#[arg(long, value_name = "SECS", default_value_t = 20)]
	pub timeout: u64,
	/// Other miners tried after one fails.
	#[arg(long, value_name = "N", default_value_t = 2)]
	pub retries: usize,
	/// Queries in flight per miner at most: miners allow a validator 4 by default
	/// (`agora-miner --peer-in-flight`); raise it for miners that allow more (an embedding miner
	/// batches the queries that queue).
	#[arg(long, value_name = "N", default_value_t = crate::miners::PER_MINER_IN_FLIGHT)]
	pub miner_in_flight: usize,
	/// Requests served at once; more are refused with 429.
	#[arg(long, value_name = "N", default_value_t = 64)]
	pub max_concurrency: usize,
	/// Seconds between two reads of the served subnets' metagraphs.
	#[arg(long, value_name = "SECS", default_value_t = 6)]
	pub sync_interval: u64,
}

impl RoutingArgs {
	/// The per-query timeout.
	pub fn timeout(&self) -> Duration {
		Duration::from_secs(self.timeout.max(1))
	}

	/// The metagraph refresh period.
	pub fn sync_interval(&self) -> Duration {
		Duration::from_secs(self.sync_interval.max(1))
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn defaults_follow_the_design() {
		let cli = Cli::try_parse_from(["agora-gateway"]).expect("parses");
		let p = cli.pricing.pricing().expect("valid");
		assert_eq!(p.per_request, 1_000_000);
		assert_eq!(p.per_input, 100_000);
		assert_eq!(p.per_output_token, 10_000);
		assert_eq!((p.default_max_tokens, p.max_tokens_limit), (64, 256));
		assert_eq!(cli.serve.http_listen.to_string(), "127.0.0.1:8080");
		assert!(cli.serve.netuids.is_empty());
		assert_eq!(cli.payments.free_tier_rpm, 0);
		assert_eq!((cli.payments.claim_interval, cli.payments.claim_margin), (50, 20));
		assert_eq!((cli.routing.timeout, cli.routing.retries), (20, 2));
		assert_eq!((cli.routing.max_concurrency, cli.routing.sync_interval), (64, 6));
		assert!(cli.payments.db_path("5Abc").ends_with("gateway/5Abc.redb"));
		let two = Cli::try_parse_from(["agora-gateway", "--netuid", "1", "--netuid", "3"])
			.expect("parses");
		assert_eq!(two.serve.netuids, vec![1, 3]);
		assert!(
			Cli::try_parse_from(["agora-gateway", "--price-per-request", "0.0000000001"]).is_err()
		);
		let high =
			Cli::try_parse_from(["agora-gateway", "--max-tokens-limit", "512"]).expect("parses");
		assert!(high.pricing.pricing().is_err());
	}

	#[test]
	fn a_claim_margin_too_short_to_claim_in_is_refused() {
		let cli = Cli::try_parse_from(["agora-gateway"]).expect("parses");
		assert!(cli.payments.check().is_ok());
		for margin in ["0", "1", "2"] {
			let cli =
				Cli::try_parse_from(["agora-gateway", "--claim-margin", margin]).expect("parses");
			let e = cli.payments.check().expect_err("too short");
			assert!(e.to_string().contains("at least 3"), "{e}");
		}
		let cli = Cli::try_parse_from(["agora-gateway", "--claim-margin", "3"]).expect("parses");
		assert!(cli.payments.check().is_ok());
	}
}
