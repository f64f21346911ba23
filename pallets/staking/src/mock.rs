//! A test runtime: System, Balances and Staking. Hotkeys 10..19, coldkeys 1..9. Coldkey swaps
//! cost 700 and wait 20 blocks; `Root` resolves them.

#![allow(unreachable_pub, clippy::unwrap_used)]

use crate as pallet_agora_staking;
use frame::testing_prelude::*;
use polkadot_sdk::{
	frame_support::PalletId, pallet_balances, polkadot_sdk_frame as frame, sp_runtime::Perbill,
};

type Block = frame_system::mocking::MockBlock<Test>;

construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Staking: pallet_agora_staking,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<u128>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = u128;
	type ExistentialDeposit = ConstU128<5>;
	type AccountStore = System;
}

parameter_types! {
	pub const StakingPalletId: PalletId = PalletId(*b"agr/stak");
	pub const MaxTake: Perbill = Perbill::from_percent(18);
	pub const DefaultTake: Perbill = Perbill::from_percent(18);
}

impl pallet_agora_staking::Config for Test {
	type Currency = Balances;
	type PalletId = StakingPalletId;
	type MinStake = ConstU128<100>;
	type MaxTake = MaxTake;
	type DefaultTake = DefaultTake;
	type TakeRateLimit = ConstU64<5>;
	type OnStakeDecrease = ();
	type WeightInfo = ();
	type ColdkeySwapCost = ConstU128<COLDKEY_SWAP_COST>;
	type ColdkeySwapDelay = ConstU64<COLDKEY_SWAP_DELAY>;
	type ResolveOrigin = polkadot_sdk::frame_system::EnsureRoot<u64>;
	type OnColdkeySwap = ();
}

/// What a coldkey swap's announcement burns in the mock.
pub const COLDKEY_SWAP_COST: u128 = 700;
/// Blocks from a coldkey swap's announcement to its first executable block in the mock.
pub const COLDKEY_SWAP_DELAY: u64 = 20;

/// Genesis: coldkeys 1..=4 hold 1_000_000 each, the pallet account its existential deposit.
pub fn new_test_ext() -> TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: (1..=4).map(|c| (c, 1_000_000)).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_agora_staking::GenesisConfig::<Test>::default()
		.assimilate_storage(&mut storage)
		.unwrap();
	TestExternalities::new(storage)
}

/// [`new_test_ext`], with hotkey 10 registered to coldkey 1 and 11 to coldkey 2; checks the
/// invariants and issuance after `test`.
pub fn build_and_execute(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		System::set_block_number(1);
		Staking::register_hotkey(&10, &1).unwrap();
		Staking::register_hotkey(&11, &2).unwrap();
		let issuance = Balances::total_issuance();
		test();
		Staking::do_try_state().unwrap();
		// Staking moves AGR but never creates or destroys it, except emission credited, vesting
		// forfeited and coldkey swap announcements (burned).
		let (mut credited, mut forfeited) = (0u128, 0u128);
		for r in System::events() {
			match r.event {
				RuntimeEvent::Staking(crate::Event::EmissionCredited { amount, .. }) => {
					credited += amount
				},
				RuntimeEvent::Staking(crate::Event::VestingForfeited { amount, .. }) => {
					forfeited += amount
				},
				// A coldkey swap's announcement burns its cost.
				RuntimeEvent::Staking(crate::Event::ColdkeySwapAnnounced { cost, .. }) => {
					forfeited += cost
				},
				_ => {},
			}
		}
		assert_eq!(
			Balances::total_issuance(),
			issuance + credited - forfeited,
			"issuance not conserved"
		);
	});
}
