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
//! `release_blocks` (the paying subnet's tempo), to the shares held over those blocks; a seller
//! forfeits (burns) its part of what had not been released yet. So stake earns for the blocks
//! it is held, one tempo behind the epoch that paid (stake that joins after an epoch shares the
//! release of that epoch's emission, and backs the next epoch). The owner's take becomes shares
//! at the current price and shares the release like any stake bought then (it adds
//! `take% · (1 − take%) · e / stake` of `e` to the owner: second order, ~0.02% of an epoch that
//! pays 0.14% of the stake). Every stake decrease is reported to `OnStakeDecrease` (the subnets
//! pallet), so an epoch counts only the stake that stayed since the previous one. Stake added one block before an epoch and
//! removed one block after collects two blocks' worth of the release, not a tempo's
//! (just-in-time staking, issue 10 item 8). Stake only joins a registered hotkey: a hotkey that
//! lost its last UID keeps its owner and stake (nominators may leave) but takes no new stake.
//! An owned hotkey's account exists without any balance (its first registration adds a
//! provider reference that stays, as the ownership does), so it can sign the subnets pallet's
//! fee-less calls unfunded.
//!
//! **Hotkey swaps** ([`Pallet::swap_hotkey`], called by the subnets pallet's `swap_hotkey`)
//! move everything kept under a hotkey to a fresh one: its owner, its pool (stake, shares and
//! what is still vesting, untouched), every nominator's shares and `Nominations` entry, its take
//! and the block of its last take change, its count of registrations. No AGR moves and no share
//! changes value. The old hotkey keeps its account's provider reference (as a hotkey that lost
//! its UIDs does: its nonce must not restart, or its old signed calls could be replayed) but
//! nothing else; the new one gets its own.
//!
//! **Coldkey swaps are announced, and disputable.** A coldkey announces a swap of everything it
//! holds here to a fresh coldkey ([`Pallet::announce_coldkey_swap`], burning
//! `ColdkeySwapCost`); it may be executed by anyone `ColdkeySwapDelay` blocks later
//! ([`Pallet::execute_coldkey_swap`]): every stake position, the ownership of every hotkey, what
//! `OnColdkeySwap` moves (the subnets pallet: subnets owned, the coldkey of each neuron) and the
//! old coldkey's transferable AGR go to the new one. Within the delay, whoever holds the old
//! coldkey may dispute it ([`Pallet::dispute_coldkey_swap`]): it then executes only if
//! `ResolveOrigin` (Root: a referendum) lets it go ahead, possibly to another coldkey, or is
//! dropped ([`Pallet::resolve_coldkey_swap`]). From the announcement until the swap executes or
//! is dropped, the old coldkey is frozen: it may not `remove_stake`, `move_stake`, `add_stake`
//! or `set_take` here, nor register or swap hotkeys in the subnets pallet (which asks
//! [`StakeInterface::coldkey_frozen`]): a thief holding the key can neither drain the stake while
//! its owner disputes, nor grow what the swap must move past one block, nor take the owner's
//! validators; an owner who suspects a leak can freeze it by announcing a swap to a fresh key.
//! Free AGR is not frozen. A swap's destination is reserved for it (`PendingDestinations`), so
//! nobody squats the owner's fresh key with a swap of his own; Root's redirect overrides such a
//! reservation. The old coldkey may cancel an undisputed swap within its delay
//! ([`Pallet::cancel_coldkey_swap`]); it stays frozen until the delay would have ended, so a thief
//! who cancels the owner's swap gains nothing. See the `coldkey_swap` module.
//!
//! **Take changes are rate-limited both ways.** Any change of a hotkey's take arms
//! `TakeRateLimit`; a raise needs that many blocks since the last change, so a take lowered to
//! attract nominators cannot jump back to the maximum in the next block.
//!
//! ## Design
//!
//! ```text
//! buy:    shares = amount · pool.shares / pool.stake     (1:1 when the pool is empty), rounded down
//! sell:   shares = ⌈amount · pool.shares / pool.stake⌉  rounded up: the pool never loses; the
//!         seller forfeits its part of what is still vesting, vesting · shares / pool.shares,
//!         which is burned, so the per-share release of those who stay is unchanged (a dust
//!         holder left behind does not collect a big seller's part); the last seller's leaves
//!         nothing to vest to, and is burned too
//! value of a position = shares · pool.stake / pool.shares, rounded down (released only)
//! credit: take = take% · e; the owner buys `take` worth of shares at the current price;
//!         pool.vesting += e − take, released linearly until max(vesting_until,
//!         now + release_blocks)
//! settle: released = vesting · (now − vesting_from) / (vesting_until − vesting_from);
//!         stake += released; vesting −= released; vesting_from = now   (before every use)
//! ```
//!
//! ## Invariants (`try_state`)
//!
//! - `TotalStake` is the sum of every pool's `stake` and `vesting`.
//! - Each pool's `shares` is the sum of its nominators' shares; a pool with no shares has no stake
//!   and nothing vesting.
//! - The pallet account holds at least `TotalStake` plus the existential deposit it was endowed
//!   with at genesis (exactly, unless someone transferred AGR to it), so staked AGR is never
//!   dusted.
//! - `OwnedHotkeys` is exactly the reverse of `Owner`.
//! - A coldkey swap is announced by a coldkey other than its destination, and becomes
//!   executable after its announcement.
//! - `PendingDestinations` is exactly the reverse of `ColdkeySwaps`' destinations (so no two
//!   swaps share one), and no destination has a swap of its own.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
mod coldkey_swap;
pub mod migrations;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

use agora_primitives::{
	traits::{OnColdkeySwap, OnStakeDecrease, StakeInterface},
	BlockNumber,
};
use alloc::vec::Vec;
use polkadot_sdk::{
	frame_support::{
		traits::{
			fungible::{Inspect, Mutate},
			tokens::{Fortitude, Precision, Preservation},
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

	/// Shares that `amount` buys, rounded down, at the pool's current price (released stake
	/// only): the share price never jumps, so whoever holds a share over a block gets that
	/// block's part of the release, and nobody gains at the moment of a purchase or credit.
	pub fn shares_for(&self, amount: Balance) -> u128 {
		if self.shares == 0 || self.stake == 0 {
			amount
		} else {
			mul_div(amount, self.shares, self.stake, false)
		}
	}

	/// The part of what is still vesting that `shares` would forfeit on leaving, rounded down.
	pub fn unvested_of(&self, shares: u128) -> Balance {
		if self.shares == 0 {
			0
		} else {
			mul_div(shares, self.vesting, self.shares, false)
		}
	}

	/// Shares that must be sold to withdraw `amount`, rounded up.
	pub fn shares_to_withdraw(&self, amount: Balance) -> u128 {
		mul_div(amount, self.shares, self.stake, true)
	}

	/// AGR that `shares` are worth now (released emission only), rounded down: what they
	/// withdraw.
	pub fn value_of(&self, shares: u128) -> Balance {
		if self.shares == 0 {
			0
		} else {
			mul_div(shares, self.stake, self.shares, false)
		}
	}
}

/// An announced coldkey swap, kept under the old coldkey.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Debug,
	codec::Encode,
	codec::Decode,
	codec::DecodeWithMemTracking,
	codec::MaxEncodedLen,
	scale_info::TypeInfo,
)]
pub struct ColdkeySwap<AccountId, BlockNumber> {
	/// The coldkey that gets everything.
	pub new: AccountId,
	/// Block of the announcement.
	pub announced_at: BlockNumber,
	/// First block in which it may be executed; a dispute must come before it.
	pub executable_at: BlockNumber,
	/// Disputed by the old coldkey: it waits for `ResolveOrigin`.
	pub disputed: bool,
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

	/// The storage layout's version: 1 since `OwnedHotkeys` indexes each coldkey's hotkeys
	/// ([`migrations::v1`]).
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
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
		/// Told of every decrease of a hotkey's stake (the subnets pallet lowers what its next
		/// epochs count).
		type OnStakeDecrease: agora_primitives::traits::OnStakeDecrease<Self::AccountId>;
		/// Blocks a raise of a hotkey's take must wait after its last change (decreases are
		/// always allowed, and arm the limit too).
		#[pallet::constant]
		type TakeRateLimit: Get<BlockNumberFor<Self>>;
		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
		/// Planck a coldkey swap's announcement burns from the old coldkey.
		#[pallet::constant]
		type ColdkeySwapCost: Get<Balance>;
		/// Blocks between a coldkey swap's announcement and the first block it may execute in:
		/// the time its old coldkey has to dispute it.
		#[pallet::constant]
		type ColdkeySwapDelay: Get<BlockNumberFor<Self>>;
		/// Resolves a coldkey swap: lets it go ahead (possibly to another coldkey) or drops it
		/// (Root, reached by referendum, in the runtime).
		type ResolveOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// Told of every executed coldkey swap (the subnets pallet moves subnets and neurons'
		/// coldkeys).
		type OnColdkeySwap: OnColdkeySwap<Self::AccountId>;
	}

	/// The coldkey that owns each registered hotkey.
	#[pallet::storage]
	pub type Owner<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, T::AccountId>;

	/// Hotkeys each coldkey owns (the reverse of `Owner`, so a coldkey swap finds them).
	#[pallet::storage]
	pub type OwnedHotkeys<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Blake2_128Concat,
		T::AccountId,
		(),
		OptionQuery,
	>;

	/// Announced coldkey swaps, by old coldkey: at most one each, pending or disputed.
	#[pallet::storage]
	pub type ColdkeySwaps<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, ColdkeySwap<T::AccountId, BlockNumberFor<T>>>;

	/// The destination of each announced coldkey swap, pending or disputed, with its old
	/// coldkey: the reverse of `ColdkeySwaps`. A destination is reserved for one swap; only
	/// `ResolveOrigin` may take it from that swap for another.
	#[pallet::storage]
	pub type PendingDestinations<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, T::AccountId>;

	/// Coldkeys whose swap was cancelled: they stay frozen until this block, the cancelled
	/// swap's `executable_at` (past entries mean nothing and are removed by the next
	/// announcement).
	#[pallet::storage]
	pub type FrozenUntil<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, BlockNumberFor<T>>;

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
		/// A seller forfeited its part of a pool's unreleased emission; it was burned.
		VestingForfeited {
			/// The hotkey.
			hotkey: T::AccountId,
			/// The seller.
			coldkey: T::AccountId,
			/// AGR burned.
			amount: Balance,
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
		/// Everything kept under a hotkey moved to another (a hotkey swap).
		HotkeySwapped {
			/// The hotkey left behind, now without owner or stake.
			old_hotkey: T::AccountId,
			/// The hotkey that holds it all now.
			new_hotkey: T::AccountId,
			/// Their owner.
			coldkey: T::AccountId,
		},
		/// A coldkey announced a swap to a new coldkey; its stake is frozen until the swap
		/// executes or is dropped.
		ColdkeySwapAnnounced {
			/// The coldkey giving everything up.
			old_coldkey: T::AccountId,
			/// The coldkey to get it.
			new_coldkey: T::AccountId,
			/// First block in which the swap may execute; disputes must come before.
			executable_at: BlockNumberFor<T>,
			/// Planck burned (`ColdkeySwapCost`).
			cost: Balance,
		},
		/// The old coldkey disputed its announced swap: only `ResolveOrigin` decides it now.
		ColdkeySwapDisputed {
			/// The old coldkey.
			old_coldkey: T::AccountId,
			/// The coldkey the disputed swap names.
			new_coldkey: T::AccountId,
		},
		/// `ResolveOrigin` let a coldkey swap go ahead: it may execute at once.
		ColdkeySwapApproved {
			/// The old coldkey.
			old_coldkey: T::AccountId,
			/// The coldkey it goes to (the announced one, or the one `ResolveOrigin` named).
			new_coldkey: T::AccountId,
		},
		/// `ResolveOrigin` dropped a coldkey swap, or redirected another swap onto its
		/// destination: nothing moves, the stake is no longer frozen (the announcement's cost
		/// stays burnt).
		ColdkeySwapDropped {
			/// The old coldkey.
			old_coldkey: T::AccountId,
			/// The coldkey the dropped swap named.
			new_coldkey: T::AccountId,
		},
		/// The old coldkey cancelled its undisputed swap: nothing moves; it stays frozen until
		/// `frozen_until` (the cancelled cost stays burnt).
		ColdkeySwapCancelled {
			/// The old coldkey.
			old_coldkey: T::AccountId,
			/// The coldkey the cancelled swap named, free to be another swap's destination.
			new_coldkey: T::AccountId,
			/// The first block in which the old coldkey is no longer frozen.
			frozen_until: BlockNumberFor<T>,
		},
		/// A coldkey swap executed: positions, hotkeys, what `OnColdkeySwap` moves and the
		/// transferable AGR are the new coldkey's.
		ColdkeySwapExecuted {
			/// The coldkey left behind.
			old_coldkey: T::AccountId,
			/// The coldkey holding it all now.
			new_coldkey: T::AccountId,
			/// Hotkeys whose ownership moved.
			hotkeys: u32,
			/// Stake positions moved.
			positions: u32,
			/// Planck of free balance transferred.
			balance: Balance,
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
		/// A hotkey swap's new hotkey already has an owner or stake.
		HotkeyInUse,
		/// A coldkey cannot be swapped for itself.
		ColdkeySwapToSelf,
		/// The coldkey has announced a swap already (pending or disputed): execute or resolve it
		/// first.
		ColdkeySwapAlreadyAnnounced,
		/// The new coldkey owns hotkeys or holds stake positions: swap to a fresh coldkey (a
		/// swap neither takes over nor merges).
		ColdkeyInUse,
		/// The coldkey has no announced swap.
		NoColdkeySwap,
		/// The swap is disputed: only `ResolveOrigin` (a referendum) may let it go ahead.
		ColdkeySwapDisputed,
		/// The swap was disputed already.
		ColdkeySwapAlreadyDisputed,
		/// The swap's delay has not passed (`executable_at` is still ahead).
		ColdkeySwapTooEarly,
		/// The swap's delay has passed: it can no longer be disputed.
		DisputeTooLate,
		/// The coldkey has announced a swap (or cancelled one whose delay has not ended): it is
		/// frozen until the swap executes or is dropped: no unstaking, staking, moving stake or
		/// setting a take.
		ColdkeySwapPending,
		/// The new coldkey is already the destination of another coldkey's pending swap: choose
		/// another fresh key (only `ResolveOrigin` may take a destination from another swap).
		ColdkeySwapDestinationReserved,
		/// Swaps do not chain: the caller is the destination of a pending coldkey swap, or the
		/// new coldkey has announced a swap of its own. Wait until that swap executes or is
		/// dropped.
		ColdkeySwapChained,
		/// The swap's delay has passed (or `ResolveOrigin` approved it): it can no longer be
		/// cancelled.
		CancelTooLate,
		/// The coldkey owns more hotkeys than the `hotkeys` witness says: call again with the
		/// current number (or more; the unused weight is refunded).
		HotkeysWitnessTooLow,
		/// The coldkey holds more stake positions than the `positions` witness says: call again
		/// with the current number (or more; the unused weight is refunded).
		PositionsWitnessTooLow,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::DefaultTake::get() <= T::MaxTake::get(), "DefaultTake above MaxTake");
			assert!(
				!T::ColdkeySwapDelay::get().is_zero(),
				"ColdkeySwapDelay of zero leaves no time to dispute a coldkey swap"
			);
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
		///
		/// Errors: `ZeroAmount`, `ColdkeySwapPending` (the caller is frozen by a coldkey swap),
		/// `HotkeyNotRegistered`, `InsufficientBalance`, `StakeTooSmall`, `BelowMinStake`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::add_stake())]
		pub fn add_stake(
			origin: OriginFor<T>,
			hotkey: T::AccountId,
			#[pallet::compact] amount: Balance,
		) -> DispatchResult {
			let coldkey = ensure_signed(origin)?;
			Self::do_add_stake(&coldkey, &hotkey, amount)
		}

		/// Unstake `amount` from `hotkey` back to the caller's free balance.
		///
		/// Errors: `ZeroAmount`, `ColdkeySwapPending` (the caller announced a coldkey swap: its
		/// stake is frozen), `InsufficientStake`, `BelowMinStake`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::remove_stake().saturating_add(
			<T::OnStakeDecrease as agora_primitives::traits::OnStakeDecrease<T::AccountId>>::weight()
		))]
		pub fn remove_stake(
			origin: OriginFor<T>,
			hotkey: T::AccountId,
			#[pallet::compact] amount: Balance,
		) -> DispatchResult {
			let coldkey = ensure_signed(origin)?;
			ensure!(amount > 0, Error::<T>::ZeroAmount);
			Self::ensure_not_frozen(&coldkey)?;
			let (shares, paid) = Self::sell(&hotkey, &coldkey, amount)?;
			T::Currency::transfer(&Self::account_id(), &coldkey, paid, Preservation::Preserve)?;
			Self::deposit_event(Event::StakeRemoved { coldkey, hotkey, amount: paid, shares });
			Ok(())
		}

		/// Move `amount` of the caller's stake from hotkey `from` to hotkey `to`.
		///
		/// Errors: `ZeroAmount`, `SameHotkey`, `HotkeyNotRegistered` (`to`), `ColdkeySwapPending`
		/// (the caller announced a coldkey swap: its stake is frozen), `InsufficientStake`,
		/// `BelowMinStake`, `StakeTooSmall`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::move_stake().saturating_add(
			<T::OnStakeDecrease as agora_primitives::traits::OnStakeDecrease<T::AccountId>>::weight()
		))]
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
			Self::ensure_not_frozen(&coldkey)?;
			let (_, moved) = Self::sell(&from, &coldkey, amount)?;
			Self::buy(&to, &coldkey, moved)?;
			Self::deposit_event(Event::StakeMoved { coldkey, from, to, amount: moved });
			Ok(())
		}

		/// Set the take of a hotkey the caller owns. Lowering is always allowed; raising only
		/// `TakeRateLimit` blocks after the last change, whichever way it went.
		///
		/// Errors: `ColdkeySwapPending` (the caller is frozen by a coldkey swap: a thief may not
		/// raise the owner's takes), `NotHotkeyOwner`, `TakeTooHigh`, `TakeRateLimited`.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::set_take())]
		pub fn set_take(
			origin: OriginFor<T>,
			hotkey: T::AccountId,
			take: Perbill,
		) -> DispatchResult {
			let coldkey = ensure_signed(origin)?;
			Self::ensure_not_frozen(&coldkey)?;
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

		/// Announces a swap of everything the calling coldkey holds to `new_coldkey`: its stake
		/// positions, its hotkeys, its subnets and its transferable AGR, executable by anyone
		/// `ColdkeySwapDelay` blocks from now (live chain: 36,000 blocks, 5 days). Burns
		/// `ColdkeySwapCost` planck. From now until the swap executes or is dropped the caller is
		/// frozen (no `remove_stake`, `move_stake`, `add_stake`, `set_take`, hotkey registration
		/// or hotkey swap); its free AGR is not. `new_coldkey` is reserved for this swap.
		///
		/// Errors: `ColdkeySwapToSelf`, `ColdkeySwapAlreadyAnnounced` (one pending or disputed),
		/// `ColdkeySwapDestinationReserved` (another swap's destination), `ColdkeySwapChained`
		/// (the caller is a swap's destination, or `new_coldkey` announced a swap),
		/// `ColdkeyInUse` (`new_coldkey` owns hotkeys or holds stake), `InsufficientBalance`
		/// (the cost, keeping the caller alive).
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::announce_coldkey_swap())]
		pub fn announce_coldkey_swap(
			origin: OriginFor<T>,
			new_coldkey: T::AccountId,
		) -> DispatchResult {
			let old = ensure_signed(origin)?;
			Self::do_announce_coldkey_swap(&old, new_coldkey)
		}

		/// Disputes the calling coldkey's announced swap, within its delay: the swap will not
		/// execute unless `ResolveOrigin` (Root: a referendum) lets it go ahead; the stake stays
		/// frozen meanwhile. Whoever holds the old coldkey may dispute (its owner, when a thief
		/// announced the swap).
		///
		/// Errors: `NoColdkeySwap`, `ColdkeySwapAlreadyDisputed`, `DisputeTooLate` (the delay
		/// has passed).
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::dispute_coldkey_swap())]
		pub fn dispute_coldkey_swap(origin: OriginFor<T>) -> DispatchResult {
			let old = ensure_signed(origin)?;
			Self::do_dispute_coldkey_swap(&old)
		}

		/// Resolves `old_coldkey`'s announced swap, disputed or not (`ResolveOrigin`: Root, by
		/// referendum). `Some(new)`: the swap goes ahead to `new` (the announced coldkey, or
		/// another one not in use, e.g. the owner's fresh key when a thief announced the
		/// swap), executable at once by anyone through `execute_coldkey_swap` and no longer
		/// disputable. `None`: the swap is dropped, nothing moves and the stake is no longer
		/// frozen (the cost stays burnt).
		///
		/// `new` may be another pending swap's destination: that swap is dropped (its cost stays
		/// burnt, `ColdkeySwapDropped`), so that a thief who read the owner's fresh key in the
		/// referendum's preimage cannot squat it with a swap of his own.
		///
		/// Errors: `BadOrigin`, `NoColdkeySwap`, `ColdkeySwapToSelf`, `ColdkeyInUse`,
		/// `ColdkeySwapChained` (`new` announced a swap of its own).
		#[pallet::call_index(6)]
		// The benchmark resolves onto a free key; charged on top: displacing a swap that squats
		// the destination (its `ColdkeySwaps` and `PendingDestinations` entries).
		#[pallet::weight(T::WeightInfo::resolve_coldkey_swap()
			.saturating_add(T::DbWeight::get().reads_writes(3, 3)))]
		pub fn resolve_coldkey_swap(
			origin: OriginFor<T>,
			old_coldkey: T::AccountId,
			new_coldkey: Option<T::AccountId>,
		) -> DispatchResult {
			T::ResolveOrigin::ensure_origin(origin)?;
			Self::do_resolve_coldkey_swap(&old_coldkey, new_coldkey)
		}

		/// Executes `old_coldkey`'s announced swap once its delay has passed and if it is not
		/// disputed; anyone may call it. Moves every stake position (shares and value
		/// unchanged), the ownership of every hotkey, what `OnColdkeySwap` moves (subnets, the
		/// coldkey of each neuron) and the old coldkey's transferable AGR (all of it; the
		/// existential deposit stays only if the account must live on) to the new coldkey.
		///
		/// `hotkeys` and `positions` are witnesses: how many hotkeys `old_coldkey` owns and on
		/// how many hotkeys it holds stake. The call is charged for them and refunded down to
		/// the real numbers.
		///
		/// Errors: `NoColdkeySwap`, `ColdkeySwapDisputed`, `ColdkeySwapTooEarly`,
		/// `HotkeysWitnessTooLow`, `PositionsWitnessTooLow`, `ColdkeyInUse` (the new coldkey
		/// took stake or hotkeys since the announcement: `ResolveOrigin` may redirect or drop
		/// the swap).
		#[pallet::call_index(7)]
		#[pallet::weight(
			T::WeightInfo::execute_coldkey_swap(*hotkeys, *positions)
				.saturating_add(T::OnColdkeySwap::max_weight(*hotkeys))
		)]
		pub fn execute_coldkey_swap(
			origin: OriginFor<T>,
			old_coldkey: T::AccountId,
			hotkeys: u32,
			positions: u32,
		) -> DispatchResultWithPostInfo {
			ensure_signed(origin)?;
			match Self::do_execute_coldkey_swap(&old_coldkey, hotkeys, positions) {
				Ok((moved_hotkeys, moved_positions, hook)) => Ok(Some(
					T::WeightInfo::execute_coldkey_swap(moved_hotkeys, moved_positions)
						.saturating_add(hook),
				)
				.into()),
				// The counts may have been read up to the witnesses; the hook did not run.
				Err(error) => Err(DispatchErrorWithPostInfo {
					post_info: Some(T::WeightInfo::execute_coldkey_swap(hotkeys, positions)).into(),
					error,
				}),
			}
		}

		/// Cancels the calling coldkey's announced swap, within its delay and if it is not
		/// disputed (a disputed swap is `ResolveOrigin`'s): nothing moves, the destination is
		/// free again, the cost stays burnt. The caller **stays frozen until the cancelled swap's
		/// `executable_at`**: a thief holding the key may cancel the owner's swap, but cannot
		/// unstake in the same breath, and the owner has until then to announce again (and to
		/// dispute his own announcement in the same batch, which puts it beyond cancelling).
		///
		/// Errors: `NoColdkeySwap`, `ColdkeySwapDisputed`, `CancelTooLate` (the delay has
		/// passed, or `ResolveOrigin` approved the swap).
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::cancel_coldkey_swap())]
		pub fn cancel_coldkey_swap(origin: OriginFor<T>) -> DispatchResult {
			let old = ensure_signed(origin)?;
			Self::do_cancel_coldkey_swap(&old)
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
					OwnedHotkeys::<T>::insert(coldkey, hotkey, ());
					// An owned hotkey's account exists even with no balance, so that it can sign
					// its fee-less calls (weights, endpoint). Like the ownership, this lasts: an
					// account that went away would restart its nonce, and its old signed calls
					// could be replayed.
					frame_system::Pallet::<T>::inc_providers(hotkey);
					Self::deposit_event(Event::HotkeyRegistered {
						hotkey: hotkey.clone(),
						coldkey: coldkey.clone(),
					});
				},
			}
			Registrations::<T>::mutate(hotkey, |n| *n = n.saturating_add(1));
			Ok(())
		}

		/// `add_stake` for `coldkey`: moves `amount` planck of its free AGR into `hotkey`'s pool.
		///
		/// Errors: `ZeroAmount`, `ColdkeySwapPending` (the coldkey is frozen by a coldkey swap:
		/// a thief may not grow the positions its swap must move), `HotkeyNotRegistered` (on no
		/// subnet), `InsufficientBalance`, `StakeTooSmall`, `BelowMinStake`.
		pub fn do_add_stake(
			coldkey: &T::AccountId,
			hotkey: &T::AccountId,
			amount: Balance,
		) -> DispatchResult {
			ensure!(amount > 0, Error::<T>::ZeroAmount);
			Self::ensure_not_frozen(coldkey)?;
			ensure!(Registrations::<T>::get(hotkey) > 0, Error::<T>::HotkeyNotRegistered);
			T::Currency::transfer(coldkey, &Self::account_id(), amount, Preservation::Preserve)
				.map_err(|_| Error::<T>::InsufficientBalance)?;
			let shares = Self::buy(hotkey, coldkey, amount)?;
			Self::deposit_event(Event::StakeAdded {
				coldkey: coldkey.clone(),
				hotkey: hotkey.clone(),
				amount,
				shares,
			});
			Ok(())
		}

		/// Whether `hotkey` has an owner, or a pool with stake, shares or vesting emission.
		pub fn hotkey_in_use(hotkey: &T::AccountId) -> bool {
			Owner::<T>::contains_key(hotkey) || Pools::<T>::get(hotkey) != Pool::default()
		}

		/// How many coldkeys hold shares of `hotkey`, counting at most `limit + 1` of them.
		pub fn nominator_count(hotkey: &T::AccountId, limit: u32) -> u32 {
			Shares::<T>::iter_key_prefix(hotkey).take(limit.saturating_add(1) as usize).count()
				as u32
		}

		/// Moves everything kept under `old` to `new` (see the crate docs); the caller (the
		/// subnets pallet) checked who asks. One read and four writes per nominator.
		///
		/// Errors: `HotkeyNotRegistered` (`old` has no owner), `HotkeyInUse` (`new` has an
		/// owner or stake).
		pub fn swap_hotkey(old: &T::AccountId, new: &T::AccountId) -> DispatchResult {
			let owner = Owner::<T>::get(old).ok_or(Error::<T>::HotkeyNotRegistered)?;
			ensure!(old != new && !Self::hotkey_in_use(new), Error::<T>::HotkeyInUse);
			Owner::<T>::remove(old);
			Owner::<T>::insert(new, &owner);
			OwnedHotkeys::<T>::remove(&owner, old);
			OwnedHotkeys::<T>::insert(&owner, new, ());
			// As at a first registration: the new hotkey's account exists without a balance, so
			// it can sign its fee-less calls.
			frame_system::Pallet::<T>::inc_providers(new);
			if Pools::<T>::contains_key(old) {
				Pools::<T>::insert(new, Pools::<T>::take(old));
			}
			let positions: Vec<(T::AccountId, u128)> = Shares::<T>::drain_prefix(old).collect();
			for (coldkey, shares) in positions {
				Shares::<T>::insert(new, &coldkey, shares);
				Nominations::<T>::remove(&coldkey, old);
				Nominations::<T>::insert(&coldkey, new, ());
			}
			if let Some(take) = Take::<T>::take(old) {
				Take::<T>::insert(new, take);
			}
			if let Some(at) = LastTakeChange::<T>::take(old) {
				LastTakeChange::<T>::insert(new, at);
			}
			let registrations = Registrations::<T>::take(old);
			if registrations > 0 {
				Registrations::<T>::insert(new, registrations);
			}
			Self::deposit_event(Event::HotkeySwapped {
				old_hotkey: old.clone(),
				new_hotkey: new.clone(),
				coldkey: owner,
			});
			Ok(())
		}

		/// Counts one subnet fewer that `hotkey` is registered on.
		pub fn deregister_hotkey(hotkey: &T::AccountId) {
			Registrations::<T>::mutate_exists(hotkey, |n| {
				*n = n.map(|n| n.saturating_sub(1)).filter(|n| *n > 0);
			});
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
			let before = Shares::<T>::get(hotkey, &owner);
			if before == 0 {
				Self::set_shares(hotkey, &owner, take_shares);
			} else if take_shares > 0 {
				// The owner's position is indexed already: one write, not two (an epoch's
				// payouts credit hundreds of hotkeys a block).
				Shares::<T>::insert(hotkey, &owner, before.saturating_add(take_shares));
			}
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
			// The seller's part of what is still vesting stays unreleased for it: burned.
			let mut forfeited = pool.unvested_of(shares);
			pool.stake = pool.stake.saturating_sub(amount);
			pool.vesting = pool.vesting.saturating_sub(forfeited);
			pool.shares = pool.shares.saturating_sub(shares);
			let left_value = pool.value_of(left);
			ensure!(left_value == 0 || left_value >= T::MinStake::get(), Error::<T>::BelowMinStake);
			Self::set_shares(hotkey, coldkey, left);
			let mut released = amount;
			let remaining = if pool.shares == 0 { 0 } else { pool.stake };
			if pool.shares == 0 {
				// The last shares are gone; the pool's rounding dust goes with them, to the
				// seller, and whatever still vests has nobody left to vest to.
				released = released.saturating_add(pool.stake);
				forfeited = forfeited.saturating_add(pool.vesting);
				Pools::<T>::remove(hotkey);
			} else {
				Pools::<T>::insert(hotkey, pool);
			}
			TotalStake::<T>::mutate(|t| *t = t.saturating_sub(released.saturating_add(forfeited)));
			if forfeited > 0 {
				T::Currency::burn_from(
					&Self::account_id(),
					forfeited,
					Preservation::Preserve,
					Precision::Exact,
					Fortitude::Force,
				)?;
				Self::deposit_event(Event::VestingForfeited {
					hotkey: hotkey.clone(),
					coldkey: coldkey.clone(),
					amount: forfeited,
				});
			}
			if Registrations::<T>::get(hotkey) > 0 {
				T::OnStakeDecrease::on_stake_decrease(hotkey, remaining);
			}
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
			for (hotkey, coldkey) in Owner::<T>::iter() {
				ensure!(
					OwnedHotkeys::<T>::contains_key(&coldkey, &hotkey),
					"an owned hotkey missing from OwnedHotkeys"
				);
			}
			for (coldkey, hotkey, ()) in OwnedHotkeys::<T>::iter() {
				ensure!(
					Owner::<T>::get(&hotkey) == Some(coldkey),
					"OwnedHotkeys lists a hotkey another coldkey owns"
				);
			}
			for (old, swap) in ColdkeySwaps::<T>::iter() {
				ensure!(old != swap.new, "a coldkey swap to itself");
				ensure!(
					swap.announced_at <= swap.executable_at,
					"a coldkey swap executable before its announcement"
				);
				ensure!(
					PendingDestinations::<T>::get(&swap.new) == Some(old),
					"a coldkey swap's destination not reserved for it"
				);
				ensure!(
					!ColdkeySwaps::<T>::contains_key(&swap.new),
					"a coldkey swap's destination has a swap of its own"
				);
			}
			for (new, old) in PendingDestinations::<T>::iter() {
				ensure!(
					ColdkeySwaps::<T>::get(&old).is_some_and(|swap| swap.new == new),
					"PendingDestinations reserves a key for no swap to it"
				);
			}
			// At least: anyone may transfer AGR to the account.
			let held = T::Currency::balance(&Self::account_id());
			ensure!(
				held >= TotalStake::<T>::get() + T::Currency::minimum_balance(),
				"pallet account holds less than TotalStake + ED"
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

	fn add_stake(
		coldkey: &T::AccountId,
		hotkey: &T::AccountId,
		amount: Balance,
	) -> polkadot_sdk::sp_runtime::DispatchResult {
		Pallet::<T>::do_add_stake(coldkey, hotkey, amount)
	}

	fn hotkey_in_use(hotkey: &T::AccountId) -> bool {
		Pallet::<T>::hotkey_in_use(hotkey)
	}

	fn nominator_count(hotkey: &T::AccountId, limit: u32) -> u32 {
		Pallet::<T>::nominator_count(hotkey, limit)
	}

	fn swap_hotkey(
		old: &T::AccountId,
		new: &T::AccountId,
	) -> polkadot_sdk::sp_runtime::DispatchResult {
		Pallet::<T>::swap_hotkey(old, new)
	}

	fn coldkey_frozen(coldkey: &T::AccountId) -> bool {
		Pallet::<T>::coldkey_frozen(coldkey)
	}
}
