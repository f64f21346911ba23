//! Weights for `pallet_agora_staking`.
//!
//! Hand-derived from the storage each call touches until `agora-node benchmark pallet` output
//! replaces them: add/remove read and write the pool, the position, the total and two balances.

#![allow(missing_docs)]

use core::marker::PhantomData;
use polkadot_sdk::polkadot_sdk_frame::{
	deps::frame_support::weights::{constants::RocksDbWeight, RuntimeDbWeight},
	prelude::*,
};

/// Weight functions needed by `pallet_agora_staking`.
pub trait WeightInfo {
	fn add_stake() -> Weight;
	fn remove_stake() -> Weight;
	fn move_stake() -> Weight;
	fn set_take() -> Weight;
}

fn weight(db: RuntimeDbWeight, ref_time: u64, reads: u64, writes: u64) -> Weight {
	Weight::from_parts(ref_time, 4_000).saturating_add(db.reads_writes(reads, writes))
}

/// Weights using the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn add_stake() -> Weight {
		weight(T::DbWeight::get(), 60_000_000, 6, 5)
	}
	fn remove_stake() -> Weight {
		weight(T::DbWeight::get(), 60_000_000, 5, 5)
	}
	fn move_stake() -> Weight {
		weight(T::DbWeight::get(), 70_000_000, 7, 6)
	}
	fn set_take() -> Weight {
		weight(T::DbWeight::get(), 20_000_000, 3, 2)
	}
}

// For tests.
impl WeightInfo for () {
	fn add_stake() -> Weight {
		weight(RocksDbWeight::get(), 60_000_000, 6, 5)
	}
	fn remove_stake() -> Weight {
		weight(RocksDbWeight::get(), 60_000_000, 5, 5)
	}
	fn move_stake() -> Weight {
		weight(RocksDbWeight::get(), 70_000_000, 7, 6)
	}
	fn set_take() -> Weight {
		weight(RocksDbWeight::get(), 20_000_000, 3, 2)
	}
}
