//! Storage migrations of `pallet-agora-staking`, run by the runtime's `Migrations` on upgrade.

use crate::*;
use polkadot_sdk::frame_support::{
	migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
};

/// Version 0 → 1: [`OwnedHotkeys`], the reverse of [`Owner`], is filled from it, so that a
/// coldkey swap finds the hotkeys a coldkey owns without reading every hotkey.
///
/// It runs in one block: one read and one write per owned hotkey (~58 µs of database weight at
/// ParityDB's costs), so ~0.6 s for 10,000 hotkeys. A chain with far more needs it as a
/// multi-block migration instead.
pub mod v1 {
	use super::*;

	/// The migration without its version check; use [`MigrateToV1`].
	pub struct InnerMigrateToV1<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateToV1<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut hotkeys = 0u64;
			for (hotkey, coldkey) in Owner::<T>::iter() {
				OwnedHotkeys::<T>::insert(&coldkey, &hotkey, ());
				hotkeys += 1;
			}
			log::info!(
				target: LOG_TARGET,
				"migrated to v1: {hotkeys} owned hotkeys indexed by coldkey"
			);
			T::DbWeight::get().reads_writes(hotkeys.saturating_add(1), hotkeys)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, polkadot_sdk::sp_runtime::TryRuntimeError> {
			Ok((Owner::<T>::iter_keys().count() as u64).encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
			let before: u64 = Decode::decode(&mut &state[..])
				.map_err(|_| "cannot decode the pre-upgrade state")?;
			ensure!(
				OwnedHotkeys::<T>::iter_keys().count() as u64 == before,
				"OwnedHotkeys differs from Owner in size"
			);
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

	use super::v1::MigrateToV1;
	use crate::{mock::*, OwnedHotkeys};
	use polkadot_sdk::frame_support::traits::{
		GetStorageVersion, OnRuntimeUpgrade, StorageVersion,
	};

	/// A chain in the version-0 layout (owners only) gets every hotkey indexed under its owner,
	/// once.
	#[test]
	fn v0_owners_are_indexed_by_coldkey() {
		build_and_execute(|| {
			Staking::register_hotkey(&12, &1).unwrap();
			let _ = OwnedHotkeys::<Test>::clear(u32::MAX, None);
			StorageVersion::new(0).put::<Staking>();

			MigrateToV1::<Test>::on_runtime_upgrade();
			assert_eq!(Staking::on_chain_storage_version(), StorageVersion::new(1));
			let mut of_1: Vec<u64> = OwnedHotkeys::<Test>::iter_key_prefix(1).collect();
			of_1.sort_unstable();
			assert_eq!(of_1, vec![10, 12]);
			assert_eq!(OwnedHotkeys::<Test>::iter_key_prefix(2).collect::<Vec<_>>(), vec![11]);
			// A second run finds nothing to do.
			let _ = OwnedHotkeys::<Test>::clear(u32::MAX, None);
			MigrateToV1::<Test>::on_runtime_upgrade();
			assert_eq!(OwnedHotkeys::<Test>::iter_keys().count(), 0);
			// (Put back for the invariants `build_and_execute` checks.)
			StorageVersion::new(0).put::<Staking>();
			MigrateToV1::<Test>::on_runtime_upgrade();
		});
	}
}
