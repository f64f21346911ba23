//! Configuration of every pallet in the runtime.

use crate::{
	AccountId, Aura, Balance, Balances, Block, BlockNumber, Hash, Nonce, PalletInfo, Runtime,
	RuntimeCall, RuntimeEvent, RuntimeFreezeReason, RuntimeHoldReason, RuntimeOrigin, RuntimeTask,
	Session, SessionKeys, Staking, Subnets, System, AGR, EXISTENTIAL_DEPOSIT, MILLI_AGR,
	SS58_PREFIX, VERSION,
};
use polkadot_sdk::{
	frame_support::{
		derive_impl,
		dispatch::DispatchClass,
		parameter_types,
		traits::{ConstBool, ConstU128, ConstU16, ConstU32, ConstU64, ConstU8, VariantCountOf},
		weights::{
			constants::{ParityDbWeight, WEIGHT_REF_TIME_PER_SECOND},
			ConstantMultiplier, Weight, WeightToFeeCoefficient, WeightToFeeCoefficients,
			WeightToFeePolynomial,
		},
	},
	frame_system::{limits::BlockLength, limits::BlockWeights, EnsureRoot},
	pallet_transaction_payment::{ConstFeeMultiplier, FungibleAdapter, Multiplier},
	sp_consensus_aura::sr25519::AuthorityId as AuraId,
	sp_runtime::{
		traits::{ConvertInto, One, OpaqueKeys},
		Perbill,
	},
	*,
};

pub mod governance;
pub mod proxy;

const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);

parameter_types! {
	pub const BlockHashCount: BlockNumber = 2400;
	pub const Version: sp_version::RuntimeVersion = VERSION;

	/// Two seconds of compute per block: a quarter of the live chain's 12 s slot, and within
	/// reach of the dev chain's 1 s slot because dev blocks are near-empty.
	pub RuntimeBlockWeights: BlockWeights = BlockWeights::with_sensible_defaults(
		Weight::from_parts(2u64 * WEIGHT_REF_TIME_PER_SECOND, u64::MAX),
		NORMAL_DISPATCH_RATIO,
	);
	/// 5 MiB blocks; normal transactions may fill 75 %, the rest is kept for operational ones.
	pub RuntimeBlockLength: BlockLength = BlockLength::builder()
		.max_length(5 * 1024 * 1024)
		.modify_max_length_for_class(DispatchClass::Normal, |max| *max = NORMAL_DISPATCH_RATIO * *max)
		.build();
	pub const SS58Prefix: u16 = SS58_PREFIX;
}

#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
	type Block = Block;
	type BlockWeights = RuntimeBlockWeights;
	type BlockLength = RuntimeBlockLength;
	type AccountId = AccountId;
	type Nonce = Nonce;
	type Hash = Hash;
	type BlockHashCount = BlockHashCount;
	// The node stores state in ParityDB only (no RocksDB in the tree): charge its measured costs.
	type DbWeight = ParityDbWeight;
	type Version = Version;
	type AccountData = pallet_balances::AccountData<Balance>;
	type SS58Prefix = SS58Prefix;
	type MaxConsumers = ConstU32<16>;
}

/// Upper bound of the validator set (Aura, GRANDPA and the authority pallet agree on it).
pub const MAX_VALIDATORS: u32 = 64;

impl pallet_authority::Config for Runtime {
	type AdminOrigin = EnsureRoot<AccountId>;
	type MaxValidators = ConstU32<MAX_VALIDATORS>;
	type MinValidators = ConstU32<1>;
	type ValidatorRegistration = Session;
	type WeightInfo = pallet_authority::weights::SubstrateWeight<Runtime>;
}

#[cfg(feature = "runtime-benchmarks")]
impl pallet_authority::benchmarking::BenchmarkConfig for Runtime {
	type Helper = SessionKeysForBenchmarks;
}

/// Registers throw-away session keys for benchmarked accounts.
#[cfg(feature = "runtime-benchmarks")]
pub struct SessionKeysForBenchmarks;
#[cfg(feature = "runtime-benchmarks")]
impl pallet_authority::benchmarking::BenchmarkHelper<AccountId> for SessionKeysForBenchmarks {
	fn register_keys(who: &AccountId) {
		let mut raw = [0u8; 64];
		raw[..32].copy_from_slice(who.as_ref());
		raw[32..].copy_from_slice(who.as_ref());
		let keys = <SessionKeys as codec::Decode>::decode(&mut &raw[..])
			.expect("64 bytes decode into two public keys");
		// Registered keys are what `ValidatorRegistration` looks at.
		pallet_session::NextKeys::<Runtime>::insert(who, keys);
	}
}

impl pallet_session::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type ValidatorId = AccountId;
	type ValidatorIdOf = ConvertInto;
	type ShouldEndSession =
		pallet_session::PeriodicSessions<pallet_authority::SessionPeriod<Runtime>, ConstU32<0>>;
	type NextSessionRotation =
		pallet_session::PeriodicSessions<pallet_authority::SessionPeriod<Runtime>, ConstU32<0>>;
	type SessionManager = crate::Authority;
	type SessionHandler = <SessionKeys as OpaqueKeys>::KeyTypeIdProviders;
	type Keys = SessionKeys;
	type DisablingStrategy = ();
	type WeightInfo = ();
	type Currency = Balances;
	/// Held while keys are registered, so key storage is not free to spam.
	type KeyDeposit = ConstU128<{ 10 * MILLI_AGR }>;
}

impl pallet_aura::Config for Runtime {
	type AuthorityId = AuraId;
	type DisabledValidators = ();
	type MaxAuthorities = ConstU32<MAX_VALIDATORS>;
	type AllowMultipleBlocksPerSlot = ConstBool<false>;
	type SlotDuration = pallet_authority::SlotDuration<Runtime>;
}

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<MAX_VALIDATORS>;
	type MaxNominators = ConstU32<0>;
	type MaxSetIdSessionEntries = ConstU64<0>;
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

impl pallet_timestamp::Config for Runtime {
	type Moment = u64;
	type OnTimestampSet = Aura;
	type MinimumPeriod = pallet_authority::MinimumPeriod<Runtime>;
	type WeightInfo = ();
}

impl pallet_balances::Config for Runtime {
	type MaxLocks = ConstU32<50>;
	type MaxReserves = ();
	type ReserveIdentifier = [u8; 8];
	type Balance = Balance;
	type RuntimeEvent = RuntimeEvent;
	type DustRemoval = ();
	type ExistentialDeposit = ConstU128<EXISTENTIAL_DEPOSIT>;
	type AccountStore = System;
	type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
	type FreezeIdentifier = RuntimeFreezeReason;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type DoneSlashHandler = ();
}

parameter_types! {
	pub FeeMultiplier: Multiplier = Multiplier::one();
	/// One micro-AGR per byte.
	pub const TransactionByteFee: Balance = crate::MICRO_AGR;
}

impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type OnChargeTransaction = FungibleAdapter<Balances, ()>;
	type OperationalFeeMultiplier = ConstU8<5>;
	type WeightToFee = WeightToFee;
	type LengthToFee = ConstantMultiplier<Balance, TransactionByteFee>;
	type FeeMultiplierUpdate = ConstFeeMultiplier<FeeMultiplier>;
	type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}

/// Fee for weight: one planck per nanosecond of reference compute, so a balance transfer
/// (~150 µs) costs ~0.00015 AGR.
pub struct WeightToFee;
impl WeightToFeePolynomial for WeightToFee {
	type Balance = Balance;
	fn polynomial() -> WeightToFeeCoefficients<Self::Balance> {
		smallvec::smallvec![WeightToFeeCoefficient {
			coeff_integer: 0,
			coeff_frac: Perbill::from_rational(1u32, 1_000u32),
			negative: false,
			degree: 1,
		}]
	}
}

impl pallet_skip_feeless_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
}

impl pallet_sudo::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}

impl pallet_utility::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type PalletsOrigin = crate::OriginCaller;
	type WeightInfo = pallet_utility::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	pub const StakingPalletId: polkadot_sdk::frame_support::PalletId =
		polkadot_sdk::frame_support::PalletId(*b"agr/stak");
	/// A delegate keeps at most 18% of its nominators' emission.
	pub const MaxTake: Perbill = Perbill::from_percent(18);
	/// Bittensor's default delegate take, 18%.
	pub const DefaultTake: Perbill = Perbill::from_percent(18);
}

impl pallet_agora_staking::Config for Runtime {
	type Currency = Balances;
	type PalletId = StakingPalletId;
	/// A position is at least 0.001 AGR (or nothing).
	type MinStake = ConstU128<MILLI_AGR>;
	type MaxTake = MaxTake;
	type DefaultTake = DefaultTake;
	/// A take may be raised once a day on the live chain (7,200 blocks of 12 s).
	type TakeRateLimit = ConstU32<7_200>;
	/// An epoch counts the least stake a hotkey had since the previous one.
	type OnStakeDecrease = Subnets;
	type WeightInfo = pallet_agora_staking::weights::SubstrateWeight<Runtime>;
	/// Announcing a coldkey swap burns 1 AGR, as a hotkey swap does.
	type ColdkeySwapCost = ConstU128<AGR>;
	/// A coldkey swap executes 5 days of 12 s blocks after its announcement (Bittensor's
	/// `ColdkeySwapScheduleDuration`): the old key's time to dispute. The dev chain runs the same
	/// wasm with faster blocks; the constant stays.
	type ColdkeySwapDelay = ConstU32<36_000>;
	/// Disputed coldkey swaps are resolved by referendum (Root; sudo on dev chains).
	type ResolveOrigin = EnsureRoot<AccountId>;
	/// A swapped coldkey's subnets and neurons follow it.
	type OnColdkeySwap = Subnets;
}

parameter_types! {
	/// Each block keeps 99.5% of the registration price: it halves in ~138 blocks without
	/// registrations.
	pub const BurnDecay: Perbill = Perbill::from_parts(995_000_000);
	/// Each registration raises the price by 10% of what it paid.
	pub const BurnIncrease: Perbill = Perbill::from_percent(10);
	pub DefaultHyperparams: agora_primitives::SubnetHyperparams = Default::default();
}

impl pallet_subnets::Config for Runtime {
	type Currency = Balances;
	type Stake = Staking;
	type AdminOrigin = EnsureRoot<AccountId>;
	type MaxUidsLimit = ConstU32<4096>;
	type MaxSubnets = ConstU16<32>;
	/// A subnet costs at least 100 AGR.
	type MinSubnetCost = ConstU128<{ 100 * AGR }>;
	/// The doubled creation price decays over two days of 12 s blocks.
	type SubnetCostDecay = ConstU32<14_400>;
	type BurnDecay = BurnDecay;
	type BurnIncrease = BurnIncrease;
	/// An owner may retune its subnet every 100 blocks (20 min live).
	type HyperparamsRateLimit = ConstU32<100>;
	type ServeRateLimit = ConstU32<10>;
	type DefaultHyperparams = DefaultHyperparams;
	type WeightInfo = pallet_subnets::weights::SubstrateWeight<Runtime>;
	/// A hotkey swap burns 1 AGR from the coldkey (Bittensor's key swap is priced too): enough
	/// that swaps are not a free way to churn identities, small next to a registration.
	type KeySwapCost = ConstU128<AGR>;
	/// A coldkey may swap one hotkey a day (7,200 blocks of 12 s). The dev chain runs the same
	/// wasm with faster blocks, so there the day is shorter in wall time; the constant stays.
	type KeySwapRateLimit = ConstU32<7_200>;
	/// Swaps wait while a subnet the hotkey is on still credits its last epoch's payouts.
	type PayoutsQueued = crate::Rewards;
	/// A senator's seat follows its hotkey.
	type OnHotkeySwap = crate::Governance;
}

parameter_types! {
	/// Subnet owners earn 18% of their subnet's emission.
	pub const OwnerCut: Perbill = Perbill::from_percent(18);
	/// 2% of each block's emission funds the treasury (the Cosmos SDK's default community
	/// tax); the subnets share the other 98%.
	pub const TreasuryCut: Perbill = Perbill::from_percent(2);
}

impl pallet_rewards::Config for Runtime {
	type Currency = Balances;
	type Subnets = Subnets;
	type Stake = Staking;
	/// 1 AGR per block before halvings.
	type BlockEmission = ConstU128<AGR>;
	/// 21 million AGR.
	type IssuanceCap = ConstU128<{ 21_000_000 * AGR }>;
	type OwnerCut = OwnerCut;
	type TreasuryCut = TreasuryCut;
	type TreasuryAccount = governance::TreasuryAccount;
	/// One epoch per block bounds the hook's weight; due epochs queue, most overdue first.
	type MaxEpochsPerBlock = ConstU32<1>;
	/// 64 stake pools credited a block at most (`pay_out(64)`, about 0.7% of a block): a
	/// 256-UID epoch's payouts take 4 blocks, a 4,096-UID one's 64, well within its tempo.
	type MaxPayoutsPerBlock = ConstU32<64>;
	type WeightInfo = pallet_rewards::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	pub const PaymentsPalletId: polkadot_sdk::frame_support::PalletId =
		polkadot_sdk::frame_support::PalletId(*b"agr/paym");
}

impl pallet_payments::Config for Runtime {
	type Currency = Balances;
	type PalletId = PaymentsPalletId;
	/// Vouchers are signed by the consumer's account key, any scheme an account can have.
	type Signature = crate::Signature;
	/// A channel holds at least 0.1 AGR: a channel is state, and its deposit is its rent.
	type MinDeposit = ConstU128<{ 100 * MILLI_AGR }>;
	/// One consumer keeps at most 32 channels open (one per gateway it uses, with room).
	type MaxChannelsPerConsumer = ConstU32<32>;
	type WeightInfo = pallet_payments::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = PaymentsBenchmarkHelper;
}

/// Accounts with sr25519 keys in the benchmark's keystore, to sign vouchers with.
#[cfg(feature = "runtime-benchmarks")]
pub struct PaymentsBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_payments::BenchmarkHelper<AccountId, crate::Signature> for PaymentsBenchmarkHelper {
	fn signer(seed: u32) -> AccountId {
		use polkadot_sdk::sp_runtime::traits::IdentifyAccount;
		let public = polkadot_sdk::sp_io::crypto::sr25519_generate(
			PAYMENTS_KEY_TYPE,
			Some(alloc::format!("//payments-{seed}").into_bytes()),
		);
		polkadot_sdk::sp_runtime::MultiSigner::from(public).into_account()
	}

	fn sign(signer: &AccountId, payload: &[u8]) -> Option<crate::Signature> {
		let public = polkadot_sdk::sp_core::sr25519::Public::from_raw(*signer.as_ref());
		polkadot_sdk::sp_io::crypto::sr25519_sign(PAYMENTS_KEY_TYPE, &public, payload)
			.map(Into::into)
	}
}

/// The keystore key type of [`PaymentsBenchmarkHelper`]'s keys.
#[cfg(feature = "runtime-benchmarks")]
const PAYMENTS_KEY_TYPE: polkadot_sdk::sp_core::crypto::KeyTypeId =
	polkadot_sdk::sp_core::crypto::KeyTypeId(*b"agpy");
