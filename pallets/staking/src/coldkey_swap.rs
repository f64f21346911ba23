//! Coldkey swaps: everything a coldkey holds moves to a new coldkey, announced a delay ahead so
//! that the old coldkey can dispute it (Bittensor's scheduled coldkey swap), for instance when
//! its secret may have leaked.
//!
//! ```text
//! announce (old signs):   burn ColdkeySwapCost; ColdkeySwaps(old) = { new, now, now + delay }
//!                         PendingDestinations(new) = old        (new reserved for old)
//!                         old frozen (see below)
//! dispute  (old signs):   before executable_at; disputed = true: only ResolveOrigin decides
//! cancel   (old signs):   before executable_at, not disputed: ColdkeySwaps(old) and the
//!                         reservation removed; FrozenUntil(old) = executable_at
//! resolve  (Root):        Some(to): new = to, disputed = false, executable_at = now;
//!                                   a pending swap other → to is dropped first (Root wins)
//!                         None:     ColdkeySwaps(old) and the reservation removed, old unfrozen
//! execute  (anyone):      at or after executable_at, not disputed:
//!   per position h:       Shares(h, old) → Shares(h, new), Nominations(old, h) → (new, h)
//!   per hotkey h:         Owner(h) = new, OwnedHotkeys(old, h) → (new, h)
//!   OnColdkeySwap:        subnets owned, each neuron's coldkey, the hotkey-swap rate limit
//!   balance:              old's transferable free AGR → new (all of it unless old must live on)
//!   reservation:          PendingDestinations(new) removed
//! frozen(c):              ColdkeySwaps(c) exists, or now < FrozenUntil(c): c may not
//!                         remove_stake, move_stake, add_stake, set_take, nor (pallet-subnets)
//!                         register or swap_hotkey
//! ```
//!
//! Why each rule:
//!
//! - Whoever holds the old coldkey can announce, and whoever holds it can dispute: the chain
//!   cannot tell a thief from the owner when both hold the key, so a dispute hands the decision
//!   to a referendum. The coldkey stays frozen from the announcement to the execution or the
//!   drop, so neither can drain the stake meanwhile; the owner who suspects a leak announces a
//!   swap to a fresh key first, and the stake is frozen from that block.
//! - The freeze covers more than taking stake out: adding stake and registering hotkeys would
//!   let a thief grow the positions and hotkeys a swap must move past what one extrinsic can
//!   execute (some 5,300 positions or 560 hotkeys at `MaxSubnets` 32), so that the swap never
//!   executes; swapping a hotkey or setting a take would let him move the owner's validators
//!   to his keys or raise their take. Nominators staking *onto* the coldkey's hotkeys are other
//!   coldkeys: they are not frozen.
//! - **A destination is reserved** for the first swap announced to it (`PendingDestinations`):
//!   otherwise an attacker announcing a swap from any coldkey with dust stake to the owner's
//!   fresh key, in the same block, executes first when both become executable; the owner's
//!   swap then fails `ColdkeyInUse` forever, its stake frozen. A key that is a pending swap's
//!   destination may not announce a swap of its own, and no swap goes to a key that has one
//!   (swaps do not chain: a swap executed *into* a frozen coldkey would grow what its own swap
//!   must move).
//! - **Root's redirect takes precedence** over a reservation: when a thief announced and the
//!   owner disputed, Root names the owner's fresh key, which the thief can read in the
//!   referendum's preimage and squat with a swap of his own; resolving drops that swap (its
//!   cost stays burnt), disputed or not. Residual race, not closed: the thief's squatting swap
//!   becomes executable 5 days after he announced it, which may come before the referendum is
//!   enacted (decision and confirmation periods); executed, it makes the fresh key in use and
//!   the redirect fails. Owners should note the preimage late, or redirect to a key revealed
//!   only in the preimage, and Root may redirect again.
//! - Root resolves by naming where the swap goes (`Some(to)`), not just yes or no: when a thief
//!   announced, dropping the swap would unfreeze the stake for the thief, who still holds the
//!   key; redirecting it to the owner's fresh key ends the race. Root's call does not execute the
//!   swap itself: its weight depends on witnesses that would be stale by the time a referendum
//!   is enacted, so it makes the swap executable at once, and anyone executes it with current
//!   witnesses.
//! - **Cancelling** is the old coldkey's way out of an undisputed swap within its delay (a
//!   wrong or lost destination key). A thief holding the key can cancel the owner's swap too;
//!   that is acceptable because a cancelled swap does not unfreeze the coldkey: it stays frozen
//!   until the cancelled swap's `executable_at`, the end of the delay the owner had accepted,
//!   so cancelling and unstaking in one batch gains the thief nothing. Within that time the
//!   owner announces again (and may dispute his own announcement in the same batch: a disputed
//!   swap cannot be cancelled, only Root resolves it); a swap the thief announces himself, the
//!   owner disputes. A disputed swap is Root's, and a swap past its delay or approved by Root
//!   is no longer cancellable.
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

	/// Whether `coldkey` is frozen (at most two reads): it has an announced swap, pending or
	/// disputed, or cancelled one whose delay has not ended yet.
	pub fn coldkey_frozen(coldkey: &T::AccountId) -> bool {
		ColdkeySwaps::<T>::contains_key(coldkey)
			|| FrozenUntil::<T>::get(coldkey)
				.is_some_and(|until| frame_system::Pallet::<T>::block_number() < until)
	}

	/// Refuses with `ColdkeySwapPending` while `coldkey` is frozen ([`Self::coldkey_frozen`]).
	pub(crate) fn ensure_not_frozen(coldkey: &T::AccountId) -> DispatchResult {
		ensure!(!Self::coldkey_frozen(coldkey), Error::<T>::ColdkeySwapPending);
		Ok(())
	}

	/// Refuses a swap of `old` to `new` that would chain with another: `new` has a swap of its
	/// own, or `old` is a pending swap's destination.
	fn ensure_not_chained(old: &T::AccountId, new: &T::AccountId) -> DispatchResult {
		ensure!(
			!ColdkeySwaps::<T>::contains_key(new) && !PendingDestinations::<T>::contains_key(old),
			Error::<T>::ColdkeySwapChained
		);
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
		ensure!(
			!PendingDestinations::<T>::contains_key(&new),
			Error::<T>::ColdkeySwapDestinationReserved
		);
		Self::ensure_not_chained(old, &new)?;
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
		// A freeze left by a cancelled swap ends before this one's delay does.
		FrozenUntil::<T>::remove(old);
		PendingDestinations::<T>::insert(&new, old);
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

	/// `cancel_coldkey_swap` for `old`.
	pub(crate) fn do_cancel_coldkey_swap(old: &T::AccountId) -> DispatchResult {
		let swap = ColdkeySwaps::<T>::get(old).ok_or(Error::<T>::NoColdkeySwap)?;
		ensure!(!swap.disputed, Error::<T>::ColdkeySwapDisputed);
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now < swap.executable_at, Error::<T>::CancelTooLate);
		ColdkeySwaps::<T>::remove(old);
		PendingDestinations::<T>::remove(&swap.new);
		// Still frozen until the end of the delay: a thief who cancels the owner's swap cannot
		// unstake in the same breath, and the owner has the rest of the delay to announce again.
		FrozenUntil::<T>::insert(old, swap.executable_at);
		Self::deposit_event(Event::ColdkeySwapCancelled {
			old_coldkey: old.clone(),
			new_coldkey: swap.new,
			frozen_until: swap.executable_at,
		});
		Ok(())
	}

	/// Drops `old`'s swap (to `swap_new`): nothing moves, `old` is no longer frozen.
	fn drop_swap(old: &T::AccountId, swap_new: T::AccountId) {
		ColdkeySwaps::<T>::remove(old);
		PendingDestinations::<T>::remove(&swap_new);
		Self::deposit_event(Event::ColdkeySwapDropped {
			old_coldkey: old.clone(),
			new_coldkey: swap_new,
		});
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
				Self::ensure_not_chained(old, &new)?;
				// Root's destination wins over another swap's reservation of it (a thief's
				// squat on the owner's fresh key, read from the referendum's preimage).
				if let Some(other) = PendingDestinations::<T>::get(&new) {
					if &other != old {
						Self::drop_swap(&other, new.clone());
					}
				}
				let now: BlockNumberFor<T> = frame_system::Pallet::<T>::block_number();
				PendingDestinations::<T>::remove(&swap.new);
				PendingDestinations::<T>::insert(&new, old);
				swap.new = new.clone();
				swap.disputed = false;
				swap.executable_at = swap.executable_at.min(now);
				ColdkeySwaps::<T>::insert(old, swap);
				Self::deposit_event(Event::ColdkeySwapApproved {
					old_coldkey: old.clone(),
					new_coldkey: new,
				});
			},
			None => Self::drop_swap(old, swap.new),
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
		PendingDestinations::<T>::remove(&new);
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
