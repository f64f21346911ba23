//! # Governance pallet
//!
//! What Agora adds to polkadot-sdk's governance pallets: the periods of its referenda, set per
//! chain, and a senate that follows the top validators by stake.
//!
//! ## Overview
//!
//! Agora governs itself with polkadot-sdk's pallets (`pallet-referenda`,
//! `pallet-conviction-voting`, `pallet-scheduler`, `pallet-preimage`, `pallet-collective`,
//! `pallet-treasury`; see `docs/governance.md`). This pallet holds what they cannot:
//!
//! - **Periods.** How long a referendum prepares, is decided, confirms and waits before
//!   enactment, how long a vote's conviction locks, and how often the senate is refreshed, in
//!   blocks ([`GovernancePeriods`]). They live in storage, set at genesis, so that one runtime
//!   wasm serves the live chain (days) and the dev chains (blocks): the runtime's referendum
//!   tracks read them. A referendum may change them ([`Pallet::set_periods`]).
//! - **Senate.** Every `senate_term` blocks the senate's members become the hotkeys of the
//!   `SenateSeats` validators with the most stake (Bittensor's senate: the top delegates). The
//!   runtime says who the validators are ([`SenateSource`]) and where the members live
//!   ([`SenateMembership`], a `pallet-collective` instance whose members nothing else may set).
//!   A member's seat follows its hotkey through a hotkey swap at once
//!   ([`agora_primitives::traits::OnHotkeySwap`]), as Bittensor's `swap_hotkey` moves it.
//! - **The senate's brake.** Senators vote to cancel a referendum ([`Pallet::senate_cancel`]):
//!   two thirds of the members (rounded up), in a senate of at least `MinSenateToCancel`,
//!   cancel it. Votes are per referendum, so no senator can fill a queue of motions and jam
//!   the brake.
//!
//! ## Terms
//!
//! - *Validator*: a hotkey holding a validator permit on at least one subnet.
//! - *Senate term*: the blocks between two refreshes of the senate.
//!
//! ## Invariants
//!
//! - Every period is at least one block, and the confirm period is no longer than the decision
//!   period.
//! - The senate has at most `SenateSeats` members, sorted, without duplicates.
//! - Cancel votes are held only for ongoing referenda.

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
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use polkadot_sdk::polkadot_sdk_frame as frame;
use scale_info::TypeInfo;

/// Log target of this pallet.
pub const LOG_TARGET: &str = "runtime::governance";

/// The periods of governance, in blocks.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GovernancePeriods {
	/// Blocks a referendum waits after submission before it may be decided (time to place the
	/// decision deposit and to read it).
	pub prepare: u32,
	/// Blocks a referendum may be decided for; it fails if it has not passed by then.
	pub decision: u32,
	/// Blocks a passing referendum must keep passing before it is approved.
	pub confirm: u32,
	/// Least blocks between approval and enactment.
	pub min_enactment: u32,
	/// Blocks a submitted referendum may wait for its decision deposit before it times out.
	pub undeciding_timeout: u32,
	/// Blocks a vote with conviction 1x stays locked after the referendum ends (doubling with
	/// each conviction step, up to 32x for 6x).
	pub vote_locking: u32,
	/// Blocks between two refreshes of the senate.
	pub senate_term: u32,
}

impl GovernancePeriods {
	/// The live chain's periods, in 12 s blocks: 2 hours to prepare, 7 days to decide, 1 day to
	/// confirm, 1 day to enactment, 14 days to place a decision deposit, a 7-day conviction
	/// lock, and a daily senate.
	pub const LIVE: Self = Self {
		prepare: 600,
		decision: 50_400,
		confirm: 7_200,
		min_enactment: 7_200,
		undeciding_timeout: 100_800,
		vote_locking: 50_400,
		senate_term: 7_200,
	};

	/// Checks the invariants of the periods.
	pub fn validate(&self) -> Result<(), PeriodsError> {
		let all = [
			self.prepare,
			self.decision,
			self.confirm,
			self.min_enactment,
			self.undeciding_timeout,
			self.vote_locking,
			self.senate_term,
		];
		if all.contains(&0) {
			return Err(PeriodsError::ZeroPeriod);
		}
		if self.confirm > self.decision {
			return Err(PeriodsError::ConfirmLongerThanDecision);
		}
		Ok(())
	}
}

impl Default for GovernancePeriods {
	fn default() -> Self {
		Self::LIVE
	}
}

/// Why a set of periods is refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PeriodsError {
	/// A period of zero blocks.
	ZeroPeriod,
	/// A confirm period longer than the decision period could never complete.
	ConfirmLongerThanDecision,
}

/// Who may sit in the senate.
pub trait SenateSource<AccountId> {
	/// The hotkeys of at most `seats` validators with the most stake, most first, and the weight
	/// of finding them.
	fn top_validators(seats: u32) -> (Vec<AccountId>, frame::prelude::Weight);
}

/// Where the senate's members live (a `pallet-collective` instance in the runtime).
pub trait SenateMembership<AccountId> {
	/// The members, sorted.
	fn members() -> Vec<AccountId>;
	/// Replaces the members `old` (sorted) with `new` (sorted); returns the weight used.
	fn set_members(new: &[AccountId], old: &[AccountId]) -> frame::prelude::Weight;
	/// The most [`SenateMembership::set_members`] may use (a full senate replaced).
	fn max_set_members_weight() -> frame::prelude::Weight;
}

/// The referenda the senate may cancel (`pallet-referenda` in the runtime).
pub trait CancelReferendum {
	/// Whether referendum `index` is ongoing (submitted, not yet ended).
	fn is_ongoing(index: u32) -> bool;
	/// Cancels referendum `index` (its deposits go back).
	fn cancel(index: u32) -> polkadot_sdk::sp_runtime::DispatchResult;
	/// The most [`CancelReferendum::cancel`] may use.
	fn cancel_weight() -> frame::prelude::Weight;
	/// Submits a referendum that stays ongoing and returns its index (benchmarks only).
	#[cfg(feature = "runtime-benchmarks")]
	fn ongoing_for_benchmarks() -> u32;
}

#[frame::pallet]
pub mod pallet {
	use super::*;
	use frame::prelude::*;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: polkadot_sdk::frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// Who may change the periods (a referendum on the live chain).
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// The validators, ranked by stake.
		type Candidates: SenateSource<Self::AccountId>;
		/// The senate's member list.
		type Senate: SenateMembership<Self::AccountId>;
		/// Seats in the senate (Bittensor has 12).
		#[pallet::constant]
		type SenateSeats: Get<u32>;
		/// The referenda the senate may cancel.
		type Referenda: CancelReferendum;
		/// The fewest members a senate needs to cancel anything: below it, a lone validator
		/// (a young chain's) would hold a veto.
		#[pallet::constant]
		type MinSenateToCancel: Get<u32>;
		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	/// The periods of governance: what the runtime's referendum tracks, conviction locks and
	/// senate terms use.
	#[pallet::storage]
	pub type Periods<T> = StorageValue<_, GovernancePeriods, ValueQuery>;

	/// The senators who voted to cancel each ongoing referendum.
	#[pallet::storage]
	pub type CancelVotes<T: Config> =
		StorageMap<_, Twox64Concat, u32, BoundedVec<T::AccountId, T::SenateSeats>, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame::prelude::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The chain's periods; `None` keeps the live chain's ([`GovernancePeriods::LIVE`]).
		pub periods: Option<GovernancePeriods>,
		#[serde(skip)]
		#[doc(hidden)]
		pub _phantom: PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if let Some(periods) = self.periods {
				assert!(periods.validate().is_ok(), "genesis governance periods are invalid");
				Periods::<T>::put(periods);
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// The periods of governance were changed.
		PeriodsSet {
			/// The new periods.
			periods: GovernancePeriods,
		},
		/// The senate was refreshed and its members changed.
		SenateRefreshed {
			/// The members now, sorted.
			members: Vec<T::AccountId>,
		},
		/// A senator voted to cancel a referendum.
		SenateCancelVote {
			/// The referendum.
			index: u32,
			/// The senator (a validator's hotkey).
			who: T::AccountId,
			/// Current members' votes to cancel it so far.
			votes: u32,
			/// Votes that cancel it: two thirds of the members, rounded up.
			needed: u32,
		},
		/// Two thirds of the senate cancelled a referendum (its deposits go back).
		ReferendumCancelledBySenate {
			/// The referendum.
			index: u32,
			/// Members' votes that cancelled it.
			votes: u32,
		},
		/// A senator's hotkey was swapped: its seat moved with it.
		SenateSeatMoved {
			/// The hotkey that held the seat.
			old: T::AccountId,
			/// The hotkey that holds it now.
			new: T::AccountId,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// A period of zero blocks.
		ZeroPeriod,
		/// The confirm period is longer than the decision period, so nothing could pass.
		ConfirmLongerThanDecision,
		/// Only a member of the senate may vote to cancel a referendum.
		NotSenator,
		/// The referendum is not ongoing (unknown, or already ended).
		ReferendumNotOngoing,
		/// This senator already voted to cancel this referendum.
		AlreadyVoted,
	}

	impl<T> From<PeriodsError> for Error<T> {
		fn from(e: PeriodsError) -> Self {
			match e {
				PeriodsError::ZeroPeriod => Error::ZeroPeriod,
				PeriodsError::ConfirmLongerThanDecision => Error::ConfirmLongerThanDecision,
			}
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(n: BlockNumberFor<T>) -> Weight {
			let term = Periods::<T>::get().senate_term.max(1);
			let n: u32 = n.unique_saturated_into();
			let read = T::DbWeight::get().reads(1);
			if !n.is_multiple_of(term) {
				return read;
			}
			read.saturating_add(Self::refresh_senate())
		}

		fn integrity_test() {
			assert!(T::SenateSeats::get() > 0, "the senate needs a seat");
			assert!(GovernancePeriods::LIVE.validate().is_ok());
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
		/// Sets the periods of governance (see [`GovernancePeriods`]); they apply to referenda
		/// from their next step on.
		///
		/// Origin: `AdminOrigin`. Errors: [`Error::ZeroPeriod`],
		/// [`Error::ConfirmLongerThanDecision`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::set_periods())]
		pub fn set_periods(origin: OriginFor<T>, periods: GovernancePeriods) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			periods.validate().map_err(Error::<T>::from)?;
			Periods::<T>::put(periods);
			Self::deposit_event(Event::PeriodsSet { periods });
			Ok(())
		}

		/// Votes, as a senator, to cancel referendum `index`: once current members holding at
		/// least two thirds of the seats filled (rounded up) have voted, and the senate has at
		/// least `MinSenateToCancel` members, the referendum is cancelled and its deposits go
		/// back. One vote per senator and referendum, no motions to open or close (so no senator
		/// can jam the brake); votes of those who left the senate no longer count.
		///
		/// Origin: signed by a member (a validator's hotkey). Errors: [`Error::NotSenator`],
		/// [`Error::ReferendumNotOngoing`], [`Error::AlreadyVoted`].
		#[pallet::call_index(1)]
		#[pallet::weight(
			T::WeightInfo::senate_cancel().saturating_add(T::Referenda::cancel_weight())
		)]
		pub fn senate_cancel(origin: OriginFor<T>, index: u32) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let members = T::Senate::members();
			ensure!(members.contains(&who), Error::<T>::NotSenator);
			ensure!(T::Referenda::is_ongoing(index), Error::<T>::ReferendumNotOngoing);
			let mut votes = CancelVotes::<T>::get(index);
			votes.retain(|v| members.contains(v));
			ensure!(!votes.contains(&who), Error::<T>::AlreadyVoted);
			votes.try_push(who.clone()).map_err(|_| Error::<T>::AlreadyVoted)?;
			let (count, filled) = (votes.len() as u32, members.len() as u32);
			let needed = (2 * filled).div_ceil(3);
			Self::deposit_event(Event::SenateCancelVote { index, who, votes: count, needed });
			if filled >= T::MinSenateToCancel::get() && count >= needed {
				T::Referenda::cancel(index)?;
				CancelVotes::<T>::remove(index);
				Self::deposit_event(Event::ReferendumCancelledBySenate { index, votes: count });
				return Ok(().into());
			}
			CancelVotes::<T>::insert(index, votes);
			Ok(Some(T::WeightInfo::senate_cancel()).into())
		}
	}

	impl<T: Config> Pallet<T> {
		/// The periods in force (the live chain's until genesis or a referendum sets others).
		pub fn periods() -> GovernancePeriods {
			Periods::<T>::get()
		}

		/// Makes the senate the top validators by stake; returns the weight used.
		pub fn refresh_senate() -> Weight {
			let (mut new, mut weight) = T::Candidates::top_validators(T::SenateSeats::get());
			new.truncate(T::SenateSeats::get() as usize);
			new.sort();
			new.dedup();
			let old = T::Senate::members();
			if new != old {
				weight = weight.saturating_add(T::Senate::set_members(&new, &old));
				log::info!(target: LOG_TARGET, "senate refreshed: {} members", new.len());
				Self::deposit_event(Event::SenateRefreshed { members: new });
			}
			weight
		}

		/// Checks the invariants of the crate docs.
		pub fn do_try_state() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
			Periods::<T>::get().validate().map_err(|_| "governance periods are invalid")?;
			let members = T::Senate::members();
			ensure!(
				members.len() <= T::SenateSeats::get() as usize,
				"the senate has more members than seats"
			);
			ensure!(
				members.windows(2).all(|w| w[0] < w[1]),
				"the senate's members are not sorted and unique"
			);
			Ok(())
		}
	}
}

impl<T: Config> agora_primitives::traits::OnHotkeySwap<T::AccountId> for Pallet<T> {
	fn on_hotkey_swap(old: &T::AccountId, new: &T::AccountId) -> frame::prelude::Weight {
		use frame::prelude::Get;
		let read = T::DbWeight::get().reads(1);
		let members = T::Senate::members();
		if !members.contains(old) {
			return read;
		}
		let mut moved: Vec<T::AccountId> =
			members.iter().map(|m| if m == old { new.clone() } else { m.clone() }).collect();
		moved.sort();
		let weight = T::Senate::set_members(&moved, &members);
		Self::deposit_event(Event::SenateSeatMoved { old: old.clone(), new: new.clone() });
		read.saturating_add(weight)
	}

	fn max_weight() -> frame::prelude::Weight {
		use frame::prelude::Get;
		T::DbWeight::get().reads(1).saturating_add(T::Senate::max_set_members_weight())
	}
}
