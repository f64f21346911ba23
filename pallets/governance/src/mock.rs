//! A test runtime: System and Governance, with the validators and the senate kept in
//! thread-locals the tests fill.

#![allow(unreachable_pub, clippy::unwrap_used)]

use crate as pallet_governance;
use crate::{GovernancePeriods, SenateMembership, SenateSource};
use core::cell::RefCell;
use frame::testing_prelude::*;
use polkadot_sdk::polkadot_sdk_frame as frame;

type Block = frame_system::mocking::MockBlock<Test>;

construct_runtime!(
	pub enum Test {
		System: frame_system,
		Governance: pallet_governance,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

thread_local! {
	/// `(hotkey, stake)` of every validator.
	static VALIDATORS: RefCell<Vec<(u64, u128)>> = const { RefCell::new(Vec::new()) };
	static SENATE: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

/// Makes `who` a validator with `stake`.
pub(crate) fn set_validator(who: u64, stake: u128) {
	VALIDATORS.with(|v| {
		let mut v = v.borrow_mut();
		v.retain(|(w, _)| *w != who);
		v.push((who, stake));
	});
}

/// Takes `who`'s permit away.
pub(crate) fn drop_validator(who: u64) {
	VALIDATORS.with(|v| v.borrow_mut().retain(|(w, _)| *w != who));
}

/// Validators ranked by stake, most first, ties to the lower id.
pub struct MockValidators;
impl SenateSource<u64> for MockValidators {
	fn top_validators(seats: u32) -> (Vec<u64>, Weight) {
		let mut all = VALIDATORS.with(|v| v.borrow().clone());
		all.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
		(all.into_iter().take(seats as usize).map(|(w, _)| w).collect(), Weight::zero())
	}
}

/// The senate of the mock.
pub struct MockSenate;
impl SenateMembership<u64> for MockSenate {
	fn members() -> Vec<u64> {
		SENATE.with(|s| s.borrow().clone())
	}
	fn set_members(new: &[u64], _old: &[u64]) -> Weight {
		SENATE.with(|s| *s.borrow_mut() = new.to_vec());
		Weight::zero()
	}
	fn max_set_members_weight() -> Weight {
		Weight::zero()
	}
}

thread_local! {
	static ONGOING: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
	static CANCELLED: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
}

/// Makes referendum `index` ongoing in the mock.
pub(crate) fn open_referendum(index: u32) {
	ONGOING.with(|o| o.borrow_mut().push(index));
}

/// Referenda the senate cancelled.
pub(crate) fn cancelled() -> Vec<u32> {
	CANCELLED.with(|c| c.borrow().clone())
}

/// Referenda of the mock.
pub struct MockReferenda;
impl crate::CancelReferendum for MockReferenda {
	fn is_ongoing(index: u32) -> bool {
		ONGOING.with(|o| o.borrow().contains(&index))
	}
	fn cancel(index: u32) -> polkadot_sdk::sp_runtime::DispatchResult {
		ONGOING.with(|o| o.borrow_mut().retain(|i| *i != index));
		CANCELLED.with(|c| c.borrow_mut().push(index));
		Ok(())
	}
	fn cancel_weight() -> Weight {
		Weight::zero()
	}
	#[cfg(feature = "runtime-benchmarks")]
	fn ongoing_for_benchmarks() -> u32 {
		open_referendum(0);
		0
	}
}

impl pallet_governance::Config for Test {
	type AdminOrigin = EnsureRoot<u64>;
	type Candidates = MockValidators;
	type Senate = MockSenate;
	type SenateSeats = ConstU32<3>;
	type Referenda = MockReferenda;
	type MinSenateToCancel = ConstU32<3>;
	type WeightInfo = ();
}

/// Dev-chain periods: the senate refreshes every 10 blocks.
pub(crate) const PERIODS: GovernancePeriods = GovernancePeriods {
	prepare: 2,
	decision: 20,
	confirm: 3,
	min_enactment: 2,
	undeciding_timeout: 40,
	vote_locking: 10,
	senate_term: 10,
};

/// Runs `test` on a chain with [`PERIODS`] at block 1, then checks the pallet's invariants.
pub(crate) fn build_and_execute(test: impl FnOnce()) {
	VALIDATORS.with(|v| v.borrow_mut().clear());
	SENATE.with(|s| s.borrow_mut().clear());
	ONGOING.with(|o| o.borrow_mut().clear());
	CANCELLED.with(|c| c.borrow_mut().clear());
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_governance::GenesisConfig::<Test> { periods: Some(PERIODS), ..Default::default() }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext = TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		test();
		pallet_governance::Pallet::<Test>::do_try_state().unwrap();
	});
}

/// Runs the hooks of every block up to `n`.
pub(crate) fn run_to(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		<Governance as Hooks<u64>>::on_initialize(next);
	}
}
