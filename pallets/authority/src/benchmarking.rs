//! Benchmarks of `pallet_authority` (benchmarks v2).

use super::*;
use frame::benchmarking::prelude::*;
use polkadot_sdk::polkadot_sdk_frame as frame;

/// Registers session keys for an account in the benchmark runtime.
pub trait BenchmarkHelper<AccountId> {
	/// Give `who` session keys so that it may be added.
	fn register_keys(who: &AccountId);
}

#[benchmarks(where T: Config + crate::benchmarking::BenchmarkConfig)]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn add_validator() {
		let set: Vec<T::AccountId> =
			(0..T::MaxValidators::get() - 1).map(|i| account("validator", i, 0)).collect();
		Validators::<T>::put(BoundedVec::try_from(set).expect("below max"));
		let who: T::AccountId = account("new", 0, 0);
		T::Helper::register_keys(&who);

		#[extrinsic_call]
		_(RawOrigin::Root, who.clone());

		assert!(Validators::<T>::get().contains(&who));
	}

	#[benchmark]
	fn remove_validator() {
		let set: Vec<T::AccountId> =
			(0..T::MaxValidators::get()).map(|i| account("validator", i, 0)).collect();
		let who = set[set.len() - 1].clone();
		Validators::<T>::put(BoundedVec::try_from(set).expect("at max"));

		#[extrinsic_call]
		_(RawOrigin::Root, who.clone());

		assert!(!Validators::<T>::get().contains(&who));
	}
}

/// What the runtime provides to benchmark this pallet.
pub trait BenchmarkConfig: Config {
	/// Registers session keys.
	type Helper: BenchmarkHelper<Self::AccountId>;
}
