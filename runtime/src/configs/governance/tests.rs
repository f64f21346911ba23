//! Governance in the real runtime: a parameter changed by referendum on the dev chain, the
//! senate following the validators and braking a referendum only with two thirds, and, on the
//! live chain's genesis, no way for a signed account to reach `Root`.

use super::{SenateInstance, ROOT_DECISION_DEPOSIT, SUBMISSION_DEPOSIT};
use crate::{
	genesis_config_presets::{tests::build, LIVE_TEMPLATE_PRESET},
	tests::{alice, call, check_invariants, hotkey, run_to, subnet_with_validator_and_miners},
	AccountId, Balances, OriginCaller, Runtime, RuntimeCall, RuntimeEvent, RuntimeOrigin, System,
	AGR,
};
use alloc::{boxed::Box, collections::BTreeSet, string::String, vec, vec::Vec};
use codec::Encode;
use polkadot_sdk::{
	frame_support::traits::{fungible::Inspect, schedule::DispatchTime, Bounded},
	frame_system::RawOrigin,
	pallet_collective, pallet_conviction_voting as voting, pallet_referenda,
	sp_core::H256,
	sp_genesis_builder::DEV_RUNTIME_PRESET,
	sp_keyring::Sr25519Keyring,
	sp_runtime::{
		traits::{BlakeTwo256, Dispatchable, Hash},
		DispatchError,
	},
	*,
};

fn hyperparams(netuid: u16) -> agora_primitives::SubnetHyperparams {
	pallet_subnets::Subnets::<Runtime>::get(netuid).expect("subnet exists").hyperparams
}

fn account(k: Sr25519Keyring) -> AccountId {
	k.to_account_id()
}

/// Notes `proposal` as a preimage and submits it on the `root` track from `who`; its index.
fn submit_root_referendum(who: &AccountId, proposal: RuntimeCall) -> u32 {
	let bytes = proposal.encode();
	let hash: H256 = BlakeTwo256::hash(&bytes);
	call(who, pallet_preimage::Call::note_preimage { bytes: bytes.clone() });
	let index = pallet_referenda::ReferendumCount::<Runtime>::get();
	call(
		who,
		pallet_referenda::Call::submit {
			proposal_origin: Box::new(OriginCaller::system(RawOrigin::Root)),
			proposal: Bounded::Lookup { hash, len: bytes.len() as u32 },
			enactment_moment: DispatchTime::After(0),
		},
	);
	index
}

fn vote(who: &AccountId, index: u32, aye: bool, balance: u128) {
	call(
		who,
		voting::Call::vote {
			poll_index: index,
			vote: voting::AccountVote::Standard {
				vote: voting::Vote { aye, conviction: voting::Conviction::Locked1x },
				balance,
			},
		},
	);
}

fn ongoing(index: u32) -> bool {
	matches!(
		pallet_referenda::ReferendumInfoFor::<Runtime>::get(index),
		Some(pallet_referenda::ReferendumInfo::Ongoing(_))
	)
}

/// Issue 13's acceptance: a chain-wide parameter (a subnet's tempo, which only `Root` may set)
/// changed by a referendum that Bob, neither the subnet's owner nor sudo, submits and three
/// token holders carry, with the dev chain's periods (prepare 2, decision 20, confirm 3,
/// enactment 2 blocks).
#[test]
fn a_referendum_changes_a_root_only_subnet_parameter() {
	build(DEV_RUNTIME_PRESET).execute_with(|| {
		run_to(1);
		let (netuid, _) = subnet_with_validator_and_miners();
		let bob = account(Sr25519Keyring::Bob);
		let mut hp = hyperparams(netuid);
		assert_eq!(hp.tempo, 10);
		hp.tempo = 42;
		let proposal: RuntimeCall =
			pallet_subnets::Call::set_hyperparams { netuid, hyperparams: hp.clone() }.into();
		// Bob alone cannot: the tempo is root's.
		assert!(proposal.clone().dispatch(RuntimeOrigin::signed(bob.clone())).is_err());

		let free = Balances::balance(&bob);
		let index = submit_root_referendum(&bob, proposal);
		call(&bob, pallet_referenda::Call::place_decision_deposit { index });
		assert!(
			free - Balances::balance(&bob) >= SUBMISSION_DEPOSIT + ROOT_DECISION_DEPOSIT,
			"both deposits held"
		);
		let start = System::block_number();
		for k in [Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie] {
			vote(&account(k), index, true, 50_000 * AGR);
		}
		// 150,000 AGR of ~1.4M is ~10.7% support: below the support curve (50% falling to 1%)
		// until ~17 blocks into the decision period, so nothing is enacted early.
		run_to(start + 15);
		assert!(ongoing(index));
		assert_eq!(hyperparams(netuid).tempo, 10);
		run_to(start + 30);
		assert!(!ongoing(index));
		assert_eq!(hyperparams(netuid).tempo, 42, "enacted as Root");
		assert!(System::events().iter().any(|r| matches!(
			r.event,
			RuntimeEvent::Referenda(pallet_referenda::Event::Confirmed { index: i, .. }) if i == index
		)));
		// Bob takes his deposits back; the voters' AGR stays locked for the vote-locking period.
		call(&bob, pallet_referenda::Call::refund_decision_deposit { index });
		call(&bob, pallet_referenda::Call::refund_submission_deposit { index });
		check_invariants();
	});
}

/// A referendum nobody carries fails at the end of its decision period and changes nothing:
/// a decision deposit alone buys no parameter.
#[test]
fn a_referendum_without_support_changes_nothing() {
	build(DEV_RUNTIME_PRESET).execute_with(|| {
		run_to(1);
		let (netuid, _) = subnet_with_validator_and_miners();
		let bob = account(Sr25519Keyring::Bob);
		let mut hp = hyperparams(netuid);
		hp.tempo = 1;
		let index = submit_root_referendum(
			&bob,
			pallet_subnets::Call::set_hyperparams { netuid, hyperparams: hp }.into(),
		);
		call(&bob, pallet_referenda::Call::place_decision_deposit { index });
		// Bob's own 1,000 AGR aye (0.07% support) and Charlie's larger nay.
		vote(&bob, index, true, 1_000 * AGR);
		vote(&account(Sr25519Keyring::Charlie), index, false, 5_000 * AGR);
		run_to(System::block_number() + 40);
		assert!(matches!(
			pallet_referenda::ReferendumInfoFor::<Runtime>::get(index),
			Some(pallet_referenda::ReferendumInfo::Rejected(..))
		));
		assert_eq!(hyperparams(netuid).tempo, 10);
		check_invariants();
	});
}

fn senate() -> Vec<AccountId> {
	pallet_collective::Members::<Runtime, SenateInstance>::get()
}

fn senate_cancel(member: &AccountId, index: u32) -> Result<(), DispatchError> {
	RuntimeCall::from(pallet_governance::Call::senate_cancel { index })
		.dispatch(RuntimeOrigin::signed(member.clone()))
		.map(|_| ())
		.map_err(|e| e.error)
}

/// The senate is the validators with the most stake, refreshed every senate term (20 blocks on
/// the dev chain); one senator of three cannot cancel a referendum, two can; rank is the stake
/// the last epoch counted.
#[test]
fn the_senate_follows_the_validators_and_brakes_only_with_two_thirds() {
	build(DEV_RUNTIME_PRESET).execute_with(|| {
		run_to(1);
		let (netuid, _) = subnet_with_validator_and_miners();
		// Two more validators of Charlie's, with less stake than hotkey 100's 1,000 AGR.
		let charlie = account(Sr25519Keyring::Charlie);
		for (i, stake) in [(104u8, 500 * AGR), (105, 200 * AGR)] {
			call(
				&charlie,
				pallet_subnets::Call::register { netuid, hotkey: hotkey(i), max_cost: AGR },
			);
			call(
				&charlie,
				pallet_agora_staking::Call::add_stake { hotkey: hotkey(i), amount: stake },
			);
		}
		// Permits come with the second epoch (block 22); the senate at the next term (40).
		run_to(39);
		assert!(senate().is_empty());
		run_to(40);
		let mut expected = vec![hotkey(100), hotkey(104), hotkey(105)];
		expected.sort();
		assert_eq!(senate(), expected);

		let bob = account(Sr25519Keyring::Bob);
		let index = submit_root_referendum(
			&bob,
			pallet_balances::Call::transfer_allow_death { dest: bob.clone().into(), value: 1 }
				.into(),
		);
		call(&bob, pallet_referenda::Call::place_decision_deposit { index });
		// Nobody outside the senate may vote; one senator of three does not cancel.
		assert_eq!(
			senate_cancel(&bob, index),
			Err(pallet_governance::Error::<Runtime>::NotSenator.into())
		);
		senate_cancel(&hotkey(105), index).unwrap();
		assert!(ongoing(index), "one senator of three cannot cancel");
		assert_eq!(
			senate_cancel(&hotkey(105), index),
			Err(pallet_governance::Error::<Runtime>::AlreadyVoted.into())
		);
		// Two of three do.
		senate_cancel(&hotkey(104), index).unwrap();
		assert!(matches!(
			pallet_referenda::ReferendumInfoFor::<Runtime>::get(index),
			Some(pallet_referenda::ReferendumInfo::Cancelled(..))
		));
		// A cancelled referendum's deposits go back to Bob.
		call(&bob, pallet_referenda::Call::refund_decision_deposit { index });

		// Rank is the stake the last epoch counted: 5,000 AGR staked on hotkey 105 just now
		// does not lift it above 100 and 104 (a seat is not bought for the refresh's block).
		use pallet_governance::SenateSource as _;
		call(
			&charlie,
			pallet_agora_staking::Call::add_stake { hotkey: hotkey(105), amount: 5_000 * AGR },
		);
		let top_two = |n| super::TopValidators::top_validators(n).0;
		assert_eq!(top_two(2), vec![hotkey(100), hotkey(104)]);
		run_to(System::block_number() + 10);
		assert_eq!(top_two(2)[0], hotkey(105), "counted once an epoch saw it");

		// A senator whose hotkey may have leaked swaps it: the seat moves with it at once, the
		// old hotkey can no longer vote in the senate.
		call(
			&charlie,
			pallet_subnets::Call::swap_hotkey {
				old_hotkey: hotkey(105),
				new_hotkey: hotkey(106),
				nominators: 1,
			},
		);
		let mut expected = vec![hotkey(100), hotkey(104), hotkey(106)];
		expected.sort();
		assert_eq!(senate(), expected);
		let index = submit_root_referendum(
			&bob,
			pallet_balances::Call::transfer_allow_death { dest: bob.clone().into(), value: 2 }
				.into(),
		);
		assert_eq!(
			senate_cancel(&hotkey(105), index),
			Err(pallet_governance::Error::<Runtime>::NotSenator.into())
		);
		senate_cancel(&hotkey(106), index).unwrap();
		check_invariants();
	});
}

/// A senate below three members (a young chain: one or two validators) cancels nothing.
#[test]
fn a_senate_of_one_holds_no_veto() {
	build(DEV_RUNTIME_PRESET).execute_with(|| {
		run_to(1);
		subnet_with_validator_and_miners();
		run_to(40);
		assert_eq!(senate(), vec![hotkey(100)]);
		let bob = account(Sr25519Keyring::Bob);
		let index = submit_root_referendum(
			&bob,
			pallet_balances::Call::transfer_allow_death { dest: bob.clone().into(), value: 1 }
				.into(),
		);
		senate_cancel(&hotkey(100), index).unwrap();
		assert!(ongoing(index), "a lone senator's vote is recorded, not decisive");
		check_invariants();
	});
}

/// The treasury gets 2% of every block's emission on the dev chain, and only a referendum
/// (`Root`) spends it.
#[test]
fn the_treasury_is_funded_by_emission_and_spent_only_by_root() {
	build(DEV_RUNTIME_PRESET).execute_with(|| {
		run_to(1);
		subnet_with_validator_and_miners();
		let treasury = crate::Treasury::account_id();
		let before = Balances::balance(&treasury);
		run_to(11);
		assert_eq!(Balances::balance(&treasury) - before, 10 * AGR / 50);
		let bob = account(Sr25519Keyring::Bob);
		let spend = pallet_treasury::Call::<Runtime>::spend {
			asset_kind: Box::new(()),
			amount: AGR / 10,
			beneficiary: Box::new(bob.clone()),
			valid_from: None,
		};
		assert!(RuntimeCall::from(spend.clone())
			.dispatch(RuntimeOrigin::signed(bob.clone()))
			.is_err());
		let bob_before = Balances::balance(&bob);
		RuntimeCall::from(spend).dispatch(RuntimeOrigin::root()).unwrap();
		call(&bob, pallet_treasury::Call::<Runtime>::payout { index: 0 });
		assert!(Balances::balance(&bob) > bob_before);
		check_invariants();
	});
}

/// Issue 13's acceptance: on the live chain's genesis no call that needs `Root` is reachable by
/// a signed account. Every call that carries another call (found in the runtime's metadata, so
/// a new one fails this test until it is covered) wraps a root-only probe, `System.set_storage`,
/// and is dispatched by the only endowed account; the probe's key must stay unset, also after
/// blocks have passed (scheduled or submitted calls).
#[test]
fn no_signed_account_reaches_root_on_the_live_chain() {
	let covered = calls_carrying_calls();
	build(LIVE_TEMPLATE_PRESET).execute_with(|| {
		run_to(1);
		assert!(pallet_sudo::Key::<Runtime>::get().is_none(), "the live chain has no sudo key");
		let alice = alice();
		let bob = account(Sr25519Keyring::Bob);
		call(
			&alice,
			pallet_balances::Call::transfer_allow_death {
				dest: bob.clone().into(),
				value: 100 * AGR,
			},
		);
		// Bob makes Alice his `Any` proxy: a signed origin is all a proxy can lend.
		call(
			&bob,
			pallet_proxy::Call::add_proxy {
				delegate: alice.clone().into(),
				proxy_type: agora_primitives::ProxyType::Any,
				delay: 0,
			},
		);
		const KEY: &[u8] = b":agora:probe";
		let probe: RuntimeCall = polkadot_sdk::frame_system::Call::set_storage {
			items: vec![(KEY.to_vec(), b"root".to_vec())],
		}
		.into();
		let boxed = || Box::new(probe.clone());
		let mut tried: BTreeSet<String> = BTreeSet::new();
		let mut attempt = |name: &str, wrapper: RuntimeCall| {
			tried.insert(name.into());
			let _ = wrapper.dispatch(RuntimeOrigin::signed(alice.clone()));
			assert!(sp_io::storage::get(KEY).is_none(), "{name} reached Root");
		};
		attempt("System.set_storage", probe.clone());
		attempt("Sudo.sudo", pallet_sudo::Call::sudo { call: boxed() }.into());
		attempt(
			"Sudo.sudo_unchecked_weight",
			pallet_sudo::Call::sudo_unchecked_weight { call: boxed(), weight: Default::default() }
				.into(),
		);
		attempt(
			"Sudo.sudo_as",
			pallet_sudo::Call::sudo_as { who: bob.clone().into(), call: boxed() }.into(),
		);
		attempt("Utility.batch", pallet_utility::Call::batch { calls: vec![probe.clone()] }.into());
		attempt(
			"Utility.batch_all",
			pallet_utility::Call::batch_all { calls: vec![probe.clone()] }.into(),
		);
		attempt(
			"Utility.force_batch",
			pallet_utility::Call::force_batch { calls: vec![probe.clone()] }.into(),
		);
		attempt(
			"Utility.as_derivative",
			pallet_utility::Call::as_derivative { index: 0, call: boxed() }.into(),
		);
		attempt(
			"Utility.dispatch_as",
			pallet_utility::Call::dispatch_as {
				as_origin: Box::new(OriginCaller::system(RawOrigin::Root)),
				call: boxed(),
			}
			.into(),
		);
		attempt(
			"Utility.dispatch_as_fallible",
			pallet_utility::Call::dispatch_as_fallible {
				as_origin: Box::new(OriginCaller::system(RawOrigin::Root)),
				call: boxed(),
			}
			.into(),
		);
		attempt(
			"Utility.with_weight",
			pallet_utility::Call::with_weight { call: boxed(), weight: Default::default() }.into(),
		);
		attempt(
			"Utility.if_else",
			pallet_utility::Call::if_else { main: boxed(), fallback: boxed() }.into(),
		);
		attempt(
			"Proxy.proxy",
			pallet_proxy::Call::proxy {
				real: bob.clone().into(),
				force_proxy_type: None,
				call: boxed(),
			}
			.into(),
		);
		attempt(
			"Proxy.proxy_announced",
			pallet_proxy::Call::proxy_announced {
				delegate: alice.clone().into(),
				real: bob.clone().into(),
				force_proxy_type: None,
				call: boxed(),
			}
			.into(),
		);
		attempt(
			"Multisig.as_multi_threshold_1",
			pallet_multisig::Call::as_multi_threshold_1 {
				other_signatories: vec![bob.clone()],
				call: boxed(),
			}
			.into(),
		);
		attempt(
			"Multisig.as_multi",
			pallet_multisig::Call::as_multi {
				threshold: 2,
				other_signatories: vec![bob.clone()],
				maybe_timepoint: None,
				call: boxed(),
				max_weight: Default::default(),
			}
			.into(),
		);
		attempt(
			"Scheduler.schedule",
			pallet_scheduler::Call::schedule {
				when: 5,
				maybe_periodic: None,
				priority: 0,
				call: boxed(),
			}
			.into(),
		);
		attempt(
			"Scheduler.schedule_named",
			pallet_scheduler::Call::schedule_named {
				id: [1; 32],
				when: 5,
				maybe_periodic: None,
				priority: 0,
				call: boxed(),
			}
			.into(),
		);
		attempt(
			"Scheduler.schedule_after",
			pallet_scheduler::Call::schedule_after {
				after: 1,
				maybe_periodic: None,
				priority: 0,
				call: boxed(),
			}
			.into(),
		);
		attempt(
			"Scheduler.schedule_named_after",
			pallet_scheduler::Call::schedule_named_after {
				id: [2; 32],
				after: 1,
				maybe_periodic: None,
				priority: 0,
				call: boxed(),
			}
			.into(),
		);
		attempt(
			"Senate.propose",
			pallet_collective::Call::<Runtime, SenateInstance>::propose {
				threshold: 1,
				proposal: boxed(),
				length_bound: 1_000,
			}
			.into(),
		);
		attempt(
			"Senate.execute",
			pallet_collective::Call::<Runtime, SenateInstance>::execute {
				proposal: boxed(),
				length_bound: 1_000,
			}
			.into(),
		);
		// A referendum is the way to Root: Alice may submit one, but it cannot pass without a
		// decision deposit, votes and days of periods.
		attempt(
			"Referenda.submit",
			pallet_referenda::Call::submit {
				proposal_origin: Box::new(OriginCaller::system(RawOrigin::Root)),
				proposal: Bounded::Inline(probe.encode().try_into().unwrap()),
				enactment_moment: DispatchTime::After(0),
			}
			.into(),
		);
		run_to(30);
		assert!(sp_io::storage::get(KEY).is_none(), "a scheduled or submitted call reached Root");
		assert_eq!(tried, covered, "every call that carries a call is tried (and only those)");
		// The probe itself works: Root (a referendum's enactment) writes the key.
		probe.dispatch(RuntimeOrigin::root()).unwrap();
		assert_eq!(sp_io::storage::get(KEY).as_deref(), Some(&b"root"[..]));
	});
}

/// `Pallet.call` for every call of the runtime with a parameter that holds a `RuntimeCall`
/// (directly, boxed, in a vector or a preimage bound), from the runtime's metadata; and the
/// probe, `System.set_storage`.
fn calls_carrying_calls() -> BTreeSet<String> {
	use scale_info::{form::PortableForm, PortableRegistry, TypeDef};
	// Some constants read storage (the chain's timing, the governance periods).
	let md = sp_io::TestExternalities::default().execute_with(Runtime::metadata_ir);
	let mut registry = scale_info::Registry::new();
	let call_ty = registry.register_type(&md.outer_enums.call_enum_ty).id;
	let pallets: Vec<(String, u32)> = md
		.pallets
		.iter()
		.filter_map(|p| {
			p.calls.as_ref().map(|c| (p.name.to_string(), registry.register_type(&c.ty).id))
		})
		.collect();
	let types: PortableRegistry = registry.into();
	let holds_call = |id: u32| -> bool {
		let ty = types.resolve(id).expect("registered");
		id == call_ty
			|| matches!(&ty.type_def, TypeDef::Sequence(s) if s.type_param.id == call_ty)
			|| ty.type_params.iter().any(|p| p.ty.map(|t| t.id) == Some(call_ty))
	};
	let mut found = BTreeSet::from([String::from("System.set_storage")]);
	for (pallet, id) in pallets {
		let ty: &scale_info::Type<PortableForm> = types.resolve(id).expect("registered");
		let TypeDef::Variant(calls) = &ty.type_def else { panic!("{pallet}'s calls are an enum") };
		for v in &calls.variants {
			if v.fields.iter().any(|f| holds_call(f.ty.id)) {
				found.insert(alloc::format!("{pallet}.{}", v.name));
			}
		}
	}
	found
}
