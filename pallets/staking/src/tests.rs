//! Unit tests: every call's success and error paths, share-pool arithmetic, emission credit.

use crate::{mock::*, Error, Event, Pool, Pools, Shares, TotalStake};
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
		// Raising: once, then not again within 5 blocks.
		assert_ok!(Staking::set_take(RuntimeOrigin::signed(1), 10, Perbill::from_percent(10)));
		assert_noop!(
			Staking::set_take(RuntimeOrigin::signed(1), 10, Perbill::from_percent(12)),
			Error::<Test>::TakeRateLimited
		);
		System::set_block_number(6);
		assert_ok!(Staking::set_take(RuntimeOrigin::signed(1), 10, Perbill::from_percent(12)));
		assert_eq!(Staking::take_of(&10), Perbill::from_percent(12));
	});
}

#[test]
fn emission_raises_every_nominator_and_pays_the_take() {
	build_and_execute(|| {
		assert_ok!(Staking::add_stake(RuntimeOrigin::signed(1), 10, 1_000));
		assert_ok!(Staking::add_stake(RuntimeOrigin::signed(3), 10, 1_000));
		assert_ok!(Staking::credit_emission(&10, 1_000));
		System::assert_last_event(
			Event::EmissionCredited { hotkey: 10, amount: 1_000, take: 180 }.into(),
		);
		// 820 shared pro rata (410 each), the owner's 180 take bought as shares.
		assert_eq!(Staking::stake_of_coldkey(&10, &3), 1_410);
		assert_eq!(Staking::stake_of_coldkey(&10, &1), 1_589);
		assert_eq!(Staking::stake_of(&10), 3_000);
		assert_eq!(TotalStake::<Test>::get(), 3_000);
		// Everyone can take their value out.
		assert_ok!(Staking::remove_stake(RuntimeOrigin::signed(3), 10, 1_410));
		assert_eq!(free(3), 1_000_410);
	});
}

#[test]
fn emission_to_an_empty_pool_goes_to_the_owner() {
	build_and_execute(|| {
		assert_ok!(Staking::credit_emission(&11, 700));
		assert_eq!(Staking::stake_of_coldkey(&11, &2), 700);
		assert_noop!(Staking::credit_emission(&99, 1), Error::<Test>::HotkeyNotRegistered);
		assert_ok!(Staking::credit_emission(&11, 0));
	});
}

#[test]
fn the_last_seller_collects_rounding_dust() {
	build_and_execute(|| {
		assert_ok!(Staking::add_stake(RuntimeOrigin::signed(1), 10, 1_000));
		assert_ok!(Staking::add_stake(RuntimeOrigin::signed(3), 10, 1_000));
		assert_ok!(Staking::credit_emission(&10, 1_000));
		assert_ok!(Staking::remove_stake(RuntimeOrigin::signed(3), 10, 1_410));
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
	});
}

#[test]
fn share_price_math_rounds_in_the_pools_favour() {
	let pool = Pool { stake: 3_000, shares: 2_127 };
	assert_eq!(pool.shares_for(180), 127);
	assert_eq!(pool.shares_to_withdraw(1), 1);
	assert_eq!(pool.value_of(1_000), 1_410);
	let empty = Pool::default();
	assert_eq!(empty.shares_for(50), 50);
	assert_eq!(empty.value_of(50), 0);
	let huge = Pool { stake: u128::MAX / 2, shares: u128::MAX / 3 };
	assert!(huge.value_of(u128::MAX / 3) <= u128::MAX / 2);
}
