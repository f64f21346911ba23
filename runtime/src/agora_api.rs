//! What the `AgoraApi` runtime API answers, assembled from the subnets, staking and rewards
//! pallets.

use crate::{AccountId, Balance, BlockNumber, Runtime, Staking, Subnets, System};
use agora_primitives::{Metagraph, NetUid, NeuronInfo, NeuronStats, StakeInfo, SubnetInfo, Uid};
use alloc::vec::Vec;
use pallet_rewards::Pallet as Rewards;
use pallet_subnets::{Neurons, SubnetN};

fn now() -> BlockNumber {
	System::block_number()
}

/// Every subnet, by netuid.
pub fn subnets() -> Vec<SubnetInfo<AccountId>> {
	let mut ids: Vec<NetUid> = pallet_subnets::Subnets::<Runtime>::iter_keys().collect();
	ids.sort_unstable();
	ids.into_iter().filter_map(subnet).collect()
}

/// One subnet.
pub fn subnet(netuid: NetUid) -> Option<SubnetInfo<AccountId>> {
	let record = pallet_subnets::Subnets::<Runtime>::get(netuid)?;
	Some(SubnetInfo {
		netuid,
		owner: record.owner,
		registered_at: record.registered_at,
		neurons: SubnetN::<Runtime>::get(netuid),
		hyperparams: record.hyperparams,
		registration_cost: Subnets::registration_cost(netuid).unwrap_or_default(),
		pending_emission: Rewards::<Runtime>::pending_emission(netuid),
		last_epoch: Rewards::<Runtime>::last_epoch(netuid).unwrap_or_default(),
	})
}

/// One neuron.
pub fn neuron(netuid: NetUid, uid: Uid) -> Option<NeuronInfo<AccountId>> {
	let hp = pallet_subnets::Subnets::<Runtime>::get(netuid)?.hyperparams;
	neuron_with(netuid, uid, Subnets::stats(netuid, uid), hp.activity_cutoff)
}

fn neuron_with(
	netuid: NetUid,
	uid: Uid,
	stats: NeuronStats,
	activity_cutoff: u32,
) -> Option<NeuronInfo<AccountId>> {
	let n = Neurons::<Runtime>::get(netuid, uid)?;
	Some(NeuronInfo {
		netuid,
		uid,
		stake: Staking::stake_of(&n.hotkey),
		hotkey: n.hotkey,
		coldkey: n.coldkey,
		rank: stats.rank,
		trust: stats.trust,
		consensus: stats.consensus,
		incentive: stats.incentive,
		dividends: stats.dividends,
		validator_trust: stats.validator_trust,
		validator_permit: stats.validator_permit,
		emission: stats.emission,
		last_update: n.last_update,
		registered_at: n.registered_at,
		active: now().saturating_sub(n.last_update) <= activity_cutoff,
		endpoint: n.endpoint,
	})
}

/// A subnet and all its neurons.
pub fn metagraph(netuid: NetUid) -> Option<Metagraph<AccountId>> {
	let subnet = subnet(netuid)?;
	let cutoff = subnet.hyperparams.activity_cutoff;
	// Each of the epoch's vectors is read once for the whole subnet.
	let neurons = Subnets::all_stats(netuid)
		.into_iter()
		.zip(0..)
		.filter_map(|(stats, uid)| neuron_with(netuid, uid, stats, cutoff))
		.collect();
	Some(Metagraph { subnet, block: now(), neurons })
}

/// Every stake position of `coldkey`.
pub fn stake_info(coldkey: AccountId) -> Vec<StakeInfo<AccountId>> {
	Staking::positions_of(&coldkey)
		.into_iter()
		.map(|(hotkey, stake)| StakeInfo {
			owner: Staking::owner_of(&hotkey).unwrap_or_else(|| coldkey.clone()),
			stake,
			hotkey_stake: Staking::stake_of(&hotkey),
			take: Staking::take_of(&hotkey).deconstruct(),
			netuids: Subnets::netuids_of(&hotkey),
			hotkey,
		})
		.collect()
}

/// What registering on `netuid` costs now.
pub fn registration_cost(netuid: NetUid) -> Option<Balance> {
	Subnets::registration_cost(netuid)
}

/// What creating a subnet costs now.
pub fn subnet_creation_cost() -> Balance {
	Subnets::subnet_creation_cost()
}
