//! The off-chain half of `pallet-payments`: the vouchers a consumer signs for each paid request,
//! the way they travel in HTTP headers, and the price schedule a gateway publishes, computed the
//! same way by the gateway (to refuse an underpaying voucher) and by the consumer's signing proxy
//! (to sign exactly the price).
//!
//! ## Vouchers
//!
//! A voucher `(channel, amount)` is the consumer's sr25519 signature over
//! [`pallet_payments::voucher_payload`]`(genesis_hash, channel, amount)`; `amount` is the
//! **cumulative** AGR (in planck) the consumer agrees to pay on the channel. The provider claims
//! the largest one on chain with [`Voucher::claim_call`]. In HTTP the voucher travels as
//! [`VOUCHER_HEADER`]: `<channel>:<amount>:0x<128 hex digits>`.
//!
//! ## Prices
//!
//! [`Pricing::price`] of a request (all in planck):
//!
//! ```text
//! embeddings:        per_request + per_input × number of input strings
//! (chat) completions: per_request + per_output_token × max_tokens
//!                     (max_tokens: the request's, else the schedule's default_max_tokens)
//! ```
//!
//! Completions are priced on the most tokens they may produce (`max_tokens`, also bounding the
//! miner's work), known before the work is done, so the consumer signs once per request.

use std::fmt;

use agora_primitives::Balance;
use serde::{Deserialize, Serialize};
use subxt::tx::Payload;
use subxt_signer::sr25519::{self, Keypair};

use crate::chain::ChannelId;

/// The request header carrying a [`Voucher`] (`<channel>:<amount>:0x<signature>`).
pub const VOUCHER_HEADER: &str = "x-agora-voucher";
/// The response header giving the price of the request, in planck.
pub const PRICE_HEADER: &str = "x-agora-price";
/// The response header giving the cumulative amount spent on the channel, this request included,
/// in planck: a signing client pays `spent + price` next (never more than its last voucher plus
/// the price).
pub const SPENT_HEADER: &str = "x-agora-spent";

/// A consumer's signed promise to pay `amount` planck in all on `channel`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Voucher {
	/// The channel (`Payments.Channels` key).
	pub channel: ChannelId,
	/// The cumulative amount, in planck.
	pub amount: Balance,
	/// The consumer's sr25519 signature of [`voucher_payload`](pallet_payments::voucher_payload).
	pub signature: [u8; 64],
}

impl fmt::Debug for Voucher {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		write!(f, "Voucher({})", self.to_header())
	}
}

/// Why a voucher header could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VoucherError {
	/// Not three `:`-separated fields.
	#[error("a voucher is `<channel>:<amount>:0x<signature>`, got {0:?}")]
	Malformed(String),
	/// The channel id is not a `u64`.
	#[error("the voucher's channel {0:?} is not a channel id")]
	BadChannel(String),
	/// The amount is not a planck amount (`u128`).
	#[error("the voucher's amount {0:?} is not an amount in planck")]
	BadAmount(String),
	/// The signature is not `0x` and 128 hex digits.
	#[error("the voucher's signature is not 0x and 128 hex digits")]
	BadSignature,
}

impl Voucher {
	/// The consumer's voucher for `amount` on `channel` of the chain with `genesis_hash`.
	pub fn sign(
		genesis_hash: &[u8; 32],
		channel: ChannelId,
		amount: Balance,
		consumer: &Keypair,
	) -> Voucher {
		let payload = pallet_payments::voucher_payload(genesis_hash, channel, amount);
		Voucher { channel, amount, signature: consumer.sign(&payload).0 }
	}

	/// Whether this is `consumer`'s signature for this chain (as `Payments.claim` checks it, for
	/// sr25519 accounts).
	pub fn verify(&self, genesis_hash: &[u8; 32], consumer: &[u8; 32]) -> bool {
		let payload = pallet_payments::voucher_payload(genesis_hash, self.channel, self.amount);
		sr25519::verify(
			&sr25519::Signature(self.signature),
			payload,
			&sr25519::PublicKey(*consumer),
		)
	}

	/// The header value: `<channel>:<amount>:0x<signature>`.
	pub fn to_header(&self) -> String {
		format!("{}:{}:0x{}", self.channel, self.amount, hex::encode(self.signature))
	}

	/// Reads a [`VOUCHER_HEADER`] value.
	pub fn from_header(value: &str) -> Result<Voucher, VoucherError> {
		let mut fields = value.trim().split(':');
		let (Some(channel), Some(amount), Some(signature), None) =
			(fields.next(), fields.next(), fields.next(), fields.next())
		else {
			return Err(VoucherError::Malformed(value.chars().take(200).collect()));
		};
		let channel = channel
			.parse()
			.map_err(|_| VoucherError::BadChannel(channel.chars().take(40).collect()))?;
		let amount = amount
			.parse()
			.map_err(|_| VoucherError::BadAmount(amount.chars().take(60).collect()))?;
		let signature = signature
			.strip_prefix("0x")
			.and_then(|h| hex::decode(h).ok())
			.and_then(|b| <[u8; 64]>::try_from(b).ok())
			.ok_or(VoucherError::BadSignature)?;
		Ok(Voucher { channel, amount, signature })
	}

	/// `Payments.claim(channel, amount, MultiSignature::Sr25519(signature))`, for the provider.
	pub fn claim_call(&self) -> impl Payload {
		crate::chain::calls::channel_claim(self.channel, self.amount, self.signature)
	}
}

/// A gateway's prices, in planck, published at `GET /v1/models`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pricing {
	/// Charged for every request.
	#[serde(with = "planck")]
	pub per_request: Balance,
	/// Charged per input string of an embeddings request.
	#[serde(with = "planck")]
	pub per_input: Balance,
	/// Charged per token a completion may produce (`max_tokens`).
	#[serde(with = "planck")]
	pub per_output_token: Balance,
	/// The `max_tokens` of a completion request that gives none.
	pub default_max_tokens: u32,
	/// The largest `max_tokens` the gateway accepts.
	pub max_tokens_limit: u32,
}

/// What a request asks for, as far as its price goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Priced {
	/// `POST /v1/embeddings` with this many input strings.
	Embeddings {
		/// Input strings.
		inputs: usize,
	},
	/// `POST /v1/completions` or `/v1/chat/completions` producing at most this many tokens.
	Completion {
		/// The request's `max_tokens` (or `max_completion_tokens`), if any.
		max_tokens: Option<u32>,
	},
}

/// Why a request has no price.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
	/// The path is not a priced endpoint.
	#[error(
		"{0} is not a paid endpoint (POST /v1/embeddings, /v1/completions, /v1/chat/completions)"
	)]
	NotPriced(String),
	/// `input` is missing or neither a string nor an array of strings.
	#[error("`input` must be a string or an array of strings")]
	BadInput,
	/// `max_tokens` above the gateway's limit.
	#[error("max_tokens {asked} is above this gateway's limit of {limit}")]
	TooManyTokens {
		/// What the request asked.
		asked: u32,
		/// [`Pricing::max_tokens_limit`].
		limit: u32,
	},
	/// `max_tokens` is not a positive integer.
	#[error("`max_tokens` must be a positive integer")]
	BadMaxTokens,
}

impl Priced {
	/// What the JSON `body` posted to `path` asks for: the same reading on the gateway and in
	/// the signing proxy.
	pub fn of(path: &str, body: &serde_json::Value) -> Result<Priced, PriceError> {
		let path = path.trim_end_matches('/');
		match path {
			"/v1/embeddings" => {
				let inputs = match body.get("input") {
					Some(serde_json::Value::String(_)) => 1,
					Some(serde_json::Value::Array(items))
						if items.iter().all(|i| i.is_string()) =>
					{
						items.len()
					},
					_ => return Err(PriceError::BadInput),
				};
				Ok(Priced::Embeddings { inputs })
			},
			"/v1/completions" | "/v1/chat/completions" => {
				let field = body.get("max_completion_tokens").or_else(|| body.get("max_tokens"));
				let max_tokens = match field {
					None | Some(serde_json::Value::Null) => None,
					Some(v) => Some(
						v.as_u64()
							.and_then(|n| u32::try_from(n).ok())
							.filter(|n| *n > 0)
							.ok_or(PriceError::BadMaxTokens)?,
					),
				};
				Ok(Priced::Completion { max_tokens })
			},
			other => Err(PriceError::NotPriced(other.chars().take(100).collect())),
		}
	}
}

impl Pricing {
	/// The tokens a completion request may produce under this schedule.
	pub fn max_tokens(&self, asked: Option<u32>) -> Result<u32, PriceError> {
		let tokens = asked.unwrap_or(self.default_max_tokens);
		if tokens > self.max_tokens_limit {
			return Err(PriceError::TooManyTokens { asked: tokens, limit: self.max_tokens_limit });
		}
		Ok(tokens)
	}

	/// The price of a request, in planck (saturating).
	pub fn price(&self, request: Priced) -> Result<Balance, PriceError> {
		Ok(match request {
			Priced::Embeddings { inputs } => {
				self.per_request.saturating_add(self.per_input.saturating_mul(inputs as Balance))
			},
			Priced::Completion { max_tokens } => self.per_request.saturating_add(
				self.per_output_token.saturating_mul(Balance::from(self.max_tokens(max_tokens)?)),
			),
		})
	}
}

/// The next cumulative amount a consumer signs for a request costing `price`, given its last
/// voucher `signed` and the gateway's reported `spent` (from [`SPENT_HEADER`] or
/// `GET /v1/channels/{id}`): enough to cover `spent + price`, and never more than `signed + price`
/// whatever the gateway reports; credit left from requests that failed is used first.
pub fn next_amount(signed: Balance, spent: Balance, price: Balance) -> Balance {
	signed.max(spent.saturating_add(price).min(signed.saturating_add(price)))
}

/// Planck amounts as JSON strings (a `u128` does not fit a JSON number everyone reads exactly),
/// read back from strings or integers.
pub mod planck {
	use agora_primitives::Balance;
	use serde::{de, Deserializer, Serializer};

	/// Writes the amount as a decimal string.
	pub fn serialize<S: Serializer>(amount: &Balance, s: S) -> Result<S::Ok, S::Error> {
		s.collect_str(amount)
	}

	/// Reads a decimal string or a non-negative integer.
	pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Balance, D::Error> {
		struct Visit;
		impl de::Visitor<'_> for Visit {
			type Value = Balance;
			fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
				f.write_str("an amount in planck (a decimal string or integer)")
			}
			fn visit_u64<E: de::Error>(self, v: u64) -> Result<Balance, E> {
				Ok(Balance::from(v))
			}
			fn visit_u128<E: de::Error>(self, v: u128) -> Result<Balance, E> {
				Ok(v)
			}
			fn visit_str<E: de::Error>(self, v: &str) -> Result<Balance, E> {
				v.parse().map_err(|_| E::custom(format!("{v:?} is not an amount in planck")))
			}
		}
		d.deserialize_any(Visit)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use serde_json::json;
	use subxt_signer::sr25519::dev;

	const GENESIS: [u8; 32] = [7; 32];

	#[test]
	fn voucher_signs_verifies_and_round_trips_as_a_header() {
		let alice = dev::alice();
		let v = Voucher::sign(&GENESIS, 3, 1_500, &alice);
		assert!(v.verify(&GENESIS, &alice.public_key().0));
		assert!(!v.verify(&[8; 32], &alice.public_key().0), "bound to the chain");
		assert!(!v.verify(&GENESIS, &dev::bob().public_key().0), "bound to the signer");
		let forged = Voucher { amount: 1_501, ..v };
		assert!(!forged.verify(&GENESIS, &alice.public_key().0), "bound to the amount");
		let back = Voucher::from_header(&v.to_header()).expect("parses");
		assert_eq!(back, v);
	}

	#[test]
	fn bad_headers_get_named_errors() {
		let sig = format!("0x{}", "ab".repeat(64));
		assert!(matches!(Voucher::from_header("1:2"), Err(VoucherError::Malformed(_))));
		assert!(matches!(Voucher::from_header("1:2:3:4"), Err(VoucherError::Malformed(_))));
		assert!(matches!(
			Voucher::from_header(&format!("x:2:{sig}")),
			Err(VoucherError::BadChannel(_))
		));
		assert!(matches!(
			Voucher::from_header(&format!("1:-2:{sig}")),
			Err(VoucherError::BadAmount(_))
		));
		assert_eq!(Voucher::from_header("1:2:0xabcd"), Err(VoucherError::BadSignature));
		assert_eq!(
			Voucher::from_header(&format!("1:2:{}", "ab".repeat(64))),
			Err(VoucherError::BadSignature)
		);
	}

	fn schedule() -> Pricing {
		Pricing {
			per_request: 1_000,
			per_input: 100,
			per_output_token: 10,
			default_max_tokens: 64,
			max_tokens_limit: 512,
		}
	}

	#[test]
	fn prices_follow_the_published_schedule() {
		let p = schedule();
		let emb = Priced::of("/v1/embeddings", &json!({"input": ["a", "b", "c"]})).expect("priced");
		assert_eq!(p.price(emb), Ok(1_300));
		let one = Priced::of("/v1/embeddings", &json!({"input": "a"})).expect("priced");
		assert_eq!(p.price(one), Ok(1_100));
		let chat = Priced::of("/v1/chat/completions", &json!({"max_tokens": 20})).expect("priced");
		assert_eq!(p.price(chat), Ok(1_200));
		let new_name =
			Priced::of("/v1/chat/completions", &json!({"max_completion_tokens": 30})).expect("ok");
		assert_eq!(p.price(new_name), Ok(1_300));
		let default = Priced::of("/v1/completions", &json!({"prompt": "x"})).expect("priced");
		assert_eq!(p.price(default), Ok(1_640));
		let big = Priced::of("/v1/completions", &json!({"max_tokens": 513})).expect("read");
		assert_eq!(p.price(big), Err(PriceError::TooManyTokens { asked: 513, limit: 512 }));
		assert_eq!(
			Priced::of("/v1/completions", &json!({"max_tokens": 0})),
			Err(PriceError::BadMaxTokens)
		);
		assert_eq!(
			Priced::of("/v1/embeddings", &json!({"input": [1, 2]})),
			Err(PriceError::BadInput)
		);
		assert!(matches!(Priced::of("/v1/models", &json!({})), Err(PriceError::NotPriced(_))));
	}

	#[test]
	fn pricing_serialises_amounts_as_strings() {
		let text = serde_json::to_string(&schedule()).expect("encodes");
		assert!(text.contains("\"per_request\":\"1000\""), "{text}");
		let back: Pricing = serde_json::from_str(&text).expect("decodes");
		assert_eq!(back, schedule());
	}

	#[test]
	fn next_amount_uses_credit_and_never_pays_more_than_the_price() {
		// Fresh channel: pay the price.
		assert_eq!(next_amount(0, 0, 100), 100);
		// In step with the gateway.
		assert_eq!(next_amount(500, 500, 100), 600);
		// A failed request left 100 of credit: the last voucher covers the next request.
		assert_eq!(next_amount(600, 500, 100), 600);
		// A gateway reporting more spent than was signed cannot raise a voucher by more than the
		// price.
		assert_eq!(next_amount(600, 10_000, 100), 700);
	}
}
