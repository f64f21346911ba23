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

pub(crate) fn alice() -> AccountId {
	Sr25519Keyring::Alice.to_account_id()
}

pub(crate) fn hotkey(i: u8) -> AccountId {
	AccountId::from([i; 32])
}

pub(crate) fn call(who: &AccountId, call: impl Into<RuntimeCall>) {
	let call: RuntimeCall = call.into();
	call.clone().dispatch(RuntimeOrigin::signed(who.clone())).unwrap_or_else(|e| {
		panic!("{call:?} failed: {:?}", e.error);
	});
}

pub(crate) fn run_to(n: u32) {
	while System::block_number() < n {
		let b = System::block_number() + 1;
		System::set_block_number(b);
		AllPalletsWithSystem::on_initialize(b);
	}
}

/// Every pallet's invariants, and issuance = Σ (free + reserved) over all accounts.
pub(crate) fn check_invariants() {
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
pub(crate) fn subnet_with_validator_and_miners() -> (u16, AccountId) {
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
		let emitted_before = pallet_rewards::TotalEmitted::<Runtime>::get();
		let owner_before = Balances::balance(&alice());
		run_to(33);
		check_invariants();
		// The treasury (created with the existential deposit at genesis) took 2% of every
		// block's 1 AGR since the subnet was created at block 1: blocks 2..=33.
		let treasury =
			Balances::balance(&crate::Treasury::account_id()) - crate::EXISTENTIAL_DEPOSIT;
		assert_eq!(treasury, 32 * AGR / 50);

		let m = agora_api::metagraph(netuid).unwrap();
		let inc: Vec<u16> = m.neurons.iter().map(|n| n.incentive).collect();
		assert!(inc[1] > inc[2] && inc[2] > inc[3] && inc[3] > 0, "{inc:?}");
		assert!(m.neurons[0].dividends > 0);
		let emitted = pallet_rewards::TotalEmitted::<Runtime>::get();
		assert_eq!(
			Balances::total_issuance(),
			issued + emitted - emitted_before,
			"issuance grew by the emission"
		);
		// What the epoch paid: everything emitted but the treasury's share.
		let paid = emitted - treasury;
		assert!(paid > 0);
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

/// Issue 13 acceptance: a hotkey swap keeps the neuron's incentive, stake and bonds. Two
/// identical chains run the same subnet to a paying epoch; on one of them Charlie then swaps his
/// validator's hotkey (100 → 200) and Dave one miner's (101 → 201). After the next epoch the two
/// metagraphs and bond matrices are equal but for those hotkeys, and the new hotkeys' owners
/// unstake from them (not from the old ones).
#[test]
fn a_hotkey_swap_keeps_the_neurons_incentive_stake_and_bonds() {
	type Bonds = Vec<(u16, Vec<(u16, u64)>)>;
	let run = |swapped: bool| -> (agora_primitives::Metagraph<AccountId>, Bonds) {
		build(DEV_RUNTIME_PRESET).execute_with(|| {
			run_to(1);
			let (netuid, dave) = subnet_with_validator_and_miners();
			let charlie = Sr25519Keyring::Charlie.to_account_id();
			run_to(22);
			validator_weights_miners(netuid);
			// The epoch at block 32 pays incentive and dividends and forms bonds; its payouts
			// (four neurons) are credited in its own block.
			run_to(33);
			assert!(pallet_rewards::Payouts::<Runtime>::get(netuid).is_none());
			let (validator, miner) = if swapped {
				let issuance = Balances::total_issuance();
				call(
					&charlie,
					pallet_subnets::Call::swap_hotkey {
						old_hotkey: hotkey(100),
						new_hotkey: hotkey(200),
						nominators: 1,
					},
				);
				call(
					&dave,
					pallet_subnets::Call::swap_hotkey {
						old_hotkey: hotkey(101),
						new_hotkey: hotkey(201),
						nominators: 1,
					},
				);
				// 1 AGR burnt per swap (`KeySwapCost`).
				assert_eq!(Balances::total_issuance(), issuance - 2 * AGR);
				(hotkey(200), hotkey(201))
			} else {
				(hotkey(100), hotkey(101))
			};
			check_invariants();
			// The validator refreshes its weights under whichever hotkey it has now.
			call(
				&validator,
				pallet_subnets::Call::set_weights {
					netuid,
					uids: vec![1, 2, 3].try_into().unwrap(),
					values: vec![39_321, 19_661, 6_553].try_into().unwrap(),
					version_key: 0,
				},
			);
			run_to(43);
			check_invariants();
			let metagraph = agora_api::metagraph(netuid).unwrap();
			let mut bonds: Bonds = pallet_subnets::Bonds::<Runtime>::iter_prefix(netuid)
				.map(|(uid, row)| (uid, row.into_inner()))
				.collect();
			bonds.sort_unstable();

			// The new hotkeys' owners unstake from them; nothing is left on the old ones.
			for (coldkey, hotkey, old) in
				[(&charlie, &validator, hotkey(100)), (&dave, &miner, hotkey(101))]
			{
				let stake = Staking::stake_of_coldkey(hotkey, coldkey);
				assert!(stake > 0);
				if swapped {
					assert_eq!(Staking::stake_of(&old), 0);
					let refused = RuntimeCall::from(pallet_agora_staking::Call::remove_stake {
						hotkey: old,
						amount: 1,
					})
					.dispatch(RuntimeOrigin::signed(coldkey.clone()));
					assert!(refused.is_err());
				}
				let free = Balances::balance(coldkey);
				call(
					coldkey,
					pallet_agora_staking::Call::remove_stake {
						hotkey: hotkey.clone(),
						amount: stake,
					},
				);
				assert_eq!(Balances::balance(coldkey), free + stake);
			}
			check_invariants();
			(metagraph, bonds)
		})
	};
	let (plain, plain_bonds) = run(false);
	let (swapped, swapped_bonds) = run(true);

	// The comparison means something: the miner earned, the validator earned and holds bonds.
	assert!(plain.neurons[1].incentive > 0 && plain.neurons[1].emission > 0);
	assert!(plain.neurons[0].dividends > 0 && plain.neurons[0].validator_permit);
	assert!(plain.neurons[0].stake > 1000 * AGR);
	assert!(plain_bonds.iter().any(|(uid, row)| *uid == 0 && !row.is_empty()));
	// Equal but for the hotkeys.
	assert_eq!(
		(swapped.neurons[0].hotkey.clone(), swapped.neurons[1].hotkey.clone()),
		(hotkey(200), hotkey(201))
	);
	let mut unswapped = swapped.clone();
	unswapped.neurons[0].hotkey = hotkey(100);
	unswapped.neurons[1].hotkey = hotkey(101);
	assert_eq!(unswapped, plain);
	assert_eq!(swapped_bonds, plain_bonds);
}

/// Issue 13: a hotkey swap on every subnet the runtime allows, with 1,024 nominators (the top
/// of its benchmark's range), stays far within one block: a well-nominated validator can always
/// swap.
#[test]
fn a_hotkey_swap_fits_in_a_block() {
	use pallet_subnets::WeightInfo as _;
	let subnets: u16 = <Runtime as pallet_subnets::Config>::MaxSubnets::get();
	let swap = <Runtime as pallet_subnets::Config>::WeightInfo::swap_hotkey(subnets.into(), 1024);
	let limits = crate::configs::RuntimeBlockWeights::get();
	let max = limits
		.get(polkadot_sdk::frame_support::dispatch::DispatchClass::Normal)
		.max_extrinsic
		.unwrap();
	assert!(swap.ref_time() <= max.ref_time() / 4, "{swap:?} above a quarter of {max:?}");
	assert!(swap.all_lte(max));
}

/// The `spec_version` a wasm blob declares in its `runtime_version` custom section (what the
/// node and `System.set_code` read).
fn embedded_spec_version(wasm: &[u8]) -> Option<u32> {
	use codec::Decode;
	fn leb128(bytes: &mut &[u8]) -> Option<usize> {
		let (mut value, mut shift) = (0usize, 0);
		loop {
			let (&b, rest) = bytes.split_first()?;
			*bytes = rest;
			value |= usize::from(b & 0x7f) << shift;
			if b & 0x80 == 0 {
				return Some(value);
			}
			shift += 7;
		}
	}
	let mut rest = wasm.strip_prefix(b"\0asm\x01\0\0\0")?;
	while let Some((&id, tail)) = rest.split_first() {
		rest = tail;
		let size = leb128(&mut rest)?;
		let (section, tail) = (rest.get(..size)?, rest.get(size..)?);
		rest = tail;
		let mut body = section;
		if id == 0 {
			let name_len = leb128(&mut body)?;
			if body.get(..name_len)? == b"runtime_version" {
				let mut version = body.get(name_len..)?;
				let (_name, _impl, _authoring, spec) =
					<(alloc::string::String, alloc::string::String, u32, u32)>::decode(
						&mut version,
					)
					.ok()?;
				return Some(spec);
			}
		}
	}
	None
}

/// The wasm the node runs declares this runtime's `spec_version`, and the upgrade tests' runtime
/// (`upgrade_test::UPGRADE_WASM_BINARY`, built with the `upgrade-test` feature) one more: a guard
/// on `runtime/build.rs`, whose two builds share a project directory.
#[test]
fn the_runtime_and_its_upgrade_wasm_declare_their_spec_versions() {
	let (Some(wasm), Some(upgrade)) =
		(crate::WASM_BINARY, crate::upgrade_test::UPGRADE_WASM_BINARY)
	else {
		// Built with SKIP_WASM_BUILD=1: no wasm to look at.
		return;
	};
	let spec = crate::VERSION.spec_version;
	assert_eq!(embedded_spec_version(wasm), Some(spec));
	assert_eq!(embedded_spec_version(upgrade), Some(spec + 1));
}

/// Issue 13 acceptance, "a coldkey swap can be disputed within its delay", with the real
/// pallets on the dev genesis. A thief holding Charlie's coldkey announces a swap to its own key:
/// the stake is frozen at once, Charlie disputes, the swap never executes after the delay, and
/// only `Root` (a referendum; here the root origin itself) resolves it, sending everything to
/// Charlie's fresh key. Alice (the subnet's owner) and Dave (its miners' coldkey) swap to fresh
/// keys undisputed: after the 36,000-block delay anyone executes their swaps, which move the
/// subnet, the miners' hotkeys and neurons, Dave's positions and their free AGR exactly; Bob's
/// stake on Dave's miner is untouched, 1 AGR is burnt per announcement and nothing else, and
/// the next epoch pays the owner's cut to Alice's fresh key.
#[test]
fn a_coldkey_swap_can_be_disputed_within_its_delay() {
	use pallet_agora_staking::{Error as StakingError, Shares};
	use polkadot_sdk::frame_support::traits::tokens::{Fortitude, Preservation};
	let signed = |who: &AccountId, c: pallet_agora_staking::Call<Runtime>| {
		RuntimeCall::from(c).dispatch(RuntimeOrigin::signed(who.clone())).map_err(|e| e.error)
	};
	build(DEV_RUNTIME_PRESET).execute_with(|| {
		run_to(1);
		let (netuid, dave) = subnet_with_validator_and_miners();
		let (charlie, bob) =
			(Sr25519Keyring::Charlie.to_account_id(), Sr25519Keyring::Bob.to_account_id());
		call(&bob, pallet_agora_staking::Call::add_stake { hotkey: hotkey(101), amount: 10 * AGR });
		run_to(22);
		validator_weights_miners(netuid);
		// An epoch paid: Dave holds his miners' take as positions.
		run_to(33);
		check_invariants();
		let (thief, charlie_fresh, alice_fresh, dave_fresh) =
			(hotkey(66), hotkey(67), hotkey(68), hotkey(69));
		let delay: u32 = <Runtime as pallet_agora_staking::Config>::ColdkeySwapDelay::get();
		assert_eq!(delay, 36_000, "5 days of 12 s blocks");
		let issuance = Balances::total_issuance();
		let charlie_shares = Shares::<Runtime>::get(hotkey(100), &charlie);
		let bob_shares = Shares::<Runtime>::get(hotkey(101), &bob);
		let dave_positions: Vec<(AccountId, u128)> = (101..=103)
			.map(|i| (hotkey(i), Shares::<Runtime>::get(hotkey(i), &dave)))
			.collect();
		assert!(dave_positions.iter().all(|(_, shares)| *shares > 0));

		// The thief announces; the stake is frozen from this block.
		let announce = |new: &AccountId| pallet_agora_staking::Call::announce_coldkey_swap {
			new_coldkey: new.clone(),
		};
		assert_eq!(signed(&charlie, announce(&thief)), Ok(Default::default()));
		let unstake =
			pallet_agora_staking::Call::remove_stake { hotkey: hotkey(100), amount: AGR };
		assert_eq!(
			signed(&charlie, unstake),
			Err(StakingError::<Runtime>::ColdkeySwapPending.into())
		);
		// Alice and Dave announce theirs; nobody announces a second one.
		call(&alice(), announce(&alice_fresh));
		call(&dave, announce(&dave_fresh));
		assert_eq!(
			signed(&dave, announce(&thief)),
			Err(StakingError::<Runtime>::ColdkeySwapAlreadyAnnounced.into())
		);
		assert_eq!(Balances::total_issuance(), issuance - 3 * AGR, "1 AGR burnt per announcement");

		// Charlie disputes within the delay.
		System::set_block_number(33 + delay - 1);
		call(&charlie, pallet_agora_staking::Call::dispute_coldkey_swap {});
		System::set_block_number(33 + delay);
		let execute = |old: &AccountId, hotkeys: u32, positions: u32| {
			pallet_agora_staking::Call::execute_coldkey_swap {
				old_coldkey: old.clone(),
				hotkeys,
				positions,
			}
		};
		assert_eq!(
			signed(&bob, execute(&charlie, 1, 1)),
			Err(StakingError::<Runtime>::ColdkeySwapDisputed.into())
		);
		// Too late for Alice or Dave to dispute theirs.
		assert_eq!(
			signed(&dave, pallet_agora_staking::Call::dispute_coldkey_swap {}),
			Err(StakingError::<Runtime>::DisputeTooLate.into())
		);
		// Alice's signature (the dev chain's sudo key) resolves nothing: only Root does.
		let resolve = pallet_agora_staking::Call::resolve_coldkey_swap {
			old_coldkey: charlie.clone(),
			new_coldkey: Some(charlie_fresh.clone()),
		};
		assert!(signed(&alice(), resolve.clone()).is_err());
		// Bob read Charlie's fresh key in the referendum's preimage and squats it with a swap of
		// his own (he holds stake): Root's redirect wins, Bob's swap is dropped, his AGR burnt.
		call(&bob, announce(&charlie_fresh));
		RuntimeCall::from(resolve).dispatch(RuntimeOrigin::root()).unwrap();
		assert!(pallet_agora_staking::ColdkeySwaps::<Runtime>::get(&bob).is_none());
		// The fresh key is Charlie's swap's now: nobody else announces a swap to it.
		assert_eq!(
			signed(&hotkey(70), announce(&charlie_fresh)),
			Err(StakingError::<Runtime>::ColdkeySwapDestinationReserved.into())
		);

		// Anyone executes the three swaps, with the old keys' transferable AGR.
		let movable = |who: &AccountId| {
			<Balances as polkadot_sdk::frame_support::traits::fungible::Inspect<AccountId>>::reducible_balance(
				who,
				Preservation::Expendable,
				Fortitude::Polite,
			)
		};
		let (alice_moves, dave_moves, charlie_moves) =
			(movable(&alice()), movable(&dave), movable(&charlie));
		let alice_before = Balances::balance(&alice());
		call(&bob, execute(&charlie, 1, 1));
		call(&bob, execute(&alice(), 0, 0));
		call(&bob, execute(&dave, 3, 3));
		assert_eq!(Balances::total_issuance(), issuance - 4 * AGR, "nothing else created or lost");
		check_invariants();

		// Charlie's validator and stake are his fresh key's; the thief has nothing.
		assert_eq!(Staking::owner_of(&hotkey(100)), Some(charlie_fresh.clone()));
		assert_eq!(Shares::<Runtime>::get(hotkey(100), &charlie_fresh), charlie_shares);
		assert_eq!(Balances::balance(&charlie_fresh), charlie_moves);
		assert_eq!(Balances::balance(&thief), 0);
		assert!(Staking::positions_of(&thief).is_empty());
		// The subnet is Alice's fresh key's; she keeps only what must stay (her validator's
		// session-key deposit keeps her account alive).
		assert_eq!(agora_api::metagraph(netuid).unwrap().subnet.owner, alice_fresh);
		assert_eq!(Balances::balance(&alice_fresh), alice_moves);
		assert_eq!(Balances::balance(&alice()), alice_before - alice_moves);
		// Dave's miners, their neurons and his positions are his fresh key's; Bob's stake on
		// the miner is untouched.
		for (i, (hotkey, shares)) in dave_positions.iter().enumerate() {
			assert_eq!(Staking::owner_of(hotkey), Some(dave_fresh.clone()));
			assert_eq!(Shares::<Runtime>::get(hotkey, &dave_fresh), *shares);
			assert_eq!(Shares::<Runtime>::get(hotkey, &dave), 0);
			let neuron = agora_api::neuron(netuid, i as u16 + 1).unwrap();
			assert_eq!(neuron.coldkey, dave_fresh);
		}
		assert_eq!(Shares::<Runtime>::get(hotkey(101), &bob), bob_shares);
		assert_eq!(Balances::balance(&dave_fresh), dave_moves);
		assert!(Staking::positions_of(&dave).is_empty());

		// The next epoch pays the owner's cut to Alice's fresh key, not to Alice.
		let alice_left = Balances::balance(&alice());
		let fresh_before = Balances::balance(&alice_fresh);
		validator_weights_miners(netuid);
		run_to(System::block_number() + 11);
		assert!(Balances::balance(&alice_fresh) > fresh_before);
		assert_eq!(Balances::balance(&alice()), alice_left);
		check_invariants();
	});
}

/// Issue 13: a coldkey swap of a coldkey owning 128 hotkeys, each (at worst) on every subnet the
/// runtime allows, and holding 512 stake positions, is charged less than a block's extrinsic
/// limit, subnets hook included: such a coldkey can always execute its swap. (The charge grows
/// by ~2.1 ms of database weight per hotkey: some 600 hotkeys fill the limit.)
#[test]
fn a_coldkey_swap_fits_in_a_block() {
	use agora_primitives::traits::OnColdkeySwap;
	use pallet_agora_staking::WeightInfo as _;
	let (hotkeys, positions) = (128, 512);
	let swap = <Runtime as pallet_agora_staking::Config>::WeightInfo::execute_coldkey_swap(
		hotkeys, positions,
	)
	.saturating_add(<Subnets as OnColdkeySwap<AccountId>>::max_weight(hotkeys));
	let limits = crate::configs::RuntimeBlockWeights::get();
	let max = limits
		.get(polkadot_sdk::frame_support::dispatch::DispatchClass::Normal)
		.max_extrinsic
		.unwrap();
	assert!(swap.ref_time() <= max.ref_time() / 2, "{swap:?} above half of {max:?}");
	assert!(swap.all_lte(max));
}
