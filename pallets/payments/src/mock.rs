//! A test runtime: System, Balances and Payments. Consumers 1..9 (1..=4 funded), providers
//! 10..19 (unfunded); signatures are `TestSignature`s, valid when they name the signer and carry
//! the exact payload.

#![allow(unreachable_pub, clippy::unwrap_used)]

use crate as pallet_payments;
use frame::testing_prelude::*;
use polkadot_sdk::{
	frame_support::PalletId, pallet_balances, polkadot_sdk_frame as frame,
	sp_runtime::testing::TestSignature,
};

type Block = frame_system::mocking::MockBlock<Test>;

construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Payments: pallet_payments,
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
	pub const PaymentsPalletId: PalletId = PalletId(*b"agr/paym");
}

impl pallet_payments::Config for Test {
	type Currency = Balances;
	type PalletId = PaymentsPalletId;
	type Signature = TestSignature;
	type MinDeposit = ConstU128<100>;
	type MaxChannelsPerConsumer = ConstU32<3>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchmarkHelper;
}

/// Signs with `TestSignature`: accounts 1000 and up.
#[cfg(feature = "runtime-benchmarks")]
pub struct BenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_payments::BenchmarkHelper<u64, TestSignature> for BenchmarkHelper {
	fn signer(seed: u32) -> u64 {
		1_000 + u64::from(seed)
	}

	fn sign(signer: &u64, payload: &[u8]) -> Option<TestSignature> {
		Some(TestSignature(*signer, payload.to_vec()))
	}
}

/// Genesis: consumers 1..=4 hold 1_000_000 each, the pallet account its existential deposit.
pub fn new_test_ext() -> TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: (1..=4).map(|c| (c, 1_000_000)).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_payments::GenesisConfig::<Test>::default().assimilate_storage(&mut storage).unwrap();
	TestExternalities::new(storage)
}

/// [`new_test_ext`] at block 1; checks the invariants after `test`, that the pallet account holds
/// exactly what the channels still owe plus its existential deposit, and that issuance is
/// unchanged (the pallet moves AGR, never mints or burns it).
pub fn build_and_execute(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		System::set_block_number(1);
		let issuance = Balances::total_issuance();
		test();
		Payments::do_try_state().unwrap();
		let owed: u128 = crate::Channels::<Test>::iter_values().map(|c| c.remaining()).sum();
		assert_eq!(
			Balances::free_balance(Payments::account_id()),
			owed + 5,
			"pallet account differs from the channels' remaining deposits + ED"
		);
		assert_eq!(Balances::total_issuance(), issuance, "issuance not conserved");
	});
}
