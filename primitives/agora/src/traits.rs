//! Traits that couple Agora's pallets: the subnets pallet registers hotkeys with the staking
//! pallet and reads stake through [`StakeInterface`]; the rewards pallet reads subnets and writes
//! epoch results through [`SubnetsInterface`] and pays through [`StakeInterface`]; the subnets
//! pallet asks the rewards pallet through [`PayoutsQueued`] whether an epoch's payouts are still
//! being credited.

use crate::{Balance, BlockNumber, NetUid, NeuronStats, SubnetHyperparams, Uid};
use alloc::vec::Vec;
use polkadot_sdk::{frame_support::weights::Weight, sp_runtime::DispatchResult};

/// Stake, as the other pallets see it.
pub trait StakeInterface<AccountId> {
	/// Records `coldkey` as the owner of `hotkey` and counts one more subnet it is registered
	/// on; fails if another coldkey owns it.
	fn register_hotkey(hotkey: &AccountId, coldkey: &AccountId) -> DispatchResult;
	/// Counts one subnet fewer that `hotkey` is registered on (it lost a UID). A hotkey on no
	/// subnet keeps its owner and its stake, but takes no new stake.
	fn deregister_hotkey(hotkey: &AccountId);
	/// How many subnets `hotkey` holds a UID on.
	fn registrations(hotkey: &AccountId) -> u16;
	/// The owner of `hotkey`, if registered.
	fn hotkey_owner(hotkey: &AccountId) -> Option<AccountId>;
	/// AGR staked on `hotkey`, all nominators together.
	fn stake_of(hotkey: &AccountId) -> Balance;
	/// Mints `amount` as stake on `hotkey`: its owner keeps the take at once, the rest is
	/// released to the hotkey's nominators linearly over the next `release_blocks` blocks, so
	/// stake earns only for the blocks it is held.
	fn credit_emission(
		hotkey: &AccountId,
		amount: Balance,
		release_blocks: BlockNumber,
	) -> DispatchResult;
	/// Stakes `amount` planck of `coldkey`'s free AGR on `hotkey`, as `add_stake` does (same
	/// checks: a registered hotkey, at least the minimum stake, the coldkey kept alive).
	fn add_stake(coldkey: &AccountId, hotkey: &AccountId, amount: Balance) -> DispatchResult;
	/// Whether `hotkey` is taken in staking: it has an owner, or a pool holding stake, shares
	/// or vesting emission. A hotkey swap may only move onto a hotkey that is not.
	fn hotkey_in_use(hotkey: &AccountId) -> bool;
	/// How many coldkeys hold shares of `hotkey`, counting no further than `limit + 1` (so the
	/// reads stay bounded by the caller's witness).
	fn nominator_count(hotkey: &AccountId, limit: u32) -> u32;
	/// Moves everything staking keeps under `old` to `new` (a hotkey swap): its owner, its pool,
	/// every nominator's shares, its take and the block of its last take change, its count of
	/// registrations. Total stake and the value of every position are unchanged. Fails if
	/// `old` has no owner or `new` is in use ([`StakeInterface::hotkey_in_use`]).
	fn swap_hotkey(old: &AccountId, new: &AccountId) -> DispatchResult;
	/// Whether `coldkey` is frozen by a coldkey swap (announced, pending or disputed, or
	/// cancelled within its delay; at most two reads): it may then neither register hotkeys
	/// nor swap them, so that a thief holding the key can neither grow what the swap must move
	/// nor move the owner's validators to his own hotkeys.
	fn coldkey_frozen(coldkey: &AccountId) -> bool;
}

/// Whether a subnet's last epoch still has payouts waiting to be credited (the rewards pallet's
/// payout queue, which names hotkeys): a hotkey swap waits until they are, so that no queued
/// payout lands on a hotkey that changed hands.
pub trait PayoutsQueued {
	/// `netuid` has payouts queued and not yet credited.
	fn queued(netuid: NetUid) -> bool;
}

/// Never any payout queued (for chains and tests without a rewards pallet).
impl PayoutsQueued for () {
	fn queued(_: NetUid) -> bool {
		false
	}
}

/// Told when a hotkey's neurons and stake moved to a new hotkey (`pallet-subnets`'
/// `swap_hotkey`), so that what else names the hotkey follows it (a senate seat).
pub trait OnHotkeySwap<AccountId> {
	/// `old`'s identity moved to `new`; returns the weight used.
	fn on_hotkey_swap(old: &AccountId, new: &AccountId) -> Weight;
	/// The most [`OnHotkeySwap::on_hotkey_swap`] may use (charged before the swap).
	fn max_weight() -> Weight;
}

/// Nothing else names hotkeys.
impl<AccountId> OnHotkeySwap<AccountId> for () {
	fn on_hotkey_swap(_: &AccountId, _: &AccountId) -> Weight {
		Weight::zero()
	}
	fn max_weight() -> Weight {
		Weight::zero()
	}
}

/// Told when a coldkey swap (`pallet-agora-staking`'s `execute_coldkey_swap`) moved a coldkey's
/// stake positions and hotkeys to a new coldkey, so that what else the coldkey owns follows it
/// (`pallet-subnets`: its subnets, the coldkey recorded in its neurons, its hotkey-swap rate
/// limit).
pub trait OnColdkeySwap<AccountId> {
	/// `old`'s hotkeys (`hotkeys`, already owned by `new` in staking) and positions moved to
	/// `new`; returns the weight used.
	fn on_coldkey_swap(old: &AccountId, new: &AccountId, hotkeys: &[AccountId]) -> Weight;
	/// The most [`OnColdkeySwap::on_coldkey_swap`] may use for a coldkey owning `hotkeys`
	/// hotkeys (charged before the swap).
	fn max_weight(hotkeys: u32) -> Weight;
}

/// Nothing else names coldkeys.
impl<AccountId> OnColdkeySwap<AccountId> for () {
	fn on_coldkey_swap(_: &AccountId, _: &AccountId, _: &[AccountId]) -> Weight {
		Weight::zero()
	}
	fn max_weight(_: u32) -> Weight {
		Weight::zero()
	}
}

/// Told when stake leaves a hotkey (`remove_stake`, `move_stake`), so that an epoch counts only
/// the stake that stayed the whole time since the previous one: stake moved between hotkeys
/// around different subnets' epochs is not counted on each.
pub trait OnStakeDecrease<AccountId> {
	/// `hotkey`'s stake fell to `stake`.
	fn on_stake_decrease(hotkey: &AccountId, stake: Balance);
	/// The most [`OnStakeDecrease::on_stake_decrease`] may cost.
	fn weight() -> Weight;
}

impl<AccountId> OnStakeDecrease<AccountId> for () {
	fn on_stake_decrease(_: &AccountId, _: Balance) {}
	fn weight() -> Weight {
		Weight::zero()
	}
}

/// One neuron's state going into an epoch.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct EpochNeuron<AccountId> {
	/// Its hotkey.
	pub hotkey: AccountId,
	/// Block at which it registered.
	pub registered_at: BlockNumber,
	/// Block of its last weights (or registration): its activity.
	pub last_update: BlockNumber,
	/// Block its stored weights count from: when they were set, or committed for revealed ones
	/// (its registration until it sets any). Weights on a UID registered since are dropped.
	pub weights_at: BlockNumber,
	/// Whether it held a validator permit after the previous epoch.
	pub validator_permit: bool,
	/// Its weights, `(uid, weight)`, if it held a validator permit (only permit holders weight
	/// others; Yuma ignores a self-weight); empty otherwise.
	pub weights: Vec<(Uid, u16)>,
	/// Its bonds from the previous epoch, `(uid, bond as a U32F32 raw value)`, if it held a
	/// validator permit (only permit holders hold bonds); empty otherwise.
	pub bonds: Vec<(Uid, u64)>,
	/// The least stake behind its hotkey since the previous epoch (0 for a neuron registered
	/// since).
	pub last_epoch_stake: Balance,
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
	/// Stores an epoch's results: `stats` one entry per UID in the order of
	/// [`SubnetsInterface::epoch_neurons`]; `bonds` the new bond rows of the UIDs whose bonds
	/// changed (an empty row deletes them); and deletes the weights of `drop_weights` (UIDs
	/// left without a validator permit that weight others).
	fn record_epoch(
		netuid: NetUid,
		stats: Vec<NeuronStats>,
		bonds: Vec<(Uid, Vec<(Uid, u64)>)>,
		drop_weights: Vec<Uid>,
	);
}
