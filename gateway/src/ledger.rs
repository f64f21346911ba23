//! Admission of paid requests: a voucher is checked against its channel on chain and stored
//! durably before the request is served; what the request cost is recorded after it.
//!
//! ## Admission
//!
//! [`admission_check`] is the rule, a plain function over the channel as the chain has it, the
//! voucher, what the ledger holds for the channel and the best block:
//!
//! ```text
//! channel.provider = this gateway's hotkey                    else 401 NotOurChannel
//! voucher signed by channel.consumer for this chain           else 401 BadSignature
//! best + claim_margin < channel.expires_at                    else 402 Expiring
//! voucher.amount ≤ channel.deposit                            else 402 AboveDeposit
//! max(voucher.amount, accepted) ≥ spent + reserved + price    else 402 Underpaid
//!                                                                 (required = spent + reserved + price)
//! ```
//!
//! `accepted` is the largest voucher held, `spent` what served requests cost, `reserved` the
//! prices of requests admitted and not yet settled. A voucher above `accepted` replaces it; an
//! older one is fine as long as the credit already held (`accepted − spent − reserved`) pays.
//!
//! ## Concurrency and durability
//!
//! Admission reserves the price in memory (under one lock, with the check) so that two requests
//! in flight cannot spend the same credit; [`Ledger::settle`] turns the reservation into `spent`
//! (served) or releases it (not served). An [`Admission`] dropped without being settled (the
//! handler was cancelled: the client went away) releases its reservation.
//!
//! The voucher a request relies on is committed to the database (fsync'd) before
//! [`Ledger::admit`] returns, so a gateway killed at any moment still holds, on restart, every
//! voucher it served a request for. `spent` is committed by `settle`.
//!
//! ## Channel reads
//!
//! Channels and the best block are read from the chain and kept [`CACHE_TTL`]; a voucher above the
//! cached deposit, or a channel refused as expiring, is read again at once (so a top-up or an
//! extension counts immediately).

use std::{
	collections::HashMap,
	path::Path,
	sync::{Arc, Mutex, MutexGuard},
	time::{Duration, Instant},
};

use agora_client::{
	chain::{Channel, ChannelId},
	payments::{Voucher, VoucherError},
	AccountId32, Client,
};
use agora_primitives::{Balance, BlockNumber};

use crate::store::{Record, Store, StoreError};

/// How long a channel or the best block read from the chain is trusted.
pub const CACHE_TTL: Duration = Duration::from_secs(3);

const LOG_TARGET: &str = "gateway::ledger";

/// What the gateway accepts vouchers for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rules {
	/// The gateway's hotkey: the provider its channels pay.
	pub provider: AccountId32,
	/// The chain's genesis hash (vouchers sign it).
	pub genesis_hash: [u8; 32],
	/// Blocks before a channel's expiry from which its vouchers are refused (the claimer needs
	/// them to land a claim before the consumer may close).
	pub claim_margin: u32,
}

/// What the ledger holds for a channel, as [`admission_check`] needs it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Held {
	/// The largest voucher accepted.
	pub accepted: Balance,
	/// What served requests cost.
	pub spent: Balance,
	/// Prices of requests admitted and not settled yet.
	pub reserved: Balance,
}

/// Whether a channel expiring at `expires_at` is within `margin` blocks of its expiry at block
/// `best`: its vouchers are refused from then on, and the claimer claims it at once (one rule
/// for both, so that the last voucher accepted is always one the claimer sees expiring).
pub fn expiring(best: u64, margin: u32, expires_at: BlockNumber) -> bool {
	best.saturating_add(u64::from(margin)) >= u64::from(expires_at)
}

/// Whether `voucher` pays for a request costing `price` on `channel` (see the module docs).
/// `Ok(true)` when the voucher is above `held.accepted` (the ledger keeps it), `Ok(false)` when
/// the credit already held pays.
pub fn admission_check(
	rules: &Rules,
	channel: &Channel,
	voucher: &Voucher,
	held: Held,
	best: u64,
	price: Balance,
) -> Result<bool, PaymentError> {
	let id = channel.id;
	if channel.provider != rules.provider {
		return Err(PaymentError::NotOurChannel {
			channel: id,
			provider: channel.provider,
			gateway: rules.provider,
		});
	}
	if voucher.channel != id || !voucher.verify(&rules.genesis_hash, &channel.consumer.0) {
		return Err(PaymentError::BadSignature { channel: id, consumer: channel.consumer });
	}
	if expiring(best, rules.claim_margin, channel.expires_at) {
		return Err(PaymentError::Expiring {
			channel: id,
			expires_at: channel.expires_at,
			best,
			margin: rules.claim_margin,
		});
	}
	if voucher.amount > channel.deposit {
		return Err(PaymentError::AboveDeposit {
			channel: id,
			amount: voucher.amount,
			deposit: channel.deposit,
		});
	}
	let required = held.spent.saturating_add(held.reserved).saturating_add(price);
	if voucher.amount.max(held.accepted) < required {
		return Err(PaymentError::Underpaid { channel: id, required, price });
	}
	Ok(voucher.amount > held.accepted)
}

/// A voucher admitted for one request, to be [`Ledger::settle`]d after it. Dropping it
/// unsettled counts the request as not served.
#[derive(Debug)]
pub struct Admission {
	/// The channel.
	pub channel: ChannelId,
	/// The request's price, in planck.
	pub price: Balance,
	/// The ledger holding the reservation; `None` once settled.
	ledger: Option<Arc<Inner>>,
}

impl Admission {
	/// An admission no ledger holds a reservation for (what a fake of the ledger hands out in
	/// tests); settling or dropping it changes nothing.
	pub fn detached(channel: ChannelId, price: Balance) -> Admission {
		Admission { channel, price, ledger: None }
	}
}

impl Drop for Admission {
	fn drop(&mut self) {
		if let Some(inner) = self.ledger.take() {
			if let Some(entry) = inner.entries().get_mut(&self.channel) {
				entry.reserved = entry.reserved.saturating_sub(self.price);
			}
		}
	}
}

/// A channel as the ledger knows it (`GET /v1/channels/{id}`); amounts in planck, as strings.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ChannelState {
	/// The channel.
	pub id: ChannelId,
	/// Its consumer (SS58).
	pub consumer: String,
	/// Its deposit, as last read from the chain.
	#[serde(with = "agora_client::payments::planck")]
	pub deposit: Balance,
	/// Its expiry block, as last read from the chain.
	pub expires_at: BlockNumber,
	/// Claimed on chain.
	#[serde(with = "agora_client::payments::planck")]
	pub claimed: Balance,
	/// The largest voucher accepted.
	#[serde(with = "agora_client::payments::planck")]
	pub accepted: Balance,
	/// What served requests cost (the consumer's credit is `accepted − spent`).
	#[serde(with = "agora_client::payments::planck")]
	pub spent: Balance,
	/// The voucher for `accepted` in its header form, if one was accepted.
	pub voucher: Option<String>,
}

/// A voucher the claimer may turn into AGR ([`Ledger::claimable`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Claimable {
	/// The largest voucher accepted.
	pub voucher: Voucher,
	/// What the ledger knows was claimed on chain.
	pub claimed: Balance,
	/// The channel's expiry as last read.
	pub expires_at: BlockNumber,
	/// The channel's consumer as last read.
	pub consumer: [u8; 32],
}

/// Why the ledger cannot work.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
	/// The database failed.
	#[error(transparent)]
	Database(#[from] StoreError),
}

/// Why a voucher does not pay for a request.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
	/// The voucher header is unreadable.
	#[error("malformed voucher: {0}")]
	Malformed(#[from] VoucherError),
	/// No channel has the voucher's id on chain.
	#[error("channel {channel} does not exist (never opened, or closed): open a channel to this gateway with `agora channel open`")]
	UnknownChannel {
		/// The channel.
		channel: ChannelId,
	},
	/// The channel pays someone else.
	#[error("channel {channel} pays {provider}, not this gateway ({gateway}): open a channel to {gateway}")]
	NotOurChannel {
		/// The channel.
		channel: ChannelId,
		/// Its provider.
		provider: AccountId32,
		/// This gateway's hotkey.
		gateway: AccountId32,
	},
	/// The signature is not the channel consumer's for this chain and amount.
	#[error("the voucher is not signed by channel {channel}'s consumer {consumer} for this chain")]
	BadSignature {
		/// The channel.
		channel: ChannelId,
		/// Its consumer.
		consumer: AccountId32,
	},
	/// The channel expires within the claim margin.
	#[error("channel {channel} expires at block {expires_at}; this gateway accepts no voucher within {margin} blocks of the expiry (best block {best}): extend it with `agora channel extend`")]
	Expiring {
		/// The channel.
		channel: ChannelId,
		/// Its expiry.
		expires_at: BlockNumber,
		/// The best block.
		best: u64,
		/// The gateway's claim margin.
		margin: u32,
	},
	/// The voucher is for more than the channel holds.
	#[error("the voucher's {amount} planck are above channel {channel}'s deposit of {deposit} planck: top it up with `agora channel top-up`")]
	AboveDeposit {
		/// The channel.
		channel: ChannelId,
		/// The voucher's amount.
		amount: Balance,
		/// The channel's deposit.
		deposit: Balance,
	},
	/// The voucher does not cover the request's price.
	#[error("the voucher does not pay for this request: it costs {price} planck, sign a voucher for {required} planck (cumulative) on channel {channel}")]
	Underpaid {
		/// The channel.
		channel: ChannelId,
		/// The cumulative amount that pays.
		required: Balance,
		/// The request's price.
		price: Balance,
	},
	/// The chain could not be read.
	#[error("cannot check the voucher: the chain is unreachable ({0}); try again")]
	Unavailable(String),
	/// The voucher could not be stored.
	#[error("cannot store the voucher: {0}")]
	Storage(String),
}

impl PaymentError {
	/// The HTTP status: 401 (the voucher is not valid), 402 (it does not pay enough), 503 (the
	/// chain is unreachable) or 500 (the database failed).
	pub fn status(&self) -> u16 {
		match self {
			PaymentError::Malformed(_)
			| PaymentError::UnknownChannel { .. }
			| PaymentError::NotOurChannel { .. }
			| PaymentError::BadSignature { .. } => 401,
			PaymentError::Expiring { .. }
			| PaymentError::AboveDeposit { .. }
			| PaymentError::Underpaid { .. } => 402,
			PaymentError::Unavailable(_) => 503,
			PaymentError::Storage(_) => 500,
		}
	}

	/// The OpenAI-style error code.
	pub fn code(&self) -> &'static str {
		match self.status() {
			401 => "invalid_voucher",
			402 => "payment_required",
			503 => "service_unavailable",
			_ => "internal_error",
		}
	}

	/// The cumulative amount that would pay, when known.
	pub fn required(&self) -> Option<Balance> {
		match self {
			PaymentError::Underpaid { required, .. } => Some(*required),
			_ => None,
		}
	}
}

/// The gateway's vouchers and what they paid for: cheap to clone (shared).
#[derive(Clone)]
pub struct Ledger {
	inner: Arc<Inner>,
}

struct Inner {
	rules: Rules,
	store: Store,
	chain: Chain,
	entries: Mutex<HashMap<ChannelId, Entry>>,
	cache: Mutex<Cache>,
}

impl std::fmt::Debug for Inner {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.write_str("Ledger")
	}
}

impl Inner {
	fn entries(&self) -> MutexGuard<'_, HashMap<ChannelId, Entry>> {
		// A panic while holding the lock leaves plain numbers behind: keep going.
		self.entries.lock().unwrap_or_else(|e| e.into_inner())
	}

	fn cache(&self) -> MutexGuard<'_, Cache> {
		self.cache.lock().unwrap_or_else(|e| e.into_inner())
	}
}

/// A channel's record with what only lives in memory.
struct Entry {
	record: Record,
	/// Prices of admitted, unsettled requests.
	reserved: Balance,
	/// The largest `accepted` known to be committed.
	durable: Balance,
	/// Whether the record was checked against the chain's channel since the ledger opened.
	checked: bool,
}

#[derive(Default)]
struct Cache {
	channels: HashMap<ChannelId, (Channel, Instant)>,
	best: Option<(u64, Instant)>,
}

/// Where channels and the best block come from.
enum Chain {
	Node(Client),
	#[cfg(test)]
	Fixed(Mutex<tests::FakeChain>),
}

impl Chain {
	async fn channel(&self, id: ChannelId) -> Result<Option<Channel>, PaymentError> {
		match self {
			Chain::Node(client) => {
				client.channel(id).await.map_err(|e| PaymentError::Unavailable(e.to_string()))
			},
			#[cfg(test)]
			Chain::Fixed(fake) => {
				let mut fake = fake.lock().expect("fake chain");
				fake.reads += 1;
				Ok(fake.channels.get(&id).cloned())
			},
		}
	}

	async fn best(&self) -> Result<u64, PaymentError> {
		match self {
			Chain::Node(client) => client
				.best_block_number()
				.await
				.map_err(|e| PaymentError::Unavailable(e.to_string())),
			#[cfg(test)]
			Chain::Fixed(fake) => Ok(fake.lock().expect("fake chain").best),
		}
	}
}

impl Ledger {
	/// Opens (or creates) the database at `path`; channels are read through `client`.
	pub fn open(
		path: &Path,
		client: Client,
		provider: AccountId32,
		genesis_hash: [u8; 32],
		claim_margin: u32,
	) -> Result<Ledger, LedgerError> {
		Ledger::with_chain(
			path,
			Chain::Node(client),
			Rules { provider, genesis_hash, claim_margin },
		)
	}

	fn with_chain(path: &Path, chain: Chain, rules: Rules) -> Result<Ledger, LedgerError> {
		let store = Store::open(path)?;
		let entries = store
			.all()?
			.into_iter()
			.map(|(id, record)| {
				(id, Entry { record, reserved: 0, durable: record.accepted, checked: false })
			})
			.collect::<HashMap<_, _>>();
		tracing::info!(
			target: LOG_TARGET,
			"{} channel(s) in {}, {} with a voucher to claim",
			entries.len(),
			path.display(),
			entries.values().filter(|e| e.record.claimable()).count()
		);
		Ok(Ledger {
			inner: Arc::new(Inner {
				rules,
				store,
				chain,
				entries: Mutex::new(entries),
				cache: Mutex::new(Cache::default()),
			}),
		})
	}

	/// What the ledger accepts vouchers for.
	pub fn rules(&self) -> &Rules {
		&self.inner.rules
	}

	/// Checks `voucher` for a request costing `price`, reserves the price and stores the voucher
	/// durably (fsync'd) before returning.
	pub async fn admit(
		&self,
		voucher: &Voucher,
		price: Balance,
	) -> Result<Admission, PaymentError> {
		let id = voucher.channel;
		let (mut channel, mut fresh) = self.channel(id, Some(voucher.amount)).await?;
		let mut best = self.best(fresh).await?;
		let (admission, snapshot) = loop {
			match self.reserve(&channel, voucher, best, price) {
				Err(PaymentError::Expiring { .. } | PaymentError::AboveDeposit { .. })
					if !fresh =>
				{
					// A top-up or an extension since the cached read counts at once.
					self.inner.cache().channels.remove(&id);
					(channel, fresh) = self.channel(id, None).await?;
					best = self.best(true).await?;
				},
				other => break other?,
			}
		};
		if let Some(record) = snapshot {
			let inner = self.inner.clone();
			let stored =
				tokio::task::spawn_blocking(move || inner.store.merge(id, &record).map(|_| record))
					.await
					.map_err(|e| PaymentError::Storage(e.to_string()))?
					.map_err(|e| PaymentError::Storage(e.to_string()))?;
			if let Some(entry) = self.inner.entries().get_mut(&id) {
				entry.durable = entry.durable.max(stored.accepted);
			}
		}
		Ok(admission)
	}

	/// The check and the reservation, under the lock; the record to commit when the voucher
	/// the request relies on is not known to be durable yet.
	fn reserve(
		&self,
		channel: &Channel,
		voucher: &Voucher,
		best: u64,
		price: Balance,
	) -> Result<(Admission, Option<Record>), PaymentError> {
		let rules = &self.inner.rules;
		if channel.provider != rules.provider {
			// Checked before anything is kept for a channel that is not ours.
			admission_check(rules, channel, voucher, Held::default(), best, price)?;
		}
		let mut entries = self.inner.entries();
		let entry = self.reconcile(&mut entries, channel)?;
		let held = Held {
			accepted: entry.record.accepted,
			spent: entry.record.spent,
			reserved: entry.reserved,
		};
		if admission_check(rules, channel, voucher, held, best, price)? {
			entry.record.accepted = voucher.amount;
			entry.record.signature = Some(voucher.signature);
		}
		entry.reserved = entry.reserved.saturating_add(price);
		let snapshot = (entry.record.accepted > entry.durable).then_some(entry.record);
		let admission = Admission { channel: channel.id, price, ledger: Some(self.inner.clone()) };
		Ok((admission, snapshot))
	}

	/// The entry of `channel`, created or brought in line with the chain's channel: a record
	/// left by another channel under the same id (a restarted dev chain) is dropped.
	fn reconcile<'a>(
		&self,
		entries: &'a mut HashMap<ChannelId, Entry>,
		channel: &Channel,
	) -> Result<&'a mut Entry, PaymentError> {
		let rules = &self.inner.rules;
		let fresh = || {
			let record = Record::fresh(
				channel.consumer.0,
				channel.deposit,
				channel.expires_at,
				channel.claimed,
			);
			Entry { record, reserved: 0, durable: record.accepted, checked: true }
		};
		let entry = entries.entry(channel.id).or_insert_with(fresh);
		if !entry.checked {
			if !record_matches(rules, channel, &entry.record) {
				tracing::warn!(
					target: LOG_TARGET,
					"channel {}: the stored voucher is not this channel's (another chain, or the \
					 id was reused): forgotten",
					channel.id
				);
				*entry = fresh();
				self.inner
					.store
					.replace(channel.id, &entry.record)
					.map_err(|e| PaymentError::Storage(e.to_string()))?;
			}
			entry.checked = true;
		}
		let r = &mut entry.record;
		r.deposit = channel.deposit;
		r.expires_at = channel.expires_at;
		r.claimed = r.claimed.max(channel.claimed);
		if r.accepted < channel.claimed {
			// Claimed beyond any voucher held here (the database was lost, or another process
			// claims with this hotkey): only vouchers above the claim are worth anything.
			r.accepted = channel.claimed;
			r.signature = None;
			r.spent = r.spent.max(channel.claimed);
		}
		Ok(entry)
	}

	/// Channel `id`, from the cache unless it is older than [`CACHE_TTL`] or its deposit is
	/// below `amount`; whether it was read just now.
	async fn channel(
		&self,
		id: ChannelId,
		amount: Option<Balance>,
	) -> Result<(Channel, bool), PaymentError> {
		if let Some((channel, at)) = self.inner.cache().channels.get(&id) {
			if at.elapsed() < CACHE_TTL && amount.is_none_or(|a| a <= channel.deposit) {
				return Ok((channel.clone(), false));
			}
		}
		let channel = self
			.inner
			.chain
			.channel(id)
			.await?
			.ok_or(PaymentError::UnknownChannel { channel: id })?;
		self.inner.cache().channels.insert(id, (channel.clone(), Instant::now()));
		Ok((channel, true))
	}

	/// The best block, from the cache unless `fresh` or older than [`CACHE_TTL`].
	async fn best(&self, fresh: bool) -> Result<u64, PaymentError> {
		if let Some((best, at)) = self.inner.cache().best {
			if !fresh && at.elapsed() < CACHE_TTL {
				return Ok(best);
			}
		}
		let best = self.inner.chain.best().await?;
		self.inner.cache().best = Some((best, Instant::now()));
		Ok(best)
	}

	/// After the request: `served` → its price is spent (committed); otherwise the consumer
	/// keeps the credit. Returns the channel's `spent` after it (for `x-agora-spent`).
	pub fn settle(&self, mut admission: Admission, served: bool) -> Result<Balance, LedgerError> {
		admission.ledger = None;
		let (spent, record) = {
			let mut entries = self.inner.entries();
			let Some(entry) = entries.get_mut(&admission.channel) else {
				// Forgotten meanwhile (the channel was closed).
				return Ok(0);
			};
			entry.reserved = entry.reserved.saturating_sub(admission.price);
			if served {
				let r = &mut entry.record;
				r.spent = r.spent.saturating_add(admission.price).min(r.accepted.max(r.spent));
			}
			(entry.record.spent, entry.record)
		};
		if served {
			self.inner.store.merge(admission.channel, &record)?;
		}
		Ok(spent)
	}

	/// The channel's state as the ledger knows it; `None` when it never saw the channel.
	pub fn state(&self, channel: ChannelId) -> Option<ChannelState> {
		let entries = self.inner.entries();
		let r = entries.get(&channel)?.record;
		Some(ChannelState {
			id: channel,
			consumer: AccountId32(r.consumer).to_string(),
			deposit: r.deposit,
			expires_at: r.expires_at,
			claimed: r.claimed,
			accepted: r.accepted,
			spent: r.spent,
			voucher: r
				.signature
				.map(|signature| Voucher { channel, amount: r.accepted, signature }.to_header()),
		})
	}

	/// Planck accepted (largest vouchers) and claimed on chain, over all channels.
	pub fn totals(&self) -> (Balance, Balance) {
		self.inner.entries().values().fold((0, 0), |(a, c), e| {
			(a.saturating_add(e.record.accepted), c.saturating_add(e.record.claimed))
		})
	}

	/// The vouchers above what was claimed, by channel.
	pub fn claimable(&self) -> Vec<Claimable> {
		let mut out: Vec<Claimable> = self
			.inner
			.entries()
			.iter()
			.filter_map(|(&channel, e)| {
				let r = &e.record;
				let signature = r.signature.filter(|_| r.claimable())?;
				Some(Claimable {
					voucher: Voucher { channel, amount: r.accepted, signature },
					claimed: r.claimed,
					expires_at: r.expires_at,
					consumer: r.consumer,
				})
			})
			.collect();
		out.sort_by_key(|c| c.voucher.channel);
		out
	}

	/// Records that `claimed` planck of `channel` are claimed on chain (a claim landed, or the
	/// chain says so), durably; `expires_at` as the chain has it now, if read.
	pub fn record_claim(
		&self,
		channel: ChannelId,
		claimed: Balance,
		expires_at: Option<BlockNumber>,
	) -> Result<(), LedgerError> {
		let record = {
			let mut entries = self.inner.entries();
			let Some(entry) = entries.get_mut(&channel) else { return Ok(()) };
			let r = &mut entry.record;
			r.claimed = r.claimed.max(claimed);
			if let Some(e) = expires_at {
				r.expires_at = e;
			}
			if r.accepted < r.claimed {
				r.accepted = r.claimed;
				r.signature = None;
				r.spent = r.spent.max(r.claimed);
			}
			entry.record
		};
		self.inner.store.merge(channel, &record)?;
		Ok(())
	}

	/// Forgets `channel` (closed on chain: its vouchers are worthless), durably.
	pub fn forget(&self, channel: ChannelId) -> Result<(), LedgerError> {
		self.inner.entries().remove(&channel);
		self.inner.cache().channels.remove(&channel);
		self.inner.store.remove(channel)?;
		Ok(())
	}
}

/// Whether a stored record belongs to the chain's `channel`: same consumer, and its voucher (if
/// any) signed by it for this chain.
pub fn record_matches(rules: &Rules, channel: &Channel, record: &Record) -> bool {
	record.consumer == channel.consumer.0
		&& record.signature.is_none_or(|signature| {
			Voucher { channel: channel.id, amount: record.accepted, signature }
				.verify(&rules.genesis_hash, &record.consumer)
		})
}

#[cfg(test)]
pub(crate) mod tests {
	use super::*;
	use subxt_signer::sr25519::{dev, Keypair};

	const GENESIS: [u8; 32] = [7; 32];

	/// Channels and a best block, in place of a node.
	#[derive(Default)]
	pub(crate) struct FakeChain {
		pub(crate) channels: HashMap<ChannelId, Channel>,
		pub(crate) best: u64,
		pub(crate) reads: usize,
	}

	fn account(k: &Keypair) -> AccountId32 {
		k.public_key().to_account_id()
	}

	fn rules() -> Rules {
		Rules { provider: account(&dev::bob()), genesis_hash: GENESIS, claim_margin: 10 }
	}

	fn channel(id: ChannelId, deposit: Balance) -> Channel {
		Channel {
			id,
			consumer: account(&dev::alice()),
			provider: account(&dev::bob()),
			deposit,
			claimed: 0,
			expires_at: 1_000,
		}
	}

	fn voucher(id: ChannelId, amount: Balance) -> Voucher {
		Voucher::sign(&GENESIS, id, amount, &dev::alice())
	}

	fn held(accepted: Balance, spent: Balance, reserved: Balance) -> Held {
		Held { accepted, spent, reserved }
	}

	#[test]
	fn the_admission_rule() {
		let r = rules();
		let c = channel(1, 10_000);
		let check = |v: &Voucher, h: Held, best: u64, price: Balance| {
			admission_check(&r, &c, v, h, best, price)
		};
		// A fresh channel: the first voucher pays the price.
		assert_eq!(check(&voucher(1, 100), Held::default(), 500, 100).ok(), Some(true));
		// Paying more than the price is fine (a tip; the rest is credit).
		assert_eq!(check(&voucher(1, 150), Held::default(), 500, 100).ok(), Some(true));
		// Underpaying: required is what was spent, reserved and this price.
		let e = check(&voucher(1, 250), held(200, 200, 0), 500, 100).expect_err("underpays");
		assert_eq!((e.status(), e.code(), e.required()), (402, "payment_required", Some(300)));
		// An older voucher, with credit left from the newer one: fine, nothing to keep.
		assert_eq!(check(&voucher(1, 100), held(400, 200, 0), 500, 100).ok(), Some(false));
		// ... but not when the credit is reserved by requests in flight.
		let e = check(&voucher(1, 100), held(400, 200, 150), 500, 100).expect_err("reserved");
		assert_eq!(e.required(), Some(450));
		// The exact voucher for the last one plus the price.
		assert_eq!(check(&voucher(1, 300), held(200, 200, 0), 500, 100).ok(), Some(true));
	}

	#[test]
	fn refusals_by_name_and_status() {
		let r = rules();
		let c = channel(1, 10_000);
		// A channel to another provider.
		let other = Channel { provider: account(&dev::charlie()), ..c.clone() };
		let e = admission_check(&r, &other, &voucher(1, 100), Held::default(), 500, 100)
			.expect_err("not ours");
		assert!(matches!(e, PaymentError::NotOurChannel { .. }));
		assert_eq!((e.status(), e.code(), e.required()), (401, "invalid_voucher", None));
		// Signed by someone else, for another chain, for another channel, or forged amount.
		let bad = [
			Voucher::sign(&GENESIS, 1, 100, &dev::bob()),
			Voucher::sign(&[8; 32], 1, 100, &dev::alice()),
			Voucher { channel: 1, ..voucher(2, 100) },
			Voucher { amount: 101, ..voucher(1, 100) },
		];
		for v in bad {
			let e = admission_check(&r, &c, &v, Held::default(), 500, 100).expect_err("bad");
			assert!(matches!(e, PaymentError::BadSignature { .. }), "{v:?}: {e}");
			assert_eq!(e.status(), 401);
		}
		// Expired, and expiring within the margin (expires_at 1000, margin 10).
		for best in [990, 1_000, 2_000] {
			let e = admission_check(&r, &c, &voucher(1, 100), Held::default(), best, 100)
				.expect_err("expiring");
			assert!(matches!(e, PaymentError::Expiring { .. }), "best {best}");
			assert_eq!((e.status(), e.required()), (402, None));
		}
		assert!(admission_check(&r, &c, &voucher(1, 100), Held::default(), 989, 100).is_ok());
		// Above the deposit.
		let e = admission_check(&r, &c, &voucher(1, 10_001), Held::default(), 500, 100)
			.expect_err("above");
		assert!(matches!(e, PaymentError::AboveDeposit { deposit: 10_000, .. }));
		assert_eq!(e.status(), 402);
		assert!(admission_check(&r, &c, &voucher(1, 10_000), Held::default(), 500, 100).is_ok());
		assert_eq!(PaymentError::Unavailable("x".into()).status(), 503);
		assert_eq!(PaymentError::UnknownChannel { channel: 3 }.code(), "invalid_voucher");
	}

	fn fake_ledger(path: &Path, channels: &[Channel]) -> Ledger {
		let fake = FakeChain {
			channels: channels.iter().map(|c| (c.id, c.clone())).collect(),
			best: 500,
			reads: 0,
		};
		Ledger::with_chain(path, Chain::Fixed(Mutex::new(fake)), rules()).expect("opens")
	}

	fn fake(ledger: &Ledger) -> MutexGuard<'_, FakeChain> {
		match &ledger.inner.chain {
			Chain::Fixed(f) => f.lock().expect("fake"),
			Chain::Node(_) => unreachable!("a fake ledger"),
		}
	}

	#[tokio::test]
	async fn admit_reserve_settle_and_reopen() {
		let dir = tempfile::tempdir().expect("temp dir");
		let path = dir.path().join("ledger.redb");
		{
			let ledger = fake_ledger(&path, &[channel(1, 10_000)]);
			let a = ledger.admit(&voucher(1, 100), 100).await.expect("admitted");
			// A second request in flight with the same voucher: the credit is reserved.
			let e = ledger.admit(&voucher(1, 100), 100).await.expect_err("reserved");
			assert_eq!(e.required(), Some(200));
			let b = ledger.admit(&voucher(1, 200), 100).await.expect("admitted");
			assert_eq!(ledger.settle(a, true).expect("settles"), 100);
			// Not served: the consumer keeps the credit, usable by the next request with an
			// older voucher.
			assert_eq!(ledger.settle(b, false).expect("settles"), 100);
			let c = ledger.admit(&voucher(1, 150), 100).await.expect("credit pays");
			// Dropped unsettled (a cancelled handler): the reservation is released.
			drop(c);
			let d = ledger.admit(&voucher(1, 200), 100).await.expect("credit again");
			assert_eq!(ledger.settle(d, true).expect("settles"), 200);
			let s = ledger.state(1).expect("known");
			assert_eq!((s.accepted, s.spent, s.claimed), (200, 200, 0));
			let v = Voucher::from_header(s.voucher.as_deref().expect("voucher")).expect("parses");
			assert!(v.verify(&GENESIS, &account(&dev::alice()).0) && v.amount == 200);
			assert_eq!(ledger.totals(), (200, 0));
			let json = serde_json::to_value(&s).expect("json");
			assert_eq!(json["accepted"], "200");
			assert_eq!(json["consumer"], account(&dev::alice()).to_string());
			// An unknown channel.
			let e = ledger.admit(&voucher(9, 100), 100).await.expect_err("unknown");
			assert_eq!(e.status(), 401);
			assert!(ledger.state(9).is_none());
			// The ledger is dropped here as a killed process would leave it: no flush.
		}
		let ledger = fake_ledger(&path, &[channel(1, 10_000)]);
		let s = ledger.state(1).expect("kept");
		assert_eq!((s.accepted, s.spent), (200, 200));
		let claim = ledger.claimable();
		assert_eq!(claim.len(), 1);
		assert_eq!((claim[0].voucher.channel, claim[0].voucher.amount), (1, 200));
		ledger.record_claim(1, 200, None).expect("records");
		assert!(ledger.claimable().is_empty());
		drop(ledger);
		let ledger = fake_ledger(&path, &[channel(1, 10_000)]);
		assert_eq!(ledger.totals(), (200, 200), "the claim is durable too");
		ledger.forget(1).expect("forgets");
		drop(ledger);
		assert!(fake_ledger(&path, &[]).state(1).is_none());
	}

	/// The database of [`a_killed_gateway_keeps_every_voucher`]'s child process.
	const CRASH_DB: &str = "AGORA_LEDGER_CRASH_DB";

	/// The child half of [`a_killed_gateway_keeps_every_voucher`]: admits twenty vouchers
	/// (the last one still in flight), says so, and waits to be killed.
	#[tokio::test]
	#[ignore = "run by a_killed_gateway_keeps_every_voucher in a child process"]
	async fn crash_child() {
		let Ok(path) = std::env::var(CRASH_DB) else { return };
		let ledger = fake_ledger(Path::new(&path), &[channel(1, 1_000_000)]);
		let mut in_flight = None;
		for i in 1..=20 {
			let a = ledger.admit(&voucher(1, 100 * i), 100).await.expect("admitted");
			if i < 20 {
				ledger.settle(a, true).expect("settles");
			} else {
				in_flight = Some(a);
			}
		}
		println!("ready");
		tokio::time::sleep(Duration::from_secs(60)).await;
		drop(in_flight);
	}

	#[test]
	fn a_killed_gateway_keeps_every_voucher() {
		use std::io::BufRead;
		let dir = tempfile::tempdir().expect("temp dir");
		let path = dir.path().join("crash.redb");
		let mut child = std::process::Command::new(std::env::current_exe().expect("test binary"))
			.args(["--exact", "ledger::tests::crash_child", "--ignored", "--nocapture"])
			.env(CRASH_DB, &path)
			.stdout(std::process::Stdio::piped())
			.spawn()
			.expect("spawns");
		let stdout = child.stdout.take().expect("stdout");
		let ready = std::io::BufReader::new(stdout)
			.lines()
			.map_while(|l| l.ok())
			.any(|l| l.trim() == "ready");
		// SIGKILL: no destructor, no flush.
		child.kill().expect("kills");
		let _ = child.wait();
		assert!(ready, "the child did not get through its vouchers");
		let ledger = fake_ledger(&path, &[channel(1, 1_000_000)]);
		let s = ledger.state(1).expect("kept");
		assert_eq!((s.accepted, s.spent), (2_000, 1_900), "the voucher in flight is kept too");
		let claim = ledger.claimable();
		assert_eq!(claim[0].voucher.amount, 2_000);
		assert!(claim[0].voucher.verify(&GENESIS, &account(&dev::alice()).0));
	}

	#[tokio::test]
	async fn a_top_up_or_an_extension_counts_at_once_and_reads_are_cached() {
		let dir = tempfile::tempdir().expect("temp dir");
		let ledger = fake_ledger(&dir.path().join("l.redb"), &[channel(1, 1_000)]);
		let a = ledger.admit(&voucher(1, 100), 100).await.expect("admitted");
		ledger.settle(a, true).expect("settles");
		let a = ledger.admit(&voucher(1, 200), 100).await.expect("admitted");
		ledger.settle(a, true).expect("settles");
		assert_eq!(fake(&ledger).reads, 1, "the second read came from the cache");
		// Above the deposit: read again, still above.
		let e = ledger.admit(&voucher(1, 1_100), 100).await.expect_err("above");
		assert!(matches!(e, PaymentError::AboveDeposit { .. }));
		assert_eq!(fake(&ledger).reads, 2);
		// Topped up: the same voucher passes at once.
		fake(&ledger).channels.get_mut(&1).expect("channel").deposit = 2_000;
		let a = ledger.admit(&voucher(1, 1_100), 100).await.expect("topped up");
		ledger.settle(a, true).expect("settles");
		// Expiring per the cache, extended on chain: read again and admitted.
		fake(&ledger).best = 995;
		ledger.inner.cache().best = None;
		fake(&ledger).channels.get_mut(&1).expect("channel").expires_at = 5_000;
		let a = ledger.admit(&voucher(1, 1_200), 100).await.expect("extended");
		drop(a);
		fake(&ledger).channels.get_mut(&1).expect("channel").expires_at = 1_000;
		ledger.inner.cache().channels.clear();
		let e = ledger.admit(&voucher(1, 1_200), 100).await.expect_err("expiring");
		assert!(matches!(e, PaymentError::Expiring { .. }));
	}

	#[tokio::test]
	async fn concurrent_requests_cannot_spend_the_same_credit() {
		let dir = tempfile::tempdir().expect("temp dir");
		let ledger = fake_ledger(&dir.path().join("l.redb"), &[channel(1, 100_000)]);
		// A voucher worth five requests, used by twenty at once: five get through.
		let v = voucher(1, 500);
		let tries = (0..20).map(|_| {
			let ledger = ledger.clone();
			tokio::spawn(async move { ledger.admit(&v, 100).await })
		});
		let mut admitted = Vec::new();
		for t in tries {
			if let Ok(a) = t.await.expect("task") {
				admitted.push(a);
			}
		}
		assert_eq!(admitted.len(), 5);
		for a in admitted {
			ledger.settle(a, true).expect("settles");
		}
		assert_eq!(ledger.state(1).map(|s| s.spent), Some(500));
		assert!(ledger.admit(&v, 100).await.is_err());
	}

	#[tokio::test]
	async fn a_record_of_another_channel_under_the_same_id_is_forgotten() {
		let dir = tempfile::tempdir().expect("temp dir");
		let path = dir.path().join("l.redb");
		{
			let ledger = fake_ledger(&path, &[channel(0, 10_000)]);
			let a = ledger.admit(&voucher(0, 700), 100).await.expect("admitted");
			ledger.settle(a, true).expect("settles");
		}
		// The chain was restarted: channel 0 is now Charlie's.
		let theirs = Channel { consumer: account(&dev::charlie()), ..channel(0, 10_000) };
		let ledger = fake_ledger(&path, &[theirs]);
		assert_eq!(ledger.claimable().len(), 1, "not known before the channel is read");
		let v = Voucher::sign(&GENESIS, 0, 100, &dev::charlie());
		let a = ledger.admit(&v, 100).await.expect("a fresh start");
		ledger.settle(a, true).expect("settles");
		let s = ledger.state(0).expect("known");
		assert_eq!((s.accepted, s.spent), (100, 100));
	}

	#[tokio::test]
	async fn claims_made_elsewhere_raise_the_floor() {
		let dir = tempfile::tempdir().expect("temp dir");
		// The chain says 300 were claimed; this ledger never saw the channel.
		let c = Channel { claimed: 300, ..channel(2, 10_000) };
		let ledger = fake_ledger(&dir.path().join("l.redb"), &[c]);
		let e = ledger.admit(&voucher(2, 300), 100).await.expect_err("already claimed");
		assert_eq!(e.required(), Some(400));
		let a = ledger.admit(&voucher(2, 400), 100).await.expect("pays");
		assert_eq!(ledger.settle(a, true).expect("settles"), 400);
		assert_eq!(ledger.claimable()[0].claimed, 300);
	}
}
