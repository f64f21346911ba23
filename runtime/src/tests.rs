//! The subnets, staking and rewards pallets together in the real runtime, on the dev preset's
//! genesis: a subnet's life from creation to paid epochs, with every invariant checked.

use crate::{
	agora_api, genesis_config_presets::tests::build, AccountId, AllPalletsWithSystem, Balance,
	Balances, Rewards, Runtime, RuntimeCall, RuntimeOrigin, Staking, Subnets, System, AGR,
};
use agora_primitives::{SubnetHyperparams, TaskKind};
use polkadot_sdk::{
	frame_support::traits::{fungible::Inspect, Get, OnInitialize},
	sp_genesis_builder::DEV_RUNTIME_PRESET,
	sp_keyring::Sr25519Keyring,
	sp_runtime::traits::Dispatchable,
};

fn alice() -> AccountId {
	Sr25519Keyring::Alice.to_account_id()
}

fn hotkey(i: u8) -> AccountId {
	AccountId::from([i; 32])
}

fn call(who: &AccountId, call: impl Into<RuntimeCall>) {
	let call: RuntimeCall = call.into();
	call.clone().dispatch(RuntimeOrigin::signed(who.clone())).unwrap_or_else(|e| {
		panic!("{call:?} failed: {:?}", e.error);
	});
}

fn run_to(n: u32) {
	while System::block_number() < n {
		let b = System::block_number() + 1;
		System::set_block_number(b);
		AllPalletsWithSystem::on_initialize(b);
	}
}

/// Every pallet's invariants, and issuance = Σ (free + reserved) over all accounts.
fn check_invariants() {
	Staking::do_try_state().unwrap();
	Subnets::do_try_state().unwrap();
	Rewards::do_try_state().unwrap();
	let held: Balance = polkadot_sdk::frame_system::Account::<Runtime>::iter()
		.map(|(_, a)| a.data.free + a.data.reserved)
		.sum();
	assert_eq!(Balances::total_issuance(), held, "issuance differs from the accounts' sum");
}

/// Subnet 1 (Alice's, tempo 10): Charlie's validator hotkey 100 at UID 0 with 1,000 AGR staked,
/// Dave's miners 101..=103 at UIDs 1..=3; its netuid and Dave.
fn subnet_with_validator_and_miners() -> (u16, AccountId) {
	let (charlie, dave) =
		(Sr25519Keyring::Charlie.to_account_id(), Sr25519Keyring::Dave.to_account_id());
	call(
		&alice(),
		pallet_subnets::Call::create_subnet { task: TaskKind::TextEmbedding, max_cost: 100 * AGR },
	);
	let netuid = 1;
	let hp = SubnetHyperparams {
		tempo: 10,
		weights_rate_limit: 0,
		min_validator_stake: AGR,
		task: TaskKind::TextEmbedding,
		..Default::default()
	};
	// Tempo and the weights rate limit are root's.
	RuntimeCall::from(pallet_subnets::Call::set_hyperparams { netuid, hyperparams: hp })
		.dispatch(RuntimeOrigin::root())
		.unwrap();
	call(&charlie, pallet_subnets::Call::register { netuid, hotkey: hotkey(100), max_cost: AGR });
	for i in 1..=3 {
		call(
			&dave,
			pallet_subnets::Call::register { netuid, hotkey: hotkey(100 + i), max_cost: AGR },
		);
	}
	call(
		&charlie,
		pallet_agora_staking::Call::add_stake { hotkey: hotkey(100), amount: 1000 * AGR },
	);
	(netuid, dave)
}

/// The validator (hotkey 100) weights the three miners 0.6, 0.3 and 0.1.
fn validator_weights_miners(netuid: u16) {
	call(
		&hotkey(100),
		pallet_subnets::Call::set_weights {
			netuid,
			uids: vec![1, 2, 3].try_into().unwrap(),
			values: vec![39_321, 19_661, 6_553].try_into().unwrap(),
			version_key: 0,
		},
	);
}

#[test]
fn a_subnet_pays_its_miners_validator_and_owner() {
	build(DEV_RUNTIME_PRESET).execute_with(|| {
		run_to(1);
		let (netuid, dave) = subnet_with_validator_and_miners();
		check_invariants();

		// The first epoch (block 12) counts no stake: none was there at an earlier epoch. The
		// second gives the validator its permit.
		run_to(12);
		assert!(!agora_api::neuron(netuid, 0).unwrap().validator_permit);
		run_to(22);
		assert!(agora_api::neuron(netuid, 0).unwrap().validator_permit);
		validator_weights_miners(netuid);
		let issued = Balances::total_issuance();
		let owner_before = Balances::balance(&alice());
		run_to(33);
		check_invariants();

		let m = agora_api::metagraph(netuid).unwrap();
		let inc: Vec<u16> = m.neurons.iter().map(|n| n.incentive).collect();
		assert!(inc[1] > inc[2] && inc[2] > inc[3] && inc[3] > 0, "{inc:?}");
		assert!(m.neurons[0].dividends > 0);
		let paid = pallet_rewards::TotalEmitted::<Runtime>::get();
		assert!(paid > 0);
		assert_eq!(Balances::total_issuance(), issued + paid, "issuance grew by the emission");
		assert_eq!(Balances::balance(&alice()) - owner_before, paid * 18 / 100);
		// Every planck paid is in an epoch's emission stats or the owner's cut.
		let to_neurons: Balance = m.neurons.iter().map(|n| n.emission).sum();
		assert_eq!(to_neurons + paid * 18 / 100, paid);
		// Stake info of the miners' coldkey lists the three miners with their earnings.
		let positions = agora_api::stake_info(dave.clone());
		assert_eq!(positions.len(), 3);
		assert!(positions.iter().all(|p| p.stake > 0 && p.netuids == vec![netuid]));
		assert_eq!(m.subnet.pending_emission, Rewards::pending_emission(netuid));
		assert!(agora_api::registration_cost(netuid).unwrap() >= m.subnet.hyperparams.min_burn);
		assert!(agora_api::subnet_creation_cost() > 100 * AGR, "creation doubled the price");
		assert!(agora_api::metagraph(99).is_none());
		assert!(agora_api::neuron(netuid, 4).is_none());
	});
}

/// Issue 10, item 5: the epoch at the largest subnet and the most validators any setting allows
/// (the case its benchmark measures), with the block hook for the most subnets, fits in a block.
#[test]
fn the_largest_epoch_fits_in_a_block() {
	use pallet_rewards::WeightInfo as _;
	let max_uids: u32 = <Runtime as pallet_subnets::Config>::MaxUidsLimit::get();
	let subnets: u16 = <Runtime as pallet_subnets::Config>::MaxSubnets::get();
	let subnets = u32::from(subnets);
	let epochs: u32 = <Runtime as pallet_rewards::Config>::MaxEpochsPerBlock::get();
	type W = <Runtime as pallet_rewards::Config>::WeightInfo;
	let block = crate::configs::RuntimeBlockWeights::get().max_block;
	let payouts: u32 = <Runtime as pallet_rewards::Config>::MaxPayoutsPerBlock::get();
	let max_uids = u16::try_from(max_uids).unwrap();
	let epoch = Rewards::epoch_weight(max_uids, u32::from(agora_primitives::MAX_VALIDATORS));
	let hook = W::on_initialize(subnets)
		.saturating_add(epoch.saturating_mul(epochs.into()))
		.saturating_add(W::pay_out(payouts));
	// Issue 12: the largest epoch and a block's payouts take at most a quarter of the block.
	let quarter = block.ref_time() / 4;
	assert!(hook.ref_time() <= quarter, "epoch hook {hook:?} above a quarter of the block");
	assert!(hook.all_lte(block), "epoch hook {hook:?} above the block's {block:?}");
	assert_eq!(agora_primitives::MAX_VALIDATORS, 64, "the epoch benchmark measures 64 validators");
}

/// Issue 12: a chain whose subnets hold the last epoch's results in the version-0 layout (one
/// `Stats` entry per neuron) upgrades through the runtime's `Migrations`: every neuron's results
/// survive, the storage version becomes 1, and epochs go on paying.
#[test]
fn the_runtime_upgrade_migrates_epoch_results() {
	use pallet_subnets::migrations::v1::Stats;
	use polkadot_sdk::frame_support::traits::{GetStorageVersion, StorageVersion};
	build(DEV_RUNTIME_PRESET).execute_with(|| {
		run_to(1);
		let (netuid, _) = subnet_with_validator_and_miners();
		run_to(22);
		validator_weights_miners(netuid);
		run_to(33);
		let before = agora_api::metagraph(netuid).unwrap();
		let stats = Subnets::all_stats(netuid);
		assert!(stats.iter().all(|s| s.emission > 0), "{stats:?}");

		// Back to the version-0 layout, as a chain running the previous runtime holds it.
		for (uid, s) in stats.iter().enumerate() {
			Stats::<Runtime>::insert(netuid, uid as u16, s);
		}
		let _ = pallet_subnets::Rank::<Runtime>::take(netuid);
		let _ = pallet_subnets::Trust::<Runtime>::take(netuid);
		let _ = pallet_subnets::Consensus::<Runtime>::take(netuid);
		let _ = pallet_subnets::Incentive::<Runtime>::take(netuid);
		let _ = pallet_subnets::Dividends::<Runtime>::take(netuid);
		let _ = pallet_subnets::ValidatorTrust::<Runtime>::take(netuid);
		let _ = pallet_subnets::ValidatorPermit::<Runtime>::take(netuid);
		let _ = pallet_subnets::Emission::<Runtime>::take(netuid);
		let _ = pallet_subnets::EpochStake::<Runtime>::take(netuid);
		let _ = pallet_subnets::BlockAtRegistration::<Runtime>::take(netuid);
		StorageVersion::new(0).put::<Subnets>();

		let weight = crate::Executive::execute_on_runtime_upgrade();
		assert!(weight.ref_time() > 0);
		assert_eq!(Subnets::on_chain_storage_version(), StorageVersion::new(1));
		assert_eq!(Subnets::all_stats(netuid), stats);
		let after = agora_api::metagraph(netuid).unwrap();
		assert_eq!(after.neurons, before.neurons);
		assert!(Stats::<Runtime>::iter_keys().next().is_none());
		check_invariants();
		// A second upgrade finds nothing to do.
		crate::Executive::execute_on_runtime_upgrade();
		assert_eq!(Subnets::all_stats(netuid), stats);

		// The next epoch reads the migrated layout and pays again.
		let paid = pallet_rewards::TotalEmitted::<Runtime>::get();
		run_to(44);
		assert!(pallet_rewards::TotalEmitted::<Runtime>::get() > paid);
		assert!(agora_api::neuron(netuid, 0).unwrap().validator_permit);
		check_invariants();
	});
}
