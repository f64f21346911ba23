//! Benchmarks of `pallet_payments` (benchmarks v2).
//!
//! Each call runs its most expensive path: `open` by a consumer one channel short of
//! `MaxChannelsPerConsumer`; `claim` a partial one after an earlier claim, its signature made and
//! verified with the runtime's scheme through `BenchmarkHelper`; `close` refunding a part of the
//! deposit while the consumer keeps another channel (the count is written, not removed).

use super::*;
use frame::benchmarking::prelude::*;
use polkadot_sdk::polkadot_sdk_frame as frame;

const SEED: u32 = 0;

/// The deposit the benchmarks lock: ten times `MinDeposit` or the existential deposit.
fn deposit<T: Config>() -> Balance {
	T::MinDeposit::get().max(T::Currency::minimum_balance()).max(1).saturating_mul(10)
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

/// `blocks` blocks from now.
fn in_blocks<T: Config>(blocks: u32) -> BlockNumberFor<T> {
	frame_system::Pallet::<T>::block_number().saturating_add(blocks.into())
}

/// Funds `consumer` and opens `count` channels of `deposit` from it to `provider`, expiring in
/// 100 blocks; returns the id of the last one.
fn channels<T: Config>(
	consumer: &T::AccountId,
	provider: &T::AccountId,
	count: u32,
) -> Result<ChannelId, BenchmarkError> {
	let deposit = deposit::<T>();
	fund::<T>(consumer, deposit.saturating_mul(count.into()));
	let mut id = NextChannelId::<T>::get();
	for _ in 0..count {
		id = NextChannelId::<T>::get();
		Pallet::<T>::open(
			RawOrigin::Signed(consumer.clone()).into(),
			provider.clone(),
			deposit,
			in_blocks::<T>(100),
		)?;
	}
	Ok(id)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// Worst case: the consumer one channel short of `MaxChannelsPerConsumer`.
	#[benchmark]
	fn open() -> Result<(), BenchmarkError> {
		endow_pallet::<T>();
		let consumer: T::AccountId = whitelisted_caller();
		let provider: T::AccountId = account("provider", 0, SEED);
		let max = T::MaxChannelsPerConsumer::get();
		channels::<T>(&consumer, &provider, max.saturating_sub(1))?;
		let deposit = deposit::<T>();
		fund::<T>(&consumer, deposit);
		let id = NextChannelId::<T>::get();
		let expires_at = in_blocks::<T>(100);

		#[extrinsic_call]
		_(RawOrigin::Signed(consumer.clone()), provider, deposit, expires_at);

		assert_eq!(Channels::<T>::get(id).map(|c| c.deposit), Some(deposit));
		assert_eq!(ChannelCount::<T>::get(&consumer), max);
		Ok(())
	}

	/// Worst case: any top-up (the path does not vary).
	#[benchmark]
	fn top_up() -> Result<(), BenchmarkError> {
		endow_pallet::<T>();
		let consumer: T::AccountId = whitelisted_caller();
		let provider: T::AccountId = account("provider", 0, SEED);
		let id = channels::<T>(&consumer, &provider, 1)?;
		let amount = deposit::<T>();
		fund::<T>(&consumer, amount);

		#[extrinsic_call]
		_(RawOrigin::Signed(consumer), id, amount);

		assert_eq!(Channels::<T>::get(id).map(|c| c.deposit), Some(amount.saturating_mul(2)));
		Ok(())
	}

	/// Worst case: any extension (the path does not vary).
	#[benchmark]
	fn extend() -> Result<(), BenchmarkError> {
		endow_pallet::<T>();
		let consumer: T::AccountId = whitelisted_caller();
		let provider: T::AccountId = account("provider", 0, SEED);
		let id = channels::<T>(&consumer, &provider, 1)?;
		let expires_at = in_blocks::<T>(200);

		#[extrinsic_call]
		_(RawOrigin::Signed(consumer), id, expires_at);

		assert_eq!(Channels::<T>::get(id).map(|c| c.expires_at), Some(expires_at));
		Ok(())
	}

	/// Worst case: a partial claim after an earlier one, the voucher's signature verified.
	#[benchmark]
	fn claim() -> Result<(), BenchmarkError> {
		endow_pallet::<T>();
		let consumer = T::BenchmarkHelper::signer(0);
		let provider: T::AccountId = whitelisted_caller();
		let id = channels::<T>(&consumer, &provider, 1)?;
		let deposit = deposit::<T>();
		let first = deposit / 4;
		let signature =
			T::BenchmarkHelper::sign(&consumer, &Pallet::<T>::voucher_payload_for(id, first))
				.ok_or("BenchmarkHelper cannot sign")?;
		Pallet::<T>::claim(RawOrigin::Signed(provider.clone()).into(), id, first, signature)?;
		let amount = deposit / 2;
		let signature =
			T::BenchmarkHelper::sign(&consumer, &Pallet::<T>::voucher_payload_for(id, amount))
				.ok_or("BenchmarkHelper cannot sign")?;

		#[extrinsic_call]
		_(RawOrigin::Signed(provider.clone()), id, amount, signature);

		assert_eq!(Channels::<T>::get(id).map(|c| c.claimed), Some(amount));
		Ok(())
	}

	/// Worst case: a refund of what an earlier claim left, the consumer keeping another channel.
	#[benchmark]
	fn close() -> Result<(), BenchmarkError> {
		endow_pallet::<T>();
		let consumer = T::BenchmarkHelper::signer(0);
		let provider: T::AccountId = account("provider", 0, SEED);
		let id = channels::<T>(&consumer, &provider, 2)?;
		let claimed = deposit::<T>() / 2;
		let signature =
			T::BenchmarkHelper::sign(&consumer, &Pallet::<T>::voucher_payload_for(id, claimed))
				.ok_or("BenchmarkHelper cannot sign")?;
		Pallet::<T>::claim(RawOrigin::Signed(provider).into(), id, claimed, signature)?;
		frame_system::Pallet::<T>::set_block_number(in_blocks::<T>(100));

		#[extrinsic_call]
		_(RawOrigin::Signed(consumer.clone()), id);

		assert!(!Channels::<T>::contains_key(id));
		assert_eq!(ChannelCount::<T>::get(&consumer), 1);
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
