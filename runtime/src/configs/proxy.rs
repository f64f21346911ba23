//! Key safety: proxies (`pallet-proxy`) and multisig accounts (`pallet-multisig`).
//!
//! A proxy lets one account act for another within a [`ProxyType`], so that a coldkey can stay
//! offline while a hot key stakes for it; a multisig account needs `threshold` of its
//! signatories to approve each call. Both are polkadot-sdk's pallets, configured here.

use crate::{Balance, Balances, Runtime, RuntimeCall, RuntimeEvent, MILLI_AGR};
pub use agora_primitives::ProxyType;
use polkadot_sdk::{
	frame_support::traits::{ConstU128, ConstU32, InstanceFilter},
	frame_system, pallet_multisig, pallet_proxy,
	sp_runtime::traits::BlakeTwo256,
};

/// What a deposit for `items` storage items of `bytes` bytes in all holds: 100 mAGR an item and
/// 0.1 mAGR a byte, returned when the items go.
pub const fn deposit(items: u32, bytes: u32) -> Balance {
	items as Balance * 100 * MILLI_AGR + bytes as Balance * (MILLI_AGR / 10)
}

/// Which calls each [`ProxyType`] lets a proxy make (the type is shared with clients through
/// `agora-primitives`).
impl InstanceFilter<RuntimeCall> for ProxyType {
	fn filter(&self, call: &RuntimeCall) -> bool {
		match self {
			ProxyType::Any => true,
			ProxyType::NonTransfer => match call {
				// Moves AGR away, or acts with another account's authority.
				RuntimeCall::Balances(..)
				| RuntimeCall::Payments(..)
				| RuntimeCall::Sudo(..)
				| RuntimeCall::Multisig(..) => false,
				// Burns AGR at a price the caller picks (or registers someone else's hotkey), or
				// hands the account's neurons and their stake to a hotkey of the proxy's choice.
				RuntimeCall::Subnets(
					pallet_subnets::Call::create_subnet { .. }
					| pallet_subnets::Call::register { .. }
					| pallet_subnets::Call::swap_hotkey { .. },
				) => false,
				// A validator's session keys: whoever sets them authors blocks as it.
				RuntimeCall::Session(..) => false,
				// Governance locks or holds the account's AGR (a 6x conviction vote locks it for
				// 32 vote-locking periods, referendum and preimage deposits hold it) and speaks
				// with its voice (votes, delegation, a senator's hotkey).
				RuntimeCall::ConvictionVoting(..)
				| RuntimeCall::Referenda(..)
				| RuntimeCall::Preimage(..)
				| RuntimeCall::Senate(..) => false,
				RuntimeCall::Governance(pallet_governance::Call::senate_cancel { .. }) => false,
				// Hands everything the account holds to a coldkey of the proxy's choice (or
				// lets one go ahead). Disputing one stays allowed: it only protects the
				// account, and an owner may hold its non-transfer proxy key apart from a
				// coldkey that leaked.
				RuntimeCall::Staking(
					pallet_agora_staking::Call::announce_coldkey_swap { .. }
					| pallet_agora_staking::Call::cancel_coldkey_swap { .. }
					| pallet_agora_staking::Call::resolve_coldkey_swap { .. }
					| pallet_agora_staking::Call::execute_coldkey_swap { .. },
				) => false,
				// Its own proxies and announcements only: not acting through the account's own
				// proxies (a nested `proxy` starts from an unfiltered origin), not creating pure
				// proxies or announcing (deposits the account pays).
				RuntimeCall::Proxy(c) => matches!(
					c,
					pallet_proxy::Call::add_proxy { .. }
						| pallet_proxy::Call::remove_proxy { .. }
						| pallet_proxy::Call::remove_announcement { .. }
						| pallet_proxy::Call::reject_announcement { .. }
						| pallet_proxy::Call::poke_deposit { .. }
				),
				_ => true,
			},
			// A batch's calls are each checked against the same filter when dispatched.
			// Stake management only: not the account's coldkey swaps, either way.
			ProxyType::Staking => match call {
				RuntimeCall::Staking(
					pallet_agora_staking::Call::announce_coldkey_swap { .. }
					| pallet_agora_staking::Call::dispute_coldkey_swap { .. }
					| pallet_agora_staking::Call::cancel_coldkey_swap { .. }
					| pallet_agora_staking::Call::resolve_coldkey_swap { .. }
					| pallet_agora_staking::Call::execute_coldkey_swap { .. },
				) => false,
				RuntimeCall::Staking(..) | RuntimeCall::Utility(..) => true,
				_ => false,
			},
		}
	}

	fn is_superset(&self, other: &Self) -> bool {
		match (self, other) {
			(x, y) if x == y => true,
			(ProxyType::Any, _) => true,
			(_, ProxyType::Any) => false,
			(ProxyType::NonTransfer, ProxyType::Staking) => true,
			_ => false,
		}
	}
}

impl pallet_proxy::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type Currency = Balances;
	type ProxyType = ProxyType;
	/// A proxy list: one item of an account and its deposit.
	type ProxyDepositBase = ConstU128<{ deposit(1, 40) }>;
	/// Each proxy in it: an account, a type and a delay.
	type ProxyDepositFactor = ConstU128<{ deposit(0, 37) }>;
	type MaxProxies = ConstU32<32>;
	type WeightInfo = pallet_proxy::weights::SubstrateWeight<Runtime>;
	type MaxPending = ConstU32<32>;
	type CallHasher = BlakeTwo256;
	type AnnouncementDepositBase = ConstU128<{ deposit(1, 48) }>;
	type AnnouncementDepositFactor = ConstU128<{ deposit(0, 68) }>;
	type BlockNumberProvider = frame_system::Pallet<Runtime>;
}

impl pallet_multisig::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type Currency = Balances;
	/// A pending multisig call: one item (its timepoint, deposit, depositor, approvals).
	type DepositBase = ConstU128<{ deposit(1, 88) }>;
	/// Each approval: an account.
	type DepositFactor = ConstU128<{ deposit(0, 32) }>;
	type MaxSignatories = ConstU32<100>;
	type WeightInfo = pallet_multisig::weights::SubstrateWeight<Runtime>;
	type BlockNumberProvider = frame_system::Pallet<Runtime>;
}

#[cfg(test)]
mod tests {
	use super::ProxyType;
	use crate::{
		genesis_config_presets::tests::build, AccountId, Balances, Runtime, RuntimeCall,
		RuntimeEvent, RuntimeOrigin, Staking, System, AGR,
	};
	use agora_primitives::TaskKind;
	use polkadot_sdk::{
		frame_support::{assert_ok, traits::fungible::Inspect},
		pallet_multisig, pallet_proxy,
		sp_genesis_builder::DEV_RUNTIME_PRESET,
		sp_keyring::Sr25519Keyring,
		sp_runtime::{traits::Dispatchable, DispatchError},
	};

	fn key(k: Sr25519Keyring) -> AccountId {
		k.to_account_id()
	}

	fn signed(who: &AccountId, call: impl Into<RuntimeCall>) -> Result<(), DispatchError> {
		let call: RuntimeCall = call.into();
		call.dispatch(RuntimeOrigin::signed(who.clone())).map(|_| ()).map_err(|e| e.error)
	}

	/// `proxy` acts for `real`; the inner call's own result.
	fn as_proxy(
		proxy: &AccountId,
		real: &AccountId,
		call: impl Into<RuntimeCall>,
	) -> Result<(), DispatchError> {
		System::reset_events();
		assert_ok!(signed(
			proxy,
			pallet_proxy::Call::proxy {
				real: real.clone().into(),
				force_proxy_type: None,
				call: Box::new(call.into()),
			}
		));
		System::events()
			.into_iter()
			.find_map(|r| match r.event {
				RuntimeEvent::Proxy(pallet_proxy::Event::ProxyExecuted { result }) => Some(result),
				_ => None,
			})
			.expect("ProxyExecuted")
	}

	fn transfer(to: &AccountId, value: u128) -> RuntimeCall {
		polkadot_sdk::pallet_balances::Call::transfer_keep_alive { dest: to.clone().into(), value }
			.into()
	}

	/// A Staking proxy stakes and unstakes for its account, whose AGR stays its own: it cannot
	/// transfer (alone or in a batch), open a payment channel, add a wider proxy or touch the
	/// account's coldkey swaps.
	#[test]
	fn a_staking_proxy_stakes_but_moves_no_agr() {
		build(DEV_RUNTIME_PRESET).execute_with(|| {
			System::set_block_number(1);
			let (alice, bob, eve) =
				(key(Sr25519Keyring::Alice), key(Sr25519Keyring::Bob), key(Sr25519Keyring::Eve));
			let hotkey = AccountId::from([7u8; 32]);
			assert_ok!(signed(
				&alice,
				pallet_subnets::Call::create_subnet {
					task: TaskKind::TextEmbedding,
					max_cost: 100 * AGR
				}
			));
			assert_ok!(signed(
				&alice,
				pallet_subnets::Call::register { netuid: 1, hotkey: hotkey.clone(), max_cost: AGR }
			));
			assert_ok!(signed(
				&alice,
				pallet_proxy::Call::add_proxy {
					delegate: bob.clone().into(),
					proxy_type: ProxyType::Staking,
					delay: 0
				}
			));

			// Staking for Alice works; the stake is Alice's.
			let stake =
				pallet_agora_staking::Call::add_stake { hotkey: hotkey.clone(), amount: 10 * AGR };
			assert_ok!(as_proxy(&bob, &alice, stake));
			assert_eq!(Staking::stake_of_coldkey(&hotkey, &alice), 10 * AGR);
			assert_eq!(Staking::stake_of_coldkey(&hotkey, &bob), 0);

			// Anything that moves AGR away is filtered, even wrapped in a batch.
			let eve_before = Balances::balance(&eve);
			let filtered = Err(polkadot_sdk::frame_system::Error::<Runtime>::CallFiltered.into());
			assert_eq!(as_proxy(&bob, &alice, transfer(&eve, AGR)), filtered);
			let batch =
				polkadot_sdk::pallet_utility::Call::batch_all { calls: vec![transfer(&eve, AGR)] };
			assert!(as_proxy(&bob, &alice, batch).is_err());
			let open = pallet_payments::Call::open {
				provider: eve.clone(),
				deposit: AGR,
				expires_at: 1_000,
			};
			assert_eq!(as_proxy(&bob, &alice, open), filtered);
			let widen = pallet_proxy::Call::add_proxy {
				delegate: eve.clone().into(),
				proxy_type: ProxyType::Any,
				delay: 0,
			};
			assert_eq!(as_proxy(&bob, &alice, widen), filtered);
			assert_eq!(Balances::balance(&eve), eve_before);
			// Nor swap the coldkey away to a key of its own, nor dispute the account's swaps.
			let announce =
				pallet_agora_staking::Call::announce_coldkey_swap { new_coldkey: bob.clone() };
			assert_eq!(as_proxy(&bob, &alice, announce), filtered);
			let dispute = pallet_agora_staking::Call::dispute_coldkey_swap {};
			assert_eq!(as_proxy(&bob, &alice, dispute), filtered);
			let cancel = pallet_agora_staking::Call::cancel_coldkey_swap {};
			assert_eq!(as_proxy(&bob, &alice, cancel), filtered);

			// Unstaking returns the AGR to Alice, not to the proxy.
			let bob_before = Balances::balance(&bob);
			let alice_before = Balances::balance(&alice);
			let unstake = pallet_agora_staking::Call::remove_stake { hotkey, amount: 10 * AGR };
			assert_ok!(as_proxy(&bob, &alice, unstake));
			assert_eq!(Balances::balance(&alice), alice_before + 10 * AGR);
			// (Dispatched directly here: no fees.)
			assert_eq!(Balances::balance(&bob), bob_before, "the proxy gained nothing");
		});
	}

	/// A NonTransfer proxy may stake but not transfer or open channels; it cannot add an `Any`
	/// proxy, only narrower ones, nor announce, execute or resolve a coldkey swap of its
	/// account (it may dispute one).
	#[test]
	fn a_non_transfer_proxy_cannot_widen_itself_burn_or_reach_further() {
		build(DEV_RUNTIME_PRESET).execute_with(|| {
			System::set_block_number(1);
			let (alice, bob, eve) =
				(key(Sr25519Keyring::Alice), key(Sr25519Keyring::Bob), key(Sr25519Keyring::Eve));
			assert_ok!(signed(
				&alice,
				pallet_proxy::Call::add_proxy {
					delegate: bob.clone().into(),
					proxy_type: ProxyType::NonTransfer,
					delay: 0
				}
			));
			let filtered = Err(polkadot_sdk::frame_system::Error::<Runtime>::CallFiltered.into());
			assert_eq!(as_proxy(&bob, &alice, transfer(&eve, AGR)), filtered);
			let any = pallet_proxy::Call::add_proxy {
				delegate: eve.clone().into(),
				proxy_type: ProxyType::Any,
				delay: 0,
			};
			assert!(as_proxy(&bob, &alice, any).is_err());
			let staking = pallet_proxy::Call::add_proxy {
				delegate: eve.clone().into(),
				proxy_type: ProxyType::Staking,
				delay: 0,
			};
			assert_ok!(as_proxy(&bob, &alice, staking));
			let proxies = pallet_proxy::Proxies::<Runtime>::get(&alice).0;
			assert_eq!(proxies.len(), 2);

			// Review of issue 13: Alice is Charlie's `Any` proxy; Bob cannot reach Charlie's AGR
			// through her, burn hers, set her session keys or spawn pure proxies she pays for.
			let charlie = key(Sr25519Keyring::Charlie);
			assert_ok!(signed(
				&charlie,
				pallet_proxy::Call::add_proxy {
					delegate: alice.clone().into(),
					proxy_type: ProxyType::Any,
					delay: 0
				}
			));
			let through = pallet_proxy::Call::proxy {
				real: charlie.clone().into(),
				force_proxy_type: None,
				call: Box::new(transfer(&bob, AGR)),
			};
			assert_eq!(as_proxy(&bob, &alice, through), filtered);
			let burn = pallet_subnets::Call::create_subnet {
				task: TaskKind::TextEmbedding,
				max_cost: u128::MAX,
			};
			assert_eq!(as_proxy(&bob, &alice, burn), filtered);
			let register = pallet_subnets::Call::register {
				netuid: 1,
				hotkey: bob.clone(),
				max_cost: u128::MAX,
			};
			assert_eq!(as_proxy(&bob, &alice, register), filtered);
			// Nor hand Alice's neuron (and its nominators' stake) to a hotkey Bob holds.
			let swap = pallet_subnets::Call::swap_hotkey {
				old_hotkey: AccountId::from([7u8; 32]),
				new_hotkey: bob.clone(),
				nominators: 1,
			};
			assert_eq!(as_proxy(&bob, &alice, swap), filtered);
			// Nor lock Alice's AGR for months with a 6x conviction vote, or hold it in deposits.
			let vote = polkadot_sdk::pallet_conviction_voting::Call::vote {
				poll_index: 0,
				vote: polkadot_sdk::pallet_conviction_voting::AccountVote::Standard {
					vote: polkadot_sdk::pallet_conviction_voting::Vote {
						aye: true,
						conviction: polkadot_sdk::pallet_conviction_voting::Conviction::Locked6x,
					},
					balance: 1_000 * AGR,
				},
			};
			assert_eq!(as_proxy(&bob, &alice, vote), filtered);
			let note = polkadot_sdk::pallet_preimage::Call::note_preimage { bytes: vec![0; 1_000] };
			assert_eq!(as_proxy(&bob, &alice, note), filtered);
			let keys = polkadot_sdk::pallet_session::Call::purge_keys {};
			assert_eq!(as_proxy(&bob, &alice, keys), filtered);
			// Nor hand everything Alice holds to a coldkey Bob holds (issue 13's coldkey swap),
			// nor execute, resolve or cancel one; disputing one only protects her, and is
			// allowed.
			let announce =
				pallet_agora_staking::Call::announce_coldkey_swap { new_coldkey: bob.clone() };
			assert_eq!(as_proxy(&bob, &alice, announce), filtered);
			let execute = pallet_agora_staking::Call::execute_coldkey_swap {
				old_coldkey: alice.clone(),
				hotkeys: 0,
				positions: 0,
			};
			assert_eq!(as_proxy(&bob, &alice, execute), filtered);
			let resolve = pallet_agora_staking::Call::resolve_coldkey_swap {
				old_coldkey: alice.clone(),
				new_coldkey: Some(bob.clone()),
			};
			assert_eq!(as_proxy(&bob, &alice, resolve), filtered);
			// Cancelling her swap would let a thief's proxy undo the owner's escape.
			let cancel = pallet_agora_staking::Call::cancel_coldkey_swap {};
			assert_eq!(as_proxy(&bob, &alice, cancel), filtered);
			let dispute = pallet_agora_staking::Call::dispute_coldkey_swap {};
			assert_eq!(
				as_proxy(&bob, &alice, dispute),
				Err(pallet_agora_staking::Error::<Runtime>::NoColdkeySwap.into())
			);
			let pure =
				pallet_proxy::Call::create_pure { proxy_type: ProxyType::Any, delay: 0, index: 0 };
			assert_eq!(as_proxy(&bob, &alice, pure), filtered);
		});
	}

	/// A 2-of-3 multisig account transfers only once a second signatory approves the same call.
	#[test]
	fn a_multisig_needs_its_threshold() {
		build(DEV_RUNTIME_PRESET).execute_with(|| {
			System::set_block_number(1);
			let (alice, bob, charlie, eve) = (
				key(Sr25519Keyring::Alice),
				key(Sr25519Keyring::Bob),
				key(Sr25519Keyring::Charlie),
				key(Sr25519Keyring::Eve),
			);
			let mut signatories = vec![alice.clone(), bob.clone(), charlie.clone()];
			signatories.sort();
			let multi = pallet_multisig::Pallet::<Runtime>::multi_account_id(&signatories, 2);
			assert_ok!(signed(&alice, transfer(&multi, 100 * AGR)));
			let others = |me: &AccountId| -> Vec<AccountId> {
				signatories.iter().filter(|s| *s != me).cloned().collect()
			};
			let pay = transfer(&eve, 5 * AGR);
			let eve_before = Balances::balance(&eve);
			assert_ok!(signed(
				&alice,
				pallet_multisig::Call::as_multi {
					threshold: 2,
					other_signatories: others(&alice),
					maybe_timepoint: None,
					call: Box::new(pay.clone()),
					max_weight: polkadot_sdk::frame_support::weights::Weight::from_parts(
						1_000_000_000,
						100_000
					),
				}
			));
			assert_eq!(Balances::balance(&eve), eve_before, "one approval is not enough");
			let timepoint = pallet_multisig::Pallet::<Runtime>::timepoint();
			assert_ok!(signed(
				&bob,
				pallet_multisig::Call::as_multi {
					threshold: 2,
					other_signatories: others(&bob),
					maybe_timepoint: Some(timepoint),
					call: Box::new(pay),
					max_weight: polkadot_sdk::frame_support::weights::Weight::from_parts(
						1_000_000_000,
						100_000
					),
				}
			));
			assert_eq!(Balances::balance(&eve), eve_before + 5 * AGR);
		});
	}
}
