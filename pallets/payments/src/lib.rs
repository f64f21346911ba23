//! # Agora payments pallet
//!
//! Unidirectional payment channels, after SingularityNET's Multi-Party Escrow: a consumer locks a
//! deposit for one provider, pays it off chain call by call with signed vouchers, and the provider
//! turns the latest voucher into AGR on chain whenever it likes.
//!
//! ## Overview
//!
//! A *consumer* (a person or application using the network's models) opens a *channel* to a
//! *provider* (a gateway operator) with a *deposit*, moved into this pallet's account, and an
//! *expiry* block. For every paid request the consumer signs a *voucher*: the **cumulative**
//! amount it has agreed to pay on that channel so far. The provider keeps only the largest voucher
//! and, from time to time, `claim`s it: the pallet checks the consumer's signature and pays the
//! provider the difference since its previous claim, never more than the deposit. The consumer
//! may `top_up` the deposit and `extend` the expiry at any time; once the channel has expired it
//! may `close` it and take back what was not claimed.
//!
//! Only two transactions are needed per channel lifetime (open, close) plus as few claims as the
//! provider wants, however many requests are paid: vouchers themselves never touch the chain.
//!
//! ## Terms
//!
//! - **Channel**: `Channels[id] = { consumer, provider, deposit, claimed, expires_at }`, `id` a
//!   `u64` counted up from `NextChannelId` and never reused.
//! - **Deposit**: AGR the consumer locked in the channel, top-ups included. Held by the pallet
//!   account, not by a hold on the consumer: the consumer cannot spend it until it closes the
//!   channel.
//! - **Claimed**: the cumulative amount paid to the provider so far (the largest voucher claimed).
//! - **Remaining**: `deposit − claimed`, owed to the provider (if it holds vouchers for it) or
//!   refunded to the consumer at `close`.
//! - **Voucher**: `(id, amount)` signed by the consumer's account key; `amount` is cumulative.
//! - **Expiry**: the block `expires_at` from which the consumer may close the channel.
//!
//! ## Usage
//!
//! 1. The consumer calls [`Pallet::open`]`(provider, deposit, expires_at)`; the
//!    [`Event::ChannelOpened`] event gives the channel's id.
//! 2. With each request it sends the provider a voucher for the new cumulative amount, signed over
//!    [`voucher_payload`] (or [`Pallet::voucher_payload_for`] inside the runtime).
//! 3. The provider checks each voucher off chain the way [`Pallet::claim`] will: signed by the
//!    channel's consumer, for this chain, above the last one, at most the deposit. It stores the
//!    largest and calls [`Pallet::claim`]`(id, amount, signature)` periodically and before the
//!    expiry.
//! 4. The consumer calls [`Pallet::top_up`] or [`Pallet::extend`] to keep a channel going.
//! 5. From `expires_at` on, the consumer calls [`Pallet::close`]: the remaining deposit is
//!    refunded and the channel removed. Vouchers of a closed channel are worthless.
//!
//! Payouts are plain transfers: a claim (or refund) smaller than the existential deposit to an
//! account that does not exist fails with `TokenError::BelowMinimum` and changes nothing; the
//! provider simply claims a later, larger voucher.
//!
//! SingularityNET's rule on time holds: the provider may claim at any time until the channel is
//! closed, even after the expiry; the consumer may take the rest back only after the expiry. A
//! provider must therefore claim before the expiry (with a margin for inclusion): from then on
//! the consumer may close first. Unlike the `MultiPartyEscrow` contract, a claim does not bump a
//! nonce: vouchers carry the cumulative amount, so an old voucher is simply worth nothing more
//! (its amount is not above `claimed`), and the consumer's latest voucher supersedes all others.
//!
//! ### The voucher payload
//!
//! The consumer signs these bytes, raw (no `<Bytes>` wrapping), with the key of its account (in
//! the runtime any `MultiSignature` scheme: sr25519, ed25519 or ecdsa):
//!
//! ```text
//! payload = b"agora/voucher/1"        15 bytes, the context (version 1)
//!         ‖ genesis_hash              32 bytes, frame_system's block hash of block 0
//!         ‖ SCALE(id: u64)            8 bytes, little-endian
//!         ‖ SCALE(amount: u128)       16 bytes, little-endian, cumulative
//! ```
//!
//! The genesis hash binds a voucher to one chain, the id to one channel (and so to one consumer
//! and one provider).
//!
//! ## Design
//!
//! ```text
//! open:    deposit ≥ MinDeposit, now < expires_at, provider ≠ consumer,
//!          ChannelCount[consumer] < MaxChannelsPerConsumer; deposit → pallet account
//! top_up:  deposit += amount                          (consumer only, amount > 0)
//! extend:  expires_at := e, with e > expires_at and e > now   (consumer only)
//! claim:   claimed < amount ≤ deposit, voucher signed by consumer;
//!          pay amount − claimed to the provider; claimed := amount   (provider only)
//! close:   now ≥ expires_at; refund deposit − claimed to the consumer; remove   (consumer only)
//! ```
//!
//! The pallet account is endowed with the existential deposit at genesis, and pays out keeping
//! it, so that however little a channel holds it is never dusted.
//!
//! ## Invariants (`try_state`)
//!
//! - Every channel has `claimed ≤ deposit`, a provider other than its consumer, and an id below
//!   `NextChannelId`.
//! - `ChannelCount[c]` is the number of channels of consumer `c`, and is absent for a consumer
//!   with none. (It stays within `MaxChannelsPerConsumer` unless the runtime lowered that bound;
//!   channels already open are kept.)
//! - The pallet account holds at least `Σ (deposit − claimed)` over all channels plus the
//!   existential deposit it was endowed with (exactly, unless someone transferred AGR to it):
//!   every voucher up to the deposit and every refund can be paid.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

use alloc::vec::Vec;
use codec::Encode;
use polkadot_sdk::{
	frame_support::{
		traits::{
			fungible::{Inspect, Mutate},
			tokens::Preservation,
		},
		PalletId,
	},
	polkadot_sdk_frame as frame,
	sp_runtime::traits::{AccountIdConversion, IdentifyAccount, Verify},
};

/// Log target of this pallet.
pub const LOG_TARGET: &str = "runtime::payments";

pub use agora_primitives::Balance;

/// Identifier of a channel, counted up from 0 and never reused.
pub type ChannelId = u64;

/// Context prefix of a voucher's signed payload; the `1` is its version.
pub const VOUCHER_CONTEXT: &[u8] = b"agora/voucher/1";

/// The bytes a consumer signs to pay `amount` (cumulative) on channel `id` of the chain whose
/// genesis hash is `genesis_hash`: `VOUCHER_CONTEXT ‖ genesis_hash ‖ SCALE(id) ‖ SCALE(amount)`
/// (see the crate docs). For clients as well as the runtime.
pub fn voucher_payload(genesis_hash: &[u8; 32], id: ChannelId, amount: Balance) -> Vec<u8> {
	let mut payload = Vec::with_capacity(VOUCHER_CONTEXT.len() + 32 + 8 + 16);
	payload.extend_from_slice(VOUCHER_CONTEXT);
	payload.extend_from_slice(genesis_hash);
	id.encode_to(&mut payload);
	amount.encode_to(&mut payload);
	payload
}

/// A payment channel from a consumer to a provider.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Debug,
	codec::Encode,
	codec::Decode,
	codec::MaxEncodedLen,
	scale_info::TypeInfo,
)]
pub struct Channel<AccountId, BlockNumber> {
	/// Who opened the channel, funds it and signs its vouchers.
	pub consumer: AccountId,
	/// Who is paid by the vouchers.
	pub provider: AccountId,
	/// AGR locked in the channel in all, top-ups included.
	pub deposit: Balance,
	/// AGR paid to the provider so far: the amount of the last voucher claimed.
	pub claimed: Balance,
	/// The block from which the consumer may close the channel.
	pub expires_at: BlockNumber,
}

impl<AccountId, BlockNumber> Channel<AccountId, BlockNumber> {
	/// What the channel still holds: `deposit − claimed`.
	pub fn remaining(&self) -> Balance {
		self.deposit.saturating_sub(self.claimed)
	}
}

/// Makes signing accounts for the benchmarks, which need the consumer's signature on a voucher.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId, Signature> {
	/// A new account whose key this helper can sign with; distinct `seed`s give distinct ones.
	fn signer(seed: u32) -> AccountId;
	/// `signer`'s signature over `payload` (an account made by [`Self::signer`]); `None` if the
	/// helper has no key for it.
	fn sign(signer: &AccountId, payload: &[u8]) -> Option<Signature>;
}

#[frame::pallet]
pub mod pallet {
	use super::*;
	use frame::prelude::*;

	/// A channel as stored.
	pub type ChannelOf<T> =
		Channel<<T as polkadot_sdk::frame_system::Config>::AccountId, BlockNumberFor<T>>;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: polkadot_sdk::frame_system::Config {
		/// The currency deposited in channels.
		type Currency: Mutate<Self::AccountId, Balance = Balance>;
		/// Derives the pallet account that holds every channel's deposit.
		#[pallet::constant]
		type PalletId: Get<PalletId>;
		/// A consumer's signature on a voucher, verified against the consumer's account.
		type Signature: Verify<Signer: IdentifyAccount<AccountId = Self::AccountId>> + Parameter;
		/// Smallest deposit a channel may be opened with (a channel is state: the deposit is
		/// what it costs to keep).
		#[pallet::constant]
		type MinDeposit: Get<Balance>;
		/// Most channels one consumer may have at a time, closed ones not counted.
		#[pallet::constant]
		type MaxChannelsPerConsumer: Get<u32>;
		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
		/// Makes accounts that can sign vouchers, for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId, Self::Signature>;
	}

	/// Every open channel.
	#[pallet::storage]
	pub type Channels<T: Config> = StorageMap<_, Twox64Concat, ChannelId, ChannelOf<T>>;

	/// The id the next channel opened gets.
	#[pallet::storage]
	pub type NextChannelId<T> = StorageValue<_, ChannelId, ValueQuery>;

	/// How many channels each consumer has; absent for none.
	#[pallet::storage]
	pub type ChannelCount<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame::prelude::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		#[serde(skip)]
		_marker: PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			// Endow the pallet account with the existential deposit so that what a channel
			// holds, however little, is never dusted.
			let account = Pallet::<T>::account_id();
			let ed = T::Currency::minimum_balance();
			if T::Currency::balance(&account) < ed && T::Currency::mint_into(&account, ed).is_err()
			{
				log::error!(target: LOG_TARGET, "could not endow the pallet account");
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A consumer opened a channel.
		ChannelOpened {
			/// The channel.
			id: ChannelId,
			/// Who opened and funds it.
			consumer: T::AccountId,
			/// Who its vouchers pay.
			provider: T::AccountId,
			/// AGR locked in it.
			deposit: Balance,
			/// The block from which the consumer may close it.
			expires_at: BlockNumberFor<T>,
		},
		/// A consumer added to a channel's deposit.
		ChannelToppedUp {
			/// The channel.
			id: ChannelId,
			/// AGR added.
			amount: Balance,
			/// The deposit now.
			deposit: Balance,
		},
		/// A consumer moved a channel's expiry later.
		ChannelExtended {
			/// The channel.
			id: ChannelId,
			/// The new expiry.
			expires_at: BlockNumberFor<T>,
		},
		/// A provider claimed a voucher.
		Claimed {
			/// The channel.
			id: ChannelId,
			/// Who was paid.
			provider: T::AccountId,
			/// AGR paid now: the voucher's amount less what was claimed before.
			amount: Balance,
			/// The voucher's (cumulative) amount: all the channel has paid so far.
			total: Balance,
		},
		/// A consumer closed an expired channel and took back what was not claimed.
		ChannelClosed {
			/// The channel.
			id: ChannelId,
			/// Who was refunded.
			consumer: T::AccountId,
			/// AGR refunded.
			refunded: Balance,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The deposit is below `MinDeposit`.
		DepositBelowMinimum,
		/// The expiry is not after the current block.
		ExpiryNotInFuture,
		/// A channel needs a provider other than its consumer.
		ProviderIsConsumer,
		/// The consumer already has `MaxChannelsPerConsumer` channels: close one first.
		TooManyChannels,
		/// The consumer's free balance cannot pay the amount and stay alive.
		InsufficientBalance,
		/// Every channel id has been used.
		ChannelIdsExhausted,
		/// No channel has this id (it was never opened, or it was closed).
		ChannelNotFound,
		/// Only the channel's consumer may do this.
		NotConsumer,
		/// Only the channel's provider may claim.
		NotProvider,
		/// The amount is zero.
		ZeroAmount,
		/// The new expiry is not later than the channel's current one.
		ExpiryNotExtended,
		/// The voucher's amount is not above what was already claimed: it pays nothing more.
		StaleVoucher,
		/// The voucher's amount exceeds the channel's deposit.
		AmountExceedsDeposit,
		/// The signature is not the channel consumer's over this voucher (channel, amount and
		/// chain).
		InvalidSignature,
		/// The channel has not expired yet: it may be closed from its `expires_at` on.
		NotExpired,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MinDeposit::get() > 0, "MinDeposit is zero");
			assert!(T::MaxChannelsPerConsumer::get() > 0, "MaxChannelsPerConsumer is zero");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(
			_n: BlockNumberFor<T>,
		) -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Open a channel to `provider`, locking `deposit` of the caller's free AGR until
		/// `expires_at` (a later block).
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::open())]
		pub fn open(
			origin: OriginFor<T>,
			provider: T::AccountId,
			#[pallet::compact] deposit: Balance,
			expires_at: BlockNumberFor<T>,
		) -> DispatchResult {
			let consumer = ensure_signed(origin)?;
			ensure!(provider != consumer, Error::<T>::ProviderIsConsumer);
			ensure!(deposit >= T::MinDeposit::get(), Error::<T>::DepositBelowMinimum);
			ensure!(expires_at > Self::now(), Error::<T>::ExpiryNotInFuture);
			let count = ChannelCount::<T>::get(&consumer);
			ensure!(count < T::MaxChannelsPerConsumer::get(), Error::<T>::TooManyChannels);
			let id = NextChannelId::<T>::get();
			let next = id.checked_add(1).ok_or(Error::<T>::ChannelIdsExhausted)?;
			T::Currency::transfer(&consumer, &Self::account_id(), deposit, Preservation::Preserve)
				.map_err(|_| Error::<T>::InsufficientBalance)?;
			Channels::<T>::insert(
				id,
				Channel {
					consumer: consumer.clone(),
					provider: provider.clone(),
					deposit,
					claimed: 0,
					expires_at,
				},
			);
			NextChannelId::<T>::put(next);
			ChannelCount::<T>::insert(&consumer, count.saturating_add(1));
			Self::deposit_event(Event::ChannelOpened {
				id,
				consumer,
				provider,
				deposit,
				expires_at,
			});
			Ok(())
		}

		/// Add `amount` of the caller's free AGR to the deposit of channel `id`, which the caller
		/// opened.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::top_up())]
		pub fn top_up(
			origin: OriginFor<T>,
			id: ChannelId,
			#[pallet::compact] amount: Balance,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(amount > 0, Error::<T>::ZeroAmount);
			let mut channel = Channels::<T>::get(id).ok_or(Error::<T>::ChannelNotFound)?;
			ensure!(channel.consumer == who, Error::<T>::NotConsumer);
			T::Currency::transfer(&who, &Self::account_id(), amount, Preservation::Preserve)
				.map_err(|_| Error::<T>::InsufficientBalance)?;
			// Cannot saturate: the pallet account holds the deposit and the caller held `amount`,
			// both parts of the total issuance.
			channel.deposit = channel.deposit.saturating_add(amount);
			let deposit = channel.deposit;
			Channels::<T>::insert(id, channel);
			Self::deposit_event(Event::ChannelToppedUp { id, amount, deposit });
			Ok(())
		}

		/// Move the expiry of channel `id`, which the caller opened, to the later block
		/// `expires_at`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::extend())]
		pub fn extend(
			origin: OriginFor<T>,
			id: ChannelId,
			expires_at: BlockNumberFor<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut channel = Channels::<T>::get(id).ok_or(Error::<T>::ChannelNotFound)?;
			ensure!(channel.consumer == who, Error::<T>::NotConsumer);
			ensure!(expires_at > channel.expires_at, Error::<T>::ExpiryNotExtended);
			ensure!(expires_at > Self::now(), Error::<T>::ExpiryNotInFuture);
			channel.expires_at = expires_at;
			Channels::<T>::insert(id, channel);
			Self::deposit_event(Event::ChannelExtended { id, expires_at });
			Ok(())
		}

		/// Claim the consumer's voucher for the cumulative `amount` on channel `id`, of which the
		/// caller is the provider: pays `amount` less what was claimed before. `signature` is the
		/// consumer's over [`voucher_payload`]. Allowed until the channel is closed.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::claim())]
		pub fn claim(
			origin: OriginFor<T>,
			id: ChannelId,
			#[pallet::compact] amount: Balance,
			signature: T::Signature,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut channel = Channels::<T>::get(id).ok_or(Error::<T>::ChannelNotFound)?;
			ensure!(channel.provider == who, Error::<T>::NotProvider);
			ensure!(amount > channel.claimed, Error::<T>::StaleVoucher);
			ensure!(amount <= channel.deposit, Error::<T>::AmountExceedsDeposit);
			let payload = Self::voucher_payload_for(id, amount);
			ensure!(
				signature.verify(&payload[..], &channel.consumer),
				Error::<T>::InvalidSignature
			);
			let paid = amount - channel.claimed;
			T::Currency::transfer(&Self::account_id(), &who, paid, Preservation::Preserve)?;
			channel.claimed = amount;
			Channels::<T>::insert(id, channel);
			log::debug!(target: LOG_TARGET, "channel {id}: claimed {paid}, {amount} in all");
			Self::deposit_event(Event::Claimed { id, provider: who, amount: paid, total: amount });
			Ok(())
		}

		/// Close channel `id`, which the caller opened and which has expired: refunds what was
		/// not claimed and removes the channel, so its vouchers are worthless from then on.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::close())]
		pub fn close(origin: OriginFor<T>, id: ChannelId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let channel = Channels::<T>::get(id).ok_or(Error::<T>::ChannelNotFound)?;
			ensure!(channel.consumer == who, Error::<T>::NotConsumer);
			ensure!(Self::now() >= channel.expires_at, Error::<T>::NotExpired);
			let refunded = channel.remaining();
			if refunded > 0 {
				T::Currency::transfer(&Self::account_id(), &who, refunded, Preservation::Preserve)?;
			}
			Channels::<T>::remove(id);
			ChannelCount::<T>::mutate_exists(&who, |n| {
				*n = n.map(|n| n.saturating_sub(1)).filter(|n| *n > 0);
			});
			log::debug!(target: LOG_TARGET, "channel {id}: closed, {refunded} refunded");
			Self::deposit_event(Event::ChannelClosed { id, consumer: who, refunded });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// The account holding every channel's deposit.
		pub fn account_id() -> T::AccountId {
			T::PalletId::get().into_account_truncating()
		}

		/// Channel `id`, if open.
		pub fn channel(id: ChannelId) -> Option<ChannelOf<T>> {
			Channels::<T>::get(id)
		}

		/// This chain's genesis hash, as vouchers sign it (`frame_system` keeps block 0's hash
		/// from block 1 on).
		pub fn genesis_hash() -> [u8; 32] {
			agora_primitives::genesis_hash::<T>()
		}

		/// The payload a voucher for `amount` on channel `id` of this chain signs.
		pub fn voucher_payload_for(id: ChannelId, amount: Balance) -> Vec<u8> {
			voucher_payload(&Self::genesis_hash(), id, amount)
		}

		/// The current block.
		fn now() -> BlockNumberFor<T> {
			frame_system::Pallet::<T>::block_number()
		}

		/// Checks the invariants listed in the crate docs.
		#[cfg(any(feature = "try-runtime", feature = "std", test))]
		pub fn do_try_state() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
			let next = NextChannelId::<T>::get();
			let mut owed: Balance = 0;
			let mut counts = alloc::collections::BTreeMap::<T::AccountId, u32>::new();
			for (id, channel) in Channels::<T>::iter() {
				ensure!(id < next, "a channel id is not below NextChannelId");
				ensure!(channel.claimed <= channel.deposit, "a channel claimed beyond its deposit");
				ensure!(channel.consumer != channel.provider, "a channel pays its own consumer");
				owed = owed.saturating_add(channel.remaining());
				let count = counts.entry(channel.consumer).or_default();
				*count = count.saturating_add(1);
			}
			let mut counted = 0usize;
			for (consumer, count) in ChannelCount::<T>::iter() {
				counted = counted.saturating_add(1);
				ensure!(
					counts.get(&consumer) == Some(&count),
					"ChannelCount differs from the consumer's channels"
				);
			}
			ensure!(counted == counts.len(), "a consumer's channels are not counted");
			// At least: anyone may transfer AGR to the account.
			let held = T::Currency::balance(&Self::account_id());
			ensure!(
				held >= owed.saturating_add(T::Currency::minimum_balance()),
				"pallet account holds less than the channels' remaining deposits + ED"
			);
			Ok(())
		}
	}
}
