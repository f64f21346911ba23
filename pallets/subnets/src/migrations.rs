//! Storage migrations of `pallet-subnets`, run by the runtime's `Migrations` on upgrade.

use crate::*;
use polkadot_sdk::frame_support::{
	migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
};

/// Version 0 → 1: the last epoch's results move from one `Stats` entry per neuron to one
/// vector per subnet and quantity ([`Rank`] … [`EpochStake`]), and [`BlockAtRegistration`] is
/// filled from the neurons, so that an epoch writes O(1) items per subnet and a registration
/// on a full subnet reads two.
///
/// It runs in one block: two reads and a deletion per neuron (~66 µs of database weight at
/// ParityDB's costs), so ~0.55 s for 32 subnets of the default 256 UIDs. A chain whose subnets
/// root has grown far beyond that needs it as a multi-block migration instead.
pub mod v1 {
	use super::*;
	#[cfg(feature = "try-runtime")]
	use alloc::vec::Vec;

	pub use old::Stats;

	#[allow(missing_docs)]
	mod old {
		use super::*;

		/// The version-0 layout: what the last epoch decided about each neuron.
		#[polkadot_sdk::frame_support::storage_alias]
		pub type Stats<T: Config> = StorageDoubleMap<
			Pallet<T>,
			Twox64Concat,
			NetUid,
			Twox64Concat,
			Uid,
			NeuronStats,
			ValueQuery,
		>;
	}

	/// The migration without its version check; use [`MigrateToV1`].
	pub struct InnerMigrateToV1<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateToV1<T> {
		fn on_runtime_upgrade() -> Weight {
			let (mut reads, mut writes) = (0u64, 0u64);
			for netuid in Subnets::<T>::iter_keys() {
				reads += 2;
				let n = SubnetN::<T>::get(netuid);
				let stats: Vec<NeuronStats> =
					(0..n).map(|uid| Stats::<T>::get(netuid, uid)).collect();
				let registered: Vec<BlockNumber> = (0..n)
					.map(|uid| Neurons::<T>::get(netuid, uid).map_or(0, |n| n.registered_at))
					.collect();
				reads += 2 * u64::from(n);
				// `put_stats` reads each of its nine vectors before writing it.
				Pallet::<T>::put_stats(netuid, &stats);
				BlockAtRegistration::<T>::insert(netuid, BoundedVec::truncate_from(registered));
				reads += 9;
				writes += 10;
			}
			// Entries of UIDs beyond a subnet's neurons cannot exist (`try_state`), and those
			// of missing subnets go too.
			let removed = Stats::<T>::clear(u32::MAX, None);
			reads += u64::from(removed.loops);
			writes += u64::from(removed.unique);
			log::info!(
				target: LOG_TARGET,
				"migrated to v1: epoch results of {} neurons into per-subnet vectors",
				removed.unique
			);
			T::DbWeight::get().reads_writes(reads, writes)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, polkadot_sdk::sp_runtime::TryRuntimeError> {
			let before: Vec<(NetUid, Uid, NeuronStats)> = Stats::<T>::iter().collect();
			Ok(before.encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
			let before: Vec<(NetUid, Uid, NeuronStats)> = Decode::decode(&mut &state[..])
				.map_err(|_| "cannot decode the pre-upgrade state")?;
			for (netuid, uid, stats) in before {
				if Neurons::<T>::contains_key(netuid, uid) {
					ensure!(Pallet::<T>::stats(netuid, uid) == stats, "a neuron's results changed");
				}
			}
			ensure!(Stats::<T>::iter_keys().next().is_none(), "old Stats left behind");
			Pallet::<T>::do_try_state()
		}
	}

	/// Migrates version 0 to 1 once (a no-op at any other version).
	pub type MigrateToV1<T> = VersionedMigration<
		0,
		1,
		InnerMigrateToV1<T>,
		Pallet<T>,
		<T as polkadot_sdk::frame_system::Config>::DbWeight,
	>;
}

#[cfg(test)]
mod tests {
	#![allow(clippy::unwrap_used)]

	use super::v1::{MigrateToV1, Stats};
	use crate::{
		mock::{new_test_ext, RuntimeOrigin, Subnets, System, Test},
		BlockAtRegistration, Emission, EpochStake, Incentive, NetUid, NeuronStats, NextNetUid,
		Rank, TaskKind, Uids, ValidatorPermit,
	};
	use polkadot_sdk::frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade};
	use polkadot_sdk::polkadot_sdk_frame::testing_prelude::*;

	/// A chain in the version-0 layout (two subnets with neurons, one replaced, results per
	/// neuron in `Stats`) upgrades to per-subnet vectors with every neuron's results intact.
	#[test]
	fn v0_stats_become_per_subnet_vectors() {
		new_test_ext().execute_with(|| {
			System::set_block_number(1);
			let mut expected = Vec::new();
			for (netuid_neurons, first_hotkey) in [(3u16, 10u64), (2, 20)] {
				let netuid = NextNetUid::<Test>::get();
				assert_ok!(Subnets::create_subnet(
					RuntimeOrigin::signed(1),
					TaskKind::TextGeneration,
					u128::MAX
				));
				for i in 0..netuid_neurons {
					System::set_block_number(u64::from(i) + 2);
					let hotkey = first_hotkey + u64::from(i);
					assert_ok!(Subnets::register(
						RuntimeOrigin::signed(1),
						netuid,
						hotkey,
						u128::MAX
					));
				}
				for uid in 0..netuid_neurons {
					let stats = NeuronStats {
						rank: 100 + uid,
						incentive: 200 + uid,
						validator_permit: uid == 0,
						emission: 1_000 * u128::from(uid + 1),
						stake: 7 * u128::from(uid),
						..Default::default()
					};
					expected.push((netuid, uid, stats));
				}
			}
			// The version-0 layout: results per neuron, no vectors, version 0 on chain.
			for (netuid, _, _) in &expected {
				for item in [
					Rank::<Test>::hashed_key_for(netuid),
					Incentive::<Test>::hashed_key_for(netuid),
					ValidatorPermit::<Test>::hashed_key_for(netuid),
					Emission::<Test>::hashed_key_for(netuid),
					EpochStake::<Test>::hashed_key_for(netuid),
					BlockAtRegistration::<Test>::hashed_key_for(netuid),
				] {
					polkadot_sdk::sp_io::storage::clear(&item);
				}
			}
			for (netuid, uid, stats) in &expected {
				Stats::<Test>::insert(netuid, uid, stats);
			}
			StorageVersion::new(0).put::<Subnets>();

			MigrateToV1::<Test>::on_runtime_upgrade();
			assert_eq!(Subnets::on_chain_storage_version(), StorageVersion::new(1));
			for (netuid, uid, stats) in &expected {
				assert_eq!(Subnets::stats(*netuid, *uid), *stats);
			}
			assert_eq!(Emission::<Test>::get(1).into_inner(), vec![1_000, 2_000, 3_000]);
			assert_eq!(BlockAtRegistration::<Test>::get(1).into_inner(), vec![2, 3, 4]);
			assert_eq!(BlockAtRegistration::<Test>::get(2).into_inner(), vec![2, 3]);
			assert!(Stats::<Test>::iter_keys().next().is_none());
			assert_ok!(Subnets::do_try_state());
			// The registration path reads the migrated vectors: UID 0 of subnet 2 has the
			// least emission.
			set_max_uids(2, 2);
			System::set_block_number(10_000);
			assert_ok!(Subnets::register(RuntimeOrigin::signed(1), 2, 99, u128::MAX));
			assert_eq!(Uids::<Test>::get(2, 99), Some(0));

			// Run again, it does nothing: the version is already 1.
			let before = Emission::<Test>::get(1);
			MigrateToV1::<Test>::on_runtime_upgrade();
			assert_eq!(Emission::<Test>::get(1), before);
		});
	}

	fn set_max_uids(netuid: NetUid, max_uids: u16) {
		let mut hp = crate::Subnets::<Test>::get(netuid).unwrap().hyperparams;
		hp.max_uids = max_uids;
		hp.max_allowed_weights = hp.max_allowed_weights.min(max_uids);
		hp.max_validators = hp.max_validators.min(max_uids);
		hp.min_allowed_weights = hp.min_allowed_weights.min(max_uids);
		assert_ok!(Subnets::set_hyperparams(RuntimeOrigin::root(), netuid, hp));
	}
}
