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
//!
//! Coldkey swaps are the staking pallet's (`execute_coldkey_swap`, announced a delay ahead and
//! disputable); it moves the positions and the hotkeys' ownership, then tells this pallet through
//! [`OnColdkeySwap`], which moves what names the coldkey here:
//!
//! ```text
//! per subnet s owned by old:                     Subnets(s).owner = new
//! per neuron of each moved hotkey:               Neurons(s, uid).coldkey = new
//! the hotkey-swap rate limit:                    LastKeySwap(old) → LastKeySwap(new) (the later)
//! ```
//!
//! While the staking pallet holds a coldkey frozen for its swap
//! ([`StakeInterface::coldkey_frozen`]: announced, disputed, or cancelled within its delay), the
//! coldkey may neither `register` nor `swap_hotkey` (`ColdkeySwapPending`): a thief holding it
//! could otherwise grow the hotkeys the swap must move past one extrinsic, or move the owner's
//! validators to hotkeys of his own.
//!
//! Its cost is bounded by `MaxSubnets` and the number of hotkeys (see
//! [`OnColdkeySwap::max_weight`]); nothing else here names coldkeys (`HyperparamsSetAt` and
//! `Burn` are kept by subnet).

use crate::*;
use agora_primitives::traits::OnColdkeySwap;
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
		ensure!(!T::Stake::coldkey_frozen(coldkey), Error::<T>::ColdkeySwapPending);
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

/// Moves what names a swapped coldkey here: the subnets it owns, the coldkey of each neuron of
/// its hotkeys, its hotkey-swap rate limit.
impl<T: Config> OnColdkeySwap<T::AccountId> for Pallet<T> {
	fn on_coldkey_swap(old: &T::AccountId, new: &T::AccountId, hotkeys: &[T::AccountId]) -> Weight {
		let (mut reads, mut writes) = (1u64, 0u64);
		let mut netuids: Vec<NetUid> = Vec::new();
		for (netuid, mut subnet) in Subnets::<T>::iter() {
			reads += 1;
			if &subnet.owner == old {
				subnet.owner = new.clone();
				Subnets::<T>::insert(netuid, subnet);
				writes += 1;
			}
			netuids.push(netuid);
		}
		for hotkey in hotkeys {
			// Staking counts the hotkey's UIDs: stop looking once they are all found.
			let mut left = T::Stake::registrations(hotkey);
			reads += 1;
			for netuid in &netuids {
				if left == 0 {
					break;
				}
				reads += 1;
				if let Some(uid) = Uids::<T>::get(netuid, hotkey) {
					left -= 1;
					Neurons::<T>::mutate(netuid, uid, |neuron| {
						if let Some(neuron) = neuron {
							neuron.coldkey = new.clone();
						}
					});
					reads += 1;
					writes += 1;
				}
			}
		}
		// The new coldkey may not swap hotkeys sooner than the old one could have.
		reads += 1;
		if let Some(at) = LastKeySwap::<T>::take(old) {
			reads += 1;
			let at = LastKeySwap::<T>::get(new).map_or(at, |other| other.max(at));
			LastKeySwap::<T>::insert(new, at);
			writes += 2;
		}
		T::DbWeight::get().reads_writes(reads, writes)
	}

	/// Reads: the subnets (`MaxSubnets` and the end of the iteration), per hotkey its count of
	/// registrations and, on each subnet, its UID and neuron; two for the rate limit. Writes:
	/// each subnet's owner, per hotkey its neuron on each subnet, two for the rate limit.
	fn max_weight(hotkeys: u32) -> Weight {
		let subnets = u64::from(T::MaxSubnets::get());
		let hotkeys = u64::from(hotkeys);
		let reads = subnets
			.saturating_add(3)
			.saturating_add(hotkeys.saturating_mul(subnets.saturating_mul(2).saturating_add(1)));
		let writes = subnets.saturating_add(2).saturating_add(hotkeys.saturating_mul(subnets));
		T::DbWeight::get().reads_writes(reads, writes)
	}
}
