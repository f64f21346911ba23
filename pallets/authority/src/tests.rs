//! Unit tests of the validator set and timing.

#![allow(clippy::unwrap_used)]

use crate::{mock::*, Error, Event, SessionLength, SetChanged, SlotDurationMs, Validators};
use frame::testing_prelude::*;
use polkadot_sdk::{pallet_session::SessionManager, polkadot_sdk_frame as frame};

fn set() -> Vec<u64> {
	Validators::<Test>::get().into_inner()
}

#[test]
fn genesis_sets_validators_and_timing() {
	build_and_execute(|| {
		assert_eq!(set(), vec![1, 2]);
		assert_eq!(SlotDurationMs::<Test>::get(), 1_000);
		assert_eq!(SessionLength::<Test>::get(), 10);
		assert_eq!(crate::MinimumPeriod::<Test>::get(), 500);
		assert_eq!(Authority::new_session_genesis(0), Some(vec![1, 2]));
	});
}

#[test]
fn timing_defaults_to_live_values() {
	TestExternalities::new(Default::default()).execute_with(|| {
		assert_eq!(crate::SlotDuration::<Test>::get(), crate::DEFAULT_SLOT_DURATION_MS);
		assert_eq!(crate::SessionPeriod::<Test>::get(), crate::DEFAULT_SESSION_LENGTH as u64);
	});
}

#[test]
fn add_validator_queues_the_new_set_once() {
	build_and_execute(|| {
		give_keys(3);
		assert_ok!(Authority::add_validator(RuntimeOrigin::root(), 3));
		System::assert_last_event(Event::ValidatorAdded { who: 3 }.into());
		assert_eq!(set(), vec![1, 2, 3]);
		assert!(SetChanged::<Test>::get());
		assert_eq!(Authority::new_session(1), Some(vec![1, 2, 3]));
		// Handed over once: the next rotation keeps the queued set.
		assert_eq!(Authority::new_session(2), None);
	});
}

#[test]
fn add_validator_errors() {
	build_and_execute(|| {
		assert_noop!(Authority::add_validator(RuntimeOrigin::signed(1), 3), BadOrigin);
		assert_noop!(
			Authority::add_validator(RuntimeOrigin::root(), 3),
			Error::<Test>::NoSessionKeys
		);
		assert_noop!(
			Authority::add_validator(RuntimeOrigin::root(), 2),
			Error::<Test>::AlreadyValidator
		);
		for who in [3, 4, 5] {
			give_keys(who);
		}
		assert_ok!(Authority::add_validator(RuntimeOrigin::root(), 3));
		assert_ok!(Authority::add_validator(RuntimeOrigin::root(), 4));
		assert_noop!(
			Authority::add_validator(RuntimeOrigin::root(), 5),
			Error::<Test>::TooManyValidators
		);
	});
}

#[test]
fn remove_validator_and_errors() {
	build_and_execute(|| {
		assert_noop!(Authority::remove_validator(RuntimeOrigin::signed(1), 2), BadOrigin);
		assert_noop!(
			Authority::remove_validator(RuntimeOrigin::root(), 7),
			Error::<Test>::NotValidator
		);
		assert_ok!(Authority::remove_validator(RuntimeOrigin::root(), 2));
		System::assert_last_event(Event::ValidatorRemoved { who: 2 }.into());
		assert_eq!(set(), vec![1]);
		assert_noop!(
			Authority::remove_validator(RuntimeOrigin::root(), 1),
			Error::<Test>::TooFewValidators
		);
		assert_eq!(Authority::new_session(1), Some(vec![1]));
	});
}

#[test]
fn unchanged_set_is_not_requeued() {
	build_and_execute(|| {
		assert_eq!(Authority::new_session(1), None);
	});
}

#[test]
#[should_panic(expected = "duplicate validator")]
fn genesis_rejects_duplicates() {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	crate::GenesisConfig::<Test> { validators: vec![1, 1], slot_duration_ms: 0, session_length: 0 }
		.assimilate_storage(&mut storage)
		.unwrap();
}
