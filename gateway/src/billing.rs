//! Paid requests on the HTTP side: the voucher header read, the request priced, the voucher
//! admitted by the [`Ledger`] before the work and settled after it (also when the client goes
//! away mid-request: nothing is then spent).

use std::sync::Arc;

use agora_client::{
	chain::ChannelId,
	payments::{Voucher, VOUCHER_HEADER},
};
use agora_primitives::Balance;
use axum::http::{HeaderMap, StatusCode};
use futures::future::BoxFuture;

use crate::{
	error::ApiError,
	ledger::{Admission, ChannelState, Ledger, LedgerError, PaymentError},
};

/// What the HTTP side asks of the vouchers' ledger: the [`Ledger`] in production, a fake in
/// tests.
pub trait Payments: Send + Sync + 'static {
	/// [`Ledger::admit`].
	fn admit<'a>(
		&'a self,
		voucher: &'a Voucher,
		price: Balance,
	) -> BoxFuture<'a, Result<Admission, PaymentError>>;
	/// [`Ledger::settle`].
	fn settle(&self, admission: Admission, served: bool) -> Result<Balance, LedgerError>;
	/// [`Ledger::state`].
	fn state(&self, channel: ChannelId) -> Option<ChannelState>;
	/// [`Ledger::totals`].
	fn totals(&self) -> (Balance, Balance);
}

impl Payments for Ledger {
	fn admit<'a>(
		&'a self,
		voucher: &'a Voucher,
		price: Balance,
	) -> BoxFuture<'a, Result<Admission, PaymentError>> {
		Box::pin(Ledger::admit(self, voucher, price))
	}

	fn settle(&self, admission: Admission, served: bool) -> Result<Balance, LedgerError> {
		Ledger::settle(self, admission, served)
	}

	fn state(&self, channel: ChannelId) -> Option<ChannelState> {
		Ledger::state(self, channel)
	}

	fn totals(&self) -> (Balance, Balance) {
		Ledger::totals(self)
	}
}

/// The request's voucher, if it carries one; 401 when the header is not a voucher.
pub fn voucher_of(headers: &HeaderMap) -> Result<Option<Voucher>, ApiError> {
	let Some(value) = headers.get(VOUCHER_HEADER) else { return Ok(None) };
	let value = value.to_str().map_err(|_| {
		ApiError::invalid_voucher(format!("the {VOUCHER_HEADER} header is not text"))
	})?;
	Voucher::from_header(value)
		.map(Some)
		.map_err(|e| ApiError::invalid_voucher(format!("{VOUCHER_HEADER}: {e}")))
}

/// The HTTP error of a voucher the ledger refused.
pub fn refused(e: &PaymentError) -> ApiError {
	let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::PAYMENT_REQUIRED);
	let mut error = ApiError::new(status, e.code(), e.to_string());
	error.required = e.required();
	error
}

/// A voucher admitted for one request: [`settle`](Charge::settle) it once the request is
/// served; dropped unsettled (an error, or the client went away), its [`Admission`] releases
/// the reservation and nothing is spent.
pub struct Charge {
	payments: Arc<dyn Payments>,
	admission: Admission,
	/// The request's price, in planck.
	pub price: Balance,
}

impl Charge {
	/// Admits `voucher` for a request costing `price`; the ledger's refusal as an HTTP error.
	pub async fn admit(
		payments: Arc<dyn Payments>,
		voucher: &Voucher,
		price: Balance,
	) -> Result<Charge, ApiError> {
		let admission = payments.admit(voucher, price).await.map_err(|e| refused(&e))?;
		Ok(Charge { payments, admission, price })
	}

	/// Spends the price on the channel (the request was served); returns the channel's spent.
	pub fn settle(self) -> Result<Balance, ApiError> {
		self.payments.settle(self.admission, true).map_err(|e| {
			tracing::error!("cannot record a served request: {e}");
			ApiError::internal(format!("the gateway cannot record the payment: {e}"))
		})
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use axum::http::HeaderValue;

	#[test]
	fn voucher_headers_are_read_or_refused_with_401() {
		let mut headers = HeaderMap::new();
		assert_eq!(voucher_of(&headers), Ok(None));
		let v = Voucher::sign(&[1; 32], 4, 1_000, &subxt_signer::sr25519::dev::alice());
		headers.insert(VOUCHER_HEADER, HeaderValue::from_str(&v.to_header()).expect("ascii"));
		assert_eq!(voucher_of(&headers), Ok(Some(v)));
		headers.insert(VOUCHER_HEADER, HeaderValue::from_static("4:1000:0xab"));
		let err = voucher_of(&headers).expect_err("malformed");
		assert_eq!(err.status, StatusCode::UNAUTHORIZED);
		assert_eq!(err.code, "invalid_voucher");
	}
}
