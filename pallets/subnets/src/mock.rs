//! A test runtime: System, Balances, the real Staking pallet and Subnets.
//!
//! Coldkeys 1..=4 hold 1_000_000 each and coldkey 5 exactly `MinSubnetCost` (1_000); hotkeys are
//! 10 and up. New subnets hold at most 4 neurons, immune for 5 blocks, with tempo 10.

#![allow(unreachable_pub, clippy::unwrap_used)]

use crate as pallet_subnets;
use agora_primitives::{SubnetHyperparams, TaskKind};
use frame::testing_prelude::*;
use polkadot_sdk::{
	frame_support::{traits::OnInitialize, PalletId},
	frame_system::EnsureRoot,
	pallet_balances, polkadot_sdk_frame as frame,
	sp_runtime::Perbill,
};

type Block = frame_system::mocking::MockBlock<Test>;

construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Staking: pallet_agora_staking,
		Subnets: pallet_subnets,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<u128>;
	/// Non-zero, so that the weights the coldkey-swap hook counts can be compared with its bound.
	type DbWeight = polkadot_sdk::frame_support::weights::constants::RocksDbWeight;
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
	type OnStakeDecrease = Subnets;
	type WeightInfo = ();
	type ColdkeySwapCost = ConstU128<COLDKEY_SWAP_COST>;
	type ColdkeySwapDelay = ConstU64<COLDKEY_SWAP_DELAY>;
	type ResolveOrigin = polkadot_sdk::frame_system::EnsureRoot<u64>;
	type OnColdkeySwap = Subnets;
}

/// What a coldkey swap's announcement burns in the mock.
pub const COLDKEY_SWAP_COST: u128 = 700;
/// Blocks from a coldkey swap's announcement to its first executable block in the mock.
pub const COLDKEY_SWAP_DELAY: u64 = 20;

parameter_types! {
	pub const BurnDecay: Perbill = Perbill::from_percent(90);
	pub const BurnIncrease: Perbill = Perbill::from_percent(50);
	/// Small, test-friendly hyperparameters.
	pub TestHyperparams: SubnetHyperparams = SubnetHyperparams {
		tempo: 10,
		max_uids: 4,
		immunity_period: 5,
		min_allowed_weights: 1,
		max_allowed_weights: 4,
		max_weight_limit: u16::MAX,
		weights_rate_limit: 2,
		weights_version_key: 0,
		activity_cutoff: 100,
		kappa: 32_767,
		bonds_moving_average: 900_000,
		max_validators: 4,
		min_validator_stake: 0,
		commit_reveal: false,
		reveal_period: 1,
		min_burn: 10,
		max_burn: 1_000_000,
		task: TaskKind::TextGeneration,
	};
}

impl pallet_subnets::Config for Test {
	type Currency = Balances;
	type Stake = Staking;
	type AdminOrigin = EnsureRoot<u64>;
	type MaxUidsLimit = ConstU32<4096>;
	type MaxSubnets = ConstU16<8>;
	type MinSubnetCost = ConstU128<1_000>;
	type SubnetCostDecay = ConstU32<100>;
	type BurnDecay = BurnDecay;
	type BurnIncrease = BurnIncrease;
	type HyperparamsRateLimit = ConstU32<10>;
	type ServeRateLimit = ConstU32<5>;
	type DefaultHyperparams = TestHyperparams;
	type WeightInfo = ();
	type KeySwapCost = ConstU128<KEY_SWAP_COST>;
	type KeySwapRateLimit = ConstU32<10>;
	type PayoutsQueued = PayoutsQueuedOn;
	type OnHotkeySwap = ();
}

/// What a hotkey swap burns in the mock.
pub const KEY_SWAP_COST: u128 = 500;

parameter_types! {
	/// The subnet whose payouts the mock says are still queued, if any (tests set it).
	pub static QueuedPayouts: Option<u16> = None;
}

/// [`QueuedPayouts`] as the pallet asks for it.
pub struct PayoutsQueuedOn;
impl agora_primitives::traits::PayoutsQueued for PayoutsQueuedOn {
	fn queued(netuid: u16) -> bool {
		QueuedPayouts::get() == Some(netuid)
	}
}

/// Genesis: coldkeys 1..=4 with 1_000_000, coldkey 5 with 1_000, the staking pallet's account
/// endowed.
pub fn new_test_ext() -> TestState {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: (1..=4).map(|c| (c, 1_000_000)).chain([(5, 1_000)]).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_agora_staking::GenesisConfig::<Test>::default()
		.assimilate_storage(&mut storage)
		.unwrap();
	TestState::new(storage)
}

/// AGR burned so far: the `cost` of every `SubnetCreated`, `NeuronRegistered`,
/// `HotkeySwapped` and (staking's) `ColdkeySwapAnnounced` event.
pub fn burned() -> u128 {
	System::events()
		.iter()
		.filter_map(|r| match &r.event {
			RuntimeEvent::Subnets(crate::Event::SubnetCreated { cost, .. })
			| RuntimeEvent::Subnets(crate::Event::NeuronRegistered { cost, .. })
			| RuntimeEvent::Subnets(crate::Event::HotkeySwapped { cost, .. })
			| RuntimeEvent::Staking(pallet_agora_staking::Event::ColdkeySwapAnnounced {
				cost,
				..
			}) => Some(*cost),
			_ => None,
		})
		.sum()
}

/// Runs `test` at block 1, then checks both pallets' invariants and that the only AGR gone is
/// what registrations and subnet creations burned.
pub fn build_and_execute(test: impl FnOnce()) {
	QueuedPayouts::set(None);
	new_test_ext().execute_with(|| {
		System::set_block_number(1);
		let issuance = Balances::total_issuance();
		test();
		Subnets::do_try_state().unwrap();
		Staking::do_try_state().unwrap();
		assert_eq!(Balances::total_issuance(), issuance - burned(), "issuance not conserved");
	});
}

/// Moves on to block `n`, running the pallets' `on_initialize` hooks of each block on the way.
/// Events are kept (no `System::initialize`), so the issuance check still sees every burn.
pub fn run_to_block(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		AllPalletsWithSystem::on_initialize(next);
	}
}

/// Moves on by `n` blocks.
pub fn run_blocks(n: u64) {
	run_to_block(System::block_number() + n);
}
