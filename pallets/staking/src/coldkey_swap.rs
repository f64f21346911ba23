//! Coldkey swaps: everything a coldkey holds moves to a new coldkey, announced a delay ahead so
//! that the old coldkey can dispute it (Bittensor's scheduled coldkey swap), for instance when
//! its secret may have leaked.
//!
//! ```text
//! announce (old signs):   burn ColdkeySwapCost; ColdkeySwaps(old) = { new, now, now + delay }
//!                         old's stake frozen (remove_stake, move_stake refuse)
//! dispute  (old signs):   before executable_at; disputed = true: only ResolveOrigin decides
//! resolve  (Root):        Some(to): new = to, disputed = false, executable_at = now
//!                         None:     ColdkeySwaps(old) removed, stake unfrozen
//! execute  (anyone):      at or after executable_at, not disputed:
//!   per position h:       Shares(h, old) → Shares(h, new), Nominations(old, h) → (new, h)
//!   per hotkey h:         Owner(h) = new, OwnedHotkeys(old, h) → (new, h)
//!   OnColdkeySwap:        subnets owned, each neuron's coldkey, the hotkey-swap rate limit
//!   balance:              old's transferable free AGR → new (all of it unless old must live on)
//! ```
//!
//! Why each rule:
//!
//! - Whoever holds the old coldkey can announce, and whoever holds it can dispute: the chain
//!   cannot tell a thief from the owner when both hold the key, so a dispute hands the decision
//!   to a referendum. The stake stays frozen from the announcement to the execution or the
//!   drop, so neither can drain it meanwhile; the owner who suspects a leak announces a swap to a
//!   fresh key first, and the stake is frozen from that block.
//! - Root resolves by naming where the swap goes (`Some(to)`), not just yes or no: when a thief
//!   announced, dropping the swap would unfreeze the stake for the thief, who still holds the
//!   key; redirecting it to the owner's fresh key ends the race. Root's call does not execute the
//!   swap itself: its weight depends on witnesses that would be stale by the time a referendum
//!   is enacted (the old key could register one more hotkey to make it fail), so it makes the
//!   swap executable at once, and anyone executes it with current witnesses.
//! - The new coldkey must own no hotkey and hold no stake position, at the announcement and at
//!   the execution: a swap neither takes over nor merges positions (shares of two coldkeys on
//!   one hotkey would have to be added). It may own subnets; they are simply joined.
//! - Free AGR is not frozen (transfers are `pallet-balances`' calls, which know nothing of
//!   swaps): the owner's defence for free AGR is speed, as in Bittensor.

use crate::*;
use polkadot_sdk::{
	frame_support::{
		ensure,
		traits::{
			fungible::Inspect,
			tokens::{DepositConsequence, Fortitude, Preservation, Provenance},
			Get,
		},
		weights::Weight,
	},
	frame_system::{self, pallet_prelude::BlockNumberFor},
	sp_runtime::{traits::Saturating, DispatchError, DispatchResult},
};

impl<T: Config> Pallet<T> {
	/// Whether `coldkey` owns a hotkey or holds a stake position (two reads): a coldkey swap
	/// moves only onto a coldkey that does neither.
	pub fn coldkey_in_use(coldkey: &T::AccountId) -> bool {
		OwnedHotkeys::<T>::iter_key_prefix(coldkey).next().is_some()
			|| Nominations::<T>::iter_key_prefix(coldkey).next().is_some()
	}

	/// Refuses with `ColdkeySwapPending` while `coldkey` has an announced swap (its stake is
	/// frozen).
	pub(crate) fn ensure_not_frozen(coldkey: &T::AccountId) -> DispatchResult {
		ensure!(!ColdkeySwaps::<T>::contains_key(coldkey), Error::<T>::ColdkeySwapPending);
		Ok(())
	}

	/// How many hotkeys `coldkey` owns, counting at most `limit + 1` of them.
	pub fn owned_hotkey_count(coldkey: &T::AccountId, limit: u32) -> u32 {
		OwnedHotkeys::<T>::iter_key_prefix(coldkey).take(limit.saturating_add(1) as usize).count()
			as u32
	}

	/// How many stake positions `coldkey` holds, counting at most `limit + 1` of them.
	pub fn position_count(coldkey: &T::AccountId, limit: u32) -> u32 {
		Nominations::<T>::iter_key_prefix(coldkey).take(limit.saturating_add(1) as usize).count()
			as u32
	}

	/// `announce_coldkey_swap` for `old`.
	pub(crate) fn do_announce_coldkey_swap(
		old: &T::AccountId,
		new: T::AccountId,
	) -> DispatchResult {
		ensure!(old != &new, Error::<T>::ColdkeySwapToSelf);
		ensure!(!ColdkeySwaps::<T>::contains_key(old), Error::<T>::ColdkeySwapAlreadyAnnounced);
		ensure!(!Self::coldkey_in_use(&new), Error::<T>::ColdkeyInUse);
		let cost = T::ColdkeySwapCost::get();
		if cost > 0 {
			T::Currency::burn_from(
				old,
				cost,
				Preservation::Preserve,
				Precision::Exact,
				Fortitude::Polite,
			)
			.map_err(|_| Error::<T>::InsufficientBalance)?;
		}
		let now = frame_system::Pallet::<T>::block_number();
		let executable_at = now.saturating_add(T::ColdkeySwapDelay::get());
		ColdkeySwaps::<T>::insert(
			old,
			ColdkeySwap { new: new.clone(), announced_at: now, executable_at, disputed: false },
		);
		Self::deposit_event(Event::ColdkeySwapAnnounced {
			old_coldkey: old.clone(),
			new_coldkey: new,
			executable_at,
			cost,
		});
		Ok(())
	}

	/// `dispute_coldkey_swap` for `old`.
	pub(crate) fn do_dispute_coldkey_swap(old: &T::AccountId) -> DispatchResult {
		let mut swap = ColdkeySwaps::<T>::get(old).ok_or(Error::<T>::NoColdkeySwap)?;
		ensure!(!swap.disputed, Error::<T>::ColdkeySwapAlreadyDisputed);
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now < swap.executable_at, Error::<T>::DisputeTooLate);
		swap.disputed = true;
		let new = swap.new.clone();
		ColdkeySwaps::<T>::insert(old, swap);
		Self::deposit_event(Event::ColdkeySwapDisputed {
			old_coldkey: old.clone(),
			new_coldkey: new,
		});
		Ok(())
	}

	/// `resolve_coldkey_swap` once the origin is checked.
	pub(crate) fn do_resolve_coldkey_swap(
		old: &T::AccountId,
		to: Option<T::AccountId>,
	) -> DispatchResult {
		let mut swap = ColdkeySwaps::<T>::get(old).ok_or(Error::<T>::NoColdkeySwap)?;
		match to {
			Some(new) => {
				ensure!(old != &new, Error::<T>::ColdkeySwapToSelf);
				ensure!(!Self::coldkey_in_use(&new), Error::<T>::ColdkeyInUse);
				let now: BlockNumberFor<T> = frame_system::Pallet::<T>::block_number();
				swap.new = new.clone();
				swap.disputed = false;
				swap.executable_at = swap.executable_at.min(now);
				ColdkeySwaps::<T>::insert(old, swap);
				Self::deposit_event(Event::ColdkeySwapApproved {
					old_coldkey: old.clone(),
					new_coldkey: new,
				});
			},
			None => {
				ColdkeySwaps::<T>::remove(old);
				Self::deposit_event(Event::ColdkeySwapDropped {
					old_coldkey: old.clone(),
					new_coldkey: swap.new,
				});
			},
		}
		Ok(())
	}

	/// `execute_coldkey_swap` without its weight bookkeeping: every check, then the move.
	/// Returns how many hotkeys and positions moved, and the weight `OnColdkeySwap` used.
	pub(crate) fn do_execute_coldkey_swap(
		old: &T::AccountId,
		hotkeys_witness: u32,
		positions_witness: u32,
	) -> Result<(u32, u32, Weight), DispatchError> {
		let swap = ColdkeySwaps::<T>::get(old).ok_or(Error::<T>::NoColdkeySwap)?;
		ensure!(!swap.disputed, Error::<T>::ColdkeySwapDisputed);
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now >= swap.executable_at, Error::<T>::ColdkeySwapTooEarly);
		let hotkey_count = Self::owned_hotkey_count(old, hotkeys_witness);
		ensure!(hotkey_count <= hotkeys_witness, Error::<T>::HotkeysWitnessTooLow);
		let position_count = Self::position_count(old, positions_witness);
		ensure!(position_count <= positions_witness, Error::<T>::PositionsWitnessTooLow);
		let new = swap.new;
		ensure!(!Self::coldkey_in_use(&new), Error::<T>::ColdkeyInUse);

		ColdkeySwaps::<T>::remove(old);
		// Positions: the shares change hands, the pools (and so every value) stay as they are.
		let positions: Vec<T::AccountId> =
			Nominations::<T>::drain_prefix(old).map(|(hotkey, ())| hotkey).collect();
		for hotkey in &positions {
			let shares = Shares::<T>::take(hotkey, old);
			Shares::<T>::insert(hotkey, &new, shares);
			Nominations::<T>::insert(&new, hotkey, ());
		}
		// Hotkeys: their owner changes; their accounts, pools and registrations stay.
		let hotkeys: Vec<T::AccountId> =
			OwnedHotkeys::<T>::drain_prefix(old).map(|(hotkey, ())| hotkey).collect();
		for hotkey in &hotkeys {
			Owner::<T>::insert(hotkey, &new);
			OwnedHotkeys::<T>::insert(&new, hotkey, ());
		}
		let hook = T::OnColdkeySwap::on_coldkey_swap(old, &new, &hotkeys);
		let balance = Self::move_free_balance(old, &new)?;
		Self::deposit_event(Event::ColdkeySwapExecuted {
			old_coldkey: old.clone(),
			new_coldkey: new,
			hotkeys: hotkey_count,
			positions: position_count,
			balance,
		});
		Ok((hotkey_count, position_count, hook))
	}

	/// Transfers all of `old`'s transferable free AGR to `new`: all of it when the account may
	/// go (it is then reaped), all but the existential deposit when something keeps it alive
	/// (a hold, a lock or another pallet's reference; what is held or locked stays). An amount
	/// below the existential deposit that a new, empty account could not receive stays too.
	/// Returns the planck moved.
	fn move_free_balance(old: &T::AccountId, new: &T::AccountId) -> Result<Balance, DispatchError> {
		let amount =
			T::Currency::reducible_balance(old, Preservation::Expendable, Fortitude::Polite);
		if amount == 0
			|| T::Currency::can_deposit(new, amount, Provenance::Extant)
				!= DepositConsequence::Success
		{
			return Ok(0);
		}
		T::Currency::transfer(old, new, amount, Preservation::Expendable)?;
		Ok(amount)
	}
}
