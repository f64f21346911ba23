//! Benchmarks of `pallet_agora_staking` (benchmarks v2).
//!
//! Each call runs its most expensive path: pools that already hold other nominators' shares (so
//! the share price is computed, not taken 1:1), the caller's position already present and left
//! non-empty, the take raised after an earlier increase past the rate limit.

use super::*;
use frame::benchmarking::prelude::*;
use polkadot_sdk::polkadot_sdk_frame as frame;

const SEED: u32 = 0;

/// The smallest amount the benchmarks stake: `MinStake`, at least the existential deposit.
fn unit<T: Config>() -> Balance {
	T::MinStake::get().max(T::Currency::minimum_balance()).max(1)
}

/// Gives `who` `amount` and enough on top to stay alive after paying it.
fn fund<T: Config>(who: &T::AccountId, amount: Balance) {
	let ed = T::Currency::minimum_balance();
	T::Currency::set_balance(who, amount.saturating_add(ed.saturating_mul(10)).saturating_add(1));
}

/// Makes sure the pallet account exists, as genesis does on chain.
fn endow_pallet<T: Config>() {
	let account = Pallet::<T>::account_id();
	let ed = T::Currency::minimum_balance();
	if T::Currency::balance(&account) < ed {
		T::Currency::set_balance(&account, ed);
	}
}

/// A hotkey registered to a fresh owner, with `others` stake of another nominator on it.
fn hotkey<T: Config>(index: u32, others: Balance) -> Result<T::AccountId, BenchmarkError> {
	let hotkey: T::AccountId = account("hotkey", index, SEED);
	let owner: T::AccountId = account("owner", index, SEED);
	Pallet::<T>::register_hotkey(&hotkey, &owner)?;
	let nominator: T::AccountId = account("nominator", index, SEED);
	stake::<T>(&nominator, &hotkey, others)?;
	Ok(hotkey)
}

/// Funds `coldkey` and stakes `amount` of it on `hotkey`.
fn stake<T: Config>(
	coldkey: &T::AccountId,
	hotkey: &T::AccountId,
	amount: Balance,
) -> Result<(), BenchmarkError> {
	fund::<T>(coldkey, amount);
	Pallet::<T>::add_stake(RawOrigin::Signed(coldkey.clone()).into(), hotkey.clone(), amount)?;
	Ok(())
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// Worst case: a pool with other nominators, the caller topping up a position it holds.
	#[benchmark]
	fn add_stake() -> Result<(), BenchmarkError> {
		endow_pallet::<T>();
		let unit = unit::<T>();
		let hotkey = hotkey::<T>(0, unit.saturating_mul(7))?;
		let caller: T::AccountId = whitelisted_caller();
		stake::<T>(&caller, &hotkey, unit.saturating_mul(2))?;
		let amount = unit.saturating_mul(3);
		fund::<T>(&caller, amount);
		let before = Pallet::<T>::stake_of_coldkey(&hotkey, &caller);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), hotkey.clone(), amount);

		assert!(Pallet::<T>::stake_of_coldkey(&hotkey, &caller) >= before + amount - 1);
		Ok(())
	}

	/// Worst case: a pool with other nominators, the caller's position left non-empty.
	#[benchmark]
	fn remove_stake() -> Result<(), BenchmarkError> {
		endow_pallet::<T>();
		let unit = unit::<T>();
		let hotkey = hotkey::<T>(0, unit.saturating_mul(7))?;
		let caller: T::AccountId = whitelisted_caller();
		stake::<T>(&caller, &hotkey, unit.saturating_mul(5))?;
		let amount = unit.saturating_mul(2);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), hotkey.clone(), amount);

		assert!(Pallet::<T>::stake_of_coldkey(&hotkey, &caller) >= unit);
		Ok(())
	}

	/// Worst case: both pools with other nominators, the caller holding a position on each and
	/// keeping part of the one it leaves.
	#[benchmark]
	fn move_stake() -> Result<(), BenchmarkError> {
		endow_pallet::<T>();
		let unit = unit::<T>();
		let from = hotkey::<T>(0, unit.saturating_mul(7))?;
		let to = hotkey::<T>(1, unit.saturating_mul(11))?;
		let caller: T::AccountId = whitelisted_caller();
		stake::<T>(&caller, &from, unit.saturating_mul(5))?;
		stake::<T>(&caller, &to, unit.saturating_mul(2))?;
		let amount = unit.saturating_mul(2);
		let before = Pallet::<T>::stake_of_coldkey(&to, &caller);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), from.clone(), to.clone(), amount);

		assert!(Pallet::<T>::stake_of_coldkey(&from, &caller) >= unit);
		assert!(Pallet::<T>::stake_of_coldkey(&to, &caller) > before);
		Ok(())
	}

	/// Worst case: a raise, after an earlier raise that the rate limit no longer blocks.
	#[benchmark]
	fn set_take() -> Result<(), BenchmarkError> {
		let hotkey: T::AccountId = account("hotkey", 0, SEED);
		let owner: T::AccountId = whitelisted_caller();
		Pallet::<T>::register_hotkey(&hotkey, &owner)?;
		let start: BlockNumberFor<T> = 1u32.into();
		Take::<T>::insert(&hotkey, Perbill::zero());
		LastTakeChange::<T>::insert(&hotkey, start);
		frame_system::Pallet::<T>::set_block_number(start.saturating_add(T::TakeRateLimit::get()));
		let take = T::MaxTake::get();

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), hotkey.clone(), take);

		assert_eq!(Pallet::<T>::take_of(&hotkey), take);
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
