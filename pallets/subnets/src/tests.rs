//! Unit tests: every call's success path and every error, the two prices, replacement of the
//! weakest neuron on a full subnet, weights (direct and commit-reveal), and the interface the
//! rewards pallet uses.

#![allow(unreachable_pub, clippy::unwrap_used)]

use crate::{
	mock::*, Bonds, Burn, Error, Event, HyperparamsSetAt, LastSubnetCost, Neuron, Neurons,
	NextNetUid, PeerIdOwners, Subnet, SubnetCount, SubnetN, Subnets as SubnetRecords, Uids,
	WeightCommits, WeightInfo, Weights,
};
use agora_primitives::{
	commit_hash, serve_proof_payload,
	traits::{EpochNeuron, SubnetsInterface},
	AddrBytes, Addrs, Endpoint, EndpointError, HyperparamError, NetUid, NeuronStats, PeerIdBytes,
	SubnetHyperparams, TaskKind, Uid,
};
use frame::testing_prelude::*;
use polkadot_sdk::{
	polkadot_sdk_frame as frame,
	sp_core::{ed25519, Pair as _},
	sp_runtime::Perbill,
};

type AccountId = <Test as frame_system::Config>::AccountId;

fn free(who: u64) -> u128 {
	Balances::free_balance(who)
}

fn bounded<T: Clone + core::fmt::Debug, S: Get<u32>>(v: &[T]) -> BoundedVec<T, S> {
	v.to_vec().try_into().unwrap()
}

/// Creates a subnet owned by `owner` at whatever it costs now.
fn create(owner: u64) -> NetUid {
	let netuid = NextNetUid::<Test>::get();
	assert_ok!(Subnets::create_subnet(
		RuntimeOrigin::signed(owner),
		TaskKind::TextGeneration,
		u128::MAX
	));
	netuid
}

/// Registers `hotkey` for `coldkey` at whatever it costs now; returns its UID.
fn register(netuid: NetUid, coldkey: u64, hotkey: u64) -> Uid {
	assert_ok!(Subnets::register(RuntimeOrigin::signed(coldkey), netuid, hotkey, u128::MAX));
	Uids::<Test>::get(netuid, hotkey).unwrap()
}

/// A subnet owned by coldkey 1 with `n` neurons: hotkeys `10..10 + n` (coldkey 1) on UIDs `0..n`.
fn subnet_with(n: u16) -> NetUid {
	let netuid = create(1);
	for i in 0..n {
		assert_eq!(register(netuid, 1, 10 + u64::from(i)), i);
	}
	netuid
}

fn hyperparams(netuid: NetUid) -> SubnetHyperparams {
	SubnetRecords::<Test>::get(netuid).unwrap().hyperparams
}

/// Changes a subnet's hyperparameters as root.
fn set_hp(netuid: NetUid, change: impl FnOnce(&mut SubnetHyperparams)) {
	let mut hp = hyperparams(netuid);
	change(&mut hp);
	assert_ok!(Subnets::set_hyperparams(RuntimeOrigin::root(), netuid, hp));
}

/// Turns commit-reveal on, with an immunity period long enough for a reveal to count.
fn commit_reveal(hp: &mut SubnetHyperparams) {
	hp.commit_reveal = true;
	hp.immunity_period = 60;
}

/// Grants `uid` a validator permit, as an epoch would.
fn permit(netuid: NetUid, uid: Uid) {
	Subnets::set_stats(netuid, uid, NeuronStats { validator_permit: true, ..Default::default() });
}

fn set_weights(hotkey: u64, netuid: NetUid, uids: &[Uid], values: &[u16]) -> DispatchResult {
	Subnets::set_weights(RuntimeOrigin::signed(hotkey), netuid, bounded(uids), bounded(values), 0)
}

fn reveal(
	hotkey: u64,
	netuid: NetUid,
	uids: &[Uid],
	values: &[u16],
	salt: &[u8],
	version_key: u64,
) -> DispatchResult {
	Subnets::reveal_weights(
		RuntimeOrigin::signed(hotkey),
		netuid,
		bounded(uids),
		bounded(values),
		bounded(salt),
		version_key,
	)
}

/// A sha2-256 PeerId.
fn addrs(list: &[&str]) -> Addrs {
	let list: Vec<AddrBytes> =
		list.iter().map(|a| a.as_bytes().to_vec().try_into().unwrap()).collect();
	list.try_into().unwrap()
}

fn last_events(n: usize) -> Vec<RuntimeEvent> {
	let events = System::events();
	events[events.len() - n..].iter().map(|r| r.event.clone()).collect()
}

#[test]
fn integrity_test_passes() {
	new_test_ext().execute_with(|| {
		<Subnets as Hooks<u64>>::integrity_test();
	});
}

#[test]
fn try_state_catches_corruption() {
	new_test_ext().execute_with(|| {
		System::set_block_number(1);
		let netuid = subnet_with(2);
		assert_ok!(Subnets::do_try_state());
		Subnets::set_stats(netuid, 2, NeuronStats { emission: 1, ..Default::default() });
		assert!(Subnets::do_try_state().is_err());
		Subnets::set_stats(netuid, 2, NeuronStats::default());
		crate::Emission::<Test>::mutate(netuid, |e| {
			e.pop();
		});
		assert_ok!(Subnets::do_try_state());
		crate::BlockAtRegistration::<Test>::insert(netuid, bounded(&[1, 2]));
		assert!(Subnets::do_try_state().is_err());
		crate::BlockAtRegistration::<Test>::insert(netuid, bounded(&[1, 1]));
		assert_ok!(Subnets::do_try_state());
		crate::Incentive::<Test>::insert(netuid + 1, bounded(&[1]));
		assert!(Subnets::do_try_state().is_err());
		crate::Incentive::<Test>::remove(netuid + 1);
		assert_ok!(Subnets::do_try_state());
		Weights::<Test>::insert(netuid, 0, bounded(&[(1, 1), (0, 1)]));
		assert!(Subnets::do_try_state().is_err());
		Weights::<Test>::remove(netuid, 0);
		SubnetN::<Test>::insert(netuid, 3);
		assert!(Subnets::do_try_state().is_err());
	});
}

// ---- create_subnet ----

#[test]
fn create_subnet_burns_the_cost_and_stores_the_subnet() {
	build_and_execute(|| {
		assert_eq!(Subnets::subnet_creation_cost(), 1_000);
		assert_ok!(Subnets::create_subnet(
			RuntimeOrigin::signed(1),
			TaskKind::TextEmbedding,
			1_000
		));
		System::assert_last_event(Event::SubnetCreated { netuid: 1, owner: 1, cost: 1_000 }.into());
		assert_eq!(free(1), 999_000);
		assert_eq!(
			SubnetRecords::<Test>::get(1),
			Some(Subnet {
				owner: 1,
				registered_at: 1,
				hyperparams: SubnetHyperparams {
					task: TaskKind::TextEmbedding,
					..TestHyperparams::get()
				},
			})
		);
		assert_eq!(SubnetCount::<Test>::get(), 1);
		assert_eq!(NextNetUid::<Test>::get(), 2);
		assert_eq!(LastSubnetCost::<Test>::get(), Some((1_000, 1)));
		assert_eq!(Burn::<Test>::get(1), (10, 1));
		assert_eq!(Subnets::registration_cost(1), Some(10));
		assert_eq!(Subnets::registration_cost(2), None);
		assert_eq!(SubnetN::<Test>::get(1), 0);
		// A second subnet gets the next id, and costs double.
		assert_eq!(create(2), 2);
		System::assert_last_event(Event::SubnetCreated { netuid: 2, owner: 2, cost: 2_000 }.into());
		assert_eq!(free(2), 998_000);
		assert_eq!(SubnetCount::<Test>::get(), 2);
	});
}

#[test]
fn creation_cost_doubles_then_decays_to_the_minimum() {
	build_and_execute(|| {
		create(1);
		assert_eq!(Subnets::subnet_creation_cost(), 2_000);
		create(1);
		assert_eq!(Subnets::subnet_creation_cost(), 4_000);
		assert_eq!(LastSubnetCost::<Test>::get(), Some((2_000, 1)));
		// 4_000 loses 4_000 / 100 per block.
		run_to_block(26);
		assert_eq!(Subnets::subnet_creation_cost(), 3_000);
		run_to_block(51);
		assert_eq!(Subnets::subnet_creation_cost(), 2_000);
		run_to_block(76);
		assert_eq!(Subnets::subnet_creation_cost(), 1_000);
		// Never below MinSubnetCost, and at it once SubnetCostDecay blocks passed.
		run_to_block(90);
		assert_eq!(Subnets::subnet_creation_cost(), 1_000);
		run_to_block(101);
		assert_eq!(Subnets::subnet_creation_cost(), 1_000);
		run_to_block(500);
		assert_eq!(Subnets::subnet_creation_cost(), 1_000);
		// Paying a decayed price doubles from what was paid.
		create(2);
		System::assert_last_event(Event::SubnetCreated { netuid: 3, owner: 2, cost: 1_000 }.into());
		assert_eq!(Subnets::subnet_creation_cost(), 2_000);
		run_blocks(25);
		assert_eq!(Subnets::subnet_creation_cost(), 1_500);
		create(3);
		System::assert_last_event(Event::SubnetCreated { netuid: 4, owner: 3, cost: 1_500 }.into());
		assert_eq!(Subnets::subnet_creation_cost(), 3_000);
	});
}

#[test]
fn create_subnet_errors() {
	build_and_execute(|| {
		assert_noop!(
			Subnets::create_subnet(RuntimeOrigin::signed(1), TaskKind::TextGeneration, 999),
			Error::<Test>::CostAboveMaxCost
		);
		// Coldkey 5 holds exactly the cost: paying it would reap the account.
		assert_noop!(
			Subnets::create_subnet(RuntimeOrigin::signed(5), TaskKind::TextGeneration, 1_000),
			Error::<Test>::InsufficientBalance
		);
		assert_noop!(
			Subnets::create_subnet(RuntimeOrigin::signed(7), TaskKind::TextGeneration, 1_000),
			Error::<Test>::InsufficientBalance
		);
		assert_noop!(
			Subnets::create_subnet(RuntimeOrigin::none(), TaskKind::TextGeneration, 1_000),
			BadOrigin
		);
		assert_noop!(
			Subnets::create_subnet(RuntimeOrigin::root(), TaskKind::TextGeneration, 1_000),
			BadOrigin
		);
		for netuid in 1..=8 {
			assert_eq!(create(1), netuid);
		}
		assert_eq!(SubnetCount::<Test>::get(), 8);
		assert_noop!(
			Subnets::create_subnet(RuntimeOrigin::signed(2), TaskKind::TextGeneration, u128::MAX),
			Error::<Test>::TooManySubnets
		);
	});
}

#[test]
fn create_subnet_refuses_when_ids_run_out() {
	build_and_execute(|| {
		NextNetUid::<Test>::put(u16::MAX);
		assert_noop!(
			Subnets::create_subnet(RuntimeOrigin::signed(1), TaskKind::TextGeneration, u128::MAX),
			Error::<Test>::TooManySubnets
		);
	});
}

// ---- set_hyperparams ----

#[test]
fn owner_sets_hyperparams_once_per_rate_limit() {
	build_and_execute(|| {
		let netuid = create(1);
		let mut hp = hyperparams(netuid);
		hp.immunity_period = 20;
		hp.bonds_moving_average = 800_000;
		hp.task = TaskKind::TextEmbedding;
		assert_ok!(Subnets::set_hyperparams(RuntimeOrigin::signed(1), netuid, hp.clone()));
		System::assert_last_event(Event::HyperparamsSet { netuid, hyperparams: hp.clone() }.into());
		assert_eq!(hyperparams(netuid), hp);
		assert_eq!(HyperparamsSetAt::<Test>::get(netuid), Some(1));
		hp.immunity_period = 30;
		assert_noop!(
			Subnets::set_hyperparams(RuntimeOrigin::signed(1), netuid, hp.clone()),
			Error::<Test>::HyperparamsRateLimited
		);
		run_to_block(10);
		assert_noop!(
			Subnets::set_hyperparams(RuntimeOrigin::signed(1), netuid, hp.clone()),
			Error::<Test>::HyperparamsRateLimited
		);
		run_to_block(11);
		assert_ok!(Subnets::set_hyperparams(RuntimeOrigin::signed(1), netuid, hp.clone()));
		assert_eq!(hyperparams(netuid).immunity_period, 30);
		assert_eq!(HyperparamsSetAt::<Test>::get(netuid), Some(11));
	});
}

#[test]
fn root_sets_hyperparams_without_rate_limit() {
	build_and_execute(|| {
		let netuid = create(1);
		let mut hp = hyperparams(netuid);
		hp.immunity_period = 7;
		assert_ok!(Subnets::set_hyperparams(RuntimeOrigin::signed(1), netuid, hp.clone()));
		hp.max_uids = 4096;
		hp.max_allowed_weights = 4096;
		hp.tempo = 7;
		assert_ok!(Subnets::set_hyperparams(RuntimeOrigin::root(), netuid, hp.clone()));
		System::assert_last_event(Event::HyperparamsSet { netuid, hyperparams: hp.clone() }.into());
		hp.tempo = 8;
		assert_ok!(Subnets::set_hyperparams(RuntimeOrigin::root(), netuid, hp.clone()));
		assert_eq!(hyperparams(netuid), hp);
		// Root's changes do not restart the owner's rate limit.
		assert_eq!(HyperparamsSetAt::<Test>::get(netuid), Some(1));
		// Root still has to respect the bounds.
		hp.tempo = 0;
		assert_noop!(
			Subnets::set_hyperparams(RuntimeOrigin::root(), netuid, hp),
			Error::<Test>::InvalidHyperparams(HyperparamError::Tempo)
		);
	});
}

#[test]
fn set_hyperparams_errors() {
	build_and_execute(|| {
		let netuid = subnet_with(3);
		let ok = hyperparams(netuid);
		assert_noop!(
			Subnets::set_hyperparams(RuntimeOrigin::signed(1), 9, ok.clone()),
			Error::<Test>::SubnetNotFound
		);
		assert_noop!(
			Subnets::set_hyperparams(RuntimeOrigin::root(), 9, ok.clone()),
			Error::<Test>::SubnetNotFound
		);
		assert_noop!(
			Subnets::set_hyperparams(RuntimeOrigin::signed(2), netuid, ok.clone()),
			Error::<Test>::NotSubnetOwner
		);
		assert_noop!(
			Subnets::set_hyperparams(RuntimeOrigin::none(), netuid, ok.clone()),
			BadOrigin
		);
		let cases: Vec<(SubnetHyperparams, HyperparamError)> = vec![
			(SubnetHyperparams { tempo: 0, ..ok.clone() }, HyperparamError::Tempo),
			// Below the subnet's 3 neurons, and above MaxUidsLimit.
			(
				SubnetHyperparams {
					max_uids: 2,
					max_allowed_weights: 2,
					max_validators: 2,
					..ok.clone()
				},
				HyperparamError::MaxUids,
			),
			(SubnetHyperparams { max_uids: 4097, ..ok.clone() }, HyperparamError::MaxUids),
			(
				SubnetHyperparams { immunity_period: 100_001, ..ok.clone() },
				HyperparamError::ImmunityPeriod,
			),
			(
				SubnetHyperparams { max_allowed_weights: 5, ..ok.clone() },
				HyperparamError::AllowedWeights,
			),
			(
				SubnetHyperparams { min_allowed_weights: 2, max_weight_limit: 100, ..ok.clone() },
				HyperparamError::MaxWeightLimit,
			),
			(
				SubnetHyperparams { activity_cutoff: 9, ..ok.clone() },
				HyperparamError::ActivityCutoff,
			),
			(SubnetHyperparams { kappa: 0, ..ok.clone() }, HyperparamError::Kappa),
			(
				SubnetHyperparams { bonds_moving_average: 975_001, ..ok.clone() },
				HyperparamError::BondsMovingAverage,
			),
			(SubnetHyperparams { max_validators: 5, ..ok.clone() }, HyperparamError::MaxValidators),
			(SubnetHyperparams { reveal_period: 101, ..ok.clone() }, HyperparamError::RevealPeriod),
			(SubnetHyperparams { min_burn: 11, max_burn: 10, ..ok.clone() }, HyperparamError::Burn),
			// Commit-reveal whose reveals count only after validators went inactive (tempo 10,
			// activity cutoff 100) or after new miners lost their immunity (5 blocks).
			(
				SubnetHyperparams {
					commit_reveal: true,
					immunity_period: 1_000,
					reveal_period: 10,
					..ok.clone()
				},
				HyperparamError::RevealPastActivityCutoff,
			),
			(
				SubnetHyperparams {
					commit_reveal: true,
					reveal_period: 1,
					immunity_period: 19,
					..ok.clone()
				},
				HyperparamError::RevealPastImmunityPeriod,
			),
		];
		for (hp, err) in cases {
			// An owner touching root's field is told that first.
			let owners = match ok.root_only_change(&hp) {
				Some(field) => Error::<Test>::RootOnlyHyperparam(field),
				None => Error::<Test>::InvalidHyperparams(err),
			};
			assert_noop!(
				Subnets::set_hyperparams(RuntimeOrigin::signed(1), netuid, hp.clone()),
				owners
			);
			assert_noop!(
				Subnets::set_hyperparams(RuntimeOrigin::root(), netuid, hp),
				Error::<Test>::InvalidHyperparams(err)
			);
		}
		// Down to exactly its neurons is fine.
		set_hp(netuid, |hp| {
			hp.max_uids = 3;
			hp.max_allowed_weights = 3;
			hp.max_validators = 3;
		});
	});
}

// ---- register ----

#[test]
fn register_burns_the_price_and_takes_the_next_uid() {
	build_and_execute(|| {
		let netuid = create(1);
		let before = free(2);
		assert_ok!(Subnets::register(RuntimeOrigin::signed(2), netuid, 20, 10));
		System::assert_last_event(
			Event::NeuronRegistered { netuid, uid: 0, hotkey: 20, coldkey: 2, cost: 10 }.into(),
		);
		assert_eq!(free(2), before - 10);
		assert_eq!(
			Neurons::<Test>::get(netuid, 0),
			Some(Neuron {
				hotkey: 20,
				coldkey: 2,
				registered_at: 1,
				last_update: 1,
				weights_at: 1,
				endpoint: None
			})
		);
		assert_eq!(Subnets::neuron(netuid, 0), Neurons::<Test>::get(netuid, 0));
		assert_eq!(Uids::<Test>::get(netuid, 20), Some(0));
		assert_eq!(SubnetN::<Test>::get(netuid), 1);
		assert_eq!(Staking::owner_of(&20), Some(2));
		assert_eq!(Burn::<Test>::get(netuid), (15, 1));
		run_to_block(3);
		assert_eq!(register(netuid, 3, 21), 1);
		assert_eq!(SubnetN::<Test>::get(netuid), 2);
		assert_eq!(Neurons::<Test>::get(netuid, 1).unwrap().registered_at, 3);
		// One hotkey may serve several subnets.
		let other = create(2);
		assert_eq!(register(other, 2, 20), 0);
		let mut netuids = Subnets::netuids_of(&20);
		netuids.sort();
		assert_eq!(netuids, vec![netuid, other]);
		assert_eq!(Subnets::netuids_of(&21), vec![netuid]);
		assert!(Subnets::netuids_of(&99).is_empty());
	});
}

#[test]
fn registration_price_rises_then_decays_to_min_burn() {
	build_and_execute(|| {
		let netuid = create(1);
		assert_eq!(Subnets::registration_cost(netuid), Some(10));
		register(netuid, 1, 10);
		assert_eq!(Subnets::registration_cost(netuid), Some(15));
		register(netuid, 1, 11);
		System::assert_last_event(
			Event::NeuronRegistered { netuid, uid: 1, hotkey: 11, coldkey: 1, cost: 15 }.into(),
		);
		// 15 + 50% of it, floored.
		assert_eq!(Burn::<Test>::get(netuid), (22, 1));
		assert_eq!(Subnets::registration_cost(netuid), Some(22));
		// 90% kept per block.
		run_to_block(2);
		assert_eq!(Subnets::registration_cost(netuid), Some(19));
		run_to_block(3);
		let expected = Perbill::from_percent(90).saturating_pow(2).mul_floor(22u128);
		assert_eq!(Subnets::registration_cost(netuid), Some(expected));
		assert_eq!(expected, 17);
		run_to_block(5);
		assert_eq!(Subnets::registration_cost(netuid), Some(14));
		run_to_block(10);
		assert_eq!(Subnets::registration_cost(netuid), Some(10));
		run_to_block(1_000);
		assert_eq!(Subnets::registration_cost(netuid), Some(10));
		register(netuid, 1, 12);
		System::assert_last_event(
			Event::NeuronRegistered { netuid, uid: 2, hotkey: 12, coldkey: 1, cost: 10 }.into(),
		);
		assert_eq!(Burn::<Test>::get(netuid), (15, 1_000));
	});
}

#[test]
fn registration_price_is_clamped_to_the_subnets_bounds() {
	build_and_execute(|| {
		let netuid = create(1);
		set_hp(netuid, |hp| hp.max_burn = 20);
		register(netuid, 1, 10);
		register(netuid, 1, 11);
		// 22 clamped to 20 when stored.
		assert_eq!(Burn::<Test>::get(netuid), (20, 1));
		register(netuid, 1, 12);
		System::assert_last_event(
			Event::NeuronRegistered { netuid, uid: 2, hotkey: 12, coldkey: 1, cost: 20 }.into(),
		);
		assert_eq!(Burn::<Test>::get(netuid), (20, 1));
		// And when read, if the bounds moved since.
		set_hp(netuid, |hp| hp.max_burn = 12);
		assert_eq!(Subnets::registration_cost(netuid), Some(12));
		set_hp(netuid, |hp| {
			hp.min_burn = 50;
			hp.max_burn = 100;
		});
		assert_eq!(Subnets::registration_cost(netuid), Some(50));
		run_to_block(100);
		assert_eq!(Subnets::registration_cost(netuid), Some(50));
		// A free subnet charges nothing.
		set_hp(netuid, |hp| hp.min_burn = 0);
		run_to_block(1_000);
		assert_eq!(Subnets::registration_cost(netuid), Some(0));
		assert_ok!(Subnets::register(RuntimeOrigin::signed(7), netuid, 70, 0));
		assert_eq!(Burn::<Test>::get(netuid), (0, 1_000));
	});
}

#[test]
fn register_errors() {
	build_and_execute(|| {
		let netuid = create(1);
		assert_noop!(
			register_err(RuntimeOrigin::signed(1), 9, 10, u128::MAX),
			Error::<Test>::SubnetNotFound
		);
		assert_noop!(
			register_err(RuntimeOrigin::signed(1), netuid, 10, 9),
			Error::<Test>::CostAboveMaxCost
		);
		assert_noop!(
			register_err(RuntimeOrigin::signed(7), netuid, 70, u128::MAX),
			Error::<Test>::InsufficientBalance
		);
		assert_noop!(register_err(RuntimeOrigin::none(), netuid, 10, u128::MAX), BadOrigin);
		register(netuid, 1, 10);
		assert_noop!(
			register_err(RuntimeOrigin::signed(1), netuid, 10, u128::MAX),
			Error::<Test>::AlreadyRegistered
		);
		assert_noop!(
			register_err(RuntimeOrigin::signed(2), netuid, 10, u128::MAX),
			Error::<Test>::AlreadyRegistered
		);
		// Hotkey 10 belongs to coldkey 1, on every subnet.
		let other = create(2);
		assert_noop!(
			register_err(RuntimeOrigin::signed(2), other, 10, u128::MAX),
			Error::<Test>::HotkeyOwnedByAnother
		);
		// Ownership recorded by the staking pallet alone counts too.
		pallet_agora_staking::Owner::<Test>::insert(30, 3);
		pallet_agora_staking::OwnedHotkeys::<Test>::insert(3, 30, ());
		assert_noop!(
			register_err(RuntimeOrigin::signed(1), netuid, 30, u128::MAX),
			Error::<Test>::HotkeyOwnedByAnother
		);
		assert_eq!(register(netuid, 3, 30), 1);
	});
}

#[test]
fn a_full_subnet_replaces_the_weakest_non_immune_neuron() {
	build_and_execute(|| {
		let netuid = subnet_with(4);
		// Registered at block 1 with immunity 5: immune through block 5.
		run_to_block(5);
		assert_noop!(
			register_err(RuntimeOrigin::signed(2), netuid, 20, u128::MAX),
			Error::<Test>::AllNeuronsImmune
		);
		run_to_block(6);
		// UID 1 ties UID 2 on emission and registration: the lower UID goes.
		for (uid, emission, validator_permit) in
			[(0, 100, true), (1, 5, true), (2, 5, false), (3, 50, false)]
		{
			let stats = NeuronStats { emission, validator_permit, ..Default::default() };
			Subnets::set_stats(netuid, uid, stats);
		}
		assert_ok!(set_weights(11, netuid, &[0, 2], &[1, 1]));
		assert_ok!(set_weights(10, netuid, &[1, 3], &[1, 1]));
		Bonds::<Test>::insert(netuid, 1, bounded(&[(0, 7)]));
		WeightCommits::<Test>::insert(
			netuid,
			11,
			([1u8; 32], 6, crate::CommitTerms::new(&hyperparams(netuid), 6)),
		);

		let cost = Subnets::registration_cost(netuid).unwrap();
		let info = Subnets::register(RuntimeOrigin::signed(2), netuid, 20, u128::MAX).unwrap();
		// A full subnet scans every UID.
		assert_eq!(info.actual_weight, Some(<() as WeightInfo>::register(4)));
		assert_eq!(
			last_events(2),
			vec![
				RuntimeEvent::Subnets(Event::NeuronReplaced { netuid, uid: 1, hotkey: 11 }),
				RuntimeEvent::Subnets(Event::NeuronRegistered {
					netuid,
					uid: 1,
					hotkey: 20,
					coldkey: 2,
					cost,
				}),
			]
		);
		assert_eq!(SubnetN::<Test>::get(netuid), 4);
		assert_eq!(Uids::<Test>::get(netuid, 11), None);
		assert_eq!(Uids::<Test>::get(netuid, 20), Some(1));
		assert_eq!(
			Neurons::<Test>::get(netuid, 1),
			Some(Neuron {
				hotkey: 20,
				coldkey: 2,
				registered_at: 6,
				last_update: 6,
				weights_at: 6,
				endpoint: None
			})
		);
		assert!(!Weights::<Test>::contains_key(netuid, 1));
		assert!(!Bonds::<Test>::contains_key(netuid, 1));
		assert_eq!(Subnets::stats(netuid, 1), NeuronStats::default());
		assert_eq!(crate::BlockAtRegistration::<Test>::get(netuid)[1], 6);
		assert_eq!(WeightCommits::<Test>::get(netuid, 11).map(|c| (c.0, c.1)), None);
		// Others' weights on the UID stay; the old hotkey keeps its owner.
		assert_eq!(Weights::<Test>::get(netuid, 0).into_inner(), vec![(1, 1), (3, 1)]);
		assert_eq!(Staking::owner_of(&11), Some(1));
		// The newcomer is immune: next goes UID 2 (emission 5), then UID 3 (50).
		assert_eq!(register(netuid, 2, 21), 2);
		assert_eq!(register(netuid, 2, 22), 3);
		assert_eq!(register(netuid, 2, 23), 0);
		assert_noop!(
			register_err(RuntimeOrigin::signed(2), netuid, 24, u128::MAX),
			Error::<Test>::AllNeuronsImmune
		);
		// A failed registration is charged what it did: the scan of the full subnet, or nothing
		// when it failed before any scan.
		let failed =
			Subnets::register(RuntimeOrigin::signed(2), netuid, 24, u128::MAX).unwrap_err();
		assert_eq!(failed.post_info.actual_weight, Some(<() as WeightInfo>::register(4)));
		let failed = Subnets::register(RuntimeOrigin::signed(2), 9, 24, u128::MAX).unwrap_err();
		assert_eq!(failed.post_info.actual_weight, Some(<() as WeightInfo>::register(0)));
		// The replaced hotkey may come back, as a newcomer (all registered at block 6 without
		// emission: the lowest UID goes).
		run_to_block(11);
		assert_eq!(register(netuid, 1, 11), 0);
		System::assert_has_event(Event::NeuronReplaced { netuid, uid: 0, hotkey: 23 }.into());
	});
}

#[test]
fn replacement_ties_go_to_the_earliest_registered_then_the_lower_uid() {
	build_and_execute(|| {
		let netuid = create(1);
		register(netuid, 1, 10);
		register(netuid, 1, 11);
		run_to_block(2);
		register(netuid, 1, 12);
		run_to_block(3);
		let info = Subnets::register(RuntimeOrigin::signed(1), netuid, 13, u128::MAX).unwrap();
		// Not full yet: nothing scanned.
		assert_eq!(info.actual_weight, Some(<() as WeightInfo>::register(0)));
		// Emissions through the rewards pallet's interface.
		let stats =
			[7, 7, 0, 0].map(|emission| NeuronStats { emission, ..Default::default() }).to_vec();
		<Subnets as SubnetsInterface<AccountId>>::record_epoch(netuid, stats, vec![], vec![1]);
		// Block 7: UID 3 (registered at 3) is still immune; UID 2 has the lowest emission.
		run_to_block(7);
		assert_eq!(register(netuid, 2, 20), 2);
		System::assert_has_event(Event::NeuronReplaced { netuid, uid: 2, hotkey: 12 }.into());
		// UIDs 0 and 1 tie on emission and registration: the lower UID goes.
		assert_eq!(register(netuid, 2, 21), 0);
		// Block 12: UIDs 0, 2 (registered at 7) and 3 (at 3) have no emission: the earliest
		// registered goes although its UID is the highest, then the lower UID.
		run_to_block(12);
		assert_eq!(register(netuid, 2, 22), 3);
		assert_eq!(register(netuid, 2, 23), 0);
		assert_eq!(register(netuid, 2, 24), 2);
		assert_eq!(register(netuid, 2, 25), 1);
		assert_noop!(
			register_err(RuntimeOrigin::signed(2), netuid, 26, u128::MAX),
			Error::<Test>::AllNeuronsImmune
		);
	});
}

// ---- serve ----

/// A libp2p-style ed25519 key from `seed`, and the binary PeerId libp2p gives it.
fn libp2p_key(seed: u8) -> (ed25519::Pair, PeerIdBytes) {
	let pair = ed25519::Pair::from_seed(&[seed; 32]);
	let mut id = agora_primitives::ED25519_PEER_ID_PREFIX.to_vec();
	id.extend(pair.public().0);
	(pair, id.try_into().unwrap())
}

/// `key`'s proof that `hotkey` may publish it on `netuid`.
fn proof(key: &ed25519::Pair, netuid: NetUid, hotkey: u64) -> [u8; 64] {
	key.sign(&serve_proof_payload(&Subnets::genesis_hash(), netuid, &hotkey)).0
}

/// `hotkey` serves the PeerId of key `seed` on `netuid`, with a valid proof.
fn serve(hotkey: u64, netuid: NetUid, seed: u8, a: Addrs) -> DispatchResult {
	let (key, id) = libp2p_key(seed);
	Subnets::serve(RuntimeOrigin::signed(hotkey), netuid, id, a, proof(&key, netuid, hotkey))
}

#[test]
fn serve_publishes_the_endpoint_once_per_rate_limit() {
	build_and_execute(|| {
		let netuid = subnet_with(2);
		let a = addrs(&["/ip4/1.2.3.4/tcp/5", "/dns4/miner.example/tcp/30333"]);
		assert_ok!(serve(11, netuid, 1, a.clone()));
		let endpoint = Endpoint { peer_id: libp2p_key(1).1, addrs: a, served_at: 1 };
		System::assert_last_event(
			Event::NeuronServed { netuid, uid: 1, endpoint: endpoint.clone() }.into(),
		);
		assert_eq!(Neurons::<Test>::get(netuid, 1).unwrap().endpoint, Some(endpoint));
		assert_eq!(Neurons::<Test>::get(netuid, 0).unwrap().endpoint, None);
		assert_eq!(PeerIdOwners::<Test>::get(netuid, libp2p_key(1).1), Some(1));
		// A new key and no address (a neuron that only dials out), once the rate limit allows.
		assert_noop!(serve(11, netuid, 2, addrs(&[])), Error::<Test>::ServeRateLimited);
		run_to_block(5);
		assert_noop!(serve(11, netuid, 2, addrs(&[])), Error::<Test>::ServeRateLimited);
		run_to_block(6);
		assert_ok!(serve(11, netuid, 2, addrs(&[])));
		assert_eq!(
			Neurons::<Test>::get(netuid, 1).unwrap().endpoint,
			Some(Endpoint { peer_id: libp2p_key(2).1, addrs: addrs(&[]), served_at: 6 })
		);
		// The old PeerId is free again; the new one is the neuron's.
		assert_eq!(PeerIdOwners::<Test>::get(netuid, libp2p_key(1).1), None);
		assert_eq!(PeerIdOwners::<Test>::get(netuid, libp2p_key(2).1), Some(1));
		// Another neuron is not rate limited by it, and may take the freed PeerId.
		assert_ok!(serve(10, netuid, 1, addrs(&[])));
		// The same PeerId on another subnet is another matter.
		let other = create(2);
		assert_eq!(register(other, 1, 11), 0);
		assert_ok!(serve(11, other, 1, addrs(&[])));
	});
}

#[test]
fn serve_errors() {
	build_and_execute(|| {
		let netuid = subnet_with(1);
		let a = addrs(&["/ip4/1.2.3.4/tcp/5"]);
		let (key, id) = libp2p_key(1);
		let good = proof(&key, netuid, 10);
		let call = |who: u64, netuid: NetUid, id: &PeerIdBytes, a: &Addrs, p: [u8; 64]| {
			Subnets::serve(RuntimeOrigin::signed(who), netuid, id.clone(), a.clone(), p)
		};
		assert_noop!(call(10, 9, &id, &a, good), Error::<Test>::SubnetNotFound);
		assert_noop!(call(99, netuid, &id, &a, good), Error::<Test>::NotRegistered);
		let bad: PeerIdBytes = vec![0x00, 5, 1, 2].try_into().unwrap();
		assert_noop!(
			call(10, netuid, &bad, &a, good),
			Error::<Test>::InvalidEndpoint(EndpointError::PeerId)
		);
		let empty: PeerIdBytes = vec![].try_into().unwrap();
		assert_noop!(
			call(10, netuid, &empty, &a, good),
			Error::<Test>::InvalidEndpoint(EndpointError::PeerId)
		);
		// A sha256 PeerId (e.g. of an RSA key) cannot prove its key on chain.
		let mut sha = vec![0x12, 32];
		sha.extend([7u8; 32]);
		let sha: PeerIdBytes = sha.try_into().unwrap();
		assert_noop!(
			call(10, netuid, &sha, &a, good),
			Error::<Test>::InvalidEndpoint(EndpointError::PeerId)
		);
		assert_noop!(
			call(10, netuid, &id, &addrs(&["/ip4/1.2.3.4/tcp/5", "ip4/1.2.3.4"]), good),
			Error::<Test>::InvalidEndpoint(EndpointError::Addr)
		);
		assert_noop!(
			call(10, netuid, &id, &addrs(&["/a b"]), good),
			Error::<Test>::InvalidEndpoint(EndpointError::Addr)
		);
		assert_noop!(
			Subnets::serve(RuntimeOrigin::none(), netuid, id.clone(), a.clone(), good),
			BadOrigin
		);
		// Proofs that do not prove: another key's, for another hotkey, subnet or chain, garbage.
		let (other_key, _) = libp2p_key(2);
		assert_noop!(
			call(10, netuid, &id, &a, proof(&other_key, netuid, 10)),
			Error::<Test>::InvalidServeProof
		);
		assert_noop!(
			call(10, netuid, &id, &a, proof(&key, netuid, 11)),
			Error::<Test>::InvalidServeProof
		);
		assert_noop!(
			call(10, netuid, &id, &a, proof(&key, netuid + 1, 10)),
			Error::<Test>::InvalidServeProof
		);
		let other_chain = key.sign(&serve_proof_payload(&[1u8; 32], netuid, &10u64)).0;
		assert_noop!(call(10, netuid, &id, &a, other_chain), Error::<Test>::InvalidServeProof);
		assert_noop!(call(10, netuid, &id, &a, [0u8; 64]), Error::<Test>::InvalidServeProof);
		assert_ok!(call(10, netuid, &id, &a, good));
	});
}

/// Issue 15: a copycat hotkey cannot publish an honest miner's PeerId. Copying the endpoint and
/// the proof from the chain fails (the proof names the honest hotkey); signing needs the honest
/// miner's libp2p key, and even with it the PeerId stays the first UID's.
#[test]
fn a_copycat_cannot_serve_another_neurons_peer_id() {
	build_and_execute(|| {
		// Full (max_uids 4); the honest miner holds UID 0 (hotkey 10), the copycat UID 2.
		let netuid = subnet_with(4);
		let a = addrs(&["/ip4/1.2.3.4/tcp/5"]);
		let (key, id) = libp2p_key(1);
		let honest = proof(&key, netuid, 10);
		assert_ok!(Subnets::serve(
			RuntimeOrigin::signed(10),
			netuid,
			id.clone(),
			a.clone(),
			honest
		));
		// The copycat (hotkey 12) replays what it read on chain.
		assert_noop!(
			Subnets::serve(RuntimeOrigin::signed(12), netuid, id.clone(), a.clone(), honest),
			Error::<Test>::InvalidServeProof
		);
		// Even a valid proof for itself (a leaked key, or a shared one) leaves the PeerId taken.
		let leaked = proof(&key, netuid, 12);
		assert_noop!(
			Subnets::serve(RuntimeOrigin::signed(12), netuid, id.clone(), a.clone(), leaked),
			Error::<Test>::PeerIdInUse
		);
		// The honest neuron may publish its own PeerId again (new addresses).
		run_to_block(6);
		assert_ok!(serve(10, netuid, 1, addrs(&["/ip4/5.6.7.8/tcp/5"])));
		// When UID 0 changes hands (the weakest, earliest registered), its PeerId goes with it.
		assert_ok!(Subnets::register(RuntimeOrigin::signed(2), netuid, 20, u128::MAX));
		assert_eq!(Uids::<Test>::get(netuid, 20), Some(0));
		assert_eq!(PeerIdOwners::<Test>::get(netuid, &id), None);
		assert_ok!(Subnets::serve(RuntimeOrigin::signed(12), netuid, id.clone(), a, leaked));
		assert_eq!(PeerIdOwners::<Test>::get(netuid, &id), Some(2));
	});
}

#[test]
fn set_weights_stores_them_sorted_without_zeros() {
	build_and_execute(|| {
		let netuid = subnet_with(3);
		permit(netuid, 0);
		run_to_block(4);
		assert_ok!(set_weights(10, netuid, &[2, 0, 1], &[3, 0, 7]));
		System::assert_last_event(Event::WeightsSet { netuid, uid: 0, count: 2 }.into());
		assert_eq!(Weights::<Test>::get(netuid, 0).into_inner(), vec![(1, 7), (2, 3)]);
		assert_eq!(Neurons::<Test>::get(netuid, 0).unwrap().last_update, 4);
		// Other neurons untouched.
		assert_eq!(Neurons::<Test>::get(netuid, 1).unwrap().last_update, 1);
		assert!(!Weights::<Test>::contains_key(netuid, 1));
		// Once the rate limit passed, new weights replace the old.
		run_to_block(6);
		assert_ok!(set_weights(10, netuid, &[2], &[9]));
		assert_eq!(Weights::<Test>::get(netuid, 0).into_inner(), vec![(2, 9)]);
		assert_eq!(Neurons::<Test>::get(netuid, 0).unwrap().last_update, 6);
	});
}

#[test]
fn self_weight_needs_no_permit() {
	build_and_execute(|| {
		let netuid = subnet_with(3);
		// Neither min_allowed_weights nor max_weight_limit applies to a weight on oneself.
		set_hp(netuid, |hp| {
			hp.min_allowed_weights = 2;
			hp.max_weight_limit = 40_000;
		});
		assert_ok!(set_weights(11, netuid, &[1], &[100]));
		System::assert_last_event(Event::WeightsSet { netuid, uid: 1, count: 1 }.into());
		assert_eq!(Weights::<Test>::get(netuid, 1).into_inner(), vec![(1, 100)]);
		run_to_block(3);
		assert_noop!(set_weights(11, netuid, &[1], &[0]), Error::<Test>::AllWeightsZero);
		// Self among others needs a permit.
		assert_noop!(set_weights(11, netuid, &[1, 2], &[1, 1]), Error::<Test>::NoValidatorPermit);
	});
}

#[test]
fn set_weights_errors() {
	build_and_execute(|| {
		let netuid = subnet_with(4);
		permit(netuid, 0);
		assert_noop!(set_weights(10, 9, &[1], &[1]), Error::<Test>::SubnetNotFound);
		assert_noop!(set_weights(99, netuid, &[1], &[1]), Error::<Test>::NotRegistered);
		assert_noop!(set_weights(10, netuid, &[1, 2], &[1]), Error::<Test>::LengthMismatch);
		assert_noop!(set_weights(11, netuid, &[0], &[1]), Error::<Test>::NoValidatorPermit);
		assert_noop!(set_weights(10, netuid, &[1, 4], &[1, 1]), Error::<Test>::UidNotFound);
		assert_noop!(set_weights(10, netuid, &[1, 2, 1], &[1, 1, 1]), Error::<Test>::DuplicateUids);
		assert_noop!(set_weights(10, netuid, &[], &[]), Error::<Test>::TooFewWeights);
		assert_noop!(set_weights(10, netuid, &[1, 2], &[0, 0]), Error::<Test>::AllWeightsZero);
		assert_noop!(
			Subnets::set_weights(RuntimeOrigin::none(), netuid, bounded(&[1]), bounded(&[1]), 0),
			BadOrigin
		);

		set_hp(netuid, |hp| hp.min_allowed_weights = 3);
		assert_noop!(set_weights(10, netuid, &[1, 2], &[1, 1]), Error::<Test>::TooFewWeights);
		set_hp(netuid, |hp| {
			hp.min_allowed_weights = 1;
			hp.max_allowed_weights = 2;
		});
		assert_noop!(
			set_weights(10, netuid, &[1, 2, 3], &[1, 1, 1]),
			Error::<Test>::TooManyWeights
		);
		// No weight above half of the total.
		set_hp(netuid, |hp| {
			hp.min_allowed_weights = 2;
			hp.max_weight_limit = 32_768;
		});
		assert_noop!(set_weights(10, netuid, &[1, 2], &[1, 100]), Error::<Test>::WeightAboveLimit);

		set_hp(netuid, |hp| hp.weights_version_key = 5);
		assert_noop!(
			Subnets::set_weights(
				RuntimeOrigin::signed(10),
				netuid,
				bounded(&[1, 2]),
				bounded(&[50, 50]),
				4
			),
			Error::<Test>::StaleVersionKey
		);
		assert_ok!(Subnets::set_weights(
			RuntimeOrigin::signed(10),
			netuid,
			bounded(&[1, 2]),
			bounded(&[50, 50]),
			5
		));

		set_hp(netuid, commit_reveal);
		assert_noop!(set_weights(10, netuid, &[1, 2], &[1, 1]), Error::<Test>::CommitRevealEnabled);
	});
}

#[test]
fn weights_are_rate_limited_once_set() {
	build_and_execute(|| {
		let netuid = subnet_with(3);
		permit(netuid, 0);
		// Registered this block, but no weights yet: no wait.
		assert_ok!(set_weights(10, netuid, &[1], &[1]));
		run_to_block(2);
		assert_noop!(set_weights(10, netuid, &[2], &[1]), Error::<Test>::WeightsRateLimited);
		run_to_block(3);
		assert_ok!(set_weights(10, netuid, &[2], &[1]));
		assert_noop!(set_weights(10, netuid, &[1], &[1]), Error::<Test>::WeightsRateLimited);
	});
}

// ---- commit-reveal ----

#[test]
fn commit_then_reveal_in_the_window() {
	build_and_execute(|| {
		let netuid = subnet_with(3);
		permit(netuid, 0);
		set_hp(netuid, commit_reveal);
		let (uids, values, salt) = ([2u16, 1], [4u16, 3], b"pepper".to_vec());
		let hash = commit_hash(&10u64, netuid, &uids, &values, &salt, 0);
		assert_ok!(Subnets::commit_weights(RuntimeOrigin::signed(10), netuid, hash));
		System::assert_last_event(Event::WeightsCommitted { netuid, uid: 0, hash }.into());
		assert_eq!(WeightCommits::<Test>::get(netuid, 10).map(|c| (c.0, c.1)), Some((hash, 1)));
		// Copying another validator's commit gains nothing: the hotkey is in the hash.
		assert_ok!(Subnets::commit_weights(RuntimeOrigin::signed(11), netuid, hash));
		// Opens reveal_period · tempo = 10 blocks later, for tempo = 10 blocks.
		assert_eq!(Subnets::reveal_window(&hyperparams(netuid), 1), (11, 21));
		run_to_block(10);
		assert_noop!(reveal(10, netuid, &uids, &values, &salt, 0), Error::<Test>::RevealTooEarly);
		run_to_block(11);
		assert_noop!(reveal(10, netuid, &uids, &values, b"salt", 0), Error::<Test>::RevealMismatch);
		assert_noop!(reveal(10, netuid, &uids, &[4, 4], &salt, 0), Error::<Test>::RevealMismatch);
		assert_noop!(reveal(10, netuid, &[1, 2], &[3, 4], &salt, 0), Error::<Test>::RevealMismatch);
		assert_noop!(reveal(10, netuid, &uids, &values, &salt, 1), Error::<Test>::RevealMismatch);
		assert_noop!(reveal(11, netuid, &uids, &values, &salt, 0), Error::<Test>::RevealMismatch);

		assert_ok!(reveal(10, netuid, &uids, &values, &salt, 0));
		System::assert_last_event(Event::WeightsSet { netuid, uid: 0, count: 2 }.into());
		assert_eq!(Weights::<Test>::get(netuid, 0).into_inner(), vec![(1, 3), (2, 4)]);
		// The weights count as of the commit (block 1); the reveal is the validator's activity.
		let validator = Neurons::<Test>::get(netuid, 0).unwrap();
		assert_eq!((validator.weights_at, validator.last_update), (1, 11));
		assert_eq!(WeightCommits::<Test>::get(netuid, 10).map(|c| (c.0, c.1)), None);
		assert_noop!(reveal(10, netuid, &uids, &values, &salt, 0), Error::<Test>::NoCommit);
	});
}

#[test]
fn reveal_window_closes_after_one_tempo() {
	build_and_execute(|| {
		let netuid = subnet_with(2);
		permit(netuid, 0);
		set_hp(netuid, |hp| {
			commit_reveal(hp);
			hp.reveal_period = 2;
		});
		let (uids, values, salt) = ([1u16], [1u16], vec![0u8; 32]);
		let hash = commit_hash(&10u64, netuid, &uids, &values, &salt, 0);
		assert_ok!(Subnets::commit_weights(RuntimeOrigin::signed(10), netuid, hash));
		assert_eq!(Subnets::reveal_window(&hyperparams(netuid), 1), (21, 31));
		run_to_block(20);
		assert_noop!(reveal(10, netuid, &uids, &values, &salt, 0), Error::<Test>::RevealTooEarly);
		// The window's last block.
		run_to_block(30);
		assert_ok!(reveal(10, netuid, &uids, &values, &salt, 0));
		// A reveal consumed the commit: committing again needs no wait.
		assert_ok!(Subnets::commit_weights(RuntimeOrigin::signed(10), netuid, hash));
		run_to_block(50);
		assert_ok!(reveal(10, netuid, &uids, &values, &salt, 0));
		assert_ok!(Subnets::commit_weights(RuntimeOrigin::signed(10), netuid, hash));
		run_to_block(80);
		assert_noop!(reveal(10, netuid, &uids, &values, &salt, 0), Error::<Test>::RevealExpired);
		// An expired commit is replaced by a new one.
		assert_ok!(Subnets::commit_weights(RuntimeOrigin::signed(10), netuid, hash));
		assert_eq!(WeightCommits::<Test>::get(netuid, 10).map(|c| (c.0, c.1)), Some((hash, 80)));
	});
}

#[test]
fn commit_weights_errors() {
	build_and_execute(|| {
		let plain = subnet_with(2);
		let netuid = create(2);
		register(netuid, 2, 20);
		set_hp(netuid, commit_reveal);
		let hash = [9u8; 32];
		assert_noop!(
			Subnets::commit_weights(RuntimeOrigin::signed(20), 9, hash),
			Error::<Test>::SubnetNotFound
		);
		assert_noop!(
			Subnets::commit_weights(RuntimeOrigin::signed(10), plain, hash),
			Error::<Test>::CommitRevealDisabled
		);
		assert_noop!(
			Subnets::commit_weights(RuntimeOrigin::signed(10), netuid, hash),
			Error::<Test>::NotRegistered
		);
		assert_noop!(Subnets::commit_weights(RuntimeOrigin::none(), netuid, hash), BadOrigin);
		assert_ok!(Subnets::commit_weights(RuntimeOrigin::signed(20), netuid, hash));
		run_to_block(2);
		assert_noop!(
			Subnets::commit_weights(RuntimeOrigin::signed(20), netuid, [8u8; 32]),
			Error::<Test>::WeightsRateLimited
		);
		run_to_block(3);
		assert_ok!(Subnets::commit_weights(RuntimeOrigin::signed(20), netuid, [8u8; 32]));
		System::assert_last_event(
			Event::WeightsCommitted { netuid, uid: 0, hash: [8u8; 32] }.into(),
		);
		assert_eq!(
			WeightCommits::<Test>::get(netuid, 20).map(|c| (c.0, c.1)),
			Some(([8u8; 32], 3))
		);
	});
}

#[test]
fn reveal_weights_errors() {
	build_and_execute(|| {
		let plain = subnet_with(3);
		let netuid = create(2);
		for hotkey in 20..23 {
			register(netuid, 2, hotkey);
		}
		permit(netuid, 0);
		set_hp(netuid, commit_reveal);
		let salt = b"s".to_vec();
		assert_noop!(reveal(20, 9, &[1], &[1], &salt, 0), Error::<Test>::SubnetNotFound);
		assert_noop!(reveal(10, plain, &[1], &[1], &salt, 0), Error::<Test>::CommitRevealDisabled);
		assert_noop!(reveal(20, netuid, &[1], &[1], &salt, 0), Error::<Test>::NoCommit);
		assert_noop!(reveal(99, netuid, &[1], &[1], &salt, 0), Error::<Test>::NoCommit);
		assert_noop!(
			Subnets::reveal_weights(
				RuntimeOrigin::none(),
				netuid,
				bounded(&[1]),
				bounded(&[1]),
				bounded(&salt),
				0
			),
			BadOrigin
		);
		// A revealed commit is checked like set_weights: permit, then the weights themselves.
		let commit = |hotkey: u64, uids: &[Uid], values: &[u16], version: u64| {
			let hash = commit_hash(&hotkey, netuid, uids, values, &salt, version);
			assert_ok!(Subnets::commit_weights(RuntimeOrigin::signed(hotkey), netuid, hash));
		};
		commit(21, &[0], &[1], 0);
		commit(20, &[1, 1], &[1, 1], 0);
		run_to_block(11);
		assert_noop!(reveal(21, netuid, &[0], &[1], &salt, 0), Error::<Test>::NoValidatorPermit);
		assert_noop!(reveal(20, netuid, &[1, 1], &[1, 1], &salt, 0), Error::<Test>::DuplicateUids);
		// The version key in force at the commit decides.
		set_hp(netuid, |hp| hp.weights_version_key = 1);
		commit(20, &[1], &[1], 0);
		run_to_block(21);
		assert_noop!(reveal(20, netuid, &[1], &[1], &salt, 0), Error::<Test>::StaleVersionKey);
	});
}

// ---- the rewards pallet's view ----

#[test]
fn subnets_interface_reads_and_records_epochs() {
	build_and_execute(|| {
		type I = Subnets;
		let a = create(1);
		let b = create(2);
		assert_eq!(<I as SubnetsInterface<AccountId>>::netuids(), vec![a, b]);
		assert_eq!(
			<I as SubnetsInterface<AccountId>>::hyperparams(a),
			Some(TestHyperparams::get())
		);
		assert_eq!(<I as SubnetsInterface<AccountId>>::hyperparams(9), None);
		assert_eq!(<I as SubnetsInterface<AccountId>>::owner(b), Some(2));
		assert_eq!(<I as SubnetsInterface<AccountId>>::owner(9), None);
		register(a, 1, 10);
		run_to_block(2);
		register(a, 3, 30);
		assert_eq!(<I as SubnetsInterface<AccountId>>::neuron_count(a), 2);
		assert_eq!(<I as SubnetsInterface<AccountId>>::neuron_count(b), 0);
		assert_eq!(<I as SubnetsInterface<AccountId>>::epoch_neurons(b), vec![]);
		permit(a, 0);
		run_to_block(3);
		assert_ok!(set_weights(10, a, &[1, 0], &[5, 2]));
		assert_eq!(
			<I as SubnetsInterface<AccountId>>::epoch_neurons(a),
			vec![
				EpochNeuron {
					hotkey: 10,
					registered_at: 1,
					last_update: 3,
					weights_at: 3,
					validator_permit: true,
					weights: vec![(0, 2), (1, 5)],
					bonds: vec![],
					last_epoch_stake: 0,
				},
				EpochNeuron {
					hotkey: 30,
					registered_at: 2,
					last_update: 2,
					weights_at: 2,
					validator_permit: false,
					weights: vec![],
					bonds: vec![],
					last_epoch_stake: 0,
				},
			]
		);
		let stats = vec![
			NeuronStats { emission: 42, validator_permit: true, rank: 9, ..Default::default() },
			NeuronStats { incentive: 100, ..Default::default() },
		];
		<I as SubnetsInterface<AccountId>>::record_epoch(
			a,
			stats.clone(),
			vec![(0, vec![(1, 1 << 32)]), (1, vec![])],
			vec![],
		);
		assert_eq!(Subnets::stats(a, 0), stats[0]);
		assert_eq!(Subnets::stats(a, 1), stats[1]);
		assert_eq!(Subnets::all_stats(a), stats);
		// One vector per quantity: the epoch wrote each once, whatever the neurons.
		assert_eq!(crate::Emission::<Test>::get(a).into_inner(), vec![42, 0]);
		assert_eq!(crate::ValidatorPermit::<Test>::get(a).into_inner(), vec![true, false]);
		assert_eq!(Bonds::<Test>::get(a, 0).into_inner(), vec![(1, 1 << 32)]);
		assert!(!Bonds::<Test>::contains_key(a, 1));
		assert_eq!(
			<I as SubnetsInterface<AccountId>>::epoch_neurons(a)[0].bonds,
			vec![(1, 1 << 32)]
		);
		// An empty row clears the bonds.
		<I as SubnetsInterface<AccountId>>::record_epoch(
			a,
			stats.clone(),
			vec![(0, vec![])],
			vec![],
		);
		assert!(!Bonds::<Test>::contains_key(a, 0));
		assert_eq!(Subnets::stats(a, 0), stats[0]);
	});
}

/// `register` with its error only (a failed registration still reports the weight it used).
fn register_err(
	origin: RuntimeOrigin,
	netuid: NetUid,
	hotkey: u64,
	max_cost: u128,
) -> DispatchResult {
	Subnets::register(origin, netuid, hotkey, max_cost).map(|_| ()).map_err(|e| e.error)
}

// ---- issue 10: owners, epoch cost, UIDs changing hands, fees ----

/// Issue 10, item 6: what decides consensus and what the epoch costs is root's.
#[test]
fn owners_cannot_change_root_hyperparams() {
	build_and_execute(|| {
		let netuid = create(1);
		let ok = hyperparams(netuid);
		let cases: Vec<(SubnetHyperparams, HyperparamError)> = vec![
			(SubnetHyperparams { tempo: 20, ..ok.clone() }, HyperparamError::Tempo),
			(SubnetHyperparams { max_uids: 300, ..ok.clone() }, HyperparamError::MaxUids),
			(SubnetHyperparams { kappa: 10_000, ..ok.clone() }, HyperparamError::Kappa),
			(SubnetHyperparams { max_validators: 1, ..ok.clone() }, HyperparamError::MaxValidators),
			(
				SubnetHyperparams { min_validator_stake: 5, ..ok.clone() },
				HyperparamError::MinValidatorStake,
			),
			(
				SubnetHyperparams { weights_rate_limit: 0, ..ok.clone() },
				HyperparamError::WeightsRateLimit,
			),
			(
				SubnetHyperparams { activity_cutoff: 5_000, ..ok.clone() },
				HyperparamError::ActivityCutoff,
			),
		];
		for (hp, field) in cases {
			assert_noop!(
				Subnets::set_hyperparams(RuntimeOrigin::signed(1), netuid, hp.clone()),
				Error::<Test>::RootOnlyHyperparam(field)
			);
			assert_ok!(Subnets::set_hyperparams(RuntimeOrigin::root(), netuid, hp));
			assert_ok!(Subnets::set_hyperparams(RuntimeOrigin::root(), netuid, ok.clone()));
		}
		// The owner's own ones still pass, root's left as they are.
		let mut mine = ok.clone();
		mine.immunity_period = 50;
		mine.bonds_moving_average = 500_000;
		assert_ok!(Subnets::set_hyperparams(RuntimeOrigin::signed(1), netuid, mine));
	});
}

/// Issue 10, item 5: no legal setting puts more validators in the epoch than its benchmark
/// measured (64), even for root.
#[test]
fn max_validators_is_bounded_by_what_the_epoch_is_charged_for() {
	build_and_execute(|| {
		let netuid = create(1);
		let mut hp = hyperparams(netuid);
		hp.max_uids = 4096;
		hp.max_allowed_weights = 4096;
		hp.max_validators = 65;
		assert_noop!(
			Subnets::set_hyperparams(RuntimeOrigin::root(), netuid, hp.clone()),
			Error::<Test>::InvalidHyperparams(HyperparamError::MaxValidators)
		);
		hp.max_validators = agora_primitives::MAX_VALIDATORS;
		assert_ok!(Subnets::set_hyperparams(RuntimeOrigin::root(), netuid, hp));
	});
}

/// Issue 10, item 5: weights of a UID left without a permit are dropped at the epoch, so the
/// weights an epoch reads stay within max_validators rows.
#[test]
fn an_epoch_drops_the_weights_of_uids_without_a_permit() {
	build_and_execute(|| {
		let netuid = subnet_with(3);
		permit(netuid, 0);
		permit(netuid, 1);
		assert_ok!(set_weights(10, netuid, &[1, 2], &[1, 1]));
		assert_ok!(set_weights(11, netuid, &[0, 2], &[1, 1]));
		assert_ok!(set_weights(12, netuid, &[2], &[1]));
		let stats = vec![
			NeuronStats { validator_permit: true, ..Default::default() },
			NeuronStats::default(),
			NeuronStats::default(),
		];
		<Subnets as SubnetsInterface<AccountId>>::record_epoch(netuid, stats, vec![], vec![1]);
		assert_eq!(Weights::<Test>::get(netuid, 0).len(), 2);
		assert!(!Weights::<Test>::contains_key(netuid, 1));
		// A self-weight alone stays.
		assert_eq!(Weights::<Test>::get(netuid, 2).into_inner(), vec![(2, 1)]);
	});
}

/// Issue 10, item 4: weights committed before a target UID changed hands count as of the
/// commit, so the epoch gives the UID's new holder none of them.
#[test]
fn revealed_weights_count_as_of_their_commit() {
	build_and_execute(|| {
		let netuid = subnet_with(3);
		set_hp(netuid, |hp| {
			commit_reveal(hp);
			hp.immunity_period = 40;
			hp.max_uids = 3;
			hp.max_allowed_weights = 3;
			hp.max_validators = 3;
		});
		Subnets::set_stats(
			netuid,
			0,
			NeuronStats { validator_permit: true, emission: 9, ..Default::default() },
		);
		Subnets::set_stats(netuid, 1, NeuronStats { emission: 5, ..Default::default() });
		// Block 45: the validator commits weights on UIDs 1 and 2, both past their immunity.
		run_to_block(45);
		let (uids, values, salt) = ([1u16, 2], [1u16, 1], b"s".to_vec());
		let hash = commit_hash(&10u64, netuid, &uids, &values, &salt, 0);
		assert_ok!(Subnets::commit_weights(RuntimeOrigin::signed(10), netuid, hash));
		// Block 46: UID 2 (the lowest emission) changes hands.
		run_to_block(46);
		assert_eq!(register(netuid, 3, 30), 2);
		let new_holder = Neurons::<Test>::get(netuid, 2).unwrap();
		// Block 55: the reveal.
		run_to_block(55);
		assert_ok!(reveal(10, netuid, &uids, &values, &salt, 0));
		let validator = Neurons::<Test>::get(netuid, 0).unwrap();
		assert_eq!((validator.weights_at, validator.last_update), (45, 55));
		// The epoch keeps a weight on j only when weights_at > registered_at[j]: the new holder
		// of UID 2 gets nothing from a commit made before it registered.
		assert!(validator.weights_at <= new_holder.registered_at);
	});
}

/// Issue 10, item 11: a hotkey replaced on its only subnet takes no new stake.
#[test]
fn a_replaced_hotkey_is_deregistered_in_staking() {
	build_and_execute(|| {
		let netuid = subnet_with(1);
		set_hp(netuid, |hp| {
			hp.max_uids = 1;
			hp.max_allowed_weights = 1;
			hp.max_validators = 1;
		});
		assert_ok!(Staking::add_stake(RuntimeOrigin::signed(2), 10, 1_000));
		run_to_block(10);
		assert_eq!(register(netuid, 3, 30), 0);
		assert_noop!(
			Staking::add_stake(RuntimeOrigin::signed(2), 10, 1_000),
			pallet_agora_staking::Error::<Test>::HotkeyNotRegistered
		);
		assert_ok!(Staking::add_stake(RuntimeOrigin::signed(2), 30, 1_000));
		// Its nominators may still leave.
		assert_ok!(Staking::remove_stake(RuntimeOrigin::signed(2), 10, 1_000));
	});
}

/// Issue 10, item 12: a registered hotkey's weights and endpoint are free within its rate
/// limits; anything that would fail pays the fee.
#[test]
fn weights_and_serve_are_feeless_only_when_they_would_pass() {
	use polkadot_sdk::frame_support::dispatch::CheckIfFeeless;
	build_and_execute(|| {
		let netuid = subnet_with(3);
		permit(netuid, 0);
		let weights = |uids: &[Uid]| {
			RuntimeCall::Subnets(crate::Call::set_weights {
				netuid,
				uids: bounded(uids),
				values: bounded(&vec![1u16; uids.len()]),
				version_key: 0,
			})
		};
		let signed = RuntimeOrigin::signed;
		assert!(weights(&[1, 2]).is_feeless(&signed(10)));
		// Not registered, no permit, a bad UID: pays.
		assert!(!weights(&[1, 2]).is_feeless(&signed(99)));
		assert!(!weights(&[0, 2]).is_feeless(&signed(11)));
		assert!(!weights(&[1, 7]).is_feeless(&signed(10)));
		assert_ok!(set_weights(10, netuid, &[1, 2], &[1, 1]));
		// Within the rate limit: pays (and fails).
		assert!(!weights(&[1, 2]).is_feeless(&signed(10)));
		let (key, id) = libp2p_key(1);
		let serve = |proof| {
			RuntimeCall::Subnets(crate::Call::serve {
				netuid,
				peer_id: id.clone(),
				addrs: addrs(&["/ip4/127.0.0.1/tcp/1"]),
				proof,
			})
		};
		assert!(serve(proof(&key, netuid, 11)).is_feeless(&signed(11)));
		assert!(!serve(proof(&key, netuid, 11)).is_feeless(&signed(99)));
		// A bad proof pays.
		assert!(!serve(proof(&key, netuid, 12)).is_feeless(&signed(11)));
	});
}

/// Review of issue 10: a hotkey that loses its last UID keeps its account (and nonce), so none of
/// its old signed calls can be replayed once it registers again.
#[test]
fn a_replaced_hotkey_keeps_its_account_and_nonce() {
	build_and_execute(|| {
		let netuid = subnet_with(1);
		set_hp(netuid, |hp| {
			hp.max_uids = 1;
			hp.max_allowed_weights = 1;
			hp.max_validators = 1;
		});
		for _ in 0..5 {
			System::inc_account_nonce(10);
		}
		run_to_block(10);
		assert_eq!(register(netuid, 3, 30), 0);
		assert!(System::account_exists(&10));
		assert_eq!(System::account_nonce(10), 5);
	});
}

/// Review of issue 10: an owner changing the weight rules or the reveal period between an honest
/// commit and its reveal cannot make the reveal fail.
#[test]
fn a_reveal_is_checked_against_the_terms_of_its_commit() {
	build_and_execute(|| {
		let netuid = subnet_with(3);
		permit(netuid, 0);
		set_hp(netuid, commit_reveal);
		let (uids, values, salt) = ([1u16, 2], [1u16, 1], b"s".to_vec());
		let hash = commit_hash(&10u64, netuid, &uids, &values, &salt, 0);
		assert_ok!(Subnets::commit_weights(RuntimeOrigin::signed(10), netuid, hash));
		// The owner allows one weight only, a newer version key, and moves the window.
		let mut hp = hyperparams(netuid);
		hp.max_allowed_weights = 1;
		hp.weights_version_key = 7;
		hp.reveal_period = 3;
		hp.immunity_period = 100;
		assert_ok!(Subnets::set_hyperparams(RuntimeOrigin::signed(1), netuid, hp));
		run_to_block(11);
		assert_ok!(reveal(10, netuid, &uids, &values, &salt, 0));
		assert_eq!(Weights::<Test>::get(netuid, 0).len(), 2);
		// A commit made now is held to the new rules.
		let hash = commit_hash(&10u64, netuid, &uids, &values, &salt, 0);
		assert_ok!(Subnets::commit_weights(RuntimeOrigin::signed(10), netuid, hash));
		run_to_block(41);
		assert_noop!(reveal(10, netuid, &uids, &values, &salt, 0), Error::<Test>::StaleVersionKey);
	});
}

mod coldkey_swap;
mod swap;
