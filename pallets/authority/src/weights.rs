//! Weights for `pallet_authority`.
//!
//! Hand-derived from the storage each call touches (one read of the session keys, one read and
//! one write of the set, one write of the change flag, one event) until the figures from
//! `agora-node benchmark pallet --pallet pallet_authority` replace them.

#![allow(missing_docs)]

use core::marker::PhantomData;
use polkadot_sdk::polkadot_sdk_frame::{
	deps::frame_support::weights::constants::RocksDbWeight, prelude::*,
};

/// Weight functions needed by `pallet_authority`.
pub trait WeightInfo {
	fn add_validator() -> Weight;
	fn remove_validator() -> Weight;
}

/// Weights for `pallet_authority` using the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn add_validator() -> Weight {
		Weight::from_parts(25_000_000, 3_000)
			.saturating_add(T::DbWeight::get().reads(3))
			.saturating_add(T::DbWeight::get().writes(3))
	}
	fn remove_validator() -> Weight {
		Weight::from_parts(20_000_000, 3_000)
			.saturating_add(T::DbWeight::get().reads(2))
			.saturating_add(T::DbWeight::get().writes(3))
	}
}

// For tests.
impl WeightInfo for () {
	fn add_validator() -> Weight {
		Weight::from_parts(25_000_000, 3_000)
			.saturating_add(RocksDbWeight::get().reads(3))
			.saturating_add(RocksDbWeight::get().writes(3))
	}
	fn remove_validator() -> Weight {
		Weight::from_parts(20_000_000, 3_000)
			.saturating_add(RocksDbWeight::get().reads(2))
			.saturating_add(RocksDbWeight::get().writes(3))
	}
}
