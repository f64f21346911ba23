//! Benchmarks of `pallet_authority` (benchmarks v2).

use super::*;
use frame::benchmarking::prelude::*;
use polkadot_sdk::polkadot_sdk_frame as frame;

/// Registers session keys for an account in the benchmark runtime.
pub trait BenchmarkHelper<AccountId> {
	/// Give `who` session keys so that it may be added.
	fn register_keys(who: &AccountId);
}

/// What the runtime provides to benchmark this pallet.
pub trait BenchmarkConfig: Config {
	/// Registers session keys.
	type Helper: BenchmarkHelper<Self::AccountId>;
}

#[benchmarks(where T: BenchmarkConfig)]
mod benchmarks {
	use super::*;

	/// Worst case: the set one short of full, so the push and the duplicate scan see the most.
	#[benchmark]
	fn add_validator() -> Result<(), BenchmarkError> {
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let set: Vec<T::AccountId> =
			(0..T::MaxValidators::get() - 1).map(|i| account("validator", i, 0)).collect();
		Validators::<T>::put(BoundedVec::try_from(set).map_err(|_| BenchmarkError::Weightless)?);
		let who: T::AccountId = account("new", 0, 0);
		T::Helper::register_keys(&who);

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who.clone());

		assert!(Validators::<T>::get().contains(&who));
		Ok(())
	}

	/// Worst case: a full set, removing its last member.
	#[benchmark]
	fn remove_validator() -> Result<(), BenchmarkError> {
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let set: Vec<T::AccountId> =
			(0..T::MaxValidators::get()).map(|i| account("validator", i, 0)).collect();
		let who = set[set.len() - 1].clone();
		Validators::<T>::put(BoundedVec::try_from(set).map_err(|_| BenchmarkError::Weightless)?);

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who.clone());

		assert!(!Validators::<T>::get().contains(&who));
		Ok(())
	}
}
