//! The payout queue: an epoch decides every neuron's emission at once but credits it as stake
//! over the next blocks, at most `MaxPayoutsPerBlock` neurons a block, so that a 4,096-UID
//! epoch does not write 4,096 stake pools in one block.
//!
//! ```text
//! epoch:        PendingEmission[s] −= cut + queued      TotalPending −= cut
//! page paid:    TotalPending −= minted                  TotalEmitted += minted
//! invariant:    TotalPending = Σ PendingEmission + Σ Payouts.unpaid        (every block)
//! ```
//!
//! Payouts name hotkeys, not UIDs: a neuron replaced before its page is paid is still paid (a
//! hotkey keeps its owner and stake after losing its UID), and its successor gets none of it.
//! A subnet's next epoch waits until its queue is empty.

use crate::*;
use alloc::vec::Vec;
use polkadot_sdk::frame_support::{traits::Get, weights::Weight, BoundedVec};

/// A subnet's queued payouts: pages `next..end` of [`PayoutPages`], `unpaid` planck in all.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Default,
	codec::Encode,
	codec::Decode,
	codec::MaxEncodedLen,
	scale_info::TypeInfo,
)]
pub struct PayoutQueue {
	/// The next page to pay.
	pub next: u16,
	/// One past the last page.
	pub end: u16,
	/// Blocks over which nominators' part vests (the subnet's tempo at the epoch).
	pub release_blocks: BlockNumber,
	/// Planck queued and not yet minted.
	pub unpaid: Balance,
}

impl<T: Config> Pallet<T> {
	/// Queues `payouts` (zero amounts left out) in pages of `MaxPayoutsPerBlock`; returns the
	/// planck queued.
	pub(crate) fn queue_payouts(
		netuid: NetUid,
		payouts: impl Iterator<Item = (T::AccountId, Balance)>,
		release_blocks: BlockNumber,
	) -> Balance {
		let size = T::MaxPayoutsPerBlock::get().clamp(1, MAX_PAYOUT_PAGE) as usize;
		let mut queue = PayoutQueue { release_blocks, ..Default::default() };
		let mut page = Vec::with_capacity(size);
		let flush = |page: &mut Vec<(T::AccountId, Balance)>, queue: &mut PayoutQueue| {
			if page.is_empty() {
				return;
			}
			queue.unpaid += page.iter().map(|(_, a)| a).sum::<Balance>();
			// A page holds at most `size` ≤ `MAX_PAYOUT_PAGE` payouts: nothing is cut.
			PayoutPages::<T>::insert(
				netuid,
				queue.end,
				BoundedVec::truncate_from(core::mem::take(page)),
			);
			queue.end += 1;
		};
		for payout in payouts.filter(|(_, amount)| *amount > 0) {
			page.push(payout);
			if page.len() == size {
				flush(&mut page, &mut queue);
			}
		}
		flush(&mut page, &mut queue);
		if queue.end > 0 {
			Payouts::<T>::insert(netuid, queue);
		}
		queue.unpaid
	}

	/// Pays queued pages while the block's `MaxPayoutsPerBlock` allows a whole page (the
	/// first page of a block always: a page left longer than a lowered budget still goes),
	/// the queue of the oldest epoch first (ties to the lower netuid), so that no subnet's
	/// payouts, and so its next epoch, wait behind others' indefinitely: when the subnets'
	/// sizes over their tempos exceed what the blocks pay, epochs come later than `tempo`, in
	/// turn, and their emission keeps accruing. Returns the weight used.
	pub(crate) fn pay_queued(netuids: &[NetUid]) -> Weight {
		let mut queued: Vec<(BlockNumber, NetUid)> = netuids
			.iter()
			.filter(|&&netuid| Payouts::<T>::contains_key(netuid))
			.map(|&netuid| (LastEpoch::<T>::get(netuid).unwrap_or_default(), netuid))
			.collect();
		queued.sort_unstable();
		let full = T::MaxPayoutsPerBlock::get().max(1);
		let mut budget = full;
		let mut weight = Weight::zero();
		for (_, netuid) in queued {
			while let Some(queue) = Payouts::<T>::get(netuid) {
				let len = PayoutPages::<T>::decode_len(netuid, queue.next).unwrap_or(0) as u32;
				if len > budget && budget < full {
					return weight;
				}
				budget = budget.saturating_sub(len);
				Self::pay_page(netuid, queue);
				weight = weight.saturating_add(T::WeightInfo::pay_out(len));
			}
		}
		weight
	}

	/// Credits the next page of `netuid`'s queue as stake.
	pub(crate) fn pay_page(netuid: NetUid, mut queue: PayoutQueue) {
		let page = PayoutPages::<T>::take(netuid, queue.next).unwrap_or_default();
		let total: Balance = page.iter().map(|(_, a)| a).sum();
		let mut minted = 0;
		for (hotkey, amount) in &page {
			if T::Stake::credit_emission(hotkey, *amount, queue.release_blocks).is_ok() {
				minted += amount;
			}
		}
		// A payout that cannot be credited (it should not happen) goes back to the subnet's
		// pending emission: not lost.
		if total > minted {
			PendingEmission::<T>::mutate(netuid, |p| *p = p.saturating_add(total - minted));
		}
		TotalPending::<T>::mutate(|t| *t = t.saturating_sub(minted));
		TotalEmitted::<T>::mutate(|t| *t = t.saturating_add(minted));
		queue.next += 1;
		queue.unpaid = queue.unpaid.saturating_sub(total);
		if queue.next >= queue.end {
			// Nothing is left unless a page went missing (it should not happen): whatever
			// was queued and not paid goes back to pending, not lost.
			if queue.unpaid > 0 {
				PendingEmission::<T>::mutate(netuid, |p| *p = p.saturating_add(queue.unpaid));
			}
			Payouts::<T>::remove(netuid);
		} else {
			Payouts::<T>::insert(netuid, queue);
		}
		Self::deposit_event(Event::EmissionPaid {
			netuid,
			neurons: page.len() as u32,
			amount: minted,
		});
	}
}
