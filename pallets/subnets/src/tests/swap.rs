//! Hotkey swaps, tried as an attacker would: by someone else's coldkey, onto a victim's hotkey,
//! for a profit, faster than the rate limit, without paying, during a payout queue, with a
//! witness that undercounts.

use super::*;
use crate::{mock::KEY_SWAP_COST, LastKeySwap};
use pallet_agora_staking::{Nominations, Pools, Shares};

/// Subnets `a` and `b` (coldkey 1's). Coldkey 2's validator hotkey 20 holds UID 0 on both, has
/// a permit, weights, bonds, an endpoint and a pending commit on `a`, a 9% take, and three
/// nominators: 2 itself (10,000), 3 (5,000) and 4 (2,000). Coldkey 3's miner hotkey 30 holds
/// UID 1 on `a`.
fn validator_on_two_subnets() -> (NetUid, NetUid) {
	let a = create(1);
	let b = create(1);
	assert_eq!(register(a, 2, 20), 0);
	assert_eq!(register(b, 2, 20), 0);
	assert_eq!(register(a, 3, 30), 1);
	permit(a, 0);
	assert_ok!(set_weights(20, a, &[1], &[1]));
	Bonds::<Test>::insert(a, 0, bounded(&[(1, 7)]));
	assert_ok!(serve(20, a, 1, addrs(&["/ip4/1.2.3.4/tcp/5"])));
	WeightCommits::<Test>::insert(
		a,
		20,
		([9u8; 32], 1, crate::CommitTerms::new(&hyperparams(a), 1)),
	);
	for (coldkey, amount) in [(2, 10_000), (3, 5_000), (4, 2_000)] {
		assert_ok!(Staking::add_stake(RuntimeOrigin::signed(coldkey), 20, amount));
	}
	assert_ok!(Staking::set_take(RuntimeOrigin::signed(2), 20, Perbill::from_percent(9)));
	(a, b)
}

/// `coldkey` swaps `old` for `new`; the error alone on failure (the weights have their test).
fn swap(coldkey: u64, old: u64, new: u64, nominators: u32) -> DispatchResult {
	Subnets::swap_hotkey(RuntimeOrigin::signed(coldkey), old, new, nominators)
		.map(|_| ())
		.map_err(|e| e.error)
}

/// `coldkey`'s AGR, free and staked on `hotkey`.
fn worth(coldkey: u64, hotkey: u64) -> u128 {
	free(coldkey) + Staking::stake_of_coldkey(&hotkey, &coldkey)
}

#[test]
fn a_swap_moves_the_uids_stake_and_take_and_keeps_what_uids_hold() {
	build_and_execute(|| {
		let (a, b) = validator_on_two_subnets();
		let neuron_a = Neurons::<Test>::get(a, 0).unwrap();
		let weights = Weights::<Test>::get(a, 0);
		let bonds = Bonds::<Test>::get(a, 0);
		let peer_id = neuron_a.endpoint.clone().unwrap().peer_id;
		let pool = Staking::pool(&20);
		let issuance = Balances::total_issuance();
		let free_2 = free(2);

		assert_ok!(swap(2, 20, 21, 3));
		System::assert_last_event(
			Event::HotkeySwapped {
				coldkey: 2,
				old_hotkey: 20,
				new_hotkey: 21,
				cost: KEY_SWAP_COST,
			}
			.into(),
		);
		// The cost is burnt from the coldkey, nothing more.
		assert_eq!(Balances::total_issuance(), issuance - KEY_SWAP_COST);
		assert_eq!(free(2), free_2 - KEY_SWAP_COST);
		// The UIDs are the new hotkey's, everything else of the neuron as it was.
		for netuid in [a, b] {
			assert_eq!(Uids::<Test>::get(netuid, 21), Some(0));
			assert_eq!(Uids::<Test>::get(netuid, 20), None);
			assert_eq!(Neurons::<Test>::get(netuid, 0).unwrap().hotkey, 21);
		}
		assert_eq!(Neurons::<Test>::get(a, 0).unwrap(), Neuron { hotkey: 21, ..neuron_a });
		assert_eq!(Weights::<Test>::get(a, 0), weights);
		assert_eq!(Bonds::<Test>::get(a, 0), bonds);
		assert_eq!(PeerIdOwners::<Test>::get(a, &peer_id), Some(0));
		assert!(Subnets::has_validator_permit(a, 0));
		// The commit's hash binds the old hotkey: it is dropped, not moved.
		assert!(WeightCommits::<Test>::get(a, 20).is_none());
		assert!(WeightCommits::<Test>::get(a, 21).is_none());
		// Staking: the same pool and take under the new hotkey, the old one bare.
		assert_eq!(Staking::pool(&21), pool);
		assert_eq!(Staking::owner_of(&21), Some(2));
		assert_eq!(Staking::owner_of(&20), None);
		assert_eq!(Staking::take_of(&21), Perbill::from_percent(9));
		assert_eq!(pallet_agora_staking::Registrations::<Test>::get(21), 2);
		assert!(!Pools::<Test>::contains_key(20));
		assert_eq!(LastKeySwap::<Test>::get(2), Some(1));
		// The new hotkey acts as the neuron; the old one is nobody.
		run_blocks(2);
		assert_ok!(set_weights(21, a, &[0, 1], &[1, 1]));
		assert_noop!(set_weights(20, a, &[1], &[1]), Error::<Test>::NotRegistered);
		let mut netuids = Subnets::netuids_of(&21);
		netuids.sort_unstable();
		assert_eq!(netuids, vec![a, b]);
		assert!(Subnets::netuids_of(&20).is_empty());
	});
}

#[test]
fn only_the_owner_coldkey_can_swap() {
	build_and_execute(|| {
		let (a, _) = validator_on_two_subnets();
		// A nominator of the hotkey, the hotkey itself, another neuron's owner, the subnet's
		// owner: none of them owns hotkey 20.
		for who in [3, 4, 20, 1] {
			assert_noop!(swap(who, 20, 99, 3), Error::<Test>::NotHotkeyOwner);
		}
		// Nobody owns 98: there is nothing to swap.
		assert_noop!(swap(2, 98, 99, 0), Error::<Test>::NotHotkeyOwner);
		assert_eq!(Uids::<Test>::get(a, 20), Some(0));
		assert_noop!(
			Subnets::swap_hotkey(RuntimeOrigin::none(), 20, 99, 3).map_err(|e| e.error),
			polkadot_sdk::sp_runtime::DispatchError::BadOrigin
		);
	});
}

#[test]
fn no_swap_onto_a_hotkey_in_use() {
	build_and_execute(|| {
		let (a, b) = validator_on_two_subnets();
		assert_noop!(swap(2, 20, 20, 3), Error::<Test>::SameHotkey);
		// A victim's miner (owner, UID and stake): swapping onto it would take them over.
		assert_ok!(Staking::add_stake(RuntimeOrigin::signed(3), 30, 1_000));
		assert_noop!(swap(2, 20, 30, 3), Error::<Test>::NewHotkeyInUse);
		// The coldkey's own other hotkey: two neurons do not merge.
		assert_eq!(register(b, 2, 22), 1);
		assert_noop!(swap(2, 20, 22, 3), Error::<Test>::NewHotkeyInUse);
		// A hotkey that lost its UID still has an owner and stake.
		set_hp(a, |hp| {
			hp.max_uids = 2;
			hp.max_allowed_weights = 2;
			hp.max_validators = 2;
		});
		Subnets::set_stats(
			a,
			0,
			NeuronStats { emission: 9, validator_permit: true, ..Default::default() },
		);
		run_to_block(20);
		assert_eq!(register(a, 4, 40), 1);
		assert!(Subnets::netuids_of(&30).is_empty());
		assert_noop!(swap(2, 20, 30, 3), Error::<Test>::NewHotkeyInUse);
		// Nothing moved.
		assert_eq!(Staking::stake_of_coldkey(&30, &3), 1_000);
		assert_eq!(Staking::owner_of(&30), Some(3));
		assert_eq!(Uids::<Test>::get(a, 20), Some(0));
	});
}

#[test]
fn nominators_keep_their_stake_and_unstake_from_the_new_hotkey_only() {
	build_and_execute(|| {
		validator_on_two_subnets();
		let before: Vec<u128> =
			[2, 3, 4].iter().map(|c| Staking::stake_of_coldkey(&20, c)).collect();
		assert_eq!(before, vec![10_000, 5_000, 2_000]);
		assert_ok!(swap(2, 20, 21, 3));
		let after: Vec<u128> =
			[2, 3, 4].iter().map(|c| Staking::stake_of_coldkey(&21, c)).collect();
		assert_eq!(after, before);
		for c in [2, 3, 4] {
			assert_eq!(Staking::stake_of_coldkey(&20, &c), 0);
			assert!(Nominations::<Test>::contains_key(c, 21));
			assert!(!Nominations::<Test>::contains_key(c, 20));
			assert!(!Shares::<Test>::contains_key(20, c));
		}
		assert_noop!(
			Staking::remove_stake(RuntimeOrigin::signed(3), 20, 1),
			pallet_agora_staking::Error::<Test>::InsufficientStake
		);
		assert_noop!(
			Staking::add_stake(RuntimeOrigin::signed(3), 20, 1_000),
			pallet_agora_staking::Error::<Test>::HotkeyNotRegistered
		);
		let free_3 = free(3);
		assert_ok!(Staking::remove_stake(RuntimeOrigin::signed(3), 21, 5_000));
		assert_eq!(free(3), free_3 + 5_000);
		assert_ok!(Staking::add_stake(RuntimeOrigin::signed(3), 21, 1_000));
	});
}

#[test]
fn the_owner_gains_nothing_and_nobody_else_loses() {
	build_and_execute(|| {
		validator_on_two_subnets();
		let others: Vec<u128> = [3, 4].iter().map(|c| worth(*c, 20)).collect();
		let owner = worth(2, 20);
		assert_ok!(swap(2, 20, 21, 3));
		assert_eq!(worth(2, 21), owner - KEY_SWAP_COST);
		assert_eq!([3, 4].iter().map(|c| worth(*c, 21)).collect::<Vec<_>>(), others);
		// The abandoned hotkey is free for anyone to register afresh, and brings nothing: no
		// UID of the neuron, no stake, no owner's take.
		assert_eq!(register(1, 3, 20), 2);
		assert_eq!(Staking::stake_of(&20), 0);
		assert_eq!(Staking::take_of(&20), Perbill::from_percent(18));
		assert_eq!(Uids::<Test>::get(1, 21), Some(0));
	});
}

#[test]
fn the_old_hotkey_keeps_its_account_and_nonce() {
	build_and_execute(|| {
		validator_on_two_subnets();
		for _ in 0..3 {
			System::inc_account_nonce(20);
		}
		assert_ok!(swap(2, 20, 21, 3));
		// Its old signed calls cannot be replayed if it is registered again.
		assert!(System::account_exists(&20));
		assert_eq!(System::account_nonce(20), 3);
		// The new hotkey's account exists without a balance, for its fee-less calls.
		assert!(System::account_exists(&21));
		assert_eq!(free(21), 0);
	});
}

#[test]
fn swaps_are_rate_limited_per_coldkey() {
	build_and_execute(|| {
		let (a, _) = validator_on_two_subnets();
		assert_ok!(swap(2, 20, 21, 3));
		assert_noop!(swap(2, 21, 22, 3), Error::<Test>::KeySwapRateLimited);
		run_to_block(10);
		assert_noop!(swap(2, 21, 22, 3), Error::<Test>::KeySwapRateLimited);
		// Another coldkey is not held back by it.
		assert_ok!(swap(3, 30, 31, 0));
		run_to_block(11);
		assert_ok!(swap(2, 21, 22, 3));
		assert_eq!(Uids::<Test>::get(a, 22), Some(0));
		assert_eq!(LastKeySwap::<Test>::get(2), Some(11));
	});
}

#[test]
fn a_swap_needs_its_cost_and_leaves_the_coldkey_alive() {
	build_and_execute(|| {
		let (a, _) = validator_on_two_subnets();
		// Coldkey 5 registers a hotkey, then keeps just too little to pay and stay alive.
		assert_eq!(register(a, 5, 50), 2);
		let keep = KEY_SWAP_COST + 4;
		assert_ok!(Balances::transfer_keep_alive(RuntimeOrigin::signed(5), 1, free(5) - keep));
		assert_noop!(swap(5, 50, 51, 0), Error::<Test>::InsufficientBalance);
		assert_ok!(Balances::transfer_keep_alive(RuntimeOrigin::signed(1), 5, 1));
		assert_ok!(swap(5, 50, 51, 0));
		assert_eq!(free(5), 5);
	});
}

#[test]
fn a_swap_waits_for_the_payouts_of_its_subnets() {
	build_and_execute(|| {
		let (a, b) = validator_on_two_subnets();
		crate::mock::QueuedPayouts::set(Some(b));
		assert_noop!(swap(2, 20, 21, 3), Error::<Test>::PayoutsQueued);
		// A queue on a subnet the hotkey is not on does not hold it back.
		let c = create(1);
		crate::mock::QueuedPayouts::set(Some(c));
		assert_ok!(swap(2, 20, 21, 3));
		assert_eq!(Uids::<Test>::get(a, 21), Some(0));
	});
}

#[test]
fn the_nominators_witness_must_count_them_all() {
	build_and_execute(|| {
		validator_on_two_subnets();
		assert_noop!(swap(2, 20, 21, 2), Error::<Test>::NominatorsWitnessTooLow);
		// A stale witness after someone else joined the hotkey fails the same way.
		assert_ok!(Staking::add_stake(RuntimeOrigin::signed(1), 20, 1_000));
		assert_noop!(swap(2, 20, 21, 3), Error::<Test>::NominatorsWitnessTooLow);
		assert_eq!(Staking::owner_of(&20), Some(2));
		// More than enough is fine: the call is refunded down to the real count.
		assert_ok!(swap(2, 20, 21, 10));
	});
}

#[test]
fn a_swap_is_charged_for_its_witness_and_refunded_to_what_it_moved() {
	use polkadot_sdk::frame_support::dispatch::GetDispatchInfo;
	build_and_execute(|| {
		validator_on_two_subnets();
		let call =
			crate::Call::<Test>::swap_hotkey { old_hotkey: 20, new_hotkey: 21, nominators: 50 };
		let max_subnets: u16 = <<Test as crate::Config>::MaxSubnets as Get<u16>>::get();
		let max_subnets = u32::from(max_subnets);
		assert_eq!(
			call.get_dispatch_info().call_weight,
			<() as WeightInfo>::swap_hotkey(max_subnets, 50)
		);
		let post = Subnets::swap_hotkey(RuntimeOrigin::signed(2), 20, 21, 50).unwrap();
		// Two subnets on chain, three nominators moved.
		assert_eq!(post.actual_weight, Some(<() as WeightInfo>::swap_hotkey(2, 3)));
		// A failure is charged for the subnets on chain and the witness, never more.
		run_to_block(20);
		let err = Subnets::swap_hotkey(RuntimeOrigin::signed(2), 21, 22, 1).unwrap_err();
		assert_eq!(err.post_info.actual_weight, Some(<() as WeightInfo>::swap_hotkey(2, 1)));
	});
}

/// The epoch reads a swapped neuron as it read it before: same UID, stake, permit, weights and
/// bonds, only the hotkey differs.
#[test]
fn the_epoch_sees_the_same_neuron_under_its_new_hotkey() {
	build_and_execute(|| {
		let (a, _) = validator_on_two_subnets();
		let before = Subnets::epoch_neurons(a);
		assert_ok!(swap(2, 20, 21, 3));
		let after = Subnets::epoch_neurons(a);
		assert_eq!(after[0], EpochNeuron { hotkey: 21, ..before[0].clone() });
		assert_eq!(after[1..], before[1..]);
		assert_eq!(Staking::stake_of(&21), 17_000);
	});
}
