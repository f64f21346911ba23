//! Unit tests: every call's success and error paths, share-pool arithmetic, emission credit;
//! coldkey swaps in `coldkey_swap`.

mod coldkey_swap;

use crate::{
	mock::*, Error, Event, LastTakeChange, Nominations, Owner, Pool, Pools, Registrations, Shares,
	Take, TotalStake,
};
use frame::testing_prelude::*;
use polkadot_sdk::{polkadot_sdk_frame as frame, sp_runtime::Perbill};

fn free(who: u64) -> u128 {
	Balances::free_balance(who)
}

#[test]
fn add_stake_moves_funds_into_the_pool() {
	build_and_execute(|| {
		assert_ok!(Staking::add_stake(RuntimeOrigin::signed(3), 10, 5_000));
		System::assert_last_event(
			Event::StakeAdded { coldkey: 3, hotkey: 10, amount: 5_000, shares: 5_000 }.into(),
		);
		assert_eq!(free(3), 995_000);
		assert_eq!(Staking::stake_of_coldkey(&10, &3), 5_000);
		assert_eq!(Staking::stake_of(&10), 5_000);
		assert_eq!(TotalStake::<Test>::get(), 5_000);
		assert_eq!(free(Staking::account_id()), 5_000 + 5);
	});
}

#[test]
fn add_stake_errors() {
	build_and_execute(|| {
		assert_noop!(
			Staking::add_stake(RuntimeOrigin::signed(3), 10, 0),
			Error::<Test>::ZeroAmount
		);
		assert_noop!(
			Staking::add_stake(RuntimeOrigin::signed(3), 99, 1_000),
			Error::<Test>::HotkeyNotRegistered
		);
		// All of it would reap the account: the existential deposit must stay.
		assert_noop!(
			Staking::add_stake(RuntimeOrigin::signed(3), 10, 1_000_000),
			Error::<Test>::InsufficientBalance
		);
		assert_noop!(
			Staking::add_stake(RuntimeOrigin::signed(7), 10, 1_000),
			Error::<Test>::InsufficientBalance
		);
		assert_noop!(
			Staking::add_stake(RuntimeOrigin::signed(3), 10, 99),
			Error::<Test>::BelowMinStake
		);
		assert_noop!(Staking::add_stake(RuntimeOrigin::none(), 10, 1_000), BadOrigin);
	});
}

#[test]
fn remove_stake_partially_and_fully() {
	build_and_execute(|| {
		assert_ok!(Staking::add_stake(RuntimeOrigin::signed(3), 10, 5_000));
		assert_ok!(Staking::remove_stake(RuntimeOrigin::signed(3), 10, 2_000));
		assert_eq!(Staking::stake_of_coldkey(&10, &3), 3_000);
		assert_eq!(free(3), 997_000);
		assert_ok!(Staking::remove_stake(RuntimeOrigin::signed(3), 10, 3_000));
		System::assert_last_event(
			Event::StakeRemoved { coldkey: 3, hotkey: 10, amount: 3_000, shares: 3_000 }.into(),
		);
		assert_eq!(free(3), 1_000_000);
		assert_eq!(Pools::<Test>::get(10), Pool::default());
		assert!(!Shares::<Test>::contains_key(10, 3));
	});
}

#[test]
fn remove_stake_errors() {
	build_and_execute(|| {
		assert_ok!(Staking::add_stake(RuntimeOrigin::signed(3), 10, 5_000));
		assert_noop!(
			Staking::remove_stake(RuntimeOrigin::signed(3), 10, 0),
			Error::<Test>::ZeroAmount
		);
		assert_noop!(
			Staking::remove_stake(RuntimeOrigin::signed(3), 10, 5_001),
			Error::<Test>::InsufficientStake
		);
		assert_noop!(
			Staking::remove_stake(RuntimeOrigin::signed(4), 10, 1),
			Error::<Test>::InsufficientStake
		);
		assert_noop!(
			Staking::remove_stake(RuntimeOrigin::signed(3), 11, 1),
			Error::<Test>::InsufficientStake
		);
		// Leaving 50 < MinStake (100) is refused; all of it or at least 100 must stay.
		assert_noop!(
			Staking::remove_stake(RuntimeOrigin::signed(3), 10, 4_950),
			Error::<Test>::BelowMinStake
		);
	});
}

#[test]
fn move_stake_between_hotkeys() {
	build_and_execute(|| {
		assert_ok!(Staking::add_stake(RuntimeOrigin::signed(3), 10, 5_000));
		assert_ok!(Staking::move_stake(RuntimeOrigin::signed(3), 10, 11, 2_000));
		System::assert_last_event(
			Event::StakeMoved { coldkey: 3, from: 10, to: 11, amount: 2_000 }.into(),
		);
		assert_eq!(Staking::stake_of_coldkey(&10, &3), 3_000);
		assert_eq!(Staking::stake_of_coldkey(&11, &3), 2_000);
		assert_eq!(free(3), 995_000);
		assert_noop!(
			Staking::move_stake(RuntimeOrigin::signed(3), 10, 10, 1_000),
			Error::<Test>::SameHotkey
		);
		assert_noop!(
			Staking::move_stake(RuntimeOrigin::signed(3), 10, 99, 1_000),
			Error::<Test>::HotkeyNotRegistered
		);
		assert_noop!(
			Staking::move_stake(RuntimeOrigin::signed(3), 10, 11, 9_000),
			Error::<Test>::InsufficientStake
		);
		assert_noop!(
			Staking::move_stake(RuntimeOrigin::signed(3), 10, 11, 0),
			Error::<Test>::ZeroAmount
		);
	});
}

#[test]
fn set_take_rules() {
	build_and_execute(|| {
		assert_eq!(Staking::take_of(&10), Perbill::from_percent(18));
		assert_noop!(
			Staking::set_take(RuntimeOrigin::signed(3), 10, Perbill::from_percent(5)),
			Error::<Test>::NotHotkeyOwner
		);
		assert_noop!(
			Staking::set_take(RuntimeOrigin::signed(1), 10, Perbill::from_percent(19)),
			Error::<Test>::TakeTooHigh
		);
		// Lowering is always allowed.
		assert_ok!(Staking::set_take(RuntimeOrigin::signed(1), 10, Perbill::from_percent(5)));
		System::assert_last_event(
			Event::TakeSet { hotkey: 10, take: Perbill::from_percent(5) }.into(),
		);
		assert_ok!(Staking::set_take(RuntimeOrigin::signed(1), 10, Perbill::from_percent(1)));
		// A raise waits 5 blocks after the last change, a decrease included.
		assert_noop!(
			Staking::set_take(RuntimeOrigin::signed(1), 10, Perbill::from_percent(10)),
			Error::<Test>::TakeRateLimited
		);
		System::set_block_number(6);
		assert_ok!(Staking::set_take(RuntimeOrigin::signed(1), 10, Perbill::from_percent(10)));
		assert_noop!(
			Staking::set_take(RuntimeOrigin::signed(1), 10, Perbill::from_percent(12)),
			Error::<Test>::TakeRateLimited
		);
		// Setting the same take is no change and arms nothing.
		assert_ok!(Staking::set_take(RuntimeOrigin::signed(1), 10, Perbill::from_percent(10)));
		System::set_block_number(11);
		assert_ok!(Staking::set_take(RuntimeOrigin::signed(1), 10, Perbill::from_percent(12)));
		assert_eq!(Staking::take_of(&10), Perbill::from_percent(12));
	});
}

/// Issue 10, item 10: a hotkey that never raised its take lowers it to 0 to attract nominators
/// and tries to raise it to the maximum in the next block.
#[test]
fn take_bait_and_switch_is_refused() {
	build_and_execute(|| {
		assert_ok!(Staking::set_take(RuntimeOrigin::signed(2), 11, Perbill::zero()));
		assert_ok!(Staking::add_stake(RuntimeOrigin::signed(3), 11, 10_000));
		System::set_block_number(2);
		assert_noop!(
			Staking::set_take(RuntimeOrigin::signed(2), 11, Perbill::from_percent(18)),
			Error::<Test>::TakeRateLimited
		);
		assert_eq!(Staking::take_of(&11), Perbill::zero());
	});
}

#[test]
fn emission_raises_every_nominator_and_pays_the_take() {
	build_and_execute(|| {
		assert_ok!(Staking::add_stake(RuntimeOrigin::signed(1), 10, 1_000));
		assert_ok!(Staking::add_stake(RuntimeOrigin::signed(3), 10, 1_000));
		assert_ok!(Staking::credit_emission(&10, 1_000, 10));
		System::assert_last_event(
			Event::EmissionCredited { hotkey: 10, amount: 1_000, take: 180 }.into(),
		);
		// The owner's 180 take is bought as shares at once; the 820 vest over 10 blocks.
		assert_eq!(Staking::stake_of(&10), 2_180);
		assert_eq!(TotalStake::<Test>::get(), 3_000);
		System::set_block_number(6);
		assert_eq!(Staking::stake_of(&10), 2_180 + 410);
		System::set_block_number(11);
		// The 820 went to the shares held over those blocks, the owner's 180 of take included
		// (1,000 : 1,180; an emission as large as half the stake makes the take's part show).
		assert_eq!(Staking::stake_of_coldkey(&10, &3), 1_376);
		assert_eq!(Staking::stake_of_coldkey(&10, &1), 1_623);
		assert_eq!(Staking::stake_of(&10), 3_000);
		assert_eq!(TotalStake::<Test>::get(), 3_000);
		// Everyone can take their value out.
		assert_ok!(Staking::remove_stake(RuntimeOrigin::signed(3), 10, 1_376));
		assert_eq!(free(3), 1_000_376);
	});
}

#[test]
fn emission_to_an_empty_pool_goes_to_the_owner() {
	build_and_execute(|| {
		assert_ok!(Staking::credit_emission(&11, 700, 10));
		assert_eq!(Staking::stake_of_coldkey(&11, &2), 700);
		assert_noop!(Staking::credit_emission(&99, 1, 10), Error::<Test>::HotkeyNotRegistered);
		assert_ok!(Staking::credit_emission(&11, 0, 10));
	});
}

#[test]
fn the_last_seller_collects_rounding_dust() {
	build_and_execute(|| {
		assert_ok!(Staking::add_stake(RuntimeOrigin::signed(1), 10, 1_000));
		assert_ok!(Staking::add_stake(RuntimeOrigin::signed(3), 10, 1_000));
		assert_ok!(Staking::credit_emission(&10, 1_000, 10));
		System::set_block_number(11);
		assert_ok!(Staking::remove_stake(RuntimeOrigin::signed(3), 10, 1_376));
		let owner_value = Staking::stake_of_coldkey(&10, &1);
		assert_ok!(Staking::remove_stake(RuntimeOrigin::signed(1), 10, owner_value));
		assert_eq!(Pools::<Test>::get(10), Pool::default());
		assert_eq!(TotalStake::<Test>::get(), 0);
		// 1_000 staked + 1_000 credited all came back out.
		assert_eq!(free(1) + free(3), 2_000_000 + 1_000);
	});
}

#[test]
fn hotkeys_have_one_owner() {
	build_and_execute(|| {
		assert_ok!(Staking::register_hotkey(&10, &1));
		assert_noop!(Staking::register_hotkey(&10, &2), Error::<Test>::HotkeyAlreadyOwned);
		assert_eq!(Staking::owner_of(&10), Some(1));
		assert_eq!(Registrations::<Test>::get(10), 2);
	});
}

/// Issue 10, item 8: stake added one block before an epoch and removed one block after collects
/// only the blocks it was held, not the tempo's share of the epoch's emission.
#[test]
fn just_in_time_stake_earns_only_its_blocks() {
	build_and_execute(|| {
		// The owner's 10,000 AGR-planck sat on the hotkey for the whole tempo.
		assert_ok!(Staking::set_take(RuntimeOrigin::signed(1), 10, Perbill::zero()));
		assert_ok!(Staking::add_stake(RuntimeOrigin::signed(1), 10, 10_000));
		// Block 100: the attacker stakes as much, one block before the epoch.
		System::set_block_number(100);
		assert_ok!(Staking::add_stake(RuntimeOrigin::signed(3), 10, 10_000));
		// Block 101: the epoch credits 1,000 for the tempo (100 blocks).
		System::set_block_number(101);
		assert_ok!(Staking::credit_emission(&10, 1_000, 100));
		// Block 102: the attacker leaves with its stake and 1/100 of the release, half of it;
		// its half of the other 99/100 is forfeited (burned).
		System::set_block_number(102);
		let value = Staking::stake_of_coldkey(&10, &3);
		assert_eq!(value, 10_005);
		assert_ok!(Staking::remove_stake(RuntimeOrigin::signed(3), 10, value));
		System::assert_has_event(
			Event::VestingForfeited { hotkey: 10, coldkey: 3, amount: 495 }.into(),
		);
		// Without vesting it would have left with 10,500. The owner, who stays, gets its half.
		System::set_block_number(201);
		assert_eq!(Staking::stake_of_coldkey(&10, &1), 10_500);
	});
}

/// Issue 10, item 11: a hotkey that lost its last UID takes no new stake; its nominators may
/// still leave.
#[test]
fn a_deregistered_hotkey_takes_no_stake() {
	build_and_execute(|| {
		assert_ok!(Staking::add_stake(RuntimeOrigin::signed(3), 10, 5_000));
		Staking::deregister_hotkey(&10);
		assert_eq!(Registrations::<Test>::get(10), 0);
		assert!(!Registrations::<Test>::contains_key(10));
		assert_noop!(
			Staking::add_stake(RuntimeOrigin::signed(3), 10, 1_000),
			Error::<Test>::HotkeyNotRegistered
		);
		assert_ok!(Staking::add_stake(RuntimeOrigin::signed(3), 11, 1_000));
		assert_noop!(
			Staking::move_stake(RuntimeOrigin::signed(3), 11, 10, 1_000),
			Error::<Test>::HotkeyNotRegistered
		);
		assert_ok!(Staking::remove_stake(RuntimeOrigin::signed(3), 10, 5_000));
		// Registering again restores it, for its owner only.
		assert_ok!(Staking::register_hotkey(&10, &1));
		assert_ok!(Staking::add_stake(RuntimeOrigin::signed(3), 10, 1_000));
	});
}

#[test]
fn share_price_math_rounds_in_the_pools_favour() {
	let pool = Pool { stake: 3_000, shares: 2_127, ..Default::default() };
	assert_eq!(pool.shares_for(180), 127);
	assert_eq!(pool.shares_to_withdraw(1), 1);
	assert_eq!(pool.value_of(1_000), 1_410);
	let empty = Pool::default();
	assert_eq!(empty.shares_for(50), 50);
	assert_eq!(empty.value_of(50), 0);
	let huge = Pool { stake: u128::MAX / 2, shares: u128::MAX / 3, ..Default::default() };
	assert!(huge.value_of(u128::MAX / 3) <= u128::MAX / 2);
}

#[test]
fn vesting_releases_linearly() {
	let pool = Pool { stake: 100, shares: 100, vesting: 90, vesting_from: 10, vesting_until: 40 };
	assert_eq!(pool.released(10), 0);
	assert_eq!(pool.released(20), 30);
	assert_eq!(pool.released(40), 90);
	assert_eq!(pool.released(99), 90);
	let later = pool.settled(20);
	assert_eq!((later.stake, later.vesting, later.vesting_from), (130, 60, 20));
	// The rest keeps the same pace to the same end.
	assert_eq!(later.released(30), 30);
	assert_eq!(
		pool.settled(50),
		Pool { stake: 190, shares: 100, vesting: 0, vesting_from: 50, vesting_until: 50 }
	);
}

/// Review of issue 10: a dust position left behind does not collect the unreleased emission of
/// the big seller who leaves; it is burned.
#[test]
fn a_seller_forfeits_its_unreleased_emission() {
	build_and_execute(|| {
		assert_ok!(Staking::set_take(RuntimeOrigin::signed(1), 10, Perbill::zero()));
		assert_ok!(Staking::add_stake(RuntimeOrigin::signed(1), 10, 100_000));
		assert_ok!(Staking::credit_emission(&10, 10_000, 100));
		System::set_block_number(2);
		// A dust position front-runs the owner's exit.
		assert_ok!(Staking::add_stake(RuntimeOrigin::signed(3), 10, 200));
		let owner = Staking::stake_of_coldkey(&10, &1);
		assert_eq!(owner, 100_100);
		assert_ok!(Staking::remove_stake(RuntimeOrigin::signed(1), 10, owner));
		// The owner's part of the 9,900 still vesting: 9,900 · 100,000 / 100,199 shares.
		System::assert_has_event(
			Event::VestingForfeited { hotkey: 10, coldkey: 1, amount: 9_880 }.into(),
		);
		// The dust gets its own part (20), not the owner's 9,880.
		System::set_block_number(200);
		assert_eq!(Staking::stake_of_coldkey(&10, &3), 220);
	});
}

/// Every position on hotkey 10 with its value, and the pool, at the current block.
fn positions_of_10() -> (Pool, Vec<(u64, u128)>) {
	let mut positions: Vec<(u64, u128)> = Shares::<Test>::iter_prefix(10)
		.map(|(c, _)| (c, Staking::stake_of_coldkey(&10, &c)))
		.collect();
	positions.sort_unstable();
	(Staking::pool(&10), positions)
}

/// Hotkey 10 with three nominators (its owner, 3 and 4), a lowered take and emission still
/// vesting: what a swap has to carry over.
fn busy_hotkey_10() {
	assert_ok!(Staking::add_stake(RuntimeOrigin::signed(1), 10, 1_000));
	assert_ok!(Staking::add_stake(RuntimeOrigin::signed(3), 10, 2_000));
	assert_ok!(Staking::add_stake(RuntimeOrigin::signed(4), 10, 3_000));
	assert_ok!(Staking::set_take(RuntimeOrigin::signed(1), 10, Perbill::from_percent(9)));
	assert_ok!(Staking::credit_emission(&10, 1_000, 10));
	System::set_block_number(4);
}

#[test]
fn a_swap_moves_the_pool_every_position_and_the_take() {
	build_and_execute(|| {
		busy_hotkey_10();
		let (pool, positions) = positions_of_10();
		let total = TotalStake::<Test>::get();
		let free_before: Vec<u128> = (1..=4).map(free).collect();

		assert_ok!(Staking::swap_hotkey(&10, &12));
		System::assert_last_event(
			Event::HotkeySwapped { old_hotkey: 10, new_hotkey: 12, coldkey: 1 }.into(),
		);

		// Nothing is left under 10.
		assert_eq!(Owner::<Test>::get(10), None);
		assert!(!Pools::<Test>::contains_key(10));
		assert_eq!(Shares::<Test>::iter_prefix(10).count(), 0);
		assert!(Take::<Test>::get(10).is_none() && LastTakeChange::<Test>::get(10).is_none());
		assert_eq!(Registrations::<Test>::get(10), 0);
		assert!(!Staking::hotkey_in_use(&10));
		// 12 holds exactly what 10 held: the same pool, shares and values, vesting included.
		assert_eq!(Owner::<Test>::get(12), Some(1));
		assert_eq!(Staking::pool(&12), pool);
		let mut moved: Vec<(u64, u128)> = Shares::<Test>::iter_prefix(12)
			.map(|(c, _)| (c, Staking::stake_of_coldkey(&12, &c)))
			.collect();
		moved.sort_unstable();
		assert_eq!(moved, positions);
		for c in [1, 3, 4] {
			assert!(Nominations::<Test>::contains_key(c, 12));
			assert!(!Nominations::<Test>::contains_key(c, 10));
		}
		assert_eq!(Staking::take_of(&12), Perbill::from_percent(9));
		assert_eq!(LastTakeChange::<Test>::get(12), Some(1));
		assert_eq!(Registrations::<Test>::get(12), 1);
		assert_eq!(TotalStake::<Test>::get(), total);
		// No AGR moved.
		assert_eq!((1..=4).map(free).collect::<Vec<_>>(), free_before);
		// The new hotkey's account exists for its fee-less calls; the old one's stays.
		assert!(System::account_exists(&12) && System::account_exists(&10));
	});
}

#[test]
fn after_a_swap_nominators_unstake_from_the_new_hotkey_only() {
	build_and_execute(|| {
		busy_hotkey_10();
		assert_ok!(Staking::swap_hotkey(&10, &12));
		// The rest of the emission vests on the new hotkey as it would have on the old.
		System::set_block_number(11);
		let value = Staking::stake_of_coldkey(&12, &3);
		assert!(value > 2_000, "the vested emission followed the pool: {value}");
		assert_noop!(
			Staking::remove_stake(RuntimeOrigin::signed(3), 10, 1),
			Error::<Test>::InsufficientStake
		);
		assert_ok!(Staking::remove_stake(RuntimeOrigin::signed(3), 12, value));
		assert_eq!(free(3), 1_000_000 - 2_000 + value);
		// The old hotkey is on no subnet: it takes no stake, and emission cannot reach it.
		assert_noop!(
			Staking::add_stake(RuntimeOrigin::signed(3), 10, 1_000),
			Error::<Test>::HotkeyNotRegistered
		);
		assert_noop!(Staking::credit_emission(&10, 1, 10), Error::<Test>::HotkeyNotRegistered);
		// The owner can take the take and its own stake out of the new hotkey, and only there.
		let owner_value = Staking::stake_of_coldkey(&12, &1);
		assert_ok!(Staking::remove_stake(RuntimeOrigin::signed(1), 12, owner_value));
		// Only 4 is left.
		assert_eq!(Shares::<Test>::iter_prefix(12).count(), 1);
	});
}

#[test]
fn a_swap_cannot_take_over_a_hotkey_in_use() {
	build_and_execute(|| {
		busy_hotkey_10();
		// 11 is coldkey 2's: a swap onto it would hand 2's stake and UIDs to 1.
		assert_noop!(Staking::swap_hotkey(&10, &11), Error::<Test>::HotkeyInUse);
		assert_noop!(Staking::swap_hotkey(&10, &10), Error::<Test>::HotkeyInUse);
		// Nobody owns 99: there is nothing to swap.
		assert_noop!(Staking::swap_hotkey(&99, &98), Error::<Test>::HotkeyNotRegistered);
		// A pool with stake but, somehow, no owner still counts as in use.
		Pools::<Test>::insert(98, Pool { stake: 1, shares: 1, ..Default::default() });
		assert!(Staking::hotkey_in_use(&98));
		assert_noop!(Staking::swap_hotkey(&10, &98), Error::<Test>::HotkeyInUse);
		Pools::<Test>::remove(98);
	});
}

#[test]
fn nominator_count_reads_at_most_one_past_the_limit() {
	build_and_execute(|| {
		busy_hotkey_10();
		assert_eq!(Staking::nominator_count(&10, 10), 3);
		assert_eq!(Staking::nominator_count(&10, 3), 3);
		assert_eq!(Staking::nominator_count(&10, 1), 2);
		assert_eq!(Staking::nominator_count(&10, 0), 1);
		assert_eq!(Staking::nominator_count(&11, 5), 0);
	});
}
