//! # Agora runtime
//!
//! The state transition function of the Agora chain. It is built twice from this crate: natively
//! (for the node and tests) and to wasm (the on-chain code every node executes).
//!
//! Pallets: System, Timestamp, Aura, Grandpa, Session with [`pallet_authority`] (a validator set
//! governance edits), Balances (AGR, 9 decimals), TransactionPayment, Sudo (dev chains only: the
//! live chain has no sudo key), Utility, Proxy and Multisig (key safety, [`configs::proxy`]),
//! governance ([`configs::governance`]: Preimage, Scheduler, Referenda, ConvictionVoting, Senate,
//! Treasury and [`pallet_governance`]), and Agora's own: Staking ([`pallet_agora_staking`]),
//! Subnets ([`pallet_subnets`]) and Rewards ([`pallet_rewards`]), with the
//! [`agora_primitives::AgoraApi`] runtime API. The block
//! time and session length are genesis values ([`pallet_authority`]), so one wasm serves the dev
//! chain (1 s blocks) and the live chain (12 s blocks).

#![cfg_attr(not(feature = "std"), no_std)]
#![recursion_limit = "256"]
// The runtime macros generate public items without docs.
#![allow(missing_docs)]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

/// The runtime-upgrade tests' runtime: this one built with the `upgrade-test` feature, whose
/// `spec_version` is one higher (`UPGRADE_WASM_BINARY`, `None` with `SKIP_WASM_BUILD=1`).
#[cfg(feature = "std")]
pub mod upgrade_test {
	include!(concat!(env!("OUT_DIR"), "/upgrade_wasm_binary.rs"));
}

extern crate alloc;

use alloc::vec::Vec;

// Benchmarked pallets; its macros are used by `apis.rs`, so it comes first.
#[cfg(feature = "runtime-benchmarks")]
#[macro_use]
mod benches;
pub mod agora_api;
pub mod apis;
pub mod configs;
pub mod genesis_config_presets;
#[cfg(test)]
pub(crate) mod tests;

use polkadot_sdk::{
	sp_runtime::{
		generic, impl_opaque_keys,
		traits::{BlakeTwo256, IdentifyAccount, Verify},
		MultiAddress, MultiSignature,
	},
	*,
};
use sp_version::{runtime_version, RuntimeVersion};

pub use pallet_balances::Call as BalancesCall;
pub use pallet_timestamp::Call as TimestampCall;

/// Types the node needs without knowing the runtime's internals.
pub mod opaque {
	use super::*;
	use sp_runtime::{
		generic,
		traits::{BlakeTwo256, Hash as HashT},
	};

	pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;

	/// Opaque block header type.
	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	/// Opaque block type.
	pub type Block = generic::Block<Header, UncheckedExtrinsic>;
	/// Opaque block identifier type.
	pub type BlockId = generic::BlockId<Block>;
	/// Opaque block hash type.
	pub type Hash = <BlakeTwo256 as HashT>::Output;
}

impl_opaque_keys! {
	/// The keys a validator's node signs with: Aura (block authoring), GRANDPA (finality).
	pub struct SessionKeys {
		/// Aura block-authoring key (sr25519).
		pub aura: Aura,
		/// GRANDPA finality key (ed25519).
		pub grandpa: Grandpa,
	}
}

/// Declares [`VERSION`] with `spec_version` `$spec` (a literal: `#[runtime_version]` writes it
/// into the wasm's `runtime_version` section at compile time).
macro_rules! declare_version {
	($spec:tt) => {
		/// The runtime's version. Bump `spec_version` on every change of logic (both literals
		/// below), `transaction_version` on every change of call encoding.
		#[runtime_version]
		pub const VERSION: RuntimeVersion = RuntimeVersion {
			spec_name: alloc::borrow::Cow::Borrowed("agora"),
			impl_name: alloc::borrow::Cow::Borrowed("agora-node"),
			authoring_version: 1,
			spec_version: $spec,
			impl_version: 1,
			apis: apis::RUNTIME_API_VERSIONS,
			transaction_version: 2,
			system_version: 1,
		};
	};
}

#[cfg(not(feature = "upgrade-test"))]
declare_version!(108);
// The wasm built with the `upgrade-test` feature (`runtime/upgrade-test`) is this runtime with
// one more `spec_version`: the upgrade the end-to-end test enacts by referendum.
#[cfg(feature = "upgrade-test")]
declare_version!(109);

/// An index to a block.
pub type BlockNumber = u32;
/// Alias to 512-bit hash when used in the context of a transaction signature on the chain.
pub type Signature = MultiSignature;
/// Some way of identifying an account on the chain.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;
/// Balance of an account, in plancks (1 AGR = 10^9).
pub type Balance = u128;
/// Index of a transaction in the chain.
pub type Nonce = u32;
/// A hash of some data used by the chain.
pub type Hash = sp_core::H256;

/// Token symbol.
pub const TOKEN_SYMBOL: &str = "AGR";
/// Token decimals.
pub const TOKEN_DECIMALS: u32 = 9;
/// One AGR in its smallest unit.
pub const AGR: Balance = 10u128.pow(TOKEN_DECIMALS);
/// One thousandth of an AGR.
pub const MILLI_AGR: Balance = AGR / 1_000;
/// One millionth of an AGR.
pub const MICRO_AGR: Balance = AGR / 1_000_000;
/// Smallest balance an account may hold.
pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_AGR;
/// SS58 address prefix (the generic Substrate prefix).
pub const SS58_PREFIX: u16 = 42;

/// The address format for describing accounts.
pub type Address = MultiAddress<AccountId, ()>;
/// Block header type.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
/// Block type.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;
/// A block with a justification.
pub type SignedBlock = generic::SignedBlock<Block>;
/// Block identifier.
pub type BlockId = generic::BlockId<Block>;

/// The transaction extensions checked on every signed transaction.
pub type TxExtension = (
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	// Fee-less calls (a registered hotkey's weights and endpoint within its rate limits, see
	// pallet-subnets) skip the fee; everything else pays it. Clients see the inner extension.
	pallet_skip_feeless_payment::SkipCheckIfFeeless<
		Runtime,
		pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
	>,
	frame_system::WeightReclaim<Runtime>,
);

/// Unchecked extrinsic type as expected by this runtime.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;
/// The payload being signed in transactions.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// Storage migrations run on runtime upgrade, each guarded by its pallet's storage version (a
/// no-op once applied). Kept until every chain has run them.
pub type Migrations = (
	pallet_subnets::migrations::v1::MigrateToV1<Runtime>,
	pallet_agora_staking::migrations::v1::MigrateToV1<Runtime>,
);

/// Executive: dispatches incoming extrinsics to the pallets.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;

	#[runtime::pallet_index(1)]
	pub type Timestamp = pallet_timestamp;

	#[runtime::pallet_index(2)]
	pub type Authority = pallet_authority;

	#[runtime::pallet_index(3)]
	pub type Session = pallet_session;

	#[runtime::pallet_index(4)]
	pub type Aura = pallet_aura;

	#[runtime::pallet_index(5)]
	pub type Grandpa = pallet_grandpa;

	#[runtime::pallet_index(6)]
	pub type Balances = pallet_balances;

	#[runtime::pallet_index(7)]
	pub type TransactionPayment = pallet_transaction_payment;

	#[runtime::pallet_index(8)]
	pub type Sudo = pallet_sudo;

	#[runtime::pallet_index(9)]
	pub type Utility = pallet_utility;

	#[runtime::pallet_index(10)]
	pub type Staking = pallet_agora_staking;

	#[runtime::pallet_index(11)]
	pub type Subnets = pallet_subnets;

	#[runtime::pallet_index(12)]
	pub type Rewards = pallet_rewards;

	#[runtime::pallet_index(13)]
	pub type SkipFeelessPayment = pallet_skip_feeless_payment;

	#[runtime::pallet_index(14)]
	pub type Payments = pallet_payments;

	#[runtime::pallet_index(15)]
	pub type Proxy = pallet_proxy;

	#[runtime::pallet_index(16)]
	pub type Multisig = pallet_multisig;

	#[runtime::pallet_index(17)]
	pub type Preimage = pallet_preimage;

	#[runtime::pallet_index(18)]
	pub type Scheduler = pallet_scheduler;

	#[runtime::pallet_index(19)]
	pub type Referenda = pallet_referenda;

	#[runtime::pallet_index(20)]
	pub type ConvictionVoting = pallet_conviction_voting;

	#[runtime::pallet_index(21)]
	pub type Senate = pallet_collective<Instance1>;

	#[runtime::pallet_index(22)]
	pub type Treasury = pallet_treasury;

	#[runtime::pallet_index(23)]
	pub type Governance = pallet_governance;
}
