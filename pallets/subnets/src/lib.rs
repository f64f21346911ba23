//! # Agora subnets pallet
//!
//! Subnets, their neurons, and the weights validators set on them.
//!
//! ## Overview
//!
//! - **Subnets.** Any account may [`create_subnet`](Pallet::create_subnet) by burning the
//!   creation cost; it becomes the subnet's *owner* and may change its
//!   [`SubnetHyperparams`] (validated, at most once per `HyperparamsRateLimit` blocks; the admin
//!   origin may set any valid value at any time). What decides consensus and what the epoch
//!   costs is the admin origin's alone ([`SubnetHyperparams::root_only_change`]: `tempo`,
//!   `max_uids`, `kappa`, `max_validators`, `min_validator_stake`, `weights_rate_limit`,
//!   `activity_cutoff`).
//! - **Neurons.** A coldkey [`register`](Pallet::register)s a hotkey on a subnet by burning the
//!   registration price. The hotkey gets the next free UID; when the subnet is full it takes the
//!   UID of the non-immune neuron with the lowest emission in the last epoch (ties: the earliest
//!   registered, then the lower UID). A neuron publishes where it serves (libp2p PeerId and
//!   multiaddrs) with [`serve`](Pallet::serve), proving that it holds the PeerId's ed25519 key
//!   (the key signs [`serve_proof_payload`]: genesis hash, netuid, hotkey); a PeerId is the
//!   endpoint of at most one UID per subnet ([`PeerIdOwners`]), so no neuron can publish
//!   another's endpoint and be paid for its answers.
//! - **Weights.** A neuron holding a validator permit sets weights on other UIDs with
//!   [`set_weights`](Pallet::set_weights), or, on subnets with commit-reveal, commits their hash
//!   with [`commit_weights`](Pallet::commit_weights) and reveals them `reveal_period` tempos later
//!   with [`reveal_weights`](Pallet::reveal_weights). Revealed weights count as of the block
//!   they were committed at (`Neuron::weights_at`): a UID that changed hands since the commit
//!   gets none of them. The reveal still counts as the validator's activity (`last_update`).
//! - **Fees.** `set_weights`, `commit_weights`, `reveal_weights` and `serve` are free for a
//!   registered hotkey whose call would pass every check (rate limits included), as in
//!   Bittensor; any other such call pays the usual fee, so spam stays bounded by the rate
//!   limits (the runtime wraps its fee payment in `SkipCheckIfFeeless`).
//! - **Epoch cost.** At each epoch ([`SubnetsInterface::record_epoch`]) the weights of every
//!   UID left without a validator permit are deleted (a self-weight alone stays), so the
//!   stored weights an epoch reads never exceed `max_validators` (≤ 64) full rows: the epoch
//!   reads the weights and bonds of the last epoch's permit holders only (Yuma ignores
//!   self-weights), the case `pallet-rewards`' `epoch(n, v)` benchmark measures.
//! - **Epoch results** are kept as subtensor keeps them: one vector per subnet and quantity,
//!   indexed by UID ([`Rank`], [`Trust`], [`Consensus`], [`Incentive`], [`Dividends`],
//!   [`ValidatorTrust`], [`ValidatorPermit`], [`Emission`], [`EpochStake`]), so an epoch
//!   writes each once, and only when it changed, however many neurons the subnet holds.
//!   [`BlockAtRegistration`] mirrors each neuron's registration block, so a registration on a
//!   full subnet picks the neuron to replace from two reads. Storage version 1; chains in the
//!   earlier per-neuron layout migrate with [`migrations::v1::MigrateToV1`].
//! - **Hotkey swaps.** A coldkey may [`swap_hotkey`](Pallet::swap_hotkey) a hotkey it owns for
//!   a fresh one (one that has no owner, no stake and no UID anywhere), as in Bittensor: the
//!   neuron's UIDs on every subnet, its stake pool with every nominator's shares, its delegate
//!   take, and so its incentive, dividends, bonds, weights and endpoint (all kept by UID) carry
//!   over. It burns `KeySwapCost` and a coldkey may swap once per `KeySwapRateLimit` blocks.
//!   A pending weight commit is dropped, not moved: its hash binds the old hotkey, so no
//!   reveal by the new one could match it (the validator commits again; its stored weights
//!   keep counting meanwhile). While any subnet the hotkey holds a UID on is still crediting its
//!   last epoch's payouts (queued by hotkey in `pallet-rewards`) the swap is refused, so that no
//!   queued payout lands on a hotkey that changed hands. The caller states the number of
//!   coldkeys holding shares of the hotkey (`nominators`, a witness checked against the chain),
//!   so that the call's weight is known before it runs. See the `swap` module.
//!
//! Epochs are not run here: `pallet-rewards` reads neurons and weights through
//! [`SubnetsInterface`] and writes each epoch's results back the same way.
//!
//! ## Prices
//!
//! ```text
//! creation cost  = max(MinSubnetCost, 2·last − 2·last·elapsed / SubnetCostDecay)
//! registration   = clamp(price · BurnDecay^(blocks since price was set), min_burn, max_burn)
//! after a registration paying p: price = clamp(p + BurnIncrease·p, min_burn, max_burn)
//! ```
//!
//! ## Invariants (`try_state`)
//!
//! - `SubnetN` counts exactly the subnet's neurons, and they hold UIDs `0..SubnetN`.
//! - `Uids` and `Neurons` mirror each other; weights, bonds and stats exist only for live UIDs;
//!   stored weights are sorted by UID, unique, and point at live UIDs.
//! - Every neuron's hotkey is owned, in the staking pallet, by the neuron's coldkey, which counts
//!   exactly as many registrations for it as it has UIDs.
//! - Only validator-permit holders hold bonds or weights on other UIDs (a self-weight aside).
//! - `PeerIdOwners` maps exactly the served PeerIds to the UIDs serving them.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
pub mod migrations;
#[cfg(test)]
mod mock;
mod stats;
mod swap;
#[cfg(test)]
mod tests;
pub mod weights;

use agora_primitives::{
	ed25519_key_of_peer_id, serve_proof_payload,
	traits::{
		EpochNeuron, OnHotkeySwap, OnStakeDecrease, PayoutsQueued, StakeInterface, SubnetsInterface,
	},
	validate_addr, Addrs, Balance, BlockNumber, Endpoint, EndpointError, HyperparamError, NetUid,
	NeuronStats, PeerIdBytes, SubnetHyperparams, TaskKind, Uid,
};
use alloc::vec::Vec;
use polkadot_sdk::{
	frame_support::{
		traits::{
			fungible::Mutate,
			tokens::{Fortitude, Precision, Preservation},
		},
		BoundedVec,
	},
	polkadot_sdk_frame as frame,
	sp_runtime::{
		traits::{Saturating, UniqueSaturatedInto},
		Perbill,
	},
};

/// Log target of this pallet.
pub const LOG_TARGET: &str = "runtime::subnets";

/// A subnet's record.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Debug,
	codec::Encode,
	codec::Decode,
	codec::DecodeWithMemTracking,
	codec::MaxEncodedLen,
	scale_info::TypeInfo,
)]
pub struct Subnet<AccountId> {
	/// The coldkey that created it.
	pub owner: AccountId,
	/// Block of its creation.
	pub registered_at: BlockNumber,
	/// Its hyperparameters.
	pub hyperparams: SubnetHyperparams,
}

/// A neuron: a hotkey holding a UID on a subnet.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Debug,
	codec::Encode,
	codec::Decode,
	codec::DecodeWithMemTracking,
	codec::MaxEncodedLen,
	scale_info::TypeInfo,
)]
pub struct Neuron<AccountId> {
	/// Its hotkey.
	pub hotkey: AccountId,
	/// The coldkey that registered it.
	pub coldkey: AccountId,
	/// Block of its registration.
	pub registered_at: BlockNumber,
	/// Block of its last weights (its registration until it sets any): its activity.
	pub last_update: BlockNumber,
	/// Block its stored weights count from: when they were set, or when they were committed
	/// for revealed ones (its registration until it sets any).
	pub weights_at: BlockNumber,
	/// Where it serves.
	pub endpoint: Option<Endpoint>,
}

/// What a weight commit is revealed against: the window and the weight rules in force when it
/// was committed. A subnet's owner changing `reveal_period`, the allowed number of weights, the
/// weight limit or the version key between a commit and its reveal cannot make an honest reveal
/// fail (the committed hash cannot adapt).
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	codec::Encode,
	codec::Decode,
	codec::DecodeWithMemTracking,
	codec::MaxEncodedLen,
	scale_info::TypeInfo,
)]
pub struct CommitTerms {
	/// First block of the reveal window.
	pub open: BlockNumber,
	/// First block after it.
	pub close: BlockNumber,
	/// `min_allowed_weights` at the commit.
	pub min_allowed_weights: u16,
	/// `max_allowed_weights` at the commit.
	pub max_allowed_weights: u16,
	/// `max_weight_limit` at the commit.
	pub max_weight_limit: u16,
	/// `weights_version_key` at the commit.
	pub weights_version_key: u64,
}

impl CommitTerms {
	/// The terms of a commit made at block `at` under `hp`.
	pub fn new(hp: &SubnetHyperparams, at: BlockNumber) -> Self {
		let tempo = BlockNumber::from(hp.tempo);
		let open = at.saturating_add(tempo.saturating_mul(hp.reveal_period.into()));
		Self {
			open,
			close: open.saturating_add(tempo),
			min_allowed_weights: hp.min_allowed_weights,
			max_allowed_weights: hp.max_allowed_weights,
			max_weight_limit: hp.max_weight_limit,
			weights_version_key: hp.weights_version_key,
		}
	}

	/// `hp` with the weight rules of the commit.
	pub fn apply(&self, hp: &SubnetHyperparams) -> SubnetHyperparams {
		SubnetHyperparams {
			min_allowed_weights: self.min_allowed_weights,
			max_allowed_weights: self.max_allowed_weights,
			max_weight_limit: self.max_weight_limit,
			weights_version_key: self.weights_version_key,
			..hp.clone()
		}
	}
}

/// One value per UID of a subnet, indexed by UID.
pub type UidVec<V, T> = BoundedVec<V, <T as Config>::MaxUidsLimit>;

/// The current block as a [`BlockNumber`].
fn now<T: polkadot_sdk::frame_system::Config>() -> BlockNumber {
	polkadot_sdk::frame_system::Pallet::<T>::block_number().unique_saturated_into()
}

#[frame::pallet]
pub mod pallet {
	use super::*;
	use frame::prelude::*;

	/// The storage layout's version: 1 since the epoch's results became one vector per subnet
	/// ([`migrations::v1`]).
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: polkadot_sdk::frame_system::Config {
		/// The AGR currency; registrations and subnet creations burn from it.
		type Currency: Mutate<Self::AccountId, Balance = Balance>;
		/// The staking pallet: owners of hotkeys, stake behind them.
		type Stake: StakeInterface<Self::AccountId>;
		/// May set any subnet's hyperparameters without rate limit.
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// Most neurons any subnet may hold (at most 65,535).
		#[pallet::constant]
		type MaxUidsLimit: Get<u32>;
		/// Most subnets.
		#[pallet::constant]
		type MaxSubnets: Get<u16>;
		/// Least a subnet creation costs.
		#[pallet::constant]
		type MinSubnetCost: Get<Balance>;
		/// Blocks over which the doubled creation cost decays back to the last paid one and
		/// below, down to `MinSubnetCost`.
		#[pallet::constant]
		type SubnetCostDecay: Get<BlockNumber>;
		/// Share of the registration price kept per block (the price decays by the rest).
		#[pallet::constant]
		type BurnDecay: Get<Perbill>;
		/// Rise of the registration price after each registration, as a share of the price paid.
		#[pallet::constant]
		type BurnIncrease: Get<Perbill>;
		/// Blocks between two hyperparameter changes by a subnet's owner.
		#[pallet::constant]
		type HyperparamsRateLimit: Get<BlockNumber>;
		/// Blocks between two `serve` calls of a neuron.
		#[pallet::constant]
		type ServeRateLimit: Get<BlockNumber>;
		/// Hyperparameters of a new subnet (its task aside).
		type DefaultHyperparams: Get<SubnetHyperparams>;
		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
		/// Planck a hotkey swap burns from the calling coldkey.
		#[pallet::constant]
		type KeySwapCost: Get<Balance>;
		/// Blocks a coldkey waits between two hotkey swaps.
		#[pallet::constant]
		type KeySwapRateLimit: Get<BlockNumber>;
		/// Whether a subnet's last epoch still has payouts to credit (`pallet-rewards`): a
		/// hotkey holding a UID there may not be swapped until they are. `()` for none.
		type PayoutsQueued: PayoutsQueued;
		/// Told of every hotkey swap (the senate's seat follows the hotkey).
		type OnHotkeySwap: OnHotkeySwap<Self::AccountId>;
	}

	/// Every subnet.
	#[pallet::storage]
	pub type Subnets<T: Config> = StorageMap<_, Twox64Concat, NetUid, Subnet<T::AccountId>>;

	/// How many subnets exist.
	#[pallet::storage]
	pub type SubnetCount<T> = StorageValue<_, u16, ValueQuery>;

	/// The id the next subnet gets (ids start at 1; 0 is kept for a root network).
	#[pallet::storage]
	pub type NextNetUid<T> =
		StorageValue<_, NetUid, ValueQuery, polkadot_sdk::frame_support::traits::ConstU16<1>>;

	/// The last creation cost paid and its block.
	#[pallet::storage]
	pub type LastSubnetCost<T> = StorageValue<_, (Balance, BlockNumber)>;

	/// Block of the owner's last hyperparameter change.
	#[pallet::storage]
	pub type HyperparamsSetAt<T> = StorageMap<_, Twox64Concat, NetUid, BlockNumber>;

	/// Registration price of each subnet and the block it was set at (it decays from there).
	#[pallet::storage]
	pub type Burn<T> = StorageMap<_, Twox64Concat, NetUid, (Balance, BlockNumber), ValueQuery>;

	/// Neurons per subnet.
	#[pallet::storage]
	pub type SubnetN<T> = StorageMap<_, Twox64Concat, NetUid, u16, ValueQuery>;

	/// Neurons by UID.
	#[pallet::storage]
	pub type Neurons<T: Config> =
		StorageDoubleMap<_, Twox64Concat, NetUid, Twox64Concat, Uid, Neuron<T::AccountId>>;

	/// UIDs by hotkey.
	#[pallet::storage]
	pub type Uids<T: Config> =
		StorageDoubleMap<_, Twox64Concat, NetUid, Blake2_128Concat, T::AccountId, Uid>;

	/// The UID whose endpoint is each PeerId: a PeerId serves at most one UID per subnet.
	#[pallet::storage]
	pub type PeerIdOwners<T> =
		StorageDoubleMap<_, Twox64Concat, NetUid, Blake2_128Concat, PeerIdBytes, Uid>;

	/// Each validator's weights, sorted by UID, zeros left out.
	#[pallet::storage]
	pub type Weights<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		NetUid,
		Twox64Concat,
		Uid,
		BoundedVec<(Uid, u16), T::MaxUidsLimit>,
		ValueQuery,
	>;

	/// Each validator's bonds (U32F32 raw values), written by the epoch.
	#[pallet::storage]
	pub type Bonds<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		NetUid,
		Twox64Concat,
		Uid,
		BoundedVec<(Uid, u64), T::MaxUidsLimit>,
		ValueQuery,
	>;

	// What the last epoch decided, one vector per subnet and quantity, indexed by UID (as
	// subtensor keeps them): an epoch writes each once, however many neurons the subnet has. A
	// vector shorter than the subnet reads as zero (`false`) for the UIDs beyond it: neurons
	// registered since the epoch.

	/// Each neuron's rank at the last epoch, in parts of `u16::MAX`.
	#[pallet::storage]
	pub type Rank<T: Config> = StorageMap<_, Twox64Concat, NetUid, UidVec<u16, T>, ValueQuery>;

	/// Each neuron's trust at the last epoch, in parts of `u16::MAX`.
	#[pallet::storage]
	pub type Trust<T: Config> = StorageMap<_, Twox64Concat, NetUid, UidVec<u16, T>, ValueQuery>;

	/// Each neuron's consensus weight at the last epoch, in parts of `u16::MAX`.
	#[pallet::storage]
	pub type Consensus<T: Config> = StorageMap<_, Twox64Concat, NetUid, UidVec<u16, T>, ValueQuery>;

	/// Each neuron's incentive at the last epoch, in parts of `u16::MAX`.
	#[pallet::storage]
	pub type Incentive<T: Config> = StorageMap<_, Twox64Concat, NetUid, UidVec<u16, T>, ValueQuery>;

	/// Each neuron's dividends at the last epoch, in parts of `u16::MAX`.
	#[pallet::storage]
	pub type Dividends<T: Config> = StorageMap<_, Twox64Concat, NetUid, UidVec<u16, T>, ValueQuery>;

	/// Each neuron's validator trust at the last epoch, in parts of `u16::MAX`.
	#[pallet::storage]
	pub type ValidatorTrust<T: Config> =
		StorageMap<_, Twox64Concat, NetUid, UidVec<u16, T>, ValueQuery>;

	/// Which neurons hold a validator permit (decided by the last epoch).
	#[pallet::storage]
	pub type ValidatorPermit<T: Config> =
		StorageMap<_, Twox64Concat, NetUid, UidVec<bool, T>, ValueQuery>;

	/// AGR (planck) each neuron earned at the last epoch.
	#[pallet::storage]
	pub type Emission<T: Config> =
		StorageMap<_, Twox64Concat, NetUid, UidVec<Balance, T>, ValueQuery>;

	/// The most stake (planck) the next epoch counts for each neuron: its hotkey's stake at the
	/// last epoch, lowered by every decrease since (0 for a neuron registered since).
	#[pallet::storage]
	pub type EpochStake<T: Config> =
		StorageMap<_, Twox64Concat, NetUid, UidVec<Balance, T>, ValueQuery>;

	/// Block at which each UID's current neuron registered (a copy of
	/// `Neurons::registered_at`, so that a registration on a full subnet finds the neuron to
	/// replace in two reads).
	#[pallet::storage]
	pub type BlockAtRegistration<T: Config> =
		StorageMap<_, Twox64Concat, NetUid, UidVec<BlockNumber, T>, ValueQuery>;

	/// Pending weight commits: hash, block of the commit, and the terms in force then, which
	/// its reveal is checked against.
	#[pallet::storage]
	pub type WeightCommits<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		NetUid,
		Blake2_128Concat,
		T::AccountId,
		([u8; 32], BlockNumber, CommitTerms),
	>;

	/// Block of each coldkey's last hotkey swap.
	#[pallet::storage]
	pub type LastKeySwap<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, BlockNumber>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A subnet was created.
		SubnetCreated {
			/// Its id.
			netuid: NetUid,
			/// Its owner.
			owner: T::AccountId,
			/// AGR burned.
			cost: Balance,
		},
		/// A subnet's hyperparameters were changed.
		HyperparamsSet {
			/// The subnet.
			netuid: NetUid,
			/// The new hyperparameters.
			hyperparams: SubnetHyperparams,
		},
		/// A hotkey registered on a subnet.
		NeuronRegistered {
			/// The subnet.
			netuid: NetUid,
			/// The UID it got.
			uid: Uid,
			/// The hotkey.
			hotkey: T::AccountId,
			/// The coldkey that paid.
			coldkey: T::AccountId,
			/// AGR burned.
			cost: Balance,
		},
		/// A neuron lost its UID to a new registration.
		NeuronReplaced {
			/// The subnet.
			netuid: NetUid,
			/// The UID.
			uid: Uid,
			/// The hotkey that held it.
			hotkey: T::AccountId,
		},
		/// A neuron published its endpoint.
		NeuronServed {
			/// The subnet.
			netuid: NetUid,
			/// The neuron.
			uid: Uid,
			/// The endpoint.
			endpoint: Endpoint,
		},
		/// A validator set weights.
		WeightsSet {
			/// The subnet.
			netuid: NetUid,
			/// The validator.
			uid: Uid,
			/// Non-zero weights stored.
			count: u32,
		},
		/// A validator committed the hash of its next weights.
		WeightsCommitted {
			/// The subnet.
			netuid: NetUid,
			/// The validator.
			uid: Uid,
			/// The hash.
			hash: [u8; 32],
		},
		/// A coldkey moved a hotkey's UIDs, stake and take to a new hotkey.
		HotkeySwapped {
			/// The owner of both.
			coldkey: T::AccountId,
			/// The hotkey given up: no owner, stake or UID is left on it.
			old_hotkey: T::AccountId,
			/// The hotkey that holds it all now.
			new_hotkey: T::AccountId,
			/// Planck burned (`KeySwapCost`).
			cost: Balance,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No subnet has this id.
		SubnetNotFound,
		/// The chain holds `MaxSubnets` subnets already.
		TooManySubnets,
		/// Only the subnet's owner (or the admin origin) may do this.
		NotSubnetOwner,
		/// A hyperparameter is out of bounds; the inner value names it.
		InvalidHyperparams(HyperparamError),
		/// Only root may change this hyperparameter (the inner value names it); a subnet owner
		/// must leave it as it is.
		RootOnlyHyperparam(HyperparamError),
		/// The owner changed the hyperparameters less than `HyperparamsRateLimit` blocks ago.
		HyperparamsRateLimited,
		/// The price is above the `max_cost` the caller accepted.
		CostAboveMaxCost,
		/// The caller's free balance cannot pay the price and stay alive.
		InsufficientBalance,
		/// The hotkey is registered on this subnet already.
		AlreadyRegistered,
		/// The hotkey belongs to another coldkey.
		HotkeyOwnedByAnother,
		/// The subnet is full and every neuron is still immune.
		AllNeuronsImmune,
		/// The hotkey is not registered on this subnet.
		NotRegistered,
		/// The endpoint is malformed; the inner value says which part.
		InvalidEndpoint(EndpointError),
		/// The neuron served less than `ServeRateLimit` blocks ago.
		ServeRateLimited,
		/// The `serve` proof is not the ed25519 signature, by the PeerId's key, of
		/// [`serve_proof_payload`] (this chain's genesis hash, the netuid, the calling hotkey):
		/// sign with the libp2p key you publish.
		InvalidServeProof,
		/// Another UID of this subnet serves this PeerId: each neuron publishes its own.
		PeerIdInUse,
		/// `uids` and `values` differ in length.
		LengthMismatch,
		/// A weight targets a UID the subnet does not have.
		UidNotFound,
		/// A UID appears twice.
		DuplicateUids,
		/// Fewer weights than the subnet's `min_allowed_weights`.
		TooFewWeights,
		/// More weights than the subnet's `max_allowed_weights`.
		TooManyWeights,
		/// Every weight is zero.
		AllWeightsZero,
		/// A weight takes more than the subnet's `max_weight_limit` of the total.
		WeightAboveLimit,
		/// The validator set weights less than `weights_rate_limit` blocks ago.
		WeightsRateLimited,
		/// Only neurons with a validator permit (from the last epoch) may weight others.
		NoValidatorPermit,
		/// The version key is below the subnet's `weights_version_key`: upgrade the validator.
		StaleVersionKey,
		/// This subnet uses commit-reveal: use `commit_weights` and `reveal_weights`.
		CommitRevealEnabled,
		/// This subnet does not use commit-reveal: use `set_weights`.
		CommitRevealDisabled,
		/// There is no commit to reveal.
		NoCommit,
		/// The reveal window of the commit has not opened yet.
		RevealTooEarly,
		/// The reveal window of the commit has closed; commit again.
		RevealExpired,
		/// The revealed weights, salt and version key do not hash to the commit.
		RevealMismatch,
		/// Only the coldkey that owns the hotkey may swap it.
		NotHotkeyOwner,
		/// A hotkey cannot be swapped for itself.
		SameHotkey,
		/// The new hotkey is taken: it has an owner, stake, or a UID on some subnet. Swap to a
		/// fresh key.
		NewHotkeyInUse,
		/// More coldkeys hold shares of the hotkey than the `nominators` witness says: call
		/// again with the current number (or more; the unused weight is refunded).
		NominatorsWitnessTooLow,
		/// The coldkey swapped a hotkey less than `KeySwapRateLimit` blocks ago.
		KeySwapRateLimited,
		/// A subnet the hotkey holds a UID on is still crediting its last epoch's payouts
		/// (a few blocks at most): try again in a later block.
		PayoutsQueued,
		/// The coldkey is frozen by a coldkey swap (announced, or cancelled within its delay:
		/// see the staking pallet): it may not register or swap hotkeys until the swap executes
		/// or is dropped.
		ColdkeySwapPending,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxUidsLimit::get() <= u32::from(u16::MAX), "MaxUidsLimit above u16");
			let limit = T::MaxUidsLimit::get() as u16;
			assert_eq!(T::DefaultHyperparams::get().validate(limit, 0), Ok(()));
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(
			_n: BlockNumberFor<T>,
		) -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Creates a subnet serving `task`, owned by the caller, burning the creation cost
		/// (refused when above `max_cost`).
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::create_subnet())]
		pub fn create_subnet(
			origin: OriginFor<T>,
			task: TaskKind,
			#[pallet::compact] max_cost: Balance,
		) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			ensure!(SubnetCount::<T>::get() < T::MaxSubnets::get(), Error::<T>::TooManySubnets);
			let cost = Self::subnet_creation_cost();
			ensure!(cost <= max_cost, Error::<T>::CostAboveMaxCost);
			Self::burn(&owner, cost)?;
			let netuid = NextNetUid::<T>::get();
			let now = now::<T>();
			let hyperparams = SubnetHyperparams { task, ..T::DefaultHyperparams::get() };
			Burn::<T>::insert(netuid, (hyperparams.min_burn, now));
			Subnets::<T>::insert(
				netuid,
				Subnet { owner: owner.clone(), registered_at: now, hyperparams },
			);
			SubnetCount::<T>::mutate(|c| *c += 1);
			NextNetUid::<T>::put(netuid.checked_add(1).ok_or(Error::<T>::TooManySubnets)?);
			LastSubnetCost::<T>::put((cost, now));
			Self::deposit_event(Event::SubnetCreated { netuid, owner, cost });
			Ok(())
		}

		/// Replaces a subnet's hyperparameters. Its owner may do so once per
		/// `HyperparamsRateLimit` blocks, leaving root's hyperparameters as they are
		/// ([`SubnetHyperparams::root_only_change`]); the admin origin may change any at any
		/// time. Both within the bounds of [`SubnetHyperparams::validate`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::set_hyperparams())]
		pub fn set_hyperparams(
			origin: OriginFor<T>,
			netuid: NetUid,
			hyperparams: SubnetHyperparams,
		) -> DispatchResult {
			let admin = match T::AdminOrigin::try_origin(origin) {
				Ok(_) => true,
				Err(origin) => {
					let who = ensure_signed(origin)?;
					let subnet = Subnets::<T>::get(netuid).ok_or(Error::<T>::SubnetNotFound)?;
					ensure!(subnet.owner == who, Error::<T>::NotSubnetOwner);
					false
				},
			};
			let mut subnet = Subnets::<T>::get(netuid).ok_or(Error::<T>::SubnetNotFound)?;
			// Whose field it is comes first: an owner touching root's gets told so, whatever
			// the value.
			if let Some(field) =
				subnet.hyperparams.root_only_change(&hyperparams).filter(|_| !admin)
			{
				return Err(Error::<T>::RootOnlyHyperparam(field).into());
			}
			hyperparams
				.validate(Self::max_uids_limit(), SubnetN::<T>::get(netuid))
				.map_err(Error::<T>::InvalidHyperparams)?;
			let now = now::<T>();
			if !admin {
				if let Some(at) = HyperparamsSetAt::<T>::get(netuid) {
					ensure!(
						now >= at.saturating_add(T::HyperparamsRateLimit::get()),
						Error::<T>::HyperparamsRateLimited
					);
				}
				HyperparamsSetAt::<T>::insert(netuid, now);
			}
			subnet.hyperparams = hyperparams.clone();
			Subnets::<T>::insert(netuid, subnet);
			Self::deposit_event(Event::HyperparamsSet { netuid, hyperparams });
			Ok(())
		}

		/// Registers `hotkey` on a subnet for the calling coldkey, burning the registration price
		/// (refused when above `max_cost`). A full subnet gives the new hotkey the UID of its
		/// non-immune neuron with the lowest emission. Refused (`ColdkeySwapPending`) while the
		/// caller is frozen by a coldkey swap: a thief holding the key may not grow the hotkeys
		/// the swap must move.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::register(T::MaxUidsLimit::get()))]
		pub fn register(
			origin: OriginFor<T>,
			netuid: NetUid,
			hotkey: T::AccountId,
			#[pallet::compact] max_cost: Balance,
		) -> DispatchResultWithPostInfo {
			let coldkey = ensure_signed(origin)?;
			// Only a full subnet scans its neurons: refund the rest of the worst case, on
			// failure too.
			let scanned = if SubnetN::<T>::get(netuid)
				>= Subnets::<T>::get(netuid).map_or(u16::MAX, |s| s.hyperparams.max_uids)
			{
				u32::from(SubnetN::<T>::get(netuid))
			} else {
				0
			};
			let actual = Some(T::WeightInfo::register(scanned)).into();
			match Self::do_register(coldkey, netuid, hotkey, max_cost) {
				Ok(()) => Ok(actual),
				Err(error) => Err(DispatchErrorWithPostInfo { post_info: actual, error }),
			}
		}

		/// Publishes where the calling hotkey's neuron serves: its libp2p PeerId (binary; the
		/// PeerId of an ed25519 key) and up to four multiaddrs (text; none for a neuron that
		/// only dials out). `proof` is the ed25519 signature, by that key, of
		/// [`serve_proof_payload`]`(genesis hash, netuid, hotkey)`: the neuron proves it holds
		/// the key peers will authenticate it by (Noise). A PeerId serves one UID per subnet.
		///
		/// Errors: `SubnetNotFound`, `NotRegistered`, `InvalidEndpoint(PeerId | Addr)`,
		/// `InvalidServeProof`, `PeerIdInUse`, `ServeRateLimited`.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::serve())]
		#[pallet::feeless_if(|origin: &OriginFor<T>, netuid: &NetUid, peer_id: &PeerIdBytes, addrs: &Addrs, proof: &[u8; 64]| -> bool {
			ensure_signed(origin.clone()).is_ok_and(|hotkey| {
				Pallet::<T>::check_serve(*netuid, &hotkey, peer_id, addrs, proof).is_ok()
			})
		})]
		pub fn serve(
			origin: OriginFor<T>,
			netuid: NetUid,
			peer_id: PeerIdBytes,
			addrs: Addrs,
			proof: [u8; 64],
		) -> DispatchResult {
			let hotkey = ensure_signed(origin)?;
			let (uid, mut neuron) = Self::check_serve(netuid, &hotkey, &peer_id, &addrs, &proof)?;
			let now = now::<T>();
			if let Some(old) = &neuron.endpoint {
				if old.peer_id != peer_id {
					PeerIdOwners::<T>::remove(netuid, &old.peer_id);
				}
			}
			PeerIdOwners::<T>::insert(netuid, &peer_id, uid);
			let endpoint = Endpoint { peer_id, addrs, served_at: now };
			neuron.endpoint = Some(endpoint.clone());
			Neurons::<T>::insert(netuid, uid, neuron);
			Self::deposit_event(Event::NeuronServed { netuid, uid, endpoint });
			Ok(())
		}

		/// Sets the calling validator's weights: `values[k]` on UID `uids[k]`. Only neurons with
		/// a validator permit may weight others; anyone may set a weight on itself alone.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::set_weights(uids.len() as u32))]
		#[pallet::feeless_if(|origin: &OriginFor<T>, netuid: &NetUid, uids: &BoundedVec<Uid, T::MaxUidsLimit>, values: &BoundedVec<u16, T::MaxUidsLimit>, version_key: &u64| -> bool {
			ensure_signed(origin.clone()).is_ok_and(|hotkey| {
				Subnets::<T>::get(*netuid).is_some_and(|subnet| {
					!subnet.hyperparams.commit_reveal
						&& Pallet::<T>::check_weights(*netuid, &subnet.hyperparams, &hotkey, uids, values, *version_key, true).is_ok()
				})
			})
		})]
		pub fn set_weights(
			origin: OriginFor<T>,
			netuid: NetUid,
			uids: BoundedVec<Uid, T::MaxUidsLimit>,
			values: BoundedVec<u16, T::MaxUidsLimit>,
			version_key: u64,
		) -> DispatchResult {
			let hotkey = ensure_signed(origin)?;
			let subnet = Subnets::<T>::get(netuid).ok_or(Error::<T>::SubnetNotFound)?;
			ensure!(!subnet.hyperparams.commit_reveal, Error::<T>::CommitRevealEnabled);
			Self::do_set_weights(
				netuid,
				&subnet.hyperparams,
				&hotkey,
				&uids,
				&values,
				version_key,
				None,
			)
		}

		/// Commits the hash of the caller's next weights (see [`agora_primitives::commit_hash`]);
		/// a new commit replaces an unrevealed one.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::commit_weights())]
		#[pallet::feeless_if(|origin: &OriginFor<T>, netuid: &NetUid, _hash: &[u8; 32]| -> bool {
			ensure_signed(origin.clone())
				.is_ok_and(|hotkey| Pallet::<T>::check_commit(*netuid, &hotkey).is_ok())
		})]
		pub fn commit_weights(
			origin: OriginFor<T>,
			netuid: NetUid,
			hash: [u8; 32],
		) -> DispatchResult {
			let hotkey = ensure_signed(origin)?;
			let uid = Self::check_commit(netuid, &hotkey)?;
			let now = now::<T>();
			let hp = Subnets::<T>::get(netuid).ok_or(Error::<T>::SubnetNotFound)?.hyperparams;
			WeightCommits::<T>::insert(netuid, &hotkey, (hash, now, CommitTerms::new(&hp, now)));
			Self::deposit_event(Event::WeightsCommitted { netuid, uid, hash });
			Ok(())
		}

		/// Reveals committed weights. The window opens `reveal_period · tempo` blocks after the
		/// commit and lasts `tempo` blocks.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::reveal_weights(uids.len() as u32))]
		#[pallet::feeless_if(|origin: &OriginFor<T>, netuid: &NetUid, uids: &BoundedVec<Uid, T::MaxUidsLimit>, values: &BoundedVec<u16, T::MaxUidsLimit>, salt: &BoundedVec<u8, ConstU32<32>>, version_key: &u64| -> bool {
			ensure_signed(origin.clone()).is_ok_and(|hotkey| {
				Pallet::<T>::check_reveal(*netuid, &hotkey, uids, values, salt, *version_key)
					.is_ok_and(|(hp, _)| {
						Pallet::<T>::check_weights(*netuid, &hp, &hotkey, uids, values, *version_key, false)
							.is_ok()
					})
			})
		})]
		pub fn reveal_weights(
			origin: OriginFor<T>,
			netuid: NetUid,
			uids: BoundedVec<Uid, T::MaxUidsLimit>,
			values: BoundedVec<u16, T::MaxUidsLimit>,
			salt: BoundedVec<u8, ConstU32<32>>,
			version_key: u64,
		) -> DispatchResult {
			let hotkey = ensure_signed(origin)?;
			let (hp, at) = Self::check_reveal(netuid, &hotkey, &uids, &values, &salt, version_key)?;
			WeightCommits::<T>::remove(netuid, &hotkey);
			// The weights count as of the commit: a UID that changed hands since gets none.
			Self::do_set_weights(netuid, &hp, &hotkey, &uids, &values, version_key, Some(at))
		}

		/// Moves everything of `old_hotkey`, a hotkey the calling coldkey owns, to
		/// `new_hotkey`, a fresh one: its UID on every subnet (with the weights, bonds, epoch
		/// results and endpoint kept by UID), its stake pool with every nominator's shares, its
		/// delegate take. Burns `KeySwapCost` planck from the caller; a coldkey may swap once
		/// per `KeySwapRateLimit` blocks. A pending weight commit of `old_hotkey` is dropped
		/// (its hash binds the old hotkey).
		///
		/// `nominators` is a witness: the number of coldkeys holding shares of `old_hotkey`
		/// (the owner counted if it holds any). The call is charged for that many and for
		/// `MaxSubnets` subnets, and refunded down to the real numbers.
		///
		/// Errors: `SameHotkey`, `NotHotkeyOwner`, `NewHotkeyInUse` (owner, stake or UID),
		/// `KeySwapRateLimited`, `NominatorsWitnessTooLow`, `PayoutsQueued` (a subnet the
		/// hotkey is on is still paying its last epoch), `InsufficientBalance` (the cost),
		/// `ColdkeySwapPending` (the caller is frozen by a coldkey swap: a thief may not move
		/// the owner's validators to his own hotkeys).
		#[pallet::call_index(7)]
		#[pallet::weight(
			T::WeightInfo::swap_hotkey(u32::from(T::MaxSubnets::get()), *nominators)
				.saturating_add(T::OnHotkeySwap::max_weight())
		)]
		pub fn swap_hotkey(
			origin: OriginFor<T>,
			old_hotkey: T::AccountId,
			new_hotkey: T::AccountId,
			nominators: u32,
		) -> DispatchResultWithPostInfo {
			let coldkey = ensure_signed(origin)?;
			// Every subnet is looked at (for the new hotkey's UIDs too), at most `MaxSubnets`.
			let subnets = u32::from(SubnetCount::<T>::get());
			match Self::do_swap_hotkey(&coldkey, &old_hotkey, &new_hotkey, nominators) {
				Ok((moved, hook)) => {
					Ok(Some(T::WeightInfo::swap_hotkey(subnets, moved).saturating_add(hook)).into())
				},
				Err(error) => Err(DispatchErrorWithPostInfo {
					post_info: Some(T::WeightInfo::swap_hotkey(subnets, nominators)).into(),
					error,
				}),
			}
		}
	}

	impl<T: Config> Pallet<T> {
		/// `register` without its weight bookkeeping.
		fn do_register(
			coldkey: T::AccountId,
			netuid: NetUid,
			hotkey: T::AccountId,
			max_cost: Balance,
		) -> DispatchResult {
			let subnet = Subnets::<T>::get(netuid).ok_or(Error::<T>::SubnetNotFound)?;
			ensure!(!T::Stake::coldkey_frozen(&coldkey), Error::<T>::ColdkeySwapPending);
			ensure!(!Uids::<T>::contains_key(netuid, &hotkey), Error::<T>::AlreadyRegistered);
			if let Some(owner) = T::Stake::hotkey_owner(&hotkey) {
				ensure!(owner == coldkey, Error::<T>::HotkeyOwnedByAnother);
			}
			let cost = Self::registration_cost(netuid).unwrap_or_default();
			ensure!(cost <= max_cost, Error::<T>::CostAboveMaxCost);
			let now = now::<T>();
			let hp = &subnet.hyperparams;
			let n = SubnetN::<T>::get(netuid);
			let uid = if n < hp.max_uids {
				n
			} else {
				Self::replacement(netuid, n, hp.immunity_period, now)?
			};
			Self::burn(&coldkey, cost)?;
			T::Stake::register_hotkey(&hotkey, &coldkey)?;
			if let Some(old) = Neurons::<T>::get(netuid, uid) {
				Self::clear_uid(netuid, uid, &old);
				Self::deposit_event(Event::NeuronReplaced { netuid, uid, hotkey: old.hotkey });
			} else {
				SubnetN::<T>::insert(netuid, n + 1);
			}
			Neurons::<T>::insert(
				netuid,
				uid,
				Neuron {
					hotkey: hotkey.clone(),
					coldkey: coldkey.clone(),
					registered_at: now,
					last_update: now,
					weights_at: now,
					endpoint: None,
				},
			);
			Uids::<T>::insert(netuid, &hotkey, uid);
			Self::set_registered_at(netuid, uid, now);
			let next = cost.saturating_add(T::BurnIncrease::get().mul_floor(cost));
			Burn::<T>::insert(netuid, (next.clamp(hp.min_burn, hp.max_burn), now));
			Self::deposit_event(Event::NeuronRegistered { netuid, uid, hotkey, coldkey, cost });
			Ok(())
		}

		/// What creating a subnet costs now.
		pub fn subnet_creation_cost() -> Balance {
			let min = T::MinSubnetCost::get();
			let Some((last, at)) = LastSubnetCost::<T>::get() else { return min };
			let doubled = last.saturating_mul(2);
			let elapsed = now::<T>().saturating_sub(at);
			let decay = T::SubnetCostDecay::get().max(1);
			if elapsed >= decay {
				return min;
			}
			let decayed = doubled.saturating_mul(elapsed.into()) / Balance::from(decay);
			doubled.saturating_sub(decayed).max(min)
		}

		/// What registering on `netuid` costs now.
		pub fn registration_cost(netuid: NetUid) -> Option<Balance> {
			let hp = Subnets::<T>::get(netuid)?.hyperparams;
			let (price, at) = Burn::<T>::get(netuid);
			let elapsed = now::<T>().saturating_sub(at);
			let keep = T::BurnDecay::get().saturating_pow(elapsed as usize);
			Some(keep.mul_floor(price).clamp(hp.min_burn, hp.max_burn))
		}

		/// The blocks `[open, close)` in which a commit made at `at` may be revealed.
		pub fn reveal_window(
			hp: &SubnetHyperparams,
			at: BlockNumber,
		) -> (BlockNumber, BlockNumber) {
			let tempo = BlockNumber::from(hp.tempo);
			let open = at.saturating_add(tempo.saturating_mul(hp.reveal_period.into()));
			(open, open.saturating_add(tempo))
		}

		/// A neuron on `netuid`, by UID.
		pub fn neuron(netuid: NetUid, uid: Uid) -> Option<Neuron<T::AccountId>> {
			Neurons::<T>::get(netuid, uid)
		}

		/// Subnets `hotkey` is registered on.
		pub fn netuids_of(hotkey: &T::AccountId) -> Vec<NetUid> {
			Subnets::<T>::iter_keys().filter(|n| Uids::<T>::contains_key(n, hotkey)).collect()
		}

		fn max_uids_limit() -> u16 {
			T::MaxUidsLimit::get().min(u32::from(u16::MAX)) as u16
		}

		pub(crate) fn burn(who: &T::AccountId, amount: Balance) -> DispatchResult {
			if amount > 0 {
				T::Currency::burn_from(
					who,
					amount,
					Preservation::Preserve,
					Precision::Exact,
					Fortitude::Polite,
				)
				.map_err(|_| Error::<T>::InsufficientBalance)?;
			}
			Ok(())
		}

		/// The UID a registration on a full subnet takes: the non-immune neuron with the lowest
		/// emission, ties to the earliest registered, then the lower UID. Two reads (the
		/// subnet's emission and registration blocks), whatever its size.
		fn replacement(
			netuid: NetUid,
			n: u16,
			immunity_period: u32,
			now: BlockNumber,
		) -> Result<Uid, DispatchError> {
			let emission = Emission::<T>::get(netuid);
			let registered = BlockAtRegistration::<T>::get(netuid);
			(0..n)
				.filter_map(|uid| {
					let registered_at = stats::at(&registered, uid);
					let immune = now < registered_at.saturating_add(immunity_period);
					(!immune).then(|| (stats::at(&emission, uid), registered_at, uid))
				})
				.min()
				.map(|(_, _, uid)| uid)
				.ok_or_else(|| Error::<T>::AllNeuronsImmune.into())
		}

		/// Forgets everything about the neuron holding `uid` (the epoch drops other validators'
		/// bonds on it, formed before its new holder registered).
		fn clear_uid(netuid: NetUid, uid: Uid, old: &Neuron<T::AccountId>) {
			let hotkey = &old.hotkey;
			if let Some(endpoint) = &old.endpoint {
				PeerIdOwners::<T>::remove(netuid, &endpoint.peer_id);
			}
			Uids::<T>::remove(netuid, hotkey);
			Weights::<T>::remove(netuid, uid);
			Bonds::<T>::remove(netuid, uid);
			Self::reset_stats(netuid, uid);
			WeightCommits::<T>::remove(netuid, hotkey);
			T::Stake::deregister_hotkey(hotkey);
		}

		/// This chain's genesis hash, as `serve` proofs sign it (`frame_system` keeps block 0's
		/// hash from block 1 on).
		pub fn genesis_hash() -> [u8; 32] {
			agora_primitives::genesis_hash::<T>()
		}

		/// Every check of `serve` (also its fee-less condition): the UID and neuron served.
		pub fn check_serve(
			netuid: NetUid,
			hotkey: &T::AccountId,
			peer_id: &PeerIdBytes,
			addrs: &Addrs,
			proof: &[u8; 64],
		) -> Result<(Uid, Neuron<T::AccountId>), DispatchError> {
			ensure!(Subnets::<T>::contains_key(netuid), Error::<T>::SubnetNotFound);
			let uid = Uids::<T>::get(netuid, hotkey).ok_or(Error::<T>::NotRegistered)?;
			let key = ed25519_key_of_peer_id(peer_id).map_err(Error::<T>::InvalidEndpoint)?;
			for addr in addrs.iter() {
				validate_addr(addr).map_err(Error::<T>::InvalidEndpoint)?;
			}
			let payload = serve_proof_payload(&Self::genesis_hash(), netuid, hotkey);
			ensure!(
				polkadot_sdk::sp_io::crypto::ed25519_verify(
					&polkadot_sdk::sp_core::ed25519::Signature::from_raw(*proof),
					&payload,
					&polkadot_sdk::sp_core::ed25519::Public::from_raw(key),
				),
				Error::<T>::InvalidServeProof
			);
			if let Some(owner) = PeerIdOwners::<T>::get(netuid, peer_id) {
				ensure!(owner == uid, Error::<T>::PeerIdInUse);
			}
			let neuron = Neurons::<T>::get(netuid, uid).ok_or(Error::<T>::NotRegistered)?;
			if let Some(old) = &neuron.endpoint {
				ensure!(
					now::<T>() >= old.served_at.saturating_add(T::ServeRateLimit::get()),
					Error::<T>::ServeRateLimited
				);
			}
			Ok((uid, neuron))
		}

		/// Every check of `commit_weights` (also its fee-less condition): the committer's UID.
		pub fn check_commit(netuid: NetUid, hotkey: &T::AccountId) -> Result<Uid, DispatchError> {
			let subnet = Subnets::<T>::get(netuid).ok_or(Error::<T>::SubnetNotFound)?;
			ensure!(subnet.hyperparams.commit_reveal, Error::<T>::CommitRevealDisabled);
			let uid = Uids::<T>::get(netuid, hotkey).ok_or(Error::<T>::NotRegistered)?;
			if let Some((_, at, _)) = WeightCommits::<T>::get(netuid, hotkey) {
				ensure!(
					now::<T>() >= at.saturating_add(subnet.hyperparams.weights_rate_limit),
					Error::<T>::WeightsRateLimited
				);
			}
			Ok(uid)
		}

		/// The checks of `reveal_weights` before the weights' own: the subnet's
		/// hyperparameters with the commit's weight rules, and the commit's block.
		pub fn check_reveal(
			netuid: NetUid,
			hotkey: &T::AccountId,
			uids: &[Uid],
			values: &[u16],
			salt: &[u8],
			version_key: u64,
		) -> Result<(SubnetHyperparams, BlockNumber), DispatchError> {
			let subnet = Subnets::<T>::get(netuid).ok_or(Error::<T>::SubnetNotFound)?;
			let hp = subnet.hyperparams;
			ensure!(hp.commit_reveal, Error::<T>::CommitRevealDisabled);
			let (hash, at, terms) =
				WeightCommits::<T>::get(netuid, hotkey).ok_or(Error::<T>::NoCommit)?;
			let now = now::<T>();
			ensure!(now >= terms.open, Error::<T>::RevealTooEarly);
			ensure!(now < terms.close, Error::<T>::RevealExpired);
			let expected =
				agora_primitives::commit_hash(hotkey, netuid, uids, values, salt, version_key);
			ensure!(expected == hash, Error::<T>::RevealMismatch);
			Ok((terms.apply(&hp), at))
		}

		/// Stores weights once [`Self::check_weights`] passes (shared by `set_weights` and
		/// `reveal_weights`). `committed_at` is the block a revealed commit was made at: the
		/// weights count as of then. Plain `set_weights` (`None`) is rate-limited and counts as
		/// of now.
		fn do_set_weights(
			netuid: NetUid,
			hp: &SubnetHyperparams,
			hotkey: &T::AccountId,
			uids: &[Uid],
			values: &[u16],
			version_key: u64,
			committed_at: Option<BlockNumber>,
		) -> DispatchResult {
			let (uid, mut neuron, stored) = Self::check_weights(
				netuid,
				hp,
				hotkey,
				uids,
				values,
				version_key,
				committed_at.is_none(),
			)?;
			let count = stored.len() as u32;
			Weights::<T>::insert(netuid, uid, stored);
			let now = now::<T>();
			neuron.last_update = now;
			neuron.weights_at = committed_at.unwrap_or(now);
			Neurons::<T>::insert(netuid, uid, neuron);
			Self::deposit_event(Event::WeightsSet { netuid, uid, count });
			Ok(())
		}

		/// Every check of a weight setting (also the fee-less condition of `set_weights` and
		/// `reveal_weights`): the setter's UID and neuron, and the weights as stored.
		#[allow(clippy::type_complexity)]
		pub fn check_weights(
			netuid: NetUid,
			hp: &SubnetHyperparams,
			hotkey: &T::AccountId,
			uids: &[Uid],
			values: &[u16],
			version_key: u64,
			rate_limited: bool,
		) -> Result<
			(Uid, Neuron<T::AccountId>, BoundedVec<(Uid, u16), T::MaxUidsLimit>),
			DispatchError,
		> {
			let uid = Uids::<T>::get(netuid, hotkey).ok_or(Error::<T>::NotRegistered)?;
			ensure!(version_key >= hp.weights_version_key, Error::<T>::StaleVersionKey);
			ensure!(uids.len() == values.len(), Error::<T>::LengthMismatch);
			let neuron = Neurons::<T>::get(netuid, uid).ok_or(Error::<T>::NotRegistered)?;
			let now = now::<T>();
			if rate_limited && Weights::<T>::contains_key(netuid, uid) {
				ensure!(
					now >= neuron.last_update.saturating_add(hp.weights_rate_limit),
					Error::<T>::WeightsRateLimited
				);
			}
			let self_only = uids == [uid];
			if !self_only {
				ensure!(Self::has_validator_permit(netuid, uid), Error::<T>::NoValidatorPermit);
			}
			let n = SubnetN::<T>::get(netuid);
			let mut pairs: Vec<(Uid, u16)> =
				uids.iter().copied().zip(values.iter().copied()).collect();
			pairs.sort_unstable_by_key(|(u, _)| *u);
			ensure!(pairs.iter().all(|(u, _)| *u < n), Error::<T>::UidNotFound);
			ensure!(pairs.windows(2).all(|w| w[0].0 != w[1].0), Error::<T>::DuplicateUids);
			if !self_only {
				ensure!(
					pairs.len() >= usize::from(hp.min_allowed_weights.min(n)),
					Error::<T>::TooFewWeights
				);
				ensure!(
					pairs.len() <= usize::from(hp.max_allowed_weights),
					Error::<T>::TooManyWeights
				);
			}
			let total: u64 = pairs.iter().map(|(_, v)| u64::from(*v)).sum();
			ensure!(total > 0, Error::<T>::AllWeightsZero);
			if !self_only && hp.max_weight_limit < u16::MAX {
				let limit = u64::from(hp.max_weight_limit) * total;
				ensure!(
					pairs.iter().all(|(_, v)| u64::from(*v) * u64::from(u16::MAX) <= limit),
					Error::<T>::WeightAboveLimit
				);
			}
			pairs.retain(|(_, v)| *v > 0);
			let stored: BoundedVec<(Uid, u16), T::MaxUidsLimit> =
				pairs.try_into().map_err(|_| Error::<T>::TooManyWeights)?;
			Ok((uid, neuron, stored))
		}

		/// Checks the invariants listed in the crate docs.
		#[cfg(any(feature = "try-runtime", feature = "std", test))]
		pub fn do_try_state() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
			ensure!(
				SubnetCount::<T>::get() as usize == Subnets::<T>::iter_keys().count(),
				"SubnetCount differs from the subnets"
			);
			for netuid in Subnets::<T>::iter_keys() {
				let n = SubnetN::<T>::get(netuid);
				let mut neurons = 0u32;
				for (uid, neuron) in Neurons::<T>::iter_prefix(netuid) {
					neurons += 1;
					ensure!(uid < n, "neuron beyond SubnetN");
					ensure!(
						Uids::<T>::get(netuid, &neuron.hotkey) == Some(uid),
						"Uids does not point back at the neuron"
					);
					ensure!(
						T::Stake::hotkey_owner(&neuron.hotkey) == Some(neuron.coldkey.clone()),
						"neuron's hotkey not owned by its coldkey"
					);
				}
				ensure!(neurons == u32::from(n), "SubnetN differs from the neurons");
				let mut served = 0usize;
				for (uid, neuron) in Neurons::<T>::iter_prefix(netuid) {
					if let Some(endpoint) = neuron.endpoint {
						served += 1;
						ensure!(
							PeerIdOwners::<T>::get(netuid, &endpoint.peer_id) == Some(uid),
							"PeerIdOwners does not point at the neuron serving the PeerId"
						);
					}
				}
				ensure!(
					PeerIdOwners::<T>::iter_prefix(netuid).count() == served,
					"PeerIdOwners holds a PeerId no neuron serves"
				);
				ensure!(
					Uids::<T>::iter_prefix(netuid).count() == usize::from(n),
					"Uids differs from the neurons"
				);
				for (uid, weights) in Weights::<T>::iter_prefix(netuid) {
					ensure!(uid < n, "weights of a missing UID");
					ensure!(
						weights.windows(2).all(|w| w[0].0 < w[1].0),
						"weights not sorted and unique"
					);
					ensure!(weights.iter().all(|(t, _)| *t < n), "weight on a missing UID");
				}
				ensure!(
					Bonds::<T>::iter_keys().all(|(s, uid)| s != netuid || uid < n),
					"bonds of a missing UID"
				);
				// Only permit holders weight others and hold bonds: what bounds the epoch's cost
				// (and lets it read the weights and bonds of permit holders alone).
				let permit = ValidatorPermit::<T>::get(netuid);
				for (uid, weights) in Weights::<T>::iter_prefix(netuid) {
					ensure!(
						weights.len() <= 1 || stats::at(&permit, uid),
						"weights on others without a validator permit"
					);
				}
				for uid in Bonds::<T>::iter_key_prefix(netuid) {
					ensure!(stats::at(&permit, uid), "bonds without a validator permit");
				}
				let n = usize::from(n);
				ensure!(
					[
						Rank::<T>::decode_len(netuid),
						Trust::<T>::decode_len(netuid),
						Consensus::<T>::decode_len(netuid),
						Incentive::<T>::decode_len(netuid),
						Dividends::<T>::decode_len(netuid),
						ValidatorTrust::<T>::decode_len(netuid),
						ValidatorPermit::<T>::decode_len(netuid),
						Emission::<T>::decode_len(netuid),
						EpochStake::<T>::decode_len(netuid),
						BlockAtRegistration::<T>::decode_len(netuid),
					]
					.iter()
					.all(|len| len.unwrap_or(0) <= n),
					"epoch results of a missing UID"
				);
				let registered = BlockAtRegistration::<T>::get(netuid);
				for (uid, neuron) in Neurons::<T>::iter_prefix(netuid) {
					ensure!(
						stats::at(&registered, uid) == neuron.registered_at,
						"BlockAtRegistration differs from the neuron's registration"
					);
				}
			}
			// Epoch results exist only for subnets that exist.
			let netuids: Vec<NetUid> = Subnets::<T>::iter_keys().collect();
			for keys in [
				Rank::<T>::iter_keys().collect::<Vec<_>>(),
				Trust::<T>::iter_keys().collect(),
				Consensus::<T>::iter_keys().collect(),
				Incentive::<T>::iter_keys().collect(),
				Dividends::<T>::iter_keys().collect(),
				ValidatorTrust::<T>::iter_keys().collect(),
				ValidatorPermit::<T>::iter_keys().collect(),
				Emission::<T>::iter_keys().collect(),
				EpochStake::<T>::iter_keys().collect(),
				BlockAtRegistration::<T>::iter_keys().collect(),
			] {
				ensure!(
					keys.iter().all(|n| netuids.contains(n)),
					"epoch results of a missing subnet"
				);
			}
			// The staking pallet counts each hotkey's subnets (it takes stake only while > 0).
			let mut registrations = alloc::collections::BTreeMap::<T::AccountId, u16>::new();
			for (_, hotkey, _) in Uids::<T>::iter() {
				*registrations.entry(hotkey).or_default() += 1;
			}
			for (hotkey, count) in registrations {
				ensure!(
					T::Stake::registrations(&hotkey) == count,
					"staking's registration count differs from the hotkey's UIDs"
				);
			}
			Ok(())
		}
	}

	impl<T: Config> SubnetsInterface<T::AccountId> for Pallet<T> {
		fn netuids() -> Vec<NetUid> {
			let mut ids: Vec<NetUid> = Subnets::<T>::iter_keys().collect();
			ids.sort_unstable();
			ids
		}

		fn hyperparams(netuid: NetUid) -> Option<SubnetHyperparams> {
			Subnets::<T>::get(netuid).map(|s| s.hyperparams)
		}

		fn owner(netuid: NetUid) -> Option<T::AccountId> {
			Subnets::<T>::get(netuid).map(|s| s.owner)
		}

		fn neuron_count(netuid: NetUid) -> u16 {
			SubnetN::<T>::get(netuid)
		}

		fn epoch_neurons(netuid: NetUid) -> Vec<EpochNeuron<T::AccountId>> {
			// Only permit holders weight others or hold bonds (`try_state`), and Yuma ignores
			// self-weights: the weights and bonds of everyone else are not read.
			let permit = ValidatorPermit::<T>::get(netuid);
			let counted = EpochStake::<T>::get(netuid);
			(0..SubnetN::<T>::get(netuid))
				.filter_map(|uid| {
					let neuron = Neurons::<T>::get(netuid, uid)?;
					let validator = stats::at(&permit, uid);
					Some(EpochNeuron {
						hotkey: neuron.hotkey,
						registered_at: neuron.registered_at,
						last_update: neuron.last_update,
						weights_at: neuron.weights_at,
						validator_permit: validator,
						weights: if validator {
							Weights::<T>::get(netuid, uid).into_inner()
						} else {
							Vec::new()
						},
						bonds: if validator {
							Bonds::<T>::get(netuid, uid).into_inner()
						} else {
							Vec::new()
						},
						last_epoch_stake: stats::at(&counted, uid),
					})
				})
				.collect()
		}

		fn record_epoch(
			netuid: NetUid,
			stats: Vec<NeuronStats>,
			bonds: Vec<(Uid, Vec<(Uid, u64)>)>,
			drop_weights: Vec<Uid>,
		) {
			// Without a permit a UID may not weight others: its weights go, so that what the
			// next epoch reads stays within what it is charged for.
			for uid in drop_weights {
				Weights::<T>::remove(netuid, uid);
			}
			Self::put_stats(netuid, &stats);
			for (uid, row) in bonds {
				match BoundedVec::<(Uid, u64), T::MaxUidsLimit>::try_from(row) {
					Ok(row) if !row.is_empty() => Bonds::<T>::insert(netuid, uid, row),
					_ => Bonds::<T>::remove(netuid, uid),
				}
			}
		}
	}
}

/// Lowers the stake an epoch will count for `hotkey` on each subnet where it holds a UID, so that
/// an epoch counts the least stake it had since the previous one.
impl<T: Config> OnStakeDecrease<T::AccountId> for Pallet<T> {
	fn on_stake_decrease(hotkey: &T::AccountId, stake: Balance) {
		for netuid in Subnets::<T>::iter_keys() {
			if let Some(uid) = Uids::<T>::get(netuid, hotkey) {
				Pallet::<T>::lower_epoch_stake(netuid, uid, stake);
			}
		}
	}

	/// Benchmarked at its worst: the hotkey on `MaxSubnets` full subnets.
	fn weight() -> polkadot_sdk::frame_support::weights::Weight {
		use polkadot_sdk::frame_support::traits::Get;
		T::WeightInfo::on_stake_decrease(u32::from(T::MaxSubnets::get()))
	}
}
