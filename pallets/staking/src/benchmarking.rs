//! Benchmarks of `pallet_agora_staking` (benchmarks v2).
//!
//! Each call runs its most expensive path: pools that already hold other nominators' shares (so
//! the share price is computed, not taken 1:1), the caller's position already present and left
//! non-empty, the take raised after an earlier increase past the rate limit; a coldkey swap
//! moving `h` hotkeys and `p` positions with the old account's balance.

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

/// Funds `old` and has it announce a swap to `new`.
fn announced<T: Config>(old: &T::AccountId, new: T::AccountId) -> Result<(), BenchmarkError> {
	fund::<T>(old, T::ColdkeySwapCost::get().saturating_add(unit::<T>()));
	Pallet::<T>::announce_coldkey_swap(RawOrigin::Signed(old.clone()).into(), new)?;
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

	/// Worst case: the cost burnt, the new coldkey checked (two empty prefixes read).
	#[benchmark]
	fn announce_coldkey_swap() -> Result<(), BenchmarkError> {
		let old: T::AccountId = whitelisted_caller();
		let new: T::AccountId = account("new", 0, SEED);
		fund::<T>(&old, T::ColdkeySwapCost::get());

		#[extrinsic_call]
		_(RawOrigin::Signed(old.clone()), new.clone());

		assert!(ColdkeySwaps::<T>::get(&old).is_some_and(|s| s.new == new));
		Ok(())
	}

	#[benchmark]
	fn dispute_coldkey_swap() -> Result<(), BenchmarkError> {
		let old: T::AccountId = whitelisted_caller();
		announced::<T>(&old, account("new", 0, SEED))?;

		#[extrinsic_call]
		_(RawOrigin::Signed(old.clone()));

		assert!(ColdkeySwaps::<T>::get(&old).is_some_and(|s| s.disputed));
		Ok(())
	}

	/// Worst case: a disputed swap redirected to another coldkey (checked not in use).
	#[benchmark]
	fn resolve_coldkey_swap() -> Result<(), BenchmarkError> {
		let old: T::AccountId = account("old", 0, SEED);
		announced::<T>(&old, account("new", 0, SEED))?;
		Pallet::<T>::dispute_coldkey_swap(RawOrigin::Signed(old.clone()).into())?;
		let to: T::AccountId = account("fresh", 0, SEED);
		let origin =
			T::ResolveOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, old.clone(), Some(to.clone()));

		assert!(ColdkeySwaps::<T>::get(&old).is_some_and(|s| s.new == to && !s.disputed));
		Ok(())
	}

	/// Within the delay, the old coldkey frozen until its end.
	#[benchmark]
	fn cancel_coldkey_swap() -> Result<(), BenchmarkError> {
		let old: T::AccountId = whitelisted_caller();
		let new: T::AccountId = account("new", 0, SEED);
		announced::<T>(&old, new.clone())?;

		#[extrinsic_call]
		_(RawOrigin::Signed(old.clone()));

		assert!(!ColdkeySwaps::<T>::contains_key(&old));
		assert!(!PendingDestinations::<T>::contains_key(&new));
		assert!(Pallet::<T>::coldkey_frozen(&old));
		Ok(())
	}

	/// `h` hotkeys owned and `p` stake positions (on hotkeys with another nominator each)
	/// moved, with the old account's whole balance.
	#[benchmark]
	fn execute_coldkey_swap(h: Linear<0, 64>, p: Linear<0, 64>) -> Result<(), BenchmarkError> {
		endow_pallet::<T>();
		let unit = unit::<T>();
		let old: T::AccountId = account("old", 0, SEED);
		let new: T::AccountId = account("new", 0, SEED);
		for i in 0..h {
			Pallet::<T>::register_hotkey(&account("owned", i, SEED), &old)?;
		}
		for i in 0..p {
			let hotkey = hotkey::<T>(i, unit)?;
			stake::<T>(&old, &hotkey, unit)?;
		}
		announced::<T>(&old, new.clone())?;
		let at = ColdkeySwaps::<T>::get(&old).map(|s| s.executable_at).unwrap_or_default();
		frame_system::Pallet::<T>::set_block_number(at);
		let caller: T::AccountId = whitelisted_caller();

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), old.clone(), h, p);

		assert!(!ColdkeySwaps::<T>::contains_key(&old));
		assert_eq!(Pallet::<T>::position_count(&new, p), p);
		assert_eq!(Pallet::<T>::owned_hotkey_count(&new, h), h);
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
