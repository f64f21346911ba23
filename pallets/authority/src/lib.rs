//! # Authority pallet
//!
//! Who authors Agora's blocks, and at what pace.
//!
//! ## Overview
//!
//! Agora is a proof-of-authority chain: Aura picks block authors round-robin from a validator set
//! and GRANDPA finalizes. This pallet owns that set and the chain's timing:
//!
//! - **Validator set.** Governance (`AdminOrigin`, sudo for now) adds and removes validators. A
//!   change is handed to `pallet-session` at the next session rotation, which queues it; the new
//!   set authors from the session after that (the usual two-session delay of `pallet-session`).
//! - **Timing.** The slot duration (block time) and the session length are set once at genesis.
//!   They live in storage rather than in runtime constants so that one runtime wasm serves the dev
//!   chain (fast blocks) and the live chain (12 s blocks): no second runtime build for tests.
//!
//! ## Terms
//!
//! - *Validator*: an account whose session keys (Aura + GRANDPA) author and finalize blocks.
//! - *Session*: a period of `SessionLength` blocks after which the authority set may change.
//!
//! ## Usage
//!
//! A would-be validator starts a node with `--validator`, calls `author_rotateKeysWithOwner` on it,
//! submits `session.set_keys(keys, proof)` from its account, and asks governance to call
//! [`Pallet::add_validator`]. See `docs/validator-node.md`.
//!
//! ## Invariants
//!
//! - The set holds between `MinValidators` and `MaxValidators` accounts, without duplicates (or
//!   none at all, in a chain built from the default, authority-less genesis).
//! - Every account added had session keys registered when it was added, so an added validator can
//!   always author once the set is enacted.
//! - The slot duration is never zero.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use weights::WeightInfo;

#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;

use alloc::vec::Vec;
use polkadot_sdk::{
	frame_support::traits::ValidatorRegistration, pallet_session, polkadot_sdk_frame as frame,
};

/// Log target of this pallet.
pub const LOG_TARGET: &str = "runtime::authority";

/// Slot duration used when genesis sets none: the live chain's 12 s.
pub const DEFAULT_SLOT_DURATION_MS: u64 = 12_000;

/// Session length used when genesis sets none: one hour of 12 s blocks.
pub const DEFAULT_SESSION_LENGTH: u32 = 300;

#[frame::pallet]
pub mod pallet {
	use super::*;
	use frame::prelude::*;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: polkadot_sdk::frame_system::Config {
		/// Who may add and remove validators.
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// Largest validator set.
		#[pallet::constant]
		type MaxValidators: Get<u32>;
		/// Smallest validator set: removing below it is refused, so the chain never stalls for
		/// want of authors.
		#[pallet::constant]
		type MinValidators: Get<u32>;
		/// Tells whether an account has registered session keys (`pallet-session`).
		type ValidatorRegistration: ValidatorRegistration<Self::AccountId>;
		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	/// The validator set governance wants. `pallet-session` picks it up at the next rotation.
	#[pallet::storage]
	pub type Validators<T: Config> =
		StorageValue<_, BoundedVec<T::AccountId, T::MaxValidators>, ValueQuery>;

	/// Whether [`Validators`] changed since it was last handed to `pallet-session`.
	#[pallet::storage]
	pub type SetChanged<T> = StorageValue<_, bool, ValueQuery>;

	/// Default for [`SlotDurationMs`].
	pub struct DefaultSlotDuration;
	impl Get<u64> for DefaultSlotDuration {
		fn get() -> u64 {
			DEFAULT_SLOT_DURATION_MS
		}
	}

	/// Default for [`SessionLength`].
	pub struct DefaultSessionLength<T>(PhantomData<T>);
	impl<T: Config> Get<BlockNumberFor<T>> for DefaultSessionLength<T> {
		fn get() -> BlockNumberFor<T> {
			DEFAULT_SESSION_LENGTH.into()
		}
	}

	/// Milliseconds per Aura slot, i.e. the target block time. Set at genesis only.
	#[pallet::storage]
	pub type SlotDurationMs<T> = StorageValue<_, u64, ValueQuery, DefaultSlotDuration>;

	/// Blocks per session. Set at genesis only.
	#[pallet::storage]
	pub type SessionLength<T: Config> =
		StorageValue<_, BlockNumberFor<T>, ValueQuery, DefaultSessionLength<T>>;

	#[pallet::genesis_config]
	#[derive(frame::prelude::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The first validators; each needs session keys in `pallet-session`'s genesis.
		pub validators: Vec<T::AccountId>,
		/// Milliseconds per slot; 0 means the default (12 000).
		pub slot_duration_ms: u64,
		/// Blocks per session; 0 means the default (300).
		pub session_length: u32,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			let mut seen = alloc::collections::BTreeSet::new();
			assert!(
				self.validators.iter().all(|v| seen.insert(v.clone())),
				"authority genesis: duplicate validator"
			);
			// An empty set is the default genesis of a chain without authorities (used by
			// storage-only tests); a chain that has validators has at least the minimum.
			assert!(
				self.validators.is_empty()
					|| self.validators.len() as u32 >= T::MinValidators::get(),
				"authority genesis: fewer validators than MinValidators"
			);
			let set: BoundedVec<_, T::MaxValidators> = self
				.validators
				.clone()
				.try_into()
				.expect("authority genesis: more validators than MaxValidators");
			Validators::<T>::put(set);
			if self.slot_duration_ms != 0 {
				SlotDurationMs::<T>::put(self.slot_duration_ms);
			}
			if self.session_length != 0 {
				SessionLength::<T>::put(BlockNumberFor::<T>::from(self.session_length));
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An account was added to the validator set; it authors from the session after next.
		ValidatorAdded {
			/// The new validator.
			who: T::AccountId,
		},
		/// An account was removed from the validator set; it stops authoring after the next
		/// rotation.
		ValidatorRemoved {
			/// The removed validator.
			who: T::AccountId,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account is already in the validator set.
		AlreadyValidator,
		/// The account is not in the validator set.
		NotValidator,
		/// The set already holds `MaxValidators` accounts.
		TooManyValidators,
		/// Removing the account would leave fewer than `MinValidators`.
		TooFewValidators,
		/// The account has no session keys: it must call `session.set_keys` first, or it could
		/// not author once added.
		NoSessionKeys,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MinValidators::get() >= 1, "MinValidators must be at least 1");
			assert!(
				T::MinValidators::get() <= T::MaxValidators::get(),
				"MinValidators must not exceed MaxValidators"
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
		/// Add `who` to the validator set. `who` must have registered session keys.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::add_validator())]
		pub fn add_validator(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			ensure!(T::ValidatorRegistration::is_registered(&who), Error::<T>::NoSessionKeys);
			Validators::<T>::try_mutate(|set| -> DispatchResult {
				ensure!(!set.contains(&who), Error::<T>::AlreadyValidator);
				set.try_push(who.clone()).map_err(|_| Error::<T>::TooManyValidators)?;
				Ok(())
			})?;
			SetChanged::<T>::put(true);
			log::info!(target: LOG_TARGET, "validator added: {who:?}");
			Self::deposit_event(Event::ValidatorAdded { who });
			Ok(())
		}

		/// Remove `who` from the validator set.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::remove_validator())]
		pub fn remove_validator(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Validators::<T>::try_mutate(|set| -> DispatchResult {
				let pos = set.iter().position(|v| v == &who).ok_or(Error::<T>::NotValidator)?;
				ensure!(set.len() as u32 > T::MinValidators::get(), Error::<T>::TooFewValidators);
				set.remove(pos);
				Ok(())
			})?;
			SetChanged::<T>::put(true);
			log::info!(target: LOG_TARGET, "validator removed: {who:?}");
			Self::deposit_event(Event::ValidatorRemoved { who });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// Checks the invariants listed in the crate docs.
		#[cfg(any(feature = "try-runtime", feature = "std", test))]
		pub fn do_try_state() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
			let set = Validators::<T>::get();
			let mut seen = alloc::collections::BTreeSet::new();
			ensure!(set.iter().all(|v| seen.insert(v.clone())), "duplicate validator");
			ensure!(
				set.is_empty() || set.len() as u32 >= T::MinValidators::get(),
				"too few validators"
			);
			ensure!(SlotDurationMs::<T>::get() > 0, "zero slot duration");
			ensure!(!SessionLength::<T>::get().is_zero(), "zero session length");
			Ok(())
		}
	}
}

/// The slot duration as a `Get`, for `pallet_aura::Config::SlotDuration`.
pub struct SlotDuration<T>(core::marker::PhantomData<T>);
impl<T: Config> frame::prelude::Get<u64> for SlotDuration<T> {
	fn get() -> u64 {
		SlotDurationMs::<T>::get()
	}
}

/// Half the slot duration, for `pallet_timestamp::Config::MinimumPeriod`.
pub struct MinimumPeriod<T>(core::marker::PhantomData<T>);
impl<T: Config> frame::prelude::Get<u64> for MinimumPeriod<T> {
	fn get() -> u64 {
		SlotDurationMs::<T>::get() / 2
	}
}

/// The session length as a `Get`, for `pallet_session::PeriodicSessions`.
pub struct SessionPeriod<T>(core::marker::PhantomData<T>);
impl<T: Config> frame::prelude::Get<frame::prelude::BlockNumberFor<T>> for SessionPeriod<T> {
	fn get() -> frame::prelude::BlockNumberFor<T> {
		SessionLength::<T>::get()
	}
}

impl<T: Config> pallet_session::SessionManager<T::AccountId> for Pallet<T> {
	fn new_session(new_index: u32) -> Option<Vec<T::AccountId>> {
		if !SetChanged::<T>::take() {
			return None;
		}
		let set = Validators::<T>::get().into_inner();
		log::info!(
			target: LOG_TARGET,
			"session {new_index}: queueing {} validators",
			set.len()
		);
		Some(set)
	}

	fn new_session_genesis(_new_index: u32) -> Option<Vec<T::AccountId>> {
		Some(Validators::<T>::get().into_inner())
	}

	fn end_session(_end_index: u32) {}

	fn start_session(_start_index: u32) {}
}
