//! Coldkey swaps (the staking pallet's), seen from here: the `OnColdkeySwap` hook moves the
//! subnets the old coldkey owns, the coldkey of each of its neurons and its hotkey-swap rate
//! limit, and nothing of anyone else's.

use super::*;
use crate::{
	mock::{COLDKEY_SWAP_COST, COLDKEY_SWAP_DELAY},
	LastKeySwap,
};
use agora_primitives::traits::OnColdkeySwap;
use pallet_agora_staking::{ColdkeySwaps, OwnedHotkeys};
use polkadot_sdk::frame_support::dispatch::DispatchResultWithPostInfo;

/// The owner's fresh coldkey.
const FRESH: u64 = 8;

/// Subnet `a` is coldkey 1's, `b` coldkey 3's. Coldkey 1's hotkey 20 holds a UID on both, its
/// hotkey 22 one on `b`; coldkey 3's hotkey 30 one on `a`.
/// Coldkey 1 stakes on 20 and 30.
fn owner_of_a_subnet_and_neurons() -> (NetUid, NetUid) {
	let a = create(1);
	let b = create(3);
	register(a, 1, 20);
	register(b, 1, 20);
	register(b, 1, 22);
	register(a, 3, 30);
	assert_ok!(Staking::add_stake(RuntimeOrigin::signed(1), 20, 3_000));
	assert_ok!(Staking::add_stake(RuntimeOrigin::signed(1), 30, 1_000));
	(a, b)
}

/// `coldkey` swaps hotkey `old` (one nominator) for `new`; the error alone on failure.
fn swap_hotkey(coldkey: u64, old: u64, new: u64) -> DispatchResult {
	Subnets::swap_hotkey(RuntimeOrigin::signed(coldkey), old, new, 1)
		.map(|_| ())
		.map_err(|e| e.error)
}

/// The coldkey of the neuron `hotkey` is on `netuid`.
fn coldkey_of(netuid: NetUid, hotkey: u64) -> u64 {
	Neurons::<Test>::get(netuid, Uids::<Test>::get(netuid, hotkey).unwrap()).unwrap().coldkey
}

#[test]
fn an_executed_coldkey_swap_moves_subnets_neurons_and_the_rate_limit() {
	build_and_execute(|| {
		let (a, b) = owner_of_a_subnet_and_neurons();
		// A hotkey swap just before the announcement (during it the coldkey is frozen): the new
		// hotkey moves with the rest, and so does the rate limit.
		System::set_block_number(15);
		assert_ok!(Subnets::swap_hotkey(RuntimeOrigin::signed(1), 22, 21, 0));
		assert_ok!(Staking::announce_coldkey_swap(RuntimeOrigin::signed(1), FRESH));
		// The cost is burnt (and counted by the issuance check after the test).
		assert!(last_events(1).iter().any(|e| matches!(
			e,
			RuntimeEvent::Staking(pallet_agora_staking::Event::ColdkeySwapAnnounced {
				cost: COLDKEY_SWAP_COST,
				..
			})
		)));
		let free_1 = free(1);
		// Root approves it at once (else the rate limit would have run out by the delay's end).
		System::set_block_number(16);
		assert_ok!(Staking::resolve_coldkey_swap(RuntimeOrigin::root(), 1, Some(FRESH)));

		let post = Staking::execute_coldkey_swap(RuntimeOrigin::signed(4), 1, 2, 2).unwrap();
		// Charged at most what was announced for two hotkeys on `MaxSubnets` subnets.
		let charged = <() as pallet_agora_staking::WeightInfo>::execute_coldkey_swap(2, 2)
			.saturating_add(<Subnets as OnColdkeySwap<u64>>::max_weight(2));
		assert!(post.actual_weight.unwrap().all_lte(charged));

		// Coldkey 1's subnet and neurons are the new coldkey's; coldkey 3's are untouched.
		assert_eq!(SubnetRecords::<Test>::get(a).unwrap().owner, FRESH);
		assert_eq!(SubnetRecords::<Test>::get(b).unwrap().owner, 3);
		assert_eq!(coldkey_of(a, 20), FRESH);
		assert_eq!(coldkey_of(b, 20), FRESH);
		assert_eq!(coldkey_of(b, 21), FRESH);
		assert_eq!(coldkey_of(a, 30), 3);
		assert_eq!(Staking::owner_of(&20), Some(FRESH));
		assert_eq!(Staking::owner_of(&30), Some(3));
		assert_eq!(Staking::stake_of_coldkey(&30, &FRESH), 1_000);
		assert_eq!(free(FRESH), free_1);
		assert!(!ColdkeySwaps::<Test>::contains_key(1));
		assert!(OwnedHotkeys::<Test>::iter_key_prefix(1).next().is_none());

		// The rate limit of hotkey swaps came along: no fresh coldkey to swap again at once.
		assert_eq!(LastKeySwap::<Test>::get(1), None);
		assert_eq!(LastKeySwap::<Test>::get(FRESH), Some(15));
		assert_eq!(swap_hotkey(FRESH, 20, 23), Err(Error::<Test>::KeySwapRateLimited.into()));
		// The new coldkey runs its subnet and neurons; the old one no longer does.
		let hp = hyperparams(a);
		assert_noop!(
			Subnets::set_hyperparams(RuntimeOrigin::signed(1), a, hp.clone()),
			Error::<Test>::NotSubnetOwner
		);
		assert_ok!(Subnets::set_hyperparams(RuntimeOrigin::signed(FRESH), a, hp));
		System::set_block_number(25);
		assert_eq!(swap_hotkey(1, 20, 23), Err(Error::<Test>::NotHotkeyOwner.into()));
		assert_ok!(swap_hotkey(FRESH, 20, 23));
	});
}

/// The hook reads no more than its bound charges, whatever the subnets hold.
#[test]
fn the_hooks_weight_stays_within_its_bound() {
	build_and_execute(|| {
		let (_, _) = owner_of_a_subnet_and_neurons();
		let used = <Subnets as OnColdkeySwap<u64>>::on_coldkey_swap(&1, &FRESH, &[20, 22]);
		assert!(used.all_lte(<Subnets as OnColdkeySwap<u64>>::max_weight(2)));
		// Two subnets, two hotkeys on three UIDs: more than the subnet records, less than the
		// bound's 8 subnets.
		assert!(used.ref_time() > <Subnets as OnColdkeySwap<u64>>::max_weight(0).ref_time() / 4);
		// Put the staking side in step, as `execute_coldkey_swap` does before calling the hook.
		for hotkey in [20, 22] {
			pallet_agora_staking::Owner::<Test>::insert(hotkey, FRESH);
			OwnedHotkeys::<Test>::remove(1, hotkey);
			OwnedHotkeys::<Test>::insert(FRESH, hotkey, ());
		}
	});
}

/// While its swap waits (pending, disputed, or cancelled within its delay), a thief holding the
/// coldkey may not register hotkeys (growing what the swap must move past what one extrinsic
/// can execute) nor swap the owner's hotkeys to his own; other coldkeys go on.
#[test]
fn a_frozen_coldkey_may_not_register_or_swap_hotkeys() {
	build_and_execute(|| {
		let (a, b) = owner_of_a_subnet_and_neurons();
		System::set_block_number(15);
		assert_ok!(Staking::announce_coldkey_swap(RuntimeOrigin::signed(1), FRESH));
		let frozen = |r: DispatchResultWithPostInfo| {
			assert_eq!(r.map_err(|e| e.error), Err(Error::<Test>::ColdkeySwapPending.into()))
		};
		// A new hotkey, or one it owns on another subnet.
		frozen(Subnets::register(RuntimeOrigin::signed(1), a, 23, u128::MAX));
		frozen(Subnets::register(RuntimeOrigin::signed(1), a, 22, u128::MAX));
		assert_eq!(swap_hotkey(1, 20, 23), Err(Error::<Test>::ColdkeySwapPending.into()));
		// Other coldkeys register and swap as before, and stake on the frozen coldkey's hotkey.
		register(b, 3, 31);
		assert_ok!(Subnets::swap_hotkey(RuntimeOrigin::signed(3), 30, 32, 5));
		assert_ok!(Staking::add_stake(RuntimeOrigin::signed(4), 20, 1_000));

		// Cancelled: still frozen until the end of the delay, then free.
		assert_ok!(Staking::cancel_coldkey_swap(RuntimeOrigin::signed(1)));
		System::set_block_number(15 + COLDKEY_SWAP_DELAY - 1);
		assert_eq!(swap_hotkey(1, 20, 23), Err(Error::<Test>::ColdkeySwapPending.into()));
		System::set_block_number(15 + COLDKEY_SWAP_DELAY);
		register(a, 1, 23);
		assert_ok!(Subnets::swap_hotkey(RuntimeOrigin::signed(1), 20, 24, 5));
		assert!(ColdkeySwaps::<Test>::get(1).is_none());
	});
}
