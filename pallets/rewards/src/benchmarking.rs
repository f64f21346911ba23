//! Benchmarks of `pallet_rewards` (benchmarks v2).
//!
//! An epoch reads neurons, weights and bonds from `pallet-subnets` and pays through
//! `pallet-agora-staking`, so these benchmarks build that state in the real pallets (optional
//! dependencies that `runtime-benchmarks` enables) and require the runtime to wire exactly them
//! as [`Config::Subnets`] and [`Config::Stake`]. A runtime needs to provide nothing else.

use super::*;
use agora_primitives::SubnetHyperparams;
use frame::benchmarking::prelude::*;
use pallet_subnets::{Neuron, Subnet};
use polkadot_sdk::frame_support::BoundedVec;
use polkadot_sdk::polkadot_sdk_frame as frame;

/// Most validators a subnet may have, as the epoch benchmark's `v` ranges.
const MAX_VALIDATORS: u32 = agora_primitives::MAX_VALIDATORS as u32;
/// The block the benchmarks run at.
const NOW: BlockNumber = 1_000;

/// Stores a subnet with `hyperparams` under the next free id, owned by a funded account, with no
/// neurons yet; its id.
fn insert_subnet<T>(hyperparams: SubnetHyperparams) -> NetUid
where
	T: Config + pallet_subnets::Config,
{
	let netuid = pallet_subnets::NextNetUid::<T>::get();
	let owner: T::AccountId = account("owner", netuid.into(), 0);
	// The owner's account exists, as it does on chain, so its cut is one plain mint.
	let ed = <T as Config>::Currency::minimum_balance();
	let _ = <T as Config>::Currency::mint_into(&owner, ed.saturating_mul(10).max(1));
	pallet_subnets::Subnets::<T>::insert(netuid, Subnet { owner, registered_at: 1, hyperparams });
	pallet_subnets::SubnetCount::<T>::mutate(|c| *c = c.saturating_add(1));
	pallet_subnets::NextNetUid::<T>::put(netuid.saturating_add(1));
	netuid
}

/// Adds `amount` to a subnet's pending emission, keeping `TotalPending` in step.
fn add_pending<T: Config>(netuid: NetUid, amount: Balance) {
	PendingEmission::<T>::mutate(netuid, |p| *p = p.saturating_add(amount));
	TotalPending::<T>::mutate(|t| *t = t.saturating_add(amount));
}

#[benchmarks(
	where T: pallet_subnets::Config + pallet_agora_staking::Config
		+ Config<Subnets = pallet_subnets::Pallet<T>, Stake = pallet_agora_staking::Pallet<T>>
)]
mod benchmarks {
	use super::*;

	/// The block hook with `s` subnets, each with validator stake (so the split apportions by
	/// stake) and none due for its epoch.
	#[benchmark]
	fn on_initialize(s: Linear<1, 64>) {
		frame_system::Pallet::<T>::set_block_number(NOW.into());
		let mut netuids = Vec::new();
		for i in 0..s {
			let netuid = insert_subnet::<T>(SubnetHyperparams::default());
			LastEpoch::<T>::insert(netuid, NOW);
			SubnetStake::<T>::insert(netuid, Balance::from(i + 1) * 1_000);
			add_pending::<T>(netuid, 1_000);
			netuids.push(netuid);
		}
		let pending = TotalPending::<T>::get();
		let emission = Pallet::<T>::block_emission();

		#[block]
		{
			Pallet::<T>::on_block();
		}

		assert_eq!(TotalPending::<T>::get(), pending + emission);
		assert!(netuids.iter().all(|n| LastEpoch::<T>::get(n) == Some(NOW)), "an epoch ran");
	}

	/// One epoch of a subnet with `n` neurons: `min(n, v)` staked validators, each weighting
	/// and bonded to every UID, and every neuron paid. `v` is bounded by
	/// `agora_primitives::MAX_VALIDATORS`, the most any setting allows.
	#[benchmark]
	fn epoch(n: Linear<1, 4096>, v: Linear<1, MAX_VALIDATORS>) -> Result<(), BenchmarkError> {
		if n > <T as pallet_subnets::Config>::MaxUidsLimit::get() {
			return Err(BenchmarkError::Stop("n above the runtime's MaxUidsLimit"));
		}
		frame_system::Pallet::<T>::set_block_number(NOW.into());
		let validators = n.min(v);
		let hp = SubnetHyperparams {
			max_uids: n as u16,
			max_allowed_weights: n as u16,
			max_validators: validators as u16,
			min_validator_stake: 0,
			activity_cutoff: NOW,
			..SubnetHyperparams::default()
		};
		let netuid = insert_subnet::<T>(hp);
		let stake_unit = T::BlockEmission::get()
			.max(<T as pallet_agora_staking::Config>::Currency::minimum_balance())
			.max(1);
		let bond = Fixed::ONE.raw() / u64::from(validators);
		let mut permits = Vec::new();
		let mut counted = Vec::new();
		for uid in 0..n as Uid {
			let hotkey: T::AccountId = account("hotkey", uid.into(), 0);
			let coldkey: T::AccountId = account("coldkey", uid.into(), 0);
			pallet_agora_staking::Pallet::<T>::register_hotkey(&hotkey, &coldkey)?;
			let validator = u32::from(uid) < validators;
			pallet_subnets::Neurons::<T>::insert(
				netuid,
				uid,
				Neuron {
					hotkey: hotkey.clone(),
					coldkey,
					registered_at: 1,
					// Weights count only on UIDs registered before the validator's last update.
					last_update: if validator { 2 } else { 1 },
					weights_at: if validator { 2 } else { 1 },
					endpoint: None,
				},
			);
			pallet_subnets::Uids::<T>::insert(netuid, &hotkey, uid);
			permits.push(validator);
			if !validator {
				counted.push(0);
				continue;
			}
			// An empty pool: the whole credit is its owner's stake at once.
			let stake = stake_unit.saturating_mul(Balance::from(uid) + 1);
			pallet_agora_staking::Pallet::<T>::credit_emission(&hotkey, stake, 1)?;
			let weights: Vec<(Uid, u16)> = (0..n as Uid)
				.map(|j| (j, 1 + ((u32::from(uid) * 7 + u32::from(j) * 13) % 60_000) as u16))
				.collect();
			let bonds: Vec<(Uid, u64)> =
				(0..n as Uid).filter(|&j| j != uid).map(|j| (j, bond)).collect();
			pallet_subnets::Weights::<T>::insert(
				netuid,
				uid,
				BoundedVec::try_from(weights).map_err(|_| "weights above MaxUidsLimit")?,
			);
			pallet_subnets::Bonds::<T>::insert(
				netuid,
				uid,
				BoundedVec::try_from(bonds).map_err(|_| "bonds above MaxUidsLimit")?,
			);
			// The stake was there at the last epoch too, so all of it counts.
			counted.push(stake);
		}
		pallet_subnets::ValidatorPermit::<T>::insert(netuid, BoundedVec::truncate_from(permits));
		pallet_subnets::EpochStake::<T>::insert(netuid, BoundedVec::truncate_from(counted));
		pallet_subnets::SubnetN::<T>::insert(netuid, n as u16);
		LastEpoch::<T>::insert(netuid, NOW - 360);
		add_pending::<T>(netuid, T::BlockEmission::get().saturating_mul(360).max(1));

		#[block]
		{
			Pallet::<T>::run_epoch(netuid, NOW);
		}

		assert_eq!(LastEpoch::<T>::get(netuid), Some(NOW));
		// A lone validator weights only itself, which does not count: its epoch pays nobody.
		if n > 1 {
			assert_eq!(PendingEmission::<T>::get(netuid), 0, "the epoch did not pay everything");
			assert!(Payouts::<T>::contains_key(netuid), "the epoch queued no payouts");
		}
		Ok(())
	}

	/// Crediting a page of `k` queued payouts (at most the runtime's `MaxPayoutsPerBlock`),
	/// each to a hotkey whose pool's shares are all a nominator's: the owner's take and the
	/// vesting part are both computed, and the owner's new position is written and indexed
	/// (`Shares` and `Nominations`), the most a credit writes.
	#[benchmark]
	fn pay_out(k: Linear<1, 64>) -> Result<(), BenchmarkError> {
		if k > T::MaxPayoutsPerBlock::get() {
			return Err(BenchmarkError::Stop("k above the runtime's MaxPayoutsPerBlock"));
		}
		frame_system::Pallet::<T>::set_block_number(NOW.into());
		let netuid = insert_subnet::<T>(SubnetHyperparams::default());
		let unit = T::BlockEmission::get()
			.max(<T as pallet_agora_staking::Config>::Currency::minimum_balance())
			.max(1);
		let mut page = Vec::new();
		for i in 0..k {
			let hotkey: T::AccountId = account("hotkey", i, 0);
			let coldkey: T::AccountId = account("coldkey", i, 0);
			pallet_agora_staking::Pallet::<T>::register_hotkey(&hotkey, &coldkey)?;
			pallet_agora_staking::Pallet::<T>::credit_emission(&hotkey, unit, 1)?;
			// The owner's shares pass to a nominator: the pool keeps its shares, the owner
			// holds none.
			let nominator: T::AccountId = account("nominator", i, 0);
			let shares = pallet_agora_staking::Shares::<T>::take(&hotkey, &coldkey);
			pallet_agora_staking::Nominations::<T>::remove(&coldkey, &hotkey);
			pallet_agora_staking::Shares::<T>::insert(&hotkey, &nominator, shares);
			pallet_agora_staking::Nominations::<T>::insert(&nominator, &hotkey, ());
			page.push((hotkey, unit));
		}
		let total = unit.saturating_mul(Balance::from(k));
		add_pending::<T>(netuid, total);
		let queued = Pallet::<T>::queue_payouts(netuid, page.into_iter(), 360);
		PendingEmission::<T>::mutate(netuid, |p| *p = p.saturating_sub(queued));
		let queue = Payouts::<T>::get(netuid).ok_or("nothing queued")?;

		#[block]
		{
			Pallet::<T>::pay_page(netuid, queue);
		}

		assert!(!Payouts::<T>::contains_key(netuid), "the page was not paid");
		assert_eq!(TotalPending::<T>::get(), 0);
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
