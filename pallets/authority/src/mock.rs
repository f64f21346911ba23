//! A test runtime: System and Authority, with session-key registration modelled by a set the
//! tests fill.

#![allow(unreachable_pub, clippy::unwrap_used)]

use crate as pallet_authority;
use core::cell::RefCell;
use frame::testing_prelude::*;
use polkadot_sdk::{frame_support::traits::ValidatorRegistration, polkadot_sdk_frame as frame};

type Block = frame_system::mocking::MockBlock<Test>;

construct_runtime!(
	pub enum Test {
		System: frame_system,
		Authority: pallet_authority,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

thread_local! {
	static HAS_KEYS: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

/// Registers session keys for `who` in the mock.
pub(crate) fn give_keys(who: u64) {
	HAS_KEYS.with(|k| k.borrow_mut().push(who));
}

/// Session-key registry of the mock.
pub struct MockKeys;
impl ValidatorRegistration<u64> for MockKeys {
	fn is_registered(id: &u64) -> bool {
		HAS_KEYS.with(|k| k.borrow().contains(id))
	}
}

impl pallet_authority::Config for Test {
	type AdminOrigin = EnsureRoot<u64>;
	type MaxValidators = ConstU32<4>;
	type MinValidators = ConstU32<1>;
	type ValidatorRegistration = MockKeys;
	type WeightInfo = ();
}

/// Runs `test` on a chain whose genesis has validators 1 and 2 (with keys), 1 s slots and
/// 10-block sessions, then checks the pallet's invariants.
pub(crate) fn build_and_execute(test: impl FnOnce()) {
	HAS_KEYS.with(|k| k.borrow_mut().clear());
	give_keys(1);
	give_keys(2);
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_authority::GenesisConfig::<Test> {
		validators: vec![1, 2],
		slot_duration_ms: 1_000,
		session_length: 10,
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		test();
		pallet_authority::Pallet::<Test>::do_try_state().unwrap();
	});
}
