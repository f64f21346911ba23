//! Claiming the vouchers held on chain: periodically, before channels expire, at start and at
//! shutdown.
//!
//! For each channel whose largest voucher is above what was claimed, the claimer reads the
//! channel and [`plan`]s: claim it (`Payments.claim`, signed by the gateway's hotkey, waiting for
//! inclusion), or record that the chain already has as much claimed (someone claimed with this
//! hotkey elsewhere), or forget the channel (closed, or the record is not this channel's). A
//! claim the chain refuses as `StaleVoucher` is recorded the same way, one refused as
//! `ChannelNotFound` forgets the channel (the consumer closed it before the claim: a warning,
//! the voucher is lost); any other failure is retried later, not at once.
//!
//! [`run`] claims everything every `interval` blocks and, in between, whatever is within
//! `margin` blocks of its channel's expiry (the ledger stops accepting vouchers there, so one
//! claim settles the channel). [`claim_all`] is for the start (vouchers left by a crash) and the
//! shutdown.

use std::{collections::HashMap, time::Duration};

use agora_client::{
	chain::{Channel, ChannelId},
	Client, ClientError, Keypair, Wait,
};
use agora_primitives::Balance;

use crate::ledger::{Claimable, Ledger, Rules};

const LOG_TARGET: &str = "gateway::claimer";

/// How often [`run`] looks at the best block.
pub const POLL: Duration = Duration::from_secs(3);

/// Blocks a channel whose claim failed waits before the next attempt (see [`retry_at`]).
pub const RETRY_BLOCKS: u64 = 5;

/// The block from which a claim that failed at block `best` is tried again: after
/// [`RETRY_BLOCKS`], or at the next block when the channel is within the claim margin of its
/// expiry (its consumer may close it from the expiry on: a margin shorter than the wait would
/// otherwise leave no second try).
pub fn retry_at(best: u64, expiring: bool) -> u64 {
	best.saturating_add(if expiring { 1 } else { RETRY_BLOCKS })
}

/// What to do with a voucher to claim, given its channel on chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
	/// Submit the claim.
	Claim,
	/// The chain already has this much claimed, at least the voucher: record it.
	AlreadyClaimed(Balance),
	/// The channel is gone (closed): forget it.
	Closed,
	/// The channel under this id is not the one the voucher is for (another consumer or
	/// provider, or a signature that does not verify, e.g. another chain): forget it.
	Foreign,
}

/// What to do with `claim` when its channel on chain is `channel`.
pub fn plan(rules: &Rules, claim: &Claimable, channel: Option<&Channel>) -> Plan {
	let Some(c) = channel else { return Plan::Closed };
	let v = &claim.voucher;
	if c.provider != rules.provider
		|| c.consumer.0 != claim.consumer
		|| !v.verify(&rules.genesis_hash, &c.consumer.0)
	{
		return Plan::Foreign;
	}
	if c.claimed >= v.amount {
		return Plan::AlreadyClaimed(c.claimed);
	}
	Plan::Claim
}

/// One claim that landed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claimed {
	/// The channel.
	pub channel: ChannelId,
	/// The voucher's cumulative amount, now claimed.
	pub total: Balance,
	/// What this claim paid (`total` less what was claimed before).
	pub paid: Balance,
	/// The block it landed in.
	pub block: String,
}

/// What a round of claims did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClaimReport {
	/// Claims that landed.
	pub claimed: Vec<Claimed>,
	/// Channels whose vouchers were already claimed on chain (recorded).
	pub already: Vec<ChannelId>,
	/// Channels forgotten: closed, or not the channel the record was for.
	pub dropped: Vec<ChannelId>,
	/// Claims that failed, to retry: channel and why.
	pub failed: Vec<(ChannelId, String)>,
}

impl ClaimReport {
	/// Planck the landed claims paid.
	pub fn paid(&self) -> Balance {
		self.claimed.iter().fold(0, |sum, c| sum.saturating_add(c.paid))
	}
}

/// Claims every voucher above what its channel has claimed, one after the other; logs and
/// returns what happened.
pub async fn claim_all(ledger: &Ledger, client: &Client, signer: &Keypair) -> ClaimReport {
	let mut report = ClaimReport::default();
	for claim in ledger.claimable() {
		claim_one(ledger, client, signer, &claim, &mut report).await;
	}
	if report != ClaimReport::default() {
		tracing::info!(
			target: LOG_TARGET,
			"claims: {} landed ({} planck), {} already claimed, {} dropped, {} failed",
			report.claimed.len(),
			report.paid(),
			report.already.len(),
			report.dropped.len(),
			report.failed.len()
		);
	}
	report
}

/// Claims every `interval_blocks` blocks, and in between whatever is within `margin_blocks` of
/// its channel's expiry; forever (abort the task to stop it, then call [`claim_all`]).
pub async fn run(
	ledger: Ledger,
	client: Client,
	signer: Keypair,
	interval_blocks: u32,
	margin_blocks: u32,
) {
	let mut last_round: Option<u64> = None;
	let mut retrying: HashMap<ChannelId, u64> = HashMap::new();
	loop {
		tokio::time::sleep(POLL).await;
		let best = match client.best_block_number().await {
			Ok(best) => best,
			Err(e) => {
				tracing::warn!(target: LOG_TARGET, "cannot read the best block: {e}");
				continue;
			},
		};
		let round = *last_round.get_or_insert(best);
		let full = best >= round.saturating_add(u64::from(interval_blocks));
		let mut report = ClaimReport::default();
		for claim in ledger.claimable() {
			let id = claim.voucher.channel;
			let expiring = crate::ledger::expiring(best, margin_blocks, claim.expires_at);
			let waiting = retrying.get(&id).is_some_and(|&at| best < at);
			if (full || expiring) && !waiting {
				let failed = report.failed.len();
				claim_one(&ledger, &client, &signer, &claim, &mut report).await;
				if report.failed.len() > failed {
					retrying.insert(id, retry_at(best, expiring));
				} else {
					retrying.remove(&id);
				}
			}
		}
		if full {
			last_round = Some(best);
		}
		if report != ClaimReport::default() {
			tracing::info!(
				target: LOG_TARGET,
				"block {best}: {} claim(s) landed ({} planck), {} failed",
				report.claimed.len(),
				report.paid(),
				report.failed.len()
			);
		}
	}
}

/// Reads the channel, then claims, records or forgets as [`plan`] says.
async fn claim_one(
	ledger: &Ledger,
	client: &Client,
	signer: &Keypair,
	claim: &Claimable,
	report: &mut ClaimReport,
) {
	let v = claim.voucher;
	let id = v.channel;
	let channel = match client.channel(id).await {
		Ok(c) => c,
		Err(e) => {
			report.failed.push((id, format!("cannot read the channel: {e}")));
			return;
		},
	};
	match plan(ledger.rules(), claim, channel.as_ref()) {
		Plan::Claim => {},
		Plan::AlreadyClaimed(claimed) => {
			record(ledger, id, claimed, channel.as_ref(), report);
			report.already.push(id);
			return;
		},
		Plan::Closed => {
			tracing::warn!(
				target: LOG_TARGET,
				"channel {id} was closed before its voucher for {} planck was claimed ({} \
				 claimed): the rest is lost",
				v.amount,
				claim.claimed
			);
			forget(ledger, id, report);
			return;
		},
		Plan::Foreign => {
			tracing::warn!(
				target: LOG_TARGET,
				"channel {id} on chain is not the channel of the stored voucher (another chain, \
				 or the id was reused): forgotten"
			);
			forget(ledger, id, report);
			return;
		},
	}
	let before = channel.as_ref().map_or(claim.claimed, |c| c.claimed);
	match client.submit(&v.claim_call(), signer, Wait::Inclusion).await {
		Ok(receipt) => {
			let paid = v.amount.saturating_sub(before);
			tracing::info!(
				target: LOG_TARGET,
				"channel {id}: claimed {paid} planck ({} in all) in block {:?}",
				v.amount,
				receipt.block
			);
			if let Err(e) = ledger.record_claim(id, v.amount, channel.map(|c| c.expires_at)) {
				tracing::error!(target: LOG_TARGET, "channel {id}: claim landed, not recorded: {e}");
			}
			report.claimed.push(Claimed {
				channel: id,
				total: v.amount,
				paid,
				block: format!("{:?}", receipt.block),
			});
		},
		Err(ClientError::Dispatch { pallet, error, .. })
			if pallet == "Payments" && error == "StaleVoucher" =>
		{
			// Claimed meanwhile (another process with this hotkey): what the chain has now.
			match client.channel(id).await {
				Ok(now) => {
					let claimed = now.as_ref().map_or(v.amount, |c| c.claimed);
					record(ledger, id, claimed, now.as_ref(), report);
					report.already.push(id);
				},
				Err(e) => report.failed.push((id, format!("stale voucher, then: {e}"))),
			}
		},
		Err(ClientError::Dispatch { pallet, error, .. })
			if pallet == "Payments" && error == "ChannelNotFound" =>
		{
			tracing::warn!(
				target: LOG_TARGET,
				"channel {id} was closed before its voucher for {} planck was claimed: the rest \
				 is lost",
				v.amount
			);
			forget(ledger, id, report);
		},
		Err(e) => {
			tracing::warn!(target: LOG_TARGET, "channel {id}: claim of {} failed: {e}", v.amount);
			report.failed.push((id, e.to_string()));
		},
	}
}

fn record(
	ledger: &Ledger,
	id: ChannelId,
	claimed: Balance,
	channel: Option<&Channel>,
	report: &mut ClaimReport,
) {
	if let Err(e) = ledger.record_claim(id, claimed, channel.map(|c| c.expires_at)) {
		report.failed.push((id, e.to_string()));
	}
}

fn forget(ledger: &Ledger, id: ChannelId, report: &mut ClaimReport) {
	match ledger.forget(id) {
		Ok(()) => report.dropped.push(id),
		Err(e) => report.failed.push((id, e.to_string())),
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use agora_client::{payments::Voucher, AccountId32};
	use subxt_signer::sr25519::dev;

	const GENESIS: [u8; 32] = [7; 32];

	fn account(k: &Keypair) -> AccountId32 {
		k.public_key().to_account_id()
	}

	#[test]
	fn the_last_voucher_accepted_is_claimed_before_its_channel_may_close() {
		// Channel expiring at block 100, margin 3: the ledger accepts vouchers up to block 96;
		// from block 97 it refuses them and the claimer claims, with blocks 97 to 99 to land
		// the claim before the consumer may close (from block 100).
		let margin = 3;
		let last_accepted = (0..100).rev().find(|&b| !crate::ledger::expiring(b, margin, 100));
		assert_eq!(last_accepted, Some(96));
		let first_claim = (0..100).find(|&b| crate::ledger::expiring(b, margin, 100));
		assert_eq!(first_claim, Some(97));
	}

	#[test]
	fn a_failed_claim_near_the_expiry_is_tried_again_at_once() {
		assert_eq!(retry_at(100, false), 100 + RETRY_BLOCKS);
		// With the e2e test's margin of 5 blocks, waiting 5 would give no second try.
		assert_eq!(retry_at(100, true), 101);
	}

	#[test]
	fn plans_follow_the_channel_on_chain() {
		let rules =
			Rules { provider: account(&dev::bob()), genesis_hash: GENESIS, claim_margin: 5 };
		let channel = Channel {
			id: 4,
			consumer: account(&dev::alice()),
			provider: account(&dev::bob()),
			deposit: 1_000,
			claimed: 100,
			expires_at: 50,
		};
		let claim = Claimable {
			voucher: Voucher::sign(&GENESIS, 4, 300, &dev::alice()),
			claimed: 100,
			expires_at: 50,
			consumer: account(&dev::alice()).0,
		};
		assert_eq!(plan(&rules, &claim, Some(&channel)), Plan::Claim);
		assert_eq!(plan(&rules, &claim, None), Plan::Closed);
		let claimed = Channel { claimed: 300, ..channel.clone() };
		assert_eq!(plan(&rules, &claim, Some(&claimed)), Plan::AlreadyClaimed(300));
		let reused = Channel { consumer: account(&dev::charlie()), ..channel.clone() };
		assert_eq!(plan(&rules, &claim, Some(&reused)), Plan::Foreign);
		let other_chain =
			Claimable { voucher: Voucher::sign(&[1; 32], 4, 300, &dev::alice()), ..claim };
		assert_eq!(plan(&rules, &other_chain, Some(&channel)), Plan::Foreign);
		let not_ours = Channel { provider: account(&dev::charlie()), ..channel };
		assert_eq!(plan(&rules, &claim, Some(&not_ours)), Plan::Foreign);
	}
}
