//! The pre-signing funds check every spending command goes through.

use agora_client::{amount::format_agr, AccountId32, Client, Keypair};

use crate::{Failure, Result};

/// Refuses, before the transaction is signed for sending, one that `signer` cannot pay for:
/// `spend` (what the call itself takes from the free balance: the AGR sent, staked or burned)
/// plus the fee estimate must leave the existential deposit (or the frozen part, if larger)
/// behind, since the fee payment, `transfer_keep_alive` and the staking and subnets pallets all
/// keep the account alive. Otherwise the chain would refuse the call and still charge its fee.
pub(crate) async fn ensure_funds(
	client: &Client,
	signer: &Keypair,
	call: &impl subxt::transactions::Payload,
	spend: u128,
	what: &str,
) -> Result<()> {
	let address: AccountId32 = signer.public_key().to_account_id();
	let (balance, fee, ed) = tokio::try_join!(
		client.balance(&address),
		client.fee_estimate(call, signer),
		client.balance_constant("Balances", "ExistentialDeposit"),
	)?;
	let frozen = balance.frozen.saturating_sub(balance.reserved);
	let (keep, kept) = if frozen > ed { (frozen, "frozen") } else { (ed, "existential deposit") };
	let need = spend.saturating_add(fee).saturating_add(keep);
	if need <= balance.free {
		return Ok(());
	}
	let spent = if spend > 0 { format!("{} AGR + ", format_agr(spend)) } else { String::new() };
	Err(Failure {
		code: 1,
		message: format!(
			"insufficient balance: {what} needs {spent}{} AGR fee + {} AGR {kept} = {} AGR, \
			 {address} has {} AGR free: {} AGR missing; nothing was signed or sent",
			format_agr(fee),
			format_agr(keep),
			format_agr(need),
			format_agr(balance.free),
			format_agr(need - balance.free),
		),
	})
}
