//! Unit tests: the emission schedule and its cap, the split across subnets, when epochs run (and
//! wait), and an epoch's payout through the real subnets and staking pallets.

#![allow(unreachable_pub, clippy::unwrap_used)]

use crate::{
	mock::*, to_u16, Event, LastEpoch, PayoutPages, PayoutQueue, Payouts, PendingEmission,
	SubnetStake, TotalEmitted, TotalPending, WeightInfo,
};
use agora_primitives::{Balance, NetUid, SubnetHyperparams, Uid};
use agora_yuma::Fixed;
use frame::testing_prelude::*;
use pallet_subnets::Bonds;
use polkadot_sdk::{
	frame_support::traits::Hooks, polkadot_sdk_frame as frame, sp_runtime::Perbill,
};

/// 0.6, 0.3 and 0.1 of `u16::MAX` (they sum to it).
const WEIGHTS: [u16; 3] = [39_321, 19_660, 6_554];

fn pending(netuid: NetUid) -> Balance {
	Rewards::pending_emission(netuid)
}

fn set_weights(netuid: NetUid, hotkey: u64, uids: &[Uid], values: &[u16]) -> DispatchResult {
	Subnets::set_weights(
		RuntimeOrigin::signed(hotkey),
		netuid,
		uids.to_vec().try_into().unwrap(),
		values.to_vec().try_into().unwrap(),
		0,
	)
}

/// A subnet owned by `owner`: validator `hotkey` of `coldkey` at UID 0 with `stake` on it, then
/// `miners` (`(coldkey, hotkey)`) at UIDs 1.., all registered now.
fn subnet_with(
	owner: u64,
	(coldkey, hotkey): (u64, u64),
	stake_amount: Balance,
	miners: &[(u64, u64)],
) -> NetUid {
	let netuid = create_subnet(owner);
	assert_eq!(register(netuid, coldkey, hotkey), 0);
	for (i, &(c, h)) in miners.iter().enumerate() {
		assert_eq!(register(netuid, c, h), i as Uid + 1);
	}
	stake(coldkey, hotkey, stake_amount);
	netuid
}

/// Subnet 1 of owner 1: validator hotkey 10 (coldkey 2) with 100 AGR at UID 0, miners 11, 12, 13
/// (coldkeys 3, 4, 5) at UIDs 1, 2, 3.
fn scenario_subnet() -> NetUid {
	subnet_with(1, (2, 10), 100 * AGR, &[(3, 11), (4, 12), (5, 13)])
}

/// The netuid of every epoch so far (held or paid), in order.
fn epochs() -> Vec<NetUid> {
	rewards_events()
		.into_iter()
		.filter_map(|e| match e {
			Event::EpochRun { netuid, .. } | Event::EmissionHeld { netuid, .. } => Some(netuid),
			_ => None,
		})
		.collect()
}

#[test]
fn nothing_accrues_without_subnets() {
	build_and_execute(|| {
		let issuance = Balances::total_issuance();
		run_to_block(50);
		assert_eq!(TotalPending::<Test>::get(), 0);
		assert_eq!(TotalEmitted::<Test>::get(), 0);
		assert_eq!(PendingEmission::<Test>::iter().count(), 0);
		assert_eq!(LastEpoch::<Test>::iter().count(), 0);
		assert!(rewards_events().is_empty());
		assert_eq!(Balances::total_issuance(), issuance);
	});
}

#[test]
fn block_emission_halves_at_half_and_three_quarters_of_the_cap() {
	build_and_execute(|| {
		assert_eq!(Rewards::block_emission(), AGR);
		set_issuance(CAP / 2 - 1);
		assert_eq!(Rewards::block_emission(), AGR);
		set_issuance(CAP / 2);
		assert_eq!(Rewards::block_emission(), AGR / 2);
		set_issuance(CAP / 4 * 3 - 1);
		assert_eq!(Rewards::block_emission(), AGR / 2);
		set_issuance(CAP / 4 * 3);
		assert_eq!(Rewards::block_emission(), AGR / 4);
		set_issuance(CAP / 8 * 7);
		assert_eq!(Rewards::block_emission(), AGR / 8);
		// 10 AGR left lies in (cap / 2^22, cap / 2^21]: 21 halvings.
		set_issuance(CAP - 10 * AGR);
		assert_eq!(Rewards::block_emission(), AGR >> 21);
		set_issuance(CAP - 1);
		assert_eq!(Rewards::block_emission(), 0);
		set_issuance(CAP);
		assert_eq!(Rewards::block_emission(), 0);
	});
}

#[test]
fn pending_emission_counts_toward_the_halving() {
	build_and_execute(|| {
		create_subnet(1);
		set_issuance(CAP / 2 - AGR);
		run_to_block(2);
		assert_eq!(TotalPending::<Test>::get(), AGR);
		// Nothing minted yet, but issued = issuance + pending = half the cap.
		assert_eq!(Balances::total_issuance(), CAP / 2 - AGR);
		assert_eq!(Rewards::block_emission(), AGR / 2);
		run_to_block(3);
		assert_eq!(TotalPending::<Test>::get(), AGR + AGR / 2);
	});
}

#[test]
fn issuance_never_passes_the_cap() {
	build_and_execute(|| {
		let netuid = scenario_subnet();
		// An emission as large as the cap would issue everything at once: the rest is all it gets.
		BlockEmission::set(CAP);
		set_issuance(CAP - 3 * AGR);
		run_to_block(2);
		assert_eq!(TotalPending::<Test>::get(), 3 * AGR);
		for block in 3..=40 {
			if block == 23 {
				assert_ok!(set_weights(netuid, 10, &[1, 2, 3], &WEIGHTS));
			}
			run_to_block(block);
			assert_eq!(Balances::total_issuance() + TotalPending::<Test>::get(), CAP);
		}
		// Paid at block 32 (the permit came at 22): all of it minted, nothing left to emit.
		assert_eq!(Balances::total_issuance(), CAP);
		assert_eq!(TotalEmitted::<Test>::get(), 3 * AGR);
		assert_eq!(Rewards::block_emission(), 0);
	});
}

#[test]
fn emission_near_the_cap_keeps_shrinking() {
	build_and_execute(|| {
		let netuid = scenario_subnet();
		set_issuance(CAP - 10 * AGR);
		let mut last = Rewards::block_emission();
		for block in 2..=60 {
			if block == 23 {
				assert_ok!(set_weights(netuid, 10, &[1, 2, 3], &WEIGHTS));
			}
			run_to_block(block);
			let now = Rewards::block_emission();
			assert!(now <= last);
			last = now;
			assert!(Balances::total_issuance() + TotalPending::<Test>::get() <= CAP);
		}
		assert!(TotalEmitted::<Test>::get() > 0);
	});
}

#[test]
fn emission_is_split_equally_before_any_epoch() {
	build_and_execute(|| {
		let netuids: Vec<NetUid> = (1..=3).map(create_subnet).collect();
		run_to_block(2);
		let parts: Vec<Balance> = netuids.iter().map(|n| pending(*n)).collect();
		// Apportioned exactly: the odd planck to the lowest netuid.
		assert_eq!(parts, vec![333_333_334, 333_333_333, 333_333_333]);
		assert_eq!(TotalPending::<Test>::get(), AGR);
		run_to_block(4);
		let parts: Vec<Balance> = netuids.iter().map(|n| pending(*n)).collect();
		assert_eq!(parts, vec![1_000_000_002, 999_999_999, 999_999_999]);
		assert_eq!(TotalPending::<Test>::get(), 3 * AGR);
	});
}

#[test]
fn emission_is_split_by_subnet_stake() {
	build_and_execute(|| {
		let (a, b) = (create_subnet(1), create_subnet(2));
		SubnetStake::<Test>::insert(a, 1);
		SubnetStake::<Test>::insert(b, 2);
		run_to_block(2);
		assert_eq!((pending(a), pending(b)), (333_333_333, 666_666_667));
		assert_eq!(TotalPending::<Test>::get(), AGR);
	});
}

#[test]
fn epochs_set_the_split_by_validator_stake() {
	build_and_execute(|| {
		let a = scenario_subnet();
		let b = create_subnet(6);
		run_to_block(12);
		// Both epochs ran (no weights: held). No stake counts yet: none was there at an earlier
		// epoch, so the split stays equal.
		assert_eq!(epochs(), vec![a, b]);
		assert_eq!(SubnetStake::<Test>::get(a), 0);
		assert_eq!((pending(a), pending(b)), (11 * AGR / 2, 11 * AGR / 2));
		run_to_block(22);
		// `a`'s validator stake was there at its last epoch too: from now on it counts.
		assert_eq!(SubnetStake::<Test>::get(a), 100 * AGR);
		assert_eq!(SubnetStake::<Test>::get(b), 0);
		let (pa, pb) = (pending(a), pending(b));
		run_to_block(23);
		assert_eq!((pending(a) - pa, pending(b) - pb), (AGR, 0));

		// A validator with three times the stake joins `b`; from `b`'s second epoch after that
		// on, the split follows the stakes 100 : 300.
		assert_eq!(register(b, 7, 20), 0);
		stake(7, 20, 300 * AGR);
		run_to_block(32);
		assert_eq!(SubnetStake::<Test>::get(b), 0, "it was not there at b's previous epoch");
		run_to_block(42);
		assert_eq!(SubnetStake::<Test>::get(b), 300 * AGR);
		let (pa, pb) = (pending(a), pending(b));
		run_to_block(43);
		assert_eq!((pending(a) - pa, pending(b) - pb), (AGR / 4, AGR / 4 * 3));
	});
}

#[test]
fn an_epoch_runs_tempo_blocks_after_the_pallet_first_saw_the_subnet() {
	build_and_execute(|| {
		let a = create_subnet(1);
		assert_eq!(Rewards::last_epoch(a), None);
		run_to_block(2);
		assert_eq!(Rewards::last_epoch(a), Some(2));
		assert_eq!(pending(a), AGR);
		run_to_block(5);
		let b = create_subnet(2);
		run_to_block(11);
		assert!(rewards_events().is_empty());
		assert_eq!(Rewards::last_epoch(a), Some(2));
		assert_eq!(Rewards::last_epoch(b), Some(6));
		// Blocks 2..=5 alone, 6..=12 shared.
		run_to_block(12);
		assert_eq!(
			rewards_events(),
			vec![Event::EmissionHeld { netuid: a, pending: 15 * AGR / 2 }]
		);
		assert_eq!(Rewards::last_epoch(a), Some(12));
		run_to_block(15);
		assert_eq!(epochs(), vec![a]);
		run_to_block(16);
		assert_eq!(
			rewards_events().last(),
			Some(&Event::EmissionHeld { netuid: b, pending: 11 * AGR / 2 })
		);
		run_to_block(22);
		assert_eq!(epochs(), vec![a, b, a]);
		assert_eq!(Rewards::last_epoch(a), Some(22));
		assert_eq!(Rewards::last_epoch(b), Some(16));
	});
}

/// The whole path: permits from stake, weights, Yuma, the owner's cut, pay as stake.
#[test]
fn an_epoch_pays_by_weights_the_owner_cut_and_stake() {
	build_and_execute(|| {
		let netuid = scenario_subnet();
		run_to_block(12);
		// First epoch: no stake counts yet (none was there at an earlier epoch): no permit.
		assert!(!Subnets::stats(netuid, 0).validator_permit);
		assert_eq!(Subnets::stats(netuid, 0).stake, 100 * AGR);
		run_to_block(22);

		// Second epoch: the staked neuron gets a permit; nobody has weights, so nothing is paid.
		assert_eq!(
			rewards_events(),
			vec![
				Event::EmissionHeld { netuid, pending: 11 * AGR },
				Event::EmissionHeld { netuid, pending: 21 * AGR },
			]
		);
		assert!(Subnets::stats(netuid, 0).validator_permit);
		assert!((1..=3).all(|uid| !Subnets::stats(netuid, uid).validator_permit));
		assert_eq!(SubnetStake::<Test>::get(netuid), 100 * AGR);
		assert_noop!(
			set_weights(netuid, 11, &[2], &[1]),
			pallet_subnets::Error::<Test>::NoValidatorPermit
		);
		assert_ok!(set_weights(netuid, 10, &[1, 2, 3], &WEIGHTS));

		let owner_before = Balances::free_balance(1);
		let hotkeys = [10, 11, 12, 13];
		let stake_before = hotkeys.map(|h| Staking::stake_of(&h));
		assert_eq!(stake_before, [100 * AGR, 0, 0, 0]);
		run_to_block(31);
		assert_eq!(Rewards::last_epoch(netuid), Some(22));
		run_to_block(32);

		// Blocks 2..=32 accrued: 31 AGR, held emission included, all paid.
		let emission = 31 * AGR;
		let owner_cut = Perbill::from_percent(18) * emission;
		assert_eq!(owner_cut, 5_580_000_000);
		System::assert_has_event(
			Event::EpochRun { netuid, neurons: 4, emission, owner_cut }.into(),
		);
		assert_eq!(pending(netuid), 0);
		assert_eq!(TotalPending::<Test>::get(), 0);
		assert_eq!(TotalEmitted::<Test>::get(), emission);
		assert_eq!(Balances::free_balance(1) - owner_before, owner_cut);

		let stats: Vec<_> = (0..4).map(|uid| Subnets::stats(netuid, uid)).collect();
		// Incentive follows the weights, to rounding.
		assert_eq!(stats[0].incentive, 0);
		assert!(stats[1].incentive > stats[2].incentive);
		assert!(stats[2].incentive > stats[3].incentive);
		for (s, w) in stats[1..].iter().zip(WEIGHTS) {
			assert!(s.incentive.abs_diff(w) <= 2, "incentive {} for weight {w}", s.incentive);
			assert_eq!(s.dividends, 0);
			assert!(!s.validator_permit);
		}
		// The lone validator earns all dividends and is fully trusted.
		assert_eq!(stats[0].dividends, u16::MAX);
		assert!(stats[0].validator_permit);
		assert_eq!(stats[0].validator_trust, u16::MAX);
		assert_eq!(Bonds::<Test>::get(netuid, 0).len(), 3);

		// Owner cut + every neuron's emission = the epoch's emission; the rest splits in halves.
		let paid: Balance = stats.iter().map(|s| s.emission).sum();
		assert_eq!(paid + owner_cut, emission);
		let rest = emission - owner_cut;
		assert_eq!(stats[0].emission, rest - rest / 2);
		assert_eq!(stats[1..].iter().map(|s| s.emission).sum::<Balance>(), rest / 2);
		assert!(stats[1].emission > stats[2].emission && stats[2].emission > stats[3].emission);

		// Each neuron's emission became stake on its hotkey (the validator's nominators' part
		// vesting over the next tempo); a miner's coldkey holds all of it at once.
		for (i, hotkey) in hotkeys.iter().enumerate() {
			let pool = pallet_agora_staking::Pools::<Test>::get(hotkey);
			assert_eq!(pool.stake + pool.vesting, stake_before[i] + stats[i].emission);
		}
		// All of it is the validator's stake a tempo later (block 42).
		let pool = pallet_agora_staking::Pools::<Test>::get(10);
		assert!(pool.vesting > 0);
		assert_eq!(pool.settled(42).stake, stake_before[0] + stats[0].emission);
		for (i, (coldkey, hotkey)) in [(3, 11), (4, 12), (5, 13)].into_iter().enumerate() {
			assert!(stats[i + 1].emission > 0);
			assert_eq!(Staking::stake_of_coldkey(&hotkey, &coldkey), stats[i + 1].emission);
		}
		// The split reads the validator stake from before the payout.
		assert_eq!(SubnetStake::<Test>::get(netuid), 100 * AGR);
	});
}

#[test]
fn held_emission_is_paid_later_never_lost() {
	build_and_execute(|| {
		let netuid = scenario_subnet();
		run_to_block(22);
		assert_eq!(
			rewards_events(),
			vec![
				Event::EmissionHeld { netuid, pending: 11 * AGR },
				Event::EmissionHeld { netuid, pending: 21 * AGR },
			]
		);
		assert_eq!(TotalEmitted::<Test>::get(), 0);
		assert_eq!(TotalPending::<Test>::get(), 21 * AGR);
		assert_ok!(set_weights(netuid, 10, &[1, 2, 3], &WEIGHTS));
		run_to_block(32);
		let emission = 31 * AGR;
		System::assert_has_event(
			Event::EpochRun {
				netuid,
				neurons: 4,
				emission,
				owner_cut: Perbill::from_percent(18) * emission,
			}
			.into(),
		);
		assert_eq!(pending(netuid), 0);
		assert_eq!(TotalEmitted::<Test>::get(), emission);
	});
}

#[test]
fn epochs_beyond_the_block_limit_wait_for_the_next_block() {
	build_and_execute(|| {
		MaxEpochsPerBlock::set(1);
		let a = scenario_subnet();
		let b = subnet_with(6, (7, 20), 100 * AGR, &[(8, 21)]);
		run_to_block(12);
		// Both are due; the lower netuid goes first.
		assert_eq!(epochs(), vec![a]);
		assert_eq!(Rewards::last_epoch(b), Some(2));
		run_to_block(13);
		assert_eq!(epochs(), vec![a, b]);
		assert_eq!(Rewards::last_epoch(b), Some(13));
		assert_eq!(TotalPending::<Test>::get(), 12 * AGR);
		// The second epochs (22 and 23) give the validators their permits.
		run_to_block(23);
		assert_eq!(epochs(), vec![a, b, a, b]);

		assert_ok!(set_weights(a, 10, &[1, 2, 3], &WEIGHTS));
		assert_ok!(set_weights(b, 20, &[1], &[u16::MAX]));
		let (pa, pb) = (pending(a), pending(b));
		run_to_block(32);
		// Equal validator stake: half each per block. `a` pays everything it accrued.
		System::assert_has_event(
			Event::EpochRun {
				netuid: a,
				neurons: 4,
				emission: pa + 9 * AGR / 2,
				owner_cut: Perbill::from_percent(18) * (pa + 9 * AGR / 2),
			}
			.into(),
		);
		assert_eq!(pending(a), 0);
		assert_eq!(Rewards::last_epoch(b), Some(23));
		run_to_block(33);
		System::assert_has_event(
			Event::EpochRun {
				netuid: b,
				neurons: 2,
				emission: pb + 10 * AGR / 2,
				owner_cut: Perbill::from_percent(18) * (pb + 10 * AGR / 2),
			}
			.into(),
		);
		assert_eq!(epochs(), vec![a, b, a, b, a, b]);
		// Nothing lost: every block's emission is minted or still pending.
		assert_eq!(TotalEmitted::<Test>::get() + TotalPending::<Test>::get(), 32 * AGR);
		assert_eq!(TotalEmitted::<Test>::get(), 32 * AGR - pending(a));
	});
}

#[test]
fn the_most_overdue_epoch_runs_first() {
	build_and_execute(|| {
		MaxEpochsPerBlock::set(1);
		let netuids: Vec<NetUid> = (1..=3).map(create_subnet).collect();
		// Subnets 2 and 3 every 9 blocks, 1 every 10: due at 11, 11 and 12.
		for &netuid in &netuids[1..] {
			assert_ok!(Subnets::set_hyperparams(
				RuntimeOrigin::root(),
				netuid,
				SubnetHyperparams { tempo: 9, ..DefaultHyperparams::get() }
			));
		}
		run_to_block(11);
		assert_eq!(epochs(), vec![2]);
		// At 12, subnet 3 (a block late) goes before subnet 1 (on time).
		run_to_block(12);
		assert_eq!(epochs(), vec![2, 3]);
		run_to_block(13);
		assert_eq!(epochs(), vec![2, 3, 1]);
		assert_eq!(Rewards::last_epoch(1), Some(13));
		assert_eq!(TotalPending::<Test>::get(), 12 * AGR);
	});
}

#[test]
fn two_epochs_run_in_one_block_when_allowed() {
	build_and_execute(|| {
		let netuids: Vec<NetUid> = (1..=3).map(create_subnet).collect();
		run_to_block(12);
		assert_eq!(epochs(), vec![1, 2]);
		run_to_block(13);
		assert_eq!(epochs(), vec![1, 2, 3]);
		assert!(netuids.iter().all(|n| Rewards::last_epoch(*n).is_some()));
	});
}

#[test]
fn an_owner_cut_that_cannot_be_minted_stays_pending() {
	build_and_execute(|| {
		// Nothing until the validator holds its permit (block 22), then one planck a block, so
		// that the cut falls below the existential deposit (5).
		BlockEmission::set(0);
		let netuid = scenario_subnet();
		run_to_block(22);
		BlockEmission::set(1);
		assert_ok!(set_weights(netuid, 10, &[1, 2, 3], &WEIGHTS));
		// The owner empties its account, which is reaped.
		assert_ok!(Balances::transfer_all(RuntimeOrigin::signed(1), 9, false));
		assert_eq!(Balances::free_balance(1), 0);
		run_to_block(32);
		let cut = Perbill::from_percent(18) * 10;
		assert!(cut > 0 && cut < 5);
		// Neurons are paid; the cut is neither minted nor claimed, and waits.
		System::assert_has_event(
			Event::EpochRun { netuid, neurons: 4, emission: 10 - cut, owner_cut: 0 }.into(),
		);
		let paid: Balance = (0..4).map(|uid| Subnets::stats(netuid, uid).emission).sum();
		assert_eq!(paid, 10 - cut);
		assert_eq!(pending(netuid), cut);
		assert_eq!(Balances::free_balance(1), 0);
		// Once the owner's account exists again, its cut is paid.
		assert_ok!(Balances::transfer_keep_alive(RuntimeOrigin::signed(9), 1, AGR));
		run_to_block(42);
		let emission = cut + 10;
		System::assert_has_event(
			Event::EpochRun {
				netuid,
				neurons: 4,
				emission,
				owner_cut: Perbill::from_percent(18) * emission,
			}
			.into(),
		);
		assert_eq!(pending(netuid), 0);
	});
}

#[test]
fn on_initialize_weighs_the_hook_and_each_epoch() {
	build_and_execute(|| {
		System::set_block_number(2);
		assert_eq!(<Rewards as Hooks<u64>>::on_initialize(2), <() as WeightInfo>::on_initialize(0));
		scenario_subnet();
		System::set_block_number(3);
		assert_eq!(<Rewards as Hooks<u64>>::on_initialize(3), <() as WeightInfo>::on_initialize(1));
		run_to_block(12);
		System::set_block_number(13);
		assert_eq!(
			<Rewards as Hooks<u64>>::on_initialize(13),
			<() as WeightInfo>::on_initialize(1).saturating_add(Rewards::epoch_weight(4, 1))
		);
		assert_eq!(Rewards::last_epoch(1), Some(13));
	});
}

#[test]
fn try_state_catches_broken_bookkeeping() {
	build_and_execute(|| {
		let netuid = create_subnet(1);
		run_to_block(3);
		assert_ok!(Rewards::do_try_state());
		TotalPending::<Test>::mutate(|t| *t += 1);
		assert!(Rewards::do_try_state().is_err());
		TotalPending::<Test>::mutate(|t| *t -= 1);
		PendingEmission::<Test>::insert(netuid + 1, 0);
		assert!(Rewards::do_try_state().is_err());
		PendingEmission::<Test>::remove(netuid + 1);
		LastEpoch::<Test>::insert(netuid + 1, 3);
		assert!(Rewards::do_try_state().is_err());
		LastEpoch::<Test>::remove(netuid + 1);
		assert_ok!(Rewards::do_try_state());
	});
}

#[test]
fn to_u16_rounds_to_nearest_and_saturates() {
	assert_eq!(to_u16(Fixed::ZERO), 0);
	assert_eq!(to_u16(Fixed::ONE), u16::MAX);
	assert_eq!(to_u16(Fixed::from_raw(Fixed::ONE.raw() - 1)), u16::MAX);
	// Above one saturates.
	assert_eq!(to_u16(Fixed::from_raw(Fixed::ONE.raw() * 2)), u16::MAX);
	assert_eq!(to_u16(Fixed::from_raw(u64::MAX)), u16::MAX);
	// A half is 32767.5 parts: rounds up.
	assert_eq!(to_u16(Fixed::from_raw(1 << 31)), 32_768);
	// Half a part (2^32 / 65535 / 2 ≈ 32768.5 raw) is where the first part starts.
	assert_eq!(to_u16(Fixed::from_raw(32_768)), 0);
	assert_eq!(to_u16(Fixed::from_raw(32_769)), 1);
	// Every u16 fraction survives the round trip.
	for v in 0..=u16::MAX {
		assert_eq!(to_u16(Fixed::from_u16_fraction(v)), v);
	}
}

// ---- issue 10: stake that counts once, and only once it has stayed ----

/// Issue 10, item 9: a hotkey validating on k subnets counts its stake once in the split of
/// emission across subnets, not k times.
#[test]
fn stake_counts_once_across_subnets() {
	build_and_execute(|| {
		MaxEpochsPerBlock::set(4);
		// The farmer (coldkey 2) validates with one hotkey (10) on three subnets of its own.
		let farmed: Vec<NetUid> = (0..3).map(|_| create_subnet(2)).collect();
		for &netuid in &farmed {
			assert_eq!(register(netuid, 2, 10), 0);
		}
		stake(2, 10, 100 * AGR);
		// An honest validator with the same stake on one subnet.
		let honest = subnet_with(6, (7, 20), 100 * AGR, &[]);
		// Epochs at blocks 12 (no stake counted yet: none was there at an earlier epoch) and 22.
		run_to_block(22);
		assert_eq!(SubnetStake::<Test>::get(honest), 100 * AGR);
		let farmed_stake: Balance = farmed.iter().map(SubnetStake::<Test>::get).sum();
		assert_eq!(farmed_stake, 100 * AGR - 1, "100 AGR / 3, rounded down, three times");
		// The next block's emission: half each, where counting per subnet gave the farmer 3/4.
		let before: Vec<Balance> = farmed.iter().chain([&honest]).map(|&n| pending(n)).collect();
		run_to_block(23);
		let gained: Vec<Balance> =
			farmed.iter().chain([&honest]).zip(&before).map(|(&n, b)| pending(n) - b).collect();
		assert_eq!(gained[..3].iter().sum::<Balance>(), AGR / 2);
		assert_eq!(gained[3], AGR / 2);
	});
}

/// Issue 10, item 8: stake that arrives one block before an epoch decides no permit (nor any
/// part of Yuma's S) in it; stake that stayed through an epoch does.
#[test]
fn just_arrived_stake_decides_nothing() {
	build_and_execute(|| {
		let netuid = subnet_with(1, (2, 10), 100 * AGR, &[(3, 20)]);
		let mut hp = SubnetHyperparams { max_validators: 1, ..DefaultHyperparams::get() };
		hp.max_uids = 64;
		assert_ok!(Subnets::set_hyperparams(RuntimeOrigin::root(), netuid, hp));
		run_to_block(22);
		assert!(Subnets::stats(netuid, 0).validator_permit);
		// Block 31: the attacker stakes five times the validator's stake on its own hotkey.
		run_to_block(31);
		stake(3, 20, 500 * AGR);
		run_to_block(32);
		assert!(Subnets::stats(netuid, 0).validator_permit);
		assert!(!Subnets::stats(netuid, 1).validator_permit);
		assert_eq!(Subnets::stats(netuid, 1).stake, 500 * AGR);
		// Held through that epoch, it counts at the next.
		run_to_block(42);
		assert!(Subnets::stats(netuid, 1).validator_permit);
		assert!(!Subnets::stats(netuid, 0).validator_permit);
	});
}

/// Issue 10, item 1, through the pallets: a UID's new holder does not inherit the bonds
/// validators formed with its predecessor.
#[test]
fn a_replaced_uid_starts_without_bonds() {
	build_and_execute(|| {
		let netuid = subnet_with(1, (2, 10), 100 * AGR, &[(3, 11)]);
		let mut hp = DefaultHyperparams::get();
		hp.max_uids = 2;
		hp.max_allowed_weights = 2;
		hp.max_validators = 2;
		hp.immunity_period = 1;
		assert_ok!(Subnets::set_hyperparams(RuntimeOrigin::root(), netuid, hp));
		run_to_block(22);
		assert_ok!(set_weights(netuid, 10, &[1], &[1]));
		run_to_block(32);
		assert_eq!(Bonds::<Test>::get(netuid, 0).into_inner(), vec![(1, 1 << 32)]);
		// UID 1 changes hands at block 33 (made the weakest, so that it is the one replaced);
		// the validator does not weight it again.
		run_to_block(33);
		let mut stats = Subnets::stats(netuid, 1);
		stats.emission = 0;
		Subnets::set_stats(netuid, 1, stats);
		assert_eq!(register(netuid, 4, 12), 1);
		run_to_block(42);
		assert!(Bonds::<Test>::get(netuid, 0).is_empty());
	});
}

/// Review of issue 10: stake moved between two hotkeys around two subnets' epochs (each
/// snapshot sees it) counts on neither: an epoch counts the least stake since the previous one.
#[test]
fn stake_shuttled_between_epochs_counts_nowhere() {
	build_and_execute(|| {
		let a = create_subnet(2);
		assert_eq!(register(a, 2, 10), 0);
		stake(2, 10, 100 * AGR);
		let honest = subnet_with(6, (7, 20), 100 * AGR, &[]);
		run_to_block(5);
		// `b` is first seen at block 6: its epochs fall at 16, 26, ...; `a`'s at 12, 22, ...
		let b = create_subnet(2);
		assert_eq!(register(b, 2, 11), 0);
		let shuttle = |from: u64, to: u64| {
			let all = Staking::stake_of_coldkey(&from, &2);
			assert_ok!(Staking::move_stake(RuntimeOrigin::signed(2), from, to, all));
		};
		for (after_a, after_b) in [(12, 16), (22, 26), (32, 36)] {
			run_to_block(after_a);
			shuttle(10, 11);
			run_to_block(after_b);
			shuttle(11, 10);
		}
		run_to_block(42);
		assert_eq!(SubnetStake::<Test>::get(honest), 100 * AGR);
		assert_eq!(SubnetStake::<Test>::get(a), 0);
		assert_eq!(SubnetStake::<Test>::get(b), 0);
		assert!(!Subnets::stats(a, 0).validator_permit);
	});
}

/// Review of issue 10: a commit-reveal validator that reveals on time stays active between its
/// reveals (its activity is the reveal; its weights count as of the commit).
#[test]
fn a_commit_reveal_validator_stays_active_between_reveals() {
	build_and_execute(|| {
		let netuid = scenario_subnet();
		let hp = SubnetHyperparams {
			commit_reveal: true,
			reveal_period: 5,
			activity_cutoff: 60,
			immunity_period: 120,
			..DefaultHyperparams::get()
		};
		assert_ok!(Subnets::set_hyperparams(RuntimeOrigin::root(), netuid, hp));
		let (uids, values, salt) = (vec![1u16, 2, 3], WEIGHTS.to_vec(), vec![7u8]);
		let commit = || {
			let hash = agora_primitives::commit_hash(&10u64, netuid, &uids, &values, &salt, 0);
			assert_ok!(Subnets::commit_weights(RuntimeOrigin::signed(10), netuid, hash));
		};
		let reveal = || {
			assert_ok!(Subnets::reveal_weights(
				RuntimeOrigin::signed(10),
				netuid,
				uids.clone().try_into().unwrap(),
				values.clone().try_into().unwrap(),
				salt.clone().try_into().unwrap(),
				0
			));
		};
		run_to_block(22);
		commit();
		run_to_block(72);
		reveal();
		commit();
		for block in [82, 92, 102, 112] {
			run_to_block(block);
			assert!(SubnetStake::<Test>::get(netuid) > 0, "inactive at {block}");
			assert!(Subnets::stats(netuid, 1).incentive > 0, "miner unpaid at {block}");
		}
		run_to_block(122);
		reveal();
		run_to_block(132);
		assert!(SubnetStake::<Test>::get(netuid) > 0);
	});
}

/// Issue 12: an epoch decides every payout at once and credits them `MaxPayoutsPerBlock` a
/// block; the accounting is exact at every block (`try_state` after each), the next epoch waits
/// for the queue, and a neuron replaced before its page is paid is still paid (by hotkey) while
/// its successor gets none of it.
#[test]
fn payouts_are_paid_over_blocks_and_never_to_a_successor() {
	build_and_execute(|| {
		MaxPayoutsPerBlock::set(1);
		let netuid = scenario_subnet();
		let mut hp = DefaultHyperparams::get();
		hp.max_uids = 4;
		hp.max_allowed_weights = 4;
		hp.max_validators = 4;
		hp.immunity_period = 1;
		assert_ok!(Subnets::set_hyperparams(RuntimeOrigin::root(), netuid, hp.clone()));
		run_to_block(22);
		assert_ok!(set_weights(netuid, 10, &[1, 2, 3], &WEIGHTS));
		run_to_block(32);

		// The epoch queued four payouts in pages of one; the first is paid in its own block.
		let stats = Subnets::all_stats(netuid);
		let queue = Payouts::<Test>::get(netuid).unwrap();
		assert_eq!((queue.next, queue.end), (1, 4));
		assert_eq!(queue.unpaid, stats[1..].iter().map(|s| s.emission).sum::<Balance>());
		assert_eq!(TotalPending::<Test>::get(), queue.unpaid);
		assert_eq!(pending(netuid), 0);
		let pool = pallet_agora_staking::Pools::<Test>::get(10);
		assert_eq!(pool.stake + pool.vesting, 100 * AGR + stats[0].emission);
		assert!([11, 12, 13].iter().all(|h| Staking::stake_of(h) == 0));
		Rewards::do_try_state().unwrap();

		// UID 3 (hotkey 13, the least paid) changes hands before its page is paid, and the
		// subnet's tempo drops to 1: the next epoch is due at once but waits for the queue.
		assert_eq!(register(netuid, 6, 14), 3);
		hp.tempo = 1;
		assert_ok!(Subnets::set_hyperparams(RuntimeOrigin::root(), netuid, hp));
		for block in 33..=35 {
			run_to_block(block);
			Rewards::do_try_state().unwrap();
			assert_eq!(Rewards::last_epoch(netuid), Some(32), "an epoch ran at {block}");
		}
		assert!(!Payouts::<Test>::contains_key(netuid));
		for (uid, (coldkey, hotkey)) in [(1, (3, 11)), (2, (4, 12)), (3, (5, 13))] {
			assert_eq!(Staking::stake_of_coldkey(&hotkey, &coldkey), stats[uid].emission);
		}
		assert_eq!(Staking::stake_of(&14), 0);
		let paid: Vec<(u32, Balance)> = rewards_events()
			.into_iter()
			.filter_map(|e| match e {
				Event::EmissionPaid { netuid: n, neurons, amount } if n == netuid => {
					Some((neurons, amount))
				},
				_ => None,
			})
			.collect();
		assert_eq!(paid, stats.iter().map(|s| (1, s.emission)).collect::<Vec<_>>());
		let owner_cut = Perbill::from_percent(18) * (31 * AGR);
		assert_eq!(
			TotalEmitted::<Test>::get(),
			owner_cut + stats.iter().map(|s| s.emission).sum::<Balance>()
		);
		run_to_block(36);
		assert_eq!(Rewards::last_epoch(netuid), Some(36));
	});
}

/// `try_state` ties the payout queue to its pages and to `TotalPending`.
#[test]
fn try_state_catches_a_broken_payout_queue() {
	build_and_execute(|| {
		MaxPayoutsPerBlock::set(1);
		let netuid = scenario_subnet();
		run_to_block(22);
		assert_ok!(set_weights(netuid, 10, &[1, 2, 3], &WEIGHTS));
		run_to_block(32);
		assert_ok!(Rewards::do_try_state());
		let queue = Payouts::<Test>::get(netuid).unwrap();
		Payouts::<Test>::insert(netuid, PayoutQueue { unpaid: queue.unpaid + 1, ..queue });
		assert!(Rewards::do_try_state().is_err());
		Payouts::<Test>::insert(netuid, PayoutQueue { end: 2, ..queue });
		assert!(Rewards::do_try_state().is_err());
		Payouts::<Test>::insert(netuid, queue);
		let page = PayoutPages::<Test>::take(netuid, 3).unwrap();
		assert!(Rewards::do_try_state().is_err());
		PayoutPages::<Test>::insert(netuid, 3, page);
		assert_ok!(Rewards::do_try_state());
		// Drained by the end, so that the closing checks see every payout minted.
		run_to_block(35);
	});
}

/// Queues `payouts` on `netuid` as its epoch at block `at` would, `TotalPending` in step.
fn queue(netuid: NetUid, payouts: Vec<(u64, Balance)>, at: u32) {
	let total: Balance = payouts.iter().map(|(_, a)| a).sum();
	TotalPending::<Test>::mutate(|t| *t += total);
	assert_eq!(Rewards::queue_payouts(netuid, payouts.into_iter(), 10), total);
	LastEpoch::<Test>::insert(netuid, at);
}

/// Review of issue 12: the block's payout budget goes to the oldest epoch's queue first, so no
/// subnet waits behind lower netuids forever; a page longer than a lowered budget still goes,
/// alone in its block; a page that went missing returns its AGR to pending, not lost.
#[test]
fn the_oldest_epochs_payouts_go_first_and_none_is_stranded() {
	build_and_execute(|| {
		MaxPayoutsPerBlock::set(2);
		let a = subnet_with(1, (2, 10), 100 * AGR, &[(3, 11)]);
		let b = subnet_with(1, (4, 20), 100 * AGR, &[(5, 21)]);
		let c = subnet_with(1, (6, 30), 100 * AGR, &[(7, 31)]);
		queue(a, vec![(10, 70), (11, 80)], 9);
		queue(b, vec![(20, 50), (21, 60)], 5);
		queue(c, vec![(30, 40)], 7);
		// One page of two a block: b's epoch (block 5) is the oldest.
		Rewards::pay_queued(&[a, b, c]);
		assert!(!Payouts::<Test>::contains_key(b));
		assert!(Payouts::<Test>::contains_key(a) && Payouts::<Test>::contains_key(c));
		assert_eq!(Staking::stake_of_coldkey(&21, &5), 60);
		// The budget drops to one: c's page of one (block 7) goes, then a's page of two waits
		// for a block of its own, where it goes alone.
		MaxPayoutsPerBlock::set(1);
		Rewards::pay_queued(&[a, b, c]);
		assert!(!Payouts::<Test>::contains_key(c) && Payouts::<Test>::contains_key(a));
		Rewards::pay_queued(&[a, b, c]);
		assert!(!Payouts::<Test>::contains_key(a));
		assert_eq!(Staking::stake_of_coldkey(&11, &3), 80);
		assert_ok!(Rewards::do_try_state());

		// A page lost from storage: the queue ends and its AGR is pending again.
		queue(a, vec![(10, 90)], 12);
		PayoutPages::<Test>::remove(a, 0);
		let before = pending(a);
		Rewards::pay_queued(&[a]);
		assert!(!Payouts::<Test>::contains_key(a));
		assert_eq!(pending(a), before + 90);
	});
}

#[test]
fn the_treasury_gets_its_share_of_each_block_and_the_subnets_the_rest() {
	build_and_execute(|| {
		TreasuryCut::set(Perbill::from_percent(10));
		// No subnet, no emission: not for the treasury either.
		run_to_block(2);
		assert_eq!(Balances::free_balance(TreasuryAccount::get()), 0);
		scenario_subnet();
		let before = TotalPending::<Test>::get();
		run_to_block(3);
		assert_eq!(Balances::free_balance(TreasuryAccount::get()), AGR / 10);
		assert_eq!(TotalPending::<Test>::get() - before, AGR - AGR / 10);
		System::assert_has_event(crate::Event::TreasuryFunded { amount: AGR / 10 }.into());
		// The treasury's share counts toward the cap like the rest: near it, both shrink, and
		// together they never pass it.
		set_issuance(CAP - TotalPending::<Test>::get() - 2 * AGR);
		let mut last = Rewards::block_emission();
		for block in 4..=30 {
			run_to_block(block);
			assert!(Balances::total_issuance() + TotalPending::<Test>::get() <= CAP);
			assert!(Rewards::block_emission() <= last);
			last = Rewards::block_emission();
		}
		assert!(last < AGR, "emission shrank near the cap");
	});
}

/// Issue 13: a hotkey swap waits while a subnet its hotkey is on still credits the last epoch's
/// payouts (they name hotkeys), so that none lands on the abandoned hotkey; afterwards the
/// neuron's stake and next payouts follow the new hotkey, and a payout to a hotkey without an
/// owner goes back to pending emission, not lost.
#[test]
fn a_hotkey_swap_waits_for_the_payout_queue() {
	let swap = |coldkey: u64, old: u64, new: u64, nominators: u32| {
		Subnets::swap_hotkey(RuntimeOrigin::signed(coldkey), old, new, nominators)
			.map(|_| ())
			.map_err(|e| e.error)
	};
	build_and_execute(|| {
		MaxPayoutsPerBlock::set(1);
		let netuid = scenario_subnet();
		run_to_block(22);
		assert_ok!(set_weights(netuid, 10, &[1, 2, 3], &WEIGHTS));
		run_to_block(32);
		// Pages 1..4 (hotkeys 11, 12, 13) are still to pay.
		assert!(Payouts::<Test>::contains_key(netuid));
		assert_noop!(swap(5, 13, 23, 0), pallet_subnets::Error::<Test>::PayoutsQueued);
		assert_noop!(swap(2, 10, 20, 1), pallet_subnets::Error::<Test>::PayoutsQueued);
		run_to_block(35);
		assert!(!Payouts::<Test>::contains_key(netuid));
		let miner = Staking::stake_of_coldkey(&13, &5);
		assert!(miner > 0);
		assert_ok!(swap(5, 13, 23, 1));
		assert_eq!(Staking::stake_of_coldkey(&23, &5), miner);
		assert_eq!(Staking::stake_of(&13), 0);

		// The next epoch (block 42) pays UID 3 to the new hotkey; its page goes at block 45.
		run_to_block(45);
		assert!(!Payouts::<Test>::contains_key(netuid));
		assert!(Staking::stake_of_coldkey(&23, &5) > miner);
		assert_eq!(Staking::stake_of(&13), 0);

		// Were a payout ever queued for the abandoned hotkey, it would return to pending.
		let before = pending(netuid);
		queue(netuid, vec![(13, 77)], 45);
		Rewards::pay_queued(&[netuid]);
		assert_eq!(pending(netuid), before + 77);
		assert_eq!(Staking::owner_of(&13), None);
	});
}
