//! Hotkey swaps: a coldkey moves a neuron's identity to a fresh hotkey (Bittensor's
//! `swap_hotkey`), for instance when the old hotkey's secret may have leaked.
//!
//! ```text
//! moved, per subnet s where Uids(s, old) = uid:   Uids(s, old) → Uids(s, new)
//!                                                 Neurons(s, uid).hotkey = new
//! dropped:                                        WeightCommits(s, old)  (its hash binds old)
//! kept by UID (so unchanged):                     Weights, Bonds, PeerIdOwners, the endpoint,
//!                                                 every epoch-result vector, EpochStake
//! staking (StakeInterface::swap_hotkey):          Owner, Pools, Shares(old, ·), Nominations,
//!                                                 Take, LastTakeChange, Registrations
//! ```
//!
//! The swap only moves onto a hotkey with no owner, no stake and no UID anywhere: nobody takes
//! over another's stake or UID by swapping onto it. Payouts that `pallet-rewards` queued at an
//! epoch name hotkeys and are credited over the next blocks; the swap waits until every subnet
//! the hotkey holds a UID on has credited its queue (`PayoutsQueued`), so that none lands on the
//! old hotkey, which no longer has an owner (staking would refuse the credit and the payout
//! would go back to the subnet's pending emission: not lost, but not the neuron's either).

use crate::*;
use polkadot_sdk::{
	frame_support::{ensure, traits::Get, weights::Weight},
	sp_runtime::DispatchError,
};

impl<T: Config> Pallet<T> {
	/// `swap_hotkey` for `coldkey` without its weight bookkeeping: every check, then the move.
	/// Returns how many nominators' positions moved, and the weight `OnHotkeySwap` used.
	pub(crate) fn do_swap_hotkey(
		coldkey: &T::AccountId,
		old: &T::AccountId,
		new: &T::AccountId,
		nominators: u32,
	) -> Result<(u32, Weight), DispatchError> {
		ensure!(old != new, Error::<T>::SameHotkey);
		ensure!(T::Stake::hotkey_owner(old).as_ref() == Some(coldkey), Error::<T>::NotHotkeyOwner);
		ensure!(!T::Stake::hotkey_in_use(new), Error::<T>::NewHotkeyInUse);
		let mut held: Vec<(NetUid, Uid)> = Vec::new();
		for netuid in Subnets::<T>::iter_keys() {
			ensure!(!Uids::<T>::contains_key(netuid, new), Error::<T>::NewHotkeyInUse);
			if let Some(uid) = Uids::<T>::get(netuid, old) {
				held.push((netuid, uid));
			}
		}
		let now = now::<T>();
		if let Some(at) = LastKeySwap::<T>::get(coldkey) {
			ensure!(
				now >= at.saturating_add(T::KeySwapRateLimit::get()),
				Error::<T>::KeySwapRateLimited
			);
		}
		let moved = T::Stake::nominator_count(old, nominators);
		ensure!(moved <= nominators, Error::<T>::NominatorsWitnessTooLow);
		ensure!(
			!held.iter().any(|(netuid, _)| T::PayoutsQueued::queued(*netuid)),
			Error::<T>::PayoutsQueued
		);
		let cost = T::KeySwapCost::get();
		Self::burn(coldkey, cost)?;
		T::Stake::swap_hotkey(old, new)?;
		for (netuid, uid) in held {
			Uids::<T>::remove(netuid, old);
			Uids::<T>::insert(netuid, new, uid);
			Neurons::<T>::mutate(netuid, uid, |neuron| {
				if let Some(neuron) = neuron {
					neuron.hotkey = new.clone();
				}
			});
			WeightCommits::<T>::remove(netuid, old);
		}
		LastKeySwap::<T>::insert(coldkey, now);
		// What else names the hotkey follows it (a senate seat).
		let hook = T::OnHotkeySwap::on_hotkey_swap(old, new);
		Self::deposit_event(Event::HotkeySwapped {
			coldkey: coldkey.clone(),
			old_hotkey: old.clone(),
			new_hotkey: new.clone(),
			cost,
		});
		Ok((moved, hook))
	}
}
