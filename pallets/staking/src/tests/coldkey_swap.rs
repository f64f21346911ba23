//! Coldkey swaps, tried as an attacker would: a thief holding the coldkey announces a swap to its
//! own key, drains the stake meanwhile, executes early, announces twice, swaps onto a coldkey in
//! use, disputes late; the owner disputes and only `Root` resolves. And the attacker review's
//! plays: squatting the owner's fresh key, cancelling the owner's swap to unstake, growing what
//! the swap must move while it waits.

use super::*;
use crate::{
	ColdkeySwap, ColdkeySwaps, FrozenUntil, OwnedHotkeys, PendingDestinations, WeightInfo,
};
use polkadot_sdk::frame_support::dispatch::PostDispatchInfo;

/// The thief's key.
const THIEF: u64 = 9;
/// The owner's fresh key.
const FRESH: u64 = 8;

/// Coldkey 1 owns hotkeys 10 and 12 and holds 10,000 on 10 and 5,000 on 11 (coldkey 2's);
/// coldkey 3 nominates 10 with 2,000; 10 was credited 1,000 of emission, still vesting.
fn owner_with_positions() {
	Staking::register_hotkey(&12, &1).unwrap();
	assert_ok!(Staking::add_stake(RuntimeOrigin::signed(1), 10, 10_000));
	assert_ok!(Staking::add_stake(RuntimeOrigin::signed(1), 11, 5_000));
	assert_ok!(Staking::add_stake(RuntimeOrigin::signed(3), 10, 2_000));
	assert_ok!(Staking::credit_emission(&10, 1_000, 10));
}

fn announce(old: u64, new: u64) -> DispatchResult {
	Staking::announce_coldkey_swap(RuntimeOrigin::signed(old), new)
}

fn execute(caller: u64, old: u64, hotkeys: u32, positions: u32) -> DispatchResult {
	Staking::execute_coldkey_swap(RuntimeOrigin::signed(caller), old, hotkeys, positions)
		.map(|_| ())
		.map_err(|e| e.error)
}

fn run_to(n: u64) {
	System::set_block_number(n);
}

fn cancel(old: u64) -> DispatchResult {
	Staking::cancel_coldkey_swap(RuntimeOrigin::signed(old))
}

#[test]
fn a_thiefs_swap_is_disputed_never_executes_and_only_root_resolves_it() {
	build_and_execute(|| {
		owner_with_positions();
		let issuance = Balances::total_issuance();
		let free_1 = free(1);
		let shares = (Shares::<Test>::get(10, 1), Shares::<Test>::get(11, 1));

		// The thief, signing with coldkey 1, announces a swap to its own key: the cost is burnt.
		assert_ok!(announce(1, THIEF));
		let executable_at = 1 + COLDKEY_SWAP_DELAY;
		System::assert_last_event(
			Event::ColdkeySwapAnnounced {
				old_coldkey: 1,
				new_coldkey: THIEF,
				executable_at,
				cost: COLDKEY_SWAP_COST,
			}
			.into(),
		);
		assert_eq!(free(1), free_1 - COLDKEY_SWAP_COST);
		assert_eq!(Balances::total_issuance(), issuance - COLDKEY_SWAP_COST);

		// Meanwhile the stake is frozen: it can be neither taken out nor moved.
		assert_noop!(
			Staking::remove_stake(RuntimeOrigin::signed(1), 10, 1_000),
			Error::<Test>::ColdkeySwapPending
		);
		assert_noop!(
			Staking::move_stake(RuntimeOrigin::signed(1), 10, 11, 1_000),
			Error::<Test>::ColdkeySwapPending
		);
		// No second announcement, to its key or any other.
		assert_noop!(announce(1, 7), Error::<Test>::ColdkeySwapAlreadyAnnounced);

		// The owner disputes within the delay.
		run_to(executable_at - 1);
		assert_ok!(Staking::dispute_coldkey_swap(RuntimeOrigin::signed(1)));
		System::assert_last_event(
			Event::ColdkeySwapDisputed { old_coldkey: 1, new_coldkey: THIEF }.into(),
		);
		assert_noop!(
			Staking::dispute_coldkey_swap(RuntimeOrigin::signed(1)),
			Error::<Test>::ColdkeySwapAlreadyDisputed
		);

		// Long after the delay, the disputed swap still does not execute, whoever calls it, and
		// the stake stays frozen.
		run_to(executable_at + 1_000);
		for caller in [THIEF, 1, 4] {
			assert_noop!(execute(caller, 1, 2, 2), Error::<Test>::ColdkeySwapDisputed);
		}
		assert_noop!(
			Staking::remove_stake(RuntimeOrigin::signed(1), 11, 5_000),
			Error::<Test>::ColdkeySwapPending
		);
		// Neither party resolves it: only Root does.
		for who in [1, THIEF, FRESH] {
			assert_noop!(
				Staking::resolve_coldkey_swap(RuntimeOrigin::signed(who), 1, Some(who)),
				BadOrigin
			);
		}

		// Root (a referendum) sends everything to the owner's fresh key instead.
		assert_ok!(Staking::resolve_coldkey_swap(RuntimeOrigin::root(), 1, Some(FRESH)));
		System::assert_last_event(
			Event::ColdkeySwapApproved { old_coldkey: 1, new_coldkey: FRESH }.into(),
		);
		// Decided: no dispute reopens it.
		assert_noop!(
			Staking::dispute_coldkey_swap(RuntimeOrigin::signed(1)),
			Error::<Test>::DisputeTooLate
		);
		assert_ok!(execute(4, 1, 2, 2));
		assert_eq!((Shares::<Test>::get(10, FRESH), Shares::<Test>::get(11, FRESH)), shares);
		assert_eq!(Owner::<Test>::get(10), Some(FRESH));
		// The thief got nothing; coldkey 1 holds nothing more.
		assert_eq!(free(THIEF), 0);
		assert!(Staking::positions_of(&THIEF).is_empty());
		assert!(Staking::positions_of(&1).is_empty());
		assert_eq!(free(FRESH), free_1 - COLDKEY_SWAP_COST);
		assert_eq!(free(1), 0);
	});
}

#[test]
fn root_can_drop_a_swap_which_unfreezes_the_stake() {
	build_and_execute(|| {
		owner_with_positions();
		assert_ok!(announce(1, THIEF));
		assert_ok!(Staking::dispute_coldkey_swap(RuntimeOrigin::signed(1)));
		assert_noop!(
			Staking::resolve_coldkey_swap(RuntimeOrigin::root(), 2, None),
			Error::<Test>::NoColdkeySwap
		);
		assert_ok!(Staking::resolve_coldkey_swap(RuntimeOrigin::root(), 1, None));
		System::assert_last_event(
			Event::ColdkeySwapDropped { old_coldkey: 1, new_coldkey: THIEF }.into(),
		);
		assert!(!ColdkeySwaps::<Test>::contains_key(1));
		// Nothing moved; the cost stays burnt; the stake is free again, and a new swap may be
		// announced (at its cost again).
		assert_eq!(Owner::<Test>::get(10), Some(1));
		run_to(1 + COLDKEY_SWAP_DELAY);
		assert_noop!(execute(4, 1, 2, 2), Error::<Test>::NoColdkeySwap);
		assert_ok!(Staking::remove_stake(RuntimeOrigin::signed(1), 11, 5_000));
		assert_ok!(announce(1, FRESH));
		// Root may also resolve a swap nobody disputed (one stuck on a coldkey in use).
		assert_ok!(Staking::resolve_coldkey_swap(RuntimeOrigin::root(), 1, None));
	});
}

#[test]
fn an_undisputed_swap_executes_after_the_delay_and_moves_everything_exactly() {
	build_and_execute(|| {
		owner_with_positions();
		assert_ok!(Staking::set_take(RuntimeOrigin::signed(1), 10, Perbill::from_percent(9)));
		assert_ok!(announce(1, FRESH));
		let executable_at = 1 + COLDKEY_SWAP_DELAY;

		// The old key may not add stake either (see
		// `a_frozen_coldkey_may_not_add_stake_or_set_take_but_its_nominators_may`).
		assert_noop!(
			Staking::add_stake(RuntimeOrigin::signed(1), 11, 1_000),
			Error::<Test>::ColdkeySwapPending
		);

		run_to(executable_at - 1);
		assert_noop!(execute(4, 1, 2, 2), Error::<Test>::ColdkeySwapTooEarly);
		run_to(executable_at);
		assert_noop!(execute(4, 1, 1, 2), Error::<Test>::HotkeysWitnessTooLow);
		assert_noop!(execute(4, 1, 2, 1), Error::<Test>::PositionsWitnessTooLow);
		assert_noop!(execute(4, 2, 2, 2), Error::<Test>::NoColdkeySwap);

		let pools = (Pools::<Test>::get(10), Pools::<Test>::get(11), Pools::<Test>::get(12));
		let shares = (Shares::<Test>::get(10, 1), Shares::<Test>::get(11, 1));
		let nominator = (Shares::<Test>::get(10, 3), Staking::stake_of_coldkey(&10, &3));
		let total = TotalStake::<Test>::get();
		let issuance = Balances::total_issuance();
		let free_1 = free(1);

		// Anyone executes it; over-stated witnesses are refunded to the real counts.
		let post = Staking::execute_coldkey_swap(RuntimeOrigin::signed(4), 1, 5, 9).unwrap();
		assert_eq!(
			post,
			PostDispatchInfo {
				actual_weight: Some(<() as WeightInfo>::execute_coldkey_swap(2, 2)),
				pays_fee: Pays::Yes,
			}
		);
		System::assert_last_event(
			Event::ColdkeySwapExecuted {
				old_coldkey: 1,
				new_coldkey: FRESH,
				hotkeys: 2,
				positions: 2,
				balance: free_1,
			}
			.into(),
		);
		assert!(!ColdkeySwaps::<Test>::contains_key(1));
		// Positions: the same shares, now the new coldkey's; pools untouched.
		assert_eq!((Shares::<Test>::get(10, FRESH), Shares::<Test>::get(11, FRESH)), shares);
		assert!(!Shares::<Test>::contains_key(10, 1) && !Shares::<Test>::contains_key(11, 1));
		assert!(Nominations::<Test>::iter_key_prefix(1).next().is_none());
		assert_eq!(Nominations::<Test>::iter_key_prefix(FRESH).count(), 2);
		assert_eq!((Pools::<Test>::get(10), Pools::<Test>::get(11), Pools::<Test>::get(12)), pools);
		assert_eq!(TotalStake::<Test>::get(), total);
		// The nominator of the owner's hotkey is unaffected.
		assert_eq!((Shares::<Test>::get(10, 3), Staking::stake_of_coldkey(&10, &3)), nominator);
		// Hotkeys: owned by the new coldkey, take and registrations kept.
		assert_eq!((Owner::<Test>::get(10), Owner::<Test>::get(12)), (Some(FRESH), Some(FRESH)));
		assert!(OwnedHotkeys::<Test>::iter_key_prefix(1).next().is_none());
		assert_eq!(Staking::take_of(&10), Perbill::from_percent(9));
		assert_eq!(Registrations::<Test>::get(10), 1);
		// Free balance: all of it (the old account had nothing keeping it alive: reaped).
		assert_eq!(free(FRESH), free_1);
		assert_eq!(free(1), 0);
		assert!(!System::account_exists(&1));
		assert_eq!(Balances::total_issuance(), issuance);

		// The new coldkey unstakes and sets take; the old one can do neither.
		assert_noop!(
			Staking::remove_stake(RuntimeOrigin::signed(1), 11, 1_000),
			Error::<Test>::InsufficientStake
		);
		assert_noop!(
			Staking::set_take(RuntimeOrigin::signed(1), 10, Perbill::zero()),
			Error::<Test>::NotHotkeyOwner
		);
		assert_ok!(Staking::remove_stake(RuntimeOrigin::signed(FRESH), 11, 1_000));
		// The destination's reservation went with the swap.
		assert!(!PendingDestinations::<Test>::contains_key(FRESH));
		assert_ok!(Staking::set_take(RuntimeOrigin::signed(FRESH), 10, Perbill::zero()));
		// Executed once: nothing left to execute.
		assert_noop!(execute(4, 1, 2, 2), Error::<Test>::NoColdkeySwap);
	});
}

#[test]
fn an_account_that_must_live_keeps_its_existential_deposit() {
	build_and_execute(|| {
		owner_with_positions();
		// Another pallet references the account (as a proxy deposit or a vote would).
		assert_ok!(System::inc_consumers(&1));
		assert_ok!(announce(1, FRESH));
		run_to(1 + COLDKEY_SWAP_DELAY);
		let free_1 = free(1);
		assert_ok!(execute(4, 1, 2, 2));
		assert_eq!(free(1), 5);
		assert_eq!(free(FRESH), free_1 - 5);
		System::dec_consumers(&1);
	});
}

#[test]
fn disputing_late_fails_and_the_swap_executes() {
	build_and_execute(|| {
		owner_with_positions();
		assert_noop!(
			Staking::dispute_coldkey_swap(RuntimeOrigin::signed(1)),
			Error::<Test>::NoColdkeySwap
		);
		assert_ok!(announce(1, FRESH));
		run_to(1 + COLDKEY_SWAP_DELAY);
		assert_noop!(
			Staking::dispute_coldkey_swap(RuntimeOrigin::signed(1)),
			Error::<Test>::DisputeTooLate
		);
		assert_ok!(execute(FRESH, 1, 2, 2));
		assert_eq!(Owner::<Test>::get(10), Some(FRESH));
	});
}

#[test]
fn a_swap_onto_a_coldkey_in_use_or_itself_fails() {
	build_and_execute(|| {
		owner_with_positions();
		// Coldkey 2 owns hotkey 11; coldkey 3 holds a position on 10; nobody swaps to itself.
		assert_noop!(announce(1, 2), Error::<Test>::ColdkeyInUse);
		assert_noop!(announce(1, 3), Error::<Test>::ColdkeyInUse);
		assert_noop!(announce(1, 1), Error::<Test>::ColdkeySwapToSelf);
		// A coldkey that cannot pay the cost (and stay alive) announces nothing.
		assert_ok!(Balances::transfer_allow_death(RuntimeOrigin::signed(4), 6, 700));
		assert_noop!(announce(6, FRESH), Error::<Test>::InsufficientBalance);
		assert_noop!(announce(7, FRESH), Error::<Test>::InsufficientBalance);

		// The new coldkey takes a position during the delay: the swap cannot merge into it.
		assert_ok!(announce(1, 4));
		assert_ok!(Staking::add_stake(RuntimeOrigin::signed(4), 11, 1_000));
		run_to(1 + COLDKEY_SWAP_DELAY);
		assert_noop!(execute(4, 1, 2, 2), Error::<Test>::ColdkeyInUse);
		// Root redirects it to a fresh key (not to one in use, nor back to the old one).
		assert_noop!(
			Staking::resolve_coldkey_swap(RuntimeOrigin::root(), 1, Some(2)),
			Error::<Test>::ColdkeyInUse
		);
		assert_noop!(
			Staking::resolve_coldkey_swap(RuntimeOrigin::root(), 1, Some(1)),
			Error::<Test>::ColdkeySwapToSelf
		);
		assert_ok!(Staking::resolve_coldkey_swap(RuntimeOrigin::root(), 1, Some(FRESH)));
		assert_eq!(
			ColdkeySwaps::<Test>::get(1),
			Some(ColdkeySwap {
				new: FRESH,
				announced_at: 1,
				executable_at: 1 + COLDKEY_SWAP_DELAY,
				disputed: false
			})
		);
		assert_ok!(execute(4, 1, 2, 2));
		assert_eq!(Owner::<Test>::get(12), Some(FRESH));
	});
}

#[test]
fn hotkeys_registered_or_swapped_during_the_delay_move_too() {
	build_and_execute(|| {
		owner_with_positions();
		assert_ok!(announce(1, FRESH));
		Staking::register_hotkey(&13, &1).unwrap();
		assert_ok!(Staking::swap_hotkey(&12, &14));
		run_to(1 + COLDKEY_SWAP_DELAY);
		assert_noop!(execute(4, 1, 2, 2), Error::<Test>::HotkeysWitnessTooLow);
		assert_ok!(execute(4, 1, 3, 2));
		for hotkey in [10, 13, 14] {
			assert_eq!(Owner::<Test>::get(hotkey), Some(FRESH));
		}
		assert_eq!(Owner::<Test>::get(12), None);
	});
}

/// The attacker review's destination squat: the victim announces a swap to its fresh key; an
/// attacker with dust stake announces a swap of his own to the same key in the same block, to
/// execute it first and leave the victim's swap failing `ColdkeyInUse` for ever, the stake
/// frozen. The fresh key is reserved for the first swap: the squat is refused.
#[test]
fn a_squatter_cannot_announce_a_swap_to_the_owners_fresh_key() {
	build_and_execute(|| {
		owner_with_positions();
		assert_ok!(announce(1, FRESH));
		assert_eq!(PendingDestinations::<Test>::get(FRESH), Some(1));
		// Coldkey 3 holds a position (dust will do): its swap to FRESH is refused.
		assert_noop!(announce(3, FRESH), Error::<Test>::ColdkeySwapDestinationReserved);
		// So is one by a coldkey holding nothing.
		assert_noop!(announce(4, FRESH), Error::<Test>::ColdkeySwapDestinationReserved);

		// Swaps do not chain: the destination announces no swap of its own, and no swap goes
		// to a coldkey that announced one.
		assert_ok!(Balances::transfer_allow_death(RuntimeOrigin::signed(4), FRESH, 10_000));
		assert_noop!(announce(FRESH, 7), Error::<Test>::ColdkeySwapChained);
		assert_ok!(announce(4, 7));
		assert_noop!(announce(2, 4), Error::<Test>::ColdkeySwapChained);
		assert_noop!(
			Staking::resolve_coldkey_swap(RuntimeOrigin::root(), 1, Some(4)),
			Error::<Test>::ColdkeySwapChained
		);

		// The victim's swap executes; the key is free once it has.
		run_to(1 + COLDKEY_SWAP_DELAY);
		assert_ok!(execute(3, 1, 2, 2));
		assert_eq!(Owner::<Test>::get(10), Some(FRESH));
		assert!(!PendingDestinations::<Test>::contains_key(FRESH));
	});
}

/// The thief announced, the owner disputed, and the referendum redirects the swap to the
/// owner's fresh key, which the thief reads in the preimage and squats with a swap of his own
/// from another coldkey (disputed, so that it looks like Root's business). Root's destination
/// wins: the squat is dropped, its cost stays burnt.
#[test]
fn roots_redirect_drops_a_swap_squatting_its_destination() {
	build_and_execute(|| {
		owner_with_positions();
		assert_ok!(announce(1, THIEF));
		assert_ok!(Staking::dispute_coldkey_swap(RuntimeOrigin::signed(1)));
		// The thief's own coldkey 3 squats the owner's fresh key, and disputes its own swap.
		assert_ok!(announce(3, FRESH));
		assert_ok!(Staking::dispute_coldkey_swap(RuntimeOrigin::signed(3)));

		assert_ok!(Staking::resolve_coldkey_swap(RuntimeOrigin::root(), 1, Some(FRESH)));
		System::assert_has_event(
			Event::ColdkeySwapDropped { old_coldkey: 3, new_coldkey: FRESH }.into(),
		);
		System::assert_last_event(
			Event::ColdkeySwapApproved { old_coldkey: 1, new_coldkey: FRESH }.into(),
		);
		assert!(!ColdkeySwaps::<Test>::contains_key(3));
		assert_eq!(PendingDestinations::<Test>::get(FRESH), Some(1));
		assert!(!PendingDestinations::<Test>::contains_key(THIEF));
		// The thief's squatting coldkey is unfrozen (it was his own), and cannot re-squat.
		assert_ok!(Staking::remove_stake(RuntimeOrigin::signed(3), 10, 100));
		assert_noop!(announce(3, FRESH), Error::<Test>::ColdkeySwapDestinationReserved);
		assert_ok!(execute(4, 1, 2, 2));
		assert_eq!(Owner::<Test>::get(10), Some(FRESH));
		assert!(Staking::positions_of(&THIEF).is_empty());
	});
}

/// The owner's way out of an undisputed swap (to a wrong or lost key): cancelling it within its
/// delay. Nothing moves, the destination is free again, the cost stays burnt, and the coldkey
/// stays frozen until the delay would have ended.
#[test]
fn the_owner_cancels_an_undisputed_swap_within_its_delay() {
	build_and_execute(|| {
		owner_with_positions();
		assert_noop!(cancel(1), Error::<Test>::NoColdkeySwap);
		assert_ok!(announce(1, 7));
		let executable_at = 1 + COLDKEY_SWAP_DELAY;
		run_to(5);
		assert_ok!(cancel(1));
		System::assert_last_event(
			Event::ColdkeySwapCancelled {
				old_coldkey: 1,
				new_coldkey: 7,
				frozen_until: executable_at,
			}
			.into(),
		);
		assert!(!ColdkeySwaps::<Test>::contains_key(1));
		assert!(!PendingDestinations::<Test>::contains_key(7));
		assert_noop!(cancel(1), Error::<Test>::NoColdkeySwap);
		// Another coldkey may swap to the released key.
		assert_ok!(announce(4, 7));
		// Frozen until the delay's end, then free; nothing executes.
		run_to(executable_at - 1);
		assert_noop!(
			Staking::remove_stake(RuntimeOrigin::signed(1), 11, 1_000),
			Error::<Test>::ColdkeySwapPending
		);
		run_to(executable_at);
		assert_noop!(execute(4, 1, 2, 2), Error::<Test>::NoColdkeySwap);
		assert_ok!(Staking::remove_stake(RuntimeOrigin::signed(1), 11, 1_000));
		assert_eq!(Owner::<Test>::get(10), Some(1));
		// A new announcement clears the old freeze record.
		assert_ok!(announce(1, FRESH));
		assert!(!FrozenUntil::<Test>::contains_key(1));
	});
}

/// Cancelling is refused once the swap is Root's (disputed), past its delay, or approved by
/// Root (which would otherwise hand a thief a way to undo the referendum).
#[test]
fn a_disputed_late_or_approved_swap_cannot_be_cancelled() {
	build_and_execute(|| {
		owner_with_positions();
		assert_ok!(announce(1, THIEF));
		assert_ok!(Staking::dispute_coldkey_swap(RuntimeOrigin::signed(1)));
		assert_noop!(cancel(1), Error::<Test>::ColdkeySwapDisputed);
		assert_ok!(Staking::resolve_coldkey_swap(RuntimeOrigin::root(), 1, Some(FRESH)));
		assert_noop!(cancel(1), Error::<Test>::CancelTooLate);

		assert_ok!(announce(2, 7));
		run_to(1 + COLDKEY_SWAP_DELAY);
		assert_noop!(cancel(2), Error::<Test>::CancelTooLate);
	});
}

/// A thief holding the key cancels the owner's announced swap and unstakes in the same breath:
/// refused, the coldkey stays frozen until the cancelled swap's delay ends. The owner announces
/// again and disputes his own announcement at once, which puts it beyond cancelling; Root
/// sends everything to the fresh key.
#[test]
fn a_thief_who_cancels_the_owners_swap_cannot_unstake() {
	build_and_execute(|| {
		owner_with_positions();
		assert_ok!(announce(1, FRESH));
		run_to(10);
		// The thief, signing with coldkey 1.
		assert_ok!(cancel(1));
		assert_noop!(
			Staking::remove_stake(RuntimeOrigin::signed(1), 10, 10_000),
			Error::<Test>::ColdkeySwapPending
		);
		assert_noop!(
			Staking::move_stake(RuntimeOrigin::signed(1), 10, 11, 1_000),
			Error::<Test>::ColdkeySwapPending
		);
		// The owner announces again and disputes (one batch on chain).
		assert_ok!(announce(1, FRESH));
		assert_ok!(Staking::dispute_coldkey_swap(RuntimeOrigin::signed(1)));
		assert_noop!(cancel(1), Error::<Test>::ColdkeySwapDisputed);
		// Long after the first swap's delay, still frozen: the new swap is Root's.
		run_to(100);
		assert_noop!(
			Staking::remove_stake(RuntimeOrigin::signed(1), 10, 10_000),
			Error::<Test>::ColdkeySwapPending
		);
		assert_ok!(Staking::resolve_coldkey_swap(RuntimeOrigin::root(), 1, Some(FRESH)));
		assert_ok!(execute(4, 1, 2, 2));
		assert_eq!(Owner::<Test>::get(10), Some(FRESH));
		assert!(Staking::positions_of(&1).is_empty());
	});
}

/// While its swap waits, a thief holding the coldkey may not grow the positions the swap must
/// move (past what one extrinsic can execute) nor raise the owner's takes; nominators staking
/// onto the coldkey's hotkeys are other coldkeys and go on.
#[test]
fn a_frozen_coldkey_may_not_add_stake_or_set_take_but_its_nominators_may() {
	build_and_execute(|| {
		owner_with_positions();
		assert_ok!(announce(1, THIEF));
		// A new position, or topping one up.
		Staking::register_hotkey(&13, &2).unwrap();
		assert_noop!(
			Staking::add_stake(RuntimeOrigin::signed(1), 13, 1_000),
			Error::<Test>::ColdkeySwapPending
		);
		assert_noop!(
			Staking::add_stake(RuntimeOrigin::signed(1), 10, 1_000),
			Error::<Test>::ColdkeySwapPending
		);
		assert_noop!(
			Staking::set_take(RuntimeOrigin::signed(1), 10, Perbill::from_percent(10)),
			Error::<Test>::ColdkeySwapPending
		);
		// Others stake onto the frozen coldkey's hotkey.
		assert_ok!(Staking::add_stake(RuntimeOrigin::signed(4), 10, 1_000));
		assert_ok!(Staking::add_stake(RuntimeOrigin::signed(3), 10, 1_000));
		// Frozen while disputed too, and free again once Root drops the swap.
		assert_ok!(Staking::dispute_coldkey_swap(RuntimeOrigin::signed(1)));
		assert_noop!(
			Staking::add_stake(RuntimeOrigin::signed(1), 13, 1_000),
			Error::<Test>::ColdkeySwapPending
		);
		assert_ok!(Staking::resolve_coldkey_swap(RuntimeOrigin::root(), 1, None));
		assert!(!PendingDestinations::<Test>::contains_key(THIEF));
		assert_ok!(Staking::add_stake(RuntimeOrigin::signed(1), 13, 1_000));
		assert_ok!(Staking::set_take(RuntimeOrigin::signed(1), 10, Perbill::from_percent(10)));
	});
}
