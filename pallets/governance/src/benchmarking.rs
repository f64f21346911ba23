//! Benchmarks of `pallet_governance` (benchmarks v2).

use super::*;
use frame::benchmarking::prelude::*;

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn set_periods() -> Result<(), BenchmarkError> {
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let periods = GovernancePeriods { decision: 100, confirm: 10, ..GovernancePeriods::LIVE };

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, periods);

		assert_eq!(Periods::<T>::get(), periods);
		Ok(())
	}

	/// Worst case without the cancel itself (charged apart, `CancelReferendum::cancel_weight`):
	/// a full senate, every vote but the deciding ones already cast, one more that does not
	/// yet reach two thirds.
	#[benchmark]
	fn senate_cancel() -> Result<(), BenchmarkError> {
		let seats = T::SenateSeats::get();
		let mut members: Vec<T::AccountId> = (0..seats).map(|i| account("senator", i, 0)).collect();
		members.sort();
		T::Senate::set_members(&members, &T::Senate::members());
		let index = T::Referenda::ongoing_for_benchmarks();
		let needed = (2 * seats).div_ceil(3);
		let cast = needed.saturating_sub(2) as usize;
		let votes: Vec<T::AccountId> = members[..cast].to_vec();
		CancelVotes::<T>::insert(
			index,
			BoundedVec::try_from(votes).map_err(|_| BenchmarkError::Weightless)?,
		);
		let voter = members[cast].clone();

		#[extrinsic_call]
		_(RawOrigin::Signed(voter), index);

		assert_eq!(CancelVotes::<T>::get(index).len(), cast + 1);
		Ok(())
	}
}
