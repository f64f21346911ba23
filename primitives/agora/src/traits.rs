//! Traits that couple Agora's pallets: the subnets pallet registers hotkeys with the staking
//! pallet and reads stake through [`StakeInterface`]; the rewards pallet reads subnets and writes
//! epoch results through [`SubnetsInterface`] and pays through [`StakeInterface`].

use crate::{Balance, BlockNumber, NetUid, NeuronStats, SubnetHyperparams, Uid};
use alloc::vec::Vec;
use polkadot_sdk::sp_runtime::DispatchResult;

/// Stake, as the other pallets see it.
pub trait StakeInterface<AccountId> {
	/// Records `coldkey` as the owner of `hotkey`; fails if another coldkey owns it.
	fn register_hotkey(hotkey: &AccountId, coldkey: &AccountId) -> DispatchResult;
	/// The owner of `hotkey`, if registered.
	fn hotkey_owner(hotkey: &AccountId) -> Option<AccountId>;
	/// AGR staked on `hotkey`, all nominators together.
	fn stake_of(hotkey: &AccountId) -> Balance;
	/// Mints `amount` as stake on `hotkey` (its owner keeps the take, nominators the rest).
	fn credit_emission(hotkey: &AccountId, amount: Balance) -> DispatchResult;
}

/// One neuron's state going into an epoch.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct EpochNeuron<AccountId> {
	/// Its hotkey.
	pub hotkey: AccountId,
	/// Block at which it registered.
	pub registered_at: BlockNumber,
	/// Block of its last weights (or registration).
	pub last_update: BlockNumber,
	/// Its weights: `(uid, weight)`.
	pub weights: Vec<(Uid, u16)>,
	/// Its bonds from the previous epoch: `(uid, bond as a U32F32 raw value)`.
	pub bonds: Vec<(Uid, u64)>,
}

/// Subnets, as the rewards pallet sees them.
pub trait SubnetsInterface<AccountId> {
	/// Every subnet's id, ascending.
	fn netuids() -> Vec<NetUid>;
	/// A subnet's hyperparameters.
	fn hyperparams(netuid: NetUid) -> Option<SubnetHyperparams>;
	/// A subnet's owner.
	fn owner(netuid: NetUid) -> Option<AccountId>;
	/// How many neurons a subnet holds.
	fn neuron_count(netuid: NetUid) -> u16;
	/// Every neuron of a subnet, in UID order.
	fn epoch_neurons(netuid: NetUid) -> Vec<EpochNeuron<AccountId>>;
	/// Stores an epoch's results, one entry per UID in the order of
	/// [`SubnetsInterface::epoch_neurons`].
	fn record_epoch(netuid: NetUid, stats: Vec<NeuronStats>, bonds: Vec<Vec<(Uid, u64)>>);
}
