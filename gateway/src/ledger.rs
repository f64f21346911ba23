//! Admission of paid requests: a voucher is checked against its channel on chain and stored
//! before the request is served. (Interface stub: the payments helper replaces the bodies.)

use std::path::Path;

use agora_client::{chain::ChannelId, payments::Voucher, AccountId32, Client};
use agora_primitives::Balance;

/// The gateway's vouchers and what they paid for.
#[derive(Clone)]
pub struct Ledger {}

/// A voucher admitted for one request, to be [`Ledger::settle`]d after it.
#[derive(Debug)]
pub struct Admission {
	/// The channel.
	pub channel: ChannelId,
	/// The request's price, in planck.
	pub price: Balance,
}

/// A channel as the ledger knows it (`GET /v1/channels/{id}`).
#[derive(Clone, Debug, serde::Serialize)]
pub struct ChannelState {
	/// The channel.
	pub id: ChannelId,
}

/// Why the ledger cannot work.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
	/// The database failed.
	#[error("voucher database: {0}")]
	Database(String),
}

/// Why a voucher does not pay for a request.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
	/// Stub.
	#[error("not implemented")]
	Unimplemented,
}

impl PaymentError {
	/// The HTTP status: 401 (the voucher is not valid) or 402 (it does not pay enough).
	pub fn status(&self) -> u16 {
		402
	}

	/// The OpenAI-style error code.
	pub fn code(&self) -> &'static str {
		"payment_required"
	}

	/// The cumulative amount that would pay, when known.
	pub fn required(&self) -> Option<Balance> {
		None
	}
}

impl Ledger {
	/// Opens (or creates) the database at `path`.
	pub fn open(
		_path: &Path,
		_client: Client,
		_provider: AccountId32,
		_genesis_hash: [u8; 32],
		_claim_margin: u32,
	) -> Result<Ledger, LedgerError> {
		Err(LedgerError::Database("not implemented".into()))
	}

	/// Checks `voucher` for a request costing `price` and stores it durably.
	pub async fn admit(
		&self,
		_voucher: &Voucher,
		_price: Balance,
	) -> Result<Admission, PaymentError> {
		Err(PaymentError::Unimplemented)
	}

	/// Records what the admitted request spent; returns the channel's spent after it.
	pub fn settle(&self, _admission: Admission, _served: bool) -> Result<Balance, LedgerError> {
		Err(LedgerError::Database("not implemented".into()))
	}

	/// The channel's state as the ledger knows it.
	pub fn state(&self, _channel: ChannelId) -> Option<ChannelState> {
		None
	}

	/// Planck accepted (largest vouchers) and claimed on chain, over all channels.
	pub fn totals(&self) -> (Balance, Balance) {
		(0, 0)
	}
}
