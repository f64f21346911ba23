//! Weights for `pallet_rewards`.
//!
//! Hand-derived until `agora-node benchmark pallet` output replaces them; see
//! `docs/benchmarks.md` for the epoch timings they are scaled from.

#![allow(missing_docs)]

use core::marker::PhantomData;
use polkadot_sdk::polkadot_sdk_frame::{
	deps::frame_support::weights::{constants::RocksDbWeight, RuntimeDbWeight},
	prelude::*,
};

/// Weight functions needed by `pallet_rewards`.
pub trait WeightInfo {
	/// The block hook with `s` subnets and no epoch due.
	fn on_initialize(s: u32) -> Weight;
	/// One epoch over `n` neurons.
	fn epoch(n: u32) -> Weight;
}

fn on_initialize(db: RuntimeDbWeight, s: u32) -> Weight {
	let per_subnet = Weight::from_parts(2_000_000, 100).saturating_add(db.reads_writes(4, 1));
	Weight::from_parts(5_000_000, 1_000)
		.saturating_add(db.reads_writes(2, 1))
		.saturating_add(per_subnet.saturating_mul(s.into()))
}

/// Per neuron: its record, weights, bonds and stake read, its stats and bonds written, its pay
/// credited (pool, position, total), and the Yuma arithmetic over a dense row of validators.
fn epoch(db: RuntimeDbWeight, n: u32) -> Weight {
	let per_neuron = Weight::from_parts(60_000_000, 2_000).saturating_add(db.reads_writes(8, 6));
	Weight::from_parts(20_000_000, 4_000)
		.saturating_add(db.reads_writes(6, 5))
		.saturating_add(per_neuron.saturating_mul(n.into()))
}

/// Weights using the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn on_initialize(s: u32) -> Weight {
		on_initialize(T::DbWeight::get(), s)
	}
	fn epoch(n: u32) -> Weight {
		epoch(T::DbWeight::get(), n)
	}
}

/// For tests: the same figures against RocksDB weights.
impl WeightInfo for () {
	fn on_initialize(s: u32) -> Weight {
		on_initialize(RocksDbWeight::get(), s)
	}
	fn epoch(n: u32) -> Weight {
		epoch(RocksDbWeight::get(), n)
	}
}
