//! Tests of the periods and the senate's refresh.

#![allow(clippy::unwrap_used)]

use crate::{mock::*, Error, Event, GovernancePeriods, Periods};
use frame::testing_prelude::*;
use polkadot_sdk::polkadot_sdk_frame as frame;

fn senate() -> Vec<u64> {
	<MockSenate as crate::SenateMembership<u64>>::members()
}

#[test]
fn genesis_sets_the_chains_periods_and_the_default_is_live() {
	build_and_execute(|| {
		assert_eq!(Periods::<Test>::get(), PERIODS);
		assert_eq!(Governance::periods(), PERIODS);
	});
	assert_eq!(GovernancePeriods::default(), GovernancePeriods::LIVE);
	TestExternalities::default().execute_with(|| {
		assert_eq!(Governance::periods(), GovernancePeriods::LIVE, "a genesis without periods");
	});
}

#[test]
fn only_the_admin_origin_sets_periods_and_bad_ones_are_refused() {
	build_and_execute(|| {
		let new = GovernancePeriods { decision: 30, ..PERIODS };
		assert_noop!(
			Governance::set_periods(RuntimeOrigin::signed(1), new),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Governance::set_periods(
				RuntimeOrigin::root(),
				GovernancePeriods { prepare: 0, ..PERIODS }
			),
			Error::<Test>::ZeroPeriod
		);
		assert_noop!(
			Governance::set_periods(
				RuntimeOrigin::root(),
				GovernancePeriods { confirm: 21, ..PERIODS }
			),
			Error::<Test>::ConfirmLongerThanDecision
		);
		assert_ok!(Governance::set_periods(RuntimeOrigin::root(), new));
		assert_eq!(Periods::<Test>::get(), new);
		System::assert_last_event(Event::PeriodsSet { periods: new }.into());
	});
}

#[test]
fn the_senate_follows_the_top_validators_by_stake_each_term() {
	build_and_execute(|| {
		for (who, stake) in [(1, 100), (2, 500), (3, 300), (4, 50), (5, 400)] {
			set_validator(who, stake);
		}
		run_to(9);
		assert!(senate().is_empty(), "no refresh before the term ends");
		run_to(10);
		assert_eq!(senate(), vec![2, 3, 5], "three seats: the three largest stakes, sorted");
		System::assert_last_event(Event::SenateRefreshed { members: vec![2, 3, 5] }.into());

		// Stake moves and a permit is lost: the next term follows, not before.
		set_validator(4, 1_000);
		drop_validator(5);
		run_to(19);
		assert_eq!(senate(), vec![2, 3, 5]);
		run_to(20);
		assert_eq!(senate(), vec![2, 3, 4]);

		// An unchanged ranking writes nothing and says nothing.
		System::reset_events();
		run_to(30);
		assert_eq!(senate(), vec![2, 3, 4]);
		assert!(System::events().is_empty());
	});
}

#[test]
fn fewer_validators_than_seats_fill_fewer_seats() {
	build_and_execute(|| {
		set_validator(7, 10);
		run_to(10);
		assert_eq!(senate(), vec![7]);
		drop_validator(7);
		run_to(20);
		assert!(senate().is_empty());
	});
}

#[test]
fn a_senators_seat_follows_its_hotkey_swap_and_nobody_elses_moves() {
	use agora_primitives::traits::OnHotkeySwap;
	build_and_execute(|| {
		for (who, stake) in [(1, 100), (2, 500), (3, 300)] {
			set_validator(who, stake);
		}
		run_to(10);
		assert_eq!(senate(), vec![1, 2, 3]);
		// Hotkey 2 is swapped to 9: the seat moves at once, sorted.
		Governance::on_hotkey_swap(&2, &9);
		assert_eq!(senate(), vec![1, 3, 9]);
		System::assert_last_event(Event::SenateSeatMoved { old: 2, new: 9 }.into());
		// A swap of a hotkey outside the senate changes nothing.
		Governance::on_hotkey_swap(&4, &8);
		assert_eq!(senate(), vec![1, 3, 9]);
	});
}

#[test]
fn two_thirds_of_the_senate_cancel_a_referendum_and_one_senator_cannot() {
	use crate::CancelVotes;
	build_and_execute(|| {
		for (who, stake) in [(1, 100), (2, 500), (3, 300)] {
			set_validator(who, stake);
		}
		run_to(10);
		assert_eq!(senate(), vec![1, 2, 3]);
		open_referendum(7);
		assert_noop!(
			Governance::senate_cancel(RuntimeOrigin::signed(4), 7),
			Error::<Test>::NotSenator
		);
		assert_noop!(
			Governance::senate_cancel(RuntimeOrigin::signed(1), 8),
			Error::<Test>::ReferendumNotOngoing
		);
		// One of three: recorded, not enough (two thirds of three is two).
		assert_ok!(Governance::senate_cancel(RuntimeOrigin::signed(1), 7));
		System::assert_last_event(
			Event::SenateCancelVote { index: 7, who: 1, votes: 1, needed: 2 }.into(),
		);
		assert!(cancelled().is_empty());
		assert_noop!(
			Governance::senate_cancel(RuntimeOrigin::signed(1), 7),
			Error::<Test>::AlreadyVoted
		);
		// The second cancels it; its votes are cleared.
		assert_ok!(Governance::senate_cancel(RuntimeOrigin::signed(2), 7));
		assert_eq!(cancelled(), vec![7]);
		assert!(CancelVotes::<Test>::get(7).is_empty());
		System::assert_last_event(Event::ReferendumCancelledBySenate { index: 7, votes: 2 }.into());
		assert_noop!(
			Governance::senate_cancel(RuntimeOrigin::signed(3), 7),
			Error::<Test>::ReferendumNotOngoing
		);
	});
}

#[test]
fn a_senate_below_its_minimum_cannot_cancel_and_former_members_votes_do_not_count() {
	build_and_execute(|| {
		// Two validators: both vote, nothing is cancelled (a young chain's lone validators hold
		// no veto).
		set_validator(1, 100);
		set_validator(2, 500);
		run_to(10);
		assert_eq!(senate(), vec![1, 2]);
		open_referendum(3);
		assert_ok!(Governance::senate_cancel(RuntimeOrigin::signed(1), 3));
		assert_ok!(Governance::senate_cancel(RuntimeOrigin::signed(2), 3));
		assert!(cancelled().is_empty());

		// Three members now, 1 is replaced by 4: 1's vote no longer counts, 2's does.
		drop_validator(1);
		set_validator(3, 300);
		set_validator(4, 400);
		run_to(20);
		assert_eq!(senate(), vec![2, 3, 4]);
		assert_ok!(Governance::senate_cancel(RuntimeOrigin::signed(3), 3));
		assert_eq!(cancelled(), vec![3], "2 and 3 are two thirds of {{2, 3, 4}}");
	});
}
