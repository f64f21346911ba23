//! # Agora rewards pallet
//!
//! New AGR: how much each block creates, which subnet it goes to, and who in the subnet earns it.
//!
//! ## Overview
//!
//! Every block, [`Pallet::block_emission`] AGR are created: the treasury's share (`TreasuryCut`)
//! is minted to the treasury account at once, and the rest accrues to the subnets as *pending
//! emission* (nothing is minted yet). Each subnet runs an *epoch* once `tempo` blocks have passed since its
//! last one: Yuma Consensus ([`agora_yuma::epoch`]) over its validators' weights and stake decides
//! each neuron's incentive and dividends; the pending emission is then minted and paid:
//!
//! 1. the subnet owner's cut (`OwnerCut`, 18% by default) to the owner's free balance;
//! 2. of the rest, half to neurons by incentive and half to validators by dividends
//!    ([`agora_yuma::split_emission`]), each credited as stake to the neuron's hotkey, where the
//!    hotkey's owner keeps its take and nominators share the remainder in proportion to their
//!    stake, released to them over the next `tempo` blocks so that stake earns only for the
//!    blocks it is held (see `pallet-agora-staking`). These credits are queued by hotkey and
//!    paid `MaxPayoutsPerBlock` neurons a block from the epoch's own block on (the `payouts`
//!    module: a 4,096-UID epoch does not write 4,096 stake pools in one block); the queued AGR
//!    stays in `TotalPending` until minted, and the subnet's next epoch waits for its queue.
//!
//! The stake an epoch counts for a neuron (its validator permit and its part of Yuma's `S`) is
//! the least its hotkey had since the previous epoch (the stake recorded then, lowered by every
//! decrease since, and the stake now): stake that arrives just before an epoch, or leaves and
//! comes back between two, decides nothing in it.
//!
//! At most `MaxEpochsPerBlock` epochs run in one block; due epochs beyond that wait for the next
//! block, the most overdue first, and their pending emission keeps growing: nothing is lost. An
//! epoch in which no neuron earns anything (no weights yet) pays nobody and keeps the pending
//! emission for the next one.
//!
//! ## Emission
//!
//! ```text
//! issued    = total issuance + emission pending in all subnets
//! halvings  = k such that cap·(1 − 2^−k) ≤ issued < cap·(1 − 2^−(k+1))
//! emission  = min(BlockEmission / 2^halvings, cap − issued)
//! ```
//!
//! so 1 AGR per block until half the 21M cap is issued, 0.5 AGR until three quarters, and so on.
//! A block's emission is split across subnets in proportion to the stake of each subnet's active
//! validators at its last epoch, each hotkey's stake divided equally among the subnets it is
//! registered on, so that a stake counts once however many subnets its hotkey validates (a
//! hotkey on k subnets weighs stake/k on each); while no subnet has any, equally. Shares are
//! apportioned so they add up to the block's emission exactly.
//!
//! ```text
//! counted[i]     = min(stake_now[i], least stake of hotkey i since the last epoch)
//! SubnetStake[s] = Σ_{i active permit holder of s} counted[i] / registrations(hotkey i)
//! ```
//!
//! ## Invariants (`try_state`)
//!
//! - `TotalPending` is the sum of every subnet's pending emission and queued payouts.
//! - A payout queue's `unpaid` is the sum of its pages, which lie within `next..end`.
//! - Every subnet with pending emission or epoch bookkeeping exists.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
mod payouts;
#[cfg(test)]
mod tests;
pub mod weights;

pub use payouts::PayoutQueue;

use agora_primitives::{
	traits::{PayoutsQueued, StakeInterface, SubnetsInterface},
	Balance, BlockNumber, NetUid, NeuronStats, Uid, BONDS_MOVING_AVERAGE_ONE,
};
use agora_yuma::{apportion, EpochInput, Fixed, Params};
use alloc::vec::Vec;
use polkadot_sdk::{
	frame_support::traits::fungible::{Inspect, Mutate},
	polkadot_sdk_frame as frame,
	sp_runtime::{traits::UniqueSaturatedInto, Perbill},
};

/// Log target of this pallet.
pub const LOG_TARGET: &str = "runtime::rewards";

/// The most payouts a page may hold, whatever `MaxPayoutsPerBlock` is.
pub const MAX_PAYOUT_PAGE: u32 = 1024;

/// A fraction in U32F32 as parts of `u16::MAX`, rounded to nearest.
pub fn to_u16(f: Fixed) -> u16 {
	let scaled = (u128::from(f.raw()) * u128::from(u16::MAX) + (1 << 31)) >> 32;
	scaled.min(u128::from(u16::MAX)) as u16
}

#[frame::pallet]
pub mod pallet {
	use super::*;
	use frame::prelude::*;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: polkadot_sdk::frame_system::Config {
		/// The AGR currency: its issuance drives halvings; owner cuts are minted into it.
		type Currency: Mutate<Self::AccountId, Balance = Balance>;
		/// Subnets, their neurons and weights.
		type Subnets: SubnetsInterface<Self::AccountId>;
		/// Stake behind hotkeys; emission is credited as stake.
		type Stake: StakeInterface<Self::AccountId>;
		/// Emission per block before any halving (1 AGR).
		#[pallet::constant]
		type BlockEmission: Get<Balance>;
		/// Issuance never exceeds this (21M AGR).
		#[pallet::constant]
		type IssuanceCap: Get<Balance>;
		/// Share of each epoch's emission paid to the subnet's owner.
		#[pallet::constant]
		type OwnerCut: Get<Perbill>;
		/// Share of each block's emission minted to the treasury (before the subnets' split).
		#[pallet::constant]
		type TreasuryCut: Get<Perbill>;
		/// The treasury's account.
		type TreasuryAccount: Get<Self::AccountId>;
		/// Most epochs run in one block; the rest wait.
		#[pallet::constant]
		type MaxEpochsPerBlock: Get<u32>;
		/// Most neurons credited in one block, and the size of a payout page: an epoch queues
		/// its payouts in pages of this many, paid from its own block on, whole pages at a time.
		#[pallet::constant]
		type MaxPayoutsPerBlock: Get<u32>;
		/// Weights of the block hook and the epoch.
		type WeightInfo: WeightInfo;
	}

	/// Emission accrued by each subnet since its last epoch.
	#[pallet::storage]
	pub type PendingEmission<T> = StorageMap<_, Twox64Concat, NetUid, Balance, ValueQuery>;

	/// Sum of every subnet's pending emission.
	#[pallet::storage]
	pub type TotalPending<T> = StorageValue<_, Balance, ValueQuery>;

	/// Block of each subnet's last epoch (set when the pallet first sees the subnet).
	#[pallet::storage]
	pub type LastEpoch<T> = StorageMap<_, Twox64Concat, NetUid, BlockNumber>;

	/// Stake of each subnet's active validators at its last epoch: its share of emission.
	#[pallet::storage]
	pub type SubnetStake<T> = StorageMap<_, Twox64Concat, NetUid, Balance, ValueQuery>;

	/// AGR minted by emission since genesis.
	#[pallet::storage]
	pub type TotalEmitted<T> = StorageValue<_, Balance, ValueQuery>;

	/// Each subnet's epoch payouts not credited yet (none when the map has no entry). Its next
	/// epoch waits until they are.
	#[pallet::storage]
	pub type Payouts<T> = StorageMap<_, Twox64Concat, NetUid, PayoutQueue>;

	/// The queued payouts themselves, by subnet and page: `(hotkey, planck)`, at most
	/// `MaxPayoutsPerBlock` a page (bounded by [`MAX_PAYOUT_PAGE`], so that pages queued before
	/// a runtime lowers `MaxPayoutsPerBlock` still decode).
	#[pallet::storage]
	pub type PayoutPages<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		NetUid,
		Twox64Concat,
		u16,
		BoundedVec<(T::AccountId, Balance), ConstU32<MAX_PAYOUT_PAGE>>,
	>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A subnet ran its epoch and paid its pending emission: the owner's cut at once, the
		/// neurons' through the payout queue ([`Event::EmissionPaid`]).
		EpochRun {
			/// The subnet.
			netuid: NetUid,
			/// Neurons in the epoch.
			neurons: u16,
			/// AGR paid in all: the owner's cut minted and the neurons' payouts queued.
			emission: Balance,
			/// Of which the owner's cut.
			owner_cut: Balance,
		},
		/// Part of an epoch's payouts was credited as stake.
		EmissionPaid {
			/// The subnet.
			netuid: NetUid,
			/// Neurons credited.
			neurons: u32,
			/// AGR minted for them.
			amount: Balance,
		},
		/// The treasury's share of a block's emission was minted to it.
		TreasuryFunded {
			/// AGR minted to the treasury.
			amount: Balance,
		},
		/// A subnet ran its epoch but no neuron earned anything; its pending emission waits for
		/// the next epoch.
		EmissionHeld {
			/// The subnet.
			netuid: NetUid,
			/// AGR still pending.
			pending: Balance,
		},
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(_n: BlockNumberFor<T>) -> Weight {
			Self::on_block()
		}

		fn integrity_test() {
			assert!(T::MaxEpochsPerBlock::get() >= 1, "MaxEpochsPerBlock must be at least 1");
			let payouts = T::MaxPayoutsPerBlock::get();
			assert!(
				(1..=MAX_PAYOUT_PAGE).contains(&payouts),
				"MaxPayoutsPerBlock must be 1 ..= MAX_PAYOUT_PAGE"
			);
			assert!(T::BlockEmission::get() <= T::IssuanceCap::get(), "emission above the cap");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(
			_n: BlockNumberFor<T>,
		) -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	impl<T: Config> Pallet<T> {
		/// What this block emits, given issuance and pending emission (see the crate docs).
		pub fn block_emission() -> Balance {
			let cap = T::IssuanceCap::get();
			let issued = T::Currency::total_issuance().saturating_add(TotalPending::<T>::get());
			if issued >= cap {
				return 0;
			}
			let remaining = cap - issued;
			let mut halvings = 0u32;
			while halvings < 127 && remaining <= cap >> (halvings + 1) {
				halvings += 1;
			}
			(T::BlockEmission::get() >> halvings).min(remaining)
		}

		/// Accrues this block's emission and runs the epochs that are due.
		pub fn on_block() -> Weight {
			let netuids = T::Subnets::netuids();
			let mut weight = T::WeightInfo::on_initialize(netuids.len() as u32);
			if netuids.is_empty() {
				return weight;
			}
			let now: BlockNumber =
				frame_system::Pallet::<T>::block_number().unique_saturated_into();
			let emission = Self::block_emission();
			let to_treasury = Self::fund_treasury(emission);
			weight = weight.saturating_add(T::DbWeight::get().reads_writes(1, 1));
			Self::accrue(&netuids, emission - to_treasury);

			let mut due: Vec<(BlockNumber, NetUid)> = Vec::new();
			for &netuid in &netuids {
				let Some(last) = LastEpoch::<T>::get(netuid) else {
					LastEpoch::<T>::insert(netuid, now);
					continue;
				};
				let Some(hp) = T::Subnets::hyperparams(netuid) else { continue };
				// The next epoch waits until the last one's payouts are credited.
				if Payouts::<T>::contains_key(netuid) {
					continue;
				}
				let since = now.saturating_sub(last);
				if since >= BlockNumber::from(hp.tempo) {
					due.push((since - BlockNumber::from(hp.tempo), netuid));
				}
			}
			// The most overdue first; ties to the lower netuid.
			due.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
			for &(_, netuid) in due.iter().take(T::MaxEpochsPerBlock::get() as usize) {
				let n = T::Subnets::neuron_count(netuid);
				// Charged for the weight rows it actually read (at most 64: only permit holders
				// weight others, and there are at most 64 of them).
				let rows = Self::run_epoch(netuid, now);
				weight = weight.saturating_add(Self::epoch_weight(n, rows));
			}
			weight.saturating_add(Self::pay_queued(&netuids))
		}

		/// What an epoch of `n` neurons, `rows` of whose weight rows it read, is charged: its
		/// benchmark, plus a read and a write per payout page (one per `MaxPayoutsPerBlock`
		/// UIDs), which the benchmark's fit rounds down to none per UID.
		pub fn epoch_weight(n: u16, rows: u32) -> Weight {
			let pages = u64::from(n).div_ceil(u64::from(T::MaxPayoutsPerBlock::get().max(1)));
			T::WeightInfo::epoch(n.into(), rows.max(1))
				.saturating_add(T::DbWeight::get().reads_writes(pages, pages))
		}

		/// Mints the treasury's share (`TreasuryCut`) of a block's `emission` to the treasury;
		/// returns what was minted (0 if the mint failed, so the subnets get it all: nothing
		/// is lost).
		fn fund_treasury(emission: Balance) -> Balance {
			let cut = T::TreasuryCut::get() * emission;
			if cut == 0 || T::Currency::mint_into(&T::TreasuryAccount::get(), cut).is_err() {
				return 0;
			}
			TotalEmitted::<T>::mutate(|t| *t = t.saturating_add(cut));
			Self::deposit_event(Event::TreasuryFunded { amount: cut });
			cut
		}

		/// Adds `emission` to the subnets' pending emission by the split rule.
		fn accrue(netuids: &[NetUid], emission: Balance) {
			if emission == 0 {
				return;
			}
			let stakes: Vec<u128> = netuids.iter().map(SubnetStake::<T>::get).collect();
			let parts = if stakes.iter().any(|s| *s > 0) {
				apportion(emission, &stakes)
			} else {
				apportion(emission, &alloc::vec![1; netuids.len()])
			};
			for (netuid, part) in netuids.iter().zip(parts) {
				PendingEmission::<T>::mutate(netuid, |p| *p = p.saturating_add(part));
			}
			TotalPending::<T>::mutate(|t| *t = t.saturating_add(emission));
		}

		/// Runs one subnet's epoch and pays its pending emission; returns how many neurons
		/// weighted others (the `v` its weight is charged for).
		pub fn run_epoch(netuid: NetUid, now: BlockNumber) -> u32 {
			let last_epoch = LastEpoch::<T>::get(netuid).unwrap_or_default();
			LastEpoch::<T>::insert(netuid, now);
			let (Some(hp), Some(owner)) =
				(T::Subnets::hyperparams(netuid), T::Subnets::owner(netuid))
			else {
				return 0;
			};
			let neurons = T::Subnets::epoch_neurons(netuid);
			// Rows read: a permit holder's weights on others or its bonds (a holder weighting only
			// itself keeps its bond row, which the epoch still reads and blends).
			let rows = neurons.iter().filter(|n| n.weights.len() > 1 || !n.bonds.is_empty()).count()
				as u32;
			let stake_now: Vec<Balance> =
				neurons.iter().map(|n| T::Stake::stake_of(&n.hotkey)).collect();
			// Only stake that stayed since the last epoch counts (`last_epoch_stake` is the least
			// since then).
			let stake_u128: Vec<Balance> = neurons
				.iter()
				.zip(&stake_now)
				.map(|(n, now)| (*now).min(n.last_epoch_stake))
				.collect();
			let stake: Vec<u64> =
				stake_u128.iter().map(|s| (*s).min(u128::from(u64::MAX)) as u64).collect();
			let active: Vec<bool> = neurons
				.iter()
				.map(|n| now.saturating_sub(n.last_update) <= hp.activity_cutoff)
				.collect();
			// Yuma drops a weight on a UID registered at or after the block the weights count
			// from (their commit, for revealed ones).
			let last_update: Vec<u64> = neurons.iter().map(|n| n.weights_at.into()).collect();
			let registered_at: Vec<u64> = neurons.iter().map(|n| n.registered_at.into()).collect();
			let weights: Vec<Vec<(Uid, u16)>> = neurons.iter().map(|n| n.weights.clone()).collect();
			let bonds: Vec<Vec<(Uid, Fixed)>> = neurons
				.iter()
				.map(|n| n.bonds.iter().map(|&(u, b)| (u, Fixed::from_raw(b))).collect())
				.collect();
			let params = Params {
				kappa: Fixed::from_u16_fraction(hp.kappa),
				bonds_moving_average: Fixed::from_ratio(
					hp.bonds_moving_average.into(),
					BONDS_MOVING_AVERAGE_ONE.into(),
				),
				max_validators: hp.max_validators,
				min_validator_stake: hp.min_validator_stake.min(u128::from(u64::MAX)) as u64,
			};
			let input = EpochInput {
				stake: &stake,
				active: &active,
				last_update: &last_update,
				registered_at: &registered_at,
				weights: &weights,
				bonds: &bonds,
				last_epoch: last_epoch.into(),
			};
			let out = match agora_yuma::epoch(&input, &params) {
				Ok(out) => out,
				Err(e) => {
					log::error!(target: LOG_TARGET, "epoch of subnet {netuid} failed: {e:?}");
					return rows;
				},
			};

			let pending = PendingEmission::<T>::get(netuid);
			let owner_cut = T::OwnerCut::get() * pending;
			let amounts =
				agora_yuma::split_emission(pending - owner_cut, &out.incentive, &out.dividends);
			let paid: Balance = amounts.iter().sum();

			let stats: Vec<NeuronStats> = (0..neurons.len())
				.map(|i| NeuronStats {
					rank: to_u16(out.rank[i]),
					trust: to_u16(out.trust[i]),
					consensus: to_u16(out.consensus[i]),
					incentive: to_u16(out.incentive[i]),
					dividends: to_u16(out.dividends[i]),
					validator_trust: to_u16(out.validator_trust[i]),
					validator_permit: out.validator_permit[i],
					emission: if paid > 0 { amounts[i] } else { 0 },
					stake: stake_now[i],
				})
				.collect();
			// The bond rows that changed, of permit holders then or now (nobody else holds any).
			let new_bonds: Vec<(Uid, Vec<(Uid, u64)>)> = (0..neurons.len())
				.filter(|&i| neurons[i].validator_permit || out.validator_permit[i])
				.map(|i| (i, out.bonds[i].iter().map(|&(u, b)| (u, b.raw())).collect::<Vec<_>>()))
				.filter(|(i, row)| *row != neurons[*i].bonds)
				.map(|(i, row)| (i as Uid, row))
				.collect();
			let drop_weights: Vec<Uid> = (0..neurons.len())
				.filter(|&i| !out.validator_permit[i] && neurons[i].weights.len() > 1)
				.map(|i| i as Uid)
				.collect();
			T::Subnets::record_epoch(netuid, stats, new_bonds, drop_weights);
			let validator_stake: Balance = (0..neurons.len())
				.filter(|&i| out.validator_permit[i] && active[i])
				.map(|i| {
					let subnets = T::Stake::registrations(&neurons[i].hotkey).max(1);
					stake_u128[i] / Balance::from(subnets)
				})
				.sum();
			SubnetStake::<T>::insert(netuid, validator_stake);

			if paid == 0 {
				Self::deposit_event(Event::EmissionHeld { netuid, pending });
				return rows;
			}
			// The cut actually paid: a mint into a reaped owner account fails below the
			// existential deposit, and the event must not claim it (it stays pending).
			let mut cut_paid = 0;
			if T::Currency::mint_into(&owner, owner_cut).is_ok() {
				cut_paid = owner_cut;
			}
			let queued = Self::queue_payouts(
				netuid,
				neurons.iter().zip(amounts).map(|(n, a)| (n.hotkey.clone(), a)),
				hp.tempo.into(),
			);
			// Whatever is neither minted nor queued (a failed cut) stays pending, not lost;
			// the queued AGR counts in `TotalPending` until it is minted.
			PendingEmission::<T>::insert(netuid, pending - cut_paid - queued);
			TotalPending::<T>::mutate(|t| *t = t.saturating_sub(cut_paid));
			TotalEmitted::<T>::mutate(|t| *t = t.saturating_add(cut_paid));
			Self::deposit_event(Event::EpochRun {
				netuid,
				neurons: neurons.len() as u16,
				emission: cut_paid + queued,
				owner_cut: cut_paid,
			});
			rows
		}

		/// Emission accrued by `netuid` since its last epoch.
		pub fn pending_emission(netuid: NetUid) -> Balance {
			PendingEmission::<T>::get(netuid)
		}

		/// Block of `netuid`'s last epoch, if any.
		pub fn last_epoch(netuid: NetUid) -> Option<BlockNumber> {
			LastEpoch::<T>::get(netuid)
		}

		/// Checks the invariants listed in the crate docs.
		#[cfg(any(feature = "try-runtime", feature = "std", test))]
		pub fn do_try_state() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
			let netuids = T::Subnets::netuids();
			let mut total = 0u128;
			for (netuid, pending) in PendingEmission::<T>::iter() {
				ensure!(netuids.contains(&netuid), "pending emission of a missing subnet");
				total = total.saturating_add(pending);
			}
			for (netuid, queue) in Payouts::<T>::iter() {
				ensure!(netuids.contains(&netuid), "payouts of a missing subnet");
				let mut pages = 0u128;
				for (page, payouts) in PayoutPages::<T>::iter_prefix(netuid) {
					ensure!(
						(queue.next..queue.end).contains(&page),
						"a payout page outside its queue"
					);
					pages += payouts.iter().map(|(_, a)| a).sum::<Balance>();
				}
				ensure!(pages == queue.unpaid, "a payout queue's total differs from its pages");
				total = total.saturating_add(queue.unpaid);
			}
			ensure!(
				PayoutPages::<T>::iter_keys().all(|(n, _)| Payouts::<T>::contains_key(n)),
				"payout pages without a queue"
			);
			ensure!(
				total == TotalPending::<T>::get(),
				"TotalPending differs from the subnets' pending and queued emission"
			);
			ensure!(
				LastEpoch::<T>::iter_keys().all(|n| netuids.contains(&n)),
				"epoch bookkeeping of a missing subnet"
			);
			Ok(())
		}
	}
}

/// A subnet's payouts are queued while its [`Payouts`] entry exists: the subnets pallet refuses
/// to swap a hotkey holding a UID there until they are credited.
impl<T: Config> PayoutsQueued for Pallet<T> {
	fn queued(netuid: NetUid) -> bool {
		Payouts::<T>::contains_key(netuid)
	}
}
