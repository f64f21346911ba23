//! A test runtime: System, Balances, the real staking and subnets pallets, and Rewards.
//!
//! Coldkeys 1..=9 hold 1,000 AGR each; hotkeys are 10 and above. Subnets start with tempo 10,
//! 4 validator permits for stakes of at least 1 AGR, and burns of 100 plancks and up.

#![allow(unreachable_pub, clippy::unwrap_used)]

use crate as pallet_rewards;
use agora_primitives::{Balance, NetUid, SubnetHyperparams, TaskKind, Uid};
use frame::testing_prelude::*;
use polkadot_sdk::{
	frame_support::{traits::fungible::Mutate, PalletId},
	pallet_balances, polkadot_sdk_frame as frame,
	sp_runtime::Perbill,
};

type Block = frame_system::mocking::MockBlock<Test>;

/// One AGR in plancks.
pub const AGR: Balance = 1_000_000_000;
/// The issuance cap: 21M AGR.
pub const CAP: Balance = 21_000_000 * AGR;
/// What each coldkey 1..=9 holds at genesis.
pub const ENDOWMENT: Balance = 1_000 * AGR;

construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Staking: pallet_agora_staking,
		Subnets: pallet_subnets,
		Rewards: pallet_rewards,
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
	pub const BurnDecay: Perbill = Perbill::from_percent(99);
	pub const BurnIncrease: Perbill = Perbill::from_percent(10);
	pub const OwnerCut: Perbill = Perbill::from_percent(18);
	/// No treasury share unless a test sets one, so the other tests' figures stay whole.
	pub static TreasuryCut: Perbill = Perbill::zero();
	pub const TreasuryAccount: u64 = 999;
	pub DefaultHyperparams: SubnetHyperparams = SubnetHyperparams {
		tempo: 10,
		max_uids: 64,
		immunity_period: 100,
		min_allowed_weights: 1,
		max_allowed_weights: 64,
		max_weight_limit: u16::MAX,
		weights_rate_limit: 1,
		weights_version_key: 0,
		activity_cutoff: 1_000,
		kappa: 32_767,
		bonds_moving_average: 900_000,
		max_validators: 4,
		min_validator_stake: AGR,
		commit_reveal: false,
		reveal_period: 1,
		min_burn: 100,
		max_burn: 10_000,
		task: TaskKind::TextGeneration,
	};
	/// Most epochs per block; tests may lower it.
	pub static MaxEpochsPerBlock: u32 = 2;
	pub static MaxPayoutsPerBlock: u32 = 256;
	/// Emission per block before halvings; tests may change it (at most the cap).
	pub static BlockEmission: Balance = AGR;
	/// AGR the test minted itself (not emission), for the issuance check of
	/// [`build_and_execute`].
	pub static TestMinted: Balance = 0;
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
	type ColdkeySwapCost = ConstU128<700>;
	type ColdkeySwapDelay = ConstU64<COLDKEY_SWAP_DELAY>;
	type ResolveOrigin = polkadot_sdk::frame_system::EnsureRoot<u64>;
	type OnColdkeySwap = Subnets;
}

/// Blocks from a coldkey swap's announcement to its first executable block in the mock.
const COLDKEY_SWAP_DELAY: u64 = 20;

impl pallet_subnets::Config for Test {
	type Currency = Balances;
	type Stake = Staking;
	type AdminOrigin = frame_system::EnsureRoot<u64>;
	type MaxUidsLimit = ConstU32<4096>;
	type MaxSubnets = ConstU16<16>;
	type MinSubnetCost = ConstU128<1_000>;
	type SubnetCostDecay = ConstU32<100>;
	type BurnDecay = BurnDecay;
	type BurnIncrease = BurnIncrease;
	type HyperparamsRateLimit = ConstU32<10>;
	type ServeRateLimit = ConstU32<5>;
	type DefaultHyperparams = DefaultHyperparams;
	type WeightInfo = ();
	type KeySwapCost = ConstU128<KEY_SWAP_COST>;
	type KeySwapRateLimit = ConstU32<10>;
	type PayoutsQueued = Rewards;
	type OnHotkeySwap = ();
}

/// What a hotkey swap burns in the mock.
pub const KEY_SWAP_COST: Balance = 1_000;

impl pallet_rewards::Config for Test {
	type Currency = Balances;
	type Subnets = Subnets;
	type Stake = Staking;
	type BlockEmission = BlockEmission;
	type IssuanceCap = ConstU128<CAP>;
	type OwnerCut = OwnerCut;
	type TreasuryCut = TreasuryCut;
	type TreasuryAccount = TreasuryAccount;
	type MaxEpochsPerBlock = MaxEpochsPerBlock;
	type MaxPayoutsPerBlock = MaxPayoutsPerBlock;
	type WeightInfo = ();
}

/// Genesis: coldkeys 1..=9 endowed, the staking account holding its existential deposit; block 1.
pub fn new_test_ext() -> TestState {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: (1..=9).map(|c| (c, ENDOWMENT)).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_agora_staking::GenesisConfig::<Test>::default()
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext = TestState::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Runs `test` at block 1, then checks every pallet's invariants and that issuance moved only by
/// burns (subnet creations, registrations, hotkey swaps, forfeited vesting), emission (`EpochRun`'s cut, `EmissionPaid`) and the
/// test's own mints.
pub fn build_and_execute(test: impl FnOnce()) {
	MaxEpochsPerBlock::set(2);
	MaxPayoutsPerBlock::set(256);
	BlockEmission::set(AGR);
	TestMinted::set(0);
	new_test_ext().execute_with(|| {
		let issuance = Balances::total_issuance();
		test();
		Rewards::do_try_state().unwrap();
		Subnets::do_try_state().unwrap();
		Staking::do_try_state().unwrap();
		let (mut burned, mut emitted) = (0, 0);
		for record in System::events() {
			match record.event {
				RuntimeEvent::Subnets(pallet_subnets::Event::SubnetCreated { cost, .. })
				| RuntimeEvent::Subnets(pallet_subnets::Event::NeuronRegistered { cost, .. })
				| RuntimeEvent::Subnets(pallet_subnets::Event::HotkeySwapped { cost, .. })
				| RuntimeEvent::Staking(pallet_agora_staking::Event::VestingForfeited {
					amount: cost,
					..
				}) => burned += cost,
				// Minted: the owner's cut at the epoch, the neurons' payouts page by page.
				RuntimeEvent::Rewards(crate::Event::EpochRun { owner_cut: amount, .. })
				| RuntimeEvent::Rewards(crate::Event::EmissionPaid { amount, .. })
				| RuntimeEvent::Rewards(crate::Event::TreasuryFunded { amount }) => emitted += amount,
				_ => {},
			}
		}
		assert_eq!(crate::TotalEmitted::<Test>::get(), emitted, "TotalEmitted differs from events");
		assert_eq!(
			Balances::total_issuance(),
			issuance - burned + emitted + TestMinted::get(),
			"issuance not conserved"
		);
	});
}

/// Runs the blocks after the current one up to `n`, with every pallet's hooks.
pub fn run_to_block(n: u64) {
	System::run_to_block::<AllPalletsWithSystem>(n);
}

/// Mints `amount` to `who` outside emission (to move issuance), recording it for the issuance
/// check.
pub fn mint(who: u64, amount: Balance) {
	Balances::mint_into(&who, amount).unwrap();
	TestMinted::set(TestMinted::get() + amount);
}

/// Raises total issuance to exactly `target` by minting to account 100.
pub fn set_issuance(target: Balance) {
	let now = Balances::total_issuance();
	assert!(target >= now, "issuance can only be raised");
	if target > now {
		mint(100, target - now);
	}
}

/// `owner` creates a subnet; its id.
pub fn create_subnet(owner: u64) -> NetUid {
	assert_ok!(Subnets::create_subnet(
		RuntimeOrigin::signed(owner),
		TaskKind::TextGeneration,
		u128::MAX
	));
	pallet_subnets::NextNetUid::<Test>::get() - 1
}

/// `coldkey` registers `hotkey` on `netuid`; its UID.
pub fn register(netuid: NetUid, coldkey: u64, hotkey: u64) -> Uid {
	assert_ok!(Subnets::register(RuntimeOrigin::signed(coldkey), netuid, hotkey, u128::MAX));
	pallet_subnets::Uids::<Test>::get(netuid, hotkey).unwrap()
}

/// `coldkey` stakes `amount` on `hotkey`.
pub fn stake(coldkey: u64, hotkey: u64, amount: Balance) {
	assert_ok!(Staking::add_stake(RuntimeOrigin::signed(coldkey), hotkey, amount));
}

/// The rewards pallet's events, oldest first.
pub fn rewards_events() -> Vec<crate::Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Rewards(e) => Some(e),
			_ => None,
		})
		.collect()
}
