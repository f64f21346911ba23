//! # Agora staking pallet
//!
//! Stake of coldkeys on hotkeys, with share-pool accounting per hotkey.
//!
//! ## Overview
//!
//! A *hotkey* is a neuron's identity; its *owner* is the coldkey that registered it (set by the
//! subnets pallet through [`Pallet::register_hotkey`]). Any coldkey may stake AGR on a registered
//! hotkey ("nominate" it). Staked funds move into this pallet's account; total issuance is
//! unchanged by staking.
//!
//! Each hotkey has a **pool**: the AGR staked on it (`stake`) and the shares its nominators
//! hold (`shares`). Staking buys shares at the pool's price, unstaking sells them. Emission
//! credited to a hotkey raises the pool's `stake` without touching shares, so every nominator
//! gains in proportion in O(1), however many there are. The hotkey's owner first keeps a
//! *take* (a delegate fee, at most `MaxTake`) as new shares.
//!
//! **Stake earns only for the blocks it is held.** The nominators' part of an epoch's emission
//! is not added to the pool at once: it *vests*, released into `stake` linearly over the next
//! `release_blocks` (the paying subnet's tempo). The owner's take becomes its shares at the
//! current price and earns from then on like any stake: the share price never jumps, so no
//! holder gains at the moment of a credit. Stake added one block before an epoch and
//! removed one block after collects two blocks' worth of the release, not a tempo's
//! (just-in-time staking, issue 10 item 8). Stake only joins a registered hotkey: a hotkey that
//! lost its last UID keeps its owner and stake (nominators may leave) but takes no new stake.
//! While registered, a hotkey's account exists without any balance (the registration is a
//! provider reference), so it can sign the subnets pallet's fee-less calls unfunded.
//!
//! **Take changes are rate-limited both ways.** Any change of a hotkey's take arms
//! `TakeRateLimit`; a raise needs that many blocks since the last change, so a take lowered to
//! attract nominators cannot jump back to the maximum in the next block.
//!
//! ## Design
//!
//! ```text
//! buy:    shares = amount · pool.shares / pool.stake     (1:1 when the pool is empty), rounded down
//! sell:   shares = ⌈amount · pool.shares / pool.stake⌉  rounded up: the pool never loses
//! value of a position = shares · pool.stake / pool.shares, rounded down
//! credit: take = take% · e; owner buys `take` worth of shares; pool.vesting += e − take,
//!         released linearly until max(vesting_until, now + release_blocks)
//! settle: released = vesting · (now − vesting_from) / (vesting_until − vesting_from);
//!         stake += released; vesting −= released; vesting_from = now   (before every use)
//! ```
//!
//! ## Invariants (`try_state`)
//!
//! - `TotalStake` is the sum of every pool's `stake` and `vesting`.
//! - Each pool's `shares` is the sum of its nominators' shares; a pool with no shares has no stake
//!   and nothing vesting.
//! - The pallet account holds exactly `TotalStake` plus the existential deposit it was endowed
//!   with at genesis, so staked AGR is never dusted and issuance = free + reserved + staked.

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

use agora_primitives::{traits::StakeInterface, BlockNumber};
use alloc::vec::Vec;
use polkadot_sdk::{
	frame_support::{
		traits::{
			fungible::{Inspect, Mutate},
			tokens::Preservation,
		},
		PalletId,
	},
	polkadot_sdk_frame as frame,
	sp_runtime::{
		traits::{AccountIdConversion, UniqueSaturatedInto},
		Perbill,
	},
};

/// Log target of this pallet.
pub const LOG_TARGET: &str = "runtime::agora-staking";

pub use agora_primitives::Balance;

/// A hotkey's share pool.
#[derive(
	Clone,
	Copy,
	Default,
	PartialEq,
	Eq,
	Debug,
	codec::Encode,
	codec::Decode,
	codec::DecodeWithMemTracking,
	codec::MaxEncodedLen,
	scale_info::TypeInfo,
)]
pub struct Pool {
	/// AGR staked on the hotkey, released emission included.
	pub stake: Balance,
	/// Shares held by its nominators.
	pub shares: u128,
	/// Emission credited but not yet released into `stake`.
	pub vesting: Balance,
	/// Block from which `vesting` is released linearly.
	pub vesting_from: BlockNumber,
	/// Block by which all of `vesting` is released.
	pub vesting_until: BlockNumber,
}

impl Pool {
	/// The part of `vesting` released by block `now`.
	pub fn released(&self, now: BlockNumber) -> Balance {
		if now >= self.vesting_until {
			self.vesting
		} else if now <= self.vesting_from {
			0
		} else {
			let len = u128::from(self.vesting_until - self.vesting_from);
			mul_div(self.vesting, u128::from(now - self.vesting_from), len, false)
		}
	}

	/// The pool as of block `now`: what has vested moved into `stake`.
	pub fn settled(mut self, now: BlockNumber) -> Self {
		let released = self.released(now);
		self.stake = self.stake.saturating_add(released);
		self.vesting -= released;
		self.vesting_from = now.max(self.vesting_from);
		if self.vesting == 0 {
			self.vesting_until = self.vesting_from;
		}
		self
	}

	/// Shares that `amount` buys, rounded down.
	pub fn shares_for(&self, amount: Balance) -> u128 {
		if self.shares == 0 || self.stake == 0 {
			amount
		} else {
			mul_div(amount, self.shares, self.stake, false)
		}
	}

	/// Shares that must be sold to withdraw `amount`, rounded up.
	pub fn shares_to_withdraw(&self, amount: Balance) -> u128 {
		mul_div(amount, self.shares, self.stake, true)
	}

	/// AGR that `shares` are worth, rounded down.
	pub fn value_of(&self, shares: u128) -> Balance {
		if self.shares == 0 {
			0
		} else {
			mul_div(shares, self.stake, self.shares, false)
		}
	}
}

/// `a * b / c`, rounded down or up, without overflow for realistic token amounts (falls back to
/// saturating arithmetic beyond 2^128).
fn mul_div(a: u128, b: u128, c: u128, round_up: bool) -> u128 {
	if c == 0 {
		return 0;
	}
	let (q, r) = match a.checked_mul(b) {
		Some(p) => (p / c, p % c),
		None => {
			// a * b / c = (a / c) * b + (a % c) * b / c
			let (qa, ra) = (a / c, a % c);
			let tail = ra.saturating_mul(b);
			(qa.saturating_mul(b).saturating_add(tail / c), tail % c)
		},
	};
	if round_up && r > 0 {
		q.saturating_add(1)
	} else {
		q
	}
}

#[frame::pallet]
pub mod pallet {
	use super::*;
	use frame::prelude::*;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: polkadot_sdk::frame_system::Config {
		/// The currency staked.
		type Currency: Mutate<Self::AccountId, Balance = Balance>;
		/// Derives the pallet account that holds staked AGR.
		#[pallet::constant]
		type PalletId: Get<PalletId>;
		/// Smallest position a coldkey may hold on a hotkey.
		#[pallet::constant]
		type MinStake: Get<Balance>;
		/// Largest delegate take.
		#[pallet::constant]
		type MaxTake: Get<Perbill>;
		/// Take of a hotkey that never set one.
		#[pallet::constant]
		type DefaultTake: Get<Perbill>;
		/// Blocks a raise of a hotkey's take must wait after its last change (decreases are
		/// always allowed, and arm the limit too).
		#[pallet::constant]
		type TakeRateLimit: Get<BlockNumberFor<Self>>;
		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	/// The coldkey that owns each registered hotkey.
	#[pallet::storage]
	pub type Owner<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, T::AccountId>;

	/// Each hotkey's share pool.
	#[pallet::storage]
	pub type Pools<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, Pool, ValueQuery>;

	/// Shares of `(hotkey, coldkey)`.
	#[pallet::storage]
	pub type Shares<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Blake2_128Concat,
		T::AccountId,
		u128,
		ValueQuery,
	>;

	/// Delegate take of each hotkey that set one.
	#[pallet::storage]
	pub type Take<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, Perbill>;

	/// Block of each hotkey's last take change.
	#[pallet::storage]
	pub type LastTakeChange<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, BlockNumberFor<T>>;

	/// How many subnets each hotkey holds a UID on (kept by the subnets pallet).
	#[pallet::storage]
	pub type Registrations<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, u16, ValueQuery>;

	/// Hotkeys each coldkey holds shares of (the reverse of `Shares`, for `stake_info`).
	#[pallet::storage]
	pub type Nominations<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Blake2_128Concat,
		T::AccountId,
		(),
		OptionQuery,
	>;

	/// Sum of every pool's stake.
	#[pallet::storage]
	pub type TotalStake<T> = StorageValue<_, Balance, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame::prelude::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		#[serde(skip)]
		_marker: PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			// Endow the pallet account with the existential deposit so that staked AGR, however
			// little, is never dusted.
			let account = Pallet::<T>::account_id();
			let ed = T::Currency::minimum_balance();
			if T::Currency::balance(&account) < ed {
				let _ = T::Currency::mint_into(&account, ed);
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A hotkey was registered to its owner.
		HotkeyRegistered {
			/// The hotkey.
			hotkey: T::AccountId,
			/// Its owner.
			coldkey: T::AccountId,
		},
		/// A coldkey staked on a hotkey.
		StakeAdded {
			/// The staker.
			coldkey: T::AccountId,
			/// The hotkey staked on.
			hotkey: T::AccountId,
			/// AGR moved into the stake.
			amount: Balance,
			/// Shares bought.
			shares: u128,
		},
		/// A coldkey unstaked from a hotkey.
		StakeRemoved {
			/// The staker.
			coldkey: T::AccountId,
			/// The hotkey unstaked from.
			hotkey: T::AccountId,
			/// AGR returned.
			amount: Balance,
			/// Shares sold.
			shares: u128,
		},
		/// A coldkey moved stake between hotkeys.
		StakeMoved {
			/// The staker.
			coldkey: T::AccountId,
			/// The hotkey left.
			from: T::AccountId,
			/// The hotkey joined.
			to: T::AccountId,
			/// AGR moved.
			amount: Balance,
		},
		/// A hotkey's owner set its take.
		TakeSet {
			/// The hotkey.
			hotkey: T::AccountId,
			/// Its new take.
			take: Perbill,
		},
		/// Emission was credited to a hotkey's pool.
		EmissionCredited {
			/// The hotkey.
			hotkey: T::AccountId,
			/// AGR credited in all.
			amount: Balance,
			/// Of which the owner's take.
			take: Balance,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The hotkey is not registered on any subnet.
		HotkeyNotRegistered,
		/// The hotkey is registered to another coldkey.
		HotkeyAlreadyOwned,
		/// Only the hotkey's owner may do this.
		NotHotkeyOwner,
		/// The amount is zero.
		ZeroAmount,
		/// The coldkey's free balance cannot pay the amount and stay alive.
		InsufficientBalance,
		/// The coldkey's stake on the hotkey is less than the amount.
		InsufficientStake,
		/// The position would end below `MinStake`: stake more, or unstake all of it.
		BelowMinStake,
		/// The amount buys no share at the pool's price.
		StakeTooSmall,
		/// Moving stake needs two different hotkeys.
		SameHotkey,
		/// The take exceeds `MaxTake`.
		TakeTooHigh,
		/// The take changed less than `TakeRateLimit` blocks ago: it may not be raised yet.
		TakeRateLimited,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::DefaultTake::get() <= T::MaxTake::get(), "DefaultTake above MaxTake");
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
		/// Stake `amount` of the caller's free AGR on `hotkey`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::add_stake())]
		pub fn add_stake(
			origin: OriginFor<T>,
			hotkey: T::AccountId,
			#[pallet::compact] amount: Balance,
		) -> DispatchResult {
			let coldkey = ensure_signed(origin)?;
			ensure!(amount > 0, Error::<T>::ZeroAmount);
			ensure!(Registrations::<T>::get(&hotkey) > 0, Error::<T>::HotkeyNotRegistered);
			T::Currency::transfer(&coldkey, &Self::account_id(), amount, Preservation::Preserve)
				.map_err(|_| Error::<T>::InsufficientBalance)?;
			let shares = Self::buy(&hotkey, &coldkey, amount)?;
			Self::deposit_event(Event::StakeAdded { coldkey, hotkey, amount, shares });
			Ok(())
		}

		/// Unstake `amount` from `hotkey` back to the caller's free balance.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::remove_stake())]
		pub fn remove_stake(
			origin: OriginFor<T>,
			hotkey: T::AccountId,
			#[pallet::compact] amount: Balance,
		) -> DispatchResult {
			let coldkey = ensure_signed(origin)?;
			ensure!(amount > 0, Error::<T>::ZeroAmount);
			let (shares, paid) = Self::sell(&hotkey, &coldkey, amount)?;
			T::Currency::transfer(&Self::account_id(), &coldkey, paid, Preservation::Preserve)?;
			Self::deposit_event(Event::StakeRemoved { coldkey, hotkey, amount: paid, shares });
			Ok(())
		}

		/// Move `amount` of the caller's stake from hotkey `from` to hotkey `to`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::move_stake())]
		pub fn move_stake(
			origin: OriginFor<T>,
			from: T::AccountId,
			to: T::AccountId,
			#[pallet::compact] amount: Balance,
		) -> DispatchResult {
			let coldkey = ensure_signed(origin)?;
			ensure!(amount > 0, Error::<T>::ZeroAmount);
			ensure!(from != to, Error::<T>::SameHotkey);
			ensure!(Registrations::<T>::get(&to) > 0, Error::<T>::HotkeyNotRegistered);
			let (_, moved) = Self::sell(&from, &coldkey, amount)?;
			Self::buy(&to, &coldkey, moved)?;
			Self::deposit_event(Event::StakeMoved { coldkey, from, to, amount: moved });
			Ok(())
		}

		/// Set the take of a hotkey the caller owns. Lowering is always allowed; raising only
		/// `TakeRateLimit` blocks after the last change, whichever way it went.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::set_take())]
		pub fn set_take(
			origin: OriginFor<T>,
			hotkey: T::AccountId,
			take: Perbill,
		) -> DispatchResult {
			let coldkey = ensure_signed(origin)?;
			ensure!(Owner::<T>::get(&hotkey) == Some(coldkey), Error::<T>::NotHotkeyOwner);
			ensure!(take <= T::MaxTake::get(), Error::<T>::TakeTooHigh);
			let current = Self::take_of(&hotkey);
			if take != current {
				let now = frame_system::Pallet::<T>::block_number();
				if take > current {
					if let Some(last) = LastTakeChange::<T>::get(&hotkey) {
						ensure!(
							now >= last.saturating_add(T::TakeRateLimit::get()),
							Error::<T>::TakeRateLimited
						);
					}
				}
				LastTakeChange::<T>::insert(&hotkey, now);
			}
			Take::<T>::insert(&hotkey, take);
			Self::deposit_event(Event::TakeSet { hotkey, take });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// The account holding every staked AGR.
		pub fn account_id() -> T::AccountId {
			T::PalletId::get().into_account_truncating()
		}

		/// Records `coldkey` as the owner of `hotkey` (idempotent for the same owner) and counts
		/// one more subnet the hotkey is registered on.
		pub fn register_hotkey(hotkey: &T::AccountId, coldkey: &T::AccountId) -> DispatchResult {
			match Owner::<T>::get(hotkey) {
				Some(owner) if &owner == coldkey => {},
				Some(_) => return Err(Error::<T>::HotkeyAlreadyOwned.into()),
				None => {
					Owner::<T>::insert(hotkey, coldkey);
					Self::deposit_event(Event::HotkeyRegistered {
						hotkey: hotkey.clone(),
						coldkey: coldkey.clone(),
					});
				},
			}
			let registrations = Registrations::<T>::get(hotkey);
			if registrations == 0 {
				// A registered hotkey exists as an account even with no balance, so that it can
				// sign its fee-less calls (weights, endpoint): the registration provides for it.
				frame_system::Pallet::<T>::inc_providers(hotkey);
			}
			Registrations::<T>::insert(hotkey, registrations.saturating_add(1));
			Ok(())
		}

		/// Counts one subnet fewer that `hotkey` is registered on; at zero the registration no
		/// longer provides for its account.
		pub fn deregister_hotkey(hotkey: &T::AccountId) {
			match Registrations::<T>::get(hotkey) {
				0 => {},
				1 => {
					Registrations::<T>::remove(hotkey);
					if frame_system::Pallet::<T>::dec_providers(hotkey).is_err() {
						log::warn!(target: LOG_TARGET, "hotkey {hotkey:?} keeps a provider: it has consumers");
					}
				},
				n => Registrations::<T>::insert(hotkey, n - 1),
			}
		}

		/// The current block as a [`BlockNumber`].
		fn now() -> BlockNumber {
			frame_system::Pallet::<T>::block_number().unique_saturated_into()
		}

		/// `hotkey`'s pool as of now (vested emission released).
		pub fn pool(hotkey: &T::AccountId) -> Pool {
			Pools::<T>::get(hotkey).settled(Self::now())
		}

		/// The owner of `hotkey`, if registered.
		pub fn owner_of(hotkey: &T::AccountId) -> Option<T::AccountId> {
			Owner::<T>::get(hotkey)
		}

		/// A hotkey's take.
		pub fn take_of(hotkey: &T::AccountId) -> Perbill {
			Take::<T>::get(hotkey).unwrap_or_else(T::DefaultTake::get)
		}

		/// AGR staked on `hotkey` in all, released emission included (what is still vesting
		/// is not counted).
		pub fn stake_of(hotkey: &T::AccountId) -> Balance {
			Self::pool(hotkey).stake
		}

		/// AGR `coldkey` has staked on `hotkey`, released emission included.
		pub fn stake_of_coldkey(hotkey: &T::AccountId, coldkey: &T::AccountId) -> Balance {
			Self::pool(hotkey).value_of(Shares::<T>::get(hotkey, coldkey))
		}

		/// Credits `amount` of freshly minted AGR to `hotkey`'s pool: the owner keeps the take as
		/// new shares at once; the rest vests, released into the pool linearly until
		/// `release_blocks` blocks from now, so it raises the value of the shares held over
		/// those blocks. Mints into the pallet account, so issuance grows by exactly `amount`.
		pub fn credit_emission(
			hotkey: &T::AccountId,
			amount: Balance,
			release_blocks: BlockNumber,
		) -> DispatchResult {
			if amount == 0 {
				return Ok(());
			}
			let owner = Owner::<T>::get(hotkey).ok_or(Error::<T>::HotkeyNotRegistered)?;
			T::Currency::mint_into(&Self::account_id(), amount)?;
			let now = Self::now();
			let mut pool = Pools::<T>::get(hotkey).settled(now);
			let take = if pool.shares == 0 { amount } else { Self::take_of(hotkey) * amount };
			if amount > take {
				pool.vesting = pool.vesting.saturating_add(amount - take);
				pool.vesting_from = now;
				pool.vesting_until =
					pool.vesting_until.max(now.saturating_add(release_blocks.max(1)));
			}
			let take_shares = pool.shares_for(take);
			pool.stake = pool.stake.saturating_add(take);
			pool.shares = pool.shares.saturating_add(take_shares);
			let held = Shares::<T>::get(hotkey, &owner).saturating_add(take_shares);
			Self::set_shares(hotkey, &owner, held);
			Pools::<T>::insert(hotkey, pool);
			TotalStake::<T>::mutate(|t| *t = t.saturating_add(amount));
			Self::deposit_event(Event::EmissionCredited { hotkey: hotkey.clone(), amount, take });
			Ok(())
		}

		/// Every hotkey `coldkey` has stake on, with the stake's value.
		pub fn positions_of(coldkey: &T::AccountId) -> Vec<(T::AccountId, Balance)> {
			Nominations::<T>::iter_key_prefix(coldkey)
				.map(|hotkey| {
					let value = Self::stake_of_coldkey(&hotkey, coldkey);
					(hotkey, value)
				})
				.collect()
		}

		/// Stores a position, keeping `Nominations` in step; zero shares removes it.
		fn set_shares(hotkey: &T::AccountId, coldkey: &T::AccountId, shares: u128) {
			if shares == 0 {
				Shares::<T>::remove(hotkey, coldkey);
				Nominations::<T>::remove(coldkey, hotkey);
			} else {
				Shares::<T>::insert(hotkey, coldkey, shares);
				Nominations::<T>::insert(coldkey, hotkey, ());
			}
		}

		/// Adds `amount` (already in the pallet account) to `coldkey`'s position on `hotkey`.
		fn buy(
			hotkey: &T::AccountId,
			coldkey: &T::AccountId,
			amount: Balance,
		) -> Result<u128, DispatchError> {
			let mut pool = Self::pool(hotkey);
			let shares = pool.shares_for(amount);
			ensure!(shares > 0, Error::<T>::StakeTooSmall);
			let held = Shares::<T>::get(hotkey, coldkey).saturating_add(shares);
			pool.stake = pool.stake.saturating_add(amount);
			pool.shares = pool.shares.saturating_add(shares);
			ensure!(pool.value_of(held) >= T::MinStake::get(), Error::<T>::BelowMinStake);
			Self::set_shares(hotkey, coldkey, held);
			Pools::<T>::insert(hotkey, pool);
			TotalStake::<T>::mutate(|t| *t = t.saturating_add(amount));
			Ok(shares)
		}

		/// Takes `amount` out of `coldkey`'s position on `hotkey`; returns the shares sold and the
		/// AGR released (more than `amount` only by the pool's rounding dust, when the last
		/// shares go). The AGR stays in the pallet account for the caller to pay out or re-stake.
		fn sell(
			hotkey: &T::AccountId,
			coldkey: &T::AccountId,
			amount: Balance,
		) -> Result<(u128, Balance), DispatchError> {
			let mut pool = Self::pool(hotkey);
			let held = Shares::<T>::get(hotkey, coldkey);
			ensure!(pool.value_of(held) >= amount, Error::<T>::InsufficientStake);
			let shares = pool.shares_to_withdraw(amount).min(held);
			let left = held - shares;
			pool.stake = pool.stake.saturating_sub(amount);
			pool.shares = pool.shares.saturating_sub(shares);
			let left_value = pool.value_of(left);
			ensure!(left_value == 0 || left_value >= T::MinStake::get(), Error::<T>::BelowMinStake);
			Self::set_shares(hotkey, coldkey, left);
			let mut released = amount;
			if pool.shares == 0 {
				// The last shares are gone; the pool's rounding dust and whatever was still
				// vesting go with them, to the seller, rather than staying behind with no owner.
				released = released.saturating_add(pool.stake).saturating_add(pool.vesting);
				Pools::<T>::remove(hotkey);
			} else {
				Pools::<T>::insert(hotkey, pool);
			}
			TotalStake::<T>::mutate(|t| *t = t.saturating_sub(released));
			Ok((shares, released))
		}

		/// Checks the invariants listed in the crate docs.
		#[cfg(any(feature = "try-runtime", feature = "std", test))]
		pub fn do_try_state() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
			let mut total = 0u128;
			for (hotkey, pool) in Pools::<T>::iter() {
				total = total.saturating_add(pool.stake).saturating_add(pool.vesting);
				let shares: u128 = Shares::<T>::iter_prefix_values(&hotkey).sum();
				ensure!(shares == pool.shares, "pool shares differ from the sum of positions");
				ensure!(
					pool.shares > 0 || (pool.stake == 0 && pool.vesting == 0),
					"stake in a pool without shares"
				);
				ensure!(pool.vesting_from <= pool.vesting_until, "vesting ends before it starts");
			}
			ensure!(total == TotalStake::<T>::get(), "TotalStake differs from the pools' sum");
			for (hotkey, coldkey, _) in Shares::<T>::iter() {
				ensure!(
					Nominations::<T>::contains_key(&coldkey, &hotkey),
					"position missing from Nominations"
				);
			}
			for (coldkey, hotkey, ()) in Nominations::<T>::iter() {
				ensure!(
					Shares::<T>::contains_key(&hotkey, &coldkey),
					"Nominations lists a position that does not exist"
				);
			}
			let held = T::Currency::balance(&Self::account_id());
			ensure!(
				held == TotalStake::<T>::get() + T::Currency::minimum_balance(),
				"pallet account does not hold TotalStake + ED"
			);
			Ok(())
		}
	}
}

impl<T: Config> StakeInterface<T::AccountId> for Pallet<T> {
	fn register_hotkey(
		hotkey: &T::AccountId,
		coldkey: &T::AccountId,
	) -> polkadot_sdk::sp_runtime::DispatchResult {
		Pallet::<T>::register_hotkey(hotkey, coldkey)
	}

	fn hotkey_owner(hotkey: &T::AccountId) -> Option<T::AccountId> {
		Owner::<T>::get(hotkey)
	}

	fn deregister_hotkey(hotkey: &T::AccountId) {
		Pallet::<T>::deregister_hotkey(hotkey)
	}

	fn registrations(hotkey: &T::AccountId) -> u16 {
		Registrations::<T>::get(hotkey)
	}

	fn stake_of(hotkey: &T::AccountId) -> Balance {
		Pallet::<T>::stake_of(hotkey)
	}

	fn credit_emission(
		hotkey: &T::AccountId,
		amount: Balance,
		release_blocks: BlockNumber,
	) -> polkadot_sdk::sp_runtime::DispatchResult {
		Pallet::<T>::credit_emission(hotkey, amount, release_blocks)
	}
}
