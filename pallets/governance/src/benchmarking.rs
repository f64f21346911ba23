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
}
